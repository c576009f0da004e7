//! The decoder's container metadata: asked of the container runtime on a lookup thread, cached
//! by container id.
//!
//! The thread reading the ring buffer never calls the runtime itself. The first time it sees a
//! container it queues a lookup and waits for the answer at most [`FIRST_SIGHT_WAIT`] (so the
//! first events of a container started while the agent runs usually carry its name and image);
//! after that the answer fills the cache whenever it arrives, and events decoded before it carry
//! only the container id. A failed lookup is retried with a growing backoff ([`RETRY_MIN`] up to
//! [`RETRY_MAX`]), never cached as final.
//!
//! Runtimes, in order: the CRI socket when one exists ([`cri::candidate_sockets`]: containerd,
//! CRI-O, or `RAMPART_CRI_SOCKET`), then `podman inspect` when podman is installed (also for a
//! container the CRI runtime does not know).

use crate::fields::syscall::{Container, K8sMeta};
use crate::sources::ebpf::cri;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Longest the decoder waits for the metadata of a container it sees for the first time.
pub const FIRST_SIGHT_WAIT: Duration = Duration::from_millis(500);
/// First delay before a failed lookup is retried; it doubles per failure.
pub const RETRY_MIN: Duration = Duration::from_secs(1);
/// Longest delay between retries.
pub const RETRY_MAX: Duration = Duration::from_secs(60);
/// Most containers cached (the cache is emptied when full).
const MAX_CONTAINERS: usize = 4096;
/// Lookups queued for the lookup thread at most.
const QUEUE: usize = 1024;

/// What a lookup answers.
pub type Answer = Result<cri::Found, String>;
/// A lookup of container metadata by (full) container id.
pub type LookupFn = Box<dyn FnMut(&str) -> Answer + Send>;

enum State {
    Pending,
    Ready,
    Failed { retry_at: Instant },
}

/// A cached container.
pub struct Entry {
    pub meta: Container,
    pub k8s: Option<K8sMeta>,
    /// The overlay upper directory of the container's root (`None`: not looked at yet;
    /// `Some(None)`: the root is not an overlay).
    upper_dir: Option<Option<PathBuf>>,
    state: State,
    /// Lookups failed in a row.
    failures: u32,
}

/// The container cache and its lookup thread.
pub struct Containers {
    entries: HashMap<String, Entry>,
    version: u64,
    requests: SyncSender<String>,
    answers: Receiver<(String, Answer)>,
    in_flight: usize,
    first_wait: Duration,
    /// `container.type` of a container not looked up yet.
    default_kind: String,
    /// The earliest retry due, when a lookup failed.
    next_retry: Option<Instant>,
    /// Polls since the clock was last read for retries.
    polls: u32,
}

impl Containers {
    /// A cache asking the container runtimes of this host.
    pub fn new() -> Containers {
        Containers::with_cri_socket(None)
    }

    /// A cache asking the CRI runtime at `socket` (when given, no other socket is tried), then
    /// podman.
    pub fn with_cri_socket(socket: Option<PathBuf>) -> Containers {
        let sockets = match socket {
            Some(s) => vec![s],
            None => cri::candidate_sockets(),
        };
        let podman = which("podman");
        let default_kind = match sockets.iter().find(|p| p.exists()) {
            Some(p) if p.to_string_lossy().contains("crio") => "cri-o",
            Some(_) => "containerd",
            None if podman => "podman",
            None => "",
        };
        Containers::with_lookup(
            runtime_lookup(sockets, podman),
            FIRST_SIGHT_WAIT,
            default_kind,
        )
    }

    /// A cache asking `lookup` on its own thread.
    pub fn with_lookup(lookup: LookupFn, first_wait: Duration, default_kind: &str) -> Containers {
        let (requests, queue) = std::sync::mpsc::sync_channel::<String>(QUEUE);
        let (answer, answers) = std::sync::mpsc::channel();
        let mut lookup = lookup;
        // the thread ends when the cache (the request sender) is dropped
        let _ = std::thread::Builder::new()
            .name("rampart-containers".into())
            .spawn(move || {
                for id in queue {
                    let found = lookup(&id);
                    if answer.send((id, found)).is_err() {
                        return;
                    }
                }
            });
        Containers {
            entries: HashMap::new(),
            version: 0,
            requests,
            answers,
            in_flight: 0,
            first_wait,
            default_kind: default_kind.to_string(),
            next_retry: None,
            polls: 0,
        }
    }

