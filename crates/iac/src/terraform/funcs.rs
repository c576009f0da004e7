//! The Terraform built-in functions realistic modules use. Unknown arguments give unknown results;
//! functions we do not implement (or that read files or the network) return unknown.

use super::eval::Scope;
use crate::value::{MAX_COLLECTION, Val, format_number};
use hcl::expr::Expression;
use std::collections::BTreeMap;

/// Calls function `name`.
pub fn call(scope: &Scope<'_>, name: &str, args: &[Expression], expand_final: bool) -> Val {
    // `try` and `can` look at evaluation success, so they see unevaluated arguments.
    match name {
        "try" => {
            return args
                .iter()
                .map(|a| scope.eval(a))
                .find(|v| !matches!(v, Val::Unknown(None)))
                .unwrap_or(Val::unknown());
        }
        "can" => {
            return match args.first().map(|a| scope.eval(a)) {
                Some(Val::Unknown(_)) | None => Val::unknown(),
                Some(_) => Val::Bool(true),
            };
        }
        _ => {}
    }
    let mut vals: Vec<Val> = args.iter().map(|a| scope.eval(a)).collect();
    if expand_final {
        match vals.pop() {
            Some(Val::List(l)) => vals.extend(l),
            _ => return Val::unknown(),
        }
    }
    apply(name, vals)
}

fn apply(name: &str, a: Vec<Val>) -> Val {
    // Functions that tolerate unknown elements.
    match name {
        "jsonencode" => {
            return match a.first() {
                Some(Val::Unknown(r)) => Val::Unknown(r.clone()),
                Some(v) => Val::String(v.encode_json().to_string()),
                None => Val::unknown(),
            };
        }
        "tolist" | "toset" | "tomap" | "sensitive" | "nonsensitive" | "tostring" => {
            let v = a.into_iter().next().unwrap_or(Val::unknown());
            return match (name, v) {
                ("toset", Val::List(l)) => Val::List(dedup(l)),
                ("tostring", v) if !v.is_unknown() => v
                    .to_plain_string()
                    .map(Val::String)
                    .unwrap_or(Val::unknown()),
                (_, v) => v,
            };
        }
        "length" => {
            return match a.first() {
                Some(Val::List(l)) => Val::Number(l.len() as f64),
                Some(Val::Map(m)) => Val::Number(m.len() as f64),
                Some(Val::String(s)) => Val::Number(s.chars().count() as f64),
                _ => Val::unknown(),
            };
        }
        "concat" => {
            let mut out = Vec::new();
            for v in a {
                match v {
                    Val::List(l) => out.extend(l),
                    _ => return Val::unknown(),
                }
            }
            return Val::List(out);
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for v in a {
                match v {
                    Val::Map(m) => out.extend(m),
                    Val::Null => {}
                    _ => return Val::unknown(),
                }
            }
            return Val::Map(out);
        }
        "lookup" => {
            let mut it = a.into_iter();
            let (m, k, d) = (it.next(), it.next(), it.next());
            return match (m, k.and_then(|k| k.to_plain_string())) {
                (Some(Val::Map(mut m)), Some(k)) => m.remove(&k).or(d).unwrap_or(Val::unknown()),
                _ => Val::unknown(),
            };
        }
        "element" => {
            return match (a.first(), a.get(1).and_then(Val::as_number)) {
                (Some(Val::List(l)), Some(i)) if !l.is_empty() && i >= 0.0 => {
                    l[(i as usize) % l.len()].clone()
                }
                _ => Val::unknown(),
            };
        }
        "coalesce" => {
            for v in a {
                match v {
                    Val::Unknown(_) => return Val::unknown(),
                    Val::Null => {}
                    Val::String(s) if s.is_empty() => {}
                    v => return v,
                }
            }
            return Val::unknown();
        }
        "keys" | "values" => {
            return match a.into_iter().next() {
                Some(Val::Map(m)) if name == "keys" => {
                    Val::List(m.into_keys().map(Val::String).collect())
                }
                Some(Val::Map(m)) => Val::List(m.into_values().collect()),
                _ => Val::unknown(),
            };
        }
        "one" => {
            return match a.into_iter().next() {
                Some(Val::List(l)) if l.len() <= 1 => l.into_iter().next().unwrap_or(Val::Null),
                _ => Val::unknown(),
            };
        }
        "flatten" => {
            return match a.into_iter().next() {
                Some(v) => {
                    let mut out = Vec::new();
                    if flatten(v, &mut out, 0) {
                        Val::List(out)
                    } else {
                        Val::unknown()
                    }
                }
                None => Val::unknown(),
            };
        }
        "compact" => {
            return match a.into_iter().next() {
                Some(Val::List(l)) => Val::List(
                    l.into_iter()
                        .filter(|v| !matches!(v, Val::Null) && v.as_str() != Some(""))
                        .collect(),
                ),
                _ => Val::unknown(),
            };
        }
        _ => {}
    }
    if a.iter().any(Val::has_unknown) {
        return Val::unknown();
    }
    strict(name, a).unwrap_or(Val::unknown())
}

