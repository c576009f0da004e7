//! `rampart image REF` (the image source of the scan pipeline, with base-image detection, the
//! base/added split of findings and base recommendations) and `rampart image compare A B`.
//!
//! The generic pipeline (`scan::scan`) calls [`inventory`] with the options every target shares; the
//! image-only ones (credentials, the trusted-base catalogue) travel in the target's [`ImageContext`],
//! which also carries back what the analysis learnt (the image model, the detected base).

use crate::args::ScanArgs;
use crate::db_cmd::{default_db_path, open_db};
use crate::output;
use crate::scan::{Scanners, SecretCollector, Target};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use rampart_core::{Package, Report};
use rampart_image::base::BaseDetection;
use rampart_image::base::catalog::{BaseCatalog, KnownBase};
use rampart_image::base::origin::{self, OriginSummary};
use rampart_image::base::recommend::{self, Candidate};
use rampart_image::compare::{Comparison, Scanned};
use rampart_image::{
    AnalyzeOptions, Cache, FileVisitor, ImageInfo, ImageRef, LayerFile, Platform, RegistryOptions,
};
use rampart_vuln::Database;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// `rampart image`: scan an image, or compare two.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImageArgs {
    #[command(subcommand)]
    pub command: Option<ImageCommand>,
    /// Image reference: oci:DIR[:tag], oci-archive:FILE, docker-archive:FILE, podman:NAME or
    /// HOST[:PORT]/REPO[:TAG|@DIGEST].
    #[arg(required = true)]
    pub reference: Option<String>,
    #[command(flatten)]
    pub image: ImageOptions,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `rampart image …` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Compare two images side by side: vulnerabilities by severity, packages, size, layers, and
    /// what B fixes and adds (e.g. a full and a slim base).
    Compare(CompareArgs),
}

/// Flags of `rampart image compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The image compared from.
    pub a: String,
    /// The image compared to.
    pub b: String,
    /// Vulnerabilities and packages listed per section in the table at most.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub list: usize,
    #[command(flatten)]
    pub image: ImageOptions,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// Options of image sources and base analysis.
#[derive(Debug, Args, Clone)]
pub struct ImageOptions {
    /// Platform of a multi-platform image: os/arch[/variant] (default: this machine's).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
    /// Registry references: plain HTTP instead of HTTPS.
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (the password is read from standard input with --password-stdin);
    /// otherwise $REGISTRY_AUTH_FILE, podman's auth.json or ~/.docker/config.json are used.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Read the registry password or token from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// Trusted-base catalogue (YAML list of allowed base images): detects the base by its layers,
    /// flags images on other bases and recommends a smaller allowed base with fewer findings.
    #[arg(long, value_name = "FILE")]
    pub base_catalog: Option<PathBuf>,
}

/// What `inventory` needs beyond the pipeline's arguments, and what it learnt.
pub struct ImageContext {
    registry: RegistryOptions,
    known: Arc<Vec<KnownBase>>,
    observed: Mutex<Option<Observed>>,
}

impl std::fmt::Debug for ImageContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageContext")
            .field("insecure", &self.registry.insecure)
            .field("known_bases", &self.known.len())
            .finish_non_exhaustive()
    }
}

/// What one image analysis learnt besides packages and findings.
struct Observed {
    image: ImageInfo,
    base: BaseDetection,
}

/// Credentials and the resolved catalogue, shared by the images of one command.
struct Setup {
    registry: RegistryOptions,
    known: Arc<Vec<KnownBase>>,
    warnings: Vec<rampart_core::ScanWarning>,
    opts: ImageOptions,
}

impl Setup {
    fn new(opts: &ImageOptions, quiet: bool) -> Result<Setup> {
        let registry = crate::registry_cmd::registry_options(
            opts.insecure,
            opts.username.as_deref(),
            opts.password_stdin,
        )?;
        let mut setup = Setup {
            registry,
            known: Arc::new(Vec::new()),
            warnings: Vec::new(),
            opts: opts.clone(),
        };
        if let Some(path) = &opts.base_catalog {
            let catalog = BaseCatalog::load(path)
                .with_context(|| format!("--base-catalog {}", path.display()))?;
            let analyze = AnalyzeOptions {
                platform: platform(opts.platform.as_deref())?,
                registry: setup.registry.clone(),
                ..AnalyzeOptions::default()
            };
            let (known, warnings) = catalog.resolve(&analyze, &Cache::new(Cache::default_dir()));
            if !quiet {
                for w in &warnings {
                    eprintln!("warning: {}: {}", w.path, w.message);
                }
            }
            setup.known = Arc::new(known);
            setup.warnings = warnings;
        }
        Ok(setup)
    }
}

fn platform(p: Option<&str>) -> Result<Platform> {
    match p {
        Some(p) => Platform::parse(p).with_context(|| format!("--platform {p:?}")),
        None => Ok(Platform::host()),
    }
}

/// One image through the pipeline: the report (findings annotated with their origin, plus the
/// catalogue's verdicts) and what the analysis learnt.
struct ImageScan {
    report: Report,
    image: ImageInfo,
    base: BaseDetection,
}

