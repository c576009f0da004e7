//! The node under test: a root directory standing in for `/`, its running processes, and optional
//! stat overrides (mode/owner a fixture tree cannot carry in a repository).

use crate::error::{Error, Result};
use crate::yaml;
use std::collections::{BTreeMap, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Most processes read from `/proc` or a process list.
const MAX_PROCESSES: usize = 100_000;
/// Most symlinks followed resolving one path (as Linux's `MAXSYMLINKS`).
const MAX_SYMLINK_HOPS: usize = 40;
/// Largest command line kept per process.
const MAX_CMDLINE: u64 = 256 * 1024;

/// A running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// The command name `ps -C` matches (`/proc/PID/comm`, at most 15 bytes).
    pub comm: String,
    /// The command line, arguments joined by single spaces.
    pub cmdline: String,
}

/// Where the process list comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessSource {
    /// A `/proc` directory.
    Proc(PathBuf),
    /// A text file, one command line per line (`#` comments allowed): a fixture for tests.
    File(PathBuf),
    /// An explicit list.
    List(Vec<Process>),
}

impl ProcessSource {
    /// The usual source for a root: this machine's `/proc` for `/`, else the tree's own `proc/` when it
    /// holds processes (a host mounted with its `/proc`), else this machine's `/proc` (a container
    /// sharing the host's PID namespace).
    pub fn for_root(root: &Path) -> ProcessSource {
        let own = root.join("proc");
        if root != Path::new("/") && own.join("1/cmdline").exists() {
            ProcessSource::Proc(own)
        } else {
            ProcessSource::Proc(PathBuf::from("/proc"))
        }
    }
}

/// Facts about one file as `stat` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// Permission bits (`%a`).
    pub mode: u32,
    pub user: String,
    pub group: String,
    pub is_dir: bool,
}

/// Overrides for one path, from a stat overrides file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Override {
    mode: Option<u32>,
    user: Option<String>,
    group: Option<String>,
}

/// The node: files under `root`, processes, names of users and groups.
#[derive(Debug, Clone)]
pub struct Node {
    root: PathBuf,
    processes: Vec<Process>,
    overrides: BTreeMap<String, Override>,
    users: BTreeMap<u32, String>,
    groups: BTreeMap<u32, String>,
}

impl Node {
    /// A node whose `/` is `root`, with processes from `source`.
    pub fn new(root: impl Into<PathBuf>, source: &ProcessSource) -> Result<Node> {
        let root = root.into();
        let processes = match source {
            ProcessSource::Proc(dir) => read_proc(dir),
            ProcessSource::File(path) => parse_process_list(&yaml::read_bounded(path, 16 << 20)?),
            ProcessSource::List(list) => list.clone(),
        };
        let users = id_names(&root, "etc/passwd");
        let groups = id_names(&root, "etc/group");
        Ok(Node {
            root,
            processes,
            overrides: BTreeMap::new(),
            users,
            groups,
        })
    }

    /// Applies a stat overrides file: a YAML mapping of node paths to `{mode: "600", owner: root,
    /// group: root}` (each optional), used in place of what the tree says.
    pub fn with_stat_overrides(mut self, path: &Path) -> Result<Node> {
        let doc = yaml::load(path)?;
        let bad = |message: String| Error::Overrides {
            path: path.to_path_buf(),
            message,
        };
        let map = doc
            .as_object()
            .ok_or_else(|| bad("top level is not a mapping".into()))?;
        for (file, v) in map {
            let mode = match v.get("mode").and_then(yaml::scalar_string) {
                Some(m) => Some(
                    u32::from_str_radix(&m, 8)
                        .map_err(|_| bad(format!("{file}: bad mode {m:?}")))?,
                ),
                None => None,
            };
            let text = |k: &str| v.get(k).and_then(yaml::scalar_string);
            self.overrides.insert(
                normalize(file),
                Override {
                    mode,
                    user: text("owner"),
                    group: text("group"),
                },
            );
        }
        Ok(self)
    }

    /// The node's host name (`/etc/hostname`), if it has one.
    pub fn hostname(&self) -> Option<String> {
        let name = self.read("/etc/hostname", 256).ok()?;
        let name = name.lines().next()?.trim();
        (!name.is_empty()).then(|| name.to_string())
    }

    /// The root directory standing in for `/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The processes.
    pub fn processes(&self) -> &[Process] {
        &self.processes
    }

    /// Where a node path lives on this machine, following symlinks inside the root (an absolute link
    /// target is taken relative to the root, so a mounted host tree resolves as on the host).
    pub fn host_path(&self, node_path: &str) -> PathBuf {
        self.resolve(node_path, true)
    }

