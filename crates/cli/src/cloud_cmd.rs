//! `rampart cloud aws`: collect a live AWS account through the SDK and run the IaC crate's AWS checks on
//! it. Collection problems (AccessDenied, throttling, timeouts) are report warnings, never a failed scan.

use crate::iac_cmd::posture;
use crate::output::{self, Extras, OutputArgs};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use rampart_cloud::{AwsOptions, Inventory};
use rampart_core::{Asset, AssetKind, Report, ScanWarning};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// `rampart cloud …`.
#[derive(Debug, Subcommand)]
pub enum CloudCommand {
    /// Collect an AWS account and run the AWS checks on it; `rampart cloud aws fix` applies safe fixes.
    Aws(CloudAwsArgs),
}

/// `rampart cloud aws fix`.
#[derive(Debug, Subcommand)]
pub enum AwsAction {
    /// Plan (default: dry run) or `--apply` safe fixes for findings of the given checks, then re-scan.
    Fix(FixArgs),
}

/// Flags of `rampart cloud aws fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub aws: AwsFlags,
    /// Checks to fix (repeatable or comma-separated; default: every fixable check).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub check: Vec<String>,
    /// Make the changes (without it the plan is only printed).
    #[arg(long)]
    pub apply: bool,
    /// Print the plan and results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// How to reach an AWS account: shared by `rampart cloud aws` and `rampart drift --live aws`.
#[derive(Debug, Args, Clone)]
pub struct AwsFlags {
    /// Named profile (default: the standard credential chain: environment, AWS_PROFILE, SSO, IMDS…).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region for the regional services EC2, KMS and CloudTrail (repeatable or comma-separated;
    /// default: AWS_REGION or the profile's, else us-east-1). S3 and IAM are global.
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    pub region: Vec<String>,
    /// Collect the regional services in every region enabled for the account.
    #[arg(long, conflicts_with = "region")]
    pub all_regions: bool,
    /// Send every AWS call to this endpoint (a moto server, LocalStack, a VPC endpoint proxy).
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Assume this role first (with the chain's or the profile's credentials).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Read AWS Organizations (the SCPs over the account) through this role in the management or a
    /// delegated administrator account, assumed with the scan's credentials.
    #[arg(long, value_name = "ARN")]
    pub org_role_arn: Option<String>,
    /// Services to collect: s3, iam, organizations, ec2, kms, cloudtrail, rds, lambda, eks,
    /// cloudwatch, config (comma-separated; default: all).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub services: Vec<String>,
}

/// Flags of `rampart cloud aws`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CloudAwsArgs {
    #[command(subcommand)]
    pub action: Option<AwsAction>,
    #[command(flatten)]
    pub aws: AwsFlags,
    /// Also write the collected inventory (normalised resources, collection warnings, coverage) as JSON
    /// to FILE.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Check id not to run (repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub skip_check: Vec<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

use rampart_cloud::{REGIONAL_SERVICES as REGIONAL, SERVICES};

pub fn run(cmd: &CloudCommand) -> Result<ExitCode> {
    match cmd {
        CloudCommand::Aws(CloudAwsArgs {
            action: Some(AwsAction::Fix(f)),
            ..
        }) => fix(f),
        CloudCommand::Aws(a) => aws(a),
    }
}

/// `rampart cloud aws fix`: collect, scan, plan; with `--apply` make the calls and re-scan to show
/// which planned findings are resolved. Exit 1 when a call failed or a planned finding remains.
fn fix(args: &FixArgs) -> Result<ExitCode> {
    for c in &args.check {
        if !rampart_cloud::fix::FIXABLE.iter().any(|(id, _)| id == c) {
            let ids: Vec<&str> = rampart_cloud::fix::FIXABLE
                .iter()
                .map(|(id, _)| *id)
                .collect();
            bail!(
                "--check {c}: no automatic fix (fixable: {})",
                ids.join(", ")
            );
        }
    }
    let inventory = collect(&args.aws)?;
    let asset = format!("aws:{}", account_of(&inventory));
    let scanned = rampart_cloud::scan(&inventory, &asset, &[]);
    let plan = rampart_cloud::fix::plan(&scanned.findings, &inventory, &args.check);
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    if !args.apply {
        if args.json {
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "plan": plan }))?;
            writeln!(out)?;
        } else {
            write_plan(&mut out, &plan)?;
            writeln!(
                out,
                "dry run: nothing changed; add --apply to make these calls"
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let options = aws_options(&args.aws);
    let results = rampart_cloud::fix::apply_blocking(&options, &plan).context("applying fixes")?;
    let after = rampart_cloud::scan(&collect(&args.aws)?, &asset, &[]);
    let remaining: Vec<(String, String)> = plan
        .actions
        .iter()
        .flat_map(|a| {
            a.checks
                .iter()
                .flat_map(move |c| a.addresses.iter().map(move |r| (c, r)))
        })
        .filter(|(c, r)| {
            after
                .findings
                .iter()
                .any(|f| f.rule_id == **c && f.subject == **r)
        })
        .map(|(c, r)| (c.clone(), r.clone()))
        .collect();
    let failed = results.iter().filter(|r| r.error.is_some()).count();
    if args.json {
        let remaining: Vec<_> = remaining
            .iter()
            .map(|(c, r)| serde_json::json!({ "check": c, "address": r }))
            .collect();
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "plan": plan, "results": results, "remaining": remaining }),
        )?;
        writeln!(out)?;
    } else {
        for r in &results {
            match &r.error {
                None => writeln!(
                    out,
                    "done    {} {}",
                    r.action.operation(),
                    r.action.target()
                )?,
                Some(e) => writeln!(
                    out,
                    "FAILED  {} {}: {e}",
                    r.action.operation(),
                    r.action.target()
                )?,
            }
        }
        for (c, r) in &remaining {
            writeln!(out, "still failing after the fix: {c} {r}")?;
        }
        writeln!(
            out,
            "{} call(s) made, {failed} failed; re-scan: {} planned finding(s) remain",
            results.len() - failed,
            remaining.len()
        )?;
    }
    Ok(match failed == 0 && remaining.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    })
}

