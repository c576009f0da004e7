//! Terraform: configuration directories (HCL and JSON syntax, variables, locals, modules, count/for_each)
//! and plan JSON, loaded into normalised [`Resource`]s.

pub mod eval;
pub mod funcs;
pub mod module;
pub mod plan;
pub mod policy_doc;

use crate::resource::{Origin, Resource};
use crate::value::{MAX_COLLECTION, Val, format_number};
use eval::{Scope, iter_pairs};
use module::{ModuleDecls, RawResource};
use rampart_core::ScanWarning;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Module calls nested deeper than this are not followed.
const MAX_MODULE_DEPTH: usize = 16;
/// Resource instances produced per scan at most (bounds module fan-out).
const MAX_INSTANCES: usize = 200_000;
/// Meta-arguments that are not resource attributes.
const META: &[&str] = &[
    "count",
    "for_each",
    "provider",
    "depends_on",
    "lifecycle",
    "provisioner",
    "connection",
];

/// Variable inputs for the root modules.
#[derive(Debug, Clone, Default)]
pub struct VarInputs {
    /// `--var-file` files, applied after `terraform.tfvars` and `*.auto.tfvars`.
    pub var_files: Vec<PathBuf>,
    /// `--var k=v`, applied last.
    pub vars: Vec<(String, String)>,
}

/// What loading a tree produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub resources: Vec<Resource>,
    pub warnings: Vec<ScanWarning>,
    /// Module calls not followed (remote sources), as `file:line source`.
    pub notes: Vec<String>,
}

/// Loads Terraform configurations. `dirs` are every directory holding `.tf`/`.tf.json` files; directories
/// that another loaded directory calls as a local module are evaluated only through that call.
pub struct Loader<'a> {
    root: &'a Path,
    inputs: &'a VarInputs,
    decls: HashMap<PathBuf, Rc<ModuleDecls>>,
    out: Loaded,
    instances: usize,
    current_root: String,
}

