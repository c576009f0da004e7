//! Image references: `oci:DIR[:tag]`, `oci-archive:FILE[:tag]`, `docker-archive:FILE[:repo:tag]`,
//! `podman:NAME`, and registry references (`[host[:port]/]repo[:tag][@sha256:…]`, Docker Hub defaults).

use crate::digest::Digest;
use crate::error::{ImageError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Docker Hub's canonical registry name.
pub const DOCKER_HUB: &str = "docker.io";
/// The longest reference accepted.
const MAX_REFERENCE: usize = 4096;

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// An OCI image layout directory, optionally with the `org.opencontainers.image.ref.name` to pick.
    OciDir {
        /// The layout directory.
        path: PathBuf,
        /// The reference name (tag) to pick from `index.json`.
        tag: Option<String>,
    },
    /// A tar of an OCI image layout (`skopeo copy … oci-archive:`, `podman save --format oci-archive`).
    OciArchive {
        /// The archive.
        path: PathBuf,
        /// The reference name (tag) to pick.
        tag: Option<String>,
    },
    /// A `docker save` archive (`manifest.json` plus config and layer files).
    DockerArchive {
        /// The archive.
        path: PathBuf,
        /// The `RepoTags` entry to pick (`repo:tag`), when the archive holds several images.
        tag: Option<String>,
    },
    /// An image in podman's local storage, exported with `podman image save`.
    Podman {
        /// The image name or id as podman knows it.
        name: String,
    },
    /// An image in a registry.
    Registry(RegistryRef),
}

impl ImageRef {
    /// Parses a reference in any of the supported forms. A string without a known transport prefix is a
    /// registry reference.
    pub fn parse(input: &str) -> Result<ImageRef> {
        let bad = |reason: &str| ImageError::Reference {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if input.is_empty() || input.len() > MAX_REFERENCE || input.contains(['\n', '\0']) {
            return Err(bad("empty, too long or with control characters"));
        }
        if let Some(rest) = input.strip_prefix("oci:") {
            let (path, tag) = split_path_and_tag(rest, false);
            return path_ref(path, tag, input).map(|(path, tag)| ImageRef::OciDir { path, tag });
        }
        if let Some(rest) = input.strip_prefix("oci-archive:") {
            let (path, tag) = split_path_and_tag(rest, false);
            return path_ref(path, tag, input)
                .map(|(path, tag)| ImageRef::OciArchive { path, tag });
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            let (path, tag) = split_path_and_tag(rest, true);
            return path_ref(path, tag, input)
                .map(|(path, tag)| ImageRef::DockerArchive { path, tag });
        }
        if let Some(name) = input.strip_prefix("podman:") {
            let ok = !name.is_empty()
                && !name.starts_with('-')
                && name.bytes().all(|b| b.is_ascii_graphic());
            if !ok {
                return Err(bad("podman image name must be non-empty printable ASCII"));
            }
            return Ok(ImageRef::Podman {
                name: name.to_string(),
            });
        }
        let rest = input
            .strip_prefix("docker://")
            .or_else(|| input.strip_prefix("registry:"))
            .unwrap_or(input);
        RegistryRef::parse(rest)
            .map(ImageRef::Registry)
            .map_err(|reason| bad(&reason))
    }

    /// The tag the reference names, if any (for the `latest`-tag check).
    pub fn tag(&self) -> Option<&str> {
        match self {
            ImageRef::OciDir { tag, .. } | ImageRef::OciArchive { tag, .. } => tag.as_deref(),
            ImageRef::DockerArchive { tag, .. } => tag.as_deref().and_then(tag_of),
            ImageRef::Podman { name } => tag_of(name),
            ImageRef::Registry(r) => r.tag.as_deref(),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_tag = |f: &mut fmt::Formatter<'_>, kind: &str, p: &Path, t: &Option<String>| {
            write!(f, "{kind}:{}", p.display())?;
            match t {
                Some(t) => write!(f, ":{t}"),
                None => Ok(()),
            }
        };
        match self {
            ImageRef::OciDir { path, tag } => with_tag(f, "oci", path, tag),
            ImageRef::OciArchive { path, tag } => with_tag(f, "oci-archive", path, tag),
            ImageRef::DockerArchive { path, tag } => with_tag(f, "docker-archive", path, tag),
            ImageRef::Podman { name } => write!(f, "podman:{name}"),
            ImageRef::Registry(r) => r.fmt(f),
        }
    }
}

/// The tag part of `repo:tag` (a colon after the last slash).
fn tag_of(name: &str) -> Option<&str> {
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, t)| t)
}

/// Splits `PATH[:TAG]`. A string naming an existing path has no tag; otherwise the tag starts at the
/// first colon (docker-archive, whose tag is `repo:tag`) or the last colon (oci) whose prefix exists,
/// falling back to that colon when nothing exists yet.
fn split_path_and_tag(s: &str, first_colon: bool) -> (&str, Option<&str>) {
    if Path::new(s).exists() || !s.contains(':') {
        return (s, None);
    }
    let colons: Vec<usize> = s.match_indices(':').map(|(i, _)| i).collect();
    if let Some(&i) = colons.iter().find(|&&i| Path::new(&s[..i]).exists()) {
        return (&s[..i], Some(&s[i + 1..]));
    }
    let i = if first_colon {
        colons[0]
    } else {
        colons[colons.len() - 1]
    };
    (&s[..i], Some(&s[i + 1..]))
}

