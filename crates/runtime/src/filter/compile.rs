//! Compiles an expanded condition (macros and lists already substituted) into an evaluable tree:
//! fields resolved against a source's registry, constants parsed and pre-lowercased, globs and
//! regexes built once. Evaluation borrows field values from the event and does not allocate for
//! plain fields.

use super::ast::{Check, Expr, FieldExpr, Literal, Op, Rhs, Transformer};
use super::glob::glob_match;
use crate::fields::{Arg, ArgKind, Event, FieldRef, FieldType, Source, Val};
use base64::Engine as _;
use std::borrow::Cow;
use std::net::IpAddr;

/// A compile error. `unknown_field` is set when the cause is a field the source does not have (rules
/// with `skip-if-unknown-filter: true` are then skipped instead of failing).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    pub message: String,
    pub unknown_field: bool,
}

fn err(message: String) -> CompileError {
    CompileError {
        message,
        unknown_field: false,
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Check(Box<CheckNode>),
    /// A decided operand (see [`Node::specialize`]).
    Const(bool),
    /// A sub-condition several rules of one event-type bucket contain, evaluated at most once per
    /// event: its outcome is kept in slot `.0` of the memo given to [`Node::eval_memo`] (see
    /// [`super::share`]).
    Shared(u16, Box<Node>),
}

/// A compiled field with its transformers (applied innermost first).
#[derive(Debug, Clone)]
pub struct CField {
    pub field: FieldRef,
    pub transforms: Box<[Transformer]>,
    pub ty: FieldType,
}

/// One compiled comparison.
#[derive(Debug, Clone)]
pub struct CheckNode {
    pub field: CField,
    pub op: Op,
    pub matcher: Matcher,
}

/// How a check compares the extracted value.
#[derive(Debug, Clone)]
pub enum Matcher {
    Exists,
    Str {
        text: Box<str>,
        lower: Box<str>,
        /// Prebuilt substring searcher for `contains`.
        finder: Option<Box<memchr::memmem::Finder<'static>>>,
    },
    Bytes(Box<[u8]>),
    Regex(regex::Regex),
    Set(Box<[Box<str>]>),
    /// Larger `in`/`intersects` sets.
    HashSet(crate::hash::FastSet<Box<str>>),
    Num(i64),
    NumSet(Box<[i64]>),
    Bool(bool),
    Net(Box<[Cidr]>),
    Field(CField),
}

/// An IP network (an address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8` or a bare address.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    /// True when `ip` is inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Resolves a field expression against `source`.
pub fn compile_field(fe: &FieldExpr, source: Source) -> Result<CField, CompileError> {
    let mut transforms = Vec::new();
    let mut cur = fe;
    while let FieldExpr::Transform(t, inner) = cur {
        transforms.push(*t);
        cur = inner;
    }
    transforms.reverse();
    let (name, arg) = cur.base();
    let info = source.field(name).ok_or_else(|| CompileError {
        message: format!("filter_check called with nonexistent field {name}"),
        unknown_field: true,
    })?;
    match (info.arg, arg) {
        (ArgKind::Required, None) => {
            return Err(err(format!("filter field '{name}' requires an argument")));
        }
        (ArgKind::None, Some(_)) => {
            return Err(err(format!(
                "filter field '{name}' does not accept an argument"
            )));
        }
        _ => {}
    }
    let display = match arg {
        Some(a) => format!("{name}[{a}]"),
        None => name.to_string(),
    };
    let mut ty = info.ty;
    for t in &transforms {
        ty = if *t == Transformer::Len {
            FieldType::Int
        } else {
            FieldType::Str
        };
    }
    Ok(CField {
        field: FieldRef {
            id: info.id,
            ty: info.ty,
            arg: Arg::parse(arg),
            display: display.into(),
            any: source.is_any_field(name, arg.is_some()),
        },
        transforms: transforms.into(),
        ty,
    })
}

/// Compiles an expanded expression. Macro references left in it are errors. Nested `and`/`or`
/// chains (from macro expansion) are flattened and double negations removed.
pub fn compile(expr: &Expr, source: Source) -> Result<Node, CompileError> {
    Ok(match expr {
        Expr::And(items) => {
            let mut out = Vec::with_capacity(items.len());
            for e in items {
                match compile(e, source)? {
                    Node::And(inner) => out.extend(inner.into_vec()),
                    n => out.push(n),
                }
            }
            order(&mut out, true);
            if out.len() == 1 {
                out.remove(0)
            } else {
                Node::And(out.into())
            }
        }
        Expr::Or(items) => {
            let mut out = Vec::with_capacity(items.len());
            for e in items {
                match compile(e, source)? {
                    Node::Or(inner) => out.extend(inner.into_vec()),
                    n => out.push(n),
                }
            }
            order(&mut out, false);
            if out.len() == 1 {
                out.remove(0)
            } else {
                Node::Or(out.into())
            }
        }
        Expr::Not(e) => match compile(e, source)? {
            Node::Not(inner) => *inner,
            n => Node::Not(Box::new(n)),
        },
        Expr::Macro(name) => {
            return Err(err(format!("Undefined macro '{name}' used in filter.")));
        }
        Expr::Check(c) => Node::Check(Box::new(compile_check(c, source)?)),
    })
}

fn compile_check(c: &Check, source: Source) -> Result<CheckNode, CompileError> {
    let field = compile_field(&c.field, source)?;
    let matcher = match (&c.rhs, c.op) {
        (_, Op::Exists) => Matcher::Exists,
        (Rhs::Field(f), _) => Matcher::Field(compile_field(f, source)?),
        (Rhs::List(items), op) => list_matcher(&field, op, items)?,
        (Rhs::Value(v), op) => value_matcher(&field, op, v)?,
        (Rhs::None, op) => return Err(err(format!("operator '{}' needs a value", op.as_str()))),
    };
    Ok(CheckNode {
        field,
        op: c.op,
        matcher,
    })
}

fn parse_num(s: &str, field: &str) -> Result<i64, CompileError> {
    let t = s.trim();
    let parsed = if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else {
        t.parse::<i64>().ok()
    };
    parsed.ok_or_else(|| err(format!("'{s}' is not a valid number for field {field}")))
}

fn list_matcher(f: &CField, op: Op, items: &[Literal]) -> Result<Matcher, CompileError> {
    match f.ty {
        FieldType::Int if op != Op::Pmatch => Ok(Matcher::NumSet(
            items
                .iter()
                .map(|l| parse_num(&l.text, &f.field.display))
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        )),
        FieldType::Ip | FieldType::Net if op != Op::Pmatch => Ok(Matcher::Net(
            items
                .iter()
                .map(|l| {
                    Cidr::parse(&l.text).ok_or_else(|| {
                        err(format!("'{}' is not a valid IP address or network", l.text))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        )),
        _ => {
            let items: Vec<Box<str>> = items.iter().map(|l| l.text.as_str().into()).collect();
            if op != Op::Pmatch && items.len() > 4 {
                return Ok(Matcher::HashSet(items.into_iter().collect()));
            }
            Ok(Matcher::Set(items.into()))
        }
    }
}

fn value_matcher(f: &CField, op: Op, v: &Literal) -> Result<Matcher, CompileError> {
    let t = v.text.as_str();
    match op {
        Op::Regex => {
            let re = regex::RegexBuilder::new(t)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| err(format!("invalid regex '{t}': {e}")))?;
            return Ok(Matcher::Regex(re));
        }
        Op::BContains | Op::BStartsWith => return Ok(Matcher::Bytes(parse_hex(t)?.into())),
        _ => {}
    }
    let string_op = matches!(
        op,
        Op::Contains | Op::IContains | Op::StartsWith | Op::EndsWith | Op::Glob | Op::IGlob
    );
    match f.ty {
        FieldType::Int if !string_op => Ok(Matcher::Num(parse_num(t, &f.field.display)?)),
        FieldType::Bool if !string_op => match t {
            "true" => Ok(Matcher::Bool(true)),
            "false" => Ok(Matcher::Bool(false)),
            _ => Err(err(format!("'{t}' is not a valid boolean"))),
        },
        FieldType::Ip | FieldType::Net if matches!(op, Op::Eq | Op::Ne) => Ok(Matcher::Net(
            Box::new([Cidr::parse(t)
                .ok_or_else(|| err(format!("'{t}' is not a valid IP address or network")))?]),
        )),
        _ => Ok(Matcher::Str {
            text: t.into(),
            lower: t.to_lowercase().into(),
            finder: (op == Op::Contains)
                .then(|| Box::new(memchr::memmem::Finder::new(t.as_bytes()).into_owned())),
        }),
    }
}

fn parse_hex(t: &str) -> Result<Vec<u8>, CompileError> {
    let t = t.trim();
    if !t.len().is_multiple_of(2) {
        return Err(err(format!("'{t}' is not a valid hex string")));
    }
    (0..t.len())
        .step_by(2)
        .map(|i| {
            t.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| err(format!("'{t}' is not a valid hex string")))
        })
        .collect()
}

/// Orders the operands of an `and` (`conjunction`) or `or` so that evaluation stops as early and as
/// cheaply as it can: evaluation has no side effects, so any order gives the same result. An `and`
/// puts first the operands most likely to be false per unit of cost (a rule's selective test, such
/// as `fd.name startswith /etc`, before its exclusions, `not proc.name in (...)`, which hold for
/// almost every event); an `or` the ones most likely to be true. The sort is stable, so ties keep
/// the rule author's order.
fn order(items: &mut [Node], conjunction: bool) {
    let rank = |n: &Node| {
        let Estimate { cost, p_true } = n.estimate();
        let decisive = if conjunction { 1.0 - p_true } else { p_true };
        cost / decisive.max(1e-6)
    };
    items.sort_by(|a, b| rank(a).total_cmp(&rank(b)));
}

/// The expected cost of evaluating a condition and the chance it holds, from the shape of its
/// checks alone (no event statistics): used to order operands, see [`order`].
#[derive(Debug, Clone, Copy)]
struct Estimate {
    cost: f64,
    p_true: f64,
}

impl Node {
    fn estimate(&self) -> Estimate {
        match self {
            Node::Const(b) => Estimate {
                cost: 0.0,
                p_true: if *b { 1.0 } else { 0.0 },
            },
            Node::Not(n) => {
                let e = n.estimate();
                Estimate {
                    cost: e.cost,
                    p_true: 1.0 - e.p_true,
                }
            }
            Node::And(items) => {
                // operands are already in evaluation order: each runs only if the previous held
                let (mut cost, mut reach) = (0.0, 1.0);
                for e in items.iter().map(Node::estimate) {
                    cost += reach * e.cost;
                    reach *= e.p_true;
                }
                Estimate {
                    cost,
                    p_true: reach,
                }
            }
            Node::Or(items) => {
                let (mut cost, mut reach) = (0.0, 1.0);
                for e in items.iter().map(Node::estimate) {
                    cost += reach * e.cost;
                    reach *= 1.0 - e.p_true;
                }
                Estimate {
                    cost,
                    p_true: 1.0 - reach,
                }
            }
            Node::Check(c) => Estimate {
                cost: c.cost(),
                p_true: c.p_true(),
            },
            Node::Shared(_, n) => n.estimate(),
        }
    }
    /// Evaluates the condition against one event.
    pub fn eval<E: Event + ?Sized>(&self, ev: &E) -> bool {
        self.eval_memo(ev, &mut [])
    }

    /// Evaluates the condition against one event, keeping the outcome of each [`Node::Shared`]
    /// sub-condition in `memo` (0: not evaluated yet for this event, 1: false, 2: true), so the
    /// other rules evaluating the same event reuse it. A slot past the end of `memo` is evaluated
    /// every time. Start every event with a zeroed memo.
    pub fn eval_memo<E: Event + ?Sized>(&self, ev: &E, memo: &mut [u8]) -> bool {
        match self {
            Node::And(items) => items.iter().all(|n| n.eval_memo(ev, memo)),
            Node::Or(items) => items.iter().any(|n| n.eval_memo(ev, memo)),
            Node::Not(n) => !n.eval_memo(ev, memo),
            Node::Check(c) => c.eval(ev),
            Node::Const(b) => *b,
            Node::Shared(slot, n) => match memo.get(usize::from(*slot)).copied() {
                Some(1) => false,
                Some(2) => true,
                Some(_) => {
                    let hit = n.eval_memo(ev, memo);
                    memo[usize::from(*slot)] = 1 + u8::from(hit);
                    hit
                }
                None => n.eval_memo(ev, memo),
            },
        }
    }

    /// Calls `f` with the name of every field the condition reads (`proc.env`, `proc.aname[2]`),
    /// right-hand `val(...)` fields included.
    pub fn visit_fields(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Node::And(items) | Node::Or(items) => items.iter().for_each(|n| n.visit_fields(f)),
            Node::Not(n) | Node::Shared(_, n) => n.visit_fields(f),
            Node::Const(_) => {}
            Node::Check(c) => {
                f(&c.field.field.display);
                if let Matcher::Field(other) = &c.matcher {
                    f(&other.field.display);
                }
            }
        }
    }

    /// A canonical text of the condition: equal for conditions that evaluate alike because they
    /// are built alike (same checks, same order), used to find sub-conditions rules share.
    pub fn fingerprint(&self, out: &mut String) {
        use std::fmt::Write as _;
        let list = |out: &mut String, tag: &str, items: &[Node]| {
            out.push_str(tag);
            out.push('(');
            for n in items {
                n.fingerprint(out);
                out.push(',');
            }
            out.push(')');
        };
        match self {
            Node::And(items) => list(out, "&", items),
            Node::Or(items) => list(out, "|", items),
            Node::Not(n) => list(out, "!", std::slice::from_ref(n)),
            Node::Shared(_, n) => n.fingerprint(out),
            Node::Const(b) => out.push_str(if *b { "T" } else { "F" }),
            Node::Check(c) => {
                c.field.fingerprint(out);
                let _ = write!(out, " {} ", c.op.as_str());
                match &c.matcher {
                    Matcher::Exists => out.push('?'),
                    Matcher::Str { text, .. } => {
                        let _ = write!(out, "{text:?}");
                    }
                    Matcher::Bytes(b) => {
                        let _ = write!(out, "{b:?}");
                    }
                    Matcher::Regex(re) => {
                        let _ = write!(out, "/{:?}/", re.as_str());
                    }
                    Matcher::Set(items) => {
                        let _ = write!(out, "{items:?}");
                    }
                    Matcher::HashSet(set) => {
                        let mut items: Vec<&str> = set.iter().map(|s| &**s).collect();
                        items.sort_unstable();
                        let _ = write!(out, "#{items:?}");
                    }
                    Matcher::Num(n) => {
                        let _ = write!(out, "{n}");
                    }
                    Matcher::NumSet(ns) => {
                        let _ = write!(out, "{ns:?}");
                    }
                    Matcher::Bool(b) => {
                        let _ = write!(out, "{b}");
                    }
                    Matcher::Net(nets) => {
                        let _ = write!(out, "{nets:?}");
                    }
                    Matcher::Field(f) => {
                        out.push('@');
                        f.fingerprint(out);
                    }
                }
            }
        }
    }

    /// The condition as it stands for syscall events of type `evt_type`: `evt.type` checks and
    /// `evt.dir` checks (every event here is an exit event, `<`) are decided, and `and`/`or`/`not`
    /// over decided operands are simplified. Evaluating the result on an event of that type gives
    /// what [`Node::eval`] gives on the whole condition.
    pub fn specialize(&self, evt_type: &str) -> Node {
        match self {
            Node::Check(c) => match c.decided(evt_type) {
                Some(b) => Node::Const(b),
                None => Node::Check(c.clone()),
            },
            Node::Const(b) => Node::Const(*b),
            Node::Shared(_, n) => n.specialize(evt_type),
            Node::Not(n) => match n.specialize(evt_type) {
                Node::Const(b) => Node::Const(!b),
                other => Node::Not(Box::new(other)),
            },
            Node::And(items) => {
                let mut kept = Vec::with_capacity(items.len());
                for n in items.iter() {
                    match n.specialize(evt_type) {
                        Node::Const(false) => return Node::Const(false),
                        Node::Const(true) => {}
                        Node::And(inner) => kept.extend(inner.into_vec()),
                        other => kept.push(other),
                    }
                }
                order(&mut kept, true);
                match kept.len() {
                    0 => Node::Const(true),
                    1 => kept.pop().unwrap_or(Node::Const(true)),
                    _ => Node::And(kept.into()),
                }
            }
            Node::Or(items) => {
                let mut kept = Vec::with_capacity(items.len());
                for n in items.iter() {
                    match n.specialize(evt_type) {
                        Node::Const(true) => return Node::Const(true),
                        Node::Const(false) => {}
                        Node::Or(inner) => kept.extend(inner.into_vec()),
                        other => kept.push(other),
                    }
                }
                order(&mut kept, false);
                match kept.len() {
                    0 => Node::Const(false),
                    1 => kept.pop().unwrap_or(Node::Const(false)),
                    _ => Node::Or(kept.into()),
                }
            }
        }
    }
}

impl CField {
    fn fingerprint(&self, out: &mut String) {
        out.push_str(&self.field.display);
        for t in self.transforms.iter() {
            out.push_str(&format!(":{t:?}"));
        }
    }

    /// Extracts the field's value and applies its transformers.
    pub fn value<'a, E: Event + ?Sized>(&self, ev: &'a E) -> Val<'a> {
        let mut v = ev.extract(&self.field);
        for t in self.transforms.iter() {
            v = transform(*t, v);
        }
        v
    }
}