    /// Bumped whenever an entry changes.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// Applies the answers that arrived and queues the retries that are due. Cheap when there is
    /// nothing to do (the clock is read once per 256 polls, and only while a retry is pending).
    pub fn poll(&mut self) {
        while let Ok((id, answer)) = self.answers.try_recv() {
            self.apply(id, answer, Instant::now());
        }
        self.polls = self.polls.wrapping_add(1);
        if let Some(due) = self.next_retry.filter(|_| self.polls.is_multiple_of(256)) {
            let now = Instant::now();
            if now >= due {
                self.retry_due(now);
            }
        }
    }

    /// Makes sure container `id` is cached or being looked up; a container seen for the first
    /// time is waited for (at most the first-sight wait).
    pub fn ensure(&mut self, id: &str) {
        if id.is_empty() || self.entries.contains_key(id) {
            return;
        }
        if self.entries.len() >= MAX_CONTAINERS {
            self.entries.clear();
            self.next_retry = None;
        }
        let meta = Container {
            id: id.get(..12).unwrap_or(id).to_string(),
            full_id: id.to_string(),
            kind: self.default_kind.clone(),
            ..Container::default()
        };
        self.entries.insert(
            id.to_string(),
            Entry {
                meta,
                k8s: None,
                upper_dir: None,
                state: State::Pending,
                failures: 0,
            },
        );
        self.version += 1;
        self.request(id, Instant::now());
        self.wait_for(id, self.first_wait);
    }

    /// The overlay upper directory of container `id`'s root, read once from the mount table of
    /// `pid` (a process of that container).
    pub fn upper_dir(&mut self, id: &str, pid: u32) -> Option<&Path> {
        let entry = self.entries.get_mut(id)?;
        if entry.upper_dir.is_none() {
            // unknown when the process is already gone: try again at the next exec
            entry.upper_dir = root_upper_dir(pid);
        }
        entry.upper_dir.as_ref()?.as_deref()
    }

