//! The `rule` item: definition, legacy `append: true`, `override`, enable toggles, and exceptions.

use super::collect::{Res, Sink, bool_key, item_name, overrides, scalar_list};
use super::priority::Priority;
use super::state::{ExceptionInfo, ExceptionValue, Fields, ItemCtx, RuleInfo, State};
use crate::diag::Code;
use crate::yaml::{Node, NodeKind};

fn str_key(item: &Node, key: &str) -> Option<String> {
    item.get(key).and_then(Node::as_str).map(str::to_string)
}

/// A `rule` item's keys, decoded and checked.
struct Decoded {
    name: String,
    ctx: ItemCtx,
    legacy_append: bool,
    overrides: Vec<(String, bool)>,
    exceptions: Option<Vec<ExceptionInfo>>,
    tags: Option<Vec<String>>,
    priority: Option<Priority>,
    enabled: Option<bool>,
    warn_evttypes: Option<bool>,
    skip_unknown: Option<bool>,
    condition: Option<String>,
}

const OVERRIDABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "exceptions",
    "enabled",
    "source",
    "warn_evttypes",
    "skip-if-unknown-filter",
];

fn decode(item: &Node, sink: &mut Sink<'_>) -> Res<Decoded> {
    let name = item_name(item, "rule", sink)?;
    let ctx = ItemCtx::new("rule", &name, item.pos);
    let legacy_append = bool_key(item, "append", &ctx, sink)?.unwrap_or(false);
    let overrides = overrides(item, &ctx, OVERRIDABLE, sink)?;
    let exceptions = match item.get("exceptions") {
        Some(n) => Some(exceptions(n, &ctx, sink)?),
        None => None,
    };
    let tags = match item.get("tags") {
        Some(t) => Some(scalar_list(t).ok_or_else(|| {
            let l = ctx.loc(sink.file);
            sink.error(
                Code::LOAD_ERR_YAML_VALIDATE,
                "Value for 'tags' is not a sequence",
                vec![l],
            );
        })?),
        None => None,
    };
    let priority = match item.get("priority") {
        Some(p) => Some(Priority::parse(p.as_str().unwrap_or("")).ok_or_else(|| {
            let l = ctx.loc(sink.file);
            sink.error(Code::LOAD_ERR_VALIDATE, "Invalid priority", vec![l]);
        })?),
        None => None,
    };
    Ok(Decoded {
        enabled: bool_key(item, "enabled", &ctx, sink)?,
        warn_evttypes: bool_key(item, "warn_evttypes", &ctx, sink)?,
        skip_unknown: bool_key(item, "skip-if-unknown-filter", &ctx, sink)?,
        condition: str_key(item, "condition"),
        name,
        ctx,
        legacy_append,
        overrides,
        exceptions,
        tags,
        priority,
    })
}

fn fail(sink: &mut Sink<'_>, ctx: &ItemCtx, code: Code, msg: &str) -> Res<()> {
    let l = ctx.loc(sink.file);
    sink.error(code, msg, vec![l]);
    Err(())
}

pub(super) fn rule(item: &Node, state: &mut State, sink: &mut Sink<'_>) -> Res<()> {
    let d = decode(item, sink)?;
    let exists = state.rules.iter().position(|r| r.name == d.name);
    if d.legacy_append {
        return legacy_append(d, exists, state, sink);
    }
    if !d.overrides.is_empty() {
        return apply_overrides(d, item, exists, state, sink);
    }
    // `- rule: X` with only `enabled`: toggles an existing rule
    if d.condition.is_none() && d.enabled.is_some() {
        return match exists {
            Some(i) => {
                state.rules[i].enabled = d.enabled.unwrap_or(true);
                Ok(())
            }
            None => fail(
                sink,
                &d.ctx,
                Code::LOAD_ERR_VALIDATE,
                "Rule has 'enabled' key but no rule by that name already exists",
            ),
        };
    }
    define(d, item, exists, state, sink)
}

fn legacy_append(
    d: Decoded,
    exists: Option<usize>,
    state: &mut State,
    sink: &mut Sink<'_>,
) -> Res<()> {
    if d.condition.is_none() && d.exceptions.is_none() {
        return fail(
            sink,
            &d.ctx,
            Code::LOAD_ERR_VALIDATE,
            "Appended rule must have exceptions or condition property",
        );
    }
    let Some(i) = exists else {
        return fail(
            sink,
            &d.ctx,
            Code::LOAD_ERR_VALIDATE,
            "Rule has 'append' key but no rule by that name already exists",
        );
    };
    let r = &mut state.rules[i];
    if let Some(c) = d.condition {
        r.condition.push(' ');
        r.condition.push_str(&c);
        r.cond_ctx = d.ctx.clone().with_file(sink.file);
    }
    if let Some(ex) = d.exceptions {
        merge_exceptions(r, ex, &d.ctx, sink)?;
    }
    Ok(())
}

