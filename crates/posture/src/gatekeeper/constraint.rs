//! Constraints: a template kind, parameters, `spec.match` and `spec.enforcementAction`.

use crate::docs::{at, str_at};
use crate::error::{PolicyError, Result};
use serde_json::Value;

/// A Gatekeeper Constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// The template's constraint kind (`K8sRequiredLabels`).
    pub kind: String,
    pub name: String,
    pub parameters: Value,
    pub matcher: Match,
    /// `deny` (default), `dryrun`, `warn` or `scoped`.
    pub enforcement_action: String,
    pub origin: String,
}

/// True when `doc` looks like a Constraint (`constraints.gatekeeper.sh/*`).
pub fn is_constraint(doc: &Value) -> bool {
    str_at(doc, &["apiVersion"]).starts_with("constraints.gatekeeper.sh/")
}

impl Constraint {
    /// Reads a constraint document.
    pub fn from_document(origin: &str, doc: &Value) -> Result<Self> {
        let kind = str_at(doc, &["kind"]).to_string();
        if kind.is_empty() {
            return Err(PolicyError::invalid(origin, "constraint has no kind"));
        }
        let spec = doc.get("spec").cloned().unwrap_or(Value::Null);
        let action = str_at(&spec, &["enforcementAction"]);
        Ok(Constraint {
            kind,
            name: str_at(doc, &["metadata", "name"]).to_string(),
            parameters: spec
                .get("parameters")
                .cloned()
                .unwrap_or_else(|| Value::Object(Default::default())),
            matcher: Match::from_value(spec.get("match").unwrap_or(&Value::Null)),
            enforcement_action: if action.is_empty() {
                "deny".into()
            } else {
                action.into()
            },
            origin: origin.to_string(),
        })
    }
}

/// `spec.match` of a constraint. Every criterion given must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Match {
    pub kinds: Vec<KindMatch>,
    pub namespaces: Option<Vec<String>>,
    pub excluded_namespaces: Vec<String>,
    pub label_selector: Option<LabelSelector>,
    pub namespace_selector: Option<LabelSelector>,
    /// `*` (default), `Cluster` or `Namespaced`.
    pub scope: String,
    /// Object name, with a prefix or suffix `*` glob.
    pub name: Option<String>,
}

/// One `kinds[]` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KindMatch {
    pub api_groups: Vec<String>,
    pub kinds: Vec<String>,
}

/// A Kubernetes label selector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

