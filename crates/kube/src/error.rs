//! Errors of this crate. Bad input inside a tree is a warning, not an error; these are for the
//! things a caller asked for directly (the root path, stdin, a suppression file).

use thiserror::Error;

/// Why an input could not be read at all.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is larger than the {limit}-byte limit; skipped")]
    TooLarge { path: String, limit: u64 },
    #[error("{path} is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { path: String, offset: usize },
}

/// Why a suppression file could not be used.
#[derive(Debug, Error)]
pub enum SuppressionError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{path}: invalid suppression file: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: rule {index}: {message}")]
    Rule {
        path: String,
        index: usize,
        message: String,
    },
}

/// A Kubernetes version string that is not `1.N`.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid Kubernetes version {0:?}: expected 1.N, v1.N or latest")]
pub struct VersionError(pub String);

/// A level or framework name that is not known.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown {what} {name:?}: expected one of {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub expected: &'static str,
}
