//! `rampart iac DIR`: Terraform (HCL, JSON, plan JSON), CloudFormation and Dockerfiles against the AWS
//! checks, with every check outcome (pass, fail, unknown) and a CIS AWS Foundations summary.

use crate::output::{self, Extras, OutputArgs};
use anyhow::{Result, bail};
use clap::Args;
use rampart_core::{
    Asset, AssetKind, CheckOutcome, CheckStatus, ComplianceSummary, ControlResult, ControlStatus,
    Finding, Report,
};
use rampart_iac::checks::{CIS_AWS, Check};
use rampart_iac::{Resource, UnknownOutcome};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Flags of `rampart iac`.
#[derive(Debug, Args)]
pub struct IacArgs {
    /// Folder (or single file) of Terraform (HCL, JSON, plan JSON), CloudFormation and Dockerfiles.
    pub path: PathBuf,
    /// Terraform variable file, applied after terraform.tfvars and *.auto.tfvars (repeatable).
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// Terraform variable, applied last (repeatable).
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_var)]
    pub var: Vec<(String, String)>,
    /// Check id not to run (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub skip_check: Vec<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

pub fn run(args: &IacArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    if !args.path.exists() {
        bail!("{}: no such file or folder", args.path.display());
    }
    for f in &args.var_file {
        if !f.is_file() {
            bail!("--var-file {}: no such file", f.display());
        }
    }
    let options = rampart_iac::Options {
        vars: rampart_iac::VarInputs {
            var_files: args.var_file.clone(),
            vars: args.var.clone(),
        },
        skip_checks: args.skip_check.clone(),
    };
    let name = args.path.display().to_string();
    let started = Instant::now();
    let scanned = rampart_iac::scan_dir(&args.path, &options);
    let mut report = Report::new(Asset::new(AssetKind::Iac, name), env!("CARGO_PKG_VERSION"));
    report.time("scan", started.elapsed());
    if !args.out.quiet {
        for note in &scanned.notes {
            eprintln!("note: {note}");
        }
        if !scanned.kubernetes_files.is_empty() {
            eprintln!(
                "note: {} Kubernetes manifest(s) found ({}…), checked with the KSPM checks (`rampart k8s` adds frameworks and policies)",
                scanned.kubernetes_files.len(),
                scanned.kubernetes_files[0]
            );
        }
    }
    let checks = rampart_iac::checks::all();
    let (outcomes, cis) = posture(
        &checks,
        &scanned.resources,
        &scanned.findings,
        &scanned.unknowns,
        &args.skip_check,
    );
    report.checks = outcomes;
    report.compliance.push(cis);
    report.findings = scanned.findings;
    report.warnings = scanned.warnings;
    if !args.out.quiet && !scanned.unknowns.is_empty() && format != rampart_report::Format::Table {
        eprintln!(
            "note: {} check(s) undecided because a value is unknown statically (status `unknown`)",
            scanned.unknowns.len()
        );
    }
    let extras = Extras {
        table_trailer: unknowns_text(&scanned.unknowns),
        json: vec![
            ("unknowns", serde_json::to_value(&scanned.unknowns)?),
            (
                "resources",
                serde_json::to_value(resource_index(&scanned.resources))?,
            ),
        ],
    };
    output::apply_severity_filter(&mut report, &args.out.severity)?;
    report.finish();
    output::write_report_with(&report, format, &args.out, &extras)?;
    output::exit_code(&report, &args.out)
}

/// The resources scanned, as address, type, file and line (the full documents are in the library's JSON).
fn resource_index(resources: &[Resource]) -> Vec<serde_json::Value> {
    resources
        .iter()
        .map(|r| {
            serde_json::json!({
                "address": r.address,
                "type": r.resource_type,
                "file": r.source.file,
                "start_line": r.source.start_line,
                "end_line": r.source.end_line,
            })
        })
        .collect()
}

