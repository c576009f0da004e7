//! ConstraintTemplates (`templates.gatekeeper.sh/v1`, `v1beta1`, `v1alpha1`): their Rego compiled once and
//! evaluated per review.

use crate::docs::{at, str_at};
use crate::error::{PolicyError, Result};
use crate::rego::{Limits, Program, RegoSource};
use serde_json::{Value, json};
use std::path::Path;

/// A compiled ConstraintTemplate.
#[derive(Debug, Clone)]
pub struct ConstraintTemplate {
    /// `metadata.name` (lower-case kind by convention).
    pub name: String,
    /// The constraint kind it defines (`spec.crd.spec.names.kind`).
    pub kind: String,
    /// `metadata.gatekeeper.sh/title` annotation, else the name.
    pub title: String,
    pub description: String,
    /// File it was read from.
    pub origin: String,
    /// The Rego program; `None` for a CEL-only template.
    program: Option<Program>,
    entry: String,
    /// Whether the Rego reads `data.inventory` (others skip loading it).
    uses_inventory: bool,
    #[cfg(feature = "cel")]
    cel: Option<super::cel::CelValidation>,
}

/// One result of a template's `violation` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RawViolation {
    pub msg: String,
    pub details: Value,
}

/// True when `doc` is a ConstraintTemplate.
pub fn is_template(doc: &Value) -> bool {
    str_at(doc, &["kind"]) == "ConstraintTemplate"
        && str_at(doc, &["apiVersion"]).starts_with("templates.gatekeeper.sh/")
}

impl ConstraintTemplate {
    /// Reads and compiles a template file.
    pub fn load(path: &Path, limits: Limits) -> Result<Self> {
        let text = crate::docs::read_text(path)?;
        let origin = path.display().to_string();
        let docs = crate::docs::parse_documents(&origin, &text)?;
        let doc = docs
            .iter()
            .find(|d| is_template(d))
            .ok_or_else(|| PolicyError::invalid(&origin, "no ConstraintTemplate in file"))?;
        Self::from_document(&origin, &text, doc, limits)
    }

    /// Compiles a parsed template. `text` is the file's text, used to report Rego errors at file lines.
    pub fn from_document(origin: &str, text: &str, doc: &Value, limits: Limits) -> Result<Self> {
        if !is_template(doc) {
            return Err(PolicyError::invalid(origin, "not a ConstraintTemplate"));
        }
        let name = str_at(doc, &["metadata", "name"]).to_string();
        let kind = str_at(doc, &["spec", "crd", "spec", "names", "kind"]).to_string();
        if kind.is_empty() {
            return Err(PolicyError::invalid(
                origin,
                "spec.crd.spec.names.kind is missing",
            ));
        }
        let target = at(doc, &["spec", "targets", "0"])
            .or_else(|| {
                at(doc, &["spec", "targets"])
                    .and_then(Value::as_array)
                    .and_then(|a| a.first())
            })
            .ok_or_else(|| PolicyError::invalid(origin, "spec.targets is empty"))?;
        #[cfg(feature = "cel")]
        let cel = match cel_source_of(target) {
            Some(source) => Some(super::cel::CelValidation::compile(origin, source)?),
            None => None,
        };
        #[cfg(feature = "cel")]
        let has_cel = cel.is_some();
        #[cfg(not(feature = "cel"))]
        let has_cel = false;
        let uses_inventory = rego_of(target).is_some_and(|(rego, libs)| {
            rego.contains("inventory") || libs.iter().any(|l| l.contains("inventory"))
        });
        let (program, package) = match rego_of(target) {
            Some((rego, libs)) => {
                let mut modules = vec![embedded(origin, text, rego)];
                modules.extend(libs.iter().map(|l| embedded(origin, text, l)));
                let (program, packages) = Program::compile(&modules, limits)?;
                (Some(program), packages.first().cloned().unwrap_or_default())
            }
            None if has_cel => (None, String::new()),
            None => {
                return Err(PolicyError::invalid(
                    origin,
                    "the target has no Rego source",
                ));
            }
        };
        let annotations = at(doc, &["metadata", "annotations"]);
        let annotation = |k: &str| {
            annotations
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let title = Some(annotation("metadata.gatekeeper.sh/title"))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| name.clone());
        Ok(ConstraintTemplate {
            name,
            kind,
            title,
            description: annotation("description"),
            origin: origin.to_string(),
            program,
            entry: format!("{package}.violation"),
            uses_inventory,
            #[cfg(feature = "cel")]
            cel,
        })
    }

    /// Sets `data.inventory` (see [`super::Inventory`]) for the following evaluations.
    pub fn set_inventory(&mut self, inventory: &Value) -> Result<()> {
        match self.program.as_mut() {
            Some(p) if self.uses_inventory => p.set_data(json!({ "inventory": inventory })),
            _ => Ok(()),
        }
    }

