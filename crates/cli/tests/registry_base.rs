//! Base images across a registry and the trusted-base catalogue, against Debian's real
//! `docker-registry` with images pushed by `skopeo` and derived images built by `umoci`:
//! `rampart registry scan --base-catalog` (base per image, base/added split, recommendations,
//! per-base summary), catalogue entries that `ref` registry images, and `rampart image base pin`.

use rampart_testkit::registry::{Registry, have};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The registry, when it and the image tools (skopeo, umoci) are installed.
mod support;

use support::{demo_db as db, ok, run_ok};

/// `rampart ARGS` with a private home.
fn rampart(home: &Path, args: &[&str]) -> Output {
    support::rampart_in(home, args, None)
}

fn start() -> Option<Registry> {
    if !have("skopeo", "skopeo") || !have("umoci", "umoci") {
        return None;
    }
    Registry::start(None)
}

/// Copies `oci:FROM:tag` into the layout `work` (skopeo keeps the blobs), adds a small
/// uncompressed layer with `umoci raw add-layer`, and tags the result `new_tag`.
fn derive(from: &Path, tag: &str, work: &Path, new_tag: &str) {
    run_ok(
        Command::new("skopeo")
            .args(["copy", "-q"])
            .arg(format!("oci:{}:{tag}", from.display()))
            .arg(format!("oci:{}:{tag}", work.display())),
    );
    let layer = layer_tar(work, new_tag);
    run_ok(
        Command::new("umoci")
            .args(["raw", "add-layer", "--image"])
            .arg(format!("{}:{tag}", work.display()))
            .args(["--tag", new_tag])
            .arg(&layer),
    );
}

/// A tar holding `srv/NAME.txt`.
fn layer_tar(work: &Path, name: &str) -> PathBuf {
    let src = work.with_extension(format!("{name}-src"));
    std::fs::create_dir_all(src.join("srv")).unwrap();
    std::fs::write(src.join("srv").join(format!("{name}.txt")), name).unwrap();
    let tar = work.with_extension(format!("{name}.tar"));
    run_ok(
        Command::new("tar")
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&src)
            .arg("srv"),
    );
    tar
}

fn origin(f: &Value) -> Option<&str> {
    f["evidence"]
        .as_array()?
        .iter()
        .find(|e| e["label"] == "image origin")
        .and_then(|e| e["detail"].as_str())
}

