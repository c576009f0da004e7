//! `rampart image compare A B`: two scanned images side by side — vulnerability counts by severity,
//! packages, size, layers — and what B fixes (A's vulnerabilities B does not have) and adds. The view
//! a team needs to choose between, e.g., a full and a `-slim` base. Pure over the scan results.

use crate::base::BaseDetection;
use crate::base::recommend::human_size;
use crate::model::ImageInfo;
use rampart_core::{Finding, FindingKind, OsRelease, Package, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// One scanned image, as the comparison reads it.
pub struct Scanned<'a> {
    /// The image model.
    pub image: &'a ImageInfo,
    /// Its OS.
    pub os: Option<&'a OsRelease>,
    /// Its packages.
    pub packages: &'a [Package],
    /// Its findings (suppressed ones are left out of every count).
    pub findings: &'a [Finding],
    /// Its detected base.
    pub base: Option<&'a BaseDetection>,
}

/// The numbers of one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Side {
    /// The image reference.
    pub reference: String,
    /// `Debian GNU/Linux 12 (bookworm)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Packages.
    pub packages: usize,
    /// Stored size of the layers in bytes.
    pub size: u64,
    /// Uncompressed size of the layers in bytes.
    pub uncompressed_size: u64,
    /// Layers.
    pub layers: usize,
    /// Vulnerabilities by severity (every severity present, zeros included).
    pub vulnerabilities: BTreeMap<Severity, usize>,
    /// Other findings (configuration, secrets).
    pub other_findings: usize,
    /// The detected base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseDetection>,
}

/// A vulnerability of one package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VulnDelta {
    /// Advisory id (`CVE-…`).
    pub id: String,
    /// Package name.
    pub package: String,
    /// Installed version (in the image that has it).
    pub version: String,
    /// Severity.
    pub severity: Severity,
}

/// A package whose version differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionChange {
    /// Package name.
    pub package: String,
    /// Version in A.
    pub a: String,
    /// Version in B.
    pub b: String,
}

/// The comparison of A and B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// The first image.
    pub a: Side,
    /// The second image.
    pub b: Side,
    /// Vulnerabilities of A that B does not have.
    pub fixed: Vec<VulnDelta>,
    /// Vulnerabilities of B that A does not have.
    pub added: Vec<VulnDelta>,
    /// Packages (`ecosystem/name`) only A has.
    pub packages_removed: Vec<String>,
    /// Packages only B has.
    pub packages_added: Vec<String>,
    /// Packages both have at different versions.
    pub packages_changed: Vec<VersionChange>,
}

fn side(s: &Scanned) -> Side {
    let mut vulnerabilities: BTreeMap<Severity, usize> =
        Severity::ALL_DESCENDING.iter().map(|s| (*s, 0)).collect();
    let mut other = 0;
    for f in s.findings.iter().filter(|f| f.suppressed.is_none()) {
        match f.kind {
            FindingKind::Vulnerability => *vulnerabilities.entry(f.severity).or_default() += 1,
            _ => other += 1,
        }
    }
    Side {
        reference: s.image.reference.clone(),
        os: s.os.map(OsRelease::display_name),
        packages: s.packages.len(),
        size: s.image.size(),
        uncompressed_size: s.image.layers.iter().map(|l| l.uncompressed_size).sum(),
        layers: s.image.layers.len(),
        vulnerabilities,
        other_findings: other,
        base: s.base.cloned(),
    }
}

fn vulns(findings: &[Finding]) -> BTreeMap<(String, String), VulnDelta> {
    findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .filter_map(|f| {
            let v = f.vulnerability.as_ref()?;
            let d = VulnDelta {
                id: v.id.clone(),
                package: v.package.name.clone(),
                version: v.installed_version.clone(),
                severity: f.severity,
            };
            Some(((d.id.clone(), d.package.clone()), d))
        })
        .collect()
}

fn package_versions(packages: &[Package]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in packages {
        out.entry(format!("{}/{}", p.ecosystem, p.name))
            .or_default()
            .insert(p.version.clone());
    }
    out
}

/// Compares two scanned images.
pub fn compare(a: &Scanned, b: &Scanned) -> Comparison {
    let (va, vb) = (vulns(a.findings), vulns(b.findings));
    let only = |x: &BTreeMap<_, VulnDelta>, y: &BTreeMap<_, _>| {
        let mut v: Vec<VulnDelta> = x
            .iter()
            .filter(|(k, _)| !y.contains_key(*k))
            .map(|(_, d)| d.clone())
            .collect();
        v.sort_by(|p, q| q.severity.cmp(&p.severity).then_with(|| p.cmp(q)));
        v
    };
    let (pa, pb) = (package_versions(a.packages), package_versions(b.packages));
    let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
    Comparison {
        a: side(a),
        b: side(b),
        fixed: only(&va, &vb),
        added: only(&vb, &va),
        packages_removed: pa
            .keys()
            .filter(|k| !pb.contains_key(*k))
            .cloned()
            .collect(),
        packages_added: pb
            .keys()
            .filter(|k| !pa.contains_key(*k))
            .cloned()
            .collect(),
        packages_changed: pa
            .iter()
            .filter_map(|(k, x)| {
                let y = pb.get(k)?;
                (x != y).then(|| VersionChange {
                    package: k.clone(),
                    a: join(x),
                    b: join(y),
                })
            })
            .collect(),
    }
}

