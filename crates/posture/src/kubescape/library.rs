//! A regolibrary checkout: dependency modules, default config inputs, controls and frameworks as data,
//! and rules compiled on demand.

use super::rule::{ControlInputs, Rule};
use crate::check::{CheckMeta, ControlRef, Violation};
use crate::docs::str_at;
use crate::error::{PolicyError, Result};
use crate::rego::{Limits, RegoSource};
use rampart_core::severity::Severity;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A control (`controls/C-XXXX-*.json`): an id, a title and the rules that implement it.
#[derive(Debug, Clone, PartialEq)]
pub struct KsControl {
    pub id: String,
    pub name: String,
    pub rules: Vec<String>,
    pub base_score: f64,
    pub description: String,
    pub remediation: String,
    /// MITRE ATT&CK for containers columns (`attributes.microsoftMitreColumns`).
    pub mitre_columns: Vec<String>,
}

/// A framework (`frameworks/*.json`): its name and the ids of its controls.
#[derive(Debug, Clone, PartialEq)]
pub struct KsFramework {
    pub name: String,
    pub description: String,
    pub control_ids: Vec<String>,
}

/// A loaded regolibrary folder.
#[derive(Debug, Clone)]
pub struct Library {
    pub root: PathBuf,
    pub dependencies: Vec<RegoSource>,
    pub default_inputs: ControlInputs,
    pub controls: Vec<KsControl>,
    pub frameworks: Vec<KsFramework>,
    pub limits: Limits,
}

