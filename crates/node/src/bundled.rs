//! The kube-bench definitions shipped with Rampart (`policies/kube-bench/cfg`, Apache-2.0, see its
//! `SOURCE.md`), embedded in the binary so `rampart k8s node` needs no other files.

use crate::{Catalog, Error, Result};
use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};

static CFG: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../policies/kube-bench/cfg");

/// Opens the embedded definitions, writing them once into `cache_dir/kube-bench-<hash>/cfg` (the hash
/// covers every file, so a new Rampart version with changed definitions gets a fresh copy and an old
/// copy is never reused).
pub fn bundled_catalog(cache_dir: &Path) -> Result<Catalog> {
    let dir = cache_dir.join(format!("kube-bench-{:016x}", content_hash()));
    let cfg = dir.join("cfg");
    if !dir.join(".complete").is_file() {
        let staging = cache_dir.join(format!(".kube-bench-staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        write_dir(&CFG, &staging.join("cfg"))?;
        std::fs::write(staging.join(".complete"), b"").map_err(|e| io(&staging, e))?;
        if std::fs::rename(&staging, &dir).is_err() {
            // Another process finished first; its copy is identical.
            let _ = std::fs::remove_dir_all(&staging);
        }
    }
    Catalog::open(cfg)
}

/// Number of embedded definition files (for tests and `--help` texts).
pub fn bundled_file_count() -> usize {
    let mut n = 0;
    count(&CFG, &mut n);
    n
}

fn count(dir: &Dir<'_>, n: &mut usize) {
    *n += dir.files().count();
    for d in dir.dirs() {
        count(d, n);
    }
}

fn write_dir(dir: &Dir<'_>, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for file in dir.files() {
        let name = file.path().file_name().unwrap_or_default();
        let path = to.join(name);
        std::fs::write(&path, file.contents()).map_err(|e| io(&path, e))?;
    }
    for sub in dir.dirs() {
        let name = sub.path().file_name().unwrap_or_default();
        write_dir(sub, &to.join(name))?;
    }
    Ok(())
}

/// FNV-1a over every embedded path and content.
fn content_hash() -> u64 {
    fn walk(dir: &Dir<'_>, h: &mut u64) {
        for file in dir.files() {
            for b in file
                .path()
                .to_string_lossy()
                .bytes()
                .chain(file.contents().iter().copied())
            {
                *h ^= u64::from(b);
                *h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        for d in dir.dirs() {
            walk(d, h);
        }
    }
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    walk(&CFG, &mut h);
    h
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Read {
        path: PathBuf::from(path),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_definitions_extract_once_and_load() {
        let dir = tempfile::tempdir().unwrap();
        assert!(bundled_file_count() > 200);
        let catalog = bundled_catalog(dir.path()).unwrap();
        let benchmarks = catalog.benchmarks().unwrap();
        assert!(benchmarks.iter().any(|b| b == "cis-1.10"), "{benchmarks:?}");
        assert_eq!(catalog.load("cis-1.10").unwrap().check_count(), 130);
        // A second open reuses the extracted copy.
        let again = bundled_catalog(dir.path()).unwrap();
        assert_eq!(again.dir(), catalog.dir());
    }
}
