//! IAM policy documents (JSON strings in the normalised documents): parsing and the questions checks ask.
//! Strings written `${…}` are values Terraform could not know; a question touching one is unknown.

use serde_json::Value as Json;

/// A parsed policy, or why it could not be read.
pub enum Doc {
    Parsed(Vec<Json>),
    Unknown,
    Invalid,
}

/// Parses a policy JSON string (or an already-structured document).
pub fn parse(v: Option<&Json>) -> Doc {
    let doc = match v {
        None | Some(Json::Null) => return Doc::Unknown,
        Some(Json::String(s)) => match serde_json::from_str::<Json>(s) {
            Ok(d) => d,
            Err(_) => return Doc::Invalid,
        },
        Some(d) => d.clone(),
    };
    match doc.get("Statement") {
        Some(Json::Array(a)) => Doc::Parsed(a.clone()),
        Some(s @ Json::Object(_)) => Doc::Parsed(vec![s.clone()]),
        _ => Doc::Invalid,
    }
}

/// An unknown value written `${…}`. References to another resource's attributes (`${aws_…}`,
/// `${partial:…}`, `${cfn:FILE#…}`, pseudo parameters) are never wildcards, so they count as specific values;
/// only values from inputs (`${unknown}`, parameters without defaults) are truly unknown.
fn is_placeholder(s: &str) -> bool {
    s.starts_with("${unknown") || s.starts_with("${cfn:param.")
}

/// The strings of a field that may be a string or a list. `None` if any is unknown.
pub fn strings(v: Option<&Json>) -> Option<Vec<String>> {
    match v {
        None | Some(Json::Null) => Some(Vec::new()),
        Some(Json::String(s)) if is_placeholder(s) => None,
        Some(Json::String(s)) => Some(vec![s.clone()]),
        Some(Json::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .filter(|s| !is_placeholder(s))
                    .map(str::to_string)
            })
            .collect(),
        _ => None,
    }
}

pub fn effect_allow(stmt: &Json) -> bool {
    stmt.get("Effect")
        .and_then(Json::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("allow"))
}

/// Some(true) when the statement allows `*` actions on `*` resources.
pub fn is_admin(stmt: &Json) -> Option<bool> {
    if !effect_allow(stmt) {
        return Some(false);
    }
    let actions = strings(stmt.get("Action"))?;
    let resources = strings(stmt.get("Resource"))?;
    Some(actions.iter().any(|a| a == "*" || a == "*:*") && resources.iter().any(|r| r == "*"))
}

/// Some(true) when the statement's principal is everyone (`*` or `{"AWS": "*"}`) and no condition narrows it.
pub fn is_public(stmt: &Json) -> Option<bool> {
    if !effect_allow(stmt) {
        return Some(false);
    }
    if stmt
        .get("Condition")
        .is_some_and(|c| c.as_object().is_some_and(|o| !o.is_empty()))
    {
        return Some(false);
    }
    principal_everyone(stmt.get("Principal"))
}

/// Whether a principal element is everyone.
pub fn principal_everyone(p: Option<&Json>) -> Option<bool> {
    match p {
        None => Some(false),
        Some(Json::String(s)) if is_placeholder(s) => None,
        Some(Json::String(s)) => Some(s == "*"),
        Some(Json::Object(m)) => {
            let mut unknown = false;
            for key in ["AWS", "CanonicalUser"] {
                match strings(m.get(key)) {
                    Some(ids) if ids.iter().any(|i| i == "*") => return Some(true),
                    None => unknown = true,
                    _ => {}
                }
            }
            if unknown { None } else { Some(false) }
        }
        _ => None,
    }
}

/// True when some statement denies requests without TLS (`aws:SecureTransport` false).
pub fn denies_insecure_transport(stmts: &[Json]) -> bool {
    stmts.iter().any(|s| {
        s.get("Effect").and_then(Json::as_str) == Some("Deny")
            && s.get("Condition").is_some_and(|c| {
                c.as_object().into_iter().flatten().any(|(op, m)| {
                    op.starts_with("Bool")
                        && m.get("aws:SecureTransport").is_some_and(|v| {
                            strings(Some(v)).is_some_and(|v| v.iter().any(|x| x == "false"))
                                || v == &Json::Bool(false)
                        })
                })
            })
    })
}

/// Actions of an allow statement (lower-cased), `None` if unknown.
pub fn allowed_actions(stmt: &Json) -> Option<Vec<String>> {
    if !effect_allow(stmt) {
        return Some(Vec::new());
    }
    Some(
        strings(stmt.get("Action"))?
            .into_iter()
            .map(|a| a.to_lowercase())
            .collect(),
    )
}
