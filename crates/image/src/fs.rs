//! The squashed view of an image: layers applied in order with OCI whiteout semantics. For every path it
//! keeps the node of the layer that wrote its final version; deletions are reported to the caller.

use crate::layer::{Entry, EntryKind};
use std::collections::BTreeMap;

/// What a path is in the squashed view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link with its target as written.
    Symlink(String),
    /// A hard link to another root-relative path.
    Hardlink(String),
    /// A device node or FIFO.
    Special,
}

/// One path of the squashed view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// Permission and special bits.
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Size in bytes (regular files).
    pub size: u64,
    /// The layer that wrote this version, from 0.
    pub layer: u32,
}

/// A path a layer removed (by whiteout, opaque directory or replacing a directory by a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The path.
    pub path: String,
    /// The layer that had written it.
    pub layer: u32,
    /// Whether it was a directory.
    pub dir: bool,
}

/// The squashed file tree of an image (metadata only; contents are never kept here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsView {
    nodes: BTreeMap<String, Node>,
}

impl FsView {
    /// An empty tree.
    pub fn new() -> FsView {
        FsView::default()
    }

    /// Applies one entry of `layer` (layers must be applied bottom first). Whiteouts only remove what
    /// lower layers wrote, so the order of entries inside a layer does not matter. Every removed path
    /// is pushed to `removed`.
    pub fn apply(&mut self, layer: u32, entry: &Entry, removed: &mut Vec<Removed>) {
        let kind = match &entry.kind {
            EntryKind::Whiteout(path) => {
                self.remove_lower(path, layer, true, removed);
                return;
            }
            EntryKind::Opaque(dir) => {
                self.remove_lower(dir, layer, false, removed);
                return;
            }
            EntryKind::File => NodeKind::File,
            EntryKind::Dir => NodeKind::Dir,
            EntryKind::Symlink(t) => NodeKind::Symlink(t.clone()),
            EntryKind::Hardlink(t) => NodeKind::Hardlink(t.clone()),
            EntryKind::Special => NodeKind::Special,
        };
        if kind != NodeKind::Dir
            && self
                .nodes
                .get(&entry.path)
                .is_some_and(|n| n.kind == NodeKind::Dir)
        {
            // A non-directory replaces a directory: what lower layers put below it is gone.
            self.remove_lower(&entry.path, layer, false, removed);
        }
        let node = Node {
            kind,
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            size: entry.size,
            layer,
        };
        self.nodes.insert(entry.path.clone(), node);
    }

    /// Removes `path` (when `with_self`) and everything below it that a layer lower than `layer` wrote.
    fn remove_lower(
        &mut self,
        path: &str,
        layer: u32,
        with_self: bool,
        removed: &mut Vec<Removed>,
    ) {
        let mut doomed: Vec<String> = Vec::new();
        if with_self && self.nodes.get(path).is_some_and(|n| n.layer < layer) {
            doomed.push(path.to_string());
        }
        if path.is_empty() {
            doomed.extend(
                self.nodes
                    .iter()
                    .filter(|(_, n)| n.layer < layer)
                    .map(|(k, _)| k.clone()),
            );
        } else {
            let prefix = format!("{path}/");
            doomed.extend(
                self.nodes
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .filter(|(_, n)| n.layer < layer)
                    .map(|(k, _)| k.clone()),
            );
        }
        for path in doomed {
            if let Some(node) = self.nodes.remove(&path) {
                removed.push(Removed {
                    dir: node.kind == NodeKind::Dir,
                    layer: node.layer,
                    path,
                });
            }
        }
    }

