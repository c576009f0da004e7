//! Evaluation of Terraform expressions into [`Val`]s: variables, locals, references, templates, conditionals,
//! `for` expressions and the common functions. Anything not statically known becomes `Val::Unknown`.

use super::funcs;
use super::module::ModuleDecls;
use crate::value::{MAX_COLLECTION, Val, format_number};
use hcl::expr::{
    BinaryOperator, Expression, ObjectKey, Operation, TemplateExpr, TraversalOperator,
    UnaryOperator,
};
use hcl::template::{Directive, Element, Template};
use hcl::{Body, Structure};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

/// Nesting limit for evaluation (expressions, references between resources and locals).
const MAX_DEPTH: u32 = 64;
/// Expression evaluations per resource instance (and per module's own evaluation) at most: references
/// fanning out through other resources can otherwise grow exponentially within the depth limit. Past it,
/// everything evaluates to unknown.
pub const MAX_STEPS: u64 = 20_000;

/// Everything an expression in one module instance can see.
pub struct Scope<'a> {
    pub decls: &'a ModuleDecls,
    pub vars: &'a BTreeMap<String, Val>,
    /// Outputs of child module calls, by call name.
    pub modules: &'a BTreeMap<String, Val>,
    /// `module.net.` for resources inside module `net`, empty at the root.
    pub prefix: &'a str,
    pub path_module: &'a str,
    pub count_index: Option<Val>,
    pub each: Option<(Val, Val)>,
    locals: RefCell<BTreeMap<String, Val>>,
    locals_busy: RefCell<HashSet<String>>,
    frames: RefCell<Vec<(String, Val)>>,
    depth: Cell<u32>,
    /// Evaluations left, shared by every scope derived from this one.
    budget: Rc<Cell<u64>>,
}

