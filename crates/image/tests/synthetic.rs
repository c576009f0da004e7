//! End-to-end behaviour on images built in the test: layering, whiteouts, attribution, visitors,
//! platforms, caching.

mod common;

use common::{E, Layer, Layout, OS_RELEASE, dpkg_status, metadata, tar_of};
use rampart_core::Ecosystem;
use rampart_image::{AnalyzeOptions, Cache, FileVisitor, ImageError, LayerFile, Platform, analyze};
use serde_json::json;

const SITE: &str = "usr/local/lib/python3.11/dist-packages";

/// Three layers: a base with dpkg, an app layer (dpkg rewritten, two PyPI packages, a secret file, a
/// setuid helper) and a cleanup layer (whiteouts, opaque dir).
fn three_layer_image(l1_zstd: bool) -> Layout {
    let base = tar_of(&[
        E::Dir("etc/"),
        E::File("usr/lib/os-release", OS_RELEASE, 0o644),
        E::Sym("etc/os-release", "../usr/lib/os-release"),
        E::File(
            "var/lib/dpkg/status",
            &dpkg_status(&[("libc6", "2.36-9"), ("bash", "5.2.15-2")]),
            0o644,
        ),
        E::File("usr/bin/passwd", b"\x7fELF", 0o4755),
        E::Dir("tmp/"),
        E::File("opt/cache/a", b"a", 0o644),
    ]);
    let req = metadata("requests", "2.19.1");
    let jinja = metadata("Jinja2", "2.10");
    let status2 = dpkg_status(&[
        ("libc6", "2.36-9"),
        ("bash", "5.2.15-2"),
        ("curl", "7.88.1-10"),
    ]);
    let p_req = format!("{SITE}/requests-2.19.1.dist-info/METADATA");
    let p_jinja = format!("{SITE}/Jinja2-2.10.dist-info/METADATA");
    let app = tar_of(&[
        E::File("var/lib/dpkg/status", &status2, 0o644),
        E::File(&p_req, &req, 0o644),
        E::File(&p_jinja, &jinja, 0o644),
        E::File("opt/app/.env", b"AWS_SECRET_ACCESS_KEY=abc", 0o600),
        E::File("usr/local/bin/helper", b"#!/bin/sh", 0o4755),
        E::File("opt/app/data.txt", b"x", 0o666),
        E::File("opt/cache/b", b"b", 0o644),
    ]);
    let wh_jinja = format!("{SITE}/.wh.Jinja2-2.10.dist-info");
    let cleanup = tar_of(&[
        E::File(&wh_jinja, b"", 0o644),
        E::File("opt/app/.wh..env", b"", 0o644),
        E::File("opt/cache/.wh..wh..opq", b"", 0o644),
        E::File("opt/cache/c", b"c", 0o644),
    ]);
    let mut layout = Layout::new();
    let app_layer = if l1_zstd {
        Layer::zst(app, "RUN pip install")
    } else {
        Layer::plain(app, "RUN pip install")
    };
    let config = json!({
        "config": {"User": "", "Env": ["PATH=/usr/bin", "API_TOKEN=s3cr3t-value-123"], "ExposedPorts": {"22/tcp": {}, "80/tcp": {}}},
        "history": [
            {"created_by": "ADD file:abc in /"},
            {"created_by": "ENV API_TOKEN=…", "empty_layer": true},
            {"created_by": "RUN pip install"},
            {"created_by": "ADD https://example.com/tool.tar.gz /opt/"},
        ],
    });
    let m = layout.image(
        &[
            Layer::gz(base, "ADD file:abc in /"),
            app_layer,
            Layer::gz(cleanup, "RUN rm"),
        ],
        config,
    );
    layout.tag(m, "app");
    layout
}

fn find<'a>(inv: &'a rampart_catalog::Inventory, name: &str) -> Option<&'a rampart_core::Package> {
    inv.packages.iter().find(|p| p.name == name)
}

