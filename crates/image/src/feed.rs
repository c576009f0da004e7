//! Feeds layer files to the catalog registry and attributes packages to layers.
//!
//! Every version of every wanted file is parsed when its layer is streamed (catalogers never open files
//! themselves). For each path the feed keeps the package keys of each version; a package of the final
//! image is attributed to the earliest layer from which it was continuously present at one of its
//! locations — so a package database rewritten by a later layer keeps its older packages' layers, and a
//! package removed and re-added belongs to the layer that re-added it.

use crate::fs::{FsView, NodeKind};
use crate::model::LayerInfo;
use rampart_catalog::{Cataloger, FileMeta, Inventory, Mode, ParseContext, Registry};
use rampart_core::{Ecosystem, Package, ScanWarning};
use std::collections::HashMap;

/// The largest release file (`os-release`) kept.
const MAX_RELEASE_FILE: u64 = 64 << 10;

type Key = (Ecosystem, String, String);

/// One version of a wanted path: the layer that wrote it and its package keys (`None`: deleted or no
/// longer a cataloged file).
#[derive(Debug, Clone)]
struct Version {
    layer: u32,
    keys: Option<Vec<Key>>,
}

/// The parse result of the newest version of a path.
#[derive(Debug, Clone, Default)]
struct Latest {
    layer: u32,
    packages: Vec<Package>,
    warnings: Vec<ScanWarning>,
}

/// Catalog state across the layers of one image.
pub(crate) struct CatalogFeed {
    registry: Registry,
    max_file_size: u64,
    versions: HashMap<String, Vec<Version>>,
    latest: HashMap<String, Latest>,
    releases: HashMap<String, (u32, Vec<u8>)>,
    files_read: u64,
}

impl CatalogFeed {
    pub(crate) fn new(mode: Mode, max_file_size: u64) -> CatalogFeed {
        CatalogFeed {
            registry: Registry::for_mode(mode),
            max_file_size,
            versions: HashMap::new(),
            latest: HashMap::new(),
            releases: HashMap::new(),
            files_read: 0,
        }
    }

    /// How many bytes of this file the catalogers (or OS detection) want; `None` when none wants it.
    pub(crate) fn wants(&self, file: &FileMeta) -> Option<u64> {
        let cap = |n: u64| {
            if self.max_file_size == 0 {
                n
            } else {
                n.min(self.max_file_size)
            }
        };
        let catalogers = self.registry.wanted(file).map(|c| cap(c.max_size())).max();
        let release = is_release_file(file.path).then_some(MAX_RELEASE_FILE);
        catalogers.max(release)
    }

    /// Parses one version of a wanted file written by `layer`.
    pub(crate) fn file(&mut self, layer: u32, file: &FileMeta, content: &[u8]) {
        if is_release_file(file.path) && content.len() as u64 <= MAX_RELEASE_FILE {
            self.releases
                .insert(file.path.to_string(), (layer, content.to_vec()));
        }
        let wanted: Vec<&dyn Cataloger> = self.registry.wanted(file).collect();
        if wanted.is_empty() {
            return;
        }
        self.files_read += 1;
        let ctx = ParseContext {
            path: file.path,
            os: None,
        };
        let mut latest = Latest {
            layer,
            ..Latest::default()
        };
        for cataloger in wanted {
            let limit = match self.max_file_size {
                0 => cataloger.max_size(),
                m => cataloger.max_size().min(m),
            };
            if content.len() as u64 > limit {
                latest.warnings.push(warning(
                    file.path,
                    format!(
                        "{}: file is larger than {limit} bytes, skipped",
                        cataloger.name()
                    ),
                ));
                continue;
            }
            match cataloger.parse(&ctx, content) {
                Ok(parsed) => {
                    latest.packages.extend(parsed.packages);
                    latest.warnings.extend(parsed.warnings);
                }
                Err(err) => latest
                    .warnings
                    .push(warning(file.path, format!("{}: {err}", cataloger.name()))),
            }
        }
        self.record(file.path, latest);
    }

