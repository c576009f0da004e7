//! Node.js security working group npm advisories (`vuln/npm/N.json`).

use super::IngestError;
use crate::cvss::score_vector;
use crate::model::{Advisory, Affected, Range};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Doc {
    id: u64,
    #[serde(default)]
    title: String,
    module_name: String,
    #[serde(default)]
    cves: Option<Vec<String>>,
    #[serde(default)]
    vulnerable_versions: Option<String>,
    #[serde(default)]
    patched_versions: Option<String>,
    #[serde(default)]
    publish_date: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    references: Option<Vec<String>>,
    #[serde(default)]
    cvss_vector: Option<String>,
}

/// Parses one advisory.
pub fn parse(bytes: &[u8]) -> Result<Advisory, IngestError> {
    let d: Doc = serde_json::from_slice(bytes).map_err(|e| IngestError::Parse {
        line: Some(e.line() as u32),
        message: e.to_string(),
    })?;
    let vulnerable = d.vulnerable_versions.unwrap_or_default();
    if vulnerable.trim().is_empty() {
        return Err(IngestError::Parse {
            line: None,
            message: "no vulnerable_versions".into(),
        });
    }
    Ok(Advisory {
        id: format!("NSWG-ECO-{}", d.id),
        aliases: d.cves.unwrap_or_default(),
        summary: d.title,
        cvss: d
            .cvss_vector
            .as_deref()
            .and_then(score_vector)
            .into_iter()
            .collect(),
        published: d.publish_date,
        modified: d.updated_at,
        references: d
            .references
            .unwrap_or_default()
            .into_iter()
            .take(8)
            .collect(),
        source: "nodejs-security-wg".into(),
        affected: vec![Affected {
            ecosystem: "npm".into(),
            package: d.module_name.to_ascii_lowercase(),
            ranges: vec![Range::Npm {
                vulnerable,
                patched: d.patched_versions.unwrap_or_default(),
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
    fn parses_a_real_shaped_advisory() {
        let json = br#"{"id":1,"title":"Arbitrary JavaScript Execution","module_name":"bassmaster","cves":["CVE-2014-7205"],
          "vulnerable_versions":"<=1.5.1","patched_versions":">=1.5.2","publish_date":"2014-09-27",
          "cvss_vector":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N","cvss_score":6.5}"#;
        let a = parse(json).unwrap();
        assert_eq!(a.id, "NSWG-ECO-1");
        assert_eq!(a.aliases, vec!["CVE-2014-7205"]);
        assert_eq!(a.affected[0].fixed_versions(), vec![">=1.5.2"]);
        assert!((a.cvss[0].score - 6.5).abs() < 0.01);
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse(b"{}").is_err());
        assert!(parse(br#"{"id":1,"module_name":"x"}"#).is_err());
    }
}
