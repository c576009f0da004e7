//! The directory walker: visits a tree without following symlinks, reads the files catalogers want, once.

use crate::{CatalogError, Cataloger, FileMeta, Inventory, Mode, ParseContext, Registry};
use rampart_core::{OsRelease, Package, ScanWarning};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// How to walk a tree.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Which catalogers run.
    pub mode: Mode,
    /// Root-relative directory prefixes not to enter (`proc`, `sys`, `dev` for a host).
    pub skip_dirs: Vec<String>,
    /// Largest file read, in bytes, whatever the cataloger allows; 0 means no extra limit.
    pub max_file_size: u64,
    /// Walker threads; 0 picks a default from the number of CPUs.
    pub threads: usize,
    /// Skip network filesystem mounts (NFS, CIFS, sshfs, …) and kernel pseudo-filesystems under the root,
    /// as listed in `/proc/self/mountinfo` (host scans). Other local filesystems are still walked.
    pub skip_network_mounts: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            mode: Mode::Rootfs,
            skip_dirs: Vec::new(),
            max_file_size: 0,
            threads: 0,
            skip_network_mounts: false,
        }
    }
}

/// How often (in files) the progress callback is called.
const PROGRESS_EVERY: u64 = 256;

/// Another reader of file contents that rides along on a catalog walk, so a tree is walked and each
/// file read once for every analysis (the secret scanner is one).
pub trait FileVisitor: Sync {
    /// Cheap test on path and size: should this file's content be handed to [`FileVisitor::visit`]?
    fn wants(&self, file: &FileMeta) -> bool;
    /// The most bytes of one file this visitor reads; larger files are not read for it.
    fn max_size(&self) -> u64;
    /// Receives the content of one wanted file.
    fn visit(&self, file: &FileMeta, content: &[u8]);
}

/// Everything the parallel visitors share.
struct Shared<'a> {
    root: &'a Path,
    visitor: Option<&'a dyn FileVisitor>,
    registry: Registry,
    os: Option<OsRelease>,
    max_file_size: u64,
    packages: Mutex<Vec<Package>>,
    warnings: Mutex<Vec<ScanWarning>>,
    walked: AtomicU64,
    read: AtomicU64,
    progress: &'a (dyn Fn(u64) + Sync),
}

