//! Hostile and broken input: nothing escapes the image root, nothing exhausts memory, every failure
//! names what failed.

mod common;

use common::{E, Layer, Layout, OS_RELEASE, tar_of};
use proptest::prelude::*;
use rampart_image::{AnalyzeOptions, Digest, ImageError, Limits, analyze};
use serde_json::json;
use std::io::Read;

fn single_layer(layer: Layer) -> Layout {
    let mut layout = Layout::new();
    let m = layout.image(&[layer], json!({}));
    layout.tag(m, "t");
    layout
}

#[test]
fn traversal_links_and_devices_stay_inside_the_root() {
    let tar = tar_of(&[
        E::File("../../etc/passwd", b"root:x:0:0", 0o644),
        E::File("/etc/abs.conf", b"abs", 0o644),
        E::File("host/os-release", OS_RELEASE, 0o644),
        // A link out of the root is resolved inside it: /host/os-release exists only in the image.
        E::Sym("etc/os-release", "../../../../../host/os-release"),
        E::Hard("etc/hard", "../../outside"),
        E::Hard("etc/hard-ok", "host/os-release"),
        E::Char("dev/null"),
        E::File("a/b/../../../x", b"x", 0o644),
    ]);
    let layout = single_layer(Layer::gz(tar, "hostile"));
    let a = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap();
    let w: Vec<String> = a
        .inventory
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.path, w.message))
        .collect();
    assert!(
        w.iter()
            .any(|m| m.contains("../../etc/passwd") && m.contains("climbs above")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|m| m.starts_with("etc/abs.conf") && m.contains("absolute")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|m| m.starts_with("etc/hard") && m.contains("outside the image root")),
        "{w:?}"
    );
    assert_eq!(
        a.inventory.os.as_ref().map(|o| o.id.as_str()),
        Some("debian"),
        "symlink resolved inside the root"
    );
    assert_eq!(
        a.image.paths, 5,
        "etc/abs.conf, host/os-release, etc/os-release, etc/hard-ok, dev/null"
    );
}

#[test]
fn decompression_bomb_stops_at_the_byte_limit() {
    let zeros = vec![0u8; 16 << 20];
    let tar = tar_of(&[E::File("bomb", &zeros, 0o644)]);
    let layer = Layer::gz(tar, "bomb");
    assert!(layer.blob.len() < (16 << 20) / 50, "{}", layer.blob.len());
    let layout = single_layer(layer);
    let opts = AnalyzeOptions {
        limits: Limits {
            max_total_bytes: 4 << 20,
            ..Limits::default()
        },
        ..AnalyzeOptions::default()
    };
    let err = analyze(&layout.reference("t"), &opts, None).unwrap_err();
    assert!(matches!(err, ImageError::Limit(_)), "{err}");
    assert!(err.to_string().contains("decompression bomb"), "{err}");
}

#[test]
fn file_count_and_per_file_limits() {
    let big = vec![b'a'; 2048];
    let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
    let mut entries: Vec<E> = names.iter().map(|n| E::File(n, b"x", 0o644)).collect();
    entries.push(E::File("var/lib/dpkg/status", &big, 0o644));
    let layout = single_layer(Layer::gz(tar_of(&entries), "many"));
    let opts = AnalyzeOptions {
        limits: Limits {
            max_files: 10,
            ..Limits::default()
        },
        ..AnalyzeOptions::default()
    };
    let err = analyze(&layout.reference("t"), &opts, None).unwrap_err();
    assert!(err.to_string().contains("more than 10 files"), "{err}");
    let opts = AnalyzeOptions {
        limits: Limits {
            max_file_size: 1024,
            ..Limits::default()
        },
        ..AnalyzeOptions::default()
    };
    let a = analyze(&layout.reference("t"), &opts, None).unwrap();
    assert!(
        a.inventory
            .warnings
            .iter()
            .any(|w| w.path == "var/lib/dpkg/status" && w.message.contains("read limit")),
        "{:?}",
        a.inventory.warnings
    );
}

#[test]
fn truncated_layer_is_a_layer_error() {
    let tar = tar_of(&[E::File("etc/data", &vec![7u8; 100_000], 0o644)]);
    let mut layer = Layer::gz(tar, "t");
    layer.blob.truncate(layer.blob.len() / 2);
    let layout = single_layer(layer);
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(matches!(err, ImageError::Layer { index: 0, .. }), "{err}");
}

