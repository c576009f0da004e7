//! The scan entry point: Pod Security Standards and built-in checks over loaded objects, as core
//! findings with controls, evidence and suppressions.

use crate::checks::{self, CheckInfo};
use crate::object::KubeObject;
use crate::podspec::pod_specs;
use crate::pss::{self, CheckResult, Level, PolicyVersion};
use crate::suppress::{self, Date, SuppressionFile};
use rampart_core::{Finding, FindingKind, ScanWarning};
use std::collections::HashMap;

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
    /// Run the RBAC risk analysis (`rbac:*` findings, CIS 5.1.x) over the RBAC objects loaded.
    /// Off by default: `rampart k8s` turns it on; `rampart rbac analyze` runs it on its own.
    pub rbac: bool,
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
            rbac: false,
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
    if options.rbac {
        let analysis = crate::rbac::analyze(objects);
        warnings.extend(analysis.warnings);
        findings.extend(rbac_findings(objects, analysis.findings));
    }
    let today = options.today.unwrap_or_else(suppress::today);
    suppress::apply_files(&mut findings, &options.suppressions, today, &mut warnings);
    (findings, warnings)
}

/// RBAC findings with the binding's (or, for a role-level finding, the role's) file and lines on
/// their evidence (so SARIF points at it) and that object's `rampart.dev/ignore` annotation applied.
/// A grant's subject ends with ` via RoleBinding ns/name` or ` via ClusterRoleBinding name`; a
/// role-level finding's subject is the role's address (`Role/ns/name`, `ClusterRole/name`).
fn rbac_findings(objects: &[KubeObject], found: Vec<Finding>) -> Vec<Finding> {
    let bindings: HashMap<String, &KubeObject> = objects
        .iter()
        .filter_map(|o| binding_label(o).map(|l| (l, o)))
        .collect();
    let roles: HashMap<String, &KubeObject> = objects
        .iter()
        .filter_map(|o| role_address(o).map(|a| (a, o)))
        .collect();
    found
        .into_iter()
        .map(|mut f| {
            let object = match f.subject.rsplit_once(" via ") {
                Some((_, label)) => bindings.get(label).copied(),
                None => roles.get(&f.subject).copied(),
            };
            // The first evidence is the binding or role; the workloads holding a grant keep no
            // location.
            if let (Some(o), Some(first)) = (object, f.evidence.first_mut()) {
                first.location.get_or_insert_with(|| o.source.location());
            }
            suppress::apply_annotation(&mut f, object);
            f
        })
        .collect()
}

/// `Role/ns/name` or `ClusterRole/name`, as [`crate::rbac::risks::role_address`].
fn role_address(o: &KubeObject) -> Option<String> {
    if !o.api_version.starts_with("rbac.authorization.k8s.io/") {
        return None;
    }
    match o.kind.as_str() {
        "Role" => Some(format!(
            "Role/{}/{}",
            o.effective_namespace().unwrap_or("default"),
            o.name
        )),
        "ClusterRole" => Some(format!("ClusterRole/{}", o.name)),
        _ => None,
    }
}

/// `RoleBinding ns/name` or `ClusterRoleBinding name`, as [`crate::rbac::model::Binding::label`].
fn binding_label(o: &KubeObject) -> Option<String> {
    if !o.api_version.starts_with("rbac.authorization.k8s.io/") {
        return None;
    }
    match o.kind.as_str() {
        "RoleBinding" => Some(format!(
            "RoleBinding {}/{}",
            o.effective_namespace().unwrap_or("default"),
            o.name
        )),
        "ClusterRoleBinding" => Some(format!("ClusterRoleBinding {}", o.name)),
        _ => None,
    }
}

