//! A reader that follows a tar stream's block structure to reject oversized metadata entries (GNU long
//! names and links, PAX headers) before the `tar` crate reads them whole into memory. It mirrors how
//! `tar` sizes entries (header size, overridden by a PAX `size`; GNU sparse extension blocks); on
//! anything it does not understand it stops checking and lets `tar` report the problem.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const BLOCK: usize = 512;

/// Where the guard is in the tar stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a 512-byte header.
    Header,
    /// Collecting a GNU sparse extension block.
    SparseExt,
    /// Skipping `n` bytes of entry data (padded to blocks).
    Data(u64),
    /// Gave up following the structure.
    Off,
}

/// The tar-structure guard. `hit` receives the size of the first oversized metadata entry.
pub(crate) struct TarGuard<R> {
    inner: R,
    max_meta: u64,
    hit: Arc<AtomicU64>,
    state: State,
    block: Vec<u8>,
    /// Bytes of the current PAX header still to collect, and what was collected.
    pax: Option<(u64, Vec<u8>)>,
    /// A PAX `size` waiting for the next non-extension header.
    pax_size: Option<u64>,
    /// Data length of the entry whose sparse extension blocks are being read.
    sparse_data: u64,
}

impl<R: Read> TarGuard<R> {
    pub(crate) fn new(inner: R, max_meta: u64, hit: Arc<AtomicU64>) -> Self {
        TarGuard {
            inner,
            max_meta,
            hit,
            state: State::Header,
            block: Vec::with_capacity(BLOCK),
            pax: None,
            pax_size: None,
            sparse_data: 0,
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    /// Advances the state machine over bytes that passed through.
    fn observe(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.state {
                State::Off => return Ok(()),
                State::Data(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                    if let Some((want, buf)) = &mut self.pax {
                        let take = usize::try_from(*want).unwrap_or(usize::MAX).min(n);
                        buf.extend_from_slice(&data[..take]);
                        *want -= take as u64;
                    }
                    data = &data[n..];
                    let left = left - n as u64;
                    self.state = State::Data(left);
                    if left == 0 {
                        if let Some((_, buf)) = self.pax.take() {
                            self.pax_size = pax_size(&buf);
                        }
                        self.state = State::Header;
                    }
                }
                State::Header | State::SparseExt => {
                    let n = (BLOCK - self.block.len()).min(data.len());
                    self.block.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if self.block.len() == BLOCK {
                        let block = std::mem::take(&mut self.block);
                        self.state = if self.state == State::Header {
                            self.header(&block)?
                        } else if block[504] != 0 {
                            State::SparseExt
                        } else {
                            data_state(self.sparse_data)
                        };
                        self.block = block;
                        self.block.clear();
                    }
                }
            }
        }
        Ok(())
    }

    /// The state after a complete header block.
    fn header(&mut self, h: &[u8]) -> io::Result<State> {
        if h.iter().all(|&b| b == 0) {
            return Ok(State::Header);
        }
        let sum: u32 = h[..148]
            .iter()
            .chain(&h[156..])
            .map(|&b| u32::from(b))
            .sum::<u32>()
            + 8 * 32;
        let (Some(cksum), Some(size)) = (octal(&h[148..156]), number(&h[124..136])) else {
            return Ok(State::Off);
        };
        if u64::from(sum) != cksum {
            return Ok(State::Off);
        }
        let kind = h[156];
        let extension = matches!(kind, b'L' | b'K' | b'x' | b'g');
        if extension && size > self.max_meta {
            self.hit.store(size, Ordering::Relaxed);
            return Err(io::Error::other("oversized tar metadata entry"));
        }
        let size = match (extension, self.pax_size.take()) {
            (true, pending) => {
                self.pax_size = pending;
                size
            }
            (false, Some(pax)) => pax,
            (false, None) => size,
        };
        if kind == b'x' {
            self.pax = Some((size, Vec::new()));
        }
        let gnu = &h[257..265] == b"ustar  \0";
        if kind == b'S' && gnu && h[482] != 0 {
            self.sparse_data = size;
            return Ok(State::SparseExt);
        }
        Ok(data_state(size))
    }
}

fn data_state(size: u64) -> State {
    match size.checked_add(BLOCK as u64 - 1) {
        Some(s) if s / BLOCK as u64 > 0 => State::Data(s / BLOCK as u64 * BLOCK as u64),
        Some(_) => State::Header,
        None => State::Off,
    }
}

/// A PAX `size` record (`<len> size=<n>\n`).
fn pax_size(records: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(records).ok()?;
    text.lines()
        .filter_map(|l| l.split_once(' ').map(|(_, kv)| kv))
        .find_map(|kv| kv.strip_prefix("size="))
        .and_then(|v| v.trim().parse().ok())
}

/// A tar numeric field: octal text, or GNU base-256 when the high bit is set.
fn number(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut n: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            n = n.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(n);
    }
    octal(field)
}

fn octal(field: &[u8]) -> Option<u64> {
    let text: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|&b| b != 0 && b != b' ')
        .collect();
    if text.is_empty() {
        return Some(0);
    }
    let s = std::str::from_utf8(&text).ok()?;
    u64::from_str_radix(s, 8).ok()
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.observe(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with_long_name(len: usize) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let name = "d/".repeat(len / 2) + "f";
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &b"abc"[..]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "short", &b"xy"[..]).unwrap();
        b.into_inner().unwrap()
    }

    fn read_all(data: impl Read, max: u64) -> (io::Result<u64>, u64) {
        read_all_with(data, max, 7)
    }

    /// Reads through the guard in `chunk`-byte reads (small ones cross block boundaries every way).
    fn read_all_with(data: impl Read, max: u64, chunk: usize) -> (io::Result<u64>, u64) {
        let hit = Arc::new(AtomicU64::new(0));
        let mut g = TarGuard::new(data, max, hit.clone());
        let mut total = 0u64;
        let mut buf = vec![0u8; chunk];
        loop {
            match g.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(e) => return (Err(e), hit.load(Ordering::Relaxed)),
            }
        }
        assert_ne!(g.state, State::Off, "the guard lost track of the stream");
        (Ok(total), hit.load(Ordering::Relaxed))
    }

    #[test]
    fn follows_real_archives_and_stops_oversized_names() {
        let tar = tar_with_long_name(3000);
        assert!(read_all(tar.as_slice(), 1 << 20).0.is_ok());
        let (r, hit) = read_all(tar.as_slice(), 1000);
        assert!(r.is_err());
        assert!(hit > 1000);
    }

    #[test]
    fn keeps_track_of_the_real_fixture_layers() {
        // The docker archive stores the minbase image's layers uncompressed (PAX headers, long names,
        // links, devices).
        let Some(archive) = rampart_testkit::fixture("images/app.docker.tar") else {
            return;
        };
        let mut outer = tar::Archive::new(std::fs::File::open(archive).unwrap());
        let mut layers = 0;
        for entry in outer.entries().unwrap() {
            let entry = entry.unwrap();
            let is_layer = entry
                .path()
                .unwrap()
                .extension()
                .is_some_and(|e| e == "tar");
            if is_layer && entry.header().entry_type().is_file() {
                let (r, hit) = read_all_with(entry, 1 << 20, 64 << 10);
                assert!(r.is_ok() && hit == 0);
                layers += 1;
            }
        }
        assert_eq!(layers, 3);
    }
}