fn scan_image(reference: &str, setup: &Setup, args: &ScanArgs, db: &Database) -> Result<ImageScan> {
    let context = Arc::new(ImageContext {
        registry: setup.registry.clone(),
        known: setup.known.clone(),
        observed: Mutex::new(None),
    });
    let target = Target::Image {
        reference: reference.to_string(),
        platform: setup.opts.platform.clone(),
        context: context.clone(),
    };
    let mut report = crate::scan::scan(&target, args, db)?;
    let observed = context
        .observed
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let Observed { image, base } = observed.context("the image analysis left no result")?;
    origin::annotate(&mut report.findings, &base);
    report.warnings.extend(setup.warnings.iter().cloned());
    if !setup.known.is_empty() {
        catalogue_findings(&mut report, &base, &image, setup, db)?;
        output::apply_severity_filter(&mut report, &args.out.severity)?;
        report.finish();
    }
    Ok(ImageScan {
        report,
        image,
        base,
    })
}

/// With a catalogue: an image on a base it does not allow is a finding (IMG010), and a smaller
/// allowed base of the same OS family with fewer findings is recommended (IMG009).
fn catalogue_findings(
    report: &mut Report,
    base: &BaseDetection,
    image: &ImageInfo,
    setup: &Setup,
    db: &Database,
) -> Result<()> {
    let asset = report.target.name.clone();
    if base.allowed.is_none() {
        let mut f = recommend::not_allowed_finding(base, &asset);
        origin::annotate(std::slice::from_mut(&mut f), base);
        report.findings.push(f);
    }
    let mut candidates = Vec::new();
    for k in setup.known.iter() {
        let Some(a) = &k.analysis else { continue };
        let inv = &a.inventory;
        let outcome =
            rampart_vuln::match_packages(db, &inv.packages, inv.os.as_ref(), &k.entry.name)?;
        candidates.push(Candidate::from_analysis(
            &k.entry.name,
            a,
            outcome.findings.len(),
        ));
    }
    let current = match &base.allowed {
        Some(name) => candidates.iter().find(|c| &c.name == name).cloned(),
        None => Candidate::from_base_layers(
            base,
            image,
            report.target.os.as_ref(),
            &report.packages,
            &report.findings,
        ),
    };
    if let Some(r) = current.and_then(|c| recommend::recommend(&c, &candidates)) {
        let mut f = r.to_finding(&asset);
        origin::annotate(std::slice::from_mut(&mut f), base);
        report.findings.push(f);
    }
    Ok(())
}

/// Runs `rampart image …`.
pub fn run(a: &ImageArgs) -> Result<ExitCode> {
    if let Some(ImageCommand::Compare(c)) = &a.command {
        return compare(c);
    }
    let Some(reference) = a.reference.as_deref() else {
        bail!("an image reference is needed (or `rampart image compare A B`)");
    };
    let format = a.scan.out.format()?;
    let db = open_db(&a.scan.db.clone().unwrap_or_else(default_db_path))?;
    let setup = Setup::new(&a.image, a.scan.out.quiet)?;
    let scan = scan_image(reference, &setup, &a.scan, &db)?;
    output::write_report(&scan.report, format, &a.scan.out)?;
    if matches!(format, rampart_report::Format::Table) {
        let mut text = Vec::new();
        base_section(&mut text, &scan)?;
        write_extra(&text, &a.scan.out)?;
    }
    output::exit_code(&scan.report, &a.scan.out)
}

/// The base-image lines under the table: base, layer split, findings by origin.
fn base_section(w: &mut dyn Write, scan: &ImageScan) -> std::io::Result<()> {
    let b = &scan.base;
    let name = b.name.clone().unwrap_or_else(|| "not recognised".into());
    let allowed = match &b.allowed {
        Some(a) if Some(a) != b.name.as_ref() => format!(" (allowed base {a})"),
        Some(_) => " (allowed base)".into(),
        None => String::new(),
    };
    let how: Vec<String> = b
        .methods
        .iter()
        .map(|m| {
            serde_json::to_value(m)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        })
        .collect();
    writeln!(w)?;
    writeln!(w, "Base image: {name}{allowed}")?;
    writeln!(w, "  {} [{}]", b.layer_split(), how.join(", "))?;
    let s = OriginSummary::of(&scan.report.findings, b);
    writeln!(
        w,
        "  findings from the base: {}; added by the image: {}",
        OriginSummary::describe(&s.base),
        OriginSummary::describe(&s.added)
    )?;
    if let Some(r) = scan.report.findings.iter().find(|f| f.rule_id == "IMG009") {
        writeln!(w, "  recommendation: {}", r.remediation)?;
    }
    Ok(())
}

/// Appends text after the report: to --output when given, else standard output.
fn write_extra(text: &[u8], out: &crate::output::OutputArgs) -> Result<()> {
    match &out.output {
        Some(path) => {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .with_context(|| format!("appending to {}", path.display()))?;
            f.write_all(text)?;
        }
        None => std::io::stdout().lock().write_all(text)?,
    }
    Ok(())
}

