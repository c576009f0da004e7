//! A user policy directory (`--policy DIR`): Gatekeeper templates + constraints, kubescape-style rule
//! folders (`rule.metadata.json` + `raw.rego`), or both, detected by content.

use crate::check::{CheckId, CheckMeta, Document, Violation};
use crate::docs::str_at;
use crate::error::Result;
use crate::gatekeeper::PolicySet;
use crate::kubescape::{ControlInputs, Rule};
use crate::rego::{Limits, RegoSource};
use rampart_core::severity::Severity;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What a policy directory holds.
#[derive(Debug, Clone)]
pub struct UserPolicies {
    pub dir: PathBuf,
    /// Templates and constraints found in YAML/JSON files (outside rule folders).
    pub gatekeeper: PolicySet,
    /// kubescape-style rules, compiled with the `.rego` files under any `_dependencies/` folder.
    pub rules: Vec<Rule>,
    /// Config inputs for the rules (`default-config-inputs.json` at the top, when present).
    pub inputs: ControlInputs,
}

impl UserPolicies {
    /// Loads `dir`. Any policy that fails to compile is an error naming its file and line.
    pub fn load(dir: &Path, limits: Limits) -> Result<UserPolicies> {
        let rule_dirs: Vec<PathBuf> = crate::docs::files_under(dir, &["rule.metadata.json"])?
            .into_iter()
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .filter(|d| d.join("raw.rego").is_file())
            .collect();
        let mut deps = Vec::new();
        for p in crate::docs::files_under(dir, &[".rego"])? {
            if p.components().any(|c| c.as_os_str() == "_dependencies") {
                deps.push(RegoSource::file(
                    p.display().to_string(),
                    crate::docs::read_text(&p)?,
                ));
            }
        }
        let mut rules = Vec::new();
        for d in &rule_dirs {
            rules.push(Rule::load(d, &deps, limits)?);
        }
        let mut gatekeeper = PolicySet::new();
        for p in crate::docs::files_under(dir, &[".yaml", ".yml", ".json"])? {
            let inside_rule = rule_dirs.iter().any(|d| p.starts_with(d));
            let is_test_material = p
                .components()
                .any(|c| c.as_os_str() == "test" || c.as_os_str() == "samples");
            if !inside_rule && !is_test_material {
                gatekeeper.add_file(&p, limits)?;
            }
        }
        gatekeeper.validate()?;
        let cfg = dir.join("default-config-inputs.json");
        let inputs = if cfg.is_file() {
            let text = crate::docs::read_text(&cfg)?;
            serde_json::from_str::<Value>(&text)
                .map(|v| ControlInputs::from_default_config(&v))
                .unwrap_or_default()
        } else {
            ControlInputs::default()
        };
        Ok(UserPolicies {
            dir: dir.to_path_buf(),
            gatekeeper,
            rules,
            inputs,
        })
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.gatekeeper.constraints.is_empty() && self.rules.is_empty()
    }

    /// Metadata of every check the directory defines, to register in a [`crate::Catalogue`].
    pub fn check_metas(&self) -> Vec<CheckMeta> {
        let mut out = self.gatekeeper.check_metas();
        for r in &self.rules {
            let mut m = CheckMeta::new(rule_check_id(r).0, r.name.clone(), Severity::Medium);
            m.description = r.description.clone();
            m.remediation = r.remediation.clone();
            m.kinds = r.kinds.clone();
            out.push(m);
        }
        out
    }

    /// Runs every policy over `docs`: constraints as Gatekeeper's audit, rules over the documents of
    /// the kinds they match. Returns the violations and the ids of the checks that ran.
    pub fn scan(&mut self, docs: &[Document]) -> Result<(Vec<Violation>, Vec<CheckId>)> {
        let values: Vec<&Value> = docs.iter().map(|d| &d.value).collect();
        let locations: Vec<_> = docs.iter().map(|d| d.location.clone()).collect();
        self.scan_values(&values, &locations)
    }

    /// [`UserPolicies::scan`] over borrowed Kubernetes objects and their locations (kind, name and
    /// namespace come from each object): nothing is copied for the Gatekeeper audit, so a caller
    /// holding the objects pays no second copy of them.
    pub fn scan_values(
        &mut self,
        values: &[&Value],
        locations: &[Option<rampart_core::package::Location>],
    ) -> Result<(Vec<Violation>, Vec<CheckId>)> {
        let mut violations = self.gatekeeper.audit(values, locations)?;
        let mut evaluated: Vec<CheckId> = self
            .gatekeeper
            .check_metas()
            .into_iter()
            .map(|m| m.id)
            .collect();
        for rule in &mut self.rules {
            let id = rule_check_id(rule);
            let selected: Vec<Value> = values
                .iter()
                .filter(|v| {
                    rule.kinds.is_empty() || rule.kinds.iter().any(|k| k == str_at(v, &["kind"]))
                })
                .map(|v| (*v).clone())
                .collect();
            for r in rule.evaluate(&selected, &self.inputs)? {
                let obj = r
                    .pointer("/alertObject/k8sApiObjects/0")
                    .cloned()
                    .unwrap_or(Value::Null);
                let at = values.iter().position(|v| {
                    str_at(&obj, &["kind"]) == str_at(v, &["kind"])
                        && str_at(&obj, &["metadata", "name"]) == str_at(v, &["metadata", "name"])
                });
                let location = at.and_then(|i| locations.get(i).cloned().flatten());
                let subject = match at {
                    Some(i) => Document::from_k8s(values[i].clone(), None).address(),
                    None => Document::from_k8s(obj, None).address(),
                };
                violations.push(Violation {
                    check: id.clone(),
                    subject,
                    message: str_at(&r, &["alertMessage"]).to_string(),
                    location,
                    severity: None,
                });
            }
            evaluated.push(id);
        }
        Ok((violations, evaluated))
    }
}

fn rule_check_id(rule: &Rule) -> CheckId {
    CheckId::new(format!("rego:{}", rule.name))
}
