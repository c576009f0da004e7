//! One image analysis: resolve the image in its source, stream every layer once through the squashed
//! view, the catalog feed and an optional file visitor, and assemble the inventory and image model.

use crate::cache::Cache;
use crate::error::{ImageError, Result};
use crate::feed::CatalogFeed;
use crate::fs::{FsView, NodeKind};
use crate::layer::{self, Entry, EntryKind, LayerCheck};
use crate::limits::{Budget, Limits};
use crate::model::{DeletedFile, ImageInfo, LayerInfo, SpecialFile};
use crate::reference::{ImageRef, Platform};
use crate::source::{self, ImageSource, RegistryOptions, Resolved};
use crate::visitor::{FileVisitor, LayerFile};
use rampart_catalog::{FileMeta, Inventory, Mode};
use rampart_core::ScanWarning;
use std::io::Read;

/// Special files listed in the image model at most.
const MAX_SPECIAL_FILES: usize = 10_000;

/// How to analyse an image.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Which image of a multi-platform index; default: this machine's.
    pub platform: Platform,
    /// Resource bounds.
    pub limits: Limits,
    /// Which catalogers run; images are installed systems, so `Rootfs`.
    pub mode: Mode,
    /// How registries are reached (`--insecure`, credentials).
    pub registry: RegistryOptions,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            platform: Platform::host(),
            limits: Limits::default(),
            mode: Mode::Rootfs,
            registry: RegistryOptions::default(),
        }
    }
}

/// The result of analysing an image: its packages (each with the layer that introduced it) and its model.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The image model.
    pub image: ImageInfo,
    /// Packages, OS and warnings, ready for the vulnerability matcher.
    pub inventory: Inventory,
    /// The squashed file tree (which layer wrote each path's final version); `None` when the analysis
    /// came from the cache. Not stored.
    pub view: Option<FsView>,
}

impl Analysis {
    /// The image configuration findings ([`crate::checks`]), with the default base-layer count.
    pub fn config_findings(&self) -> Vec<rampart_core::Finding> {
        crate::checks::check_image(&self.image, &crate::checks::CheckOptions::default())
    }

    /// Detects the image's base ([`crate::base::detect`]) against the known bases of a catalogue.
    pub fn detect_base(
        &self,
        known: &[crate::base::catalog::KnownBase],
    ) -> crate::base::BaseDetection {
        crate::base::detect(&self.image, self.inventory.os.as_ref(), known)
    }

    /// The image configuration findings, with the base layers a detection found (setuid files of
    /// the base are not the image author's).
    pub fn config_findings_with_base(
        &self,
        base: &crate::base::BaseDetection,
    ) -> Vec<rampart_core::Finding> {
        let opts = crate::checks::CheckOptions {
            base_layers: base.layers,
        };
        crate::checks::check_image(&self.image, &opts)
    }
}

/// Opens the source `reference` names and analyses the image.
pub fn analyze(
    reference: &ImageRef,
    opts: &AnalyzeOptions,
    visitor: Option<&mut dyn FileVisitor>,
) -> Result<Analysis> {
    let source = source::open_with(reference, &opts.registry)?;
    let mut analysis = analyze_source(source.as_ref(), opts, visitor)?;
    name_after(&mut analysis, reference);
    Ok(analysis)
}

/// Like [`analyze`], but answers from `cache` when the image (by config digest) was analysed before —
/// then only the manifest and config are read — and stores fresh analyses. Returns whether the
/// answer came from the cache. Content scanners need the layers, so this takes no visitor.
pub fn analyze_cached(
    reference: &ImageRef,
    opts: &AnalyzeOptions,
    cache: &Cache,
) -> Result<(Analysis, bool)> {
    let source = source::open_with(reference, &opts.registry)?;
    let (mut analysis, cached) = analyze_source_cached(source.as_ref(), opts, cache)?;
    name_after(&mut analysis, reference);
    Ok((analysis, cached))
}

/// [`analyze_cached`] on an open source. A source with a cheap [`ImageSource::cache_key`] (a
/// registry's manifest digest) is answered from the cache without reading any blob. Only analyses
/// under the default [`Limits`] are stored, and limits raised above them bypass the cache
/// ([`Limits::cacheable`], [`Limits::answered_by_cache`]).
pub fn analyze_source_cached(
    source: &dyn ImageSource,
    opts: &AnalyzeOptions,
    cache: &Cache,
) -> Result<(Analysis, bool)> {
    let from_cache = opts.limits.answered_by_cache();
    if from_cache
        && let Some(key) = source.cache_key(&opts.platform)?
        && let Some(mut hit) = cache.get_by_manifest(&key)
    {
        hit.image.reference = source.describe();
        return Ok((hit, true));
    }
    let resolved = source.resolve(&opts.platform)?;
    if from_cache && let Some(mut hit) = cache.get(&resolved.config_digest) {
        hit.image.repo_tags = resolved.repo_tags;
        hit.image.tag = hit.image.repo_tags.first().map(|t| tag_of(t));
        return Ok((hit, true));
    }
    let analysis = analyze_source(source, opts, None)?;
    if opts.limits.cacheable() {
        cache.put(&analysis)?;
    }
    Ok((analysis, false))
}

