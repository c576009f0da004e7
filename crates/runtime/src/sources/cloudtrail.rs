//! CloudTrail decoder: log files (plain or gzip JSON with `Records`), one file or a directory tree.

use super::{DecodeStats, MAX_INPUT, SourceError, read_all};
use crate::fields::cloudtrail::CloudTrailEvent;
use flate2::read::GzDecoder;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Most files read from one directory tree.
const MAX_FILES: usize = 1_000_000;

/// Decodes the records of one log file's bytes (gzip detected by its magic number).
pub fn decode_bytes(bytes: &[u8], what: &str, mut f: impl FnMut(CloudTrailEvent)) -> DecodeStats {
    let mut stats = DecodeStats::default();
    let plain;
    let data: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        match GzDecoder::new(bytes)
            .take(MAX_INPUT + 1)
            .read_to_end(&mut out)
        {
            Ok(_) if out.len() as u64 <= MAX_INPUT => {
                plain = out;
                &plain
            }
            Ok(_) => {
                stats.problem(format!("{what}: decompressed size over {MAX_INPUT} bytes"));
                return stats;
            }
            Err(e) => {
                stats.problem(format!("{what}: bad gzip data: {e}"));
                return stats;
            }
        }
    } else {
        bytes
    };
    let v: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) => {
            stats.problem(format!("{what}: not JSON: {e}"));
            return stats;
        }
    };
    let Some(records) = v.get("Records").and_then(Value::as_array) else {
        stats.problem(format!("{what}: no 'Records' array"));
        return stats;
    };
    for (i, r) in records.iter().enumerate() {
        if r.is_object() {
            stats.events += 1;
            f(CloudTrailEvent::new(r.clone()));
        } else {
            stats.problem(format!("{what}: record {i} is not an object"));
        }
    }
    stats
}

/// Decodes a reader holding one log file.
pub fn decode(
    input: impl Read,
    f: impl FnMut(CloudTrailEvent),
) -> Result<DecodeStats, SourceError> {
    let bytes = read_all(input, "CloudTrail input")?;
    Ok(decode_bytes(&bytes, "input", f))
}

/// Decodes a file, or every file under a directory (sorted by path).
pub fn decode_path(
    path: &Path,
    mut f: impl FnMut(CloudTrailEvent),
) -> Result<DecodeStats, SourceError> {
    let mut files = Vec::new();
    collect_files(path, &mut files, 0)?;
    files.sort();
    let mut stats = DecodeStats::default();
    for file in files {
        let what = file.display().to_string();
        let bytes = match std::fs::File::open(&file) {
            Ok(fh) => read_all(fh, &what)?,
            Err(e) => {
                stats.problem(format!("{what}: {e}"));
                continue;
            }
        };
        stats.merge(decode_bytes(&bytes, &what, &mut f));
    }
    Ok(stats)
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), SourceError> {
    let io = |source| SourceError::Io {
        what: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth > 32 || out.len() >= MAX_FILES {
        return Ok(());
    }
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        collect_files(&entry.path(), out, depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn plain_and_gzip() {
        let doc =
            br#"{"Records":[{"eventName":"PutObject","eventTime":"2024-01-01T00:00:00Z"},3]}"#;
        let s = decode_bytes(doc, "x", |_| {});
        assert_eq!((s.events, s.malformed), (1, 1));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(doc).unwrap();
        let s = decode_bytes(&gz.finish().unwrap(), "x.gz", |_| {});
        assert_eq!(s.events, 1);
        let s = decode_bytes(b"garbage", "bad", |_| {});
        assert_eq!(s.malformed, 1);
    }
}
