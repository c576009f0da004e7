//! The result of a catalog run, and the final pass over it: merging duplicates, distribution qualifiers on
//! OS package purls, deterministic order.

use rampart_core::purl::Purl;
use rampart_core::{Ecosystem, OsRelease, Package, ScanWarning};
use std::collections::HashMap;

/// What makes two packages the same: ecosystem, name, version and source package.
type MergeKey = (Ecosystem, String, String, Option<(String, Option<String>)>);

/// Everything a catalog run found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// The operating system of the tree, when it has one.
    pub os: Option<OsRelease>,
    /// Packages, merged and sorted.
    pub packages: Vec<Package>,
    /// Problems that did not stop the run, sorted.
    pub warnings: Vec<ScanWarning>,
    /// Files seen by the walker.
    pub files_walked: u64,
    /// Files read because a cataloger wanted them.
    pub files_read: u64,
}

impl Inventory {
    /// Merges duplicate packages (same ecosystem, name, version and source: their locations are united),
    /// sets distribution qualifiers on OS package purls, and sorts packages and warnings.
    ///
    /// Walkers call this once after feeding all files; calling it again is harmless.
    pub fn finish(&mut self) {
        let packages = std::mem::take(&mut self.packages);
        let mut index: HashMap<MergeKey, usize> = HashMap::new();
        for mut pkg in packages {
            if pkg.ecosystem.is_os() {
                pkg.purl = os_purl(&pkg, self.os.as_ref());
            }
            let src = pkg
                .source
                .as_ref()
                .map(|s| (s.name.clone(), s.version.clone()));
            let key = (pkg.ecosystem, pkg.name.clone(), pkg.version.clone(), src);
            match index.get(&key) {
                Some(&at) => {
                    for loc in pkg.locations {
                        self.packages[at].add_location(loc);
                    }
                    for lic in pkg.licenses {
                        if !self.packages[at].licenses.contains(&lic) {
                            self.packages[at].licenses.push(lic);
                        }
                    }
                }
                None => {
                    index.insert(key, self.packages.len());
                    self.packages.push(pkg);
                }
            }
        }
        self.packages.sort_by(|a, b| {
            (a.ecosystem, &a.name, &a.version, &a.purl, &a.locations).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.purl,
                &b.locations,
            ))
        });
        self.warnings.sort();
        self.warnings.dedup();
    }
}

/// The purl of an OS package: distribution namespace, `arch`, `distro`, `epoch` and `upstream` qualifiers.
fn os_purl(pkg: &Package, os: Option<&OsRelease>) -> String {
    let default_ns = match pkg.ecosystem {
        Ecosystem::Apk => "alpine",
        Ecosystem::Rpm => "redhat",
        _ => "debian",
    };
    let namespace = os.map_or(default_ns, |o| o.id.as_str());
    // RPM versions are stored as `[epoch:]version-release`; the purl carries the epoch as a qualifier.
    let (epoch, version) = match (pkg.ecosystem, pkg.version.split_once(':')) {
        (Ecosystem::Rpm, Some((e, v))) if e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), v),
        _ => (None, pkg.version.as_str()),
    };
    let mut purl = Purl::for_package(pkg.ecosystem, &pkg.name, version).namespace(namespace);
    if let Some(arch) = &pkg.arch {
        purl = purl.qualifier("arch", arch.clone());
    }
    if let Some(os) = os {
        let distro = match &os.version_id {
            Some(v) => format!("{}-{v}", os.id),
            None => os.id.clone(),
        };
        purl = purl.qualifier("distro", distro);
    }
    if let Some(e) = epoch {
        purl = purl.qualifier("epoch", e);
    }
    if let Some(src) = &pkg.source
        && src.name != pkg.name
    {
        purl = purl.qualifier("upstream", src.name.clone());
    }
    purl.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::{Location, SourcePackage};

    fn deb(name: &str, src: &str, path: &str) -> Package {
        let mut p = Package::new(Ecosystem::Deb, name, "3.0.11-1~deb12u2").at(Location::new(path));
        p.arch = Some("amd64".into());
        p.source = Some(SourcePackage {
            name: src.into(),
            version: None,
        });
        p
    }

    #[test]
    fn merges_duplicates_and_qualifies_os_purls() {
        let mut inv = Inventory {
            os: OsRelease::parse("ID=debian\nVERSION_ID=\"12\"\n"),
            packages: vec![
                deb("libssl3", "openssl", "b"),
                deb("libssl3", "openssl", "a"),
                deb("openssl", "openssl", "a"),
                Package::new(Ecosystem::Npm, "a", "1.0.0"),
            ],
            ..Inventory::default()
        };
        inv.finish();
        assert_eq!(inv.packages.len(), 3);
        assert_eq!(
            inv.packages[0].purl,
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
        assert_eq!(inv.packages[0].locations.len(), 2);
        assert_eq!(
            inv.packages[1].purl,
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        assert_eq!(inv.packages[2].ecosystem, Ecosystem::Npm);
    }

    #[test]
    fn rpm_epoch_becomes_a_qualifier() {
        let mut inv = Inventory {
            os: OsRelease::parse("ID=fedora\nVERSION_ID=39\n"),
            packages: vec![Package::new(Ecosystem::Rpm, "bash", "1:5.2.15-5.fc39")],
            ..Inventory::default()
        };
        inv.finish();
        assert_eq!(
            inv.packages[0].purl,
            "pkg:rpm/fedora/bash@5.2.15-5.fc39?distro=fedora-39&epoch=1"
        );
    }
}
