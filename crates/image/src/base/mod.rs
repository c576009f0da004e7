//! Base-image detection: which bottom layers of an image come from its base image, from (in order of
//! trust) a trusted-base catalogue entry whose layers are a prefix of the image's, the
//! `org.opencontainers.image.base.name`/`.digest` annotations, the config history, and the OS
//! release. [`origin`] splits findings into base and added layers; [`recommend`] picks a smaller
//! allowed base; [`verdict`] is the catalogue's judgement of one image and the summary of many.

pub mod catalog;
pub mod history;
pub mod origin;
pub mod recommend;
pub mod verdict;

use crate::model::ImageInfo;
use catalog::KnownBase;
use history::HistoryRule;
use rampart_core::OsRelease;
use serde::{Deserialize, Serialize};

/// The annotation (manifest) or label (config) naming the base image.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// The annotation or label with the base image's manifest digest.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// How a base was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaseMethod {
    /// The base-name/base-digest annotation or label.
    Annotation,
    /// A catalogue entry's layers are the image's bottom layers.
    CatalogLayers,
    /// The annotation names a catalogue entry (whose layers differ: another build of it).
    CatalogName,
    /// The history's `CMD`/`ENTRYPOINT` boundary.
    HistoryCmd,
    /// The history's leading root-filesystem import.
    HistoryRootfs,
    /// The OS release: the bottom layer holds the OS.
    OsRelease,
    /// Another image of the same registry scan: its layers are the image's bottom layers.
    RegistryLayers,
}

/// What detection found: the base's name when known, and how many bottom layers are the base's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BaseDetection {
    /// The base image's name (annotation, catalogue entry, or OS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The base's manifest digest, from the annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The allowed base (catalogue entry) it is, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    /// Bottom layers that are the base's (0: no base recognised).
    pub layers: u32,
    /// Layers of the image.
    pub total_layers: u32,
    /// How: every method that contributed.
    pub methods: Vec<BaseMethod>,
}

impl BaseDetection {
    /// Whether layer `index` is a base layer.
    pub fn is_base_layer(&self, index: u32) -> bool {
        index < self.layers
    }

    /// `layers 0–1 base, 2–4 added`, for tables.
    pub fn layer_split(&self) -> String {
        let range = |a: u32, b: u32| {
            if a == b {
                format!("layer {a}")
            } else {
                format!("layers {a}–{b}")
            }
        };
        match (self.layers, self.total_layers) {
            (_, 0) => "no layers".into(),
            (0, t) => format!("{} added (no base recognised)", range(0, t - 1)),
            (b, t) if b >= t => format!("{} base (the image is a base image)", range(0, t - 1)),
            (b, t) => format!("{} base, {} added", range(0, b - 1), range(b, t - 1)),
        }
    }
}

/// Detects the base of `image` (its OS from the analysis, the known bases from a catalogue).
pub fn detect(image: &ImageInfo, os: Option<&OsRelease>, known: &[KnownBase]) -> BaseDetection {
    let total = u32::try_from(image.layers.len()).unwrap_or(u32::MAX);
    let mut d = BaseDetection {
        total_layers: total,
        ..BaseDetection::default()
    };
    let lookup = |key: &str| {
        image
            .annotations
            .get(key)
            .or_else(|| image.labels.get(key))
            .filter(|v| !v.trim().is_empty())
            .cloned()
    };
    d.name = lookup(BASE_NAME);
    d.digest = lookup(BASE_DIGEST);
    if d.name.is_some() || d.digest.is_some() {
        d.methods.push(BaseMethod::Annotation);
    }
    // The longest catalogue entry whose layers are the image's bottom layers.
    let by_layers = known
        .iter()
        .filter(|k| !k.diff_ids.is_empty() && k.diff_ids.len() <= image.layers.len())
        .filter(|k| {
            k.diff_ids
                .iter()
                .zip(&image.layers)
                .all(|(a, l)| *a == l.diff_id)
        })
        .max_by_key(|k| k.diff_ids.len());
    if let Some(k) = by_layers {
        d.layers = u32::try_from(k.diff_ids.len()).unwrap_or(u32::MAX);
        d.allowed = Some(k.entry.name.clone());
        d.name.get_or_insert_with(|| k.entry.name.clone());
        d.methods.push(BaseMethod::CatalogLayers);
        return d;
    }
    if let Some(k) = known
        .iter()
        .find(|k| k.is_named(d.name.as_deref(), d.digest.as_deref()))
    {
        d.allowed = Some(k.entry.name.clone());
        d.methods.push(BaseMethod::CatalogName);
    }
    if let Some((n, rule)) = history::base_layers(&image.history, image.layers.len()) {
        d.layers = n;
        d.methods.push(match rule {
            HistoryRule::CmdBoundary => BaseMethod::HistoryCmd,
            HistoryRule::RootfsImport => BaseMethod::HistoryRootfs,
        });
    } else if let Some(os) = os
        && total > 0
    {
        d.layers = 1;
        d.methods.push(BaseMethod::OsRelease);
        d.name.get_or_insert_with(|| os.display_name());
    }
    if d.name.is_none()
        && d.layers > 0
        && let Some(os) = os
    {
        d.name = Some(os.display_name());
    }
    d
}

/// Another image seen in the same scan, as a candidate base.
#[derive(Debug, Clone, Copy)]
pub struct Sibling<'a> {
    /// Its reference (`host/repo:tag`).
    pub name: &'a str,
    /// Its layers.
    pub diff_ids: &'a [crate::digest::Digest],
}

/// Refines `d` (from [`detect`]) with the other images of a registry scan: the longest sibling
/// whose layers are exactly `image`'s bottom layers (strictly fewer) is its base. That is exact
/// evidence, so it replaces the history and OS guesses unless they already claim more layers (the
/// sibling is then an older ancestor); a catalogue match by layers is never overridden. An
/// annotation's base name is kept, otherwise the sibling names the base.
pub fn match_siblings(d: &mut BaseDetection, image: &ImageInfo, siblings: &[Sibling<'_>]) {
    if d.methods.contains(&BaseMethod::CatalogLayers) {
        return;
    }
    let best = siblings
        .iter()
        .filter(|s| !s.diff_ids.is_empty() && s.diff_ids.len() < image.layers.len())
        .filter(|s| {
            s.diff_ids
                .iter()
                .zip(&image.layers)
                .all(|(a, l)| *a == l.diff_id)
        })
        .max_by(|a, b| {
            a.diff_ids
                .len()
                .cmp(&b.diff_ids.len())
                .then_with(|| b.name.cmp(a.name))
        });
    let Some(s) = best else { return };
    let n = u32::try_from(s.diff_ids.len()).unwrap_or(u32::MAX);
    if n < d.layers {
        return;
    }
    d.layers = n;
    d.methods.retain(|m| {
        !matches!(
            m,
            BaseMethod::HistoryCmd | BaseMethod::HistoryRootfs | BaseMethod::OsRelease
        )
    });
    d.methods.push(BaseMethod::RegistryLayers);
    if !d.methods.contains(&BaseMethod::Annotation) {
        d.name = Some(s.name.to_string());
    }
}

#[cfg(test)]
mod tests;