fn append_or_replace(target: &mut String, value: Option<String>, append: bool) {
    let value = value.unwrap_or_default();
    if append {
        target.push(' ');
        target.push_str(&value);
    } else {
        *target = value;
    }
}

fn apply_overrides(
    d: Decoded,
    item: &Node,
    exists: Option<usize>,
    state: &mut State,
    sink: &mut Sink<'_>,
) -> Res<()> {
    let Some(i) = exists else {
        return fail(
            sink,
            &d.ctx,
            Code::LOAD_ERR_VALIDATE,
            "Rule has 'override' key but no rule by that name already exists",
        );
    };
    let r = &mut state.rules[i];
    for (key, append) in &d.overrides {
        let append = *append;
        match key.as_str() {
            "condition" => {
                append_or_replace(&mut r.condition, d.condition.clone(), append);
                r.cond_ctx = d.ctx.clone().with_file(sink.file);
            }
            "output" => append_or_replace(&mut r.output, str_key(item, "output"), append),
            "desc" => append_or_replace(&mut r.desc, str_key(item, "desc"), append),
            "tags" if append => r.tags.extend(d.tags.clone().unwrap_or_default()),
            "tags" => r.tags = d.tags.clone().unwrap_or_default(),
            "exceptions" if append => {
                merge_exceptions(r, d.exceptions.clone().unwrap_or_default(), &d.ctx, sink)?
            }
            "exceptions" => r.exceptions = d.exceptions.clone().unwrap_or_default(),
            "priority" => r.priority = d.priority.unwrap_or(r.priority),
            "enabled" => r.enabled = d.enabled.unwrap_or(r.enabled),
            "source" => r.source = str_key(item, "source").unwrap_or_default(),
            "warn_evttypes" => r.warn_evttypes = d.warn_evttypes.unwrap_or(true),
            "skip-if-unknown-filter" => r.skip_if_unknown_filter = d.skip_unknown.unwrap_or(false),
            _ => {}
        }
    }
    Ok(())
}

fn define(
    d: Decoded,
    item: &Node,
    exists: Option<usize>,
    state: &mut State,
    sink: &mut Sink<'_>,
) -> Res<()> {
    for key in ["condition", "output", "desc", "priority"] {
        if item.get(key).is_none() {
            return fail(
                sink,
                &d.ctx,
                Code::LOAD_ERR_YAML_VALIDATE,
                &format!("Item has no mapping for key '{key}'"),
            );
        }
    }
    let mut exs = d.exceptions.unwrap_or_default();
    for ex in &mut exs {
        if ex.fields.is_none() {
            let l = d.ctx.loc(sink.file);
            let el = ex.ctx.loc(sink.file);
            sink.error(
                Code::LOAD_ERR_YAML_VALIDATE,
                "Item has no mapping for key 'fields'",
                vec![l, el],
            );
            return Err(());
        }
        validate_exception(ex, &d.ctx, sink)?;
    }
    let info = RuleInfo {
        name: d.name,
        desc: str_key(item, "desc").unwrap_or_default(),
        condition: d.condition.unwrap_or_default(),
        output: str_key(item, "output").unwrap_or_default(),
        priority: d.priority.unwrap_or(Priority::Debug),
        tags: d.tags.unwrap_or_default(),
        source: str_key(item, "source").unwrap_or_else(|| "syscall".into()),
        enabled: d.enabled.unwrap_or(true),
        exceptions: exs,
        warn_evttypes: d.warn_evttypes.unwrap_or(true),
        skip_if_unknown_filter: d.skip_unknown.unwrap_or(false),
        cond_ctx: d.ctx.clone().with_file(sink.file),
        ctx: d.ctx.with_file(sink.file),
    };
    match exists {
        Some(i) => state.rules[i] = info,
        None => state.rules.push(info),
    }
    Ok(())
}

