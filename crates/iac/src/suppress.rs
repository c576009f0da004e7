//! Inline suppressions: a comment inside a resource block, `# rampart:ignore=AWS-S3-001 reason`, or Checkov's
//! `# checkov:skip=CKV_AWS_20:reason` (mapped to the covering Rampart checks), marks that check's finding on
//! that resource as suppressed. Suppressed findings stay in the report with the reason.

use rampart_core::{Finding, Suppression, SuppressionSource};
use std::collections::HashMap;
use std::path::Path;

/// A suppression marker: the Rampart check ids it silences and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub checks: Vec<String>,
    pub reason: String,
    pub line: u32,
}

/// Markers in `lines` (1-based `start..=end` of `text`).
pub fn markers(text: &str, start: u32, end: u32) -> Vec<Marker> {
    let mut out = Vec::new();
    for (i, l) in text
        .lines()
        .enumerate()
        .skip(start.saturating_sub(1) as usize)
    {
        let line = i as u32 + 1;
        if line > end {
            break;
        }
        for (tag, checkov) in [
            ("rampart:ignore=", false),
            ("rampart:ignore:", false),
            ("checkov:skip=", true),
        ] {
            let Some(pos) = l.find(tag) else { continue };
            let rest = &l[pos + tag.len()..];
            let (id, reason) = match rest.split_once([':', ' ']) {
                Some((id, r)) => (id.trim(), r.trim()),
                None => (rest.trim(), ""),
            };
            let checks = if checkov {
                crate::checkov::rampart_for(id)
                    .map(|ids| ids.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default()
            } else {
                vec![id.to_string()]
            };
            if !checks.is_empty() {
                out.push(Marker {
                    checks,
                    reason: reason.to_string(),
                    line,
                });
            }
        }
    }
    out
}

/// Marks findings suppressed by markers inside their evidence's line range. `root` is the scanned root.
pub fn apply(root: &Path, findings: &mut [Finding]) {
    // Every marker of a file, found once per file (not per finding).
    let mut by_file: HashMap<String, Vec<Marker>> = HashMap::new();
    for f in findings.iter_mut() {
        let Some(loc) = f.evidence.first().and_then(|e| e.location.clone()) else {
            continue;
        };
        let (Some(start), end) = (loc.line, loc.end_line) else {
            continue;
        };
        let end = end.unwrap_or(start);
        let marks = by_file.entry(loc.path.clone()).or_insert_with(|| {
            let p = root.join(&loc.path);
            match std::fs::metadata(&p) {
                Ok(m) if m.len() <= crate::scan::MAX_FILE_BYTES => std::fs::read_to_string(p)
                    .ok()
                    .filter(|t| t.contains("rampart:ignore") || t.contains("checkov:skip"))
                    .map(|t| markers(&t, 1, u32::MAX))
                    .unwrap_or_default(),
                _ => Vec::new(),
            }
        });
        let hit = marks
            .iter()
            .find(|m| m.line >= start && m.line <= end && m.checks.contains(&f.rule_id));
        if let Some(m) = hit {
            f.suppressed = Some(Suppression {
                source: SuppressionSource::IgnoreFile,
                status: "ignored".into(),
                justification: m.reason.clone(),
                origin: format!("{}:{}", loc.path, m.line),
            });
        }
    }
}
