//! CloudTrail log files read from their S3 bucket: list the objects under a prefix
//! (`AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/`), get each, gunzip it, and hand back the JSON
//! document (`{"Records": [...]}`) per file. Digest files are skipped. Sizes are bounded (a gzip bomb
//! is a warning, not an out-of-memory); an object that cannot be read is a warning and the others are kept.

use crate::aws::{AwsOptions, describe, sdk_config};
use crate::{CloudError, Warning};
use serde_json::Value as Json;
use std::collections::HashSet;
use std::io::Read;

/// Bounds on what is read.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Files read at most (newest keys are not preferred: keys are read in lexical, i.e. time, order).
    pub max_files: usize,
    /// Decompressed bytes of one file at most.
    pub max_file_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_files: 10_000,
            max_file_bytes: 256 << 20,
        }
    }
}

/// One log file: its key and its decompressed JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailLogFile {
    pub key: String,
    pub json: Vec<u8>,
}

impl TrailLogFile {
    /// The file's `Records`, each one CloudTrail event.
    pub fn records(&self) -> Result<Vec<Json>, serde_json::Error> {
        #[derive(serde::Deserialize)]
        struct Doc {
            #[serde(rename = "Records", default)]
            records: Vec<Json>,
        }
        serde_json::from_slice::<Doc>(&self.json).map(|d| d.records)
    }
}

/// What was read, plus what could not be.
#[derive(Debug, Default)]
pub struct TrailLogs {
    pub files: Vec<TrailLogFile>,
    pub warnings: Vec<Warning>,
}

impl TrailLogs {
    /// Every record of every file that parses; files that do not parse are skipped (their names are in
    /// the second value).
    pub fn records(&self) -> (Vec<Json>, Vec<String>) {
        let mut all = Vec::new();
        let mut bad = Vec::new();
        for f in &self.files {
            match f.records() {
                Ok(r) => all.extend(r),
                Err(_) => bad.push(f.key.clone()),
            }
        }
        (all, bad)
    }
}

/// Whether `key` names a CloudTrail log file (not a digest, not a folder marker).
fn is_log_key(key: &str) -> bool {
    !key.contains("CloudTrail-Digest") && (key.ends_with(".json.gz") || key.ends_with(".json"))
}

/// Decompresses `bytes` when gzip (by magic), bounded by `limit`; `Err` names what went wrong.
pub fn gunzip_bounded(bytes: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        if bytes.len() as u64 > limit {
            return Err(format!("larger than {limit} bytes"));
        }
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("gunzip: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("decompresses to more than {limit} bytes"));
    }
    Ok(out)
}

/// Reads the CloudTrail log files under `prefix` of `bucket`.
pub async fn read_trail_logs(
    o: &AwsOptions,
    bucket: &str,
    prefix: &str,
    limits: ReadLimits,
) -> Result<TrailLogs, CloudError> {
    read_new_trail_logs(o, bucket, prefix, limits, &mut HashSet::new()).await
}

/// Reads the log files under `prefix` of `bucket` whose keys are not in `seen`, adding the keys it
/// read (or that failed for good: too large, not gzip) to `seen` — one poll of a bucket that
/// CloudTrail keeps writing to. Objects that could not be fetched stay unseen for the next poll.
pub async fn read_new_trail_logs(
    o: &AwsOptions,
    bucket: &str,
    prefix: &str,
    limits: ReadLimits,
    seen: &mut HashSet<String>,
) -> Result<TrailLogs, CloudError> {
    let conf = sdk_config(o, None).await;
    let c = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(o.endpoint_url.is_some())
            .build(),
    );
    let mut out = TrailLogs::default();
    let warn = |out: &mut TrailLogs, what: String, error: String| {
        out.warnings.push(Warning {
            service: "s3".into(),
            what,
            error,
        })
    };
    let mut keys = Vec::new();
    let mut pages = c
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => keys.extend(
                p.contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .filter(|k| is_log_key(k) && !seen.contains(*k))
                    .map(str::to_string),
            ),
            Err(e) => {
                warn(
                    &mut out,
                    format!("ListObjectsV2 s3://{bucket}/{prefix}"),
                    describe(&e),
                );
                break;
            }
        }
    }
    keys.sort();
    if keys.len() > limits.max_files {
        warn(
            &mut out,
            format!("s3://{bucket}/{prefix}"),
            format!(
                "{} log files, reading the first {}",
                keys.len(),
                limits.max_files
            ),
        );
        keys.truncate(limits.max_files);
    }
    for key in keys {
        let body = match c.get_object().bucket(bucket).key(&key).send().await {
            Ok(r) => r.body.collect().await.map(|b| b.into_bytes()),
            Err(e) => {
                warn(&mut out, format!("GetObject {key}"), describe(&e));
                continue;
            }
        };
        let bytes = match body {
            Ok(b) => b,
            Err(e) => {
                warn(&mut out, format!("GetObject {key}"), e.to_string());
                continue;
            }
        };
        seen.insert(key.clone());
        match gunzip_bounded(&bytes, limits.max_file_bytes) {
            Ok(json) => out.files.push(TrailLogFile { key, json }),
            Err(e) => warn(&mut out, format!("read {key}"), e),
        }
    }
    Ok(out)
}

/// [`read_new_trail_logs`] on a runtime of its own.
pub fn read_new_trail_logs_blocking(
    o: &AwsOptions,
    bucket: &str,
    prefix: &str,
    limits: ReadLimits,
    seen: &mut HashSet<String>,
) -> Result<TrailLogs, CloudError> {
    crate::aws::runtime()?.block_on(read_new_trail_logs(o, bucket, prefix, limits, seen))
}

/// [`read_trail_logs`] on a runtime of its own.
pub fn read_trail_logs_blocking(
    o: &AwsOptions,
    bucket: &str,
    prefix: &str,
    limits: ReadLimits,
) -> Result<TrailLogs, CloudError> {
    crate::aws::runtime()?.block_on(read_trail_logs(o, bucket, prefix, limits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).expect("write");
        e.finish().expect("finish")
    }

    #[test]
    fn gunzips_within_bounds() {
        let doc = br#"{"Records":[{"eventName":"ListBuckets"}]}"#;
        let plain = gunzip_bounded(&gz(doc), 1 << 20).expect("gunzip");
        assert_eq!(plain, doc);
        let f = TrailLogFile {
            key: "k".into(),
            json: plain,
        };
        assert_eq!(f.records().expect("records").len(), 1);
        assert_eq!(gunzip_bounded(doc, 1 << 20).expect("plain"), doc);
    }

    #[test]
    fn a_gzip_bomb_is_refused() {
        let bomb = gz(&vec![b' '; 4 << 20]);
        let e = gunzip_bounded(&bomb, 1 << 20).expect_err("bounded");
        assert!(e.contains("more than"), "{e}");
        assert!(gunzip_bounded(&[0x1f, 0x8b, 0, 1, 2], 100).is_err());
    }

    #[test]
    fn digests_are_not_logs() {
        assert!(is_log_key(
            "AWSLogs/1/CloudTrail/us-east-1/2026/11/27/1_CloudTrail_us-east-1_x.json.gz"
        ));
        assert!(!is_log_key(
            "AWSLogs/1/CloudTrail-Digest/us-east-1/2026/11/27/1_CloudTrail-Digest_x.json.gz"
        ));
        assert!(!is_log_key("AWSLogs/1/CloudTrail/"));
    }
}
