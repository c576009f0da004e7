//! The kube-bench controls files: `controls → groups → checks → tests → test_items`.

use crate::error::{Error, Result};
use crate::yaml::scalar_string;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// One controls file (`master.yaml`, `node.yaml`, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Controls {
    pub id: String,
    pub version: String,
    pub text: String,
    /// `master`, `node`, `etcd`, `controlplane`, `policies` or `managedservices`.
    pub node_type: String,
    pub groups: Vec<Group>,
}

/// A section of a controls file (`4.2 Kubelet`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: String,
    pub text: String,
    pub checks: Vec<Check>,
}

/// How a check is run: by its tests, or reported without running (`manual` → WARN, `skip` → INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckType {
    Automated,
    Manual,
    Skip,
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: String,
    pub text: String,
    pub audit: String,
    pub audit_config: String,
    pub audit_env: String,
    pub check_type: CheckType,
    /// `None` when the check has no `tests` key at all (kube-bench treats that differently from an
    /// empty list).
    pub tests: Option<Tests>,
    pub remediation: String,
    pub scored: bool,
    /// Evaluate the tests against every line of the output (`use_multiple_values`).
    pub use_multiple_values: bool,
}

/// How test items combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BinOp {
    And,
    Or,
    /// A value kube-bench rejects ("unknown binary operator").
    Unknown(String),
}

/// The tests of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tests {
    pub bin_op: BinOp,
    pub test_items: Vec<TestItem>,
}

/// One test: find `flag` in the audit output (or `path` in the config output, or `env` in the
/// environment output) and compare its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestItem {
    pub flag: String,
    pub path: String,
    pub env: String,
    /// Whether the item must be present (default true).
    pub set: bool,
    pub compare: Option<Compare>,
}

/// A comparison: `op` is eq, noteq, gt, gte, lt, lte, has, nothave, regex, valid_elements or bitmask;
/// anything else never passes, as in kube-bench.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compare {
    pub op: String,
    pub value: String,
}

impl Controls {
    /// Builds controls from a parsed file; `path` only names the file in errors.
    pub fn from_value(doc: &Value, path: &Path) -> Result<Controls> {
        let invalid = |message: String| Error::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let map = doc
            .as_object()
            .ok_or_else(|| invalid("top level is not a mapping".into()))?;
        let mut groups = Vec::new();
        match map.get("groups") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, g) in items.iter().enumerate() {
                    groups.push(
                        Group::from_value(g).map_err(|m| invalid(format!("groups[{i}]: {m}")))?,
                    );
                }
            }
            Some(_) => return Err(invalid("`groups` is not a list".into())),
        }
        Ok(Controls {
            id: text_field(doc, "id"),
            version: text_field(doc, "version"),
            text: text_field(doc, "text"),
            node_type: text_field(doc, "type"),
            groups,
        })
    }

    /// Every check of every group.
    pub fn checks(&self) -> impl Iterator<Item = (&Group, &Check)> {
        self.groups
            .iter()
            .flat_map(|g| g.checks.iter().map(move |c| (g, c)))
    }
}

impl Group {
    fn from_value(v: &Value) -> std::result::Result<Group, String> {
        if !v.is_object() {
            return Err("group is not a mapping".into());
        }
        let mut checks = Vec::new();
        match v.get("checks") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, c) in items.iter().enumerate() {
                    checks.push(Check::from_value(c).map_err(|m| format!("checks[{i}]: {m}"))?);
                }
            }
            Some(_) => return Err("`checks` is not a list".into()),
        }
        Ok(Group {
            id: text_field(v, "id"),
            text: text_field(v, "text"),
            checks,
        })
    }
}

