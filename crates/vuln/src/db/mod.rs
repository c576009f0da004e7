//! The compiled vulnerability database: one file, memory-mapped, verified by checksum, searched in place.
//!
//! Layout (all integers little-endian):
//! ```text
//! header (64 bytes): magic "RAMPARTD" | format u32 | flags u32 | body length u64 | BLAKE3(body) 32 bytes | pad
//! body:  section count u32, then per section: tag [u8;4] | offset u64 | length u64, then the sections:
//!   META  JSON build metadata (built_at, sources, counts)
//!   ADVS  postcard-encoded advisories (without their affected lists), addressed by offset
//!   POST  per index key, a postcard Vec<Posting> (advisory offset + the affected entry)
//!   KEYS  sorted table of 16-byte rows (key offset, key length, postings offset, postings length) + key bytes
//!   IDS_  sorted table of 12-byte rows (id offset, id length, advisory offset) + id bytes, aliases included
//!   KEV_  postcard Vec<KevEntry>, sorted by CVE
//!   EPSS  sorted 16-byte rows (CVE key u64, score f32, percentile f32)
//! ```
//! Opening maps the file, checks magic, format and checksum, and reads only the section table and META.

mod reader;
mod writer;

pub use reader::Database;
pub use writer::{BuildSummary, build};

use crate::model::Affected;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// File magic.
pub const MAGIC: &[u8; 8] = b"RAMPARTD";
/// The database format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 64;

/// One affected entry under an index key, pointing at its advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Posting {
    pub advisory: u32,
    pub affected: Affected,
}

/// Build metadata stored in the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Metadata {
    pub format_version: u32,
    /// RFC 3339 time of the build.
    pub built_at: String,
    /// Rampart version that built it.
    pub built_by: String,
    /// Advisory source → number of advisories.
    pub sources: BTreeMap<String, u64>,
    pub advisories: u64,
    pub index_keys: u64,
    pub kev_entries: u64,
    pub epss_entries: u64,
}

/// Why a database could not be opened or read. Every message names the file and the way out.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "cannot read vulnerability database {path}: {source}; run `rampart db update` to fetch one"
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a Rampart vulnerability database; run `rampart db update` or pass --db")]
    NotADatabase { path: PathBuf },
    #[error("vulnerability database {path} is truncated; run `rampart db update` to replace it")]
    Truncated { path: PathBuf },
    #[error(
        "vulnerability database {path} is corrupt (checksum mismatch); run `rampart db update` to replace it"
    )]
    Checksum { path: PathBuf },
    #[error(
        "vulnerability database {path} has format {found}, newer than the {supported} this rampart reads; upgrade rampart"
    )]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "vulnerability database {path} is corrupt ({what}); run `rampart db update` to replace it"
    )]
    Corrupt { path: PathBuf, what: String },
    #[error("cannot write vulnerability database {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}
