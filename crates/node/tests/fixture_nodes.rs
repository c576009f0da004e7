//! CIS 1.10 node and master checks on fixture node trees: a hardened and an insecure control-plane
//! node (kubeadm layout), answered natively from files, stat overrides and a process list.

use rampart_node::{Catalog, Node, NodeReport, ProcessSource, RunOptions, State, run};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn node(name: &str) -> Node {
    let dir = fixture(name);
    Node::new(
        dir.join("root"),
        &ProcessSource::File(dir.join("processes.txt")),
    )
    .unwrap()
    .with_stat_overrides(&dir.join("stat-overrides.yaml"))
    .unwrap()
}

fn run_cis_1_10(node: &Node) -> Option<NodeReport> {
    let cfg = rampart_testkit::shared("testdata/kube-bench/cfg")?;
    let catalog = Catalog::open(cfg).unwrap();
    let opts = RunOptions {
        benchmark: Some("cis-1.10".into()),
        targets: vec!["master".into(), "node".into()],
        node_name: "cp-1".into(),
        ..RunOptions::default()
    };
    Some(run(&catalog, node, &opts).unwrap())
}

fn assert_states(report: &NodeReport, expected: &[(&str, State)]) {
    for (id, want) in expected {
        let r = report
            .result(id)
            .unwrap_or_else(|| panic!("no result for {id}"));
        assert_eq!(
            r.state, *want,
            "{id} {}\n  audit: {}\n  actual: {}\n  expected: {}\n  reason: {}",
            r.text, r.audit, r.actual_value, r.expected_result, r.reason
        );
        assert!(r.native, "{id} was not answered natively");
    }
}

#[test]
fn hardened_node_passes_the_well_understood_checks() {
    let Some(report) = run_cis_1_10(&node("hardened")) else {
        return;
    };
    use State::*;
    assert_states(
        &report,
        &[
            // Worker node files: kubelet service file, kubeconfig, CA file, config file.
            ("4.1.1", Pass),
            ("4.1.2", Pass),
            ("4.1.5", Pass),
            ("4.1.6", Pass),
            ("4.1.7", Pass),
            ("4.1.8", Pass),
            ("4.1.9", Pass),
            ("4.1.10", Pass),
            // Kubelet: flags absent from the command line, so the config file decides.
            ("4.2.1", Pass),
            ("4.2.2", Pass),
            ("4.2.3", Pass),
            ("4.2.4", Pass),
            ("4.2.5", Pass),
            ("4.2.6", Pass),
            ("4.2.7", Pass),
            ("4.2.10", Pass),
            // Control plane: manifests, etcd data dir (found from etcd's --data-dir), admin.conf.
            ("1.1.1", Pass),
            ("1.1.2", Pass),
            ("1.1.11", Pass),
            ("1.1.12", Pass),
            ("1.1.13", Pass),
            ("1.1.14", Pass),
            // API server, controller manager and scheduler flags from the process list.
            ("1.2.1", Pass),
            ("1.2.5", Pass),
            ("1.2.6", Pass),
            ("1.2.7", Pass),
            ("1.2.8", Pass),
            ("1.2.15", Pass),
            ("1.2.16", Pass),
            ("1.2.17", Pass),
            ("1.3.2", Pass),
            ("1.3.3", Pass),
            ("1.4.1", Pass),
            ("1.4.2", Pass),
        ],
    );
    assert!(report.findings().len() < report.totals().pass);
}

