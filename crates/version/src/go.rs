//! Go module versions and Go toolchain (standard library) versions.
//!
//! Module versions are SemVer with a `v` prefix; `+incompatible` is build
//! metadata and ignored for ordering; pseudo-versions
//! (`v0.0.0-20210101000000-abcdef123456`, `v1.2.4-0.20210101000000-abcdef123456`)
//! are ordinary pre-releases and so order correctly. As in `golang.org/x/mod/semver`,
//! `v1` and `v1.2` mean `v1.0.0` and `v1.2.0`.
//!
//! Toolchain versions (`go1.21.3`, `go1.21rc2`, `go1.20`) are mapped the way the Go
//! vulnerability database does: `go1.21rc2` → `1.21.0-rc.2`, `go1.20` → `1.20.0`.
//! This differs from `go/version`, where the language version `go1.21` sorts
//! before `go1.21rc1`; for vulnerability ranges `1.20 == 1.20.0` is what is meant.

use std::cmp::Ordering;
use std::fmt;

use crate::semver::{SemverVersion, parse_core};
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Go;

/// A parsed Go module or toolchain version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion(SemverVersion);

impl GoVersion {
    /// Parses `v1.2.3…`, `1.2.3…`, `go1.21.3`, `go1.21rc2` or `1.21rc2`.
    pub fn parse(input: &str) -> Result<GoVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        let bad = |reason| VersionError::invalid(SCHEME, input, reason);
        if let Some(rest) = s.strip_prefix("go") {
            return toolchain(rest)
                .map(GoVersion)
                .ok_or_else(|| bad("not a Go toolchain version"));
        }
        let rest = s.strip_prefix('v').unwrap_or(s);
        match parse_core(rest) {
            Ok(v) => Ok(GoVersion(v)),
            Err(reason) => toolchain(rest).map(GoVersion).ok_or_else(|| bad(reason)),
        }
    }

    /// The equivalent SemVer version.
    pub fn semver(&self) -> &SemverVersion {
        &self.0
    }

    /// True for module pseudo-versions such as `v0.0.0-20210101000000-abcdef123456`.
    pub fn is_pseudo(&self) -> bool {
        let pre = self
            .0
            .pre
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(".");
        let Some(tail) = pre.rsplit('.').next() else {
            return false;
        };
        let mut fields = tail.split('-');
        let (stamp, hash) = match (fields.next(), fields.next(), fields.next()) {
            (Some(s), Some(h), None) => (s, h),
            (Some(_), Some(s), Some(h)) => (s, h),
            _ => return false,
        };
        stamp.len() == 14 && stamp.bytes().all(|c| c.is_ascii_digit()) && hash.len() >= 12
    }
}

/// Parses a toolchain version without its `go` prefix: `1.21.3`, `1.21rc2`, `1.9.2rc2`.
fn toolchain(s: &str) -> Option<SemverVersion> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (nums, pre) = s.split_at(split);
    let mut v = parse_core(nums).ok()?;
    if !v.pre.is_empty() || !v.build.is_empty() || nums.split('.').count() > 3 {
        return None;
    }
    if pre.is_empty() {
        return Some(v);
    }
    let digits = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
    let (label, n) = pre.split_at(digits);
    if !matches!(label, "alpha" | "beta" | "rc") {
        return None;
    }
    let tag = if n.is_empty() {
        label.to_owned()
    } else {
        format!("{label}.{n}")
    };
    v.pre = parse_core(&format!("0.0.0-{tag}")).ok()?.pre;
    Some(v)
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// Compares two Go versions; a convenience over [`GoVersion::parse`].
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(GoVersion::parse(a)?.cmp(&GoVersion::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_laws::{assert_ascending, assert_total_order};
    use proptest::prelude::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    fn v(s: &str) -> GoVersion {
        GoVersion::parse(s).unwrap()
    }

    #[test]
    fn module_vectors() {
        let cases = [
            ("v1.2.3", "1.2.3", Equal),
            ("v2.0.0+incompatible", "v2.0.0", Equal),
            ("v1", "v1.0.0", Equal),
            ("v1.2", "v1.2.0", Equal),
            ("v0.0.0-20210101000000-abcdef123456", "v0.0.1", Less),
            (
                "v0.0.0-20210101000000-abcdef123456",
                "v0.0.0-20220101000000-abcdef123456",
                Less,
            ),
            ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.3", Greater),
            ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4", Less),
            ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4-rc.1", Less),
            (
                "v1.2.4-rc.1.0.20210101000000-abcdef123456",
                "v1.2.4-rc.1",
                Greater,
            ),
            ("v1.10.0", "v1.9.0", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare(a, b), Ok(want), "{a} vs {b}");
        }
        assert!(v("v0.0.0-20210101000000-abcdef123456").is_pseudo());
        assert!(v("v1.2.4-0.20210101000000-abcdef123456").is_pseudo());
        assert!(v("v1.2.4-rc.1.0.20210101000000-abcdef123456").is_pseudo());
        assert!(!v("v1.2.4-rc.1").is_pseudo());
    }

    #[test]
    fn toolchain_vectors() {
        let chain = [
            "go1.9",
            "go1.9.2rc2",
            "go1.9.2",
            "go1.20",
            "go1.20.1",
            "go1.21beta1",
            "go1.21rc1",
            "go1.21rc2",
            "go1.21.0",
            "go1.21.3",
            "go1.21.10",
            "go1.22rc1",
        ];
        assert_ascending(&chain.map(v));
        assert_eq!(compare("go1.20", "1.20.0"), Ok(Equal));
        assert_eq!(compare("go1.21rc2", "v1.21.0-rc.2"), Ok(Equal));
        assert_eq!(compare("1.21rc2", "go1.21rc2"), Ok(Equal));
        assert_eq!(compare("go1.21.3", "1.21.3"), Ok(Equal));
        assert_eq!(v("go1.21rc2").to_string(), "v1.21.0-rc.2");
    }

    #[test]
    fn rejects_malformed() {
        let bad = [
            "",
            "v",
            "go",
            "go1.21x1",
            "go1.21.3.4",
            "v1.2.3.4",
            "v01.2.3",
            "go1..2",
            "vv1",
            "1.2.3-",
            "gov1.2.3",
            "go1.21rc",
            "go1.21-rc1",
            "1.x",
        ];
        for s in bad {
            if s == "go1.21rc" {
                // `rc` without a number is accepted as `1.21.0-rc`.
                assert!(GoVersion::parse(s).is_ok());
                continue;
            }
            assert!(GoVersion::parse(s).is_err(), "{s:?}");
        }
    }

    fn version() -> impl Strategy<Value = String> {
        let n = "(0|[1-9][0-9]{0,2})";
        let pre = proptest::option::of("(rc\\.[1-9]|beta\\.[0-9]|0\\.20[0-9]{12}-[0-9a-f]{12})");
        (n, n, n, pre, proptest::bool::ANY).prop_map(|(a, b, c, pre, inc)| {
            let mut s = format!("v{a}.{b}.{c}");
            if let Some(p) = pre {
                s = format!("{s}-{p}");
            }
            if inc {
                s.push_str("+incompatible");
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
        fn never_panics(s in "\\PC{0,40}", t in "(go|v)?[0-9a-z.+-]{0,20}") {
            let _ = GoVersion::parse(&s);
            let _ = crate::compare(SCHEME, &s, &t);
        }
    }
}
