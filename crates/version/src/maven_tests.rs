use super::*;
use crate::order_laws::{assert_ascending, assert_total_order};
use proptest::prelude::*;

fn v(s: &str) -> MavenVersion {
    MavenVersion::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// ComparableVersionTest.VERSIONS_QUALIFIER, ascending (checked against maven-artifact 3.8.7).
const VERSIONS_QUALIFIER: &[&str] = &[
    "1-alpha2snapshot",
    "1-alpha2",
    "1-alpha-123",
    "1-beta-2",
    "1-beta123",
    "1-m2",
    "1-m11",
    "1-rc",
    "1-cr2",
    "1-rc123",
    "1-SNAPSHOT",
    "1",
    "1-sp",
    "1-sp2",
    "1-sp123",
    "1-abc",
    "1-def",
    "1-pom-1",
    "1-1-snapshot",
    "1-1",
    "1-2",
    "1-123",
];

/// ComparableVersionTest.VERSIONS_NUMBER as of Maven 3.8, ascending (checked against maven-artifact 3.8.7).
const VERSIONS_NUMBER: &[&str] = &[
    "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
    "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
    "11.a", "11b", "11c", "11m",
];

#[test]
fn comparable_version_test_orderings() {
    assert_ascending(&VERSIONS_QUALIFIER.iter().map(|s| v(s)).collect::<Vec<_>>());
    assert_ascending(&VERSIONS_NUMBER.iter().map(|s| v(s)).collect::<Vec<_>>());
}

#[test]
fn comparable_version_test_equalities() {
    let groups: &[&[&str]] = &[
        &[
            "1",
            "1.0",
            "1.0.0",
            "1-ga",
            "1-final",
            "1-release",
            "1.ga",
            "1.final",
            "1-0",
            "1.0-0",
            "1-GA",
            "1-FINAL",
        ],
        &["1a", "1-a", "1.0-a", "1.0.0-a"],
        &["1-alpha", "1-alpha-0", "1.0-alpha", "1.0.0-ALPHA"],
        &["1b", "1-b", "1.0-b"],
        &["1m", "1-m", "1.0-m"],
        &["1-milestone", "1.0-milestone"],
        &["1rc", "1cr", "1-rc", "1-cr", "1.0-rc", "1.0-cr"],
        &["1-snapshot", "1-SNAPSHOT", "1.0-snapshot"],
        &["1a1", "1-a1", "1-alpha-1", "1.0-alpha1"],
        &["1-alpha1", "1-ALPHA1"],
        &["2.0.a", "2.0.0.a", "2-a"],
    ];
    for group in groups {
        for a in *group {
            for b in *group {
                assert_eq!(v(a), v(b), "{a} == {b}");
            }
        }
    }
}

#[test]
fn brief_vectors() {
    // Maven 3.8's "treat .X as -X" rule, as maven-artifact 3.8.7 orders them.
    assert!(v("1.0.0.X1") < v("1.0.0-X2"));
    assert!(v("1.a.1") < v("1-a-1"));
    assert!(v("1.ga.1") < v("1..1"));
    assert!(v("2.0.a") < v("2-1"));
    assert!(v("1-alpha") < v("1-beta"));
    assert!(v("1.0-SNAPSHOT") < v("1.0"));
    assert!(v("1.0-sp") > v("1.0"));
    assert!(v("1.0-rc1") < v("1.0"));
    assert!(v("1.0.1") > v("1.0"));
    assert!(v("1.10") > v("1.9"));
    assert!(v("2.12.7.1") > v("2.12.7"));
    assert!(v("5.3.18") < v("5.3.20"));
    assert!(v("2.13.4.2") < v("2.13.5"));
    assert!(v("1.0-xyz") > v("1.0-sp"));
    assert!(v("99999999999999999999999") > v("99999999999999999999998"));
    assert_eq!(v("1.0.0-alpha-1").canonical(), "1-alpha-1");
    assert_eq!(v("1.0.0-SNAPSHOT").to_string(), "1.0.0-SNAPSHOT");
}

#[test]
fn rejects_malformed() {
    for s in ["", " ", "...", "---", "1 0", "1\u{0}", "é", "1.0-é"] {
        assert!(MavenVersion::parse(s).is_err(), "{s:?}");
    }
    assert!(MavenVersion::parse(&"1".repeat(257)).is_err());
    // Deep nesting stays cheap and bounded.
    let deep = "1-".repeat(127) + "1";
    assert!(v(&deep) > v("1"));
    let deep_alt = "a1".repeat(128);
    // `a1…` reads as alpha-1…, which sorts before the unknown qualifier `a`.
    assert!(v(&deep_alt) < v("a"));
}

/// Realistic versions: a numeric core, then `-`/`.` qualifier parts whose
/// numbers are non-zero. `ComparableVersion` itself is not transitive when a
/// sub-list normalises to start with another list (`0 < sp < ga-alpha < 0`), so
/// those shapes are covered by `known_intransitivity` instead.
fn version() -> impl Strategy<Value = String> {
    let core = proptest::collection::vec("[0-9]{1,2}", 1..4).prop_map(|v| v.join("."));
    let part = (
        "[-.]",
        "(alpha|beta|milestone|rc|cr|snapshot|sp|[a-z]{1,3})?",
        "([1-9][0-9]?)?",
    )
        .prop_filter("non-empty part", |(_, q, n)| !q.is_empty() || !n.is_empty())
        .prop_map(|(sep, q, n)| format!("{sep}{q}{n}"));
    (core, proptest::collection::vec(part, 0..3)).prop_map(|(core, parts)| core + &parts.concat())
}

#[test]
fn known_intransitivity() {
    // Faithful to Maven: these three form a cycle in ComparableVersion too.
    assert!(v("0") < v("sp"));
    assert!(v("sp") < v("ga-alpha"));
    assert!(v("ga-alpha") < v("0"));
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
    fn never_panics(s in "\\PC{0,40}", t in "[0-9a-z.-]{0,20}") {
        let _ = MavenVersion::parse(&s);
        let _ = crate::compare(SCHEME, &s, &t);
    }
}
