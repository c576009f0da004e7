//! The check catalogue: metadata of every check, the `Check` trait for built-in Rust checks over normalised
//! documents, and the conversion of results into core `Finding`s.

use rampart_core::finding::{Finding, FindingKind};
use rampart_core::package::Location;
use rampart_core::severity::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A check id, unique in a catalogue: `pss:privileged`, `k8s:image-tag`, `gatekeeper:k8srequiredlabels/name`,
/// `kubescape:C-0057`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheckId(pub String);

impl CheckId {
    pub fn new(id: impl Into<String>) -> Self {
        CheckId(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A control of a framework that a check maps to (`{framework: "nsa", id: "C-0057"}`,
/// `{framework: "mitre-attack", id: "T1611"}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ControlRef {
    pub framework: String,
    pub id: String,
}

/// What a check is: shown in reports and used to map findings to frameworks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckMeta {
    pub id: CheckId,
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub remediation: String,
    /// Resource kinds the check applies to (`Pod`, `Deployment`, `aws_s3_bucket`); empty = any.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Framework controls, including MITRE ATT&CK technique ids under framework `mitre-attack`.
    #[serde(default)]
    pub controls: Vec<ControlRef>,
}

impl CheckMeta {
    pub fn new(id: impl Into<String>, title: impl Into<String>, severity: Severity) -> Self {
        CheckMeta {
            id: CheckId::new(id),
            title: title.into(),
            severity,
            description: String::new(),
            remediation: String::new(),
            kinds: Vec::new(),
            controls: Vec::new(),
        }
    }

    /// Whether the check applies to documents of `kind`.
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind || k == "*")
    }
}

/// A normalised resource: its document and identity, wherever it came from (manifest, plan, cloud API).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: String,
    pub name: String,
    /// Empty for cluster-scoped or non-Kubernetes resources.
    pub namespace: String,
    pub value: Value,
    /// File and line range it was read from, when known.
    pub location: Option<Location>,
}

impl Document {
    /// A Kubernetes object, identified from its own `kind` and `metadata`.
    pub fn from_k8s(value: Value, location: Option<Location>) -> Self {
        let kind = crate::docs::str_at(&value, &["kind"]).to_string();
        let name = crate::docs::str_at(&value, &["metadata", "name"]).to_string();
        let namespace = crate::docs::str_at(&value, &["metadata", "namespace"]).to_string();
        Document {
            kind,
            name,
            namespace,
            value,
            location,
        }
    }

    /// The resource address used as a finding's subject: `Kind/namespace/name` or `Kind/name`.
    pub fn address(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One failed check on one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub check: CheckId,
    /// Resource address (see [`Document::address`]).
    pub subject: String,
    pub message: String,
    pub location: Option<Location>,
    /// Severity override (e.g. a Gatekeeper `warn` action); `None` = the check's severity.
    pub severity: Option<Severity>,
}

/// A built-in check written in Rust. Implementations live in the crates that know the resource shapes
/// (`kube`, `iac`, `cloud`) and register here.
pub trait Check: Send + Sync {
    fn meta(&self) -> &CheckMeta;
    /// Messages of everything wrong with `doc` (empty = pass). Only called when `meta().applies_to(kind)`.
    fn evaluate(&self, doc: &Document) -> Vec<String>;
}

/// Every check known to a scan: built-in ones (with code) and policy-backed ones (metadata only; their
/// policies run in `gatekeeper`/`kubescape`).
#[derive(Default)]
pub struct Catalogue {
    metas: BTreeMap<CheckId, CheckMeta>,
    builtins: Vec<Box<dyn Check>>,
}

impl Catalogue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a built-in check; a later registration with the same id replaces the earlier one.
    pub fn register(&mut self, check: Box<dyn Check>) {
        let id = check.meta().id.clone();
        self.builtins.retain(|c| c.meta().id != id);
        self.metas.insert(id, check.meta().clone());
        self.builtins.push(check);
    }

    /// Registers the metadata of a policy-backed check.
    pub fn register_policy(&mut self, meta: CheckMeta) {
        self.metas.insert(meta.id.clone(), meta);
    }

