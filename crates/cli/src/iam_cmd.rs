//! `rampart iam analyze`: AWS IAM entitlements from authorization details (a file, or read live through
//! the SDK with `--live`); `rampart iam
//! least-privilege`: used-only policies from CloudTrail.

use crate::args::IamAnalyzeArgs;
use crate::output;
use anyhow::{Context, Result, bail};
use rampart_core::{Asset, AssetKind, Report, ScanWarning};
use rampart_report::Format;
use std::process::ExitCode;
use std::time::Instant;

pub fn analyze(args: &IamAnalyzeArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    let started = Instant::now();
    let (account, asset, collect_warnings) = match &args.file {
        Some(file) if !args.live => {
            if args.save.is_some() {
                bail!("--save writes what --live fetched: add --live (and drop FILE)");
            }
            if args.aws.profile.is_some()
                || args.aws.role_arn.is_some()
                || !args.aws.region.is_empty()
            {
                bail!("--profile, --role-arn and --region read a live account: add --live");
            }
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let account = rampart_iam::Account::from_json(&text)
                .with_context(|| format!("parsing {}", file.display()))?;
            (account, file.display().to_string(), Vec::new())
        }
        _ => live(args)?,
    };
    let options = rampart_iam::Options {
        unused_days: args.unused_days,
        known_accounts: args.known_account.clone(),
        ..Default::default()
    };
    let analysis = rampart_iam::analyze(&account, &options);
    if let Some(s) = analysis.scps.as_ref().filter(|_| !args.out.quiet) {
        match &s.note {
            Some(note) => eprintln!("service control policies not applied: {note}"),
            None => eprintln!(
                "service control policies applied ({} levels): {}",
                s.levels.len(),
                s.levels.join("; ")
            ),
        }
    }
    let mut report = Report::new(
        Asset::new(AssetKind::Cloud, asset),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("analyze", started.elapsed());
    report.findings = rampart_iam::findings(&analysis);
    report.warnings = collect_warnings;
    report
        .warnings
        .extend(analysis.warnings.iter().map(|w| rampart_core::ScanWarning {
            path: w.policy.clone(),
            line: None,
            message: w.message.clone(),
        }));
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

/// `--live`: the account's authorization details through the SDK (saved with `--save`), the asset name
/// `aws:ACCOUNT` and what could not be read as report warnings.
fn live(args: &IamAnalyzeArgs) -> Result<(rampart_iam::Account, String, Vec<ScanWarning>)> {
    if !args.aws.services.is_empty() || args.aws.all_regions {
        bail!("--services and --all-regions do not apply to `iam analyze --live` (IAM is global)");
    }
    let options = crate::cloud_cmd::aws_options(&args.aws);
    let started = Instant::now();
    let (doc, warnings) = rampart_cloud::authorization_details_blocking(&options)
        .context("reading IAM authorization details from AWS")?;
    if let Some(path) = &args.save {
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    let account = rampart_iam::Account::from_value(&doc)
        .context("reading the fetched authorization details")?;
    let asset = match account.account_id.as_str() {
        "" => "aws:unknown-account".to_string(),
        id => format!("aws:{id}"),
    };
    if !args.out.quiet {
        eprintln!(
            "read {} user(s), {} group(s), {} role(s), {} managed policies from {asset} in {:.1} s ({} could not be read)",
            account.users.len(),
            account.groups.len(),
            account.roles.len(),
            account.policies.len(),
            started.elapsed().as_secs_f64(),
            warnings.len()
        );
    }
    let warnings = warnings
        .into_iter()
        .map(|w| ScanWarning {
            path: format!("{}: {}", w.service, w.what),
            line: None,
            message: w.error,
        })
        .collect();
    Ok((account, asset, warnings))
}

/// Flags of `rampart iam least-privilege`.
#[derive(Debug, clap::Args)]
pub struct LeastPrivilegeArgs {
    /// CloudTrail log files (`.json.gz` as delivered, or `.json`) or folders holding them.
    #[arg(required = true, value_name = "PATH")]
    pub cloudtrail: Vec<std::path::PathBuf>,
    /// `aws iam get-account-authorization-details` JSON: adds what each principal is granted and the
    /// granted-but-unused actions.
    #[arg(long, value_name = "FILE")]
    pub auth_details: Option<std::path::PathBuf>,
    /// Only principals whose ARN contains this text.
    #[arg(long, value_name = "TEXT")]
    pub principal: Option<String>,
    /// Unused actions listed per principal in the text output.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub list: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `rampart iam least-privilege`.
pub fn least_privilege(args: &LeastPrivilegeArgs) -> Result<ExitCode> {
    use rampart_iam::least_privilege as lp;
    use std::io::Write;
    let options = lp::Options::default();
    let mut usage = lp::Usage::default();
    let mut files = 0usize;
    for path in trail_files(&args.cloudtrail)? {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        match lp::records_from_bytes(&bytes, options.max_file_bytes) {
            Ok(records) => {
                usage.add(&records);
                files += 1;
            }
            // One bad file is a warning; the others still count.
            Err(e) => eprintln!("warning: {}: {e}", path.display()),
        }
    }
    let account = match &args.auth_details {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(
                rampart_iam::Account::from_json(&text)
                    .with_context(|| format!("parsing {}", p.display()))?,
            )
        }
        None => None,
    };
    let mut results = lp::least_privilege(&usage, account.as_ref(), &options);
    if let Some(filter) = &args.principal {
        results.retain(|r| r.principal.contains(filter.as_str()));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "files": files,
            "skipped_events": usage.skipped,
            "malformed_events": usage.malformed,
            "principals": results,
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{files} CloudTrail file(s), {} principal(s); {} event(s) skipped (not IAM-authorised), {} malformed",
        results.len(),
        usage.skipped,
        usage.malformed
    )?;
    for r in &results {
        writeln!(out, "\n{}", r.principal)?;
        writeln!(out, "  used ({}): {}", r.used.len(), r.used.join(", "))?;
        for (action, n) in &r.denied {
            writeln!(
                out,
                "  denied: {action} ({n}×; not granted by the policy below)"
            )?;
        }
        if account.is_some() {
            match r.in_account {
                true => writeln!(
                    out,
                    "  granted {} action(s), {} unused{}{}",
                    r.granted,
                    r.unused_count,
                    if r.unused.is_empty() { "" } else { ": " },
                    list_head(&r.unused, args.list)
                )?,
                false => writeln!(out, "  not in the authorization details (another account?)")?,
            }
        }
        let policy = serde_json::to_string_pretty(&r.policy)?;
        writeln!(out, "  least-privilege policy:")?;
        for line in policy.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The first `n` items, comma-separated, with how many more there are.
fn list_head(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        s.push_str(&format!(", … {} more", items.len() - n));
    }
    s
}

/// Files named on the command line, plus every `.json`/`.json.gz` file under named folders (sorted;
/// CloudTrail digest files skipped).
fn trail_files(paths: &[std::path::PathBuf]) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            anyhow::ensure!(p.exists(), "{} does not exist", p.display());
            out.push(p.clone());
            continue;
        }
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            for entry in
                std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
            {
                let path = entry?.path();
                let name = path.to_string_lossy();
                if path.is_dir() {
                    stack.push(path);
                } else if (name.ends_with(".json") || name.ends_with(".json.gz"))
                    && !name.contains("CloudTrail-Digest")
                {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
