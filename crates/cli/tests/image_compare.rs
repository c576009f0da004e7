//! End-to-end tests of base-image detection, `rampart image compare` and base recommendations, on
//! the real fixture images (debootstrap's default and minbase bookworm variants, and the `app` image
//! with PyPI packages at known-vulnerable versions) and the real PyPA and Debian advisory data.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn rampart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_remove("RAMPART_DB")
        .output()
        .expect("run rampart")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else if e.file_type().unwrap().is_file() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A database of the real PyPA and Debian (DSA/DLA) advisories, built once per test binary.
fn db() -> Option<&'static Path> {
    static DB: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    DB.get_or_init(|| {
        let vulndb = rampart_testkit::shared("data/vulndb")?;
        let dir = tempfile::tempdir().unwrap();
        let feeds = dir.path().join("feeds");
        for source in ["pypa-advisory-database", "debian-security-tracker"] {
            copy_tree(&vulndb.join(source), &feeds.join(source));
        }
        let db = dir.path().join("rampart.db");
        ok(rampart(&[
            "db",
            "build",
            "--from",
            feeds.to_str().unwrap(),
            "--out",
            db.to_str().unwrap(),
            "-q",
        ]));
        Some((dir, db))
    })
    .as_ref()
    .map(|(_, p)| p.as_path())
}

/// `(images, images-default)` fixture folders and the database, or `None` to skip.
fn setup() -> Option<(PathBuf, PathBuf, &'static Path)> {
    let images = rampart_testkit::fixture("images")?;
    let default = rampart_testkit::fixture("images-default")?;
    Some((images, default, db()?))
}

fn oci(dir: &Path, tag: &str) -> String {
    format!("oci:{}:{tag}", dir.join("oci").display())
}

fn compare_json(a: &str, b: &str, db: &Path) -> Value {
    let out = ok(rampart(&[
        "image",
        "compare",
        a,
        b,
        "--db",
        db.to_str().unwrap(),
        "-f",
        "json",
        "-q",
    ]));
    serde_json::from_slice(&out.stdout).expect("comparison JSON")
}

