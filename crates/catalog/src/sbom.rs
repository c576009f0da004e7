//! Reading SBOMs back into packages, so a pipeline can catalog once and re-match later: CycloneDX
//! (1.2–1.6) and SPDX (2.2–2.3) JSON as written by Rampart, Trivy, Syft and others.
//!
//! Packages are identified by their purl. The source package of an OS package (which distribution
//! advisories are written against) comes from, in order: Rampart's `rampart:source-package` /
//! `rampart:source-version` properties, Trivy's `aquasecurity:trivy:Src*` properties, the purl's
//! `upstream` qualifier (Syft, Rampart), or SPDX `sourceInfo: "built package from: NAME VERSION"`.
//! The operating system comes from an `operating-system` component (CycloneDX), an OS package
//! (SPDX), or else the `distro` qualifier of OS package purls.

use crate::{CatalogError, Inventory};
use rampart_core::purl::Purl;
use rampart_core::{Ecosystem, Location, OsRelease, Package, ScanWarning, SourcePackage};
use serde_json::Value;
use std::collections::BTreeMap;

/// Largest SBOM accepted.
pub const MAX_SBOM_BYTES: usize = 512 << 20;
/// Most components read from one SBOM.
const MAX_COMPONENTS: usize = 2_000_000;
/// Deepest nesting of CycloneDX `components` followed.
const MAX_NESTING: usize = 64;

/// Which SBOM standard a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    /// OWASP CycloneDX JSON.
    CycloneDx,
    /// SPDX JSON.
    Spdx,
}

/// An SBOM read back: what it describes and the packages in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sbom {
    /// The standard the document follows.
    pub format: SbomFormat,
    /// `specVersion` / `spdxVersion`.
    pub spec_version: String,
    /// The name of the thing the SBOM describes, when it says.
    pub subject: Option<String>,
    /// The packages (with the OS when known) and what could not be read.
    pub inventory: Inventory,
}

/// Parses a CycloneDX or SPDX JSON document. `origin` names it in errors and warnings. Components
/// without a purl, or with a purl type Rampart has no ecosystem for, are counted in one warning each
/// rather than failing the read.
pub fn read_sbom(origin: &str, bytes: &[u8]) -> Result<Sbom, CatalogError> {
    let invalid = |message: String| CatalogError::Parse {
        path: origin.to_string(),
        message,
    };
    if bytes.len() > MAX_SBOM_BYTES {
        return Err(invalid(format!("larger than {MAX_SBOM_BYTES} bytes")));
    }
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"<") {
        return Err(invalid(
            "XML SBOMs are not supported; use CycloneDX or SPDX JSON".into(),
        ));
    }
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let mut reader = Reader::new(origin);
    let (format, spec_version, subject) =
        if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            let subject = reader.cyclonedx(&doc);
            (SbomFormat::CycloneDx, str_at(&doc, "specVersion"), subject)
        } else if doc.get("spdxVersion").is_some() {
            let subject = reader.spdx(&doc);
            (SbomFormat::Spdx, str_at(&doc, "spdxVersion"), subject)
        } else {
            return Err(invalid(
                "neither CycloneDX (bomFormat) nor SPDX (spdxVersion) JSON".into(),
            ));
        };
    Ok(Sbom {
        format,
        spec_version,
        subject,
        inventory: reader.finish(),
    })
}

/// Accumulates packages, the OS and skip counts while walking a document.
struct Reader<'a> {
    origin: &'a str,
    os: Option<OsRelease>,
    packages: Vec<Package>,
    without_purl: usize,
    unsupported: BTreeMap<String, usize>,
    bad_purls: usize,
    truncated: bool,
}

impl<'a> Reader<'a> {
    fn new(origin: &'a str) -> Self {
        Reader {
            origin,
            os: None,
            packages: Vec::new(),
            without_purl: 0,
            unsupported: BTreeMap::new(),
            bad_purls: 0,
            truncated: false,
        }
    }

    /// Reads components (and the OS) from a CycloneDX BOM; returns the subject's name.
    fn cyclonedx(&mut self, doc: &Value) -> Option<String> {
        let subject = doc.pointer("/metadata/component").and_then(|c| {
            if is_os_component(c) {
                self.os = os_from_component(c);
            }
            c.get("name").and_then(Value::as_str).map(str::to_string)
        });
        if let Some(list) = doc.get("components").and_then(Value::as_array) {
            self.components(list, 0);
        }
        subject
    }

