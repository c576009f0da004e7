//! Operating system detection from `etc/os-release` and friends.

use rampart_core::OsRelease;

/// Detects the operating system of a tree. `read` returns the content of a root-relative path, or `None`
/// when it does not exist or cannot be read (walkers must resolve symlinks inside the tree).
///
/// Reads `etc/os-release`, then `usr/lib/os-release`, then Alpine's `etc/alpine-release`.
pub fn detect_os(read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Option<OsRelease> {
    for path in ["etc/os-release", "usr/lib/os-release"] {
        if let Some(os) = read(path).and_then(|b| OsRelease::parse(&String::from_utf8_lossy(&b))) {
            return Some(os);
        }
    }
    let release = read("etc/alpine-release")?;
    let version = String::from_utf8_lossy(&release).trim().to_string();
    let valid = !version.is_empty()
        && version.len() < 64
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    Some(OsRelease {
        id: "alpine".into(),
        version_id: valid.then(|| version.clone()),
        pretty_name: valid.then(|| format!("Alpine Linux v{version}")),
        ..OsRelease::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_usr_lib_then_alpine_release() {
        let os = detect_os(&|p| {
            (p == "usr/lib/os-release").then(|| b"ID=debian\nVERSION_ID=\"12\"".to_vec())
        });
        assert_eq!(os.map(|o| o.id), Some("debian".into()));
        let os = detect_os(&|p| (p == "etc/alpine-release").then(|| b"3.19.1\n".to_vec()));
        let os = os.unwrap_or_default();
        assert_eq!(
            (os.id.as_str(), os.version_id.as_deref()),
            ("alpine", Some("3.19.1"))
        );
        assert!(detect_os(&|_| None).is_none());
    }
}
