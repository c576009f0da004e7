//! Matching a package inventory against the database: one finding per package per vulnerability, with
//! aliases merged, severity chosen, and KEV/EPSS enrichment attached.

use crate::affects::{is_affected, relevant_fixes};
use crate::cvss::vector_version;
use crate::db::{Database, DbError};
use crate::model::{Advisory, Affected, AffectedStatus};
use rampart_core::{
    Cvss, Ecosystem, Epss, Finding, FixState, Kev, OsRelease, Package, ScanWarning, Severity,
    VulnerabilityInfo,
};
use rampart_version::Scheme;
use std::collections::BTreeSet;

/// The advisory namespace of a package: `PyPI`, `Debian:11`, `Alpine:v3.10`, … or `None` when there is no
/// data for it (e.g. an unknown distribution).
pub fn advisory_ecosystem(pkg: &Package, os: Option<&OsRelease>) -> Option<String> {
    if let Some(name) = pkg.ecosystem.osv_name() {
        return Some(name.to_string());
    }
    let os = os?;
    let version = os.version_id.as_deref().unwrap_or("");
    match (pkg.ecosystem, os.id.as_str()) {
        (Ecosystem::Deb, "debian") => {
            let major = version.split('.').next().filter(|m| !m.is_empty())?;
            Some(format!("Debian:{major}"))
        }
        (Ecosystem::Deb, "ubuntu") => Some(format!("Ubuntu:{version}")),
        (Ecosystem::Apk, "alpine") => {
            let mut parts = version.split('.');
            let (major, minor) = (parts.next()?, parts.next()?);
            Some(format!("Alpine:v{major}.{minor}"))
        }
        _ => None,
    }
}

/// Result of matching an inventory.
#[derive(Debug, Default)]
pub struct MatchOutcome {
    pub findings: Vec<Finding>,
    pub warnings: Vec<ScanWarning>,
    /// Packages that had no advisory namespace (e.g. RPMs of an unknown distribution).
    pub unmatched_packages: usize,
}

/// Matches every package against `db`.
pub fn match_packages(
    db: &Database,
    packages: &[Package],
    os: Option<&OsRelease>,
    asset: &str,
) -> Result<MatchOutcome, DbError> {
    let mut out = MatchOutcome::default();
    let mut unsupported: BTreeSet<String> = BTreeSet::new();
    for pkg in packages {
        let Some(ecosystem) = advisory_ecosystem(pkg, os) else {
            out.unmatched_packages += 1;
            unsupported.insert(match os {
                Some(os) if pkg.ecosystem.is_os() => {
                    format!("{} packages on {}", pkg.ecosystem, os.display_name())
                }
                _ => format!("{} packages", pkg.ecosystem),
            });
            continue;
        };
        let scheme = Scheme::for_osv_ecosystem(&ecosystem);
        let version = pkg.advisory_version();
        let mut hits: Vec<(Advisory, Affected)> = Vec::new();
        for posting in db.postings(&ecosystem, pkg.advisory_name())? {
            match is_affected(&posting.affected, scheme, version) {
                Ok(true) => hits.push((db.advisory(posting.advisory)?, posting.affected)),
                Ok(false) => {}
                Err(e) => {
                    out.warnings.push(ScanWarning {
                        path: pkg
                            .locations
                            .first()
                            .map(|l| l.path.clone())
                            .unwrap_or_default(),
                        line: None,
                        message: format!(
                            "{} {}: cannot compare versions: {e}",
                            pkg.name, pkg.version
                        ),
                    });
                }
            }
        }
        for group in group_by_alias(hits) {
            out.findings
                .push(build_finding(db, pkg, scheme, asset, group));
        }
    }
    for what in unsupported {
        out.warnings.push(ScanWarning {
            path: String::new(),
            line: None,
            message: format!(
                "no vulnerability data for {what}; they were catalogued but not matched"
            ),
        });
    }
    out.warnings.dedup();
    Ok(out)
}

/// An advisory hit: the advisory and the affected entry that matched.
type Hit = (Advisory, Affected);

/// Splits hits into groups of advisories that share an id or alias (union of overlapping id sets).
fn group_by_alias(hits: Vec<Hit>) -> Vec<Vec<Hit>> {
    let mut groups: Vec<(BTreeSet<String>, Vec<Hit>)> = Vec::new();
    for hit in hits {
        let ids: BTreeSet<String> = std::iter::once(hit.0.id.clone())
            .chain(hit.0.aliases.iter().cloned())
            .collect();
        let (mut joined, rest): (Vec<_>, Vec<_>) =
            groups.into_iter().partition(|(g, _)| !g.is_disjoint(&ids));
        let mut merged_ids = ids;
        let mut merged = vec![hit];
        for (g, members) in joined.drain(..) {
            merged_ids.extend(g);
            merged.extend(members);
        }
        groups = rest;
        groups.push((merged_ids, merged));
    }
    groups.into_iter().map(|(_, m)| m).collect()
}

