//! The registry source and registry scan against the real Debian `docker-registry` (distribution 2.8)
//! on loopback, with images pushed by `skopeo`; and against a tiny fake registry for hostile answers.

use rampart_image::registry_scan::{RegistryScanOptions, scan_registry};
use rampart_image::{AnalyzeOptions, Cache, ImageRef, RegistryOptions};
use rampart_testkit::registry::Registry;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

fn insecure() -> AnalyzeOptions {
    AnalyzeOptions {
        registry: RegistryOptions {
            insecure: true,
            ..RegistryOptions::default()
        },
        ..AnalyzeOptions::default()
    }
}

#[test]
fn pulled_image_equals_the_layout_analysis() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let layout = images.join("oci");
    reg.push(&layout, "app", "team/app:1.0");
    let opts = insecure();
    let local = rampart_image::analyze(
        &ImageRef::parse(&format!("oci:{}:app", layout.display())).unwrap(),
        &opts,
        None,
    )
    .unwrap();
    let remote = rampart_image::analyze(
        &ImageRef::parse(&format!("{}/team/app:1.0", reg.host)).unwrap(),
        &opts,
        None,
    )
    .unwrap();
    assert_eq!(local.inventory.packages, remote.inventory.packages);
    assert_eq!(local.image.config_digest, remote.image.config_digest);
    assert_eq!(local.image.layers, remote.image.layers);
}

#[test]
fn basic_auth_registry_refuses_anonymous_pulls_and_accepts_credentials() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let Some(reg) = Registry::start(Some(("alice", "s3cret-pass"))) else {
        return;
    };
    reg.push_as(
        &images.join("oci"),
        "minbase",
        "team/base:1",
        Some("alice:s3cret-pass"),
    );
    let r = ImageRef::parse(&format!("{}/team/base:1", reg.host)).unwrap();
    let with = |user: Option<&str>, password: Option<&str>| AnalyzeOptions {
        registry: RegistryOptions {
            insecure: true,
            username: user.map(str::to_string),
            password: password.map(str::to_string),
            attempts: 1,
            ..RegistryOptions::default()
        },
        ..AnalyzeOptions::default()
    };
    let err = rampart_image::analyze(&r, &with(None, None), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("team/base:1") && err.contains("unauthorized") && err.contains("--username"),
        "{err}"
    );
    let err = rampart_image::analyze(&r, &with(Some("alice"), Some("wrong")), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unauthorized") && !err.contains("wrong"),
        "{err}"
    );
    let a = rampart_image::analyze(&r, &with(Some("alice"), Some("s3cret-pass")), None).unwrap();
    assert_eq!(a.image.layers.len(), 1);
    assert!(a.inventory.packages.len() > 50);
}

/// Writes `n` variants of the layout's `app` image into a new layout: same layers, a label per
/// variant in the config (so each is a distinct image sharing every layer blob).
fn variants(layout: &Path, n: usize, out: &Path) -> Vec<String> {
    let blobs = out.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for e in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        std::fs::hard_link(e.path(), blobs.join(e.file_name()))
            .or_else(|_| std::fs::copy(e.path(), blobs.join(e.file_name())).map(|_| ()))
            .unwrap();
    }
    std::fs::write(out.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let app = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "app")
        .unwrap();
    let read = |d: &str| std::fs::read(blobs.join(d.trim_start_matches("sha256:"))).unwrap();
    let put = |bytes: &[u8]| {
        let d = rampart_image::Digest::sha256(bytes);
        std::fs::write(blobs.join(d.hex()), bytes).unwrap();
        d.to_string()
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(app["digest"].as_str().unwrap())).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&read(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    let mut entries = Vec::new();
    let mut tags = Vec::new();
    for i in 0..n {
        let mut c = config.clone();
        c["config"]["Labels"]["variant"] = serde_json::json!(i.to_string());
        let cb = serde_json::to_vec(&c).unwrap();
        let mut m = manifest.clone();
        m["config"]["digest"] = serde_json::json!(put(&cb));
        m["config"]["size"] = serde_json::json!(cb.len());
        let mb = serde_json::to_vec(&m).unwrap();
        let tag = format!("v{i}");
        entries.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": put(&mb), "size": mb.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }));
        tags.push(tag);
    }
    let idx = serde_json::json!({"schemaVersion": 2, "manifests": entries});
    std::fs::write(out.join("index.json"), serde_json::to_vec(&idx).unwrap()).unwrap();
    tags
}

