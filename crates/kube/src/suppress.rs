//! Suppressions: the `rampart.dev/ignore` annotation on an object, and a suppression file.
//!
//! A suppressed finding is kept, marked with a core [`Suppression`], and no longer counts for the
//! compliance summary or the exit code.
//!
//! File format (YAML):
//!
//! ```yaml
//! ignore:
//!   - id: k8s:resource-limits          # rule id (`*` for every rule)
//!     resource: Deployment/prod/*      # optional glob on the resource address
//!     reason: sized by the VPA
//!     expires: 2027-01-31              # optional; the rule stops applying after this date
//! ```

use crate::error::SuppressionError;
use crate::load::LoadOptions;
use crate::object::KubeObject;
use rampart_core::{Finding, ScanWarning, Suppression, SuppressionSource};
use serde::Deserialize;
use std::path::Path;

/// The annotation listing rule ids to ignore on an object (comma separated).
pub const IGNORE_ANNOTATION: &str = "rampart.dev/ignore";
/// The annotation giving the reason for [`IGNORE_ANNOTATION`].
pub const IGNORE_REASON_ANNOTATION: &str = "rampart.dev/ignore-reason";

/// One rule of a suppression file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressionRule {
    pub id: String,
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub reason: String,
    /// `YYYY-MM-DD`; the rule applies up to and including this day.
    #[serde(default)]
    pub expires: Option<String>,
}

/// A parsed suppression file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressionFile {
    #[serde(default)]
    pub ignore: Vec<SuppressionRule>,
    /// Where the file was read from (set by the loaders).
    #[serde(skip)]
    pub origin: String,
}

impl SuppressionFile {
    /// Parses a suppression file's text; `origin` names it in errors and in suppressions.
    pub fn parse(text: &str, origin: &str) -> Result<SuppressionFile, SuppressionError> {
        let mut file: SuppressionFile = if text.trim().is_empty() {
            SuppressionFile::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| SuppressionError::Parse {
                path: origin.to_string(),
                message: e.to_string().lines().next().unwrap_or("").to_string(),
            })?
        };
        for (index, rule) in file.ignore.iter().enumerate() {
            let bad = |message: &str| SuppressionError::Rule {
                path: origin.to_string(),
                index: index + 1,
                message: message.to_string(),
            };
            if rule.id.trim().is_empty() {
                return Err(bad("id is empty"));
            }
            if let Some(date) = &rule.expires
                && parse_date(date).is_none()
            {
                return Err(bad("expires must be a date YYYY-MM-DD"));
            }
        }
        file.origin = origin.to_string();
        Ok(file)
    }

    /// Reads and parses a suppression file (bounded like manifests).
    pub fn load(path: &Path) -> Result<SuppressionFile, SuppressionError> {
        let opts = LoadOptions::default();
        let mut text = String::new();
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| crate::LoadError::Io {
            path: name.clone(),
            source,
        })?;
        use std::io::Read;
        file.take(opts.max_file_bytes)
            .read_to_string(&mut text)
            .map_err(|source| crate::LoadError::Io {
                path: name.clone(),
                source,
            })?;
        SuppressionFile::parse(&text, &name)
    }
}

/// A calendar date as (year, month, day).
pub type Date = (i32, u32, u32);

fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.get(..2)?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// Today's date in UTC from the system clock.
pub fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        i32::try_from(y).unwrap_or(i32::MAX),
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// `*` matches any run of characters (including `/`), `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The ids listed in an object's ignore annotation (also read from a workload's pod template).
fn annotation_ids(obj: &KubeObject) -> Option<(Vec<String>, String)> {
    let template = crate::podspec::pod_spec(obj).and_then(|p| {
        p.metadata
            .get("annotations")
            .and_then(|a| a.get(IGNORE_ANNOTATION))
            .and_then(serde_json::Value::as_str)
            .map(|ids| {
                let reason = p
                    .metadata
                    .get("annotations")
                    .and_then(|a| a.get(IGNORE_REASON_ANNOTATION))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_string();
                (ids.to_string(), reason)
            })
    });
    let (ids, reason) = match obj.annotations.get(IGNORE_ANNOTATION) {
        Some(ids) => (
            ids.clone(),
            obj.annotations
                .get(IGNORE_REASON_ANNOTATION)
                .cloned()
                .unwrap_or_default(),
        ),
        None => template?,
    };
    let ids = ids
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some((ids, reason))
}

/// Marks a finding suppressed by its object's annotation, if it lists the finding's rule.
pub(crate) fn apply_annotation(finding: &mut Finding, obj: Option<&KubeObject>) {
    if finding.suppressed.is_some() {
        return;
    }
    let Some(obj) = obj else { return };
    let Some((ids, reason)) = annotation_ids(obj) else {
        return;
    };
    if ids.iter().any(|id| id == "*" || id == &finding.rule_id) {
        finding.suppressed = Some(Suppression {
            source: SuppressionSource::Annotation,
            status: "ignored by annotation".into(),
            justification: reason,
            origin: format!("{IGNORE_ANNOTATION} on {}", obj.address()),
        });
    }
}

/// Applies suppression files to findings. Expired rules do not apply; each expired rule that would
/// have matched yields one warning.
pub(crate) fn apply_files(
    findings: &mut [Finding],
    files: &[SuppressionFile],
    today: Date,
    warnings: &mut Vec<ScanWarning>,
) {
    for file in files {
        for (index, rule) in file.ignore.iter().enumerate() {
            let expired = rule
                .expires
                .as_deref()
                .and_then(parse_date)
                .is_some_and(|d| d < today);
            let mut matched = false;
            for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
                let id_ok = rule.id == "*" || rule.id == f.rule_id;
                let res_ok = rule
                    .resource
                    .as_deref()
                    .is_none_or(|g| glob_match(g, &f.subject));
                if !(id_ok && res_ok) {
                    continue;
                }
                matched = true;
                if !expired {
                    f.suppressed = Some(Suppression {
                        source: SuppressionSource::IgnoreFile,
                        status: "ignored".into(),
                        justification: rule.reason.clone(),
                        origin: file.origin.clone(),
                    });
                }
            }
            if expired && matched {
                warnings.push(ScanWarning {
                    path: file.origin.clone(),
                    line: None,
                    message: format!(
                        "suppression rule {} ({}) expired on {}; not applied",
                        index + 1,
                        rule.id,
                        rule.expires.as_deref().unwrap_or("")
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("Deployment/prod/*", "Deployment/prod/web"));
        assert!(glob_match("*/web", "Deployment/prod/web"));
        assert!(!glob_match("Deployment/dev/*", "Deployment/prod/web"));
        assert!(glob_match("Dep?oyment/*", "Deployment/x"));
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(parse_date("2027-01-31"), Some((2027, 1, 31)));
        assert_eq!(parse_date("2027-13-01"), None);
    }

    #[test]
    fn parses_file_and_rejects_bad_rules() {
        let f = SuppressionFile::parse(
            "ignore:\n  - id: k8s:host-port\n    resource: Deployment/*\n    reason: r\n    expires: 2030-01-01\n",
            "s.yaml",
        )
        .expect("valid");
        assert_eq!(f.ignore.len(), 1);
        assert!(SuppressionFile::parse("ignore:\n  - id: x\n    expires: soon\n", "s").is_err());
        assert!(SuppressionFile::parse("ignore:\n  - idd: x\n", "s").is_err());
    }
}
