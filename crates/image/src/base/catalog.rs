//! The trusted-base catalogue: a YAML list of the base images a team allows, each known by the
//! names its `org.opencontainers.image.base.name` annotation may carry, its manifest digests and the
//! diff ids of its layers — given in the file, learnt by analysing an image reference the entry
//! names (`image`; analyses are cached by digest, so the layers are read once), or read from the
//! manifest and config of a reference (`ref`; no layer is read). [`BaseCatalog::pin`] writes a
//! reference's diff ids and digest back into the file, so matching is reproducible offline.
//!
//! ```yaml
//! bases:
//!   - name: debian-bookworm-minbase          # required, unique
//!     image: oci:images/oci:minbase           # optional: any `rampart image` reference, analysed;
//!                                             # relative paths are relative to this file
//!   - name: debian-12
//!     ref: localhost:5000/base/debian:12      # optional: a reference whose layers (manifest and
//!                                             # config only) are the entry's; not with `image`
//!     references: [docker.io/library/debian:bookworm-slim]   # optional: base.name values
//!     digests: [sha256:…]                     # optional: base.digest values (manifest digests)
//!     diff_ids: [sha256:…]                    # optional with `image`/`ref`: pinned layers
//!     digest: sha256:…                        # optional: pinned manifest digest of `ref`/`image`
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseEntry {
    /// The name reports use.
    pub name: String,
    /// An image reference Rampart can analyse (`oci:DIR:tag`, `registry/repo:tag`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// An image reference whose layers are read from its manifest and config only (no layer is
    /// pulled); the entry is then known by its layers, not analysed.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Names the `org.opencontainers.image.base.name` annotation of derived images may carry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Manifest digests (`org.opencontainers.image.base.digest`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<Digest>,
    /// The base's layers (`rootfs.diff_ids`), bottom first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff_ids: Vec<Digest>,
    /// The manifest digest `ref` (or `image`) resolved to when it was pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// OS family (`debian`, `alpine`, …), when not learnt from the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

impl BaseEntry {
    /// The reference that identifies the entry's layers: `ref`, else `image`.
    pub fn pinnable(&self) -> Option<&str> {
        self.reference.as_deref().or(self.image.as_deref())
    }
}

/// What a reference resolves to now: its layers and manifest digest (manifest and config only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The config's `rootfs.diff_ids`, bottom first.
    pub diff_ids: Vec<Digest>,
    /// The platform manifest digest (`None` for docker-archive, which has no manifest blob).
    pub digest: Option<Digest>,
}

/// How an entry's pinned layers and digest compare with what its reference resolves to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinState {
    /// Nothing pinned yet.
    Unpinned,
    /// The pinned layers and digest are current.
    Current,
    /// Same layers, another manifest (re-pushed or recompressed): matching is unaffected.
    DigestChanged,
    /// The reference now has other layers: the base was updated upstream.
    LayersChanged,
}

impl Pin {
    /// Compares `entry`'s pinned values with this.
    pub fn state_of(&self, entry: &BaseEntry) -> PinState {
        if entry.diff_ids.is_empty() {
            PinState::Unpinned
        } else if entry.diff_ids != self.diff_ids {
            PinState::LayersChanged
        } else if self.digest.is_some() && entry.digest != self.digest {
            PinState::DigestChanged
        } else {
            PinState::Current
        }
    }

