//! Bounded parsing of one text into documents with their line ranges.

use crate::lines::LineIndex;
use serde_json::Value;

/// One document of a stream, parsed or not.
pub(crate) struct RawDoc {
    pub first_line: u32,
    pub last_line: u32,
    /// Helm's `# Source: path` comment in the document, if any.
    pub template: Option<String>,
    /// The value, or the error line and message.
    pub value: Result<Value, (Option<u32>, String)>,
    /// Byte range of the document in the whole text, and the line that range starts on.
    pub span: (usize, usize),
    pub base_line: u32,
    pub json: bool,
}

impl RawDoc {
    /// Line ranges of the items of a `List` document, when they can be found in the text.
    pub fn item_lines(&self, text: &str, index: &LineIndex) -> Option<Vec<(u32, u32)>> {
        let body = text.get(self.span.0..self.span.1)?;
        if self.json {
            let spans = crate::lines::json_item_spans(body)?;
            Some(
                spans
                    .into_iter()
                    .map(|(s, e)| {
                        (
                            index.line(self.span.0 + s),
                            index.line(self.span.0 + e.saturating_sub(1).max(s)),
                        )
                    })
                    .collect(),
            )
        } else {
            crate::lines::yaml_item_lines(body, self.base_line)
        }
    }
}

/// Parses a JSON text holding one or more concatenated values. `None` when it is not valid JSON (the
/// caller then tries YAML, which also reports the error position).
pub(crate) fn json_documents(text: &str, index: &LineIndex) -> Option<Vec<RawDoc>> {
    let mut docs = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut start = 0usize;
    while let Some(item) = stream.next() {
        let value = item.ok()?;
        let end = stream.byte_offset();
        let lead = text[start..end].len() - text[start..end].trim_start().len();
        let first_line = index.line(start + lead);
        let last_line = index.line(end.saturating_sub(1).max(start + lead));
        docs.push(RawDoc {
            first_line,
            last_line,
            template: None,
            value: Ok(value),
            span: (start, end),
            base_line: index.line(start),
            json: true,
        });
        start = end;
    }
    Some(docs)
}

/// A document's slice of the text and its line range.
struct Chunk<'a> {
    text: &'a str,
    /// Byte offset of the chunk in the whole text.
    offset: usize,
    /// Line number of the chunk's first line in the whole text.
    base_line: u32,
    first_line: u32,
    last_line: u32,
    template: Option<String>,
}

/// Splits a YAML stream at document markers. `---` and `...` at column 0 always end a document in
/// YAML (they cannot occur inside scalars there), so a split on them is exact.
fn split(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut cur = Open::new(0, 1);
    let mut offset = 0usize;
    let mut line_no = 0u32;
    for line in text.split_inclusive('\n') {
        line_no += 1;
        let trimmed = line.trim_end_matches(['\n', '\r']);
        let is_start = is_marker(trimmed, "---");
        if is_start || is_marker(trimmed, "...") {
            cur.close(text, offset, &mut chunks);
            if is_start {
                // A `---` line may carry content (`--- {a: 1}`, `--- |`): keep it in the next document.
                cur = Open::new(offset, line_no);
                let rest = trimmed[3..].trim();
                if !rest.is_empty() && !rest.starts_with('#') {
                    cur.content = Some((line_no, line_no));
                }
            } else {
                cur = Open::new(offset + line.len(), line_no + 1);
            }
        } else {
            let t = trimmed.trim_start();
            if let Some(src) = t.strip_prefix("# Source: ") {
                cur.template.get_or_insert_with(|| src.trim().to_string());
            }
            if !t.is_empty() && !t.starts_with('#') && !trimmed.starts_with('%') {
                let first = cur.content.map_or(line_no, |(f, _)| f);
                cur.content = Some((first, line_no));
            }
        }
        offset += line.len();
    }
    cur.close(text, text.len(), &mut chunks);
    chunks
}

/// The document being collected by [`split`].
struct Open {
    start: usize,
    start_line: u32,
    content: Option<(u32, u32)>,
    template: Option<String>,
}

impl Open {
    fn new(start: usize, start_line: u32) -> Open {
        Open {
            start,
            start_line,
            content: None,
            template: None,
        }
    }

