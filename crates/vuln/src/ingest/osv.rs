//! OSV advisories (JSON and YAML), as published by OSV.dev, PyPA, the Go vulnerability database, RustSec, …

use super::IngestError;
use crate::cvss::score_vector;
use crate::model::{Advisory, Affected, Event, Range, normalize_name};
use rampart_core::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Doc {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    withdrawn: Option<serde_json::Value>,
    #[serde(default)]
    published: Option<serde_json::Value>,
    #[serde(default)]
    modified: Option<serde_json::Value>,
    #[serde(default)]
    severity: Vec<Severities>,
    #[serde(default)]
    affected: Vec<DocAffected>,
    #[serde(default)]
    references: Vec<Reference>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Severities {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(default)]
    url: String,
}

#[derive(Debug, Deserialize)]
struct DocAffected {
    #[serde(default)]
    package: Option<DocPackage>,
    #[serde(default)]
    ranges: Vec<DocRange>,
    #[serde(default)]
    versions: Vec<serde_json::Value>,
    #[serde(default)]
    severity: Vec<Severities>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

impl DocAffected {
    /// RustSec marks informational advisories (unsound, unmaintained) per affected entry.
    fn informational(&self) -> bool {
        self.database_specific
            .as_ref()
            .and_then(|d| d.get("informational"))
            .is_some_and(|v| !v.is_null())
    }

    /// A CVSS vector given per affected entry (RustSec's OSV export).
    fn cvss_vector(&self) -> Option<&str> {
        self.database_specific.as_ref()?.get("cvss")?.as_str()
    }
}

#[derive(Debug, Deserialize)]
struct DocPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct DocRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<BTreeMap<String, serde_json::Value>>,
}

/// What became of one OSV document.
pub enum Outcome {
    Advisory(Box<Advisory>),
    /// Withdrawn, informational, or with nothing matchable (e.g. only GIT ranges).
    Skipped(&'static str),
}

/// Parses one OSV JSON document.
pub fn parse_json(bytes: &[u8]) -> Result<Outcome, IngestError> {
    let doc: Doc = serde_json::from_slice(bytes).map_err(|e| IngestError::Parse {
        line: Some(e.line() as u32),
        message: e.to_string(),
    })?;
    Ok(convert(doc))
}

/// Parses one OSV YAML document (the PyPA advisory database layout).
pub fn parse_yaml(text: &str) -> Result<Outcome, IngestError> {
    let doc: Doc = serde_saphyr::from_str(text).map_err(|e| IngestError::Parse {
        line: None,
        message: e.to_string(),
    })?;
    Ok(convert(doc))
}

/// A scalar from YAML or JSON as the text it was written as.
fn scalar_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn convert(doc: Doc) -> Outcome {
    if doc.withdrawn.as_ref().is_some_and(|w| !w.is_null()) {
        return Outcome::Skipped("withdrawn");
    }
    let db_specific = doc.database_specific.as_ref();
    if db_specific
        .and_then(|d| d.get("informational"))
        .is_some_and(|v| !v.is_null())
        || (!doc.affected.is_empty() && doc.affected.iter().all(DocAffected::informational))
    {
        return Outcome::Skipped("informational");
    }
    let affected: Vec<Affected> = doc.affected.iter().filter_map(convert_affected).collect();
    if affected.is_empty() {
        return Outcome::Skipped("no matchable package ranges");
    }
    let mut cvss: Vec<_> = doc
        .severity
        .iter()
        .chain(doc.affected.iter().flat_map(|a| a.severity.iter()))
        .filter(|s| s.kind.starts_with("CVSS_V"))
        .filter_map(|s| score_vector(&s.score))
        .chain(
            doc.affected
                .iter()
                .filter_map(DocAffected::cvss_vector)
                .filter_map(score_vector),
        )
        .collect();
    cvss.dedup_by(|a, b| a.vector == b.vector);
    let severity = db_specific
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse::<Severity>().ok());
    let summary = doc
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| doc.details.map(|d| first_sentence(&d)))
        .unwrap_or_default();
    let source = format!(
        "osv:{}",
        affected[0].ecosystem.split(':').next().unwrap_or("")
    );
    Outcome::Advisory(Box::new(Advisory {
        id: doc.id,
        aliases: doc.aliases,
        summary,
        severity,
        cvss,
        published: doc.published.as_ref().and_then(scalar_text),
        modified: doc.modified.as_ref().and_then(scalar_text),
        references: doc
            .references
            .into_iter()
            .map(|r| r.url)
            .filter(|u| !u.is_empty())
            .take(8)
            .collect(),
        source,
        affected,
    }))
}

