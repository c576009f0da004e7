//! Parsing one Terraform directory (`*.tf`, `*.tf.json`) into its declarations, with source lines.

use crate::lines::LineIndex;
use crate::resource::SourceSpan;
use hcl::expr::{Expression, TemplateExpr};
use hcl::{Attribute, Block, Body, Structure};
use hcl_edit::Span;
use rampart_core::ScanWarning;
use std::collections::{BTreeMap, HashMap};

/// Nesting deeper than this is rejected before parsing (the parser recurses).
const MAX_NESTING: usize = 100;

/// One `resource` block.
#[derive(Debug, Clone)]
pub struct RawResource {
    pub rtype: String,
    pub name: String,
    pub body: Body,
    pub count: Option<Expression>,
    pub for_each: Option<Expression>,
    pub span: SourceSpan,
}

/// One `module` block.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub body: Body,
    pub span: SourceSpan,
}

/// Everything declared in one module directory.
#[derive(Debug, Default)]
pub struct ModuleDecls {
    pub variables: BTreeMap<String, Option<Expression>>,
    pub locals: HashMap<String, Expression>,
    pub resources: BTreeMap<(String, String), RawResource>,
    pub data: HashMap<(String, String), Body>,
    /// Where each data block is declared.
    pub data_spans: BTreeMap<(String, String), SourceSpan>,
    pub modules: Vec<ModuleCall>,
    pub outputs: BTreeMap<String, Expression>,
}

impl ModuleDecls {
    /// Adds the declarations of one `.tf` file. Parse errors become a warning with the line.
    pub fn add_hcl(&mut self, rel: &str, text: &str, warnings: &mut Vec<ScanWarning>) {
        if let Some(line) = too_deep(text) {
            warnings.push(ScanWarning {
                path: rel.to_string(),
                line: Some(line),
                message: format!("nesting deeper than {MAX_NESTING} levels; file skipped"),
            });
            return;
        }
        let body = match hcl_edit::parser::parse_body(text) {
            Ok(b) => b,
            Err(e) => {
                warnings.push(ScanWarning {
                    path: rel.to_string(),
                    line: Some(e.location().line() as u32),
                    message: format!("invalid HCL: {}", e.message()),
                });
                return;
            }
        };
        let lines = LineIndex::new(text);
        for block in body.blocks() {
            let span = block
                .span()
                .map(|r| lines.span(rel, r.start, r.end.saturating_sub(1)))
                .unwrap_or_else(|| SourceSpan {
                    file: rel.to_string(),
                    start_line: 1,
                    end_line: 1,
                });
            let block: Block = block.clone().into();
            self.add_block(block, span);
        }
    }

    fn add_block(&mut self, block: Block, span: SourceSpan) {
        let labels: Vec<String> = block
            .labels
            .iter()
            .map(|l| l.as_str().to_string())
            .collect();
        match (block.identifier.as_str(), labels.as_slice()) {
            ("resource", [t, n]) => {
                let attr = |k: &str| {
                    block
                        .body
                        .attributes()
                        .find(|a| a.key.as_str() == k)
                        .map(|a| a.expr.clone())
                };
                let (count, for_each) = (attr("count"), attr("for_each"));
                self.resources.insert(
                    (t.clone(), n.clone()),
                    RawResource {
                        rtype: t.clone(),
                        name: n.clone(),
                        body: block.body,
                        count,
                        for_each,
                        span,
                    },
                );
            }
            ("data", [t, n]) => {
                self.data_spans.insert((t.clone(), n.clone()), span);
                self.data.insert((t.clone(), n.clone()), block.body);
            }
            ("variable", [n]) => {
                let default = block
                    .body
                    .attributes()
                    .find(|a| a.key.as_str() == "default")
                    .map(|a| a.expr.clone());
                self.variables.insert(n.clone(), default);
            }
            ("locals", []) => {
                for a in block.body.attributes() {
                    self.locals.insert(a.key.to_string(), a.expr.clone());
                }
            }
            ("module", [n]) => self.modules.push(ModuleCall {
                name: n.clone(),
                body: block.body,
                span,
            }),
            ("output", [n]) => {
                if let Some(a) = block.body.attributes().find(|a| a.key.as_str() == "value") {
                    self.outputs.insert(n.clone(), a.expr.clone());
                }
            }
            _ => {}
        }
    }

    /// Adds the declarations of one `.tf.json` file (Terraform's JSON syntax).
    pub fn add_json(&mut self, rel: &str, text: &str, warnings: &mut Vec<ScanWarning>) {
        let doc: serde_json::Value = match crate::jsonutil::parse_bounded(text) {
            Ok(d) => d,
            Err((line, msg)) => {
                warnings.push(ScanWarning {
                    path: rel.into(),
                    line: Some(line),
                    message: msg,
                });
                return;
            }
        };
        let lines = LineIndex::new(text);
        let Some(top) = doc.as_object() else { return };
        for (kind, v) in top {
            match kind.as_str() {
                "resource" | "data" => {
                    for (t, named) in objects(v) {
                        for (n, body) in objects(named) {
                            let span = lines.find_key_span(rel, t, n);
                            let block = Block::builder(kind.as_str())
                                .add_label(t.as_str())
                                .add_label(n.as_str())
                                .add_structures(json_body(body))
                                .build();
                            self.add_block(block, span);
                        }
                    }
                }
                "variable" | "module" | "output" => {
                    for (n, body) in objects(v) {
                        let span = lines.find_key_span(rel, kind, n);
                        let block = Block::builder(kind.as_str())
                            .add_label(n.as_str())
                            .add_structures(json_body(body))
                            .build();
                        self.add_block(block, span);
                    }
                }
                "locals" => {
                    for (_, body) in objects(&serde_json::json!({"l": v})) {
                        let block = Block::builder("locals")
                            .add_structures(json_body(body))
                            .build();
                        self.add_block(block, SourceSpan::default());
                    }
                }
                _ => {}
            }
        }
    }
}

fn objects(v: &serde_json::Value) -> Vec<(&String, &serde_json::Value)> {
    match v {
        serde_json::Value::Object(m) => m.iter().collect(),
        serde_json::Value::Array(a) => a.iter().flat_map(objects).collect(),
        _ => Vec::new(),
    }
}

fn json_body(v: &serde_json::Value) -> Vec<Structure> {
    let Some(m) = v.as_object() else {
        return Vec::new();
    };
    m.iter()
        .map(|(k, v)| Structure::Attribute(Attribute::new(k.as_str(), json_expr(v, 0))))
        .collect()
}

/// Terraform JSON syntax: strings are templates, everything else literal.
fn json_expr(v: &serde_json::Value, depth: u32) -> Expression {
    if depth > 64 {
        return Expression::Null;
    }
    match v {
        serde_json::Value::String(s) if s.contains("${") => {
            Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(s.clone())))
        }
        serde_json::Value::Array(a) => {
            Expression::Array(a.iter().map(|x| json_expr(x, depth + 1)).collect())
        }
        serde_json::Value::Object(o) => Expression::Object(
            o.iter()
                .map(|(k, x)| {
                    (
                        hcl::expr::ObjectKey::from(k.as_str()),
                        json_expr(x, depth + 1),
                    )
                })
                .collect(),
        ),
        other => hcl::to_expression(other).unwrap_or(Expression::Null),
    }
}

/// The line where bracket nesting first exceeds the limit, if it does.
fn too_deep(text: &str) -> Option<u32> {
    let (mut depth, mut line) = (0usize, 1u32);
    for b in text.bytes() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(line);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'\n' => line += 1,
            _ => {}
        }
    }
    None
}
