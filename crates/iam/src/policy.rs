//! The IAM policy document model and its lenient parser.
//!
//! Parsing never fails: a malformed element becomes a [`PolicyWarning`] naming the policy and the
//! statement, and the rest of the document is kept. "Conservatively" means: an element that cannot be
//! understood never *grants* anything (an Allow statement with a bad `Effect`, `Action` or an unknown
//! condition operator does not match), while a Deny statement with an unknown condition operator is
//! treated as possibly matching (see [`crate::condition`]).

use crate::condition::{ConditionClause, Operator};
use crate::wildcard::{self, Tok};
use serde::Serialize;
use serde_json::Value;

/// Largest policy text accepted (AWS's own limits are far lower; generous for SCP bundles).
pub const MAX_POLICY_BYTES: usize = 1 << 20;
/// Most statements kept from one document.
pub const MAX_STATEMENTS: usize = 2_000;
/// Most values kept from one element (`Action`, `Resource`, a condition key, …).
pub const MAX_VALUES: usize = 5_000;

/// A problem found in a policy document; evaluation goes on without the broken part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyWarning {
    /// The policy's name or ARN.
    pub policy: String,
    pub message: String,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A string pattern from a policy (action, resource or ARN) with its compiled form.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub raw: String,
    /// Compiled tokens; `None` when the pattern holds policy variables and is compiled per request.
    pub toks: Option<Vec<Tok>>,
}

impl Pattern {
    /// Compiles a pattern; `variables` says whether `${…}` is substituted (policy version 2012-10-17).
    pub fn new(raw: &str, variables: bool) -> Pattern {
        let toks = (!(variables && raw.contains("${"))).then(|| wildcard::compile(raw));
        Pattern {
            raw: raw.to_string(),
            toks,
        }
    }
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: the listed patterns, or all but them.
#[derive(Debug, Clone)]
pub struct PatternList {
    pub negated: bool,
    pub patterns: Vec<Pattern>,
}

/// The `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, Default)]
pub struct PrincipalSpec {
    /// `"Principal": "*"` (or `{"AWS": "*"}`): everyone, authenticated or not.
    pub any: bool,
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

/// One statement, with its position in the document.
#[derive(Debug, Clone)]
pub struct Statement {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalSpec>,
    pub not_principal: Option<PrincipalSpec>,
    pub action: PatternList,
    /// `None` when the statement names no resource (trust policies, most resource policies).
    pub resource: Option<PatternList>,
    pub conditions: Vec<ConditionClause>,
}

impl Statement {
    /// Whether the statement has any condition.
    pub fn has_condition(&self) -> bool {
        !self.conditions.is_empty()
    }
}

/// A parsed policy document.
#[derive(Debug, Clone, Default)]
pub struct PolicyDocument {
    /// `Version` is 2012-10-17: policy variables are substituted.
    pub variables: bool,
    pub statements: Vec<Statement>,
}

/// A named policy: the unit evaluation reports on.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Name or ARN, used in warnings and evidence.
    pub name: String,
    pub document: PolicyDocument,
}

/// The result of parsing: the (possibly partial) policy and what was wrong with it.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub policy: Policy,
    pub warnings: Vec<PolicyWarning>,
}

impl Policy {
    /// Parses policy JSON text. Text that is not JSON yields an empty policy and a warning.
    pub fn parse(name: &str, text: &str) -> Parsed {
        if text.len() > MAX_POLICY_BYTES {
            return Parsed::empty(
                name,
                format!(
                    "policy is {} bytes, over the {MAX_POLICY_BYTES} byte limit",
                    text.len()
                ),
            );
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v) => Policy::from_value(name, &v),
            Err(e) => Parsed::empty(name, format!("not JSON: {e}")),
        }
    }

    /// Builds a policy from an already decoded JSON value.
    pub fn from_value(name: &str, value: &Value) -> Parsed {
        let mut p = Parser {
            name,
            warnings: Vec::new(),
        };
        let document = p.document(value);
        Parsed {
            policy: Policy {
                name: name.to_string(),
                document,
            },
            warnings: p.warnings,
        }
    }
}

