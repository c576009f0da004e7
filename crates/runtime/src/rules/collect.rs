//! Reads rules-file items (`rule`, `macro`, `list`, `required_engine_version`,
//! `required_plugin_versions`) into the loader's state, applying `append` and `override`, and
//! reporting structural problems with Falco's codes and messages.

use super::state::{ItemCtx, ListInfo, MacroInfo, State};
use crate::diag::{Code, Diagnostic, Location};
use crate::yaml::{Node, NodeKind, Pos};

/// The engine version rules files are checked against (`required_engine_version`).
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 58, 0);

/// Plugins whose fields are built in, with the version of the field set implemented.
pub const BUILTIN_PLUGINS: &[(&str, (u64, u64, u64))] = &[
    ("container", (0, 6, 0)),
    ("k8saudit", (0, 16, 0)),
    ("k8saudit-eks", (0, 16, 0)),
    ("json", (0, 7, 0)),
    ("cloudtrail", (0, 13, 0)),
];

/// Most items accepted in one file.
const MAX_ITEMS: usize = 100_000;

/// Diagnostics of one file being collected.
pub struct Sink<'a> {
    pub file: &'a str,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Sink<'_> {
    pub(super) fn loc(&self, item_type: &str, item_name: &str, pos: Pos) -> Location {
        Location {
            item_type: item_type.into(),
            item_name: item_name.into(),
            file: self.file.into(),
            line: pos.line,
            column: pos.column,
            offset: pos.offset,
        }
    }

    pub(super) fn error(
        &mut self,
        code: Code,
        message: impl Into<String>,
        locations: Vec<Location>,
    ) {
        self.errors.push(Diagnostic {
            code,
            message: message.into(),
            locations,
        });
    }

    pub(super) fn warn(
        &mut self,
        code: Code,
        message: impl Into<String>,
        locations: Vec<Location>,
    ) {
        self.warnings.push(Diagnostic {
            code,
            message: message.into(),
            locations,
        });
    }
}

pub(super) type Res<T> = Result<T, ()>;

/// Collects every document of a file. Stops at the first error, as Falco does.
pub fn collect_docs(docs: &[Node], state: &mut State, sink: &mut Sink<'_>) {
    let mut count = 0usize;
    for doc in docs {
        let items = match &doc.kind {
            NodeKind::Null => continue,
            NodeKind::Seq(items) => items,
            _ => {
                let l = sink.loc("rules content", "", doc.pos);
                sink.error(
                    Code::LOAD_ERR_YAML_VALIDATE,
                    "Rules content is not yaml array of objects",
                    vec![l],
                );
                return;
            }
        };
        for item in items {
            count += 1;
            if count > MAX_ITEMS {
                let l = sink.loc("rules content", "", item.pos);
                sink.error(
                    Code::LOAD_ERR_YAML_VALIDATE,
                    "Too many items in rules file",
                    vec![l],
                );
                return;
            }
            if collect_item(item, state, sink).is_err() {
                return;
            }
        }
    }
}

fn collect_item(item: &Node, state: &mut State, sink: &mut Sink<'_>) -> Res<()> {
    if item.is_null() {
        // an empty `-` entry: nothing to load
        return Ok(());
    }
    let NodeKind::Map(_) = &item.kind else {
        let l = sink.loc("rules content item", "", item.pos);
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Unexpected element type. Each element should be a yaml associative array.",
            vec![l],
        );
        return Err(());
    };
    if let Some(v) = item.get("required_engine_version") {
        return engine_version(v, item.pos, sink);
    }
    if let Some(v) = item.get("required_plugin_versions") {
        return plugin_versions(v, item.pos, sink);
    }
    if item.get("list").is_some() {
        return list(item, state, sink);
    }
    if item.get("macro").is_some() {
        return macro_item(item, state, sink);
    }
    if item.get("rule").is_some() {
        return super::rule_item::rule(item, state, sink);
    }
    let l = sink.loc("rules content item", "", item.pos);
    sink.warn(Code::LOAD_UNKNOWN_ITEM, "Unknown top level item", vec![l]);
    Ok(())
}

/// Parses `N` (= 0.N.0) or `a.b.c`.
pub fn parse_version(s: &str) -> Option<(u64, u64, u64)> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some((0, n, 0));
    }
    let mut parts = s.split('.');
    let a = parts.next()?.parse().ok()?;
    let b = parts.next()?.parse().ok()?;
    let c = parts
        .next()
        .map(|p| p.split(['-', '+']).next().unwrap_or(p).parse())
        .transpose()
        .ok()?
        .unwrap_or(0);
    if parts.next().is_some() {
        return None;
    }
    Some((a, b, c))
}

