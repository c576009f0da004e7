//! Risky grants as `rbac:*` entitlement findings with CIS Kubernetes 5.1.x and MITRE ATT&CK controls.

use super::authz::{is_full_wildcard, rule_covers};
use super::engine::Rbac;
use super::model::{Binding, Role, Rule, Subject};
use crate::checks::catalogue::{CIS, MITRE};
use rampart_core::{Finding, FindingKind, Severity};
use std::collections::HashSet;

/// A risk category: what grants it and how it is reported.
pub struct Risk {
    pub slug: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub cis: &'static str,
    pub mitre: &'static str,
    /// (verbs, group, resource) any of which triggers it.
    probes: &'static [(&'static [&'static str], &'static str, &'static str)],
    pub remediation: &'static str,
}

const WL: &[&str] = &["create", "update", "patch"];

/// The catalogue.
pub const RISKS: &[Risk] = &[
    Risk {
        slug: "wildcard-admin",
        title: "has all verbs on all resources (cluster-admin equivalent)",
        severity: Severity::Critical,
        cis: "5.1.1",
        mitre: "T1078",
        probes: &[],
        remediation: "Replace the wildcard grant with the specific verbs and resources the subject needs.",
    },
    Risk {
        slug: "read-secrets",
        title: "can read Secrets",
        severity: Severity::High,
        cis: "5.1.2",
        mitre: "T1552.007",
        probes: &[(&["get", "list", "watch"], "", "secrets")],
        remediation: "Remove get/list/watch on secrets, or restrict it with resourceNames.",
    },
    Risk {
        slug: "wildcard",
        title: "is granted wildcard verbs or resources",
        severity: Severity::Medium,
        cis: "5.1.3",
        mitre: "T1078",
        probes: &[],
        remediation: "List verbs and resources explicitly instead of using '*'.",
    },
    Risk {
        slug: "create-pods",
        title: "can create pods or exec/attach/port-forward into them",
        severity: Severity::High,
        cis: "5.1.4",
        mitre: "T1609",
        probes: &[
            (&["create"], "", "pods"),
            (&["create", "get"], "", "pods/exec"),
            (&["create", "get"], "", "pods/attach"),
            (&["create", "get"], "", "pods/portforward"),
            (&["create"], "", "pods/ephemeralcontainers"),
            (&["patch", "update"], "", "pods/ephemeralcontainers"),
        ],
        remediation: "Remove pod create/exec/attach/portforward access; use a deployment pipeline instead.",
    },
    Risk {
        slug: "create-workloads",
        title: "can create or change workloads",
        severity: Severity::Medium,
        cis: "5.1.4",
        mitre: "T1610",
        probes: &[
            (WL, "apps", "deployments"),
            (WL, "apps", "daemonsets"),
            (WL, "apps", "statefulsets"),
            (WL, "apps", "replicasets"),
            (WL, "batch", "jobs"),
            (WL, "batch", "cronjobs"),
            (WL, "", "replicationcontrollers"),
        ],
        remediation: "Limit workload changes to the deployment pipeline's service account.",
    },
    Risk {
        slug: "escalate-bind-impersonate",
        title: "can escalate, bind or impersonate",
        severity: Severity::Critical,
        cis: "5.1.8",
        mitre: "T1078",
        probes: &[
            (&["escalate", "bind"], "rbac.authorization.k8s.io", "roles"),
            (
                &["escalate", "bind"],
                "rbac.authorization.k8s.io",
                "clusterroles",
            ),
            (&["impersonate"], "", "users"),
            (&["impersonate"], "", "groups"),
            (&["impersonate"], "", "serviceaccounts"),
            (
                &["impersonate"],
                "authentication.k8s.io",
                "userextras/scopes",
            ),
            (&["impersonate"], "authentication.k8s.io", "uids"),
        ],
        remediation: "Remove escalate, bind and impersonate; grant roles through reviewed bindings.",
    },
    Risk {
        slug: "create-pv",
        title: "can create PersistentVolumes",
        severity: Severity::Medium,
        cis: "5.1.9",
        mitre: "T1611",
        probes: &[(&["create"], "", "persistentvolumes")],
        remediation: "Remove create on persistentvolumes; use StorageClasses.",
    },
    Risk {
        slug: "nodes-proxy",
        title: "can reach the kubelet API through nodes/proxy",
        severity: Severity::Critical,
        cis: "5.1.10",
        mitre: "T1609",
        probes: &[(&["get", "create"], "", "nodes/proxy")],
        remediation: "Remove access to nodes/proxy.",
    },
    Risk {
        slug: "approve-csr",
        title: "can approve certificate signing requests",
        severity: Severity::High,
        cis: "5.1.11",
        mitre: "T1649",
        probes: &[
            (
                &["update", "patch"],
                "certificates.k8s.io",
                "certificatesigningrequests/approval",
            ),
            (&["approve"], "certificates.k8s.io", "signers"),
        ],
        remediation: "Remove update on certificatesigningrequests/approval and approve on signers.",
    },
    Risk {
        slug: "modify-webhooks",
        title: "can modify admission webhook configurations",
        severity: Severity::High,
        cis: "5.1.12",
        mitre: "T1562",
        probes: &[
            (
                &["create", "update", "patch", "delete"],
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
            ),
            (
                &["create", "update", "patch", "delete"],
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations",
            ),
        ],
        remediation: "Restrict webhook configuration changes to cluster administrators.",
    },
    Risk {
        slug: "create-tokens",
        title: "can create service account tokens",
        severity: Severity::High,
        cis: "5.1.13",
        mitre: "T1528",
        probes: &[(&["create"], "", "serviceaccounts/token")],
        remediation: "Remove create on serviceaccounts/token.",
    },
];

/// A binding to `system:anonymous`, `system:unauthenticated` or `system:authenticated`.
pub const PUBLIC_BINDING: Risk = Risk {
    slug: "public-binding",
    title: "",
    severity: Severity::High,
    cis: "5.1.3",
    mitre: "T1078",
    probes: &[],
    remediation: "Remove anonymous/unauthenticated/all-authenticated subjects from the binding.",
};

/// `cluster-admin` bound to a non-system subject.
pub const CLUSTER_ADMIN_BINDING: Risk = Risk {
    slug: "cluster-admin-binding",
    title: "is bound to cluster-admin",
    severity: Severity::High,
    cis: "5.1.1",
    mitre: "T1078",
    probes: &[],
    remediation: "Bind a narrower role; reserve cluster-admin for break-glass use.",
};

/// A role bound to a namespace's `default` service account.
pub const DEFAULT_SA_BOUND: Risk = Risk {
    slug: "default-sa-bound",
    title: "default service account is granted a role",
    severity: Severity::Low,
    cis: "5.1.5",
    mitre: "T1078",
    probes: &[],
    remediation: "Give workloads their own service accounts; bind nothing to default.",
};

/// CIS 5.1.7: a binding naming the `system:masters` group, other than the bootstrap
/// `cluster-admin` ClusterRoleBinding. Membership of that group bypasses RBAC altogether and cannot
/// be revoked by editing bindings, so nothing should depend on it.
pub const SYSTEM_MASTERS: Risk = Risk {
    slug: "system-masters",
    title: "binds the system:masters group",
    severity: Severity::High,
    cis: "5.1.7",
    mitre: "T1078",
    probes: &[],
    remediation: "Grant access through named users or groups bound to narrow roles, not system:masters.",
};

/// A Role or ClusterRole with a risk of [`RISKS`] that no binding in the input grants to anyone
/// (Checkov reports such roles, e.g. `CKV_K8S_155`/`CKV_K8S_156`). Nothing holds it yet, so it is
/// low and names no CIS control (those are about access held); it is reported so the risk is seen
/// before a later binding grants it. One finding per role, with each risk as evidence.
pub const UNBOUND_RISKY_ROLE: Risk = Risk {
    slug: "unbound-risky-role",
    title: "is bound to no subject but carries a risky grant",
    severity: Severity::Low,
    cis: "",
    mitre: "T1078",
    probes: &[],
    remediation: "Delete the role if nothing needs it; otherwise narrow its rules before anything binds it.",
};

/// The ids of every `rbac:*` check, as findings and frameworks name them.
pub fn check_ids() -> Vec<String> {
    all_risks().map(|r| format!("rbac:{}", r.slug)).collect()
}

/// Every risk (the permission catalogue, the binding-shape risks and the role-level one), for
/// mappings and tests.
pub fn all_risks() -> impl Iterator<Item = &'static Risk> {
    RISKS.iter().chain([
        &PUBLIC_BINDING,
        &CLUSTER_ADMIN_BINDING,
        &DEFAULT_SA_BOUND,
        &SYSTEM_MASTERS,
        &UNBOUND_RISKY_ROLE,
    ])
}

