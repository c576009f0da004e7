//! Recommending a base: of the allowed bases with the same OS family as the current one and fewer
//! findings, the smallest (stored size, then findings, then packages).

use rampart_core::{Finding, FindingKind, OsRelease, Severity};
use serde::{Deserialize, Serialize};

/// A base image as the recommendation weighs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Catalogue name, or the detected base's name.
    pub name: String,
    /// OS family (`debian`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Stored size of its layers in bytes.
    pub size: u64,
    /// Packages.
    pub packages: usize,
    /// Findings (vulnerabilities, unsuppressed).
    pub findings: usize,
}

/// The recommended base and the one it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The base in use (or what detection saw of it).
    pub current: Candidate,
    /// The allowed base recommended instead.
    pub recommended: Candidate,
}

impl Candidate {
    /// An analysed catalogue image with its finding count.
    pub fn from_analysis(name: &str, analysis: &crate::Analysis, findings: usize) -> Candidate {
        Candidate {
            name: name.to_string(),
            os: analysis.inventory.os.as_ref().map(os_family),
            size: analysis.image.size(),
            packages: analysis.inventory.packages.len(),
            findings,
        }
    }

    /// The detected base layers of a scanned image, weighed like a catalogue entry: their size,
    /// the packages they introduced, and the unsuppressed vulnerabilities of those packages.
    /// `None` when no base was recognised.
    pub fn from_base_layers(
        base: &crate::base::BaseDetection,
        image: &crate::ImageInfo,
        os: Option<&OsRelease>,
        packages: &[rampart_core::Package],
        findings: &[Finding],
    ) -> Option<Candidate> {
        use crate::base::origin::{Origin, origin_of};
        (base.layers > 0).then(|| Candidate {
            name: base.name.clone().unwrap_or_else(|| "detected base".into()),
            os: os.map(os_family),
            size: image
                .layers
                .iter()
                .take(base.layers as usize)
                .map(|l| l.size)
                .sum(),
            packages: packages
                .iter()
                .filter(|p| {
                    p.layer
                        .as_ref()
                        .is_some_and(|l| base.is_base_layer(l.index))
                })
                .count(),
            findings: findings
                .iter()
                .filter(|f| f.kind == FindingKind::Vulnerability && f.suppressed.is_none())
                .filter(|f| origin_of(f, base) == Origin::Base)
                .count(),
        })
    }
}

/// The OS family of an os-release: its `ID` (`debian`), or the first `ID_LIKE`.
pub fn os_family(os: &OsRelease) -> String {
    os.id.to_ascii_lowercase()
}

fn same_family(a: Option<&str>, b: Option<&str>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

/// The smallest candidate with the current base's OS family and fewer findings, if any.
pub fn recommend(current: &Candidate, allowed: &[Candidate]) -> Option<Recommendation> {
    allowed
        .iter()
        .filter(|c| c.name != current.name)
        .filter(|c| same_family(c.os.as_deref(), current.os.as_deref()))
        .filter(|c| c.findings < current.findings)
        .min_by_key(|c| (c.size, c.findings, c.packages))
        .map(|c| Recommendation {
            current: current.clone(),
            recommended: c.clone(),
        })
}

impl Recommendation {
    /// The recommendation as a finding (`IMG009`, low), so every output format carries it.
    pub fn to_finding(&self, asset: &str) -> Finding {
        let (cur, rec) = (&self.current, &self.recommended);
        Finding::new(
            FindingKind::Misconfiguration,
            "IMG009",
            "A smaller allowed base image has fewer findings",
            Severity::Low,
            asset,
            format!("base:{}", rec.name),
        )
        .with_evidence(
            "current base",
            None,
            format!(
                "{}: {} findings, {} packages, {}",
                cur.name,
                cur.findings,
                cur.packages,
                human_size(cur.size)
            ),
        )
        .with_evidence(
            "recommended base",
            None,
            format!(
                "{}: {} findings, {} packages, {}",
                rec.name,
                rec.findings,
                rec.packages,
                human_size(rec.size)
            ),
        )
        .with_remediation(format!(
            "Rebuild on the allowed base {} ({} fewer findings, {} fewer packages).",
            rec.name,
            cur.findings - rec.findings,
            cur.packages as i64 - rec.packages as i64
        ))
    }
}

/// The finding for an image whose base the catalogue does not allow (`IMG010`, medium).
pub fn not_allowed_finding(base: &crate::base::BaseDetection, asset: &str) -> Finding {
    let name = base.name.as_deref().unwrap_or("not recognised");
    Finding::new(
        FindingKind::Misconfiguration,
        "IMG010",
        "Base image is not in the trusted-base catalogue",
        Severity::Medium,
        asset,
        "base",
    )
    .with_evidence(
        "detected base",
        None,
        format!("{name}; {}", base.layer_split()),
    )
    .with_remediation(
        "Build on one of the allowed base images of the catalogue (its layers must be the image's \
         bottom layers), or add this base to the catalogue once it is vetted.",
    )
}

/// `12.3 MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, os: &str, size: u64, findings: usize) -> Candidate {
        Candidate {
            name: name.into(),
            os: Some(os.into()),
            size,
            packages: findings * 10,
            findings,
        }
    }

    #[test]
    fn picks_the_smallest_same_family_base_with_fewer_findings() {
        let current = c("debian-full", "debian", 100, 20);
        let allowed = [
            c("debian-full", "debian", 100, 20),
            c("alpine", "alpine", 5, 0),
            c("debian-slim", "debian", 40, 5),
            c("debian-tiny-but-worse", "debian", 10, 30),
            c("debian-distroless", "debian", 20, 2),
        ];
        let r = recommend(&current, &allowed).unwrap();
        assert_eq!(r.recommended.name, "debian-distroless");
        let f = r.to_finding("img");
        assert_eq!(f.rule_id, "IMG009");
        assert!(
            f.remediation.contains("18 fewer findings"),
            "{}",
            f.remediation
        );
        assert!(recommend(&c("x", "debian", 1, 0), &allowed).is_none());
        assert_eq!(human_size(48_213_000), "48.2 MB");
    }
}
