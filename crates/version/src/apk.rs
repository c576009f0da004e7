//! Alpine package versions, compared as apk-tools does (`apk version -t`).
//!
//! A version is a token stream: digit runs separated by `.`, an optional single
//! lowercase letter, `_suffix[N]` (pre-release `alpha`, `beta`, `pre`, `rc`;
//! post-release `cvs`, `svn`, `git`, `hg`, `p`), and a final `-rN` revision. This
//! mirrors apk-tools' `get_token`/`apk_version_compare`, including its special
//! treatment of leading zeros after a dot (`1.01 < 1.1`).

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::Num;
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Apk;
const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// Token kinds, in apk-tools' order (the order matters for comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

/// A token value: negative for leading-zero runs and pre-release suffixes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Small(i64),
    Big(Num),
}

impl Value {
    fn digits(s: &str) -> Value {
        let n = Num::from_digits(s);
        match n.to_u64().and_then(|v| i64::try_from(v).ok()) {
            Some(v) => Value::Small(v),
            None => Value::Big(n),
        }
    }

    fn is_negative(&self) -> bool {
        matches!(self, Value::Small(v) if *v < 0)
    }
}

/// A parsed, validated apk version.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    text: String,
    /// Each token's kind and value; the stream is implicitly followed by `End`.
    tokens: Vec<(Kind, Value)>,
}

impl ApkVersion {
    /// Parses and validates an apk version such as `1.2.3_rc1-r0`.
    pub fn parse(input: &str) -> Result<ApkVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        if !s.as_bytes()[0].is_ascii_digit() {
            return Err(VersionError::invalid(
                SCHEME,
                input,
                "does not start with a digit",
            ));
        }
        let tokens = tokenize(s)
            .ok_or_else(|| VersionError::invalid(SCHEME, input, "not an apk version"))?;
        Ok(ApkVersion {
            text: s.to_owned(),
            tokens,
        })
    }
}

/// Reads one token of kind `kind` from the front of `s`; returns its value, the
/// unread rest and the kind of the next token (`None` when invalid).
///
/// Stricter than apk-tools in one way: a separator must be followed by
/// something, so `1.2.`, `1..2` and `1.2_` are rejected rather than read as
/// empty (zero) tokens.
fn get_token(kind: Kind, s: &str) -> Option<(Value, &str, Kind)> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let digits_end =
        |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let (value, used, forced) = match kind {
        Kind::DigitOrZero if b.first() == Some(&b'0') => {
            let zeros = b.iter().take_while(|&&c| c == b'0').count();
            // apk-tools forces a (possibly empty) digit token here; we only do so
            // when digits follow, so that `1.0_alpha < 1.0` as the suffix rule intends.
            let next_is_digit = b.get(zeros).is_some_and(u8::is_ascii_digit);
            (
                Value::Small(-(zeros as i64)),
                zeros,
                next_is_digit.then_some(Kind::Digit),
            )
        }
        Kind::DigitOrZero | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
            let end = digits_end(0);
            if end == 0 && matches!(kind, Kind::DigitOrZero | Kind::RevisionNo) {
                return None;
            }
            (Value::digits(&s[..end]), end, None)
        }
        Kind::Letter => (Value::Small(i64::from(*b.first()?)), 1, None),
        Kind::Suffix => {
            let (value, len) = suffix(s)?;
            (Value::Small(value), len, None)
        }
        Kind::End => return None,
    };
    let rest = &s[used..];
    if rest.is_empty() {
        return Some((value, rest, Kind::End));
    }
    if let Some(next) = forced {
        return Some((value, rest, next));
    }
    let prev = if kind == Kind::DigitOrZero {
        Kind::Digit
    } else {
        kind
    };
    let (next, rest) = next_kind(prev, rest)?;
    Some((value, rest, next))
}

/// Matches a `_suffix` name; pre-release suffixes get negative values.
fn suffix(s: &str) -> Option<(i64, usize)> {
    if let Some(i) = PRE_SUFFIXES.iter().position(|p| s.starts_with(p)) {
        return Some((i as i64 - PRE_SUFFIXES.len() as i64, PRE_SUFFIXES[i].len()));
    }
    let i = POST_SUFFIXES.iter().position(|p| s.starts_with(p))?;
    Some((i as i64, POST_SUFFIXES[i].len()))
}

