//! Per-image rows and per-base counts of a multi-image scan (`rampart registry scan`), carried in
//! the JSON report next to the merged findings.

use crate::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a multi-image scan saw, image by image and base by base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImagesRollup {
    /// One row per distinct image (manifest digest), in scan order.
    pub images: Vec<ImageRow>,
    /// Images per detected base, most used first (only with a base catalogue).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bases: Vec<BaseCount>,
    /// Recommended base upgrades, those that apply to most images first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub upgrades: Vec<Upgrade>,
}

/// One image of a multi-image scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageRow {
    /// The first reference the image was found under.
    pub reference: String,
    /// Its other references (tags of the same digest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// Manifest digest.
    pub digest: String,
    /// Packages found.
    pub packages: usize,
    /// Findings by severity (suppressed ones not counted; before any `--severity` filter).
    pub by_severity: BTreeMap<Severity, usize>,
    /// The detected base, when one is recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<ImageBase>,
    /// Findings from the base's layers and from the layers added on top.
    pub findings_in_base: usize,
    pub findings_added: usize,
    /// Whether the analysis came from the cache (no layer pulled).
    pub cached: bool,
    /// Why the image could not be analysed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An image's detected base, judged against the catalogue when one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageBase {
    pub name: String,
    /// Whether it is a catalogue (allowed) base; absent without a catalogue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<bool>,
    /// The image's bottom layers that are the base's.
    pub layers: u32,
    /// How it was recognised (`annotation`, `catalog-layers`, `registry-layers`, `history-cmd`, …).
    pub methods: Vec<String>,
    /// The allowed base recommended instead, when there is a better one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommended: Option<String>,
}

/// Images on one base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BaseCount {
    /// The base's name.
    pub name: String,
    /// Whether the base is a catalogue entry.
    pub allowed: bool,
    /// Images on it.
    pub images: usize,
    /// Of which on an older build of it.
    pub older_build: usize,
    /// Of which with a recommended upgrade.
    pub upgrade: usize,
    /// Of which on an outdated base (either).
    pub outdated: usize,
}

/// One recommended upgrade and the images it applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Upgrade {
    /// The base in use.
    pub from: String,
    /// The allowed base recommended.
    pub to: String,
    /// Images it applies to.
    pub images: usize,
    /// Findings the upgrade removes, over those images.
    pub fewer_findings: usize,
}