#[test]
fn attributes_packages_to_the_layer_that_introduced_them() {
    let layout = three_layer_image(false);
    let a = analyze(&layout.reference("app"), &AnalyzeOptions::default(), None).unwrap();
    let inv = &a.inventory;
    assert_eq!(inv.os.as_ref().map(|o| o.id.as_str()), Some("debian"));
    let layer_of = |n: &str| find(inv, n).and_then(|p| p.layer.as_ref()).map(|l| l.index);
    assert_eq!(layer_of("libc6"), Some(0));
    assert_eq!(layer_of("bash"), Some(0));
    assert_eq!(layer_of("curl"), Some(1));
    assert_eq!(layer_of("requests"), Some(1));
    let curl = find(inv, "curl").unwrap();
    let lref = curl.layer.as_ref().unwrap();
    assert_eq!(
        lref.created_by.as_deref(),
        Some("RUN pip install"),
        "history skips empty_layer entries"
    );
    assert_eq!(lref.digest, a.image.layers[1].diff_id.to_string());
    assert!(curl.purl.contains("distro=debian-12"), "{}", curl.purl);
    assert!(
        find(inv, "Jinja2").is_none() && find(inv, "jinja2").is_none(),
        "deleted by a whiteout"
    );
    assert_eq!(find(inv, "requests").unwrap().ecosystem, Ecosystem::PyPI);
}

#[test]
fn whiteouts_and_opaque_dirs_shape_the_final_view() {
    let layout = three_layer_image(true);
    let a = analyze(&layout.reference("app"), &AnalyzeOptions::default(), None).unwrap();
    let deleted: Vec<(&str, u32, u32)> = a
        .image
        .deleted_files
        .iter()
        .map(|d| (d.path.as_str(), d.layer, d.deleted_by))
        .collect();
    assert!(deleted.contains(&("opt/app/.env", 1, 2)), "{deleted:?}");
    assert!(
        deleted.contains(&("opt/cache/a", 0, 2)) && deleted.contains(&("opt/cache/b", 1, 2)),
        "{deleted:?}"
    );
    assert!(
        deleted
            .iter()
            .any(|d| d.0.ends_with("Jinja2-2.10.dist-info/METADATA"))
    );
    assert!(!deleted.iter().any(|d| d.0 == "opt/cache/c"));
    assert_eq!(a.image.layers.len(), 3);
    assert!(a.image.layers[1].media_type.ends_with("+zstd"));
}

#[test]
fn config_checks_fire_with_layer_evidence() {
    let layout = three_layer_image(false);
    let a = analyze(&layout.reference("app"), &AnalyzeOptions::default(), None).unwrap();
    let findings = a.config_findings();
    let ids: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.subject.as_str()))
        .collect();
    for want in [
        ("IMG001", "config:User"),
        ("IMG002", "config:Env:API_TOKEN"),
        ("IMG003", "history:3"),
        ("IMG004", "config:ExposedPorts:22/tcp"),
        ("IMG005", "config:Healthcheck"),
        ("IMG007", "file:usr/local/bin/helper"),
        ("IMG008", "file:opt/app/data.txt"),
    ] {
        assert!(ids.contains(&want), "{want:?} missing from {ids:?}");
    }
    assert!(
        !ids.contains(&("IMG007", "file:usr/bin/passwd")),
        "setuid in the base layer is not flagged"
    );
    assert!(!ids.contains(&("IMG004", "config:ExposedPorts:80/tcp")));
    assert!(
        !ids.iter().any(|(id, _)| *id == "IMG006"),
        "tag app is not latest"
    );
    let secret = findings.iter().find(|f| f.rule_id == "IMG002").unwrap();
    let shown = serde_json::to_string(secret).unwrap();
    assert!(
        !shown.contains("s3cr3t-value-123"),
        "secret value leaked: {shown}"
    );
    let setuid = findings.iter().find(|f| f.rule_id == "IMG007").unwrap();
    assert!(
        setuid.evidence[0].label.starts_with("layer 1 "),
        "{:?}",
        setuid.evidence
    );
    assert!(findings.iter().all(|f| !f.remediation.is_empty()));
}

struct Collect(Vec<(u32, String, Vec<u8>)>);

impl FileVisitor for Collect {
    fn wants(&mut self, file: &LayerFile) -> bool {
        file.path.starts_with("opt/")
    }
    fn visit(&mut self, file: &LayerFile, content: &[u8]) {
        self.0
            .push((file.layer, file.path.to_string(), content.to_vec()));
    }
}

