//! Output formats: rendering a [`rampart_core::Report`] as a terminal table, Rampart's JSON report,
//! SARIF 2.1.0, CycloneDX 1.6 JSON or SPDX 2.3 JSON.
//!
//! Each format is one module with a `render` function of the same shape, registered once in
//! [`render`]. Renderers only read the report: they never recompute severities or re-sort findings
//! (the report's order comes from `Report::finish`), so every format shows the same facts.
//!
//! Architecture invariant: this crate does no I/O beyond writing to the `Write` it is handed.

use rampart_core::{Finding, Report, Severity};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

pub mod cyclonedx;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod spdx;
pub mod table;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A human-readable table, like Trivy's.
    Table,
    /// The report itself as pretty JSON (the documented report schema).
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// CycloneDX 1.6 JSON: the inventory plus vulnerabilities.
    CycloneDx,
    /// SPDX 2.3 JSON: the inventory.
    Spdx,
    /// JUnit XML: one test case per check and subject, for CI systems.
    Junit,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 6] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::CycloneDx,
        Format::Spdx,
        Format::Junit,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::CycloneDx => "cyclonedx",
            Format::Spdx => "spdx",
            Format::Junit => "junit",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown output format {0:?} (expected one of table, json, sarif, cyclonedx, spdx, junit)")]
pub struct ParseFormatError(pub String);

impl FromStr for Format {
    type Err = ParseFormatError;

    /// Parses a format name case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| ParseFormatError(s.to_string()))
    }
}

/// How to render: which findings to show and how wide the terminal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Findings below this severity are left out of every format.
    pub min_severity: Severity,
    /// Terminal columns available to the table format.
    pub width: usize,
    /// Whether the table format may use ANSI colours.
    pub color: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            min_severity: Severity::Unknown,
            width: 80,
            color: false,
        }
    }
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Writing to the output failed.
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
    /// Serialising a JSON-based format failed.
    #[error("serialising the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// Writes `report` to `out` in `format`.
///
/// Suppressed findings and findings below `opts.min_severity` are left out of the table and SARIF.
/// JSON keeps suppressed findings (they carry their reason) but drops those below the minimum;
/// CycloneDX does the same and marks suppressed ones with an analysis. SPDX carries no findings.
pub fn render(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    match format {
        Format::Table => table::render(report, opts, out),
        Format::Json => json::render(report, opts, out),
        Format::Sarif => sarif::render(report, opts, out),
        Format::CycloneDx => cyclonedx::render(report, opts, out),
        Format::Spdx => spdx::render(report, opts, out),
        Format::Junit => junit::render(report, opts, out),
    }
}

/// Findings shown by formats that hide suppressed ones: unsuppressed and at or above the minimum.
fn shown<'a>(
    report: &'a Report,
    opts: &RenderOptions,
) -> impl Iterator<Item = &'a Finding> + use<'a> {
    report.active_findings(opts.min_severity)
}

/// The name a model enum has in JSON (`misconfiguration`, `image`, …), so every format spells kinds
/// the way the JSON report does.
fn wire_name(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A UUID of version-4 shape derived from a SHA-256 of `parts`, so documents made from the same
/// report get the same serial number (stable tests, reproducible SBOMs).
fn stable_uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The report's creation time as `YYYY-MM-DDThh:mm:ssZ` (the form SPDX requires and CycloneDX
/// accepts). A time that does not parse falls back to the Unix epoch rather than failing the render.
fn utc_seconds(created_at: &str) -> String {
    let ts = created_at
        .parse::<jiff::Timestamp>()
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string().to_uppercase().parse::<Format>(), Ok(f));
        }
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn stable_uuid_is_v4_shaped_and_deterministic() {
        let a = stable_uuid(&["debian:12", "2026-01-01T00:00:00Z"]);
        assert_eq!(a, stable_uuid(&["debian:12", "2026-01-01T00:00:00Z"]));
        assert_ne!(a, stable_uuid(&["debian:11", "2026-01-01T00:00:00Z"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn times_are_normalised_to_seconds() {
        assert_eq!(
            utc_seconds("2026-11-26T19:37:45.123456+01:00"),
            "2026-11-26T18:37:45Z"
        );
        assert_eq!(utc_seconds("garbage"), "1970-01-01T00:00:00Z");
    }
}
