//! The hook for content scanners (secrets, malware): every regular file of every layer — including
//! files a later layer deletes — can be handed over with its layer and path.

use crate::digest::Digest;

/// One regular file as it appears in one layer.
#[derive(Debug, Clone, Copy)]
pub struct LayerFile<'a> {
    /// Position of the layer, from 0.
    pub layer: u32,
    /// The layer's diff id.
    pub layer_digest: &'a Digest,
    /// Root-relative path.
    pub path: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Mode bits.
    pub mode: u32,
}

/// Receives layer files. `wants` is asked first (cheap: path, size, mode); only then are the bytes
/// read (at most `Limits::max_file_size`) and passed to `visit`. Files are visited in layer order, then
/// tar order; whether a file survives to the final image is known after the analysis
/// ([`crate::ImageInfo::deleted_files`]).
pub trait FileVisitor {
    /// Whether to read this file's content.
    fn wants(&mut self, file: &LayerFile) -> bool;
    /// The content of a wanted file.
    fn visit(&mut self, file: &LayerFile, content: &[u8]);
}
