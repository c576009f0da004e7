//! A generated large cluster (2,000 roles, 5,000 bindings, 3,000 service accounts, 1,000 workloads, 10
//! cluster-admin bindings, 100 legacy token secrets)
//! is analysed — findings, escalation paths and a who-can query — within a time bound.

use rampart_kube::rbac;
use rampart_kube::{KubeObject, LoadOptions, load_str};
use std::fmt::Write;
use std::time::{Duration, Instant};

/// Generates the cluster as one multi-document YAML stream.
pub fn generate(namespaces: usize, roles: usize, bindings: usize, sas: usize) -> String {
    let mut y = String::new();
    let verbs = ["get", "list", "create", "update", "delete", "watch"];
    let resources = [
        "pods",
        "secrets",
        "configmaps",
        "services",
        "deployments",
        "pods/exec",
        "jobs",
    ];
    for i in 0..roles {
        let ns = format!("ns{}", i % namespaces);
        let (kind, meta) = if i.is_multiple_of(4) {
            ("ClusterRole", format!("{{name: cr{i}}}"))
        } else {
            ("Role", format!("{{name: r{i}, namespace: {ns}}}"))
        };
        let _ = write!(
            y,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nrules:\n"
        );
        for j in 0..3 {
            let _ = writeln!(
                y,
                "  - {{apiGroups: [\"\", apps, batch], resources: [{}], verbs: [{}]}}",
                resources[(i + j) % resources.len()],
                verbs[(i * 3 + j) % verbs.len()]
            );
        }
    }
    for i in 0..sas {
        let _ = write!(
            y,
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa{i}, namespace: ns{}}}\n",
            i % namespaces
        );
    }
    for i in 0..bindings {
        let ns = format!("ns{}", i % namespaces);
        let r = (i * 7) % roles;
        let role_ref = if r.is_multiple_of(4) {
            format!("{{kind: ClusterRole, name: cr{r}}}")
        } else {
            format!("{{kind: Role, name: r{r}}}")
        };
        let kind = if i.is_multiple_of(50) {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        };
        let role_ref = if kind == "ClusterRoleBinding" && !r.is_multiple_of(4) {
            "{kind: ClusterRole, name: cr0}".to_string()
        } else {
            role_ref
        };
        let _ = write!(
            y,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: b{i}, namespace: {ns}}}\nroleRef: {role_ref}\nsubjects:\n  - {{kind: ServiceAccount, name: sa{}, namespace: ns{}}}\n  - {{kind: User, name: user{}}}\n",
            (i * 13) % sas,
            ((i * 13) % sas) % namespaces,
            i % 400
        );
    }
    for i in 0..sas / 3 {
        let _ = write!(
            y,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: ns{}}}\nspec:\n  template:\n    spec:\n      serviceAccountName: sa{}\n      containers: [{{name: c, image: x}}]\n",
            i % namespaces,
            i
        );
    }
    y.push_str("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cluster-admin}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n");
    for i in (0..sas).step_by(300) {
        let _ = write!(
            y,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: admin{i}}}\nroleRef: {{kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: ServiceAccount, name: sa{i}, namespace: ns{}}}]\n",
            i % namespaces
        );
    }
    for i in 0..namespaces {
        let _ = write!(
            y,
            "---\napiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\nmetadata: {{name: sa{i}-token, namespace: ns{i}, annotations: {{kubernetes.io/service-account.name: sa{i}}}}}\n"
        );
    }
    y
}

fn cluster() -> Vec<KubeObject> {
    let text = generate(100, 2_000, 5_000, 3_000);
    let opts = LoadOptions {
        max_file_bytes: 1 << 30,
        max_documents_per_file: 100_000,
        ..LoadOptions::default()
    };
    let loaded = load_str(&text, "generated.yaml", &opts);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings.first());
    loaded.objects
}

#[test]
fn large_cluster_is_analysed_quickly() {
    let objects = cluster();
    assert_eq!(objects.len(), 2_000 + 5_000 + 3_000 + 1_000 + 1 + 10 + 100);
    let start = Instant::now();
    let a = rbac::analyze(&objects);
    let who = rbac::who_can(&objects, "get", "secrets", Some("ns7"), None);
    let took = start.elapsed();
    eprintln!(
        "rbac analyze: {} findings, {} paths, {} who-can answers in {took:?}",
        a.findings.len(),
        a.paths.len(),
        who.len()
    );
    assert!(!a.findings.is_empty());
    assert!(!a.paths.is_empty());
    // generous for debug builds; release runs in well under 2 s
    let bound = if cfg!(debug_assertions) { 30 } else { 2 };
    assert!(took < Duration::from_secs(bound), "took {took:?}");
}
