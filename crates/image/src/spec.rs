//! The OCI image-spec and Docker documents this crate reads: index, manifest, config, descriptors and
//! `docker save`'s `manifest.json`. Parsing is lenient about unknown fields and strict about media types.

use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::reference::Platform;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list (multi-arch).
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// The annotation naming a manifest in an OCI layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The largest index, manifest or config accepted.
pub const MAX_DOCUMENT: u64 = 8 << 20;

/// What a manifest-like document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// An index or manifest list: points at manifests per platform.
    Index,
    /// An image manifest: a config and layers.
    Manifest,
}

/// Classifies a manifest media type; unknown types are an error naming `what`.
pub fn doc_kind(media_type: &str, what: &str) -> Result<DocKind> {
    match media_type {
        OCI_INDEX | DOCKER_LIST => Ok(DocKind::Index),
        OCI_MANIFEST | DOCKER_MANIFEST => Ok(DocKind::Manifest),
        other => Err(ImageError::UnsupportedMediaType {
            what: what.to_string(),
            media_type: other.to_string(),
        }),
    }
}

/// How a layer blob is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

/// The compression a layer media type declares; unknown layer types are an error naming `what`.
pub fn layer_compression(media_type: &str, what: &str) -> Result<Compression> {
    let base = media_type.replace(".nondistributable", "").replace(
        "vnd.docker.image.rootfs.foreign.diff",
        "vnd.docker.image.rootfs.diff",
    );
    match base.as_str() {
        "application/vnd.oci.image.layer.v1.tar"
        | "application/vnd.docker.image.rootfs.diff.tar" => Ok(Compression::None),
        "application/vnd.oci.image.layer.v1.tar+gzip"
        | "application/vnd.docker.image.rootfs.diff.tar.gzip" => Ok(Compression::Gzip),
        "application/vnd.oci.image.layer.v1.tar+zstd"
        | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Ok(Compression::Zstd),
        _ => Err(ImageError::UnsupportedMediaType {
            what: what.to_string(),
            media_type: media_type.to_string(),
        }),
    }
}

/// A reference to a blob: media type, digest, size, and for index entries the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced blob.
    #[serde(default)]
    pub media_type: String,
    /// Digest of the referenced blob.
    pub digest: Digest,
    /// Size of the referenced blob in bytes.
    pub size: u64,
    /// Annotations (`org.opencontainers.image.ref.name`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Platform of a manifest in an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<DescriptorPlatform>,
    /// For artifacts (signatures, attestations): their type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

/// The platform object of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescriptorPlatform {
    /// CPU architecture.
    pub architecture: String,
    /// Operating system.
    pub os: String,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl DescriptorPlatform {
    /// As a [`Platform`].
    pub fn to_platform(&self) -> Platform {
        Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone(),
        }
    }
}

/// An OCI image index or Docker manifest list.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The manifests (or nested indexes).
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest or Docker schema-2 manifest.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The image config.
    pub config: Descriptor,
    /// The layers, bottom first.
    pub layers: Vec<Descriptor>,
    /// Annotations (`org.opencontainers.image.base.name`, …).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An image configuration (OCI and Docker share the fields read here).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ImageConfig {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The container defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    /// The uncompressed layer digests.
    #[serde(default)]
    pub rootfs: RootFs,
    /// How each layer was made, including entries that made no layer (`empty_layer`).
    #[serde(default)]
    pub history: Vec<History>,
}

/// The `config` object of an image config: what a container gets by default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// `USER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `ENV`, as `NAME=value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// `EXPOSE`, as `port/proto` keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// `ENTRYPOINT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// `CMD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// `WORKDIR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `LABEL`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `HEALTHCHECK` (a Docker extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
}

/// A Docker `HEALTHCHECK`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", …]`, or `["NONE"]` (disabled).
    #[serde(default)]
    pub test: Vec<String>,
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Digests of the uncompressed layers, bottom first.
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

/// One `history` entry of an image config.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct History {
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction (`/bin/sh -c apt-get install …`, `ADD file:… in /`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True when the step made no layer (ENV, USER, …).
    #[serde(default)]
    pub empty_layer: bool,
}

/// One image in `docker save`'s `manifest.json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DockerArchiveEntry {
    /// Path of the config file in the archive.
    pub config: String,
    /// `repo:tag` names.
    #[serde(default)]
    pub repo_tags: Option<Vec<String>>,
    /// Paths of the layer tars, bottom first.
    pub layers: Vec<String>,
}

/// Parses a JSON document, naming `what` in the error.
pub fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| ImageError::malformed(what, format!("invalid JSON: {e}")))
}

/// The media type of a manifest-like document: the descriptor's, else the document's own field, else
/// guessed from its shape (`manifests` → index, `layers` → manifest).
pub fn sniff_media_type(declared: &str, bytes: &[u8]) -> String {
    if !declared.is_empty() {
        return declared.to_string();
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        #[serde(default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde_json::Value>,
        #[serde(default)]
        layers: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Probe>(bytes) {
        Ok(Probe {
            media_type: Some(m),
            ..
        }) => m,
        Ok(Probe {
            manifests: Some(_), ..
        }) => OCI_INDEX.into(),
        Ok(Probe {
            layers: Some(_), ..
        }) => OCI_MANIFEST.into(),
        _ => String::new(),
    }
}

impl ImageConfig {
    /// Checks the config is usable: known layer type and one diff id per layer.
    pub fn check_layers(&self, layers: usize, what: &str) -> Result<()> {
        if self.rootfs.diff_ids.len() != layers {
            return Err(ImageError::malformed(
                what,
                format!(
                    "rootfs.diff_ids lists {} layers, the manifest {}",
                    self.rootfs.diff_ids.len(),
                    layers
                ),
            ));
        }
        Ok(())
    }

    /// The `created_by` line of each layer: history entries marked `empty_layer` are skipped. `None`
    /// where the history is shorter than the layer list.
    pub fn layer_history(&self, layers: usize) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = self
            .history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone())
            .take(layers)
            .collect();
        out.resize(layers, None);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(doc_kind(OCI_INDEX, "x").unwrap(), DocKind::Index);
        assert_eq!(doc_kind(DOCKER_MANIFEST, "x").unwrap(), DocKind::Manifest);
        let err = doc_kind("application/vnd.example+json", "manifest sha256:ab").unwrap_err();
        assert!(err.to_string().contains("unsupported media type"), "{err}");
        assert_eq!(
            layer_compression(
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "l"
            )
            .unwrap(),
            Compression::Gzip
        );
        assert_eq!(
            layer_compression(
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "l"
            )
            .unwrap(),
            Compression::Gzip
        );
        assert!(
            layer_compression("application/vnd.cncf.helm.chart.content.v1.tar+gzip", "l").is_err()
        );
    }

    #[test]
    fn layer_history_skips_empty_layers() {
        let cfg: ImageConfig = parse_json(
            br#"{"history":[{"created_by":"ADD a"},{"created_by":"ENV x","empty_layer":true},{"created_by":"RUN b"}]}"#,
            "config",
        )
        .unwrap();
        assert_eq!(
            cfg.layer_history(3),
            vec![Some("ADD a".into()), Some("RUN b".into()), None]
        );
    }
}
