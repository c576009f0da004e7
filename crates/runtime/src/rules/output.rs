//! Rule output formats: `%field`, `%field[arg]` and `%(field)` tokens resolved once at load time and
//! rendered only when a rule matches.

use crate::fields::{Event, Source};
use crate::filter::compile::CField;
use crate::filter::{FieldExpr, compile_field, parse};

/// What `%container.info` expands to (Falco's default container details).
const CONTAINER_INFO: &str = "container_id=%container.id container_name=%container.name";

/// A compiled output format.
#[derive(Debug, Clone)]
pub struct OutputFormat {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Field(CField),
}

impl OutputFormat {
    /// Compiles `fmt` for `source`. The error is Falco's message (`invalid formatting token X`).
    pub fn compile(fmt: &str, source: Source) -> Result<OutputFormat, String> {
        let expanded;
        let fmt = if fmt.contains("%container.info") && source == Source::Syscall {
            expanded = fmt.replace("%container.info", CONTAINER_INFO);
            expanded.as_str()
        } else {
            fmt
        };
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = fmt;
        while let Some(i) = rest.find('%') {
            text.push_str(&rest[..i]);
            rest = &rest[i + 1..];
            let (token, len) = token_at(rest);
            if token.is_empty() {
                text.push('%');
                continue;
            }
            let (field, used) = resolve(token, source)
                .ok_or_else(|| format!("invalid formatting token {token}"))?;
            // trailing dots that are punctuation stay text
            let len = len - (token.len() - used);
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Field(field));
            rest = &rest[len..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(OutputFormat { parts })
    }

    /// The names of the fields the format prints (`proc.env`, `proc.aname[2]`).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field(f) => Some(&*f.field.display),
            Part::Text(_) => None,
        })
    }

    /// Renders the message for a matching event.
    pub fn render(&self, ev: &dyn Event) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => out.push_str(&f.value(ev).render()),
            }
        }
        out
    }

    /// The fields of the format with their values, for `output_fields`.
    pub fn fields(&self, ev: &dyn Event) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        for p in &self.parts {
            if let Part::Field(f) = p {
                map.insert(display(f), f.value(ev).to_json());
            }
        }
        map
    }
}

fn display(f: &CField) -> String {
    f.field.display.to_string()
}

/// The token after a `%`: `(expr)` or a field name with an optional `[arg]`. Returns the token and
/// the bytes consumed.
fn token_at(s: &str) -> (&str, usize) {
    let b = s.as_bytes();
    if b.first() == Some(&b'(') {
        return match s.find(')') {
            Some(end) => {
                // allow one nested transformer: %(tolower(proc.name))
                let end = if s[1..end].contains('(') {
                    s[end + 1..].find(')').map_or(end, |e| end + 1 + e)
                } else {
                    end
                };
                (&s[1..end], end + 1)
            }
            None => ("", 0),
        };
    }
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
        i += 1;
    }
    if i < b.len()
        && b[i] == b'['
        && let Some(end) = s[i..].find(']')
    {
        i += end + 1;
    }
    (&s[..i], i)
}

/// Resolves a token, retrying without trailing dots; returns the field and the bytes it used.
fn resolve(token: &str, source: Source) -> Option<(CField, usize)> {
    let try_one = |t: &str| -> Option<CField> {
        let expr = parse(&format!("{t} exists")).ok()?;
        let crate::filter::Expr::Check(c) = expr else {
            return None;
        };
        let fe: &FieldExpr = &c.field;
        compile_field(fe, source).ok()
    };
    if let Some(f) = try_one(token) {
        return Some((f, token.len()));
    }
    let trimmed = token.trim_end_matches('.');
    if trimmed == token {
        return None;
    }
    try_one(trimmed).map(|f| (f, trimmed.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_token_reports_falco_message() {
        let e = OutputFormat::compile("An open was seen %not_a_real_field", Source::Syscall)
            .unwrap_err();
        assert_eq!(e, "invalid formatting token not_a_real_field");
    }

    #[test]
    fn tokens() {
        assert_eq!(token_at("proc.aname[2] x"), ("proc.aname[2]", 13));
        assert_eq!(token_at("(proc.name)x"), ("proc.name", 11));
        assert!(
            OutputFormat::compile("a %proc.name. b 100% %container.info", Source::Syscall).is_ok()
        );
        assert!(
            OutputFormat::compile("x %ka.target.name/%ka.target.resource", Source::K8sAudit)
                .is_ok()
        );
    }
}