/// Functions that need fully known arguments.
fn strict(name: &str, a: Vec<Val>) -> Option<Val> {
    let s = |i: usize| a.get(i).and_then(Val::to_plain_string);
    let n = |i: usize| a.get(i).and_then(Val::as_number);
    Some(match name {
        "format" => Val::String(format(&s(0)?, &a[1..])?),
        "join" => match a.get(1)? {
            Val::List(l) => Val::String(
                l.iter()
                    .map(Val::to_plain_string)
                    .collect::<Option<Vec<_>>>()?
                    .join(&s(0)?),
            ),
            _ => return None,
        },
        "split" => Val::List(
            s(1)?
                .split(s(0)?.as_str())
                .map(|p| Val::String(p.into()))
                .collect(),
        ),
        "lower" => Val::String(s(0)?.to_lowercase()),
        "upper" => Val::String(s(0)?.to_uppercase()),
        "trimspace" => Val::String(s(0)?.trim().to_string()),
        "trimprefix" => Val::String(
            s(0)?
                .strip_prefix(s(1)?.as_str())
                .map(str::to_string)
                .or(s(0))?,
        ),
        "trimsuffix" => Val::String(
            s(0)?
                .strip_suffix(s(1)?.as_str())
                .map(str::to_string)
                .or(s(0))?,
        ),
        "replace" => Val::String(s(0)?.replace(s(1)?.as_str(), &s(2)?)),
        "startswith" => Val::Bool(s(0)?.starts_with(s(1)?.as_str())),
        "endswith" => Val::Bool(s(0)?.ends_with(s(1)?.as_str())),
        "substr" => {
            let text = s(0)?;
            let (off, len) = (n(1)? as usize, n(2)?);
            let chars = text.chars().skip(off);
            Val::String(if len < 0.0 {
                chars.collect()
            } else {
                chars.take(len as usize).collect()
            })
        }
        "tonumber" => Val::Number(n(0)?),
        "tobool" => Val::Bool(a.first()?.truthy()?),
        "contains" => match a.first()? {
            Val::List(l) => Val::Bool(l.contains(a.get(1)?)),
            _ => return None,
        },
        "distinct" => match a.into_iter().next()? {
            Val::List(l) => Val::List(dedup(l)),
            _ => return None,
        },
        "reverse" => match a.into_iter().next()? {
            Val::List(mut l) => {
                l.reverse();
                Val::List(l)
            }
            _ => return None,
        },
        "sort" => match a.into_iter().next()? {
            Val::List(l) => {
                let mut v: Vec<String> =
                    l.iter().map(Val::to_plain_string).collect::<Option<_>>()?;
                v.sort();
                Val::List(v.into_iter().map(Val::String).collect())
            }
            _ => return None,
        },
        "index" => match a.first()? {
            Val::List(l) => Val::Number(l.iter().position(|v| Some(v) == a.get(1))? as f64),
            _ => return None,
        },
        "slice" => match a.first()? {
            Val::List(l) => {
                let (from, to) = (n(1)? as usize, n(2)? as usize);
                Val::List(l.get(from..to)?.to_vec())
            }
            _ => return None,
        },
        "zipmap" => match (a.first()?, a.get(1)?) {
            (Val::List(k), Val::List(v)) => Val::Map(
                k.iter()
                    .zip(v)
                    .map(|(k, v)| Some((k.to_plain_string()?, v.clone())))
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        },
        "range" => {
            let (start, end, step) = match a.len() {
                1 => (0.0, n(0)?, 1.0),
                2 => (n(0)?, n(1)?, 1.0),
                _ => (n(0)?, n(1)?, n(2)?),
            };
            if step == 0.0 || ((end - start) / step) > MAX_COLLECTION as f64 {
                return None;
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(Val::Number(x));
                x += step;
            }
            Val::List(out)
        }
        "min" | "max" => {
            let nums: Vec<f64> = a.iter().map(Val::as_number).collect::<Option<_>>()?;
            let init = if name == "min" {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            };
            Val::Number(
                nums.into_iter()
                    .fold(init, if name == "min" { f64::min } else { f64::max }),
            )
        }
        "abs" => Val::Number(n(0)?.abs()),
        "ceil" => Val::Number(n(0)?.ceil()),
        "floor" => Val::Number(n(0)?.floor()),
        "sum" => match a.first()? {
            Val::List(l) => Val::Number(l.iter().map(Val::as_number).sum::<Option<f64>>()?),
            _ => return None,
        },
        "jsondecode" => {
            let text = s(0)?;
            if text.len() > 1 << 20 {
                return None;
            }
            Val::from_json(&serde_json::from_str(&text).ok()?)
        }
        "setunion" => {
            let mut out = Vec::new();
            for v in a {
                match v {
                    Val::List(l) => out.extend(l),
                    _ => return None,
                }
            }
            Val::List(dedup(out))
        }
        _ => return None,
    })
}

fn dedup(l: Vec<Val>) -> Vec<Val> {
    let mut out: Vec<Val> = Vec::new();
    for v in l {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

fn flatten(v: Val, out: &mut Vec<Val>, depth: u32) -> bool {
    match v {
        Val::List(l) if depth < 32 => l.into_iter().all(|x| flatten(x, out, depth + 1)),
        Val::Unknown(_) => false,
        v => {
            out.push(v);
            true
        }
    }
}

/// `format` with the verbs modules use: `%s`, `%d`, `%v`, `%q`, `%%`.
fn format(spec: &str, args: &[Val]) -> Option<String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Skip flags and width.
        let mut verb = chars.next()?;
        while verb.is_ascii_digit() || matches!(verb, '.' | '-' | '+' | '#' | ' ') {
            verb = chars.next()?;
        }
        match verb {
            '%' => out.push('%'),
            's' | 'v' => out.push_str(&it.next()?.to_plain_string()?),
            'd' => out.push_str(&format_number(it.next()?.as_number()?.trunc())),
            'q' => out.push_str(&format!("{:?}", it.next()?.to_plain_string()?)),
            _ => return None,
        }
    }
    Some(out)
}