fn transform(t: Transformer, v: Val<'_>) -> Val<'_> {
    match v {
        Val::None => Val::None,
        Val::List(items) if t == Transformer::Len => Val::Int(items.len() as i64),
        Val::List(items) => Val::List(items.into_iter().map(|i| transform(t, i)).collect()),
        other => {
            let s = match &other {
                Val::Str(s) => s.clone(),
                Val::Int(n) => Cow::Owned(n.to_string()),
                Val::Bool(b) => Cow::Owned(b.to_string()),
                _ => return Val::None,
            };
            match t {
                Transformer::ToLower => Val::Str(Cow::Owned(s.to_lowercase())),
                Transformer::ToUpper => Val::Str(Cow::Owned(s.to_uppercase())),
                Transformer::Len => Val::Int(s.len() as i64),
                Transformer::Basename => {
                    Val::Str(Cow::Owned(s.rsplit('/').next().unwrap_or("").to_string()))
                }
                Transformer::B64 => base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_or(Val::None, |b| {
                        Val::Str(Cow::Owned(String::from_utf8_lossy(&b).into_owned()))
                    }),
            }
        }
    }
}

impl CheckNode {
    /// Relative cost of one evaluation (a plain field compared with a constant is 1).
    fn cost(&self) -> f64 {
        let field = &self.field.field;
        if field.any {
            return 4.0;
        }
        let extract = if !self.field.transforms.is_empty() {
            4.0
        } else if field.display.starts_with("evt.arg") || field.display.starts_with("evt.rawarg") {
            // looked up by name among the event's arguments
            2.0
        } else {
            1.0
        };
        let compare = match &self.matcher {
            Matcher::Regex(_) => 8.0,
            Matcher::Str { .. } if matches!(self.op, Op::Glob | Op::IGlob | Op::IContains) => 3.0,
            Matcher::Str {
                finder: Some(_), ..
            }
            | Matcher::HashSet(_)
            | Matcher::Bytes(_) => 1.5,
            Matcher::Set(items) if self.op == Op::Pmatch => 1.0 + items.len() as f64 / 8.0,
            Matcher::Set(items) => 1.0 + items.len() as f64 / 16.0,
            Matcher::Field(_) => 2.0,
            _ => 0.0,
        };
        extract + compare
    }

    /// A guess at how often the check holds: equality, membership and string matches against
    /// constants select few events; `!=`, `exists` and ordering comparisons most of them.
    fn p_true(&self) -> f64 {
        match (&self.matcher, self.op) {
            (Matcher::Exists, _) => 0.9,
            (_, Op::Ne) => 0.9,
            (Matcher::Bool(_), _) => 0.5,
            (_, Op::Lt | Op::Le | Op::Gt | Op::Ge) => 0.7,
            _ => 0.1,
        }
    }

    /// The outcome of this check on any syscall event of type `evt_type`, when the check looks only
    /// at `evt.type` or `evt.dir` (plain, no transformer).
    fn decided(&self, evt_type: &str) -> Option<bool> {
        if !self.field.transforms.is_empty() || matches!(self.matcher, Matcher::Field(_)) {
            return None;
        }
        let value = match &*self.field.field.display {
            "evt.type" => evt_type,
            "evt.dir" => "<",
            _ => return None,
        };
        Some(match self.matcher {
            Matcher::Exists => true,
            _ => self.scalar(&Val::Str(Cow::Borrowed(value))),
        })
    }

    fn eval<E: Event + ?Sized>(&self, ev: &E) -> bool {
        if self.field.field.any
            && self.field.transforms.is_empty()
            && !matches!(self.matcher, Matcher::Field(_) | Matcher::Exists)
            && let Some(hit) = ev.any_value(&self.field.field, &mut |v| self.scalar(v))
        {
            return hit;
        }
        let v = self.field.value(ev);
        if let Matcher::Field(other) = &self.matcher {
            let rhs = other.value(ev);
            return compare_values(self.op, &v, &rhs);
        }
        match v {
            Val::None => false,
            _ if matches!(self.matcher, Matcher::Exists) => v.exists(),
            Val::List(items) => match self.op {
                Op::In => !items.is_empty() && items.iter().all(|i| self.scalar(i)),
                Op::Ne => items.iter().all(|i| self.scalar(i)),
                _ => items.iter().any(|i| self.scalar(i)),
            },
            ref scalar => self.scalar(scalar),
        }
    }

    fn scalar(&self, v: &Val<'_>) -> bool {
        match v {
            Val::None => false,
            Val::List(items) => items.iter().any(|i| self.scalar(i)),
            Val::Str(s) => self.on_str(s),
            Val::Int(n) => self.on_int(*n),
            Val::Bool(b) => match &self.matcher {
                Matcher::Bool(want) => cmp_eq(self.op, b == want),
                _ => self.on_str(if *b { "true" } else { "false" }),
            },
        }
    }

    fn on_int(&self, n: i64) -> bool {
        match &self.matcher {
            Matcher::Num(want) => cmp_ord(self.op, n.cmp(want)),
            Matcher::NumSet(set) => set.contains(&n),
            Matcher::Net(_) => false,
            _ => self.on_str(itoa_buf(n).as_str()),
        }
    }

    fn on_str(&self, s: &str) -> bool {
        match &self.matcher {
            Matcher::Exists => true,
            Matcher::Str {
                finder: Some(f), ..
            } => f.find(s.as_bytes()).is_some(),
            Matcher::Str { text, lower, .. } => str_op(self.op, s, text, lower),
            Matcher::Bytes(b) => match self.op {
                Op::BStartsWith => s.as_bytes().starts_with(b),
                _ => !b.is_empty() && s.as_bytes().windows(b.len()).any(|w| w == &b[..]),
            },
            Matcher::Regex(re) => re.is_match(s),
            Matcher::HashSet(set) => set.contains(s),
            Matcher::Set(items) => match self.op {
                Op::Pmatch => items.iter().any(|p| path_prefix(p, s)),
                _ => items.iter().any(|i| i.as_ref() == s),
            },
            Matcher::Num(want) => s
                .trim()
                .parse::<i64>()
                .is_ok_and(|n| cmp_ord(self.op, n.cmp(want))),
            Matcher::NumSet(set) => s.trim().parse::<i64>().is_ok_and(|n| set.contains(&n)),
            Matcher::Bool(want) => match s {
                "true" => cmp_eq(self.op, *want),
                "false" => cmp_eq(self.op, !*want),
                _ => false,
            },
            Matcher::Net(nets) => match s.parse::<IpAddr>() {
                Ok(ip) => {
                    let hit = nets.iter().any(|n| n.contains(ip));
                    if self.op == Op::Ne { !hit } else { hit }
                }
                Err(_) => false,
            },
            Matcher::Field(_) => false,
        }
    }
}

/// A tiny stack buffer for rendering integers without allocating.
struct ItoaBuf {
    buf: [u8; 24],
    len: usize,
}

impl ItoaBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[24 - self.len..]).unwrap_or("")
    }
}

