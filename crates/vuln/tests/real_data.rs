//! The knowledge base on the real advisory data in `../shared/data/vulndb`: every source ingests, the
//! database opens, and known-vulnerable packages match the advisories that list them.

use rampart_core::{Ecosystem, OsRelease, Package, SourcePackage};
use rampart_vuln::{Database, ingest, match_packages};
use std::path::PathBuf;
use std::sync::OnceLock;

/// `$RAMPART_SHARED/data/vulndb` (default `../shared` beside the workspace). Missing data skips the test
/// with a note, except under CI where it must be present.
fn vulndb_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("RAMPART_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let dir = shared.join("data/vulndb");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared vulnerability data missing at {} (set RAMPART_SHARED)",
        dir.display()
    );
    eprintln!("note: {} not found; skipping real-data test", dir.display());
    None
}

struct Built {
    _dir: tempfile::TempDir,
    db: Database,
    warnings: usize,
}

fn built() -> Option<&'static Built> {
    static DB: OnceLock<Option<Built>> = OnceLock::new();
    DB.get_or_init(|| {
        let src = vulndb_dir()?;
        let feeds = ingest::load_dir(&src, &|_, _| {});
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rampart.db");
        rampart_vuln::db::build(&feeds, &path, "test").expect("build");
        let db = Database::open(&path).expect("open");
        Some(Built {
            _dir: dir,
            db,
            warnings: feeds.warnings.len(),
        })
    })
    .as_ref()
}

#[test]
fn every_source_ingests() {
    let Some(b) = built() else { return };
    let m = b.db.metadata();
    for (source, at_least) in [
        ("osv:Go", 3000),
        ("osv:PyPI", 2000),
        ("osv:crates.io", 700),
        ("debian", 10000),
        ("alpine-secdb", 500),
        ("nodejs-security-wg", 400),
        ("rubysec", 800),
    ] {
        let n = m.sources.get(source).copied().unwrap_or(0);
        assert!(
            n >= at_least,
            "{source}: {n} advisories, expected at least {at_least}"
        );
    }
    assert!(m.kev_entries >= 1400, "KEV {}", m.kev_entries);
    assert!(m.epss_entries >= 200_000, "EPSS {}", m.epss_entries);
    assert!(b.warnings < 50, "{} unusable files", b.warnings);
}

#[test]
fn enrichment_lookups() {
    let Some(b) = built() else { return };
    let kev = b.db.kev("CVE-2021-44228").expect("log4shell is in KEV");
    assert_eq!(kev.date_added, "2021-12-10");
    let (score, pct) =
        b.db.epss("CVE-2021-44228")
            .expect("log4shell has an EPSS score");
    assert!(score > 0.9 && pct > 0.99, "{score} {pct}");
    assert!(b.db.kev("CVE-1999-99999999").is_none());
    assert!(!b.db.advisories_by_id("GO-2023-1704").unwrap().is_empty());
}

fn ids_for(b: &Built, pkgs: &[Package], os: Option<&OsRelease>) -> Vec<String> {
    let out = match_packages(&b.db, pkgs, os, "test").expect("match");
    out.findings
        .iter()
        .flat_map(|f| {
            let v = f.vulnerability.as_ref().expect("vulnerability finding");
            std::iter::once(v.id.clone()).chain(v.aliases.iter().cloned())
        })
        .collect()
}

#[test]
fn pypi_packages_match_pypa_advisories() {
    let Some(b) = built() else { return };
    let pkgs = [
        Package::new(Ecosystem::PyPI, "Django", "3.2"),
        Package::new(Ecosystem::PyPI, "urllib3", "1.26.4"),
        Package::new(Ecosystem::PyPI, "PyYAML", "5.3"),
        Package::new(Ecosystem::PyPI, "Jinja2", "2.10"),
    ];
    let ids = ids_for(b, &pkgs, None);
    for expected in [
        "CVE-2021-33203",
        "CVE-2021-33503",
        "CVE-2020-1747",
        "CVE-2019-10906",
    ] {
        assert!(
            ids.contains(&expected.to_string()),
            "{expected} missing from {ids:?}"
        );
    }
    // A fixed version is clean of the same advisory.
    let ids = ids_for(
        b,
        &[Package::new(Ecosystem::PyPI, "urllib3", "1.26.5")],
        None,
    );
    assert!(!ids.contains(&"CVE-2021-33503".to_string()));
}

