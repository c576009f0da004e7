//! Test support: where the external corpora and built fixtures live.
//!
//! Tests find the shared material (`../shared`: `testdata/`, `data/`, `peers/`) through one setting,
//! `$RAMPART_SHARED`, and the fixtures built by `scripts/build-fixtures.sh` through `$RAMPART_FIXTURES`.
//! When something is missing a test prints a note and skips — except with `CI=true`, where a missing
//! corpus fails the test, so CI can never pass by skipping.

pub mod moto;
pub mod registry;
pub mod token;

use std::path::PathBuf;

/// True when running under CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The shared folder: `$RAMPART_SHARED`, else `../shared` beside the workspace.
///
/// The workspace is found from the package under test: `CARGO_MANIFEST_DIR` as cargo sets it when it
/// runs the test (every package sits at `crates/NAME`), else as it was when this crate was compiled —
/// a shared target directory may hold a build made from a checkout at another path.
pub fn shared_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("RAMPART_SHARED") {
        return PathBuf::from(dir);
    }
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    package.join("../../../shared")
}

/// The built-fixtures folder: `$RAMPART_FIXTURES`, else `~/.cache/rampart-fixtures`.
pub fn fixtures_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("RAMPART_FIXTURES") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/root".into());
    home.join(".cache/rampart-fixtures")
}

/// `shared_root()/rel` if it exists. Otherwise: panics under CI, prints a skip note and returns `None`
/// elsewhere.
pub fn shared(rel: &str) -> Option<PathBuf> {
    require(shared_root().join(rel), "shared corpus", "RAMPART_SHARED")
}

/// `fixtures_root()/rel` if it exists (built by `scripts/build-fixtures.sh`); same skip rules as
/// [`shared`].
pub fn fixture(rel: &str) -> Option<PathBuf> {
    require(
        fixtures_root().join(rel),
        "built fixture",
        "RAMPART_FIXTURES",
    )
}

fn require(path: PathBuf, what: &str, var: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    assert!(
        !in_ci(),
        "{what} missing at {} (set {var}; run scripts/build-fixtures.sh)",
        path.display()
    );
    eprintln!("note: {what} {} not found; skipping", path.display());
    None
}
