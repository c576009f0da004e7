//! Fuzz entry point for the RBAC analysis.

use crate::load::{LoadOptions, load_str};

/// Loads arbitrary bytes as manifests and runs the full RBAC analysis; must never panic.
pub fn fuzz_rbac(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = LoadOptions {
        max_file_bytes: 1 << 20,
        ..LoadOptions::default()
    };
    let loaded = load_str(text, "fuzz", &opts);
    let a = super::analyze(&loaded.objects);
    let _ = super::who_can(&loaded.objects, "get", "secrets", Some("default"), None);
    let _ = (a.findings.len(), a.paths.len());
}
