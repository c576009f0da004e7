//! `rampart image REF` (the image source of the scan pipeline, with base-image detection, the
//! base/added split of findings and base recommendations), `rampart image compare A B` and
//! `rampart image base pin CATALOG` (pins a trusted-base catalogue's layers and digests).
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
use rampart_image::base::catalog::{BaseCatalog, KnownBase, PinState};
use rampart_image::base::origin::{self, OriginSummary};
use rampart_image::base::recommend::Candidate;
use rampart_image::base::verdict::BaseVerdict;
use rampart_image::compare::{Comparison, Scanned};
use rampart_image::{
    AnalyzeOptions, Cache, FileVisitor, ImageInfo, ImageRef, LayerFile, Limits, Platform,
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
    Compare(Box<CompareArgs>),
    /// The trusted-base catalogue: `rampart image base pin CATALOG [--check]`.
    #[command(subcommand)]
    Base(BaseCommand),
}

/// `rampart image base …`.
#[derive(Debug, Subcommand)]
pub enum BaseCommand {
    /// Resolve each catalogue entry's reference (`ref`, else `image`: registry, OCI layout,
    /// archive; manifest and config only) and write its diff_ids and digest into the file, so
    /// matching is reproducible offline. With --check, write nothing: list entries whose pinned
    /// layers no longer match their reference and exit 1 if any.
    Pin(PinArgs),
}

/// Flags of `rampart image base pin`.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// The catalogue file (rewritten in place; comments are not kept).
    pub catalog: PathBuf,
    /// Only compare: exit 1 when a pinned entry's layers changed upstream (or are not pinned).
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub source: SourceArgs,
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
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Trusted-base catalogue (YAML list of allowed base images): detects the base by its layers,
    /// flags images on other bases and recommends a smaller allowed base with fewer findings.
    #[arg(long, value_name = "FILE")]
    pub base_catalog: Option<PathBuf>,
}

/// How images are reached: platform, plain HTTP, credentials.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
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
}

/// Bounds on what analysing one image may read (hostile images, decompression bombs). SIZE takes
/// K, M, G or T (powers of 1024). Cached analyses are answered without reading layers, so the
/// bounds apply when an image is first analysed.
#[derive(Debug, Args, Clone, Default)]
pub struct LimitArgs {
    /// Uncompressed bytes over all layers of one image (default 64G); an image expanding to more
    /// stops with an error naming the layer where the budget ran out.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Image limits")]
    pub max_image_bytes: Option<u64>,
    /// Tar entries over all layers of one image (default 4000000); more stop with an error naming
    /// the layer.
    #[arg(long, value_name = "N", help_heading = "Image limits")]
    pub max_files: Option<u64>,
    /// Largest file read into memory for a cataloger or the secret scanner (default 128M); larger
    /// files are skipped with a warning naming the layer and the path.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Image limits")]
    pub max_file_size: Option<u64>,
}

impl LimitArgs {
    /// The default [`Limits`] with the given bounds.
    pub fn limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(n) = self.max_image_bytes {
            l.max_total_bytes = n;
        }
        if let Some(n) = self.max_files {
            l.max_files = n;
        }
        if let Some(n) = self.max_file_size {
            l.max_file_size = n;
        }
        l
    }
}

/// `1024`, `512K`, `64M`, `2G`, `1T` (powers of 1024; a trailing `B`/`iB` is allowed).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 4096, 512K, 64M, 2G)"))?;
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        other => return Err(format!("{s:?}: unknown unit {other:?} (K, M, G, T)")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

impl ImageOptions {
    /// Analysis options: platform, registry access and limits.
    pub fn analyze_options(&self) -> Result<AnalyzeOptions> {
        self.source.analyze_options_with(&self.limits)
    }
}

impl SourceArgs {
    /// Analysis options: the platform, registry access and `limits`.
    pub fn analyze_options_with(&self, limits: &LimitArgs) -> Result<AnalyzeOptions> {
        Ok(AnalyzeOptions {
            limits: limits.limits(),
            ..self.analyze_options()?
        })
    }

    /// Analysis options: the platform and registry access.
    pub fn analyze_options(&self) -> Result<AnalyzeOptions> {
        Ok(AnalyzeOptions {
            platform: platform(self.platform.as_deref())?,
            registry: crate::registry_cmd::registry_options(
                self.insecure,
                self.username.as_deref(),
                self.password_stdin,
            )?,
            ..AnalyzeOptions::default()
        })
    }
}

/// What `inventory` needs beyond the pipeline's arguments (platform, registry access, limits, the
/// trusted bases), and what it learnt.
pub struct ImageContext {
    analyze: AnalyzeOptions,
    known: Arc<Vec<KnownBase>>,
    observed: Mutex<Option<Observed>>,
}

impl ImageContext {
    /// A context for analysing images with `analyze`, detecting bases among `known`.
    pub fn new(analyze: AnalyzeOptions, known: Arc<Vec<KnownBase>>) -> ImageContext {
        ImageContext {
            analyze,
            known,
            observed: Mutex::new(None),
        }
    }
}

impl std::fmt::Debug for ImageContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageContext")
            .field("platform", &self.analyze.platform)
            .field("insecure", &self.analyze.registry.insecure)
            .field("limits", &self.analyze.limits)
            .field("known_bases", &self.known.len())
            .finish_non_exhaustive()
    }
}