    /// Writes this into `entry`.
    pub fn apply(&self, entry: &mut BaseEntry) {
        entry.diff_ids.clone_from(&self.diff_ids);
        entry.digest.clone_from(&self.digest);
    }
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
    /// Its manifest digest: pinned, resolved from `ref`, or of the analysed image.
    pub digest: Option<Digest>,
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
                || self.digest.as_ref().is_some_and(|m| m.to_string() == d)
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
            if b.image.is_some() && b.reference.is_some() {
                return Err(ImageError::malformed(
                    what,
                    format!("{:?} has both `image` and `ref`: give one", b.name),
                ));
            }
            if b.pinnable().is_none() && b.diff_ids.is_empty() && b.references.is_empty() {
                return Err(ImageError::malformed(
                    what,
                    format!(
                        "{:?} needs `image`, `ref`, `diff_ids` or `references`",
                        b.name
                    ),
                ));
            }
        }
        Ok(catalog)
    }

    /// The reference an entry's `image` names, relative local paths resolved against the
    /// catalogue's folder.
    pub fn image_ref(&self, entry: &BaseEntry) -> Option<Result<ImageRef>> {
        Some(self.parse_ref(entry.image.as_deref()?))
    }

    /// The reference [`BaseEntry::pinnable`] names, resolved like [`BaseCatalog::image_ref`].
    pub fn pin_ref(&self, entry: &BaseEntry) -> Option<Result<ImageRef>> {
        Some(self.parse_ref(entry.pinnable()?))
    }

    fn parse_ref(&self, text: &str) -> Result<ImageRef> {
        let mut r = ImageRef::parse(text)?;
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
        Ok(r)
    }

    /// Resolves an entry's reference (`ref`, else `image`) to its current layers and manifest
    /// digest, reading the manifest and config only; `None` when the entry names no reference.
    pub fn fetch_pin(&self, entry: &BaseEntry, opts: &AnalyzeOptions) -> Option<Result<Pin>> {
        let r = match self.pin_ref(entry)? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        Some(
            crate::source::open_with(&r, &opts.registry)
                .and_then(|s| s.resolve(&opts.platform))
                .map(|resolved| Pin {
                    diff_ids: resolved.layers.into_iter().map(|l| l.diff_id).collect(),
                    digest: resolved.manifest_digest,
                }),
        )
    }

    /// Resolves every entry's reference and writes its layers and digest into the entry;
    /// returns each entry's state before. Stops at the first reference that cannot be resolved
    /// (naming the entry), leaving `self` unchanged.
    pub fn pin(&mut self, opts: &AnalyzeOptions) -> Result<Vec<(String, Option<PinState>)>> {
        let mut pins = Vec::with_capacity(self.bases.len());
        for entry in &self.bases {
            let pin =
                self.fetch_pin(entry, opts)
                    .transpose()
                    .map_err(|e| ImageError::Catalogue {
                        entry: entry.name.clone(),
                        source: Box::new(e),
                    })?;
            pins.push(pin);
        }
        let mut states = Vec::with_capacity(pins.len());
        for (entry, pin) in self.bases.iter_mut().zip(pins) {
            let state = pin.map(|p| {
                let s = p.state_of(entry);
                p.apply(entry);
                s
            });
            states.push((entry.name.clone(), state));
        }
        Ok(states)
    }

    /// The catalogue as YAML (comments of the original file are not kept).
    pub fn to_yaml(&self) -> Result<String> {
        serde_saphyr::to_string(self)
            .map_err(|e| ImageError::malformed("base catalogue", e.to_string()))
    }

    /// Writes the catalogue to `path` atomically (a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<()> {
        let what = path.display().to_string();
        let text = format!(
            "# Trusted-base catalogue; diff_ids and digest pinned by `rampart image base pin`.\n{}",
            self.to_yaml()?
        );
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut tmp =
            tempfile::NamedTempFile::new_in(&dir).map_err(|e| ImageError::io(&what, e))?;
        std::io::Write::write_all(&mut tmp, text.as_bytes())
            .map_err(|e| ImageError::io(&what, e))?;
        tmp.persist(path)
            .map_err(|e| ImageError::io(&what, e.error))?;
        Ok(())
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
            // A `ref` entry without pinned layers: its manifest and config say them.
            let fetched = match (&entry.reference, entry.diff_ids.is_empty()) {
                (Some(_), true) => match self.fetch_pin(entry, opts) {
                    Some(Ok(p)) => Some(p),
                    Some(Err(e)) => {
                        warnings.push(ScanWarning {
                            path: format!("base catalogue: {}", entry.name),
                            line: None,
                            message: format!("cannot resolve {:?}: {e}", entry.reference),
                        });
                        None
                    }
                    None => None,
                },
                _ => None,
            };
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
            let diff_ids = if !entry.diff_ids.is_empty() {
                entry.diff_ids.clone()
            } else if let Some(p) = &fetched {
                p.diff_ids.clone()
            } else {
                analysis
                    .as_ref()
                    .map(|a| a.image.layers.iter().map(|l| l.diff_id.clone()).collect())
                    .unwrap_or_default()
            };
            let digest = entry
                .digest
                .clone()
                .or_else(|| fetched.as_ref().and_then(|p| p.digest.clone()))
                .or_else(|| {
                    analysis
                        .as_ref()
                        .and_then(|a| a.image.manifest_digest.clone())
                });
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
                digest,
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
    fn ref_entries_pin_states_and_yaml_round_trip() {
        let mut c = BaseCatalog::parse(
            "bases:\n  - name: deb\n    ref: localhost:5000/base/debian:12\n    os: debian\n",
            "t",
        )
        .unwrap();
        let e = &c.bases[0];
        assert_eq!(e.pinnable(), Some("localhost:5000/base/debian:12"));
        let both = BaseCatalog::parse("bases:\n  - {name: a, image: 'oci:x', ref: 'oci:y'}\n", "t");
        assert!(both.unwrap_err().to_string().contains("both"));
        let d1 = Digest::sha256(b"1");
        let pin = Pin {
            diff_ids: vec![d1.clone()],
            digest: Some(Digest::sha256(b"m")),
        };
        assert_eq!(pin.state_of(e), PinState::Unpinned);
        pin.apply(&mut c.bases[0]);
        assert_eq!(pin.state_of(&c.bases[0]), PinState::Current);
        let moved = Pin {
            digest: Some(Digest::sha256(b"n")),
            ..pin.clone()
        };
        assert_eq!(moved.state_of(&c.bases[0]), PinState::DigestChanged);
        let updated = Pin {
            diff_ids: vec![Digest::sha256(b"2")],
            ..pin.clone()
        };
        assert_eq!(updated.state_of(&c.bases[0]), PinState::LayersChanged);
        let yaml = c.to_yaml().unwrap();
        assert!(
            yaml.contains("ref: localhost:5000/base/debian:12"),
            "{yaml}"
        );
        let again = BaseCatalog::parse(&yaml, "again").unwrap();
        assert_eq!(again.bases, c.bases);
        // Pinned layers need no network: a `ref` on an unreachable host is known offline.
        let (known, warnings) = again.resolve(
            &AnalyzeOptions::default(),
            &Cache::new(std::env::temp_dir().join("rampart-test-no-cache")),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(known[0].diff_ids, [d1]);
        assert!(known[0].is_named(None, Some(&Digest::sha256(b"m").to_string())));
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
            digest: None,
        };
        assert!(k.is_named(Some("debian:bookworm-slim"), None));
        assert!(k.is_named(Some("slim"), None));
        assert!(!k.is_named(Some("debian:bookworm"), None));
    }
}
