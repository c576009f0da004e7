//! Line numbers: offset → line lookups, and the line ranges of the items of a `List` document (so each
//! object of a `kubectl get -o json|yaml` dump points at its own lines).

/// Byte offsets of line starts, for O(log n) offset → line lookups.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> u32 {
        let n = self.starts.partition_point(|&s| s <= offset);
        u32::try_from(n.max(1)).unwrap_or(u32::MAX)
    }
}

/// Byte spans of the elements of the top-level `"items"` array of a JSON object text. `None` when the
/// text is not shaped that way.
pub(crate) fn json_item_spans(body: &str) -> Option<Vec<(usize, usize)>> {
    let b = body.as_bytes();
    let mut depth = 0usize;
    let mut i = 0usize;
    let mut last_string_end = None;
    let mut in_items = false;
    let mut start: Option<usize> = None;
    let mut spans = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let s = i;
                i = skip_string(b, i)?;
                if depth == 1 {
                    last_string_end = Some((s + 1, i));
                }
                if in_items && depth == 2 && start.is_none() {
                    start = Some(s);
                }
            }
            b'{' | b'[' => {
                if depth == 1 && c == b'[' && !in_items && is_items_key(body, last_string_end, i) {
                    in_items = true;
                } else if in_items && depth == 2 && start.is_none() {
                    start = Some(i);
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if in_items && depth == 2 {
                    spans.extend(start.take().map(|s| (s, i + 1)));
                } else if in_items && depth == 1 {
                    spans.extend(start.take().map(|s| (s, i)));
                    return Some(spans);
                }
            }
            b',' if in_items && depth == 2 => spans.extend(start.take().map(|s| (s, i))),
            b' ' | b'\t' | b'\r' | b'\n' | b':' | b',' => {}
            _ if in_items && depth == 2 && start.is_none() => start = Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_items_key(body: &str, key: Option<(usize, usize)>, bracket: usize) -> bool {
    key.is_some_and(|(s, e)| {
        body.get(s..e) == Some("items") && body.get(e + 1..bracket).is_some_and(|t| t.trim() == ":")
    })
}

/// Index of the closing quote of the string starting at `i`.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Line ranges of the items of a block-style top-level `items:` sequence in a YAML document whose first
/// line is `base_line`. `None` when there is no such sequence.
pub(crate) fn yaml_item_lines(body: &str, base_line: u32) -> Option<Vec<(u32, u32)>> {
    let mut lines = body.lines().enumerate();
    lines.find(|(_, l)| l.trim_end() == "items:")?;
    let mut indent = None;
    let mut items: Vec<(u32, u32)> = Vec::new();
    for (k, line) in lines {
        let t = line.trim_start_matches(' ');
        if t.trim().is_empty() || t.starts_with('#') {
            continue;
        }
        let no = base_line.saturating_add(u32::try_from(k).unwrap_or(u32::MAX));
        let lead = line.len() - t.len();
        let is_dash = t == "-" || t.starts_with("- ");
        let ind = *indent.get_or_insert(lead);
        if lead == ind && is_dash {
            items.push((no, no));
        } else if lead < ind || (lead == ind && !is_dash) {
            break;
        } else if let Some(last) = items.last_mut() {
            last.1 = no;
        } else {
            return None;
        }
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index() {
        let idx = LineIndex::new("a\nbb\n\nc");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
    }

    #[test]
    fn json_items() {
        let body = r#"{"kind": "List", "x": "items", "items": [ {"a": "}]\""}, {"b": [1, 2]}, 3 ], "z": 1}"#;
        let spans = json_item_spans(body).expect("items");
        let parts: Vec<&str> = spans.iter().map(|&(s, e)| body[s..e].trim()).collect();
        assert_eq!(parts, vec![r#"{"a": "}]\""}"#, r#"{"b": [1, 2]}"#, "3"]);
    }

    #[test]
    fn yaml_items() {
        let body = "apiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    name: a\n\n- kind: Pod\n  metadata: {name: b}\nkind: List\n";
        assert_eq!(yaml_item_lines(body, 10), Some(vec![(12, 14), (16, 17)]));
        let indented = "items:\n  - a: 1\n    b: 2\n  - c\nkind: List\n";
        assert_eq!(yaml_item_lines(indented, 1), Some(vec![(2, 3), (4, 4)]));
    }
}
