//! Entry points for the cargo-fuzz targets in `fuzz/`.

use crate::{Config, RuleSet, Scanner};
use std::sync::OnceLock;

/// Scans arbitrary bytes with the built-in rules; hits must be masked and within the input.
pub fn fuzz_scan(data: &[u8]) {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    let scanner = SCANNER.get_or_init(Scanner::default);
    for hit in scanner.scan("fuzz/input.env", data) {
        assert!(
            hit.masked.contains('*'),
            "unmasked secret from rule {}",
            hit.rule_id
        );
        assert!(hit.line >= 1);
    }
}

/// Parses arbitrary bytes as a secret configuration and compiles it.
pub fn fuzz_config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(cfg) = Config::parse(text, "fuzz")
    {
        let _ = RuleSet::with_config(&cfg);
    }
}
