//! kubescape's resource aggregators: how some rules see their input.

use crate::docs::str_at;
use serde_json::Value;

/// `subject-role-rolebinding`: one object per subject of each (Cluster)RoleBinding whose role is known,
/// holding the subject's fields and `relatedObjects: [binding, role]`.
pub fn subjects_with_roles(objects: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for binding in objects {
        let kind = str_at(binding, &["kind"]);
        if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
            continue;
        }
        let Some(role) = role_of(binding, objects) else {
            continue;
        };
        let subjects = binding
            .get("subjects")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for subject in subjects {
            let Value::Object(mut vector) = subject.clone() else {
                continue;
            };
            vector.insert(
                "relatedObjects".into(),
                Value::Array(vec![binding.clone(), role.clone()]),
            );
            out.push(Value::Object(vector));
        }
    }
    out
}

/// The Role or ClusterRole a binding's `roleRef` names (a Role must be in the binding's namespace).
fn role_of<'a>(binding: &Value, objects: &'a [Value]) -> Option<&'a Value> {
    let ref_kind = str_at(binding, &["roleRef", "kind"]);
    let ref_name = str_at(binding, &["roleRef", "name"]);
    let ns = str_at(binding, &["metadata", "namespace"]);
    objects.iter().find(|o| {
        str_at(o, &["kind"]) == ref_kind
            && str_at(o, &["metadata", "name"]) == ref_name
            && (ref_kind != "Role" || {
                let role_ns = str_at(o, &["metadata", "namespace"]);
                role_ns.is_empty() || role_ns == ns
            })
    })
}

/// `apiserver-pod`: only the kube-apiserver Pod of `kube-system`.
pub fn apiserver_pod(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| {
            str_at(o, &["kind"]) == "Pod"
                && str_at(o, &["metadata", "namespace"]) == "kube-system"
                && (str_at(o, &["metadata", "labels", "component"]) == "kube-apiserver"
                    || str_at(o, &["metadata", "name"]).starts_with("kube-apiserver"))
        })
        .take(1)
        .cloned()
        .collect()
}
