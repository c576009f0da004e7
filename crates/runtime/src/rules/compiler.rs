//! Compiles the collected state: parses macros, expands macros and lists into rule conditions,
//! compiles exceptions into the condition, resolves fields and outputs, computes event types, and
//! reports Falco's compile errors and warnings (unused macros/lists, no event type, unknown source,
//! unknown filter).

use super::collect::Sink;
use super::output::OutputFormat;
use super::state::{ExceptionInfo, ExceptionValue, Fields, RuleInfo, State};
use super::{CompiledRule, Ruleset};
use crate::diag::Code;
use crate::fields::Source;
use crate::filter::{Check, EvtTypes, Expr, FieldExpr, Literal, Op, Rhs, compile, parse};
use std::collections::{HashMap, HashSet};

/// Deepest macro nesting expanded.
const MAX_MACRO_DEPTH: usize = 64;
/// Largest expanded list.
const MAX_LIST_ITEMS: usize = 1_000_000;

struct Ctx<'s> {
    state: &'s State,
    /// Parsed macros (None when the macro failed to parse).
    macros: HashMap<&'s str, Option<Expr>>,
    lists: HashMap<&'s str, usize>,
    used_macros: HashSet<String>,
    used_lists: HashSet<String>,
}

/// Compiles `state`, reporting into `sink`. Returns the rules that compiled.
pub fn compile_state(state: &State, sink: &mut Sink<'_>) -> Ruleset {
    let mut cx = Ctx {
        state,
        macros: HashMap::new(),
        lists: state
            .lists
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.as_str(), i))
            .collect(),
        used_macros: HashSet::new(),
        used_lists: HashSet::new(),
    };
    // lists referencing lists
    for l in &state.lists {
        for item in &l.items {
            if item != &l.name && cx.lists.contains_key(item.as_str()) {
                cx.used_lists.insert(item.clone());
            }
        }
    }
    for m in &state.macros {
        match parse(&m.condition) {
            Ok(e) => {
                mark_refs(&e, &mut cx.used_macros, &mut cx.used_lists, &cx.lists);
                cx.macros.insert(&m.name, Some(e));
            }
            Err(e) => {
                sink.errors.push(diag(
                    Code::LOAD_ERR_COMPILE_CONDITION,
                    e.message,
                    m.ctx.loc(sink.file),
                ));
                cx.macros.insert(&m.name, None);
            }
        }
    }
    for m in &state.macros {
        if let Some(cycle) = find_loop(&cx, &m.name) {
            sink.errors.push(diag(
                Code::LOAD_ERR_VALIDATE,
                format!("reference loop in macro '{cycle}'"),
                m.ctx.loc(sink.file),
            ));
            return Ruleset::default();
        }
    }
    let mut rules = Vec::new();
    for r in &state.rules {
        if let Ok(e) = parse(&r.condition) {
            mark_refs(&e, &mut cx.used_macros, &mut cx.used_lists, &cx.lists);
        }
        for ex in &r.exceptions {
            for v in &ex.values {
                mark_exception_lists(v, &mut cx.used_lists, &cx.lists);
            }
        }
    }
    for r in &state.rules {
        if let Some(c) = compile_rule(&cx, r, sink) {
            rules.push(c);
        }
    }
    for m in &state.macros {
        if !cx.used_macros.contains(&m.name) {
            sink.warnings.push(diag(
                Code::LOAD_UNUSED_MACRO,
                "Macro not referred to by any other rule/macro".into(),
                m.ctx.loc(sink.file),
            ));
        }
    }
    for l in &state.lists {
        if !cx.used_lists.contains(&l.name) {
            sink.warnings.push(diag(
                Code::LOAD_UNUSED_LIST,
                "List not referred to by any other rule/macro".into(),
                l.ctx.loc(sink.file),
            ));
        }
    }
    Ruleset::new(rules)
}

fn diag(code: Code, message: String, loc: crate::diag::Location) -> crate::diag::Diagnostic {
    crate::diag::Diagnostic {
        code,
        message,
        locations: vec![loc],
    }
}

