//! An OCI image layout directory (`oci:DIR[:tag]`).

use super::oci::{self, BlobStore};
use super::{ImageSource, LayerBlob, Resolved};
use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::reference::Platform;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// An OCI image layout on disk.
#[derive(Debug)]
pub struct OciDir {
    root: PathBuf,
    tag: Option<String>,
}

impl OciDir {
    /// Opens a layout directory; it must hold `oci-layout` and `index.json`.
    pub fn open(root: &Path, tag: Option<String>) -> Result<OciDir> {
        if !root.join("oci-layout").is_file() || !root.join("index.json").is_file() {
            return Err(ImageError::malformed(
                root.display().to_string(),
                "not an OCI image layout (oci-layout or index.json missing)",
            ));
        }
        Ok(OciDir {
            root: root.to_path_buf(),
            tag,
        })
    }
}

impl BlobStore for OciDir {
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send + '_>, u64)> {
        let path = self.root.join(oci::blob_path(digest));
        let file = File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                ImageError::not_found(format!("blob {digest} in {}", self.root.display()))
            }
            _ => ImageError::io(path.display().to_string(), e),
        })?;
        let len = file
            .metadata()
            .map_err(|e| ImageError::io(path.display().to_string(), e))?
            .len();
        Ok((Box::new(file), len))
    }
}

impl ImageSource for OciDir {
    fn describe(&self) -> String {
        match &self.tag {
            Some(t) => format!("oci:{}:{t}", self.root.display()),
            None => format!("oci:{}", self.root.display()),
        }
    }

    fn resolve(&self, platform: &Platform) -> Result<Resolved> {
        let path = self.root.join("index.json");
        let file = File::open(&path).map_err(|e| ImageError::io(path.display().to_string(), e))?;
        let index = oci::read_small(file, "index.json")?;
        oci::resolve_layout(self, &index, self.tag.as_deref(), platform)
    }

    fn open_layer(&self, layer: &LayerBlob) -> Result<Box<dyn Read + Send + '_>> {
        let digest = layer.digest.as_ref().unwrap_or(&layer.diff_id);
        Ok(self.open_blob(digest)?.0)
    }
}
