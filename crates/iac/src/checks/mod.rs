//! The check catalogue: AWS checks on normalised resources, each with a stable id, severity, remediation and
//! CIS AWS Foundations Benchmark v3.0.0 controls.

/// Declares a [`Check`] compactly: id, severity, title, description, resource types, CIS controls, the three
/// remediations (console, CLI, Terraform) and the evaluation function.
macro_rules! check {
    ($id:expr, $sev:ident, $title:expr, $desc:expr, $types:expr, $cis:expr,
     $console:expr, $cli:expr, $tf:expr, $eval:expr $(,)?) => {
        $crate::checks::Check {
            id: $id,
            title: $title,
            severity: rampart_core::Severity::$sev,
            description: $desc,
            remediation: $crate::checks::Remediation {
                console: $console,
                cli: $cli,
                terraform: $tf,
            },
            resource_types: &$types,
            cis: &$cis,
            eval: $eval,
        }
    };
}

pub mod aws;

use crate::resource::{Outcome, Resource, ResourceSet};
use crate::scan::UnknownOutcome;
use rampart_core::{Finding, FindingKind, Location, Severity};

/// The framework name findings carry in their controls.
pub const CIS_AWS: &str = "CIS AWS Foundations Benchmark v3.0.0";

/// How to fix a failed check, three ways.
#[derive(Debug, Clone, Copy)]
pub struct Remediation {
    pub console: &'static str,
    pub cli: &'static str,
    pub terraform: &'static str,
}

/// One check on resources of some types.
pub struct Check {
    /// Stable id (`AWS-S3-001`).
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub description: &'static str,
    pub remediation: Remediation,
    /// Terraform resource types it runs on.
    pub resource_types: &'static [&'static str],
    /// CIS AWS Foundations Benchmark v3.0.0 control ids.
    pub cis: &'static [&'static str],
    pub eval: fn(&Resource, &ResourceSet) -> Outcome,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("id", &self.id).finish()
    }
}

/// Every built-in check.
pub fn all() -> Vec<&'static Check> {
    aws::CATALOGUE.iter().flat_map(|m| m.iter()).collect()
}

/// The check with this id.
pub fn by_id(id: &str) -> Option<&'static Check> {
    all().into_iter().find(|c| c.id == id)
}

/// Runs every check (minus `skip`) on every resource of its types.
pub fn run(asset: &str, set: &ResourceSet, skip: &[String]) -> (Vec<Finding>, Vec<UnknownOutcome>) {
    let mut findings = Vec::new();
    let mut unknowns = Vec::new();
    for check in all() {
        if skip.iter().any(|s| s == check.id) {
            continue;
        }
        for t in check.resource_types {
            for r in set.of_type(t) {
                match (check.eval)(r, set) {
                    Outcome::Pass => {}
                    Outcome::Fail(detail) => findings.push(finding(asset, check, r, &detail)),
                    Outcome::Unknown(reason) => unknowns.push(UnknownOutcome {
                        check_id: check.id.to_string(),
                        address: r.address.clone(),
                        file: r.source.file.clone(),
                        line: r.source.start_line,
                        reason,
                    }),
                }
            }
        }
    }
    (findings, unknowns)
}

/// The finding for a failed check on `r`.
pub fn finding(asset: &str, check: &Check, r: &Resource, detail: &str) -> Finding {
    let loc = Location::with_lines(
        r.source.file.clone(),
        r.source.start_line,
        r.source.end_line,
    );
    let rem = check.remediation;
    let mut f = Finding::new(
        FindingKind::Misconfiguration,
        check.id,
        check.title,
        check.severity,
        asset,
        &r.address,
    )
    .with_evidence(r.resource_type.clone(), Some(loc), detail)
    .with_remediation(format!(
        "Console: {}\nAWS CLI: {}\nTerraform: {}",
        rem.console, rem.cli, rem.terraform
    ));
    for c in check.cis {
        f = f.with_control(CIS_AWS, *c);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn check_ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for c in all() {
            assert!(seen.insert(c.id), "duplicate {}", c.id);
            assert!(c.id.starts_with("AWS-") && c.id.len() > 8, "{}", c.id);
            assert!(
                !c.resource_types.is_empty() && !c.title.is_empty() && !c.description.is_empty()
            );
            let r = c.remediation;
            assert!(
                !r.console.is_empty() && !r.cli.is_empty() && !r.terraform.is_empty(),
                "{}",
                c.id
            );
            for cis in c.cis {
                assert!(
                    cis.split('.').all(|p| p.parse::<u32>().is_ok()),
                    "{}: {cis}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn every_checkov_mapping_names_existing_checks() {
        for (checkov, ours) in crate::checkov::MAPPING {
            for id in *ours {
                let known = if let Some(slug) = id.strip_prefix("k8s:") {
                    rampart_kube::checks::CATALOGUE
                        .iter()
                        .any(|c| c.id.strip_prefix("k8s:") == Some(slug))
                } else if let Some(pss) = id.strip_prefix("pss:") {
                    rampart_kube::pss::check(pss).is_some()
                } else if id.starts_with("rbac:") {
                    // The permission risks, the binding-shape risks and the role-level one.
                    rampart_kube::rbac::risks::check_ids()
                        .iter()
                        .any(|c| c == id)
                } else {
                    by_id(id).is_some() || id.starts_with("DOCKER-")
                };
                assert!(known, "{checkov} maps to unknown {id}");
            }
        }
    }
}