fn version_text(v: (u64, u64, u64)) -> String {
    format!("{}.{}.{}", v.0, v.1, v.2)
}

fn engine_version(v: &Node, pos: Pos, sink: &mut Sink<'_>) -> Res<()> {
    let l = sink.loc("required_engine_version", "", pos);
    let Some(req) = v.as_str().and_then(parse_version) else {
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Can't decode YAML scalar value",
            vec![l],
        );
        return Err(());
    };
    if req > ENGINE_VERSION {
        let text = v.as_str().unwrap_or("").trim();
        sink.error(
            Code::LOAD_ERR_VALIDATE,
            format!(
                "Rules require engine version {text}, but engine version is {}",
                version_text(ENGINE_VERSION)
            ),
            vec![l],
        );
        return Err(());
    }
    Ok(())
}

fn plugin_versions(v: &Node, pos: Pos, sink: &mut Sink<'_>) -> Res<()> {
    let l = sink.loc("required_plugin_versions", "", pos);
    let NodeKind::Seq(reqs) = &v.kind else {
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Value is not a sequence",
            vec![l],
        );
        return Err(());
    };
    for r in reqs {
        let name = r.get("name").and_then(Node::as_str);
        let version = r.get("version").and_then(Node::as_str);
        let (Some(name), Some(version)) = (name, version) else {
            sink.error(
                Code::LOAD_ERR_YAML_VALIDATE,
                "Item has no mapping for key 'name' or 'version'",
                vec![l.clone()],
            );
            return Err(());
        };
        let mut names = vec![(name, version)];
        if let Some(NodeKind::Seq(alts)) = r.get("alternatives").map(|a| &a.kind) {
            for a in alts {
                if let (Some(n), Some(v)) = (
                    a.get("name").and_then(Node::as_str),
                    a.get("version").and_then(Node::as_str),
                ) {
                    names.push((n, v));
                }
            }
        }
        let satisfied = names.iter().any(|(n, v)| {
            BUILTIN_PLUGINS.iter().any(|(bn, bv)| {
                bn == n && parse_version(v).is_some_and(|want| want.0 == bv.0 && want <= *bv)
            })
        });
        if !satisfied {
            sink.error(
                Code::LOAD_ERR_VALIDATE,
                format!("Plugin '{name}' version '{version}' required by this rules file is not available"),
                vec![l.clone()],
            );
            return Err(());
        }
    }
    Ok(())
}

/// The item's name under `key`; reports an empty or non-scalar name.
pub(super) fn item_name(item: &Node, key: &str, sink: &mut Sink<'_>) -> Res<String> {
    match item.get(key) {
        Some(n) if n.as_str().is_some_and(|s| !s.is_empty()) => {
            Ok(n.as_str().unwrap_or("").to_string())
        }
        _ => {
            let l = sink.loc(key, "", item.pos);
            sink.error(
                Code::LOAD_ERR_YAML_VALIDATE,
                format!("Mapping for key '{key}' is empty"),
                vec![l],
            );
            Err(())
        }
    }
}

pub(super) fn scalar_list(n: &Node) -> Option<Vec<String>> {
    match &n.kind {
        NodeKind::Seq(items) => items
            .iter()
            .map(|i| match &i.kind {
                NodeKind::Scalar { text, .. } => Some(text.clone()),
                NodeKind::Null => Some(String::new()),
                _ => None,
            })
            .collect(),
        NodeKind::Null => Some(Vec::new()),
        _ => None,
    }
}

pub(super) fn bool_key(
    item: &Node,
    key: &str,
    ctx: &ItemCtx,
    sink: &mut Sink<'_>,
) -> Res<Option<bool>> {
    match item.get(key) {
        None => Ok(None),
        Some(v) => match v.as_bool() {
            Some(b) => Ok(Some(b)),
            None => {
                let l = ctx.loc(sink.file);
                sink.error(
                    Code::LOAD_ERR_YAML_VALIDATE,
                    format!("Can't decode YAML scalar value for key '{key}'"),
                    vec![l],
                );
                Err(())
            }
        },
    }
}

