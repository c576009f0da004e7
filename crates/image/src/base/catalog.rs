//! The trusted-base catalogue: a YAML list of the base images a team allows, each known by the
//! names its `org.opencontainers.image.base.name` annotation may carry, its manifest digests and the
//! diff ids of its layers — given in the file, or learnt by analysing an image reference the entry
//! names (analyses are cached by digest, so the layers are read once).
//!
//! ```yaml
//! bases:
//!   - name: debian-bookworm-minbase          # required, unique
//!     image: oci:images/oci:minbase           # optional: any `rampart image` reference;
//!                                             # relative paths are relative to this file
//!     references: [docker.io/library/debian:bookworm-slim]   # optional: base.name values
//!     digests: [sha256:…]                     # optional: base.digest values (manifest digests)
//!     diff_ids: [sha256:…]                    # optional when `image` is given
//!     os: debian                              # optional: OS family (ID of os-release)
//! ```

use crate::analyze::{Analysis, AnalyzeOptions, analyze_cached};
use crate::cache::Cache;
use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::reference::ImageRef;
use rampart_core::{OsRelease, ScanWarning};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Catalogue files larger than this are refused.
const MAX_FILE: u64 = 1 << 20;
/// Entries a catalogue may hold.
const MAX_ENTRIES: usize = 1_000;

/// A trusted-base catalogue as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseCatalog {
    /// The allowed base images.
    pub bases: Vec<BaseEntry>,
    /// The folder relative `image` paths are resolved against (the catalogue file's).
    #[serde(skip)]
    pub dir: PathBuf,
}

/// One allowed base image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseEntry {
    /// The name reports use.
    pub name: String,
    /// An image reference Rampart can analyse (`oci:DIR:tag`, `registry/repo:tag`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Names the `org.opencontainers.image.base.name` annotation of derived images may carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Manifest digests (`org.opencontainers.image.base.digest`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<Digest>,
    /// The base's layers (`rootfs.diff_ids`), bottom first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff_ids: Vec<Digest>,
    /// OS family (`debian`, `alpine`, …), when not learnt from the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

/// A catalogue entry with what analysing its image taught.
#[derive(Debug, Clone)]
pub struct KnownBase {
    /// The entry as written.
    pub entry: BaseEntry,
    /// Its layers: the entry's `diff_ids`, else the analysed image's.
    pub diff_ids: Vec<Digest>,
    /// Its OS: from the analysis, else from the entry's `os`.
    pub os: Option<OsRelease>,
    /// The analysis of `image`, when the entry names one.
    pub analysis: Option<Analysis>,
}

impl KnownBase {
    /// Whether a `base.name` / `base.digest` annotation names this base.
    pub fn is_named(&self, name: Option<&str>, digest: Option<&str>) -> bool {
        let by_name = name.is_some_and(|n| {
            let n = normalise_name(n);
            normalise_name(&self.entry.name) == n
                || self.entry.references.iter().any(|r| normalise_name(r) == n)
        });
        let by_digest = digest.is_some_and(|d| {
            self.entry.digests.iter().any(|x| x.to_string() == d)
                || self
                    .analysis
                    .as_ref()
                    .and_then(|a| a.image.manifest_digest.as_ref())
                    .is_some_and(|m| m.to_string() == d)
        });
        by_name || by_digest
    }
}

/// `docker.io/library/debian:bookworm` and `debian:bookworm` name the same image.
fn normalise_name(n: &str) -> String {
    let n = n.trim();
    let n = n.strip_prefix("docker.io/").unwrap_or(n);
    let n = n.strip_prefix("index.docker.io/").unwrap_or(n);
    n.strip_prefix("library/").unwrap_or(n).to_string()
}