fn path_ref(path: &str, tag: Option<&str>, input: &str) -> Result<(PathBuf, Option<String>)> {
    let bad = |reason: &str| ImageError::Reference {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    if path.is_empty() {
        return Err(bad("missing path"));
    }
    match tag {
        Some("") => Err(bad("empty tag")),
        Some(t) if t.len() > 256 || t.contains('@') => Err(bad("malformed tag")),
        _ => Ok((PathBuf::from(path), tag.map(str::to_string))),
    }
}

/// A registry reference, normalised the way Docker does: `ubuntu` is `docker.io/library/ubuntu:latest`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegistryRef {
    /// Registry host, with port when given (`docker.io`, `localhost:5000`).
    pub registry: String,
    /// Repository path (`library/ubuntu`).
    pub repository: String,
    /// Tag; `latest` when neither tag nor digest was given.
    pub tag: Option<String>,
    /// Manifest digest, when pinned.
    pub digest: Option<Digest>,
}

impl RegistryRef {
    /// Parses `[host[:port]/]repo[:tag][@digest]`.
    pub fn parse(s: &str) -> Result<RegistryRef, String> {
        let (name, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d.parse::<Digest>()?)),
            None => (s, None),
        };
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[slash..].find(':') {
            Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..])),
            None => (name, None),
        };
        if let Some(t) = tag {
            let valid = !t.is_empty()
                && t.len() <= 128
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
            if !valid {
                return Err(format!("malformed tag {t:?}"));
            }
        }
        let (registry, repository) = match name.split_once('/') {
            Some((host, rest))
                if host.contains(['.', ':'])
                    || host == "localhost"
                    || host.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (host.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let repo_ok = !repository.is_empty()
            && repository.len() <= 255
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
                    && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            });
        if !repo_ok {
            return Err(format!("malformed repository name {repository:?}"));
        }
        let host_ok = registry
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        if !host_ok {
            return Err(format!("malformed registry host {registry:?}"));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, None) => Some("latest".to_string()),
            (None, Some(_)) => None,
        };
        Ok(RegistryRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host to talk to: Docker Hub's API lives at `registry-1.docker.io`.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// An OS and CPU architecture (`linux/amd64`, `linux/arm64/v8`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// Operating system (`linux`, `windows`).
    pub os: String,
    /// Architecture in Go's naming (`amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, `riscv64`).
    pub architecture: String,
    /// CPU variant (`v7`, `v8`), when it matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// The platform of this machine.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            "arm" => "arm",
            other => other,
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = (2..=3).contains(&parts.len())
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.len() < 32
                    && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if !ok {
            return Err(ImageError::Reference {
                input: s.to_string(),
                reason: "platform must be os/arch[/variant]".into(),
            });
        }
        Ok(Platform {
            os: parts[0].to_ascii_lowercase(),
            architecture: parts[1].to_ascii_lowercase(),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }

    /// Whether an index entry's platform satisfies this one. A wanted variant must match (an `arm64`
    /// entry without a variant counts as `v8`); no wanted variant accepts any.
    pub fn matches(&self, candidate: &Platform) -> bool {
        if self.os != candidate.os || self.architecture != candidate.architecture {
            return false;
        }
        match (&self.variant, &candidate.variant) {
            (None, _) => true,
            (Some(w), Some(c)) => w == c,
            (Some(w), None) => self.architecture == "arm64" && w == "v8",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(s: &str) -> RegistryRef {
        match ImageRef::parse(s) {
            Ok(ImageRef::Registry(r)) => r,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn registry_references_get_docker_defaults() {
        let r = reg("ubuntu");
        assert_eq!(r.to_string(), "docker.io/library/ubuntu:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(
            reg("bitnami/redis:7.2").to_string(),
            "docker.io/bitnami/redis:7.2"
        );
        let r = reg("localhost:5001/team/app:1.0");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5001", "team/app", Some("1.0"))
        );
        let d = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let r = reg(&format!("ghcr.io/o/r@{d}"));
        assert_eq!(
            (r.tag, r.digest.map(|d| d.to_string())),
            (None, Some(d.to_string()))
        );
        assert_eq!(
            reg("docker://index.docker.io/library/debian:12").to_string(),
            "docker.io/library/debian:12"
        );
        for bad in [
            "UPPER/Case",
            "a//b",
            "repo:",
            "repo:-x",
            "repo@sha256:12",
            "host:5000/Repo",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn transport_references() {
        assert_eq!(
            ImageRef::parse("oci:/nonexistent/layout:app").unwrap(),
            ImageRef::OciDir {
                path: "/nonexistent/layout".into(),
                tag: Some("app".into())
            }
        );
        assert_eq!(
            ImageRef::parse("docker-archive:/no/such.tar:rampart/app:1.0").unwrap(),
            ImageRef::DockerArchive {
                path: "/no/such.tar".into(),
                tag: Some("rampart/app:1.0".into())
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let with_colon = dir.path().join("a:b");
        std::fs::create_dir(&with_colon).unwrap();
        let input = format!("oci:{}", with_colon.display());
        assert_eq!(
            ImageRef::parse(&input).unwrap(),
            ImageRef::OciDir {
                path: with_colon.clone(),
                tag: None
            }
        );
        assert_eq!(
            ImageRef::parse("podman:localhost/app:1").unwrap().tag(),
            Some("1")
        );
        assert!(ImageRef::parse("oci:").is_err());
        assert!(ImageRef::parse("podman:-rf").is_err());
    }

    #[test]
    fn platforms() {
        let p = Platform::parse("linux/arm64/v8").unwrap();
        assert!(p.matches(&Platform::parse("linux/arm64").unwrap()));
        assert!(!p.matches(&Platform::parse("linux/amd64").unwrap()));
        assert!(
            Platform::parse("linux/amd64")
                .unwrap()
                .matches(&Platform::parse("linux/amd64/v3").unwrap())
        );
        assert!(Platform::parse("linux").is_err());
        assert_eq!(Platform::host().os, "linux");
    }
}