/// apk-tools' `next_token`: decides the next token kind from the separator and
/// consumes the separator. Kinds may only move forward, with three exceptions.
fn next_kind(prev: Kind, s: &str) -> Option<(Kind, &str)> {
    let c = *s.as_bytes().first()?;
    let (next, used) = if matches!(prev, Kind::Digit | Kind::DigitOrZero) && c.is_ascii_lowercase()
    {
        (Kind::Letter, 0)
    } else if prev == Kind::Letter && c.is_ascii_digit() {
        (Kind::Digit, 0)
    } else if prev == Kind::Suffix && c.is_ascii_digit() {
        (Kind::SuffixNo, 0)
    } else {
        match c {
            b'.' => (Kind::DigitOrZero, 1),
            b'_' => (Kind::Suffix, 1),
            b'-' if s.as_bytes().get(1) == Some(&b'r') => (Kind::RevisionNo, 2),
            _ => return None,
        }
    };
    let allowed_back = matches!(
        (next, prev),
        (Kind::DigitOrZero, Kind::Digit)
            | (Kind::Suffix, Kind::SuffixNo)
            | (Kind::Digit, Kind::Letter)
    );
    if next < prev && !allowed_back {
        return None;
    }
    Some((next, &s[used..]))
}

fn tokenize(s: &str) -> Option<Vec<(Kind, Value)>> {
    let mut tokens = Vec::new();
    let (mut kind, mut rest) = (Kind::Digit, s);
    while kind != Kind::End {
        let (value, r, next) = get_token(kind, rest)?;
        tokens.push((kind, value));
        kind = next;
        rest = r;
    }
    Some(tokens)
}

impl Ord for ApkVersion {
    /// apk-tools' `apk_version_compare` over pre-tokenized streams.
    fn cmp(&self, other: &Self) -> Ordering {
        let kind_at = |v: &ApkVersion, i: usize| v.tokens.get(i).map_or(Kind::End, |t| t.0);
        let mut i = 0;
        loop {
            let (ak, bk) = (kind_at(self, i), kind_at(other, i));
            if ak != bk || ak == Kind::End {
                break;
            }
            let ord = self.tokens[i].1.cmp(&other.tokens[i].1);
            i += 1;
            if ord != Ordering::Equal {
                return ord;
            }
        }
        let (ak, bk) = (kind_at(self, i), kind_at(other, i));
        if ak == bk {
            return Ordering::Equal;
        }
        // The longer version is newer unless what follows is a pre-release suffix.
        if ak == Kind::Suffix && self.tokens[i].1.is_negative() {
            return Ordering::Less;
        }
        if bk == Kind::Suffix && other.tokens[i].1.is_negative() {
            return Ordering::Greater;
        }
        bk.cmp(&ak)
    }
}

