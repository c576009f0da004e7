//! The catalogue's verdict on one image's base — allowed or not (IMG010), an older build of the
//! allowed base it names, the recommended upgrade (IMG009) — and the summary of many verdicts
//! (a registry's images by base). `rampart image` and `rampart registry scan` share it.

use super::recommend::{self, Candidate, Recommendation};
use super::{BaseDetection, BaseMethod, origin};
use crate::model::ImageInfo;
use rampart_core::{Finding, OsRelease, Package};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;

/// What the trusted-base catalogue says about one image's base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseVerdict {
    /// The detected base.
    pub detection: BaseDetection,
    /// The base as the recommendation weighed it (the catalogue entry, else the image's base
    /// layers); `None` when no base was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Candidate>,
    /// The allowed base recommended instead, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Recommendation>,
}

impl BaseVerdict {
    /// Judges an image's detected base against the catalogue's analysed entries (`candidates`,
    /// each with its finding count). `findings` are the image's own (for the base-layer count
    /// when the base is no analysed entry).
    pub fn judge(
        detection: &BaseDetection,
        image: &ImageInfo,
        os: Option<&OsRelease>,
        packages: &[Package],
        findings: &[Finding],
        candidates: &[Candidate],
    ) -> BaseVerdict {
        let layers = || Candidate::from_base_layers(detection, image, os, packages, findings);
        let current = match &detection.allowed {
            Some(name) => candidates
                .iter()
                .find(|c| &c.name == name)
                .cloned()
                .or_else(|| {
                    layers().map(|mut c| {
                        c.name.clone_from(name);
                        c
                    })
                }),
            None => layers(),
        };
        let recommendation = current
            .as_ref()
            .and_then(|c| recommend::recommend(c, candidates));
        BaseVerdict {
            detection: detection.clone(),
            current,
            recommendation,
        }
    }

    /// The image names an allowed base (annotation) whose current layers it does not have: it was
    /// built on an older build of that base.
    pub fn older_build(&self) -> bool {
        let m = &self.detection.methods;
        m.contains(&BaseMethod::CatalogName) && !m.contains(&BaseMethod::CatalogLayers)
    }

    /// On an older build of its base, or a better allowed base exists.
    pub fn outdated(&self) -> bool {
        self.older_build() || self.recommendation.is_some()
    }

    /// The base's name for summaries: the allowed entry, else the detected name.
    pub fn base_name(&self) -> String {
        let d = &self.detection;
        d.allowed
            .clone()
            .or_else(|| d.name.clone())
            .unwrap_or_else(|| "not recognised".into())
    }

    /// The catalogue's findings for `asset`: IMG010 when the base is not allowed, IMG009 with the
    /// recommendation; each with its `image origin` evidence.
    pub fn findings(&self, asset: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.detection.allowed.is_none() {
            out.push(recommend::not_allowed_finding(&self.detection, asset));
        }
        if let Some(r) = &self.recommendation {
            out.push(r.to_finding(asset));
        }
        origin::annotate(&mut out, &self.detection);
        out
    }
}

pub use rampart_core::{BaseCount, Upgrade};

/// Many images' verdicts, by base (in the JSON report as [`BaseSummary::rollup`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseSummary {
    /// Images counted.
    pub images: usize,
    /// Images per base name.
    pub bases: BTreeMap<String, BaseCount>,
    /// Recommended upgrades, by (from, to).
    pub upgrades: BTreeMap<(String, String), Upgrade>,
}

impl BaseSummary {
    /// Counts one image.
    pub fn add(&mut self, v: &BaseVerdict) {
        self.images += 1;
        let name = v.base_name();
        let c = self.bases.entry(name.clone()).or_insert_with(|| BaseCount {
            name,
            ..BaseCount::default()
        });
        c.allowed = v.detection.allowed.is_some();
        c.images += 1;
        c.older_build += usize::from(v.older_build());
        c.upgrade += usize::from(v.recommendation.is_some());
        c.outdated += usize::from(v.outdated());
        if let Some(r) = &v.recommendation {
            let key = (r.current.name.clone(), r.recommended.name.clone());
            let u = self.upgrades.entry(key).or_insert_with(|| Upgrade {
                from: r.current.name.clone(),
                to: r.recommended.name.clone(),
                images: 0,
                fewer_findings: 0,
            });
            u.images += 1;
            u.fewer_findings += r.current.findings.saturating_sub(r.recommended.findings);
        }
    }

    /// Images on an outdated base (older build, or an upgrade recommended).
    pub fn outdated(&self) -> usize {
        self.bases.values().map(|c| c.outdated).sum()
    }