    fn close<'a>(&mut self, text: &'a str, end: usize, chunks: &mut Vec<Chunk<'a>>) {
        if let Some((first, last)) = self.content.take() {
            chunks.push(Chunk {
                offset: self.start,
                text: &text[self.start..end],
                base_line: self.start_line,
                first_line: first,
                last_line: last,
                template: self.template.take(),
            });
        }
    }
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// Parses a YAML stream, one bounded parse per document. A long stream (a cluster snapshot) is
/// parsed on every core, each thread taking one run of consecutive documents; the documents keep
/// their order.
pub(crate) fn yaml_documents(text: &str, max_nesting: usize) -> Vec<RawDoc> {
    let chunks = split(text);
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1);
    if threads < 2 || chunks.len() < PARALLEL_DOCUMENTS {
        return parse_chunks(&chunks, max_nesting);
    }
    let per_thread = chunks.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .chunks(per_thread)
            .map(|run| scope.spawn(move || parse_chunks(run, max_nesting)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Streams with fewer documents than this are parsed on the calling thread.
const PARALLEL_DOCUMENTS: usize = 256;

/// Parses consecutive documents of a stream, in order (the parser's options are not shared between
/// threads: each run makes its own).
fn parse_chunks(chunks: &[Chunk<'_>], max_nesting: usize) -> Vec<RawDoc> {
    let options = yaml_options(max_nesting);
    chunks.iter().map(|c| parse_chunk(c, &options)).collect()
}

/// Parses one document of a stream.
fn parse_chunk(chunk: &Chunk<'_>, options: &serde_saphyr::Options) -> RawDoc {
    // Directives (`%YAML`) are only valid before `---`; the split keeps none inside documents.
    let body: std::borrow::Cow<'_, str> =
        if chunk.text.contains("\n%") || chunk.text.starts_with('%') {
            chunk
                .text
                .split_inclusive('\n')
                .map(|l| if l.starts_with('%') { "\n" } else { l })
                .collect::<String>()
                .into()
        } else {
            chunk.text.into()
        };
    let value = serde_saphyr::from_str_with_options::<Value>(&body, options.clone()).map_err(|e| {
        let line = e.location().map(|l| {
            let rel = u32::try_from(l.line()).unwrap_or(u32::MAX);
            chunk.base_line.saturating_add(rel.saturating_sub(1))
        });
        (line, format!("invalid YAML: {}", one_line(&e.to_string())))
    });
    RawDoc {
        first_line: chunk.first_line,
        last_line: chunk.last_line,
        template: chunk.template.clone(),
        value,
        span: (chunk.offset, chunk.offset + chunk.text.len()),
        base_line: chunk.base_line,
        json: false,
    }
}

fn yaml_options(max_nesting: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = max_nesting;
    budget.max_documents = 1;
    budget.max_aliases = 10_000;
    budget.max_nodes = 2_000_000;
    budget.max_events = 4_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    // Manifests rarely use aliases; cap what they may expand to well below the node budget.
    options.alias_limits.max_total_replayed_events = 100_000;
    options.with_snippet = false;
    options
}

/// The first line of an error message, capped, so warnings stay one line.
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or("").trim();
    let mut out: String = first.chars().take(300).collect();
    if first.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_marker_content_and_lines() {
        let chunks = split("a: 1\n--- {b: 2}\n---\n\n# only comment\n---\nc: 3\n");
        let ranges: Vec<_> = chunks.iter().map(|c| (c.first_line, c.last_line)).collect();
        assert_eq!(ranges, vec![(1, 1), (2, 2), (7, 7)]);
    }

    #[test]
    fn long_streams_keep_document_order_and_lines() {
        let text: String = (0..PARALLEL_DOCUMENTS * 3 + 1)
            .map(|i| format!("---\nn: {i}\n"))
            .collect();
        let docs = yaml_documents(&text, 64);
        assert_eq!(docs.len(), PARALLEL_DOCUMENTS * 3 + 1);
        for (i, d) in docs.iter().enumerate() {
            let value = d.value.as_ref().expect("parsed");
            assert_eq!(value["n"], i);
            assert_eq!(d.first_line, 2 * i as u32 + 2);
        }
    }

    #[test]
    fn json_stream_lines() {
        let text = "{\"a\": 1}\n\n{\n\"b\": 2\n}\n";
        let docs = json_documents(text, &LineIndex::new(text)).expect("json");
        let ranges: Vec<_> = docs.iter().map(|d| (d.first_line, d.last_line)).collect();
        assert_eq!(ranges, vec![(1, 1), (3, 5)]);
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            s.push_str(&format!(
                "{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n",
                (b'a' + i) as char,
                (b'a' + i) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char,
                (b'a' + i - 1) as char
            ));
        }
        let docs = yaml_documents(&s, 64);
        assert!(docs[0].value.is_err());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let docs = yaml_documents(&s, 64);
        assert!(docs[0].value.is_err());
        let deep_block: String = (0..500).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert!(yaml_documents(&deep_block, 64)[0].value.is_err());
    }
}
