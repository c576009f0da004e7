//! Escalation paths: a subject gains another's permissions (run pods as it, impersonate it, mint or
//! read its token, kubelet exec) or becomes admin-equivalent. One reverse BFS from the admin node gives
//! every subject's shortest path, so the search is linear in the graph size.

use super::authz::{is_full_wildcard, rule_covers};
use super::engine::{Grant, Rbac};
use super::model::Subject;
use std::collections::{HashMap, VecDeque};

/// One hop: `from` gains `to` (a subject, or `None` for cluster-admin-equivalent) through `permission`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub from: Subject,
    pub to: Option<Subject>,
    pub permission: String,
}

/// A path from `start` to cluster-admin-equivalent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPath {
    pub start: Subject,
    pub hops: Vec<Hop>,
}

impl std::fmt::Display for EscalationPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} → cluster-admin-equivalent ({} hops)",
            self.start,
            self.hops.len()
        )?;
        for (i, h) in self.hops.iter().enumerate() {
            let to =
                h.to.as_ref()
                    .map_or("cluster-admin-equivalent".to_string(), |s| s.to_string());
            writeln!(f, "  {}. {} → {to}: {}", i + 1, h.from, h.permission)?;
        }
        Ok(())
    }
}

fn via(g: &Grant) -> String {
    format!("{} via {} → {}", g.scope_label(), g.binding, g.role)
}

fn sas_in<'a>(all: &'a [Subject], scope: &'a Option<String>) -> impl Iterator<Item = &'a Subject> {
    all.iter().filter(move |s| match (s, scope) {
        (Subject::ServiceAccount(ns, _), Some(n)) => ns == n,
        (Subject::ServiceAccount(..), None) => true,
        _ => false,
    })
}

/// Forward edges of one subject: (target or admin, permission).
fn edges(rbac: &Rbac, s: &Subject, sas: &[Subject]) -> Vec<(Option<Subject>, String)> {
    let mut out: Vec<(Option<Subject>, String)> = Vec::new();
    for g in rbac.can(s) {
        let r = &g.rule;
        let named =
            |n: &str| r.resource_names.is_empty() || r.resource_names.iter().any(|x| x == n);
        if is_full_wildcard(r) && g.scope.is_none() {
            out.push((None, format!("'*' on '*' {}", via(&g))));
            continue;
        }
        let rbac_group = "rbac.authorization.k8s.io";
        if ["escalate", "bind"].iter().any(|v| {
            rule_covers(r, v, rbac_group, "clusterroles") || rule_covers(r, v, rbac_group, "roles")
        }) {
            out.push((
                None,
                format!(
                    "escalate/bind on roles {} (can grant itself anything)",
                    via(&g)
                ),
            ));
            continue;
        }
        if (rule_covers(r, "impersonate", "", "users")
            || rule_covers(r, "impersonate", "", "groups"))
            && r.resource_names.is_empty()
        {
            out.push((
                None,
                format!(
                    "impersonate any user or group {} (e.g. system:masters)",
                    via(&g)
                ),
            ));
            continue;
        }
        if rule_covers(r, "create", "", "pods/exec") || rule_covers(r, "create", "", "pods/attach")
        {
            for w in &rbac.model.workloads {
                let t = Subject::ServiceAccount(w.namespace.clone(), w.service_account.clone());
                let in_scope = g.scope.as_ref().is_none_or(|n| *n == w.namespace);
                if in_scope && &t != s {
                    out.push((Some(t), format!("exec into {} {}", w.address, via(&g))));
                }
            }
        }
        let mut gain = |perm: &str, pred: &dyn Fn(&Subject) -> bool| {
            for sa in sas_in(sas, &g.scope).filter(|x| pred(x)) {
                if sa != s {
                    out.push((Some(sa.clone()), format!("{perm} {}", via(&g))));
                }
            }
        };
        let pods = rule_covers(r, "create", "", "pods");
        let workloads = ["deployments", "daemonsets", "statefulsets", "replicasets"]
            .iter()
            .any(|w| rule_covers(r, "create", "apps", w))
            || rule_covers(r, "create", "batch", "jobs")
            || rule_covers(r, "create", "batch", "cronjobs");
        if pods || workloads {
            let what = if pods {
                "create pods"
            } else {
                "create workloads"
            };
            gain(&format!("{what} running as the service account"), &|_| true);
        }
        if rule_covers(r, "impersonate", "", "serviceaccounts") {
            gain(
                "impersonate serviceaccounts",
                &|x| matches!(x, Subject::ServiceAccount(_, n) if named(n)),
            );
        }
        if rule_covers(r, "create", "", "serviceaccounts/token") {
            gain(
                "create serviceaccounts/token",
                &|x| matches!(x, Subject::ServiceAccount(_, n) if named(n)),
            );
        }
        if rule_covers(r, "get", "", "secrets") || rule_covers(r, "list", "", "secrets") {
            let list = rule_covers(r, "list", "", "secrets") && r.resource_names.is_empty();
            for (ns, secret, sa) in &rbac.model.token_secrets {
                let in_scope = g.scope.as_ref().is_none_or(|n| n == ns);
                if in_scope && (list || r.resource_names.iter().any(|x| x == secret)) {
                    let t = Subject::ServiceAccount(ns.clone(), sa.clone());
                    if &t != s {
                        out.push((
                            Some(t),
                            format!("read token Secret {ns}/{secret} {}", via(&g)),
                        ));
                    }
                }
            }
        }
        if rule_covers(r, "get", "", "nodes/proxy") || rule_covers(r, "create", "", "nodes/proxy") {
            for w in &rbac.model.workloads {
                let t = Subject::ServiceAccount(w.namespace.clone(), w.service_account.clone());
                if &t != s {
                    out.push((
                        Some(t),
                        format!("nodes/proxy → kubelet exec into {} {}", w.address, via(&g)),
                    ));
                }
            }
        }
    }
    out
}