    fn resolve(&self, node_path: &str, follow_last: bool) -> PathBuf {
        let mut pending: VecDeque<String> = components(node_path).collect();
        let mut current: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop_front() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    current.pop();
                    continue;
                }
                _ => current.push(part),
            }
            if pending.is_empty() && !follow_last {
                break;
            }
            let host = self.join(&current);
            let Ok(target) = std::fs::read_link(&host) else {
                continue;
            };
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                break;
            }
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                current.clear();
            } else {
                current.pop();
            }
            for (i, c) in components(&target).enumerate() {
                pending.insert(i, c);
            }
        }
        self.join(&current)
    }

    fn join(&self, parts: &[String]) -> PathBuf {
        let mut p = self.root.clone();
        p.extend(parts);
        p
    }

    /// Whether a node path exists (`test -e`).
    pub fn exists(&self, node_path: &str) -> bool {
        self.host_path(node_path).exists()
    }

    /// Whether a node path is a directory.
    pub fn is_dir(&self, node_path: &str) -> bool {
        self.host_path(node_path).is_dir()
    }

    /// `stat` facts of a node path (not following a final symlink, like `stat` without `-L`).
    pub fn stat(&self, node_path: &str) -> Option<FileFacts> {
        let meta = std::fs::symlink_metadata(self.resolve(node_path, false)).ok()?;
        let mut facts = FileFacts {
            mode: meta.mode() & 0o7777,
            user: name_of(&self.users, meta.uid()),
            group: name_of(&self.groups, meta.gid()),
            is_dir: meta.is_dir(),
        };
        if let Some(o) = self.overrides.get(&normalize(node_path)) {
            if let Some(m) = o.mode {
                facts.mode = m;
            }
            if let Some(u) = &o.user {
                facts.user = u.clone();
            }
            if let Some(g) = &o.group {
                facts.group = g.clone();
            }
        }
        Some(facts)
    }

    /// Reads a node file, at most `limit` bytes.
    pub fn read(&self, node_path: &str, limit: u64) -> std::io::Result<String> {
        use std::io::Read;
        let file = std::fs::File::open(self.host_path(node_path))?;
        let mut buf = Vec::new();
        file.take(limit).read_to_end(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// Entries of a node directory as node paths, sorted.
    pub fn list_dir(&self, node_path: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.host_path(node_path)) else {
            return Vec::new();
        };
        let base = node_path.trim_end_matches('/');
        let mut out: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(|n| format!("{base}/{n}")))
            .collect();
        out.sort();
        out
    }
}

/// `/a//b/` → `/a/b`: the key stat overrides are stored and looked up under.
fn normalize(path: &str) -> String {
    format!("/{}", components(path).collect::<Vec<_>>().join("/"))
}

fn components(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

fn name_of(names: &BTreeMap<u32, String>, id: u32) -> String {
    names.get(&id).cloned().unwrap_or_else(|| {
        if id == 0 {
            "root".into()
        } else {
            id.to_string()
        }
    })
}

/// `name:x:id:…` files; the node's own first, else this machine's (whose ids the tree carries).
fn id_names(root: &Path, rel: &str) -> BTreeMap<u32, String> {
    let text = std::fs::read_to_string(root.join(rel))
        .or_else(|_| std::fs::read_to_string(Path::new("/").join(rel)))
        .unwrap_or_default();
    text.lines()
        .take(100_000)
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

/// Parses a process list fixture: one command line per line.
pub fn parse_process_list(text: &str) -> Vec<Process> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(MAX_PROCESSES)
        .enumerate()
        .map(|(i, line)| {
            let cmdline = line.split_whitespace().collect::<Vec<_>>().join(" ");
            Process {
                pid: 1000 + i as u32,
                comm: comm_of(&cmdline),
                cmdline,
            }
        })
        .collect()
}

fn comm_of(cmdline: &str) -> String {
    let first = cmdline.split(' ').next().unwrap_or("");
    let base = first.rsplit('/').next().unwrap_or(first);
    base.chars().take(15).collect()
}

fn read_proc(dir: &Path) -> Vec<Process> {
    use std::io::Read;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.filter_map(|e| e.ok()).take(MAX_PROCESSES) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let mut raw = Vec::new();
        let Ok(f) = std::fs::File::open(entry.path().join("cmdline")) else {
            continue;
        };
        if f.take(MAX_CMDLINE).read_to_end(&mut raw).is_err() || raw.is_empty() {
            continue;
        }
        let cmdline = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let comm = std::fs::read_to_string(entry.path().join("comm"))
            .map(|c| c.trim_end().to_string())
            .unwrap_or_else(|_| comm_of(&cmdline));
        out.push(Process { pid, comm, cmdline });
    }
    out.sort_by_key(|p| p.pid);
    out
}