fn mark_refs(
    e: &Expr,
    macros: &mut HashSet<String>,
    lists: &mut HashSet<String>,
    known: &HashMap<&str, usize>,
) {
    e.visit_macros(&mut |m| {
        macros.insert(m.to_string());
    });
    e.visit_list_items(&mut |i| {
        if known.contains_key(i) {
            lists.insert(i.to_string());
        }
    });
}

fn mark_exception_lists(
    v: &ExceptionValue,
    lists: &mut HashSet<String>,
    known: &HashMap<&str, usize>,
) {
    match v {
        ExceptionValue::Scalar(s) => {
            if known.contains_key(s.as_str()) {
                lists.insert(s.clone());
            }
        }
        ExceptionValue::List(items) => {
            for s in items {
                if known.contains_key(s.as_str()) {
                    lists.insert(s.clone());
                }
            }
        }
        ExceptionValue::Tuple(t) => t.iter().for_each(|v| mark_exception_lists(v, lists, known)),
    }
}

/// Detects a macro reference loop reachable from `start`; returns the macro where it closes.
fn find_loop(cx: &Ctx<'_>, start: &str) -> Option<String> {
    fn dfs<'a>(
        cx: &'a Ctx<'_>,
        name: &'a str,
        stack: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
    ) -> Option<String> {
        if stack.contains(&name) {
            return Some(name.to_string());
        }
        if done.contains(name) || stack.len() > MAX_MACRO_DEPTH {
            return None;
        }
        let Some(Some(e)) = cx.macros.get(name) else {
            return None;
        };
        stack.push(name);
        let mut refs = Vec::new();
        e.visit_macros(&mut |m| refs.push(m.to_string()));
        for r in refs {
            if let Some((k, _)) = cx.macros.get_key_value(r.as_str())
                && let Some(hit) = dfs(cx, k, stack, done)
            {
                return Some(hit);
            }
        }
        stack.pop();
        done.insert(name);
        None
    }
    dfs(cx, start, &mut Vec::new(), &mut HashSet::new())
}

fn compile_rule(cx: &Ctx<'_>, r: &RuleInfo, sink: &mut Sink<'_>) -> Option<CompiledRule> {
    let rule_loc = r.ctx.loc(sink.file);
    let Some(source) = Source::from_name(&r.source) else {
        sink.warnings.push(diag(
            Code::LOAD_UNKNOWN_SOURCE,
            format!("Unknown source {}, skipping", r.source),
            rule_loc,
        ));
        return None;
    };
    let cond_err = |sink: &mut Sink<'_>, code: Code, msg: String| {
        sink.errors.push(diag(code, msg, r.cond_ctx.loc(sink.file)));
    };
    let parsed = match parse(&r.condition) {
        Ok(e) => e,
        Err(e) => {
            cond_err(sink, Code::LOAD_ERR_COMPILE_CONDITION, e.message);
            return None;
        }
    };
    let mut expr = match expand(cx, &parsed, 0) {
        Ok(e) => e,
        Err(m) => {
            cond_err(sink, Code::LOAD_ERR_COMPILE_CONDITION, m);
            return None;
        }
    };
    let clauses: Vec<Expr> = match r
        .exceptions
        .iter()
        .map(|ex| exception_expr(cx, ex, source))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(v) => v.into_iter().flatten().collect(),
        Err((ex, msg)) => {
            sink.errors.push(crate::diag::Diagnostic {
                code: Code::LOAD_ERR_VALIDATE,
                message: msg,
                locations: vec![r.ctx.loc(sink.file), ex.ctx.loc(sink.file)],
            });
            return None;
        }
    };
    if !clauses.is_empty() {
        let ors = if clauses.len() == 1 {
            clauses.into_iter().next()?
        } else {
            Expr::Or(clauses)
        };
        expr = Expr::And(vec![expr, Expr::Not(Box::new(ors))]);
    }
    let node = match compile(&expr, source) {
        Ok(n) => n,
        Err(e) if e.unknown_field && r.skip_if_unknown_filter => {
            sink.warnings.push(diag(
                Code::LOAD_UNKNOWN_FILTER,
                format!("{}, skipping rule", e.message),
                r.ctx.loc(sink.file),
            ));
            return None;
        }
        Err(e) => {
            cond_err(sink, Code::LOAD_ERR_COMPILE_CONDITION, e.message);
            return None;
        }
    };
    let output = match OutputFormat::compile(&r.output, source) {
        Ok(o) => o,
        Err(m) => {
            sink.errors
                .push(diag(Code::LOAD_ERR_COMPILE_OUTPUT, m, r.ctx.loc(sink.file)));
            return None;
        }
    };
    let evttypes = EvtTypes::of(&expr);
    if source == Source::Syscall && r.warn_evttypes && evttypes.is_unbounded() {
        sink.warnings.push(diag(
            Code::LOAD_NO_EVTTYPE,
            "Rule matches too many evt.type values. This has a significant performance penalty."
                .into(),
            r.ctx.loc(sink.file),
        ));
    }
    Some(CompiledRule {
        name: r.name.clone(),
        desc: r.desc.clone(),
        priority: r.priority,
        tags: r.tags.clone(),
        source,
        enabled: r.enabled,
        condition: node,
        output,
        evttypes,
    })
}

