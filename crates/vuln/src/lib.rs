//! Rampart's vulnerability knowledge base.
//!
//! - [`ingest`] reads advisory feeds (OSV JSON/YAML/zip, Debian tracker, Alpine secdb, Node.js security-wg,
//!   RubySec, CISA KEV, FIRST EPSS) into one normalised [`model`].
//! - [`db`] compiles them into a checksummed, memory-mapped file and searches it in place.
//! - [`matcher`] matches a package inventory against it: one finding per package per vulnerability, aliases
//!   merged, with fix, severity, KEV and EPSS facts.
//! - [`suppress`] applies OpenVEX, `.rampartignore` and `--ignore-unfixed`.
//!
//! Architecture invariant: matching does no I/O beyond reading the mapped database.

pub mod affects;
pub mod cvss;
pub mod db;
#[doc(hidden)]
pub mod fuzzing;
pub mod ingest;
pub mod matcher;
pub mod model;
pub mod suppress;
pub mod update;

pub use db::{Database, DbError};
pub use matcher::{MatchOutcome, match_packages};
