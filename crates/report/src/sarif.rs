//! SARIF 2.1.0 (OASIS), shaped the way GitHub code scanning reads it: one run, one rule per distinct
//! rule id with a `security-severity` score, one result per shown finding with a partial fingerprint.

use crate::{RenderError, RenderOptions};
use rampart_core::{AssetKind, Finding, FixState, Location, Report, Severity, VulnerabilityInfo};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The workspace `repository` URL (the crate inherits it in Cargo.toml).
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
const ROOT: &str = "ROOTPATH";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    full_name: String,
    version: String,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: String,
    precision: &'static str,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
}

/// Writes the shown findings (unsuppressed, at or above the minimum severity) as a SARIF log.
pub fn render(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for f in crate::shown(report, opts) {
        let index = *rule_index.entry(f.rule_id.clone()).or_insert_with(|| {
            rules.push(rule(f));
            rules.len() - 1
        });
        results.push(result(report, f, index));
    }
    let mut base_ids = BTreeMap::new();
    if matches!(
        report.target.kind,
        AssetKind::Image | AssetKind::Rootfs | AssetKind::Host
    ) {
        // Paths in images and OS trees are relative to their root directory.
        base_ids.insert(
            ROOT,
            ArtifactLocation {
                uri: "file:///".into(),
                uri_base_id: None,
            },
        );
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "rampart",
                    full_name: format!("Rampart {}", report.scanner.version),
                    version: report.scanner.version.clone(),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            results,
            original_uri_base_ids: base_ids,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)?;
    Ok(())
}

/// The rule for a finding's rule id, described from the first finding that uses it.
fn rule(f: &Finding) -> Rule {
    let vuln = f.vulnerability.as_ref();
    let help_uri = vuln.and_then(|v| v.references.first().cloned());
    let mut help = f.title.clone();
    if !f.remediation.is_empty() {
        help = format!("{help}\n\n{}", f.remediation);
    }
    let mut tags = vec![kind_tag(f).to_string(), "security".to_string()];
    tags.push(f.severity.label().to_string());
    Rule {
        id: f.rule_id.clone(),
        name: rule_name(f),
        short_description: Text {
            text: first_line(&f.title),
        },
        full_description: Text {
            text: f.title.clone(),
        },
        help_uri,
        help: Text { text: help },
        default_configuration: Configuration {
            level: level(f.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(f),
            precision: "very-high",
            tags,
        },
    }
}

fn kind_tag(f: &Finding) -> String {
    crate::wire_name(f.kind)
}

/// A PascalCase name for the rule (SARIF `name` is meant to be an identifier-like label).
fn rule_name(f: &Finding) -> String {
    let mut name: String = kind_tag(f)
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|h| h.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    name.push_str(&f.rule_id.replace(|c: char| !c.is_ascii_alphanumeric(), ""));
    name
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        "(no title)".to_string()
    } else {
        line.to_string()
    }
}

/// critical/high → error, medium → warning, everything else → note.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Negligible | Severity::Unknown => "note",
    }
}

/// GitHub's `security-severity`: the highest CVSS base score, or a score typical of the severity
/// (the values Trivy uses) when no CVSS rating is known.
fn security_severity(f: &Finding) -> String {
    let best = f
        .vulnerability
        .iter()
        .flat_map(|v| v.cvss.iter())
        .map(|c| c.score)
        .filter(|s| s.is_finite())
        .fold(None, |acc: Option<f64>, s| {
            Some(acc.map_or(s, |a| a.max(s)))
        });
    let score = best.unwrap_or(match f.severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Negligible | Severity::Unknown => 0.0,
    });
    format!("{:.1}", score.clamp(0.0, 10.0))
}

fn result(report: &Report, f: &Finding, rule_index: usize) -> SarifResult {
    let text = match &f.vulnerability {
        Some(v) => vulnerability_message(f, v),
        None => f.title.clone(),
    };
    let mut places: Vec<&Location> = match &f.vulnerability {
        Some(v) => v.package.locations.iter().collect(),
        None => Vec::new(),
    };
    if places.is_empty() {
        places = f
            .evidence
            .iter()
            .filter_map(|e| e.location.as_ref())
            .collect();
    }
    let mut locations: Vec<SarifLocation> = places.into_iter().map(location).collect();
    if locations.is_empty() {
        locations.push(location(&Location::new(report.target.name.clone())));
    }
    SarifResult {
        rule_id: f.rule_id.clone(),
        rule_index,
        level: level(f.severity),
        message: Text { text },
        locations,
        partial_fingerprints: BTreeMap::from([("rampart/v1", f.id.to_string())]),
    }
}

fn vulnerability_message(f: &Finding, v: &VulnerabilityInfo) -> String {
    let fix = match (v.fixed_versions.is_empty(), v.fix_state) {
        (false, _) => format!("Fixed version: {}", v.fixed_versions.join(", ")),
        (true, FixState::WontFix) => "Fixed version: none (will not be fixed)".to_string(),
        (true, _) => "Fixed version: none yet".to_string(),
    };
    let mut text = format!(
        "Package: {}\nInstalled version: {}\nVulnerability: {}\nSeverity: {}\n{fix}",
        v.package.name,
        v.installed_version,
        v.id,
        f.severity.label()
    );
    if v.kev.is_some() {
        text.push_str("\nKnown exploited (CISA KEV)");
    }
    if !f.title.is_empty() {
        text.push_str(&format!("\n{}", f.title));
    }
    text
}

fn location(l: &Location) -> SarifLocation {
    SarifLocation {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: relative_uri(&l.path),
                uri_base_id: Some(ROOT),
            },
            region: Region {
                start_line: l.line.filter(|n| *n > 0).unwrap_or(1),
                end_line: l.end_line.filter(|n| *n > l.line.unwrap_or(1)),
            },
        },
    }
}

/// A relative URI reference for a `/`-separated path: leading slashes dropped, characters outside
/// RFC 3986 `pchar` percent-encoded, and a `./` prefix where the first segment holds a colon (it
/// would otherwise read as a scheme).
fn relative_uri(path: &str) -> String {
    let trimmed = path.trim_start_matches('/');
    let mut out = String::with_capacity(trimmed.len());
    for b in trimmed.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    let first = out.split('/').next().unwrap_or("");
    if first.contains(':') {
        out.insert_str(0, "./");
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn information_uri_is_set() {
        assert!(
            INFORMATION_URI.starts_with("https://"),
            "{INFORMATION_URI:?}"
        );
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Unknown), "note");
    }

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(relative_uri("/usr/lib/x y"), "usr/lib/x%20y");
        assert_eq!(relative_uri("c:/win"), "./c:/win");
        assert_eq!(relative_uri(""), ".");
        assert_eq!(
            relative_uri("app/package-lock.json"),
            "app/package-lock.json"
        );
    }
}
