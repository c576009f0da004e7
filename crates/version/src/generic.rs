//! Fallback ordering for ecosystems without a dedicated scheme.
//!
//! The version is split into runs of digits and runs of letters; every other
//! character separates. Runs compare pairwise: numbers numerically, letters
//! case-insensitively, and a number beats letters. A missing run counts as the
//! number 0, so `1.0 == 1` and `1.0rc1 < 1.0` (letters after the common part read
//! as a pre-release).

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::Num;
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Generic;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Run {
    // Variant order is the comparison order: letters sort before numbers.
    Text(String),
    Number(Num),
}

/// A parsed generic version.
#[derive(Debug, Clone)]
pub struct GenericVersion {
    text: String,
    runs: Vec<Run>,
}

impl GenericVersion {
    /// Parses any printable ASCII string with at least one letter or digit.
    pub fn parse(input: &str) -> Result<GenericVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        if !s.bytes().all(|c| c.is_ascii_graphic()) {
            return Err(VersionError::invalid(
                SCHEME,
                input,
                "contains non-ASCII or non-printable characters",
            ));
        }
        let mut runs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                runs.push(Run::Number(Num::from_digits(&s[start..i])));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                runs.push(Run::Text(s[start..i].to_ascii_lowercase()));
            } else {
                i += 1;
            }
        }
        if runs.is_empty() {
            return Err(VersionError::invalid(
                SCHEME,
                input,
                "has no letters or digits",
            ));
        }
        Ok(GenericVersion {
            text: s.to_owned(),
            runs,
        })
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Run::Number(Num::zero());
        (0..self.runs.len().max(other.runs.len()))
            .map(|i| {
                self.runs
                    .get(i)
                    .unwrap_or(&zero)
                    .cmp(other.runs.get(i).unwrap_or(&zero))
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    }
}

crate::order_from_ord!(GenericVersion);

impl fmt::Display for GenericVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_laws::{assert_ascending, assert_total_order};
    use proptest::prelude::*;

    fn v(s: &str) -> GenericVersion {
        GenericVersion::parse(s).unwrap()
    }

    #[test]
    fn vectors() {
        assert_ascending(
            &[
                "0.9",
                "1.0alpha",
                "1.0beta2",
                "1.0rc1",
                "1.0",
                "1.0.1",
                "1.2",
                "1.10",
                "2",
                "2020.01.01",
                "99999999999999999999999",
            ]
            .map(v),
        );
        for (a, b) in [
            ("1.0", "1"),
            ("1.0.0", "1"),
            ("1_0", "1.0"),
            ("1.0-RC1", "1.0rc1"),
            ("v1", "V1"),
            ("01", "1"),
        ] {
            assert_eq!(v(a), v(b), "{a} == {b}");
        }
        assert!(v("r10") > v("r9"));
        assert_eq!(v("1.0-RC1").to_string(), "1.0-RC1");
    }

    #[test]
    fn rejects_malformed() {
        for s in ["", "   ", "...", "-", "1 0", "1\u{0}", "é", "1.0\u{202e}"] {
            assert!(GenericVersion::parse(s).is_err(), "{s:?}");
        }
        assert!(GenericVersion::parse(&"9".repeat(257)).is_err());
        assert!(v("1..2") == v("1.2"));
    }

    fn version() -> impl Strategy<Value = String> {
        "[0-9a-zA-Z][0-9a-zA-Z._+~-]{0,10}"
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
        fn never_panics(s in "\\PC{0,40}", t in "[ -~]{0,20}") {
            let _ = GenericVersion::parse(&s);
            let _ = crate::compare(SCHEME, &s, &t);
        }
    }
}
