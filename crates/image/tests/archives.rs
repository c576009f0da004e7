//! Archive forms built in the test: docker-archive in both layouts, OCI archive, and the cache API.

mod common;

use common::{E, Layer, Layout, OS_RELEASE, dpkg_status, tar_of};
use rampart_image::{AnalyzeOptions, Cache, Digest, ImageError, ImageRef, analyze, analyze_cached};
use serde_json::json;

fn layers() -> Vec<Vec<u8>> {
    vec![
        tar_of(&[
            E::File("etc/os-release", OS_RELEASE, 0o644),
            E::File(
                "var/lib/dpkg/status",
                &dpkg_status(&[("libc6", "2.36-9")]),
                0o644,
            ),
        ]),
        tar_of(&[E::File(
            "var/lib/dpkg/status",
            &dpkg_status(&[("libc6", "2.36-9"), ("curl", "7.88.1-10")]),
            0o644,
        )]),
    ]
}

fn config(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| Digest::sha256(l).to_string())
        .collect();
    serde_json::to_vec(&json!({
        "architecture": rampart_image::Platform::host().architecture, "os": "linux",
        "config": {"User": "app"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "base"}, {"created_by": "apt-get install curl"}],
    }))
    .unwrap()
}

/// Writes a tar whose members are (path, bytes) files and (path, target) symlinks.
fn archive(files: &[(String, Vec<u8>)], links: &[(String, String)]) -> tempfile::NamedTempFile {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data.as_slice()).unwrap();
    }
    for (path, target) in links {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, path, target).unwrap();
    }
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), b.into_inner().unwrap()).unwrap();
    f
}

fn docker_archive(legacy: bool, corrupt_layer: bool) -> tempfile::NamedTempFile {
    let mut ls = layers();
    let cfg = config(&ls);
    let cfg_hex = Digest::sha256(&cfg).hex().to_string();
    if corrupt_layer {
        ls[1] = tar_of(&[E::File("var/lib/dpkg/status", b"Package: evil\n", 0o644)]);
    }
    let mut files = Vec::new();
    let mut links = Vec::new();
    let mut layer_paths = Vec::new();
    for (i, l) in ls.iter().enumerate() {
        let hex = Digest::sha256(l).hex().to_string();
        if legacy {
            files.push((format!("{hex}.tar"), l.clone()));
            let id = format!("{i:064}");
            links.push((format!("{id}/layer.tar"), format!("../{hex}.tar")));
            layer_paths.push(format!("{id}/layer.tar"));
        } else {
            files.push((format!("blobs/sha256/{hex}"), l.clone()));
            layer_paths.push(format!("blobs/sha256/{hex}"));
        }
    }
    let cfg_path = if legacy {
        format!("{cfg_hex}.json")
    } else {
        format!("blobs/sha256/{cfg_hex}")
    };
    files.push((cfg_path.clone(), cfg));
    let manifest = json!([{"Config": cfg_path, "RepoTags": ["example.com/team/app:2.0"], "Layers": layer_paths}]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    archive(&files, &links)
}

#[test]
fn docker_archives_in_both_layouts_give_the_same_inventory() {
    let mut inventories = Vec::new();
    for legacy in [true, false] {
        let f = docker_archive(legacy, false);
        let r = ImageRef::parse(&format!("docker-archive:{}", f.path().display())).unwrap();
        let a = analyze(&r, &AnalyzeOptions::default(), None).unwrap();
        let curl = a
            .inventory
            .packages
            .iter()
            .find(|p| p.name == "curl")
            .unwrap();
        assert_eq!(
            curl.layer
                .as_ref()
                .map(|l| (l.index, l.created_by.as_deref())),
            Some((1, Some("apt-get install curl")))
        );
        assert_eq!(a.image.tag.as_deref(), Some("2.0"));
        assert_eq!(a.image.layers[1].digest, None);
        inventories.push(a.inventory);
    }
    assert_eq!(inventories[0], inventories[1]);
}

#[test]
fn docker_archive_layer_not_matching_its_diff_id_is_named() {
    let f = docker_archive(false, true);
    let r = ImageRef::parse(&format!("docker-archive:{}", f.path().display())).unwrap();
    let err = analyze(&r, &AnalyzeOptions::default(), None).unwrap_err();
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("layer 1") && err.to_string().contains("diff id"),
        "{err}"
    );
}

#[test]
fn docker_archive_unknown_tag_lists_the_tags() {
    let f = docker_archive(true, false);
    let r = ImageRef::parse(&format!("docker-archive:{}:other:1", f.path().display())).unwrap();
    let err = analyze(&r, &AnalyzeOptions::default(), None).unwrap_err();
    assert!(
        err.to_string().contains("example.com/team/app:2.0"),
        "{err}"
    );
}

#[test]
fn oci_archive_reads_a_tarred_layout_in_place() {
    let mut layout = Layout::new();
    let ls = layers();
    let m = layout.image(
        &[
            Layer::gz(ls[0].clone(), "base"),
            Layer::zst(ls[1].clone(), "curl"),
        ],
        json!({}),
    );
    layout.tag(m, "v1");
    let mut files = Vec::new();
    for entry in walk(layout.path()) {
        let rel = entry
            .strip_prefix(layout.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.push((rel, std::fs::read(&entry).unwrap()));
    }
    let f = archive(&files, &[]);
    let from_dir = analyze(&layout.reference("v1"), &AnalyzeOptions::default(), None).unwrap();
    let r = ImageRef::parse(&format!("oci-archive:{}:v1", f.path().display())).unwrap();
    let from_tar = analyze(&r, &AnalyzeOptions::default(), None).unwrap();
    assert_eq!(from_dir.inventory, from_tar.inventory);
    assert_eq!(
        from_dir.image.manifest_digest,
        from_tar.image.manifest_digest
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn analyze_cached_reads_no_layers_the_second_time() {
    let mut layout = Layout::new();
    let ls = layers();
    let m = layout.image(
        &[
            Layer::gz(ls[0].clone(), "base"),
            Layer::gz(ls[1].clone(), "curl"),
        ],
        json!({}),
    );
    layout.tag(m, "v1");
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let r = layout.reference("v1");
    let (first, hit) = analyze_cached(&r, &AnalyzeOptions::default(), &cache).unwrap();
    assert!(!hit);
    // Remove the layer blobs: a cached analysis must not need them.
    for l in &first.image.layers {
        std::fs::remove_file(layout.blob_path(l.digest.as_ref().unwrap())).unwrap();
    }
    let (second, hit) = analyze_cached(&r, &AnalyzeOptions::default(), &cache).unwrap();
    assert!(hit);
    assert_eq!(
        (second.image, second.inventory),
        (first.image, first.inventory)
    );
    assert!(
        analyze(&r, &AnalyzeOptions::default(), None).is_err(),
        "the layers really are gone"
    );
}
