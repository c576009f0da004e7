//! Alerts: what a matching rule produces, as Falco JSON (`output`, `priority`, `rule`, `time`,
//! `output_fields`, `source`, `tags`, `hostname`) and as a core [`Finding`].

use crate::rules::Priority;
use rampart_core::{Finding, FindingKind};
use serde::Serialize;
use serde_json::{Map, Value};

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// `HH:MM:SS.nnnnnnnnn: Priority message`, as Falco prints it.
    pub output: String,
    pub priority: Priority,
    pub rule: String,
    /// RFC 3339 with nanoseconds, UTC.
    pub time: String,
    pub output_fields: Map<String, Value>,
    pub source: String,
    pub tags: Vec<String>,
    pub hostname: String,
    /// The message alone (without time and priority).
    #[serde(skip)]
    pub message: String,
}

impl Alert {
    /// The Falco JSON object.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "hostname": self.hostname,
            "output": self.output,
            "output_fields": self.output_fields,
            "priority": self.priority.name(),
            "rule": self.rule,
            "source": self.source,
            "tags": self.tags,
            "time": self.time,
        })
    }

    /// One JSON line.
    pub fn to_json_line(&self) -> String {
        self.to_json().to_string()
    }

    /// A core finding: kind `RuntimeAlert`, the rule as rule id, MITRE tags as `mitre-attack` controls.
    pub fn to_finding(&self) -> Finding {
        let subject = ["container.id", "proc.name", "ka.target.name", "ct.name"]
            .iter()
            .find_map(|k| self.output_fields.get(*k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string();
        let asset = if self.hostname.is_empty() {
            self.source.clone()
        } else {
            self.hostname.clone()
        };
        let mut f = Finding::new(
            FindingKind::RuntimeAlert,
            self.rule.clone(),
            self.rule.clone(),
            self.priority.severity(),
            asset,
            subject,
        )
        .with_evidence("alert", None, self.message.clone());
        for t in &self.tags {
            if let Some(id) = mitre_id(t) {
                f = f.with_control("mitre-attack", id);
            }
        }
        f
    }
}

/// `T1059`, `T1059.004` tags, and `mitre_execution`-style tactic tags.
fn mitre_id(tag: &str) -> Option<String> {
    let b = tag.as_bytes();
    if b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit) {
        return Some(tag.to_string());
    }
    tag.strip_prefix("mitre_").map(|t| format!("tactic:{t}"))
}

/// Formats ns since the epoch as RFC 3339 with nanoseconds (`2024-01-02T03:04:05.000000006Z`).
pub fn rfc3339_nanos(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    match jiff::Timestamp::from_second(secs) {
        Ok(ts) => format!("{}.{nanos:09}Z", ts.strftime("%Y-%m-%dT%H:%M:%S")),
        Err(_) => "1970-01-01T00:00:00.000000000Z".into(),
    }
}

/// `HH:MM:SS.nnnnnnnnn` of a time in ns, as Falco prefixes outputs.
pub fn clock_nanos(ns: i64) -> String {
    let full = rfc3339_nanos(ns);
    full.get(11..29).unwrap_or("00:00:00.000000000").to_string()
}

/// Parses an RFC 3339 timestamp into ns since the epoch.
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    i64::try_from(ts.as_nanosecond()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let ns = parse_rfc3339_nanos("2018-10-25T14:09:12.581541Z").unwrap();
        assert_eq!(rfc3339_nanos(ns), "2018-10-25T14:09:12.581541000Z");
        assert_eq!(clock_nanos(ns), "14:09:12.581541000");
    }

    #[test]
    fn mitre_tags() {
        assert_eq!(mitre_id("T1555").as_deref(), Some("T1555"));
        assert_eq!(
            mitre_id("mitre_execution").as_deref(),
            Some("tactic:execution")
        );
        assert_eq!(mitre_id("container"), None);
    }
}
