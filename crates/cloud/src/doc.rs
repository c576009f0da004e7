//! Building live resource documents.

use rampart_iac::{Origin, Resource, SourceSpan};
use serde_json::Value as Json;

/// The configuration root every live resource shares, so the checks' joins (bucket ↔ public access block)
/// find each other.
pub const LIVE_ROOT: &str = "aws-live";

/// A live resource of `resource_type` named `name` (address `resource_type.name`) with `attributes`.
pub fn live_resource(resource_type: &str, name: &str, attributes: Json) -> Resource {
    Resource {
        resource_type: resource_type.to_string(),
        address: format!("{resource_type}.{name}"),
        name: name.to_string(),
        provider: "aws".to_string(),
        attributes,
        unknown: Default::default(),
        references: Default::default(),
        source: SourceSpan {
            file: format!("aws://{resource_type}/{name}"),
            start_line: 0,
            end_line: 0,
        },
        root: LIVE_ROOT.to_string(),
        module: String::new(),
        origin: Origin::Live,
    }
}

/// Decodes IAM's URL-encoded policy documents (`%7B%22Version…`); returns the input when it is not encoded.
pub fn url_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// A policy document as the Terraform provider stores it: a JSON string (normalised when it parses).
pub fn policy_string(raw: &str) -> Json {
    let text = url_decode(raw);
    match serde_json::from_str::<Json>(&text) {
        Ok(v) => Json::String(v.to_string()),
        Err(_) => Json::String(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_iam_documents() {
        assert_eq!(url_decode("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(url_decode("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(url_decode("100%"), "100%");
    }
}