/// Every (check id, subject) pair [`scan`] evaluates with these options: a pair without a finding
/// passed. Workload checks and the Pod Security Standards checks (those in force at baseline and at
/// the level asked for, at the version) per workload; the default-namespace check per namespaced object of the kinds it
/// reports; NetworkPolicy coverage per namespace with workloads; exposure checks per Service or
/// Ingress; with `rbac`, every grant's `rbac:*` check per (binding, subject) and
/// `rbac:unbound-risky-role` per role. Sorted, without duplicates.
pub fn evaluated(objects: &[KubeObject], options: &ScanOptions) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(level) = options.pss_level {
        // pss_findings evaluates baseline always, and the level asked for on top.
        let mut ids: Vec<String> = pss::applicable_checks(Level::Baseline, options.version)
            .iter()
            .chain(&pss::applicable_checks(level, options.version))
            .map(|d| format!("pss:{}", d.id))
            .collect();
        ids.sort();
        ids.dedup();
        for pod in pod_specs(objects) {
            let address = pod.object.address();
            out.extend(ids.iter().map(|id| (id.clone(), address.clone())));
        }
    }
    if options.builtin_checks {
        out.extend(
            checks::evaluated(objects)
                .into_iter()
                .map(|(id, subject)| (id.to_string(), subject)),
        );
    }
    if options.rbac {
        use crate::rbac::risks::{UNBOUND_RISKY_ROLE, role_address};
        let model = crate::rbac::Model::from_objects(objects);
        let role_level = format!("rbac:{}", UNBOUND_RISKY_ROLE.slug);
        let ids: Vec<String> = crate::rbac::risks::check_ids()
            .into_iter()
            .filter(|id| *id != role_level)
            .collect();
        for b in &model.bindings {
            for s in &b.subjects {
                let subject = format!("{s} via {}", b.label());
                out.extend(ids.iter().map(|id| (id.clone(), subject.clone())));
            }
        }
        out.extend(
            model
                .roles
                .iter()
                .map(|r| (role_level.clone(), role_address(r))),
        );
    }
    out.sort();
    out.dedup();
    out
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

/// CIS Kubernetes Benchmark (5.2.x), NSA/CISA and MITRE ATT&CK mappings of the PSS checks. Every
/// check carries at least one ATT&CK technique (Kubescape's and Microsoft's threat matrix for
/// Kubernetes mappings, ATT&CK for Containers ids): container escape (T1611) and kernel exploitation
/// for privilege escalation (T1068) for what widens the container's reach into the node.
pub(crate) fn pss_extra_controls(id: &str) -> &'static [(&'static str, &'static str)] {
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
            (MITRE, "T1611"),
            (MITRE, "T1068"),
        ],
        "capabilities_baseline" => &[(CIS, "5.2.9"), (NSA, POD), (MITRE, "T1611")],
        "capabilities_restricted" => &[
            (CIS, "5.2.8"),
            (CIS, "5.2.10"),
            (NSA, POD),
            (MITRE, "T1611"),
            (MITRE, "T1068"),
        ],
        "windowsHostProcess" => &[(CIS, "5.2.11"), (NSA, POD), (MITRE, "T1611")],
        "hostPathVolumes" => &[(CIS, "5.2.12"), (NSA, POD), (MITRE, "T1611")],
        // A host port publishes the container on the node's address, outside Services and policies.
        "hostPorts" => &[(CIS, "5.2.13"), (NSA, POD), (MITRE, "T1133")],
        // Without seccomp every syscall reaches the kernel: kernel exploits and escapes.
        "seccompProfile_baseline" | "seccompProfile_restricted" => &[
            (CIS, "5.7.2"),
            (NSA, POD),
            (MITRE, "T1611"),
            (MITRE, "T1068"),
        ],
        "procMount" | "procMount_restricted" => &[(NSA, POD), (MITRE, "T1611")],
        // Probes and lifecycle hooks aimed at other hosts reach services the pod could not.
        "hostProbesAndHostLifecycle" => &[(NSA, POD), (MITRE, "T1046")],
        // appArmorProfile, seLinuxOptions, sysctls, restrictedVolumes: weaker isolation from the node.
        _ => &[(NSA, POD), (MITRE, "T1611")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, load_str};

    #[test]
    fn unbound_role_findings_point_at_the_role_and_honour_its_annotation() {
        let role = |annotations: &str| {
            format!(
                "# roles\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: ns\n  annotations: {annotations}\nrules: [{{apiGroups: [''], resources: [secrets], verbs: [list]}}]\n"
            )
        };
        let options = ScanOptions {
            rbac: true,
            ..ScanOptions::default()
        };
        let run = |yaml: &str| {
            let l = load_str(yaml, "roles.yaml", &LoadOptions::default());
            let (findings, _) = scan(&l.objects, &options);
            findings
                .into_iter()
                .find(|f| f.rule_id == "rbac:unbound-risky-role")
        };
        let f = run(&role("{}")).expect("finding");
        assert_eq!(f.subject, "Role/ns/r");
        let at = f.evidence.first().and_then(|e| e.location.clone());
        assert_eq!(
            at.map(|l| (l.path, l.line)),
            Some(("roles.yaml".into(), Some(2)))
        );
        let ignored = run(&role("{rampart.dev/ignore: rbac:unbound-risky-role}")).expect("finding");
        assert!(ignored.is_suppressed());
        // Evaluated per role, not per binding.
        let l = load_str(&role("{}"), "roles.yaml", &LoadOptions::default());
        assert!(
            evaluated(&l.objects, &options)
                .contains(&("rbac:unbound-risky-role".into(), "Role/ns/r".into()))
        );
    }
}
