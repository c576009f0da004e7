//! The agent's non-kernel sources, each on its own thread: the Kubernetes audit webhook endpoint,
//! followed audit log files and a polled CloudTrail directory. They decode with the same decoders
//! as replay, count what they cannot read, log the first problems, and go on.

use super::http::{Handler, Request, Response, Server, ServerOptions};
use super::metrics::Metrics;
use super::{AgentEvent, follow};
use crate::fields::Source;
use crate::sources::{DecodeStats, cloudtrail, k8s_audit};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, SystemTime};

/// Largest audit webhook body accepted, in bytes.
pub const MAX_AUDIT_BODY: usize = 64 << 20;
/// Problems logged per source before going quiet (they are still counted).
const LOGGED_PROBLEMS: u64 = 100;

/// Hands decoded events to the agent and counts them.
#[derive(Clone)]
pub struct Sink {
    tx: SyncSender<AgentEvent>,
    metrics: Arc<Metrics>,
    logged: Arc<AtomicU64>,
}

impl Sink {
    pub(crate) fn new(tx: SyncSender<AgentEvent>, metrics: Arc<Metrics>) -> Sink {
        Sink {
            tx,
            metrics,
            logged: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Sends one event (waits while the agent's queue is full: these sources can wait).
    /// `false` once the agent has stopped.
    fn send(&self, ev: AgentEvent) -> bool {
        self.tx.send(ev).is_ok()
    }

    /// Counts a decoder's result and logs its first problems.
    fn account(&self, source: Source, stats: &DecodeStats) {
        self.metrics.event(source, stats.events);
        if stats.malformed == 0 {
            return;
        }
        self.metrics.malformed(source, stats.malformed);
        for p in &stats.problems {
            if self.logged.fetch_add(1, Ordering::Relaxed) < LOGGED_PROBLEMS {
                eprintln!("rampart: {}: malformed input: {p}", source.name());
            }
        }
    }
}

/// Starts the audit webhook endpoint: `POST /k8s-audit` (or `/`) with an `EventList`, a single
/// `Event` or JSON lines. Answers 200 with the counts, 400 when nothing in the body was an event.
/// `server` sets the body limit ([`MAX_AUDIT_BODY`]), TLS and the bearer token.
pub fn audit_endpoint(addr: &str, server: ServerOptions, sink: Sink) -> std::io::Result<Server> {
    let handler: Handler = Arc::new(move |req: &Request| audit_request(req, &sink));
    Server::start_with(addr, server, handler)
}

fn audit_request(req: &Request, sink: &Sink) -> Response {
    if req.route() != "/k8s-audit" && req.route() != "/" {
        return Response::text(404, "POST audit events to /k8s-audit\n");
    }
    if req.method != "POST" {
        return Response::text(405, "POST only\n");
    }
    let mut open = true;
    let stats = k8s_audit::decode_bytes(&req.body, |ev| {
        open = open && sink.send(AgentEvent::K8sAudit(ev));
    });
    sink.account(Source::K8sAudit, &stats);
    if !open {
        return Response::text(503, "agent stopping\n");
    }
    let body = format!(
        "{{\"events\":{},\"malformed\":{}}}\n",
        stats.events, stats.malformed
    );
    let status = if stats.events == 0 && stats.malformed > 0 {
        400
    } else {
        200
    };
    Response {
        status,
        content_type: "application/json",
        body: body.into_bytes(),
    }
}

/// Follows audit log files (JSON lines) until `stop`, polling every `every`.
pub fn follow_audit_logs(paths: Vec<PathBuf>, sink: Sink, stop: Arc<AtomicBool>, every: Duration) {
    let mut followers: Vec<follow::Follower> =
        paths.into_iter().map(follow::Follower::new).collect();
    let mut failing: HashSet<PathBuf> = HashSet::new();
    while !stop.load(Ordering::Relaxed) {
        for f in followers.iter_mut() {
            let mut stats = DecodeStats::default();
            let mut open = true;
            let res = f.poll(|line| match line {
                follow::Line::Full(bytes) => {
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        return;
                    }
                    stats.merge(k8s_audit::decode_bytes(bytes, |ev| {
                        open = open && sink.send(AgentEvent::K8sAudit(ev));
                    }));
                }
                follow::Line::Oversized => {
                    stats.problem(format!("a line longer than {} bytes", follow::MAX_LINE))
                }
            });
            sink.account(Source::K8sAudit, &stats);
            if !open {
                return;
            }
            match res {
                Ok(note) => {
                    failing.remove(f.path());
                    if note.truncated {
                        eprintln!(
                            "rampart: {} was truncated; reading from its start",
                            f.path().display()
                        );
                    }
                }
                Err(e) => {
                    if failing.insert(f.path().to_path_buf()) {
                        eprintln!("rampart: following {}: {e}", f.path().display());
                    }
                }
            }
        }
        std::thread::sleep(every);
    }
}

/// Most files remembered as read by [`poll_cloudtrail_dir`].
const MAX_SEEN: usize = 1_000_000;

/// Reads every CloudTrail log file (`*.json.gz`, `*.json`) under `dir`, then polls for new ones
/// every `every` until `stop`. Files modified in the last half second wait for the next poll
/// (they may still be being written).
pub fn poll_cloudtrail_dir(dir: PathBuf, sink: Sink, stop: Arc<AtomicBool>, every: Duration) {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut warned = false;
    while !stop.load(Ordering::Relaxed) {
        let mut files = Vec::new();
        if let Err(e) = list_logs(&dir, &mut files, 0)
            && !warned
        {
            eprintln!("rampart: reading {}: {e}", dir.display());
            warned = true;
        }
        files.sort();
        for file in files {
            if seen.contains(&file) || seen.len() >= MAX_SEEN || !settled(&file) {
                continue;
            }
            seen.insert(file.clone());
            let what = file.display().to_string();
            match std::fs::read(&file) {
                Ok(bytes) => {
                    if !cloudtrail_file(&sink, &what, &bytes) {
                        return;
                    }
                }
                Err(e) => {
                    let mut s = DecodeStats::default();
                    s.problem(format!("{what}: {e}"));
                    sink.account(Source::CloudTrail, &s);
                }
            }
        }
        std::thread::sleep(every);
    }
}

/// Decodes one CloudTrail log file (gzip or JSON) into the agent's queue and counts it; `false`
/// once the agent has stopped.
fn cloudtrail_file(sink: &Sink, what: &str, bytes: &[u8]) -> bool {
    let mut open = true;
    let stats = cloudtrail::decode_bytes(bytes, what, |ev| {
        open = open && sink.send(AgentEvent::CloudTrail(ev));
    });
    sink.account(Source::CloudTrail, &stats);
    open
}

/// A CloudTrail source that the library user drives from its own thread (given to
/// [`super::Agent::cloudtrail_feed`]): for stores this crate does not talk to itself, such as an S3
/// bucket read through the AWS SDK.
pub struct CloudTrailFeed {
    pub(crate) sink: Sink,
    pub(crate) stop: Arc<AtomicBool>,
}

impl CloudTrailFeed {
    /// Feeds one log file (gzip or the JSON document); `false` once the agent has stopped.
    pub fn file(&self, name: &str, bytes: &[u8]) -> bool {
        !self.stopped() && cloudtrail_file(&self.sink, name, bytes)
    }

    /// Counts and logs a problem of the source (an object that could not be read).
    pub fn problem(&self, what: String) {
        let mut s = DecodeStats::default();
        s.problem(what);
        self.sink.account(Source::CloudTrail, &s);
    }

    /// The agent is stopping: the feed should return.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps for `d` in short steps; `false` when the agent stopped meanwhile.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = std::time::Instant::now() + d;
        while std::time::Instant::now() < end {
            if self.stopped() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50).min(d));
        }
        !self.stopped()
    }
}

fn settled(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_none_or(|age| age >= Duration::from_millis(500))
}

fn list_logs(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> std::io::Result<()> {
    if depth > 16 || out.len() >= MAX_SEEN {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            list_logs(&path, out, depth + 1)?;
        } else if ty.is_file() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".json.gz") || name.ends_with(".json") {
                out.push(path);
            }
        }
    }
    Ok(())
}
