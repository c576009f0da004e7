//! Directory walking: which files a directory load reads.

use crate::load::LoadOptions;
use rampart_core::ScanWarning;
use std::path::{Path, PathBuf};

/// Collects manifest files under `root` in sorted order. Hidden entries and symbolic links are skipped,
/// and so are the `templates/` of Helm charts (they are not YAML until rendered).
pub(crate) fn collect(
    root: &Path,
    opts: &LoadOptions,
    files: &mut Vec<PathBuf>,
    notes: &mut Vec<ScanWarning>,
) {
    walk(root, 0, opts, files, notes);
}

fn walk(
    dir: &Path,
    depth: usize,
    opts: &LoadOptions,
    files: &mut Vec<PathBuf>,
    notes: &mut Vec<ScanWarning>,
) {
    let note = |notes: &mut Vec<ScanWarning>, p: &Path, m: &str| {
        notes.push(ScanWarning {
            path: p.display().to_string(),
            line: None,
            message: m.to_string(),
        })
    };
    if depth > opts.max_dir_depth {
        note(notes, dir, "directory nesting limit reached; not descended");
        return;
    }
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            note(notes, dir, &format!("cannot read directory: {e}"));
            return;
        }
    };
    entries.sort();
    let is_chart = dir.join("Chart.yaml").is_file();
    for path in entries {
        if files.len() >= opts.max_files {
            note(notes, dir, "file limit reached; remaining files skipped");
            return;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            note(notes, &path, "symbolic link not followed");
        } else if meta.is_dir() {
            if is_chart && name == "templates" {
                note(
                    notes,
                    &path,
                    "Helm chart templates skipped: scan `helm template` output instead",
                );
                continue;
            }
            walk(&path, depth + 1, opts, files, notes);
        } else if is_manifest_name(name) && !(is_chart && name.starts_with("values")) {
            files.push(path);
        }
    }
}

fn is_manifest_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|e| lower.ends_with(e))
        && lower != "chart.yaml"
}
