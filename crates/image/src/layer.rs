//! Streams one layer blob: detects gzip/zstd/plain by magic bytes, hashes the stored and the
//! uncompressed bytes, enforces the byte and file budgets, and hands each tar entry — its path
//! normalised inside the image root, whiteouts recognised — to a visitor with a reader of its content.
//! Nothing is written to disk and nothing is `unpack`ed.

use crate::digest::{Algorithm, Digest, HashingReader};
use crate::error::{ImageError, Result};
use crate::limits::{Budget, Limits};
use crate::targuard::TarGuard;
use rampart_core::ScanWarning;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// gzip's magic bytes.
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
/// Entry warnings kept per image at most (a hostile layer could make one per entry).
pub(crate) const MAX_WARNINGS: usize = 1000;
/// The largest tar metadata entry (GNU long name or link, PAX header) accepted; `tar` reads them whole.
const MAX_TAR_METADATA: u64 = 1 << 20;
/// zstd's frame magic.
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// The kind of one normalised layer entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, with its target as written (resolved later, inside the root only).
    Symlink(String),
    /// A hard link to another root-relative path.
    Hardlink(String),
    /// `.wh.NAME`: deletes the root-relative path (and what is below it) from lower layers.
    Whiteout(String),
    /// `.wh..wh..opq`: hides everything lower layers put below this root-relative directory.
    Opaque(String),
    /// A device node or FIFO: recorded, never read.
    Special,
}

/// One tar entry of a layer, with its path normalised (root-relative, `/`-separated, no `..`).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The normalised path (for whiteouts, the whiteout file itself).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Permission and special bits (`0o4755`).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Content size (regular files).
    pub size: u64,
}

/// What the walker should check a layer against.
#[derive(Debug, Clone)]
pub struct LayerCheck {
    /// Position of the layer (for messages).
    pub index: u32,
    /// Digest of the stored blob, when the source knows it (not for docker-archive).
    pub digest: Option<Digest>,
    /// Size of the stored blob, when known.
    pub size: Option<u64>,
    /// Digest of the uncompressed tar (`rootfs.diff_ids`).
    pub diff_id: Option<Digest>,
}

impl LayerCheck {
    fn name(&self) -> String {
        let d = self.digest.as_ref().or(self.diff_id.as_ref());
        match d {
            Some(d) => format!("layer {} {d}", self.index),
            None => format!("layer {}", self.index),
        }
    }
}

/// Totals of one walked layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Bytes of the stored blob.
    pub stored_bytes: u64,
    /// Bytes of the uncompressed tar.
    pub uncompressed_bytes: u64,
    /// Tar entries.
    pub entries: u64,
}

/// The per-entry visitor of the layer walker: sees each entry and may read its content.
pub type Visit<'a> = dyn FnMut(&Entry, &mut dyn Read) -> Result<()> + 'a;

