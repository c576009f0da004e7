//! Reading advisory feeds from a folder: every file is classified by name and content, parsed by the
//! matching module, and normalised into [`Advisory`]s plus enrichment rows. One bad file is a warning
//! naming it, never a failed build.

pub mod alpine;
pub mod debian;
pub mod enrichment;
pub mod npm_wg;
pub mod osv;
pub mod rubysec;

use crate::model::Advisory;
use enrichment::{EpssEntry, KevEntry};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest single advisory file read.
const MAX_ADVISORY_BYTES: u64 = 16 << 20;
/// Largest bulk file read (Debian tracker JSON, EPSS CSV, KEV, OSV zip).
const MAX_BULK_BYTES: u64 = 1 << 30;
/// Deepest folder nesting followed.
const MAX_DEPTH: usize = 16;

/// Why one input could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Parse { line: Option<u32>, message: String },
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("file is larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
}

/// A problem with one input file; the build goes on without it.
#[derive(Debug)]
pub struct IngestWarning {
    pub path: PathBuf,
    pub error: IngestError,
}

/// Everything read from a feed folder.
#[derive(Default)]
pub struct Feeds {
    pub advisories: Vec<Advisory>,
    pub kev: Vec<KevEntry>,
    pub epss: Vec<EpssEntry>,
    pub warnings: Vec<IngestWarning>,
    /// Files per kind, for `db status`.
    pub files: BTreeMap<&'static str, u64>,
    /// Documents skipped on purpose (withdrawn, informational, …) by reason.
    pub skipped: BTreeMap<&'static str, u64>,
}

/// What a file is, decided from its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Osv,
    OsvYaml,
    OsvZip,
    NpmWg,
    RubySec,
    AlpineSecDb,
    DebianList,
    DebianTrackerJson,
    Kev,
    Epss,
    Other,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Osv | Kind::OsvYaml | Kind::OsvZip => "osv",
            Kind::NpmWg => "nodejs-security-wg",
            Kind::RubySec => "rubysec",
            Kind::AlpineSecDb => "alpine-secdb",
            Kind::DebianList | Kind::DebianTrackerJson => "debian",
            Kind::Kev => "cisa-kev",
            Kind::Epss => "epss",
            Kind::Other => "other",
        }
    }
}

fn classify(path: &Path, head: &[u8]) -> Kind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    if name == "list" && matches!(parent.as_str(), "DSA" | "DLA") {
        return Kind::DebianList;
    }
    if name.ends_with(".csv") || name.ends_with(".csv.gz") {
        return Kind::Epss;
    }
    if name.ends_with(".zip") {
        return Kind::OsvZip;
    }
    if name.ends_with(".json") || name.ends_with(".json.gz") {
        return if name.contains("schema") || name == "index.json" {
            Kind::Other
        } else if head.contains("\"catalogVersion\"") {
            Kind::Kev
        } else if head.contains("\"module_name\"") && head.contains("\"vulnerable_versions\"") {
            Kind::NpmWg
        } else if head.contains("\"releases\"")
            && head.contains("\"CVE-")
            && !head.contains("\"affected\"")
        {
            Kind::DebianTrackerJson
        } else if head.contains("\"id\"")
            && (head.contains("\"affected\"") || head.contains("\"modified\""))
            && !head.contains("\"$schema\"")
        {
            Kind::Osv
        } else {
            Kind::Other
        };
    }
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        let has = |k: &str| head.starts_with(k) || head.contains(&format!("\n{k}"));
        return if has("distroversion:") {
            Kind::AlpineSecDb
        } else if has("gem:") {
            Kind::RubySec
        } else if has("id:") && (has("affected:") || has("modified:")) {
            Kind::OsvYaml
        } else {
            Kind::Other
        };
    }
    Kind::Other
}

