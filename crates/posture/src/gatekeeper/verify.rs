//! `gator verify`: runs a Gatekeeper test `Suite` (`test.gatekeeper.sh/v1alpha1`) and checks every
//! assertion the way gator does (pkg/gator/verify).

use super::{Constraint, ConstraintTemplate, Inventory, PolicySet, is_constraint};
use crate::docs::{load_documents, load_one};
use crate::error::{PolicyError, Result};
use crate::rego::Limits;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// `<test name>/<case name>`.
    pub name: String,
    pub passed: bool,
    pub skipped: bool,
    /// Why it failed (empty when it passed).
    pub reason: String,
    pub duration: Duration,
}

/// The outcome of a suite file.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteResult {
    pub path: PathBuf,
    pub cases: Vec<CaseResult>,
    /// A problem with the suite itself (unreadable template, …); the suite fails.
    pub error: Option<String>,
}

impl SuiteResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.cases.iter().all(|c| c.passed || c.skipped)
    }

    /// gator-style lines: one per case (`--- PASS: test/case (0.001s)`), then `ok`/`FAIL` and the path.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.cases {
            let verdict = if c.skipped {
                "SKIP"
            } else if c.passed {
                "PASS"
            } else {
                "FAIL"
            };
            out.push_str(&format!(
                "--- {verdict}: {} ({:.3}s)\n",
                c.name,
                c.duration.as_secs_f64()
            ));
            if !c.passed && !c.skipped {
                out.push_str(&format!("    {}\n", c.reason));
            }
        }
        if let Some(e) = &self.error {
            out.push_str(&format!("    {e}\n"));
        }
        let status = if self.passed() { "ok  " } else { "FAIL" };
        out.push_str(&format!("{status}\t{}\n", self.path.display()));
        out
    }
}

/// Expected violations of an assertion.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Yes,
    No,
    Exactly(usize),
}

/// Runs every `suite.yaml` found at `path` (a suite file, or a directory searched recursively).
pub fn verify_path(path: &Path, limits: Limits) -> Result<Vec<SuiteResult>> {
    verify_path_with(path, limits, false)
}

/// [`verify_path`], running templates' CEL code instead of their Rego when `prefer_cel` (and the
/// `cel` feature) is on.
pub fn verify_path_with(path: &Path, limits: Limits, prefer_cel: bool) -> Result<Vec<SuiteResult>> {
    if path.is_file() {
        return Ok(vec![verify_with(path, limits, prefer_cel)]);
    }
    let mut out = Vec::new();
    for file in crate::docs::files_under(path, &[".yaml", ".yml"])? {
        let is_suite = load_documents(&file)
            .map(|docs| docs.iter().any(is_suite))
            .unwrap_or(false);
        if is_suite {
            out.push(verify_with(&file, limits, prefer_cel));
        }
    }
    Ok(out)
}

fn is_suite(doc: &Value) -> bool {
    crate::docs::str_at(doc, &["kind"]) == "Suite"
        && crate::docs::str_at(doc, &["apiVersion"]).starts_with("test.gatekeeper.sh/")
}

/// Runs one suite file.
pub fn verify(suite_path: &Path, limits: Limits) -> SuiteResult {
    verify_with(suite_path, limits, false)
}