fn itoa_buf(n: i64) -> ItoaBuf {
    let mut b = ItoaBuf {
        buf: [0; 24],
        len: 0,
    };
    let neg = n < 0;
    let mut u = n.unsigned_abs();
    loop {
        b.len += 1;
        b.buf[24 - b.len] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if neg {
        b.len += 1;
        b.buf[24 - b.len] = b'-';
    }
    b
}

fn cmp_eq(op: Op, equal: bool) -> bool {
    match op {
        Op::Ne => !equal,
        _ => equal,
    }
}

fn cmp_ord(op: Op, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq | Op::In | Op::Intersects => ord == Equal,
        Op::Ne => ord != Equal,
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
        _ => false,
    }
}

fn str_op(op: Op, s: &str, text: &str, lower: &str) -> bool {
    match op {
        Op::Eq => s == text,
        Op::Ne => s != text,
        Op::Contains => s.contains(text),
        Op::IContains => contains_ignore_case(s, lower),
        Op::StartsWith => s.starts_with(text),
        Op::EndsWith => s.ends_with(text),
        Op::Glob => glob_match(text.as_bytes(), s.as_bytes(), false),
        Op::IGlob => glob_match(text.as_bytes(), s.as_bytes(), true),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => cmp_ord(op, s.cmp(text)),
        _ => false,
    }
}

