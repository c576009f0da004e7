//! kube-bench's test semantics as pure functions of the audit outputs.
//!
//! Each test item is first looked up as a `flag` in the audit output; when not found and the check
//! has an `audit_config`, its `path` is looked up in the config output (YAML or JSON); when still not
//! found and it names an `env`, that variable is looked up in the environment output. So a command-line
//! flag takes precedence over the config file, as with the components themselves.

use crate::definitions::{BinOp, TestItem, Tests};
use crate::jsonpath;
use crate::yaml;
use serde::Serialize;

/// Largest config output parsed for `path` items.
const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

/// The verdict of a check's tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub pass: bool,
    /// kube-bench's description of what was expected (`'--anonymous-auth' is equal to 'false'`).
    pub expected_result: String,
    /// The output the first test item was evaluated against.
    pub actual_value: String,
    /// Set when the tests themselves are invalid (unknown `bin_op`); the check then fails or warns.
    pub error: Option<String>,
}

/// The audit outputs of one check.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    pub audit: &'a str,
    /// `None` when the check has no `audit_config`.
    pub audit_config: Option<&'a str>,
    pub audit_env: &'a str,
    /// `use_multiple_values`: every line must pass.
    pub multiple: bool,
}

/// Evaluates `tests` against the audit output, the `audit_config` output (if the check has one) and
/// the `audit_env` output.
pub fn evaluate(
    tests: &Tests,
    audit: &str,
    audit_config: Option<&str>,
    env: Option<&str>,
) -> Outcome {
    evaluate_inputs(
        tests,
        &Inputs {
            audit,
            audit_config,
            audit_env: env.unwrap_or(""),
            multiple: false,
        },
    )
}

/// [`evaluate`] with all inputs, including `use_multiple_values`.
pub fn evaluate_inputs(tests: &Tests, inputs: &Inputs<'_>) -> Outcome {
    let mut results = Vec::with_capacity(tests.test_items.len());
    for item in &tests.test_items {
        let mut r = execute(item, inputs.audit, Source::Command, inputs.multiple);
        if !r.found
            && let Some(config) = inputs.audit_config
        {
            r = execute(item, config, Source::Config, inputs.multiple);
            if !r.found && !item.env.is_empty() {
                r = execute(item, inputs.audit_env, Source::Env, inputs.multiple);
            }
        }
        if !r.found && !item.env.is_empty() {
            r = execute(item, inputs.audit_env, Source::Env, inputs.multiple);
        }
        results.push(r);
    }
    let expected: Vec<&str> = results.iter().map(|r| r.expected.as_str()).collect();
    let actual_value = results
        .first()
        .map(|r| r.actual.clone())
        .unwrap_or_default();
    let (pass, joiner) = match &tests.bin_op {
        BinOp::And => (results.iter().all(|r| r.pass), " AND "),
        BinOp::Or => (results.iter().any(|r| r.pass), " OR "),
        BinOp::Unknown(op) => {
            return Outcome {
                pass: false,
                expected_result: String::new(),
                actual_value: format!("unknown binary operator for tests {op}"),
                error: Some(format!("unknown binary operator for tests {op}")),
            };
        }
    };
    Outcome {
        pass,
        expected_result: expected.join(joiner),
        actual_value,
        error: None,
    }
}

/// Where a test item's value is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Command,
    Config,
    Env,
}

#[derive(Debug, Clone, Default)]
struct ItemResult {
    pass: bool,
    found: bool,
    expected: String,
    actual: String,
}

fn execute(item: &TestItem, output: &str, source: Source, multiple: bool) -> ItemResult {
    let s = output.trim_end_matches([' ', '\n']);
    let lines: Vec<&str> = if multiple {
        s.split('\n').collect()
    } else {
        vec![s]
    };
    let mut result = ItemResult::default();
    for line in lines {
        result = evaluate_line(item, line, source);
        if !result.pass {
            break;
        }
    }
    result.actual = s.to_string();
    result
}

fn evaluate_line(item: &TestItem, s: &str, source: Source) -> ItemResult {
    let name = match source {
        Source::Config => &item.path,
        Source::Env => &item.env,
        Source::Command => &item.flag,
    };
    let found = match source {
        Source::Command => find_flag(item, s),
        Source::Config => find_path(&item.path, s),
        Source::Env => Ok(find_env(&item.env, s)),
    };
    let value = match found {
        Ok(v) => v,
        Err(message) => {
            return ItemResult {
                actual: message,
                ..ItemResult::default()
            };
        }
    };
    let (expected, pass) = match (&value, item.set, &item.compare) {
        (Some(v), true, Some(cmp)) => compare_op(&cmp.op, v, &cmp.value, name),
        (_, true, _) => (format!("'{name}' is present"), value.is_some()),
        (_, false, _) => (format!("'{name}' is not present"), value.is_none()),
    };
    ItemResult {
        pass,
        found: value.is_some(),
        expected,
        actual: String::new(),
    }
}

