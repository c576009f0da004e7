//! The live-cluster path against a local server replaying recorded API responses (no API server runs
//! here): kubeconfig and context selection, discovery, pagination, forbidden lists, and the checks on
//! the objects read.

#![cfg(feature = "live")]

#[path = "support/replay.rs"]
mod replay;

use rampart_kube::live::{LiveError, LiveOptions, load_live};
use rampart_kube::{ScanOptions, scan};
use replay::Replay;
use std::path::PathBuf;

fn recorded() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/recorded"))
}

/// A replay server and a kubeconfig for it in a temporary folder.
fn setup() -> (Replay, tempfile::TempDir, PathBuf) {
    let server = Replay::start(&recorded());
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.kubeconfig(&recorded().join("kubeconfig.yaml"), dir.path());
    (server, dir, kubeconfig)
}

fn options(kubeconfig: PathBuf, page_size: u32) -> LiveOptions {
    LiveOptions {
        kubeconfig: Some(kubeconfig),
        context: Some("recorded".into()),
        page_size,
    }
}

#[test]
fn live_cluster_objects_are_read_across_continue_pages() {
    let (server, _dir, kubeconfig) = setup();
    let loaded = load_live(&options(kubeconfig, 2)).expect("live load");
    let names: Vec<String> = loaded.objects.iter().map(|o| o.address()).collect();
    for expected in [
        "Pod/shop/web-7d4b9c8f6d-x2kqp",
        "Pod/shop/debug-shell",
        "Pod/kube-system/coredns-668d6bf9bc-4hx7z",
        "Deployment/shop/web",
        "Deployment/shop/worker",
        "Service/shop/web",
        "Namespace/shop",
        "ClusterRoleBinding/ci-admin",
        "Role/shop/secret-reader",
        "RoleBinding/shop/shop-secret-reader",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert_eq!(loaded.objects.len(), 15, "{names:?}");
    // List items carry no kind/apiVersion: they are set from the resource listed.
    let coredns = loaded
        .objects
        .iter()
        .find(|o| o.name.starts_with("coredns"))
        .expect("coredns");
    assert_eq!(coredns.doc["kind"], "Pod");
    assert_eq!(coredns.doc["apiVersion"], "v1");
    assert_eq!(coredns.source.path, "cluster://recorded/v1/pods");
    assert_eq!(coredns.source.first_line, 2, "second page");
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /api/v1/pods?") && r.contains("limit=2")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /api/v1/pods?") && r.contains("continue=")),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.contains("/secrets")),
        "secrets are never read: {requests:?}"
    );
}

#[test]
fn live_forbidden_list_is_a_warning_and_custom_groups_a_note() {
    let (_server, _dir, kubeconfig) = setup();
    let loaded = load_live(&options(kubeconfig, 500)).expect("live load");
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.path.ends_with("/clusterroles") && w.message.contains("forbidden")),
        "{:?}",
        loaded.warnings
    );
    assert!(
        loaded.notes.iter().any(|n| n
            .message
            .contains("2 API group(s) outside Kubernetes itself")),
        "{:?}",
        loaded.notes
    );
}

#[test]
fn live_objects_go_through_the_same_checks_as_files() {
    let (_server, _dir, kubeconfig) = setup();
    let loaded = load_live(&options(kubeconfig, 500)).expect("live load");
    let (findings, _) = scan(&loaded.objects, &ScanOptions::default());
    let privileged = findings
        .iter()
        .find(|f| f.rule_id == "pss:privileged")
        .expect("privileged finding");
    assert_eq!(privileged.subject, "Pod/shop/debug-shell");
    assert!(findings.iter().any(|f| f.rule_id == "pss:hostNamespaces"));
}

#[test]
fn live_uses_the_kubeconfig_current_context_unless_one_is_named() {
    let (_server, _dir, kubeconfig) = setup();
    // The current context points at a closed port: discovery fails, naming the endpoint.
    let err = load_live(&LiveOptions {
        kubeconfig: Some(kubeconfig.clone()),
        context: None,
        page_size: 500,
    })
    .expect_err("unreachable current context");
    assert!(matches!(err, LiveError::Discovery { .. }), "{err}");
    let err = load_live(&LiveOptions {
        kubeconfig: Some(kubeconfig),
        context: Some("no-such-context".into()),
        page_size: 500,
    })
    .expect_err("unknown context");
    assert!(matches!(err, LiveError::Kubeconfig(_)), "{err}");
    assert!(err.to_string().contains("no-such-context"), "{err}");
}

#[test]
fn live_missing_kubeconfig_file_is_a_clear_error() {
    let err = load_live(&LiveOptions {
        kubeconfig: Some(PathBuf::from("/nonexistent/kubeconfig")),
        ..LiveOptions::default()
    })
    .expect_err("missing file");
    assert!(err.to_string().contains("/nonexistent/kubeconfig"), "{err}");
}
