//! Compliance summaries: how a scan's findings stand against the controls of one framework.

use serde::{Deserialize, Serialize};

/// The verdict on one control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    Passed,
    Failed,
    /// No evaluated check covers the control here (nothing it applies to, or a version without it).
    NotApplicable,
}

/// One control's line in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    /// Subjects (resources) with unsuppressed findings against this control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
}

/// A framework's compliance summary: controls passed, failed and not applicable, and a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceSummary {
    /// Framework id (`pss-restricted`, `nsa`, `cis-kubernetes-1.10`, …).
    pub framework: String,
    /// Human-readable framework name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The framework or platform version evaluated against, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
    /// passed / (passed + failed) × 100, one decimal; 100 when nothing applied.
    pub score: f64,
    pub controls: Vec<ControlResult>,
}

impl ComplianceSummary {
    /// Builds a summary from control results, computing the counts and the score.
    pub fn from_controls(
        framework: impl Into<String>,
        name: impl Into<String>,
        version: Option<String>,
        controls: Vec<ControlResult>,
    ) -> ComplianceSummary {
        let count = |s| controls.iter().filter(|c| c.status == s).count();
        let (passed, failed, not_applicable) = (
            count(ControlStatus::Passed),
            count(ControlStatus::Failed),
            count(ControlStatus::NotApplicable),
        );
        let score = if passed + failed == 0 {
            100.0
        } else {
            (passed as f64 * 1000.0 / (passed + failed) as f64).round() / 10.0
        };
        ComplianceSummary {
            framework: framework.into(),
            name: name.into(),
            version,
            passed,
            failed,
            not_applicable,
            score,
            controls,
        }
    }

    /// True when any control failed: the condition for `--exit-code`.
    pub fn any_failed(&self) -> bool {
        self.failed > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(id: &str, status: ControlStatus) -> ControlResult {
        ControlResult {
            id: id.into(),
            title: id.into(),
            status,
            failing: Vec::new(),
        }
    }

    #[test]
    fn score_counts_only_applicable_controls() {
        let s = ComplianceSummary::from_controls(
            "x",
            "X",
            None,
            vec![
                control("a", ControlStatus::Passed),
                control("b", ControlStatus::Passed),
                control("c", ControlStatus::Failed),
                control("d", ControlStatus::NotApplicable),
            ],
        );
        assert_eq!((s.passed, s.failed, s.not_applicable), (2, 1, 1));
        assert_eq!(s.score, 66.7);
        assert!(s.any_failed());
        let empty = ComplianceSummary::from_controls("x", "X", None, vec![]);
        assert_eq!(empty.score, 100.0);
    }
}
