use super::*;
use crate::order_laws::{assert_ascending, assert_total_order};
use proptest::prelude::*;

fn v(s: &str) -> Pep440Version {
    Pep440Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// Ascending order from PEP 440's summary and packaging's `VERSIONS` test list.
const ORDERED: &[&str] = &[
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0b2-346",
    "1.0c1.dev456",
    "1.0c1",
    "1.0rc2",
    "1.0c3",
    "1.0",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.1.dev1",
    "1.2+123abc",
    "1.2+123abc456",
    "1.2+abc",
    "1.2+abc123",
    "1.2+abc123def",
    "1.2+1234.abc",
    "1.2+123456",
    "1.2.r32+123456",
    "1.2.rev33+123456",
    "1!1.0",
    "1!1.0.post456",
    "1!1.2.rev33+123456",
];

#[test]
fn packaging_ordering() {
    let parsed: Vec<_> = ORDERED.iter().map(|s| v(s)).collect();
    for w in parsed.windows(2) {
        assert!(w[0] < w[1], "{} < {}", w[0], w[1]);
    }
}

#[test]
fn spec_chain() {
    // PEP 440: a local version sorts right after its public version, so before any post release.
    let chain = [
        "1.0.dev0",
        "1.0a1.dev0",
        "1.0a1",
        "1.0b1",
        "1.0rc1",
        "1.0",
        "1.0+local",
        "1.0.post1.dev0",
        "1.0.post1",
    ];
    assert_ascending(&chain.map(v));
}

#[test]
fn normalisation() {
    let cases = [
        ("1.0", "1.0"),
        ("V1.0", "1.0"),
        ("  1.0\n", "1.0"),
        ("1.0ALPHA1", "1.0a1"),
        ("1.0-alpha-1", "1.0a1"),
        ("1.0.alpha.1", "1.0a1"),
        ("1.0_a_1", "1.0a1"),
        ("1.0a", "1.0a0"),
        ("1.0beta2", "1.0b2"),
        ("1.0c1", "1.0rc1"),
        ("1.0pre1", "1.0rc1"),
        ("1.0preview1", "1.0rc1"),
        ("1.0-rc-1", "1.0rc1"),
        ("1.0-1", "1.0.post1"),
        ("1.0post", "1.0.post0"),
        ("1.0.post", "1.0.post0"),
        ("1.0-post-2", "1.0.post2"),
        ("1.0rev3", "1.0.post3"),
        ("1.0r4", "1.0.post4"),
        ("1.0dev", "1.0.dev0"),
        ("1.0-dev-5", "1.0.dev5"),
        ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
        ("1.0+ubuntu_1.2", "1.0+ubuntu.1.2"),
        ("0!1.0", "1.0"),
        ("2!1.0", "2!1.0"),
        ("01.002.0003", "1.2.3"),
        ("1.0a1.post2.dev3+x", "1.0a1.post2.dev3+x"),
        ("1.0.a.1", "1.0a1"),
        ("1.0a.1", "1.0a1"),
        ("1.0beta-", "1.0b0"),
        ("10post-", "10.post0"),
        ("2.dev-", "2.dev0"),
        ("V0!1.01.1.1.A-", "1.1.1.1a0"),
    ];
    for (input, want) in cases {
        assert_eq!(v(input).to_string(), want, "{input}");
    }
}

#[test]
fn equalities() {
    for (a, b) in [
        ("1.0", "1.0.0"),
        ("1.0", "1"),
        ("1.0.0.0", "1"),
        ("1.0a1", "1.0.0alpha1"),
        ("1.0-1", "1.0.post1"),
        ("1.0+1", "1.0+01"),
        ("0!1.0", "1.0"),
        ("1.0RC1", "1.0rc1"),
    ] {
        assert_eq!(v(a), v(b), "{a} == {b}");
    }
    assert!(v("1.0") < v("1.0+0"));
    assert!(v("1.0.post1") > v("1.0+zzz"));
    assert!(v("1.0+1") > v("1.0+a"));
    assert!(v("1.0+a.1") > v("1.0+a"));
    assert!(v("99999999999999999999999") > v("99999999999999999999998"));
    assert!(
        v("1.0rc1").is_prerelease()
            && v("1.0.dev1").is_prerelease()
            && !v("1.0.post1").is_prerelease()
    );
    assert_eq!(v("1.0+abc").public(), v("1.0"));
}

#[test]
fn rejects_malformed() {
    let bad = [
        "",
        "french toast",
        "1.0+",
        "1.0+a+b",
        "1..0",
        "1.0.",
        ".1",
        "1.0-",
        "1.0a1a2",
        "1.0.dev1.post1",
        "1.0+a..b",
        "1.0+é",
        "1!",
        "!1",
        "1.0rc1rc2",
        "1.0 1",
        "v",
        "1.0-_",
        "1.0\u{0}",
        "1.0-1-1",
        "1.0.post1.post2",
        "1.0+a+",
        "1.0++",
        "1.0+_foobar",
        "1.0+foo&asd",
        "1.0+1+1",
        "1,0",
    ];
    for s in bad {
        assert!(Pep440Version::parse(s).is_err(), "{s:?}");
    }
    assert!(Pep440Version::parse(&"1.".repeat(200)).is_err());
}

fn version() -> impl Strategy<Value = String> {
    (
        proptest::option::of("[0-2]"),
        proptest::collection::vec("[0-9]{1,2}", 1..4),
        proptest::option::of(("(a|b|rc)", "[0-9]")),
        proptest::option::of("[0-9]"),
        proptest::option::of("[0-9]"),
        proptest::option::of("[a-z0-9]{1,3}(\\.[a-z0-9]{1,3})?"),
    )
        .prop_map(|(epoch, rel, pre, post, dev, local)| {
            let mut s = epoch.map(|e| format!("{e}!")).unwrap_or_default();
            s += &rel.join(".");
            if let Some((l, n)) = pre {
                s += &format!("{l}{n}");
            }
            if let Some(n) = post {
                s += &format!(".post{n}");
            }
            if let Some(n) = dev {
                s += &format!(".dev{n}");
            }
            if let Some(l) = local {
                s += &format!("+{l}");
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
        let parsed = v(&s);
        let shown = parsed.to_string();
        prop_assert_eq!(&v(&shown), &parsed);
        prop_assert_eq!(v(&shown).to_string(), shown);
    }

    #[test]
    fn never_panics(s in "\\PC{0,40}", t in "[0-9a-z.!+_-]{0,20}") {
        let _ = Pep440Version::parse(&s);
        let _ = crate::compare(SCHEME, &s, &t);
    }
}