    fn request(&mut self, id: &str, now: Instant) {
        match self.requests.try_send(id.to_string()) {
            Ok(()) => self.in_flight += 1,
            // queue full (or no lookup thread): try again later
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                // `apply` counts an answer off the lookups in flight
                self.in_flight += 1;
                self.apply(id.to_string(), Err("lookup queue full".into()), now);
            }
        }
    }

    /// Waits up to `wait` for the answer about `id`, applying every answer that arrives.
    fn wait_for(&mut self, id: &str, wait: Duration) {
        let deadline = Instant::now() + wait;
        while matches!(
            self.entries.get(id),
            Some(Entry {
                state: State::Pending,
                ..
            })
        ) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            match self.answers.recv_timeout(left) {
                Ok((got, answer)) => self.apply(got, answer, Instant::now()),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn apply(&mut self, id: String, answer: Answer, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.version += 1;
        let entry = self.entries.entry(id.clone()).or_insert_with(|| Entry {
            meta: Container {
                id: id.get(..12).unwrap_or(&id).to_string(),
                full_id: id.clone(),
                ..Container::default()
            },
            k8s: None,
            upper_dir: None,
            state: State::Pending,
            failures: 0,
        });
        match answer {
            Ok(found) => {
                entry.meta = found.container;
                entry.k8s = found.k8s;
                entry.state = State::Ready;
                entry.failures = 0;
            }
            Err(_) => {
                entry.failures = entry.failures.saturating_add(1);
                let delay = RETRY_MIN
                    .saturating_mul(1 << (entry.failures - 1).min(16))
                    .min(RETRY_MAX);
                let retry_at = now + delay;
                entry.state = State::Failed { retry_at };
                self.next_retry = Some(self.next_retry.map_or(retry_at, |t| t.min(retry_at)));
            }
        }
    }

    fn retry_due(&mut self, now: Instant) {
        let due: Vec<String> = self
            .entries
            .iter_mut()
            .filter_map(|(id, e)| match e.state {
                State::Failed { retry_at, .. } if retry_at <= now => {
                    e.state = State::Pending;
                    Some(id.clone())
                }
                _ => None,
            })
            .collect();
        self.next_retry = self
            .entries
            .values()
            .filter_map(|e| match e.state {
                State::Failed { retry_at, .. } => Some(retry_at),
                _ => None,
            })
            .min();
        for id in due {
            self.request(&id, now);
        }
    }

    /// Waits (at most `wait`) until no lookup is in flight; for tests.
    #[cfg(test)]
    fn settle(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while self.in_flight > 0 {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            match self.answers.recv_timeout(left) {
                Ok((id, answer)) => self.apply(id, answer, Instant::now()),
                Err(_) => return,
            }
        }
    }
}

impl Default for Containers {
    fn default() -> Self {
        Containers::new()
    }
}

/// Asks the CRI socket (the first of `sockets` that exists, when one does), then podman.
fn runtime_lookup(sockets: Vec<PathBuf>, podman: bool) -> LookupFn {
    let mut client: Option<cri::Client> = None;
    Box::new(move |id| {
        let mut errors = Vec::new();
        if let Some(socket) = sockets.iter().find(|p| p.exists()) {
            if client.as_ref().is_none_or(|c| c.socket() != socket) {
                client = cri::Client::new(socket.clone())
                    .map_err(|e| errors.push(e.to_string()))
                    .ok();
            }
            if let Some(c) = &client {
                match c.lookup(id) {
                    Ok(found) => return Ok(found),
                    // not a CRI container: podman's, perhaps
                    Err(e @ cri::CriError::NotFound { .. }) if podman => errors.push(e.to_string()),
                    Err(e) => return Err(e.to_string()),
                }
            }
        }
        if podman {
            return inspect_podman(id).ok_or_else(|| {
                errors.push(format!("podman inspect {id} failed"));
                errors.join("; ")
            });
        }
        errors.push("no container runtime to ask".into());
        Err(errors.join("; "))
    })
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
        .unwrap_or(false)
}

/// Name, image and privilege of a podman container (`podman inspect`, bounded output).
fn inspect_podman(id: &str) -> Option<cri::Found> {
    let out = std::process::Command::new("podman")
        .args([
            "inspect",
            "--format",
            "{{.HostConfig.Privileged}}|{{.Name}}|{{.ImageName}}|{{.Id}}|{{.Image}}",
            id,
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() || out.stdout.len() > 8192 {
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut f = s.trim().splitn(5, '|').map(str::to_string);
    let privileged = f.next().is_some_and(|p| p == "true");
    let mut c = Container {
        kind: "podman".into(),
        privileged,
        name: f.next().unwrap_or_default(),
        image: f.next().unwrap_or_default(),
        full_id: f.next().unwrap_or_default(),
        image_id: f.next().unwrap_or_default(),
        ..Container::default()
    };
    if c.full_id.is_empty() {
        c.full_id = id.to_string();
    }
    c.id = c.full_id.get(..12).unwrap_or(&c.full_id).to_string();
    (c.image_repository, c.image_tag) = cri::split_image(&c.image);
    Some(cri::Found {
        container: c,
        k8s: None,
    })
}

/// The overlay upper directory of the root mount `pid` sees (`/proc/PID/mountinfo`): `None` when
/// the table cannot be read, `Some(None)` when the root is not an overlay.
fn root_upper_dir(pid: u32) -> Option<Option<PathBuf>> {
    let table = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).ok()?;
    Some(upper_dir_in_mountinfo(&table))
}

/// The `upperdir=` of the last mount on `/` in a mount table (the one visible).
fn upper_dir_in_mountinfo(table: &str) -> Option<PathBuf> {
    let mut found = None;
    for line in table.lines() {
        let Some((head, tail)) = line.split_once(" - ") else {
            continue;
        };
        if head.split(' ').nth(4) != Some("/") {
            continue;
        }
        let mut t = tail.split(' ');
        let (fstype, _source, options) = (t.next(), t.next(), t.next().unwrap_or_default());
        found = (fstype == Some("overlay"))
            .then(|| {
                options
                    .split(',')
                    .find_map(|o| o.strip_prefix("upperdir="))
                    .map(|p| PathBuf::from(unescape_mountinfo(p)))
            })
            .flatten();
    }
    found
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)))
            .map(|d| d.iter().fold(0u32, |n, c| n * 8 + u32::from(c - b'0')));
        match oct {
            Some(v) if v <= 255 => {
                out.push(v as u8);
                i += 4;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    const ID: &str = "3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d1234";

    /// A lookup failing its first `fail` calls, then naming the container "web".
    fn flaky(fail: u32, calls: Arc<AtomicU32>) -> LookupFn {
        Box::new(move |id| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < fail {
                return Err("runtime unavailable".into());
            }
            Ok(cri::Found {
                container: Container {
                    id: id[..12].to_string(),
                    full_id: id.to_string(),
                    name: "web".into(),
                    kind: "containerd".into(),
                    ..Container::default()
                },
                k8s: None,
            })
        })
    }

    #[test]
    fn a_first_sight_waits_for_the_answer() {
        let calls = Arc::new(AtomicU32::new(0));
        let mut c = Containers::with_lookup(flaky(0, calls.clone()), Duration::from_secs(5), "x");
        c.ensure(ID);
        let e = c.get(ID).expect("cached");
        assert_eq!(
            (e.meta.name.as_str(), e.meta.id.as_str()),
            ("web", &ID[..12])
        );
        // cached: no second lookup
        c.ensure(ID);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_slow_lookup_does_not_hold_up_events_and_fills_the_cache_later() {
        let slow: LookupFn = Box::new(|id| {
            std::thread::sleep(Duration::from_millis(300));
            flaky(0, Arc::default())(id)
        });
        let mut c = Containers::with_lookup(slow, Duration::from_millis(20), "containerd");
        let t0 = Instant::now();
        c.ensure(ID);
        assert!(t0.elapsed() < Duration::from_millis(250));
        let v = c.version();
        let e = c.get(ID).expect("placeholder");
        assert_eq!(
            (e.meta.name.as_str(), e.meta.kind.as_str()),
            ("", "containerd")
        );
        assert_eq!(e.meta.id, &ID[..12]);
        c.settle(Duration::from_secs(5));
        assert_eq!(c.get(ID).expect("cached").meta.name, "web");
        assert!(c.version() > v, "the version changes with the answer");
    }

    #[test]
    fn a_failed_lookup_is_retried_after_a_backoff() {
        let calls = Arc::new(AtomicU32::new(0));
        let mut c = Containers::with_lookup(flaky(2, calls.clone()), Duration::from_secs(5), "");
        let t0 = Instant::now();
        c.ensure(ID);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(c.get(ID).expect("placeholder").meta.name, "");
        // not retried before the backoff is over
        c.retry_due(t0);
        c.ensure(ID);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // first retry after RETRY_MIN; it fails again and backs off twice as long
        c.retry_due(Instant::now() + RETRY_MIN);
        c.settle(Duration::from_secs(5));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        match c.get(ID).map(|e| (e.failures, &e.state)) {
            Some((failures, State::Failed { retry_at })) => {
                assert_eq!(failures, 2);
                assert!(*retry_at >= Instant::now() + RETRY_MIN, "doubled backoff");
            }
            _ => panic!("still failed"),
        }
        c.retry_due(Instant::now() + RETRY_MAX);
        c.settle(Duration::from_secs(5));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(c.get(ID).expect("cached").meta.name, "web");
        assert!(c.next_retry.is_none());
    }

    #[test]
    fn reads_the_overlay_upper_dir_of_the_root_mount() {
        let table = "\
22 1 8:1 / / rw,relatime - ext4 /dev/vda rw
612 540 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l1:/l2,upperdir=/var/lib/c/o\\040x/diff,workdir=/w
613 612 0:53 / /proc rw - proc proc rw
";
        assert_eq!(
            upper_dir_in_mountinfo(table),
            Some(PathBuf::from("/var/lib/c/o x/diff"))
        );
        assert_eq!(
            upper_dir_in_mountinfo("22 1 8:1 / / rw - ext4 /dev/vda rw\n"),
            None
        );
        assert_eq!(upper_dir_in_mountinfo("garbage\n\\"), None);
        assert_eq!(unescape_mountinfo("a\\0b\\134c\\"), "a\\0b\\c\\");
    }
}
