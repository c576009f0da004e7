//! Risky grants as `rbac:*` entitlement findings with CIS Kubernetes 5.1.x and MITRE ATT&CK controls.

use super::authz::{is_full_wildcard, rule_covers};
use super::engine::Rbac;
use super::model::{Binding, Rule, Subject};
use crate::checks::catalogue::{CIS, MITRE};
use rampart_core::{Finding, FindingKind, Severity};

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

/// The ids of every `rbac:*` check, as findings and frameworks name them.
pub fn check_ids() -> Vec<String> {
    RISKS
        .iter()
        .chain([
            &PUBLIC_BINDING,
            &CLUSTER_ADMIN_BINDING,
            &DEFAULT_SA_BOUND,
            &SYSTEM_MASTERS,
        ])
        .map(|r| format!("rbac:{}", r.slug))
        .collect()
}

/// Every risk (the permission catalogue and the binding-shape risks), for mappings and tests.
pub fn all_risks() -> impl Iterator<Item = &'static Risk> {
    RISKS.iter().chain([
        &PUBLIC_BINDING,
        &CLUSTER_ADMIN_BINDING,
        &DEFAULT_SA_BOUND,
        &SYSTEM_MASTERS,
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
