//! The normalised advisory model every source is converted into, and that the compiled database stores.

use rampart_core::Severity;
use serde::{Deserialize, Serialize};

/// One advisory (a CVE, GHSA, PYSEC, RUSTSEC, DSA …) after normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Advisory {
    pub id: String,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    pub summary: String,
    /// The source's own rating (distro urgency, GHSA severity) when it gives one.
    pub severity: Option<Severity>,
    pub cvss: Vec<CvssVector>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub references: Vec<String>,
    /// Which feed it came from (`osv:PyPI`, `debian`, `alpine-secdb`, `nodejs-security-wg`, `rubysec`).
    pub source: String,
    pub affected: Vec<Affected>,
}

/// A CVSS vector with its base score computed at build time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssVector {
    pub vector: String,
    pub score: f32,
}

/// How an affected entry applies to its package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AffectedStatus {
    /// Affected within the ranges; fixed versions (if any) are in the ranges.
    #[default]
    Affected,
    /// Affected in every version, no fix yet (Debian "open").
    Unfixed,
    /// Affected, and the distribution will not fix it (no-dsa, ignored, end-of-life).
    WontFix,
    /// Not affected in this release (Debian "not-affected", fixed version "0").
    NotAffected,
}

/// One bound of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

/// A set of affected versions, in the form the source gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Range {
    /// OSV events; `semver` is true for `SEMVER` ranges, false for `ECOSYSTEM` ones.
    Events { semver: bool, events: Vec<Event> },
    /// An npm range expression of vulnerable versions (Node.js security-wg), and its patched expression.
    Npm { vulnerable: String, patched: String },
    /// RubySec: versions matching any `patched` or `unaffected` requirement are safe; all others affected.
    Gem {
        patched: Vec<String>,
        unaffected: Vec<String>,
    },
}

/// The packages an advisory affects, in one ecosystem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Affected {
    /// OSV ecosystem with release: `PyPI`, `Debian:11`, `Alpine:v3.10`, `crates.io`, …
    pub ecosystem: String,
    /// Normalised package name (see [`normalize_name`]).
    pub package: String,
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
    pub status: AffectedStatus,
    /// A per-package rating (Debian urgency) overriding the advisory's.
    pub severity: Option<Severity>,
}

impl Affected {
    /// Fixed versions named by this entry, for display.
    pub fn fixed_versions(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.ranges {
            match r {
                Range::Events { events, .. } => out.extend(events.iter().filter_map(|e| match e {
                    Event::Fixed(v) => Some(v.clone()),
                    _ => None,
                })),
                Range::Npm { patched, .. } if !patched.is_empty() && patched != "<0.0.0" => {
                    out.push(patched.clone())
                }
                Range::Gem { patched, .. } => out.extend(patched.iter().cloned()),
                Range::Npm { .. } => {}
            }
        }
        out
    }
}

/// Normalises a package name for index keys: PEP 503 for PyPI (lower case, runs of `-_.` → `-`), lower case
/// for npm, unchanged elsewhere.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    match base {
        "PyPI" => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        "npm" => name.trim().to_ascii_lowercase(),
        _ => name.trim().to_string(),
    }
}

/// The index key for an ecosystem and package: `ecosystem \0 name`.
pub fn index_key(ecosystem: &str, name: &str) -> String {
    format!("{ecosystem}\0{}", normalize_name(ecosystem, name))
}

/// Debian release codenames and their version numbers.
pub const DEBIAN_RELEASES: &[(&str, &str)] = &[
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
];

/// The OSV ecosystem (`Debian:12`) of a Debian codename.
pub fn debian_ecosystem(codename: &str) -> Option<String> {
    DEBIAN_RELEASES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(codename))
        .map(|(_, n)| format!("Debian:{n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_names() {
        assert_eq!(
            normalize_name("PyPI", "Django_Rest.Framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name("PyPI", "PyYAML"), "pyyaml");
        assert_eq!(normalize_name("PyPI", "a--b"), "a-b");
        assert_eq!(
            normalize_name("Go", "github.com/Foo/bar"),
            "github.com/Foo/bar"
        );
    }

    #[test]
    fn debian_codenames() {
        assert_eq!(debian_ecosystem("bullseye").as_deref(), Some("Debian:11"));
        assert_eq!(debian_ecosystem("sid"), None);
    }
}
