//! Shared by the gatekeeper bench and the `audit_timing` example: the library's templates with their first
//! sample constraint, and synthetic objects.

use rampart_posture::Limits;
use rampart_posture::gatekeeper::{Constraint, ConstraintTemplate, PolicySet, is_constraint};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The Gatekeeper library folder under `$RAMPART_SHARED` (default `../shared`).
pub fn library() -> PathBuf {
    std::env::var_os("RAMPART_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("testdata/gatekeeper-library/library")
}

/// Every template of the library with its first sample constraint.
pub fn policy_set(library: &Path) -> PolicySet {
    let mut set = PolicySet::new();
    let mut dirs: Vec<_> = ["general", "pod-security-policy"]
        .iter()
        .filter_map(|c| std::fs::read_dir(library.join(c)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("template.yaml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Ok(t) = ConstraintTemplate::load(&dir.join("template.yaml"), Limits::default()) else {
            continue;
        };
        let constraint = std::fs::read_dir(dir.join("samples"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path().join("constraint.yaml")))
            .find(|p| p.is_file())
            .and_then(|p| rampart_posture::docs::load_one(&p).ok())
            .filter(is_constraint)
            .and_then(|d| Constraint::from_document("bench", &d).ok());
        if let Some(c) = constraint {
            set.templates.push(t);
            set.constraints.push(c);
        }
    }
    set
}

/// `n` synthetic Pods, Deployments, Services and Ingresses over 20 namespaces.
pub fn objects(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| match i % 4 {
            0 => json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("pod-{i}"),
                "namespace": format!("ns-{}", i % 20), "labels": {"app": "web", "owner": "team"}},
                "spec": {"containers": [{"name": "app", "image": format!("registry.example/app:{i}"),
                    "securityContext": {"privileged": i % 8 == 0, "allowPrivilegeEscalation": false},
                    "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                    "ports": [{"containerPort": 8080}]}]}}),
            1 => json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": format!("dep-{i}"),
                "namespace": format!("ns-{}", i % 20)}, "spec": {"replicas": 3, "template": {"metadata":
                {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "api", "image": "nginx:latest"}]}}}}),
            2 => json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": format!("svc-{i}"),
                "namespace": format!("ns-{}", i % 20)}, "spec": {"type": if i % 6 == 2 { "LoadBalancer" } else { "ClusterIP" },
                "selector": {"app": format!("web-{i}")}, "ports": [{"port": 80}]}}),
            _ => json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": format!("ing-{i}"),
                "namespace": format!("ns-{}", i % 20)}, "spec": {"rules": [{"host": format!("app-{i}.example.com")}]}}),
        })
        .collect()
}
