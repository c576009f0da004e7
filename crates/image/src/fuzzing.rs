//! Entry points for the fuzz targets: hostile layer and manifest bytes must never panic or exhaust memory.

use crate::digest::Digest;
use crate::layer::{self, LayerCheck};
use crate::limits::{Budget, Limits};
use crate::reference::Platform;
use crate::source::oci::{self, MemStore};
use crate::spec::{self, Descriptor};
use std::io::Read;

/// Walks `data` as a layer blob (any compression) into a squashed view, with small limits.
pub fn fuzz_layer(data: &[u8]) {
    let limits = Limits {
        max_total_bytes: 64 << 20,
        max_files: 100_000,
        max_file_size: 1 << 20,
        ..Limits::default()
    };
    let mut budget = Budget::new(&limits);
    let mut fs = crate::fs::FsView::new();
    let mut warnings = Vec::new();
    let check = LayerCheck {
        index: 0,
        digest: None,
        size: None,
        diff_id: None,
    };
    let _ = layer::walk_layer(
        data,
        &check,
        &limits,
        &mut budget,
        &mut warnings,
        &mut |entry, content| {
            let mut removed = Vec::new();
            fs.apply(0, entry, &mut removed);
            let mut buf = Vec::new();
            let _ = content.take(1 << 20).read_to_end(&mut buf);
            Ok(())
        },
    );
    for (path, _) in fs.iter().take(64) {
        let _ = fs.resolve(path, limits.max_link_hops);
    }
}

/// Parses `data` as an OCI layout's `index.json`, as a manifest or index blob (resolved through an
/// in-memory store holding only `data`), and as `docker save`'s `manifest.json`.
pub fn fuzz_manifest(data: &[u8]) {
    let store = MemStore::with(data);
    let _ = oci::resolve_layout(&store, data, None, &Platform::host());
    let desc = Descriptor {
        media_type: String::new(),
        digest: Digest::sha256(data),
        size: data.len() as u64,
        annotations: Default::default(),
        platform: None,
        artifact_type: None,
    };
    let _ = oci::resolve_descriptor(&store, desc, &Platform::host());
    let _ = spec::parse_json::<Vec<spec::DockerArchiveEntry>>(data, "manifest.json");
}
