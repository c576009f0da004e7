//! Opening and searching the database in place.

use super::{DbError, FORMAT_VERSION, HEADER_LEN, MAGIC, Metadata, Posting};
use crate::ingest::enrichment::{KevEntry, cve_key};
use crate::model::{Advisory, index_key};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// An open, verified database.
pub struct Database {
    path: PathBuf,
    map: memmap2::Mmap,
    metadata: Metadata,
    checksum: String,
    advs: Range<usize>,
    post: Range<usize>,
    keys: Range<usize>,
    ids: Range<usize>,
    kev_raw: Range<usize>,
    epss: Range<usize>,
    kev: OnceLock<Vec<KevEntry>>,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

impl Database {
    /// Maps and verifies the database at `path`.
    pub fn open(path: &Path) -> Result<Database, DbError> {
        let p = || path.to_path_buf();
        let file = std::fs::File::open(path).map_err(|source| DbError::Io { path: p(), source })?;
        // SAFETY: the file is only replaced by rename, never rewritten in place, so the mapping stays
        // valid for the life of this value; its content is verified by checksum before use.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|source| DbError::Io { path: p(), source })?;
        if map.len() < 8 || &map[..8] != MAGIC {
            return Err(DbError::NotADatabase { path: p() });
        }
        if map.len() < HEADER_LEN {
            return Err(DbError::Truncated { path: p() });
        }
        let format = u32_at(&map, 8).unwrap_or(0);
        if format > FORMAT_VERSION {
            return Err(DbError::NewerFormat {
                path: p(),
                found: format,
                supported: FORMAT_VERSION,
            });
        }
        let body_len = u64_at(&map, 16).unwrap_or(0) as usize;
        if map.len() != HEADER_LEN.saturating_add(body_len) {
            return Err(DbError::Truncated { path: p() });
        }
        let body = &map[HEADER_LEN..];
        let hash = blake3::hash(body);
        if hash.as_bytes()[..] != map[24..56] {
            return Err(DbError::Checksum { path: p() });
        }
        let corrupt = |what: &str| DbError::Corrupt {
            path: p(),
            what: what.to_string(),
        };
        let sections = read_sections(body).ok_or_else(|| corrupt("section table"))?;
        let find = |tag: &[u8; 4]| -> Result<Range<usize>, DbError> {
            sections
                .iter()
                .find(|(t, _)| t == tag)
                .map(|(_, r)| HEADER_LEN + r.start..HEADER_LEN + r.end)
                .ok_or_else(|| {
                    corrupt(&format!("missing section {}", String::from_utf8_lossy(tag)))
                })
        };
        let meta_range = find(b"META")?;
        let metadata: Metadata =
            serde_json::from_slice(&map[meta_range]).map_err(|_| corrupt("metadata"))?;
        Ok(Database {
            path: p(),
            checksum: hash.to_hex().to_string(),
            metadata,
            advs: find(b"ADVS")?,
            post: find(b"POST")?,
            keys: find(b"KEYS")?,
            ids: find(b"IDS_")?,
            kev_raw: find(b"KEV_")?,
            epss: find(b"EPSS")?,
            kev: OnceLock::new(),
            map,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// BLAKE3 of the body, hex.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// Size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.map.len() as u64
    }

    fn corrupt(&self, what: &str) -> DbError {
        DbError::Corrupt {
            path: self.path.clone(),
            what: what.to_string(),
        }
    }

    /// Every affected entry recorded for `name` in `ecosystem` (e.g. `Debian:11`, `openssl`).
    pub fn postings(&self, ecosystem: &str, name: &str) -> Result<Vec<Posting>, DbError> {
        let key = index_key(ecosystem, name);
        let table = StringTable::new(&self.map[self.keys.clone()], 2)
            .ok_or_else(|| self.corrupt("key table"))?;
        let Some(row) = table.find_first(key.as_bytes()) else {
            return Ok(Vec::new());
        };
        let (start, len) = (table.value(row, 0) as usize, table.value(row, 1) as usize);
        let bytes = self
            .map
            .get(self.post.start + start..self.post.start + start + len)
            .filter(|_| self.post.start + start + len <= self.post.end)
            .ok_or_else(|| self.corrupt("postings offset"))?;
        postcard::from_bytes(bytes).map_err(|_| self.corrupt("postings"))
    }

    /// The advisory stored at `offset` (its `affected` list is empty; see [`Database::postings`]).
    pub fn advisory(&self, offset: u32) -> Result<Advisory, DbError> {
        let bytes = self
            .map
            .get(self.advs.start + offset as usize..self.advs.end)
            .ok_or_else(|| self.corrupt("advisory offset"))?;
        postcard::take_from_bytes(bytes)
            .map(|(a, _)| a)
            .map_err(|_| self.corrupt("advisory record"))
    }

    /// Advisories whose id or alias is `id`.
    pub fn advisories_by_id(&self, id: &str) -> Result<Vec<Advisory>, DbError> {
        let table = StringTable::new(&self.map[self.ids.clone()], 1)
            .ok_or_else(|| self.corrupt("id table"))?;
        let Some(mut row) = table.find_first(id.as_bytes()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        while row < table.len && table.key(row) == Some(id.as_bytes()) {
            out.push(self.advisory(table.value(row, 0))?);
            row += 1;
        }
        Ok(out)
    }

    /// The KEV entry of a CVE.
    pub fn kev(&self, cve: &str) -> Option<&KevEntry> {
        let list = self.kev.get_or_init(|| {
            postcard::from_bytes(&self.map[self.kev_raw.clone()]).unwrap_or_default()
        });
        let key = cve_key(cve)?;
        list.binary_search_by_key(&key, |k| cve_key(&k.cve).unwrap_or(0))
            .ok()
            .map(|i| &list[i])
    }

    /// The EPSS (score, percentile) of a CVE.
    pub fn epss(&self, cve: &str) -> Option<(f32, f32)> {
        let key = cve_key(cve)?;
        let rows = &self.map[self.epss.clone()];
        let n = rows.len() / 16;
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let k = u64_at(rows, mid * 16)?;
            match k.cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let score =
                        f32::from_le_bytes(rows.get(mid * 16 + 8..mid * 16 + 12)?.try_into().ok()?);
                    let pct = f32::from_le_bytes(
                        rows.get(mid * 16 + 12..mid * 16 + 16)?.try_into().ok()?,
                    );
                    return Some((score, pct));
                }
            }
        }
        None
    }

