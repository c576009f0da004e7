//! `rampart registry scan` against Debian's `docker-registry` behind token auth (the testkit's
//! token service): credentials from `--username/--password-stdin` reach the catalog
//! (`registry:catalog:*`) page by page (`--page-size`), `--since` skips the old image, and without
//! credentials the scan stops with a clear error.

use rampart_testkit::registry::{Registry, have};
use std::path::Path;
use std::process::Output;

mod support;

/// `rampart ARGS` with a private home and `stdin`.
fn rampart(home: &Path, args: &[&str], stdin: &str) -> Output {
    support::rampart_in(home, args, Some(stdin))
}

const USER: &str = "alice";
const PASSWORD: &str = "t0ken-pass";

#[test]
fn registry_scan_with_token_auth_pages_and_since() {
    if !have("skopeo", "skopeo") || !have("umoci", "umoci") {
        return;
    }
    let Some(reg) = Registry::start_token(USER, PASSWORD) else {
        return;
    };
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path();
    let db = support::demo_db(home);
    let now = jiff::Timestamp::now().to_string();
    let layout = rampart_testkit::registry::small_images(
        home,
        &[("old", "2001-02-03T04:05:06Z"), ("new", &now)],
    );
    let creds = format!("{USER}:{PASSWORD}");
    reg.push_as(&layout, "old", "team/legacy:1", Some(&creds));
    reg.push_as(&layout, "new", "team/app:1", Some(&creds));
    reg.push_as(&layout, "new", "other/app:2", Some(&creds));
    let host = reg.host.as_str();
    let db = db.to_str().unwrap();
    let base = [
        "registry",
        "scan",
        host,
        "--insecure",
        "--db",
        db,
        "-f",
        "json",
    ];

    let refused = rampart(home, &base, "");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("catalog") && err.contains("unauthorized"),
        "{err}"
    );

    let mut args = base.to_vec();
    args.extend([
        "--username",
        USER,
        "--password-stdin",
        "--page-size",
        "1",
        "--since",
        "7d",
    ]);
    let out = rampart(home, &args, &format!("{PASSWORD}\n"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 distinct images (1 skipped by --since, 0 errors)"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{host}/other/app:2")), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "the password was printed");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["findings"].is_array());
    // Three repositories, one a page: the catalog token was asked for once, with the credentials.
    let catalog: Vec<_> = reg
        .token_requests()
        .into_iter()
        .filter(|t| t.scopes == ["registry:catalog:*"] && t.user.as_deref() == Some(USER))
        .collect();
    assert_eq!(catalog.len(), 1, "{catalog:?}");
    assert_eq!(catalog[0].status, 200);
    let pages = std::fs::read_to_string(&reg.log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"GET /v2/_catalog?") && l.contains("n=1"))
        .count();
    assert!(pages >= 3, "{pages} catalog requests");
}