/// The table's section for checks that could be neither passed nor failed.
fn unknowns_text(unknowns: &[UnknownOutcome]) -> String {
    if unknowns.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "Undecided checks ({}): a value they need is unknown statically\n",
        unknowns.len()
    );
    for u in unknowns {
        s.push_str(&format!(
            "  {} {} ({}:{}): {}\n",
            u.check_id, u.address, u.file, u.line, u.reason
        ));
    }
    s
}

/// Every (check, resource) outcome and the CIS AWS Foundations summary, from the findings and unknowns
/// the checks produced: a check that ran on a resource without either passed there. Findings of checks
/// outside `checks` (Dockerfile checks) count as failures of their own rule.
pub(crate) fn posture(
    checks: &[&Check],
    resources: &[Resource],
    findings: &[Finding],
    unknowns: &[UnknownOutcome],
    skip: &[String],
) -> (Vec<CheckOutcome>, ComplianceSummary) {
    // Keyed by file too: addresses are unique only within one root, and a tree may hold several.
    let failed: HashSet<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            let file = f
                .evidence
                .first()
                .and_then(|e| e.location.as_ref())
                .map_or("", |l| l.path.as_str());
            (f.rule_id.as_str(), f.subject.as_str(), file)
        })
        .collect();
    let undecided: HashSet<(&str, &str, &str)> = unknowns
        .iter()
        .map(|u| (u.check_id.as_str(), u.address.as_str(), u.file.as_str()))
        .collect();
    let mut outcomes = Vec::new();
    // control id → (titles of its checks, evaluated on something)
    let mut controls: BTreeMap<&str, (Vec<&str>, bool)> = BTreeMap::new();
    for check in checks {
        let skipped = skip.iter().any(|s| s == check.id);
        let mut ran = false;
        for r in resources
            .iter()
            .filter(|r| check.resource_types.contains(&r.resource_type.as_str()))
        {
            ran = true;
            let key = (check.id, r.address.as_str(), r.source.file.as_str());
            let status = if skipped {
                CheckStatus::Skipped
            } else if failed.contains(&key) {
                CheckStatus::Fail
            } else if undecided.contains(&key) {
                CheckStatus::Unknown
            } else {
                CheckStatus::Pass
            };
            outcomes.push(CheckOutcome {
                rule_id: check.id.to_string(),
                subject: r.address.clone(),
                status,
            });
        }
        if skipped {
            continue;
        }
        for c in check.cis {
            let entry = controls.entry(c).or_default();
            entry.0.push(check.title);
            entry.1 |= ran;
        }
    }
    let known: HashSet<&str> = checks.iter().map(|c| c.id).collect();
    for f in findings
        .iter()
        .filter(|f| !known.contains(f.rule_id.as_str()))
    {
        outcomes.push(CheckOutcome {
            rule_id: f.rule_id.clone(),
            subject: f.subject.clone(),
            status: CheckStatus::Fail,
        });
    }
    outcomes.sort();
    outcomes.dedup();
    (outcomes, cis_summary(controls, findings))
}

fn cis_summary(
    controls: BTreeMap<&str, (Vec<&str>, bool)>,
    findings: &[Finding],
) -> ComplianceSummary {
    let mut results: Vec<ControlResult> = controls
        .into_iter()
        .map(|(id, (titles, ran))| {
            let mut failing: Vec<String> = findings
                .iter()
                .filter(|f| !f.is_suppressed())
                .filter(|f| {
                    f.controls
                        .iter()
                        .any(|c| c.framework == CIS_AWS && c.id == id)
                })
                .map(|f| f.subject.clone())
                .collect();
            failing.sort();
            failing.dedup();
            let status = if !failing.is_empty() {
                ControlStatus::Failed
            } else if ran {
                ControlStatus::Passed
            } else {
                ControlStatus::NotApplicable
            };
            ControlResult {
                id: id.to_string(),
                title: titles.join("; "),
                status,
                failing,
            }
        })
        .collect();
    // Numeric order: 1.2 before 1.10.
    results.sort_by_key(|c| {
        c.id.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(u32::MAX))
            .collect::<Vec<_>>()
    });
    ComplianceSummary::from_controls(
        "cis-aws-foundations",
        "CIS AWS Foundations Benchmark",
        Some("3.0.0".into()),
        results,
    )
}
