//! Findings: one shape for every kind of problem Rampart reports.

use crate::fingerprint::Fingerprint;
use crate::package::{Location, Package};
use crate::severity::Severity;
use serde::{Deserialize, Serialize};

/// What kind of problem a finding is. Later blocks add their kinds here; the model admits them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    Vulnerability,
    Misconfiguration,
    Secret,
    Entitlement,
    RuntimeAlert,
    Drift,
    License,
}

/// A fact that supports a finding: where it was seen and what was seen there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What this piece of evidence shows, in a few words ("installed package", "lockfile entry", …).
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The observed value (masked where it is a secret).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// A control of a compliance framework that a finding maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    pub framework: String,
    pub id: String,
}

/// A CVSS rating from one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `3.1`, `4.0`, …
    pub version: String,
    pub vector: String,
    pub score: f64,
    /// Who rated it (the advisory source).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// The CISA Known Exploited Vulnerabilities entry for a CVE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kev {
    pub date_added: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Known to be used in ransomware campaigns.
    #[serde(default)]
    pub ransomware: bool,
}

/// FIRST EPSS: probability of exploitation in the next 30 days, and its percentile among all CVEs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    pub score: f32,
    pub percentile: f32,
}

/// Whether a fix exists for the affected package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version exists (see `fixed_versions`).
    Fixed,
    /// No fixed version is published yet.
    NotFixed,
    /// The distribution decided not to fix it (Debian `<no-dsa>`, `<ignored>`, end-of-life).
    WontFix,
}

/// Vulnerability-specific facts of a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityInfo {
    /// The primary id (a CVE where one exists).
    pub id: String,
    /// Every other id of the same vulnerability (GHSA, PYSEC, RUSTSEC, DSA, …), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub package: Package,
    pub installed_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    pub fix_state: FixState,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<Cvss>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<Kev>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    /// Advisory sources that reported it (`osv:PyPI`, `debian-dsa`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

/// Where a suppression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionSource {
    Vex,
    IgnoreFile,
    IgnoreUnfixed,
    /// An annotation on the resource itself (`rampart.dev/ignore`).
    Annotation,
}

/// Why a finding is suppressed. Suppressed findings are kept in the JSON report (with this reason) but not
/// counted, shown in tables or used for the exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub source: SuppressionSource,
    /// VEX status or ignore rule.
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub justification: String,
    /// The document or file that suppressed it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub origin: String,
}

/// One problem on one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable fingerprint of (kind, rule, subject).
    pub id: Fingerprint,
    pub kind: FindingKind,
    /// The rule or vulnerability id that fired (CVE-…, a check id, a rule name).
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// The asset (target) it was found on.
    pub asset: String,
    /// What inside the asset the finding is about, when that is narrower than the asset: a resource
    /// address (`aws_s3_bucket.logs`, `Deployment/prod/web`), a file path, a process.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<VulnerabilityInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remediation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// A vulnerability finding for `info.package` on `asset`. The fingerprint covers the vulnerability id,
    /// the package identity and where it was found.
    pub fn vulnerability(
        asset: &str,
        title: String,
        severity: Severity,
        info: VulnerabilityInfo,
    ) -> Finding {
        let pkg = &info.package;
        let place = pkg.locations.first().map(|l| l.path.as_str()).unwrap_or("");
        let eco = pkg.ecosystem.to_string();
        let id = Fingerprint::of(&[
            "vulnerability",
            &info.id,
            &eco,
            &pkg.name,
            &pkg.version,
            place,
        ]);
        let remediation = match info.fix_state {
            FixState::Fixed => format!(
                "Upgrade {} to {}",
                pkg.name,
                info.fixed_versions.join(" or ")
            ),
            FixState::NotFixed => "No fixed version is available yet".to_string(),
            FixState::WontFix => "The distribution will not fix this".to_string(),
        };
        let evidence = pkg
            .locations
            .iter()
            .map(|l| Evidence {
                label: "package found".into(),
                location: Some(l.clone()),
                detail: format!("{} {}", pkg.name, pkg.version),
            })
            .collect();
        Finding {
            id,
            kind: FindingKind::Vulnerability,
            rule_id: info.id.clone(),
            title,
            severity,
            asset: asset.to_string(),
            subject: String::new(),
            vulnerability: Some(info),
            evidence,
            controls: Vec::new(),
            remediation,
            suppressed: None,
        }
    }

    /// A finding of any non-vulnerability kind: `rule_id` fired on `subject` inside `asset`. The
    /// fingerprint covers kind, rule, asset and subject, so the same check on the same resource keeps
    /// its id across scans. Add evidence, controls and remediation with the `with_*` methods.
    pub fn new(
        kind: FindingKind,
        rule_id: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
        asset: impl Into<String>,
        subject: impl Into<String>,
    ) -> Finding {
        let rule_id = rule_id.into();
        let asset = asset.into();
        let subject = subject.into();
        let kind_name = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        Finding {
            id: Fingerprint::of(&[&kind_name, &rule_id, &asset, &subject]),
            kind,
            rule_id,
            title: title.into(),
            severity,
            asset,
            subject,
            vulnerability: None,
            evidence: Vec::new(),
            controls: Vec::new(),
            remediation: String::new(),
            suppressed: None,
        }
    }

    /// Adds one piece of evidence.
    pub fn with_evidence(
        mut self,
        label: impl Into<String>,
        location: Option<Location>,
        detail: impl Into<String>,
    ) -> Finding {
        self.evidence.push(Evidence {
            label: label.into(),
            location,
            detail: detail.into(),
        });
        self
    }

    /// Adds a framework control this finding maps to.
    pub fn with_control(mut self, framework: impl Into<String>, id: impl Into<String>) -> Finding {
        self.controls.push(Control {
            framework: framework.into(),
            id: id.into(),
        });
        self
    }

    /// Sets the remediation text.
    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Finding {
        self.remediation = remediation.into();
        self
    }

    pub fn is_suppressed(&self) -> bool {
        self.suppressed.is_some()
    }

    /// The sort key tables and reports use: most severe first, then known-exploited, then EPSS.
    pub fn priority_key(&self) -> (Severity, bool, u32) {
        let (kev, epss) = match &self.vulnerability {
            Some(v) => (
                v.kev.is_some(),
                v.epss.map(|e| (e.score * 1_000_000.0) as u32).unwrap_or(0),
            ),
            None => (false, 0),
        };
        (self.severity, kev, epss)
    }
}