    /// The node at a root-relative path (no link resolution).
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Every path and node, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Resolves a root-relative path to the regular file it names, following symlinks and hard links
    /// inside the image only: an absolute target starts again at the image root and `..` never climbs
    /// above it. `None` when the path does not lead to a regular file or needs more than `max_hops`
    /// links.
    pub fn resolve(&self, path: &str, max_hops: usize) -> Option<String> {
        let mut hops = 0usize;
        let mut parts: Vec<String> = Vec::new();
        let mut pending: Vec<String> = path.split('/').rev().map(str::to_string).collect();
        loop {
            while let Some(part) = pending.pop() {
                match part.as_str() {
                    "" | "." => continue,
                    ".." => {
                        parts.pop();
                        continue;
                    }
                    _ => parts.push(part),
                }
                let here = parts.join("/");
                let target = match self.nodes.get(&here).map(|n| &n.kind) {
                    Some(NodeKind::Symlink(t)) => t.clone(),
                    Some(NodeKind::Hardlink(t)) if pending.is_empty() => format!("/{t}"),
                    _ => continue,
                };
                hops += 1;
                if hops > max_hops {
                    return None;
                }
                parts.pop();
                if target.starts_with('/') {
                    parts.clear();
                }
                pending.extend(target.split('/').rev().map(str::to_string));
            }
            let last = parts.join("/");
            match self.nodes.get(&last).map(|n| &n.kind) {
                Some(NodeKind::File) => return Some(last),
                Some(NodeKind::Hardlink(t)) => {
                    hops += 1;
                    if hops > max_hops {
                        return None;
                    }
                    parts.clear();
                    pending = t.split('/').rev().map(str::to_string).collect();
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str, kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 1,
        }
    }

    #[test]
    fn whiteouts_remove_only_lower_layers() {
        let mut fs = FsView::new();
        let mut removed = Vec::new();
        fs.apply(0, &e("a", EntryKind::Dir), &mut removed);
        fs.apply(0, &e("a/x", EntryKind::File), &mut removed);
        fs.apply(0, &e("a/y", EntryKind::File), &mut removed);
        fs.apply(0, &e("b", EntryKind::File), &mut removed);
        // Layer 1 writes a/new before its opaque marker: it survives.
        fs.apply(1, &e("a/new", EntryKind::File), &mut removed);
        fs.apply(
            1,
            &e("a/.wh..wh..opq", EntryKind::Opaque("a".into())),
            &mut removed,
        );
        fs.apply(
            1,
            &e(".wh.b", EntryKind::Whiteout("b".into())),
            &mut removed,
        );
        let paths: Vec<&str> = fs.iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["a", "a/new"]);
        let gone: Vec<&str> = removed.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(gone, ["a/x", "a/y", "b"]);
        // A file replacing a directory hides its children.
        fs.apply(2, &e("a", EntryKind::File), &mut removed);
        assert_eq!(fs.len(), 1);
    }

    #[test]
    fn resolve_stays_inside_the_root() {
        let mut fs = FsView::new();
        let mut r = Vec::new();
        fs.apply(0, &e("usr/lib/os-release", EntryKind::File), &mut r);
        fs.apply(
            0,
            &e(
                "etc/os-release",
                EntryKind::Symlink("../usr/lib/os-release".into()),
            ),
            &mut r,
        );
        fs.apply(
            0,
            &e("etc/abs", EntryKind::Symlink("/usr/lib/os-release".into())),
            &mut r,
        );
        fs.apply(
            0,
            &e(
                "etc/escape",
                EntryKind::Symlink("../../../../usr/lib/os-release".into()),
            ),
            &mut r,
        );
        fs.apply(
            0,
            &e("etc/hard", EntryKind::Hardlink("usr/lib/os-release".into())),
            &mut r,
        );
        fs.apply(0, &e("lib", EntryKind::Symlink("usr/lib".into())), &mut r);
        fs.apply(0, &e("loop", EntryKind::Symlink("loop".into())), &mut r);
        for p in [
            "etc/os-release",
            "etc/abs",
            "etc/escape",
            "etc/hard",
            "lib/os-release",
        ] {
            assert_eq!(
                fs.resolve(p, 40).as_deref(),
                Some("usr/lib/os-release"),
                "{p}"
            );
        }
        assert_eq!(fs.resolve("loop", 40), None);
        assert_eq!(fs.resolve("etc", 40), None);
    }
}