#[test]
fn insecure_node_fails_them() {
    let Some(report) = run_cis_1_10(&node("insecure")) else {
        return;
    };
    use State::*;
    assert_states(
        &report,
        &[
            ("4.1.1", Fail),
            ("4.1.2", Fail),
            ("4.1.5", Fail),
            ("4.1.6", Fail),
            // Unscored checks warn instead of failing.
            ("4.1.7", Warn),
            ("4.1.9", Fail),
            ("4.1.10", Fail),
            ("4.2.1", Fail),
            ("4.2.2", Fail),
            ("4.2.3", Fail),
            ("4.2.4", Warn),
            ("4.2.5", Warn),
            ("4.2.6", Fail),
            ("4.2.7", Warn),
            ("4.2.10", Fail),
            ("1.1.1", Fail),
            ("1.1.2", Fail),
            ("1.1.11", Fail),
            ("1.1.12", Fail),
            ("1.2.1", Warn),
            ("1.2.5", Fail),
            ("1.2.6", Fail),
            ("1.2.7", Fail),
            ("1.2.8", Fail),
            ("1.2.15", Fail),
            ("1.2.16", Fail),
            ("1.3.2", Fail),
            ("1.3.3", Fail),
            ("1.4.1", Fail),
            ("1.4.2", Fail),
        ],
    );
    let findings = report.findings();
    assert_eq!(findings.len(), report.totals().fail);
    let anon = findings
        .iter()
        .find(|f| f.rule_id == "cis-1.10/4.2.1")
        .expect("a finding for 4.2.1");
    assert_eq!(anon.asset, "cp-1");
    assert_eq!(anon.controls[0].framework, "cis-kubernetes-1.10");
    assert_eq!(anon.controls[0].id, "4.2.1");
    assert!(anon.remediation.contains("anonymous"));
}

#[test]
fn every_master_and_node_check_of_cis_1_10_is_answered_without_a_shell() {
    let Some(report) = run_cis_1_10(&node("hardened")) else {
        return;
    };
    let uninterpreted: Vec<_> = report
        .results()
        .filter(|r| r.uninterpreted)
        .map(|r| r.id.clone())
        .collect();
    assert!(uninterpreted.is_empty(), "{uninterpreted:?}");
    let totals = report.totals();
    assert_eq!(
        totals.pass + totals.fail + totals.warn + totals.info,
        report.results().count()
    );
    let text = report.render_text();
    assert!(
        text.contains("[PASS] 4.2.1 Ensure that the --anonymous-auth argument is set to false")
    );
    assert!(text.contains("== Summary node =="));
    for t in &report.targets {
        let sections = t.sections();
        assert!(!sections.is_empty());
        let sum: usize = sections
            .iter()
            .map(|(_, _, s)| s.pass + s.fail + s.warn + s.info)
            .sum();
        assert_eq!(sum, t.results.len());
    }
}

#[test]
fn a_worker_without_control_plane_processes_skips_the_master_target() {
    let dir = fixture("hardened");
    let worker = Node::new(
        dir.join("root"),
        &ProcessSource::List(rampart_node::node::parse_process_list(
            "/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n",
        )),
    )
    .unwrap();
    let Some(report) = run_cis_1_10(&worker) else {
        return;
    };
    let master = report
        .targets
        .iter()
        .find(|t| t.target == "master")
        .unwrap();
    assert!(
        master
            .skipped
            .as_deref()
            .unwrap_or("")
            .contains("apiserver")
    );
    let node = report.targets.iter().find(|t| t.target == "node").unwrap();
    assert!(node.skipped.is_none());
    assert_eq!(report.result("4.2.1").unwrap().state, State::Pass);
}

#[test]
fn real_file_modes_are_read_when_no_override_is_given() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("var/lib/kubelet/config.yaml");
    std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
    std::fs::copy(fixture("hardened/root/var/lib/kubelet/config.yaml"), &conf).unwrap();
    let procs = ProcessSource::List(rampart_node::node::parse_process_list(
        "/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n",
    ));
    for (mode, want) in [(0o600, State::Pass), (0o644, State::Fail)] {
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(mode)).unwrap();
        let node = Node::new(tmp.path(), &procs).unwrap();
        let Some(report) = run_cis_1_10(&node) else {
            return;
        };
        assert_eq!(report.result("4.1.9").unwrap().state, want, "mode {mode:o}");
    }
}

#[test]
fn the_benchmark_follows_the_control_plane_image_version() {
    let Some(cfg) = rampart_testkit::shared("testdata/kube-bench/cfg") else {
        return;
    };
    let catalog = Catalog::open(cfg).unwrap();
    let node = node("hardened");
    assert_eq!(
        rampart_node::version::detect(&node).as_deref(),
        Some("1.28")
    );
    let opts = RunOptions {
        targets: vec!["node".into()],
        ..RunOptions::default()
    };
    assert_eq!(run(&catalog, &node, &opts).unwrap().benchmark, "cis-1.10");
}
