//! What OCI layouts have in common, on disk or in a tar: `index.json`, blobs by digest, index →
//! manifest → config resolution with tag and platform selection.

use super::{LayerBlob, Resolved};
use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::reference::Platform;
use crate::spec::{
    self, DOCKER_CONFIG, Descriptor, DocKind, ImageConfig, Index, MAX_DOCUMENT, Manifest,
    OCI_CONFIG, REF_NAME,
};
use std::io::Read;

/// Nested indexes followed at most.
const MAX_DEPTH: usize = 4;

/// Blobs addressed by digest.
pub(crate) trait BlobStore {
    /// Opens a blob; returns the reader and the stored length.
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send + '_>, u64)>;
}

/// Blobs held in memory (tests and fuzzing).
#[derive(Debug, Default)]
pub(crate) struct MemStore(pub(crate) std::collections::HashMap<Digest, Vec<u8>>);

impl MemStore {
    /// A store holding one blob under its SHA-256 digest.
    pub(crate) fn with(blob: &[u8]) -> MemStore {
        let mut s = MemStore::default();
        s.0.insert(Digest::sha256(blob), blob.to_vec());
        s
    }
}

impl BlobStore for MemStore {
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send + '_>, u64)> {
        let blob = self
            .0
            .get(digest)
            .ok_or_else(|| ImageError::not_found(format!("blob {digest}")))?;
        Ok((Box::new(blob.as_slice()), blob.len() as u64))
    }
}

/// Reads a whole small blob (index, manifest, config) and verifies size and digest.
pub(crate) fn read_doc(store: &dyn BlobStore, desc: &Descriptor, what: &str) -> Result<Vec<u8>> {
    let what = format!("{what} {}", desc.digest);
    if desc.size > MAX_DOCUMENT {
        return Err(ImageError::Limit(format!(
            "{what}: {} bytes, more than {MAX_DOCUMENT}",
            desc.size
        )));
    }
    let (reader, _) = store.open_blob(&desc.digest)?;
    let mut bytes = Vec::new();
    reader
        .take(desc.size + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImageError::io(&what, e))?;
    if bytes.len() as u64 != desc.size {
        return Err(ImageError::SizeMismatch {
            blob: what,
            expected: desc.size,
            actual: bytes.len() as u64,
        });
    }
    desc.digest.verify(&bytes, &what)?;
    Ok(bytes)
}

/// Reads a small file (index.json, manifest.json) of at most [`MAX_DOCUMENT`] bytes.
pub(crate) fn read_small(mut reader: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    (&mut reader)
        .take(MAX_DOCUMENT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImageError::io(what, e))?;
    if bytes.len() as u64 > MAX_DOCUMENT {
        return Err(ImageError::Limit(format!(
            "{what}: more than {MAX_DOCUMENT} bytes"
        )));
    }
    Ok(bytes)
}

