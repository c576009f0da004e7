//! `rampart k8s --live` end to end, against a local server replaying recorded Kubernetes API responses
//! (no API server runs here; see crates/kube/tests/data/recorded/README.md).

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

/// `rampart k8s --live --context recorded ARGS… --format json` against the replay server: the
/// report, and standard error.
fn live_report(args: &[&str]) -> (Value, String) {
    let server = replay::Replay::start(&recorded());
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.kubeconfig(&recorded().join("kubeconfig.yaml"), dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["k8s", "--live", "--context", "recorded", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(args)
        .args(["--format", "json"])
        .env_remove("KUBECONFIG")
        .output()
        .expect("run rampart");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    (report, stderr)
}

#[test]
fn k8s_live_checks_the_cluster_of_the_named_context() {
    let (report, stderr) = live_report(&["--framework", "pss-baseline"]);
    assert_eq!(report["target"]["name"], "cluster://recorded", "{report}");
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["rule_id"] == "pss:privileged" && f["subject"] == "Pod/shop/debug-shell"),
        "{findings:?}"
    );
    // Objects of the second page of pods were read too.
    assert!(
        findings
            .iter()
            .any(|f| f["subject"].as_str().unwrap_or("").contains("coredns")),
        "{findings:?}"
    );
    let compliance = &report["compliance"][0];
    assert!(compliance.is_object(), "{report}");
    assert!(stderr.contains("custom resources"), "{stderr}");
}

#[test]
fn k8s_live_without_a_reachable_cluster_fails_clearly() {
    let server = replay::Replay::start(&recorded());
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.kubeconfig(&recorded().join("kubeconfig.yaml"), dir.path());
    // The kubeconfig's current context points at a closed port.
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["k8s", "--live", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .expect("run rampart");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("API discovery failed"), "{stderr}");
}

#[test]
fn k8s_context_needs_live() {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["k8s", "some/dir", "--context", "x"])
        .output()
        .expect("run rampart");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--live"));
}

#[test]
fn rbac_reads_bindings_from_the_live_cluster() {
    let server = replay::Replay::start(&recorded());
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.kubeconfig(&recorded().join("kubeconfig.yaml"), dir.path());
    let rbac = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rampart"))
            .arg("rbac")
            .args(args)
            .args(["--live", "--context", "recorded", "--kubeconfig"])
            .arg(&kubeconfig)
            .env_remove("KUBECONFIG")
            .output()
            .expect("run rampart")
    };
    // The recorded cluster lets shop's default service account read secrets (Role secret-reader,
    // RoleBinding shop-secret-reader); listing ClusterRoles is forbidden: a warning, not a failure.
    let out = rbac(&[
        "can",
        "system:serviceaccount:shop:default",
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("shop-secret-reader"), "{text}");
    assert!(stderr.to_lowercase().contains("forbidden"), "{stderr}");
    let out = rbac(&[
        "who-can", "get", "secrets", "-n", "shop", "--format", "json",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("shop") && text.contains("default"), "{text}");

    let out = rbac(&["analyze", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["target"]["name"], "cluster://recorded", "{report}");
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["subject"]
            .as_str()
            .is_some_and(|s| s.contains("shop") && s.contains("default"))),
        "{findings:?}"
    );

    // Paths and --live exclude each other.
    let both = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["rbac", "analyze", "some/dir", "--live"])
        .output()
        .expect("run rampart");
    assert_eq!(both.status.code(), Some(2));
}

/// `--live` runs the RBAC risk checks on the bindings it lists (CIS 5.1.x).
#[test]
fn k8s_live_reports_rbac_risks_under_cis_5_1() {
    let (report, _) = live_report(&["--framework", "cis-kubernetes", "-q"]);
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
