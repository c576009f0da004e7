//! Audits outside the interpreted subset: WARN "not interpretable" by default, run by `/bin/sh`
//! only with the explicit opt-in; manual and skip checks are never run.

use rampart_node::{Catalog, Node, ProcessSource, RunOptions, State, run};

const CONFIG: &str = "node:\n  components: [kubelet]\n  kubelet:\n    optional: true\n    bins: [kubelet]\n    confs: [/etc/kubelet.yaml]\n    defaultconf: /var/lib/kubelet/config.yaml\nversion_mapping:\n  \"1.99\": test-1.0\ntarget_mapping:\n  test-1.0: [node]\n";

const NODE_YAML: &str = r#"---
controls:
version: "test-1.0"
id: 9
text: "Test"
type: "node"
groups:
  - id: 9.1
    text: "Opt-in"
    checks:
      - id: 9.1.1
        text: "printf is not interpreted"
        audit: "printf 'permissions=600'"
        tests:
          test_items:
            - flag: "permissions"
              compare:
                op: bitmask
                value: "600"
        remediation: "none"
        scored: true
      - id: 9.1.2
        text: "manual"
        type: manual
        audit: "rm -rf /nonexistent"
        remediation: "none"
        scored: false
      - id: 9.1.3
        text: "skip"
        type: skip
        audit: "rm -rf /nonexistent"
        remediation: "none"
        scored: true
      - id: 9.1.5
        text: "variables are replaced in test items too"
        audit: "echo /var/lib/kubelet/config.yaml"
        tests:
          test_items:
            - flag: "$kubeletconf"
        remediation: "none"
        scored: true
      - id: 9.1.4
        text: "native; a missing binary is named after its component, a missing file after the default"
        audit: "echo $kubeletbin $kubeletconf"
        tests:
          test_items:
            - flag: "kubelet /var/lib/kubelet/config.yaml"
        remediation: "none"
        scored: true
"#;

fn setup() -> (tempfile::TempDir, Catalog, Node) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("config.yaml"), CONFIG).unwrap();
    std::fs::create_dir(tmp.path().join("test-1.0")).unwrap();
    std::fs::write(tmp.path().join("test-1.0/node.yaml"), NODE_YAML).unwrap();
    let catalog = Catalog::open(tmp.path()).unwrap();
    let node = Node::new(tmp.path().join("no-root"), &ProcessSource::List(Vec::new())).unwrap();
    (tmp, catalog, node)
}

#[test]
fn uninterpretable_audits_warn_unless_the_shell_is_allowed() {
    let (_tmp, catalog, node) = setup();
    let opts = RunOptions {
        k8s_version: Some("1.99".into()),
        ..RunOptions::default()
    };
    let report = run(&catalog, &node, &opts).unwrap();
    let r = report.result("9.1.1").unwrap();
    assert_eq!(r.state, State::Warn);
    assert!(r.uninterpreted);
    assert!(r.reason.contains("--allow-audit-commands"), "{}", r.reason);
    assert_eq!(report.result("9.1.2").unwrap().state, State::Warn);
    assert_eq!(report.result("9.1.3").unwrap().state, State::Info);
    assert_eq!(report.result("9.1.4").unwrap().state, State::Pass);
    assert_eq!(report.result("9.1.5").unwrap().state, State::Pass);
    assert_eq!(report.totals().uninterpreted, 1);
    assert!(report.findings().is_empty());

    let allowed = RunOptions {
        allow_shell: true,
        ..opts
    };
    let report = run(&catalog, &node, &allowed).unwrap();
    let r = report.result("9.1.1").unwrap();
    assert_eq!(r.state, State::Pass, "{r:?}");
    assert!(!r.native && !r.uninterpreted);
}

#[test]
fn unknown_targets_and_benchmarks_are_errors() {
    let (_tmp, catalog, node) = setup();
    let opts = RunOptions {
        benchmark: Some("test-1.0".into()),
        targets: vec!["master".into()],
        ..RunOptions::default()
    };
    let err = run(&catalog, &node, &opts).unwrap_err().to_string();
    assert!(err.contains("master") && err.contains("node"), "{err}");
    let opts = RunOptions {
        benchmark: Some("cis-0".into()),
        ..RunOptions::default()
    };
    assert!(run(&catalog, &node, &opts).is_err());
}

#[test]
fn fuzz_entry_points_accept_any_bytes() {
    for data in [
        NODE_YAML.as_bytes(),
        b"test_items: [{flag: a, compare: {op: regex, value: '('}}]",
        b"\xff\xfe{[",
        b"controls: 3",
        b"a: &a [*a, *a]",
    ] {
        rampart_node::fuzzing::fuzz_definitions(data);
        rampart_node::fuzzing::fuzz_test_items(data);
        rampart_node::fuzzing::fuzz_audit(data);
    }
    for audit in [
        "find / | xargs stat -c %a",
        "for a in $(cat /x) ; do echo $a; done | sort",
        "if test -e /etc; then cat /etc/*; fi",
        "echo \"unterminated",
        "grep -A",
    ] {
        rampart_node::fuzzing::fuzz_audit(audit.as_bytes());
    }
    if let Some(cfg) = rampart_testkit::shared("testdata/kube-bench/cfg/cis-1.10") {
        for file in ["node.yaml", "master.yaml"] {
            let bytes = std::fs::read(cfg.join(file)).unwrap();
            rampart_node::fuzzing::fuzz_definitions(&bytes);
            rampart_node::fuzzing::fuzz_test_items(&bytes);
        }
    }
}