/// Runs `rampart image compare A B`.
fn compare(c: &CompareArgs) -> Result<ExitCode> {
    let format = c.scan.out.format()?;
    let db = open_db(&c.scan.db.clone().unwrap_or_else(default_db_path))?;
    let setup = Setup::new(&c.image, c.scan.out.quiet)?;
    let a = scan_image(&c.a, &setup, &c.scan, &db).with_context(|| format!("scanning {}", c.a))?;
    let b = scan_image(&c.b, &setup, &c.scan, &db).with_context(|| format!("scanning {}", c.b))?;
    let side = |s: &ImageScan| {
        (
            s.report.target.os.clone(),
            s.report.packages.clone(),
            s.report.findings.clone(),
        )
    };
    let (sa, sb) = (side(&a), side(&b));
    let comparison: Comparison = rampart_image::compare::compare(
        &Scanned {
            image: &a.image,
            os: sa.0.as_ref(),
            packages: &sa.1,
            findings: &sa.2,
            base: Some(&a.base),
        },
        &Scanned {
            image: &b.image,
            os: sb.0.as_ref(),
            packages: &sb.1,
            findings: &sb.2,
            base: Some(&b.base),
        },
    );
    let mut text = Vec::new();
    match format {
        rampart_report::Format::Json => {
            serde_json::to_writer_pretty(&mut text, &comparison)?;
            text.push(b'\n');
        }
        rampart_report::Format::Table => comparison.write_table(&mut text, c.list)?,
        other => bail!("image compare writes table or json, not {other:?}"),
    }
    match &c.scan.out.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().lock().write_all(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A secret hit with the layer that holds the file.
struct LayerHit {
    hit: rampart_secret::SecretHit,
    layer: u32,
    layer_digest: String,
}

/// Hands every layer file the secret scanner wants to it, remembering the layer.
struct LayerSecrets<'a> {
    scanner: &'a rampart_secret::Scanner,
    hits: Vec<LayerHit>,
}

impl FileVisitor for LayerSecrets<'_> {
    fn wants(&mut self, file: &LayerFile) -> bool {
        self.scanner.wants(file.path, file.size)
    }

    fn visit(&mut self, file: &LayerFile, content: &[u8]) {
        for hit in self.scanner.scan(file.path, content) {
            self.hits.push(LayerHit {
                hit,
                layer: file.layer,
                layer_digest: file.layer_digest.to_string(),
            });
        }
    }
}

/// Analyses the image (from the cache when it was analysed before and no layer content is needed),
/// and returns the report (target, config and secret findings, warnings) and the packages.
pub fn inventory(
    reference: &str,
    platform: Option<&str>,
    context: &ImageContext,
    scanners: &Scanners,
    secrets: Option<SecretCollector>,
) -> Result<(Report, Vec<Package>)> {
    let started = Instant::now();
    let r = ImageRef::parse(reference).with_context(|| format!("image reference {reference:?}"))?;
    let known = &context.known;
    let opts = AnalyzeOptions {
        platform: self::platform(platform)?,
        registry: context.registry.clone(),
        ..AnalyzeOptions::default()
    };
    let cache = Cache::new(Cache::default_dir());
    let mut layer_hits = Vec::new();
    let analysis = match &secrets {
        // Secrets need the layer contents, so the layers are read (and the cache refreshed).
        Some(collector) => {
            let mut visitor = LayerSecrets {
                scanner: collector.scanner(),
                hits: Vec::new(),
            };
            let a = rampart_image::analyze(&r, &opts, Some(&mut visitor))
                .with_context(|| format!("analysing {reference}"))?;
            if let Err(e) = cache.put(&a) {
                eprintln!("warning: cannot cache the analysis of {reference}: {e}");
            }
            layer_hits = visitor.hits;
            a
        }
        None => {
            rampart_image::analyze_cached(&r, &opts, &cache)
                .with_context(|| format!("analysing {reference}"))?
                .0
        }
    };
    let mut report = Report::new(
        analysis.image.asset(analysis.inventory.os.as_ref()),
        env!("CARGO_PKG_VERSION"),
    );
    report.time("catalog", started.elapsed());
    report.warnings.extend(analysis.inventory.warnings.clone());
    let base = analysis.detect_base(known);
    if scanners.config {
        report
            .findings
            .extend(analysis.config_findings_with_base(&base));
    }
    let asset = report.target.name.clone();
    for h in &layer_hits {
        let deleted = analysis
            .image
            .deleted_files
            .iter()
            .find(|d| d.path == h.hit.path && d.layer == h.layer);
        let mut layer = format!("layer {} ({})", h.layer, h.layer_digest);
        if let Some(d) = deleted {
            layer.push_str(&format!(
                "; deleted by layer {}, but still in the image",
                d.deleted_by
            ));
        }
        let mut f = h.hit.to_finding(&asset, Some(&layer));
        // The same file may hold the same secret in several layers: keep them apart.
        f.id = rampart_core::Fingerprint::of(&[f.id.as_str(), &h.layer_digest]);
        report.findings.push(f);
    }
    *context.observed.lock().unwrap_or_else(|e| e.into_inner()) = Some(Observed {
        image: analysis.image.clone(),
        base,
    });
    Ok((report, analysis.inventory.packages))
}