fn exceptions(n: &Node, rule_ctx: &ItemCtx, sink: &mut Sink<'_>) -> Res<Vec<ExceptionInfo>> {
    let NodeKind::Seq(items) = &n.kind else {
        let l = rule_ctx.loc(sink.file);
        sink.error(
            Code::LOAD_ERR_YAML_VALIDATE,
            "Value for 'exceptions' is not a sequence",
            vec![l],
        );
        return Err(());
    };
    let mut out = Vec::new();
    for ex in items {
        let Some(name) = ex
            .get("name")
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
        else {
            let l = rule_ctx.loc(sink.file);
            let el = sink.loc("exception", "", ex.pos);
            sink.error(
                Code::LOAD_ERR_YAML_VALIDATE,
                "Item has no mapping for key 'name'",
                vec![l, el],
            );
            return Err(());
        };
        let ctx = ItemCtx::new("exception", name, ex.pos).with_file(sink.file);
        let fields = match ex.get("fields") {
            None => None,
            Some(f) => match &f.kind {
                NodeKind::Scalar { text, .. } => Some(Fields::Single(text.clone())),
                NodeKind::Seq(_) => Some(Fields::Tuple(scalar_list(f).unwrap_or_default())),
                _ => None,
            },
        };
        let comps = ex.get("comps").map(|c| match &c.kind {
            NodeKind::Scalar { text, .. } => vec![text.clone()],
            _ => scalar_list(c).unwrap_or_default(),
        });
        let values = match ex.get("values") {
            Some(v) => exception_values(v),
            None => Vec::new(),
        };
        out.push(ExceptionInfo {
            name: name.to_string(),
            fields,
            comps,
            values,
            ctx,
        });
    }
    Ok(out)
}

fn exception_values(v: &Node) -> Vec<ExceptionValue> {
    let NodeKind::Seq(items) = &v.kind else {
        return Vec::new();
    };
    items
        .iter()
        .map(|i| match &i.kind {
            NodeKind::Seq(parts) => ExceptionValue::Tuple(
                parts
                    .iter()
                    .map(|p| match &p.kind {
                        NodeKind::Seq(_) => {
                            ExceptionValue::List(scalar_list(p).unwrap_or_default())
                        }
                        _ => ExceptionValue::Scalar(p.as_str().unwrap_or("").to_string()),
                    })
                    .collect(),
            ),
            _ => ExceptionValue::Scalar(i.as_str().unwrap_or("").to_string()),
        })
        .collect()
}

fn validate_exception(ex: &mut ExceptionInfo, rule_ctx: &ItemCtx, sink: &mut Sink<'_>) -> Res<()> {
    let Some(fields) = &ex.fields else {
        return Ok(());
    };
    let fail = |sink: &mut Sink<'_>, msg: &str| {
        let l = rule_ctx.loc(sink.file);
        let el = ex.ctx.loc(sink.file);
        sink.error(Code::LOAD_ERR_VALIDATE, msg, vec![l, el]);
    };
    match fields {
        Fields::Tuple(fs) => {
            let comps = ex.comps.get_or_insert_with(|| vec!["=".into(); fs.len()]);
            if comps.len() != fs.len() {
                fail(sink, "Fields and comps lists must have equal length");
                return Err(());
            }
            for v in &ex.values {
                let len = match v {
                    ExceptionValue::Tuple(t) => t.len(),
                    _ => 1,
                };
                if len != fs.len() {
                    fail(sink, "Fields and values lists must have equal length");
                    return Err(());
                }
            }
        }
        Fields::Single(_) => {
            let comps = ex.comps.get_or_insert_with(|| vec!["in".into()]);
            if comps.len() != 1 {
                fail(sink, "Fields and comps lists must have equal length");
                return Err(());
            }
        }
    }
    Ok(())
}

fn merge_exceptions(
    r: &mut RuleInfo,
    new: Vec<ExceptionInfo>,
    ctx: &ItemCtx,
    sink: &mut Sink<'_>,
) -> Res<()> {
    for ex in new {
        if let Some(existing) = r.exceptions.iter_mut().find(|e| e.name == ex.name) {
            existing.values.extend(ex.values);
            continue;
        }
        if ex.fields.is_none() {
            let l = ctx.loc(sink.file);
            let el = ex.ctx.loc(sink.file);
            sink.error(
                Code::LOAD_ERR_VALIDATE,
                "Rule exception must have fields property with a list of fields",
                vec![l, el],
            );
            return Err(());
        }
        let mut ex = ex;
        validate_exception(&mut ex, ctx, sink)?;
        r.exceptions.push(ex);
    }
    Ok(())
}
