//! Every regolibrary rule test case gives the expected deny results, compared as the upstream runner does.

use rampart_posture::Limits;
use rampart_posture::kubescape::{Library, testcase::run_rule_cases};

#[test]
fn kubescape_rule_cases_match_expected_deny_results() {
    let Some(root) = rampart_testkit::shared("testdata/kubescape-regolibrary") else {
        return;
    };
    let lib = Library::load(&root, Limits::default()).expect("load library");
    let mut total = 0;
    let mut failures = Vec::new();
    for dir in lib.rule_dirs().expect("rules") {
        for case in run_rule_cases(&lib, &dir).expect("cases") {
            total += 1;
            if !case.passed {
                failures.push(format!("{}: {}", case.name, case.reason));
            }
        }
    }
    eprintln!(
        "kubescape-regolibrary: {}/{} cases passed",
        total - failures.len(),
        total
    );
    for f in &failures {
        eprintln!("FAIL {}", f.chars().take(1500).collect::<String>());
    }
    assert!(total >= 536, "only {total} cases found");
    assert!(failures.is_empty(), "{} failures", failures.len());
}

#[test]
fn kubescape_controls_and_frameworks_load_as_data() {
    let Some(root) = rampart_testkit::shared("testdata/kubescape-regolibrary") else {
        return;
    };
    let lib = Library::load(&root, Limits::default()).expect("load library");
    assert!(lib.controls.len() >= 146);
    assert_eq!(lib.frameworks.len(), 17);
    let nsa = lib.framework("nsa").expect("NSA framework");
    assert!(nsa.control_ids.iter().any(|c| c == "C-0002"));
    let cis = lib.framework("cis-v1.12.0").expect("CIS framework");
    assert!(cis.control_ids.len() > 50);
}

#[test]
fn kubescape_controls_scan_objects_into_violations() {
    let Some(root) = rampart_testkit::shared("testdata/kubescape-regolibrary") else {
        return;
    };
    let lib = Library::load(&root, Limits::default()).expect("load library");
    let pod = |name: &str, host_network: bool| {
        serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "prod"},
            "spec": {"hostNetwork": host_network, "containers": [{"name": "c", "image": "nginx:1.25"}]}})
    };
    let objects = [pod("on-host", true), pod("isolated", false)];
    let violations = lib.scan(&["C-0041".to_string()], &objects).expect("scan");
    let subjects: Vec<&str> = violations.iter().map(|v| v.subject.as_str()).collect();
    assert_eq!(subjects, ["Pod/prod/on-host"], "{violations:?}");
    assert_eq!(violations[0].check.as_str(), "kubescape:C-0041");
    let meta = lib
        .check_metas()
        .into_iter()
        .find(|m| m.id.as_str() == "kubescape:C-0041")
        .expect("C-0041 metadata");
    assert!(
        meta.controls.iter().any(|c| c.framework == "NSA"),
        "{meta:?}"
    );
}
