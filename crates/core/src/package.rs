//! Packages found on an asset, and the ecosystems they belong to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The packaging world a package belongs to. This decides the purl type, the version scheme and the
/// advisory namespace used to match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Debian-family binary package (`dpkg`). Matched per distribution release on its source package.
    #[serde(rename = "deb")]
    Deb,
    /// Alpine package (`apk`). Matched per Alpine branch on its origin package.
    #[serde(rename = "apk")]
    Apk,
    /// RPM package (Fedora, RHEL family, SUSE).
    #[serde(rename = "rpm")]
    Rpm,
    #[serde(rename = "pypi")]
    PyPI,
    #[serde(rename = "npm")]
    Npm,
    /// Go modules, and the Go standard library as the module `stdlib`.
    #[serde(rename = "go")]
    Go,
    #[serde(rename = "cargo")]
    Cargo,
    #[serde(rename = "gem")]
    RubyGems,
    #[serde(rename = "maven")]
    Maven,
}

impl Ecosystem {
    /// All ecosystems, in a stable order.
    pub const ALL: [Ecosystem; 9] = [
        Ecosystem::Deb,
        Ecosystem::Apk,
        Ecosystem::Rpm,
        Ecosystem::PyPI,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::Cargo,
        Ecosystem::RubyGems,
        Ecosystem::Maven,
    ];

    /// The package-url type (`pkg:<type>/…`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "golang",
            Ecosystem::Cargo => "cargo",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Maven => "maven",
        }
    }

    /// The OSV ecosystem name for language ecosystems; `None` for OS packages, whose OSV name depends on
    /// the distribution (`Debian:12`, `Alpine:v3.19`, …).
    pub fn osv_name(self) -> Option<&'static str> {
        match self {
            Ecosystem::PyPI => Some("PyPI"),
            Ecosystem::Npm => Some("npm"),
            Ecosystem::Go => Some("Go"),
            Ecosystem::Cargo => Some("crates.io"),
            Ecosystem::RubyGems => Some("RubyGems"),
            Ecosystem::Maven => Some("Maven"),
            Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => None,
        }
    }

    /// Whether packages of this ecosystem are installed by the operating system's package manager.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }

    /// Parses a purl type back into an ecosystem.
    pub fn from_purl_type(t: &str) -> Option<Ecosystem> {
        Ecosystem::ALL
            .into_iter()
            .find(|e| e.purl_type().eq_ignore_ascii_case(t))
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
            Ecosystem::Cargo => "cargo",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Maven => "maven",
        })
    }
}

/// Where a package was found: a file path (relative to the scanned root, `/`-separated) and, for
/// lockfiles, the line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    /// First line (1-based) of the evidence in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Last line (1-based, inclusive) when the evidence spans several lines (a resource block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
}

impl Location {
    pub fn new(path: impl Into<String>) -> Self {
        Location {
            path: path.into(),
            line: None,
            end_line: None,
        }
    }

    pub fn with_line(path: impl Into<String>, line: u32) -> Self {
        Location {
            path: path.into(),
            line: Some(line),
            end_line: None,
        }
    }

    /// A location spanning lines `start..=end` of a file.
    pub fn with_lines(path: impl Into<String>, start: u32, end: u32) -> Self {
        Location {
            path: path.into(),
            line: Some(start),
            end_line: (end > start).then_some(end),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}", self.path, l),
            None => f.write_str(&self.path),
        }
    }
}

/// The source package a binary package was built from (Debian `Source:`, Alpine origin, RPM source RPM).
/// Distribution advisories are written against source packages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePackage {
    pub name: String,
    /// The source version, when it differs from the binary version (e.g. binNMUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The image layer that introduced a package or file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LayerRef {
    /// Content digest of the layer (`sha256:…`).
    pub digest: String,
    /// Position of the layer in the image, from 0 (the bottom).
    pub index: u32,
    /// The history line that created the layer (`created_by`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// One installed or declared package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    /// Package URL (purl spec), including distribution qualifiers for OS packages.
    pub purl: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// Every place the package was seen (deduplicated, sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Licence expressions or names as declared by the package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
}

impl Package {
    /// A package with a purl computed from its ecosystem, name and version (no distro qualifiers).
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        let name = name.into();
        let version = version.into();
        let purl = crate::purl::Purl::for_package(ecosystem, &name, &version).to_string();
        Package {
            name,
            version,
            ecosystem,
            purl,
            source: None,
            locations: Vec::new(),
            layer: None,
            arch: None,
            licenses: Vec::new(),
        }
    }

    /// Adds a location, keeping the list sorted and free of duplicates.
    pub fn add_location(&mut self, location: Location) {
        if let Err(at) = self.locations.binary_search(&location) {
            self.locations.insert(at, location);
        }
    }

    /// Builder form of [`Package::add_location`].
    pub fn at(mut self, location: Location) -> Self {
        self.add_location(location);
        self
    }

    /// The name advisories use for this package: the source package for OS packages when known.
    pub fn advisory_name(&self) -> &str {
        match (&self.source, self.ecosystem.is_os()) {
            (Some(src), true) => &src.name,
            _ => &self.name,
        }
    }

    /// The version advisories compare against: the source version for OS packages when it differs.
    pub fn advisory_version(&self) -> &str {
        match (&self.source, self.ecosystem.is_os()) {
            (
                Some(SourcePackage {
                    version: Some(v), ..
                }),
                true,
            ) => v,
            _ => &self.version,
        }
    }

    /// A stable identity for deduplication: ecosystem, name, version and first location.
    pub fn identity(&self) -> String {
        format!("{}|{}|{}", self.ecosystem, self.name, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_packages_match_on_their_source() {
        let mut p = Package::new(Ecosystem::Deb, "libssl3", "3.0.11-1~deb12u2");
        p.source = Some(SourcePackage {
            name: "openssl".into(),
            version: None,
        });
        assert_eq!(p.advisory_name(), "openssl");
        assert_eq!(p.advisory_version(), "3.0.11-1~deb12u2");
        p.source.as_mut().unwrap().version = Some("3.0.11-1~deb12u1".into());
        assert_eq!(p.advisory_version(), "3.0.11-1~deb12u1");
    }

    #[test]
    fn language_packages_ignore_source() {
        let mut p = Package::new(Ecosystem::PyPI, "jinja2", "2.10");
        p.source = Some(SourcePackage {
            name: "other".into(),
            version: None,
        });
        assert_eq!(p.advisory_name(), "jinja2");
    }

    #[test]
    fn locations_stay_sorted_and_unique() {
        let p = Package::new(Ecosystem::Npm, "lodash", "4.17.20")
            .at(Location::new("b/package-lock.json"))
            .at(Location::new("a/package-lock.json"))
            .at(Location::new("b/package-lock.json"));
        assert_eq!(p.locations.len(), 2);
        assert_eq!(p.locations[0].path, "a/package-lock.json");
    }

    #[test]
    fn purl_types_round_trip() {
        for e in Ecosystem::ALL {
            assert_eq!(Ecosystem::from_purl_type(e.purl_type()), Some(e));
        }
    }
}
