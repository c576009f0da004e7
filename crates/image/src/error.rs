//! Why analysing an image failed. Per-file problems inside layers are warnings instead.

use std::io;

/// An error that stops the analysis of an image. Every variant names what it is about: the blob, the
/// layer, the file or the reference.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The image reference could not be parsed.
    #[error("invalid image reference {input:?}: {reason}")]
    Reference {
        /// What the user wrote.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file or blob could not be read.
    #[error("{what}: {source}")]
    Io {
        /// The path or blob.
        what: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A blob's content does not hash to the digest it is referenced by.
    #[error("{blob}: digest mismatch: expected {expected}, content hashes to {actual}")]
    DigestMismatch {
        /// Which blob (`manifest sha256:…`, `layer 2 sha256:…`).
        blob: String,
        /// The digest it was referenced by.
        expected: String,
        /// The digest of what was read.
        actual: String,
    },
    /// A blob's length differs from the size in its descriptor.
    #[error("{blob}: size mismatch: descriptor says {expected} bytes, read {actual}")]
    SizeMismatch {
        /// Which blob.
        blob: String,
        /// The size in the descriptor.
        expected: u64,
        /// The bytes read.
        actual: u64,
    },
    /// A manifest, config or layer has a media type this crate does not read.
    #[error("{what}: unsupported media type {media_type:?}")]
    UnsupportedMediaType {
        /// Which document or blob.
        what: String,
        /// The media type found.
        media_type: String,
    },
    /// A document (index, manifest, config, archive) is not what its format requires.
    #[error("{what}: {message}")]
    Malformed {
        /// Which document.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// A blob, tag or file the image needs is missing.
    #[error("{what}: not found{hint}")]
    NotFound {
        /// What was looked for.
        what: String,
        /// Extra help (available tags, …), starting with a separator, or empty.
        hint: String,
    },
    /// A multi-platform index has no image for the requested platform.
    #[error("no image for platform {platform} (available: {available})")]
    NoPlatform {
        /// The platform asked for.
        platform: String,
        /// The platforms the index offers.
        available: String,
    },
    /// A configured limit was hit (decompression bomb, too many files, oversized document).
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// A layer could not be read to its end (truncated, corrupt compression or tar stream).
    #[error("layer {index} ({digest}): {message}")]
    Layer {
        /// Position of the layer, from 0.
        index: u32,
        /// The layer's digest.
        digest: String,
        /// What went wrong.
        message: String,
    },
    /// The requested source kind is not available (e.g. registries, in this version).
    #[error("{0}")]
    Unsupported(String),
    /// A registry request failed (after retries, for transient failures); never names credentials.
    #[error("{what}: {message}")]
    Registry {
        /// The manifest, blob, tag list or catalog asked for.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// A trusted-base catalogue entry's reference could not be resolved.
    #[error("base catalogue entry {entry:?}: {source}")]
    Catalogue {
        /// The entry's name.
        entry: String,
        /// Why its reference could not be resolved.
        #[source]
        source: Box<ImageError>,
    },
    /// An external tool (podman) failed.
    #[error("{tool}: {message}")]
    Tool {
        /// The tool.
        tool: String,
        /// Its error output or exit status.
        message: String,
    },
}

impl ImageError {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> ImageError {
        ImageError::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn malformed(
        what: impl Into<String>,
        message: impl std::fmt::Display,
    ) -> ImageError {
        ImageError::Malformed {
            what: what.into(),
            message: message.to_string(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> ImageError {
        ImageError::NotFound {
            what: what.into(),
            hint: String::new(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = ImageError> = std::result::Result<T, E>;