/// Shortest escalation path to cluster-admin-equivalent for every subject that has one.
pub fn escalation_paths(rbac: &Rbac) -> Vec<EscalationPath> {
    let subjects: Vec<Subject> = rbac.subjects().into_iter().collect();
    let sas: Vec<Subject> = subjects
        .iter()
        .filter(|s| matches!(s, Subject::ServiceAccount(..)))
        .cloned()
        .collect();
    let index: HashMap<&Subject, usize> =
        subjects.iter().enumerate().map(|(i, s)| (s, i)).collect();
    let admin = subjects.len();
    // reverse[t] = (source, permission) for every forward edge source → t
    let mut reverse: Vec<Vec<(usize, String)>> = vec![Vec::new(); admin + 1];
    for (i, s) in subjects.iter().enumerate() {
        for (t, perm) in edges(rbac, s, &sas) {
            let ti = match &t {
                None => admin,
                Some(t) => match index.get(t) {
                    Some(&x) => x,
                    None => continue,
                },
            };
            reverse[ti].push((i, perm));
        }
    }
    // next[i] = (next node, permission) on the shortest path to admin
    let mut next: Vec<Option<(usize, String)>> = vec![None; admin + 1];
    let mut seen = vec![false; admin + 1];
    seen[admin] = true;
    let mut queue = VecDeque::from([admin]);
    while let Some(t) = queue.pop_front() {
        for (src, perm) in &reverse[t] {
            if !seen[*src] {
                seen[*src] = true;
                next[*src] = Some((t, perm.clone()));
                queue.push_back(*src);
            }
        }
    }
    let mut out = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        let mut hops = Vec::new();
        let mut cur = i;
        while let Some((n, perm)) = next[cur].as_ref() {
            hops.push(Hop {
                from: subjects[cur].clone(),
                to: subjects.get(*n).cloned(),
                permission: perm.clone(),
            });
            cur = *n;
            if hops.len() > admin {
                break;
            }
        }
        if !hops.is_empty() {
            out.push(EscalationPath {
                start: s.clone(),
                hops,
            });
        }
    }
    out
}