crate::order_from_ord!(ApkVersion);

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_laws::{assert_ascending, assert_total_order};
    use proptest::prelude::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    fn v(s: &str) -> ApkVersion {
        ApkVersion::parse(s).unwrap()
    }

    #[test]
    fn spec_vectors() {
        let cases = [
            ("1.2.3-r0", "1.2.3-r1", Less),
            ("1.2.3_rc1", "1.2.3", Less),
            ("1.2.3_p1", "1.2.3", Greater),
            ("1.2.3a", "1.2.3", Greater),
            ("1.2.3a", "1.2.3b", Less),
            ("1.2.3", "1.2.3-r0", Less),
            ("1.2.3-r10", "1.2.3-r9", Greater),
            ("1.2.10", "1.2.9", Greater),
            ("1.2", "1.2.0", Less),
            ("1.2_alpha", "1.2_beta", Less),
            ("1.2_beta", "1.2_pre", Less),
            ("1.2_pre", "1.2_rc", Less),
            ("1.2_rc1", "1.2_rc2", Less),
            ("1.2_rc10", "1.2_rc9", Greater),
            ("1.2_p1", "1.2_p2", Less),
            ("1.2_cvs", "1.2_svn", Less),
            ("1.2_git20230101", "1.2", Greater),
            ("1.2_alpha1_p1", "1.2_alpha1", Greater),
            ("1.2_rc1-r1", "1.2-r0", Less),
            ("1.2.3_rc1", "1.2.3_p1", Less),
            ("1.01", "1.1", Less),
            ("1.001", "1.01", Less),
            ("1.0", "1.00", Greater),
            ("3.1.4-r5", "3.1.4-r5", Equal),
            ("1.1.1t-r2", "1.1.1u-r0", Less),
            ("3.0.8-r3", "3.0.12-r0", Less),
            ("2.38.1-r0", "2.38.1_git20220101-r0", Less),
            ("1.36.1-r2", "1.36.1-r15", Less),
            (
                "99999999999999999999999",
                "99999999999999999999998",
                Greater,
            ),
            ("1.2.3_rc", "1.2.3_rc0", Less),
            ("1.0_alpha", "1.0", Less),
            ("1.06-r6", "006", Less),
            ("2.01.01_alpha10", "0.94", Greater),
            ("1.00_beta2", "0.9.2", Greater),
            ("2.5.1-r8", "2.5.1a-r1", Less),
            ("3.0.0-r2", "021109-r3", Less),
            ("1.1.7", "6b-r7", Less),
            ("0.10.0", "0.10.1_rc1", Less),
            ("2.10.1", "02.08.01b", Greater),
            ("1.6d", "1.2.07.8", Greater),
            ("0.59s-r11", "0.65", Less),
            ("0.20070118", "0.20070207_rc1", Less),
            ("4.5_p1-r1", "4.5_p1", Greater),
            ("0.9.28.1", "087-r1", Less),
            ("1.3_pre1-r1", "1.3.2", Less),
            ("1.0_p10-r0", "1.0_p9-r0", Greater),
            ("0.98", "1.00", Less),
            ("0.1.0_alpha_pre2", "0.1.0_alpha", Less),
            ("2.12r-r4", "2.12r-r5", Less),
            (
                "1.0.0_pre20191002222144-r0",
                "1.0.0_pre20210530193627-r0",
                Less,
            ),
            ("3.0.20060720", "20060720", Less),
            ("0.9.8c-r1", "0.9.8d", Less),
            ("1.2.07.8", "1.2.12.04", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(v(a).cmp(&v(b)), want, "{a} vs {b}");
            assert_eq!(v(b).cmp(&v(a)), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn ascending_chain() {
        let chain = [
            "1.0_alpha",
            "1.0_alpha2",
            "1.0_beta",
            "1.0_pre1",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0_p1",
            "1.0a",
            "1.0.1",
            "1.1",
        ];
        assert_ascending(&chain.map(v));
    }

    #[test]
    fn rejects_malformed() {
        let bad = [
            "",
            "a",
            ".",
            "1..2",
            "1.2.",
            "1_foo",
            "1.2-r1.3",
            "1.2_rc1.3",
            "1.2A",
            "1-1",
            "1.2_",
            "1 2",
            "1.2-r",
            "1.2-r1.3",
            "1.2ab",
            "1.2a.3",
            "1/2",
            "_rc1",
            "\u{0}",
        ];
        for s in bad {
            assert!(ApkVersion::parse(s).is_err(), "{s:?}");
        }
        assert!(ApkVersion::parse(&"1".repeat(300)).is_err());
        assert!(ApkVersion::parse(&"1.".repeat(127)).is_err());
        assert!(ApkVersion::parse(&format!("{}1", "1.".repeat(127))).is_ok());
    }

    fn version() -> impl Strategy<Value = String> {
        let nums = proptest::collection::vec("0{0,1}[0-9]{1,2}", 1..4).prop_map(|v| v.join("."));
        let suffix = proptest::option::of(("(alpha|beta|pre|rc|cvs|svn|git|hg|p)", "[0-9]{0,2}"));
        (
            nums,
            proptest::option::of("[a-z]"),
            suffix,
            proptest::option::of("[0-9]{1,2}"),
        )
            .prop_map(|(n, letter, suffix, rev)| {
                let mut s = format!("{}{}", n, letter.unwrap_or_default());
                if let Some((name, num)) = suffix {
                    s = format!("{s}_{name}{num}");
                }
                if let Some(rev) = rev {
                    s = format!("{s}-r{rev}");
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
            prop_assert_eq!(v(&s).to_string(), s.clone());
            prop_assert_eq!(v(&v(&s).to_string()), v(&s));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}", t in "[0-9a-z._-]{0,20}") {
            let _ = ApkVersion::parse(&s);
            let _ = crate::compare(SCHEME, &t, "1.0");
            let _ = crate::compare(SCHEME, &s, &t);
        }
    }
}
