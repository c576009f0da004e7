//! The scan pipeline of every target (rootfs, fs, host, SBOM, image): catalog → match → suppress →
//! report → render. [`inventory`] is the catalog step alone, which `rampart sbom` uses too.

use crate::args::ScanArgs;
use crate::db_cmd::{database_info, default_db_path, open_db};
use crate::output;
use crate::progress::Progress;
use anyhow::{Context, Result, bail};
use rampart_catalog::{FileMeta, FileVisitor, Mode, WalkOptions};
use rampart_core::{Asset, AssetKind, Report, ScanWarning};
use rampart_vuln::{Database, suppress};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// What to scan.
#[derive(Debug, Clone)]
pub enum Target {
    Rootfs(PathBuf),
    Filesystem(PathBuf),
    Host,
    /// A CycloneDX or SPDX JSON document, scanned in place of its subject.
    Sbom(PathBuf),
    /// A container image (`oci:DIR`, `oci-archive:FILE`, `docker-archive:FILE`, `podman:NAME`, …).
    Image {
        reference: String,
        /// Platform, registry options, limits, the trusted-base catalogue, and what the analysis
        /// learnt.
        context: std::sync::Arc<crate::image_cmd::ImageContext>,
    },
}

/// Runs one scan command end to end and returns the process exit code.
pub fn run(target: Target, args: &ScanArgs) -> Result<ExitCode> {
    let format = args.out.format()?;
    let db_path = args.db.clone().unwrap_or_else(default_db_path);
    let db = open_db(&db_path)?;
    let report = scan(&target, args, &db)?;
    output::write_report(&report, format, &args.out)?;
    output::exit_code(&report, &args.out)
}

/// Scans `target` against an open database.
pub fn scan(target: &Target, args: &ScanArgs, db: &Database) -> Result<Report> {
    let scanners = Scanners::from_args(&args.scanners, target)?;
    let secrets = match scanners.secret {
        true => Some(SecretCollector::new(args)?),
        false => None,
    };
    let (mut report, packages) = inventory(target, &scanners, args.out.quiet, secrets)?;
    let info = database_info(db);
    if info.age_hours > args.max_db_age as f64 && !args.out.quiet {
        eprintln!(
            "warning: the vulnerability database is {:.0} days old; run `rampart db update`",
            info.age_hours / 24.0
        );
    }
    report.database = Some(info);

    let started = Instant::now();
    let asset_name = report.target.name.clone();
    let outcome =
        rampart_vuln::match_packages(db, &packages, report.target.os.as_ref(), &asset_name)?;
    report.time("match", started.elapsed());
    report.packages = packages;
    if scanners.vuln {
        report.findings.extend(outcome.findings);
    }
    report.warnings.extend(outcome.warnings);

    let root = target.path();
    apply_suppressions(&mut report, args, &root)?;
    output::apply_severity_filter(&mut report, &args.out.severity)?;
    report.finish();
    Ok(report)
}

impl Target {
    /// The path the target names (`/` for the host).
    pub fn path(&self) -> PathBuf {
        match self {
            Target::Rootfs(p) | Target::Filesystem(p) | Target::Sbom(p) => p.clone(),
            Target::Host => PathBuf::from("/"),
            Target::Image { reference, .. } => PathBuf::from(reference),
        }
    }
}

/// Reads the target's packages (and, given a collector, its secrets; for images, the configuration
/// findings `scanners` asks for) without any database: the report holds the target, those findings,
/// warnings and timings; the packages are returned beside it.
pub fn inventory(
    target: &Target,
    scanners: &Scanners,
    quiet: bool,
    secrets: Option<SecretCollector>,
) -> Result<(Report, Vec<rampart_core::Package>)> {
    if let Target::Image { reference, context } = target {
        return crate::image_cmd::inventory(reference, context, scanners, secrets);
    }
    let root = target.path();
    if !root.exists() {
        bail!("{} does not exist", root.display());
    }
    let started = Instant::now();
    if let Target::Sbom(path) = target {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let sbom = rampart_catalog::read_sbom(&path.display().to_string(), &bytes)?;
        let name = sbom
            .subject
            .clone()
            .unwrap_or_else(|| path.display().to_string());
        let mut report = Report::new(Asset::new(AssetKind::Sbom, name), env!("CARGO_PKG_VERSION"));
        report.target.os = sbom.inventory.os.clone();
        report.warnings.extend(sbom.inventory.warnings);
        report.time("catalog", started.elapsed());
        return Ok((report, sbom.inventory.packages));
    }
    let (kind, mode, skip) = match target {
        Target::Filesystem(_) => (AssetKind::Filesystem, Mode::Project, vec![]),
        Target::Host => (
            AssetKind::Host,
            Mode::Rootfs,
            ["proc", "sys", "dev", "run", "tmp", "var/cache", "var/tmp"]
                .map(String::from)
                .to_vec(),
        ),
        _ => (AssetKind::Rootfs, Mode::Rootfs, vec![]),
    };
    let mut report = Report::new(
        Asset::new(kind, root.display().to_string()),
        env!("CARGO_PKG_VERSION"),
    );
    let progress = Progress::spinner(quiet, "cataloguing");
    let opts = WalkOptions {
        mode,
        skip_dirs: skip,
        skip_network_mounts: matches!(target, Target::Host),
        ..WalkOptions::default()
    };
    let visitor = secrets.as_ref().map(|s| s as &dyn FileVisitor);
    let inventory = if root.is_file() {
        if let Some(collector) = &secrets {
            collector.scan_file(&root, &mut report.warnings);
        }
        rampart_catalog::catalog_file(&root, &opts)
    } else {
        rampart_catalog::catalog_dir_with(&root, &opts, &|n| progress.set(n), visitor)
    }
    .with_context(|| format!("cataloguing {}", root.display()))?;
    progress.finish();
    report.time("catalog", started.elapsed());
    if let Some(collector) = secrets {
        let asset = report.target.name.clone();
        report.findings.extend(
            collector
                .into_hits()
                .iter()
                .map(|h| h.to_finding(&asset, None)),
        );
    }
    report.target.os = inventory.os.clone();
    report.warnings.extend(inventory.warnings);
    Ok((report, inventory.packages))
}