/// What one image analysis learnt besides packages and findings.
struct Observed {
    image: ImageInfo,
    base: BaseDetection,
}

/// Credentials and the resolved catalogue (each analysed entry matched once against the
/// database), shared by the images of one command.
pub(crate) struct Setup {
    pub(crate) analyze: AnalyzeOptions,
    pub(crate) known: Arc<Vec<KnownBase>>,
    /// The analysed catalogue entries with their finding counts.
    candidates: Vec<Candidate>,
    pub(crate) warnings: Vec<rampart_core::ScanWarning>,
}

impl Setup {
    /// With `stash`, every registry client of the run (the catalogue's and the caller's) shares
    /// downloaded blobs.
    pub(crate) fn new(
        opts: &ImageOptions,
        quiet: bool,
        db: &Database,
        stash: Option<Arc<rampart_image::BlobStash>>,
    ) -> Result<Setup> {
        let mut analyze = opts.analyze_options()?;
        analyze.registry.stash = stash;
        let mut setup = Setup {
            analyze,
            known: Arc::new(Vec::new()),
            candidates: Vec::new(),
            warnings: Vec::new(),
        };
        if let Some(path) = &opts.base_catalog {
            let catalog = BaseCatalog::load(path)
                .with_context(|| format!("--base-catalog {}", path.display()))?;
            let (known, warnings) =
                catalog.resolve(&setup.analyze, &Cache::new(Cache::default_dir()));
            if !quiet {
                for w in &warnings {
                    eprintln!("warning: {}: {}", w.path, w.message);
                }
            }
            for k in &known {
                let Some(a) = &k.analysis else { continue };
                let inv = &a.inventory;
                let outcome = rampart_vuln::match_packages(
                    db,
                    &inv.packages,
                    inv.os.as_ref(),
                    &k.entry.name,
                )?;
                setup.candidates.push(Candidate::from_analysis(
                    &k.entry.name,
                    a,
                    outcome.findings.len(),
                ));
            }
            setup.known = Arc::new(known);
            setup.warnings = warnings;
        }
        Ok(setup)
    }

    /// Whether a catalogue was given.
    pub(crate) fn has_catalogue(&self) -> bool {
        !self.known.is_empty()
    }

