//! `rampart iam analyze`: AWS IAM entitlements from authorization details.

use crate::args::IamAnalyzeArgs;
use crate::output;
use anyhow::{Context, Result};
use rampart_core::{Asset, AssetKind, Report};
use rampart_report::Format;
use std::process::ExitCode;
use std::time::Instant;

pub fn analyze(args: &IamAnalyzeArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    let started = Instant::now();
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let account = rampart_iam::Account::from_json(&text)
        .with_context(|| format!("parsing {}", args.file.display()))?;
    let options = rampart_iam::Options {
        unused_days: args.unused_days,
        known_accounts: args.known_account.clone(),
        ..Default::default()
    };
    let analysis = rampart_iam::analyze(&account, &options);
    let mut report = Report::new(
        Asset::new(AssetKind::Cloud, args.file.display().to_string()),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("analyze", started.elapsed());
    report.findings = rampart_iam::findings(&analysis);
    report.warnings = analysis
        .warnings
        .iter()
        .map(|w| rampart_core::ScanWarning {
            path: w.policy.clone(),
            line: None,
            message: w.message.clone(),
        })
        .collect();
    output::apply_severity_filter(&mut report, &args.out.severity)?;
    report.finish();
    output::write_report(&report, format, &args.out)?;
    if format == Format::Table && args.out.output.is_none() {
        let paths = analysis.render_paths();
        if !paths.trim().is_empty() {
            println!("\nPrivilege-escalation paths:\n{paths}");
        }
    }
    output::exit_code(&report, &args.out)
}
