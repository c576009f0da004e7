//! Bounded YAML/JSON reading into `serde_json::Value`, the one loose document shape the loader and the
//! `path` test items work on.

use crate::error::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// Largest definitions or config file read (the biggest upstream file is ~60 KiB).
pub const MAX_DEFINITION_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a file of at most `limit` bytes as UTF-8 (lossy).
pub fn read_bounded(path: &Path, limit: u64) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Parses YAML (or JSON, a subset) into a value; an empty document is `Null`. serde-saphyr's default
/// budgets bound alias expansion and nesting.
pub fn parse(text: &str) -> std::result::Result<Value, String> {
    if text.trim().is_empty() || only_comments(text) {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| e.to_string())
}

fn only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
    })
}

/// Reads and parses a definitions file, naming it in any error.
pub fn load(path: &Path) -> Result<Value> {
    let text = read_bounded(path, MAX_DEFINITION_BYTES)?;
    parse(&text).map_err(|message| Error::Invalid {
        path: path.to_path_buf(),
        message,
    })
}

/// A scalar as kube-bench's Go YAML decoding would give it to a string field.
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A string or a list of strings (viper's `GetStringSlice`).
pub fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_string).collect(),
        Some(other) => scalar_string(other)
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    }
}