fn json_file(path: &Path) -> Result<Value> {
    serde_json::from_str(&crate::docs::read_text(path)?).map_err(|e| PolicyError::Parse {
        path: path.display().to_string(),
        line: u32::try_from(e.line()).ok(),
        message: e.to_string(),
    })
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Library {
    /// Loads `root` (the regolibrary layout: `rules/`, `controls/`, `frameworks/`,
    /// `default-config-inputs.json`, `_dependencies/opa-utils/*.rego`). Missing parts are empty.
    pub fn load(root: &Path, limits: Limits) -> Result<Library> {
        let mut dependencies = Vec::new();
        let deps_dir = root.join("_dependencies/opa-utils");
        if deps_dir.is_dir() {
            for p in crate::docs::files_under(&deps_dir, &[".rego"])? {
                dependencies.push(RegoSource::file(
                    p.display().to_string(),
                    crate::docs::read_text(&p)?,
                ));
            }
        }
        let cfg = root.join("default-config-inputs.json");
        let default_inputs = if cfg.is_file() {
            ControlInputs::from_default_config(&json_file(&cfg)?)
        } else {
            ControlInputs::default()
        };
        let mut controls = Vec::new();
        let controls_dir = root.join("controls");
        if controls_dir.is_dir() {
            for p in std::fs::read_dir(&controls_dir)
                .map_err(|e| PolicyError::io(&controls_dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
            {
                controls.push(control_of(&json_file(&p)?));
            }
        }
        controls.sort_by(|a, b| a.id.cmp(&b.id));
        let mut frameworks = Vec::new();
        let fw_dir = root.join("frameworks");
        if fw_dir.is_dir() {
            for p in crate::docs::files_under(&fw_dir, &[".json"])? {
                frameworks.push(framework_of(&json_file(&p)?));
            }
        }
        Ok(Library {
            root: root.to_path_buf(),
            dependencies,
            default_inputs,
            controls,
            frameworks,
            limits,
        })
    }

    /// Folders of every rule under `rules/`, sorted.
    pub fn rule_dirs(&self) -> Result<Vec<PathBuf>> {
        let dir = self.root.join("rules");
        let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| PolicyError::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("raw.rego").is_file())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Compiles the rule in `dir` with the library's dependency modules.
    pub fn load_rule(&self, dir: &Path) -> Result<Rule> {
        Rule::load(dir, &self.dependencies, self.limits)
    }

    /// The framework called `name` (case-insensitive; `nsa` finds `NSA`).
    pub fn framework(&self, name: &str) -> Option<&KsFramework> {
        self.frameworks
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Check metadata for every control: `kubescape:C-XXXX`.
    pub fn check_metas(&self) -> Vec<CheckMeta> {
        self.controls
            .iter()
            .map(|c| {
                let mut m = CheckMeta::new(
                    format!("kubescape:{}", c.id),
                    c.name.clone(),
                    severity_of(c.base_score),
                );
                m.description = c.description.clone();
                m.remediation = c.remediation.clone();
                m.controls.push(ControlRef {
                    framework: "kubescape".into(),
                    id: c.id.clone(),
                });
                for f in &self.frameworks {
                    if f.control_ids.contains(&c.id) {
                        m.controls.push(ControlRef {
                            framework: f.name.clone(),
                            id: c.id.clone(),
                        });
                    }
                }
                m
            })
            .collect()
    }

    /// Runs the rules of the given controls over `objects`; each deny result becomes a violation of
    /// `kubescape:<control id>` on the first object it names.
    pub fn scan(&self, control_ids: &[String], objects: &[Value]) -> Result<Vec<Violation>> {
        let by_name: BTreeMap<String, PathBuf> = self
            .rule_dirs()?
            .into_iter()
            .filter_map(|d| Some((d.file_name()?.to_string_lossy().into_owned(), d)))
            .collect();
        let mut out = Vec::new();
        for c in self.controls.iter().filter(|c| control_ids.contains(&c.id)) {
            for rule_name in &c.rules {
                let Some(dir) = by_name.get(rule_name) else {
                    continue;
                };
                let mut rule = self.load_rule(dir)?;
                let selected: Vec<Value> = objects
                    .iter()
                    .filter(|o| {
                        rule.kinds.is_empty()
                            || rule.kinds.iter().any(|k| k == str_at(o, &["kind"]))
                    })
                    .cloned()
                    .collect();
                for r in rule.evaluate(&selected, &self.default_inputs)? {
                    out.push(Violation {
                        check: crate::check::CheckId::new(format!("kubescape:{}", c.id)),
                        subject: subject_of(&r),
                        message: str_at(&r, &["alertMessage"]).to_string(),
                        location: None,
                        severity: None,
                    });
                }
            }
        }
        Ok(out)
    }
}

fn subject_of(result: &Value) -> String {
    let obj = result
        .pointer("/alertObject/k8sApiObjects/0")
        .cloned()
        .unwrap_or(Value::Null);
    if obj.is_object() {
        return crate::check::Document::from_k8s(obj, None).address();
    }
    let ext = result
        .pointer("/alertObject/externalObjects")
        .unwrap_or(&Value::Null);
    let ns = str_at(ext, &["namespace"]);
    let (kind, name) = (str_at(ext, &["kind"]), str_at(ext, &["name"]));
    if ns.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{ns}/{name}")
    }
}

fn severity_of(score: f64) -> Severity {
    match score {
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        s if s > 0.0 => Severity::Low,
        _ => Severity::Unknown,
    }
}

fn control_of(doc: &Value) -> KsControl {
    KsControl {
        id: str_at(doc, &["controlID"]).to_string(),
        name: str_at(doc, &["name"]).to_string(),
        rules: strings(doc.get("rulesNames")),
        base_score: doc.get("baseScore").and_then(Value::as_f64).unwrap_or(0.0),
        description: str_at(doc, &["description"]).to_string(),
        remediation: str_at(doc, &["remediation"]).to_string(),
        mitre_columns: strings(doc.pointer("/attributes/microsoftMitreColumns")),
    }
}

fn framework_of(doc: &Value) -> KsFramework {
    let mut ids: Vec<String> = doc
        .get("activeControls")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|c| str_at(c, &["controlID"]).to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.extend(strings(doc.get("controlsNames")));
    if let Some(sub) = doc.get("subSections") {
        collect_section_ids(sub, 0, &mut ids);
    }
    let mut seen = std::collections::BTreeSet::new();
    ids.retain(|id| !id.is_empty() && seen.insert(id.clone()));
    KsFramework {
        name: str_at(doc, &["name"]).to_string(),
        description: str_at(doc, &["description"]).to_string(),
        control_ids: ids,
    }
}

fn collect_section_ids(sections: &Value, depth: usize, out: &mut Vec<String>) {
    let Some(map) = sections.as_object() else {
        return;
    };
    if depth > 16 {
        return;
    }
    for s in map.values() {
        out.extend(strings(s.get("controlsIDs")));
        if let Some(sub) = s.get("subSections") {
            collect_section_ids(sub, depth + 1, out);
        }
    }
}