    /// [`ConstraintTemplate::set_inventory`] with the inventory already converted for the engine.
    pub(crate) fn set_inventory_native(&mut self, inventory: &regorus::Value) -> Result<()> {
        match self.program.as_mut() {
            Some(p) if self.uses_inventory => {
                let mut data = regorus::Value::new_object();
                if let Ok(map) = data.as_object_mut() {
                    map.insert(regorus::Value::from("inventory"), inventory.clone());
                }
                p.set_data_native(data)
            }
            _ => Ok(()),
        }
    }

    /// Whether the template's Rego reads `data.inventory`.
    pub fn uses_inventory(&self) -> bool {
        self.uses_inventory
    }

    /// Whether the template has Rego code.
    pub fn has_rego(&self) -> bool {
        self.program.is_some()
    }

    /// Whether the template has `K8sNativeValidation` (CEL) code that this build can run.
    pub fn has_cel(&self) -> bool {
        #[cfg(feature = "cel")]
        return self.cel.is_some();
        #[cfg(not(feature = "cel"))]
        false
    }

    /// Evaluates the template's CEL validations for one review (no results without CEL code).
    #[cfg(feature = "cel")]
    pub fn evaluate_cel(
        &self,
        review: &super::Review,
        parameters: &Value,
    ) -> Result<Vec<RawViolation>> {
        let Some(cel) = &self.cel else {
            return Ok(Vec::new());
        };
        Ok(cel
            .evaluate(&review.review, &review.object, parameters)?
            .into_iter()
            .map(|msg| RawViolation {
                msg,
                details: Value::Null,
            })
            .collect())
    }

    /// [`ConstraintTemplate::evaluate`] with the review and parameters already converted for the
    /// engine, so an audit converts each object once for all templates.
    pub(crate) fn evaluate_native(
        &mut self,
        review: &regorus::Value,
        parameters: &regorus::Value,
    ) -> Result<Vec<RawViolation>> {
        let Some(program) = self.program.as_mut() else {
            return Ok(Vec::new());
        };
        let mut input = regorus::Value::new_object();
        if let Ok(map) = input.as_object_mut() {
            map.insert(regorus::Value::from("review"), review.clone());
            map.insert(regorus::Value::from("parameters"), parameters.clone());
        }
        let result = program.eval_native(&self.entry, input)?;
        let empty = match &result {
            regorus::Value::Undefined | regorus::Value::Null => true,
            regorus::Value::Set(s) => s.is_empty(),
            regorus::Value::Array(a) => a.is_empty(),
            _ => false,
        };
        if empty {
            return Ok(Vec::new());
        }
        Ok(violations_of(program.to_json(&result)?))
    }

    /// Evaluates `violation` for one review with the constraint's parameters.
    pub fn evaluate(&mut self, review: &Value, parameters: &Value) -> Result<Vec<RawViolation>> {
        let Some(program) = self.program.as_mut() else {
            return Ok(Vec::new());
        };
        let input = json!({ "review": review, "parameters": parameters });
        Ok(violations_of(program.eval(&self.entry, input)?))
    }
}

/// The `{msg, details}` results of a `violation` set.
fn violations_of(result: Value) -> Vec<RawViolation> {
    {
        let items = match result {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        items
            .into_iter()
            .map(|v| RawViolation {
                msg: match v.get("msg") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                },
                details: v.get("details").cloned().unwrap_or(Value::Null),
            })
            .collect()
    }
}

/// The Rego module and libs of a target: `rego`/`libs`, or a `code[]` entry with engine `Rego`.
fn rego_of(target: &Value) -> Option<(&str, Vec<&str>)> {
    fn strings(v: Option<&Value>) -> Vec<&str> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
    if let Some(rego) = target.get("rego").and_then(Value::as_str) {
        return Some((rego, strings(target.get("libs"))));
    }
    let code = target.get("code").and_then(Value::as_array)?;
    let entry = code.iter().find(|c| str_at(c, &["engine"]) == "Rego")?;
    let rego = at(entry, &["source", "rego"]).and_then(Value::as_str)?;
    Some((rego, strings(at(entry, &["source", "libs"]))))
}

/// The `source` of a `code[]` entry with engine `K8sNativeValidation`.
#[cfg(feature = "cel")]
fn cel_source_of(target: &Value) -> Option<&Value> {
    target
        .get("code")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| str_at(c, &["engine"]) == "K8sNativeValidation")?
        .get("source")
}

/// A module embedded in a YAML file, with the file line its first line sits on.
fn embedded(origin: &str, file_text: &str, module: &str) -> RegoSource {
    RegoSource {
        origin: origin.to_string(),
        line_offset: module_offset(file_text, module),
        text: module.to_string(),
    }
}

/// Finds the first non-blank line of `module` in the file and returns the offset to add to module lines.
fn module_offset(file_text: &str, module: &str) -> u32 {
    let Some((index, first)) = module
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())
    else {
        return 0;
    };
    let needle = first.trim();
    file_text
        .lines()
        .position(|l| l.trim() == needle)
        .and_then(|pos| u32::try_from(pos.saturating_sub(index)).ok())
        .unwrap_or(0)
}
