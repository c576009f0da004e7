//! Frameworks as data: controls mapped to check ids, and compliance summaries over findings.
//!
//! Convention for check ids: Pod Security Standards checks are `pss:<name>` with the name Kubernetes
//! uses (`pss:privileged`, `pss:hostNamespaces`, `pss:capabilities_baseline`); other built-in Kubernetes
//! checks are `k8s:<slug>`; Gatekeeper constraints `gatekeeper:<template>/<constraint>`; kubescape
//! controls `kubescape:C-XXXX`; user rules `rego:<rule>`.

use crate::check::CheckId;
use crate::error::{PolicyError, Result};
use rampart_core::finding::Finding;
use rampart_core::{ComplianceSummary, ControlResult, ControlStatus};
use serde::{Deserialize, Serialize};

/// One control of a framework and the checks that decide it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkControl {
    pub id: String,
    pub title: String,
    /// The control fails when any of these checks fails; it passes when at least one of them was
    /// evaluated and none failed; otherwise it is not applicable.
    pub checks: Vec<CheckId>,
}

/// A compliance framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub version: String,
    pub controls: Vec<FrameworkControl>,
}

const BUILTIN: [(&str, &str); 4] = [
    (
        "pss-baseline",
        include_str!("../frameworks/pss-baseline.yaml"),
    ),
    (
        "pss-restricted",
        include_str!("../frameworks/pss-restricted.yaml"),
    ),
    ("nsa", include_str!("../frameworks/nsa-cisa.yaml")),
    (
        "cis-kubernetes",
        include_str!("../frameworks/cis-kubernetes.yaml"),
    ),
];

impl Framework {
    /// Parses a framework definition (YAML or JSON).
    pub fn parse(origin: &str, text: &str) -> Result<Framework> {
        serde_saphyr::from_str(text).map_err(|e| PolicyError::Parse {
            path: origin.to_string(),
            line: e
                .location()
                .map(|l| u32::try_from(l.line()).unwrap_or(u32::MAX)),
            message: e.to_string().lines().next().unwrap_or("").to_string(),
        })
    }

    /// The ids of the frameworks shipped with Rampart.
    pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(id, _)| *id)
    }

    /// A shipped framework by id (`pss-baseline`, `pss-restricted`, `nsa`, `cis-kubernetes`; also
    /// `nsa-cisa`, `cis`).
    pub fn builtin(id: &str) -> Option<Framework> {
        let id = match id {
            "nsa-cisa" => "nsa",
            "cis" => "cis-kubernetes",
            other => other,
        };
        let (_, text) = BUILTIN.iter().find(|(k, _)| *k == id)?;
        Framework::parse(id, text).ok()
    }

    /// Every check id any control refers to.
    pub fn check_ids(&self) -> impl Iterator<Item = &CheckId> {
        self.controls.iter().flat_map(|c| c.checks.iter())
    }
}

/// Judges every control of `framework` from the findings (by rule id, or by a finding's own control
/// mapping to this framework) and the checks that were evaluated.
pub fn compliance_summary(
    framework: &Framework,
    findings: &[Finding],
    evaluated_checks: &[CheckId],
) -> ComplianceSummary {
    let active: Vec<&Finding> = findings.iter().filter(|f| !f.is_suppressed()).collect();
    let mut controls = Vec::with_capacity(framework.controls.len());
    for c in &framework.controls {
        let mut failing: Vec<String> = active
            .iter()
            .filter(|f| {
                c.checks.iter().any(|id| id.as_str() == f.rule_id)
                    || f.controls
                        .iter()
                        .any(|fc| fc.framework == framework.id && fc.id == c.id)
            })
            .map(|f| f.subject.clone())
            .collect();
        failing.sort();
        failing.dedup();
        let status = if !failing.is_empty() {
            ControlStatus::Failed
        } else if c.checks.iter().any(|id| evaluated_checks.contains(id)) {
            ControlStatus::Passed
        } else {
            ControlStatus::NotApplicable
        };
        controls.push(ControlResult {
            id: c.id.clone(),
            title: c.title.clone(),
            status,
            failing,
        });
    }
    let version = (!framework.version.is_empty()).then(|| framework.version.clone());
    ComplianceSummary::from_controls(&framework.id, &framework.name, version, controls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::finding::FindingKind;
    use rampart_core::severity::Severity;

    #[test]
    fn builtin_frameworks_parse() {
        for id in Framework::builtin_ids() {
            let f = Framework::builtin(id).unwrap_or_else(|| panic!("{id} does not parse"));
            assert!(!f.controls.is_empty(), "{id}");
            assert!(f.check_ids().all(|c| c.as_str().contains(':')), "{id}");
        }
        assert_eq!(
            Framework::builtin("pss-restricted").map(|f| f.controls.len()),
            Some(16)
        );
    }

    /// Every check id a built-in framework names exists: `k8s:*`, `pss:*` and `rbac:*` in the kube
    /// crate's catalogues (listed in `crates/kube/check-ids.txt`, which a kube test keeps equal to
    /// them), `kubescape:C-*` among the regolibrary controls. Any other prefix (node `cis-*/…`, IaC
    /// ids) has no catalogue a manifest framework could use, so it fails too.
    #[test]
    fn builtin_frameworks_reference_existing_checks() {
        let kube: std::collections::BTreeSet<&str> = include_str!("../../kube/check-ids.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(kube.contains("pss:privileged") && kube.contains("rbac:read-secrets"));
        // The regolibrary's `AllControls` framework names every control (its `controls/` folder
        // here holds only a subset).
        let kubescape: Option<String> =
            rampart_testkit::shared("testdata/kubescape-regolibrary/frameworks/allcontrols.json")
                .map(|p| std::fs::read_to_string(p).expect("read allcontrols.json"));
        let mut missing = Vec::new();
        for id in Framework::builtin_ids() {
            let f = Framework::builtin(id).unwrap_or_else(|| panic!("{id} does not parse"));
            for check in f.check_ids() {
                let c = check.as_str();
                let found = match c.split_once(':') {
                    Some(("k8s" | "pss" | "rbac", _)) => kube.contains(c),
                    Some(("kubescape", control)) => {
                        let well_formed = control.len() == 6
                            && control.starts_with("C-")
                            && control[2..].bytes().all(|b| b.is_ascii_digit());
                        well_formed
                            && kubescape
                                .as_ref()
                                .is_none_or(|all| all.contains(&format!("\"{control}\"")))
                    }
                    _ => false,
                };
                if !found {
                    missing.push(format!("{id}: {c}"));
                }
            }
        }
        assert!(missing.is_empty(), "checks that exist nowhere: {missing:?}");
    }

    #[test]
    fn summary_counts_controls() {
        let fw = Framework::builtin("pss-baseline").expect("baseline");
        let f = Finding::new(
            FindingKind::Misconfiguration,
            "pss:privileged",
            "Privileged",
            Severity::High,
            "a",
            "Pod/x/p",
        );
        let evaluated: Vec<CheckId> = fw.check_ids().cloned().collect();
        let s = compliance_summary(&fw, &[f], &evaluated);
        assert_eq!(s.failed, 1);
        assert_eq!(s.passed, fw.controls.len() - 1);
        assert!(s.score > 90.0 && s.score < 100.0);
        let none = compliance_summary(&fw, &[], &[]);
        assert_eq!(none.not_applicable, fw.controls.len());
        assert_eq!(none.score, 100.0);
    }
}