/// Names the analysis after the reference the user gave.
fn name_after(analysis: &mut Analysis, reference: &ImageRef) {
    analysis.image.reference = reference.to_string();
    if let Some(tag) = reference.tag() {
        analysis.image.tag = Some(tag.to_string());
    }
}

/// The tag of `repo:tag` (or the whole name, for OCI reference names that are just a tag).
fn tag_of(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':')
        .map_or(last, |(_, tag)| tag)
        .to_string()
}

/// Analyses the image a source resolves to.
pub fn analyze_source(
    source: &dyn ImageSource,
    opts: &AnalyzeOptions,
    visitor: Option<&mut dyn FileVisitor>,
) -> Result<Analysis> {
    let resolved = source.resolve(&opts.platform)?;
    let limits = &opts.limits;
    if resolved.layers.len() > limits.max_layers {
        return Err(ImageError::Limit(format!(
            "{} layers, more than {}",
            resolved.layers.len(),
            limits.max_layers
        )));
    }
    let created_by = resolved.config.layer_history(resolved.layers.len());
    let mut warnings = Vec::new();
    let config_platform = Platform {
        os: resolved.config.os.clone(),
        architecture: resolved.config.architecture.clone(),
        variant: resolved.config.variant.clone(),
    };
    if !config_platform.os.is_empty() && !opts.platform.matches(&config_platform) {
        warnings.push(ScanWarning {
            path: String::new(),
            line: None,
            message: format!(
                "the image is for {config_platform}, not the requested {}; analysed anyway",
                opts.platform
            ),
        });
    }
    let mut state = WalkState {
        fs: FsView::new(),
        feed: CatalogFeed::new(opts.mode, limits.max_file_size),
        deleted: Vec::new(),
        warnings: Vec::new(),
        limits,
        visitor,
    };
    let mut budget = Budget::new(limits);
    let mut layers = Vec::with_capacity(resolved.layers.len());
    for (i, blob) in resolved.layers.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        let check = LayerCheck {
            index,
            digest: blob.digest.clone(),
            size: blob.size,
            diff_id: Some(blob.diff_id.clone()),
        };
        let reader = source.open_layer(blob)?;
        let stats = layer::walk_layer(
            reader,
            &check,
            limits,
            &mut budget,
            &mut warnings,
            &mut |entry, content| state.on_entry(index, &blob.diff_id, entry, content),
        )?;
        layers.push(LayerInfo {
            index,
            digest: blob.digest.clone(),
            diff_id: blob.diff_id.clone(),
            media_type: blob.media_type.clone(),
            size: stats.stored_bytes,
            uncompressed_size: stats.uncompressed_bytes,
            entries: stats.entries,
            created_by: created_by.get(i).cloned().flatten(),
        });
    }
    let WalkState {
        fs,
        feed,
        deleted,
        warnings: entry_warnings,
        ..
    } = state;
    let mut inventory = feed.finish(&fs, &layers, limits.max_link_hops);
    inventory.warnings.extend(warnings);
    inventory.warnings.extend(entry_warnings);
    inventory.warnings.sort();
    inventory.warnings.dedup();
    let image = image_info(source.describe(), resolved, layers, &fs, deleted);
    Ok(Analysis {
        image,
        inventory,
        view: Some(fs),
    })
}

/// What the per-entry callback updates.
struct WalkState<'a, 'v> {
    fs: FsView,
    feed: CatalogFeed,
    deleted: Vec<DeletedFile>,
    warnings: Vec<ScanWarning>,
    limits: &'a Limits,
    visitor: Option<&'v mut dyn FileVisitor>,
}