/// Runs one suite file, preferring CEL code when `prefer_cel`.
pub fn verify_with(suite_path: &Path, limits: Limits, prefer_cel: bool) -> SuiteResult {
    let mut result = SuiteResult {
        path: suite_path.to_path_buf(),
        cases: Vec::new(),
        error: None,
    };
    let suite = match load_one(suite_path) {
        Ok(s) if is_suite(&s) => s,
        Ok(_) => {
            result.error = Some("not a test.gatekeeper.sh Suite".into());
            return result;
        }
        Err(e) => {
            result.error = Some(e.to_string());
            return result;
        }
    };
    let base = suite_path.parent().unwrap_or(Path::new("."));
    for test in list(&suite, "tests") {
        let test_name = crate::docs::str_at(test, &["name"]);
        if let Err(e) = run_test(base, test, limits, prefer_cel, &mut result.cases) {
            // The template or constraint did not load: every case of the test fails with that reason.
            for case in list(test, "cases") {
                result.cases.push(CaseResult {
                    name: format!("{test_name}/{}", crate::docs::str_at(case, &["name"])),
                    passed: false,
                    skipped: false,
                    reason: e.to_string(),
                    duration: Duration::ZERO,
                });
            }
        }
    }
    result
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn run_test(
    base: &Path,
    test: &Value,
    limits: Limits,
    prefer_cel: bool,
    out: &mut Vec<CaseResult>,
) -> Result<()> {
    let test_name = crate::docs::str_at(test, &["name"]);
    let skip_test = test.get("skip").and_then(Value::as_bool).unwrap_or(false);
    let cases = list(test, "cases");
    if skip_test {
        for case in cases {
            out.push(skipped(test_name, case));
        }
        return Ok(());
    }
    let template_path = base.join(crate::docs::str_at(test, &["template"]));
    let template = ConstraintTemplate::load(&template_path, limits)?;
    let constraint_path = base.join(crate::docs::str_at(test, &["constraint"]));
    let constraint_doc = load_one(&constraint_path)?;
    let origin = constraint_path.display().to_string();
    if !is_constraint(&constraint_doc) {
        return Err(PolicyError::invalid(&origin, "not a Gatekeeper constraint"));
    }
    let constraint = Constraint::from_document(&origin, &constraint_doc)?;
    if constraint.kind != template.kind {
        return Err(PolicyError::invalid(
            &origin,
            format!(
                "constraint kind {} does not match template kind {}",
                constraint.kind, template.kind
            ),
        ));
    }
    let mut set = PolicySet {
        templates: vec![template],
        constraints: vec![constraint],
        prefer_cel,
    };
    for case in cases {
        let name = format!("{test_name}/{}", crate::docs::str_at(case, &["name"]));
        if case.get("skip").and_then(Value::as_bool).unwrap_or(false) {
            out.push(skipped(test_name, case));
            continue;
        }
        let started = Instant::now();
        let reason = run_case(base, case, &mut set).err().unwrap_or_default();
        out.push(CaseResult {
            name,
            passed: reason.is_empty(),
            skipped: false,
            reason,
            duration: started.elapsed(),
        });
    }
    Ok(())
}

fn skipped(test_name: &str, case: &Value) -> CaseResult {
    CaseResult {
        name: format!("{test_name}/{}", crate::docs::str_at(case, &["name"])),
        passed: true,
        skipped: true,
        reason: String::new(),
        duration: Duration::ZERO,
    }
}

/// Runs one case; `Err(reason)` when an assertion fails or the case cannot run.
fn run_case(base: &Path, case: &Value, set: &mut PolicySet) -> std::result::Result<(), String> {
    let object_path = base.join(crate::docs::str_at(case, &["object"]));
    let object = load_one(&object_path).map_err(|e| e.to_string())?;
    let mut inventory = Inventory::new();
    for inv in list(case, "inventory") {
        let p = base.join(inv.as_str().unwrap_or(""));
        for doc in load_documents(&p).map_err(|e| e.to_string())? {
            inventory.add(&doc);
        }
    }
    let results = set.review(&object, &inventory).map_err(|e| e.to_string())?;
    let assertions = list(case, "assertions");
    if assertions.is_empty() {
        return Err("case has no assertions".into());
    }
    for a in assertions {
        check_assertion(
            a,
            &results.iter().map(|r| r.msg.as_str()).collect::<Vec<_>>(),
        )?;
    }
    Ok(())
}

fn check_assertion(a: &Value, messages: &[&str]) -> std::result::Result<(), String> {
    let expect = parse_expect(a.get("violations"))?;
    let pattern = a.get("message").and_then(Value::as_str);
    let matching = match pattern {
        Some(p) => {
            let re = regex::RegexBuilder::new(p)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("invalid message regexp {p:?}: {e}"))?;
            messages.iter().filter(|m| re.is_match(m)).count()
        }
        None => messages.len(),
    };
    let ok = match expect {
        Expect::Yes => matching > 0,
        Expect::No => matching == 0,
        Expect::Exactly(n) => matching == n,
    };
    if ok {
        return Ok(());
    }
    let filter = pattern
        .map(|p| format!(" matching {p:?}"))
        .unwrap_or_default();
    Err(format!(
        "expected violations{filter}: {expect:?}, got {matching} (all messages: {messages:?})"
    ))
}

fn parse_expect(v: Option<&Value>) -> std::result::Result<Expect, String> {
    match v {
        None | Some(Value::Null) => Ok(Expect::Yes),
        Some(Value::Bool(true)) => Ok(Expect::Yes),
        Some(Value::Bool(false)) => Ok(Expect::No),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Expect::Exactly)
            .ok_or_else(|| format!("invalid violations count {n}")),
        Some(Value::String(s)) => match s.trim() {
            "yes" => Ok(Expect::Yes),
            "no" => Ok(Expect::No),
            other => other
                .parse::<usize>()
                .map(Expect::Exactly)
                .map_err(|_| format!("invalid violations value {other:?}")),
        },
        Some(other) => Err(format!("invalid violations value {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertion_semantics() {
        let msgs = ["container a is bad", "initContainer b is bad"];
        assert!(check_assertion(&serde_json::json!({}), &msgs).is_ok());
        assert!(check_assertion(&serde_json::json!({"violations": "no"}), &msgs).is_err());
        assert!(check_assertion(&serde_json::json!({"violations": 2}), &msgs).is_ok());
        assert!(
            check_assertion(
                &serde_json::json!({"violations": 1, "message": "initContainer"}),
                &msgs
            )
            .is_ok()
        );
        assert!(
            check_assertion(
                &serde_json::json!({"violations": 2, "message": "^container"}),
                &msgs
            )
            .is_err()
        );
        assert!(check_assertion(&serde_json::json!({"violations": "no"}), &[]).is_ok());
    }
}
