//! The result of one scan.

use crate::asset::Asset;
use crate::finding::Finding;
use crate::package::Package;
use crate::severity::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON report layout (`docs/report-schema.md`). Bumped on incompatible changes.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Which scanner made a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannerInfo {
    pub name: String,
    pub version: String,
}

/// The vulnerability database a report was matched against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub path: String,
    /// Database format version.
    pub format_version: u32,
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// Age at scan time, in hours.
    pub age_hours: f64,
    /// Content checksum.
    pub checksum: String,
    /// Source name → number of advisories.
    pub sources: BTreeMap<String, u64>,
}

/// Time spent in one stage of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub stage: String,
    pub millis: f64,
}

/// Something that went wrong without failing the scan (a malformed file, an unreadable directory).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanWarning {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
}

/// Counts of unsuppressed findings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub suppressed: usize,
    pub packages: usize,
    pub known_exploited: usize,
    pub fixable: usize,
}

/// A scan's result: target, provenance, inventory, findings and summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub target: Asset,
    pub scanner: ScannerInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseInfo>,
    /// When the scan started (RFC 3339).
    pub created_at: String,
    #[serde(default)]
    pub timings: Vec<Timing>,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub warnings: Vec<ScanWarning>,
    /// Every check evaluated on every subject with its outcome, when the analyzer records them (posture
    /// scans do; vulnerability scans do not). Findings are the failures among them; JUnit output lists
    /// passes too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckOutcome>,
    /// Compliance summaries for the frameworks asked for (`--framework`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compliance: Vec<crate::ComplianceSummary>,
    /// Per-image rows and per-base counts of a multi-image scan (`rampart registry scan`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<crate::ImagesRollup>,
    pub summary: Summary,
}

/// The outcome of one check on one subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub rule_id: String,
    /// The resource or file the check ran on (a finding's `subject`).
    pub subject: String,
    pub status: CheckStatus,
}

/// Sorts findings most severe, known-exploited and likeliest first, then by rule id and fingerprint;
/// findings equal on all of these keep their order (as a stable sort would).
///
/// The order is worked out on compact keys (rule ids ranked once, so comparisons are mostly
/// integers) and then applied in place, so the findings themselves are moved once each instead of
/// at every step of the sort.
pub fn sort_findings(findings: &mut [Finding]) {
    let order = sorted_order(findings);
    apply_order(findings, order);
}

/// The index of the finding that belongs at each position of the sorted list.
fn sorted_order(findings: &[Finding]) -> Vec<usize> {
    let mut rules: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let rank = |rule: &str| rules.binary_search(&rule).unwrap_or(usize::MAX);
    let mut keys: Vec<_> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (severity, kev, epss) = f.priority_key();
            (
                std::cmp::Reverse((severity, kev, epss)),
                rank(&f.rule_id),
                f.id.as_str(),
                i,
            )
        })
        .collect();
    // The index is the last key, so no two keys are equal and an unstable sort is stable here.
    keys.sort_unstable();
    keys.into_iter().map(|(.., i)| i).collect()
}

/// Rearranges `items` so that position `p` holds the item that was at `order[p]` (`order` is a
/// permutation), following each cycle of the permutation with swaps.
fn apply_order<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut pos = start;
        while order[pos] != DONE {
            let from = order[pos];
            order[pos] = DONE;
            if from == start {
                break;
            }
            items.swap(pos, from);
            pos = from;
        }
    }
}

/// Whether a check passed on a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    Pass,
    Fail,
    /// The check needed a value that is not known (e.g. computed at apply time).
    Unknown,
    /// The check does not apply, or was skipped by configuration.
    Skipped,
}

impl Report {
    /// An empty report for `target`, stamped with this build's scanner version and the current time.
    pub fn new(target: Asset, scanner_version: &str) -> Report {
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            target,
            scanner: ScannerInfo {
                name: "rampart".into(),
                version: scanner_version.into(),
            },
            database: None,
            created_at: jiff::Timestamp::now().to_string(),
            timings: Vec::new(),
            packages: Vec::new(),
            findings: Vec::new(),
            warnings: Vec::new(),
            checks: Vec::new(),
            compliance: Vec::new(),
            images: None,
            summary: Summary::default(),
        }
    }

    /// Sorts findings by priority (most severe, known-exploited, likeliest first) and recomputes the summary.
    pub fn finish(&mut self) {
        sort_findings(&mut self.findings);
        self.warnings.sort();
        self.warnings.dedup();
        let mut s = Summary {
            packages: self.packages.len(),
            ..Summary::default()
        };
        for sev in Severity::ALL_DESCENDING {
            s.by_severity.insert(sev, 0);
        }
        for f in &self.findings {
            if f.is_suppressed() {
                s.suppressed += 1;
                continue;
            }
            s.total += 1;
            *s.by_severity.entry(f.severity).or_default() += 1;
            if let Some(v) = &f.vulnerability {
                s.known_exploited += usize::from(v.kev.is_some());
                s.fixable += usize::from(!v.fixed_versions.is_empty());
            }
        }
        self.summary = s;
    }

    /// Unsuppressed findings at or above `min`.
    pub fn active_findings(&self, min: Severity) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |f| !f.is_suppressed() && f.severity >= min)
    }

    /// Records how long a stage took.
    pub fn time(&mut self, stage: &str, elapsed: std::time::Duration) {
        self.timings.push(Timing {
            stage: stage.into(),
            millis: elapsed.as_secs_f64() * 1000.0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingKind;

    /// The order `Report::finish` promises, as a plain stable sort.
    fn reference_sort(findings: &mut [Finding]) {
        findings.sort_by(|a, b| {
            b.priority_key()
                .cmp(&a.priority_key())
                .then_with(|| a.rule_id.cmp(&b.rule_id))
                .then_with(|| a.id.cmp(&b.id))
        });
    }

    #[test]
    fn sort_findings_matches_a_stable_sort_on_the_same_keys() {
        let severities = [Severity::Low, Severity::Critical, Severity::Medium];
        let mut findings: Vec<Finding> = (0..200)
            .map(|i| {
                // few subjects, so fingerprints repeat: equal keys must keep their order
                let mut f = Finding::new(
                    FindingKind::Misconfiguration,
                    format!("rule-{}", (i * 7) % 5),
                    "title",
                    severities[i % 3],
                    "asset",
                    format!("Pod/ns/p{}", i % 4),
                );
                f.remediation = format!("{i}");
                f
            })
            .collect();
        let mut expected = findings.clone();
        reference_sort(&mut expected);
        sort_findings(&mut findings);
        assert_eq!(findings, expected);
    }

    #[test]
    fn apply_order_follows_every_cycle() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        apply_order(&mut items, vec![3, 0, 4, 1, 2]);
        assert_eq!(items, vec!['d', 'a', 'e', 'b', 'c']);
    }
}
