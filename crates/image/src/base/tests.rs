use super::catalog::{BaseEntry, KnownBase};
use super::*;
use crate::digest::Digest;
use crate::model::LayerInfo;
use crate::reference::Platform;
use crate::spec::History;
use std::collections::BTreeMap;

fn d(n: u8) -> Digest {
    Digest::sha256(&[n])
}

fn image(layers: &[u8], history: Vec<History>) -> ImageInfo {
    ImageInfo {
        reference: "oci:x".into(),
        tag: None,
        manifest_digest: None,
        config_digest: d(99),
        platform: Platform::host(),
        created: None,
        repo_tags: vec![],
        layers: layers
            .iter()
            .enumerate()
            .map(|(i, n)| LayerInfo {
                index: i as u32,
                digest: None,
                diff_id: d(*n),
                media_type: String::new(),
                size: 10,
                uncompressed_size: 10,
                entries: 1,
                created_by: None,
            })
            .collect(),
        history,
        user: None,
        env: vec![],
        exposed_ports: vec![],
        healthcheck: None,
        entrypoint: vec![],
        cmd: vec![],
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        special_files: vec![],
        deleted_files: vec![],
        paths: 0,
    }
}

fn known(name: &str, layers: &[u8], references: &[&str]) -> KnownBase {
    KnownBase {
        entry: BaseEntry {
            name: name.into(),
            image: None,
            references: references.iter().map(|s| s.to_string()).collect(),
            digests: vec![],
            diff_ids: layers.iter().map(|n| d(*n)).collect(),
            os: Some("debian".into()),
            ..BaseEntry::default()
        },
        diff_ids: layers.iter().map(|n| d(*n)).collect(),
        os: None,
        analysis: None,
        digest: None,
    }
}

#[test]
fn the_longest_catalogue_layer_prefix_wins() {
    let img = image(&[1, 2, 3, 4], vec![]);
    let bases = [
        known("one", &[1], &[]),
        known("two", &[1, 2], &[]),
        known("other", &[7, 2], &[]),
        known("too-long", &[1, 2, 3, 4, 5], &[]),
    ];
    let det = detect(&img, None, &bases);
    assert_eq!(det.layers, 2);
    assert_eq!(det.allowed.as_deref(), Some("two"));
    assert_eq!(det.methods, [BaseMethod::CatalogLayers]);
    assert_eq!(det.layer_split(), "layers 0–1 base, layers 2–3 added");
}

#[test]
fn annotation_names_the_base_and_history_counts_its_layers() {
    let mut img = image(
        &[1, 2, 3],
        vec![
            History {
                created_by: Some("ADD file:ab in / ".into()),
                ..History::default()
            },
            History {
                created_by: Some("CMD [\"bash\"]".into()),
                empty_layer: true,
                ..History::default()
            },
            History::default(),
            History::default(),
        ],
    );
    img.annotations
        .insert(BASE_NAME.into(), "docker.io/library/debian:bookworm".into());
    img.labels.insert(BASE_DIGEST.into(), d(5).to_string());
    let bases = [known("debian", &[8], &["debian:bookworm"])];
    let det = detect(&img, None, &bases);
    assert_eq!(
        det.name.as_deref(),
        Some("docker.io/library/debian:bookworm")
    );
    assert_eq!(det.digest, Some(d(5).to_string()));
    assert_eq!(det.allowed.as_deref(), Some("debian"));
    assert_eq!(det.layers, 1);
    assert_eq!(
        det.methods,
        [
            BaseMethod::Annotation,
            BaseMethod::CatalogName,
            BaseMethod::HistoryCmd
        ]
    );
}

#[test]
fn os_release_alone_makes_the_bottom_layer_the_base() {
    let img = image(&[1, 2], vec![]);
    let os = OsRelease {
        id: "debian".into(),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        ..OsRelease::default()
    };
    let det = detect(&img, Some(&os), &[]);
    assert_eq!(det.layers, 1);
    assert_eq!(det.methods, [BaseMethod::OsRelease]);
    assert_eq!(det.name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    let none = detect(&img, None, &[]);
    assert_eq!(none.layers, 0);
    assert_eq!(none.layer_split(), "layers 0–1 added (no base recognised)");
}
