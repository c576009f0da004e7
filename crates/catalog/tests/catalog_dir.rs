//! End-to-end: catalog a small root filesystem tree with the hazards real trees have.

use rampart_catalog::{Mode, WalkOptions, catalog_dir, catalog_file};
use rampart_core::Ecosystem;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const STATUS: &str = "\
Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.

Package: base-files
Status: install ok installed
Essential: yes
Architecture: amd64
Version: 12.4+deb12u5
";

const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "app"
version = "0.1.0"

[[package]]
name = "smallvec"
version = "1.11.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn build_tree(root: &Path) {
    write(
        root,
        "usr/lib/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    );
    fs::create_dir_all(root.join("etc")).unwrap();
    std::os::unix::fs::symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    write(root, "var/lib/dpkg/status", STATUS);
    write(
        root,
        "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\nbody\n",
    );
    let lodash = r#"{"name":"lodash","version":"4.17.20","license":"MIT"}"#;
    write(root, "srv/app/node_modules/lodash/package.json", lodash);
    write(root, "srv/other/node_modules/lodash/package.json", lodash);
    write(
        root,
        "srv/app/node_modules/@types/node/package.json",
        r#"{"name":"@types/node","version":"20.10.0"}"#,
    );
    write(
        root,
        "srv/app/package.json",
        r#"{"name":"app","version":"1.0.0"}"#,
    );
    write(root, "srv/app/Cargo.lock", CARGO_LOCK);
    write(root, "srv/app/broken/Cargo.lock", "[[package]\n");
    write(root, "proc/1/root/Cargo.lock", CARGO_LOCK);
    fs::create_dir_all(root.join("a")).unwrap();
    std::os::unix::fs::symlink("..", root.join("a/loop")).unwrap();
    std::os::unix::fs::symlink("/", root.join("a/host")).unwrap();
    write(root, "locked/requirements.txt", "flask==3.0.0\n");
    fs::set_permissions(
        root.join("locked"),
        std::os::unix::fs::PermissionsExt::from_mode(0o000),
    )
    .unwrap();
    let bad = std::ffi::OsStr::from_bytes(b"bad-\xff-name.txt");
    fs::write(root.join("srv").join(bad), "x").unwrap();
}

fn opts() -> WalkOptions {
    WalkOptions {
        mode: Mode::Rootfs,
        skip_dirs: vec!["proc".into(), "sys".into()],
        max_file_size: 0,
        threads: 2,
        skip_network_mounts: false,
    }
}

#[test]
fn catalogs_a_rootfs_tree_without_following_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    build_tree(root);
    let calls = std::sync::atomic::AtomicU64::new(0);
    let inv = catalog_dir(root, &opts(), &|_| {
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    // Restore permissions so the temp dir can be removed when not running as root.
    fs::set_permissions(
        root.join("locked"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    assert_eq!(inv.os.as_ref().map(|o| o.id.as_str()), Some("debian"));
    assert!(calls.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    let got: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem != Ecosystem::PyPI || p.name != "flask")
        .map(|p| {
            (
                p.ecosystem,
                p.name.as_str(),
                p.version.as_str(),
                p.locations.len(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (Ecosystem::Deb, "base-files", "12.4+deb12u5", 1),
            (Ecosystem::Deb, "libssl3", "3.0.11-1~deb12u2", 1),
            (Ecosystem::PyPI, "requests", "2.31.0", 1),
            (Ecosystem::Npm, "@types/node", "20.10.0", 1),
            (Ecosystem::Npm, "lodash", "4.17.20", 2),
            (Ecosystem::Cargo, "smallvec", "1.11.2", 1),
        ]
    );
    let ssl = &inv.packages[1];
    assert_eq!(
        ssl.purl,
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
    );
    assert_eq!(ssl.locations[0].path, "var/lib/dpkg/status");
    let smallvec = inv.packages.iter().find(|p| p.name == "smallvec").unwrap();
    assert_eq!(smallvec.locations[0].path, "srv/app/Cargo.lock");
    assert_eq!(smallvec.locations[0].line, Some(7));

    let warned = |needle: &str| inv.warnings.iter().any(|w| w.path.contains(needle));
    assert!(warned("bad-"), "non-UTF-8 name: {:?}", inv.warnings);
    assert!(warned("srv/app/broken/Cargo.lock"), "{:?}", inv.warnings);
    assert!(inv.files_walked >= 10 && inv.files_read >= 7, "{inv:?}");

    // Deterministic: a second run gives the same inventory.
    let again = catalog_dir(root, &opts(), &|_| {}).unwrap();
    assert_eq!(again.packages, inv.packages);
}

#[test]
fn project_mode_skips_os_databases_and_honours_size_limits() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "var/lib/dpkg/status", STATUS);
    write(root, "Cargo.lock", CARGO_LOCK);
    write(
        root,
        "big/Cargo.lock",
        &format!("{CARGO_LOCK}\n{}", "# pad\n".repeat(200)),
    );
    let opts = WalkOptions {
        mode: Mode::Project,
        max_file_size: 400,
        ..WalkOptions::default()
    };
    let inv = catalog_dir(root, &opts, &|_| {}).unwrap();
    assert!(inv.os.is_none());
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].locations.len(), 1);
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.path == "big/Cargo.lock" && w.message.contains("larger"))
    );
}

#[test]
fn catalogs_a_single_file_and_rejects_bad_roots() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Cargo.lock", CARGO_LOCK);
    let lock = dir.path().join("Cargo.lock");
    let inv = catalog_file(&lock, &WalkOptions::default()).unwrap();
    assert_eq!(inv.packages.len(), 1);
    assert!(inv.packages[0].locations[0].path.ends_with("Cargo.lock"));
    assert!(
        catalog_dir(
            &dir.path().join("missing"),
            &WalkOptions::default(),
            &|_| {}
        )
        .is_err()
    );
    assert!(catalog_dir(&lock, &WalkOptions::default(), &|_| {}).is_err());
    assert!(catalog_file(dir.path(), &WalkOptions::default()).is_err());
}
