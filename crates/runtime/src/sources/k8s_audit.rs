//! Kubernetes audit decoder: an `EventList`, a single `Event`, or JSON lines of `Event`s (as the API
//! server's log backend writes them). Lines that are not audit events are counted and skipped.

use super::{DecodeStats, SourceError, read_all};
use crate::fields::k8s_audit::K8sAuditEvent;
use serde_json::Value;
use std::io::Read;

/// The message Falco's k8saudit plugin gives for input that is not an audit event.
pub const NOT_AN_EVENT: &str = "data not recognized as a k8s audit event";

/// Decodes audit events from `input`, calling `f` for each.
pub fn decode(input: impl Read, f: impl FnMut(K8sAuditEvent)) -> Result<DecodeStats, SourceError> {
    let bytes = read_all(input, "k8s audit input")?;
    Ok(decode_bytes(&bytes, f))
}

/// Decodes audit events from a buffer.
pub fn decode_bytes(bytes: &[u8], mut f: impl FnMut(K8sAuditEvent)) -> DecodeStats {
    let mut stats = DecodeStats::default();
    // a whole document: an EventList or a single (possibly pretty-printed) Event
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        take_value(v, "input", &mut stats, &mut f);
        return stats;
    }
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => take_value(v, &format!("line {}", n + 1), &mut stats, &mut f),
            Err(e) => stats.problem(format!("line {}: {NOT_AN_EVENT}: {e}", n + 1)),
        }
    }
    stats
}

fn take_value(v: Value, at: &str, stats: &mut DecodeStats, f: &mut impl FnMut(K8sAuditEvent)) {
    match v.get("kind").and_then(Value::as_str) {
        Some("EventList") => match v.get("items").and_then(Value::as_array) {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    take_value(item.clone(), &format!("{at} item {i}"), stats, f);
                }
            }
            None => stats.problem(format!("{at}: {NOT_AN_EVENT}: EventList without items")),
        },
        Some("Event") if v.is_object() => {
            stats.events += 1;
            f(K8sAuditEvent::new(v));
        }
        _ => stats.problem(format!("{at}: {NOT_AN_EVENT}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lists_and_garbage() {
        let input = b"{\"kind\":\"Event\",\"verb\":\"get\"}\n{\"kind\": 0}\nnot json\n";
        let mut n = 0;
        let stats = decode_bytes(input, |_| n += 1);
        assert_eq!((n, stats.malformed), (1, 2));
        let list = br#"{"kind":"EventList","items":[{"kind":"Event"},{"kind":"Event"}]}"#;
        let stats = decode_bytes(list, |_| {});
        assert_eq!(stats.events, 2);
    }
}
