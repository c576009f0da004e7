//! Output flags shared by every command that writes a report, and writing it.

use anyhow::{Context, Result};
use clap::Args;
use rampart_core::{Report, Severity};
use rampart_report::{Format, RenderOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// How a report is written and when the command fails.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format: table, json, sarif, cyclonedx, spdx, junit.
    #[arg(long, short = 'f', default_value = "table")]
    pub format: String,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only report these severities (comma-separated, e.g. CRITICAL,HIGH).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub severity: Vec<String>,
    /// Exit with this code when findings at or above --fail-on remain.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub exit_code: u8,
    /// Lowest severity that triggers --exit-code.
    #[arg(long, default_value = "unknown", value_name = "SEVERITY")]
    pub fail_on: String,
    /// Print nothing but the report (no progress, no notes).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl OutputArgs {
    /// The parsed `--format`.
    pub fn format(&self) -> Result<Format> {
        self.format.parse().map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Keeps only findings of the `--severity` list (all when empty).
pub fn apply_severity_filter(report: &mut Report, list: &[String]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let wanted: Vec<Severity> = list
        .iter()
        .map(|s| s.parse::<Severity>())
        .collect::<Result<_, _>>()?;
    report.findings.retain(|f| wanted.contains(&f.severity));
    Ok(())
}

/// Renders the report to --output or standard output.
pub fn write_report(report: &Report, format: Format, args: &OutputArgs) -> Result<()> {
    write_report_with(report, format, args, &Extras::default())
}

/// What a command shows beside its report: text after the table (escalation paths, undecided checks)
/// and keys added next to the report's own in JSON (`inventory`, `unknowns`). Other formats get neither.
#[derive(Debug, Default)]
pub struct Extras {
    pub table_trailer: String,
    pub json: Vec<(&'static str, serde_json::Value)>,
}

/// Renders the report with its [`Extras`] to --output or standard output.
pub fn write_report_with(
    report: &Report,
    format: Format,
    args: &OutputArgs,
    extras: &Extras,
) -> Result<()> {
    let color = args.output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let opts = RenderOptions {
        min_severity: Severity::Unknown,
        width: terminal_width(),
        color,
    };
    let render = |out: &mut dyn Write| -> Result<()> {
        if format == Format::Json && !extras.json.is_empty() {
            let mut doc = serde_json::to_value(report)?;
            if let Some(map) = doc.as_object_mut() {
                for (k, v) in &extras.json {
                    map.insert((*k).to_string(), v.clone());
                }
            }
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
            return Ok(());
        }
        rampart_report::render(report, format, &opts, out)?;
        if format == Format::Table && !extras.table_trailer.is_empty() {
            write!(out, "\n{}", extras.table_trailer)?;
        }
        Ok(())
    };
    match &args.output {
        Some(path) => {
            // large reports (a 10,000-object snapshot writes 80 MB): few, large writes
            let mut f = std::io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            render(&mut f)?;
            f.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            render(&mut lock)?;
            lock.flush()?;
        }
    }
    Ok(())
}

/// Leaves a large value for the process exit to reclaim instead of freeing it now. Called on what a
/// command holds when it has written its report and is about to exit: freeing a big report or
/// snapshot allocation by allocation (76,000 findings, 10,000 parsed objects) takes a tenth of a
/// second or more, and the exit returns the memory at once anyway.
pub fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80)
}

/// `--exit-code` when unsuppressed findings at or above `--fail-on` remain, else success.
pub fn exit_code(report: &Report, args: &OutputArgs) -> Result<ExitCode> {
    if args.exit_code == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    let threshold: Severity = args.fail_on.parse()?;
    Ok(if report.active_findings(threshold).next().is_some() {
        ExitCode::from(args.exit_code)
    } else {
        ExitCode::SUCCESS
    })
}