impl<'a> Scope<'a> {
    pub fn new(
        decls: &'a ModuleDecls,
        vars: &'a BTreeMap<String, Val>,
        modules: &'a BTreeMap<String, Val>,
        prefix: &'a str,
        path_module: &'a str,
    ) -> Scope<'a> {
        Scope {
            decls,
            vars,
            modules,
            prefix,
            path_module,
            count_index: None,
            each: None,
            locals: RefCell::default(),
            locals_busy: RefCell::default(),
            frames: RefCell::default(),
            depth: Cell::new(0),
            budget: Rc::new(Cell::new(MAX_STEPS)),
        }
    }

    /// The same scope for one `count`/`for_each` instance.
    pub fn instance(&self, count_index: Option<Val>, each: Option<(Val, Val)>) -> Scope<'a> {
        Scope {
            count_index,
            each,
            locals: RefCell::new(self.locals.borrow().clone()),
            budget: self.budget.clone(),
            ..Scope::new(
                self.decls,
                self.vars,
                self.modules,
                self.prefix,
                self.path_module,
            )
        }
    }

    /// Gives this scope (and every scope sharing its budget) `steps` evaluations.
    pub fn reset_budget(&self, steps: u64) {
        self.budget.set(steps);
    }

    /// Evaluates an expression; unknown when it cannot be determined statically (or a limit is hit).
    pub fn eval(&self, e: &Expression) -> Val {
        let d = self.depth.get();
        let left = self.budget.get();
        if d >= MAX_DEPTH || left == 0 {
            return Val::unknown();
        }
        self.budget.set(left - 1);
        self.depth.set(d + 1);
        let v = self.eval_inner(e);
        self.depth.set(d);
        v
    }

    fn eval_inner(&self, e: &Expression) -> Val {
        match e {
            Expression::Null => Val::Null,
            Expression::Bool(b) => Val::Bool(*b),
            Expression::Number(n) => n.as_f64().map(Val::Number).unwrap_or(Val::unknown()),
            Expression::String(s) => Val::String(s.clone()),
            Expression::Array(items) => Val::List(
                items
                    .iter()
                    .take(MAX_COLLECTION)
                    .map(|i| self.eval(i))
                    .collect(),
            ),
            Expression::Object(obj) => {
                let mut m = BTreeMap::new();
                for (k, v) in obj.iter().take(MAX_COLLECTION) {
                    let key = match k {
                        ObjectKey::Identifier(id) => id.as_str().to_string(),
                        ObjectKey::Expression(ke) => match self.eval(ke).to_plain_string() {
                            Some(s) => s,
                            None => return Val::unknown(),
                        },
                        _ => return Val::unknown(),
                    };
                    m.insert(key, self.eval(v));
                }
                Val::Map(m)
            }
            Expression::TemplateExpr(t) => self.template_expr(t),
            Expression::Variable(v) => self.variable(v.as_str(), &[]),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => self.variable(v.as_str(), &t.operators),
                other => {
                    let base = self.eval(other);
                    self.apply_ops(base, &t.operators)
                }
            },
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                funcs::call(self, name, &f.args, f.expand_final)
            }
            Expression::Parenthesis(inner) => self.eval(inner),
            Expression::Conditional(c) => match self.eval(&c.cond_expr).truthy() {
                Some(true) => self.eval(&c.true_expr),
                Some(false) => self.eval(&c.false_expr),
                None => {
                    let (a, b) = (self.eval(&c.true_expr), self.eval(&c.false_expr));
                    if a == b && !a.has_unknown() {
                        a
                    } else {
                        Val::unknown()
                    }
                }
            },
            Expression::Operation(op) => self.operation(op),
            Expression::ForExpr(f) => self.for_expr(f),
            _ => Val::unknown(),
        }
    }

    fn template_expr(&self, t: &TemplateExpr) -> Val {
        match t {
            TemplateExpr::QuotedString(s) if !s.contains("${") && !s.contains("%{") => {
                Val::String(s.clone())
            }
            _ => match Template::from_expr(t) {
                Ok(tpl) => {
                    // A template that is exactly one interpolation yields the value itself.
                    if let [Element::Interpolation(i)] = tpl.elements() {
                        return match self.eval(&i.expr) {
                            Val::Bool(b) => Val::String(b.to_string()),
                            Val::Number(n) => Val::String(format_number(n)),
                            v => v,
                        };
                    }
                    self.template(&tpl)
                }
                Err(_) => Val::unknown(),
            },
        }
    }

    fn template(&self, tpl: &Template) -> Val {
        let mut out = String::new();
        let mut partial = false;
        for el in tpl.elements() {
            match el {
                Element::Literal(s) => out.push_str(s),
                Element::Interpolation(i) => match self.eval(&i.expr) {
                    Val::Unknown(Some(r)) => {
                        // Keep which reference the unknown part came from; not a join token.
                        partial = true;
                        out.push_str(&format!("${{{}}}", r.trim_start_matches("partial:")));
                    }
                    v => match v.to_plain_string() {
                        Some(s) => out.push_str(&s),
                        None => return Val::unknown(),
                    },
                },
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        let branch = match self.eval(&d.cond_expr).truthy() {
                            Some(true) => Some(&d.true_template),
                            Some(false) => d.false_template.as_ref(),
                            None => return Val::unknown(),
                        };
                        if let Some(b) = branch {
                            match self.template(b) {
                                Val::String(s) => out.push_str(&s),
                                _ => return Val::unknown(),
                            }
                        }
                    }
                    Directive::For(d) => {
                        let coll = self.eval(&d.collection_expr);
                        let Some(pairs) = iter_pairs(&coll) else {
                            return Val::unknown();
                        };
                        for (k, v) in pairs {
                            let pushed = self.push_iter(
                                d.key_var.as_ref().map(|k| k.as_str()),
                                d.value_var.as_str(),
                                k,
                                v,
                            );
                            let r = self.template(&d.template);
                            self.pop(pushed);
                            match r {
                                Val::String(s) => out.push_str(&s),
                                _ => return Val::unknown(),
                            }
                            if out.len() > 1 << 20 {
                                return Val::unknown();
                            }
                        }
                    }
                },
            }
        }
        if partial {
            Val::reference(format!("partial:{out}"))
        } else {
            Val::String(out)
        }
    }

    fn push_iter(&self, key_var: Option<&str>, value_var: &str, k: Val, v: Val) -> usize {
        let mut f = self.frames.borrow_mut();
        let mut n = 1;
        if let Some(kv) = key_var {
            f.push((kv.to_string(), k));
            n += 1;
        }
        f.push((value_var.to_string(), v));
        n
    }

    fn pop(&self, n: usize) {
        let mut f = self.frames.borrow_mut();
        let len = f.len().saturating_sub(n);
        f.truncate(len);
    }

    fn frame(&self, name: &str) -> Option<Val> {
        self.frames
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn for_expr(&self, f: &hcl::expr::ForExpr) -> Val {
        let coll = self.eval(&f.collection_expr);
        let Some(pairs) = iter_pairs(&coll) else {
            return Val::unknown();
        };
        let key_var = f.key_var.as_ref().map(|k| k.as_str());
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Val> = BTreeMap::new();
        for (k, v) in pairs {
            let pushed = self.push_iter(key_var, f.value_var.as_str(), k, v);
            let keep = match &f.cond_expr {
                Some(c) => self.eval(c).truthy(),
                None => Some(true),
            };
            let result = match keep {
                None => Err(()),
                Some(false) => Ok(None),
                Some(true) => {
                    let value = self.eval(&f.value_expr);
                    match &f.key_expr {
                        Some(ke) => match self.eval(ke).to_plain_string() {
                            Some(key) => Ok(Some((Some(key), value))),
                            None => Err(()),
                        },
                        None => Ok(Some((None, value))),
                    }
                }
            };
            self.pop(pushed);
            match result {
                Err(()) => return Val::unknown(),
                Ok(None) => {}
                Ok(Some((Some(key), value))) => {
                    if f.grouping {
                        match map.entry(key).or_insert_with(|| Val::List(Vec::new())) {
                            Val::List(l) => l.push(value),
                            _ => return Val::unknown(),
                        }
                    } else {
                        map.insert(key, value);
                    }
                }
                Ok(Some((None, value))) => list.push(value),
            }
        }
        if f.key_expr.is_some() {
            Val::Map(map)
        } else {
            Val::List(list)
        }
    }

    fn operation(&self, op: &Operation) -> Val {
        match op {
            Operation::Unary(u) => {
                let v = self.eval(&u.expr);
                match u.operator {
                    UnaryOperator::Not => {
                        v.truthy().map(|b| Val::Bool(!b)).unwrap_or(Val::unknown())
                    }
                    UnaryOperator::Neg => v
                        .as_number()
                        .map(|n| Val::Number(-n))
                        .unwrap_or(Val::unknown()),
                }
            }
            Operation::Binary(b) => {
                let l = self.eval(&b.lhs_expr);
                use BinaryOperator as B;
                // Short-circuit on known booleans.
                match (b.operator, l.truthy()) {
                    (B::And, Some(false)) => return Val::Bool(false),
                    (B::Or, Some(true)) => return Val::Bool(true),
                    _ => {}
                }
                let r = self.eval(&b.rhs_expr);
                binary(b.operator, &l, &r)
            }
        }
    }

    fn variable(&self, root: &str, ops: &[TraversalOperator]) -> Val {
        if let Some(v) = self.frame(root) {
            return self.apply_ops(v, ops);
        }
        let (first, rest) = match ops.split_first() {
            Some((TraversalOperator::GetAttr(a), rest)) => (Some(a.as_str()), rest),
            _ => (None, ops),
        };
        match (root, first) {
            ("var", Some(name)) => {
                let v = self.vars.get(name).cloned().unwrap_or(Val::unknown());
                self.apply_ops(v, rest)
            }
            ("local", Some(name)) => {
                let v = self.local(name);
                self.apply_ops(v, rest)
            }
            ("count", Some("index")) => {
                self.apply_ops(self.count_index.clone().unwrap_or(Val::unknown()), rest)
            }
            ("each", Some("key")) => {
                let v = self
                    .each
                    .as_ref()
                    .map(|e| e.0.clone())
                    .unwrap_or(Val::unknown());
                self.apply_ops(v, rest)
            }
            ("each", Some("value")) => {
                let v = self
                    .each
                    .as_ref()
                    .map(|e| e.1.clone())
                    .unwrap_or(Val::unknown());
                self.apply_ops(v, rest)
            }
            ("path", Some("module")) => Val::String(self.path_module.to_string()),
            ("path", Some(_)) => Val::String(".".into()),
            ("terraform", Some("workspace")) => Val::String("default".into()),
            ("module", Some(name)) => {
                let v = self
                    .modules
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| Val::reference(format!("{}module.{name}", self.prefix)));
                let v = match v {
                    Val::Unknown(None) => Val::reference(format!("{}module.{name}", self.prefix)),
                    v => v,
                };
                self.apply_ops(v, rest)
            }
            ("data", Some(dtype)) => self.data(dtype, rest),
            (rtype, Some(name)) => self.resource_ref(rtype, name, rest),
            _ => Val::unknown(),
        }
    }

    /// Evaluates local `name` once, guarding against cycles.
    fn local(&self, name: &str) -> Val {
        if let Some(v) = self.locals.borrow().get(name) {
            return v.clone();
        }
        let Some(expr) = self.decls.locals.get(name) else {
            return Val::unknown();
        };
        if !self.locals_busy.borrow_mut().insert(name.to_string()) {
            return Val::unknown();
        }
        // Locals never see count/each of the resource being evaluated.
        let v = if self.count_index.is_some()
            || self.each.is_some()
            || !self.frames.borrow().is_empty()
        {
            let plain = Scope::new(
                self.decls,
                self.vars,
                self.modules,
                self.prefix,
                self.path_module,
            );
            plain.depth.set(self.depth.get());
            let plain = Scope {
                budget: self.budget.clone(),
                ..plain
            };
            plain.eval(expr)
        } else {
            self.eval(expr)
        };
        self.locals_busy.borrow_mut().remove(name);
        self.locals.borrow_mut().insert(name.to_string(), v.clone());
        v
    }

    fn data(&self, dtype: &str, ops: &[TraversalOperator]) -> Val {
        let Some((TraversalOperator::GetAttr(name), rest)) = ops.split_first() else {
            return Val::unknown();
        };
        let token = format!("{}data.{dtype}.{}", self.prefix, name.as_str());
        if dtype == "aws_iam_policy_document"
            && let Some(Some(TraversalOperator::GetAttr(attr))) = rest.first().map(Some)
            && attr.as_str() == "json"
            && let Some(body) = self.decls.data.get(&(dtype.to_string(), name.to_string()))
        {
            let doc = super::policy_doc::render(self, body);
            return self.apply_ops(doc, &rest[1..]);
        }
        self.apply_ops(Val::reference(token), rest)
    }

    fn resource_ref(&self, rtype: &str, name: &str, ops: &[TraversalOperator]) -> Val {
        let mut token = format!("{}{rtype}.{name}", self.prefix);
        let mut rest = ops;
        let mut index: Option<Val> = None;
        if let Some((TraversalOperator::Index(ie), r)) = rest.split_first() {
            let iv = self.eval(ie);
            match &iv {
                Val::Number(n) => token.push_str(&format!("[{}]", format_number(*n))),
                Val::String(s) => token.push_str(&format!("[{s:?}]")),
                _ => return Val::unknown(),
            }
            index = Some(iv);
            rest = r;
        } else if let Some((TraversalOperator::LegacyIndex(i), r)) = rest.split_first() {
            token.push_str(&format!("[{i}]"));
            index = Some(Val::Number(*i as f64));
            rest = r;
        }
        let raw = self
            .decls
            .resources
            .get(&(rtype.to_string(), name.to_string()));
        let Some(raw) = raw else {
            return self.apply_ops(Val::reference(token), rest);
        };
        let expanded = raw.count.is_some() || raw.for_each.is_some();
        if expanded && index.is_none() && self.depth.get() < MAX_DEPTH / 2 {
            // The whole collection (`for_each = aws_s3_bucket.data`, `aws_instance.web[*].id`).
            let all = self.collection(raw, &token);
            return self.apply_ops(all, rest);
        }
        let attr = match rest.split_first() {
            Some((TraversalOperator::GetAttr(a), r)) => Some((a.as_str(), r)),
            _ => None,
        };
        let Some((attr, after)) = attr else {
            return Val::reference(token);
        };
        if expanded != index.is_some() {
            return Val::reference(format!("{token}.{attr}"));
        }
        let found = raw.body.attributes().find(|a| a.key.as_str() == attr);
        let v = match found {
            Some(a) => {
                let inst = match (&raw.for_each, index) {
                    (Some(_), Some(k)) => {
                        let each_val = raw
                            .for_each
                            .as_ref()
                            .map(|fe| self.eval(fe))
                            .and_then(|c| match (&c, &k) {
                                (Val::Map(m), Val::String(s)) => m.get(s).cloned(),
                                _ => None,
                            })
                            .unwrap_or(k.clone());
                        self.instance(None, Some((k, each_val)))
                    }
                    (None, idx) => self.instance(idx, None),
                    _ => self.instance(None, None),
                };
                inst.depth.set(self.depth.get() + 1);
                match inst.eval(&a.expr) {
                    Val::Unknown(None) => Val::reference(format!("{token}.{attr}")),
                    v => v,
                }
            }
            None => Val::reference(format!("{token}.{attr}")),
        };
        self.apply_ops(v, after)
    }

    /// All instances of an expanded resource as a map (for_each) or list (count) of objects holding the
    /// attributes set in the block plus references for the computed `id` and `arn`.
    fn collection(&self, raw: &super::module::RawResource, token: &str) -> Val {
        let object = |key: &Val, each: Option<Val>| {
            let suffix = match key {
                Val::Number(n) => format!("[{}]", format_number(*n)),
                Val::String(s) => format!("[{s:?}]"),
                _ => "[?]".to_string(),
            };
            let inst = match &each {
                Some(v) => self.instance(None, Some((key.clone(), v.clone()))),
                None => self.instance(Some(key.clone()), None),
            };
            inst.depth.set(self.depth.get() + 4);
            let mut m = match inst.body(
                &raw.body,
                &["count", "for_each", "lifecycle", "depends_on", "provider"],
            ) {
                Val::Map(m) => m,
                _ => BTreeMap::new(),
            };
            for computed in ["id", "arn"] {
                m.entry(computed.to_string())
                    .or_insert_with(|| Val::reference(format!("{token}{suffix}.{computed}")));
            }
            Val::Map(m)
        };
        if let Some(c) = &raw.count {
            return match self.eval(c).as_number() {
                Some(n) if (0.0..=MAX_COLLECTION as f64).contains(&n) => Val::List(
                    (0..n as usize)
                        .map(|i| object(&Val::Number(i as f64), None))
                        .collect(),
                ),
                _ => Val::unknown(),
            };
        }
        let Some(fe) = &raw.for_each else {
            return Val::unknown();
        };
        let coll = self.eval(fe);
        let pairs: Vec<(Val, Val)> = match &coll {
            Val::List(items) => items
                .iter()
                .take(MAX_COLLECTION)
                .filter_map(|v| Some((Val::String(v.to_plain_string()?), v.clone())))
                .collect(),
            other => match iter_pairs(other) {
                Some(p) => p,
                None => return Val::unknown(),
            },
        };
        Val::Map(
            pairs
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_plain_string()?, object(&k, Some(v)))))
                .collect(),
        )
    }

    /// Applies attribute access, indexing and splats to a value.
    pub fn apply_ops(&self, mut v: Val, ops: &[TraversalOperator]) -> Val {
        for (i, op) in ops.iter().enumerate() {
            v = match (op, v) {
                (_, Val::Unknown(Some(tok))) => {
                    let mut tok = tok;
                    for op in &ops[i..] {
                        match op {
                            TraversalOperator::GetAttr(a) => {
                                tok.push('.');
                                tok.push_str(a.as_str());
                            }
                            TraversalOperator::LegacyIndex(n) => tok.push_str(&format!("[{n}]")),
                            TraversalOperator::Index(e) => match self.eval(e) {
                                Val::Number(n) => tok.push_str(&format!("[{}]", format_number(n))),
                                Val::String(s) => tok.push_str(&format!("[{s:?}]")),
                                _ => return Val::unknown(),
                            },
                            _ => return Val::unknown(),
                        }
                    }
                    return Val::reference(tok);
                }
                (_, Val::Unknown(None)) => return Val::unknown(),
                (TraversalOperator::GetAttr(a), Val::Map(mut m)) => {
                    m.remove(a.as_str()).unwrap_or(Val::unknown())
                }
                (TraversalOperator::Index(e), coll) => {
                    let k = self.eval(e);
                    index(coll, &k)
                }
                (TraversalOperator::LegacyIndex(n), coll) => index(coll, &Val::Number(*n as f64)),
                (TraversalOperator::AttrSplat | TraversalOperator::FullSplat, Val::List(items)) => {
                    return Val::List(
                        items
                            .into_iter()
                            .map(|it| self.apply_ops(it, &ops[i + 1..]))
                            .collect(),
                    );
                }
                (TraversalOperator::AttrSplat | TraversalOperator::FullSplat, Val::Null) => {
                    return Val::List(Vec::new());
                }
                (TraversalOperator::AttrSplat | TraversalOperator::FullSplat, other) => {
                    return Val::List(vec![self.apply_ops(other, &ops[i + 1..])]);
                }
                _ => return Val::unknown(),
            };
        }
        v
    }

    /// Evaluates a block body into a map: attributes by name, nested blocks as lists of maps (`dynamic`
    /// blocks expanded). `skip` names meta-arguments to leave out.
    pub fn body(&self, body: &Body, skip: &[&str]) -> Val {
        let mut m: BTreeMap<String, Val> = BTreeMap::new();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    if !skip.contains(&a.key.as_str()) {
                        m.insert(a.key.to_string(), self.eval(&a.expr));
                    }
                }
                Structure::Block(b) => {
                    let id = b.identifier.as_str();
                    if skip.contains(&id) {
                        continue;
                    }
                    if id == "dynamic" {
                        let Some(label) = b.labels.first() else {
                            continue;
                        };
                        let name = label.as_str().to_string();
                        let items = self.dynamic(b, &name);
                        match (m.get_mut(&name), items) {
                            (Some(Val::List(l)), Val::List(new)) => l.extend(new),
                            (_, v) => {
                                m.insert(name, v);
                            }
                        }
                        continue;
                    }
                    let v = self.body(&b.body, &[]);
                    match m
                        .entry(id.to_string())
                        .or_insert_with(|| Val::List(Vec::new()))
                    {
                        Val::List(l) if l.len() < MAX_COLLECTION => l.push(v),
                        _ => {}
                    }
                }
            }
        }
        Val::Map(m)
    }

    fn dynamic(&self, b: &hcl::Block, name: &str) -> Val {
        let fe = b.body.attributes().find(|a| a.key.as_str() == "for_each");
        let iter_name = b
            .body
            .attributes()
            .find(|a| a.key.as_str() == "iterator")
            .and_then(|a| match &a.expr {
                Expression::Variable(v) => Some(v.as_str().to_string()),
                _ => None,
            })
            .unwrap_or_else(|| name.to_string());
        let Some(content) = b.body.blocks().find(|c| c.identifier.as_str() == "content") else {
            return Val::List(Vec::new());
        };
        let coll = match fe {
            Some(a) => self.eval(&a.expr),
            None => return Val::unknown(),
        };
        let Some(pairs) = iter_pairs(&coll) else {
            return Val::unknown();
        };
        let mut out = Vec::new();
        for (k, v) in pairs {
            let mut it = BTreeMap::new();
            it.insert("key".to_string(), k);
            it.insert("value".to_string(), v);
            let pushed = self.push_iter(None, &iter_name, Val::Null, Val::Map(it));
            out.push(self.body(&content.body, &[]));
            self.pop(pushed);
        }
        Val::List(out)
    }
}