/// One `matchExpressions[]` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Match {
    pub fn from_value(m: &Value) -> Self {
        let kinds = m
            .get("kinds")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|k| KindMatch {
                        api_groups: strings(k.get("apiGroups")),
                        kinds: strings(k.get("kinds")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let scope = str_at(m, &["scope"]);
        Match {
            kinds,
            namespaces: m
                .get("namespaces")
                .filter(|v| !v.is_null())
                .map(|v| strings(Some(v))),
            excluded_namespaces: strings(m.get("excludedNamespaces")),
            label_selector: m.get("labelSelector").and_then(LabelSelector::from_value),
            namespace_selector: m
                .get("namespaceSelector")
                .and_then(LabelSelector::from_value),
            scope: if scope.is_empty() {
                "*".into()
            } else {
                scope.into()
            },
            name: m.get("name").and_then(Value::as_str).map(str::to_string),
        }
    }

    /// Whether the constraint applies to `object`. `namespace` is the object's Namespace when known
    /// (needed only by `namespaceSelector`).
    pub fn matches(&self, object: &Value, namespace: Option<&Value>) -> bool {
        let kind = str_at(object, &["kind"]);
        let group = group_of(str_at(object, &["apiVersion"]));
        let is_namespace = kind == "Namespace" && group.is_empty();
        let obj_ns = str_at(object, &["metadata", "namespace"]);
        // The namespace the namespace criteria look at: a Namespace's own name, else the object's.
        let ns_name = if is_namespace {
            str_at(object, &["metadata", "name"])
        } else {
            obj_ns
        };
        let cluster_scoped = obj_ns.is_empty();
        self.kind_matches(group, kind)
            && self.scope_matches(cluster_scoped)
            && self
                .name
                .as_deref()
                .is_none_or(|p| glob_matches(p, str_at(object, &["metadata", "name"])))
            && (ns_name.is_empty() && !is_namespace
                || self
                    .namespaces
                    .as_ref()
                    .is_none_or(|list| list.iter().any(|p| glob_matches(p, ns_name))))
            && (ns_name.is_empty()
                || !self
                    .excluded_namespaces
                    .iter()
                    .any(|p| glob_matches(p, ns_name)))
            && self
                .label_selector
                .as_ref()
                .is_none_or(|s| s.matches(at(object, &["metadata", "labels"])))
            && self.namespace_selector_matches(object, is_namespace, cluster_scoped, namespace)
    }

    /// Whether `kinds` admits an object of this API group and kind (the first test of [`Match::matches`]).
    pub(crate) fn kind_matches(&self, group: &str, kind: &str) -> bool {
        self.kinds.is_empty()
            || self.kinds.iter().any(|k| {
                (k.api_groups.is_empty() || k.api_groups.iter().any(|g| g == "*" || g == group))
                    && (k.kinds.is_empty() || k.kinds.iter().any(|x| x == "*" || x == kind))
            })
    }

    fn scope_matches(&self, cluster_scoped: bool) -> bool {
        match self.scope.as_str() {
            "Cluster" => cluster_scoped,
            "Namespaced" => !cluster_scoped,
            _ => true,
        }
    }

    fn namespace_selector_matches(
        &self,
        object: &Value,
        is_namespace: bool,
        cluster_scoped: bool,
        namespace: Option<&Value>,
    ) -> bool {
        let Some(selector) = &self.namespace_selector else {
            return true;
        };
        if is_namespace {
            return selector.matches(at(object, &["metadata", "labels"]));
        }
        if cluster_scoped {
            return true;
        }
        namespace.is_some_and(|ns| selector.matches(at(ns, &["metadata", "labels"])))
    }
}

impl LabelSelector {
    fn from_value(v: &Value) -> Option<Self> {
        if !v.is_object() {
            return None;
        }
        let match_labels = v
            .get("matchLabels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let match_expressions = v
            .get("matchExpressions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|e| Requirement {
                        key: str_at(e, &["key"]).to_string(),
                        operator: str_at(e, &["operator"]).to_string(),
                        values: strings(e.get("values")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(LabelSelector {
            match_labels,
            match_expressions,
        })
    }

    /// Whether `labels` (an object of strings, or absent) satisfies the selector.
    pub fn matches(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.match_labels
            .iter()
            .all(|(k, v)| get(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|r| {
                let value = get(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.iter().any(|x| x == v)),
                    "NotIn" => value.is_none_or(|v| !r.values.iter().any(|x| x == v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

/// Gatekeeper's namespace glob: exact, or one `*` at the start or end.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return name.starts_with(prefix);
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return name.ends_with(suffix);
    }
    pattern == name
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: &str, labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns, "labels": labels}})
    }

    #[test]
    fn kinds_namespaces_and_globs() {
        let m = Match::from_value(&json!({
            "kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
            "namespaces": ["prod-*"], "excludedNamespaces": ["*-system"]
        }));
        assert!(m.matches(&pod("prod-a", json!({})), None));
        assert!(!m.matches(&pod("dev", json!({})), None));
        assert!(!m.matches(&pod("prod-system", json!({})), None));
        let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "prod-a"}});
        assert!(!m.matches(&dep, None));
    }

    #[test]
    fn label_and_namespace_selectors() {
        let m = Match::from_value(&json!({
            "labelSelector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
            "namespaceSelector": {"matchLabels": {"env": "prod"}}
        }));
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"env": "prod"}}});
        assert!(m.matches(&pod("a", json!({"tier": "web"})), Some(&ns)));
        assert!(!m.matches(&pod("a", json!({"tier": "db"})), Some(&ns)));
        assert!(!m.matches(&pod("a", json!({})), None));
        assert!(m.matches(&ns, None));
    }
}
