//! `rampart image REF`: the image source of the scan pipeline.

use crate::scan::{Scanners, SecretCollector};
use anyhow::{Context, Result};
use rampart_core::{Package, Report};
use rampart_image::{AnalyzeOptions, Cache, FileVisitor, ImageRef, LayerFile, Platform};
use std::time::Instant;

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
    insecure: bool,
    scanners: &Scanners,
    secrets: Option<SecretCollector>,
) -> Result<(Report, Vec<Package>)> {
    let started = Instant::now();
    let r = ImageRef::parse(reference).with_context(|| format!("image reference {reference:?}"))?;
    let opts = AnalyzeOptions {
        platform: match platform {
            Some(p) => Platform::parse(p).with_context(|| format!("--platform {p:?}"))?,
            None => Platform::host(),
        },
        registry: rampart_image::RegistryOptions {
            insecure,
            ..Default::default()
        },
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
    if scanners.config {
        report.findings.extend(analysis.config_findings());
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
    Ok((report, analysis.inventory.packages))
}