    pub fn get(&self, id: &CheckId) -> Option<&CheckMeta> {
        self.metas.get(id)
    }

    /// All check metadata, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &CheckMeta> {
        self.metas.values()
    }

    pub fn len(&self) -> usize {
        self.metas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    /// Runs every built-in check that applies to each document. Returns the violations and the ids of the
    /// checks that were evaluated on at least one document.
    pub fn run_builtins(&self, docs: &[Document]) -> (Vec<Violation>, Vec<CheckId>) {
        let mut out = Vec::new();
        let mut evaluated = std::collections::BTreeSet::new();
        for doc in docs {
            for check in &self.builtins {
                let meta = check.meta();
                if !meta.applies_to(&doc.kind) {
                    continue;
                }
                evaluated.insert(meta.id.clone());
                for message in check.evaluate(doc) {
                    out.push(Violation {
                        check: meta.id.clone(),
                        subject: doc.address(),
                        message,
                        location: doc.location.clone(),
                        severity: None,
                    });
                }
            }
        }
        (out, evaluated.into_iter().collect())
    }

    /// Turns violations into misconfiguration findings on `asset`, with the checks' metadata.
    pub fn findings(&self, asset: &str, violations: &[Violation]) -> Vec<Finding> {
        violations.iter().map(|v| self.finding(asset, v)).collect()
    }

    fn finding(&self, asset: &str, v: &Violation) -> Finding {
        let meta = self.metas.get(&v.check);
        let title = meta.map(|m| m.title.as_str()).unwrap_or(v.check.as_str());
        let severity = v
            .severity
            .or(meta.map(|m| m.severity))
            .unwrap_or(Severity::Unknown);
        let mut f = Finding::new(
            FindingKind::Misconfiguration,
            v.check.as_str(),
            title,
            severity,
            asset,
            &v.subject,
        )
        .with_evidence("policy violation", v.location.clone(), v.message.clone());
        if let Some(m) = meta {
            for c in &m.controls {
                f = f.with_control(c.framework.clone(), c.id.clone());
            }
            if !m.remediation.is_empty() {
                f = f.with_remediation(m.remediation.clone());
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct LatestTag(CheckMeta);

    impl Check for LatestTag {
        fn meta(&self) -> &CheckMeta {
            &self.0
        }
        fn evaluate(&self, doc: &Document) -> Vec<String> {
            let containers = doc
                .value
                .pointer("/spec/containers")
                .and_then(Value::as_array);
            containers
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("image").and_then(Value::as_str))
                .filter(|i| i.ends_with(":latest"))
                .map(|i| format!("image {i} uses the latest tag"))
                .collect()
        }
    }

    #[test]
    fn builtin_checks_become_findings_with_metadata() {
        let mut meta = CheckMeta::new(
            "k8s:image-tag-unpinned",
            "Image tag not pinned",
            Severity::Medium,
        );
        meta.kinds = vec!["Pod".into()];
        meta.remediation = "Pin images by digest".into();
        meta.controls.push(ControlRef {
            framework: "mitre-attack".into(),
            id: "T1525".into(),
        });
        let mut catalogue = Catalogue::new();
        catalogue.register(Box::new(LatestTag(meta)));
        let docs = [
            Document::from_k8s(
                json!({"kind": "Pod", "metadata": {"name": "web", "namespace": "prod"},
                    "spec": {"containers": [{"image": "nginx:latest"}]}}),
                Some(Location::with_lines("web.yaml", 3, 12)),
            ),
            Document::from_k8s(
                json!({"kind": "Service", "metadata": {"name": "svc"}}),
                None,
            ),
        ];
        let (violations, evaluated) = catalogue.run_builtins(&docs);
        assert_eq!(evaluated, [CheckId::new("k8s:image-tag-unpinned")]);
        let findings = catalogue.findings("manifests", &violations);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.subject, "Pod/prod/web");
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.remediation, "Pin images by digest");
        assert_eq!(f.controls[0].id, "T1525");
        assert_eq!(
            f.evidence[0].location.as_ref().and_then(|l| l.line),
            Some(3)
        );
    }
}
