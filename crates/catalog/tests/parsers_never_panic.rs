//! Property tests: every parser accepts arbitrary bytes without panicking (the fuzz targets' smoke test).

use proptest::prelude::*;
use rampart_catalog::fuzzing;

/// Byte strings biased towards the characters the formats are made of.
fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        "([A-Za-z@/:=_\\-\\. \"'\\[\\](){}]|\n|  |    |[0-9]){0,400}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn text_parsers_never_panic(data in input()) {
        fuzzing::fuzz_dpkg_status(&data);
        fuzzing::fuzz_apk_installed(&data);
        fuzzing::fuzz_package_lock(&data);
        fuzzing::fuzz_yarn_lock(&data);
        fuzzing::fuzz_cargo_lock(&data);
        fuzzing::fuzz_gemfile_lock(&data);
        fuzzing::fuzz_requirements(&data);
    }

    #[test]
    fn binary_parsers_never_panic(mut data in proptest::collection::vec(any::<u8>(), 0..1024), at in 0usize..64) {
        // Plant a build-info magic so the header parser is reached.
        let at = (at * 16).min(data.len());
        data.splice(at..at, b"\xff Go buildinf:".iter().copied());
        fuzzing::fuzz_go_buildinfo(&data);
        fuzzing::fuzz_rpm_header(&data);
    }
}
