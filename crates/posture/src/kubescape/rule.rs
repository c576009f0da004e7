//! One regolibrary rule folder: `rule.metadata.json`, `raw.rego`, optional `filter.rego`, run with the
//! opa-utils dependency modules.

use super::aggregate;
use crate::docs::str_at;
use crate::error::{PolicyError, Result};
use crate::rego::{Limits, Program, RegoSource};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The config inputs a rule sees as `data.postureControlInputs` and `data.dataControlInputs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ControlInputs {
    pub posture: Map<String, Value>,
    pub data: Map<String, Value>,
}

impl ControlInputs {
    /// The inputs of `default-config-inputs.json` (`settings.postureControlInputs`).
    pub fn from_default_config(doc: &Value) -> Self {
        ControlInputs {
            posture: doc
                .pointer("/settings/postureControlInputs")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            data: Map::new(),
        }
    }

    /// Overrides key by key with a test case's `data.json` (`postureControlInputs`, `dataControlInputs`).
    pub fn overridden_by(&self, overrides: &Value) -> Self {
        let mut out = self.clone();
        if let Some(p) = overrides
            .get("postureControlInputs")
            .and_then(Value::as_object)
        {
            for (k, v) in p {
                out.posture.insert(k.clone(), v.clone());
            }
        }
        if let Some(d) = overrides
            .get("dataControlInputs")
            .and_then(Value::as_object)
        {
            for (k, v) in d {
                out.data.insert(k.clone(), v.clone());
            }
        }
        out
    }

    fn to_data(&self) -> Value {
        json!({ "postureControlInputs": self.posture, "dataControlInputs": self.data })
    }
}

/// A compiled regolibrary rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub dir: PathBuf,
    pub description: String,
    pub remediation: String,
    /// `attributes.resourcesAggregator` (`subject-role-rolebinding`, `apiserver-pod`).
    pub aggregator: Option<String>,
    /// Resource kinds of `match[].resources`.
    pub kinds: Vec<String>,
    pub metadata: Value,
    program: Program,
    filter: Option<Program>,
    data_set: Option<Value>,
    filter_data_set: Option<Value>,
}

impl Rule {
    /// Loads and compiles the rule in `dir` with the dependency modules `deps`.
    pub fn load(dir: &Path, deps: &[RegoSource], limits: Limits) -> Result<Rule> {
        let meta_path = dir.join("rule.metadata.json");
        let metadata: Value =
            serde_json::from_str(&crate::docs::read_text(&meta_path)?).map_err(|e| {
                PolicyError::Parse {
                    path: meta_path.display().to_string(),
                    line: u32::try_from(e.line()).ok(),
                    message: e.to_string(),
                }
            })?;
        let compile = |file: &str| -> Result<Program> {
            let path = dir.join(file);
            let mut modules = vec![RegoSource::file(
                path.display().to_string(),
                crate::docs::read_text(&path)?,
            )];
            modules.extend(deps.iter().cloned());
            Ok(Program::compile(&modules, limits)?.0)
        };
        let program = compile("raw.rego")?;
        let filter = if dir.join("filter.rego").is_file() {
            Some(compile("filter.rego")?)
        } else {
            None
        };
        let aggregator = metadata
            .pointer("/attributes/resourcesAggregator")
            .and_then(Value::as_str)
            .map(str::to_string);
        let kinds = metadata
            .get("match")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .flat_map(|x| {
                        x.get("resources")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                    })
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let name = match str_at(&metadata, &["name"]) {
            "" => dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            n => n.to_string(),
        };
        Ok(Rule {
            name,
            dir: dir.to_path_buf(),
            description: str_at(&metadata, &["description"]).to_string(),
            remediation: str_at(&metadata, &["remediation"]).to_string(),
            aggregator,
            kinds,
            metadata,
            program,
            filter,
            data_set: None,
            filter_data_set: None,
        })
    }

    /// Whether the rule has a `filter.rego`.
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }

    /// Runs `raw.rego` over `objects` (after the rule's resource aggregation) and returns `deny`.
    pub fn evaluate(&mut self, objects: &[Value], inputs: &ControlInputs) -> Result<Vec<Value>> {
        let input = self.input(objects);
        let data = inputs.to_data();
        if self.data_set.as_ref() != Some(&data) {
            self.program.set_data(data.clone())?;
            self.data_set = Some(data);
        }
        responses_of(self.program.query("data.armo_builtins", input)?)
    }

    /// Runs `filter.rego` (if any) like [`Rule::evaluate`].
    pub fn evaluate_filter(
        &mut self,
        objects: &[Value],
        inputs: &ControlInputs,
    ) -> Result<Vec<Value>> {
        let input = self.input(objects);
        let Some(filter) = self.filter.as_mut() else {
            return Ok(Vec::new());
        };
        let data = inputs.to_data();
        if self.filter_data_set.as_ref() != Some(&data) {
            filter.set_data(data.clone())?;
            self.filter_data_set = Some(data);
        }
        responses_of(filter.query("data.armo_builtins", input)?)
    }

    fn input(&self, objects: &[Value]) -> Value {
        Value::Array(match self.aggregator.as_deref() {
            Some("subject-role-rolebinding") => aggregate::subjects_with_roles(objects),
            Some("apiserver-pod") => aggregate::apiserver_pod(objects),
            _ => objects.to_vec(),
        })
    }
}

/// Every rule response in the package, as opa-utils collects them: each rule of `data.armo_builtins`
/// whose value is a set of objects (`deny` in most rules, a rule-specific name in some).
fn responses_of(results: Vec<Value>) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for package in results {
        let Value::Object(rules) = package else {
            continue;
        };
        for (_, value) in rules {
            if let Value::Array(items) = value
                && items.iter().all(Value::is_object)
            {
                out.extend(items);
            }
        }
    }
    Ok(out)
}