#[test]
fn registry_scan_reads_each_shared_blob_once_and_reruns_without_blobs() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("variants");
    let tags = variants(&images.join("oci"), 20, &layout);
    for t in &tags {
        reg.push(&layout, t, &format!("team/app:{t}"));
    }
    // Two more tags on an image already pushed: deduplicated by digest.
    reg.push(&layout, "v0", "team/app:latest");
    reg.push(&layout, "v0", "other/app:stable");
    let before = reg.blob_gets().len();
    let cache = Cache::new(tmp.path().join("cache"));
    let mut opts = RegistryScanOptions::new(reg.host.clone());
    opts.analyze = insecure();
    opts.concurrency = 4;
    let scan = scan_registry(&opts, &cache).unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    assert_eq!(scan.images.len(), 20);
    let v0 = scan
        .images
        .iter()
        .find(|i| i.references.len() == 3)
        .unwrap();
    assert!(
        v0.references
            .iter()
            .any(|r| r.ends_with("other/app:stable"))
    );
    assert!(scan.images.iter().all(|i| i.analysis.is_ok() && !i.cached));
    let gets: Vec<String> = reg.blob_gets().split_off(before);
    let mut digests: Vec<&str> = gets.iter().map(|u| u.rsplit('/').next().unwrap()).collect();
    let total = digests.len();
    digests.sort();
    digests.dedup();
    eprintln!(
        "first scan: {total} blob GETs, {} distinct blobs",
        digests.len()
    );
    assert_eq!(total, digests.len(), "a blob was fetched twice: {gets:?}");
    // 20 configs + the shared layers.
    assert!((21..=28).contains(&total), "{total}");

    let before = reg.blob_gets().len();
    let again = scan_registry(&opts, &cache).unwrap();
    assert_eq!(again.images.len(), 20);
    assert!(again.images.iter().all(|i| i.cached));
    assert_eq!(
        reg.blob_gets().len() - before,
        0,
        "second run fetched blobs"
    );
}

/// The distinct blob digests among `gets`, and whether one was fetched twice.
fn distinct(gets: &[String]) -> (usize, bool) {
    let mut d: Vec<&str> = gets.iter().map(|u| u.rsplit('/').next().unwrap()).collect();
    let total = d.len();
    d.sort();
    d.dedup();
    (d.len(), d.len() != total)
}

#[test]
fn a_catalogue_image_on_the_registry_shares_the_scans_blobs() {
    use rampart_image::BlobStash;
    use rampart_image::base::catalog::BaseCatalog;
    use std::sync::Arc;
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let layout = images.join("oci");
    // `app` is built on `minbase`: they share minbase's layer.
    reg.push(&layout, "minbase", "base/debian:12");
    reg.push(&layout, "app", "team/app:1");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bases.yaml");
    std::fs::write(
        &path,
        format!(
            "bases:\n  - name: debian-12\n    image: {}/base/debian:12\n",
            reg.host
        ),
    )
    .unwrap();
    let catalog = BaseCatalog::load(&path).unwrap();
    // catalogue, then scan, as `rampart registry scan --base-catalog` runs them
    let run = |shared: bool, cache: &Cache| {
        let mut analyze = insecure();
        if shared {
            analyze.registry.stash = Some(Arc::new(BlobStash::new().unwrap()));
        }
        let before = reg.blob_gets().len();
        let (known, warnings) = catalog.resolve(&analyze, cache);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(known[0].analysis.is_some());
        let mut opts = RegistryScanOptions::new(reg.host.clone());
        opts.analyze = analyze;
        let scan = scan_registry(&opts, cache).unwrap();
        assert_eq!(scan.images.len(), 2, "{:?}", scan.errors);
        reg.blob_gets().split_off(before)
    };
    let shared = run(true, &Cache::new(tmp.path().join("cache-a")));
    let (blobs, twice) = distinct(&shared);
    assert!(!twice, "a blob was fetched twice: {shared:?}");
    // without the shared stash, the base layer is fetched again for the application image
    let separate = run(false, &Cache::new(tmp.path().join("cache-b")));
    let (same_blobs, twice) = distinct(&separate);
    assert_eq!(same_blobs, blobs);
    assert!(
        twice,
        "the control run should fetch the shared layer twice: {separate:?}"
    );
    eprintln!(
        "catalogue + scan: {} blob GETs with the shared stash, {} without",
        shared.len(),
        separate.len()
    );
}

