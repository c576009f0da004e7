//! CloudFormation intrinsic functions (`!Ref`, `!Sub`, `!GetAtt`, `!Join`, `!If`, … and their `Fn::` long
//! forms) evaluated to [`Val`]s. Resource attributes are references (`cfn:FILE#Id.arn`), never guessed.

use super::yaml::{Kind, Node};
use crate::value::{Val, format_number};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a template's expressions can see.
pub struct Ctx<'a> {
    pub file: &'a str,
    pub params: HashMap<String, Val>,
    pub conditions: HashMap<String, &'a Node>,
    pub mappings: Option<&'a Node>,
    pub resources: HashSet<String>,
    cond_cache: RefCell<HashMap<String, Option<bool>>>,
    cond_busy: RefCell<HashSet<String>>,
}

/// The token for an attribute of resource `id`.
pub fn token(file: &str, id: &str, attr: &str) -> String {
    format!("cfn:{file}#{id}.{attr}")
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a str, template: &'a Node) -> Ctx<'a> {
        let mut params = HashMap::new();
        if let Some(Kind::Map(ps)) = template.get("Parameters").map(|n| &n.kind) {
            for (name, p) in ps {
                let v = match p.get("Default") {
                    Some(d) => scalar_or(d),
                    None => Val::reference(format!("cfn:param.{name}")),
                };
                params.insert(name.clone(), v);
            }
        }
        let mut conditions = HashMap::new();
        if let Some(Kind::Map(cs)) = template.get("Conditions").map(|n| &n.kind) {
            for (name, c) in cs {
                conditions.insert(name.clone(), c);
            }
        }
        let mut resources = HashSet::new();
        if let Some(Kind::Map(rs)) = template.get("Resources").map(|n| &n.kind) {
            resources.extend(rs.iter().map(|(k, _)| k.clone()));
        }
        Ctx {
            file,
            params,
            conditions,
            mappings: template.get("Mappings"),
            resources,
            cond_cache: RefCell::default(),
            cond_busy: RefCell::default(),
        }
    }

    /// Evaluates a named condition (`None` when unknown).
    pub fn condition(&self, name: &str) -> Option<bool> {
        if let Some(v) = self.cond_cache.borrow().get(name) {
            return *v;
        }
        let node = *self.conditions.get(name)?;
        if !self.cond_busy.borrow_mut().insert(name.to_string()) {
            return None;
        }
        let v = self.eval(node, 0).truthy();
        self.cond_busy.borrow_mut().remove(name);
        self.cond_cache.borrow_mut().insert(name.to_string(), v);
        v
    }

    /// Evaluates a node. Maps with one `Fn::`/`Ref`/`Condition` key and tagged nodes are functions.
    pub fn eval(&self, n: &Node, depth: u32) -> Val {
        if depth > 64 {
            return Val::unknown();
        }
        if let Some(tag) = &n.tag {
            let name = match tag.as_str() {
                "Ref" | "Condition" => tag.clone(),
                t if t.starts_with("!") || t.contains(':') => String::new(),
                t => format!("Fn::{t}"),
            };
            if !name.is_empty() {
                let untagged = Node {
                    tag: None,
                    ..n.clone()
                };
                return self.func(&name, &untagged, depth);
            }
        }
        match &n.kind {
            Kind::Scalar(..) => scalar_or(n),
            Kind::Seq(items) => Val::List(
                items
                    .iter()
                    .map(|i| self.eval(i, depth + 1))
                    .filter(|v| *v != Val::Null || items.len() == 1)
                    .collect(),
            ),
            Kind::Map(m) => {
                if let [(k, arg)] = m.as_slice()
                    && (k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
                {
                    return self.func(k, arg, depth);
                }
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    let v = self.eval(v, depth + 1);
                    if v != Val::Null {
                        out.insert(k.clone(), v);
                    }
                }
                Val::Map(out)
            }
        }
    }

    fn func(&self, name: &str, arg: &Node, depth: u32) -> Val {
        let d = depth + 1;
        let args: Vec<&Node> = match &arg.kind {
            Kind::Seq(v) => v.iter().collect(),
            _ => vec![arg],
        };
        match name {
            "Ref" => self.reference(arg.as_str().unwrap_or_default()),
            "Condition" => self
                .condition(arg.as_str().unwrap_or_default())
                .map(Val::Bool)
                .unwrap_or(Val::unknown()),
            "Fn::GetAtt" => {
                let (id, attr) = match &arg.kind {
                    Kind::Scalar(s, _) => match s.split_once('.') {
                        Some((a, b)) => (a.to_string(), b.to_string()),
                        None => return Val::unknown(),
                    },
                    Kind::Seq(v) if v.len() == 2 => (
                        v[0].as_str().unwrap_or_default().to_string(),
                        self.eval(&v[1], d).to_plain_string().unwrap_or_default(),
                    ),
                    _ => return Val::unknown(),
                };
                Val::reference(token(self.file, &id, &attr.to_lowercase()))
            }
            "Fn::Join" => {
                let (Some(sep), Some(list)) = (args.first(), args.get(1)) else {
                    return Val::unknown();
                };
                let sep = self.eval(sep, d).to_plain_string();
                match (sep, self.eval(list, d)) {
                    (Some(sep), Val::List(items)) => items
                        .iter()
                        .map(Val::to_plain_string)
                        .collect::<Option<Vec<_>>>()
                        .map(|v| Val::String(v.join(&sep)))
                        .unwrap_or(Val::unknown()),
                    _ => Val::unknown(),
                }
            }
            "Fn::Select" => {
                let (Some(i), Some(list)) = (args.first(), args.get(1)) else {
                    return Val::unknown();
                };
                match (self.eval(i, d).as_number(), self.eval(list, d)) {
                    (Some(i), Val::List(mut items)) if i >= 0.0 && (i as usize) < items.len() => {
                        items.swap_remove(i as usize)
                    }
                    _ => Val::unknown(),
                }
            }
            "Fn::Split" => {
                let (Some(sep), Some(s)) = (args.first(), args.get(1)) else {
                    return Val::unknown();
                };
                match (
                    self.eval(sep, d).to_plain_string(),
                    self.eval(s, d).to_plain_string(),
                ) {
                    (Some(sep), Some(s)) if !sep.is_empty() => Val::List(
                        s.split(sep.as_str())
                            .map(|p| Val::String(p.into()))
                            .collect(),
                    ),
                    _ => Val::unknown(),
                }
            }
            "Fn::If" => {
                let (Some(c), Some(a), Some(b)) = (args.first(), args.get(1), args.get(2)) else {
                    return Val::unknown();
                };
                match self.condition(c.as_str().unwrap_or_default()) {
                    Some(true) => self.eval(a, d),
                    Some(false) => self.eval(b, d),
                    None => {
                        let (x, y) = (self.eval(a, d), self.eval(b, d));
                        if x == y && !x.has_unknown() {
                            x
                        } else {
                            Val::unknown()
                        }
                    }
                }
            }
            "Fn::Equals" => {
                let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
                    return Val::unknown();
                };
                let (a, b) = (self.eval(a, d), self.eval(b, d));
                match (a.to_plain_string(), b.to_plain_string()) {
                    (Some(x), Some(y)) => Val::Bool(x == y),
                    _ => Val::unknown(),
                }
            }
            "Fn::Not" => match args.first().map(|a| self.eval(a, d).truthy()) {
                Some(Some(b)) => Val::Bool(!b),
                _ => Val::unknown(),
            },
            "Fn::And" | "Fn::Or" => {
                let vals: Vec<Option<bool>> =
                    args.iter().map(|a| self.eval(a, d).truthy()).collect();
                let and = name == "Fn::And";
                if vals.contains(&Some(!and)) {
                    Val::Bool(!and)
                } else if vals.iter().all(Option::is_some) {
                    Val::Bool(and)
                } else {
                    Val::unknown()
                }
            }
            "Fn::FindInMap" => {
                let keys: Vec<Option<String>> = args
                    .iter()
                    .take(3)
                    .map(|a| self.eval(a, d).to_plain_string())
                    .collect();
                let found = match (self.mappings, keys.as_slice()) {
                    (Some(m), [Some(a), Some(b), Some(c)]) => {
                        m.get(a).and_then(|x| x.get(b)).and_then(|x| x.get(c))
                    }
                    _ => None,
                };
                found.map(|n| self.eval(n, d)).unwrap_or(Val::unknown())
            }
            "Fn::Sub" => self.sub(&args, d),
            "Fn::Base64" => args
                .first()
                .map(|a| self.eval(a, d))
                .unwrap_or(Val::unknown()),
            _ => Val::unknown(),
        }
    }

    fn reference(&self, name: &str) -> Val {
        if let Some(v) = self.params.get(name) {
            return v.clone();
        }
        match name {
            "AWS::NoValue" => Val::Null,
            n if n.starts_with("AWS::") => Val::reference(format!("cfn:{n}")),
            n if self.resources.contains(n) => Val::reference(token(self.file, n, "id")),
            _ => Val::unknown(),
        }
    }

    fn sub(&self, args: &[&Node], d: u32) -> Val {
        let Some(text) = args.first().and_then(|n| n.as_str()) else {
            return Val::unknown();
        };
        let mut vars: HashMap<String, Val> = HashMap::new();
        if let Some(Kind::Map(m)) = args.get(1).map(|n| &n.kind) {
            for (k, v) in m {
                vars.insert(k.clone(), self.eval(v, d));
            }
        }
        let mut out = String::new();
        let mut partial = false;
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            if let Some(lit) = after.strip_prefix('!') {
                out.push_str("${");
                rest = lit;
                continue;
            }
            let Some(j) = after.find('}') else {
                return Val::unknown();
            };
            let name = &after[..j];
            let v = match vars.get(name) {
                Some(v) => v.clone(),
                None => match name.split_once('.') {
                    Some((id, attr)) if self.resources.contains(id) => {
                        Val::reference(token(self.file, id, &attr.to_lowercase()))
                    }
                    _ => self.reference(name),
                },
            };
            match v {
                Val::Unknown(Some(r)) if !r.starts_with("cfn:param.") => {
                    partial = true;
                    out.push_str(&format!("${{{}}}", r.trim_start_matches("partial:")));
                }
                v => match v.to_plain_string() {
                    Some(s) => out.push_str(&s),
                    None => return Val::unknown(),
                },
            }
            rest = &after[j + 1..];
        }
        out.push_str(rest);
        if partial {
            Val::reference(format!("partial:{out}"))
        } else {
            Val::String(out)
        }
    }
}

/// A scalar as a value: plain `true`/`false`/numbers typed, everything else a string.
fn scalar_or(n: &Node) -> Val {
    match &n.kind {
        Kind::Scalar(s, plain) => {
            if *plain {
                match s.as_str() {
                    "true" | "True" | "TRUE" => return Val::Bool(true),
                    "false" | "False" | "FALSE" => return Val::Bool(false),
                    "null" | "~" => return Val::Null,
                    _ => {}
                }
                // Account ids and octal-looking strings stay strings.
                if (!s.starts_with('0') || s == "0")
                    && let Ok(f) = s.parse::<f64>()
                    && format_number(f) == *s
                {
                    return Val::Number(f);
                }
            }
            Val::String(s.clone())
        }
        _ => Val::unknown(),
    }
}