impl Check {
    fn from_value(v: &Value) -> std::result::Result<Check, String> {
        if !v.is_object() {
            return Err("check is not a mapping".into());
        }
        let check_type = match text_field(v, "type").trim() {
            "manual" => CheckType::Manual,
            "skip" => CheckType::Skip,
            _ => CheckType::Automated,
        };
        let tests = match v.get("tests") {
            None | Some(Value::Null) => None,
            Some(t) => Some(
                Tests::from_value(t).map_err(|m| format!("check {}: {m}", text_field(v, "id")))?,
            ),
        };
        Ok(Check {
            id: text_field(v, "id"),
            text: text_field(v, "text"),
            audit: text_field(v, "audit"),
            audit_config: text_field(v, "audit_config"),
            audit_env: text_field(v, "audit_env"),
            check_type,
            tests,
            remediation: text_field(v, "remediation"),
            scored: bool_field(v, "scored", false),
            use_multiple_values: bool_field(v, "use_multiple_values", false),
        })
    }

    /// The check with `$variables` replaced everywhere, as kube-bench replaces them in the whole file
    /// text (some test items name a file through a variable: `flag: "$proxykubeconfig"`).
    pub fn substituted(&self, subst: &dyn Fn(&str) -> String) -> Check {
        let tests = self.tests.as_ref().map(|t| Tests {
            bin_op: t.bin_op.clone(),
            test_items: t
                .test_items
                .iter()
                .map(|i| TestItem {
                    flag: subst(&i.flag),
                    path: subst(&i.path),
                    env: subst(&i.env),
                    set: i.set,
                    compare: i.compare.as_ref().map(|c| Compare {
                        op: c.op.clone(),
                        value: subst(&c.value),
                    }),
                })
                .collect(),
        });
        Check {
            id: self.id.clone(),
            text: subst(&self.text),
            audit: subst(&self.audit),
            audit_config: subst(&self.audit_config),
            audit_env: subst(&self.audit_env),
            check_type: self.check_type,
            tests,
            remediation: subst(&self.remediation),
            scored: self.scored,
            use_multiple_values: self.use_multiple_values,
        }
    }
}

impl Tests {
    /// Parses a `tests` mapping from YAML text (`bin_op`, `test_items`).
    pub fn from_yaml(text: &str) -> std::result::Result<Tests, String> {
        Tests::from_value(&crate::yaml::parse(text)?)
    }

    /// Parses a `tests` mapping.
    pub fn from_value(v: &Value) -> std::result::Result<Tests, String> {
        if !v.is_object() {
            return Err("`tests` is not a mapping".into());
        }
        let bin_op = match text_field(v, "bin_op").as_str() {
            "" | "and" => BinOp::And,
            "or" => BinOp::Or,
            other => BinOp::Unknown(other.to_string()),
        };
        let mut test_items = Vec::new();
        match v.get("test_items") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    test_items.push(TestItem::from_value(item)?);
                }
            }
            Some(_) => return Err("`test_items` is not a list".into()),
        }
        Ok(Tests { bin_op, test_items })
    }
}

impl TestItem {
    fn from_value(v: &Value) -> std::result::Result<TestItem, String> {
        if !v.is_object() {
            return Err("test item is not a mapping".into());
        }
        let compare = match v.get("compare") {
            None | Some(Value::Null) => None,
            Some(c) if c.is_object() => Some(Compare {
                op: text_field(c, "op"),
                value: text_field(c, "value"),
            }),
            Some(_) => return Err("`compare` is not a mapping".into()),
        };
        Ok(TestItem {
            flag: text_field(v, "flag"),
            path: text_field(v, "path"),
            env: text_field(v, "env"),
            set: bool_field(v, "set", true),
            compare: compare.filter(|c| !c.op.is_empty()),
        })
    }
}

fn text_field(v: &Value, key: &str) -> String {
    v.get(key).and_then(scalar_string).unwrap_or_default()
}

fn bool_field(v: &Value, key: &str, default: bool) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => match s.as_str() {
            "true" | "True" | "TRUE" | "yes" => true,
            "false" | "False" | "FALSE" | "no" => false,
            _ => default,
        },
        _ => default,
    }
}
