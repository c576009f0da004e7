//! Debian package versions, compared as `dpkg --compare-versions` does.
//!
//! Format `[epoch:]upstream[-revision]` (Debian policy 5.6.12). Within upstream and
//! revision, non-digit runs compare character by character with `~` before
//! everything (even the end of the string) and letters before other characters;
//! digit runs compare numerically. A missing revision is the empty string.

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::{Num, cmp_digits};
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Dpkg;

/// A parsed Debian version.
#[derive(Debug, Clone)]
pub struct DpkgVersion {
    epoch: Num,
    upstream: String,
    revision: String,
}

impl DpkgVersion {
    /// Parses `[epoch:]upstream[-revision]`.
    ///
    /// Like dpkg, an upstream part that does not start with a digit is accepted
    /// (dpkg only warns); characters outside `[A-Za-z0-9.+~-:]` are rejected.
    pub fn parse(input: &str) -> Result<DpkgVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        let bad = |reason| VersionError::invalid(SCHEME, input, reason);
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad("epoch is not a number"));
                }
                (Num::from_digits(e), rest)
            }
            None => (Num::zero(), s),
        };
        if epoch.to_u64().is_none_or(|e| e > i32::MAX as u64) {
            return Err(bad("epoch is too big"));
        }
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        if !upstream.bytes().any(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("upstream version has no letters or digits"));
        }
        if rest.ends_with('-') {
            return Err(bad("revision is empty"));
        }
        let upstream_ok = |c: u8| c.is_ascii_alphanumeric() || b".+~-:".contains(&c);
        if !upstream.bytes().all(upstream_ok) {
            return Err(bad("invalid character in upstream version"));
        }
        let revision_ok = |c: u8| c.is_ascii_alphanumeric() || b".+~".contains(&c);
        if !revision.bytes().all(revision_ok) {
            return Err(bad("invalid character in revision"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }

    /// The epoch (0 when absent).
    pub fn epoch(&self) -> String {
        self.epoch.to_string()
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision ("" when absent).
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

/// dpkg's character weight: `~` lowest, then end of string and digits, letters, then the rest.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`, comparing digit runs as strings so that no length overflows.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let si = i;
        while digit(a, i) {
            i += 1;
        }
        let sj = j;
        while digit(b, j) {
            j += 1;
        }
        let run = |s: &[u8], from: usize, to: usize| {
            String::from_utf8_lossy(s.get(from..to).unwrap_or_default()).into_owned()
        };
        let ord = cmp_digits(&run(a, si, i), &run(b, sj, j));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

crate::order_from_ord!(DpkgVersion);

impl fmt::Display for DpkgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_zero() || self.upstream.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() || self.upstream.contains('-') {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_laws::assert_total_order;
    use proptest::prelude::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    fn cmp(a: &str, b: &str) -> Ordering {
        DpkgVersion::parse(a)
            .unwrap()
            .cmp(&DpkgVersion::parse(b).unwrap())
    }

    /// (a, b, expected) — expectations verified with `dpkg --compare-versions`.
    const VECTORS: &[(&str, &str, Ordering)] = &[
        ("1.0~rc1", "1.0", Less),
        ("1:0.1", "2.0", Greater),
        ("1.0+deb12u1", "1.0", Greater),
        ("2.36-9+deb12u4", "2.36-9+deb12u3", Greater),
        ("1.0-1~bpo1", "1.0-1", Less),
        ("1.0", "1.0", Equal),
        ("1.0", "1.0-0", Equal),
        ("0:1.0", "1.0", Equal),
        ("1.0", "1.00", Equal),
        ("1.0.0", "1.0", Greater),
        ("1.0a", "1.0", Greater),
        ("1.0a", "1.0+", Less),
        ("1.0~", "1.0", Less),
        ("1.0~~", "1.0~", Less),
        ("1.0~~a", "1.0~~", Greater),
        ("1.0~rc1", "1.0~rc2", Less),
        ("1.0~beta", "1.0~rc", Less),
        ("1.2.3", "1.2.10", Less),
        ("1.10", "1.9", Greater),
        ("2:1.0", "1:9.9", Greater),
        ("1.0-1", "1.0-2", Less),
        ("1.0-10", "1.0-9", Greater),
        ("1.0-1ubuntu1", "1.0-1", Greater),
        ("1.0-1ubuntu0.1", "1.0-1ubuntu1", Less),
        ("1.0-1build1", "1.0-1ubuntu1", Less),
        ("1.1.1n-0+deb11u5", "1.1.1n-0+deb11u4", Greater),
        ("3.0.11-1~deb12u2", "3.0.11-1", Less),
        ("7.88.1-10+deb12u5", "7.88.1-10+deb12u4", Greater),
        ("1.0+dfsg-1", "1.0-1", Greater),
        ("1.0.dfsg-1", "1.0+dfsg-1", Greater),
        ("1.0a-1", "1.0.-1", Less),
        ("a", "b", Less),
        ("1a", "1b", Less),
        ("1A", "1a", Less),
        ("1.0-a", "1.0-A", Greater),
        ("1-2-3", "1-2-4", Less),
        ("1:1-2-3", "1:1-2-3", Equal),
        ("10:1", "9:2", Greater),
        ("1.0", "1.0.~", Less),
        ("1.0~", "1.0.~", Less),
        (
            "99999999999999999999999",
            "99999999999999999999998",
            Greater,
        ),
        ("1.000000000000000000000001", "1.1", Equal),
        ("2.7.4+reduced+ex~rc1", "2.7.4+reduced+ex", Less),
        ("1.18.0+dfsg.1-2", "1.18.0+dfsg-2", Greater),
        ("5.36.0-7+deb12u1", "5.36.0-7", Greater),
        ("252.22-1~deb12u1", "252.19-1~deb12u1", Greater),
        ("1.0+b1", "1.0", Greater),
        ("1.0-1+b1", "1.0-1", Greater),
        ("0.9", "1:0.1", Less),
        ("1.0a~", "1.0a", Less),
        ("1.0~a", "1.0~", Greater),
    ];

    #[test]
    fn spec_vectors() {
        for &(a, b, want) in VECTORS {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    /// Runs the real `dpkg --compare-versions` when it is installed; the hard-coded
    /// expectations in `VECTORS` are checked by `spec_vectors` either way.
    #[test]
    fn agrees_with_dpkg_binary() {
        if dpkg_says("1", "1").is_none() {
            return;
        }
        for &(a, b, want) in VECTORS {
            assert_eq!(dpkg_says(a, b), Some(want), "dpkg on {a} vs {b}");
        }
    }

    /// `dpkg --compare-versions` as an oracle, or `None` when dpkg is not installed.
    fn dpkg_says(a: &str, b: &str) -> Option<Ordering> {
        use std::process::{Command, Stdio};
        let holds = |op: &str| {
            Command::new("dpkg")
                .args(["--compare-versions", a, op, b])
                .stderr(Stdio::null())
                .status()
                .ok()
                .map(|s| s.success())
        };
        Some(if holds("lt")? {
            Less
        } else if holds("eq")? {
            Equal
        } else {
            Greater
        })
    }

    #[test]
    fn rejects_malformed() {
        let bad = [
            "",
            " ",
            ":",
            "1:",
            ":1",
            "a:1",
            "-1:1",
            "1.0-",
            "1.0 1",
            "1\u{7}",
            "1.0-1_2",
            "1.0-a:b",
            "é",
            "1.0/2",
            "99999999999:1.0",
            "-",
        ];
        for s in bad {
            assert!(DpkgVersion::parse(s).is_err(), "{s:?}");
        }
        assert!(DpkgVersion::parse(&"1".repeat(257)).is_err());
        assert!(DpkgVersion::parse(&"1".repeat(256)).is_ok());
    }

    #[test]
    fn accessors_and_display() {
        let v = DpkgVersion::parse("2:1.2-3-4").unwrap();
        assert_eq!(
            (v.epoch().as_str(), v.upstream(), v.revision()),
            ("2", "1.2-3", "4")
        );
        assert_eq!(v.to_string(), "2:1.2-3-4");
        assert_eq!(DpkgVersion::parse("1.0").unwrap().to_string(), "1.0");
    }

    fn version() -> impl Strategy<Value = String> {
        (
            "[0-3]",
            "[0-9][0-9a-z.+~]{0,6}",
            proptest::option::of("[0-9a-z+.~]{1,5}"),
        )
            .prop_map(|(epoch, up, rev)| {
                let mut s = format!("{epoch}:{up}");
                if let Some(rev) = rev {
                    s = format!("{s}-{rev}");
                }
                s
            })
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            let [a, b, c] = [&a, &b, &c].map(|s| DpkgVersion::parse(s).unwrap());
            assert_total_order(&a, &b, &c);
        }

        #[test]
        fn display_round_trips(s in version()) {
            let v = DpkgVersion::parse(&s).unwrap();
            let shown = v.to_string();
            let again = DpkgVersion::parse(&shown).unwrap();
            prop_assert_eq!(&again, &v);
            prop_assert_eq!(again.to_string(), shown);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}", t in "[0-9:.~+a-z-]{0,20}") {
            let _ = DpkgVersion::parse(&s);
            let _ = crate::compare(SCHEME, &t, &s);
            let _ = crate::compare(SCHEME, &t, "1.0");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Random versions agree with the real dpkg, when it is installed.
        #[test]
        fn agrees_with_dpkg_binary_on_random_versions(a in version(), b in version()) {
            if let Some(want) = dpkg_says(&a, &b) {
                prop_assert_eq!(cmp(&a, &b), want, "{} vs {}", a, b);
            }
        }
    }
}