/// Whether `rule` falls in `risk`.
pub fn rule_in(risk: &Risk, rule: &Rule) -> bool {
    match risk.slug {
        "wildcard-admin" => is_full_wildcard(rule),
        "wildcard" => {
            !is_full_wildcard(rule)
                && (rule.verbs.iter().any(|v| v == "*") || rule.resources.iter().any(|r| r == "*"))
        }
        _ => risk
            .probes
            .iter()
            .any(|(verbs, g, r)| verbs.iter().any(|v| rule_covers(rule, v, g, r))),
    }
}

fn finding(
    rbac: &Rbac,
    risk: &Risk,
    subject: &Subject,
    b: &Binding,
    severity: Severity,
    title: String,
) -> Finding {
    let scope = match &b.namespace {
        Some(ns) => format!("in namespace {ns}"),
        None => "cluster-wide".to_string(),
    };
    let mut f = Finding::new(
        FindingKind::Entitlement,
        format!("rbac:{}", risk.slug),
        title,
        severity,
        "kubernetes-rbac",
        format!("{subject} via {}", b.label()),
    )
    .with_evidence(
        "grant",
        None,
        format!("{subject} {scope} via {} → {}", b.label(), b.role_label()),
    )
    .with_control(CIS, risk.cis)
    .with_control(MITRE, risk.mitre)
    .with_remediation(risk.remediation);
    for w in holders(rbac, subject) {
        f = f.with_evidence(
            "held by workload",
            None,
            format!(
                "{w} runs as {subject} which {} {scope} via {} → {}",
                risk.title,
                b.label(),
                b.role_label()
            ),
        );
    }
    f
}

