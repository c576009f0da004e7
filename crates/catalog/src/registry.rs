//! The list of catalogers, and which of them run in which scan mode.

use crate::{Cataloger, FileMeta};

/// What kind of tree is scanned; decides which catalogers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An installed system (host, image rootfs): OS package databases, installed language packages,
    /// binaries and lockfiles.
    Rootfs,
    /// A source tree: lockfiles and manifests, installed packages in `node_modules`/`site-packages`, and
    /// binaries. OS package databases are not read.
    Project,
}

/// The catalogers of one scan mode.
pub struct Registry {
    catalogers: Vec<Box<dyn Cataloger>>,
}

impl Registry {
    /// The built-in catalogers for `mode`.
    pub fn for_mode(mode: Mode) -> Registry {
        let mut catalogers: Vec<Box<dyn Cataloger>> = Vec::new();
        if mode == Mode::Rootfs {
            catalogers.push(Box::new(crate::dpkg::Dpkg));
            catalogers.push(Box::new(crate::apk::Apk));
            catalogers.push(Box::new(crate::rpm::Rpm));
        }
        catalogers.push(Box::new(crate::python::Installed));
        catalogers.push(Box::new(crate::python::Requirements));
        catalogers.push(Box::new(crate::python_lock::PoetryLock));
        catalogers.push(Box::new(crate::python_lock::PipfileLock));
        catalogers.push(Box::new(crate::python_lock::UvLock));
        catalogers.push(Box::new(crate::npm::PackageLock));
        catalogers.push(Box::new(crate::npm::NodeModules));
        catalogers.push(Box::new(crate::yarn::YarnLock));
        catalogers.push(Box::new(crate::pnpm::PnpmLock));
        catalogers.push(Box::new(crate::gomod::GoMod));
        catalogers.push(Box::new(crate::gobin::GoBinary));
        catalogers.push(Box::new(crate::cargo::CargoLock));
        catalogers.push(Box::new(crate::cargo::CargoAuditable));
        catalogers.push(Box::new(crate::ruby::GemfileLock));
        catalogers.push(Box::new(crate::ruby::Gemspec));
        catalogers.push(Box::new(crate::java::JavaArchive));
        Registry { catalogers }
    }

    /// A registry of the given catalogers (for tests and embedders).
    pub fn new(catalogers: Vec<Box<dyn Cataloger>>) -> Registry {
        Registry { catalogers }
    }

    /// All catalogers, in registration order.
    pub fn catalogers(&self) -> impl Iterator<Item = &dyn Cataloger> {
        self.catalogers.iter().map(|c| c.as_ref())
    }

    /// The catalogers that want `file`.
    pub fn wanted<'a>(
        &'a self,
        file: &'a FileMeta<'a>,
    ) -> impl Iterator<Item = &'a dyn Cataloger> + 'a {
        self.catalogers().filter(move |c| c.wants(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(mode: Mode, path: &str, executable: bool) -> Vec<&'static str> {
        let reg = Registry::for_mode(mode);
        let meta = FileMeta {
            path,
            size: 100_000,
            executable,
        };
        reg.wanted(&meta).map(|c| c.name()).collect()
    }

    #[test]
    fn os_databases_only_in_rootfs_mode() {
        assert_eq!(names(Mode::Rootfs, "var/lib/dpkg/status", false), ["dpkg"]);
        assert!(names(Mode::Project, "var/lib/dpkg/status", false).is_empty());
        assert_eq!(
            names(Mode::Project, "app/Cargo.lock", false),
            ["cargo-lock"]
        );
        assert!(names(Mode::Project, "README.md", false).is_empty());
    }

    #[test]
    fn executables_go_to_binary_catalogers() {
        let got = names(Mode::Rootfs, "usr/bin/tool", true);
        assert!(got.contains(&"go-binary") && got.contains(&"cargo-auditable"));
        assert!(names(Mode::Rootfs, "usr/bin/tool", false).is_empty());
    }
}