/// A reader that fails once more than `left` bytes pass, and remembers that it did.
struct Bounded<R> {
    inner: R,
    left: u64,
    hit: Arc<AtomicBool>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.hit.store(true, Ordering::Relaxed);
            return Err(io::Error::other("uncompressed size limit reached"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

type Raw<R> = BufReader<HashingReader<R>>;

/// The decompressor picked by magic bytes; kept concrete so the inner reader can be recovered.
enum Decoder<R: Read> {
    Plain(Box<Raw<R>>),
    Gzip(Box<flate2::bufread::MultiGzDecoder<Raw<R>>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, Raw<R>>>),
}

impl<R: Read> Decoder<R> {
    fn new(mut raw: Raw<R>) -> io::Result<Self> {
        let head = raw.fill_buf()?;
        Ok(if head.starts_with(GZIP_MAGIC) {
            Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(raw)))
        } else if head.starts_with(ZSTD_MAGIC) {
            Decoder::Zstd(Box::new(zstd::stream::read::Decoder::with_buffer(raw)?))
        } else {
            Decoder::Plain(Box::new(raw))
        })
    }

    fn into_inner(self) -> Raw<R> {
        match self {
            Decoder::Plain(r) => *r,
            Decoder::Gzip(d) => d.into_inner(),
            Decoder::Zstd(d) => d.finish(),
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        }
    }
}

/// Walks one layer blob to its end, calling `visit` for every usable entry in tar order, and verifies
/// the stored digest and size and the diff id. Unusable entries (escaping paths, links out of the root,
/// over-long names) are skipped with a warning; a truncated or corrupt stream, a digest mismatch or an
/// exhausted budget is an error.
pub(crate) fn walk_layer<R: Read>(
    blob: R,
    check: &LayerCheck,
    limits: &Limits,
    budget: &mut Budget,
    warnings: &mut Vec<ScanWarning>,
    visit: &mut Visit<'_>,
) -> Result<LayerStats> {
    let name = check.name();
    let layer_err = |e: io::Error| ImageError::Layer {
        index: check.index,
        digest: check
            .digest
            .as_ref()
            .or(check.diff_id.as_ref())
            .map(Digest::to_string)
            .unwrap_or_default(),
        message: e.to_string(),
    };
    let stored_alg = check
        .digest
        .as_ref()
        .map_or(Algorithm::Sha256, Digest::algorithm);
    let diff_alg = check
        .diff_id
        .as_ref()
        .map_or(Algorithm::Sha256, Digest::algorithm);
    let raw = BufReader::with_capacity(256 << 10, HashingReader::new(blob, stored_alg));
    let decoder = Decoder::new(raw).map_err(layer_err)?;
    let hit = Arc::new(AtomicBool::new(false));
    let bounded = Bounded {
        inner: HashingReader::new(decoder, diff_alg),
        left: budget.bytes_left,
        hit: hit.clone(),
    };
    let limit_err = || {
        ImageError::Limit(format!(
            "{name}: the image expands to more than {} uncompressed bytes (decompression bomb?)",
            limits.max_total_bytes
        ))
    };
    let meta_hit = Arc::new(AtomicU64::new(0));
    let guard = TarGuard::new(bounded, MAX_TAR_METADATA, meta_hit.clone());
    // Large reads from the decompressor: tar asks for small pieces, and each inflate call has overhead.
    let mut archive = tar::Archive::new(BufReader::with_capacity(256 << 10, guard));
    let mut entries_seen = 0u64;
    let result = walk_entries(
        &mut archive,
        check.index,
        limits,
        budget,
        warnings,
        visit,
        &mut entries_seen,
    );
    if hit.load(Ordering::Relaxed) {
        return Err(limit_err());
    }
    let meta = meta_hit.load(Ordering::Relaxed);
    if meta > 0 {
        return Err(ImageError::Limit(format!(
            "{name}: a tar long-name or PAX header entry of {meta} bytes, more than {MAX_TAR_METADATA}"
        )));
    }
    result.map_err(|e| match e {
        WalkError::Io(e) => layer_err(e),
        WalkError::Image(e) => e,
    })?;
    // Read what follows the end-of-archive blocks so both hashes cover the whole stream.
    let mut buffered = archive.into_inner();
    io::copy(&mut buffered, &mut io::sink()).map_err(|e| {
        if hit.load(Ordering::Relaxed) {
            limit_err()
        } else {
            layer_err(e)
        }
    })?;
    let bounded = buffered.into_inner().into_inner();
    let uncompressed_left = bounded.left;
    let (decoder, diff_id, uncompressed) = bounded.inner.into_parts().map_err(layer_err)?;
    let (stored_digest, stored) = decoder
        .into_inner()
        .into_inner()
        .finish()
        .map_err(layer_err)?;
    budget.bytes_left = uncompressed_left;
    if let Some(expected) = &check.digest {
        expected.check(stored_digest, &name)?;
    }
    if let Some(size) = check.size.filter(|&s| s != stored) {
        return Err(ImageError::SizeMismatch {
            blob: name,
            expected: size,
            actual: stored,
        });
    }
    if let Some(expected) = &check.diff_id {
        expected.check(diff_id, &format!("{name} (uncompressed, diff id)"))?;
    }
    Ok(LayerStats {
        stored_bytes: stored,
        uncompressed_bytes: uncompressed,
        entries: entries_seen,
    })
}

enum WalkError {
    Io(io::Error),
    Image(ImageError),
}

impl From<io::Error> for WalkError {
    fn from(e: io::Error) -> Self {
        WalkError::Io(e)
    }
}

fn walk_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    layer: u32,
    limits: &Limits,
    budget: &mut Budget,
    warnings: &mut Vec<ScanWarning>,
    visit: &mut Visit<'_>,
    seen: &mut u64,
) -> std::result::Result<(), WalkError> {
    for entry in archive.entries()? {
        let mut entry = entry?;
        *seen += 1;
        if budget.files_left == 0 {
            return Err(WalkError::Image(ImageError::Limit(format!(
                "layer {layer}: the image has more than {} files",
                limits.max_files
            ))));
        }
        budget.files_left -= 1;
        let Some(normal) = normalize_entry(&entry, layer, limits, warnings) else {
            continue;
        };
        visit(&normal, &mut entry).map_err(WalkError::Image)?;
    }
    Ok(())
}