/// Walks `root` and catalogs every package in it.
///
/// Never follows symlinks (so loops cannot hang and nothing outside the tree is read), reads the OS
/// release first, reads only files some cataloger wants and at most their size limit, merges duplicate
/// packages, puts distribution qualifiers on OS package purls and sorts the result. Unreadable
/// directories and files and non-UTF-8 names become warnings; only an unusable `root` is an error.
pub fn catalog_dir(
    root: &Path,
    opts: &WalkOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Inventory, CatalogError> {
    catalog_dir_with(root, opts, progress, None)
}

/// [`catalog_dir`] with a [`FileVisitor`] that sees the files it wants during the same walk.
pub fn catalog_dir_with(
    root: &Path,
    opts: &WalkOptions,
    progress: &(dyn Fn(u64) + Sync),
    visitor: Option<&dyn FileVisitor>,
) -> Result<Inventory, CatalogError> {
    let meta = std::fs::metadata(root).map_err(|source| CatalogError::Io {
        path: root.display().to_string(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(CatalogError::Invalid(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let os = crate::detect_os(&|rel| read_in_root(root, rel, 1 << 16));
    let shared = Shared {
        root,
        visitor,
        registry: Registry::for_mode(opts.mode),
        os,
        max_file_size: opts.max_file_size,
        packages: Mutex::new(Vec::new()),
        warnings: Mutex::new(Vec::new()),
        walked: AtomicU64::new(0),
        read: AtomicU64::new(0),
        progress,
    };
    let mut skip: Vec<PathBuf> = opts
        .skip_dirs
        .iter()
        .map(|d| root.join(d.trim_matches('/')))
        .collect();
    if opts.skip_network_mounts {
        skip.extend(crate::mounts::skipped_mounts_under(root));
    }
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(move |e| !skip.iter().any(|s| e.path() == s.as_path()));
    builder.build_parallel().run(|| {
        let shared = &shared;
        Box::new(move |entry| {
            visit(shared, entry);
            ignore::WalkState::Continue
        })
    });
    let walked = shared.walked.load(Ordering::Relaxed);
    progress(walked);
    let mut inv = Inventory {
        os: shared.os,
        packages: shared
            .packages
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
        warnings: shared
            .warnings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
        files_walked: walked,
        files_read: shared.read.load(Ordering::Relaxed),
    };
    inv.finish();
    Ok(inv)
}

/// Handles one walker entry: counts it, and catalogs it when it is a wanted regular file.
fn visit(shared: &Shared, entry: Result<ignore::DirEntry, ignore::Error>) {
    let entry = match entry {
        Ok(e) => e,
        Err(err) => {
            let path = error_path(&err)
                .map(|p| relative(shared.root, p).0)
                .unwrap_or_default();
            push_warning(
                shared,
                path,
                format!("cannot read: {}", error_message(&err)),
            );
            return;
        }
    };
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return;
    }
    let n = shared.walked.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_multiple_of(PROGRESS_EVERY) {
        (shared.progress)(n);
    }
    let (rel, utf8) = relative(shared.root, entry.path());
    if !utf8 {
        push_warning(
            shared,
            rel.clone(),
            "file name is not valid UTF-8".to_string(),
        );
    }
    let Ok(meta) = entry.metadata() else {
        push_warning(shared, rel, "cannot read file metadata".to_string());
        return;
    };
    let file = FileMeta {
        path: &rel,
        size: meta.len(),
        executable: is_executable(&meta),
    };
    let wanted: Vec<&dyn Cataloger> = shared.registry.wanted(&file).collect();
    let visitor = shared.visitor.filter(|v| v.wants(&file));
    if wanted.is_empty() && visitor.is_none() {
        return;
    }
    shared.read.fetch_add(1, Ordering::Relaxed);
    let (packages, warnings) = catalog_one(
        &wanted,
        visitor,
        &file,
        entry.path(),
        shared.os.as_ref(),
        shared.max_file_size,
    );
    if !packages.is_empty() {
        lock(&shared.packages).extend(packages);
    }
    if !warnings.is_empty() {
        lock(&shared.warnings).extend(warnings);
    }
}

/// Reads one file (once, bounded by the largest limit among `wanted`) and runs each cataloger on it.
fn catalog_one(
    wanted: &[&dyn Cataloger],
    visitor: Option<&dyn FileVisitor>,
    file: &FileMeta,
    abs: &Path,
    os: Option<&OsRelease>,
    max_file_size: u64,
) -> (Vec<Package>, Vec<ScanWarning>) {
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    let warn = |warnings: &mut Vec<ScanWarning>, message: String| {
        warnings.push(ScanWarning {
            path: file.path.to_string(),
            line: None,
            message,
        })
    };
    let limit_of = |c: &dyn Cataloger| match max_file_size {
        0 => c.max_size(),
        m => c.max_size().min(m),
    };
    let visitor_limit = visitor.map_or(0, |v| v.max_size());
    let limit = wanted
        .iter()
        .map(|c| limit_of(*c))
        .max()
        .unwrap_or(0)
        .max(visitor_limit);
    let content = match read_bounded(abs, limit) {
        Ok(c) => c,
        Err(err) => {
            warn(&mut warnings, format!("cannot read: {err}"));
            return (packages, warnings);
        }
    };
    if let Some(v) = visitor
        && content.len() as u64 <= visitor_limit
    {
        v.visit(file, &content);
    }
    let ctx = ParseContext {
        path: file.path,
        os,
    };
    for cataloger in wanted {
        if content.len() as u64 > limit_of(*cataloger) {
            warn(
                &mut warnings,
                format!(
                    "{}: file is larger than {} bytes, skipped",
                    cataloger.name(),
                    limit_of(*cataloger)
                ),
            );
            continue;
        }
        match cataloger.parse(&ctx, &content) {
            Ok(parsed) => {
                packages.extend(parsed.packages);
                warnings.extend(parsed.warnings);
            }
            Err(err) => warn(&mut warnings, format!("{}: {err}", cataloger.name())),
        }
    }
    (packages, warnings)
}

/// Catalogs a single file given directly (e.g. `rampart fs Cargo.lock`). The catalogers are chosen by
/// the path as given; locations carry that path.
pub fn catalog_file(path: &Path, opts: &WalkOptions) -> Result<Inventory, CatalogError> {
    let io_err = |source| CatalogError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        return Err(CatalogError::Invalid(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let display = path.to_string_lossy().replace('\\', "/");
    let rel = display.trim_start_matches("./").trim_start_matches('/');
    let file = FileMeta {
        path: rel,
        size: meta.len(),
        executable: is_executable(&meta),
    };
    let registry = Registry::for_mode(opts.mode);
    let wanted: Vec<&dyn Cataloger> = registry.wanted(&file).collect();
    let mut inv = Inventory {
        files_walked: 1,
        ..Inventory::default()
    };
    if wanted.is_empty() {
        inv.warnings.push(ScanWarning {
            path: rel.to_string(),
            line: None,
            message: "no cataloger recognises this file".into(),
        });
        return Ok(inv);
    }
    inv.files_read = 1;
    let (packages, warnings) = catalog_one(&wanted, None, &file, path, None, opts.max_file_size);
    inv.packages = packages;
    inv.warnings = warnings;
    inv.finish();
    Ok(inv)
}

/// Reads at most `limit + 1` bytes, so a caller can tell a file over the limit.
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    Ok(out)
}

/// Reads a root-relative path, resolving symlinks inside the tree only (an absolute link target is taken
/// relative to `root`, `..` never climbs above it). Used for the few files read before the walk.
fn read_in_root(root: &Path, rel: &str, limit: u64) -> Option<Vec<u8>> {
    let mut parts: Vec<String> = Vec::new();
    let mut pending: Vec<String> = rel.split('/').rev().map(str::to_string).collect();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                parts.pop();
                continue;
            }
            _ => parts.push(part),
        }
        let here: PathBuf = parts.iter().fold(root.to_path_buf(), |p, s| p.join(s));
        let meta = std::fs::symlink_metadata(&here).ok()?;
        if meta.file_type().is_symlink() {
            hops += 1;
            if hops > 16 {
                return None;
            }
            let target = std::fs::read_link(&here).ok()?;
            parts.pop();
            if target.is_absolute() {
                parts.clear();
            }
            let comps: Vec<String> = target
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    Component::ParentDir => Some("..".into()),
                    _ => None,
                })
                .collect();
            pending.extend(comps.into_iter().rev());
        }
    }
    let path: PathBuf = parts.iter().fold(root.to_path_buf(), |p, s| p.join(s));
    if !std::fs::symlink_metadata(&path).ok()?.is_file() {
        return None;
    }
    let content = read_bounded(&path, limit).ok()?;
    (content.len() as u64 <= limit).then_some(content)
}

/// The root-relative, `/`-separated path, and whether it was valid UTF-8.
fn relative(root: &Path, path: &Path) -> (String, bool) {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let utf8 = rel.to_str().is_some();
    let s = rel.to_string_lossy().replace('\\', "/");
    (s.trim_start_matches('/').to_string(), utf8)
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_message(err),
        other => other.to_string(),
    }
}

fn push_warning(shared: &Shared, path: String, message: String) {
    lock(&shared.warnings).push(ScanWarning {
        path,
        line: None,
        message,
    });
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_in_root_keeps_absolute_links_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::write(root.join("usr/lib/os-release"), "ID=debian\n").unwrap();
        std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        assert_eq!(
            read_in_root(root, "etc/os-release", 100).as_deref(),
            Some(&b"ID=debian\n"[..])
        );
        std::os::unix::fs::symlink("../../../../../../etc/passwd", root.join("etc/escape"))
            .unwrap();
        assert!(read_in_root(root, "etc/escape", 100_000).is_none());
        std::os::unix::fs::symlink("loop", root.join("etc/loop")).unwrap();
        assert!(read_in_root(root, "etc/loop", 100).is_none());
    }
}