impl WalkState<'_, '_> {
    fn on_entry(
        &mut self,
        layer: u32,
        diff_id: &crate::Digest,
        entry: &Entry,
        content: &mut dyn Read,
    ) -> Result<()> {
        let mut removed = Vec::new();
        self.fs.apply(layer, entry, &mut removed);
        for r in removed {
            self.feed.touched(layer, &r.path);
            if !r.dir && self.deleted.len() < self.limits.max_deleted_listed {
                self.deleted.push(DeletedFile {
                    path: r.path,
                    layer: r.layer,
                    deleted_by: layer,
                });
            }
        }
        let meta = FileMeta {
            path: &entry.path,
            size: entry.size,
            executable: entry.mode & 0o111 != 0,
        };
        match &entry.kind {
            EntryKind::File => {}
            EntryKind::Hardlink(target) => {
                self.feed.hardlink(layer, &meta, target);
                return Ok(());
            }
            EntryKind::Whiteout(_) | EntryKind::Opaque(_) => return Ok(()),
            _ => {
                self.feed.touched(layer, &entry.path);
                return Ok(());
            }
        }
        let file = LayerFile {
            layer,
            layer_digest: diff_id,
            path: &entry.path,
            size: entry.size,
            mode: entry.mode,
        };
        let catalog = self.feed.wants(&meta);
        let visit = match self.visitor.as_deref_mut() {
            Some(v) => v.wants(&file),
            None => false,
        };
        if catalog.is_none() && !visit {
            self.feed.touched(layer, &entry.path);
            return Ok(());
        }
        let limit = catalog
            .unwrap_or(0)
            .max(if visit { self.limits.max_file_size } else { 0 })
            .min(self.limits.max_file_size);
        if entry.size > limit {
            if self.warnings.len() < crate::layer::MAX_WARNINGS {
                self.warnings.push(ScanWarning {
                path: entry.path.clone(),
                line: None,
                message: format!(
                    "layer {layer}: {} bytes, larger than the {limit}-byte read limit; not read",
                    entry.size
                ),
            });
            }
            self.feed.touched(layer, &entry.path);
            return Ok(());
        }
        let bytes = read_content(layer, diff_id, entry, content)?;
        if catalog.is_some() {
            self.feed.file(layer, &meta, &bytes);
        } else {
            self.feed.touched(layer, &entry.path);
        }
        if let (true, Some(v)) = (visit, self.visitor.as_deref_mut()) {
            v.visit(&file, &bytes);
        }
        Ok(())
    }
}

/// Reads a wanted file's content (its size was checked against the limits).
fn read_content(
    layer: u32,
    diff_id: &crate::Digest,
    entry: &Entry,
    content: &mut dyn Read,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0));
    content
        .take(entry.size)
        .read_to_end(&mut bytes)
        .map_err(|e| ImageError::Layer {
            index: layer,
            digest: diff_id.to_string(),
            message: format!("{}: {e}", entry.path),
        })?;
    Ok(bytes)
}

/// Builds the image model from the resolved image, the walked layers and the squashed view.
fn image_info(
    reference: String,
    resolved: Resolved,
    layers: Vec<LayerInfo>,
    fs: &FsView,
    deleted_files: Vec<DeletedFile>,
) -> ImageInfo {
    let config = resolved.config;
    let cc = config.config.unwrap_or_default();
    let special_files = fs
        .iter()
        .filter_map(|(path, node)| {
            let dir = match node.kind {
                NodeKind::File => false,
                NodeKind::Dir => true,
                _ => return None,
            };
            let f = SpecialFile {
                path: path.to_string(),
                mode: node.mode,
                dir,
                uid: node.uid,
                layer: node.layer,
            };
            (f.is_setid() || f.is_world_writable()).then_some(f)
        })
        .take(MAX_SPECIAL_FILES)
        .collect();
    let tag = resolved.repo_tags.first().map(|t| {
        let last = t.rsplit('/').next().unwrap_or(t);
        last.split_once(':')
            .map_or(last, |(_, tag)| tag)
            .to_string()
    });
    ImageInfo {
        reference,
        tag,
        manifest_digest: resolved.manifest_digest,
        config_digest: resolved.config_digest,
        platform: Platform {
            os: config.os,
            architecture: config.architecture,
            variant: config.variant,
        },
        created: config.created,
        repo_tags: resolved.repo_tags,
        layers,
        history: config.history,
        user: cc.user.filter(|u| !u.is_empty()),
        env: cc.env.unwrap_or_default(),
        exposed_ports: cc
            .exposed_ports
            .map(|p| p.into_keys().collect())
            .unwrap_or_default(),
        healthcheck: cc.healthcheck.map(|h| h.test),
        entrypoint: cc.entrypoint.unwrap_or_default(),
        cmd: cc.cmd.unwrap_or_default(),
        labels: cc.labels.unwrap_or_default(),
        annotations: resolved.annotations,
        special_files,
        deleted_files,
        paths: fs.len() as u64,
    }
}
