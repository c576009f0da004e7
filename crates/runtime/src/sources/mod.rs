//! Event sources as decoders: recorded or logged events in, engine events out. Sources never judge:
//! they decode, count what they could not decode, and go on.

pub mod cloudtrail;
#[cfg(all(target_os = "linux", feature = "ebpf"))]
pub mod ebpf;
pub mod k8s_audit;
pub mod syscall;

use std::io::Read;

/// Largest input read into memory at once (a file, or one stream), in bytes.
pub const MAX_INPUT: u64 = 1 << 30;
/// Most decode problems kept as messages (the count goes on).
const MAX_KEPT_PROBLEMS: usize = 100;

/// What a decoder saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DecodeStats {
    /// Events decoded and handed on.
    pub events: u64,
    /// Inputs (lines, files, records) that were not valid events.
    pub malformed: u64,
    /// The first problems, as `where: what`.
    pub problems: Vec<String>,
}

impl DecodeStats {
    pub(crate) fn problem(&mut self, msg: String) {
        self.malformed += 1;
        if self.problems.len() < MAX_KEPT_PROBLEMS {
            self.problems.push(msg);
        }
    }

    /// Adds another decoder's counts.
    pub fn merge(&mut self, other: DecodeStats) {
        self.events += other.events;
        self.malformed += other.malformed;
        for p in other.problems {
            if self.problems.len() < MAX_KEPT_PROBLEMS {
                self.problems.push(p);
            }
        }
    }
}

/// Errors that stop a decoder (I/O on the input itself).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("reading {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} is larger than {limit} bytes")]
    TooLarge { what: String, limit: u64 },
}

/// Reads at most [`MAX_INPUT`] bytes.
pub(crate) fn read_all(mut r: impl Read, what: &str) -> Result<Vec<u8>, SourceError> {
    let mut buf = Vec::new();
    (&mut r)
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|source| SourceError::Io {
            what: what.to_string(),
            source,
        })?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(SourceError::TooLarge {
            what: what.to_string(),
            limit: MAX_INPUT,
        });
    }
    Ok(buf)
}
