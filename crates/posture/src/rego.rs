//! The Rego engine (regorus) behind every policy-backed check: compiling modules with errors that name the
//! file and line, and evaluating under a wall-clock limit.

use crate::error::{PolicyError, Result};
use regorus::utils::limits::ExecutionTimerConfig;
use std::num::NonZeroU32;
use std::time::Duration;

/// Work units between two clock reads of the evaluation timer.
const CHECK_INTERVAL: NonZeroU32 = match NonZeroU32::new(64) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// Bounds applied to every policy evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time one evaluation (one rule over one input) may take.
    pub eval_time: Duration,
    /// Largest Rego module accepted, in bytes.
    pub max_module_bytes: usize,
    /// Deepest nesting of `(`, `[` and `{` accepted. regorus' parser takes time exponential in the
    /// nesting depth (about 2 s at 22 levels, minutes at 30), so deeper modules are refused before
    /// parsing; real policies nest at most 13 (gatekeeper-library, kubescape regolibrary).
    pub max_nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            eval_time: Duration::from_secs(5),
            max_module_bytes: 1024 * 1024,
            max_nesting: 16,
        }
    }
}

/// One Rego module and where it came from, so errors point into the original file.
#[derive(Debug, Clone)]
pub struct RegoSource {
    /// The file that holds the module (a `.rego` file, or the YAML that embeds it).
    pub origin: String,
    /// Line of `origin` on which the module's first line sits, minus one (0 for a `.rego` file).
    pub line_offset: u32,
    pub text: String,
}

impl RegoSource {
    /// A module read from a `.rego` file.
    pub fn file(origin: impl Into<String>, text: impl Into<String>) -> Self {
        RegoSource {
            origin: origin.into(),
            line_offset: 0,
            text: text.into(),
        }
    }
}

/// A compiled set of modules, ready to evaluate rules against inputs.
#[derive(Clone)]
pub struct Program {
    engine: regorus::Engine,
    origin: String,
    limits: Limits,
    /// Hoisted joins (see [`crate::rego_join`]): the generated rule's path and its index name, rebuilt
    /// whenever `data` changes.
    pub(crate) joins: Vec<(String, String)>,
    /// The engine compiled from the modules as written, used instead when an index cannot be built.
    unhoisted: Option<Box<regorus::Engine>>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("origin", &self.origin)
            .finish()
    }
}

impl Program {
    /// Compiles `modules` (Rego v0 syntax unless a module says `import rego.v1`). Returns the program and
    /// the package path (`data.x.y`) of each module, in order.
    pub fn compile(modules: &[RegoSource], limits: Limits) -> Result<(Program, Vec<String>)> {
        // Indexes reflect `data` as set; a module that reads all of `data` or overrides it does not get them.
        let hoist = !modules
            .iter()
            .any(|m| crate::rego_join::defeats_indexes(&m.text));
        let (mut program, packages) = Self::compile_with(modules, limits, hoist)?;
        if program.joins.is_empty() {
            return Ok((program, packages));
        }
        // A rewrite the engine refuses (say, a variable it cannot bind in the generated rule) falls
        // back to the modules as written.
        let mut probe = program.engine.clone();
        let joins = std::mem::take(&mut program.joins);
        if joins
            .iter()
            .all(|(rule, _)| probe.eval_rule(rule.clone()).is_ok())
        {
            let (plain, _) = Self::compile_with(modules, limits, false)?;
            program.joins = joins;
            program.unhoisted = Some(Box::new(plain.engine));
            return Ok((program, packages));
        }
        Self::compile_with(modules, limits, false)
    }

