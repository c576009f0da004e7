//! Rampart's JSON report: the [`Report`] itself, pretty-printed. Its layout is the documented report
//! schema (`docs/report-schema.md`), so this module adds nothing and recomputes nothing.

use crate::{RenderError, RenderOptions};
use rampart_core::Report;
use std::io::Write;

/// Writes the report as pretty JSON. Findings below `opts.min_severity` are dropped; suppressed
/// findings are kept with their reason, and the summary is left as the scan computed it.
pub fn render(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    if opts.min_severity == rampart_core::Severity::Unknown {
        serde_json::to_writer_pretty(&mut *out, report)?;
    } else {
        let mut filtered = report.clone();
        filtered
            .findings
            .retain(|f| f.severity >= opts.min_severity);
        serde_json::to_writer_pretty(&mut *out, &filtered)?;
    }
    writeln!(out)?;
    Ok(())
}