/// The dry-run plan: one block per call, then what cannot be fixed automatically.
fn write_plan(
    w: &mut dyn std::io::Write,
    plan: &rampart_cloud::fix::FixPlan,
) -> std::io::Result<()> {
    if plan.actions.is_empty() {
        writeln!(w, "nothing to fix")?;
    }
    for a in &plan.actions {
        writeln!(
            w,
            "{} on {} ({})",
            a.operation(),
            a.target(),
            a.checks.join(", ")
        )?;
        writeln!(w, "    {}", a.cli())?;
        if let Some(c) = a.caution() {
            writeln!(w, "    caution: {c}")?;
        }
    }
    for n in &plan.not_fixable {
        writeln!(
            w,
            "not fixed automatically: {} {}: {}",
            n.check, n.address, n.reason
        )?;
    }
    Ok(())
}

fn aws(args: &CloudAwsArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    let started = Instant::now();
    let inventory = collect(&args.aws)?;
    let collected = started.elapsed();
    if let Some(path) = &args.inventory {
        let text = serde_json::to_string_pretty(&inventory)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    let account = account_of(&inventory);
    let asset = format!("aws:{account}");
    let mut report = Report::new(
        Asset::new(AssetKind::Cloud, asset.clone()),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("collect", collected);
    let started = Instant::now();
    let scanned = rampart_cloud::scan(&inventory, &asset, &args.skip_check);
    report.time("checks", started.elapsed());
    let mut checks = rampart_iac::checks::all();
    checks.extend(rampart_cloud::live_checks::CHECKS.iter());
    let (outcomes, cis) = posture(
        &checks,
        &inventory.resources,
        &scanned.findings,
        &scanned.unknown,
        &args.skip_check,
    );
    report.checks = outcomes;
    report.compliance.push(cis);
    report.findings = scanned.findings;
    report.warnings = warnings(&inventory);
    if !args.out.quiet {
        eprintln!(
            "collected {} resources from {asset} in {:.1} s ({} could not be read)",
            inventory.resources.len(),
            collected.as_secs_f64(),
            inventory.warnings.len()
        );
    }
    let extras = Extras {
        table_trailer: String::new(),
        json: vec![("inventory", serde_json::to_value(&inventory)?)],
    };
    output::apply_severity_filter(&mut report, &args.out.severity)?;
    report.finish();
    output::write_report_with(&report, format, &args.out, &extras)?;
    output::exit_code(&report, &args.out)
}

/// Collection warnings as report warnings: `service: what` and the error.
pub fn warnings(inventory: &Inventory) -> Vec<ScanWarning> {
    inventory
        .warnings
        .iter()
        .map(|w| ScanWarning {
            path: format!("{}: {}", w.service, w.what),
            line: None,
            message: w.error.clone(),
        })
        .collect()
}

/// Collects the account. Several `--region`s: the first run collects every service, the others only
/// the regional ones, so global S3 and IAM resources are read once.
pub fn collect(flags: &AwsFlags) -> Result<Inventory> {
    for s in &flags.services {
        if !SERVICES.contains(&s.as_str()) {
            bail!("--services {s}: unknown (expected {})", SERVICES.join(", "));
        }
    }
    let base = aws_options(flags);
    let mut inventory = rampart_cloud::collect_blocking(&base).context("collecting AWS")?;
    let regional: Vec<String> = REGIONAL
        .iter()
        .filter(|s| flags.services.is_empty() || flags.services.iter().any(|x| x == *s))
        .map(|s| s.to_string())
        .collect();
    if regional.is_empty() {
        return Ok(inventory);
    }
    for region in flags.region.iter().skip(1) {
        let more = rampart_cloud::collect_blocking(&AwsOptions {
            region: Some(region.clone()),
            services: regional.clone(),
            ..base.clone()
        })
        .with_context(|| format!("collecting AWS region {region}"))?;
        inventory.resources.extend(more.resources);
        inventory.warnings.extend(more.warnings);
        inventory.coverage.services.extend(more.coverage.services);
    }
    Ok(inventory)
}

/// SDK options from the flags (the first `--region` only).
pub(crate) fn aws_options(flags: &AwsFlags) -> AwsOptions {
    AwsOptions {
        profile: flags.profile.clone(),
        region: flags.region.first().cloned(),
        all_regions: flags.all_regions,
        endpoint_url: flags.endpoint_url.clone(),
        role_arn: flags.role_arn.clone(),
        org_role_arn: flags.org_role_arn.clone(),
        services: flags.services.clone(),
        ..AwsOptions::default()
    }
}

/// The account id, read from the ARNs of collected resources (`arn:aws:iam::123456789012:role/x`);
/// `unknown-account` when nothing collected carries one.
pub fn account_of(inventory: &Inventory) -> String {
    inventory
        .resources
        .iter()
        .filter_map(|r| r.str("arn"))
        .filter_map(|arn| arn.split(':').nth(4))
        .find(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("unknown-account")
        .to_string()
}
