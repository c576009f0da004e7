//! npm range matching with node-semver semantics.
//!
//! Ranges are `||`-separated sets of whitespace-separated comparators; a set
//! may instead be a hyphen range `A - B`. Comparators are `<`, `<=`, `>`, `>=`,
//! `=` or nothing, tilde (`~`, `~>`) and caret (`^`), each over a possibly
//! partial version (`1`, `1.2`, `1.x`, `*`). Every comparator is desugared into
//! primitive bounds exactly as node-semver does (`^1.2` → `>=1.2.0 <2.0.0-0`).
//! node-semver's pre-release rule applies: a pre-release version satisfies a set
//! only when some comparator in it has a pre-release on the same
//! `major.minor.patch`.
//!
//! Written here rather than taken from `nodejs-semver`, whose loose fallback
//! parser silently reads `>2.0.0 <1.0.0 junk` as `>2.0.0 || <1.0.0` and rejects
//! unsatisfiable sets that node-semver accepts.

use std::cmp::Ordering;

use crate::numeric::Num;
use crate::semver::{Identifier, SemverVersion, parse_core};
use crate::{MAX_VERSION_LEN, Scheme, VersionError};

const SCHEME: Scheme = Scheme::Semver;

/// Longest range expression accepted, in bytes (ranges join several versions).
pub const MAX_RANGE_LEN: usize = 4 * MAX_VERSION_LEN;

/// A primitive comparison against a full version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

#[derive(Debug, Clone)]
struct Comparator {
    op: Op,
    version: SemverVersion,
}

impl Comparator {
    fn matches(&self, v: &SemverVersion) -> bool {
        let ord = v.cmp(&self.version);
        match self.op {
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Eq => ord == Ordering::Equal,
        }
    }
}

/// A possibly partial version: the concrete leading numbers (0 to 3 of them),
/// then wildcards; pre-release only on full versions.
#[derive(Debug, Clone)]
struct Partial {
    nums: Vec<Num>,
    pre: Vec<Identifier>,
}

fn version(nums: [&Num; 3], pre: Vec<Identifier>) -> SemverVersion {
    SemverVersion {
        core: nums.map(Num::clone),
        pre,
        build: Vec::new(),
    }
}

fn zero_pre() -> Vec<Identifier> {
    vec![Identifier::Numeric(Num::zero())]
}

impl Partial {
    fn parse(token: &str) -> Option<Partial> {
        let s = token.trim_start_matches(['=', 'v', 'V']);
        let wild = |p: &str| matches!(p, "x" | "X" | "*");
        let core_end = s.find(['-', '+']).unwrap_or(s.len());
        let parts: Vec<&str> = s[..core_end].split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let concrete = parts.iter().take_while(|p| !wild(p)).count();
        if parts[concrete..]
            .iter()
            .any(|p| !wild(p) && parse_core(p).is_err())
        {
            return None;
        }
        if concrete == 3 {
            let full = parse_core(s).ok()?;
            return Some(Partial {
                nums: full.core.to_vec(),
                pre: full.pre,
            });
        }
        let nums = parts[..concrete]
            .iter()
            .map(|p| parse_core(p).ok().map(|v| v.core[0].clone()))
            .collect::<Option<Vec<_>>>()?;
        let rest = &s[core_end..];
        (rest.is_empty() || (rest.starts_with('+') && parse_core(&format!("0{rest}")).is_ok()))
            .then_some(Partial {
                nums,
                pre: Vec::new(),
            })
    }

    /// The lowest version the partial covers (wildcards as 0).
    fn lower(&self) -> SemverVersion {
        let zero = Num::zero();
        let n = |i: usize| self.nums.get(i).unwrap_or(&zero);
        version([n(0), n(1), n(2)], self.pre.clone())
    }

    /// The first version past a 1- or 2-number partial, as `X.Y.0-0`.
    fn upper(&self) -> SemverVersion {
        let zero = Num::zero();
        match self.nums.as_slice() {
            [major] => version([&major.succ(), &zero, &zero], zero_pre()),
            [major, minor, ..] => version([major, &minor.succ(), &zero], zero_pre()),
            [] => version([&zero, &zero, &zero], zero_pre()),
        }
    }

    fn is_full(&self) -> bool {
        self.nums.len() == 3
    }
}

fn cmp(op: Op, version: SemverVersion) -> Comparator {
    Comparator { op, version }
}

/// A comparator that nothing satisfies (`<0.0.0-0`).
fn nothing() -> Vec<Comparator> {
    let zero = Num::zero();
    vec![cmp(Op::Lt, version([&zero, &zero, &zero], zero_pre()))]
}

