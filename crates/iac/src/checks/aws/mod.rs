//! AWS checks, one module per service, plus the helpers they share.

pub mod cloudtrail;
pub mod cloudwatch;
pub mod config;
pub mod ebs;
pub mod ec2;
pub mod eks;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod nacl;
pub mod policy;
pub mod rds;
pub mod s3;
pub mod vpc;

use super::Check;
use crate::resource::{Attr, Outcome, Resource};
use serde_json::Value as Json;

/// Every service's checks.
pub const CATALOGUE: &[&[Check]] = &[
    s3::CHECKS,
    vpc::CHECKS,
    nacl::CHECKS,
    ec2::CHECKS,
    ebs::CHECKS,
    iam::CHECKS,
    kms::CHECKS,
    cloudtrail::CHECKS,
    cloudwatch::CHECKS,
    config::CHECKS,
    rds::CHECKS,
    eks::CHECKS,
    lambda::CHECKS,
];

/// A fact about a resource: known, absent (not set), or unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fact<T> {
    Known(T),
    Absent,
    Unknown,
}

impl<T> Fact<T> {
    /// Known value, or `default` when absent; `None` when unknown.
    pub fn or_default(self, default: T) -> Option<T> {
        match self {
            Fact::Known(v) => Some(v),
            Fact::Absent => Some(default),
            Fact::Unknown => None,
        }
    }
}

/// Booleans as Terraform and CloudFormation write them (`true`, `"true"`).
pub fn as_bool(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Numbers, also when written as strings.
pub fn as_num(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn fact<'a, T>(a: Attr<'a>, conv: impl Fn(&'a Json) -> Option<T>) -> Fact<T> {
    match a {
        Attr::Known(Json::Null) | Attr::Absent => Fact::Absent,
        Attr::Known(v) => conv(v).map(Fact::Known).unwrap_or(Fact::Unknown),
        Attr::Unknown => Fact::Unknown,
    }
}

pub fn bool_at(r: &Resource, path: &str) -> Fact<bool> {
    fact(r.get(path), as_bool)
}

pub fn num_at(r: &Resource, path: &str) -> Fact<f64> {
    fact(r.get(path), as_num)
}

pub fn str_at<'a>(r: &'a Resource, path: &str) -> Fact<&'a str> {
    fact(r.get(path), Json::as_str)
}

/// A list of strings at `path` (a single string counts as a one-element list).
pub fn strs_at<'a>(r: &'a Resource, path: &str) -> Fact<Vec<&'a str>> {
    fact(r.get(path), |v| match v {
        Json::Array(a) => a.iter().map(Json::as_str).collect(),
        Json::String(s) => Some(vec![s.as_str()]),
        _ => None,
    })
}

/// `flag` must be known true; absent means `default`.
pub fn require_true(r: &Resource, path: &str, default: bool, fail: &str) -> Outcome {
    match bool_at(r, path).or_default(default) {
        Some(true) => Outcome::Pass,
        Some(false) => Outcome::fail(fail),
        None => Outcome::unknown(path),
    }
}

/// Same as [`require_true`] for a flag that must be false.
pub fn require_false(r: &Resource, path: &str, default: bool, fail: &str) -> Outcome {
    match bool_at(r, path).or_default(default) {
        Some(false) => Outcome::Pass,
        Some(true) => Outcome::fail(fail),
        None => Outcome::unknown(path),
    }
}

/// A non-empty value must be set at `path`. An unknown value that comes from a reference to another
/// resource counts as set (references are never null); any other unknown value is undecidable.
pub fn require_set(r: &Resource, path: &str, fail: &str) -> Outcome {
    match r.get(path) {
        Attr::Unknown if r.reference(path).is_some() => Outcome::Pass,
        Attr::Unknown => Outcome::unknown(path),
        Attr::Known(Json::Null) | Attr::Absent => Outcome::fail(fail),
        Attr::Known(Json::String(s)) if s.is_empty() => Outcome::fail(fail),
        Attr::Known(Json::Array(a)) if a.is_empty() => Outcome::fail(fail),
        Attr::Known(_) => Outcome::Pass,
    }
}
