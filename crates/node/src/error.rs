//! Errors of the node checks, each naming the file or setting at fault.

use std::path::PathBuf;

/// What can go wrong loading definitions or selecting a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is too large ({size} bytes, limit {limit})")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("invalid definitions file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("unknown benchmark {0:?} (not a folder of the definitions directory)")]
    UnknownBenchmark(String),
    #[error(
        "no benchmark is mapped to Kubernetes version {0:?} in cfg/config.yaml version_mapping"
    )]
    UnmappedVersion(String),
    #[error("unknown target {target:?} for benchmark {benchmark} (target_mapping lists {known})")]
    UnknownTarget {
        target: String,
        benchmark: String,
        known: String,
    },
    #[error("invalid stat overrides file {path}: {message}")]
    Overrides { path: PathBuf, message: String },
}

pub type Result<T> = std::result::Result<T, Error>;