/// node-semver's `replaceXRange` for `op` over `p`; an empty vector means "any".
fn primitive(op: &str, p: &Partial) -> Vec<Comparator> {
    let any = p.nums.is_empty();
    match (op, p.is_full()) {
        ("" | "=", true) => vec![cmp(Op::Eq, p.lower())],
        ("" | "=", false) if any => Vec::new(),
        ("" | "=", false) => vec![cmp(Op::Ge, p.lower()), cmp(Op::Lt, p.upper())],
        (">", true) => vec![cmp(Op::Gt, p.lower())],
        (">", false) if any => nothing(),
        (">", false) => vec![cmp(
            Op::Ge,
            SemverVersion {
                pre: Vec::new(),
                ..p.upper()
            },
        )],
        (">=", _) if any => Vec::new(),
        (">=", _) => vec![cmp(Op::Ge, p.lower())],
        ("<", true) => vec![cmp(Op::Lt, p.lower())],
        ("<", false) if any => nothing(),
        ("<", false) => vec![cmp(
            Op::Lt,
            SemverVersion {
                pre: zero_pre(),
                ..p.lower()
            },
        )],
        ("<=", true) => vec![cmp(Op::Le, p.lower())],
        ("<=", false) if any => Vec::new(),
        (_, _) => vec![cmp(Op::Lt, p.upper())],
    }
}

/// Tilde and caret ranges.
fn tilde_caret(caret: bool, p: &Partial) -> Vec<Comparator> {
    let zero = Num::zero();
    let upper = match p.nums.as_slice() {
        [] => return Vec::new(),
        [_] => p.upper(),
        [major, minor, ..]
            if !caret || major.is_zero() && (!minor.is_zero() || p.nums.len() == 2) =>
        {
            version([major, &minor.succ(), &zero], zero_pre())
        }
        [major, minor, patch] if major.is_zero() && minor.is_zero() => {
            version([major, minor, &patch.succ()], zero_pre())
        }
        [major, ..] => version([&major.succ(), &zero, &zero], zero_pre()),
    };
    vec![cmp(Op::Ge, p.lower()), cmp(Op::Lt, upper)]
}

fn comparator(token: &str) -> Option<Vec<Comparator>> {
    const OPS: [&str; 8] = ["<=", ">=", "~>", "<", ">", "=", "~", "^"];
    let op = OPS
        .iter()
        .find(|op| token.starts_with(*op))
        .copied()
        .unwrap_or("");
    let p = Partial::parse(&token[op.len()..])?;
    Some(match op {
        "~" | "~>" => tilde_caret(false, &p),
        "^" => tilde_caret(true, &p),
        _ => primitive(op, &p),
    })
}

/// Parses one `||`-separated set into primitive comparators (empty = any).
fn parse_set(set: &str) -> Option<Vec<Comparator>> {
    let tokens = glue_operators(set);
    if let [low, dash, high] = tokens.as_slice()
        && dash == "-"
    {
        return hyphen(low, high);
    }
    let mut out = Vec::new();
    for token in &tokens {
        out.extend(comparator(token)?);
    }
    Some(out)
}

/// A hyphen range `A - B`: partial bounds widen to cover what they name.
fn hyphen(low: &str, high: &str) -> Option<Vec<Comparator>> {
    let (low, high) = (Partial::parse(low)?, Partial::parse(high)?);
    let mut out = Vec::new();
    if !low.nums.is_empty() {
        out.push(cmp(Op::Ge, low.lower()));
    }
    match high.nums.len() {
        0 => {}
        3 => out.push(cmp(Op::Le, high.lower())),
        _ => out.push(cmp(Op::Lt, high.upper())),
    }
    Some(out)
}

/// Splits on whitespace, gluing a bare operator to the version after it (`>= 1.2`).
fn glue_operators(set: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for token in set.split_whitespace() {
        pending.push_str(token);
        if !token.bytes().all(|c| b"<>=~^".contains(&c)) {
            out.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

/// node-semver's `testSet`, including the pre-release rule.
fn set_satisfied(set: &[Comparator], v: &SemverVersion) -> bool {
    set.iter().all(|c| c.matches(v))
        && (!v.is_prerelease()
            || set
                .iter()
                .any(|c| c.version.is_prerelease() && c.version.core == v.core))
}

/// True when `version` satisfies an npm range expression such as ">=1.2.3 <2.0.0 || ^3.1", "<=4.17.20", "*", "1.x" (node-semver semantics, includes prerelease rules).
pub fn npm_range_satisfies(range: &str, version: &str) -> Result<bool, VersionError> {
    let v = SemverVersion::parse(version)?;
    if range.len() > MAX_RANGE_LEN {
        return Err(VersionError::TooLong {
            scheme: SCHEME,
            len: range.len(),
            max: MAX_RANGE_LEN,
        });
    }
    if range.chars().any(char::is_control) {
        return Err(VersionError::invalid_range(
            SCHEME,
            range,
            "contains control characters",
        ));
    }
    let mut satisfied = false;
    for set in range.split("||") {
        let set = parse_set(set)
            .ok_or_else(|| VersionError::invalid_range(SCHEME, range, "not an npm range"))?;
        satisfied |= set_satisfied(&set, &v);
    }
    Ok(satisfied)
}

#[cfg(test)]
#[path = "npm_tests.rs"]
mod tests;
