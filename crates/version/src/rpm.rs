//! RPM package versions: `[epoch:]version[-release]` compared with `rpmvercmp`.
//!
//! Each part is split into alphanumeric segments; separators are ignored except
//! `~` (sorts before everything, even the end) and `^` (sorts after the end but
//! before any further segment). Numeric segments beat alphabetic ones and are
//! compared numerically. A missing epoch is 0; a missing release compares as the
//! empty string, so `1.0 < 1.0-1` (as a total order; rpm's own dependency
//! matching would treat a missing release as "any").

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::{Num, cmp_digits};
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Rpm;

/// A parsed RPM epoch:version-release.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: Option<Num>,
    version: String,
    release: Option<String>,
}

impl RpmVersion {
    /// Parses `[epoch:]version[-release]`; version and release may contain ASCII
    /// letters, digits and `. _ + ~ ^`.
    pub fn parse(input: &str) -> Result<RpmVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        let bad = |reason| VersionError::invalid(SCHEME, input, reason);
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad("epoch is not a number"));
                }
                (Some(Num::from_digits(e)), rest)
            }
            None => (None, s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r)),
            None => (rest, None),
        };
        let ok = |c: u8| c.is_ascii_alphanumeric() || b"._+~^".contains(&c);
        if version.is_empty() || !version.bytes().any(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("version has no alphanumeric segment"));
        }
        if !version.bytes().all(ok) {
            return Err(bad("invalid character in version"));
        }
        if release.is_some_and(|r| r.is_empty() || !r.bytes().all(ok)) {
            return Err(bad("invalid release"));
        }
        Ok(RpmVersion {
            epoch,
            version: version.to_owned(),
            release: release.map(str::to_owned),
        })
    }

    /// The version part.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release part, when present.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

/// rpm's `rpmvercmp` (lib/rpmvercmp.c), with digit runs compared as strings.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            match (ca, cb) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else { break };
        let isnum = ca.is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let ei = i + a[i..].iter().take_while(|c| class(c)).count();
        let ej = j + b[j..].iter().take_while(|c| class(c)).count();
        if ej == j {
            // Segments of different types: numeric is newer than alphabetic.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (&a[i..ei], &b[j..ej]);
        let ord = if isnum {
            cmp_digits(&String::from_utf8_lossy(sa), &String::from_utf8_lossy(sb))
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        i = ei;
        j = ej;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Num::zero();
        let epoch = |v: &RpmVersion| v.epoch.clone().unwrap_or_else(|| zero.clone());
        epoch(self)
            .cmp(&epoch(other))
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| {
                rpmvercmp(
                    self.release.as_deref().unwrap_or(""),
                    other.release.as_deref().unwrap_or(""),
                )
            })
    }
}

crate::order_from_ord!(RpmVersion);

