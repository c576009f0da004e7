//! Terraform plan JSON (`terraform show -json plan.out`): `planned_values` for attributes,
//! `resource_changes[].change.after_unknown` for unknown paths, `configuration` for references.

use crate::lines::LineIndex;
use crate::resource::{Origin, Resource, SourceSpan};
use crate::value::join_path;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// True when a JSON document looks like a Terraform plan.
pub fn is_plan(doc: &Json) -> bool {
    doc.get("planned_values").is_some() && doc.get("format_version").is_some()
}

/// Reads the resources of a plan. `rel` is the plan file relative to the scanned root.
pub fn load(rel: &str, text: &str, doc: &Json) -> Vec<Resource> {
    let mut unknowns: HashMap<&str, BTreeSet<String>> = HashMap::new();
    if let Some(changes) = doc.get("resource_changes").and_then(Json::as_array) {
        for c in changes {
            let (Some(addr), Some(au)) = (
                c.get("address").and_then(Json::as_str),
                c.get("change").and_then(|ch| ch.get("after_unknown")),
            ) else {
                continue;
            };
            let mut set = BTreeSet::new();
            true_leaves(au, "", &mut set, 0);
            unknowns.insert(addr, set);
        }
    }
    let mut refs: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    if let Some(cfg) = doc.get("configuration").and_then(|c| c.get("root_module")) {
        config_refs(cfg, "", &mut refs, 0);
    }
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    if let Some(root) = doc.get("planned_values").and_then(|p| p.get("root_module")) {
        planned(root, rel, text, &lines, &unknowns, &refs, &mut out, 0);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn planned(
    m: &Json,
    rel: &str,
    text: &str,
    lines: &LineIndex<'_>,
    unknowns: &HashMap<&str, BTreeSet<String>>,
    refs: &HashMap<String, BTreeMap<String, String>>,
    out: &mut Vec<Resource>,
    depth: u32,
) {
    if depth > 32 {
        return;
    }
    let module = m
        .get("address")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    for r in m
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("mode").and_then(Json::as_str) != Some("managed") {
            continue;
        }
        let s = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let address = s("address");
        let rtype = s("type");
        let unknown = unknowns.get(address.as_str()).cloned().unwrap_or_default();
        let cfg_key = format!(
            "{}{}.{}",
            strip_indexes(&module_prefix(&module)),
            rtype,
            s("name")
        );
        let mut references = BTreeMap::new();
        if let Some(cr) = refs.get(&cfg_key) {
            for (attr, token) in cr {
                let val = r.get("values").and_then(|v| v.get(attr));
                if val.is_none_or(Json::is_null) || unknown.contains(attr) {
                    references.insert(attr.clone(), format!("{}{token}", module_prefix(&module)));
                }
            }
        }
        let at = text.find(&format!("\"{address}\"")).unwrap_or(0);
        let line = lines.line(at);
        out.push(Resource {
            provider: rtype.split('_').next().unwrap_or_default().to_string(),
            resource_type: rtype,
            name: s("name"),
            attributes: r
                .get("values")
                .cloned()
                .unwrap_or(Json::Object(Default::default())),
            unknown,
            references,
            source: SourceSpan {
                file: rel.to_string(),
                start_line: line,
                end_line: line,
            },
            root: rel.to_string(),
            module: module.clone(),
            address,
            origin: Origin::TerraformPlan,
        });
    }
    for c in m
        .get("child_modules")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        planned(c, rel, text, lines, unknowns, refs, out, depth + 1);
    }
}

fn module_prefix(module: &str) -> String {
    if module.is_empty() {
        String::new()
    } else {
        format!("{module}.")
    }
}

/// `module.a[0].module.b["x"].` → `module.a.module.b.`
fn strip_indexes(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn true_leaves(v: &Json, path: &str, out: &mut BTreeSet<String>, depth: u32) {
    if depth > 64 {
        return;
    }
    match v {
        Json::Bool(true) if !path.is_empty() => {
            out.insert(path.to_string());
        }
        Json::Object(m) => {
            for (k, x) in m {
                true_leaves(x, &join_path(path, k), out, depth + 1);
            }
        }
        Json::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                true_leaves(x, &join_path(path, &i.to_string()), out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Collects, per configured resource (`module.x.aws_s3_bucket.y`), the reference of each top-level
/// attribute expression (the longest, e.g. `aws_s3_bucket.logs.id` over `aws_s3_bucket.logs`).
fn config_refs(
    m: &Json,
    prefix: &str,
    out: &mut HashMap<String, BTreeMap<String, String>>,
    depth: u32,
) {
    if depth > 32 {
        return;
    }
    for r in m
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let Some(addr) = r.get("address").and_then(Json::as_str) else {
            continue;
        };
        let mut map = BTreeMap::new();
        if let Some(Json::Object(exprs)) = r.get("expressions") {
            for (attr, e) in exprs {
                let best = e
                    .get("references")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Json::as_str)
                    .filter(|t| !t.starts_with("var.") && !t.starts_with("local."))
                    .max_by_key(|t| t.len());
                if let Some(b) = best {
                    map.insert(attr.clone(), b.to_string());
                }
            }
        }
        out.insert(format!("{prefix}{addr}"), map);
    }
    if let Some(Json::Object(calls)) = m.get("module_calls") {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                config_refs(child, &format!("{prefix}module.{name}."), out, depth + 1);
            }
        }
    }
}
