//! The image model: what an analysis learned about an image besides its packages — identity, platform,
//! layers with their history lines, the container config, and notable files of the squashed view.

use crate::digest::Digest;
use crate::reference::Platform;
use crate::spec::History;
use rampart_core::{Asset, AssetKind, LayerRef, OsRelease};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything known about an analysed image except its packages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The reference as the user gave it (`oci:/path:tag`).
    pub reference: String,
    /// The tag the reference or the source names, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Digest of the image manifest (`None` for docker-archive, which stores none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<Digest>,
    /// Digest of the config blob: the image id.
    pub config_digest: Digest,
    /// OS, architecture and variant from the config.
    pub platform: Platform,
    /// Creation time from the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// `repo:tag` names the source knows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    /// The layers, bottom first.
    pub layers: Vec<LayerInfo>,
    /// The config's full history, including steps that made no layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    /// `USER`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `ENV` entries (`NAME=value`), as in the config.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// `EXPOSE`d ports (`22/tcp`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// The `HEALTHCHECK` test, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Vec<String>>,
    /// `ENTRYPOINT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// `CMD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// Config labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Manifest annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Setuid, setgid and world-writable paths of the squashed view.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_files: Vec<SpecialFile>,
    /// Files a layer wrote and a later layer deleted (still in the image's blobs); at most
    /// `Limits::max_deleted_listed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_files: Vec<DeletedFile>,
    /// Paths in the squashed view.
    pub paths: u64,
}

/// One layer of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Position from 0 (the bottom).
    pub index: u32,
    /// Digest of the stored (usually compressed) blob, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Digest of the uncompressed tar (`rootfs.diff_ids`): the same whatever the transport.
    pub diff_id: Digest,
    /// Media type.
    pub media_type: String,
    /// Stored size in bytes.
    pub size: u64,
    /// Uncompressed size in bytes.
    pub uncompressed_size: u64,
    /// Tar entries.
    pub entries: u64,
    /// The history line that made it (`empty_layer` entries skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

impl LayerInfo {
    /// The reference packages carry. Its digest is the diff id, so the same image gives the same
    /// attribution from an OCI layout, an OCI archive, a docker archive or a registry.
    pub fn layer_ref(&self) -> LayerRef {
        LayerRef {
            digest: self.diff_id.to_string(),
            index: self.index,
            created_by: self.created_by.clone(),
        }
    }
}

/// A path with notable permissions in the squashed view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialFile {
    /// Root-relative path.
    pub path: String,
    /// Mode bits (`0o4755`).
    pub mode: u32,
    /// Whether it is a directory.
    #[serde(default)]
    pub dir: bool,
    /// Owner.
    pub uid: u64,
    /// The layer that wrote it.
    pub layer: u32,
}

impl SpecialFile {
    /// Setuid or setgid regular file.
    pub fn is_setid(&self) -> bool {
        !self.dir && self.mode & 0o6000 != 0
    }

    /// World-writable file, or world-writable directory without the sticky bit.
    pub fn is_world_writable(&self) -> bool {
        self.mode & 0o002 != 0 && !(self.dir && self.mode & 0o1000 != 0)
    }
}

/// A file deleted by a later layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedFile {
    /// Root-relative path.
    pub path: String,
    /// The layer that wrote it.
    pub layer: u32,
    /// The layer that deleted it.
    pub deleted_by: u32,
}

impl ImageInfo {
    /// The asset findings and reports name.
    pub fn asset(&self, os: Option<&OsRelease>) -> Asset {
        let mut asset = Asset::new(AssetKind::Image, self.reference.clone());
        asset.os = os.cloned();
        asset
    }

    /// Sum of stored layer sizes.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }
}
