//! The analysis cache: inventory and image model stored as JSON by config digest (the image id, which
//! fixes every layer's content through `rootfs.diff_ids`), with an alias per manifest digest. An image
//! analysed once is re-matched against a newer vulnerability database without reading its layers.

use crate::analyze::Analysis;
use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::model::ImageInfo;
use rampart_catalog::Inventory;
use rampart_core::{OsRelease, Package, ScanWarning};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bumped when the stored shape or the analysis changes meaning; older entries are ignored.
const FORMAT: u32 = 1;
/// Entries larger than this are not read back.
const MAX_ENTRY: u64 = 512 << 20;

/// A directory of cached analyses.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    analyzer: String,
    image: ImageInfo,
    inventory: StoredInventory,
}

/// [`Inventory`] as stored.
#[derive(Serialize, Deserialize)]
struct StoredInventory {
    os: Option<OsRelease>,
    packages: Vec<Package>,
    warnings: Vec<ScanWarning>,
    files_walked: u64,
    files_read: u64,
}

impl Cache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/rampart/images`, else `~/.cache/rampart/images`.
    pub fn default_dir() -> PathBuf {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"));
        base.join("rampart/images")
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, config: &Digest) -> PathBuf {
        self.dir
            .join(format!("{}-{}.json", algorithm(config), config.hex()))
    }

    fn alias_path(&self, manifest: &Digest) -> PathBuf {
        self.dir.join(format!(
            "manifest-{}-{}",
            algorithm(manifest),
            manifest.hex()
        ))
    }

    /// The analysis of the image with this config digest, if cached (and readable, and of this format).
    pub fn get(&self, config: &Digest) -> Option<Analysis> {
        let path = self.entry_path(config);
        let meta = std::fs::metadata(&path).ok()?;
        if meta.len() > MAX_ENTRY {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.format != FORMAT
            || entry.analyzer != analyzer()
            || entry.image.config_digest != *config
        {
            return None;
        }
        let s = entry.inventory;
        Some(Analysis {
            image: entry.image,
            inventory: Inventory {
                os: s.os,
                packages: s.packages,
                warnings: s.warnings,
                files_walked: s.files_walked,
                files_read: s.files_read,
            },
            view: None,
        })
    }

    /// The analysis of the image with this manifest digest, if cached.
    pub fn get_by_manifest(&self, manifest: &Digest) -> Option<Analysis> {
        let text = std::fs::read_to_string(self.alias_path(manifest)).ok()?;
        let config: Digest = text.trim().parse().ok()?;
        self.get(&config)
    }

    /// Stores an analysis (atomically: written to a temporary file, then renamed).
    pub fn put(&self, analysis: &Analysis) -> Result<()> {
        let io = |e| ImageError::io(self.dir.display().to_string(), e);
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let inv = &analysis.inventory;
        let entry = Entry {
            format: FORMAT,
            analyzer: analyzer(),
            image: analysis.image.clone(),
            inventory: StoredInventory {
                os: inv.os.clone(),
                packages: inv.packages.clone(),
                warnings: inv.warnings.clone(),
                files_walked: inv.files_walked,
                files_read: inv.files_read,
            },
        };
        let bytes =
            serde_json::to_vec(&entry).map_err(|e| ImageError::malformed("cache entry", e))?;
        self.write_atomic(&self.entry_path(&analysis.image.config_digest), &bytes)?;
        if let Some(m) = &analysis.image.manifest_digest {
            self.write_atomic(
                &self.alias_path(m),
                analysis.image.config_digest.to_string().as_bytes(),
            )?;
        }
        Ok(())
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let io = |e| ImageError::io(path.display().to_string(), e);
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(io)?;
        tmp.write_all(bytes).map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

fn algorithm(d: &Digest) -> &'static str {
    match d.algorithm() {
        crate::digest::Algorithm::Sha256 => "sha256",
        crate::digest::Algorithm::Sha512 => "sha512",
    }
}

/// Which analyzer wrote an entry: a new crate version re-analyses.
fn analyzer() -> String {
    format!("rampart-image {}", env!("CARGO_PKG_VERSION"))
}
