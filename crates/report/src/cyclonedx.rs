//! CycloneDX 1.6 JSON: the target as the BOM's subject, every package as a component (the operating
//! system too), and the vulnerability findings with their ratings, fixes and VEX-style analysis.

use crate::{RenderError, RenderOptions};
use rampart_core::{
    AssetKind, Cvss, Finding, Package, Report, Severity, Suppression, SuppressionSource,
    VulnerabilityInfo,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";
const ROOT_REF: &str = "rampart-target";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    ty: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct LicenseChoice {
    license: NamedLicense,
}

#[derive(Serialize)]
struct NamedLicense {
    name: String,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct Vulnerability {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: String,
    source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    ratings: Vec<Rating>,
    description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    recommendation: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    affects: Vec<Affects>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Source {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Reference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Analysis {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    detail: String,
}

#[derive(Serialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

/// Writes the report as a CycloneDX 1.6 BOM. Vulnerabilities below `opts.min_severity` are left
/// out; suppressed ones are kept with an `analysis` saying why.
pub fn render(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let packages = inventory(report);
    let (mut components, refs) = package_components(&packages);
    if let Some(os) = os_component(report) {
        components.insert(0, os);
    }
    let depends_on: Vec<String> = components
        .iter()
        .filter_map(|c| c.bom_ref.clone())
        .collect();
    let vulnerabilities = report
        .findings
        .iter()
        .filter(|f| f.severity >= opts.min_severity)
        .filter_map(|f| Some((f, f.vulnerability.as_ref()?)))
        .map(|(f, v)| vulnerability(f, v, &refs, &packages))
        .collect();
    let bom = Bom {
        schema: SCHEMA,
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!(
            "urn:uuid:{}",
            crate::stable_uuid(&[&report.target.name, &report.created_at])
        ),
        version: 1,
        metadata: metadata(report),
        components,
        dependencies: vec![Dependency {
            reference: ROOT_REF.to_string(),
            depends_on,
        }],
        vulnerabilities,
    };
    serde_json::to_writer_pretty(&mut *out, &bom)?;
    writeln!(out)?;
    Ok(())
}

/// The report's packages, plus any package a finding names that the inventory lacks, so that every
/// `affects` entry points at a component.
fn inventory(report: &Report) -> Vec<&Package> {
    let mut packages: Vec<&Package> = report.packages.iter().collect();
    for f in &report.findings {
        if let Some(v) = &f.vulnerability {
            let known = packages
                .iter()
                .any(|p| **p == v.package || p.purl == v.package.purl);
            if !known {
                packages.push(&v.package);
            }
        }
    }
    packages
}

fn metadata(report: &Report) -> Metadata {
    let ty = match report.target.kind {
        AssetKind::Image => "container",
        AssetKind::Host => "device",
        AssetKind::Rootfs
        | AssetKind::Filesystem
        | AssetKind::Sbom
        | AssetKind::Resource
        | AssetKind::Kubernetes
        | AssetKind::Node
        | AssetKind::Iac
        | AssetKind::Cloud => "application",
    };
    Metadata {
        timestamp: crate::utc_seconds(&report.created_at),
        tools: Tools {
            components: vec![Component {
                ty: "application",
                name: report.scanner.name.clone(),
                version: Some(report.scanner.version.clone()),
                ..Component::default()
            }],
        },
        component: Component {
            bom_ref: Some(ROOT_REF.to_string()),
            ty,
            name: report.target.name.clone(),
            ..Component::default()
        },
    }
}

/// The operating system of the target as an `operating-system` component.
fn os_component(report: &Report) -> Option<Component> {
    let os = report.target.os.as_ref()?;
    Some(Component {
        bom_ref: Some(format!(
            "os:{}@{}",
            os.id,
            os.version_id.as_deref().unwrap_or("")
        )),
        ty: "operating-system",
        name: os.id.clone(),
        version: os.version_id.clone(),
        description: os.pretty_name.clone(),
        ..Component::default()
    })
}

/// One `library` component per package, with `bom-ref` = purl (`#2`, `#3`, … appended when two
/// packages share a purl). Also returns each package's bom-ref, in package order.
fn package_components(packages: &[&Package]) -> (Vec<Component>, Vec<String>) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refs = Vec::with_capacity(packages.len());
    let mut components = Vec::with_capacity(packages.len());
    for p in packages {
        let n = seen.entry(p.purl.as_str()).or_insert(0);
        *n += 1;
        let base = if p.purl.is_empty() {
            format!("{}:{}@{}", p.ecosystem, p.name, p.version)
        } else {
            p.purl.clone()
        };
        let bom_ref = if *n == 1 { base } else { format!("{base}#{n}") };
        refs.push(bom_ref.clone());
        let mut properties: Vec<Property> = p
            .locations
            .iter()
            .map(|l| property("rampart:location", l.to_string()))
            .collect();
        properties.push(property("rampart:ecosystem", p.ecosystem.to_string()));
        if let Some(src) = &p.source {
            properties.push(property("rampart:source-package", src.name.clone()));
            if let Some(v) = &src.version {
                properties.push(property("rampart:source-version", v.clone()));
            }
        }
        if let Some(layer) = &p.layer {
            properties.push(property("rampart:layer-digest", layer.digest.clone()));
        }
        components.push(Component {
            bom_ref: Some(bom_ref),
            ty: "library",
            name: p.name.clone(),
            version: (!p.version.is_empty()).then(|| p.version.clone()),
            purl: (!p.purl.is_empty()).then(|| p.purl.clone()),
            licenses: p
                .licenses
                .iter()
                .map(|l| LicenseChoice {
                    license: NamedLicense { name: l.clone() },
                })
                .collect(),
            properties,
            ..Component::default()
        });
    }
    (components, refs)
}

fn property(name: &str, value: String) -> Property {
    Property {
        name: name.to_string(),
        value,
    }
}

/// The bom-ref of the component for `pkg`: the report's package of the same identity, or the purl.
fn component_ref(pkg: &Package, refs: &[String], packages: &[&Package]) -> String {
    packages
        .iter()
        .position(|p| *p == pkg)
        .or_else(|| packages.iter().position(|p| p.purl == pkg.purl))
        .and_then(|i| refs.get(i).cloned())
        .unwrap_or_else(|| pkg.purl.clone())
}

fn vulnerability(
    f: &Finding,
    v: &VulnerabilityInfo,
    refs: &[String],
    packages: &[&Package],
) -> Vulnerability {
    let mut ratings: Vec<Rating> = v.cvss.iter().map(cvss_rating).collect();
    ratings.push(Rating {
        source: Some(source_of(v)),
        score: None,
        severity: severity_name(f.severity),
        method: "other",
        vector: None,
    });
    let mut properties = Vec::new();
    if let Some(kev) = &v.kev {
        properties.push(property("rampart:kev:date-added", kev.date_added.clone()));
    }
    if let Some(epss) = v.epss {
        properties.push(property("rampart:epss:score", format!("{}", epss.score)));
        properties.push(property(
            "rampart:epss:percentile",
            format!("{}", epss.percentile),
        ));
    }
    Vulnerability {
        bom_ref: f.id.to_string(),
        id: v.id.clone(),
        source: source_of(v),
        references: v
            .aliases
            .iter()
            .map(|a| Reference {
                id: a.clone(),
                source: Source {
                    name: alias_source(a).to_string(),
                    url: None,
                },
            })
            .collect(),
        ratings,
        description: f.title.clone(),
        recommendation: f.remediation.clone(),
        advisories: v
            .references
            .iter()
            .map(|u| Advisory { url: u.clone() })
            .collect(),
        published: v.published.as_deref().and_then(published),
        analysis: f.suppressed.as_ref().map(analysis),
        affects: vec![Affects {
            reference: component_ref(&v.package, refs, packages),
            versions: vec![AffectedVersion {
                version: v.installed_version.clone(),
                status: "affected",
            }],
        }],
        properties,
    }
}

fn source_of(v: &VulnerabilityInfo) -> Source {
    let url =
        v.id.starts_with("CVE-")
            .then(|| format!("https://nvd.nist.gov/vuln/detail/{}", v.id));
    Source {
        name: v
            .sources
            .first()
            .cloned()
            .unwrap_or_else(|| "rampart".into()),
        url,
    }
}

fn alias_source(alias: &str) -> &'static str {
    match alias.split('-').next().unwrap_or("") {
        "CVE" => "NVD",
        "GHSA" => "GitHub Advisories",
        "PYSEC" => "PyPI Advisory Database",
        "RUSTSEC" => "RustSec",
        "GO" => "Go Vulnerability Database",
        "DSA" | "DLA" => "Debian Security Tracker",
        _ => "OSV",
    }
}

fn cvss_rating(c: &Cvss) -> Rating {
    let method = match c.version.as_str() {
        "3.1" => "CVSSv31",
        "3.0" | "3" => "CVSSv3",
        "4.0" | "4" => "CVSSv4",
        "2.0" | "2" => "CVSSv2",
        _ => "other",
    };
    Rating {
        source: (!c.source.is_empty()).then(|| Source {
            name: c.source.clone(),
            url: None,
        }),
        score: c.score.is_finite().then_some(c.score),
        severity: severity_name(Severity::from_cvss_score(c.score)),
        method,
        vector: (!c.vector.is_empty()).then(|| c.vector.clone()),
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Negligible => "info",
        Severity::Unknown => "unknown",
    }
}

/// An RFC 3339 timestamp for `published`, which advisories often give as a bare date.
fn published(s: &str) -> Option<String> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    let date = s.parse::<jiff::civil::Date>().ok()?;
    Some(date.strftime("%Y-%m-%dT00:00:00Z").to_string())
}

/// CycloneDX analysis for a suppressed finding: VEX statuses map onto CycloneDX states, ignore-file
/// rules count as `not_affected`, `--ignore-unfixed` as `in_triage`; VEX justifications map onto
/// CycloneDX justifications (only meaningful, and only written, with `not_affected`).
fn analysis(s: &Suppression) -> Analysis {
    let state = match (s.source, s.status.to_ascii_lowercase().as_str()) {
        (SuppressionSource::Vex, "fixed" | "resolved") => "resolved",
        (SuppressionSource::Vex, "false_positive") => "false_positive",
        (SuppressionSource::Vex, "under_investigation" | "in_triage") => "in_triage",
        // Ignoring unfixed vulnerabilities says nothing about whether the target is affected.
        (SuppressionSource::IgnoreUnfixed, _) => "in_triage",
        _ => "not_affected",
    };
    let justification = match s.justification.as_str() {
        "component_not_present" | "vulnerable_code_not_present" | "code_not_present" => {
            Some("code_not_present")
        }
        "vulnerable_code_not_in_execute_path" | "code_not_reachable" => Some("code_not_reachable"),
        "vulnerable_code_cannot_be_controlled_by_adversary" | "requires_environment" => {
            Some("requires_environment")
        }
        "inline_mitigations_already_exist" | "protected_by_mitigating_control" => {
            Some("protected_by_mitigating_control")
        }
        "requires_configuration" => Some("requires_configuration"),
        "requires_dependency" => Some("requires_dependency"),
        _ => None,
    };
    let source = match s.source {
        SuppressionSource::Vex => "VEX",
        SuppressionSource::IgnoreFile => "ignore file",
        SuppressionSource::IgnoreUnfixed => "--ignore-unfixed",
        SuppressionSource::Annotation => "annotation",
    };
    let mut detail = format!("Suppressed by {source}: {}", s.status);
    if !s.justification.is_empty() {
        detail.push_str(&format!(" ({})", s.justification));
    }
    if !s.origin.is_empty() {
        detail.push_str(&format!(" in {}", s.origin));
    }
    Analysis {
        state,
        justification: justification.filter(|_| state == "not_affected"),
        detail,
    }
}
