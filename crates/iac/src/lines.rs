//! Byte offsets to 1-based line numbers.

use crate::resource::SourceSpan;

/// Start offsets of every line of a text.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The 1-based line of byte offset `at`.
    pub fn line(&self, at: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= at)).max(1) as u32
    }

    pub fn span(&self, file: &str, start: usize, end: usize) -> SourceSpan {
        SourceSpan {
            file: file.to_string(),
            start_line: self.line(start),
            end_line: self.line(end.max(start)),
        }
    }

    /// For JSON documents: the line of key `"b"` after key `"a"`, and the line of its closing brace.
    pub fn find_key_span(&self, file: &str, a: &str, b: &str) -> SourceSpan {
        let start = self
            .text
            .find(&format!("\"{a}\""))
            .and_then(|i| self.text[i..].find(&format!("\"{b}\"")).map(|j| i + j))
            .unwrap_or(0);
        let end = matching_close(self.text, start).unwrap_or(start);
        self.span(file, start, end)
    }
}

/// The offset of the bracket closing the first `{` or `[` at or after `from` (strings skipped).
fn matching_close(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let open = from + text.get(from..)?.find(['{', '['])?;
    let (mut depth, mut in_str, mut esc) = (0i64, false, false);
    for (i, &c) in bytes.iter().enumerate().skip(open) {
        if in_str {
            match c {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}
