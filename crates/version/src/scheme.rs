//! Version schemes and how OSV ecosystems map onto them.

use std::fmt;

/// A version scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Dpkg,
    /// Alpine, Wolfi and Chainguard packages (apk-tools).
    Apk,
    /// RPM-based distributions (`rpmvercmp` on epoch:version-release).
    Rpm,
    /// SemVer 2.0.0 (npm, crates.io, OSV `SEMVER` ranges).
    Semver,
    /// Python packages (PEP 440).
    Pep440,
    /// Go modules and Go toolchain versions.
    Go,
    /// Ruby gems (`Gem::Version`).
    RubyGems,
    /// Maven artifacts (`ComparableVersion`).
    Maven,
    /// Dotted alphanumeric fallback for everything else.
    Generic,
}

impl Scheme {
    /// Every scheme, for exhaustive tests and fuzzing.
    pub const ALL: [Scheme; 9] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Go,
        Scheme::RubyGems,
        Scheme::Maven,
        Scheme::Generic,
    ];

    /// Scheme for an OSV ecosystem name: "Debian", "Debian:11", "Ubuntu:22.04", "Alpine", "Alpine:v3.19", "PyPI",
    /// "Go", "crates.io", "npm", "RubyGems", "Maven", "Red Hat"/"Rocky Linux"/"AlmaLinux"/"openSUSE"/"SUSE" (rpm), others → Generic.
    ///
    /// The release suffix after the first `:` is ignored and names match
    /// case-insensitively. Besides the names above, "Wolfi" and "Chainguard" map to
    /// apk, "Mageia" and "openEuler" to rpm, and "Hex" to SemVer, as the OSV schema
    /// specifies.
    pub fn for_osv_ecosystem(eco: &str) -> Scheme {
        let base = eco.split(':').next().unwrap_or_default().trim();
        let is = |name: &str| base.eq_ignore_ascii_case(name);
        if is("Debian") || is("Ubuntu") {
            Scheme::Dpkg
        } else if is("Alpine") || is("Wolfi") || is("Chainguard") {
            Scheme::Apk
        } else if [
            "Red Hat",
            "Rocky Linux",
            "AlmaLinux",
            "openSUSE",
            "SUSE",
            "Mageia",
            "openEuler",
        ]
        .iter()
        .any(|name| is(name))
        {
            Scheme::Rpm
        } else if is("PyPI") {
            Scheme::Pep440
        } else if is("Go") {
            Scheme::Go
        } else if is("crates.io") || is("npm") || is("Hex") {
            Scheme::Semver
        } else if is("RubyGems") {
            Scheme::RubyGems
        } else if is("Maven") {
            Scheme::Maven
        } else {
            Scheme::Generic
        }
    }

    /// Short lowercase name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Semver => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Go => "go",
            Scheme::RubyGems => "rubygems",
            Scheme::Maven => "maven",
            Scheme::Generic => "generic",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_osv_ecosystems() {
        let cases = [
            ("Debian", Scheme::Dpkg),
            ("Debian:11", Scheme::Dpkg),
            ("Ubuntu:22.04", Scheme::Dpkg),
            ("Ubuntu:Pro:18.04:LTS", Scheme::Dpkg),
            ("Alpine", Scheme::Apk),
            ("Alpine:v3.19", Scheme::Apk),
            ("Wolfi", Scheme::Apk),
            ("PyPI", Scheme::Pep440),
            ("Go", Scheme::Go),
            ("crates.io", Scheme::Semver),
            ("npm", Scheme::Semver),
            ("RubyGems", Scheme::RubyGems),
            ("Maven", Scheme::Maven),
            ("Red Hat", Scheme::Rpm),
            ("Red Hat:enterprise_linux:9::appstream", Scheme::Rpm),
            ("Rocky Linux:9", Scheme::Rpm),
            ("AlmaLinux:8", Scheme::Rpm),
            ("openSUSE", Scheme::Rpm),
            ("SUSE:Linux Enterprise Server 15 SP5", Scheme::Rpm),
            ("Packagist", Scheme::Generic),
            ("NuGet", Scheme::Generic),
            ("", Scheme::Generic),
        ];
        for (eco, want) in cases {
            assert_eq!(Scheme::for_osv_ecosystem(eco), want, "{eco}");
        }
    }
}
