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
    /// Collect an AWS account (S3, IAM, EC2, KMS, CloudTrail) and run the AWS checks on it.
    Aws(CloudAwsArgs),
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
    /// Services to collect: s3, iam, ec2, kms, cloudtrail (comma-separated; default: all).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub services: Vec<String>,
}

/// Flags of `rampart cloud aws`.
#[derive(Debug, Args)]
pub struct CloudAwsArgs {
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

const SERVICES: [&str; 5] = ["s3", "iam", "ec2", "kms", "cloudtrail"];
const REGIONAL: [&str; 3] = ["ec2", "kms", "cloudtrail"];

pub fn run(cmd: &CloudCommand) -> Result<ExitCode> {
    match cmd {
        CloudCommand::Aws(a) => aws(a),
    }
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
    let base = AwsOptions {
        profile: flags.profile.clone(),
        region: flags.region.first().cloned(),
        all_regions: flags.all_regions,
        endpoint_url: flags.endpoint_url.clone(),
        role_arn: flags.role_arn.clone(),
        services: flags.services.clone(),
        ..AwsOptions::default()
    };
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
