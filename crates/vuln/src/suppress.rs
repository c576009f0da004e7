//! Suppressing findings: OpenVEX statements, the `.rampartignore` file, and `--ignore-unfixed`.
//! Suppressed findings stay in the report with the reason; they are not counted or shown in tables.

use rampart_core::purl::Purl;
use rampart_core::{Finding, FixState, Suppression, SuppressionSource};
use serde::Deserialize;
use std::path::Path;

/// Largest VEX or ignore file read.
const MAX_FILE: u64 = 16 << 20;

/// A suppression input could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not an OpenVEX document: {message}")]
    Vex { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Ignore {
        path: String,
        line: u32,
        message: String,
    },
}

fn read(path: &Path) -> Result<String, SuppressError> {
    use std::io::Read;
    let io = |source| SuppressError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut s = String::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE)
        .read_to_string(&mut s)
        .map_err(io)?;
    Ok(s)
}

#[derive(Debug, Deserialize)]
struct VexDoc {
    #[serde(rename = "@context")]
    context: String,
    #[serde(default)]
    statements: Vec<VexStatement>,
}

#[derive(Debug, Deserialize)]
struct VexStatement {
    vulnerability: VexVuln,
    #[serde(default)]
    products: Vec<VexProduct>,
    status: String,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum VexVuln {
    Named {
        #[serde(default)]
        name: Option<String>,
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
    Plain(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum VexProduct {
    Component {
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        identifiers: Option<serde_json::Map<String, serde_json::Value>>,
        #[serde(default)]
        subcomponents: Vec<VexProduct>,
    },
    Plain(String),
}

impl VexProduct {
    /// Every purl or id this product (and its subcomponents) names.
    fn ids(&self, out: &mut Vec<String>) {
        match self {
            VexProduct::Plain(s) => out.push(s.clone()),
            VexProduct::Component {
                id,
                identifiers,
                subcomponents,
            } => {
                out.extend(id.clone());
                if let Some(p) = identifiers
                    .as_ref()
                    .and_then(|i| i.get("purl"))
                    .and_then(|p| p.as_str())
                {
                    out.push(p.to_string());
                }
                for s in subcomponents {
                    s.ids(out);
                }
            }
        }
    }
}

/// One applicable VEX statement.
#[derive(Debug, Clone)]
pub struct VexRule {
    vulnerabilities: Vec<String>,
    products: Vec<String>,
    status: String,
    justification: String,
    origin: String,
}

/// Loads the statements of an OpenVEX document.
pub fn load_vex(path: &Path) -> Result<Vec<VexRule>, SuppressError> {
    let text = read(path)?;
    let bad = |message: String| SuppressError::Vex {
        path: path.display().to_string(),
        message,
    };
    let doc: VexDoc = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if !doc.context.starts_with("https://openvex.dev/ns") {
        return Err(bad(format!("unexpected @context {:?}", doc.context)));
    }
    Ok(doc
        .statements
        .into_iter()
        .map(|s| {
            let vulnerabilities = match s.vulnerability {
                VexVuln::Plain(v) => vec![v],
                VexVuln::Named { name, id, aliases } => {
                    name.into_iter().chain(id).chain(aliases).collect()
                }
            };
            let mut products = Vec::new();
            for p in &s.products {
                p.ids(&mut products);
            }
            VexRule {
                vulnerabilities,
                products,
                status: s.status,
                justification: s.justification.or(s.impact_statement).unwrap_or_default(),
                origin: path.display().to_string(),
            }
        })
        .collect())
}

/// Whether a VEX product id names this package: purls compare on type, namespace, name and (when the VEX
/// purl has one) version; qualifiers are ignored.
fn product_matches(product: &str, pkg_purl: &str) -> bool {
    match (Purl::parse(product), Purl::parse(pkg_purl)) {
        (Ok(a), Ok(b)) => {
            a.ty == b.ty
                && a.name.eq_ignore_ascii_case(&b.name)
                && a.namespace.as_deref().map(str::to_ascii_lowercase)
                    == b.namespace.as_deref().map(str::to_ascii_lowercase)
                && a.version
                    .as_ref()
                    .is_none_or(|v| Some(v) == b.version.as_ref())
        }
        _ => false,
    }
}

fn finding_ids(f: &Finding) -> Vec<&str> {
    let mut ids = vec![f.rule_id.as_str()];
    if let Some(v) = &f.vulnerability {
        ids.extend(v.aliases.iter().map(String::as_str));
    }
    ids
}

/// Applies VEX statements in document order (a later statement overrides an earlier one for the same
/// finding): `not_affected` and `fixed` suppress, `affected` and `under_investigation` un-suppress.
pub fn apply_vex(findings: &mut [Finding], rules: &[VexRule]) {
    for f in findings.iter_mut() {
        let Some(purl) = f.vulnerability.as_ref().map(|v| v.package.purl.clone()) else {
            continue;
        };
        for rule in rules {
            let ids = finding_ids(f);
            let vuln_hit = rule
                .vulnerabilities
                .iter()
                .any(|v| ids.contains(&v.as_str()));
            let product_hit =
                rule.products.is_empty() || rule.products.iter().any(|p| product_matches(p, &purl));
            if !(vuln_hit && product_hit) {
                continue;
            }
            f.suppressed = match rule.status.as_str() {
                "not_affected" | "fixed" => Some(Suppression {
                    source: SuppressionSource::Vex,
                    status: rule.status.clone(),
                    justification: rule.justification.clone(),
                    origin: rule.origin.clone(),
                }),
                _ => None,
            };
        }
    }
}

/// One line of `.rampartignore`: `ID [PACKAGE] [exp:YYYY-MM-DD] [# comment]`, where PACKAGE is a purl
/// (prefix match) or a package name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    pub id: String,
    pub package: Option<String>,
    pub expires: Option<jiff::civil::Date>,
    pub line: u32,
}

/// Parses an ignore file. Malformed lines are errors with their line numbers.
pub fn parse_ignore(text: &str, path: &str) -> Result<Vec<IgnoreRule>, SuppressError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n as u32 + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut rule = IgnoreRule {
            id: String::new(),
            package: None,
            expires: None,
            line: line_no,
        };
        for (i, tok) in line.split_whitespace().enumerate() {
            if i == 0 {
                rule.id = tok.to_string();
            } else if let Some(d) = tok.strip_prefix("exp:") {
                rule.expires = Some(d.parse().map_err(|e| SuppressError::Ignore {
                    path: path.into(),
                    line: line_no,
                    message: format!("bad expiry date {d:?}: {e}"),
                })?);
            } else if rule.package.is_none() {
                rule.package = Some(tok.to_string());
            } else {
                return Err(SuppressError::Ignore {
                    path: path.into(),
                    line: line_no,
                    message: format!("unexpected {tok:?}"),
                });
            }
        }
        out.push(rule);
    }
    Ok(out)
}

/// Reads and parses an ignore file.
pub fn load_ignore(path: &Path) -> Result<Vec<IgnoreRule>, SuppressError> {
    parse_ignore(&read(path)?, &path.display().to_string())
}

/// Applies ignore rules that have not expired on `today`; returns the expired rules that matched nothing.
pub fn apply_ignore(
    findings: &mut [Finding],
    rules: &[IgnoreRule],
    today: jiff::civil::Date,
    origin: &str,
) -> Vec<IgnoreRule> {
    let (live, expired): (Vec<_>, Vec<_>) = rules
        .iter()
        .partition(|r| r.expires.is_none_or(|d| d >= today));
    for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
        let ids = finding_ids(f);
        let pkg = f
            .vulnerability
            .as_ref()
            .map(|v| (&v.package.name, &v.package.purl));
        let hit = live.iter().find(|r| {
            ids.contains(&r.id.as_str())
                && match (&r.package, pkg) {
                    (None, _) => true,
                    (Some(p), Some((name, purl))) => p == name || purl.starts_with(p.as_str()),
                    (Some(_), None) => false,
                }
        });
        if let Some(r) = hit {
            f.suppressed = Some(Suppression {
                source: SuppressionSource::IgnoreFile,
                status: "ignored".into(),
                justification: r.expires.map(|d| format!("until {d}")).unwrap_or_default(),
                origin: format!("{origin}:{}", r.line),
            });
        }
    }
    expired.into_iter().cloned().collect()
}

