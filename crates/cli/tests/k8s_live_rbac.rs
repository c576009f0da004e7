//! `rampart k8s --live` runs the RBAC risk checks on the bindings it lists (CIS 5.1.x), against the
//! local replay of recorded API responses (no API server runs here).

#[path = "../../kube/tests/support/replay.rs"]
mod replay;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn recorded() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kube/tests/data/recorded"
    ))
}

#[test]
fn k8s_live_reports_rbac_risks_under_cis_5_1() {
    let server = replay::Replay::start(&recorded());
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.kubeconfig(&recorded().join("kubeconfig.yaml"), dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["k8s", "--live", "--context", "recorded", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--framework", "cis-kubernetes", "--format", "json", "-q"])
        .env_remove("KUBECONFIG")
        .output()
        .expect("run rampart");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let findings = report["findings"].as_array().expect("findings");
    let found: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap(),
                f["subject"].as_str().unwrap(),
            )
        })
        .filter(|(rule, _)| rule.starts_with("rbac:"))
        .collect();
    // The recorded ClusterRoleBinding ci-admin binds cluster-admin to shop's default account; the
    // RoleBinding shop-secret-reader grants it a Role reading Secrets.
    for want in [
        (
            "rbac:cluster-admin-binding",
            "ServiceAccount shop/default via ClusterRoleBinding ci-admin",
        ),
        (
            "rbac:read-secrets",
            "ServiceAccount shop/default via RoleBinding shop/shop-secret-reader",
        ),
        (
            "rbac:default-sa-bound",
            "ServiceAccount shop/default via RoleBinding shop/shop-secret-reader",
        ),
    ] {
        assert!(found.contains(&want), "{want:?} not in {found:?}");
    }
    let grant = findings
        .iter()
        .find(|f| f["rule_id"] == "rbac:cluster-admin-binding")
        .unwrap();
    assert_eq!(
        grant["evidence"][0]["location"]["path"],
        "cluster://recorded/rbac.authorization.k8s.io/v1/clusterrolebindings"
    );
    let controls = report["compliance"][0]["controls"].as_array().unwrap();
    let status = |id: &str| {
        controls
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("5.1.1").as_deref(), Some("failed"), "{controls:?}");
    assert_eq!(status("5.1.2").as_deref(), Some("failed"), "{controls:?}");
    assert_eq!(status("5.1.5").as_deref(), Some("failed"), "{controls:?}");
}