    pub(crate) fn compile_with(
        modules: &[RegoSource],
        limits: Limits,
        hoist: bool,
    ) -> Result<(Program, Vec<String>)> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(true);
        // OPA's default: a builtin given bad arguments is undefined, not an error.
        engine.set_strict_builtin_errors(false);
        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: limits.eval_time,
            check_interval: CHECK_INTERVAL,
        });
        engine
            .add_extension(
                crate::rego_compat::OCTAL_FN.to_string(),
                1,
                Box::new(|args: Vec<regorus::Value>| {
                    Ok(match args.first().map(regorus::Value::as_i64) {
                        Some(Ok(n)) if n < 0 => {
                            regorus::Value::from(format!("-{:o}", n.unsigned_abs()))
                        }
                        Some(Ok(n)) => regorus::Value::from(format!("{n:o}")),
                        _ => regorus::Value::Undefined,
                    })
                }),
            )
            .map_err(|e| PolicyError::Eval {
                path: modules
                    .first()
                    .map(|m| m.origin.clone())
                    .unwrap_or_default(),
                message: e.to_string(),
            })?;
        let mut packages = Vec::with_capacity(modules.len());
        let mut joins = Vec::new();
        for (i, m) in modules.iter().enumerate() {
            if m.text.len() > limits.max_module_bytes {
                return Err(PolicyError::TooLarge {
                    path: m.origin.clone(),
                    size: m.text.len(),
                    limit: limits.max_module_bytes,
                });
            }
            if let Some(line) = nesting_beyond(&m.text, limits.max_nesting) {
                return Err(PolicyError::Compile {
                    path: m.origin.clone(),
                    line: line.saturating_add(m.line_offset),
                    message: format!(
                        "brackets nested deeper than {} levels (refused: parsing them would take \
                         exponential time)",
                        limits.max_nesting
                    ),
                });
            }
            // A unique pseudo-path per module so the error can be traced back to `modules[i]`.
            let pseudo = format!("module{i}.rego");
            let text = crate::rego_compat::complete_function_facts(&m.text);
            let text = match crate::rego_compat::octal_verbs(&text) {
                std::borrow::Cow::Borrowed(_) => text,
                std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o),
            };
            let mut text = if text.contains("rego.v1") {
                text.into_owned()
            } else {
                crate::rego_compat::expand_multi_body(&text).into_owned()
            };
            let mut hoisted = Vec::new();
            if hoist && let Some(r) = crate::rego_join::hoist_joins(&text, joins.len()) {
                text = r.text;
                hoisted = r.joins;
            }
            let pkg = engine
                .add_policy(pseudo, text)
                .map_err(|e| compile_error(m, &e.to_string()))?;
            joins.extend(
                hoisted
                    .into_iter()
                    .map(|(rule, index)| (format!("{pkg}.{rule}"), index)),
            );
            packages.push(pkg);
        }
        let origin = modules
            .first()
            .map(|m| m.origin.clone())
            .unwrap_or_default();
        Ok((
            Program {
                engine,
                origin,
                limits,
                joins,
                unhoisted: None,
            },
            packages,
        ))
    }

    /// Replaces `data` (documents under `data.*` besides the policies).
    pub fn set_data(&mut self, data: serde_json::Value) -> Result<()> {
        self.set_data_native(regorus::Value::from(data))
    }

    /// Replaces `data` with a document already in regorus' form (shared, not copied: one conversion of a
    /// large inventory serves every program and thread).
    pub(crate) fn set_data_native(&mut self, data: regorus::Value) -> Result<()> {
        self.engine.clear_data();
        self.engine
            .add_data(data.clone())
            .map_err(|e| self.eval_error(&e.to_string()))?;
        if self.build_indexes().is_ok() {
            return Ok(());
        }
        // The hoisted statements fail on this data (where the original body might never reach
        // them): run the modules as written from now on.
        if let Some(plain) = self.unhoisted.take() {
            self.engine = *plain;
            self.joins.clear();
        }
        self.engine.clear_data();
        self.engine
            .add_data(data)
            .map_err(|e| self.eval_error(&e.to_string()))
    }

    /// Evaluates each hoisted join's rule over the current `data` once and adds the result, grouped by
    /// join key, at `data.rampart_join__.jN`.
    fn build_indexes(&mut self) -> Result<()> {
        use regorus::Value as V;
        if self.joins.is_empty() {
            return Ok(());
        }
        let mut indexes = std::collections::BTreeMap::new();
        for (rule, name) in &self.joins {
            let value = self
                .engine
                .eval_rule(rule.clone())
                .map_err(|e| self.eval_error(&e.to_string()))?;
            let mut index: std::collections::BTreeMap<V, Vec<V>> = Default::default();
            if let Ok(rows) = value.as_set() {
                for row in rows.iter() {
                    if let Ok([key, tuple]) = row.as_array().map(|a| a.as_slice()) {
                        index.entry(key.clone()).or_default().push(tuple.clone());
                    }
                }
            }
            let index: std::collections::BTreeMap<V, V> =
                index.into_iter().map(|(k, v)| (k, V::from(v))).collect();
            indexes.insert(V::from(name.as_str()), V::from(index));
        }
        let mut data = std::collections::BTreeMap::new();
        data.insert(V::from(crate::rego_join::INDEX_ROOT), V::from(indexes));
        self.engine
            .add_data(V::from(data))
            .map_err(|e| self.eval_error(&e.to_string()))
    }

    /// Evaluates the rule at `path` (e.g. `data.k8s.violation`) with `input`. An undefined rule is `Null`.
    pub fn eval(&mut self, path: &str, input: serde_json::Value) -> Result<serde_json::Value> {
        self.engine.set_input(regorus::Value::from(input));
        let value = self
            .engine
            .eval_rule(path.to_string())
            .map_err(|e| self.eval_error(&e.to_string()))?;
        if value == regorus::Value::Undefined {
            return Ok(serde_json::Value::Null);
        }
        serde_json::to_value(&value).map_err(|e| self.eval_error(&e.to_string()))
    }

    /// Evaluates the rule at `path` with an input already in regorus' form (shared, not copied).
    pub(crate) fn eval_native(
        &mut self,
        path: &str,
        input: regorus::Value,
    ) -> Result<regorus::Value> {
        self.engine.set_input(input);
        self.engine
            .eval_rule(path.to_string())
            .map_err(|e| self.eval_error(&e.to_string()))
    }

    /// A regorus value as JSON (`Null` for undefined).
    pub(crate) fn to_json(&self, value: &regorus::Value) -> Result<serde_json::Value> {
        if *value == regorus::Value::Undefined {
            return Ok(serde_json::Value::Null);
        }
        serde_json::to_value(value).map_err(|e| self.eval_error(&e.to_string()))
    }

    /// Evaluates a query and returns the first expression's value of each result.
    pub fn query(
        &mut self,
        query: &str,
        input: serde_json::Value,
    ) -> Result<Vec<serde_json::Value>> {
        self.engine.set_input(regorus::Value::from(input));
        let results = self
            .engine
            .eval_query(query.to_string(), false)
            .map_err(|e| self.eval_error(&e.to_string()))?;
        let mut out = Vec::new();
        for r in results.result {
            if let Some(e) = r.expressions.first() {
                out.push(
                    serde_json::to_value(&e.value).map_err(|e| self.eval_error(&e.to_string()))?,
                );
            }
        }
        Ok(out)
    }

    /// The file the program was compiled from (its first module).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn eval_error(&self, message: &str) -> PolicyError {
        if message.contains("execution exceeded time limit") || message.contains("time limit") {
            return PolicyError::Timeout {
                path: self.origin.clone(),
                limit_ms: self.limits.eval_time.as_millis(),
            };
        }
        PolicyError::Eval {
            path: self.origin.clone(),
            message: first_line(message),
        }
    }
}

