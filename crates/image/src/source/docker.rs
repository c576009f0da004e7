//! A `docker save` archive (`docker-archive:FILE[:repo:tag]`): `manifest.json` naming a config file and
//! layer tars, in the legacy layout (`<id>/layer.tar`) or the OCI-blob layout of newer Docker.
//! Layers are addressed by path; they are verified against the config's diff ids while streamed.

use super::archive::TarIndex;
use super::oci;
use super::{ImageSource, LayerBlob, Resolved};
use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::reference::Platform;
use crate::spec::{self, DockerArchiveEntry, ImageConfig, MAX_DOCUMENT};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The Docker media type given to docker-archive layers (stored uncompressed).
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// A `docker save` archive.
#[derive(Debug)]
pub struct DockerArchive {
    index: TarIndex,
    tag: Option<String>,
}

impl DockerArchive {
    /// Indexes the archive; it must hold `manifest.json`.
    pub fn open(path: &Path, tag: Option<String>) -> Result<DockerArchive> {
        let index = TarIndex::build(path)?;
        if !index.contains("manifest.json") {
            return Err(ImageError::malformed(
                path.display().to_string(),
                "not a docker archive (no manifest.json)",
            ));
        }
        Ok(DockerArchive { index, tag })
    }

    fn pick<'a>(&self, entries: &'a [DockerArchiveEntry]) -> Result<&'a DockerArchiveEntry> {
        let tags = |e: &DockerArchiveEntry| e.repo_tags.clone().unwrap_or_default();
        match &self.tag {
            Some(want) => entries
                .iter()
                .find(|e| tags(e).iter().any(|t| same_tag(t, want)))
                .ok_or_else(|| ImageError::NotFound {
                    what: format!("tag {want:?} in manifest.json"),
                    hint: format!(
                        " (available: {})",
                        entries.iter().flat_map(tags).collect::<Vec<_>>().join(", ")
                    ),
                }),
            None => match entries {
                [only] => Ok(only),
                [] => Err(ImageError::not_found(
                    "image in manifest.json (it is empty)",
                )),
                _ => Err(ImageError::NotFound {
                    what: "tag (manifest.json holds several images; add :repo:tag)".into(),
                    hint: format!(
                        " (available: {})",
                        entries.iter().flat_map(tags).collect::<Vec<_>>().join(", ")
                    ),
                }),
            },
        }
    }
}

/// `rampart/app:1.0` names `docker.io/rampart/app:1.0`; `debian:12` names `docker.io/library/debian:12`.
fn same_tag(have: &str, want: &str) -> bool {
    let strip = |s: &str| {
        let s = s.strip_prefix("docker.io/").unwrap_or(s);
        s.strip_prefix("library/").unwrap_or(s).to_string()
    };
    strip(have) == strip(want)
}

impl ImageSource for DockerArchive {
    fn describe(&self) -> String {
        match &self.tag {
            Some(t) => format!("docker-archive:{}:{t}", self.index_path()),
            None => format!("docker-archive:{}", self.index_path()),
        }
    }

    fn resolve(&self, _platform: &Platform) -> Result<Resolved> {
        let (reader, _) = self.index.open("manifest.json")?;
        let bytes = oci::read_small(reader, "manifest.json")?;
        let entries: Vec<DockerArchiveEntry> = spec::parse_json(&bytes, "manifest.json")?;
        let entry = self.pick(&entries)?;
        let (reader, size) = self.index.open(&entry.config)?;
        if size > MAX_DOCUMENT {
            return Err(ImageError::Limit(format!(
                "config {}: {size} bytes, more than {MAX_DOCUMENT}",
                entry.config
            )));
        }
        let config_bytes = oci::read_small(reader, &entry.config)?;
        let config_digest = Digest::sha256(&config_bytes);
        // The config's file name is its digest (`<hex>.json` or `blobs/sha256/<hex>`): check it.
        let stem = entry
            .config
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".json");
        if let Ok(named) = format!("sha256:{stem}").parse::<Digest>() {
            named.check(config_digest.clone(), &format!("config {}", entry.config))?;
        }
        let what = format!("config {config_digest}");
        let config: ImageConfig = spec::parse_json(&config_bytes, &what)?;
        config.check_layers(entry.layers.len(), &what)?;
        let layers = entry
            .layers
            .iter()
            .zip(&config.rootfs.diff_ids)
            .map(|(path, diff_id)| LayerBlob {
                digest: None,
                diff_id: diff_id.clone(),
                media_type: DOCKER_LAYER.into(),
                size: None,
                locator: path.clone(),
            })
            .collect();
        Ok(Resolved {
            manifest_digest: None,
            annotations: BTreeMap::new(),
            config_digest,
            config,
            layers,
            repo_tags: entry.repo_tags.clone().unwrap_or_default(),
        })
    }

    fn open_layer(&self, layer: &LayerBlob) -> Result<Box<dyn Read + Send + '_>> {
        Ok(self.index.open(&layer.locator)?.0)
    }
}

impl DockerArchive {
    fn index_path(&self) -> String {
        self.index.display_path()
    }
}