/// Finds `flag` in a command line or `key: value` output: `--flag=value`, `flag: value`,
/// `--flag value` (only when the item compares a value and the next word is not a flag), or a bare
/// `--flag` (value `true`).
fn find_flag(item: &TestItem, s: &str) -> Result<Option<String>, String> {
    let flag = item.flag.as_str();
    if s.is_empty() || flag.is_empty() {
        return Ok(None);
    }
    let Some(at) = s.find(flag) else {
        return Ok(None);
    };
    let mut rest = &s[at + flag.len()..];
    loop {
        if let Some(r) = rest.strip_prefix('=') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix(':') {
            rest = r.trim_start_matches(' ');
        } else {
            break;
        }
    }
    let value: &str = rest.split(is_go_space).next().unwrap_or("");
    if !value.is_empty() {
        return Ok(Some(value.to_string()));
    }
    if item.compare.is_some()
        && let Some(v) = space_separated_value(flag, s)
    {
        return Ok(Some(v));
    }
    Ok(Some(if flag.starts_with("--") {
        "true".to_string()
    } else {
        flag.to_string()
    }))
}

fn space_separated_value(flag: &str, s: &str) -> Option<String> {
    for (at, _) in s.match_indices(flag) {
        let rest = &s[at + flag.len()..];
        let trimmed = rest.trim_start_matches(is_go_space);
        if trimmed.len() == rest.len() {
            continue;
        }
        let word = trimmed.split(is_go_space).next().unwrap_or("");
        if !word.is_empty() && !word.starts_with('-') {
            return Some(word.to_string());
        }
    }
    None
}

fn is_go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\x0b')
}

/// Looks `path` up in a YAML or JSON document; an empty result means not found.
fn find_path(path: &str, s: &str) -> Result<Option<String>, String> {
    if s.len() > MAX_CONFIG_BYTES {
        return Err("config output too large to parse".into());
    }
    let doc = match serde_json::from_str::<serde_json::Value>(s) {
        Ok(doc) => doc,
        Err(_) => yaml::parse(s)
            .map_err(|e| format!("failed to load YAML or JSON from input \"{s}\": {e}"))?,
    };
    let value = jsonpath::execute(path, &doc)
        .map_err(|e| format!("unable to parse path expression \"{path}\": {e}"))?;
    Ok((!value.is_empty()).then_some(value))
}

/// Finds `NAME=value` (rest of the line) in environment output.
fn find_env(name: &str, s: &str) -> Option<String> {
    if s.is_empty() || name.is_empty() {
        return None;
    }
    let key = format!("{name}=");
    let at = s.find(&key)?;
    let value = s[at + key.len()..].split('\n').next().unwrap_or("");
    (!value.is_empty()).then(|| value.to_string())
}

/// Applies a compare op to a found value, returning kube-bench's expectation text and the verdict.
pub fn compare_op(op: &str, value: &str, want: &str, name: &str) -> (String, bool) {
    let lower = value.to_lowercase();
    let is_bool = lower == "true" || lower == "false";
    let (pattern, pass) = match op {
        "eq" => (
            format!("'{name}' is equal to '{want}'"),
            if is_bool {
                lower == want
            } else {
                value == want
            },
        ),
        "noteq" => (
            format!("'{name}' is not equal to '{want}'"),
            if is_bool {
                lower != want
            } else {
                value != want
            },
        ),
        "gt" | "gte" | "lt" | "lte" => {
            let (Some(a), Some(b)) = (go_atoi(value), go_atoi(want)) else {
                return (
                    format!("Invalid Number(s) used for comparison: '{value}' '{want}'"),
                    false,
                );
            };
            match op {
                "gt" => (format!("'{name}' is greater than {want}"), a > b),
                "gte" => (format!("'{name}' is greater or equal to {want}"), a >= b),
                "lt" => (format!("'{name}' is lower than {want}"), a < b),
                _ => (format!("'{name}' is lower or equal to {want}"), a <= b),
            }
        }
        "has" => (format!("'{name}' has '{want}'"), value.contains(want)),
        "nothave" => (
            format!("'{name}' does not have '{want}'"),
            !value.contains(want),
        ),
        "regex" => match regex::RegexBuilder::new(want).size_limit(1 << 20).build() {
            Ok(re) => (
                format!("'{name}' matched by regex expression '{want}'"),
                re.is_match(value),
            ),
            Err(_) => (format!("invalid regex expression '{want}'"), false),
        },
        "valid_elements" => (
            format!("'{name}' contains valid elements from '{want}'"),
            all_elements_valid(&split_list(value), &split_list(want)),
        ),
        "bitmask" => {
            let Some(requested) = parse_octal(value) else {
                return (format!("Not numeric value - flag: {value}"), false);
            };
            let Some(max) = parse_octal(want) else {
                return (format!("Not numeric value - flag: {want}"), false);
            };
            (
                format!("{name} has permissions {value}, expected {want} or more restrictive"),
                max & requested == requested,
            )
        }
        _ => (String::new(), false),
    };
    (pattern, pass)
}

fn go_atoi(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

fn parse_octal(s: &str) -> Option<i64> {
    i64::from_str_radix(s, 8).ok()
}

fn split_list(s: &str) -> Vec<String> {
    let clean = s.trim().trim_end_matches(',');
    if clean.is_empty() {
        return Vec::new();
    }
    clean.split(',').map(|p| p.trim().to_string()).collect()
}

fn all_elements_valid(values: &[String], allowed: &[String]) -> bool {
    match (values.is_empty(), allowed.is_empty()) {
        (true, true) => true,
        (true, false) | (false, true) => false,
        _ => values.iter().all(|v| allowed.contains(v)),
    }
}