/// Workload addresses running as `subject` (directly, or as a member of an SA group).
pub fn holders(rbac: &Rbac, subject: &Subject) -> Vec<String> {
    rbac.model
        .workloads
        .iter()
        .filter(|w| match subject {
            Subject::ServiceAccount(ns, n) => w.namespace == *ns && w.service_account == *n,
            Subject::Group(g) => {
                g == "system:serviceaccounts"
                    || g == "system:authenticated"
                    || g.strip_prefix("system:serviceaccounts:") == Some(w.namespace.as_str())
            }
            Subject::User(_) => false,
        })
        .take(50)
        .map(|w| w.address.clone())
        .collect()
}

fn is_system(s: &Subject) -> bool {
    match s {
        Subject::User(n) | Subject::Group(n) => n.starts_with("system:"),
        Subject::ServiceAccount(ns, _) => ns == "kube-system",
    }
}

/// Every risky grant, one finding per (risk, subject, binding). System subjects are skipped for the
/// per-permission risks so bootstrap roles do not drown the report.
pub fn findings(rbac: &Rbac) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in &rbac.model.bindings {
        let rules = rbac.binding_rules(b);
        for s in &b.subjects {
            let public = matches!(s, Subject::User(n) | Subject::Group(n)
                if n == "system:anonymous" || n == "system:unauthenticated" || n == "system:authenticated");
            if public && !rules.is_empty() {
                let risk = PUBLIC_BINDING;
                let sev = if rules.iter().any(|r| RISKS.iter().any(|k| rule_in(k, r))) {
                    Severity::Critical
                } else {
                    Severity::High
                };
                out.push(finding(
                    rbac,
                    &risk,
                    s,
                    b,
                    sev,
                    format!("{} grants {} to {s}", b.label(), b.role_label()),
                ));
            }
            if b.role_kind == "ClusterRole" && b.role_name == "cluster-admin" && !is_system(s) {
                let risk = CLUSTER_ADMIN_BINDING;
                out.push(finding(
                    rbac,
                    &risk,
                    s,
                    b,
                    Severity::High,
                    format!("{s} is bound to cluster-admin via {}", b.label()),
                ));
            }
            if matches!(s, Subject::ServiceAccount(_, n) if n == "default") && !rules.is_empty() {
                let risk = DEFAULT_SA_BOUND;
                out.push(finding(
                    rbac,
                    &risk,
                    s,
                    b,
                    Severity::Low,
                    format!("default service account {s} is granted {}", b.role_label()),
                ));
            }
            if matches!(s, Subject::Group(g) if g == "system:masters") && !is_bootstrap_admin(b) {
                out.push(finding(
                    rbac,
                    &SYSTEM_MASTERS,
                    s,
                    b,
                    SYSTEM_MASTERS.severity,
                    format!("{} binds the system:masters group", b.label()),
                ));
            }
            if is_system(s) {
                continue;
            }
            let admin = rules.iter().any(is_full_wildcard);
            for risk in RISKS
                .iter()
                .filter(|r| !admin || r.slug == "wildcard-admin")
            {
                if let Some(r) = rules.iter().find(|r| rule_in(risk, r)) {
                    let restricted = !r.resource_names.is_empty();
                    let sev = if restricted {
                        Severity::Low.max(lower(risk.severity))
                    } else {
                        risk.severity
                    };
                    let scope = b
                        .namespace
                        .as_ref()
                        .map_or("cluster-wide".to_string(), |n| format!("in namespace {n}"));
                    out.push(finding(
                        rbac,
                        risk,
                        s,
                        b,
                        sev,
                        format!(
                            "{s} {} {scope} via {} → {}",
                            risk.title,
                            b.label(),
                            b.role_label()
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// `Role ns/name` or `ClusterRole name`, as [`Binding::role_label`].
fn role_label(role: &Role) -> String {
    match &role.namespace {
        Some(ns) => format!("Role {ns}/{}", role.name),
        None => format!("ClusterRole {}", role.name),
    }
}

/// The role's resource address, `Role/ns/name` or `ClusterRole/name`: the subject of its
/// role-level findings.
pub fn role_address(role: &Role) -> String {
    match &role.namespace {
        Some(ns) => format!("Role/{ns}/{}", role.name),
        None => format!("ClusterRole/{}", role.name),
    }
}

/// Roles the API server creates in every cluster (`system:*`, or labelled
/// `kubernetes.io/bootstrapping: rbac-defaults` such as `admin`, `edit`, `view`): they sit unbound
/// in every snapshot and are not the user's design.
fn is_bootstrap_role(role: &Role) -> bool {
    role.name.starts_with("system:")
        || role
            .labels
            .get("kubernetes.io/bootstrapping")
            .map(String::as_str)
            == Some("rbac-defaults")
}

/// The roles some binding grants to at least one subject: the role it names and, for an aggregating
/// ClusterRole, every ClusterRole whose rules it collects. Keys are (namespace, name), `None` for
/// ClusterRoles.
fn used_roles(rbac: &Rbac) -> HashSet<(Option<&str>, &str)> {
    let mut used = HashSet::new();
    for b in rbac
        .model
        .bindings
        .iter()
        .filter(|b| !b.subjects.is_empty())
    {
        if b.role_kind == "Role" {
            used.insert((b.namespace.as_deref(), b.role_name.as_str()));
            continue;
        }
        used.insert((None, b.role_name.as_str()));
        for m in rbac.aggregated_members(&b.role_name) {
            used.insert((None, m.as_str()));
        }
    }
    used
}

/// The risks of [`RISKS`] a role's effective rules carry (only `wildcard-admin` for a full wildcard,
/// which stands for every narrower risk, as in [`findings`]).
fn role_risks(rules: &[Rule]) -> Vec<&'static Risk> {
    let admin = rules.iter().any(is_full_wildcard);
    RISKS
        .iter()
        .filter(|r| !admin || r.slug == "wildcard-admin")
        .filter(|r| rules.iter().any(|rule| rule_in(r, rule)))
        .collect()
}

/// `rbac:unbound-risky-role`: one finding per non-bootstrap role that carries a risk and that no
/// binding with a subject uses (see [`UNBOUND_RISKY_ROLE`]).
pub fn unbound_role_findings(rbac: &Rbac) -> Vec<Finding> {
    let used = used_roles(rbac);
    let mut out = Vec::new();
    for role in &rbac.model.roles {
        if used.contains(&(role.namespace.as_deref(), role.name.as_str()))
            || is_bootstrap_role(role)
        {
            continue;
        }
        let risks = role_risks(rbac.role_rules(role.namespace.as_deref(), &role.name));
        if risks.is_empty() {
            continue;
        }
        let label = role_label(role);
        let titles: Vec<&str> = risks.iter().map(|r| r.title).collect();
        let mut f = Finding::new(
            FindingKind::Entitlement,
            format!("rbac:{}", UNBOUND_RISKY_ROLE.slug),
            format!(
                "{label} is bound to no subject but {}; a binding to it would grant that",
                titles.join("; ")
            ),
            UNBOUND_RISKY_ROLE.severity,
            "kubernetes-rbac",
            role_address(role),
        )
        .with_remediation(UNBOUND_RISKY_ROLE.remediation);
        let mut techniques = vec![UNBOUND_RISKY_ROLE.mitre];
        for risk in risks {
            f = f.with_evidence(
                "unbound role",
                None,
                format!("{label} {} (rbac:{})", risk.title, risk.slug),
            );
            techniques.push(risk.mitre);
        }
        techniques.sort_unstable();
        techniques.dedup();
        for t in techniques {
            f = f.with_control(MITRE, t);
        }
        out.push(f);
    }
    out
}

/// The `cluster-admin` ClusterRoleBinding every cluster bootstraps (cluster-admin to system:masters).
fn is_bootstrap_admin(b: &Binding) -> bool {
    b.namespace.is_none()
        && b.name == "cluster-admin"
        && b.role_kind == "ClusterRole"
        && b.role_name == "cluster-admin"
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        _ => Severity::Low,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, load_str};

    const WEBHOOKS: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: hooks}\nrules:\n- apiGroups: [admissionregistration.k8s.io]\n  resources: [validatingwebhookconfigurations]\n  verbs: [patch]\n---\n";

    /// (subject, evidence details) of every `rbac:unbound-risky-role` finding.
    fn unbound(yaml: &str) -> Vec<(String, Vec<String>)> {
        let l = load_str(yaml, "t.yaml", &LoadOptions::default());
        let rbac = crate::rbac::analyze_objects(&l.objects);
        unbound_role_findings(&rbac)
            .into_iter()
            .map(|f| {
                assert_eq!(f.rule_id, "rbac:unbound-risky-role");
                assert_eq!(f.severity, Severity::Low);
                (
                    f.subject,
                    f.evidence.into_iter().map(|e| e.detail).collect(),
                )
            })
            .collect()
    }

    fn binding(
        kind: &str,
        ns: Option<&str>,
        role_kind: &str,
        role: &str,
        subjects: &str,
    ) -> String {
        let meta = match ns {
            Some(ns) => format!("{{name: b, namespace: {ns}}}"),
            None => "{name: b}".into(),
        };
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: {role}}}\nsubjects: {subjects}\n---\n"
        )
    }

    const SA: &str = "[{kind: ServiceAccount, name: ops, namespace: ops}]";

    #[test]
    fn an_unbound_risky_role_is_reported_with_its_risks() {
        let found = unbound(WEBHOOKS);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "ClusterRole/hooks");
        assert_eq!(
            found[0].1,
            vec![
                "ClusterRole hooks can modify admission webhook configurations (rbac:modify-webhooks)"
                    .to_string()
            ]
        );
        // A full wildcard stands for every narrower risk.
        let admin = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: all, namespace: ns}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n";
        let found = unbound(admin);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "Role/ns/all");
        assert!(
            found[0].1[0].ends_with("(rbac:wildcard-admin)"),
            "{found:?}"
        );
    }

    #[test]
    fn a_role_bound_to_a_subject_is_not_unbound() {
        let crb = binding("ClusterRoleBinding", None, "ClusterRole", "hooks", SA);
        assert!(unbound(&format!("{WEBHOOKS}{crb}")).is_empty());
        let rb = binding("RoleBinding", Some("ops"), "ClusterRole", "hooks", SA);
        assert!(unbound(&format!("{WEBHOOKS}{rb}")).is_empty());
        // A binding without subjects grants nothing; a Role is bound only in its own namespace;
        // a binding to a Role does not use the ClusterRole of the same name.
        let empty = binding("ClusterRoleBinding", None, "ClusterRole", "hooks", "[]");
        assert_eq!(unbound(&format!("{WEBHOOKS}{empty}")).len(), 1);
        let secrets = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: hooks, namespace: a}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n---\n";
        let other_ns = binding("RoleBinding", Some("b"), "Role", "hooks", SA);
        let found = unbound(&format!("{secrets}{other_ns}"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "Role/a/hooks");
        let role_ref = binding("RoleBinding", Some("a"), "Role", "hooks", SA);
        let found = unbound(&format!("{WEBHOOKS}{secrets}{role_ref}"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "ClusterRole/hooks");
    }

    #[test]
    fn aggregation_bootstrap_roles_and_harmless_roles() {
        // A role aggregated into a bound ClusterRole is granted through it.
        let member = WEBHOOKS.replace("{name: hooks}", "{name: hooks, labels: {agg: 'yes'}}");
        let aggregate = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: platform}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {agg: 'yes'}}]\nrules: []\n---\n";
        let crb = binding("ClusterRoleBinding", None, "ClusterRole", "platform", SA);
        assert!(unbound(&format!("{member}{aggregate}{crb}")).is_empty());
        // Unbound, both carry the risk: the aggregate through its member.
        let mut subjects: Vec<String> = unbound(&format!("{member}{aggregate}"))
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        subjects.sort();
        assert_eq!(subjects, vec!["ClusterRole/hooks", "ClusterRole/platform"]);
        // Roles every cluster bootstraps are not the user's design.
        let system = WEBHOOKS.replace("{name: hooks}", "{name: \"system:controller:x\"}");
        assert!(unbound(&system).is_empty());
        let edit = WEBHOOKS.replace(
            "{name: hooks}",
            "{name: edit, labels: {kubernetes.io/bootstrapping: rbac-defaults}}",
        );
        assert!(unbound(&edit).is_empty());
        // Nothing risky, malformed rules, no rules: nothing to report.
        let narrow = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: view-cm}\nrules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: broken}\nrules: oops\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: bare}\n";
        assert!(unbound(narrow).is_empty());
    }
}