/// Which analyses a scan runs (`--scanners`).
#[derive(Debug, Clone, Copy)]
pub struct Scanners {
    pub vuln: bool,
    pub secret: bool,
    /// Image configuration checks (images only).
    pub config: bool,
}

impl Scanners {
    /// No content scanner and no configuration check: packages only (SBOMs).
    pub const PACKAGES: Scanners = Scanners {
        vuln: false,
        secret: false,
        config: false,
    };

    fn from_args(list: &[String], target: &Target) -> Result<Scanners> {
        let is_image = matches!(target, Target::Image { .. });
        if list.is_empty() {
            return Ok(Scanners {
                vuln: true,
                secret: matches!(
                    target,
                    Target::Rootfs(_) | Target::Filesystem(_) | Target::Image { .. }
                ),
                config: is_image,
            });
        }
        let mut s = Scanners {
            vuln: false,
            secret: false,
            config: false,
        };
        for name in list {
            match name.trim().to_ascii_lowercase().as_str() {
                "vuln" | "vulnerability" => s.vuln = true,
                "secret" | "secrets" if matches!(target, Target::Sbom(_)) => {
                    bail!("an SBOM holds no file contents to scan for secrets")
                }
                "secret" | "secrets" => s.secret = true,
                "config" | "misconfig" if is_image => s.config = true,
                other => bail!(
                    "unknown scanner {other:?} (expected vuln, secret{})",
                    if is_image { ", config" } else { "" }
                ),
            }
        }
        Ok(s)
    }
}

/// Runs the secret scanner on the files of a catalog walk and keeps the (masked) hits.
pub struct SecretCollector {
    scanner: rampart_secret::Scanner,
    hits: std::sync::Mutex<Vec<rampart_secret::SecretHit>>,
}

impl SecretCollector {
    fn new(args: &ScanArgs) -> Result<SecretCollector> {
        let rules = match &args.secret_config {
            Some(path) => {
                rampart_secret::RuleSet::with_config(&rampart_secret::Config::load(path)?)?
            }
            None => rampart_secret::RuleSet::builtin(),
        };
        Ok(SecretCollector {
            scanner: rampart_secret::Scanner::new(rules, rampart_secret::Limits::default()),
            hits: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Scans a single file given as the target.
    fn scan_file(&self, path: &Path, warnings: &mut Vec<ScanWarning>) {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(content) => self.record(self.scanner.scan(&name, &content)),
            Err(err) => warnings.push(ScanWarning {
                path: name,
                line: None,
                message: format!("secret scan: cannot read: {err}"),
            }),
        }
    }

    pub fn scanner(&self) -> &rampart_secret::Scanner {
        &self.scanner
    }

    fn record(&self, hits: Vec<rampart_secret::SecretHit>) {
        if !hits.is_empty() {
            self.hits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(hits);
        }
    }

    pub fn into_hits(self) -> Vec<rampart_secret::SecretHit> {
        let mut hits = self.hits.into_inner().unwrap_or_else(|e| e.into_inner());
        hits.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        hits
    }
}

impl FileVisitor for SecretCollector {
    fn wants(&self, file: &FileMeta) -> bool {
        self.scanner.wants(file.path, file.size)
    }

    fn max_size(&self) -> u64 {
        self.scanner.limits().max_file_size
    }

    fn visit(&self, file: &FileMeta, content: &[u8]) {
        self.record(self.scanner.scan(file.path, content));
    }
}

fn apply_suppressions(report: &mut Report, args: &ScanArgs, root: &Path) -> Result<()> {
    for vex in &args.vex {
        let rules = suppress::load_vex(vex)?;
        suppress::apply_vex(&mut report.findings, &rules);
    }
    let ignore = args.ignore_file.clone().or_else(|| {
        [PathBuf::from(".rampartignore"), root.join(".rampartignore")]
            .into_iter()
            .find(|p| p.is_file())
    });
    if let Some(path) = ignore {
        let rules = suppress::load_ignore(&path)?;
        // RFC 3339 in UTC starts with the calendar date.
        let now = jiff::Timestamp::now().to_string();
        let today: jiff::civil::Date = now.get(..10).unwrap_or_default().parse()?;
        let origin = path.display().to_string();
        for expired in suppress::apply_ignore(&mut report.findings, &rules, today, &origin) {
            report.warnings.push(ScanWarning {
                path: origin.clone(),
                line: Some(expired.line),
                message: format!(
                    "ignore entry for {} expired on {}",
                    expired.id,
                    expired.expires.map(|d| d.to_string()).unwrap_or_default()
                ),
            });
        }
    }
    if args.ignore_unfixed {
        suppress::apply_ignore_unfixed(&mut report.findings);
    }
    Ok(())
}
