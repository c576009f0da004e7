//! `db update` against a local mirror served by Python's `http.server`, built from the real advisory data
//! in `$RAMPART_SHARED/data/vulndb`: a fresh update, a checksum mismatch, an interrupted download, a
//! server that is down, and an optional feed the mirror does not serve.

use rampart_vuln::Database;
use rampart_vuln::update::{FeedSpec, UpdateError, UpdateOptions, sha256_file, update};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Python HTTP server that answers `Range` requests with `206` (the stock `http.server` ignores them).
const RANGE_SERVER: &str = r#"
import functools, http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def send_head(self):
        rng = self.headers.get('Range')
        path = self.translate_path(self.path)
        if not rng or not os.path.isfile(path):
            return super().send_head()
        start = int(rng.split('=')[1].split('-')[0])
        size = os.path.getsize(path)
        if start >= size:
            self.send_error(416)
            return None
        f = open(path, 'rb')
        f.seek(start)
        self.send_response(206)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, size - 1, size))
        self.send_header('Content-Length', str(size - start))
        self.end_headers()
        return f
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), functools.partial(H, directory=sys.argv[2])).serve_forever()
"#;

/// `$RAMPART_SHARED/data/vulndb` (default `../shared` beside the workspace). Missing data skips the test
/// with a note, except under CI where it must be present.
fn vulndb_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("RAMPART_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    let dir = shared.join("data/vulndb");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared vulnerability data missing at {} (set RAMPART_SHARED)",
        dir.display()
    );
    eprintln!("note: {} not found; skipping db update test", dir.display());
    None
}

/// A child HTTP server serving a folder on a free loopback port; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, ranges: bool) -> Server {
        let port = free_port();
        let mut cmd = Command::new("python3");
        if ranges {
            cmd.arg("-c")
                .arg(RANGE_SERVER)
                .arg(port.to_string())
                .arg(dir);
        } else {
            cmd.args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
                "--directory",
            ])
            .arg(dir);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn python3 http server");
        let mut server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                server.child.try_wait().expect("poll server").is_none(),
                "http server exited early"
            );
            assert!(
                Instant::now() < deadline,
                "http server did not start listening on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// Zips the first `n` `*.json` files of `src` (sorted) into `out`, deflated.
fn zip_dir(src: &Path, out: &Path, n: usize) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(src)
        .expect("read source folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    std::fs::create_dir_all(out.parent().expect("parent")).expect("mkdir");
    let mut w = zip::ZipWriter::new(std::fs::File::create(out).expect("create zip"));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for f in files.iter().take(n) {
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        w.start_file(name, opts).expect("zip entry");
        w.write_all(&std::fs::read(f).expect("read advisory"))
            .expect("zip write");
    }
    w.finish().expect("finish zip");
}

fn copy(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
    std::fs::copy(src, dst).expect("copy");
}

/// Writes `SHA256SUMS` for every file under `root`.
fn write_sums(root: &Path) {
    let mut lines = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).expect("read mirror").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "SHA256SUMS") {
                let rel = p
                    .strip_prefix(root)
                    .expect("relative")
                    .to_string_lossy()
                    .into_owned();
                lines.push(format!("{}  {rel}\n", sha256_file(&p).expect("hash")));
            }
        }
    }
    lines.sort();
    std::fs::write(root.join("SHA256SUMS"), lines.concat()).expect("write SHA256SUMS");
}

/// The mirror folder and the facts the tests check.
struct Mirror {
    _dir: tempfile::TempDir,
    root: PathBuf,
    kev_cve: String,
}

