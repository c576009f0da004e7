//! Splitting an image's findings into those of its base layers and those its own layers added.
//!
//! A vulnerability belongs to the layer that introduced its package; a file finding (secret,
//! setuid, world-writable) to the layer named in its evidence (`layer 2 (sha256:…)`); a
//! configuration finding (USER, ENV, EXPOSE, tag) to the image's own config, so to the added part.

use super::BaseDetection;
use rampart_core::{Evidence, Finding, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The evidence label carrying a finding's origin.
pub const ORIGIN_LABEL: &str = "image origin";

/// Where a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The base image's layers.
    Base,
    /// The image's own layers or config.
    Added,
}

impl Origin {
    /// `base` or `added`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Base => "base",
            Origin::Added => "added",
        }
    }
}

/// The layer a finding is about, when it is about one.
pub fn finding_layer(f: &Finding) -> Option<u32> {
    if let Some(v) = &f.vulnerability {
        return v.package.layer.as_ref().map(|l| l.index);
    }
    f.evidence
        .iter()
        .find_map(|e| layer_number(&e.label).or_else(|| layer_number(&e.detail)))
}

/// `N` of a text starting `layer N`.
fn layer_number(text: &str) -> Option<u32> {
    let rest = text.strip_prefix("layer ")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest.get(..end)?.parse().ok()
}

/// The origin of one finding.
pub fn origin_of(f: &Finding, base: &BaseDetection) -> Origin {
    match finding_layer(f) {
        Some(l) if base.is_base_layer(l) => Origin::Base,
        _ => Origin::Added,
    }
}

/// Adds an `image origin` evidence entry (`base` or `added`) to every finding.
pub fn annotate(findings: &mut [Finding], base: &BaseDetection) {
    for f in findings {
        if f.evidence.iter().any(|e| e.label == ORIGIN_LABEL) {
            continue;
        }
        let origin = origin_of(f, base);
        f.evidence.push(Evidence {
            label: ORIGIN_LABEL.into(),
            location: None,
            detail: origin.as_str().into(),
        });
    }
}

/// Finding counts by severity on each side of the base boundary (suppressed findings left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginSummary {
    /// Findings of the base layers.
    pub base: BTreeMap<Severity, usize>,
    /// Findings of the added layers and the config.
    pub added: BTreeMap<Severity, usize>,
}

impl OriginSummary {
    /// Counts `findings`.
    pub fn of(findings: &[Finding], base: &BaseDetection) -> OriginSummary {
        let mut s = OriginSummary::default();
        for f in findings.iter().filter(|f| f.suppressed.is_none()) {
            let side = match origin_of(f, base) {
                Origin::Base => &mut s.base,
                Origin::Added => &mut s.added,
            };
            *side.entry(f.severity).or_default() += 1;
        }
        s
    }

    /// `12 (C:1 H:3 M:8)`: the total and the non-zero severities.
    pub fn describe(counts: &BTreeMap<Severity, usize>) -> String {
        let total: usize = counts.values().sum();
        let parts: Vec<String> = Severity::ALL_DESCENDING
            .iter()
            .filter_map(|s| {
                let n = counts.get(s).copied().unwrap_or(0);
                (n > 0).then(|| format!("{}:{n}", initial(*s)))
            })
            .collect();
        if parts.is_empty() {
            total.to_string()
        } else {
            format!("{total} ({})", parts.join(" "))
        }
    }
}

fn initial(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "C",
        Severity::High => "H",
        Severity::Medium => "M",
        Severity::Low => "L",
        Severity::Negligible => "N",
        Severity::Unknown => "U",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::FindingKind;

    fn finding(evidence: &str) -> Finding {
        Finding::new(FindingKind::Secret, "r", "t", Severity::High, "img", "s")
            .with_evidence("layer", None, evidence)
    }

    #[test]
    fn file_findings_follow_their_layer_and_config_findings_are_added() {
        let base = BaseDetection {
            layers: 1,
            total_layers: 3,
            ..BaseDetection::default()
        };
        let mut fs = vec![
            finding("layer 0 (sha256:ab)"),
            finding("layer 2 (sha256:cd); deleted by layer 3"),
            Finding::new(
                FindingKind::Misconfiguration,
                "IMG001",
                "t",
                Severity::Low,
                "i",
                "s",
            )
            .with_evidence("image config", None, "no USER"),
        ];
        assert_eq!(layer_number("layer 12 (x)"), Some(12));
        assert_eq!(layer_number("layers"), None);
        annotate(&mut fs, &base);
        let origins: Vec<&str> = fs
            .iter()
            .map(|f| f.evidence.last().unwrap().detail.as_str())
            .collect();
        assert_eq!(origins, ["base", "added", "added"]);
        let s = OriginSummary::of(&fs, &base);
        assert_eq!(OriginSummary::describe(&s.base), "1 (H:1)");
        assert_eq!(OriginSummary::describe(&s.added), "2 (H:1 L:1)");
        annotate(&mut fs, &base);
        assert_eq!(fs[0].evidence.len(), 2, "annotating twice adds nothing");
    }
}