impl fmt::Display for RpmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.epoch {
            write!(f, "{e}:")?;
        }
        f.write_str(&self.version)?;
        if let Some(r) = &self.release {
            write!(f, "-{r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_laws::assert_total_order;
    use proptest::prelude::*;

    /// rpm's tests/rpmvercmp.at: (a, b, rpmvercmp result).
    const RPMVERCMP_AT: &[(&str, &str, i8)] = &[
        ("1.0", "1.0", 0),
        ("1.0", "2.0", -1),
        ("2.0", "1.0", 1),
        ("2.0.1", "2.0.1", 0),
        ("2.0", "2.0.1", -1),
        ("2.0.1", "2.0", 1),
        ("2.0.1a", "2.0.1a", 0),
        ("2.0.1a", "2.0.1", 1),
        ("2.0.1", "2.0.1a", -1),
        ("5.5p1", "5.5p1", 0),
        ("5.5p1", "5.5p2", -1),
        ("5.5p2", "5.5p1", 1),
        ("5.5p10", "5.5p10", 0),
        ("5.5p1", "5.5p10", -1),
        ("5.5p10", "5.5p1", 1),
        ("10xyz", "10.1xyz", -1),
        ("10.1xyz", "10xyz", 1),
        ("xyz10", "xyz10", 0),
        ("xyz10", "xyz10.1", -1),
        ("xyz10.1", "xyz10", 1),
        ("xyz.4", "xyz.4", 0),
        ("xyz.4", "8", -1),
        ("8", "xyz.4", 1),
        ("xyz.4", "2", -1),
        ("2", "xyz.4", 1),
        ("5.5p2", "5.6p1", -1),
        ("5.6p1", "5.5p2", 1),
        ("5.6p1", "6.5p1", -1),
        ("6.5p1", "5.6p1", 1),
        ("6.0.rc1", "6.0", 1),
        ("6.0", "6.0.rc1", -1),
        ("10b2", "10a1", 1),
        ("10a2", "10b2", -1),
        ("1.0aa", "1.0aa", 0),
        ("1.0a", "1.0aa", -1),
        ("1.0aa", "1.0a", 1),
        ("10.0001", "10.0001", 0),
        ("10.0001", "10.1", 0),
        ("10.1", "10.0001", 0),
        ("10.0001", "10.0039", -1),
        ("10.0039", "10.0001", 1),
        ("4.999.9", "5.0", -1),
        ("5.0", "4.999.9", 1),
        ("20101121", "20101121", 0),
        ("20101121", "20101122", -1),
        ("20101122", "20101121", 1),
        ("2_0", "2_0", 0),
        ("2.0", "2_0", 0),
        ("2_0", "2.0", 0),
        ("a", "a", 0),
        ("a+", "a+", 0),
        ("a+", "a_", 0),
        ("a_", "a+", 0),
        ("+a", "+a", 0),
        ("+a", "_a", 0),
        ("_a", "+a", 0),
        ("+_", "+_", 0),
        ("_+", "+_", 0),
        ("_+", "_", 0),
        ("+", "_", 0),
        ("1.0~rc1", "1.0~rc1", 0),
        ("1.0~rc1", "1.0", -1),
        ("1.0", "1.0~rc1", 1),
        ("1.0~rc1", "1.0~rc2", -1),
        ("1.0~rc2", "1.0~rc1", 1),
        ("1.0~rc1~git123", "1.0~rc1~git123", 0),
        ("1.0~rc1~git123", "1.0~rc1", -1),
        ("1.0~rc1", "1.0~rc1~git123", 1),
        ("1.0^", "1.0^", 0),
        ("1.0^", "1.0", 1),
        ("1.0", "1.0^", -1),
        ("1.0^git1", "1.0^git1", 0),
        ("1.0^git1", "1.0", 1),
        ("1.0", "1.0^git1", -1),
        ("1.0^git1", "1.0^git2", -1),
        ("1.0^git2", "1.0^git1", 1),
        ("1.0^git1", "1.01", -1),
        ("1.01", "1.0^git1", 1),
        ("1.0^20160101", "1.0^20160101", 0),
        ("1.0^20160101", "1.0.1", -1),
        ("1.0.1", "1.0^20160101", 1),
        ("1.0^20160101^git1", "1.0^20160101^git1", 0),
        ("1.0^20160102", "1.0^20160101^git1", 1),
        ("1.0^20160101^git1", "1.0^20160102", -1),
        ("1.0~rc1^git1", "1.0~rc1^git1", 0),
        ("1.0~rc1^git1", "1.0~rc1", 1),
        ("1.0~rc1", "1.0~rc1^git1", -1),
        ("1.0^git1~pre", "1.0^git1~pre", 0),
        ("1.0^git1", "1.0^git1~pre", 1),
        ("1.0^git1~pre", "1.0^git1", -1),
        ("1.0a", "1.0.1", -1),
    ];

    #[test]
    fn rpmvercmp_test_suite() {
        for &(a, b, want) in RPMVERCMP_AT {
            assert_eq!(rpmvercmp(a, b), want.cmp(&0), "{a} vs {b}");
        }
    }

    #[test]
    fn evr_vectors() {
        let cmp = |a: &str, b: &str| {
            RpmVersion::parse(a)
                .unwrap()
                .cmp(&RpmVersion::parse(b).unwrap())
        };
        assert_eq!(cmp("1:1.0-1", "2.0-1"), Ordering::Greater);
        assert_eq!(cmp("0:1.0-1", "1.0-1"), Ordering::Equal);
        assert_eq!(cmp("1.0-1.el8", "1.0-2.el8"), Ordering::Less);
        assert_eq!(cmp("1.0-1.el8_9", "1.0-1.el8"), Ordering::Greater);
        assert_eq!(cmp("1.0", "1.0-1"), Ordering::Less);
        assert_eq!(cmp("3.0.7-25.el9_3", "3.0.7-24.el9"), Ordering::Greater);
        assert_eq!(cmp("2.28-225.el9", "2.28-225.el9_3.1"), Ordering::Less);
        assert_eq!(
            cmp("4.18.0-513.5.1.el8_9", "4.18.0-513.el8"),
            Ordering::Greater
        );
        assert_eq!(
            cmp("99999999999999999999999:1", "99999999999999999999998:2"),
            Ordering::Greater
        );
        let v = RpmVersion::parse("2:1.2.3-4.el9").unwrap();
        assert_eq!(
            (v.version(), v.release(), v.to_string().as_str()),
            ("1.2.3", Some("4.el9"), "2:1.2.3-4.el9")
        );
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "", "-", "1-", ":1", "a:1", "1:", "...", "1.0-1 ", "1 0", "1/0", "1.0-a-", "~", "é1",
            "1\u{1b}",
        ] {
            if s == "1.0-1 " {
                assert!(RpmVersion::parse(s).is_ok());
                continue;
            }
            assert!(RpmVersion::parse(s).is_err(), "{s:?}");
        }
        assert!(RpmVersion::parse(&"1.".repeat(200)).is_err());
    }

    fn version() -> impl Strategy<Value = String> {
        let part = "[0-9a-z][0-9a-zA-Z._+~^]{0,6}";
        (
            proptest::option::of("[0-9]{1,2}"),
            part,
            proptest::option::of(part),
        )
            .prop_map(|(e, v, r)| {
                let mut s = e.map(|e| format!("{e}:")).unwrap_or_default() + &v;
                if let Some(r) = r {
                    s = format!("{s}-{r}");
                }
                s
            })
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            let [a, b, c] = [&a, &b, &c].map(|s| RpmVersion::parse(s).unwrap());
            assert_total_order(&a, &b, &c);
        }

        #[test]
        fn display_round_trips(s in version()) {
            let v = RpmVersion::parse(&s).unwrap();
            let shown = v.to_string();
            prop_assert_eq!(&RpmVersion::parse(&shown).unwrap(), &v);
            prop_assert_eq!(RpmVersion::parse(&shown).unwrap().to_string(), shown);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}", t in "[0-9a-z.~^:_-]{0,20}") {
            let _ = RpmVersion::parse(&s);
            let _ = crate::compare(SCHEME, &s, &t);
            let _ = rpmvercmp(&s, &t);
        }
    }
}
