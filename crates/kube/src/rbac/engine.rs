//! Resolved RBAC: aggregated ClusterRoles, bindings indexed by subject, `who_can` and `can`.

use super::authz::{Request, rule_allows};
use super::model::{Binding, Model, Rule, Subject};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A rule granted to a subject through one binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub subject: Subject,
    /// `ClusterRoleBinding x` or `RoleBinding ns/x`.
    pub binding: String,
    /// `ClusterRole y` or `Role ns/y`.
    pub role: String,
    /// Namespace the grant applies in; `None` is cluster-wide.
    pub scope: Option<String>,
    pub rule: Rule,
}

impl Grant {
    /// `cluster-wide` or `in namespace N`.
    pub fn scope_label(&self) -> String {
        match &self.scope {
            None => "cluster-wide".into(),
            Some(ns) => format!("in namespace {ns}"),
        }
    }
}

/// The analysed RBAC state.
#[derive(Debug, Clone)]
pub struct Rbac {
    pub model: Model,
    /// Effective rules per role key (`namespace`, `name`), aggregation applied.
    rules: HashMap<(Option<String>, String), Vec<Rule>>,
    /// Binding indexes per directly bound subject.
    by_subject: HashMap<Subject, Vec<usize>>,
    /// Per aggregating ClusterRole, the ClusterRoles whose rules it collects (transitively).
    members: HashMap<String, Vec<String>>,
}

/// Upper bound on rules an aggregated role may collect.
const MAX_AGGREGATED_RULES: usize = 100_000;

impl Rbac {
    /// Resolves aggregation (transitively, cycle-safe) and indexes bindings.
    pub fn new(model: Model) -> Rbac {
        let mut rules: HashMap<(Option<String>, String), Vec<Rule>> = HashMap::new();
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        let cluster: HashMap<&str, usize> = model
            .roles
            .iter()
            .enumerate()
            .filter(|(_, r)| r.namespace.is_none())
            .map(|(i, r)| (r.name.as_str(), i))
            .collect();
        for role in &model.roles {
            let mut out = role.rules.clone();
            if role.namespace.is_none() && !role.aggregation.is_empty() {
                // BFS over aggregating ClusterRoles; visited set makes cycles harmless.
                let mut seen: HashSet<&str> = HashSet::from([role.name.as_str()]);
                let mut queue = vec![role];
                while let Some(cur) = queue.pop() {
                    for sel in &cur.aggregation {
                        for other in model.roles.iter().filter(|o| o.namespace.is_none()) {
                            if sel.iter().all(|(k, v)| other.labels.get(k) == Some(v))
                                && seen.insert(other.name.as_str())
                            {
                                for r in &other.rules {
                                    if out.len() < MAX_AGGREGATED_RULES && !out.contains(r) {
                                        out.push(r.clone());
                                    }
                                }
                                if let Some(&i) = cluster.get(other.name.as_str()) {
                                    queue.push(&model.roles[i]);
                                }
                            }
                        }
                    }
                }
                seen.remove(role.name.as_str());
                let mut collected: Vec<String> = seen.into_iter().map(str::to_string).collect();
                collected.sort();
                members.insert(role.name.clone(), collected);
            }
            rules.insert((role.namespace.clone(), role.name.clone()), out);
        }
        let mut by_subject: HashMap<Subject, Vec<usize>> = HashMap::new();
        for (i, b) in model.bindings.iter().enumerate() {
            for s in &b.subjects {
                let v = by_subject.entry(s.clone()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
        Rbac {
            model,
            rules,
            by_subject,
            members,
        }
    }

    /// The effective rules of a role (`namespace` `None` for a ClusterRole), aggregation applied;
    /// empty when the role is not loaded.
    pub fn role_rules(&self, namespace: Option<&str>, name: &str) -> &[Rule] {
        self.rules
            .get(&(namespace.map(str::to_string), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The ClusterRoles an aggregating ClusterRole collects rules from (transitively); empty for
    /// any other role.
    pub fn aggregated_members(&self, cluster_role: &str) -> &[String] {
        self.members
            .get(cluster_role)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The rules of the role a binding refers to (empty when the role is missing).
    pub fn binding_rules(&self, b: &Binding) -> &[Rule] {
        let key = if b.role_kind == "Role" {
            (b.namespace.clone(), b.role_name.clone())
        } else {
            (None, b.role_name.clone())
        };
        self.rules.get(&key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every subject named in a binding, plus every known service account.
    pub fn subjects(&self) -> BTreeSet<Subject> {
        let mut out: BTreeSet<Subject> = self.by_subject.keys().cloned().collect();
        for (ns, n) in &self.model.service_accounts {
            out.insert(Subject::ServiceAccount(ns.clone(), n.clone()));
        }
        for w in &self.model.workloads {
            out.insert(Subject::ServiceAccount(
                w.namespace.clone(),
                w.service_account.clone(),
            ));
        }
        out
    }

    /// Bindings that apply to `subject` directly or through its implicit groups.
    pub fn bindings_of(&self, subject: &Subject) -> Vec<(&Subject, &Binding)> {
        let mut ids: Vec<(&Subject, usize)> = Vec::new();
        let mut all = vec![subject.clone()];
        all.extend(subject.implicit_groups());
        for s in &all {
            if let Some((k, v)) = self.by_subject.get_key_value(s) {
                ids.extend(v.iter().map(|&i| (k, i)));
            }
        }
        ids.into_iter()
            .map(|(s, i)| (s, &self.model.bindings[i]))
            .collect()
    }

    /// Every rule `subject` holds (`kubectl auth can-i --list` for all namespaces).
    pub fn can(&self, subject: &Subject) -> Vec<Grant> {
        let mut out = Vec::new();
        for (via, b) in self.bindings_of(subject) {
            for r in self.binding_rules(b) {
                out.push(Grant {
                    subject: via.clone(),
                    binding: b.label(),
                    role: b.role_label(),
                    scope: b.namespace.clone(),
                    rule: r.clone(),
                });
            }
        }
        out
    }

    /// Subjects allowed `req`, each with the binding and role that allow it (like `kubectl who-can`).
    pub fn who_can(&self, req: &Request) -> Vec<(Subject, String, String)> {
        let mut out = Vec::new();
        for b in &self.model.bindings {
            if let Some(bns) = &b.namespace
                && (req.path.is_some() || req.namespace.as_deref() != Some(bns.as_str()))
            {
                continue;
            }
            if self.binding_rules(b).iter().any(|r| rule_allows(r, req)) {
                for s in &b.subjects {
                    out.push((s.clone(), b.label(), b.role_label()));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether `subject` is allowed `req`.
    pub fn allowed(&self, subject: &Subject, req: &Request) -> bool {
        self.bindings_of(subject).into_iter().any(|(_, b)| {
            let in_scope = match &b.namespace {
                None => true,
                Some(ns) => req.path.is_none() && req.namespace.as_deref() == Some(ns.as_str()),
            };
            in_scope && self.binding_rules(b).iter().any(|r| rule_allows(r, req))
        })
    }
}