/// Turns a tar entry into a normalised [`Entry`], or `None` (with a warning where it matters).
fn normalize_entry<R: Read>(
    entry: &tar::Entry<'_, R>,
    layer: u32,
    limits: &Limits,
    warnings: &mut Vec<ScanWarning>,
) -> Option<Entry> {
    let raw_path = entry.path_bytes();
    let mut warn = |path: &str, message: String| {
        if warnings.len() >= MAX_WARNINGS {
            return;
        }
        warnings.push(ScanWarning {
            path: path.to_string(),
            line: None,
            message: format!("layer {layer}: {message}"),
        })
    };
    let shown = String::from_utf8_lossy(&raw_path).into_owned();
    let path = match normalize_path(&raw_path, limits.max_path_len) {
        Ok(Normal::Path(p)) => p,
        Ok(Normal::Absolute(p)) => {
            warn(
                &p,
                "absolute path in layer, taken relative to the image root".into(),
            );
            p
        }
        Ok(Normal::Root) => return None,
        Err(why) => {
            warn(&shown, format!("entry skipped: {why}"));
            return None;
        }
    };
    let header = entry.header();
    let mode = header.mode().unwrap_or(0);
    let uid = header.uid().unwrap_or(0);
    let gid = header.gid().unwrap_or(0);
    let size = entry.size();
    let kind = match entry_kind(entry, limits) {
        Ok(kind) => kind,
        Err(why) => {
            warn(&path, why);
            return None;
        }
    };
    let kind = match whiteout(&path) {
        Whiteout::No => kind,
        Whiteout::Kind(k) => k,
        Whiteout::Ignore => return None,
        Whiteout::Malformed => {
            warn(&path, "malformed whiteout skipped".into());
            return None;
        }
    };
    Some(Entry {
        path,
        kind,
        mode,
        uid,
        gid,
        size,
    })
}

/// The kind of a tar entry, with link targets; `Err` says why the entry is skipped.
fn entry_kind<R: Read>(entry: &tar::Entry<'_, R>, limits: &Limits) -> Result<EntryKind, String> {
    use tar::EntryType as T;
    Ok(match entry.header().entry_type() {
        T::Regular | T::Continuous | T::GNUSparse => EntryKind::File,
        T::Directory => EntryKind::Dir,
        T::Symlink => {
            let target = entry
                .link_name_bytes()
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default();
            if target.is_empty() || target.len() > limits.max_path_len {
                return Err("symlink with an empty or over-long target skipped".into());
            }
            EntryKind::Symlink(target)
        }
        T::Link => {
            let target = entry.link_name_bytes().unwrap_or_default();
            match normalize_path(&target, limits.max_path_len) {
                Ok(Normal::Path(t) | Normal::Absolute(t)) => EntryKind::Hardlink(t),
                _ => {
                    return Err(format!(
                        "hard link to {:?} outside the image root skipped",
                        String::from_utf8_lossy(&target)
                    ));
                }
            }
        }
        T::Char | T::Block | T::Fifo => EntryKind::Special,
        other => return Err(format!("tar entry type {other:?} ignored")),
    })
}

/// What a path's file name says about whiteouts.
enum Whiteout {
    /// Not a whiteout.
    No,
    /// `.wh.NAME` or `.wh..wh..opq`.
    Kind(EntryKind),
    /// aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): not content.
    Ignore,
    /// `.wh.` with no usable name.
    Malformed,
}

/// Classifies a normalised path by the OCI whiteout conventions.
fn whiteout(path: &str) -> Whiteout {
    let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
    if base == ".wh..wh..opq" {
        return Whiteout::Kind(EntryKind::Opaque(dir.to_string()));
    }
    if base.starts_with(".wh..wh.") {
        return Whiteout::Ignore;
    }
    match base.strip_prefix(".wh.") {
        None => Whiteout::No,
        Some("" | "." | "..") => Whiteout::Malformed,
        Some(name) if dir.is_empty() => Whiteout::Kind(EntryKind::Whiteout(name.to_string())),
        Some(name) => Whiteout::Kind(EntryKind::Whiteout(format!("{dir}/{name}"))),
    }
}

/// A normalised path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Normal {
    /// Root-relative path.
    Path(String),
    /// Was absolute; now root-relative.
    Absolute(String),
    /// The root itself (`./`).
    Root,
}

/// Normalises a tar path: strips `./` and a leading `/`, rejects `..`, empty and over-long paths.
pub(crate) fn normalize_path(
    raw: &[u8],
    max_len: usize,
) -> std::result::Result<Normal, &'static str> {
    if raw.len() > max_len {
        return Err("path longer than the limit");
    }
    if raw.contains(&0) {
        return Err("NUL byte in path");
    }
    let text = String::from_utf8_lossy(raw);
    let absolute = text.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("path climbs above the image root"),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Ok(Normal::Root);
    }
    let joined = parts.join("/");
    Ok(if absolute {
        Normal::Absolute(joined)
    } else {
        Normal::Path(joined)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_paths() {
        assert_eq!(
            normalize_path(b"./usr/bin/x", 100),
            Ok(Normal::Path("usr/bin/x".into()))
        );
        assert_eq!(
            normalize_path(b"/etc//passwd", 100),
            Ok(Normal::Absolute("etc/passwd".into()))
        );
        assert_eq!(normalize_path(b"./", 100), Ok(Normal::Root));
        assert!(normalize_path(b"a/../../etc/passwd", 100).is_err());
        assert!(normalize_path(b"a/b", 2).is_err());
    }
}