/// Resolves an OCI layout's `index.json` to one image: by `tag` (`org.opencontainers.image.ref.name`),
/// then by platform through nested indexes.
pub(crate) fn resolve_layout(
    store: &dyn BlobStore,
    index_json: &[u8],
    tag: Option<&str>,
    platform: &Platform,
) -> Result<Resolved> {
    let root: Index = spec::parse_json(index_json, "index.json")?;
    if root.schema_version != 2 {
        return Err(ImageError::malformed(
            "index.json",
            format!("schemaVersion {} is not 2", root.schema_version),
        ));
    }
    let names: Vec<&str> = root
        .manifests
        .iter()
        .filter_map(|d| d.annotations.get(REF_NAME).map(String::as_str))
        .collect();
    let available = || {
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    let chosen: Descriptor = match tag {
        Some(tag) => root
            .manifests
            .iter()
            .find(|d| {
                d.annotations
                    .get(REF_NAME)
                    .is_some_and(|n| n == tag || n.ends_with(&format!(":{tag}")))
            })
            .cloned()
            .ok_or_else(|| ImageError::NotFound {
                what: format!("tag {tag:?} in index.json"),
                hint: format!(" (available: {})", available()),
            })?,
        None if root.manifests.len() == 1 => root.manifests[0].clone(),
        None if root.manifests.iter().all(|d| d.platform.is_some())
            && !root.manifests.is_empty() =>
        {
            // A multi-platform layout: index.json itself is the platform index.
            pick_platform(&root.manifests, platform, "index.json")?.clone()
        }
        None if root.manifests.is_empty() => {
            return Err(ImageError::not_found("image in index.json (it is empty)"));
        }
        None => {
            return Err(ImageError::NotFound {
                what: "tag (index.json holds several images; add :TAG)".into(),
                hint: format!(" (available: {})", available()),
            });
        }
    };
    let repo_tags = chosen
        .annotations
        .get(REF_NAME)
        .map(|n| vec![n.clone()])
        .unwrap_or_default();
    let mut resolved = resolve_descriptor(store, chosen, platform)?;
    resolved.repo_tags = repo_tags;
    Ok(resolved)
}

/// Follows a descriptor through nested indexes to an image manifest, then reads its config.
pub(crate) fn resolve_descriptor(
    store: &dyn BlobStore,
    mut desc: Descriptor,
    platform: &Platform,
) -> Result<Resolved> {
    for _ in 0..MAX_DEPTH {
        let bytes = read_doc(store, &desc, "manifest")?;
        let media_type = spec::sniff_media_type(&desc.media_type, &bytes);
        let what = format!("manifest {}", desc.digest);
        match spec::doc_kind(&media_type, &what)? {
            DocKind::Index => {
                let index: Index = spec::parse_json(&bytes, &what)?;
                desc = pick_platform(&index.manifests, platform, &what)?.clone();
            }
            DocKind::Manifest => {
                let manifest: Manifest = spec::parse_json(&bytes, &what)?;
                return resolve_manifest(store, desc.digest, manifest);
            }
        }
    }
    Err(ImageError::Limit(format!(
        "indexes nested more than {MAX_DEPTH} deep"
    )))
}

/// Picks the entry of an index for `platform`, skipping attestations (`unknown/unknown`).
pub(crate) fn pick_platform<'a>(
    entries: &'a [Descriptor],
    platform: &Platform,
    what: &str,
) -> Result<&'a Descriptor> {
    let images: Vec<&Descriptor> = entries
        .iter()
        .filter(|d| {
            d.platform.as_ref().is_none_or(|p| p.os != "unknown") && d.artifact_type.is_none()
        })
        .collect();
    if let Some(found) = images.iter().find(|d| {
        d.platform
            .as_ref()
            .is_some_and(|p| platform.matches(&p.to_platform()))
    }) {
        return Ok(found);
    }
    if let [only] = images.as_slice()
        && only.platform.is_none()
    {
        return Ok(only);
    }
    let available: Vec<String> = images
        .iter()
        .filter_map(|d| d.platform.as_ref().map(|p| p.to_platform().to_string()))
        .collect();
    if images.is_empty() {
        return Err(ImageError::not_found(format!("image manifest in {what}")));
    }
    Err(ImageError::NoPlatform {
        platform: platform.to_string(),
        available: available.join(", "),
    })
}

/// Reads and checks the config of a manifest and lists its layers.
pub(crate) fn resolve_manifest(
    store: &dyn BlobStore,
    manifest_digest: Digest,
    manifest: Manifest,
) -> Result<Resolved> {
    let what = format!("manifest {manifest_digest}");
    if manifest.schema_version != 2 {
        return Err(ImageError::malformed(
            &what,
            format!("schemaVersion {} is not 2", manifest.schema_version),
        ));
    }
    let config_type = manifest.config.media_type.as_str();
    if config_type != OCI_CONFIG && config_type != DOCKER_CONFIG {
        return Err(ImageError::UnsupportedMediaType {
            what: format!("config {} of {what}", manifest.config.digest),
            media_type: config_type.to_string(),
        });
    }
    let config_bytes = read_doc(store, &manifest.config, "config")?;
    let config_what = format!("config {}", manifest.config.digest);
    let config: ImageConfig = spec::parse_json(&config_bytes, &config_what)?;
    config.check_layers(manifest.layers.len(), &config_what)?;
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (i, (desc, diff_id)) in manifest
        .layers
        .iter()
        .zip(&config.rootfs.diff_ids)
        .enumerate()
    {
        spec::layer_compression(&desc.media_type, &format!("layer {i} {}", desc.digest))?;
        layers.push(LayerBlob {
            digest: Some(desc.digest.clone()),
            diff_id: diff_id.clone(),
            media_type: desc.media_type.clone(),
            size: Some(desc.size),
            locator: blob_path(&desc.digest),
        });
    }
    Ok(Resolved {
        manifest_digest: Some(manifest_digest),
        annotations: manifest.annotations,
        config_digest: manifest.config.digest,
        config,
        layers,
        repo_tags: Vec::new(),
    })
}

/// `blobs/<alg>/<hex>`.
pub(crate) fn blob_path(digest: &Digest) -> String {
    let s = digest.to_string();
    let (alg, hex) = s.split_once(':').unwrap_or(("sha256", &s));
    format!("blobs/{alg}/{hex}")
}
