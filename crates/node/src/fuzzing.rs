//! Entry points for cargo-fuzz: parsing and evaluating outside input must never panic.

use crate::definitions::{Controls, Tests};
use crate::evaluate::{Inputs, evaluate_inputs};
use std::path::Path;

/// Parses `data` as a controls file.
pub fn fuzz_definitions(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(doc) = crate::yaml::parse(&text) {
        let _ = Controls::from_value(&doc, Path::new("fuzz.yaml"));
    }
}

/// Parses `data` as a controls file (or a `tests` mapping) and evaluates every check's tests with
/// the same bytes as the audit, config and environment output; also feeds the bytes to the audit
/// interpreter's parser.
pub fn fuzz_test_items(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::shell::interpretable(&text);
    let Ok(doc) = crate::yaml::parse(&text) else {
        return;
    };
    let mut all = Vec::new();
    if let Ok(controls) = Controls::from_value(&doc, Path::new("fuzz.yaml")) {
        all.extend(controls.checks().filter_map(|(_, c)| c.tests.clone()));
    }
    if let Ok(t) = Tests::from_value(&doc) {
        all.push(t);
    }
    for tests in &all {
        for multiple in [false, true] {
            let _ = evaluate_inputs(
                tests,
                &Inputs {
                    audit: &text,
                    audit_config: Some(&text),
                    audit_env: &text,
                    multiple,
                },
            );
        }
    }
}

/// Runs `data` as an audit script on an empty node (a root that does not exist, no processes):
/// the interpreter's lexer, parser and commands must stay bounded and never panic.
pub fn fuzz_audit(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let empty = crate::node::ProcessSource::List(Vec::new());
    if let Ok(node) = crate::node::Node::new("/nonexistent/rampart-fuzz-root", &empty) {
        let _ = crate::shell::run(&text, &node);
    }
}
