//! Compiling feeds into the database file.

use super::{DbError, FORMAT_VERSION, HEADER_LEN, MAGIC, Metadata, Posting};
use crate::ingest::Feeds;
use crate::ingest::enrichment::cve_key;
use crate::model::{Advisory, index_key};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildSummary {
    pub metadata: Metadata,
    pub bytes: u64,
    pub checksum: String,
}

struct Sections {
    list: Vec<([u8; 4], Vec<u8>)>,
}

impl Sections {
    fn add(&mut self, tag: &[u8; 4], data: Vec<u8>) {
        self.list.push((*tag, data));
    }

    /// Body bytes: section table then section data.
    fn into_body(self) -> Vec<u8> {
        let table_len = 4 + self.list.len() * 20;
        let mut body =
            Vec::with_capacity(table_len + self.list.iter().map(|s| s.1.len()).sum::<usize>());
        body.extend_from_slice(&(self.list.len() as u32).to_le_bytes());
        let mut offset = table_len as u64;
        for (tag, data) in &self.list {
            body.extend_from_slice(tag);
            body.extend_from_slice(&offset.to_le_bytes());
            body.extend_from_slice(&(data.len() as u64).to_le_bytes());
            offset += data.len() as u64;
        }
        for (_, data) in self.list {
            body.extend_from_slice(&data);
        }
        body
    }
}

fn encode<T: serde::Serialize>(v: &T) -> Vec<u8> {
    // Serialising our own plain structs into a Vec cannot fail.
    postcard::to_stdvec(v).unwrap_or_default()
}

/// A sorted string table: 4-byte-aligned rows of (string offset u32, string length u32, values…) followed
/// by the string bytes. `row_values` gives the extra u32s of each row.
fn string_table(entries: &[(String, Vec<u32>)], values_per_row: usize) -> Vec<u8> {
    let row_len = 8 + 4 * values_per_row;
    let mut rows = Vec::with_capacity(4 + entries.len() * row_len);
    rows.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    let mut strings = Vec::new();
    for (s, values) in entries {
        rows.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        rows.extend_from_slice(&(s.len() as u32).to_le_bytes());
        for v in values.iter().take(values_per_row) {
            rows.extend_from_slice(&v.to_le_bytes());
        }
        strings.extend_from_slice(s.as_bytes());
    }
    rows.extend_from_slice(&strings);
    rows
}

/// Compiles `feeds` into a database at `out`, written to a temporary file beside it and renamed into place,
/// so a reader never sees a half-written database.
pub fn build(feeds: &Feeds, out: &Path, built_by: &str) -> Result<BuildSummary, DbError> {
    let mut advs_blob = Vec::new();
    let mut postings: BTreeMap<String, Vec<Posting>> = BTreeMap::new();
    let mut ids: Vec<(String, Vec<u32>)> = Vec::new();
    let mut sources: BTreeMap<String, u64> = BTreeMap::new();
    for adv in &feeds.advisories {
        let offset = advs_blob.len() as u32;
        let stored = Advisory {
            affected: Vec::new(),
            ..adv.clone()
        };
        advs_blob.extend_from_slice(&encode(&stored));
        *sources.entry(adv.source.clone()).or_default() += 1;
        ids.push((adv.id.clone(), vec![offset]));
        ids.extend(adv.aliases.iter().map(|a| (a.clone(), vec![offset])));
        for affected in &adv.affected {
            postings
                .entry(index_key(&affected.ecosystem, &affected.package))
                .or_default()
                .push(Posting {
                    advisory: offset,
                    affected: affected.clone(),
                });
        }
    }
    let mut post_blob = Vec::new();
    let mut keys: Vec<(String, Vec<u32>)> = Vec::with_capacity(postings.len());
    for (key, list) in &postings {
        let start = post_blob.len() as u32;
        post_blob.extend_from_slice(&encode(list));
        keys.push((key.clone(), vec![start, post_blob.len() as u32 - start]));
    }
    ids.sort();
    let mut kev = feeds.kev.clone();
    kev.sort_by_key(|k| cve_key(&k.cve).unwrap_or(0));
    kev.dedup_by(|a, b| a.cve == b.cve);
    let mut epss = feeds.epss.clone();
    epss.sort_by_key(|e| e.key);
    epss.dedup_by_key(|e| e.key);
    let mut epss_blob = Vec::with_capacity(epss.len() * 16);
    for e in &epss {
        epss_blob.extend_from_slice(&e.key.to_le_bytes());
        epss_blob.extend_from_slice(&e.score.to_le_bytes());
        epss_blob.extend_from_slice(&e.percentile.to_le_bytes());
    }
    let metadata = Metadata {
        format_version: FORMAT_VERSION,
        built_at: jiff::Timestamp::now().to_string(),
        built_by: built_by.to_string(),
        sources,
        advisories: feeds.advisories.len() as u64,
        index_keys: keys.len() as u64,
        kev_entries: kev.len() as u64,
        epss_entries: epss.len() as u64,
    };
    let mut sections = Sections { list: Vec::new() };
    sections.add(b"META", serde_json::to_vec(&metadata).unwrap_or_default());
    sections.add(b"ADVS", advs_blob);
    sections.add(b"POST", post_blob);
    sections.add(b"KEYS", string_table(&keys, 2));
    sections.add(b"IDS_", string_table(&ids, 1));
    sections.add(b"KEV_", encode(&kev));
    sections.add(b"EPSS", epss_blob);
    let body = sections.into_body();
    let hash = blake3::hash(&body);
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&(body.len() as u64).to_le_bytes());
    header.extend_from_slice(hash.as_bytes());
    header.resize(HEADER_LEN, 0);
    write_atomically(out, &header, &body)?;
    Ok(BuildSummary {
        metadata,
        bytes: (header.len() + body.len()) as u64,
        checksum: hash.to_hex().to_string(),
    })
}

fn write_atomically(out: &Path, header: &[u8], body: &[u8]) -> Result<(), DbError> {
    let err = |source| DbError::Write {
        path: out.to_path_buf(),
        source,
    };
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(header)?;
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}
