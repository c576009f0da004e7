//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${key, 'default'}`, and the
//! escapes `${*}`, `${?}`, `${$}` for literal characters.

use crate::context::Request;
use crate::wildcard::Tok;

/// Substitutes variables into a pattern. Substituted text is literal (its `*` and `?` are not
/// wildcards). `None` when a variable has no value and no default: the element then matches nothing.
pub fn resolve(raw: &str, req: &Request) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$'
            && bytes.get(i + 1) == Some(&b'{')
            && let Some(end) = raw[i + 2..].find('}')
        {
            let inner = &raw[i + 2..i + 2 + end];
            out.extend(substitute(inner, req)?.bytes().map(Tok::Lit));
            i += end + 3;
            continue;
        }
        out.push(match bytes[i] {
            b'*' => Tok::Any,
            b'?' => Tok::One,
            b => Tok::Lit(b),
        });
        i += 1;
    }
    Some(out)
}

/// Substitutes variables and returns plain text (for operators without wildcards).
pub fn resolve_literal(raw: &str, req: &Request) -> Option<String> {
    if !raw.contains("${") {
        return Some(raw.to_string());
    }
    let toks = resolve(raw, req)?;
    let bytes: Vec<u8> = toks
        .iter()
        .map(|t| match t {
            Tok::Lit(b) => *b,
            Tok::Any => b'*',
            Tok::One => b'?',
        })
        .collect();
    String::from_utf8(bytes).ok()
}

fn substitute(inner: &str, req: &Request) -> Option<String> {
    match inner {
        "*" => return Some("*".into()),
        "?" => return Some("?".into()),
        "$" => return Some("$".into()),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let d = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(d);
            (k.trim(), Some(d))
        }
        None => (inner.trim(), None),
    };
    match req.value(key) {
        // Multivalued keys cannot be used as variables.
        Some(v) if v.values().len() == 1 => Some(v.values()[0].clone()),
        _ => default.map(str::to_string),
    }
}
