//! Check results as kube-bench reports them (PASS/FAIL/WARN/INFO, totals per target and section),
//! and as Rampart findings (one per failed check).

use crate::definitions::{Check, CheckType, Group};
use rampart_core::{Finding, FindingKind, Severity};
use serde::Serialize;
use std::fmt::Write as _;

/// Longest actual value kept on a result or finding.
const MAX_ACTUAL: usize = 4096;

/// A check's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Pass,
    Fail,
    Warn,
    Info,
}

impl State {
    /// `PASS`, `FAIL`, `WARN`, `INFO`.
    pub fn label(self) -> &'static str {
        match self {
            State::Pass => "PASS",
            State::Fail => "FAIL",
            State::Warn => "WARN",
            State::Info => "INFO",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub target: String,
    pub section: String,
    pub section_text: String,
    pub id: String,
    pub text: String,
    pub state: State,
    pub scored: bool,
    pub check_type: CheckType,
    /// The audit command after variable substitution.
    pub audit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub audit_config: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub actual_value: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub expected_result: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub remediation: String,
    /// All audits were answered by the built-in interpreter (no shell).
    pub native: bool,
    /// The audit uses commands outside the interpreted subset and no shell was allowed: the state is
    /// WARN and says nothing about the node.
    pub uninterpreted: bool,
}

impl CheckResult {
    pub(crate) fn new(target: &str, group: &Group, check: &Check) -> CheckResult {
        CheckResult {
            target: target.to_string(),
            section: group.id.clone(),
            section_text: group.text.clone(),
            id: check.id.clone(),
            text: check.text.clone(),
            state: State::Warn,
            scored: check.scored,
            check_type: check.check_type,
            audit: check.audit.clone(),
            audit_config: check.audit_config.clone(),
            actual_value: String::new(),
            expected_result: String::new(),
            reason: String::new(),
            remediation: check.remediation.clone(),
            native: false,
            uninterpreted: false,
        }
    }

    pub(crate) fn with(mut self, state: State, reason: &str) -> CheckResult {
        self.state = state;
        self.reason = reason.to_string();
        truncate(&mut self.actual_value, MAX_ACTUAL);
        truncate(&mut self.reason, MAX_ACTUAL);
        self
    }
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
}

/// Counts of states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub info: usize,
    /// WARN results whose audit could not be interpreted (included in `warn`).
    pub uninterpreted: usize,
}

impl Totals {
    fn add(&mut self, r: &CheckResult) {
        match r.state {
            State::Pass => self.pass += 1,
            State::Fail => self.fail += 1,
            State::Warn => self.warn += 1,
            State::Info => self.info += 1,
        }
        self.uninterpreted += usize::from(r.uninterpreted);
    }

    fn merge(&mut self, o: &Totals) {
        self.pass += o.pass;
        self.fail += o.fail;
        self.warn += o.warn;
        self.info += o.info;
        self.uninterpreted += o.uninterpreted;
    }

    /// Totals of some results.
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Totals {
        let mut t = Totals::default();
        results.into_iter().for_each(|r| t.add(r));
        t
    }
}

/// The results of one target (`master`, `node`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TargetReport {
    pub target: String,
    pub id: String,
    pub text: String,
    /// Why the target was not run (a required component is not running, no controls file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub results: Vec<CheckResult>,
}

impl TargetReport {
    /// Totals over the target.
    pub fn totals(&self) -> Totals {
        Totals::of(&self.results)
    }

    /// Totals per section (group), in definition order.
    pub fn sections(&self) -> Vec<(String, String, Totals)> {
        let mut out: Vec<(String, String, Totals)> = Vec::new();
        for r in &self.results {
            match out.iter_mut().find(|(id, _, _)| *id == r.section) {
                Some((_, _, t)) => t.add(r),
                None => out.push((r.section.clone(), r.section_text.clone(), Totals::of([r]))),
            }
        }
        out
    }
}

/// The results of a node run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeReport {
    pub benchmark: String,
    /// `cis-kubernetes-<version>`: the framework of the findings' controls.
    pub framework: String,
    pub node_name: String,
    pub targets: Vec<TargetReport>,
}

impl NodeReport {
    /// Totals over every target.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        self.targets.iter().for_each(|r| t.merge(&r.totals()));
        t
    }

    /// Every result.
    pub fn results(&self) -> impl Iterator<Item = &CheckResult> {
        self.targets.iter().flat_map(|t| t.results.iter())
    }

    /// The result of a check by id (first match across targets).
    pub fn result(&self, id: &str) -> Option<&CheckResult> {
        self.results().find(|r| r.id == id)
    }

    /// One misconfiguration finding per failed check.
    pub fn findings(&self) -> Vec<Finding> {
        self.results()
            .filter(|r| r.state == State::Fail)
            .map(|r| {
                let mut f = Finding::new(
                    FindingKind::Misconfiguration,
                    format!("{}/{}", self.benchmark, r.id),
                    r.text.clone(),
                    Severity::Medium,
                    self.node_name.clone(),
                    format!("{}/{}", r.target, r.id),
                )
                .with_control(self.framework.clone(), r.id.clone())
                .with_remediation(r.remediation.trim().to_string())
                .with_evidence("audit", None, r.audit.trim().to_string());
                if !r.actual_value.is_empty() {
                    f = f.with_evidence("actual value", None, r.actual_value.clone());
                }
                if !r.expected_result.is_empty() {
                    f = f.with_evidence("expected", None, r.expected_result.clone());
                }
                if !r.reason.is_empty() {
                    f = f.with_evidence("reason", None, r.reason.clone());
                }
                f
            })
            .collect()
    }

    /// kube-bench's text layout: a line per check, remediations, a summary per target and in total.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        for t in &self.targets {
            let _ = writeln!(s, "[INFO] {} {}", t.id, t.text);
            if let Some(why) = &t.skipped {
                let _ = writeln!(s, "[INFO] target {} skipped: {why}", t.target);
                continue;
            }
            let mut section = None;
            for r in &t.results {
                if section != Some(&r.section) {
                    let _ = writeln!(s, "[INFO] {} {}", r.section, r.section_text);
                    section = Some(&r.section);
                }
                let _ = writeln!(s, "[{}] {} {}", r.state.label(), r.id, r.text);
            }
            let _ = writeln!(s, "\n== Remediations {} ==", t.target);
            for r in t
                .results
                .iter()
                .filter(|r| matches!(r.state, State::Fail | State::Warn))
            {
                let _ = writeln!(s, "{} {}", r.id, r.remediation.trim());
                if !r.reason.is_empty() {
                    let _ = writeln!(s, "    ({})", r.reason);
                }
            }
            let tot = t.totals();
            let _ = writeln!(s, "\n== Summary {} ==", t.target);
            summary(&mut s, &tot);
        }
        let _ = writeln!(s, "== Summary total ==");
        summary(&mut s, &self.totals());
        s
    }
}

fn summary(s: &mut String, t: &Totals) {
    let _ = writeln!(s, "{} checks PASS", t.pass);
    let _ = writeln!(s, "{} checks FAIL", t.fail);
    let _ = writeln!(
        s,
        "{} checks WARN ({} not interpretable without --allow-audit-commands)",
        t.warn, t.uninterpreted
    );
    let _ = writeln!(s, "{} checks INFO\n", t.info);
}