fn convert_affected(a: &DocAffected) -> Option<Affected> {
    let pkg = a.package.as_ref()?;
    if pkg.ecosystem.is_empty() || pkg.name.is_empty() {
        return None;
    }
    let ranges: Vec<Range> = a
        .ranges
        .iter()
        .filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM")
        .map(|r| Range::Events {
            semver: r.kind == "SEMVER",
            events: r.events.iter().filter_map(convert_event).collect(),
        })
        .collect();
    let versions: Vec<String> = a.versions.iter().filter_map(scalar_text).collect();
    if ranges.is_empty() && versions.is_empty() {
        return None;
    }
    Some(Affected {
        ecosystem: pkg.ecosystem.clone(),
        package: normalize_name(&pkg.ecosystem, &pkg.name),
        ranges,
        versions,
        ..Affected::default()
    })
}

fn convert_event(e: &BTreeMap<String, serde_json::Value>) -> Option<Event> {
    let (k, v) = e.iter().next()?;
    let v = scalar_text(v)?;
    match k.as_str() {
        "introduced" => Some(Event::Introduced(v)),
        "fixed" => Some(Event::Fixed(v)),
        "last_affected" => Some(Event::LastAffected(v)),
        "limit" => Some(Event::Limit(v)),
        _ => None,
    }
}

/// The first sentence (or first 200 characters) of a longer text.
pub(crate) fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let end = text.find(". ").map(|i| i + 1).unwrap_or(text.len()).min(
        text.char_indices()
            .nth(200)
            .map(|(i, _)| i)
            .unwrap_or(text.len()),
    );
    text[..end].replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advisory(o: Outcome) -> Advisory {
        match o {
            Outcome::Advisory(a) => *a,
            Outcome::Skipped(why) => panic!("skipped: {why}"),
        }
    }

    #[test]
    fn parses_go_stdlib_json() {
        let json = br#"{"schema_version":"1.3.1","id":"GO-2023-1704","modified":"2024-05-20T16:03:47Z",
          "published":"2023-04-05T20:30:57Z","aliases":["CVE-2023-24537"],"summary":"Infinite loop in parsing in go/scanner",
          "affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[
            {"introduced":"0"},{"fixed":"1.19.8"},{"introduced":"1.20.0-0"},{"fixed":"1.20.3"}]}]}],
          "references":[{"type":"FIX","url":"https://go.dev/cl/482078"}]}"#;
        let a = advisory(parse_json(json).unwrap());
        assert_eq!(a.id, "GO-2023-1704");
        assert_eq!(a.source, "osv:Go");
        assert_eq!(a.affected[0].package, "stdlib");
        assert_eq!(a.affected[0].fixed_versions(), vec!["1.19.8", "1.20.3"]);
    }

    #[test]
    fn parses_pypa_yaml_with_unquoted_versions() {
        let yaml = "id: PYSEC-2021-1\nmodified: 2021-06-01T00:00:00Z\naliases:\n- CVE-2021-33203\n\
affected:\n- package:\n    name: Django\n    ecosystem: PyPI\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    \
- introduced: \"3.2\"\n    - fixed: 3.2.4\n  versions:\n  - \"3.2\"\n  - 3.2.1\n";
        let a = advisory(parse_yaml(yaml).unwrap());
        assert_eq!(a.affected[0].package, "django");
        assert_eq!(a.affected[0].versions, vec!["3.2", "3.2.1"]);
        assert_eq!(a.affected[0].fixed_versions(), vec!["3.2.4"]);
    }

    #[test]
    fn skips_withdrawn_and_informational() {
        let w = br#"{"id":"X-1","withdrawn":"2022-01-01T00:00:00Z","affected":[{"package":{"name":"a","ecosystem":"npm"},"versions":["1"]}]}"#;
        assert!(matches!(
            parse_json(w).unwrap(),
            Outcome::Skipped("withdrawn")
        ));
        let i = br#"{"id":"RUSTSEC-1","database_specific":{"informational":"unmaintained"},"affected":[{"package":{"name":"a","ecosystem":"crates.io"},"versions":["1"]}]}"#;
        assert!(matches!(
            parse_json(i).unwrap(),
            Outcome::Skipped("informational")
        ));
        let git = br#"{"id":"X-2","affected":[{"package":{"name":"a","ecosystem":"npm"},"ranges":[{"type":"GIT","events":[{"introduced":"abc"}]}]}]}"#;
        assert!(matches!(parse_json(git).unwrap(), Outcome::Skipped(_)));
    }

    #[test]
    fn malformed_documents_are_errors_not_panics() {
        assert!(parse_json(b"{").is_err());
        assert!(parse_json(b"[]").is_err());
        assert!(parse_json(br#"{"id": 5}"#).is_err());
        assert!(parse_yaml("id: [unterminated").is_err());
    }

    #[test]
    fn severity_from_vectors_and_ghsa_rating() {
        let json = br#"{"id":"GHSA-x","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
          "database_specific":{"severity":"MODERATE"},
          "affected":[{"package":{"name":"lodash","ecosystem":"npm"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#;
        let a = advisory(parse_json(json).unwrap());
        assert_eq!(a.severity, Some(Severity::Medium));
        assert!((a.cvss[0].score - 9.8).abs() < 0.01);
    }
}