#[test]
fn registry_scan_reports_each_images_base_and_summarises_bases() {
    let (Some(images), Some(default)) = (
        rampart_testkit::fixture("images"),
        rampart_testkit::fixture("images-default"),
    ) else {
        return;
    };
    let Some(reg) = start() else { return };
    let (layout, default_layout) = (images.join("oci"), default.join("oci"));
    let work = reg.dir.path().join("work");
    // Two applications on different bases (a Python base built on minbase, and the debootstrap
    // default variant), the bases themselves, and an image built on an older minbase build:
    // its annotation names minbase, its layers are not minbase's.
    derive(&layout, "app", &work, "web");
    derive(&default_layout, "default", &work, "tool");
    run_ok(
        Command::new("umoci")
            .arg("new")
            .arg("--image")
            .arg(format!("{}:old", work.display())),
    );
    let old_layer = layer_tar(&work, "old");
    run_ok(
        Command::new("umoci")
            .args(["raw", "add-layer", "--image"])
            .arg(format!("{}:old", work.display()))
            .arg(&old_layer),
    );
    run_ok(
        Command::new("umoci")
            .args(["config", "--image"])
            .arg(format!("{}:old", work.display()))
            .args([
                "--manifest.annotation",
                "org.opencontainers.image.base.name=debian-bookworm-minbase",
            ]),
    );
    reg.push(&layout, "minbase", "base/debian:minbase");
    reg.push(&default_layout, "default", "base/debian:default");
    reg.push(&layout, "app", "base/python:1");
    reg.push(&work, "web", "team/web:1");
    reg.push(&work, "tool", "team/tool:1");
    reg.push(&work, "old", "team/old:1");

    // A private home: analysis cache, and no credential files.
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path().to_path_buf();
    let db = db(&home);
    let host = &reg.host;
    let catalog = home.join("bases.yaml");
    std::fs::write(
        &catalog,
        format!(
            "bases:\n  - name: debian-bookworm-minbase\n    image: {host}/base/debian:minbase\n  - name: debian-bookworm\n    ref: {host}/base/debian:default\n    os: debian\n  - name: python-app-base\n    image: {host}/base/python:1\n"
        ),
    )
    .unwrap();
    let out = ok(rampart(
        &home,
        &[
            "registry",
            "scan",
            host,
            "--insecure",
            "--base-catalog",
            catalog.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "-f",
            "json",
        ],
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert!(origin(f).is_some(), "origin of {f}");
    }
    let of = |image: &str, rule: &str| -> Vec<&Value> {
        findings
            .iter()
            .filter(|f| f["asset"] == format!("{host}/{image}") && f["rule_id"] == rule)
            .collect()
    };
    // team/web: the Python packages are its base's (python-app-base); the upgrade is minbase.
    let web_vulns: Vec<&Value> = findings
        .iter()
        .filter(|f| f["asset"] == format!("{host}/team/web:1") && f["kind"] == "vulnerability")
        .collect();
    assert!(!web_vulns.is_empty(), "{stderr}");
    assert!(web_vulns.iter().all(|f| origin(f) == Some("base")));
    let rec = of("team/web:1", "IMG009");
    assert_eq!(rec.len(), 1, "{stderr}");
    assert_eq!(rec[0]["subject"], "base:debian-bookworm-minbase");
    for allowed in [
        "team/web:1",
        "team/tool:1",
        "team/old:1",
        "base/debian:minbase",
    ] {
        assert!(
            of(allowed, "IMG010").is_empty(),
            "{allowed} is on an allowed base"
        );
    }
    assert!(of("team/tool:1", "IMG009").is_empty(), "{stderr}");

    // The per-image rows and the per-base summary.
    let row = |image: &str| {
        stderr
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{host}/{image}")))
            .unwrap_or_else(|| panic!("row of {image} in {stderr}"))
            .to_string()
    };
    assert!(
        row("team/web:1").contains("base python-app-base → debian-bookworm-minbase:"),
        "{stderr}"
    );
    assert!(
        row("team/tool:1").contains("base debian-bookworm:"),
        "{stderr}"
    );
    assert!(
        row("team/old:1").contains("base debian-bookworm-minbase:"),
        "{stderr}"
    );
    let summary = stderr
        .split_once("Base images (6 images):")
        .unwrap_or_else(|| panic!("summary in {stderr}"))
        .1;
    let base_row = |name: &str| -> Vec<String> {
        summary
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} in {summary}"))
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    // BASE ALLOWED IMAGES OLDER-BUILD UPGRADE
    assert_eq!(base_row("python-app-base")[1..], ["yes", "2", "0", "2"]);
    assert_eq!(base_row("debian-bookworm")[1..3], ["yes", "2"]);
    assert_eq!(base_row("debian-bookworm-minbase")[1..4], ["yes", "2", "1"]);
    assert!(summary.contains("Top recommended upgrades:"), "{summary}");
    assert!(
        summary.contains("python-app-base → debian-bookworm-minbase: 2 images"),
        "{summary}"
    );

    // The same rows and summary in the JSON report.
    let rollup = &report["images"];
    let images = rollup["images"].as_array().expect("images rows");
    assert_eq!(images.len(), 6, "{rollup}");
    let image = |r: &str| {
        images
            .iter()
            .find(|i| i["reference"] == format!("{host}/{r}"))
            .unwrap_or_else(|| panic!("{r} in {rollup}"))
    };
    let web = image("team/web:1");
    assert_eq!(web["base"]["name"], "python-app-base");
    assert_eq!(web["base"]["allowed"], true);
    assert_eq!(web["base"]["recommended"], "debian-bookworm-minbase");
    assert!(web["digest"].as_str().unwrap().starts_with("sha256:"));
    let web_total: u64 = web["by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        web_total,
        web["findings_in_base"].as_u64().unwrap() + web["findings_added"].as_u64().unwrap()
    );
    assert_eq!(
        web_total as usize,
        findings
            .iter()
            .filter(|f| f["asset"] == format!("{host}/team/web:1"))
            .count()
    );
    assert_eq!(image("team/tool:1")["base"]["name"], "debian-bookworm");
    let bases = rollup["bases"].as_array().expect("bases");
    let base = |n: &str| bases.iter().find(|b| b["name"] == n).unwrap();
    assert_eq!(base("python-app-base")["images"], 2);
    assert_eq!(base("python-app-base")["upgrade"], 2);
    assert_eq!(base("debian-bookworm-minbase")["older_build"], 1);
    let counts: Vec<u64> = bases
        .iter()
        .map(|b| b["images"].as_u64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most used first: {counts:?}"
    );
    let up = &rollup["upgrades"][0];
    assert_eq!(
        (
            up["from"].as_str(),
            up["to"].as_str(),
            up["images"].as_u64()
        ),
        (
            Some("python-app-base"),
            Some("debian-bookworm-minbase"),
            Some(2)
        )
    );

    // Without a catalogue the scan still splits findings into base and added.
    let plain = ok(rampart(
        &home,
        &[
            "registry",
            "scan",
            &format!("{host}/team"),
            "--insecure",
            "--db",
            db.to_str().unwrap(),
            "-f",
            "json",
            "-q",
        ],
    ));
    let plain: Value = serde_json::from_slice(&plain.stdout).unwrap();
    let plain = plain["findings"].as_array().unwrap();
    // Over the whole registry, each image's base is the other image whose layers are its bottom
    // layers.
    let whole = ok(rampart(
        &home,
        &[
            "registry",
            "scan",
            host,
            "--insecure",
            "--db",
            db.to_str().unwrap(),
            "-f",
            "json",
            "-q",
        ],
    ));
    let whole: Value = serde_json::from_slice(&whole.stdout).unwrap();
    let rows = whole["images"]["images"].as_array().unwrap();
    let base_of = |r: &str| {
        &rows
            .iter()
            .find(|i| i["reference"] == format!("{host}/{r}"))
            .unwrap_or_else(|| panic!("{r} in {whole}"))["base"]
    };
    let web = base_of("team/web:1");
    assert_eq!(web["name"], format!("{host}/base/python:1"), "{web}");
    assert!(web.get("allowed").is_none(), "no catalogue: {web}");
    assert!(
        web["methods"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "registry-layers"),
        "{web}"
    );
    let python = base_of("base/python:1");
    assert_eq!(
        python["name"],
        format!("{host}/base/debian:minbase"),
        "{python}"
    );
    // web's base (the app image) sits on minbase: more base layers than the app's own base
    assert!(web["layers"].as_u64().unwrap() > python["layers"].as_u64().unwrap());
    assert_eq!(
        base_of("team/tool:1")["name"],
        format!("{host}/base/debian:default")
    );
    assert!(plain.iter().all(|f| origin(f).is_some()));
    assert!(
        plain
            .iter()
            .all(|f| f["rule_id"] != "IMG009" && f["rule_id"] != "IMG010")
    );
}

#[test]
fn base_pin_writes_layers_and_check_reports_upstream_updates() {
    let (Some(images), Some(default)) = (
        rampart_testkit::fixture("images"),
        rampart_testkit::fixture("images-default"),
    ) else {
        return;
    };
    let Some(reg) = start() else { return };
    let layout = images.join("oci");
    reg.push(&layout, "minbase", "base/debian:12");
    // A private home: analysis cache, and no credential files.
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path().to_path_buf();
    let db = db(&home);
    let host = reg.host.clone();
    let catalog = home.join("bases.yaml");
    // A registry `ref`, an OCI layout `image` (relative to the file) and an entry with neither.
    run_ok(
        Command::new("skopeo")
            .args(["copy", "-q"])
            .arg(format!("oci:{}:default", default.join("oci").display()))
            .arg(format!("oci:{}:default", home.join("layout").display())),
    );
    std::fs::write(
        &catalog,
        format!(
            "bases:\n  - name: debian-12\n    ref: {host}/base/debian:12\n    os: debian\n  - name: local-default\n    image: oci:layout:default\n  - name: by-name\n    references: [docker.io/library/debian:bookworm]\n"
        ),
    )
    .unwrap();
    let pin = |extra: &[&str]| {
        let mut args = vec![
            "image",
            "base",
            "pin",
            catalog.to_str().unwrap(),
            "--insecure",
        ];
        args.extend_from_slice(extra);
        rampart(&home, &args)
    };
    let check = pin(&["--check"]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "unpinned entries fail --check"
    );
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("debian-12: not pinned"), "{text}");

    let out = ok(pin(&[]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("debian-12: pinned 1 layer, sha256:"),
        "{text}"
    );
    assert!(text.contains("local-default: pinned 1 layer"), "{text}");
    assert!(text.contains("by-name: skipped"), "{text}");
    let yaml = std::fs::read_to_string(&catalog).unwrap();
    assert_eq!(yaml.matches("diff_ids:").count(), 2, "{yaml}");
    assert_eq!(yaml.matches("digest: sha256:").count(), 2, "{yaml}");
    assert!(
        yaml.contains(&format!("ref: {host}/base/debian:12")),
        "{yaml}"
    );

    let out = ok(pin(&["--check"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("debian-12: current") && text.contains("local-default: current"),
        "{text}"
    );

    // The base is updated upstream: --check names it and fails.
    reg.push(&default.join("oci"), "default", "base/debian:12");
    let check = pin(&["--check"]);
    assert_eq!(check.status.code(), Some(1));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("debian-12: CHANGED upstream"), "{text}");
    assert!(text.contains("local-default: current"), "{text}");

    // Matching keeps the pinned layers: the app image (on minbase) is still on debian-12.
    let app = format!("oci:{}:app", layout.display());
    let out = ok(rampart(
        &home,
        &[
            "image",
            &app,
            "--base-catalog",
            catalog.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--scanners",
            "vuln,config",
            "-q",
        ],
    ));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("Base image: debian-12 (allowed base)"),
        "{table}"
    );

    let out = ok(pin(&[]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("debian-12: re-pinned") && text.contains("updated upstream"),
        "{text}"
    );
    assert!(ok(pin(&["--check"])).status.success());

    // An unreachable reference is an error naming the entry; the file is left as it was.
    drop(reg);
    let before = std::fs::read_to_string(&catalog).unwrap();
    let failed = pin(&[]);
    assert_eq!(failed.status.code(), Some(2));
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.contains("debian-12"), "{err}");
    assert_eq!(std::fs::read_to_string(&catalog).unwrap(), before);
}
