//! Package catalogers: find the packages installed in or declared by a filesystem tree.
//!
//! Catalogers never walk the filesystem. Each one declares which files it wants ([`Cataloger::wants`], a
//! cheap test on path, size and mode) and parses the bytes it is given ([`Cataloger::parse`]). A walker
//! ([`catalog_dir`] for a directory tree; the image crate for layer files) asks the [`Registry`] which
//! catalogers want a file, reads only wanted files, once, and hands the bytes to each of them.
//!
//! Architecture invariant: catalogers only read and normalise; they never judge. Every parser is bounded
//! and treats its input as hostile: a malformed entry becomes a [`ScanWarning`] and parsing goes on.

#![warn(missing_docs)]

mod apk;
mod cargo;
mod dpkg;
#[doc(hidden)]
pub mod fuzzing;
mod gobin;
mod gomod;
mod inventory;
mod java;
mod mounts;
mod npm;
mod os;
mod pnpm;
mod python;
mod python_lock;
mod registry;
mod rpm;
mod ruby;
mod sbom;
mod text;
mod walk;
mod yarn;

pub use inventory::Inventory;
pub use os::detect_os;
pub use registry::{Mode, Registry};
pub use sbom::{Sbom, SbomFormat, read_sbom};
pub use walk::{FileVisitor, WalkOptions, catalog_dir, catalog_dir_with, catalog_file};

use rampart_core::{OsRelease, Package, ScanWarning};

/// What a walker knows about a file before reading it.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta<'a> {
    /// Path relative to the scanned root, `/`-separated, without a leading `/`.
    pub path: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Whether any execute bit is set.
    pub executable: bool,
}

/// What a cataloger knows while parsing one file.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// Path relative to the scanned root (as in [`FileMeta::path`]); used for locations and warnings.
    pub path: &'a str,
    /// The operating system of the scanned tree, when known.
    pub os: Option<&'a OsRelease>,
}

/// The result of parsing one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Packages found in the file.
    pub packages: Vec<Package>,
    /// Malformed entries that were skipped, with path and line.
    pub warnings: Vec<ScanWarning>,
}

impl Parsed {
    /// Records a warning about `path` (and `line`, when known).
    pub fn warn(&mut self, path: &str, line: Option<u32>, message: impl Into<String>) {
        self.warnings.push(ScanWarning {
            path: path.to_string(),
            line,
            message: message.into(),
        });
    }
}

/// One package format: which files it wants and how to parse them.
pub trait Cataloger: Send + Sync {
    /// A short stable name (`dpkg`, `npm-lock`, …), used in warnings and logs.
    fn name(&self) -> &'static str;
    /// Cheap test on path, size and mode only: does this cataloger want to read the file?
    fn wants(&self, file: &FileMeta) -> bool;
    /// The most bytes this cataloger reads of one file; larger files are skipped with a warning.
    fn max_size(&self) -> u64 {
        64 << 20
    }
    /// Parses the content of one wanted file.
    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError>;
}

/// Why cataloguing failed as a whole (per-file problems are [`ScanWarning`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The scan root or a given file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not in the format its name promises.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The scan root is not usable (not a directory, not a file).
    #[error("{0}")]
    Invalid(String),
}

impl CatalogError {
    /// A parse error for `path`.
    pub fn parse(path: &str, message: impl std::fmt::Display) -> CatalogError {
        CatalogError::Parse {
            path: path.to_string(),
            message: message.to_string(),
        }
    }
}
