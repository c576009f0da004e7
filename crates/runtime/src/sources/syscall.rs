//! Decoder for Rampart's recorded syscall events: JSON lines of
//! [`SyscallEvent`] (format documented there).

use super::{DecodeStats, SourceError};
use crate::fields::syscall::SyscallEvent;
use std::io::{BufRead, BufReader, Read};

/// Longest line accepted, in bytes.
pub const MAX_LINE: usize = 4 << 20;

/// Decodes recorded events from `input`, calling `f` for each (already prepared).
pub fn decode(
    input: impl Read,
    mut f: impl FnMut(SyscallEvent),
) -> Result<DecodeStats, SourceError> {
    let mut stats = DecodeStats::default();
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|source| SourceError::Io {
                what: "syscall events".into(),
                source,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            stats.problem(format!("line {n}: longer than {MAX_LINE} bytes"));
            // skip the rest of the oversized line
            let mut sink = Vec::new();
            let _ = reader.read_until(b'\n', &mut sink);
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<SyscallEvent>(&line) {
            Ok(mut ev) => {
                ev.prepare();
                stats.events += 1;
                f(ev);
            }
            Err(e) => stats.problem(format!("line {n}: {e}")),
        }
    }
    Ok(stats)
}

/// Writes one event as a JSON line (what `run --record` writes).
pub fn encode(ev: &SyscallEvent) -> String {
    serde_json::to_string(ev).unwrap_or_default()
}
