//! Mount points a host scan must not enter, read from `/proc/self/mountinfo`: network filesystems (slow,
//! not this host's software, may hang) and kernel pseudo-filesystems (no packages, endless files).
//! Local disk mounts (a separate `/var` or `/home`) are walked: skipping every other filesystem would
//! miss the package databases on them.

use std::path::{Path, PathBuf};

/// Filesystem types that are network or remote mounts.
const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "sshfs",
    "fuse.sshfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
    "lustre",
];

/// Kernel pseudo-filesystems; `autofs` too, as entering it would trigger (often network) automounts.
const PSEUDO_FS: &[&str] = &[
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "configfs",
    "fusectl",
    "mqueue",
    "hugetlbfs",
    "bpf",
    "pstore",
    "binfmt_misc",
    "autofs",
    "efivarfs",
];

/// Mount points of network and pseudo filesystems under `root`, from the running system's mount table,
/// expressed under `root` as given (mountinfo paths are absolute and canonical; `root` may be neither).
pub(crate) fn skipped_mounts_under(root: &Path) -> Vec<PathBuf> {
    let (Ok(text), Ok(canonical)) = (
        std::fs::read_to_string("/proc/self/mountinfo"),
        std::fs::canonicalize(root),
    ) else {
        return Vec::new();
    };
    parse_mountinfo(&text)
        .into_iter()
        // A root that is itself a network mount was asked for explicitly: only mounts below it are skipped.
        .filter_map(|m| {
            let rel = m.strip_prefix(&canonical).ok()?;
            (!rel.as_os_str().is_empty()).then(|| root.join(rel))
        })
        .collect()
}

/// Parses mountinfo lines: `id parent major:minor root mountpoint options [optional…] - fstype source …`.
fn parse_mountinfo(text: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == "-") else {
            continue;
        };
        let (Some(mount_point), Some(fstype)) = (fields.get(4), fields.get(dash + 1)) else {
            continue;
        };
        if NETWORK_FS.contains(fstype) || PSEUDO_FS.contains(fstype) {
            out.push(PathBuf::from(unescape(mount_point)));
        }
    }
    out
}

/// Undoes the octal escapes (`\040` for a space) mountinfo uses in paths.
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let oct = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], oct) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_network_and_pseudo_mounts() {
        let text = "\
22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw
40 1 0:40 / /mnt/nas\\040share rw,relatime shared:20 - nfs4 nas:/export rw,vers=4.2
41 1 0:41 / /home/u/remote rw - fuse.sshfs u@h:/ rw
garbage line
";
        let got = parse_mountinfo(text);
        assert_eq!(
            got,
            vec![
                PathBuf::from("/proc"),
                PathBuf::from("/mnt/nas share"),
                PathBuf::from("/home/u/remote")
            ]
        );
    }
}
