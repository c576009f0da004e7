//! Podman's local storage (`podman:NAME`): the image is exported with
//! `podman image save --format oci-archive` into a temporary file, then read as an OCI archive.
//! `CONTAINERS_CONF` and the other podman settings of the environment apply.

use super::archive::OciArchive;
use super::{ImageSource, LayerBlob, Resolved};
use crate::error::{ImageError, Result};
use crate::reference::Platform;
use std::io::Read;
use std::process::Command;

/// An image exported from podman's storage; the temporary archive is removed on drop.
#[derive(Debug)]
pub struct Podman {
    name: String,
    archive: OciArchive,
    _dir: tempfile::TempDir,
}

impl Podman {
    /// Runs `podman image save --format oci-archive -o TMP NAME`.
    pub fn save(name: &str) -> Result<Podman> {
        let tool = |message: String| ImageError::Tool {
            tool: "podman".into(),
            message,
        };
        let dir = tempfile::Builder::new()
            .prefix("rampart-podman-")
            .tempdir()
            .map_err(|e| ImageError::io("temporary directory", e))?;
        let file = dir.path().join("image.oci.tar");
        let out = Command::new("podman")
            .args(["image", "save", "--quiet", "--format", "oci-archive", "-o"])
            .arg(&file)
            .arg("--")
            .arg(name)
            .output()
            .map_err(|e| tool(format!("cannot run podman: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: String = stderr.lines().rev().take(3).collect::<Vec<_>>().join("; ");
            return Err(tool(format!(
                "image save {name} failed ({}): {tail}",
                out.status
            )));
        }
        let archive = OciArchive::open(&file, None)?;
        Ok(Podman {
            name: name.to_string(),
            archive,
            _dir: dir,
        })
    }
}

impl ImageSource for Podman {
    fn describe(&self) -> String {
        format!("podman:{}", self.name)
    }

    fn resolve(&self, platform: &Platform) -> Result<Resolved> {
        let mut resolved = self.archive.resolve(platform)?;
        if resolved.repo_tags.iter().all(|t| !t.contains(':')) {
            resolved.repo_tags = vec![self.name.clone()];
        }
        Ok(resolved)
    }

    fn open_layer(&self, layer: &LayerBlob) -> Result<Box<dyn Read + Send + '_>> {
        self.archive.open_layer(layer)
    }
}
