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

#[test]
fn a_sibling_whose_layers_are_the_bottom_ones_is_the_base() {
    let img = image(&[1, 2, 3, 4], vec![]);
    let os = OsRelease {
        id: "debian".into(),
        ..OsRelease::default()
    };
    let mut det = detect(&img, Some(&os), &[]);
    assert_eq!(
        (det.layers, &det.methods[..]),
        (1, &[BaseMethod::OsRelease][..])
    );
    let (l12, l123, other, same) = (
        vec![d(1), d(2)],
        vec![d(1), d(2), d(3)],
        vec![d(1), d(9)],
        vec![d(1), d(2), d(3), d(4)],
    );
    let siblings = [
        Sibling {
            name: "r/os:1",
            diff_ids: &l12,
        },
        Sibling {
            name: "r/py:1",
            diff_ids: &l123,
        },
        Sibling {
            name: "r/x:1",
            diff_ids: &other,
        },
        // the image itself (or another tag of the same layers) is not its own base
        Sibling {
            name: "r/app:1",
            diff_ids: &same,
        },
    ];
    match_siblings(&mut det, &img, &siblings);
    assert_eq!(det.layers, 3);
    assert_eq!(det.name.as_deref(), Some("r/py:1"));
    assert_eq!(det.methods, [BaseMethod::RegistryLayers]);
    assert_eq!(det.layer_split(), "layers 0–2 base, layer 3 added");

    // a catalogue match by layers stands
    let k = known("deb", &[1], &[]);
    let mut cat = detect(&img, Some(&os), std::slice::from_ref(&k));
    match_siblings(&mut cat, &img, &siblings);
    assert_eq!((cat.layers, cat.name.as_deref()), (1, Some("deb")));

    // an annotation keeps its name; the layer count comes from the sibling
    let mut annotated = img.clone();
    annotated
        .annotations
        .insert(BASE_NAME.into(), "python:3.12".into());
    let mut ann = detect(&annotated, Some(&os), &[]);
    match_siblings(&mut ann, &annotated, &siblings);
    assert_eq!((ann.layers, ann.name.as_deref()), (3, Some("python:3.12")));
    assert_eq!(
        ann.methods,
        [BaseMethod::Annotation, BaseMethod::RegistryLayers]
    );
}