#[test]
fn digest_mismatch_names_the_blob() {
    let layout = single_layer(Layer::gz(tar_of(&[E::File("a", b"hello", 0o644)]), "t"));
    let a = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap();
    let digest = a.image.layers[0].digest.clone().unwrap();
    let path = layout.blob_path(&digest);
    let mut blob = std::fs::read(&path).unwrap();
    // Flip a byte of the gzip trailer's size field: the stream still decodes the same tar? No — the
    // gzip CRC check fails or the digest check does; either way the layer is named.
    let n = blob.len();
    blob[n - 20] ^= 0xff;
    std::fs::write(&path, &blob).unwrap();
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("layer 0"), "{err}");

    // A config whose bytes do not match its digest.
    let layout = single_layer(Layer::gz(tar_of(&[E::File("a", b"hello", 0o644)]), "t"));
    let cfg = a.image.config_digest.clone();
    let cfg_path = layout.blob_path(&cfg);
    let mut bytes = std::fs::read(&cfg_path).unwrap();
    bytes[0] = b' ';
    std::fs::write(&cfg_path, &bytes).unwrap();
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains(&format!("config {cfg}")), "{err}");
}

#[test]
fn layer_digest_mismatch_with_valid_content() {
    // The layer decodes fine but is not the blob the manifest names.
    let layout = single_layer(Layer::plain(tar_of(&[E::File("a", b"hello", 0o644)]), "t"));
    let a = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap();
    let digest = a.image.layers[0].digest.clone().unwrap();
    let mut tar = std::fs::read(layout.blob_path(&digest)).unwrap();
    let at = tar.len() - 1;
    tar[at] = 1; // inside the end-of-archive padding: same entries, different bytes
    std::fs::write(layout.blob_path(&digest), &tar).unwrap();
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("layer 0 {digest}")),
        "{err}"
    );
}

#[test]
fn unknown_media_types_are_clear_errors() {
    let mut layout = Layout::new();
    let weird = layout.blob(
        "application/vnd.example.thing+json",
        br#"{"schemaVersion":2}"#,
    );
    layout.tag(weird, "t");
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(
        matches!(err, ImageError::UnsupportedMediaType { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("application/vnd.example.thing+json"),
        "{err}"
    );

    // A manifest whose layer is a Helm chart.
    let mut layout = Layout::new();
    let mut layer = Layer::gz(tar_of(&[E::File("a", b"x", 0o644)]), "t");
    layer.media_type = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    let m = layout.image(&[layer], json!({}));
    layout.tag(m, "t");
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(err.to_string().contains("helm.chart"), "{err}");
}

#[test]
fn garbage_index_json_is_a_clear_error() {
    let layout = Layout::new();
    std::fs::write(layout.path().join("index.json"), b"\x00\xffnot json").unwrap();
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(
        err.to_string().starts_with("index.json: invalid JSON"),
        "{err}"
    );
    std::fs::write(
        layout.path().join("index.json"),
        br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:zz","size":1}]}"#,
    )
    .unwrap();
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(err.to_string().contains("index.json"), "{err}");
    let no_layout = tempfile::tempdir().unwrap();
    let r = rampart_image::ImageRef::OciDir {
        path: no_layout.path().into(),
        tag: None,
    };
    let err = analyze(&r, &AnalyzeOptions::default(), None).unwrap_err();
    assert!(err.to_string().contains("not an OCI image layout"), "{err}");
}

#[test]
fn missing_blob_is_named() {
    let layout = single_layer(Layer::gz(tar_of(&[E::File("a", b"x", 0o644)]), "t"));
    let a = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap();
    let d: Digest = a.image.layers[0].digest.clone().unwrap();
    std::fs::remove_file(layout.blob_path(&d)).unwrap();
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(
        err.to_string().contains(&d.to_string()) && err.to_string().contains("not found"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fuzz_entry_points_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        rampart_image::fuzzing::fuzz_layer(&data);
        rampart_image::fuzzing::fuzz_manifest(&data);
        rampart_image::fuzzing::fuzz_layer(&common::gzip(&data));
    }

    #[test]
    fn mutated_layers_never_panic(flips in proptest::collection::vec((0usize..4096, any::<u8>()), 1..8)) {
        let mut tar = tar_of(&[
            E::File("var/lib/dpkg/status", &common::dpkg_status(&[("a", "1")]), 0o644),
            E::Sym("etc/os-release", "/x"),
            E::File(".wh.gone", b"", 0o644),
        ]);
        for (at, b) in flips {
            let n = tar.len();
            tar[at % n] = b;
        }
        rampart_image::fuzzing::fuzz_layer(&tar);
    }
}

#[test]
fn huge_long_name_entry_is_refused_before_it_is_read() {
    // A GNU long-name entry of 4 MiB (a real attack would claim gigabytes; repeated bytes compress away).
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(4 << 20);
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, std::io::repeat(b'a').take(4 << 20)).unwrap();
    let layout = single_layer(Layer::gz(b.into_inner().unwrap(), "longname"));
    let err = analyze(&layout.reference("t"), &AnalyzeOptions::default(), None).unwrap_err();
    assert!(matches!(err, ImageError::Limit(_)), "{err}");
    assert!(err.to_string().contains("long-name or PAX header"), "{err}");
}