/// Suppresses vulnerabilities that have no fixed version.
pub fn apply_ignore_unfixed(findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
        if f.vulnerability
            .as_ref()
            .is_some_and(|v| v.fix_state != FixState::Fixed)
        {
            f.suppressed = Some(Suppression {
                source: SuppressionSource::IgnoreUnfixed,
                status: "no fix available".into(),
                justification: String::new(),
                origin: "--ignore-unfixed".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::{Ecosystem, Package, Severity, VulnerabilityInfo};

    fn finding(id: &str, aliases: &[&str], pkg: Package, fix: FixState) -> Finding {
        Finding::vulnerability(
            "t",
            "x".into(),
            Severity::High,
            VulnerabilityInfo {
                id: id.into(),
                aliases: aliases.iter().map(|s| s.to_string()).collect(),
                installed_version: pkg.version.clone(),
                package: pkg,
                fixed_versions: vec![],
                fix_state: fix,
                cvss: vec![],
                kev: None,
                epss: None,
                sources: vec![],
                references: vec![],
                published: None,
            },
        )
    }

    #[test]
    fn vex_not_affected_suppresses_by_purl_and_alias() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.json");
        std::fs::write(
            &p,
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,
            "statements":[{"vulnerability":{"name":"GHSA-aaaa"},"products":[{"@id":"pkg:pypi/django@3.2"}],
            "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"},
            {"vulnerability":{"name":"CVE-2"},"products":[{"@id":"pkg:pypi/django"}],"status":"affected"}]}"#,
        )
        .unwrap();
        let rules = load_vex(&p).unwrap();
        let pkg = Package::new(Ecosystem::PyPI, "Django", "3.2");
        let mut fs = vec![
            finding("CVE-1", &["GHSA-aaaa"], pkg.clone(), FixState::Fixed),
            finding("CVE-2", &[], pkg.clone(), FixState::Fixed),
            finding(
                "CVE-1",
                &["GHSA-aaaa"],
                Package::new(Ecosystem::PyPI, "Django", "3.1"),
                FixState::Fixed,
            ),
        ];
        apply_vex(&mut fs, &rules);
        assert_eq!(
            fs[0].suppressed.as_ref().unwrap().justification,
            "vulnerable_code_not_in_execute_path"
        );
        assert!(fs[1].suppressed.is_none());
        assert!(fs[2].suppressed.is_none(), "version in VEX purl must match");
    }

    #[test]
    fn vex_rejects_non_openvex() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("v.json");
        std::fs::write(&p, r#"{"@context":"https://example.com","statements":[]}"#).unwrap();
        assert!(load_vex(&p).is_err());
        std::fs::write(&p, "garbage").unwrap();
        assert!(load_vex(&p).is_err());
    }

    #[test]
    fn ignore_file_with_package_and_expiry() {
        let rules = parse_ignore(
            "# comment\nCVE-1\nCVE-2 pkg:npm/lodash exp:2099-01-01\nCVE-3 exp:2000-01-01 # expired\n",
            ".rampartignore",
        )
        .unwrap();
        assert_eq!(rules.len(), 3);
        let lodash = Package::new(Ecosystem::Npm, "lodash", "4.17.20");
        let other = Package::new(Ecosystem::Npm, "minimist", "1.2.0");
        let mut fs = vec![
            finding("CVE-1", &[], other.clone(), FixState::Fixed),
            finding("CVE-2", &[], lodash, FixState::Fixed),
            finding("CVE-2", &[], other.clone(), FixState::Fixed),
            finding("CVE-3", &[], other, FixState::Fixed),
        ];
        let today = jiff::civil::date(2026, 1, 1);
        let expired = apply_ignore(&mut fs, &rules, today, ".rampartignore");
        assert!(fs[0].suppressed.is_some());
        assert!(fs[1].suppressed.is_some());
        assert!(fs[2].suppressed.is_none());
        assert!(fs[3].suppressed.is_none());
        assert_eq!(expired.len(), 1);
    }

    #[test]
    fn ignore_file_errors_name_the_line() {
        let e = parse_ignore("CVE-1 exp:tomorrow\n", "f").unwrap_err();
        assert!(e.to_string().starts_with("f:1:"));
        assert!(parse_ignore("CVE-1 a b\n", "f").is_err());
    }

    #[test]
    fn ignore_unfixed() {
        let pkg = Package::new(Ecosystem::Deb, "bash", "5.1-2");
        let mut fs = vec![
            finding("CVE-1", &[], pkg.clone(), FixState::NotFixed),
            finding("CVE-2", &[], pkg, FixState::Fixed),
        ];
        apply_ignore_unfixed(&mut fs);
        assert!(fs[0].suppressed.is_some());
        assert!(fs[1].suppressed.is_none());
    }
}
