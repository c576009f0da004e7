//! `rampart db update`: download the advisory feeds (from upstream or a mirror), verify them, compile a
//! new database beside the old one, check that it opens, and only then rename it into place. Any failure
//! leaves the existing database file byte-for-byte untouched.
//!
//! Downloads go to `cache_dir/<mirror path>.part` and are resumed with `Range` requests; a finished,
//! verified file is renamed to `cache_dir/<mirror path>`. The build reads only the files fetched in this
//! run, hard-linked (or copied) into a fresh staging folder.

mod http;
mod verify;

pub use verify::{check_structure, parse_sha256sums, sha256_file};

use crate::db::{BuildSummary, Database, DbError};
use http::Http;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Largest `SHA256SUMS` file read.
const MAX_SUMS_BYTES: u64 = 16 << 20;

/// OSV ecosystems exported as `all.zip`: (feed name, ecosystem folder).
const OSV_ECOSYSTEMS: &[(&str, &str)] = &[
    ("osv-pypi", "PyPI"),
    ("osv-go", "Go"),
    ("osv-crates.io", "crates.io"),
    ("osv-npm", "npm"),
    ("osv-rubygems", "RubyGems"),
    ("osv-maven", "Maven"),
    ("osv-debian", "Debian"),
    ("osv-alpine", "Alpine"),
];

/// Alpine secdb files: (feed name, release, repository).
const ALPINE_SECDB: &[(&str, &str, &str)] = &[
    ("alpine-v3.18-main", "v3.18", "main"),
    ("alpine-v3.18-community", "v3.18", "community"),
    ("alpine-v3.19-main", "v3.19", "main"),
    ("alpine-v3.19-community", "v3.19", "community"),
    ("alpine-v3.20-main", "v3.20", "main"),
    ("alpine-v3.20-community", "v3.20", "community"),
    ("alpine-v3.21-main", "v3.21", "main"),
    ("alpine-v3.21-community", "v3.21", "community"),
];

/// One feed to download: a name, its path relative to the mirror root (which is also where it goes inside
/// the feed folder), its upstream URL, and whether the update fails without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSpec {
    /// Short name used in progress and error messages.
    pub name: &'static str,
    /// Path relative to the mirror root and to the cache folder, `/`-separated.
    pub mirror_path: String,
    /// Where the feed is fetched from when no mirror is set.
    pub upstream_url: String,
    /// Whether a mirror's 404 for this feed fails the update (otherwise it is skipped with a note).
    pub required: bool,
}

impl FeedSpec {
    /// Whether the feed carries advisories (as opposed to KEV or EPSS enrichment).
    pub fn is_advisory(&self) -> bool {
        let p = self.mirror_path.to_ascii_lowercase();
        !(p.ends_with("known_exploited_vulnerabilities.json")
            || p.ends_with(".csv")
            || p.ends_with(".csv.gz"))
    }
}

/// The standard feed list: OSV ecosystem exports, the Debian tracker, Alpine secdb, CISA KEV and EPSS.
/// KEV is required; advisory feeds are individually optional but at least one must download.
pub fn default_feeds() -> Vec<FeedSpec> {
    let mut feeds = Vec::new();
    for (name, eco) in OSV_ECOSYSTEMS {
        feeds.push(FeedSpec {
            name,
            mirror_path: format!("osv/{eco}/all.zip"),
            upstream_url: format!(
                "https://osv-vulnerabilities.storage.googleapis.com/{eco}/all.zip"
            ),
            required: false,
        });
    }
    feeds.push(FeedSpec {
        name: "debian-tracker",
        mirror_path: "debian/tracker.json".into(),
        upstream_url: "https://security-tracker.debian.org/tracker/data/json".into(),
        required: false,
    });
    for (name, release, repo) in ALPINE_SECDB {
        feeds.push(FeedSpec {
            name,
            mirror_path: format!("alpine/{release}/{repo}.yaml"),
            upstream_url: format!("https://secdb.alpinelinux.org/{release}/{repo}.yaml"),
            required: false,
        });
    }
    feeds.push(FeedSpec {
        name: "cisa-kev",
        mirror_path: "kev/known_exploited_vulnerabilities.json".into(),
        upstream_url:
            "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
                .into(),
        required: true,
    });
    feeds.push(FeedSpec {
        name: "epss",
        mirror_path: "epss/epss_scores-current.csv.gz".into(),
        upstream_url: "https://epss.cyentia.com/epss_scores-current.csv.gz".into(),
        required: false,
    });
    feeds
}