impl BaseCatalog {
    /// Reads a catalogue file.
    pub fn load(path: &Path) -> Result<BaseCatalog> {
        let what = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| ImageError::io(&what, e))?;
        if meta.len() > MAX_FILE {
            return Err(ImageError::Limit(format!(
                "{what}: {} bytes, more than {MAX_FILE}",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| ImageError::io(&what, e))?;
        let mut catalog = BaseCatalog::parse(&text, &what)?;
        catalog.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(catalog)
    }

    /// Parses catalogue YAML; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<BaseCatalog> {
        let catalog: BaseCatalog = serde_saphyr::from_str(text)
            .map_err(|e| ImageError::malformed(format!("base catalogue {origin}"), e))?;
        if catalog.bases.len() > MAX_ENTRIES {
            return Err(ImageError::Limit(format!(
                "base catalogue {origin}: {} entries, more than {MAX_ENTRIES}",
                catalog.bases.len()
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, b) in catalog.bases.iter().enumerate() {
            let what = format!("base catalogue {origin}: entry {i}");
            if b.name.trim().is_empty() {
                return Err(ImageError::malformed(what, "`name` is empty"));
            }
            if !seen.insert(b.name.as_str()) {
                return Err(ImageError::malformed(
                    what,
                    format!("duplicate name {:?}", b.name),
                ));
            }
            if b.image.is_none() && b.diff_ids.is_empty() && b.references.is_empty() {
                return Err(ImageError::malformed(
                    what,
                    format!("{:?} needs `image`, `diff_ids` or `references`", b.name),
                ));
            }
        }
        Ok(catalog)
    }

    /// The reference an entry's `image` names, relative local paths resolved against the
    /// catalogue's folder.
    pub fn image_ref(&self, entry: &BaseEntry) -> Option<Result<ImageRef>> {
        let image = entry.image.as_deref()?;
        let mut r = match ImageRef::parse(image) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        match &mut r {
            ImageRef::OciDir { path, .. }
            | ImageRef::OciArchive { path, .. }
            | ImageRef::DockerArchive { path, .. }
                if path.is_relative() =>
            {
                *path = self.dir.join(&*path);
            }
            _ => {}
        }
        Some(Ok(r))
    }

    /// Analyses every entry that names an image (from `cache` when it was analysed before, so only
    /// its manifest and config are read) and returns the known bases. An entry that cannot be
    /// analysed is a warning naming it and is known by what the file says only.
    pub fn resolve(
        &self,
        opts: &AnalyzeOptions,
        cache: &Cache,
    ) -> (Vec<KnownBase>, Vec<ScanWarning>) {
        let mut known = Vec::with_capacity(self.bases.len());
        let mut warnings = Vec::new();
        for entry in &self.bases {
            let analysis = match self.image_ref(entry) {
                None => None,
                Some(r) => match r.and_then(|r| analyze_cached(&r, opts, cache)) {
                    Ok((a, _)) => Some(a),
                    Err(e) => {
                        warnings.push(ScanWarning {
                            path: format!("base catalogue: {}", entry.name),
                            line: None,
                            message: format!("cannot analyse {:?}: {e}", entry.image),
                        });
                        None
                    }
                },
            };
            let diff_ids = if entry.diff_ids.is_empty() {
                analysis
                    .as_ref()
                    .map(|a| a.image.layers.iter().map(|l| l.diff_id.clone()).collect())
                    .unwrap_or_default()
            } else {
                entry.diff_ids.clone()
            };
            let os = analysis
                .as_ref()
                .and_then(|a| a.inventory.os.clone())
                .or_else(|| {
                    entry.os.as_ref().map(|id| OsRelease {
                        id: id.to_ascii_lowercase(),
                        ..OsRelease::default()
                    })
                });
            known.push(KnownBase {
                entry: entry.clone(),
                diff_ids,
                os,
                analysis,
            });
        }
        (known, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D0: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn parses_entries_and_refuses_bad_ones() {
        let c = BaseCatalog::parse(
            &format!(
                "bases:\n  - name: deb\n    image: oci:layout:minbase\n    os: debian\n  - name: slim\n    references: [debian:bookworm-slim]\n    diff_ids: [\"{D0}\"]\n"
            ),
            "t.yaml",
        )
        .unwrap();
        assert_eq!(c.bases.len(), 2);
        assert_eq!(c.bases[1].diff_ids[0].to_string(), D0);
        let dup = BaseCatalog::parse(
            "bases:\n  - {name: a, image: 'oci:x'}\n  - {name: a, image: 'oci:y'}\n",
            "t",
        );
        assert!(dup.unwrap_err().to_string().contains("duplicate"));
        let empty = BaseCatalog::parse("bases:\n  - {name: a}\n", "t");
        assert!(empty.unwrap_err().to_string().contains("needs"));
        let unknown = BaseCatalog::parse("bases:\n  - {name: a, imgae: 'oci:x'}\n", "t");
        assert!(unknown.unwrap_err().to_string().contains("t"));
        let bad_digest = BaseCatalog::parse("bases:\n  - {name: a, diff_ids: [nope]}\n", "t");
        assert!(bad_digest.is_err());
    }

    #[test]
    fn relative_paths_resolve_against_the_catalogue() {
        let mut c = BaseCatalog::parse("bases:\n  - {name: a, image: 'oci:layout:minbase'}\n", "t")
            .unwrap();
        c.dir = PathBuf::from("/etc/rampart");
        let r = c.image_ref(&c.bases[0]).unwrap().unwrap();
        assert_eq!(r.to_string(), "oci:/etc/rampart/layout:minbase");
    }

    #[test]
    fn names_match_with_or_without_the_docker_hub_prefix() {
        let entry: BaseEntry = serde_json::from_str(
            r#"{"name":"slim","references":["docker.io/library/debian:bookworm-slim"]}"#,
        )
        .unwrap();
        let k = KnownBase {
            entry,
            diff_ids: vec![],
            os: None,
            analysis: None,
        };
        assert!(k.is_named(Some("debian:bookworm-slim"), None));
        assert!(k.is_named(Some("slim"), None));
        assert!(!k.is_named(Some("debian:bookworm"), None));
    }
}
