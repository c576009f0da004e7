//! Falco's own rule-loader regression cases (`falco_tests.yaml`, `falco_tests_exceptions.yaml`):
//! each expected error/warning (code, item type, item name, message or message_contains) must be
//! among what loading the case's files reports, `validate_ok` files must load, and the exit status
//! (1 = some file failed) must match — as upstream `falco_test.py` checks them.

use rampart_runtime::yaml::{Node, NodeKind, parse_documents};
use rampart_runtime::{Diagnostic, LoadReport};
use std::path::Path;

fn str_of<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Node::as_str)
}

fn seq(n: Option<&Node>) -> Vec<&Node> {
    match n.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn matches(d: &Diagnostic, want: &Node) -> bool {
    let code = str_of(want, "code").unwrap_or("");
    let item_type = str_of(want, "item_type").unwrap_or("");
    let item_name = str_of(want, "item_name").unwrap_or("");
    let msg_ok = match (str_of(want, "message"), str_of(want, "message_contains")) {
        (Some(m), _) => d.message == m,
        (None, Some(m)) => d.message.contains(m),
        (None, None) => true,
    };
    d.code.name() == code && msg_ok && d.concerns(item_type, item_name)
}

fn check_case(root: &Path, name: &str, case: &Node) -> Result<(), String> {
    let files: Vec<_> = seq(case.get("validate_rules_file"))
        .into_iter()
        .filter_map(Node::as_str)
        .map(|f| root.join(f))
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let report: LoadReport = rampart_runtime::rules::validate(&files);
    let dump = || report.to_text();
    for (key, list) in [
        ("validate_errors", report.errors().collect::<Vec<_>>()),
        ("validate_warnings", report.warnings().collect::<Vec<_>>()),
    ] {
        for want in seq(case.get(key)) {
            if !list.iter().any(|d| matches(d, want)) {
                return Err(format!(
                    "{name}: expected {key} entry {want:?} not reported; got:\n{}",
                    dump()
                ));
            }
        }
    }
    for ok in seq(case.get("validate_ok")) {
        let base = ok.as_str().unwrap_or("");
        let found = report
            .files
            .iter()
            .find(|f| f.name.ends_with(base))
            .ok_or_else(|| format!("{name}: no result for {base}"))?;
        if !found.successful() {
            return Err(format!("{name}: {base} should load; got:\n{}", dump()));
        }
    }
    let want_exit = str_of(case, "exit_status")
        .and_then(|s| s.parse::<i32>().ok())
        .unwrap_or(0);
    let exit = i32::from(!report.successful());
    if exit != want_exit {
        return Err(format!(
            "{name}: exit status {exit}, want {want_exit}; got:\n{}",
            dump()
        ));
    }
    Ok(())
}

fn run_suite(file: &str) -> usize {
    let Some(root) = rampart_testkit::shared("testdata/falco-regression-tests") else {
        return 0;
    };
    let text = std::fs::read_to_string(root.join(file)).expect("suite readable");
    let docs = parse_documents(&text).expect("suite parses");
    let cases = docs[0].get("trace_files").expect("trace_files");
    let NodeKind::Map(cases) = &cases.kind else {
        panic!("cases not a map")
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (k, case) in cases {
        if case.get("validate_rules_file").is_none() {
            continue;
        }
        checked += 1;
        if let Err(e) = check_case(&root, k.as_str().unwrap_or(""), case) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    checked
}

#[test]
fn falco_tests_validation_cases_behave_as_upstream() {
    let n = run_suite("falco_tests.yaml");
    assert!(n == 0 || n == 16, "{n} validation cases");
}

#[test]
fn falco_tests_exceptions_cases_behave_as_upstream() {
    let n = run_suite("falco_tests_exceptions.yaml");
    assert!(n == 0 || n == 5, "{n} exception cases");
}
