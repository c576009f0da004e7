//! Reading documents: bounded file reads and multi-document YAML/JSON into `serde_json::Value`.

use crate::error::{PolicyError, Result};
use serde_json::Value;
use std::path::Path;

/// Largest policy or document file read (16 MiB).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
const MAX_DEPTH: usize = 200;

/// Reads a UTF-8 text file of at most [`MAX_FILE_BYTES`].
pub fn read_text(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| PolicyError::io(path, e))?;
    let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    if size > MAX_FILE_BYTES {
        return Err(PolicyError::TooLarge {
            path: path.display().to_string(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    std::fs::read_to_string(path).map_err(|e| PolicyError::io(path, e))
}

/// Parses every document of a YAML (or JSON) stream; empty documents are dropped.
pub fn parse_documents(origin: &str, text: &str) -> Result<Vec<Value>> {
    if text.len() > MAX_FILE_BYTES {
        return Err(PolicyError::TooLarge {
            path: origin.to_string(),
            size: text.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        return Ok(vec![v]);
    }
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, yaml_options()).map_err(|e| {
            PolicyError::Parse {
                path: origin.to_string(),
                line: e
                    .location()
                    .map(|l| u32::try_from(l.line()).unwrap_or(u32::MAX)),
                message: e.to_string().lines().next().unwrap_or("").to_string(),
            }
        })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Reads and parses a document file.
pub fn load_documents(path: &Path) -> Result<Vec<Value>> {
    let text = read_text(path)?;
    parse_documents(&path.display().to_string(), &text)
}

/// Reads a file that must hold exactly one document.
pub fn load_one(path: &Path) -> Result<Value> {
    let mut docs = load_documents(path)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        n => Err(PolicyError::invalid(
            path.display().to_string(),
            format!("expected one document, found {n}"),
        )),
    }
}

fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = 10_000;
    budget.max_nodes = 2_000_000;
    budget.max_events = 4_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// `value` at a dotted path of object keys.
pub(crate) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, k| v.get(*k))
}

/// String at a dotted path, or "".
pub(crate) fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    at(value, path).and_then(Value::as_str).unwrap_or("")
}

/// Most files a policy directory walk visits.
pub const MAX_WALK_FILES: usize = 100_000;
const MAX_WALK_DEPTH: usize = 32;

/// Files under `dir` (sorted, recursive, symlinks not followed) whose name ends with one of `exts`.
pub fn files_under(dir: &Path, exts: &[&str]) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    walk(dir, exts, 0, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, exts: &[&str], depth: usize, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    if depth > MAX_WALK_DEPTH || out.len() >= MAX_WALK_FILES {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| PolicyError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| PolicyError::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| PolicyError::io(&path, e))?;
        if ft.is_dir() {
            walk(&path, exts, depth + 1, out)?;
        } else if ft.is_file() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if exts.iter().any(|e| name.ends_with(e)) && out.len() < MAX_WALK_FILES {
                out.push(path);
            }
        }
    }
    Ok(())
}
