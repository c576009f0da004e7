//! The loaded form of one Kubernetes object.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Where an object came from: the file (or `-` for stdin) and the lines of its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub path: String,
    /// First line (1-based) of the document that holds the object.
    pub first_line: u32,
    /// Last line (1-based, inclusive) of that document.
    pub last_line: u32,
    /// The Helm template the document was rendered from (`# Source:` comment), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

impl Source {
    /// The core location of the whole document.
    pub fn location(&self) -> rampart_core::Location {
        rampart_core::Location::with_lines(self.path.clone(), self.first_line, self.last_line)
    }
}

/// One Kubernetes object as found in a manifest or snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KubeObject {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The whole object as parsed.
    pub doc: Value,
    pub source: Source,
}

/// Kinds that live outside namespaces; everything else is treated as namespaced.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "CertificateSigningRequest",
    "PodSecurityPolicy",
];

/// API groups whose kinds are part of Kubernetes itself (the empty string is the core group).
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "node.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "certificates.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "internal.apiserver.k8s.io",
    "storagemigration.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
    "extensions",
];

/// True for API groups served by Kubernetes itself (the empty string is the core group).
pub(crate) fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group)
}

impl KubeObject {
    /// Builds an object from a parsed document; `None` when the document has no `kind`.
    pub fn from_value(doc: Value, source: Source) -> Option<KubeObject> {
        let kind = doc.get("kind")?.as_str()?.to_string();
        let api_version = str_at(&doc, "apiVersion").to_string();
        let meta = doc.get("metadata");
        let name = meta
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let labels = string_map(meta.and_then(|m| m.get("labels")));
        let annotations = string_map(meta.and_then(|m| m.get("annotations")));
        Some(KubeObject {
            api_version,
            kind,
            name,
            namespace,
            labels,
            annotations,
            doc,
            source,
        })
    }

    /// The API group (`apps` for `apps/v1`, empty for the core `v1`).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
    }

    /// True for kinds served by Kubernetes itself rather than a CRD.
    pub fn is_builtin(&self) -> bool {
        is_builtin_group(self.group())
    }

    /// True for cluster-scoped kinds.
    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.contains(&self.kind.as_str())
    }

    /// The namespace the object lives in: its own, else `default` for namespaced kinds.
    pub fn effective_namespace(&self) -> Option<&str> {
        if self.is_cluster_scoped() {
            return None;
        }
        Some(self.namespace.as_deref().unwrap_or("default"))
    }

    /// A stable resource address: `Kind/namespace/name`, or `Kind/name` when no namespace is set.
    pub fn address(&self) -> String {
        match &self.namespace {
            Some(ns) if !self.is_cluster_scoped() => format!("{}/{}/{}", self.kind, ns, self.name),
            _ => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// The string at `key` of an object value, or `""`.
pub(crate) fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(m)) = v {
        for (k, v) in m {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            out.insert(k.clone(), s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src() -> Source {
        Source {
            path: "a.yaml".into(),
            first_line: 1,
            last_line: 5,
            template: None,
        }
    }

    #[test]
    fn reads_identity_and_metadata() {
        let doc = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}}});
        let o = KubeObject::from_value(doc, src()).expect("object");
        assert_eq!(o.group(), "apps");
        assert!(o.is_builtin());
        assert_eq!(o.address(), "Deployment/prod/web");
        assert_eq!(o.labels.get("app").map(String::as_str), Some("web"));
    }

    #[test]
    fn cluster_scoped_and_crd_kinds() {
        let ns = KubeObject::from_value(
            json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "x"}}),
            src(),
        )
        .expect("object");
        assert_eq!(ns.effective_namespace(), None);
        let cr = KubeObject::from_value(
            json!({"apiVersion": "cert-manager.io/v1",
            "kind": "Certificate"}),
            src(),
        )
        .expect("object");
        assert!(!cr.is_builtin());
        assert_eq!(cr.effective_namespace(), Some("default"));
        assert!(KubeObject::from_value(json!({"a": 1}), src()).is_none());
    }
}
