//! Catalogs the heavier real fixtures built by `scripts/build-fixtures.sh` (a debootstrap'd Debian, an
//! `npm ci` tree of ~1,000 packages, a pip `--target` directory) and checks them against the tools'
//! own view. Skipped with a note when the fixtures are absent, except under `CI=true`.

use rampart_catalog::{Mode, WalkOptions, catalog_dir};
use rampart_core::Ecosystem;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixture(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("RAMPART_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/rampart-fixtures"))
        })?;
    let path = base.join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but fixture {} is missing: run scripts/build-fixtures.sh",
        path.display()
    );
    eprintln!(
        "note: fixture {} missing; run scripts/build-fixtures.sh",
        path.display()
    );
    None
}

fn opts(mode: Mode) -> WalkOptions {
    WalkOptions {
        mode,
        ..WalkOptions::default()
    }
}

#[test]
fn debootstrap_rootfs_matches_dpkg_query() {
    let (Some(root), Some(list)) = (
        fixture("debian-bookworm-minbase"),
        fixture("debian-bookworm-minbase.dpkg-query.txt"),
    ) else {
        return;
    };
    let expected: BTreeSet<(String, String, String)> = std::fs::read_to_string(list)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((
                f.next()?.to_string(),
                f.next()?.to_string(),
                f.next()?.to_string(),
            ))
        })
        .collect();
    let inv = catalog_dir(&root, &opts(Mode::Rootfs), &|_| {}).unwrap();
    assert_eq!(inv.os.as_ref().map(|o| o.id.as_str()), Some("debian"));
    let got: BTreeSet<(String, String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Deb)
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.advisory_name().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(
        inv.packages
            .iter()
            .all(|p| p.purl.contains("distro=debian-12"))
    );
}

#[test]
fn npm_tree_matches_its_lockfile() {
    let Some(root) = fixture("npm-1000") else {
        return;
    };
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("package-lock.json")).unwrap()).unwrap();
    let expected: BTreeSet<(String, String)> = lock["packages"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| {
            // Aliases (`string-width-cjs` → `string-width`) carry the real name.
            let name = v["name"]
                .as_str()
                .or(Some(k.rsplit_once("node_modules/")?.1))?;
            Some((name.to_string(), v["version"].as_str()?.to_string()))
        })
        .collect();
    let inv = catalog_dir(&root, &opts(Mode::Project), &|_| {}).unwrap();
    let got: BTreeSet<(String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Npm)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert!(expected.len() > 900);
}

#[test]
fn pip_target_dir_has_the_pinned_distributions() {
    let Some(root) = fixture("pip-old") else {
        return;
    };
    let inv = catalog_dir(&root, &opts(Mode::Project), &|_| {}).unwrap();
    let got: Vec<(&str, &str)> = inv
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    // PyYAML 5.3.1 is the documented fallback when 5.3 will not build.
    let yaml = got.iter().find(|(n, _)| *n == "pyyaml").map(|(_, v)| *v);
    assert!(matches!(yaml, Some("5.3" | "5.3.1")), "{got:?}");
    for (name, version) in [
        ("django", "3.2"),
        ("jinja2", "2.10"),
        ("requests", "2.25.1"),
        ("urllib3", "1.26.4"),
    ] {
        assert!(
            got.contains(&(name, version)),
            "{name} {version} not in {got:?}"
        );
    }
}
