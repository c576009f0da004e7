//! Version parsing and comparison for every package scheme Rampart matches.
//!
//! Each scheme lives in its own module with a parsed type implementing [`Ord`]
//! (`DpkgVersion`, `ApkVersion`, `RpmVersion`, `SemverVersion`, `Pep440Version`,
//! `GoVersion`, `GemVersion`, `MavenVersion`, `GenericVersion`). [`compare`] is
//! the one entry point the vulnerability matcher needs: pick a [`Scheme`] (for
//! example with [`Scheme::for_osv_ecosystem`]) and compare two strings.
//!
//! ```
//! use rampart_version::{Scheme, compare, gem_requirements_satisfied, npm_range_satisfies};
//! use std::cmp::Ordering;
//!
//! let debian = Scheme::for_osv_ecosystem("Debian:12");
//! assert_eq!(compare(debian, "2.36-9+deb12u4", "2.36-9+deb12u3"), Ok(Ordering::Greater));
//! assert_eq!(compare(Scheme::Pep440, "1.0rc1", "1.0"), Ok(Ordering::Less));
//! assert_eq!(npm_range_satisfies(">=1.2.3 <2.0.0 || ^3.1", "3.4.0"), Ok(true));
//! assert_eq!(gem_requirements_satisfied(&["~> 1.2.3", ">= 1.2.5"], "1.2.4"), Ok(false));
//! assert!(compare(Scheme::Semver, "1.0.0", "not a version").is_err());
//! ```
//!
//! Invariants: no parser panics on any input, every parser rejects inputs longer
//! than [`MAX_VERSION_LEN`] bytes before looking at them, and every comparison is
//! linear in the input length. Numbers are compared as digit strings, so huge
//! numeric components never overflow.

#![warn(missing_docs)]

/// Implements `PartialOrd`, `PartialEq` and `Eq` from a type's `Ord`, so equality means "compares equal"
/// (e.g. `1.0 == 1.0.0` under PEP 440) rather than "same text".
#[macro_export]
#[doc(hidden)]
macro_rules! order_from_ord {
    ($t:ty) => {
        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == std::cmp::Ordering::Equal
            }
        }

        impl Eq for $t {}
    };
}

pub mod apk;
pub mod dpkg;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod generic;
pub mod go;
pub mod maven;
pub mod npm;
mod numeric;
#[cfg(test)]
mod order_laws;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
mod scheme;
pub mod semver;

pub use apk::ApkVersion;
pub use dpkg::DpkgVersion;
pub use error::VersionError;
pub use generic::GenericVersion;
pub use go::GoVersion;
pub use maven::MavenVersion;
pub use npm::npm_range_satisfies;
pub use pep440::Pep440Version;
pub use rpm::RpmVersion;
pub use rubygems::{GemRequirement, GemVersion, gem_requirements_satisfied};
pub use scheme::Scheme;
pub use semver::SemverVersion;

use std::cmp::Ordering;

/// Longest version string any parser accepts, in bytes.
pub const MAX_VERSION_LEN: usize = 256;

/// Compares two versions under a scheme.
///
/// Errors only when a string cannot be a version of that scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(match scheme {
        Scheme::Dpkg => DpkgVersion::parse(a)?.cmp(&DpkgVersion::parse(b)?),
        Scheme::Apk => ApkVersion::parse(a)?.cmp(&ApkVersion::parse(b)?),
        Scheme::Rpm => RpmVersion::parse(a)?.cmp(&RpmVersion::parse(b)?),
        Scheme::Semver => SemverVersion::parse(a)?.cmp(&SemverVersion::parse(b)?),
        Scheme::Pep440 => Pep440Version::parse(a)?.cmp(&Pep440Version::parse(b)?),
        Scheme::Go => GoVersion::parse(a)?.cmp(&GoVersion::parse(b)?),
        Scheme::RubyGems => GemVersion::parse(a)?.cmp(&GemVersion::parse(b)?),
        Scheme::Maven => MavenVersion::parse(a)?.cmp(&MavenVersion::parse(b)?),
        Scheme::Generic => GenericVersion::parse(a)?.cmp(&GenericVersion::parse(b)?),
    })
}

/// Common input checks: trims ASCII whitespace, then rejects empty, overlong and
/// control-character-bearing strings.
pub(crate) fn check_input(scheme: Scheme, input: &str) -> Result<&str, VersionError> {
    if input.len() > MAX_VERSION_LEN {
        return Err(VersionError::TooLong {
            scheme,
            len: input.len(),
            max: MAX_VERSION_LEN,
        });
    }
    let trimmed = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.is_empty() {
        return Err(VersionError::Empty { scheme });
    }
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(VersionError::invalid(
            scheme,
            input,
            "contains whitespace or control characters",
        ));
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_dispatches_to_each_scheme() {
        let cases = [
            (Scheme::Dpkg, "1.0~rc1", "1.0", Ordering::Less),
            (Scheme::Apk, "1.2.3_p1", "1.2.3", Ordering::Greater),
            (Scheme::Rpm, "1.0^", "1.0", Ordering::Greater),
            (Scheme::Semver, "1.0.0-alpha", "1.0.0", Ordering::Less),
            (Scheme::Pep440, "1.0", "1.0.0", Ordering::Equal),
            (Scheme::Go, "go1.21rc2", "go1.21.0", Ordering::Less),
            (Scheme::RubyGems, "1.0.a", "1.0", Ordering::Less),
            (Scheme::Maven, "1.0-SNAPSHOT", "1.0", Ordering::Less),
            (Scheme::Generic, "1.10", "1.9", Ordering::Greater),
        ];
        for (scheme, a, b, want) in cases {
            assert_eq!(compare(scheme, a, b), Ok(want), "{scheme:?} {a} {b}");
        }
    }

    #[test]
    fn every_scheme_rejects_hostile_input() {
        let long = "1".repeat(MAX_VERSION_LEN + 1);
        for scheme in Scheme::ALL {
            let only_separators = ["...", "---", "~~", "+", ".-_", "::", "!"];
            let control = ["1\0", "1\n2", "1\u{7f}", "1\u{202e}2", "\u{1b}[31m1"];
            for bad in ["", "   ", long.as_str()]
                .into_iter()
                .chain(only_separators)
                .chain(control)
            {
                assert!(compare(scheme, bad, "1").is_err(), "{scheme:?} {bad:?}");
                assert!(compare(scheme, "1", bad).is_err(), "{scheme:?} {bad:?}");
            }
        }
    }

    /// `1..2` is a valid version in some schemes and not in others; each follows its spec.
    #[test]
    fn double_dot_follows_each_spec() {
        let accepted = [Scheme::Dpkg, Scheme::Rpm, Scheme::Maven, Scheme::Generic];
        for scheme in Scheme::ALL {
            let ok = compare(scheme, "1..2", "1").is_ok();
            assert_eq!(ok, accepted.contains(&scheme), "{scheme:?}");
        }
    }

    #[test]
    fn errors_name_scheme_and_input() {
        let err = compare(Scheme::Dpkg, "1.0", "1:").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("dpkg") && msg.contains("1:"), "{msg}");
    }
}