/// Settings of one update run.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Base URL of a mirror laid out like the feeds' `mirror_path`s; `None` fetches from upstream.
    pub mirror: Option<String>,
    /// The database file to replace.
    pub db_path: PathBuf,
    /// Folder for downloads (`.part` files and finished feed files).
    pub cache_dir: PathBuf,
    /// Feeds to fetch.
    pub feeds: Vec<FeedSpec>,
    /// Connect timeout and per-read timeout.
    pub timeout: Duration,
    /// Extra tries after a connect error, timeout, 429 or 5xx.
    pub retries: u32,
}

impl UpdateOptions {
    /// Options with the [`default_feeds`], a 60-second timeout and 4 retries.
    pub fn new(mirror: Option<String>, db_path: PathBuf, cache_dir: PathBuf) -> Self {
        UpdateOptions {
            mirror,
            db_path,
            cache_dir,
            feeds: default_feeds(),
            timeout: Duration::from_secs(60),
            retries: 4,
        }
    }
}

/// What an update did.
#[derive(Debug, Clone)]
pub struct UpdateSummary {
    /// Feeds downloaded and built.
    pub feeds: usize,
    /// Bytes received over the network in this run.
    pub bytes_downloaded: u64,
    /// Notes on optional feeds the mirror does not serve.
    pub skipped: Vec<String>,
    /// Files that did not ingest (the build went on without them), as `path: error`.
    pub ingest_warnings: Vec<String>,
    /// The new database.
    pub build: BuildSummary,
}

/// Why an update failed. Every message names the feed or file and says the old database is untouched.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("cannot set up the HTTP client: {source}; the existing database is untouched")]
    Client { source: reqwest::Error },
    #[error("cannot download feed {feed} from {url}: {source}; the existing database is untouched")]
    Network {
        feed: String,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("feed {feed}: {url} answered HTTP {status}; the existing database is untouched")]
    Status {
        feed: String,
        url: String,
        status: u16,
    },
    #[error("feed {feed}: {url} was not found (HTTP 404); the existing database is untouched")]
    NotFound { feed: String, url: String },
    #[error(
        "feed {feed}: download of {url} was interrupted ({message}); rerun to resume; the existing database is untouched"
    )]
    Interrupted {
        feed: String,
        url: String,
        message: String,
    },
    #[error(
        "feed {feed}: {url} is larger than the {limit}-byte limit; the existing database is untouched"
    )]
    TooLarge {
        feed: String,
        url: String,
        limit: u64,
    },
    #[error(
        "feed {feed}: {url} has SHA-256 {actual} but SHA256SUMS says {expected}; the existing database is untouched"
    )]
    Checksum {
        feed: String,
        url: String,
        expected: String,
        actual: String,
    },
    #[error(
        "feed {feed}: the mirror's SHA256SUMS does not list {path}; the existing database is untouched"
    )]
    NotListed { feed: String, path: String },
    #[error("bad checksum list {url}: {message}; the existing database is untouched")]
    BadSums { url: String, message: String },
    #[error("feed {feed}: {url} is damaged ({message}); the existing database is untouched")]
    Corrupt {
        feed: String,
        url: String,
        message: String,
    },
    #[error(
        "feed {feed}: mirror path {path:?} must be relative, without `..`; the existing database is untouched"
    )]
    BadFeedPath { feed: String, path: String },
    #[error("cannot write {path}: {source}; the existing database is untouched")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another `rampart db update` holds the lock {path}; wait for it to finish (the existing database is untouched)"
    )]
    Busy { path: PathBuf },
    #[error("no advisory feed could be downloaded{}; the existing database is untouched", mirror_note(.mirror))]
    NoAdvisoryFeed { mirror: Option<String> },
    #[error("the downloaded feeds held no advisories; the existing database is untouched")]
    NoAdvisories,
    #[error("cannot build the new database: {source}; the existing database is untouched")]
    Build {
        #[source]
        source: DbError,
    },
    #[error(
        "the newly built database failed its read-back check ({source}); the existing database is untouched"
    )]
    NewDatabaseUnreadable {
        #[source]
        source: DbError,
    },
}

