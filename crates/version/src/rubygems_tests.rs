use super::*;
use crate::order_laws::{assert_ascending, assert_total_order};
use proptest::prelude::*;
use std::cmp::Ordering::{Equal, Greater, Less};

fn v(s: &str) -> GemVersion {
    GemVersion::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// Vectors from rubygems' test_gem_version.rb (`test_spaceship`, `test_eql`, …).
#[test]
fn gem_version_vectors() {
    let cases = [
        ("1.0", "1.0.0", Equal),
        ("1.0", "1", Equal),
        ("1.0.a", "1.0", Less),
        ("1.8.2", "0.0.0", Greater),
        ("1.8.2", "1.8.2.a", Greater),
        ("1.8.2.b", "1.8.2.a", Greater),
        ("1.8.2.a", "1.8.2", Less),
        ("1.8.2.a10", "1.8.2.a9", Greater),
        ("", "0", Equal),
        ("0.beta.1", "0.0.beta.1", Equal),
        ("0.0.beta", "0.0.beta.1", Less),
        ("0.0.beta", "0.beta.1", Less),
        ("5.a", "5.0.0.rc2", Less),
        ("5.x", "5.0.0.rc2", Greater),
        ("1.9.3", "1.9.3", Equal),
        ("1.9.3", "1.9.2.99", Greater),
        ("1.9.3", "1.9.3.1", Less),
        ("1.2.3-1", "1.2.3.pre.1", Equal),
        ("1.2.3-1", "1.2.3", Less),
        ("2.0.0.rc1", "2.0.0.beta1", Greater),
        ("1.0.0.a1", "1.0.0.a.1", Equal),
        ("1.10", "1.9", Greater),
        (
            "99999999999999999999999",
            "99999999999999999999998",
            Greater,
        ),
    ];
    for (a, b, want) in cases {
        if a.is_empty() {
            assert!(GemVersion::parse(a).is_err(), "empty is rejected by design");
            continue;
        }
        assert_eq!(v(a).cmp(&v(b)), want, "{a} vs {b}");
        assert_eq!(v(b).cmp(&v(a)), want.reverse(), "{b} vs {a}");
    }
    assert_ascending(&["1.0.a", "1.0.b", "1.0.rc1", "1.0", "1.0.1", "1.1.a", "1.1"].map(v));
}

#[test]
fn prerelease_release_and_bump() {
    assert!(v("1.0.a").is_prerelease());
    assert!(v("1.0-1").is_prerelease());
    assert!(!v("1.0").is_prerelease());
    assert_eq!(v("1.2.3.a").release().to_string(), "1.2.3");
    assert_eq!(v("5.3.1").bump().to_string(), "5.4");
    assert_eq!(v("5.3.1.b.2").bump().to_string(), "5.4");
    assert_eq!(v("5").bump().to_string(), "6");
    assert_eq!(v("1.9").bump().to_string(), "2");
    assert_eq!(v("9.99").bump().to_string(), "10");
}

#[test]
fn requirements() {
    let cases: &[(&[&str], &str, bool)] = &[
        (&["~> 1.2.3"], "1.2.3", true),
        (&["~> 1.2.3"], "1.2.9", true),
        (&["~> 1.2.3"], "1.3.0", false),
        (&["~> 1.2.3"], "1.2.2", false),
        (&["~> 1.2"], "1.9.9", true),
        (&["~> 1.2"], "2.0", false),
        (&["~> 1.2"], "2.0.a", false),
        (&["~> 1.2"], "1.2.a", false),
        (&["~> 1.2.a"], "1.2.a", true),
        (&["~> 1"], "1.9", true),
        (&["~> 1"], "2.0", false),
        (&["~> 1.2.3", ">= 1.2.5"], "1.2.4", false),
        (&["~> 1.2.3", ">= 1.2.5"], "1.2.5", true),
        (&["~> 1.2.3, >= 1.2.5"], "1.2.6", true),
        (&["= 1.0"], "1.0.0", true),
        (&["1.0"], "1.0", true),
        (&["!= 1.0"], "1.0", false),
        (&["!= 1.0"], "1.1", true),
        (&["> 1.0"], "1.0.a", false),
        (&["< 1.0"], "1.0.a", true),
        (&["<= 1.0"], "1.0", true),
        (&[">= 1.0"], "0.9", false),
        (&[">1.0"], "1.1", true),
        (&[], "1.0", true),
        (&[">= 0"], "0.0.1.a", true),
        (&["< 6.1.7.1", ">= 6.1.0"], "6.1.7", true),
    ];
    for &(reqs, version, want) in cases {
        assert_eq!(
            gem_requirements_satisfied(reqs, version),
            Ok(want),
            "{reqs:?} {version}"
        );
    }
}

#[test]
fn rejects_malformed() {
    for s in [
        "",
        "a",
        "1..2",
        "1.",
        ".1",
        "1.0-",
        "1 0",
        "-1",
        "1.0_1",
        "1.0-a..b",
        "é",
        "1.0\u{7f}",
    ] {
        assert!(GemVersion::parse(s).is_err(), "{s:?}");
    }
    for r in ["~>", ">>1", "=> 1.0", "~> a", "1.0 1"] {
        assert!(gem_requirements_satisfied(&[r], "1.0").is_err(), "{r:?}");
    }
    assert!(gem_requirements_satisfied(&[&"1".repeat(300)], "1.0").is_err());
}

fn version() -> impl Strategy<Value = String> {
    let seg = "([0-9]{1,2}|[a-z]{1,2}[0-9]?)";
    (
        "[0-9]{1,2}",
        proptest::collection::vec(seg, 0..4),
        proptest::option::of("[a-z0-9]{1,3}"),
    )
        .prop_map(|(first, rest, pre)| {
            let mut s = first;
            for r in rest {
                s = format!("{s}.{r}");
            }
            if let Some(p) = pre {
                s = format!("{s}-{p}");
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
    fn pessimistic_is_a_range(a in version(), b in version()) {
        let req = format!("~> {a}");
        let got = gem_requirements_satisfied(&[req.as_str()], &b).unwrap();
        let (va, vb) = (v(&a), v(&b));
        prop_assert_eq!(got, vb >= va && vb.release() < va.bump());
    }

    #[test]
    fn never_panics(s in "\\PC{0,40}", t in "[0-9a-z.~<>=!, -]{0,20}") {
        let _ = GemVersion::parse(&s);
        let _ = crate::compare(SCHEME, &s, &t);
        let _ = gem_requirements_satisfied(&[&t], &s);
        let _ = gem_requirements_satisfied(&[&s], "1.0");
    }
}
