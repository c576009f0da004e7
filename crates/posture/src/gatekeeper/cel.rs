//! Gatekeeper `K8sNativeValidation` code (CEL), as in ValidatingAdmissionPolicy: named `variables`
//! evaluated in order, then `validations`, each failing when its expression is false.
//! `variables.params` is the constraint's parameters and `variables.anyObject` the object (or the old
//! object of a DELETE).

use crate::docs::str_at;
use crate::error::{PolicyError, Result};
use serde_json::{Map, Value};
use std::sync::Arc;

/// A compiled `K8sNativeValidation` source.
#[derive(Clone)]
pub struct CelValidation {
    env: Arc<cel::Env>,
    variables: Vec<(String, Arc<cel::Program>)>,
    validations: Vec<Validation>,
    origin: String,
}

#[derive(Clone)]
struct Validation {
    expression: String,
    program: Arc<cel::Program>,
    message: Option<String>,
    message_expression: Option<Arc<cel::Program>>,
}

impl std::fmt::Debug for CelValidation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelValidation")
            .field("origin", &self.origin)
            .field("validations", &self.validations.len())
            .finish()
    }
}

fn env() -> Result<cel::Env> {
    let mut env = cel::Env::stdlib();
    cel::extensions::strings(&mut env)
        .and_then(|()| cel::extensions::lists(&mut env))
        .map_err(|e| PolicyError::invalid("cel", format!("{e:?}")))?;
    Ok(env)
}

impl CelValidation {
    /// Compiles the `source` of a `code[]` entry with engine `K8sNativeValidation`.
    pub fn compile(origin: &str, source: &Value) -> Result<Self> {
        let env = env()?;
        let compile = |expr: &str| {
            env.compile(expr)
                .map(Arc::new)
                .map_err(|e| PolicyError::Compile {
                    path: origin.to_string(),
                    line: 0,
                    message: format!("CEL {expr:?}: {}", first_line(&e.to_string())),
                })
        };
        let mut variables = Vec::new();
        for v in source
            .get("variables")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            variables.push((
                str_at(v, &["name"]).to_string(),
                compile(str_at(v, &["expression"]))?,
            ));
        }
        let mut validations = Vec::new();
        for v in source
            .get("validations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let expression = str_at(v, &["expression"]).to_string();
            validations.push(Validation {
                program: compile(&expression)?,
                expression,
                message: v.get("message").and_then(Value::as_str).map(str::to_string),
                message_expression: match v.get("messageExpression").and_then(Value::as_str) {
                    Some(e) => Some(compile(e)?),
                    None => None,
                },
            });
        }
        Ok(CelValidation {
            env: Arc::new(env),
            variables,
            validations,
            origin: origin.to_string(),
        })
    }

    /// The messages of the failed validations for one review.
    pub fn evaluate(
        &self,
        review: &Value,
        object: &Value,
        parameters: &Value,
    ) -> Result<Vec<String>> {
        let mut vars = Map::new();
        vars.insert("params".into(), parameters.clone());
        vars.insert("anyObject".into(), object.clone());
        let base = |vars: &Map<String, Value>| -> Result<cel::Context<'static, 'static>> {
            let mut ctx = cel::Context::with_env(self.env.clone());
            for (name, value) in [
                ("request", review),
                ("object", review.get("object").unwrap_or(&Value::Null)),
                ("oldObject", review.get("oldObject").unwrap_or(&Value::Null)),
                ("params", parameters),
            ] {
                ctx.add_variable_from_value(name, self.value(value)?);
            }
            ctx.add_variable_from_value("variables", self.value(&Value::Object(vars.clone()))?);
            Ok(ctx)
        };
        for (name, program) in &self.variables {
            let ctx = base(&vars)?;
            // A variable that fails to evaluate is absent, so `has()` on it is false.
            if let Ok(v) = program.execute(&ctx)
                && let Ok(json) = v.json()
            {
                vars.insert(name.clone(), json);
            }
        }
        let ctx = base(&vars)?;
        let mut out = Vec::new();
        for v in &self.validations {
            let passed = matches!(v.program.execute(&ctx), Ok(cel::Value::Bool(true)));
            if passed {
                continue;
            }
            let message = v
                .message_expression
                .as_ref()
                .and_then(|m| match m.execute(&ctx) {
                    Ok(cel::Value::String(s)) => Some(s.to_string()),
                    _ => None,
                })
                .or_else(|| v.message.clone())
                .unwrap_or_else(|| format!("failed expression: {}", v.expression));
            out.push(message);
        }
        Ok(out)
    }

    fn value(&self, json: &Value) -> Result<cel::Value> {
        cel::to_value(json).map_err(|e| PolicyError::Eval {
            path: self.origin.clone(),
            message: e.to_string(),
        })
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}
