//! Entry point for cargo-fuzz: compares two inputs under every scheme.

use crate::{Scheme, compare, gem_requirements_satisfied, npm_range_satisfies};

/// Splits `data` at the first NUL into two strings (lossily decoded) and
/// compares them under every scheme, ignoring errors; also treats the first as
/// an npm range and a gem requirement. Panics only when a comparison that
/// succeeds is not antisymmetric — exactly the bug a fuzzer should report.
#[doc(hidden)]
pub fn fuzz_compare_all(data: &[u8]) {
    let (a, b) = match data.iter().position(|&c| c == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    for scheme in Scheme::ALL {
        if let Ok(ord) = compare(scheme, &a, &b) {
            // A successful comparison must be antisymmetric.
            assert_eq!(
                compare(scheme, &b, &a),
                Ok(ord.reverse()),
                "{scheme} {a:?} {b:?}"
            );
        }
    }
    let _ = npm_range_satisfies(&a, &b);
    let _ = gem_requirements_satisfied(&[&a], &b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn handles_edge_inputs() {
        for data in [
            &b""[..],
            b"\0",
            b"1.0\x001.1",
            b"\xff\xfe\x00\xff",
            b"1\0\0\0",
            &[b'9'; 1000],
        ] {
            fuzz_compare_all(data);
        }
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            fuzz_compare_all(&data);
        }

        #[test]
        fn never_panics_on_versionish(a in "[0-9a-z.:~^_+!-]{0,24}", b in "[0-9a-z.:~^_+!-]{0,24}") {
            fuzz_compare_all(format!("{a}\0{b}").as_bytes());
        }
    }
}