fn build_finding(
    db: &Database,
    pkg: &Package,
    scheme: Scheme,
    asset: &str,
    group: Vec<(Advisory, Affected)>,
) -> Finding {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut cvss: Vec<Cvss> = Vec::new();
    let mut fixes: BTreeSet<String> = BTreeSet::new();
    let mut sources: BTreeSet<String> = BTreeSet::new();
    let mut references: Vec<String> = Vec::new();
    let mut rated: Option<Severity> = None;
    let mut wont_fix = false;
    for (adv, aff) in &group {
        ids.insert(adv.id.clone());
        ids.extend(adv.aliases.iter().cloned());
        for c in &adv.cvss {
            if !cvss.iter().any(|x| x.vector == c.vector) {
                cvss.push(Cvss {
                    version: vector_version(&c.vector).to_string(),
                    vector: c.vector.clone(),
                    score: (f64::from(c.score) * 10.0).round() / 10.0,
                    source: adv.source.clone(),
                });
            }
        }
        fixes.extend(relevant_fixes(aff, scheme, pkg.advisory_version()));
        sources.insert(adv.source.clone());
        for r in &adv.references {
            if references.len() < 10 && !references.contains(r) {
                references.push(r.clone());
            }
        }
        rated = rated.max(aff.severity.or(adv.severity));
        wont_fix |= aff.status == AffectedStatus::WontFix;
    }
    let primary = ids
        .iter()
        .find(|i| i.starts_with("CVE-"))
        .cloned()
        .unwrap_or_else(|| group[0].0.id.clone());
    ids.remove(&primary);
    let best_cvss = cvss
        .iter()
        .map(|c| c.score)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let severity = best_cvss
        .map(Severity::from_cvss_score)
        .or(rated)
        .unwrap_or(Severity::Unknown);
    let cves: Vec<&String> = std::iter::once(&primary)
        .chain(ids.iter())
        .filter(|i| i.starts_with("CVE-"))
        .collect();
    let kev = cves.iter().find_map(|c| db.kev(c)).map(|k| Kev {
        date_added: k.date_added.clone(),
        due_date: k.due_date.clone(),
        ransomware: k.ransomware,
    });
    let epss = cves
        .iter()
        .filter_map(|c| db.epss(c))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(score, percentile)| Epss { score, percentile });
    let fix_state = if !fixes.is_empty() {
        FixState::Fixed
    } else if wont_fix {
        FixState::WontFix
    } else {
        FixState::NotFixed
    };
    let title = group
        .iter()
        .map(|(a, _)| a.summary.trim())
        .find(|s| !s.is_empty())
        .unwrap_or(primary.as_str())
        .to_string();
    let published = group.iter().filter_map(|(a, _)| a.published.clone()).min();
    let info = VulnerabilityInfo {
        id: primary,
        aliases: ids.into_iter().collect(),
        package: pkg.clone(),
        installed_version: pkg.version.clone(),
        fixed_versions: fixes.into_iter().collect(),
        fix_state,
        cvss,
        kev,
        epss,
        sources: sources.into_iter().collect(),
        references,
        published,
    };
    Finding::vulnerability(asset, title, severity, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adv(id: &str, aliases: &[&str]) -> (Advisory, Affected) {
        (
            Advisory {
                id: id.into(),
                aliases: aliases.iter().map(|s| s.to_string()).collect(),
                ..Advisory::default()
            },
            Affected::default(),
        )
    }

    #[test]
    fn aliases_merge_transitively() {
        let groups = group_by_alias(vec![
            adv("PYSEC-1", &["CVE-1"]),
            adv("GHSA-1", &["CVE-2"]),
            adv("CVE-1", &["GHSA-1"]),
            adv("OTHER", &[]),
        ]);
        assert_eq!(groups.len(), 2);
        assert!(groups.iter().any(|g| g.len() == 3));
    }

    #[test]
    fn advisory_namespaces() {
        let os = OsRelease::parse("ID=debian\nVERSION_ID=\"11\"\n").unwrap();
        let p = Package::new(Ecosystem::Deb, "libssl1.1", "1.1.1k-1");
        assert_eq!(
            advisory_ecosystem(&p, Some(&os)).as_deref(),
            Some("Debian:11")
        );
        let alpine = OsRelease::parse("ID=alpine\nVERSION_ID=3.10.9\n").unwrap();
        let p = Package::new(Ecosystem::Apk, "musl", "1.1.22-r3");
        assert_eq!(
            advisory_ecosystem(&p, Some(&alpine)).as_deref(),
            Some("Alpine:v3.10")
        );
        assert_eq!(advisory_ecosystem(&p, None), None);
        let p = Package::new(Ecosystem::Cargo, "smallvec", "1.6.0");
        assert_eq!(advisory_ecosystem(&p, None).as_deref(), Some("crates.io"));
    }
}
