//! Entry points for the cargo-fuzz targets in `fuzz/`: each feeds arbitrary bytes to one parser of
//! outside input and ignores the result. They must never panic, hang or allocate without bound.

use crate::ingest::{alpine, debian, enrichment, npm_wg, osv, rubysec};

/// OSV JSON and (when UTF-8) OSV YAML.
pub fn osv_document(data: &[u8]) {
    let _ = osv::parse_json(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = osv::parse_yaml(text);
    }
}

/// Debian DSA/DLA list text and tracker JSON.
pub fn debian(data: &[u8]) {
    let mut c = debian::DebianCollector::default();
    let _ = c.add_list(&String::from_utf8_lossy(data));
    let _ = c.add_tracker_json(data);
    let _ = c.finish();
}

/// Alpine secdb, RubySec and npm security-wg documents.
pub fn distro_and_language_feeds(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = alpine::AlpineCollector::default().add(text);
        let _ = rubysec::parse(text, "fuzz");
    }
    let _ = npm_wg::parse(data);
}

/// KEV JSON and EPSS CSV (plain or gzip).
pub fn enrichment_feeds(data: &[u8]) {
    let _ = enrichment::parse_kev(data);
    let _ = enrichment::parse_epss(data);
}

/// `.rampartignore` lines.
pub fn ignore_file(data: &[u8]) {
    let _ = crate::suppress::parse_ignore(&String::from_utf8_lossy(data), "fuzz");
}

/// A database file: whatever the bytes, opening fails cleanly or yields a readable database.
pub fn database_file(data: &[u8]) {
    let Ok(dir) = tempfile_dir() else { return };
    let path = dir.join("fuzz.db");
    if std::fs::write(&path, data).is_ok()
        && let Ok(db) = crate::Database::open(&path)
    {
        let _ = db.postings("PyPI", "django");
        let _ = db.advisories_by_id("CVE-2021-44228");
        let _ = db.epss("CVE-2021-44228");
    }
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("rampart-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