/// (key, value) pairs of a collection for `for`/`for_each`; `None` when unknown.
pub fn iter_pairs(coll: &Val) -> Option<Vec<(Val, Val)>> {
    if coll.is_unknown() {
        return None;
    }
    match coll {
        Val::List(items) => Some(
            items
                .iter()
                .take(MAX_COLLECTION)
                .enumerate()
                .map(|(i, v)| (Val::Number(i as f64), v.clone()))
                .collect(),
        ),
        Val::Map(m) => Some(
            m.iter()
                .take(MAX_COLLECTION)
                .map(|(k, v)| (Val::String(k.clone()), v.clone()))
                .collect(),
        ),
        Val::Null => Some(Vec::new()),
        _ => None,
    }
}

fn index(coll: Val, k: &Val) -> Val {
    match (coll, k) {
        (_, Val::Unknown(_)) => Val::unknown(),
        (Val::List(mut l), k) => match k.as_number() {
            Some(n) if n >= 0.0 && (n as usize) < l.len() => l.swap_remove(n as usize),
            _ => Val::unknown(),
        },
        (Val::Map(mut m), k) => match k.to_plain_string() {
            Some(s) => m.remove(&s).unwrap_or(Val::unknown()),
            None => Val::unknown(),
        },
        _ => Val::unknown(),
    }
}

