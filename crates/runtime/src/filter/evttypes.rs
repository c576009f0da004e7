//! The event types a condition can match, computed like libsinsp: `evt.type = X` and
//! `evt.type in (…)` restrict, `!=` and negations widen, any other check leaves all types possible.
//! Rules whose set is unbounded get `LOAD_NO_EVTTYPE` and go into the engine's catch-all bucket.

use super::ast::{Expr, FieldExpr, Op, Rhs};
use std::collections::BTreeSet;

/// A set of event types: a finite set, or every type except some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvtTypes {
    Only(BTreeSet<String>),
    AllExcept(BTreeSet<String>),
}

impl EvtTypes {
    fn all() -> EvtTypes {
        EvtTypes::AllExcept(BTreeSet::new())
    }

    fn none() -> EvtTypes {
        EvtTypes::Only(BTreeSet::new())
    }

    /// True when the set is unbounded (the rule can match almost any event type).
    pub fn is_unbounded(&self) -> bool {
        matches!(self, EvtTypes::AllExcept(_))
    }

    /// True when `t` is in the set.
    pub fn contains(&self, t: &str) -> bool {
        match self {
            EvtTypes::Only(s) => s.contains(t),
            EvtTypes::AllExcept(s) => !s.contains(t),
        }
    }

    fn complement(self) -> EvtTypes {
        match self {
            EvtTypes::Only(s) => EvtTypes::AllExcept(s),
            EvtTypes::AllExcept(s) => EvtTypes::Only(s),
        }
    }

    fn intersect(self, other: EvtTypes) -> EvtTypes {
        use EvtTypes::*;
        match (self, other) {
            (Only(a), Only(b)) => Only(a.intersection(&b).cloned().collect()),
            (Only(a), AllExcept(b)) | (AllExcept(b), Only(a)) => {
                Only(a.difference(&b).cloned().collect())
            }
            (AllExcept(a), AllExcept(b)) => AllExcept(a.union(&b).cloned().collect()),
        }
    }

    fn union(self, other: EvtTypes) -> EvtTypes {
        self.complement().intersect(other.complement()).complement()
    }

    /// The types `expr` may match (macros must already be expanded).
    pub fn of(expr: &Expr) -> EvtTypes {
        may(expr)
    }
}

fn is_evt_type(f: &FieldExpr) -> bool {
    matches!(f, FieldExpr::Field { name, arg: None } if name == "evt.type")
}

/// Types for which the expression may be true.
fn may(e: &Expr) -> EvtTypes {
    match e {
        Expr::And(v) => v.iter().map(may).fold(EvtTypes::all(), EvtTypes::intersect),
        Expr::Or(v) => v.iter().map(may).fold(EvtTypes::none(), EvtTypes::union),
        Expr::Not(inner) => must(inner).complement(),
        Expr::Macro(_) => EvtTypes::all(),
        Expr::Check(_) => check_set(e).unwrap_or_else(EvtTypes::all),
    }
}

/// Types for which the expression is certainly true.
fn must(e: &Expr) -> EvtTypes {
    match e {
        Expr::And(v) => v
            .iter()
            .map(must)
            .fold(EvtTypes::all(), EvtTypes::intersect),
        Expr::Or(v) => v.iter().map(must).fold(EvtTypes::none(), EvtTypes::union),
        Expr::Not(inner) => may(inner).complement(),
        Expr::Macro(_) => EvtTypes::none(),
        Expr::Check(_) => check_set(e).unwrap_or_else(EvtTypes::none),
    }
}

fn check_set(e: &Expr) -> Option<EvtTypes> {
    let Expr::Check(c) = e else { return None };
    if !is_evt_type(&c.field) {
        return None;
    }
    match (&c.rhs, c.op) {
        (Rhs::Value(v), Op::Eq) => Some(EvtTypes::Only([v.text.clone()].into())),
        (Rhs::Value(v), Op::Ne) => Some(EvtTypes::AllExcept([v.text.clone()].into())),
        (Rhs::List(items), Op::In) => Some(EvtTypes::Only(
            items.iter().map(|l| l.text.clone()).collect(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;

    fn types(s: &str) -> EvtTypes {
        EvtTypes::of(&parse(s).unwrap())
    }

    #[test]
    fn like_libsinsp() {
        assert!(!types("evt.type=execve and not proc.name=foo").is_unbounded());
        assert!(types("not evt.type in (execve, open)").is_unbounded());
        assert!(types("evt.type in (execve, open) or evt.type!=connect").is_unbounded());
        assert!(types("proc.name=foo").is_unbounded());
        assert!(!types("not proc.name=foo and evt.type=execve").is_unbounded());
        assert_eq!(
            types("evt.type=execve and proc.name=foo or evt.type in (open, connect)"),
            EvtTypes::Only(["connect", "execve", "open"].map(String::from).into())
        );
    }
}
