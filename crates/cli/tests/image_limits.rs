//! The archive limits from the command line (`--max-image-bytes`, `--max-files`,
//! `--max-file-size`) on the real `app` fixture image: tiny limits stop `rampart image`,
//! `rampart sbom` and `rampart registry scan` with an error naming the layer, or skip files with a
//! warning naming the layer; an analysis cut short is not cached for later runs.

use rampart_testkit::registry::{Registry, have};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn rampart(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("RAMPART_DB", home.join("demo.db"))
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_RUNTIME_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(home: &Path, args: &[&str]) -> Value {
    let out = rampart(home, args);
    assert!(
        out.status.success(),
        "rampart {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The error of a run that must fail with exit code 2.
fn fails(home: &Path, args: &[&str]) -> String {
    let out = rampart(home, args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "rampart {args:?}: {err}");
    err
}

/// A private home with the demo database.
fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let vulndb = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/vulndb"
    ));
    let out = rampart(
        dir.path(),
        &[
            "db",
            "build",
            "-q",
            "--from",
            vulndb.to_str().unwrap(),
            "--out",
            db.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    dir
}

fn packages(r: &Value) -> usize {
    r["packages"].as_array().unwrap().len()
}

#[test]
fn tiny_limits_stop_or_skip_with_the_layer_named() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let home = home();
    let home = home.path();
    let oci = format!("oci:{}:app", images.join("oci").display());
    let image = |extra: &[&'static str]| {
        let mut args = vec!["image", oci.as_str(), "-f", "json", "-q"];
        args.extend_from_slice(extra);
        args
    };

    // Total uncompressed bytes: the base layer alone expands to more than 1 MiB.
    let err = fails(
        home,
        &image(&["--max-image-bytes", "1M", "--scanners", "vuln"]),
    );
    assert!(
        err.contains("limit exceeded: layer 0 sha256:")
            && err.contains("more than 1048576 uncompressed bytes"),
        "{err}"
    );
    // Tar entries, with content scanners too.
    let err = fails(home, &image(&["--max-files", "100"]));
    assert!(
        err.contains("limit exceeded: layer 0: the image has more than 100 files"),
        "{err}"
    );
    // The same options reach `rampart sbom`.
    let err = fails(home, &["sbom", &oci, "--max-files", "100", "-q"]);
    assert!(
        err.contains("layer 0: the image has more than 100 files"),
        "{err}"
    );
    // A bad size is a usage error.
    let err = fails(home, &image(&["--max-file-size", "12X"]));
    assert!(err.contains("--max-file-size"), "{err}");

    // Per-file size: dpkg's status file is skipped with a warning naming the layer, so the Debian
    // packages are missing — and that analysis is not cached: a default run sees them all.
    let small = ok(
        home,
        &image(&["--max-file-size", "4K", "--scanners", "vuln"]),
    );
    let warning = small["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["path"] == "var/lib/dpkg/status")
        .unwrap_or_else(|| panic!("no warning for var/lib/dpkg/status: {}", small["warnings"]));
    let message = warning["message"].as_str().unwrap();
    assert!(
        message.starts_with("layer 0: ")
            && message.contains("larger than the 4096-byte read limit"),
        "{message}"
    );
    let full = ok(home, &image(&["--scanners", "vuln"]));
    assert!(
        packages(&full) > packages(&small) + 50,
        "{} packages with the default limits, {} with --max-file-size 4K",
        packages(&full),
        packages(&small)
    );
    // Generous limits (below the defaults) answer from the cache.
    let generous = ok(
        home,
        &image(&["--max-files", "1000000", "--scanners", "vuln"]),
    );
    assert_eq!(packages(&generous), packages(&full));
}

#[test]
fn registry_scan_applies_the_limits_per_image() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    if !have("skopeo", "skopeo") {
        return;
    }
    let Some(reg) = Registry::start(None) else {
        return;
    };
    reg.push(&images.join("oci"), "app", "team/app:1");
    let home = home();
    let r = ok(
        home.path(),
        &[
            "registry",
            "scan",
            &reg.host,
            "--insecure",
            "--max-files",
            "100",
            "-f",
            "json",
            "-q",
        ],
    );
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("not analysed")
            && warnings.contains("layer 0: the image has more than 100 files"),
        "{warnings}"
    );
    let row = &r["images"]["images"][0];
    assert!(
        row["error"]
            .as_str()
            .is_some_and(|e| e.contains("more than 100 files")),
        "{row}"
    );
}