/// Maps a regorus parse/compile error (`moduleN.rego:LINE:COL: error: …`) to the original file and line.
/// The 1-based line where `(`, `[` and `{` first nest deeper than `max` in Rego `text`, outside
/// strings, raw strings and comments.
fn nesting_beyond(text: &str, max: usize) -> Option<u32> {
    let (mut depth, mut line) = (0usize, 1u32);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            // a comment runs to the end of the line
            '#' if chars.by_ref().any(|c| c == '\n') => line += 1,
            '#' => {}
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => {
                            line += u32::from(c == '\n');
                            break;
                        }
                        _ => {}
                    }
                }
            }
            '`' => {
                for c in chars.by_ref() {
                    match c {
                        '`' => break,
                        '\n' => line += 1,
                        _ => {}
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > max {
                    return Some(line);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn compile_error(module: &RegoSource, message: &str) -> PolicyError {
    let line = line_in_message(message).unwrap_or(1);
    PolicyError::Compile {
        path: module.origin.clone(),
        line: line.saturating_add(module.line_offset),
        message: first_line(message),
    }
}

fn line_in_message(message: &str) -> Option<u32> {
    let start = message.find(".rego:")? + ".rego:".len();
    let digits: String = message[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// One line for a regorus error: its `kind: message` line when it carries a source excerpt
/// (`--> file:line:col`, the excerpt, then the message), else its first non-empty line.
fn first_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = if message.contains("--> ") {
        lines.next_back().unwrap_or("")
    } else {
        lines.next().unwrap_or("")
    };
    line.chars().take(400).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn deep_nesting_is_refused_before_parsing_with_its_line() {
        // regorus' parser is exponential in nesting: 30 levels would take minutes.
        let deep = format!(
            "package p\n\n# [[[[ in a comment does not count\nx := \"[[[[[[\"\nviolation[{{\"msg\": m}}] {{\n  m := {}1{}\n}}\n",
            "[".repeat(30),
            "]".repeat(30)
        );
        // refused by the pre-check (its message), not by regorus after minutes of parsing
        let err = Program::compile(&[RegoSource::file("deep.rego", &deep)], Limits::default())
            .expect_err("refused");
        let text = err.to_string();
        assert!(text.starts_with("deep.rego:6:"), "{text}");
        assert!(text.contains("nested deeper than 16"), "{text}");
        assert_eq!(nesting_beyond("a := [[[1]]] # ((((((", 3), None);
        assert_eq!(nesting_beyond("a := `((((`\nb := [[[[1]]]]", 3), Some(2));
    }

    use super::*;

    #[test]
    fn syntax_error_names_file_and_line() {
        let src = RegoSource {
            origin: "policies/template.yaml".into(),
            line_offset: 10,
            text: "package x\n\nviolation[{\"msg\": m}] {\n  m := \n}\n".into(),
        };
        let err = Program::compile(&[src], Limits::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("policies/template.yaml:1"), "{text}");
        match err {
            PolicyError::Compile { line, .. } => assert!((13..=15).contains(&line), "{line}"),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn runaway_policy_is_stopped() {
        let src = RegoSource::file(
            "slow.rego",
            "package slow\nimport rego.v1\nn := numbers.range(1, 200000)\nviolation contains x if {\n  some a in n\n  some b in n\n  x := a + b\n  x < 0\n}\n",
        );
        let limits = Limits {
            eval_time: Duration::from_millis(200),
            ..Limits::default()
        };
        let (mut p, _) = Program::compile(&[src], limits).unwrap();
        let started = std::time::Instant::now();
        let err = p
            .eval("data.slow.violation", serde_json::json!({}))
            .unwrap_err();
        assert!(matches!(err, PolicyError::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("slow.rego"));
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
