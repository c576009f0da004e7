//! The 0-day re-match: an image pulled from Debian's real `docker-registry` and analysed once is
//! matched again, after the vulnerability database was rebuilt with a new advisory for one of its
//! packages, from the analysis cache — the new finding is reported without a single blob GET.

use rampart_testkit::registry::{Registry, have};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The id of the advisory database B adds.
const NEW_ID: &str = "RAMPART-TEST-2026-0001";

/// An OSV record in the real OSV schema (as the PyPA advisory database publishes them), for the
/// `requests` 2.19.1 the `app` image installs. SYNTHETIC: made up for this test, not a real
/// vulnerability.
const NEW_ADVISORY: &str = r#"{
  "schema_version": "1.6.0",
  "id": "RAMPART-TEST-2026-0001",
  "modified": "2026-11-27T00:00:00Z",
  "published": "2026-11-27T00:00:00Z",
  "summary": "Synthetic advisory for Rampart's re-match test (not a real vulnerability)",
  "details": "Made up for crates/cli/tests/image_rematch.rs: requests before 2.19.2.",
  "affected": [
    {
      "package": {"ecosystem": "PyPI", "name": "requests", "purl": "pkg:pypi/requests"},
      "ranges": [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.19.2"}]}
      ]
    }
  ],
  "references": [{"type": "WEB", "url": "https://example.invalid/rampart-test-advisory"}]
}
"#;

mod support;

/// `rampart ARGS` with a private home, which must succeed.
fn rampart(home: &Path, args: &[&str]) -> Output {
    support::ok(support::rampart_in(home, args, None))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `rampart db build --from FEEDS` into a new file that then replaces `db`, as `db update` does.
fn build_db(home: &Path, feeds: &Path, db: &Path) {
    let fresh = db.with_extension("new");
    rampart(
        home,
        &[
            "db",
            "build",
            "-q",
            "--from",
            feeds.to_str().unwrap(),
            "--out",
            fresh.to_str().unwrap(),
        ],
    );
    std::fs::rename(&fresh, db).unwrap();
}

/// The vulnerability findings of `rampart image REF --scanners vuln`, as `(id, package, layer)`.
fn scan(home: &Path, reference: &str, db: &Path) -> Vec<(String, String, u64)> {
    let out = rampart(
        home,
        &[
            "image",
            reference,
            "--insecure",
            "--scanners",
            "vuln",
            "--db",
            db.to_str().unwrap(),
            "-f",
            "json",
            "-q",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let v = f.get("vulnerability")?;
            Some((
                v["id"].as_str()?.to_string(),
                v["package"]["name"].as_str()?.to_string(),
                v["package"]["layer"]["index"].as_u64()?,
            ))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_new_advisory_is_found_in_a_cached_image_without_blob_requests() {
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
    let reference = format!("{}/team/app:1", reg.host);

    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path();
    // Database A: the demo feeds.
    let feeds = home.join("feeds");
    copy_dir(
        &PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/vulndb"
        )),
        &feeds,
    );
    let db = home.join("rampart.db");
    build_db(home, &feeds, &db);

    // First scan: the image is pulled, analysed and cached.
    let before = scan(home, &reference, &db);
    let pulled = reg.blob_gets().len();
    assert!(pulled > 0, "the first scan pulls the layers");
    assert!(
        before
            .iter()
            .any(|(id, p, _)| id == "CVE-2018-18074" && p == "requests"),
        "{before:?}"
    );
    assert!(before.iter().all(|(id, _, _)| id != NEW_ID), "{before:?}");

    // Database B: A plus one new advisory for a package of the image.
    let dir = feeds.join("pypa-advisory-database/vulns/requests");
    std::fs::write(dir.join(format!("{NEW_ID}.json")), NEW_ADVISORY).unwrap();
    build_db(home, &feeds, &db);

    // Second scan: the new finding, with the layer that brought the package, from the cache.
    let after = scan(home, &reference, &db);
    assert_eq!(
        reg.blob_gets().len(),
        pulled,
        "the re-match fetched blobs: {:?}",
        &reg.blob_gets()[pulled..]
    );
    let new: Vec<_> = after.iter().filter(|f| !before.contains(f)).collect();
    assert_eq!(
        new,
        [&(NEW_ID.to_string(), "requests".to_string(), 1)],
        "{after:?}"
    );
    assert_eq!(after.len(), before.len() + 1);

    // The registry reference's SBOM comes from the same cached analysis (no blob either), and
    // scanning it finds the new advisory too.
    let sbom = home.join("app.cdx.json");
    rampart(
        home,
        &[
            "sbom",
            &reference,
            "--insecure",
            "-o",
            sbom.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(reg.blob_gets().len(), pulled);
    let out = rampart(
        home,
        &[
            "sbom",
            "scan",
            sbom.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "-f",
            "json",
            "-q",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["vulnerability"]["id"].as_str())
        .collect();
    assert!(ids.contains(&NEW_ID), "{ids:?}");
    assert_eq!(ids.len(), after.len());
}