/// Expands macros (recursively) and list references inside `(…)` lists.
fn expand(cx: &Ctx<'_>, e: &Expr, depth: usize) -> Result<Expr, String> {
    if depth > MAX_MACRO_DEPTH {
        return Err("macro nesting too deep".into());
    }
    Ok(match e {
        Expr::And(v) => Expr::And(
            v.iter()
                .map(|x| expand(cx, x, depth))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => Expr::Or(
            v.iter()
                .map(|x| expand(cx, x, depth))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(x) => Expr::Not(Box::new(expand(cx, x, depth)?)),
        Expr::Macro(name) => match cx.macros.get(name.as_str()) {
            Some(Some(m)) => expand(cx, m, depth + 1)?,
            Some(None) => return Err(format!("macro '{name}' has an invalid condition")),
            None => return Err(format!("Undefined macro '{name}' used in filter.")),
        },
        Expr::Check(c) => Expr::Check(Check {
            field: c.field.clone(),
            op: c.op,
            rhs: match &c.rhs {
                Rhs::List(items) => {
                    let mut out = Vec::new();
                    for l in items {
                        expand_item(cx, l, &mut out, 0)?;
                    }
                    Rhs::List(out)
                }
                other => other.clone(),
            },
        }),
    })
}

fn expand_item(
    cx: &Ctx<'_>,
    l: &Literal,
    out: &mut Vec<Literal>,
    depth: usize,
) -> Result<(), String> {
    if out.len() > MAX_LIST_ITEMS || depth > MAX_MACRO_DEPTH {
        return Err("list expansion too large".into());
    }
    if !l.quoted
        && let Some(&i) = cx.lists.get(l.text.as_str())
    {
        for item in &cx.state.lists[i].items {
            let lit = list_literal(item);
            if lit.text == l.text {
                out.push(lit);
            } else {
                expand_item(cx, &lit, out, depth + 1)?;
            }
        }
        return Ok(());
    }
    out.push(l.clone());
    Ok(())
}

/// A list item as a filter value: quoted items (`'"sh -c x"'`) are unquoted.
fn list_literal(item: &str) -> Literal {
    let t = item.trim();
    if let Some(q @ (b'"' | b'\'')) = t.as_bytes().first().copied()
        && let Some((text, len)) = crate::filter::parse::unquote(t, q)
        && len == t.len()
    {
        return Literal { text, quoted: true };
    }
    Literal {
        text: t.to_string(),
        quoted: false,
    }
}

type ExErr<'a> = (&'a ExceptionInfo, String);

/// The clause an exception adds (`or` of its values), or None when it has no values.
fn exception_expr<'a>(
    cx: &Ctx<'_>,
    ex: &'a ExceptionInfo,
    source: Source,
) -> Result<Option<Expr>, ExErr<'a>> {
    if ex.values.is_empty() {
        return Ok(None);
    }
    let comps = ex.comps.clone().unwrap_or_default();
    let fields: Vec<String> = match &ex.fields {
        Some(Fields::Single(f)) => vec![f.clone()],
        Some(Fields::Tuple(fs)) => fs.clone(),
        None => {
            return Err((
                ex,
                "Rule exception must have fields property with a list of fields".into(),
            ));
        }
    };
    let mut field_exprs = Vec::new();
    for f in &fields {
        let fe =
            field_expr(f).ok_or_else(|| (ex, format!("'{f}' is not a supported filter field")))?;
        if crate::filter::compile_field(&fe, source).is_err() {
            return Err((ex, format!("'{f}' is not a supported filter field")));
        }
        field_exprs.push(fe);
    }
    let mut ops = Vec::new();
    for c in &comps {
        ops.push(
            op_of(c)
                .ok_or_else(|| (ex, format!("'{c}' is not a supported comparison operator")))?,
        );
    }
    let mut ors = Vec::new();
    match &ex.fields {
        Some(Fields::Single(_)) => {
            let op = ops[0];
            let mut items = Vec::new();
            for v in &ex.values {
                match v {
                    ExceptionValue::Scalar(s) => items.push(s.clone()),
                    ExceptionValue::List(l) => items.extend(l.iter().cloned()),
                    ExceptionValue::Tuple(t) => {
                        for x in t {
                            if let ExceptionValue::Scalar(s) = x {
                                items.push(s.clone());
                            }
                        }
                    }
                }
            }
            if op.takes_list() {
                ors.push(check(cx, &field_exprs[0], op, list_rhs(cx, &items)));
            } else {
                for i in items {
                    ors.push(check(
                        cx,
                        &field_exprs[0],
                        op,
                        Rhs::Value(Literal {
                            text: i,
                            quoted: true,
                        }),
                    ));
                }
            }
        }
        _ => {
            for v in &ex.values {
                let parts: Vec<ExceptionValue> = match v {
                    ExceptionValue::Tuple(t) => t.clone(),
                    other => vec![other.clone()],
                };
                let mut ands = Vec::new();
                for ((fe, op), part) in field_exprs.iter().zip(&ops).zip(&parts) {
                    let rhs = match (part, op.takes_list()) {
                        (ExceptionValue::List(items), _) => list_rhs(cx, items),
                        (ExceptionValue::Scalar(s), true) => list_rhs(cx, std::slice::from_ref(s)),
                        (ExceptionValue::Scalar(s), false) => Rhs::Value(Literal {
                            text: s.clone(),
                            quoted: true,
                        }),
                        (ExceptionValue::Tuple(_), _) => Rhs::List(Vec::new()),
                    };
                    ands.push(check(cx, fe, *op, rhs));
                }
                ors.push(if ands.len() == 1 {
                    ands.remove(0)
                } else {
                    Expr::And(ands)
                });
            }
        }
    }
    Ok(Some(if ors.len() == 1 {
        ors.remove(0)
    } else {
        Expr::Or(ors)
    }))
}