impl Parsed {
    fn empty(name: &str, message: String) -> Parsed {
        Parsed {
            policy: Policy {
                name: name.to_string(),
                document: PolicyDocument::default(),
            },
            warnings: vec![PolicyWarning {
                policy: name.to_string(),
                message,
            }],
        }
    }
}

struct Parser<'a> {
    name: &'a str,
    warnings: Vec<PolicyWarning>,
}

impl Parser<'_> {
    fn warn(&mut self, message: String) {
        self.warnings.push(PolicyWarning {
            policy: self.name.to_string(),
            message,
        });
    }

    fn document(&mut self, v: &Value) -> PolicyDocument {
        let Some(obj) = v.as_object() else {
            self.warn("policy document is not a JSON object".into());
            return PolicyDocument::default();
        };
        let variables = match obj.get("Version") {
            None => false,
            Some(Value::String(s)) if s == "2012-10-17" => true,
            Some(Value::String(s)) if s == "2008-10-17" => false,
            Some(other) => {
                self.warn(format!(
                    "unknown Version {other}; policy variables are not substituted"
                ));
                false
            }
        };
        let raw: Vec<&Value> = match obj.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(s @ Value::Object(_)) => vec![s],
            Some(_) => {
                self.warn("Statement is neither an object nor an array".into());
                Vec::new()
            }
            None => {
                self.warn("no Statement".into());
                Vec::new()
            }
        };
        if raw.len() > MAX_STATEMENTS {
            self.warn(format!(
                "{} statements; only the first {MAX_STATEMENTS} are evaluated",
                raw.len()
            ));
        }
        let statements = raw
            .into_iter()
            .take(MAX_STATEMENTS)
            .enumerate()
            .filter_map(|(i, s)| self.statement(i, s, variables))
            .collect();
        PolicyDocument {
            variables,
            statements,
        }
    }

    fn statement(&mut self, index: usize, v: &Value, variables: bool) -> Option<Statement> {
        let Some(obj) = v.as_object() else {
            self.warn(format!("statement {index} is not an object; ignored"));
            return None;
        };
        let sid = obj.get("Sid").and_then(Value::as_str).map(str::to_string);
        let label = sid.clone().unwrap_or_else(|| format!("#{index}"));
        let effect = match obj.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            other => {
                self.warn(format!(
                    "statement {label}: Effect {other:?} is not Allow or Deny; ignored"
                ));
                return None;
            }
        };
        let action = match (obj.get("Action"), obj.get("NotAction")) {
            (Some(a), None) => self.patterns(&label, "Action", a, false, false),
            (None, Some(a)) => self.patterns(&label, "NotAction", a, true, false),
            _ => {
                self.warn(format!(
                    "statement {label}: needs exactly one of Action and NotAction; ignored"
                ));
                return None;
            }
        };
        let resource = match (obj.get("Resource"), obj.get("NotResource")) {
            (Some(r), None) => Some(self.patterns(&label, "Resource", r, false, variables)),
            (None, Some(r)) => Some(self.patterns(&label, "NotResource", r, true, variables)),
            (None, None) => None,
            (Some(_), Some(_)) => {
                self.warn(format!(
                    "statement {label}: both Resource and NotResource; ignored"
                ));
                return None;
            }
        };
        let principal = obj.get("Principal").map(|p| self.principal(&label, p));
        let not_principal = obj.get("NotPrincipal").map(|p| self.principal(&label, p));
        let conditions = match obj.get("Condition") {
            None => Vec::new(),
            Some(c) => self.conditions(&label, c),
        };
        Some(Statement {
            index,
            sid,
            effect,
            principal,
            not_principal,
            action,
            resource,
            conditions,
        })
    }

    fn strings(&mut self, label: &str, element: &str, v: &Value) -> Vec<String> {
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        if items.len() > MAX_VALUES {
            self.warn(format!(
                "statement {label}: {element} has {} values; only {MAX_VALUES} kept",
                items.len()
            ));
        }
        let mut out = Vec::with_capacity(items.len().min(MAX_VALUES));
        for item in items.into_iter().take(MAX_VALUES) {
            match item {
                Value::String(s) => out.push(s.clone()),
                Value::Bool(b) => out.push(b.to_string()),
                Value::Number(n) => out.push(n.to_string()),
                other => self.warn(format!(
                    "statement {label}: {element} value {other} is not a string; ignored"
                )),
            }
        }
        out
    }

    fn patterns(
        &mut self,
        label: &str,
        element: &str,
        v: &Value,
        negated: bool,
        variables: bool,
    ) -> PatternList {
        let patterns = self
            .strings(label, element, v)
            .iter()
            .map(|s| Pattern::new(s, variables))
            .collect();
        PatternList { negated, patterns }
    }

    fn principal(&mut self, label: &str, v: &Value) -> PrincipalSpec {
        let mut spec = PrincipalSpec::default();
        match v {
            Value::String(s) if s == "*" => spec.any = true,
            Value::Object(map) => {
                for (k, val) in map {
                    let values = self.strings(label, "Principal", val);
                    match k.as_str() {
                        "AWS" => {
                            if values.iter().any(|x| x == "*") {
                                spec.any = true;
                            }
                            spec.aws.extend(values.into_iter().filter(|x| x != "*"));
                        }
                        "Service" => spec.service.extend(values),
                        "Federated" => spec.federated.extend(values),
                        "CanonicalUser" => spec.canonical_user.extend(values),
                        other => self.warn(format!(
                            "statement {label}: unknown principal type {other}; ignored"
                        )),
                    }
                }
            }
            other => self.warn(format!(
                "statement {label}: Principal {other} is neither \"*\" nor an object"
            )),
        }
        spec
    }

    fn conditions(&mut self, label: &str, v: &Value) -> Vec<ConditionClause> {
        let Some(ops) = v.as_object() else {
            self.warn(format!(
                "statement {label}: Condition is not an object; treated as an unknown operator"
            ));
            return vec![ConditionClause::unknown("<malformed>")];
        };
        let mut out = Vec::new();
        for (op_name, block) in ops {
            let operator = Operator::parse(op_name);
            if operator.is_unknown() {
                self.warn(format!(
                    "statement {label}: unknown condition operator {op_name}"
                ));
            }
            let Some(keys) = block.as_object() else {
                self.warn(format!(
                    "statement {label}: condition {op_name} is not an object"
                ));
                out.push(ConditionClause::unknown(op_name));
                continue;
            };
            for (key, values) in keys {
                let values = self.strings(label, key, values);
                out.push(ConditionClause::new(operator.clone(), key, values));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_shapes() {
        let p = Policy::parse(
            "p",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":["a",1]}}"#,
        );
        assert_eq!(p.policy.document.statements.len(), 1);
        assert_eq!(p.warnings.len(), 0, "numbers are kept as strings");
        let p = Policy::parse("bad", "{not json");
        assert!(p.policy.document.statements.is_empty());
        assert!(p.warnings[0].message.starts_with("not JSON"));
        assert_eq!(p.warnings[0].policy, "bad");
    }

    #[test]
    fn broken_statements_are_dropped_with_a_warning() {
        let p = Policy::parse(
            "p",
            r#"{"Statement":[{"Effect":"Maybe","Action":"*"},{"Effect":"Allow"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringFancy":{"a":"b"}}}]}"#,
        );
        assert_eq!(p.policy.document.statements.len(), 1);
        assert_eq!(p.warnings.len(), 3, "{:?}", p.warnings);
        assert!(!p.policy.document.variables);
    }

    #[test]
    fn principal_forms() {
        let p = Policy::parse(
            "t",
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*","arn:aws:iam::1:root"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        );
        let s = &p.policy.document.statements[0];
        let pr = s.principal.as_ref().expect("principal");
        assert!(pr.any);
        assert_eq!(pr.aws, vec!["arn:aws:iam::1:root"]);
        assert_eq!(pr.service, vec!["ec2.amazonaws.com"]);
        assert!(s.resource.is_none());
    }
}
