//! JSON helpers shared by the plugin-style sources (k8s audit, CloudTrail).

use super::Val;
use serde_json::Value;
use std::borrow::Cow;

/// A JSON value as a field value: strings as-is, numbers as integers when whole, other values as
/// their compact JSON text (as Falco's plugins render them).
pub fn to_val(v: &Value) -> Val<'_> {
    match v {
        Value::Null => Val::None,
        Value::String(s) => Val::Str(Cow::Borrowed(s)),
        Value::Bool(b) => Val::Str(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => Val::Str(Cow::Owned(n.to_string())),
        },
        other => Val::Str(Cow::Owned(other.to_string())),
    }
}

/// A JSON value rendered as text (strings without quotes).
pub fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

/// Follows a JSON pointer (`/a/b/0`), or a dotted path when it does not start with `/`.
pub fn pointer<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.starts_with('/') || path.is_empty() {
        v.pointer(path)
    } else {
        path.split('.').try_fold(v, |cur, part| match cur {
            Value::Object(m) => m.get(part),
            Value::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        })
    }
}

/// Follows a path of object keys.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| cur.get(*key))
}

/// A string at a path of object keys.
pub fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}
