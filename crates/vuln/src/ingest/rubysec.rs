//! RubySec advisories (`gems/NAME/ID.yml` of ruby-advisory-db).

use super::IngestError;
use crate::model::{Advisory, Affected, Range};
use rampart_core::Severity;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Doc {
    gem: String,
    #[serde(default)]
    cve: Option<serde_json::Value>,
    #[serde(default)]
    ghsa: Option<String>,
    #[serde(default)]
    osvdb: Option<serde_json::Value>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    date: Option<serde_json::Value>,
    #[serde(default)]
    cvss_v3: Option<f64>,
    #[serde(default)]
    cvss_v4: Option<f64>,
    #[serde(default)]
    patched_versions: Vec<String>,
    #[serde(default)]
    unaffected_versions: Vec<String>,
}

fn text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses one advisory; `file_stem` (e.g. `CVE-2020-8164`) is the id when the document names no CVE/GHSA.
pub fn parse(text_in: &str, file_stem: &str) -> Result<Advisory, IngestError> {
    let d: Doc = serde_saphyr::from_str(text_in).map_err(|e| IngestError::Parse {
        line: None,
        message: e.to_string(),
    })?;
    let cve = d.cve.as_ref().and_then(text).map(|c| format!("CVE-{c}"));
    let ghsa = d.ghsa.as_ref().map(|g| format!("GHSA-{g}"));
    let osvdb = d
        .osvdb
        .as_ref()
        .and_then(text)
        .map(|o| format!("OSVDB-{o}"));
    let id = cve
        .clone()
        .or_else(|| ghsa.clone())
        .unwrap_or_else(|| file_stem.to_string());
    let aliases = [cve, ghsa, osvdb]
        .into_iter()
        .flatten()
        .filter(|a| a != &id)
        .collect();
    let score = d.cvss_v4.or(d.cvss_v3);
    Ok(Advisory {
        id,
        aliases,
        summary: d.title.unwrap_or_default().replace('\n', " "),
        severity: score.map(Severity::from_cvss_score),
        published: d.date.as_ref().and_then(text),
        references: d.url.into_iter().collect(),
        source: "rubysec".into(),
        affected: vec![Affected {
            ecosystem: "RubyGems".into(),
            package: d.gem,
            ranges: vec![Range::Gem {
                patched: d.patched_versions,
                unaffected: d.unaffected_versions,
            }],
            ..Affected::default()
        }],
        ..Advisory::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_shaped_yaml() {
        let y = "---\ngem: actionpack\ncve: 2020-8164\nghsa: xp5h-f8jf-rc8q\nurl: https://groups.google.com/x\n\
title: Possible Strong Parameters Bypass\ndate: 2020-05-18\ncvss_v3: 7.5\n\
patched_versions:\n  - \"~> 5.2.4, >= 5.2.4.3\"\n  - \">= 6.0.3.1\"\nunaffected_versions:\n  - \"< 4.0.0\"\n";
        let a = parse(y, "CVE-2020-8164").unwrap();
        assert_eq!(a.id, "CVE-2020-8164");
        assert_eq!(a.aliases, vec!["GHSA-xp5h-f8jf-rc8q"]);
        assert_eq!(a.severity, Some(Severity::High));
        assert_eq!(a.published.as_deref(), Some("2020-05-18"));
        match &a.affected[0].ranges[0] {
            Range::Gem {
                patched,
                unaffected,
            } => {
                assert_eq!(patched.len(), 2);
                assert_eq!(unaffected, &vec!["< 4.0.0".to_string()]);
            }
            r => panic!("unexpected {r:?}"),
        }
    }

    #[test]
    fn rejects_non_gem_documents() {
        assert!(parse("engine: jruby\n", "x").is_err());
        assert!(parse("gem: [", "x").is_err());
    }
}
