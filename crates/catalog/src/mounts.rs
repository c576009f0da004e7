//! Network filesystem mount points, read from `/proc/self/mountinfo`, so host scans can skip them.

use std::path::{Path, PathBuf};

/// Filesystem types that are network or remote mounts.
const NETWORK_FS: &[&str] = &[
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs",
    "fuse.glusterfs", "lustre",
];

/// Mount points of network filesystems at or under `root`, from the running system's mount table.
pub(crate) fn network_mounts_under(root: &Path) -> Vec<PathBuf> {
    match std::fs::read_to_string("/proc/self/mountinfo") {
        Ok(text) => parse_mountinfo(&text)
            .into_iter()
            .filter(|m| m.starts_with(root))
            .collect(),
        Err(_) => Vec::new(),
    }
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
        if NETWORK_FS.contains(fstype) {
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
        let oct = bytes.get(i + 1..i + 4).filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
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
    fn finds_network_mounts() {
        let text = "\
22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw
40 1 0:40 / /mnt/nas\\040share rw,relatime shared:20 - nfs4 nas:/export rw,vers=4.2
41 1 0:41 / /home/u/remote rw - fuse.sshfs u@h:/ rw
garbage line
";
        let got = parse_mountinfo(text);
        assert_eq!(
            got,
            vec![PathBuf::from("/mnt/nas share"), PathBuf::from("/home/u/remote")]
        );
    }
}