/// Lists regular files under `root` (no symlinks followed), sorted for reproducible builds.
fn list_files(root: &Path, warnings: &mut Vec<IngestWarning>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                warnings.push(IngestWarning {
                    path: dir,
                    error: e.into(),
                });
                continue;
            }
        };
        for entry in entries.flatten() {
            let Ok(ft) = entry.file_type() else { continue };
            let path = entry.path();
            if ft.is_dir() && depth < MAX_DEPTH {
                if !entry.file_name().to_string_lossy().starts_with('.') {
                    stack.push((path, depth + 1));
                }
            } else if ft.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, IngestError> {
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len > limit {
        return Err(IngestError::TooLarge { limit });
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(limit).read_to_end(&mut buf)?;
    if path.extension().is_some_and(|e| e == "gz")
        && buf.starts_with(&[0x1f, 0x8b])
        && !path.to_string_lossy().ends_with(".csv.gz")
    {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&buf[..])
            .take(limit)
            .read_to_end(&mut out)?;
        return Ok(out);
    }
    Ok(buf)
}

fn head_of(path: &Path) -> Vec<u8> {
    let mut head = vec![0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head.truncate(n);
    if head.starts_with(&[0x1f, 0x8b]) {
        // Peek into gzip-compressed JSON.
        let mut out = vec![0u8; 4096];
        let n = std::fs::File::open(path)
            .map(flate2::read::GzDecoder::new)
            .and_then(|mut d| d.read(&mut out))
            .unwrap_or(0);
        out.truncate(n);
        return out;
    }
    head
}

/// Reads every recognised feed file under `root`. `progress` is called with (files done, files total).
pub fn load_dir(root: &Path, progress: &(dyn Fn(u64, u64) + Sync)) -> Feeds {
    let mut feeds = Feeds::default();
    let files = list_files(root, &mut feeds.warnings);
    let total = files.len() as u64;
    let mut debian = debian::DebianCollector::default();
    let mut alpine = alpine::AlpineCollector::default();
    let classified: Vec<(PathBuf, Kind)> = files
        .into_iter()
        .map(|p| {
            let k = classify(&p, &head_of(&p));
            (p, k)
        })
        .collect();
    for (done, (path, kind)) in classified.into_iter().enumerate() {
        if done % 256 == 0 {
            progress(done as u64, total);
        }
        if kind == Kind::Other {
            continue;
        }
        *feeds.files.entry(kind.label()).or_default() += 1;
        let limit = match kind {
            Kind::DebianTrackerJson | Kind::Epss | Kind::Kev | Kind::OsvZip | Kind::DebianList => {
                MAX_BULK_BYTES
            }
            _ => MAX_ADVISORY_BYTES,
        };
        let result = read_bounded(&path, limit)
            .and_then(|bytes| load_one(kind, &path, &bytes, &mut feeds, &mut debian, &mut alpine));
        if let Err(error) = result {
            feeds.warnings.push(IngestWarning { path, error });
        }
    }
    progress(total, total);
    feeds.advisories.extend(debian.finish());
    feeds.advisories.extend(alpine.finish());
    feeds
}

fn load_one(
    kind: Kind,
    path: &Path,
    bytes: &[u8],
    feeds: &mut Feeds,
    debian: &mut debian::DebianCollector,
    alpine: &mut alpine::AlpineCollector,
) -> Result<(), IngestError> {
    let text = || {
        std::str::from_utf8(bytes).map_err(|e| IngestError::Parse {
            line: None,
            message: format!("not UTF-8: {e}"),
        })
    };
    match kind {
        Kind::Osv => push_osv(feeds, osv::parse_json(bytes)?),
        Kind::OsvYaml => push_osv(feeds, osv::parse_yaml(text()?)?),
        Kind::OsvZip => load_zip(bytes, feeds)?,
        Kind::NpmWg => feeds.advisories.push(npm_wg::parse(bytes)?),
        Kind::RubySec => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy())
                .unwrap_or_default();
            feeds.advisories.push(rubysec::parse(text()?, &stem)?)
        }
        Kind::AlpineSecDb => alpine.add(text()?)?,
        Kind::DebianList => {
            let text = String::from_utf8_lossy(bytes);
            for e in debian.add_list(&text) {
                feeds.warnings.push(IngestWarning {
                    path: path.to_path_buf(),
                    error: e,
                });
            }
        }
        Kind::DebianTrackerJson => debian.add_tracker_json(bytes)?,
        Kind::Kev => feeds.kev.extend(enrichment::parse_kev(bytes)?),
        Kind::Epss => {
            let (rows, errors) = enrichment::parse_epss(bytes);
            feeds.epss.extend(rows);
            for error in errors {
                feeds.warnings.push(IngestWarning {
                    path: path.to_path_buf(),
                    error,
                });
            }
        }
        Kind::Other => {}
    }
    Ok(())
}

fn push_osv(feeds: &mut Feeds, outcome: osv::Outcome) {
    match outcome {
        osv::Outcome::Advisory(a) => feeds.advisories.push(*a),
        osv::Outcome::Skipped(why) => *feeds.skipped.entry(why).or_default() += 1,
    }
}

/// An OSV ecosystem export (`all.zip`): every `*.json` entry is one advisory. Entry count and sizes are
/// bounded; a bad entry is skipped and counted.
fn load_zip(bytes: &[u8], feeds: &mut Feeds) -> Result<(), IngestError> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| IngestError::Parse {
            line: None,
            message: format!("bad zip: {e}"),
        })?;
    const MAX_ENTRIES: usize = 2_000_000;
    for i in 0..archive.len().min(MAX_ENTRIES) {
        let Ok(mut entry) = archive.by_index(i) else {
            *feeds.skipped.entry("unreadable zip entry").or_default() += 1;
            continue;
        };
        if !entry.name().is_ok_and(|n| n.ends_with(".json")) {
            continue;
        }
        let mut buf = Vec::new();
        if (&mut entry)
            .take(MAX_ADVISORY_BYTES)
            .read_to_end(&mut buf)
            .is_err()
        {
            *feeds.skipped.entry("unreadable zip entry").or_default() += 1;
            continue;
        }
        match osv::parse_json(&buf) {
            Ok(o) => push_osv(feeds, o),
            Err(_) => *feeds.skipped.entry("malformed zip entry").or_default() += 1,
        }
    }
    Ok(())
}