    /// Every index key, as (ecosystem, package) pairs; used by benchmarks and `db status`.
    pub fn index_keys(&self) -> Result<Vec<(String, String)>, DbError> {
        let table = StringTable::new(&self.map[self.keys.clone()], 2)
            .ok_or_else(|| self.corrupt("key table"))?;
        Ok((0..table.len)
            .filter_map(|r| table.key(r))
            .map(|k| {
                let s = String::from_utf8_lossy(k);
                let (e, n) = s.split_once('\0').unwrap_or((&s, ""));
                (e.to_string(), n.to_string())
            })
            .collect())
    }
}

fn read_sections(body: &[u8]) -> Option<Vec<([u8; 4], Range<usize>)>> {
    let count = u32_at(body, 0)? as usize;
    if count > 64 {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let at = 4 + i * 20;
        let tag: [u8; 4] = body.get(at..at + 4)?.try_into().ok()?;
        let off = u64_at(body, at + 4)? as usize;
        let len = u64_at(body, at + 12)? as usize;
        let end = off.checked_add(len)?;
        if end > body.len() {
            return None;
        }
        out.push((tag, off..end));
    }
    Some(out)
}

/// A sorted table of strings with u32 values, searched in place.
struct StringTable<'a> {
    bytes: &'a [u8],
    len: usize,
    row_len: usize,
    strings: usize,
}

impl<'a> StringTable<'a> {
    fn new(bytes: &'a [u8], values: usize) -> Option<StringTable<'a>> {
        let len = u32_at(bytes, 0)? as usize;
        let row_len = 8 + 4 * values;
        let strings = len.checked_mul(row_len)?.checked_add(4)?;
        (strings <= bytes.len()).then_some(StringTable {
            bytes,
            len,
            row_len,
            strings,
        })
    }

    fn key(&self, row: usize) -> Option<&'a [u8]> {
        let at = 4 + row * self.row_len;
        let off = u32_at(self.bytes, at)? as usize;
        let len = u32_at(self.bytes, at + 4)? as usize;
        self.bytes.get(self.strings + off..self.strings + off + len)
    }

    fn value(&self, row: usize, i: usize) -> u32 {
        u32_at(self.bytes, 4 + row * self.row_len + 8 + 4 * i).unwrap_or(0)
    }

    /// The first row whose key equals `key`.
    fn find_first(&self, key: &[u8]) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.key(mid)? < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < self.len && self.key(lo)? == key).then_some(lo)
    }
}
