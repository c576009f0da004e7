//! The regolibrary per-rule test cases (`rules/<rule>/test/<case>/`), run as the upstream test runner
//! runs them.

use super::compare::compare;
use super::library::Library;
use super::rule::Rule;
use crate::docs::load_documents;
use crate::error::{PolicyError, Result};
use serde_json::Value;
use std::path::Path;

/// The outcome of one test case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOutcome {
    /// `<rule>/<case>`.
    pub name: String,
    pub passed: bool,
    pub reason: String,
}

/// Runs every case of the rule in `rule_dir`. A rule that fails to compile fails all its cases.
pub fn run_rule_cases(lib: &Library, rule_dir: &Path) -> Result<Vec<CaseOutcome>> {
    let rule_name = rule_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let test_dir = rule_dir.join("test");
    if !test_dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut cases: Vec<_> = std::fs::read_dir(&test_dir)
        .map_err(|e| PolicyError::io(&test_dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut rule = match lib.load_rule(rule_dir) {
        Ok(r) => r,
        Err(e) => {
            return Ok(cases
                .iter()
                .map(|c| outcome(&rule_name, c, Err(e.to_string())))
                .collect());
        }
    };
    Ok(cases
        .iter()
        .map(|c| outcome(&rule_name, c, run_case(lib, &mut rule, c)))
        .collect())
}

fn outcome(rule: &str, case: &Path, result: std::result::Result<(), String>) -> CaseOutcome {
    let case_name = case
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    CaseOutcome {
        name: format!("{rule}/{case_name}"),
        passed: result.is_ok(),
        reason: result.err().unwrap_or_default(),
    }
}

/// Runs one case: input objects, config inputs, `deny` compared with `expected.json` (and
/// `expected-filter.json` against `filter.rego` when present).
pub fn run_case(lib: &Library, rule: &mut Rule, case: &Path) -> std::result::Result<(), String> {
    let objects = case_inputs(&case.join("input")).map_err(|e| e.to_string())?;
    let data_path = case.join("data.json");
    let inputs = if data_path.is_file() {
        let data = load_json(&data_path)?;
        lib.default_inputs.overridden_by(&data)
    } else {
        lib.default_inputs.clone()
    };
    let expected = expected_list(&case.join("expected.json"))?;
    let actual = rule
        .evaluate(&objects, &inputs)
        .map_err(|e| e.to_string())?;
    compare(&actual, &expected)?;
    let filter_expected = case.join("expected-filter.json");
    if filter_expected.is_file() && rule.has_filter() {
        let expected = expected_list(&filter_expected)?;
        let actual = rule
            .evaluate_filter(&objects, &inputs)
            .map_err(|e| e.to_string())?;
        compare(&actual, &expected).map_err(|e| format!("filter: {e}"))?;
    }
    Ok(())
}

/// Every object in `input/` (sorted by file name); a missing folder is an empty input, as upstream.
/// The upstream runner loads objects through a workload wrapper that always has `metadata.name`, so an
/// object without `metadata` is given `metadata: {name: ""}`.
fn case_inputs(dir: &Path) -> Result<Vec<Value>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for p in crate::docs::files_under(dir, &[".yaml", ".yml", ".json"])? {
        for mut doc in load_documents(&p)? {
            if let Value::Object(map) = &mut doc {
                map.entry("metadata")
                    .or_insert_with(|| serde_json::json!({"name": ""}));
            }
            out.push(doc);
        }
    }
    Ok(out)
}

fn load_json(path: &Path) -> std::result::Result<Value, String> {
    let text = crate::docs::read_text(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn expected_list(path: &Path) -> std::result::Result<Vec<Value>, String> {
    match load_json(path)? {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        other => Ok(vec![other]),
    }
}
