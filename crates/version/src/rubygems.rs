//! Ruby gem versions (`Gem::Version`) and requirements (`Gem::Requirement`).
//!
//! A version is split on `.` and on digit/letter boundaries; `-` means `.pre.`.
//! Any letter segment makes the version a pre-release, sorting before the
//! release. Trailing zeros are ignored, separately for the numeric prefix and for
//! the part from the first letter segment on (`Gem::Version#canonical_segments`).

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::Num;
use crate::{MAX_VERSION_LEN, Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::RubyGems;

/// One version segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    Number(Num),
    Text(String),
}

impl Ord for Segment {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Segment::Number(a), Segment::Number(b)) => a.cmp(b),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
            (Segment::Text(a), Segment::Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Segment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Number(n) => write!(f, "{n}"),
            Segment::Text(t) => f.write_str(t),
        }
    }
}

/// A parsed gem version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    text: String,
    segments: Vec<Segment>,
    canonical: Vec<Segment>,
}

impl GemVersion {
    /// Parses a version matching `Gem::Version::ANCHORED_VERSION_PATTERN`:
    /// `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`.
    ///
    /// Unlike Ruby, the empty string is rejected instead of meaning `0`.
    pub fn parse(input: &str) -> Result<GemVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        if !valid(s) {
            return Err(VersionError::invalid(SCHEME, input, "not a gem version"));
        }
        let text = s.replace('-', ".pre.");
        let segments = split_segments(&text);
        let canonical = canonical(&segments);
        Ok(GemVersion {
            text: s.to_owned(),
            segments,
            canonical,
        })
    }

    /// True when any segment contains a letter.
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Text(_)))
    }

    /// `Gem::Version#release`: the version with its letter segments (and what follows) removed.
    pub fn release(&self) -> GemVersion {
        let numbers: Vec<Segment> = self
            .segments
            .iter()
            .take_while(|s| matches!(s, Segment::Number(_)))
            .cloned()
            .collect();
        from_segments(numbers)
    }

    /// `Gem::Version#bump`: drop letter segments and the last number, increment the new last.
    pub fn bump(&self) -> GemVersion {
        let mut numbers: Vec<Num> = self
            .segments
            .iter()
            .take_while(|s| matches!(s, Segment::Number(_)))
            .filter_map(|s| match s {
                Segment::Number(n) => Some(n.clone()),
                Segment::Text(_) => None,
            })
            .collect();
        if numbers.len() > 1 {
            numbers.pop();
        }
        if let Some(last) = numbers.last_mut() {
            *last = last.succ();
        }
        from_segments(numbers.into_iter().map(Segment::Number).collect())
    }
}

fn from_segments(segments: Vec<Segment>) -> GemVersion {
    let text = segments
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(".");
    let canonical = canonical(&segments);
    GemVersion {
        text,
        segments,
        canonical,
    }
}

fn valid(s: &str) -> bool {
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|q| !q.is_empty() && q.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

/// `version.scan(/[0-9]+|[a-z]+/i)`.
fn split_segments(s: &str) -> Vec<Segment> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let digit = b[i].is_ascii_digit();
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() && b[i].is_ascii_digit() == digit {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let run = &s[start..i];
        out.push(if digit {
            Segment::Number(Num::from_digits(run))
        } else {
            Segment::Text(run.to_owned())
        });
    }
    out
}

/// `canonical_segments`: trailing zeros dropped from the numeric prefix and from the rest.
fn canonical(segments: &[Segment]) -> Vec<Segment> {
    let split = segments
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(segments.len());
    let trim = |part: &[Segment]| {
        let keep = part
            .iter()
            .rposition(|s| !matches!(s, Segment::Number(n) if n.is_zero()))
            .map_or(0, |i| i + 1);
        part[..keep].to_vec()
    };
    let mut out = trim(&segments[..split]);
    out.extend(trim(&segments[split..]));
    out
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number(Num::zero());
        let len = self.canonical.len().max(other.canonical.len());
        (0..len)
            .map(|i| {
                let a = self.canonical.get(i).unwrap_or(&zero);
                let b = other.canonical.get(i).unwrap_or(&zero);
                a.cmp(b)
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
}

crate::order_from_ord!(GemVersion);

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A requirement operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GemOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `~>` (pessimistic)
    Pessimistic,
}

/// One `Gem::Requirement` clause such as `~> 1.2.3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GemRequirement {
    /// The operator (`=` when omitted).
    pub op: GemOp,
    /// The version operand.
    pub version: GemVersion,
}

impl GemRequirement {
    /// Parses `[op] version`, e.g. `~> 1.2`, `>= 1.2.5`, `1.0`.
    pub fn parse(input: &str) -> Result<GemRequirement, VersionError> {
        if input.len() > MAX_VERSION_LEN {
            return Err(VersionError::TooLong {
                scheme: SCHEME,
                len: input.len(),
                max: MAX_VERSION_LEN,
            });
        }
        let s = input.trim();
        let ops = [
            ("~>", GemOp::Pessimistic),
            (">=", GemOp::Ge),
            ("<=", GemOp::Le),
            ("!=", GemOp::Ne),
            ("=", GemOp::Eq),
            (">", GemOp::Gt),
            ("<", GemOp::Lt),
        ];
        let (op, rest) = ops
            .iter()
            .find_map(|(text, op)| s.strip_prefix(text).map(|rest| (*op, rest)))
            .unwrap_or((GemOp::Eq, s));
        let version = GemVersion::parse(rest)
            .map_err(|_| VersionError::invalid_range(SCHEME, input, "not a gem requirement"))?;
        Ok(GemRequirement { op, version })
    }

    /// True when `v` satisfies this clause (`Gem::Requirement::OPS`).
    pub fn matches(&self, v: &GemVersion) -> bool {
        let r = &self.version;
        match self.op {
            GemOp::Eq => v == r,
            GemOp::Ne => v != r,
            GemOp::Gt => v > r,
            GemOp::Lt => v < r,
            GemOp::Ge => v >= r,
            GemOp::Le => v <= r,
            GemOp::Pessimistic => v >= r && v.release() < r.bump(),
        }
    }
}

/// True when `version` satisfies a RubyGems requirement list (all must hold), e.g. ["~> 1.2.3", ">= 1.2.5"]; operators = != > < >= <= ~>.
///
/// An element may itself hold comma-separated clauses (`"~> 1.2, >= 1.2.5"`). An
/// empty list is satisfied by every version, like `Gem::Requirement.default`.
pub fn gem_requirements_satisfied(
    requirements: &[&str],
    version: &str,
) -> Result<bool, VersionError> {
    let v = GemVersion::parse(version)?;
    let mut all = true;
    for element in requirements {
        for clause in element.split(',') {
            all &= GemRequirement::parse(clause)?.matches(&v);
        }
    }
    Ok(all)
}

#[cfg(test)]
#[path = "rubygems_tests.rs"]
mod tests;
