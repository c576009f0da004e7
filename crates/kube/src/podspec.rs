//! Finding the pod template inside every workload kind.

use crate::object::KubeObject;
use serde_json::Value;

/// A pod spec inside an object, with the metadata that applies to its pods.
#[derive(Debug, Clone, Copy)]
pub struct PodSpecRef<'a> {
    pub object: &'a KubeObject,
    /// JSON path of the spec inside the object (`spec`, `spec.template.spec`, …).
    pub path: &'static str,
    /// The pod's metadata (the template's for controllers); `Value::Null` when absent.
    pub metadata: &'a Value,
    pub spec: &'a Value,
}

static NULL: Value = Value::Null;

/// Where each workload kind keeps its pod template: (kind, path of template metadata, path of spec).
const WORKLOADS: &[(&str, &[&str], &[&str], &str)] = &[
    ("Pod", &["metadata"], &["spec"], "spec"),
    (
        "Deployment",
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
        "spec.template.spec",
    ),
    (
        "StatefulSet",
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
        "spec.template.spec",
    ),
    (
        "DaemonSet",
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
        "spec.template.spec",
    ),
    (
        "ReplicaSet",
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
        "spec.template.spec",
    ),
    (
        "ReplicationController",
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
        "spec.template.spec",
    ),
    (
        "Job",
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
        "spec.template.spec",
    ),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "metadata"],
        &["spec", "jobTemplate", "spec", "template", "spec"],
        "spec.jobTemplate.spec.template.spec",
    ),
    (
        "PodTemplate",
        &["template", "metadata"],
        &["template", "spec"],
        "template.spec",
    ),
];

impl PodSpecRef<'_> {
    /// Evaluates the Pod Security Standards on this pod spec (see [`crate::pss::evaluate`]).
    pub fn pss(
        &self,
        level: crate::pss::Level,
        version: crate::pss::PolicyVersion,
    ) -> Vec<crate::pss::CheckResult> {
        crate::pss::evaluate(self.metadata, self.spec, level, version)
    }
}

/// True for the kinds that carry a pod template.
pub fn is_workload_kind(kind: &str) -> bool {
    WORKLOADS.iter().any(|w| w.0 == kind)
}

/// The pod spec of a workload object, if it is one of the built-in workload kinds and has a spec.
pub fn pod_spec(object: &KubeObject) -> Option<PodSpecRef<'_>> {
    if !object.is_builtin() {
        return None;
    }
    let (_, meta_path, spec_path, path) = WORKLOADS.iter().find(|w| w.0 == object.kind)?;
    let spec = at(&object.doc, spec_path).filter(|v| v.is_object())?;
    let metadata = at(&object.doc, meta_path).unwrap_or(&NULL);
    Some(PodSpecRef {
        object,
        path,
        metadata,
        spec,
    })
}

/// Every pod spec among `objects`.
pub fn pod_specs(objects: &[KubeObject]) -> impl Iterator<Item = PodSpecRef<'_>> {
    objects.iter().filter_map(pod_spec)
}

/// The value at a path of object keys.
pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// The containers of a pod spec (containers, initContainers, ephemeralContainers) with the field each
/// list lives in.
pub fn containers(spec: &Value) -> impl Iterator<Item = (&'static str, &Value)> {
    ["containers", "initContainers", "ephemeralContainers"]
        .into_iter()
        .flat_map(move |field| {
            spec.get(field)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| c.is_object())
                .map(move |c| (field, c))
        })
}

/// A container's name, or `""`.
pub fn container_name(c: &Value) -> &str {
    c.get("name").and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, load_str};

    #[test]
    fn finds_specs_of_every_workload_kind() {
        let text = "kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n---\n\
kind: CronJob\napiVersion: batch/v1\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata: {annotations: {x: y}}\n        spec: {containers: [{name: b}], initContainers: [{name: i}]}\n---\n\
kind: PodTemplate\napiVersion: v1\nmetadata: {name: t}\ntemplate: {spec: {containers: []}}\n---\n\
kind: Service\napiVersion: v1\nmetadata: {name: s}\nspec: {}\n";
        let l = load_str(text, "t", &LoadOptions::default());
        let specs: Vec<_> = pod_specs(&l.objects).collect();
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[1].path, "spec.jobTemplate.spec.template.spec");
        assert!(specs[1].metadata.get("annotations").is_some());
        let names: Vec<_> = containers(specs[1].spec)
            .map(|(f, c)| (f, container_name(c)))
            .collect();
        assert_eq!(names, vec![("containers", "b"), ("initContainers", "i")]);
    }
}
