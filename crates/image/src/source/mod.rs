//! Image sources: where manifests, configs and layer blobs come from. Each source resolves a reference
//! (tag, platform) to one image — verified manifest and config, layer descriptors — and opens layer
//! blobs by descriptor. The layer walker verifies layer digests while it streams them.
//!
//! Registry access (a later step) slots in as one more [`ImageSource`].

mod archive;
pub(crate) mod auth;
mod dir;
mod docker;
pub(crate) mod oci;
mod podman;
pub mod registry;
mod token;

pub use archive::OciArchive;
pub use dir::OciDir;
pub use docker::DockerArchive;
pub use podman::Podman;
pub use registry::{BlobStash, RegistryClient, RegistryOptions, RegistrySource};

use crate::digest::Digest;
use crate::error::Result;
use crate::reference::{ImageRef, Platform};
use crate::spec::ImageConfig;
use std::collections::BTreeMap;
use std::io::Read;

/// A place images can be read from.
pub trait ImageSource: Send + Sync {
    /// How to name this source in messages (`oci:/path:tag`).
    fn describe(&self) -> String;
    /// Picks the image (by tag and platform) and returns its verified manifest and config and its
    /// layer descriptors.
    fn resolve(&self, platform: &Platform) -> Result<Resolved>;
    /// A digest that names the image without reading any blob (the registry's platform manifest),
    /// for cache lookups; `None` when the source has none cheaper than resolving.
    fn cache_key(&self, _platform: &Platform) -> Result<Option<Digest>> {
        Ok(None)
    }
    /// Opens a layer blob as stored (possibly compressed, not yet verified).
    fn open_layer(&self, layer: &LayerBlob) -> Result<Box<dyn Read + Send + '_>>;
}

/// One image picked from a source, with manifest and config verified against their digests.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Digest of the image manifest; `None` for docker-archive, which has no manifest blob.
    pub manifest_digest: Option<Digest>,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
    /// Digest of the config blob (the image id).
    pub config_digest: Digest,
    /// The parsed config.
    pub config: ImageConfig,
    /// The layers, bottom first.
    pub layers: Vec<LayerBlob>,
    /// `repo:tag` names the source knows for the image.
    pub repo_tags: Vec<String>,
}

/// A layer blob of a resolved image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBlob {
    /// Digest of the stored blob, when the source addresses blobs by digest.
    pub digest: Option<Digest>,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: Digest,
    /// Media type (from the manifest, or the Docker tar type for docker-archive).
    pub media_type: String,
    /// Stored size, when known.
    pub size: Option<u64>,
    /// Where the source finds the blob (path inside an archive, blob path).
    pub locator: String,
}

/// Opens the source a reference names; registries are reached with default options (HTTPS,
/// credentials from the usual auth files).
pub fn open(reference: &ImageRef) -> Result<Box<dyn ImageSource>> {
    open_with(reference, &RegistryOptions::default())
}

/// Opens the source a reference names, reaching registries with `registry`.
pub fn open_with(reference: &ImageRef, registry: &RegistryOptions) -> Result<Box<dyn ImageSource>> {
    Ok(match reference {
        ImageRef::OciDir { path, tag } => Box::new(OciDir::open(path, tag.clone())?),
        ImageRef::OciArchive { path, tag } => Box::new(OciArchive::open(path, tag.clone())?),
        ImageRef::DockerArchive { path, tag } => Box::new(DockerArchive::open(path, tag.clone())?),
        ImageRef::Podman { name } => Box::new(Podman::save(name)?),
        ImageRef::Registry(r) => Box::new(RegistrySource::open(r, registry)?),
    })
}
