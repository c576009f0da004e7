//! Following a growing log file by path, like `tail -F`: new complete lines are handed on; a
//! rename-and-recreate rotation is noticed by the inode changing (the old file is read to its end
//! first), and a truncation by the size shrinking below the read offset.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Longest line handed on, in bytes; longer lines are cut and reported as oversized.
pub const MAX_LINE: usize = 4 << 20;

/// A line from [`LineSplitter`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line without its newline (and without a trailing `\r`).
    Full(&'a [u8]),
    /// A line longer than the limit; its bytes were discarded.
    Oversized,
}

/// Splits a byte stream into lines, keeping an incomplete last line for the next chunk.
#[derive(Debug)]
pub struct LineSplitter {
    partial: Vec<u8>,
    max: usize,
    /// Inside a line that went over the limit: skip to its end.
    skipping: bool,
}

impl LineSplitter {
    /// A splitter with a line limit of `max` bytes.
    pub fn new(max: usize) -> LineSplitter {
        LineSplitter {
            partial: Vec::new(),
            max: max.max(1),
            skipping: false,
        }
    }

    /// Feeds a chunk; calls `f` for every line it completes.
    pub fn push(&mut self, mut chunk: &[u8], mut f: impl FnMut(Line<'_>)) {
        while !chunk.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    let (head, rest) = (&chunk[..i], &chunk[i + 1..]);
                    chunk = rest;
                    if self.skipping {
                        self.skipping = false;
                        continue;
                    }
                    if self.partial.len() + head.len() > self.max {
                        self.partial.clear();
                        f(Line::Oversized);
                        continue;
                    }
                    if self.partial.is_empty() {
                        f(Line::Full(trim_cr(head)));
                    } else {
                        self.partial.extend_from_slice(head);
                        let line = std::mem::take(&mut self.partial);
                        f(Line::Full(trim_cr(&line)));
                    }
                }
                None => {
                    if !self.skipping {
                        if self.partial.len() + chunk.len() > self.max {
                            self.partial.clear();
                            self.skipping = true;
                            f(Line::Oversized);
                        } else {
                            self.partial.extend_from_slice(chunk);
                        }
                    }
                    return;
                }
            }
        }
    }

    /// Hands on an unterminated last line (at rotation) and resets.
    pub fn finish(&mut self, mut f: impl FnMut(Line<'_>)) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            f(Line::Full(trim_cr(&line)));
        }
        self.skipping = false;
    }

    /// Forgets any partial line (after a truncation).
    pub fn reset(&mut self) {
        self.partial.clear();
        self.skipping = false;
    }
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// What a [`Follower::poll`] noticed besides lines.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollNote {
    /// The path now names a new file (rotation); the old one was read to its end.
    pub rotated: bool,
    /// The file shrank below the read offset; reading restarted at 0.
    pub truncated: bool,
    /// Bytes read.
    pub bytes: u64,
}

/// Follows one file by path.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    ident: (u64, u64),
    offset: u64,
    lines: LineSplitter,
    buf: Vec<u8>,
}

impl Follower {
    /// Follows `path` from its beginning (the file may not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Follower {
        Follower {
            path: path.into(),
            file: None,
            ident: (0, 0),
            offset: 0,
            lines: LineSplitter::new(MAX_LINE),
            buf: vec![0; 64 * 1024],
        }
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads whatever was appended since the last call and calls `f` for each complete line.
    /// A missing file is not an error (it may be mid-rotation); other I/O errors are returned.
    pub fn poll(&mut self, mut f: impl FnMut(Line<'_>)) -> std::io::Result<PollNote> {
        let mut note = PollNote::default();
        if self.file.is_none() && !self.open()? {
            return Ok(note);
        }
        self.check_truncated(&mut note)?;
        note.bytes += self.drain(&mut f)?;
        // rotated? the path now names another file (or none yet)
        match std::fs::metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) != self.ident => {
                // the old file may have been appended to between our read and the rename
                note.bytes += self.drain(&mut f)?;
                self.lines.finish(&mut f);
                note.rotated = true;
                self.file = None;
                if self.open()? {
                    note.bytes += self.drain(&mut f)?;
                }
            }
            Ok(_) | Err(_) => {}
        }
        Ok(note)
    }

    fn open(&mut self) -> std::io::Result<bool> {
        match File::open(&self.path) {
            Ok(file) => {
                let m = file.metadata()?;
                self.ident = (m.dev(), m.ino());
                self.offset = 0;
                self.lines.reset();
                self.file = Some(file);
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn check_truncated(&mut self, note: &mut PollNote) -> std::io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        if file.metadata()?.len() < self.offset {
            file.seek(SeekFrom::Start(0))?;
            self.offset = 0;
            self.lines.reset();
            note.truncated = true;
        }
        Ok(())
    }

    fn drain(&mut self, f: &mut impl FnMut(Line<'_>)) -> std::io::Result<u64> {
        let Some(file) = self.file.as_mut() else {
            return Ok(0);
        };
        let mut total = 0u64;
        loop {
            let n = file.read(&mut self.buf)?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
            self.offset += n as u64;
            self.lines.push(&self.buf[..n], &mut *f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(f: &mut Follower) -> (Vec<String>, PollNote) {
        let mut out = Vec::new();
        let note = f
            .poll(|l| match l {
                Line::Full(b) => out.push(String::from_utf8_lossy(b).into_owned()),
                Line::Oversized => out.push("<oversized>".into()),
            })
            .unwrap();
        (out, note)
    }

    #[test]
    fn splitter_keeps_partial_lines_and_cuts_long_ones() {
        let mut s = LineSplitter::new(8);
        let mut got = Vec::new();
        for chunk in [&b"ab"[..], b"c\r\nd\n0123456789", b"more\nok\n"] {
            s.push(chunk, |l| {
                got.push(match l {
                    Line::Full(b) => String::from_utf8_lossy(b).into_owned(),
                    Line::Oversized => "!".into(),
                })
            });
        }
        assert_eq!(got, ["abc", "d", "!", "ok"]);
    }

    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let mut f = Follower::new(&path);
        assert_eq!(collect(&mut f).0, Vec::<String>::new());
        let mut w = File::create(&path).unwrap();
        w.write_all(b"one\ntw").unwrap();
        assert_eq!(collect(&mut f).0, ["one"]);
        w.write_all(b"o\n").unwrap();
        assert_eq!(collect(&mut f).0, ["two"]);
        // rename + recreate: the tail of the old file, then the new one
        w.write_all(b"three\n").unwrap();
        std::fs::rename(&path, dir.path().join("audit.log.1")).unwrap();
        let mut w = File::create(&path).unwrap();
        w.write_all(b"four\n").unwrap();
        let (lines, note) = collect(&mut f);
        assert_eq!(lines, ["three", "four"]);
        assert!(note.rotated);
        // truncation (copytruncate)
        w.set_len(0).unwrap();
        let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        w.write_all(b"5\n").unwrap();
        let (lines, note) = collect(&mut f);
        assert_eq!(lines, ["5"]);
        assert!(note.truncated);
    }
}