fn check(_cx: &Ctx<'_>, fe: &FieldExpr, op: Op, rhs: Rhs) -> Expr {
    Expr::Check(Check {
        field: fe.clone(),
        op,
        rhs,
    })
}

fn list_rhs(cx: &Ctx<'_>, items: &[String]) -> Rhs {
    let mut out = Vec::new();
    for i in items {
        let lit = list_literal(i);
        if expand_item(cx, &lit, &mut out, 0).is_err() {
            break;
        }
    }
    Rhs::List(out)
}

fn field_expr(f: &str) -> Option<FieldExpr> {
    match parse(&format!("{f} exists")).ok()? {
        Expr::Check(c) => Some(c.field),
        _ => None,
    }
}

fn op_of(c: &str) -> Option<Op> {
    use Op::*;
    Some(match c.trim() {
        "=" | "==" => Eq,
        "!=" => Ne,
        "<" => Lt,
        "<=" => Le,
        ">" => Gt,
        ">=" => Ge,
        "contains" => Contains,
        "icontains" => IContains,
        "bcontains" => BContains,
        "startswith" => StartsWith,
        "bstartswith" => BStartsWith,
        "endswith" => EndsWith,
        "glob" => Glob,
        "iglob" => IGlob,
        "regex" => Regex,
        "in" => In,
        "intersects" => Intersects,
        "pmatch" => Pmatch,
        _ => return None,
    })
}