/// Override entries: key → true for append, false for replace.
pub(super) fn overrides(
    item: &Node,
    ctx: &ItemCtx,
    allowed: &[&str],
    sink: &mut Sink<'_>,
) -> Res<Vec<(String, bool)>> {
    let Some(o) = item.get("override") else {
        return Ok(Vec::new());
    };
    let NodeKind::Map(entries) = &o.kind else {
        let l = ctx.loc(sink.file);
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Value for 'override' is not a map",
            vec![l],
        );
        return Err(());
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let key = k.as_str().unwrap_or("").to_string();
        let how = v.as_str().unwrap_or("");
        let append = match how {
            "append" => true,
            "replace" => false,
            _ => {
                let l = ctx.loc(sink.file);
                sink.error(
                    Code::LOAD_ERR_YAML_VALIDATE,
                    format!(
                        "Invalid override value for key '{key}': must be 'append' or 'replace'"
                    ),
                    vec![l],
                );
                return Err(());
            }
        };
        if !allowed.contains(&key.as_str())
            || (append
                && matches!(
                    key.as_str(),
                    "priority" | "enabled" | "source" | "warn_evttypes" | "skip-if-unknown-filter"
                ))
        {
            let l = ctx.loc(sink.file);
            sink.error(
                Code::LOAD_ERR_VALIDATE,
                format!(
                    "Key '{key}' cannot be {}",
                    if append {
                        "appended to, use 'replace:' instead"
                    } else {
                        "replaced"
                    }
                ),
                vec![l],
            );
            return Err(());
        }
        if item.get(&key).is_none() {
            let l = ctx.loc(sink.file);
            sink.error(
                Code::LOAD_ERR_YAML_VALIDATE,
                format!("An append override for '{key}' was specified but '{key}' is not defined"),
                vec![l],
            );
            return Err(());
        }
        out.push((key, append));
    }
    if item.get("append").and_then(Node::as_bool) == Some(true) && !out.is_empty() {
        let l = ctx.loc(sink.file);
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
            vec![l],
        );
        return Err(());
    }
    Ok(out)
}

fn list(item: &Node, state: &mut State, sink: &mut Sink<'_>) -> Res<()> {
    let name = item_name(item, "list", sink)?;
    let ctx = ItemCtx::new("list", &name, item.pos);
    let Some(items_node) = item.get("items") else {
        let l = ctx.loc(sink.file);
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Item has no mapping for key 'items'",
            vec![l],
        );
        return Err(());
    };
    let Some(items) = scalar_list(items_node) else {
        let l = ctx.loc(sink.file);
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Value is not a sequence of strings",
            vec![l],
        );
        return Err(());
    };
    let append = bool_key(item, "append", &ctx, sink)?.unwrap_or(false);
    let ov = overrides(item, &ctx, &["items"], sink)?;
    let append = append || ov.iter().any(|(_, a)| *a);
    let replace = ov.iter().any(|(_, a)| !*a);
    match state.lists.iter_mut().find(|l| l.name == name) {
        Some(existing) if append => existing.items.extend(items),
        Some(existing) => {
            existing.items = items;
            existing.ctx = ctx.with_file(sink.file);
        }
        None if append || replace => {
            let l = ctx.loc(sink.file);
            let key = if append && !replace && ov.is_empty() {
                "'append' key"
            } else {
                "'override' key"
            };
            sink.error(
                Code::LOAD_ERR_VALIDATE,
                format!("List has {key} but no list by that name already exists"),
                vec![l],
            );
            return Err(());
        }
        None => state.lists.push(ListInfo {
            name,
            items,
            ctx: ctx.with_file(sink.file),
        }),
    }
    Ok(())
}

fn macro_item(item: &Node, state: &mut State, sink: &mut Sink<'_>) -> Res<()> {
    let name = item_name(item, "macro", sink)?;
    let ctx = ItemCtx::new("macro", &name, item.pos);
    let Some(cond) = item.get("condition").and_then(Node::as_str) else {
        let l = ctx.loc(sink.file);
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Item has no mapping for key 'condition'",
            vec![l],
        );
        return Err(());
    };
    let cond = cond.to_string();
    let append = bool_key(item, "append", &ctx, sink)?.unwrap_or(false);
    let ov = overrides(item, &ctx, &["condition"], sink)?;
    let append = append || ov.iter().any(|(_, a)| *a);
    let replace = ov.iter().any(|(_, a)| !*a);
    match state.macros.iter_mut().find(|m| m.name == name) {
        Some(existing) if append => {
            existing.condition.push(' ');
            existing.condition.push_str(&cond);
            existing.ctx = ctx.with_file(sink.file);
        }
        Some(existing) => {
            existing.condition = cond;
            existing.ctx = ctx.with_file(sink.file);
        }
        None if append || replace => {
            let l = ctx.loc(sink.file);
            let key = if ov.is_empty() {
                "'append' key"
            } else {
                "'override' key"
            };
            sink.error(
                Code::LOAD_ERR_VALIDATE,
                format!("Macro has {key} but no macro by that name already exists"),
                vec![l],
            );
            return Err(());
        }
        None => state.macros.push(MacroInfo {
            name,
            condition: cond,
            ctx: ctx.with_file(sink.file),
        }),
    }
    Ok(())
}