fn mirror_note(mirror: &Option<String>) -> String {
    mirror
        .as_ref()
        .map(|m| format!(" from mirror {m}"))
        .unwrap_or_default()
}

/// Joins a base URL and a `/`-separated relative path with exactly one `/` between them.
pub fn join_url(base: &str, rel: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        rel.trim_start_matches('/')
    )
}

/// The feed's path under `root`, refusing absolute paths and `..`.
fn local_path(root: &Path, spec: &FeedSpec) -> Result<PathBuf, UpdateError> {
    let rel = Path::new(&spec.mirror_path);
    let ok =
        !spec.mirror_path.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if !ok {
        return Err(UpdateError::BadFeedPath {
            feed: spec.name.to_string(),
            path: spec.mirror_path.clone(),
        });
    }
    Ok(root.join(rel))
}

/// The URL a feed is fetched from.
fn feed_url(mirror: Option<&str>, spec: &FeedSpec) -> String {
    match mirror {
        Some(m) => join_url(m, &spec.mirror_path),
        None => spec.upstream_url.clone(),
    }
}

/// A feed fetched and verified in this run.
struct Downloaded<'a> {
    spec: &'a FeedSpec,
    path: PathBuf,
}

/// Downloads every feed, verifies it, builds a new database and swaps it in. `progress` is called with
/// (feed name or `"build"`, bytes or files done, total when known).
pub fn update(
    opts: &UpdateOptions,
    progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
) -> Result<UpdateSummary, UpdateError> {
    let _lock = UpdateLock::acquire(&opts.cache_dir)?;
    let http = Http::new(opts.timeout, opts.retries)?;
    let sums = fetch_sums(&http, opts.mirror.as_deref())?;
    let mut downloaded = Vec::new();
    let mut skipped = Vec::new();
    let mut bytes_downloaded = 0u64;
    for spec in &opts.feeds {
        let url = feed_url(opts.mirror.as_deref(), spec);
        match fetch_feed(&http, spec, &url, &opts.cache_dir, sums.as_ref(), progress) {
            Ok((path, bytes)) => {
                bytes_downloaded += bytes;
                downloaded.push(Downloaded { spec, path });
            }
            Err(UpdateError::NotFound { url, .. }) if opts.mirror.is_some() && !spec.required => {
                skipped.push(format!(
                    "feed {} skipped: the mirror does not serve {url}",
                    spec.name
                ));
            }
            Err(e) => return Err(e),
        }
    }
    if !downloaded.iter().any(|d| d.spec.is_advisory()) {
        return Err(UpdateError::NoAdvisoryFeed {
            mirror: opts.mirror.clone(),
        });
    }
    let (build, ingest_warnings) = build_and_swap(opts, &downloaded, progress)?;
    Ok(UpdateSummary {
        feeds: downloaded.len(),
        bytes_downloaded,
        skipped,
        ingest_warnings,
        build,
    })
}

/// The mirror's `SHA256SUMS`, if it serves one.
fn fetch_sums(
    http: &Http,
    mirror: Option<&str>,
) -> Result<Option<BTreeMap<String, String>>, UpdateError> {
    let Some(mirror) = mirror else {
        return Ok(None);
    };
    let url = join_url(mirror, "SHA256SUMS");
    let Some(text) = http.fetch_text("SHA256SUMS", &url, MAX_SUMS_BYTES)? else {
        return Ok(None);
    };
    parse_sha256sums(&text)
        .map(Some)
        .map_err(|message| UpdateError::BadSums { url, message })
}