#[test]
fn go_stdlib_and_modules_match() {
    let Some(b) = built() else { return };
    let ids = ids_for(b, &[Package::new(Ecosystem::Go, "stdlib", "1.19.8")], None);
    assert!(
        ids.len() > 20,
        "Go 1.19.8 has many stdlib advisories, got {}",
        ids.len()
    );
    assert!(
        !ids.contains(&"GO-2023-1704".to_string()),
        "fixed in 1.19.8"
    );
    let ids = ids_for(b, &[Package::new(Ecosystem::Go, "stdlib", "1.19.7")], None);
    assert!(ids.contains(&"GO-2023-1704".to_string()));
    let ids = ids_for(
        b,
        &[Package::new(Ecosystem::Go, "golang.org/x/text", "v0.3.5")],
        None,
    );
    assert!(
        ids.contains(&"CVE-2021-38561".to_string()) || ids.contains(&"GO-2021-0113".to_string()),
        "{ids:?}"
    );
}

#[test]
fn debian_matches_on_source_package_per_release() {
    let Some(b) = built() else { return };
    let os = OsRelease::parse("ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n").unwrap();
    let mut libssl = Package::new(Ecosystem::Deb, "libssl1.1", "1.1.1k-1+deb11u1");
    libssl.source = Some(SourcePackage {
        name: "openssl".into(),
        version: None,
    });
    let ids = ids_for(b, std::slice::from_ref(&libssl), Some(&os));
    assert!(
        ids.iter().any(|i| i.starts_with("DSA-")),
        "openssl 1.1.1k-1+deb11u1 has DSAs: {ids:?}"
    );
    // The binary name alone has no advisories: matching must use the source package.
    libssl.source = None;
    assert!(ids_for(b, &[libssl], Some(&os)).is_empty());
}

#[test]
fn alpine_npm_gem_and_crates_match() {
    let Some(b) = built() else { return };
    let os = OsRelease::parse("ID=alpine\nVERSION_ID=3.10.2\n").unwrap();
    let mut musl = Package::new(Ecosystem::Apk, "musl", "1.1.22-r2");
    musl.source = Some(SourcePackage {
        name: "musl".into(),
        version: None,
    });
    assert!(ids_for(b, &[musl], Some(&os)).contains(&"CVE-2019-14697".to_string()));
    let ids = ids_for(b, &[Package::new(Ecosystem::Npm, "lodash", "4.17.4")], None);
    assert!(ids.iter().any(|i| i.starts_with("CVE-")), "{ids:?}");
    let ids = ids_for(
        b,
        &[Package::new(Ecosystem::RubyGems, "actionpack", "6.0.3")],
        None,
    );
    assert!(
        ids.contains(&"CVE-2020-8164".to_string()) || ids.contains(&"CVE-2020-8185".to_string()),
        "{ids:?}"
    );
    let ids = ids_for(
        b,
        &[Package::new(Ecosystem::Cargo, "smallvec", "1.6.0")],
        None,
    );
    assert!(ids.contains(&"RUSTSEC-2021-0003".to_string()), "{ids:?}");
}

#[test]
fn one_finding_per_package_per_vulnerability() {
    let Some(b) = built() else { return };
    let out = match_packages(
        &b.db,
        &[Package::new(Ecosystem::PyPI, "Django", "3.2")],
        None,
        "t",
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for f in &out.findings {
        let v = f.vulnerability.as_ref().unwrap();
        for id in std::iter::once(&v.id).chain(&v.aliases) {
            assert!(seen.insert(id.clone()), "{id} appears in two findings");
        }
    }
}
