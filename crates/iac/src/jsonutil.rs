//! Bounded JSON parsing with line-numbered errors.

/// Deepest JSON nesting accepted (serde_json's own limit is 128; we stop earlier with a clear message).
const MAX_JSON_DEPTH: usize = 100;

/// Parses JSON; on failure returns (line, message).
pub fn parse_bounded(text: &str) -> Result<serde_json::Value, (u32, String)> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    let mut line = 1u32;
    for c in text.bytes() {
        if c == b'\n' {
            line += 1;
        }
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
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err((
                        line,
                        format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"),
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    serde_json::from_str(text).map_err(|e| (e.line() as u32, format!("invalid JSON: {e}")))
}
