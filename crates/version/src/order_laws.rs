//! Test-only checks that a comparison is a total order, shared by every scheme's property tests.

use std::cmp::Ordering;
use std::fmt::Debug;

/// Asserts reflexivity, antisymmetry and transitivity on three values.
pub fn assert_total_order<T: Ord + Debug>(a: &T, b: &T, c: &T) {
    assert_eq!(a.cmp(a), Ordering::Equal, "reflexive: {a:?}");
    assert_eq!(a.cmp(b), b.cmp(a).reverse(), "antisymmetric: {a:?} {b:?}");
    assert_eq!(
        a == b,
        a.cmp(b) == Ordering::Equal,
        "Eq agrees with Ord: {a:?} {b:?}"
    );
    let mut v = [a, b, c];
    v.sort();
    assert!(v[0] <= v[2], "transitive: {v:?}");
    if a <= b && b <= c {
        assert!(a <= c, "transitive: {a:?} {b:?} {c:?}");
    }
    if a >= b && b >= c {
        assert!(a >= c, "transitive: {a:?} {b:?} {c:?}");
    }
}

/// Asserts that `versions` are strictly increasing under `cmp`, pairwise.
pub fn assert_ascending<T: Ord + Debug>(versions: &[T]) {
    for (i, a) in versions.iter().enumerate() {
        for (j, b) in versions.iter().enumerate() {
            assert_eq!(a.cmp(b), i.cmp(&j), "{a:?} vs {b:?}");
        }
    }
}