fn total(side: &Value) -> u64 {
    side["vulnerabilities"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

#[test]
fn compare_debootstrap_default_with_minbase() {
    let Some((images, default, db)) = setup() else {
        return;
    };
    let (a, b) = (oci(&default, "default"), oci(&images, "minbase"));
    let c = compare_json(&a, &b, db);
    let (sa, sb) = (&c["a"], &c["b"]);
    let (pa, pb) = (
        sa["packages"].as_u64().unwrap(),
        sb["packages"].as_u64().unwrap(),
    );
    assert!(pb > 50 && pb < pa, "minbase {pb} packages, default {pa}");
    assert!(sb["size"].as_u64() < sa["size"].as_u64());
    assert!(sb["uncompressed_size"].as_u64() < sa["uncompressed_size"].as_u64());
    assert_eq!(
        (sa["layers"].as_u64(), sb["layers"].as_u64()),
        (Some(1), Some(1))
    );
    for s in ["critical", "high", "medium", "low", "negligible", "unknown"] {
        assert!(sa["vulnerabilities"][s].is_u64(), "{s} counted for A");
    }
    // minbase is a subset of the default variant: it adds no package and no vulnerability.
    assert_eq!(c["packages_added"].as_array().unwrap().len(), 0);
    assert_eq!(c["added"].as_array().unwrap().len(), 0);
    assert!(total(sb) <= total(sa));
    let removed: Vec<&str> = c["packages_removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(removed.len() as u64, pa - pb);
    assert!(removed.contains(&"deb/iproute2"), "{removed:?}");
    assert_eq!(sb["base"]["methods"][0], "history-rootfs");

    let table = ok(rampart(&[
        "image",
        "compare",
        &a,
        &b,
        "--db",
        db.to_str().unwrap(),
        "-q",
    ]));
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains(&format!("Packages only in A: {}", pa - pb)),
        "{table}"
    );
    assert!(table.contains("B adds: 0 vulnerabilities"), "{table}");
    for row in [
        "CRITICAL",
        "NEGLIGIBLE",
        "UNKNOWN",
        "packages",
        "size",
        "layers",
    ] {
        assert!(table.contains(row), "{row} in {table}");
    }
}

#[test]
fn compare_app_with_minbase_lists_the_python_vulnerabilities_b_fixes() {
    let Some((images, _, db)) = setup() else {
        return;
    };
    let c = compare_json(&oci(&images, "app"), &oci(&images, "minbase"), db);
    let fixed = c["fixed"].as_array().unwrap();
    assert!(!fixed.is_empty());
    let packages: Vec<&str> = fixed
        .iter()
        .map(|f| f["package"].as_str().unwrap())
        .collect();
    for p in ["urllib3", "requests"] {
        assert!(packages.contains(&p), "{packages:?}");
    }
    assert_eq!(total(&c["a"]), fixed.len() as u64);
    assert_eq!(total(&c["b"]), 0);
    assert!(c["added"].as_array().unwrap().is_empty());
    assert_eq!(
        (c["a"]["layers"].as_u64(), c["b"]["layers"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(c["a"]["base"]["layers"], 1, "minbase is app's bottom layer");
}

fn catalogue(dir: &Path, images: &Path, default: &Path, with_app: bool) -> PathBuf {
    let mut yaml = format!(
        "bases:\n  - name: debian-bookworm-minbase\n    image: \"{}\"\n  - name: debian-bookworm\n    image: \"{}\"\n",
        oci(images, "minbase"),
        oci(default, "default")
    );
    if with_app {
        yaml.push_str(&format!(
            "  - name: python-app-base\n    image: \"{}\"\n",
            oci(images, "app")
        ));
    }
    let path = dir.join(if with_app {
        "with-app.yaml"
    } else {
        "bases.yaml"
    });
    std::fs::write(&path, yaml).unwrap();
    path
}

fn scan(reference: &str, catalog: &Path, db: &Path, format: &str) -> Output {
    ok(rampart(&[
        "image",
        reference,
        "--base-catalog",
        catalog.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "-f",
        format,
        "-q",
    ]))
}

fn origin(f: &Value) -> &str {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["label"] == "image origin")
        .and_then(|e| e["detail"].as_str())
        .unwrap_or("")
}

#[test]
fn base_catalogue_detects_the_base_and_splits_findings_into_base_and_added() {
    let Some((images, default, db)) = setup() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogue(dir.path(), &images, &default, false);
    let app = oci(&images, "app");
    let report: Value = serde_json::from_slice(&scan(&app, &cat, db, "json").stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let vulns: Vec<&Value> = findings
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .collect();
    assert!(!vulns.is_empty());
    for f in &vulns {
        assert_eq!(origin(f), "added", "{}", f["rule_id"]);
    }
    assert!(findings.iter().all(|f| !origin(f).is_empty()));
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"IMG007"),
        "setuid helper of layer 1 is reported"
    );
    assert!(!rules.contains(&"IMG010"), "minbase is an allowed base");
    assert!(
        !rules.contains(&"IMG009"),
        "no allowed base has fewer findings than minbase"
    );

    let table = String::from_utf8(scan(&app, &cat, db, "table").stdout).unwrap();
    assert!(
        table.contains("Base image: debian-bookworm-minbase (allowed base)"),
        "{table}"
    );
    assert!(table.contains("layer 0 base, layers 1–2 added"), "{table}");
    assert!(
        table.contains("findings from the base: 0; added by the image:"),
        "{table}"
    );

    // A catalogue that does not allow minbase: the base comes from the history, and is flagged.
    let only_default = dir.path().join("only-default.yaml");
    std::fs::write(
        &only_default,
        format!(
            "bases:\n  - name: debian-bookworm\n    image: \"{}\"\n",
            oci(&default, "default")
        ),
    )
    .unwrap();
    let report: Value =
        serde_json::from_slice(&scan(&app, &only_default, db, "json").stdout).unwrap();
    let img010 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "IMG010")
        .expect("IMG010 for a base outside the catalogue");
    assert!(
        img010["evidence"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("layer 0 base")
    );
}

#[test]
fn base_catalogue_recommends_the_smallest_allowed_base_with_fewer_findings() {
    let Some((images, default, db)) = setup() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The app image itself as an allowed "python base": its findings are the base's, and both
    // Debian variants have fewer; minbase is the smaller.
    let cat = catalogue(dir.path(), &images, &default, true);
    let app = oci(&images, "app");
    let report: Value = serde_json::from_slice(&scan(&app, &cat, db, "json").stdout).unwrap();
    let rec = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "IMG009")
        .expect("a recommendation");
    assert_eq!(rec["subject"], "base:debian-bookworm-minbase");
    let evidence: Vec<&str> = rec["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert!(evidence[0].starts_with("python-app-base: "), "{evidence:?}");
    assert!(
        evidence[1].starts_with("debian-bookworm-minbase: 0 findings"),
        "{evidence:?}"
    );
    let table = String::from_utf8(scan(&app, &cat, db, "table").stdout).unwrap();
    assert!(
        table.contains("recommendation: Rebuild on the allowed base debian-bookworm-minbase"),
        "{table}"
    );

    // The default variant on a catalogue of the two Debian variants: neither has fewer findings
    // with this data (both 0), so nothing is recommended; the image is itself an allowed base.
    let cat = catalogue(dir.path(), &images, &default, false);
    let report: Value =
        serde_json::from_slice(&scan(&oci(&default, "default"), &cat, db, "json").stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains(&"IMG009") && !rules.contains(&"IMG010"),
        "{rules:?}"
    );
}