/// Downloads one feed into its `.part` file, verifies it and renames it to its final name. A resumed
/// download that fails verification is fetched once more from scratch. Returns the final path and the
/// bytes received.
fn fetch_feed(
    http: &Http,
    spec: &FeedSpec,
    url: &str,
    cache_dir: &Path,
    sums: Option<&BTreeMap<String, String>>,
    progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
) -> Result<(PathBuf, u64), UpdateError> {
    let dest = local_path(cache_dir, spec)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| UpdateError::Io { path, source }
    };
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut part = dest.clone().into_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    let mut bytes = 0;
    let mut fetched = http.download(spec.name, url, &part, progress)?;
    // Checked after the download, so a feed a small mirror neither serves nor lists is only missing.
    let expected = match sums {
        Some(s) => Some(s.get(&spec.mirror_path).ok_or_else(|| {
            let _ = std::fs::remove_file(&part);
            UpdateError::NotListed {
                feed: spec.name.to_string(),
                path: spec.mirror_path.clone(),
            }
        })?),
        None => None,
    };
    bytes += fetched.bytes;
    let mut checked = verify_file(spec, url, &part, expected.map(String::as_str));
    if checked.is_err() && fetched.resumed {
        std::fs::remove_file(&part).map_err(io(&part))?;
        fetched = http.download(spec.name, url, &part, progress)?;
        bytes += fetched.bytes;
        checked = verify_file(spec, url, &part, expected.map(String::as_str));
    }
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    std::fs::rename(&part, &dest).map_err(io(&dest))?;
    Ok((dest, bytes))
}

/// Structural check, then the SHA-256 against the mirror's list when there is one.
fn verify_file(
    spec: &FeedSpec,
    url: &str,
    path: &Path,
    expected: Option<&str>,
) -> Result<(), UpdateError> {
    check_structure(path).map_err(|message| UpdateError::Corrupt {
        feed: spec.name.to_string(),
        url: url.to_string(),
        message,
    })?;
    if let Some(expected) = expected {
        let actual = sha256_file(path).map_err(|source| UpdateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(UpdateError::Checksum {
                feed: spec.name.to_string(),
                url: url.to_string(),
                expected: expected.to_string(),
                actual,
            });
        }
    }
    Ok(())
}