impl Comparison {
    /// Writes the comparison as a text table: the numbers side by side, then the lists.
    pub fn write_table(&self, w: &mut dyn Write, list_max: usize) -> io::Result<()> {
        let (a, b) = (&self.a, &self.b);
        let os_len = |s: &Side| s.os.as_ref().map_or(0, |o| o.chars().count());
        let width = 14usize.max(os_len(a)).max(os_len(b));
        writeln!(w, "A: {}", a.reference)?;
        writeln!(w, "B: {}", b.reference)?;
        writeln!(w)?;
        writeln!(w, "{:<16} {:>width$} {:>width$} {:>8}", "", "A", "B", "B−A")?;
        let mut row = |label: &str, x: String, y: String, delta: String| {
            writeln!(w, "{label:<16} {x:>width$} {y:>width$} {delta:>8}")
        };
        let diff = |x: usize, y: usize| format!("{:+}", y as i64 - x as i64);
        row(
            "os",
            a.os.clone().unwrap_or_else(|| "-".into()),
            b.os.clone().unwrap_or_else(|| "-".into()),
            String::new(),
        )?;
        for s in Severity::ALL_DESCENDING {
            let (x, y) = (count(&a.vulnerabilities, s), count(&b.vulnerabilities, s));
            row(s.label(), x.to_string(), y.to_string(), diff(x, y))?;
        }
        let (x, y) = (total(&a.vulnerabilities), total(&b.vulnerabilities));
        row("vulnerabilities", x.to_string(), y.to_string(), diff(x, y))?;
        row(
            "other findings",
            a.other_findings.to_string(),
            b.other_findings.to_string(),
            diff(a.other_findings, b.other_findings),
        )?;
        row(
            "packages",
            a.packages.to_string(),
            b.packages.to_string(),
            diff(a.packages, b.packages),
        )?;
        row(
            "size",
            human_size(a.size),
            human_size(b.size),
            format!("{:+.0}%", pct(a.size, b.size)),
        )?;
        row(
            "unpacked size",
            human_size(a.uncompressed_size),
            human_size(b.uncompressed_size),
            format!("{:+.0}%", pct(a.uncompressed_size, b.uncompressed_size)),
        )?;
        row(
            "layers",
            a.layers.to_string(),
            b.layers.to_string(),
            diff(a.layers, b.layers),
        )?;
        writeln!(w)?;
        write_vulns(w, "B fixes", &self.fixed, list_max)?;
        write_vulns(w, "B adds", &self.added, list_max)?;
        write_list(w, "Packages only in A", &self.packages_removed, list_max)?;
        write_list(w, "Packages only in B", &self.packages_added, list_max)?;
        let changed: Vec<String> = self
            .packages_changed
            .iter()
            .map(|c| format!("{} {} → {}", c.package, c.a, c.b))
            .collect();
        write_list(w, "Packages at other versions", &changed, list_max)
    }
}

fn count(m: &BTreeMap<Severity, usize>, s: Severity) -> usize {
    m.get(&s).copied().unwrap_or(0)
}

fn total(m: &BTreeMap<Severity, usize>) -> usize {
    m.values().sum()
}

fn pct(a: u64, b: u64) -> f64 {
    if a == 0 {
        0.0
    } else {
        (b as f64 - a as f64) * 100.0 / a as f64
    }
}

fn write_vulns(w: &mut dyn Write, title: &str, v: &[VulnDelta], max: usize) -> io::Result<()> {
    let packages: BTreeSet<&str> = v.iter().map(|d| d.package.as_str()).collect();
    writeln!(
        w,
        "{title}: {} vulnerabilities in {} packages",
        v.len(),
        packages.len()
    )?;
    for d in v.iter().take(max) {
        writeln!(
            w,
            "  {:<10} {:<22} {} {}",
            d.severity.label(),
            d.id,
            d.package,
            d.version
        )?;
    }
    if v.len() > max {
        writeln!(w, "  … and {} more (-f json lists all)", v.len() - max)?;
    }
    Ok(())
}

fn write_list(w: &mut dyn Write, title: &str, v: &[String], max: usize) -> io::Result<()> {
    writeln!(w, "{title}: {}", v.len())?;
    if v.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = v.iter().take(max).map(String::as_str).collect();
    let more = if v.len() > max {
        format!(" … and {} more", v.len() - max)
    } else {
        String::new()
    };
    writeln!(w, "  {}{more}", shown.join(", "))
}

#[cfg(test)]
mod tests;
