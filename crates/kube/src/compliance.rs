//! Compliance summaries for the Pod Security Standards frameworks (`pss-baseline`, `pss-restricted`):
//! one control per check, passed / failed / not applicable, and a score.

use crate::error::UnknownName;
use crate::object::KubeObject;
use crate::podspec::pod_specs;
use crate::pss::{self, Level, PolicyVersion};
use rampart_core::{ComplianceSummary, ControlResult, ControlStatus, Finding};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// A supported framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Framework {
    PssBaseline,
    PssRestricted,
}

impl Framework {
    pub fn name(self) -> &'static str {
        self.level().framework()
    }

    pub fn level(self) -> Level {
        match self {
            Framework::PssBaseline => Level::Baseline,
            Framework::PssRestricted => Level::Restricted,
        }
    }
}

impl std::str::FromStr for Framework {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Framework, UnknownName> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pss-baseline" => Ok(Framework::PssBaseline),
            "pss-restricted" => Ok(Framework::PssRestricted),
            _ => Err(UnknownName {
                what: "framework",
                name: s.to_string(),
                expected: "pss-baseline, pss-restricted",
            }),
        }
    }
}

/// Summarises `findings` (from [`crate::scan`] with a PSS level at least the framework's) against
/// the framework's controls at `version`. Checks that do not exist at that version (or that the level
/// replaces) are not applicable, and so is everything when there are no workloads.
pub fn compliance(
    objects: &[KubeObject],
    findings: &[Finding],
    framework: Framework,
    version: PolicyVersion,
) -> ComplianceSummary {
    let level = framework.level();
    let workloads = pod_specs(objects).count();
    let applicable: Vec<&str> = pss::applicable_checks(level, version)
        .iter()
        .map(|d| d.id)
        .collect();
    // One pass over the findings: control id → failing subjects.
    let mut failing_by_id: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for f in findings.iter().filter(|f| !f.is_suppressed()) {
        for c in f
            .controls
            .iter()
            .filter(|c| c.framework == framework.name())
        {
            failing_by_id
                .entry(c.id.as_str())
                .or_default()
                .insert(f.subject.as_str());
        }
    }
    let mut controls = Vec::new();
    for def in pss::CHECKS.iter().filter(|d| d.level <= level) {
        let failing: Vec<String> = failing_by_id
            .get(def.id)
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        let status = if !applicable.contains(&def.id) || workloads == 0 {
            ControlStatus::NotApplicable
        } else if failing.is_empty() {
            ControlStatus::Passed
        } else {
            ControlStatus::Failed
        };
        controls.push(ControlResult {
            id: def.id.to_string(),
            title: def.title.to_string(),
            status,
            failing,
        });
    }
    let title = match framework.level() {
        Level::Baseline => "Pod Security Standards: baseline",
        Level::Restricted => "Pod Security Standards: restricted",
    };
    ComplianceSummary::from_controls(
        framework.name(),
        title,
        Some(format!("{version} ({workloads} workloads)")),
        controls,
    )
}