    /// The `n` upgrades that apply to most images (then remove most findings).
    pub fn top_upgrades(&self, n: usize) -> Vec<&Upgrade> {
        let mut v: Vec<&Upgrade> = self.upgrades.values().collect();
        v.sort_by(|a, b| {
            (b.images, b.fewer_findings, &a.from, &a.to).cmp(&(
                a.images,
                a.fewer_findings,
                &b.from,
                &b.to,
            ))
        });
        v.truncate(n);
        v
    }

    /// The bases, most used first (then by name).
    pub fn by_use(&self) -> Vec<&BaseCount> {
        let mut rows: Vec<&BaseCount> = self.bases.values().collect();
        rows.sort_by(|a, b| b.images.cmp(&a.images).then(a.name.cmp(&b.name)));
        rows
    }

    /// The bases (most used first) and every upgrade (most applicable first), for the JSON report.
    pub fn rollup(&self) -> (Vec<BaseCount>, Vec<Upgrade>) {
        (
            self.by_use().into_iter().cloned().collect(),
            self.top_upgrades(usize::MAX).into_iter().cloned().collect(),
        )
    }

    /// The table: images per base (most first), outdated counts, the top `n` upgrades.
    pub fn write_table(&self, w: &mut dyn Write, n: usize) -> std::io::Result<()> {
        let rows = self.by_use();
        let width = rows
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(w, "Base images ({} images):", self.images)?;
        writeln!(
            w,
            "  {:<width$}  ALLOWED  IMAGES  OLDER BUILD  UPGRADE",
            "BASE"
        )?;
        for c in rows {
            writeln!(
                w,
                "  {:<width$}  {:<7}  {:>6}  {:>11}  {:>7}",
                c.name,
                if c.allowed { "yes" } else { "no" },
                c.images,
                c.older_build,
                c.upgrade
            )?;
        }
        writeln!(
            w,
            "  on an outdated base: {} of {} images",
            self.outdated(),
            self.images
        )?;
        let top = self.top_upgrades(n);
        if !top.is_empty() {
            writeln!(w, "Top recommended upgrades:")?;
            for u in top {
                writeln!(
                    w,
                    "  {} → {}: {} image{}, {} fewer findings in all",
                    u.from,
                    u.to,
                    u.images,
                    if u.images == 1 { "" } else { "s" },
                    u.fewer_findings
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(
        allowed: Option<&str>,
        methods: Vec<BaseMethod>,
        rec: Option<(usize, usize)>,
    ) -> BaseVerdict {
        let cand = |name: &str, findings| Candidate {
            name: name.into(),
            os: Some("debian".into()),
            size: 1,
            packages: 1,
            findings,
        };
        BaseVerdict {
            detection: BaseDetection {
                name: Some("debian 12".into()),
                allowed: allowed.map(String::from),
                layers: 1,
                total_layers: 2,
                methods,
                ..BaseDetection::default()
            },
            current: None,
            recommendation: rec.map(|(cur, to)| Recommendation {
                current: cand(allowed.unwrap_or("debian 12"), cur),
                recommended: cand("slim", to),
            }),
        }
    }

    #[test]
    fn summary_counts_bases_outdated_images_and_upgrades() {
        let mut s = BaseSummary::default();
        s.add(&verdict(
            Some("full"),
            vec![BaseMethod::CatalogLayers],
            Some((10, 2)),
        ));
        s.add(&verdict(
            Some("full"),
            vec![BaseMethod::CatalogLayers],
            Some((10, 2)),
        ));
        s.add(&verdict(
            Some("slim"),
            vec![
                BaseMethod::Annotation,
                BaseMethod::CatalogName,
                BaseMethod::HistoryCmd,
            ],
            None,
        ));
        s.add(&verdict(None, vec![BaseMethod::OsRelease], None));
        assert_eq!(s.images, 4);
        assert_eq!(s.bases["full"].images, 2);
        assert_eq!(s.bases["slim"].older_build, 1);
        assert!(!s.bases["debian 12"].allowed);
        assert_eq!(s.outdated(), 3);
        let top = s.top_upgrades(5);
        assert_eq!(top.len(), 1);
        assert_eq!((top[0].images, top[0].fewer_findings), (2, 16));
        let mut t = Vec::new();
        s.write_table(&mut t, 5).unwrap();
        let t = String::from_utf8(t).unwrap();
        assert!(t.contains("on an outdated base: 3 of 4 images"), "{t}");
        assert!(
            t.contains("full → slim: 2 images, 16 fewer findings in all"),
            "{t}"
        );
        let v = verdict(None, vec![BaseMethod::OsRelease], None);
        let rules: Vec<String> = v.findings("img").into_iter().map(|f| f.rule_id).collect();
        assert_eq!(rules, ["IMG010"]);
    }
}
