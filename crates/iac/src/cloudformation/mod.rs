//! CloudFormation templates (YAML with short-form tags, or JSON) loaded into normalised resources.

pub mod intrinsics;
pub mod mapping;
pub mod yaml;

use crate::resource::{Origin, Resource, SourceSpan};
use crate::value::Val;
use intrinsics::{Ctx, token};
use rampart_core::ScanWarning;
use std::collections::{BTreeMap, BTreeSet};
use yaml::{Kind, Node};

/// True when a JSON document is a CloudFormation template.
pub fn is_template_json(doc: &serde_json::Value) -> bool {
    doc.get("AWSTemplateFormatVersion").is_some()
        || doc
            .get("Resources")
            .and_then(|r| r.as_object())
            .is_some_and(|r| {
                r.values().any(|v| {
                    v.get("Type")
                        .and_then(|t| t.as_str())
                        .is_some_and(|t| t.starts_with("AWS::"))
                })
            })
}

/// Loads a YAML template. Returns resources and warnings.
pub fn load_yaml(rel: &str, text: &str) -> (Vec<Resource>, Vec<ScanWarning>) {
    match yaml::parse(text) {
        Ok(Some(doc)) if is_template(&doc) => (load(rel, &doc, None), Vec::new()),
        Ok(_) => (Vec::new(), Vec::new()),
        Err(e) => (
            Vec::new(),
            vec![ScanWarning {
                path: rel.into(),
                line: Some(e.line),
                message: format!("invalid YAML: {}", e.message),
            }],
        ),
    }
}

/// Loads a JSON template.
pub fn load_json(rel: &str, text: &str) -> (Vec<Resource>, Vec<ScanWarning>) {
    match crate::jsonutil::parse_bounded(text) {
        Ok(doc) => (load(rel, &yaml::from_json(&doc), Some(text)), Vec::new()),
        Err((line, message)) => (
            Vec::new(),
            vec![ScanWarning {
                path: rel.into(),
                line: Some(line),
                message,
            }],
        ),
    }
}

fn is_template(doc: &Node) -> bool {
    doc.get("AWSTemplateFormatVersion").is_some()
        || matches!(doc.get("Resources").map(|r| &r.kind), Some(Kind::Map(m)) if m.iter().any(|(_, r)| r.get("Type").and_then(Node::as_str).is_some_and(|t| t.starts_with("AWS::"))))
}

fn load(rel: &str, doc: &Node, json_text: Option<&str>) -> Vec<Resource> {
    let ctx = Ctx::new(rel, doc);
    let Some(Kind::Map(resources)) = doc.get("Resources").map(|r| &r.kind) else {
        return Vec::new();
    };
    let lines = json_text.map(crate::lines::LineIndex::new);
    let mut out = Vec::new();
    for (id, r) in resources {
        let Some(cfn_type) = r.get("Type").and_then(Node::as_str) else {
            continue;
        };
        if let Some(cond) = r.get("Condition").and_then(Node::as_str)
            && ctx.condition(cond) == Some(false)
        {
            continue;
        }
        let props = match r.get("Properties").map(|p| ctx.eval(p, 0)) {
            Some(Val::Map(m)) => m,
            _ => BTreeMap::new(),
        };
        let source = match &lines {
            Some(l) => l.find_key_span(rel, "Resources", id),
            None => SourceSpan {
                file: rel.to_string(),
                start_line: r.line.saturating_sub(1).max(1),
                end_line: r.end_line.max(r.line),
            },
        };
        let bucket_ref = Val::reference(token(rel, id, "id"));
        for m in mapping::map(cfn_type, &props, &bucket_ref) {
            let mut unknown = BTreeSet::new();
            let mut references = BTreeMap::new();
            let attributes = Val::Map(m.attrs).to_json("", &mut unknown, &mut references);
            out.push(Resource {
                resource_type: m.tf_type.to_string(),
                address: format!("{id}{}", m.suffix),
                name: id.clone(),
                provider: "aws".into(),
                attributes,
                unknown,
                references,
                source: source.clone(),
                root: rel.to_string(),
                module: String::new(),
                origin: Origin::CloudFormation,
            });
        }
    }
    out
}