    /// A hard link at a wanted path: it has the content its target had.
    pub(crate) fn hardlink(&mut self, layer: u32, file: &FileMeta, target: &str) {
        if self.registry.wanted(file).next().is_none() {
            self.touched(layer, file.path);
            return;
        }
        if let Some((_, content)) = self.releases.get(target).cloned() {
            self.releases
                .insert(file.path.to_string(), (layer, content));
        }
        let Some(source) = self.latest.get(target).cloned() else {
            self.touched(layer, file.path);
            return;
        };
        let mut latest = Latest {
            layer,
            ..Latest::default()
        };
        for mut pkg in source.packages {
            for loc in &mut pkg.locations {
                if loc.path == target {
                    loc.path = file.path.to_string();
                }
            }
            latest.packages.push(pkg);
        }
        self.record(file.path, latest);
    }

    fn record(&mut self, path: &str, latest: Latest) {
        let keys = latest.packages.iter().map(key).collect();
        self.versions
            .entry(path.to_string())
            .or_default()
            .push(Version {
                layer: latest.layer,
                keys: Some(keys),
            });
        self.latest.insert(path.to_string(), latest);
    }

    /// `layer` deleted `path` or replaced it by something no cataloger reads.
    pub(crate) fn touched(&mut self, layer: u32, path: &str) {
        if let Some(versions) = self.versions.get_mut(path) {
            versions.push(Version { layer, keys: None });
            self.latest.remove(path);
        }
        self.releases.remove(path);
    }

    /// The inventory of the final image: packages of the surviving versions, attributed to layers.
    pub(crate) fn finish(
        mut self,
        fs: &FsView,
        layers: &[LayerInfo],
        max_hops: usize,
    ) -> Inventory {
        let releases = &self.releases;
        let os = rampart_catalog::detect_os(&|rel| {
            let resolved = fs.resolve(rel, max_hops)?;
            releases.get(&resolved).map(|(_, c)| c.clone())
        });
        let mut inv = Inventory {
            os,
            files_walked: fs.iter().filter(|(_, n)| n.kind == NodeKind::File).count() as u64,
            files_read: self.files_read,
            ..Inventory::default()
        };
        let mut paths: Vec<String> = self.latest.keys().cloned().collect();
        paths.sort();
        for path in paths {
            let survives = fs
                .get(&path)
                .is_some_and(|n| matches!(n.kind, NodeKind::File | NodeKind::Hardlink(_)));
            if let Some(latest) = self.latest.remove(&path).filter(|_| survives) {
                inv.packages.extend(latest.packages);
                inv.warnings.extend(latest.warnings);
            }
        }
        inv.finish();
        for pkg in &mut inv.packages {
            let k = key(pkg);
            let layer = pkg
                .locations
                .iter()
                .filter_map(|loc| self.introduced(&loc.path, &k))
                .min();
            pkg.layer = layer
                .and_then(|l| layers.get(l as usize))
                .map(LayerInfo::layer_ref);
        }
        inv
    }

    /// The earliest layer from which `key` was continuously present at `path` up to the final version.
    fn introduced(&self, path: &str, key: &Key) -> Option<u32> {
        let versions = self.versions.get(path).or_else(|| {
            path.split_once('!')
                .and_then(|(outer, _)| self.versions.get(outer))
        })?;
        let mut found = None;
        for v in versions.iter().rev() {
            match &v.keys {
                Some(keys) if keys.contains(key) => found = Some(v.layer),
                _ => break,
            }
        }
        found
    }
}

fn key(p: &Package) -> Key {
    (p.ecosystem, p.name.clone(), p.version.clone())
}

/// Files OS detection may read (directly or as a symlink target).
fn is_release_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(name, "os-release" | "alpine-release")
}

fn warning(path: &str, message: String) -> ScanWarning {
    ScanWarning {
        path: path.to_string(),
        line: None,
        message,
    }
}