fn binary(op: BinaryOperator, l: &Val, r: &Val) -> Val {
    use BinaryOperator as B;
    match op {
        B::Eq | B::NotEq => {
            // A reference to another resource's attribute is known not to be null.
            let not_null = |a: &Val, b: &Val| matches!((a, b), (Val::Unknown(Some(_)), Val::Null));
            if not_null(l, r) || not_null(r, l) {
                return Val::Bool(op == B::NotEq);
            }
            if l.has_unknown() || r.has_unknown() {
                return Val::unknown();
            }
            let eq = match (l.to_plain_string(), r.to_plain_string()) {
                (Some(a), Some(b)) if matches!((l, r), (Val::Number(_), Val::Number(_))) => a == b,
                _ => l == r,
            };
            Val::Bool(if op == B::Eq { eq } else { !eq })
        }
        B::And | B::Or => match (l.truthy(), r.truthy()) {
            (Some(a), Some(b)) => Val::Bool(if op == B::And { a && b } else { a || b }),
            _ => Val::unknown(),
        },
        _ => {
            let (Some(a), Some(b)) = (l.as_number(), r.as_number()) else {
                return Val::unknown();
            };
            match op {
                B::Plus => Val::Number(a + b),
                B::Minus => Val::Number(a - b),
                B::Mul => Val::Number(a * b),
                B::Div if b != 0.0 => Val::Number(a / b),
                B::Mod if b != 0.0 => Val::Number(a % b),
                B::Less => Val::Bool(a < b),
                B::LessEq => Val::Bool(a <= b),
                B::Greater => Val::Bool(a > b),
                B::GreaterEq => Val::Bool(a >= b),
                _ => Val::unknown(),
            }
        }
    }
}
