//! The RBAC model read from loaded objects: roles, bindings, service accounts, token secrets.

use crate::object::KubeObject;
use rampart_core::ScanWarning;
use serde_json::Value;
use std::collections::BTreeMap;

/// Bounds on what one object may contribute.
const MAX_RULES: usize = 1_000;
const MAX_ITEMS: usize = 1_000;

/// One policy rule of a role.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub verbs: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

/// A subject of a binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    User(String),
    Group(String),
    /// namespace, name
    ServiceAccount(String, String),
}

impl Subject {
    /// Parses `User:x`, `Group:x`, `ServiceAccount:ns/name`, `system:serviceaccount:ns:name`, or a bare user.
    pub fn parse(s: &str) -> Subject {
        if let Some(rest) = s.strip_prefix("system:serviceaccount:")
            && let Some((ns, name)) = rest.split_once(':')
        {
            return Subject::ServiceAccount(ns.into(), name.into());
        }
        if let Some((kind, rest)) = s.split_once(':') {
            match kind.to_ascii_lowercase().as_str() {
                "user" => return Subject::User(rest.into()),
                "group" => return Subject::Group(rest.into()),
                "serviceaccount" | "sa" => {
                    let (ns, name) = rest.split_once('/').unwrap_or(("default", rest));
                    return Subject::ServiceAccount(ns.into(), name.into());
                }
                _ => {}
            }
        }
        Subject::User(s.into())
    }

    /// Groups the subject belongs to implicitly (service accounts only).
    pub fn implicit_groups(&self) -> Vec<Subject> {
        match self {
            Subject::ServiceAccount(ns, _) => vec![
                Subject::Group("system:serviceaccounts".into()),
                Subject::Group(format!("system:serviceaccounts:{ns}")),
                Subject::Group("system:authenticated".into()),
            ],
            _ => Vec::new(),
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::User(n) => write!(f, "User {n}"),
            Subject::Group(n) => write!(f, "Group {n}"),
            Subject::ServiceAccount(ns, n) => write!(f, "ServiceAccount {ns}/{n}"),
        }
    }
}

/// A Role (namespace set) or ClusterRole (namespace `None`).
#[derive(Debug, Clone, Default)]
pub struct Role {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
    /// `aggregationRule.clusterRoleSelectors` as (matchLabels) maps; expressions are folded in when
    /// they are `In` with one value.
    pub aggregation: Vec<BTreeMap<String, String>>,
}

/// A RoleBinding (namespace set) or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub struct Binding {
    pub name: String,
    pub namespace: Option<String>,
    /// `ClusterRole` or `Role`.
    pub role_kind: String,
    pub role_name: String,
    pub subjects: Vec<Subject>,
}

impl Binding {
    /// `RoleBinding ns/name` or `ClusterRoleBinding name`.
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("RoleBinding {ns}/{}", self.name),
            None => format!("ClusterRoleBinding {}", self.name),
        }
    }

    /// `Role ns/name` or `ClusterRole name`.
    pub fn role_label(&self) -> String {
        match (&self.namespace, self.role_kind.as_str()) {
            (Some(ns), "Role") => format!("Role {ns}/{}", self.role_name),
            _ => format!("ClusterRole {}", self.role_name),
        }
    }
}

/// A workload's pod template running as a service account.
#[derive(Debug, Clone)]
pub struct Workload {
    /// `Kind/ns/name`.
    pub address: String,
    pub namespace: String,
    pub service_account: String,
}

/// Everything RBAC-related found in a set of objects. Only what is given: bootstrap ClusterRoles such as
/// `cluster-admin` are not synthesised when a snapshot lacks them.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    /// (namespace, name)
    pub service_accounts: Vec<(String, String)>,
    /// Legacy token secrets: (namespace, secret name, service account name).
    pub token_secrets: Vec<(String, String, String)>,
    pub workloads: Vec<Workload>,
    pub warnings: Vec<ScanWarning>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .take(MAX_ITEMS)
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn warn(obj: &KubeObject, msg: String) -> ScanWarning {
    ScanWarning {
        path: obj.source.path.clone(),
        line: Some(obj.source.first_line),
        message: msg,
    }
}

fn parse_rules(obj: &KubeObject, warnings: &mut Vec<ScanWarning>) -> Vec<Rule> {
    let mut out = Vec::new();
    match obj.doc.get("rules") {
        None | Some(Value::Null) => {}
        Some(Value::Array(rules)) => {
            for r in rules.iter().take(MAX_RULES) {
                if !r.is_object() {
                    warnings.push(warn(
                        obj,
                        format!("{}: rule is not a mapping", obj.address()),
                    ));
                    continue;
                }
                let rule = Rule {
                    api_groups: strings(r.get("apiGroups")),
                    resources: strings(r.get("resources")),
                    resource_names: strings(r.get("resourceNames")),
                    verbs: strings(r.get("verbs")),
                    non_resource_urls: strings(r.get("nonResourceURLs")),
                };
                if rule.verbs.is_empty() {
                    warnings.push(warn(
                        obj,
                        format!("{}: rule without verbs ignored", obj.address()),
                    ));
                    continue;
                }
                out.push(rule);
            }
        }
        Some(_) => warnings.push(warn(obj, format!("{}: rules is not a list", obj.address()))),
    }
    out
}

