//! Errors of the posture engine, each naming the file (and line) it is about.

use std::path::PathBuf;

/// Everything that can go wrong loading or running checks and policies.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}{}: invalid document: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        path: String,
        line: Option<u32>,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}:{line}: Rego does not compile: {message}")]
    Compile {
        path: String,
        line: u32,
        message: String,
    },
    #[error("{path}: policy stopped after {limit_ms} ms (evaluation time limit)")]
    Timeout { path: String, limit_ms: u128 },
    #[error("{path}: policy evaluation failed: {message}")]
    Eval { path: String, message: String },
    #[error("{path}: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        path: String,
        size: usize,
        limit: usize,
    },
}

impl PolicyError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        PolicyError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = PolicyError> = std::result::Result<T, E>;