fn make_mirror(data: &Path) -> Mirror {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("mirror");
    zip_dir(
        &data.join("golang-vulndb/data/osv"),
        &root.join("osv/Go/all.zip"),
        200,
    );
    zip_dir(
        &data.join("rustsec-osv/crates"),
        &root.join("osv/crates.io/all.zip"),
        300,
    );
    let kev = data.join("cisa-kev/known_exploited_vulnerabilities.json");
    copy(&kev, &root.join("kev/known_exploited_vulnerabilities.json"));
    copy(
        &data.join("alpine-secdb/v3.10/main.yaml"),
        &root.join("alpine/v3.10/main.yaml"),
    );
    let csv =
        std::fs::read(data.join("epss/EPSS_CVE_data/CVE_2021_EPSS.csv")).expect("read EPSS csv");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).expect("gzip");
    std::fs::create_dir_all(root.join("epss")).expect("mkdir");
    std::fs::write(
        root.join("epss/epss_scores-current.csv.gz"),
        gz.finish().expect("gzip"),
    )
    .expect("write");
    write_sums(&root);
    let kev_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&kev).expect("read KEV")).expect("KEV JSON");
    let kev_cve = kev_json["vulnerabilities"][0]["cveID"]
        .as_str()
        .expect("a KEV CVE")
        .to_string();
    Mirror {
        _dir: dir,
        root,
        kev_cve,
    }
}

fn feed(name: &'static str, path: &str, required: bool) -> FeedSpec {
    FeedSpec {
        name,
        mirror_path: path.into(),
        upstream_url: format!("https://upstream.invalid/{path}"),
        required,
    }
}

fn test_feeds() -> Vec<FeedSpec> {
    vec![
        feed("osv-go", "osv/Go/all.zip", false),
        feed("osv-crates.io", "osv/crates.io/all.zip", false),
        feed("alpine-v3.10-main", "alpine/v3.10/main.yaml", false),
        feed("cisa-kev", "kev/known_exploited_vulnerabilities.json", true),
        feed("epss", "epss/epss_scores-current.csv.gz", false),
    ]
}

/// Options for a fresh workspace: database and cache in their own tempdir.
fn options(url: &str, work: &Path) -> UpdateOptions {
    let mut opts = UpdateOptions::new(
        Some(url.to_string()),
        work.join("db/rampart.db"),
        work.join("cache"),
    );
    opts.feeds = test_feeds();
    opts.timeout = Duration::from_secs(20);
    opts.retries = 1;
    opts
}

fn quiet(_: &str, _: u64, _: Option<u64>) {}

fn assert_untouched(opts: &UpdateOptions, before: &[u8]) {
    let after = std::fs::read(&opts.db_path).expect("old db still there");
    assert!(after == before, "old database changed");
    Database::open(&opts.db_path).expect("old database still opens");
    let names: Vec<_> = std::fs::read_dir(opts.db_path.parent().expect("db dir"))
        .expect("list db dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["rampart.db"],
        "no temporary files left beside the database"
    );
}

#[test]
fn fresh_update_builds_a_working_database() {
    let Some(data) = vulndb_dir() else { return };
    let started = Instant::now();
    let mirror = make_mirror(&data);
    let server = Server::start(&mirror.root, false);
    let work = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.url, work.path());
    let summary = update(&opts, &quiet).expect("update succeeds");
    assert_eq!(summary.feeds, 5);
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert!(
        summary.bytes_downloaded > 1_000_000,
        "{}",
        summary.bytes_downloaded
    );
    let db = Database::open(&opts.db_path).expect("new database opens");
    let go = db.advisories_by_id("GO-2020-0001").expect("id lookup");
    assert!(!go.is_empty(), "GO-2020-0001 is in the database");
    assert!(
        db.kev(&mirror.kev_cve).is_some(),
        "KEV entry for {}",
        mirror.kev_cve
    );
    assert!(db.metadata().kev_entries > 1000);
    assert!(db.metadata().epss_entries > 1000);
    assert!(opts.cache_dir.join("osv/Go/all.zip").is_file());
    assert!(!opts.cache_dir.join("osv/Go/all.zip.part").exists());
    eprintln!("fresh update: {:?}", started.elapsed());
}

