//! Entry points for fuzz targets (wired with cargo-fuzz outside this crate).

use crate::load::{LoadOptions, load_str};
use crate::scan::{ScanOptions, scan};

/// Loads arbitrary bytes as a manifest stream and scans the result; must never panic.
pub fn fuzz_manifests(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = LoadOptions {
        max_file_bytes: 1 << 20,
        ..LoadOptions::default()
    };
    let loaded = load_str(text, "fuzz", &opts);
    let options = ScanOptions {
        today: Some((2026, 1, 1)),
        ..ScanOptions::default()
    };
    let (findings, _) = scan(&loaded.objects, &options);
    for f in &findings {
        let _ = f.rule_id.len();
    }
}