/// A fake registry: answers each connection with the next canned response.
fn fake(responses: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<usize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = l.local_addr().unwrap().to_string();
    let h = std::thread::spawn(move || {
        let mut served = 0;
        let mut responses = responses.into_iter().peekable();
        while responses.peek().is_some() {
            let Ok((mut s, _)) = l.accept() else { break };
            let mut buf = [0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            if buf[..n].starts_with(b"GET /v2/ ") {
                // The version check oci-client makes before authenticating.
                let _ = s.write_all(&http("200 OK", "application/json", b"{}"));
                continue;
            }
            let Some(r) = responses.next() else { break };
            if r.is_empty() {
                // Slow: say nothing until the client gives up.
                std::thread::sleep(Duration::from_secs(3));
            } else {
                let _ = s.write_all(&r);
            }
            served += 1;
        }
        served
    });
    (host, h)
}

fn http(status: &str, ctype: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v
}

fn quick() -> RegistryOptions {
    RegistryOptions {
        insecure: true,
        timeout: Duration::from_millis(500),
        attempts: 3,
        backoff: Duration::from_millis(10),
        ..RegistryOptions::default()
    }
}

#[test]
fn retries_429_then_succeeds_and_names_garbage_and_timeouts() {
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5},"layers":[]}"#;
    let mt = "application/vnd.oci.image.manifest.v1+json";
    let (host, h) = fake(vec![
        http("429 Too Many Requests", "text/plain", b"slow down"),
        http("503 Service Unavailable", "text/plain", b"busy"),
        http("200 OK", mt, manifest),
    ]);
    let client = rampart_image::RegistryClient::new(&host, &quick()).unwrap();
    let (bytes, _) = client.manifest("app", "1").unwrap();
    assert_eq!(bytes, manifest);
    assert_eq!(h.join().unwrap(), 3);

    let (host, _h) = fake(vec![http("200 OK", mt, b"\x00\x01garbage{{")]);
    let r = ImageRef::parse(&format!("{host}/app:1")).unwrap();
    let opts = AnalyzeOptions {
        registry: quick(),
        ..AnalyzeOptions::default()
    };
    let err = rampart_image::analyze(&r, &opts, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("manifest"), "{err}");

    let (host, _h) = fake(vec![Vec::new(), Vec::new(), Vec::new()]);
    let client = rampart_image::RegistryClient::new(&host, &quick()).unwrap();
    let err = client.manifest("app", "1").unwrap_err().to_string();
    assert!(
        err.contains("after 3 attempts") && err.contains("app:1"),
        "{err}"
    );
}

#[test]
fn blob_digest_mismatch_names_the_blob() {
    let d = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    let (host, _h) = fake(vec![http("200 OK", "application/octet-stream", b"hellO")]);
    let client = rampart_image::RegistryClient::new(&host, &quick()).unwrap();
    let err = client
        .blob("app", &d.parse().unwrap(), Some(5), &format!("layer 0 {d}"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("layer 0 {d}")) && err.contains("mismatch"),
        "{err}"
    );
}

#[test]
fn catalogue_ref_entries_read_the_manifest_and_config_only_and_pin() {
    use rampart_image::base::catalog::{BaseCatalog, PinState};
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let layout = images.join("oci");
    reg.push(&layout, "minbase", "base/debian:12");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bases.yaml");
    std::fs::write(
        &path,
        format!(
            "bases:\n  - name: debian-12\n    ref: {}/base/debian:12\n    os: debian\n",
            reg.host
        ),
    )
    .unwrap();
    let catalog = BaseCatalog::load(&path).unwrap();
    let opts = insecure();
    let cache = Cache::new(dir.path().join("cache"));
    let (known, warnings) = catalog.resolve(&opts, &cache);
    assert!(warnings.is_empty(), "{warnings:?}");
    let app = rampart_image::analyze(
        &ImageRef::parse(&format!("oci:{}:app", layout.display())).unwrap(),
        &opts,
        None,
    )
    .unwrap();
    assert_eq!(known[0].diff_ids, [app.image.layers[0].diff_id.clone()]);
    assert!(known[0].analysis.is_none(), "a `ref` entry is not analysed");
    let base = app.detect_base(&known);
    assert_eq!(base.allowed.as_deref(), Some("debian-12"));
    assert_eq!(base.layers, 1);
    // The only blob read is the config: no layer was pulled.
    let gets = reg.blob_gets();
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert!(!gets[0].contains(&app.image.layers[0].digest.clone().unwrap().to_string()));

    // Pinning writes the layers and digest; a re-pin is unchanged; the pinned file resolves
    // without the registry.
    let mut catalog = BaseCatalog::load(&path).unwrap();
    let states = catalog.pin(&opts).unwrap();
    assert_eq!(
        states[0],
        ("debian-12".to_string(), Some(PinState::Unpinned))
    );
    catalog.save(&path).unwrap();
    let pinned = BaseCatalog::load(&path).unwrap();
    assert_eq!(pinned.bases[0].diff_ids, known[0].diff_ids);
    assert_eq!(pinned.bases[0].digest, known[0].digest);
    let mut again = pinned.clone();
    assert_eq!(again.pin(&opts).unwrap()[0].1, Some(PinState::Current));
    drop(reg);
    let (offline, warnings) = pinned.resolve(&opts, &cache);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(offline[0].diff_ids, known[0].diff_ids);
}