    /// With a catalogue: judges the image's base and adds the catalogue's findings (IMG010 for a
    /// base it does not allow, IMG009 for a recommended upgrade) to `report`, whose findings are
    /// the image's. Without one: `None`.
    pub(crate) fn judge(
        &self,
        report: &mut Report,
        base: &BaseDetection,
        image: &ImageInfo,
    ) -> Option<BaseVerdict> {
        if !self.has_catalogue() {
            return None;
        }
        let verdict = BaseVerdict::judge(
            base,
            image,
            report.target.os.as_ref(),
            &report.packages,
            &report.findings,
            &self.candidates,
        );
        let asset = report.target.name.clone();
        report.findings.extend(verdict.findings(&asset));
        Some(verdict)
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
    let context = Arc::new(ImageContext::new(
        setup.analyze.clone(),
        setup.known.clone(),
    ));
    let target = Target::Image {
        reference: reference.to_string(),
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
    if setup.judge(&mut report, &base, &image).is_some() {
        output::apply_severity_filter(&mut report, &args.out.severity)?;
        report.finish();
    }
    Ok(ImageScan {
        report,
        image,
        base,
    })
}

/// Runs `rampart image …`.
pub fn run(a: &ImageArgs) -> Result<ExitCode> {
    match &a.command {
        Some(ImageCommand::Compare(c)) => return compare(c),
        Some(ImageCommand::Base(BaseCommand::Pin(p))) => return pin(p),
        None => {}
    }
    let Some(reference) = a.reference.as_deref() else {
        bail!("an image reference is needed (or `rampart image compare A B`)");
    };
    let format = a.scan.out.format()?;
    let db = open_db(&a.scan.db.clone().unwrap_or_else(default_db_path))?;
    let setup = Setup::new(&a.image, a.scan.out.quiet, &db, None)?;
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
    let setup = Setup::new(&c.image, c.scan.out.quiet, &db, None)?;
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

/// Runs `rampart image base pin CATALOG [--check]`.
fn pin(p: &PinArgs) -> Result<ExitCode> {
    let path = &p.catalog;
    let mut catalog =
        BaseCatalog::load(path).with_context(|| format!("base catalogue {}", path.display()))?;
    let opts = p.source.analyze_options()?;
    let short = |d: &[rampart_image::Digest]| {
        let n = d.len();
        format!("{n} layer{}", if n == 1 { "" } else { "s" })
    };
    let digest = |d: &Option<rampart_image::Digest>| {
        d.as_ref()
            .map_or_else(|| "no manifest digest".into(), |d| d.short())
    };
    let mut out = std::io::stdout().lock();
    if !p.check {
        let before = catalog.clone();
        let states = catalog.pin(&opts)?;
        for ((name, state), (old, new)) in
            states.iter().zip(before.bases.iter().zip(&catalog.bases))
        {
            let what = match state {
                None => "skipped (no `ref` or `image`)".to_string(),
                Some(PinState::Current) => format!(
                    "unchanged ({}, {})",
                    short(&new.diff_ids),
                    digest(&new.digest)
                ),
                Some(PinState::Unpinned) => {
                    format!("pinned {}, {}", short(&new.diff_ids), digest(&new.digest))
                }
                Some(PinState::DigestChanged) => format!(
                    "re-pinned digest {} → {} (same layers)",
                    digest(&old.digest),
                    digest(&new.digest)
                ),
                Some(PinState::LayersChanged) => format!(
                    "re-pinned: {} → {}, {} → {} (updated upstream)",
                    short(&old.diff_ids),
                    short(&new.diff_ids),
                    digest(&old.digest),
                    digest(&new.digest)
                ),
            };
            writeln!(out, "{name}: {what}")?;
        }
        if catalog.bases != before.bases {
            catalog
                .save(path)
                .with_context(|| format!("writing {}", path.display()))?;
            writeln!(out, "wrote {}", path.display())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (mut stale, mut failed) = (0, 0);
    for entry in &catalog.bases {
        let name = &entry.name;
        let Some(pin) = catalog.fetch_pin(entry, &opts) else {
            writeln!(out, "{name}: skipped (no `ref` or `image`)")?;
            continue;
        };
        let pin = match pin {
            Ok(p) => p,
            Err(e) => {
                failed += 1;
                writeln!(
                    out,
                    "{name}: cannot resolve {:?}: {e}",
                    entry.pinnable().unwrap_or("")
                )?;
                continue;
            }
        };
        let line = match pin.state_of(entry) {
            PinState::Current => "current".to_string(),
            PinState::DigestChanged => format!(
                "digest changed {} → {}, same layers (matching unaffected)",
                digest(&entry.digest),
                digest(&pin.digest)
            ),
            PinState::Unpinned => {
                stale += 1;
                "not pinned (run `rampart image base pin`)".to_string()
            }
            PinState::LayersChanged => {
                stale += 1;
                format!(
                    "CHANGED upstream: pinned {} ({}), reference now has {} ({})",
                    short(&entry.diff_ids),
                    digest(&entry.digest),
                    short(&pin.diff_ids),
                    digest(&pin.digest)
                )
            }
        };
        writeln!(out, "{name}: {line}")?;
    }
    if failed > 0 {
        bail!(
            "{failed} catalogue entr{} could not be resolved",
            if failed == 1 { "y" } else { "ies" }
        );
    }
    Ok(if stale > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
/// and returns the report (target, config and secret findings, warnings) and the packages. The
/// image branch of [`crate::scan::inventory`], which `rampart image`, `rampart image compare` and
/// `rampart sbom` share.
pub fn inventory(
    reference: &str,
    context: &ImageContext,
    scanners: &Scanners,
    secrets: Option<SecretCollector>,
) -> Result<(Report, Vec<Package>)> {
    let started = Instant::now();
    let r = ImageRef::parse(reference).with_context(|| format!("image reference {reference:?}"))?;
    let known = &context.known;
    let opts = &context.analyze;
    let cache = Cache::new(Cache::default_dir());
    let mut layer_hits = Vec::new();
    let analysis = match &secrets {
        // Secrets need the layer contents, so the layers are read (and the cache refreshed).
        Some(collector) => {
            let mut visitor = LayerSecrets {
                scanner: collector.scanner(),
                hits: Vec::new(),
            };
            let a = rampart_image::analyze(&r, opts, Some(&mut visitor))
                .with_context(|| format!("analysing {reference}"))?;
            // Under other than the default limits, not an analysis later runs may reuse.
            if opts.limits.cacheable()
                && let Err(e) = cache.put(&a)
            {
                eprintln!("warning: cannot cache the analysis of {reference}: {e}");
            }
            layer_hits = visitor.hits;
            a
        }
        None => {
            rampart_image::analyze_cached(&r, opts, &cache)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert!(parse_size("2X").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn limit_flags_override_only_what_they_name() {
        // The defaults the flags' help texts and docs/images.md state.
        let d = Limits::default();
        assert_eq!(
            (d.max_total_bytes, d.max_files, d.max_file_size),
            (64 << 30, 4_000_000, 128 << 20)
        );
        let l = LimitArgs {
            max_files: Some(10),
            ..LimitArgs::default()
        }
        .limits();
        assert_eq!(l.max_files, 10);
        assert_eq!(
            Limits {
                max_files: d.max_files,
                ..l
            },
            d
        );
    }
}
