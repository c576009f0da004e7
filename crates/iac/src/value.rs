//! Values of IaC expressions: JSON-like, plus "unknown" (optionally carrying the reference it came from).

use serde_json::{Map, Number, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// An evaluated value. `Unknown` is a value that cannot be determined statically; when it comes from a
/// reference to another resource (`aws_s3_bucket.logs.id`), the reference is kept so resources can be joined.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Val>),
    Map(BTreeMap<String, Val>),
    Unknown(Option<String>),
}

/// Largest number of elements a computed collection may hold (guards `range(1e9)`, `count = 1e9`, …).
pub const MAX_COLLECTION: usize = 10_000;

impl Val {
    /// An unknown value with no reference.
    pub fn unknown() -> Val {
        Val::Unknown(None)
    }

    /// An unknown value that came from `token` (`aws_s3_bucket.logs.id`).
    pub fn reference(token: impl Into<String>) -> Val {
        Val::Unknown(Some(token.into()))
    }

    /// True when the value, or anything inside it, is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Val::Unknown(_) => true,
            Val::List(v) => v.iter().any(Val::has_unknown),
            Val::Map(m) => m.values().any(Val::has_unknown),
            _ => false,
        }
    }

    /// True when the value itself (not something inside it) is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown(_))
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::String(s) => Some(s),
            _ => None,
        }
    }

    /// Terraform's string conversion for primitives.
    pub fn to_plain_string(&self) -> Option<String> {
        match self {
            Val::String(s) => Some(s.clone()),
            Val::Bool(b) => Some(b.to_string()),
            Val::Number(n) => Some(format_number(*n)),
            _ => None,
        }
    }

    /// Terraform's boolean conversion (`"true"`/`"false"` strings convert).
    pub fn truthy(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::String(s) if s == "true" => Some(true),
            Val::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// The number, also parsed from a string.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Val::Number(n) => Some(*n),
            Val::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Converts to JSON. Unknown leaves become `null`, and their paths (dot-separated, list indexes as
    /// numbers) are added to `unknown`; the reference of each unknown leaf is recorded in `refs`.
    pub fn to_json(
        &self,
        path: &str,
        unknown: &mut BTreeSet<String>,
        refs: &mut BTreeMap<String, String>,
    ) -> Json {
        match self {
            Val::Null => Json::Null,
            Val::Bool(b) => Json::Bool(*b),
            Val::Number(n) => number_json(*n),
            Val::String(s) => Json::String(s.clone()),
            Val::List(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v.to_json(&join_path(path, &i.to_string()), unknown, refs))
                    .collect(),
            ),
            Val::Map(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(k.clone(), v.to_json(&join_path(path, k), unknown, refs));
                }
                Json::Object(out)
            }
            Val::Unknown(r) => {
                unknown.insert(path.to_string());
                // `partial:` tokens (a template around a reference) are kept: they never resolve to a
                // resource, so they cannot join wrongly, but they show the value is not null.
                if let Some(r) = r {
                    refs.insert(path.to_string(), r.clone());
                }
                Json::Null
            }
        }
    }

    /// JSON text for `jsonencode`. Unknown leaves are written as `"${reference}"` (or `"${unknown}"`), the
    /// interpolation syntax Terraform itself shows, so policy analysis can tell them apart.
    pub fn encode_json(&self) -> Json {
        match self {
            Val::Unknown(r) => Json::String(format!("${{{}}}", r.as_deref().unwrap_or("unknown"))),
            Val::List(items) => Json::Array(items.iter().map(Val::encode_json).collect()),
            Val::Map(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.encode_json()))
                    .collect(),
            ),
            other => {
                let mut u = BTreeSet::new();
                let mut r = BTreeMap::new();
                other.to_json("", &mut u, &mut r)
            }
        }
    }

    /// Converts JSON into a value (no unknowns).
    pub fn from_json(j: &Json) -> Val {
        from_json_depth(j, 0)
    }
}

fn from_json_depth(j: &Json, depth: usize) -> Val {
    if depth > 128 {
        return Val::unknown();
    }
    match j {
        Json::Null => Val::Null,
        Json::Bool(b) => Val::Bool(*b),
        Json::Number(n) => Val::Number(n.as_f64().unwrap_or(0.0)),
        Json::String(s) => Val::String(s.clone()),
        Json::Array(a) => Val::List(a.iter().map(|v| from_json_depth(v, depth + 1)).collect()),
        Json::Object(o) => Val::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), from_json_depth(v, depth + 1)))
                .collect(),
        ),
    }
}

/// `a.b` path joining, with the root being the empty string.
pub fn join_path(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

/// Formats a number like Terraform: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn number_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        Json::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map(Json::Number).unwrap_or(Json::Null)
    }
}