impl<'a> Loader<'a> {
    pub fn new(root: &'a Path, inputs: &'a VarInputs) -> Loader<'a> {
        Loader {
            root,
            inputs,
            decls: HashMap::new(),
            out: Loaded::default(),
            instances: 0,
            current_root: String::new(),
        }
    }

    /// Parses every directory, then evaluates the root modules among them.
    pub fn load(mut self, dirs: &[PathBuf]) -> Loaded {
        let mut called: BTreeSet<PathBuf> = BTreeSet::new();
        for d in dirs {
            let decls = self.parse_dir(d);
            for call in &decls.modules {
                if let Some(src) = local_source(&call.body)
                    && let Ok(p) = d.join(src).canonicalize()
                {
                    called.insert(p);
                }
            }
        }
        for d in dirs {
            let canon = d.canonicalize().unwrap_or_else(|_| d.clone());
            if called.contains(&canon) {
                continue;
            }
            self.current_root = self.rel(d);
            let vars = self.root_vars(d);
            let mut stack = vec![canon];
            self.instantiate(d, vars, String::new(), &mut stack);
        }
        self.out
    }

    fn rel(&self, p: &Path) -> String {
        let r = p
            .strip_prefix(self.root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/");
        if r.is_empty() { ".".into() } else { r }
    }

    fn parse_dir(&mut self, dir: &Path) -> Rc<ModuleDecls> {
        let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        if let Some(d) = self.decls.get(&key) {
            return d.clone();
        }
        let mut decls = ModuleDecls::default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let is_hcl = name.ends_with(".tf");
            let is_json = name.ends_with(".tf.json");
            if !(is_hcl || is_json) || !f.is_file() {
                continue;
            }
            let rel = self.rel(&f);
            let Some(text) = crate::scan::read_text(&f, &rel, &mut self.out.warnings) else {
                continue;
            };
            if is_hcl {
                decls.add_hcl(&rel, &text, &mut self.out.warnings);
            } else {
                decls.add_json(&rel, &text, &mut self.out.warnings);
            }
        }
        let rc = Rc::new(decls);
        self.decls.insert(key, rc.clone());
        rc
    }

    /// Root variable values from `terraform.tfvars`, `*.auto.tfvars`, `--var-file` and `--var`.
    fn root_vars(&mut self, dir: &Path) -> BTreeMap<String, Val> {
        let mut files: Vec<PathBuf> = Vec::new();
        for name in ["terraform.tfvars", "terraform.tfvars.json"] {
            files.push(dir.join(name));
        }
        let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name().is_some_and(|n| {
                            let n = n.to_string_lossy();
                            n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        auto.sort();
        files.extend(auto);
        files.extend(self.inputs.var_files.iter().cloned());
        let mut vars = BTreeMap::new();
        for f in files.iter().filter(|f| f.is_file()) {
            let rel = self.rel(f);
            let Some(text) = crate::scan::read_text(f, &rel, &mut self.out.warnings) else {
                continue;
            };
            vars.extend(parse_tfvars(&rel, &text, &mut self.out.warnings));
        }
        for (k, v) in &self.inputs.vars {
            let val = v
                .parse::<hcl::Expression>()
                .ok()
                .filter(|e| {
                    !matches!(
                        e,
                        hcl::Expression::Variable(_) | hcl::Expression::Traversal(_)
                    )
                })
                .map(|e| const_eval(&e))
                .unwrap_or_else(|| Val::String(v.clone()));
            vars.insert(k.clone(), val);
        }
        vars
    }

    /// Evaluates one module instance; returns its outputs as a map.
    fn instantiate(
        &mut self,
        dir: &Path,
        inputs: BTreeMap<String, Val>,
        prefix: String,
        stack: &mut Vec<PathBuf>,
    ) -> Val {
        let decls = self.parse_dir(dir);
        let empty = BTreeMap::new();
        let mut vars = BTreeMap::new();
        {
            let s = Scope::new(&decls, &empty, &empty, &prefix, ".");
            for (name, default) in &decls.variables {
                let v = match (inputs.get(name), default) {
                    (Some(v), _) => v.clone(),
                    (None, Some(e)) => s.eval(e),
                    (None, None) => Val::unknown(),
                };
                vars.insert(name.clone(), v);
            }
        }
        let path_module = self.rel(dir);
        let modules = self.module_calls(&decls, dir, &vars, &prefix, &path_module, stack);
        let scope = Scope::new(&decls, &vars, &modules, &prefix, &path_module);
        for raw in decls.resources.values() {
            self.expand_resource(&scope, raw, &prefix);
        }
        self.policy_documents(&scope, &decls, &prefix);
        scope.reset_budget(eval::MAX_STEPS);
        let outputs = decls
            .outputs
            .iter()
            .map(|(k, e)| (k.clone(), scope.eval(e)))
            .collect();
        Val::Map(outputs)
    }

    fn module_calls(
        &mut self,
        decls: &ModuleDecls,
        dir: &Path,
        vars: &BTreeMap<String, Val>,
        prefix: &str,
        path_module: &str,
        stack: &mut Vec<PathBuf>,
    ) -> BTreeMap<String, Val> {
        let mut modules: BTreeMap<String, Val> = BTreeMap::new();
        let order = call_order(decls);
        for i in order {
            let call = &decls.modules[i];
            let scope = Scope::new(decls, vars, &modules, prefix, path_module);
            let Some(src) = local_source(&call.body) else {
                let src = call
                    .body
                    .attributes()
                    .find(|a| a.key.as_str() == "source")
                    .map(|a| scope.eval(&a.expr).to_plain_string().unwrap_or_default())
                    .unwrap_or_default();
                self.out.notes.push(format!(
                    "{}:{}: module \"{}\" from {src} not followed (remote source)",
                    call.span.file, call.span.start_line, call.name
                ));
                modules.insert(call.name.clone(), Val::unknown());
                continue;
            };
            let child = dir.join(&src);
            let canon = child.canonicalize().unwrap_or_else(|_| child.clone());
            if stack.len() >= MAX_MODULE_DEPTH || stack.contains(&canon) || !child.is_dir() {
                self.out.warnings.push(ScanWarning {
                    path: call.span.file.clone(),
                    line: Some(call.span.start_line),
                    message: format!(
                        "module \"{}\" ({src}) not followed: {}",
                        call.name,
                        if !child.is_dir() {
                            "directory not found"
                        } else {
                            "recursion or depth limit"
                        }
                    ),
                });
                modules.insert(call.name.clone(), Val::unknown());
                continue;
            }
            let meta = [
                "source",
                "version",
                "count",
                "for_each",
                "providers",
                "depends_on",
            ];
            let instances = instances(&scope, &call.body);
            let Val::Map(base) = scope.body(&call.body, &meta) else {
                continue;
            };
            drop(scope);
            let mut results: Vec<(Option<Val>, Val)> = Vec::new();
            for (key, inst) in instances {
                let s = Scope::new(decls, vars, &modules, prefix, path_module).instance(
                    key.clone().filter(|k| matches!(k, Val::Number(_))),
                    inst.map(|v| (key.clone().unwrap_or(Val::Null), v)),
                );
                let inputs = match &key {
                    None => base.clone(),
                    Some(_) => match s.body(&call.body, &meta) {
                        Val::Map(m) => m,
                        _ => base.clone(),
                    },
                };
                let child_prefix = format!("{prefix}module.{}{}.", call.name, suffix(key.as_ref()));
                stack.push(canon.clone());
                let out = self.instantiate(&child, inputs, child_prefix, stack);
                stack.pop();
                results.push((key, out));
            }
            let value = match results.first() {
                Some((None, _)) => results
                    .into_iter()
                    .next()
                    .map(|r| r.1)
                    .unwrap_or(Val::unknown()),
                Some((Some(Val::Number(_)), _)) => {
                    Val::List(results.into_iter().map(|r| r.1).collect())
                }
                Some((Some(_), _)) => Val::Map(
                    results
                        .into_iter()
                        .filter_map(|(k, v)| Some((k?.to_plain_string()?, v)))
                        .collect(),
                ),
                None => Val::List(Vec::new()),
            };
            modules.insert(call.name.clone(), value);
        }
        modules
    }

    /// `data "aws_iam_policy_document"` blocks become resources of that type with the rendered JSON in
    /// `policy`, so policy checks point at the document's own lines.
    fn policy_documents(&mut self, scope: &Scope<'_>, decls: &ModuleDecls, prefix: &str) {
        for ((t, n), span) in &decls.data_spans {
            let Some(body) = decls.data.get(&(t.clone(), n.clone())) else {
                continue;
            };
            if t != "aws_iam_policy_document"
                || body
                    .attributes()
                    .any(|a| a.key.as_str() == "count" || a.key.as_str() == "for_each")
            {
                continue;
            }
            let mut m = BTreeMap::new();
            scope.reset_budget(eval::MAX_STEPS);
            m.insert("policy".to_string(), policy_doc::render(scope, body));
            let mut unknown = BTreeSet::new();
            let mut references = BTreeMap::new();
            let attributes = Val::Map(m).to_json("", &mut unknown, &mut references);
            self.out.resources.push(Resource {
                resource_type: t.clone(),
                address: format!("{prefix}data.{t}.{n}"),
                name: n.clone(),
                provider: "aws".into(),
                attributes,
                unknown,
                references,
                source: span.clone(),
                root: self.current_root.clone(),
                module: prefix.trim_end_matches('.').to_string(),
                origin: Origin::Terraform,
            });
        }
    }

    fn expand_resource(&mut self, scope: &Scope<'_>, raw: &RawResource, prefix: &str) {
        scope.reset_budget(eval::MAX_STEPS);
        let insts = instances(scope, &raw.body);
        for (key, each) in insts {
            if self.instances >= MAX_INSTANCES {
                return;
            }
            self.instances += 1;
            let s = scope.instance(
                key.clone().filter(|k| matches!(k, Val::Number(_))),
                each.map(|v| (key.clone().unwrap_or(Val::Null), v)),
            );
            s.reset_budget(eval::MAX_STEPS);
            let attrs = s.body(&raw.body, META);
            let mut unknown = BTreeSet::new();
            let mut references = BTreeMap::new();
            let attributes = attrs.to_json("", &mut unknown, &mut references);
            let address = format!("{prefix}{}.{}{}", raw.rtype, raw.name, suffix(key.as_ref()));
            self.out.resources.push(Resource {
                provider: raw.rtype.split('_').next().unwrap_or_default().to_string(),
                resource_type: raw.rtype.clone(),
                address,
                name: raw.name.clone(),
                attributes,
                unknown,
                references,
                source: raw.span.clone(),
                root: self.current_root.clone(),
                module: prefix.trim_end_matches('.').to_string(),
                origin: Origin::Terraform,
            });
        }
    }
}

/// The instances of a block with `count`/`for_each`: (key, each.value). Unknown or oversized counts give one
/// instance with unknown index, so the resource is still checked.
fn instances(scope: &Scope<'_>, body: &hcl::Body) -> Vec<(Option<Val>, Option<Val>)> {
    let attr = |k: &str| {
        body.attributes()
            .find(|a| a.key.as_str() == k)
            .map(|a| scope.eval(&a.expr))
    };
    if let Some(c) = attr("count") {
        return match c.as_number() {
            Some(n) if n >= 0.0 && n <= MAX_COLLECTION as f64 => (0..n as usize)
                .map(|i| (Some(Val::Number(i as f64)), None))
                .collect(),
            _ => vec![(Some(Val::unknown()), None)],
        };
    }
    if let Some(fe) = attr("for_each") {
        return match &fe {
            Val::List(items) => items
                .iter()
                .take(MAX_COLLECTION)
                .map(|v| {
                    (
                        Some(Val::String(v.to_plain_string().unwrap_or_default())),
                        Some(v.clone()),
                    )
                })
                .collect(),
            _ => match iter_pairs(&fe) {
                Some(p) => p.into_iter().map(|(k, v)| (Some(k), Some(v))).collect(),
                None => vec![(Some(Val::unknown()), Some(Val::unknown()))],
            },
        };
    }
    vec![(None, None)]
}

/// `[0]`, `["key"]`, `[?]` (unknown) or nothing.
fn suffix(key: Option<&Val>) -> String {
    match key {
        None => String::new(),
        Some(Val::Number(n)) => format!("[{}]", format_number(*n)),
        Some(Val::String(s)) => format!("[{s:?}]"),
        Some(_) => "[?]".into(),
    }
}

/// The `source` of a module call when it is a local path.
fn local_source(body: &hcl::Body) -> Option<String> {
    let a = body.attributes().find(|a| a.key.as_str() == "source")?;
    let s = match &a.expr {
        hcl::Expression::String(s) => s.clone(),
        hcl::Expression::TemplateExpr(t) => match t.as_ref() {
            hcl::expr::TemplateExpr::QuotedString(s) => s.clone(),
            hcl::expr::TemplateExpr::Heredoc(h) => h.template.clone(),
        },
        _ => return None,
    };
    (s.starts_with("./") || s.starts_with("../")).then_some(s)
}

/// Module calls ordered so a call comes after the calls its inputs reference.
fn call_order(decls: &ModuleDecls) -> Vec<usize> {
    let names: Vec<&str> = decls.modules.iter().map(|m| m.name.as_str()).collect();
    let deps: Vec<Vec<usize>> = decls
        .modules
        .iter()
        .map(|m| {
            let text = hcl::to_string(&m.body).unwrap_or_default();
            names
                .iter()
                .enumerate()
                .filter(|(_, n)| {
                    text.contains(&format!("module.{n}.")) || text.contains(&format!("module.{n}["))
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut done = vec![false; names.len()];
    let mut order = Vec::new();
    for _ in 0..names.len() {
        for i in 0..names.len() {
            if !done[i] && deps[i].iter().all(|&d| done[d] || d == i) {
                done[i] = true;
                order.push(i);
            }
        }
    }
    order.extend((0..names.len()).filter(|&i| !done[i]));
    order
}

/// Evaluates an expression that may only use literals and functions.
fn const_eval(e: &hcl::Expression) -> Val {
    let decls = ModuleDecls::default();
    let empty = BTreeMap::new();
    Scope::new(&decls, &empty, &empty, "", ".").eval(e)
}

/// Parses a `.tfvars` (HCL attributes) or `.tfvars.json` file.
pub fn parse_tfvars(
    rel: &str,
    text: &str,
    warnings: &mut Vec<ScanWarning>,
) -> BTreeMap<String, Val> {
    if rel.ends_with(".json") {
        return match crate::jsonutil::parse_bounded(text) {
            Ok(serde_json::Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.clone(), Val::from_json(v)))
                .collect(),
            Ok(_) => BTreeMap::new(),
            Err((line, message)) => {
                warnings.push(ScanWarning {
                    path: rel.into(),
                    line: Some(line),
                    message,
                });
                BTreeMap::new()
            }
        };
    }
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => {
            let body: hcl::Body = body.into();
            body.attributes()
                .map(|a| (a.key.to_string(), const_eval(&a.expr)))
                .collect()
        }
        Err(e) => {
            warnings.push(ScanWarning {
                path: rel.into(),
                line: Some(e.location().line() as u32),
                message: format!("invalid tfvars: {}", e.message()),
            });
            BTreeMap::new()
        }
    }
}

/// Evaluates every resource of one parsed module with no inputs (fuzzing and tests).
pub fn evaluate_standalone(decls: &ModuleDecls) -> Vec<Resource> {
    let empty = BTreeMap::new();
    let vars: BTreeMap<String, Val> = BTreeMap::new();
    let scope = Scope::new(decls, &vars, &empty, "", ".");
    let inputs = VarInputs::default();
    let mut loader = Loader::new(Path::new("."), &inputs);
    for raw in decls.resources.values() {
        loader.expand_resource(&scope, raw, "");
    }
    loader.out.resources
}