#[test]
fn file_visitor_sees_files_deleted_by_later_layers() {
    let layout = three_layer_image(false);
    let mut v = Collect(Vec::new());
    analyze(
        &layout.reference("app"),
        &AnalyzeOptions::default(),
        Some(&mut v),
    )
    .unwrap();
    assert!(
        v.0.contains(&(
            1,
            "opt/app/.env".into(),
            b"AWS_SECRET_ACCESS_KEY=abc".to_vec()
        )),
        "{:?}",
        v.0
    );
    assert!(v.0.iter().any(|(l, p, _)| *l == 0 && p == "opt/cache/a"));
}

#[test]
fn multi_platform_index_picks_the_requested_platform() {
    let mut layout = Layout::new();
    let amd = layout.image(
        &[Layer::gz(tar_of(&[E::File("amd", b"1", 0o644)]), "amd")],
        json!({"architecture": "amd64", "os": "linux"}),
    );
    let arm = layout.image(
        &[Layer::gz(tar_of(&[E::File("arm", b"1", 0o644)]), "arm")],
        json!({"architecture": "arm64", "os": "linux", "variant": "v8"}),
    );
    let mut amd_d = amd.clone();
    amd_d["platform"] = json!({"os": "linux", "architecture": "amd64"});
    let mut arm_d = arm.clone();
    arm_d["platform"] = json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
    let att = json!({"mediaType": amd["mediaType"], "digest": amd["digest"], "size": amd["size"], "platform": {"os": "unknown", "architecture": "unknown"}});
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [att, amd_d, arm_d]});
    let idx = layout.blob(
        "application/vnd.oci.image.index.v1+json",
        &serde_json::to_vec(&index).unwrap(),
    );
    layout.tag(idx, "multi");
    let mut opts = AnalyzeOptions {
        platform: Platform::parse("linux/arm64").unwrap(),
        ..AnalyzeOptions::default()
    };
    let a = analyze(&layout.reference("multi"), &opts, None).unwrap();
    assert_eq!(a.image.platform.architecture, "arm64");
    assert_eq!(a.image.layers[0].created_by.as_deref(), Some("arm"));
    opts.platform = Platform::parse("linux/amd64").unwrap();
    assert_eq!(
        analyze(&layout.reference("multi"), &opts, None)
            .unwrap()
            .image
            .platform
            .architecture,
        "amd64"
    );
    opts.platform = Platform::parse("linux/s390x").unwrap();
    let err = analyze(&layout.reference("multi"), &opts, None).unwrap_err();
    assert!(matches!(err, ImageError::NoPlatform { .. }), "{err}");
    assert!(
        err.to_string().contains("linux/amd64, linux/arm64/v8"),
        "{err}"
    );
}

#[test]
fn missing_tag_lists_the_available_ones() {
    let layout = three_layer_image(false);
    let err = analyze(&layout.reference("nope"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(err.to_string().contains("available: app"), "{err}");
}

#[test]
fn cached_analysis_round_trips_by_config_and_manifest_digest() {
    let layout = three_layer_image(false);
    let a = analyze(&layout.reference("app"), &AnalyzeOptions::default(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("images"));
    assert!(cache.get(&a.image.config_digest).is_none());
    cache.put(&a).unwrap();
    let hit = cache.get(&a.image.config_digest).unwrap();
    assert_eq!((&hit.image, &hit.inventory), (&a.image, &a.inventory));
    assert!(
        hit.view.is_none()
            && a.view
                .as_ref()
                .is_some_and(|v| v.get("opt/app/data.txt").is_some_and(|n| n.layer == 1))
    );
    let by_manifest = cache
        .get_by_manifest(a.image.manifest_digest.as_ref().unwrap())
        .unwrap();
    assert_eq!(by_manifest.inventory, a.inventory);
    assert_eq!(
        by_manifest.config_findings(),
        a.config_findings(),
        "checks need no layer access"
    );
}

#[test]
fn latest_or_missing_tag_is_flagged() {
    let mut layout = Layout::new();
    let m = layout.image(
        &[Layer::gz(tar_of(&[E::File("a", b"x", 0o644)]), "t")],
        json!({"config": {"User": "1000", "Healthcheck": {"Test": ["CMD", "true"]}}}),
    );
    layout.tag(m, "latest");
    let r = rampart_image::ImageRef::OciDir {
        path: layout.path().into(),
        tag: None,
    };
    let a = analyze(&r, &AnalyzeOptions::default(), None).unwrap();
    let findings = a.config_findings();
    let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(
        ids,
        ["IMG006"],
        "non-root user and a healthcheck: only the tag is wrong"
    );
}
