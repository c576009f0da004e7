//! Archives read in place: an index of a tar's entries (path → offset and size), so blobs are read
//! straight from the file without unpacking; and the OCI archive (`oci-archive:FILE[:tag]`) built on it.

use super::oci::{self, BlobStore};
use super::{ImageSource, LayerBlob, Resolved};
use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::layer::{Normal, normalize_path};
use crate::reference::Platform;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Entries indexed in one archive at most.
const MAX_ENTRIES: usize = 1_000_000;
/// Links followed when opening one archive member.
const MAX_HOPS: usize = 8;

#[derive(Debug, Clone)]
enum Item {
    File { offset: u64, size: u64 },
    Link(String),
}

/// The members of an uncompressed tar, by normalised path.
#[derive(Debug)]
pub(crate) struct TarIndex {
    path: PathBuf,
    items: HashMap<String, Item>,
}

impl TarIndex {
    /// Reads the headers of the tar at `path` (seeking over contents).
    pub(crate) fn build(path: &Path) -> Result<TarIndex> {
        let what = path.display().to_string();
        let io_err = |e| ImageError::io(&what, e);
        let mut file = File::open(path).map_err(io_err)?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic).map_err(io_err)?;
        if magic[..n].starts_with(&[0x1f, 0x8b])
            || magic[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        {
            return Err(ImageError::Unsupported(format!(
                "{what}: compressed archives are not read; decompress it first"
            )));
        }
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        let mut archive = tar::Archive::new(BufReader::new(file));
        let mut items = HashMap::new();
        let malformed =
            |e: std::io::Error| ImageError::malformed(&what, format!("not a readable tar: {e}"));
        for entry in archive.entries_with_seek().map_err(malformed)? {
            let entry = entry.map_err(malformed)?;
            if items.len() >= MAX_ENTRIES {
                return Err(ImageError::Limit(format!(
                    "{what}: more than {MAX_ENTRIES} entries"
                )));
            }
            let Ok(Normal::Path(name) | Normal::Absolute(name)) =
                normalize_path(&entry.path_bytes(), 4096)
            else {
                continue;
            };
            let item = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Item::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                tar::EntryType::Symlink => {
                    let target = entry.link_name_bytes().unwrap_or_default();
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    Item::Link(resolve_lexically(dir, &String::from_utf8_lossy(&target)))
                }
                tar::EntryType::Link => {
                    let target = entry.link_name_bytes().unwrap_or_default();
                    Item::Link(String::from_utf8_lossy(&target).into_owned())
                }
                _ => continue,
            };
            items.insert(name, item);
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            items,
        })
    }

    /// The archive's path, for messages.
    pub(crate) fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// Whether a member exists.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    fn lookup(&self, name: &str) -> Option<(u64, u64)> {
        let mut name = match normalize_path(name.as_bytes(), 4096) {
            Ok(Normal::Path(n) | Normal::Absolute(n)) => n,
            _ => return None,
        };
        for _ in 0..MAX_HOPS {
            match self.items.get(&name)? {
                Item::File { offset, size } => return Some((*offset, *size)),
                Item::Link(target) => {
                    name = match normalize_path(target.as_bytes(), 4096) {
                        Ok(Normal::Path(n) | Normal::Absolute(n)) => n,
                        _ => return None,
                    };
                }
            }
        }
        None
    }

    /// Opens a member for reading; returns the reader and its size.
    pub(crate) fn open(&self, name: &str) -> Result<(Box<dyn Read + Send>, u64)> {
        let what = format!("{} in {}", name, self.path.display());
        let (offset, size) = self
            .lookup(name)
            .ok_or_else(|| ImageError::not_found(&what))?;
        let mut file = File::open(&self.path).map_err(|e| ImageError::io(&what, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| ImageError::io(&what, e))?;
        Ok((Box::new(file.take(size)), size))
    }
}

/// `target` taken relative to `dir` (absolute targets from the archive root), with `.` and `..`
/// resolved by name; `..` stops at the root.
fn resolve_lexically(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A tar of an OCI image layout.
#[derive(Debug)]
pub struct OciArchive {
    index: TarIndex,
    tag: Option<String>,
}

impl OciArchive {
    /// Indexes the archive; it must hold `index.json`.
    pub fn open(path: &Path, tag: Option<String>) -> Result<OciArchive> {
        let index = TarIndex::build(path)?;
        if !index.contains("index.json") {
            return Err(ImageError::malformed(
                path.display().to_string(),
                "not an OCI archive (no index.json)",
            ));
        }
        Ok(OciArchive { index, tag })
    }
}

impl BlobStore for OciArchive {
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send + '_>, u64)> {
        let name = oci::blob_path(digest);
        if !self.index.contains(&name) {
            return Err(ImageError::not_found(format!(
                "blob {digest} in {}",
                self.index.path.display()
            )));
        }
        let (r, n) = self.index.open(&name)?;
        Ok((r, n))
    }
}

impl ImageSource for OciArchive {
    fn describe(&self) -> String {
        match &self.tag {
            Some(t) => format!("oci-archive:{}:{t}", self.index.path.display()),
            None => format!("oci-archive:{}", self.index.path.display()),
        }
    }

    fn resolve(&self, platform: &Platform) -> Result<Resolved> {
        let (reader, _) = self.index.open("index.json")?;
        let bytes = oci::read_small(reader, "index.json")?;
        oci::resolve_layout(self, &bytes, self.tag.as_deref(), platform)
    }

    fn open_layer(&self, layer: &LayerBlob) -> Result<Box<dyn Read + Send + '_>> {
        Ok(self.index.open(&layer.locator)?.0)
    }
}
