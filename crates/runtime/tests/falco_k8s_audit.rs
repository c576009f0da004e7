//! Falco's k8s-audit regression cases (`falco_k8s_audit_tests.yaml`): each case's rules files are
//! loaded, its audit trace replayed, and `detect`, `detect_level` and the exact `detect_counts` per
//! rule checked as upstream `falco_test.py` does. `fal_01_003.json` is deliberately malformed: it
//! must be counted and reported ("data not recognized as a k8s audit event"), never a crash.

use rampart_runtime::yaml::{Node, NodeKind, parse_documents};
use rampart_runtime::{Engine, Priority, Source};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn str_of<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Node::as_str)
}

fn seq(n: Option<&Node>) -> Vec<&Node> {
    match n.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn resolve(root: &Path, p: &str) -> PathBuf {
    root.join(p.trim_start_matches("./"))
}

fn check_case(root: &Path, name: &str, case: &Node) -> Result<(), String> {
    let rules: Vec<PathBuf> = seq(case.get("rules_file"))
        .into_iter()
        .filter_map(Node::as_str)
        .map(|p| resolve(root, p))
        .collect();
    let opts = str_of(case, "addl_cmdline_opts").unwrap_or("");
    let trace = opts
        .split_once("open_params=")
        .map(|(_, t)| resolve(root, t.split_whitespace().next().unwrap_or("")))
        .ok_or_else(|| format!("{name}: no trace file"))?;
    let (ruleset, _) = rampart_runtime::rules::load(&rules)
        .map_err(|r| format!("{name}: rules failed:\n{}", r.to_text()))?;
    let engine = Engine::new(ruleset);
    let result = rampart_runtime::replay::replay(Source::K8sAudit, &engine, &trace)
        .map_err(|e| format!("{name}: {e}"))?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &result.alerts {
        *counts.entry(a.rule.as_str()).or_default() += 1;
    }
    let detect = case.get("detect").and_then(Node::as_bool).unwrap_or(false);
    if detect == result.alerts.is_empty() {
        return Err(format!("{name}: detect={detect} but alerts: {counts:?}"));
    }
    if detect && let Some(level) = str_of(case, "detect_level") {
        let want = Priority::parse(level).ok_or_else(|| format!("{name}: bad level {level}"))?;
        if !result.alerts.iter().any(|a| a.priority == want) {
            return Err(format!("{name}: no alert at {level}: {counts:?}"));
        }
    }
    for entry in seq(case.get("detect_counts")) {
        let NodeKind::Map(kv) = &entry.kind else {
            continue;
        };
        for (k, v) in kv {
            let rule = k.as_str().unwrap_or("");
            let want: usize = v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
            let got = counts.get(rule).copied().unwrap_or(0);
            if got != want {
                return Err(format!(
                    "{name}: rule '{rule}' fired {got} times, want {want}; all: {counts:?}"
                ));
            }
        }
    }
    if let Some(msg) = str_of(case, "stderr_contains")
        && !result.stats.problems.iter().any(|p| p.contains(msg))
    {
        return Err(format!(
            "{name}: expected a decode problem containing '{msg}': {:?}",
            result.stats
        ));
    }
    Ok(())
}

#[test]
fn k8s_audit_cases_detect_exactly_as_upstream() {
    let Some(root) = rampart_testkit::shared("testdata/falco-regression-tests") else {
        return;
    };
    let text = std::fs::read_to_string(root.join("falco_k8s_audit_tests.yaml")).expect("suite");
    let docs = parse_documents(&text).expect("suite parses");
    let Some(NodeKind::Map(cases)) = docs[0].get("trace_files").map(|n| &n.kind) else {
        panic!("no cases")
    };
    let mut failures = Vec::new();
    for (k, case) in cases {
        if let Err(e) = check_case(&root, k.as_str().unwrap_or(""), case) {
            failures.push(e);
        }
    }
    assert_eq!(cases.len(), 33);
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn malformed_audit_line_is_counted_and_the_stream_goes_on() {
    let Some(root) = rampart_testkit::shared("testdata/falco-regression-tests") else {
        return;
    };
    let good =
        std::fs::read(root.join("trace_files/k8s_audit/create_deployment.json")).expect("trace");
    let bad = std::fs::read(root.join("trace_files/k8s_audit/fal_01_003.json")).expect("trace");
    let mut input = bad.clone();
    input.extend_from_slice(b"\n{ not json\n");
    input.extend_from_slice(&good);
    let mut n = 0;
    let stats = rampart_runtime::sources::k8s_audit::decode_bytes(&input, |_| n += 1);
    assert_eq!(n, 1);
    assert_eq!(stats.malformed, 2);
}
