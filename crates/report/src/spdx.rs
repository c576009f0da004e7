//! SPDX 2.3 JSON: the inventory only. A root package stands for the target; the document DESCRIBES it
//! and it CONTAINS every package (and the operating system, when known). Findings are not part of
//! SPDX 2.3 and are not written.

use crate::{RenderError, RenderOptions};
use rampart_core::{AssetKind, Package, Report};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;

/// Base of `documentNamespace`. The namespace only has to be a unique URI; it is never fetched.
const NAMESPACE_BASE: &str = "https://rampart.invalid/spdxdocs";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const ROOT_ID: &str = "SPDXRef-RootPackage";
const NOASSERTION: &str = "NOASSERTION";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    name: String,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    /// The image layer that brought the package (`LayerDigest: …`, `LayerIndex: …`), as Trivy writes
    /// it: SPDX 2.3 has no field for it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotation_type: &'static str,
    annotator: String,
    annotation_date: String,
    comment: String,
}

/// Who and when, for annotations: the document's creator and creation time.
struct Annotator {
    tool: String,
    date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// Writes the report's inventory as an SPDX 2.3 document.
pub fn render(
    report: &Report,
    _opts: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let mut ids = IdAllocator::default();
    let mut packages = vec![root_package(report)];
    if let Some(os) = &report.target.os {
        packages.push(SpdxPackage {
            name: os.id.clone(),
            spdx_id: ids.allocate(&format!("OperatingSystem-{}", os.id)),
            version_info: os.version_id.clone(),
            source_info: os.pretty_name.clone(),
            primary_package_purpose: "OPERATING_SYSTEM",
            ..bare_package()
        });
    }
    let annotator = Annotator {
        tool: format!("Tool: {}-{}", report.scanner.name, report.scanner.version),
        date: crate::utc_seconds(&report.created_at),
    };
    packages.extend(
        report
            .packages
            .iter()
            .map(|p| package(p, &mut ids, &annotator)),
    );
    let mut relationships = vec![Relationship {
        spdx_element_id: DOCUMENT_ID.into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: ROOT_ID.into(),
    }];
    relationships.extend(packages.iter().skip(1).map(|p| Relationship {
        spdx_element_id: ROOT_ID.into(),
        relationship_type: "CONTAINS",
        related_spdx_element: p.spdx_id.clone(),
    }));
    let uuid = crate::stable_uuid(&[&report.target.name, &report.created_at]);
    let doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: report.target.name.clone(),
        document_namespace: format!(
            "{NAMESPACE_BASE}/{}/{}-{uuid}",
            crate::wire_name(report.target.kind),
            sanitize(&report.target.name)
        ),
        creation_info: CreationInfo {
            created: crate::utc_seconds(&report.created_at),
            creators: vec![format!(
                "Tool: {}-{}",
                report.scanner.name, report.scanner.version
            )],
        },
        packages,
        relationships,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

fn bare_package() -> SpdxPackage {
    SpdxPackage {
        name: String::new(),
        spdx_id: String::new(),
        version_info: None,
        download_location: NOASSERTION,
        files_analyzed: false,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.into(),
        copyright_text: NOASSERTION,
        source_info: None,
        primary_package_purpose: "LIBRARY",
        external_refs: Vec::new(),
        annotations: Vec::new(),
    }
}

fn root_package(report: &Report) -> SpdxPackage {
    let purpose = match report.target.kind {
        AssetKind::Image => "CONTAINER",
        AssetKind::Rootfs => "OPERATING_SYSTEM",
        AssetKind::Host => "DEVICE",
        AssetKind::Filesystem
        | AssetKind::Sbom
        | AssetKind::Resource
        | AssetKind::Kubernetes
        | AssetKind::Iac
        | AssetKind::Cloud => "APPLICATION",
        AssetKind::Node => "DEVICE",
    };
    SpdxPackage {
        name: report.target.name.clone(),
        spdx_id: ROOT_ID.into(),
        primary_package_purpose: purpose,
        ..bare_package()
    }
}

/// `sourceInfo`: the source package an OS package was built from (in the `built package from: NAME
/// VERSION` form other SBOM tools write and `rampart sbom scan` reads back) and where it was found.
fn source_info(p: &Package, locations: &[String]) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(src) = &p.source {
        let version = src.version.as_deref().unwrap_or(&p.version);
        parts.push(format!("built package from: {} {}", src.name, version));
    }
    if !locations.is_empty() {
        parts.push(format!("found in: {}", locations.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn package(p: &Package, ids: &mut IdAllocator, by: &Annotator) -> SpdxPackage {
    let locations: Vec<String> = p.locations.iter().map(|l| l.to_string()).collect();
    let note = |comment: String| Annotation {
        annotation_type: "OTHER",
        annotator: by.tool.clone(),
        annotation_date: by.date.clone(),
        comment,
    };
    let annotations = match &p.layer {
        Some(l) => vec![
            note(format!("LayerDigest: {}", l.digest)),
            note(format!("LayerIndex: {}", l.index)),
        ],
        None => Vec::new(),
    };
    SpdxPackage {
        name: p.name.clone(),
        spdx_id: ids.allocate(&format!("Package-{}-{}-{}", p.ecosystem, p.name, p.version)),
        version_info: (!p.version.is_empty()).then(|| p.version.clone()),
        license_declared: license_expression(&p.licenses),
        source_info: source_info(p, &locations),
        external_refs: (!p.purl.is_empty())
            .then(|| ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: p.purl.clone(),
            })
            .into_iter()
            .collect(),
        annotations,
        ..bare_package()
    }
}

/// The declared licences as one SPDX expression (`A AND (B OR C)`), or NOASSERTION when any of them
/// is not written in SPDX expression syntax (free-text names such as "GPL" or "see LICENSE").
fn license_expression(licenses: &[String]) -> String {
    let parts: Vec<&str> = licenses
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if parts.is_empty() || !parts.iter().all(|l| looks_like_expression(l)) {
        return NOASSERTION.into();
    }
    if parts.len() == 1 {
        return parts[0].to_string();
    }
    parts
        .iter()
        .map(|l| {
            if l.contains(' ') {
                format!("({l})")
            } else {
                (*l).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Whether `s` is made of SPDX id strings joined by AND/OR/WITH, with balanced parentheses.
/// Ids must contain a digit, a dash or a dot, or be a known bare id, which rules out plain words.
fn looks_like_expression(s: &str) -> bool {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let mut depth = 0i32;
    let mut expect_id = true;
    for token in spaced.split_whitespace() {
        match token {
            "(" if expect_id => depth += 1,
            ")" if !expect_id => depth -= 1,
            "AND" | "OR" | "WITH" if !expect_id => expect_id = true,
            id if expect_id && is_license_id(id) => expect_id = false,
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0 && !expect_id
}

fn is_license_id(id: &str) -> bool {
    let id = id.strip_suffix('+').unwrap_or(id);
    let charset = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    let shaped = id.contains(['-', '.'])
        || id.chars().any(|c| c.is_ascii_digit())
        || matches!(
            id,
            "MIT" | "ISC" | "Zlib" | "Unlicense" | "WTFPL" | "Beerware" | "JSON" | "Ruby" | "PHP"
        );
    charset && shaped
}

/// Keeps `[A-Za-z0-9.-]`, replacing everything else with `-` (the SPDX id alphabet).
fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}

/// Hands out unique `SPDXRef-…` ids, appending `-2`, `-3`, … when two elements sanitise alike.
#[derive(Default)]
struct IdAllocator {
    used: BTreeSet<String>,
}

impl IdAllocator {
    fn allocate(&mut self, hint: &str) -> String {
        let base = format!("SPDXRef-{}", sanitize(hint));
        let mut id = base.clone();
        let mut n = 1;
        while !self.used.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitised_and_unique() {
        let mut ids = IdAllocator::default();
        assert_eq!(
            ids.allocate("Package-npm-@babel/core-7.0"),
            "SPDXRef-Package-npm--babel-core-7.0"
        );
        assert_eq!(ids.allocate("a b"), "SPDXRef-a-b");
        assert_eq!(ids.allocate("a/b"), "SPDXRef-a-b-2");
    }

    #[test]
    fn licences_become_expressions_or_noassertion() {
        assert_eq!(license_expression(&["MIT".into()]), "MIT");
        assert_eq!(
            license_expression(&["MIT OR Apache-2.0".into(), "BSD-3-Clause".into()]),
            "(MIT OR Apache-2.0) AND BSD-3-Clause"
        );
        assert_eq!(license_expression(&["GPL-2.0+".into()]), "GPL-2.0+");
        assert_eq!(
            license_expression(&["see LICENSE file".into()]),
            NOASSERTION
        );
        assert_eq!(license_expression(&["GPL".into()]), NOASSERTION);
        assert_eq!(license_expression(&["(MIT".into()]), NOASSERTION);
        assert_eq!(license_expression(&[]), NOASSERTION);
    }
}