/// ASCII-case-insensitive substring search against a pre-lowercased needle, without allocating.
fn contains_ignore_case(hay: &str, lower_needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), lower_needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if !hay.is_ascii() || !lower_needle.is_ascii() {
        return hay.to_lowercase().contains(lower_needle);
    }
    h.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// `pmatch`: `prefix` equals `path` or is a parent directory of it.
fn path_prefix(prefix: &str, path: &str) -> bool {
    let p = prefix.trim_end_matches('/');
    if p.is_empty() {
        return path.starts_with('/');
    }
    path == p || (path.starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/'))
}

fn compare_values(op: Op, a: &Val<'_>, b: &Val<'_>) -> bool {
    let (Some(x), Some(y)) = (scalar_text(a), scalar_text(b)) else {
        return false;
    };
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => cmp_ord(op, x.cmp(y)),
        _ => str_op(op, &x, &y, &y.to_lowercase()),
    }
}

fn scalar_text<'a>(v: &'a Val<'_>) -> Option<Cow<'a, str>> {
    match v {
        Val::Str(s) => Some(Cow::Borrowed(s)),
        Val::Int(n) => Some(Cow::Owned(n.to_string())),
        Val::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_and_prefix() {
        let n = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(!n.contains("11.1.2.3".parse().unwrap()));
        assert!(path_prefix("/etc", "/etc/passwd"));
        assert!(!path_prefix("/etc", "/etcx"));
        assert!(contains_ignore_case("Hello World", "world"));
        assert_eq!(itoa_buf(-120).as_str(), "-120");
    }
}
