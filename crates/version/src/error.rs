//! The error type shared by every scheme.

use crate::Scheme;

/// Why a string is not a version (or range) of a scheme.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VersionError {
    /// The input was empty or only whitespace.
    #[error("empty {scheme} version")]
    Empty {
        /// The scheme being parsed.
        scheme: Scheme,
    },
    /// The input exceeded the length limit; it was not parsed at all.
    #[error("{scheme} input is {len} bytes, over the {max}-byte limit")]
    TooLong {
        /// The scheme being parsed.
        scheme: Scheme,
        /// Length of the rejected input in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not a version of the scheme.
    #[error("invalid {scheme} version {input:?}: {reason}")]
    Invalid {
        /// The scheme being parsed.
        scheme: Scheme,
        /// The rejected input.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The input is not a range or requirement of the scheme.
    #[error("invalid {scheme} range {input:?}: {reason}")]
    InvalidRange {
        /// The scheme being parsed (`Semver` for npm ranges, `RubyGems` for requirements).
        scheme: Scheme,
        /// The rejected input.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl VersionError {
    pub(crate) fn invalid(scheme: Scheme, input: &str, reason: &'static str) -> VersionError {
        VersionError::Invalid {
            scheme,
            input: input.to_owned(),
            reason,
        }
    }

    pub(crate) fn invalid_range(scheme: Scheme, input: &str, reason: &'static str) -> VersionError {
        VersionError::InvalidRange {
            scheme,
            input: input.to_owned(),
            reason,
        }
    }
}