#[test]
fn checksum_mismatch_leaves_the_old_database() {
    let Some(data) = vulndb_dir() else { return };
    let mirror = make_mirror(&data);
    let server = Server::start(&mirror.root, false);
    let work = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.url, work.path());
    update(&opts, &quiet).expect("first update succeeds");
    let before = std::fs::read(&opts.db_path).expect("read db");
    // A different but well-formed zip: only SHA256SUMS can tell.
    zip_dir(
        &data.join("golang-vulndb/data/osv"),
        &mirror.root.join("osv/Go/all.zip"),
        50,
    );
    let err = update(&opts, &quiet).expect_err("checksum mismatch fails the update");
    assert!(matches!(err, UpdateError::Checksum { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("osv-go") && msg.contains("osv/Go/all.zip") && msg.contains("untouched"),
        "{msg}"
    );
    assert_untouched(&opts, &before);
    assert!(
        !opts.cache_dir.join("osv/Go/all.zip.part").exists(),
        "bad download not kept for resume"
    );
}

#[test]
fn interrupted_download_is_restarted_or_resumed() {
    let Some(data) = vulndb_dir() else { return };
    let mirror = make_mirror(&data);
    let full = std::fs::read(mirror.root.join("osv/Go/all.zip")).expect("read zip");
    for ranges in [false, true] {
        let server = Server::start(&mirror.root, ranges);
        let work = tempfile::tempdir().expect("tempdir");
        let opts = options(&server.url, work.path());
        let part = opts.cache_dir.join("osv/Go/all.zip.part");
        std::fs::create_dir_all(part.parent().expect("parent")).expect("mkdir");
        std::fs::write(&part, &full[..full.len() / 2]).expect("truncated part");
        let baseline = {
            let w = tempfile::tempdir().expect("tempdir");
            update(&options(&server.url, w.path()), &quiet)
                .expect("baseline")
                .bytes_downloaded
        };
        let summary = update(&opts, &quiet).expect("update after an interruption succeeds");
        let expected = if ranges {
            baseline - (full.len() / 2) as u64
        } else {
            baseline
        };
        assert_eq!(summary.bytes_downloaded, expected, "ranges={ranges}");
        assert_eq!(
            std::fs::read(opts.cache_dir.join("osv/Go/all.zip")).expect("final zip"),
            full
        );
        assert!(!part.exists());
        let db = Database::open(&opts.db_path).expect("opens");
        assert!(
            !db.advisories_by_id("GO-2020-0001")
                .expect("lookup")
                .is_empty()
        );
    }
}

#[test]
fn server_down_is_a_clear_error() {
    let Some(data) = vulndb_dir() else { return };
    let mirror = make_mirror(&data);
    let server = Server::start(&mirror.root, false);
    let work = tempfile::tempdir().expect("tempdir");
    let opts = options(&server.url, work.path());
    update(&opts, &quiet).expect("first update succeeds");
    let before = std::fs::read(&opts.db_path).expect("read db");
    drop(server);
    let started = Instant::now();
    let err = update(&opts, &quiet).expect_err("no server, no update");
    assert!(matches!(err, UpdateError::Network { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&opts.mirror.clone().expect("mirror")) && msg.contains("untouched"),
        "{msg}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded retries"
    );
    assert_untouched(&opts, &before);
}

#[test]
fn optional_feed_missing_from_the_mirror_is_skipped() {
    let Some(data) = vulndb_dir() else { return };
    let mirror = make_mirror(&data);
    let server = Server::start(&mirror.root, false);
    let work = tempfile::tempdir().expect("tempdir");
    let mut opts = options(&server.url, work.path());
    opts.feeds.push(feed("osv-npm", "osv/npm/all.zip", false));
    let summary = update(&opts, &quiet).expect("update succeeds without the optional feed");
    assert_eq!(summary.feeds, 5);
    assert_eq!(summary.skipped.len(), 1, "{:?}", summary.skipped);
    assert!(
        summary.skipped[0].contains("osv-npm") && summary.skipped[0].contains("osv/npm/all.zip")
    );
    Database::open(&opts.db_path).expect("opens");

    // A required feed that is missing fails the update.
    opts.feeds
        .push(feed("required-extra", "kev/extra.json", true));
    let err = update(&opts, &quiet).expect_err("required feed missing");
    assert!(matches!(err, UpdateError::NotFound { .. }), "{err}");
}