fn parse_aggregation(obj: &KubeObject) -> Vec<BTreeMap<String, String>> {
    let Some(Value::Array(sels)) = obj.doc.pointer("/aggregationRule/clusterRoleSelectors") else {
        return Vec::new();
    };
    sels.iter()
        .take(MAX_ITEMS)
        .map(|s| {
            let mut m: BTreeMap<String, String> = BTreeMap::new();
            if let Some(Value::Object(ml)) = s.get("matchLabels") {
                for (k, v) in ml {
                    m.insert(k.clone(), v.as_str().unwrap_or("").to_string());
                }
            }
            if let Some(Value::Array(exprs)) = s.get("matchExpressions") {
                for e in exprs {
                    let vals = strings(e.get("values"));
                    if e.get("operator").and_then(Value::as_str) == Some("In") && vals.len() == 1 {
                        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
                        m.insert(key.to_string(), vals[0].clone());
                    }
                }
            }
            m
        })
        .collect()
}

fn parse_subjects(obj: &KubeObject, warnings: &mut Vec<ScanWarning>) -> Vec<Subject> {
    let mut out = Vec::new();
    let Some(Value::Array(subs)) = obj.doc.get("subjects") else {
        return out;
    };
    for s in subs.iter().take(MAX_ITEMS) {
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = s.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            warnings.push(warn(
                obj,
                format!("{}: subject without a name", obj.address()),
            ));
            continue;
        }
        match kind {
            "User" => out.push(Subject::User(name.into())),
            "Group" => out.push(Subject::Group(name.into())),
            "ServiceAccount" => {
                let ns = s
                    .get("namespace")
                    .and_then(Value::as_str)
                    .or(obj.namespace.as_deref())
                    .unwrap_or("default");
                out.push(Subject::ServiceAccount(ns.into(), name.into()));
            }
            other => warnings.push(warn(
                obj,
                format!("{}: unknown subject kind {other:?}", obj.address()),
            )),
        }
    }
    out
}

impl Model {
    /// Builds the model from loaded objects; malformed RBAC objects become warnings.
    pub fn from_objects(objects: &[KubeObject]) -> Model {
        let mut m = Model::default();
        for obj in objects {
            let is_rbac = obj.api_version.starts_with("rbac.authorization.k8s.io/");
            match obj.kind.as_str() {
                "Role" | "ClusterRole" if is_rbac => {
                    let cluster = obj.kind == "ClusterRole";
                    let rules = parse_rules(obj, &mut m.warnings);
                    m.roles.push(Role {
                        name: obj.name.clone(),
                        namespace: if cluster {
                            None
                        } else {
                            Some(obj.namespace.clone().unwrap_or_else(|| "default".into()))
                        },
                        labels: obj.labels.clone(),
                        rules,
                        aggregation: if cluster {
                            parse_aggregation(obj)
                        } else {
                            Vec::new()
                        },
                    });
                }
                "RoleBinding" | "ClusterRoleBinding" if is_rbac => {
                    let cluster = obj.kind == "ClusterRoleBinding";
                    let role_kind = obj
                        .doc
                        .pointer("/roleRef/kind")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let role_name = obj
                        .doc
                        .pointer("/roleRef/name")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let valid_kind =
                        role_kind == "ClusterRole" || (!cluster && role_kind == "Role");
                    if !valid_kind || role_name.is_empty() {
                        m.warnings.push(warn(
                            obj,
                            format!("{}: invalid roleRef ignored", obj.address()),
                        ));
                        continue;
                    }
                    let subjects = parse_subjects(obj, &mut m.warnings);
                    m.bindings.push(Binding {
                        name: obj.name.clone(),
                        namespace: if cluster {
                            None
                        } else {
                            Some(obj.namespace.clone().unwrap_or_else(|| "default".into()))
                        },
                        role_kind: role_kind.into(),
                        role_name: role_name.into(),
                        subjects,
                    });
                }
                "ServiceAccount" if obj.api_version == "v1" => {
                    let ns = obj.namespace.clone().unwrap_or_else(|| "default".into());
                    m.service_accounts.push((ns, obj.name.clone()));
                }
                "Secret" if obj.api_version == "v1" => {
                    let ty = obj.doc.get("type").and_then(Value::as_str).unwrap_or("");
                    let sa = obj
                        .annotations
                        .get("kubernetes.io/service-account.name")
                        .cloned()
                        .unwrap_or_default();
                    if ty == "kubernetes.io/service-account-token" && !sa.is_empty() {
                        let ns = obj.namespace.clone().unwrap_or_else(|| "default".into());
                        m.token_secrets.push((ns, obj.name.clone(), sa));
                    }
                }
                _ => {
                    if let Some(ps) = crate::podspec::pod_spec(obj) {
                        let sa = ps
                            .spec
                            .get("serviceAccountName")
                            .or_else(|| ps.spec.get("serviceAccount"))
                            .and_then(Value::as_str)
                            .filter(|s| !s.is_empty())
                            .unwrap_or("default");
                        m.workloads.push(Workload {
                            address: obj.address(),
                            namespace: obj.effective_namespace().unwrap_or("default").to_string(),
                            service_account: sa.to_string(),
                        });
                    }
                }
            }
        }
        m
    }
}
