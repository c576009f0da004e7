//! `rampart registry scan HOST[/prefix]`: every distinct image of a registry, analysed once (cached
//! analyses need no blob), matched against the database, in one report whose findings carry the image
//! reference as asset, plus a per-image summary table on standard error. Each image's base is
//! detected and its findings split into base and added like `rampart image` does; with
//! `--base-catalog` the catalogue's verdicts (IMG009, IMG010) are added through the same code
//! (`image_cmd::Setup::judge`) and summarised per base.

use crate::args::ScanArgs;
use crate::db_cmd::{database_info, default_db_path, open_db};
use crate::output;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use rampart_core::{
    Asset, AssetKind, ImageBase, ImageRow, ImagesRollup, Report, ScanWarning, Severity,
};
use rampart_image::Digest;
use rampart_image::base::origin::{self, OriginSummary};
use rampart_image::base::verdict::BaseSummary;
use rampart_image::base::{BaseDetection, Sibling, match_siblings};
use rampart_image::registry_scan::{RegistryScanOptions, scan_registry};
use rampart_image::{BlobStash, Cache, RegistryOptions};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

/// `rampart registry …`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Scan every image of a registry (or of the repositories under a prefix).
    Scan(RegistryScanArgs),
}

/// Flags of `rampart registry scan`.
#[derive(Debug, Args)]
pub struct RegistryScanArgs {
    /// HOST[:PORT][/prefix].
    pub target: String,
    /// Images analysed at the same time.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
    /// Only images created within this duration (e.g. 30m, 12h, 7d, 2w).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Names asked for per request when listing repositories and tags (`n`; later pages follow the
    /// registry's `Link` headers).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub page_size: usize,
    /// Recommended upgrades listed in the base summary at most (with --base-catalog).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub top: usize,
    #[command(flatten)]
    pub image: crate::image_cmd::ImageOptions,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// Registry options from `--insecure`, `--username` and `--password-stdin`.
pub fn registry_options(
    insecure: bool,
    username: Option<&str>,
    password_stdin: bool,
) -> Result<RegistryOptions> {
    let mut opts = RegistryOptions {
        insecure,
        ..RegistryOptions::default()
    };
    if let Some(u) = username {
        if !password_stdin {
            bail!("--username needs --password-stdin");
        }
        let mut password = String::new();
        std::io::stdin()
            .read_line(&mut password)
            .context("reading the password from standard input")?;
        opts.username = Some(u.to_string());
        opts.password = Some(password.trim_end_matches(['\r', '\n']).to_string());
    }
    Ok(opts)
}

/// Parses `30s`, `30m`, `12h`, `7d`, `2w`.
fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().with_context(|| format!("--since {s:?}"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        other => bail!("--since {s:?}: unknown unit {other:?} (s, m, h, d, w)"),
    };
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

/// Runs `rampart registry …`.
pub fn run(cmd: &RegistryCommand) -> Result<ExitCode> {
    let RegistryCommand::Scan(a) = cmd;
    let format = a.scan.out.format()?;
    let db_path = a.scan.db.clone().unwrap_or_else(default_db_path);
    let db = open_db(&db_path)?;
    let started = Instant::now();
    // One blob stash for the run: the catalogue's `image:` entries and the scan read each blob once.
    let stash = std::sync::Arc::new(BlobStash::new().context("blob stash")?);
    let setup = crate::image_cmd::Setup::new(&a.image, a.scan.out.quiet, &db, Some(stash))?;
    let mut opts = RegistryScanOptions::new(a.target.clone());
    opts.concurrency = a.concurrency.max(1);
    opts.page_size = a.page_size.max(1);
    if let Some(s) = &a.since {
        opts.since = Some(SystemTime::now() - parse_duration(s)?);
    }
    opts.analyze = setup.analyze.clone();
    let cache = Cache::new(Cache::default_dir());
    let scan = scan_registry(&opts, &cache).with_context(|| format!("scanning {}", a.target))?;
    let mut report = Report::new(
        Asset::new(AssetKind::Image, a.target.clone()),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("catalog", started.elapsed());
    report.database = Some(database_info(&db));
    let config = a.scan.scanners.is_empty() || a.scan.scanners.iter().any(|s| s == "config");
    let vuln = a.scan.scanners.is_empty() || a.scan.scanners.iter().any(|s| s.starts_with("vuln"));
    report.warnings.extend(setup.warnings.iter().cloned());
    let mut rows = Vec::new();
    let mut bases = BaseSummary::default();
    // Every analysed image is a candidate base of the others (exact layer prefixes).
    let layers: Vec<(&str, Vec<Digest>)> = scan
        .images
        .iter()
        .filter_map(|i| {
            let a = i.analysis.as_ref().ok()?;
            let ids = a.image.layers.iter().map(|l| l.diff_id.clone()).collect();
            Some((i.references.first()?.as_str(), ids))
        })
        .collect();
    let siblings: Vec<Sibling<'_>> = layers
        .iter()
        .map(|(name, diff_ids)| Sibling { name, diff_ids })
        .collect();
    let mut rollup = ImagesRollup::default();
    for image in &scan.images {
        let name = image.references.first().cloned().unwrap_or_default();
        let analysis = match &image.analysis {
            Ok(a) => a,
            Err(e) => {
                report.warnings.push(ScanWarning {
                    path: name.clone(),
                    line: None,
                    message: format!("not analysed: {e}"),
                });
                rows.push(format!("{name}  {}  error", image.digest.short()));
                rollup.images.push(ImageRow {
                    reference: name.clone(),
                    also: image.references.iter().skip(1).cloned().collect(),
                    digest: image.digest.to_string(),
                    error: Some(e.to_string()),
                    ..ImageRow::default()
                });
                continue;
            }
        };
        // One image's report, judged like `rampart image` judges it, then merged.
        let mut base = analysis.detect_base(&setup.known);
        match_siblings(&mut base, &analysis.image, &siblings);
        let mut one = Report::new(
            analysis.image.asset(analysis.inventory.os.as_ref()),
            env!("CARGO_PKG_VERSION"),
        );
        one.target.name.clone_from(&name);
        let outcome = rampart_vuln::match_packages(
            &db,
            &analysis.inventory.packages,
            analysis.inventory.os.as_ref(),
            &name,
        )?;
        if vuln {
            one.findings.extend(outcome.findings);
        }
        if config {
            one.findings
                .extend(analysis.config_findings_with_base(&base));
        }
        origin::annotate(&mut one.findings, &base);
        one.packages.clone_from(&analysis.inventory.packages);
        let verdict = setup.judge(&mut one, &base, &analysis.image);
        report.warnings.extend(outcome.warnings);
        let count = |s: Severity| one.findings.iter().filter(|f| f.severity == s).count();
        let split = OriginSummary::of(&one.findings, &base);
        let total = |m: &std::collections::BTreeMap<Severity, usize>| m.values().sum::<usize>();
        let base_name = match &verdict {
            Some(v) => {
                bases.add(v);
                let mut n = v.base_name();
                if v.detection.allowed.is_none() {
                    n.push_str(" (not allowed)");
                }
                if let Some(r) = &v.recommendation {
                    n.push_str(&format!(" → {}", r.recommended.name));
                }
                n
            }
            None => base.name.clone().unwrap_or_else(|| "not recognised".into()),
        };
        rows.push(format!(
            "{name}  {}  {} packages  C:{} H:{} M:{} L:{}  base {}: {} base / {} added  {}{}",
            image.digest.short(),
            analysis.inventory.packages.len(),
            count(Severity::Critical),
            count(Severity::High),
            count(Severity::Medium),
            count(Severity::Low),
            base_name,
            total(&split.base),
            total(&split.added),
            if image.cached { "cached" } else { "pulled" },
            if image.references.len() > 1 {
                format!("  (+{} tags)", image.references.len() - 1)
            } else {
                String::new()
            },
        ));
        let mut by_severity = std::collections::BTreeMap::new();
        for f in one.findings.iter().filter(|f| f.suppressed.is_none()) {
            *by_severity.entry(f.severity).or_insert(0) += 1;
        }
        rollup.images.push(ImageRow {
            reference: name.clone(),
            also: image.references.iter().skip(1).cloned().collect(),
            digest: image.digest.to_string(),
            packages: analysis.inventory.packages.len(),
            by_severity,
            base: match &verdict {
                Some(v) => Some(ImageBase {
                    name: v.base_name(),
                    allowed: Some(v.detection.allowed.is_some()),
                    layers: base.layers,
                    methods: method_names(&base),
                    recommended: v
                        .recommendation
                        .as_ref()
                        .map(|r| r.recommended.name.clone()),
                }),
                None => base.name.clone().map(|name| ImageBase {
                    name,
                    allowed: None,
                    layers: base.layers,
                    methods: method_names(&base),
                    recommended: None,
                }),
            },
            findings_in_base: total(&split.base),
            findings_added: total(&split.added),
            cached: image.cached,
            error: None,
        });
        report.findings.append(&mut one.findings);
        report.packages.append(&mut one.packages);
    }
    (rollup.bases, rollup.upgrades) = bases.rollup();
    report.images = Some(rollup);
    for (what, e) in &scan.errors {
        report.warnings.push(ScanWarning {
            path: what.clone(),
            line: None,
            message: e.clone(),
        });
    }
    output::apply_severity_filter(&mut report, &a.scan.out.severity)?;
    report.finish();
    if !a.scan.out.quiet {
        eprintln!(
            "{} distinct images ({} skipped by --since, {} errors):",
            scan.images.len(),
            scan.skipped.len(),
            scan.errors.len()
        );
        for r in &rows {
            eprintln!("  {r}");
        }
        if setup.has_catalogue() {
            let mut t = Vec::new();
            bases.write_table(&mut t, a.top)?;
            eprint!("{}", String::from_utf8_lossy(&t));
        }
    }
    output::write_report(&report, format, &a.scan.out)?;
    output::exit_code(&report, &a.scan.out)
}

/// The detection methods' names, as the JSON report spells them.
fn method_names(d: &BaseDetection) -> Vec<String> {
    d.methods
        .iter()
        .filter_map(|m| serde_json::to_value(m).ok())
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::parse_duration("7d").unwrap().as_secs(), 604_800);
        assert_eq!(super::parse_duration("30m").unwrap().as_secs(), 1800);
        assert!(super::parse_duration("7y").is_err());
    }
}
