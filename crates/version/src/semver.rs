//! SemVer 2.0.0 versions (crates.io, npm, Hex and OSV `SEMVER` ranges).
//!
//! Precedence follows semver.org §11: major, minor, patch numerically; a
//! pre-release sorts before the release; pre-release identifiers compare
//! numerically when numeric, lexically (ASCII) otherwise, numeric before
//! alphanumeric, and a shorter identifier list first. Build metadata is ignored.
//!
//! Tolerances for OSV data: a leading `v` is accepted, and `1` / `1.2` are read as
//! `1.0.0` / `1.2.0` (OSV's `introduced: "0"` is the common case).

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::Num;
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Semver;

/// One dot-separated pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identifier {
    /// All digits, compared numerically.
    Numeric(Num),
    /// Contains a letter or hyphen, compared in ASCII order.
    AlphaNumeric(String),
}

impl Ord for Identifier {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Identifier::Numeric(a), Identifier::Numeric(b)) => a.cmp(b),
            (Identifier::Numeric(_), Identifier::AlphaNumeric(_)) => Ordering::Less,
            (Identifier::AlphaNumeric(_), Identifier::Numeric(_)) => Ordering::Greater,
            (Identifier::AlphaNumeric(a), Identifier::AlphaNumeric(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Numeric(n) => write!(f, "{n}"),
            Identifier::AlphaNumeric(s) => f.write_str(s),
        }
    }
}

/// A parsed SemVer 2.0.0 version.
#[derive(Debug, Clone)]
pub struct SemverVersion {
    /// Major, minor and patch.
    pub core: [Num; 3],
    /// Pre-release identifiers (empty for a release).
    pub pre: Vec<Identifier>,
    /// Build metadata identifiers (ignored for ordering).
    pub build: Vec<String>,
}

impl SemverVersion {
    /// Parses `[v]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`.
    pub fn parse(input: &str) -> Result<SemverVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        parse_core(s).map_err(|reason| VersionError::invalid(SCHEME, input, reason))
    }

    /// True when the version has pre-release identifiers.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

/// Parses a version without prefix; shared with the Go scheme.
pub(crate) fn parse_core(s: &str) -> Result<SemverVersion, &'static str> {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return Err("more than three numeric components");
    }
    let mut nums = [Num::zero(), Num::zero(), Num::zero()];
    for (slot, part) in nums.iter_mut().zip(&parts) {
        *slot =
            numeric(part).ok_or("major, minor and patch must be numbers without leading zeros")?;
    }
    let pre = match pre {
        Some(p) => idents(p)?
            .into_iter()
            .map(|id| match numeric(id) {
                Some(n) => Ok(Identifier::Numeric(n)),
                None if id.bytes().all(|c| c.is_ascii_digit()) => {
                    Err("numeric identifier has a leading zero")
                }
                None => Ok(Identifier::AlphaNumeric(id.to_owned())),
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let build = match build {
        Some(b) => idents(b)?.into_iter().map(str::to_owned).collect(),
        None => Vec::new(),
    };
    Ok(SemverVersion {
        core: nums,
        pre,
        build,
    })
}

/// A number with no leading zero (other than `0` itself).
fn numeric(s: &str) -> Option<Num> {
    let digits = !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    (digits && (s == "0" || !s.starts_with('0'))).then(|| Num::from_digits(s))
}

/// Splits dot-separated identifiers of `[0-9A-Za-z-]`, rejecting empty ones.
fn idents(s: &str) -> Result<Vec<&str>, &'static str> {
    let ids: Vec<&str> = s.split('.').collect();
    let valid =
        |id: &&str| !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    if ids.iter().all(valid) {
        Ok(ids)
    } else {
        Err("identifiers must be non-empty [0-9A-Za-z-]")
    }
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core
            .cmp(&other.core)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

crate::order_from_ord!(SemverVersion);

impl fmt::Display for SemverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch] = &self.core;
        write!(f, "{major}.{minor}.{patch}")?;
        for (i, id) in self.pre.iter().enumerate() {
            write!(f, "{}{id}", if i == 0 { '-' } else { '.' })?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build.join("."))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_laws::{assert_ascending, assert_total_order};
    use proptest::prelude::*;

    fn v(s: &str) -> SemverVersion {
        SemverVersion::parse(s).unwrap()
    }

    #[test]
    fn semver_org_precedence() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "1.9.0",
            "1.10.0",
            "1.11.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        assert_ascending(&chain.map(v));
    }

    #[test]
    fn vectors() {
        let cases = [
            ("1.0.0+build.1", "1.0.0+build.2", Ordering::Equal),
            ("v1.2.3", "1.2.3", Ordering::Equal),
            ("0", "0.0.0", Ordering::Equal),
            ("1.2", "1.2.0", Ordering::Equal),
            ("0", "0.0.0-alpha", Ordering::Greater),
            ("1.0.0-1", "1.0.0-a", Ordering::Less),
            ("1.0.0-2", "1.0.0-10", Ordering::Less),
            ("1.0.0-a-b", "1.0.0-a", Ordering::Greater),
            ("1.0.0-A", "1.0.0-a", Ordering::Less),
            ("1.0.0-alpha.1", "1.0.0-alpha.1.0", Ordering::Less),
            (
                "18446744073709551616.0.0",
                "18446744073709551615.0.0",
                Ordering::Greater,
            ),
            (
                "1.0.0-99999999999999999999999",
                "1.0.0-99999999999999999999998",
                Ordering::Greater,
            ),
            ("1.0.0-0.3.7", "1.0.0-x.7.z.92", Ordering::Less),
            ("1.0.0-x-y-z.--", "1.0.0-x-y-z.-", Ordering::Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(v(a).cmp(&v(b)), want, "{a} vs {b}");
        }
        assert_eq!(v("v1.2.3-rc.1+b.5").to_string(), "1.2.3-rc.1+b.5");
        assert!(v("1.0.0-rc.1").is_prerelease());
    }

    #[test]
    fn rejects_malformed() {
        let bad = [
            "",
            "v",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "1..2",
            "1.2.",
            ".",
            "...",
            "1.2.3-a_b",
            "a.b.c",
            "-1.2.3",
            "1.2.3+a+b",
            "1.2.3-é",
            "vv1.2.3",
        ];
        for s in bad {
            assert!(SemverVersion::parse(s).is_err(), "{s:?}");
        }
        assert!(SemverVersion::parse(&format!("1.2.3-{}", "a".repeat(300))).is_err());
    }

    fn version() -> impl Strategy<Value = String> {
        let num = "(0|[1-9][0-9]{0,2})";
        let ident = "(0|[1-9][0-9]{0,2}|[a-zA-Z-][0-9a-zA-Z-]{0,3})";
        (
            num,
            num,
            num,
            proptest::collection::vec(ident, 0..3),
            proptest::collection::vec("[0-9a-z]{1,3}", 0..2),
        )
            .prop_map(|(a, b, c, pre, build)| {
                let mut s = format!("{a}.{b}.{c}");
                if !pre.is_empty() {
                    s = format!("{s}-{}", pre.join("."));
                }
                if !build.is_empty() {
                    s = format!("{s}+{}", build.join("."));
                }
                s
            })
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            let [a, b, c] = [&a, &b, &c].map(|s| v(s));
            assert_total_order(&a, &b, &c);
        }

        #[test]
        fn display_round_trips(s in version()) {
            prop_assert_eq!(v(&s).to_string(), s);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}", t in "[0-9a-z.+v-]{0,20}") {
            let _ = SemverVersion::parse(&s);
            let _ = crate::compare(SCHEME, &s, &t);
        }
    }
}