/// An exclusive advisory lock on `<cache_dir>/.update.lock`, held for a whole update so two concurrent
/// updates never share partial downloads or race on the final rename. The operating system releases it
/// when the process ends, so a crashed update never leaves a stale lock.
struct UpdateLock(#[allow(dead_code)] std::fs::File);

impl UpdateLock {
    fn acquire(cache_dir: &Path) -> Result<UpdateLock, UpdateError> {
        let path = cache_dir.join(".update.lock");
        let io = |source| UpdateError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(cache_dir).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(UpdateLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(UpdateError::Busy { path }),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

/// Removes a file or folder when dropped, unless disarmed.
struct Cleanup(Option<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(&p);
            } else {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

/// Links this run's files into a fresh staging folder, ingests it, builds a temporary database beside
/// `db_path`, checks that it opens, and renames it over `db_path`.
fn build_and_swap(
    opts: &UpdateOptions,
    downloaded: &[Downloaded<'_>],
    progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
) -> Result<(BuildSummary, Vec<String>), UpdateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| UpdateError::Io { path, source }
    };
    // A dot folder: `ingest::load_dir` never descends into it, even when pointed at `cache_dir`.
    let staging = opts
        .cache_dir
        .join(format!(".staging-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let _staging_guard = Cleanup(Some(staging.clone()));
    for d in downloaded {
        let target = local_path(&staging, d.spec)?;
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        if std::fs::hard_link(&d.path, &target).is_err() {
            std::fs::copy(&d.path, &target).map_err(io(&target))?;
        }
    }
    let feeds = crate::ingest::load_dir(&staging, &|done, total| {
        progress("build", done, Some(total))
    });
    if feeds.advisories.is_empty() {
        return Err(UpdateError::NoAdvisories);
    }
    let warnings = feeds
        .warnings
        .iter()
        .map(|w| {
            let rel = w.path.strip_prefix(&staging).unwrap_or(&w.path);
            format!("{}: {}", rel.display(), w.error)
        })
        .collect();
    let db_dir = match opts.db_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&db_dir).map_err(io(&db_dir))?;
    let db_name = opts
        .db_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let tmp = db_dir.join(format!(
        ".{}.update-{}",
        db_name.unwrap_or_default(),
        std::process::id()
    ));
    let mut tmp_guard = Cleanup(Some(tmp.clone()));
    let built_by = concat!("rampart ", env!("CARGO_PKG_VERSION"));
    let summary =
        crate::db::build(&feeds, &tmp, built_by).map_err(|source| UpdateError::Build { source })?;
    drop(feeds);
    Database::open(&tmp).map_err(|source| UpdateError::NewDatabaseUnreadable { source })?;
    std::fs::rename(&tmp, &opts.db_path).map_err(io(&opts.db_path))?;
    tmp_guard.0 = None;
    Ok((summary, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_update_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = UpdateLock::acquire(dir.path()).unwrap();
        match UpdateLock::acquire(dir.path()) {
            Err(UpdateError::Busy { path }) => assert!(path.ends_with(".update.lock")),
            other => panic!("expected Busy, got {:?}", other.map(|_| ())),
        }
        drop(first);
        assert!(UpdateLock::acquire(dir.path()).is_ok());
    }

    #[test]
    fn joins_urls() {
        assert_eq!(
            join_url("http://m/", "osv/Go/all.zip"),
            "http://m/osv/Go/all.zip"
        );
        assert_eq!(join_url("http://m", "/SHA256SUMS"), "http://m/SHA256SUMS");
        assert_eq!(
            join_url("https://m/base//", "kev/k.json"),
            "https://m/base/kev/k.json"
        );
    }

    #[test]
    fn feed_urls_use_the_mirror_when_set() {
        let feeds = default_feeds();
        let go = feeds.iter().find(|f| f.name == "osv-go").expect("osv-go");
        assert_eq!(
            feed_url(None, go),
            "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip"
        );
        assert_eq!(
            feed_url(Some("http://127.0.0.1:8000/"), go),
            "http://127.0.0.1:8000/osv/Go/all.zip"
        );
    }

    #[test]
    fn default_feed_list_shape() {
        let feeds = default_feeds();
        assert_eq!(
            feeds
                .iter()
                .filter(|f| f.mirror_path.starts_with("osv/"))
                .count(),
            8
        );
        assert_eq!(
            feeds
                .iter()
                .filter(|f| f.mirror_path.starts_with("alpine/"))
                .count(),
            8
        );
        let kev = feeds.iter().find(|f| f.name == "cisa-kev").expect("kev");
        assert!(kev.required && !kev.is_advisory());
        assert!(
            !feeds
                .iter()
                .find(|f| f.name == "epss")
                .expect("epss")
                .is_advisory()
        );
        assert!(
            feeds
                .iter()
                .filter(|f| f.is_advisory())
                .all(|f| !f.required)
        );
        let mut names: Vec<_> = feeds.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), feeds.len(), "feed names are unique");
    }

    #[test]
    fn refuses_escaping_feed_paths() {
        let root = Path::new("/cache");
        let spec = |p: &str| FeedSpec {
            name: "x",
            mirror_path: p.into(),
            upstream_url: String::new(),
            required: false,
        };
        assert_eq!(
            local_path(root, &spec("osv/Go/all.zip")).expect("ok"),
            root.join("osv/Go/all.zip")
        );
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "./a"] {
            assert!(local_path(root, &spec(bad)).is_err(), "{bad}");
        }
    }
}
