//! Assets: the things Rampart scans and reports on.

use serde::{Deserialize, Serialize};

/// What kind of thing an asset is. New blocks add kinds; nothing matches on this enum for behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssetKind {
    /// An unpacked operating-system tree.
    Rootfs,
    /// A project folder (lockfiles and manifests).
    Filesystem,
    /// The machine Rampart runs on.
    Host,
    /// A container image.
    Image,
    /// An SBOM document scanned in place of its subject.
    Sbom,
    /// A Kubernetes object, cloud resource or other asset kinds added by later blocks.
    Resource,
    /// Kubernetes manifests, Helm or kustomize output, a cluster snapshot or a live cluster.
    Kubernetes,
    /// A Kubernetes node (CIS node checks).
    Node,
    /// An infrastructure-as-code tree (Terraform, CloudFormation, Dockerfiles).
    Iac,
    /// A cloud account.
    Cloud,
}

/// The operating system of a rootfs, host or image, from `/etc/os-release`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID` (debian, ubuntu, alpine, …).
    pub id: String,
    /// `VERSION_ID` (12, 3.19.1, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (bookworm, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `ID_LIKE`, split on whitespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
}

impl OsRelease {
    /// Parses the `KEY=value` lines of an os-release file (quotes and comments handled as in
    /// os-release(5)). Returns `None` when no `ID` is present.
    pub fn parse(text: &str) -> Option<OsRelease> {
        let mut os = OsRelease::default();
        for line in text.lines().take(200) {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            match key.trim() {
                "ID" => os.id = value.to_ascii_lowercase(),
                "VERSION_ID" => os.version_id = Some(value),
                "VERSION_CODENAME" => os.codename = Some(value),
                "PRETTY_NAME" => os.pretty_name = Some(value),
                "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_string).collect(),
                _ => {}
            }
        }
        (!os.id.is_empty()).then_some(os)
    }

    /// `PRETTY_NAME`, or `ID VERSION_ID`.
    pub fn display_name(&self) -> String {
        self.pretty_name.clone().unwrap_or_else(|| {
            format!("{} {}", self.id, self.version_id.as_deref().unwrap_or(""))
                .trim()
                .to_string()
        })
    }
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v);
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// A scanned thing: what it is, its name, and for OS trees the operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub kind: AssetKind,
    /// What the user named: a path, an image reference, a host name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
}

impl Asset {
    pub fn new(kind: AssetKind, name: impl Into<String>) -> Self {
        Asset {
            kind,
            name: name.into(),
            os: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_os_release() {
        let text = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"#;
        let os = OsRelease::parse(text).unwrap();
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.codename.as_deref(), Some("bookworm"));
        assert_eq!(os.display_name(), "Debian GNU/Linux 12 (bookworm)");
    }

    #[test]
    fn no_id_means_no_release() {
        assert!(OsRelease::parse("NAME=foo\n").is_none());
        assert!(OsRelease::parse("\u{0}\u{1}garbage").is_none());
    }
}
