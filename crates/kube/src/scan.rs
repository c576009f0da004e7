//! The scan entry point: Pod Security Standards and built-in checks over loaded objects, as core
//! findings with controls, evidence and suppressions.

use crate::checks::{self, CheckInfo};
use crate::object::KubeObject;
use crate::podspec::pod_specs;
use crate::pss::{self, CheckResult, Level, PolicyVersion};
use crate::suppress::{self, Date, SuppressionFile};
use rampart_core::{Finding, FindingKind, ScanWarning};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The scanned target's name (the path given, `-` for stdin); used as each finding's asset.
    pub asset: String,
    /// Policy version for the Pod Security Standards.
    pub version: PolicyVersion,
    /// Pod Security Standards failures up to this level become `pss:<check>` findings (`restricted`
    /// includes baseline); `None` for none.
    pub pss_level: Option<Level>,
    /// Run the built-in `k8s:*` checks.
    pub builtin_checks: bool,
    /// Suppression files to apply after the `rampart.dev/ignore` annotations.
    pub suppressions: Vec<SuppressionFile>,
    /// The date suppression expiry is judged against; `None` for today (UTC).
    pub today: Option<Date>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            asset: "kubernetes".into(),
            version: PolicyVersion::LATEST,
            pss_level: Some(Level::Restricted),
            builtin_checks: true,
            suppressions: Vec::new(),
            today: None,
        }
    }
}

/// Scans objects: returns findings (suppressed ones kept and marked) and warnings.
pub fn scan(objects: &[KubeObject], options: &ScanOptions) -> (Vec<Finding>, Vec<ScanWarning>) {
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    if let Some(level) = options.pss_level {
        findings.extend(pss_findings(objects, level, options));
    }
    if options.builtin_checks {
        for hit in checks::run_all(objects) {
            let mut f = check_finding(hit.check, &options.asset, &hit.subject);
            f.evidence = hit.evidence;
            suppress::apply_annotation(&mut f, hit.object);
            findings.push(f);
        }
    }
    let today = options.today.unwrap_or_else(suppress::today);
    suppress::apply_files(&mut findings, &options.suppressions, today, &mut warnings);
    (findings, warnings)
}

fn check_finding(check: &CheckInfo, asset: &str, subject: &str) -> Finding {
    let mut f = Finding::new(
        FindingKind::Misconfiguration,
        check.id,
        check.title,
        check.severity,
        asset,
        subject,
    )
    .with_remediation(check.remediation);
    for (framework, id) in check.controls {
        f = f.with_control(*framework, *id);
    }
    f
}

/// One `pss:<check>` finding per workload and denied check, with the levels it fails as controls.
fn pss_findings(objects: &[KubeObject], level: Level, options: &ScanOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in pod_specs(objects) {
        let baseline = pss::evaluate(pod.metadata, pod.spec, Level::Baseline, options.version);
        let restricted = if level == Level::Restricted {
            pss::evaluate(pod.metadata, pod.spec, Level::Restricted, options.version)
        } else {
            Vec::new()
        };
        let denied = |rs: &[CheckResult], id: &str| rs.iter().any(|r| !r.allowed && r.id == id);
        let mut seen: Vec<&str> = Vec::new();
        for r in baseline.iter().chain(&restricted).filter(|r| !r.allowed) {
            if seen.contains(&r.id) {
                continue;
            }
            seen.push(r.id);
            let Some(def) = pss::check(r.id) else {
                continue;
            };
            let mut f = Finding::new(
                FindingKind::Misconfiguration,
                format!("pss:{}", r.id),
                def.title,
                def.severity,
                &options.asset,
                pod.object.address(),
            )
            .with_remediation(def.remediation)
            .with_evidence(
                format!("{} ({})", pod.path, r.forbidden_reason),
                Some(pod.object.source.location()),
                r.forbidden_detail.clone(),
            );
            for lvl in [Level::Baseline, Level::Restricted] {
                let rs = if lvl == Level::Baseline {
                    &baseline
                } else {
                    &restricted
                };
                if denied(rs, r.id) {
                    f = f.with_control(lvl.framework(), r.id);
                }
            }
            for (framework, id) in pss_extra_controls(r.id) {
                f = f.with_control(*framework, *id);
            }
            suppress::apply_annotation(&mut f, Some(pod.object));
            out.push(f);
        }
    }
    out
}

/// CIS Kubernetes Benchmark (5.2.x) and MITRE ATT&CK mappings of the PSS checks.
fn pss_extra_controls(id: &str) -> &'static [(&'static str, &'static str)] {
    use checks::catalogue::{CIS, MITRE, NSA};
    const POD: &str = "Kubernetes Pod security: Pod security enforcement";
    match id {
        "privileged" => &[(CIS, "5.2.2"), (NSA, POD), (MITRE, "T1611")],
        "hostNamespaces" => &[
            (CIS, "5.2.3"),
            (CIS, "5.2.4"),
            (CIS, "5.2.5"),
            (NSA, POD),
            (MITRE, "T1611"),
        ],
        "allowPrivilegeEscalation" => &[(CIS, "5.2.6"), (NSA, POD), (MITRE, "T1548")],
        "runAsNonRoot" | "runAsUser" => &[
            (CIS, "5.2.7"),
            (
                NSA,
                "Kubernetes Pod security: Non-root containers and rootless container engines",
            ),
        ],
        "capabilities_baseline" => &[(CIS, "5.2.9"), (NSA, POD), (MITRE, "T1611")],
        "capabilities_restricted" => &[(CIS, "5.2.8"), (CIS, "5.2.10"), (NSA, POD)],
        "windowsHostProcess" => &[(CIS, "5.2.11"), (NSA, POD), (MITRE, "T1611")],
        "hostPathVolumes" => &[(CIS, "5.2.12"), (NSA, POD), (MITRE, "T1611")],
        "hostPorts" => &[(CIS, "5.2.13"), (NSA, POD)],
        "seccompProfile_baseline" | "seccompProfile_restricted" => &[(CIS, "5.7.2"), (NSA, POD)],
        "procMount" | "procMount_restricted" => &[(NSA, POD), (MITRE, "T1611")],
        _ => &[(NSA, POD)],
    }
}
