//! Writes events as recorded-event JSON lines (what `replay --source syscall` reads).

use crate::fields::syscall::SyscallEvent;
use std::io::Write;

/// A JSON-lines event recorder.
pub struct Recorder<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> Recorder<W> {
    /// Records into `out` (wrap files in a `BufWriter`).
    pub fn new(out: W) -> Self {
        Recorder { out, written: 0 }
    }

    /// Writes one event.
    pub fn write(&mut self, ev: &SyscallEvent) -> std::io::Result<()> {
        let line = crate::sources::syscall::encode(ev);
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// Events written.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes the writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
