//! Condition operators and their evaluation against a request.
//!
//! Semantics follow the IAM documentation: several keys in one operator and several operators in one
//! block are ANDed; several values for one key are ORed (for negated operators: the request value must
//! match none of them); a key absent from the request makes a condition false, except for negated
//! operators, `…IfExists`, `ForAllValues:` (true) and `Null`. An unknown operator never grants: in an
//! Allow statement it is false, in a Deny statement it is treated as matching.

use crate::context::Request;
use crate::policy::Effect;
use crate::variables;
use crate::wildcard;
use std::net::IpAddr;

/// Three-valued logic for what-if analysis with an unknown request context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    /// Depends on request context keys that are not known.
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    /// AND of two values.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }
}

/// The base comparison of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
    /// Not an operator IAM knows.
    Unknown,
}

impl OpKind {
    fn negated(self) -> bool {
        use OpKind::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    fn parse(name: &str) -> OpKind {
        use OpKind::*;
        match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => Unknown,
        }
    }
}

/// A set operator prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    ForAnyValue,
    ForAllValues,
}

/// A full condition operator: `[ForAnyValue:|ForAllValues:]Kind[IfExists]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub kind: OpKind,
    pub if_exists: bool,
    pub set: Option<SetOp>,
}

impl Operator {
    /// Parses an operator name; unknown names give [`OpKind::Unknown`].
    pub fn parse(name: &str) -> Operator {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetOp::ForAnyValue), r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetOp::ForAllValues), r)
        } else {
            (None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) if b != "Null" => (true, b),
            _ => (false, rest),
        };
        Operator {
            name: name.to_string(),
            kind: OpKind::parse(base),
            if_exists,
            set,
        }
    }

    /// Whether IAM does not know this operator.
    pub fn is_unknown(&self) -> bool {
        self.kind == OpKind::Unknown
    }
}

/// One operator applied to one key with its policy values.
#[derive(Debug, Clone)]
pub struct ConditionClause {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
}

impl ConditionClause {
    /// A clause.
    pub fn new(operator: Operator, key: &str, values: Vec<String>) -> ConditionClause {
        ConditionClause {
            operator,
            key: key.to_string(),
            values,
        }
    }

    /// A clause standing for a malformed or unknown condition.
    pub fn unknown(name: &str) -> ConditionClause {
        ConditionClause::new(Operator::parse(name), "", Vec::new()).into_unknown()
    }

    fn into_unknown(mut self) -> ConditionClause {
        self.operator.kind = OpKind::Unknown;
        self
    }

    /// Evaluates the clause for a statement with `effect`.
    pub fn evaluate(&self, req: &Request, effect: Effect) -> Tri {
        let op = &self.operator;
        if op.kind == OpKind::Unknown {
            return Tri::from(effect == Effect::Deny);
        }
        let present = req.value(&self.key);
        let Some(present) = present else {
            if !req.is_absent_known(&self.key) {
                return Tri::Unknown;
            }
            return Tri::from(match op.kind {
                OpKind::Null => self.values.iter().any(|v| v.eq_ignore_ascii_case("true")),
                _ if op.if_exists => true,
                _ => match op.set {
                    Some(SetOp::ForAllValues) => true,
                    Some(SetOp::ForAnyValue) => false,
                    None => op.kind.negated(),
                },
            });
        };
        if op.kind == OpKind::Null {
            return Tri::from(self.values.iter().any(|v| v.eq_ignore_ascii_case("false")));
        }
        let request_values = present.values();
        let one = |x: &str| self.matches_value(x, req);
        Tri::from(match op.set {
            Some(SetOp::ForAllValues) => request_values.iter().all(|x| one(x)),
            // Without a set operator a multivalued key behaves like ForAnyValue.
            _ => request_values.iter().any(|x| one(x)),
        })
    }

    /// Whether one request value satisfies the clause (negation applied).
    fn matches_value(&self, x: &str, req: &Request) -> bool {
        let any = self
            .values
            .iter()
            .any(|p| positive(self.operator.kind, x, p, req));
        if self.operator.kind.negated() {
            !any
        } else {
            any
        }
    }
}

/// The positive form of an operator on one request value and one policy value.
fn positive(kind: OpKind, x: &str, policy: &str, req: &Request) -> bool {
    use OpKind::*;
    let lit = || variables::resolve_literal(policy, req);
    match kind {
        StringEquals | StringNotEquals => lit().is_some_and(|p| p == x),
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            lit().is_some_and(|p| p.eq_ignore_ascii_case(x))
        }
        StringLike | StringNotLike => variables::resolve(policy, req)
            .is_some_and(|t| wildcard::matches(&t, x.as_bytes(), false)),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
            variables::resolve(policy, req).is_some_and(|t| wildcard::matches_arn(&t, x))
        }
        NumericEquals | NumericNotEquals => num(x, policy, |a, b| a == b),
        NumericLessThan => num(x, policy, |a, b| a < b),
        NumericLessThanEquals => num(x, policy, |a, b| a <= b),
        NumericGreaterThan => num(x, policy, |a, b| a > b),
        NumericGreaterThanEquals => num(x, policy, |a, b| a >= b),
        DateEquals | DateNotEquals => date(x, policy, |a, b| a == b),
        DateLessThan => date(x, policy, |a, b| a < b),
        DateLessThanEquals => date(x, policy, |a, b| a <= b),
        DateGreaterThan => date(x, policy, |a, b| a > b),
        DateGreaterThanEquals => date(x, policy, |a, b| a >= b),
        Bool => lit().is_some_and(|p| p.eq_ignore_ascii_case(x)),
        BinaryEquals => lit().is_some_and(|p| p.trim_end_matches('=') == x.trim_end_matches('=')),
        IpAddress | NotIpAddress => ip_in(x, policy),
        Null | Unknown => false,
    }
}

fn num(x: &str, p: &str, f: impl Fn(f64, f64) -> bool) -> bool {
    match (x.trim().parse::<f64>(), p.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => f(a, b),
        _ => false,
    }
}

/// Parses an ISO 8601 date/time (with or without zone; a bare date is midnight UTC) or epoch seconds.
pub fn parse_date(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return jiff::Timestamp::from_second(secs).ok();
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return jiff::tz::TimeZone::UTC.to_timestamp(dt).ok();
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return jiff::tz::TimeZone::UTC
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .ok();
    }
    None
}

fn date(x: &str, p: &str, f: impl Fn(jiff::Timestamp, jiff::Timestamp) -> bool) -> bool {
    match (parse_date(x), parse_date(p)) {
        (Some(a), Some(b)) => f(a, b),
        _ => false,
    }
}

fn ip_in(x: &str, policy: &str) -> bool {
    let Ok(addr) = x.trim().parse::<IpAddr>() else {
        return false;
    };
    let p = policy.trim();
    if let Ok(net) = p.parse::<ipnet::IpNet>() {
        return net.contains(&addr);
    }
    p.parse::<IpAddr>().is_ok_and(|a| a == addr)
}