    fn components(&mut self, list: &[Value], depth: usize) {
        if depth > MAX_NESTING {
            self.truncated = true;
            return;
        }
        for c in list {
            if self.packages.len() >= MAX_COMPONENTS {
                self.truncated = true;
                return;
            }
            if is_os_component(c) {
                if self.os.is_none() {
                    self.os = os_from_component(c);
                }
            } else {
                let props = cyclonedx_properties(c);
                let version = c.get("version").and_then(Value::as_str);
                match c.get("purl").and_then(Value::as_str) {
                    Some(purl) => self.add(purl, version, &props, None),
                    None => self.without_purl += 1,
                }
            }
            if let Some(nested) = c.get("components").and_then(Value::as_array) {
                self.components(nested, depth + 1);
            }
        }
    }

    /// Reads packages (and the OS) from an SPDX document; returns the document name.
    fn spdx(&mut self, doc: &Value) -> Option<String> {
        let list = doc.get("packages").and_then(Value::as_array);
        for p in list.into_iter().flatten() {
            if self.packages.len() >= MAX_COMPONENTS {
                self.truncated = true;
                break;
            }
            let purl = p
                .get("externalRefs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
                .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
            let version = p.get("versionInfo").and_then(Value::as_str);
            let purpose = p.get("primaryPackagePurpose").and_then(Value::as_str);
            match purl {
                Some(purl) => {
                    let source = p
                        .get("sourceInfo")
                        .and_then(Value::as_str)
                        .and_then(built_from);
                    self.add(purl, version, &BTreeMap::new(), source);
                }
                None if purpose == Some("OPERATING_SYSTEM") && version.is_some() => {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                    if self.os.is_none() && looks_like_os_id(name) {
                        self.os = Some(OsRelease {
                            id: name.to_ascii_lowercase(),
                            version_id: version.map(str::to_string),
                            ..OsRelease::default()
                        });
                    }
                }
                None => self.without_purl += 1,
            }
        }
        doc.get("name").and_then(Value::as_str).map(str::to_string)
    }

    /// Adds the package a purl names.
    fn add(
        &mut self,
        purl_text: &str,
        version: Option<&str>,
        props: &BTreeMap<String, String>,
        spdx_source: Option<SourcePackage>,
    ) {
        let Ok(purl) = Purl::parse(purl_text) else {
            self.bad_purls += 1;
            return;
        };
        let Some(ecosystem) = Ecosystem::from_purl_type(&purl.ty) else {
            *self.unsupported.entry(purl.ty.clone()).or_default() += 1;
            return;
        };
        let mut version = purl
            .version
            .clone()
            .or_else(|| version.map(str::to_string))
            .unwrap_or_default();
        if ecosystem == Ecosystem::Rpm
            && let Some(epoch) = purl.qualifiers.get("epoch")
            && epoch != "0"
            && !version.contains(':')
        {
            version = format!("{epoch}:{version}");
        }
        let mut pkg = Package::new(ecosystem, purl.package_name(), version);
        pkg.purl = purl_text.to_string();
        pkg.arch = purl.qualifiers.get("arch").cloned();
        if ecosystem.is_os() {
            pkg.source = source_package(&purl, props).or(spdx_source);
            if self.os.is_none() {
                self.os = purl
                    .qualifiers
                    .get("distro")
                    .and_then(|d| os_from_distro(d, purl.namespace.as_deref()));
            }
        }
        for loc in props
            .iter()
            .filter(|(k, _)| k.starts_with("rampart:location"))
        {
            pkg.add_location(Location::new(loc.1.clone()));
        }
        if pkg.locations.is_empty() {
            pkg.add_location(Location::new(self.origin));
        }
        self.packages.push(pkg);
    }

    fn finish(self) -> Inventory {
        let mut warnings = Vec::new();
        let mut warn = |message: String| {
            warnings.push(ScanWarning {
                path: self.origin.to_string(),
                line: None,
                message,
            })
        };
        if self.without_purl > 0 {
            warn(format!(
                "{} components have no purl and were skipped",
                self.without_purl
            ));
        }
        if self.bad_purls > 0 {
            warn(format!(
                "{} components have an invalid purl and were skipped",
                self.bad_purls
            ));
        }
        for (ty, n) in &self.unsupported {
            warn(format!(
                "{n} components of purl type {ty:?} are not matched (no advisory source for that ecosystem)"
            ));
        }
        if self.truncated {
            warn(format!(
                "SBOM truncated at {MAX_COMPONENTS} components or {MAX_NESTING} levels of nesting"
            ));
        }
        let files = 1;
        let mut inv = Inventory {
            os: self.os,
            packages: self.packages,
            warnings,
            files_walked: files,
            files_read: files,
        };
        inv.finish();
        inv
    }
}

fn str_at(doc: &Value, key: &str) -> String {
    doc.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn is_os_component(c: &Value) -> bool {
    c.get("type").and_then(Value::as_str) == Some("operating-system")
}

fn os_from_component(c: &Value) -> Option<OsRelease> {
    let name = c.get("name").and_then(Value::as_str)?;
    looks_like_os_id(name).then(|| OsRelease {
        id: name.to_ascii_lowercase(),
        version_id: c.get("version").and_then(Value::as_str).map(str::to_string),
        pretty_name: c
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        ..OsRelease::default()
    })
}

/// An os-release `ID` is a short lowercase token (`debian`, `alpine`, `rhel`, `opensuse-leap`).
fn looks_like_os_id(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// `distro=debian-11` / `distro=alpine-3.19.1` → OS release; a bare codename is kept as the id's version
/// only when the namespace names the distribution.
fn os_from_distro(distro: &str, namespace: Option<&str>) -> Option<OsRelease> {
    let (id, version) = match distro.split_once('-') {
        Some((id, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => (id, Some(v)),
        _ => (namespace.unwrap_or(distro), None),
    };
    looks_like_os_id(id).then(|| OsRelease {
        id: id.to_ascii_lowercase(),
        version_id: version.map(str::to_string),
        ..OsRelease::default()
    })
}

fn cyclonedx_properties(c: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut locations = 0;
    for p in c
        .get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(value)) = (
            p.get("name").and_then(Value::as_str),
            p.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        if name == "rampart:location" {
            // Several locations: keep each under its own key.
            out.insert(format!("rampart:location#{locations}"), value.to_string());
            locations += 1;
        } else {
            out.insert(name.to_string(), value.to_string());
        }
    }
    out
}

/// The source package from SBOM properties or the purl's `upstream` qualifier.
fn source_package(purl: &Purl, props: &BTreeMap<String, String>) -> Option<SourcePackage> {
    if let Some(name) = props.get("rampart:source-package") {
        return Some(SourcePackage {
            name: name.clone(),
            version: props.get("rampart:source-version").cloned(),
        });
    }
    if let Some(name) = props.get("aquasecurity:trivy:SrcName") {
        let version = props.get("aquasecurity:trivy:SrcVersion").map(|v| {
            let mut v = v.clone();
            if let Some(rel) = props
                .get("aquasecurity:trivy:SrcRelease")
                .filter(|r| !r.is_empty())
            {
                v = format!("{v}-{rel}");
            }
            match props
                .get("aquasecurity:trivy:SrcEpoch")
                .filter(|e| !e.is_empty() && *e != "0")
            {
                Some(e) => format!("{e}:{v}"),
                None => v,
            }
        });
        return Some(SourcePackage {
            name: name.clone(),
            version: version.filter(|v| Some(v) != purl.version.as_ref()),
        });
    }
    let upstream = purl.qualifiers.get("upstream")?;
    let (name, version) = match upstream.split_once('@') {
        Some((n, v)) => (n, Some(v.to_string())),
        None => match upstream.split_once(' ') {
            Some((n, v)) => (n, Some(v.trim_matches(['(', ')']).to_string())),
            None => (upstream.as_str(), None),
        },
    };
    Some(SourcePackage {
        name: name.to_string(),
        version,
    })
}

/// SPDX `sourceInfo: "built package from: NAME VERSION"` (Trivy, Rampart).
fn built_from(info: &str) -> Option<SourcePackage> {
    let rest = info
        .split(';')
        .next()?
        .trim()
        .strip_prefix("built package from:")?;
    let mut words = rest.split_whitespace();
    let name = words.next()?.to_string();
    Some(SourcePackage {
        name,
        version: words.next().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclonedx_with_trivy_and_syft_source_conventions() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"type":"container","name":"alpine:3.19"}},
          "components":[
            {"type":"operating-system","name":"debian","version":"11.6"},
            {"type":"library","name":"libssl1.1","version":"1.1.1n-0+deb11u3","purl":"pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&distro=debian-11.6",
             "properties":[{"name":"aquasecurity:trivy:SrcName","value":"openssl"},{"name":"aquasecurity:trivy:SrcVersion","value":"1.1.1n-0+deb11u3"}]},
            {"type":"library","name":"libc6","purl":"pkg:deb/debian/libc6@2.31-13?upstream=glibc","components":[
               {"type":"library","name":"lodash","purl":"pkg:npm/lodash@4.17.15"}]},
            {"type":"library","name":"nopurl"},
            {"type":"library","name":"x","purl":"pkg:conan/x@1"},
            {"type":"library","name":"bad","purl":"nonsense"}
          ]}"#;
        let sbom = read_sbom("bom.json", doc).unwrap();
        assert_eq!(sbom.format, SbomFormat::CycloneDx);
        assert_eq!(sbom.subject.as_deref(), Some("alpine:3.19"));
        let os = sbom.inventory.os.as_ref().unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("debian", Some("11.6"))
        );
        let by_name = |n: &str| {
            sbom.inventory
                .packages
                .iter()
                .find(|p| p.name == n)
                .unwrap()
        };
        assert_eq!(by_name("libssl1.1").advisory_name(), "openssl");
        assert_eq!(by_name("libssl1.1").version, "1.1.1n-0+deb11u3");
        assert_eq!(by_name("libc6").advisory_name(), "glibc");
        assert_eq!(by_name("lodash").ecosystem, Ecosystem::Npm);
        assert_eq!(sbom.inventory.packages.len(), 3);
        assert_eq!(
            sbom.inventory.warnings.len(),
            3,
            "{:?}",
            sbom.inventory.warnings
        );
    }

    #[test]
    fn spdx_with_os_package_and_built_from() {
        let doc = br#"{"spdxVersion":"SPDX-2.3","name":"img","packages":[
            {"name":"alpine","versionInfo":"3.10.2","primaryPackagePurpose":"OPERATING_SYSTEM"},
            {"name":"libcrypto1.1","versionInfo":"1.1.1c-r0","sourceInfo":"built package from: openssl 1.1.1c-r0; found in: lib/apk/db/installed",
             "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64"}]},
            {"name":"pyyaml","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:pypi/pyyaml@5.3"}]}]}"#;
        let sbom = read_sbom("x.spdx.json", doc).unwrap();
        assert_eq!(sbom.format, SbomFormat::Spdx);
        assert_eq!(sbom.inventory.os.as_ref().unwrap().id, "alpine");
        let crypto = &sbom.inventory.packages[0];
        assert_eq!(crypto.advisory_name(), "openssl");
        assert_eq!(sbom.inventory.packages[1].name, "pyyaml");
    }

    #[test]
    fn rpm_epoch_and_distro_fallback() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"type":"library","name":"bash","purl":"pkg:rpm/redhat/bash@4.4.20-4.el8?arch=x86_64&epoch=1&distro=rhel-8.9"}]}"#;
        let sbom = read_sbom("b.json", doc).unwrap();
        assert_eq!(sbom.inventory.packages[0].version, "1:4.4.20-4.el8");
        let os = sbom.inventory.os.unwrap();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("rhel", Some("8.9"))
        );
    }

    #[test]
    fn malformed_documents_are_clear_errors() {
        for (doc, needle) in [
            (&b"<bom/>"[..], "XML"),
            (b"{", "not JSON"),
            (b"{\"hello\":1}", "neither"),
            (b"[]", "neither"),
        ] {
            let err = read_sbom("f", doc).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
        // Deep nesting beyond serde_json's recursion limit is an error, not a stack overflow.
        let deep = format!(
            "{{\"bomFormat\":\"CycloneDX\",\"components\":{}{}}}",
            "[{\"components\":".repeat(200),
            "[]}]".repeat(200)
        );
        assert!(read_sbom("deep", deep.as_bytes()).is_err());
    }
}
