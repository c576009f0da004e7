//! The decoder's container metadata: asked of the container runtime on a lookup thread, cached
//! by container id, and the events held back while a new container is being looked up.
//!
//! The thread reading the ring buffer never calls the runtime itself and never waits for it. The
//! first time it sees a container it queues a lookup; the events of that container are then parked
//! ([`Held`]) in a per-container FIFO (in record order) while the events of every other container
//! and of the host go on. When the answer arrives, the lookup fails, or [`FIRST_SIGHT_WAIT`] has
//! passed since the container's first parked event, its parked events get the container metadata
//! known by then (the answer, else only the container id) and are sent, in order. So the first
//! events of a container started while the agent runs usually carry its name and image, and a slow
//! runtime delays only that container's events: the ring buffer keeps being read. Parking is
//! bounded ([`HOLD_CAP`] events, [`MAX_HOLDS`] containers): over either, the container parked
//! longest is released early with what is known. An answer arriving later fills the cache for the
//! events that follow. A failed lookup is retried with a growing backoff ([`RETRY_MIN`] up to
//! [`RETRY_MAX`]), never cached as final; retries hold no events.
//!
//! Runtimes, in order: the CRI socket when one exists ([`cri::candidate_sockets`]: containerd,
//! CRI-O, or `RAMPART_CRI_SOCKET`), then `podman inspect` when podman is installed (also for a
//! container the CRI runtime does not know).

use crate::fields::syscall::{Container, K8sMeta, SyscallEvent};
use crate::sources::ebpf::cri;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// Longest the events of a container seen for the first time are held back waiting for its
/// metadata (counted from its first held event).
pub const FIRST_SIGHT_WAIT: Duration = Duration::from_millis(500);
/// Most events held back over all containers being looked up.
pub const HOLD_CAP: usize = 16_384;
/// Most containers whose events are held back at once.
pub const MAX_HOLDS: usize = 64;
/// First delay before a failed lookup is retried; it doubles per failure.
pub const RETRY_MIN: Duration = Duration::from_secs(1);
/// Longest delay between retries.
pub const RETRY_MAX: Duration = Duration::from_secs(60);
/// Execs of a container whose mount table is read at most while its root's overlay upper
/// directory is not found (a container whose root is no overlay costs no more reads after).
const UPPER_TRIES: u8 = 8;
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
    /// The container's metadata (only its id and type until the runtime answered).
    pub meta: Container,
    /// The pod's metadata, for a Kubernetes container.
    pub k8s: Option<K8sMeta>,
    /// The overlay upper directory of the container's root, once found.
    upper_dir: Option<PathBuf>,
    /// Mount tables looked at without finding it (see [`Containers::upper_dir`]).
    upper_tries: u8,
    state: State,
    /// Lookups failed in a row.
    failures: u32,
    /// The first lookup has not answered yet and the container's events are held back
    /// meanwhile (until [`FIRST_SIGHT_WAIT`] or the caps end the hold).
    first_lookup: bool,
}

impl Entry {
    fn placeholder(id: &str, kind: &str) -> Entry {
        Entry {
            meta: Container {
                id: id.get(..12).unwrap_or(id).to_string(),
                full_id: id.to_string(),
                kind: kind.to_string(),
                ..Container::default()
            },
            k8s: None,
            upper_dir: None,
            upper_tries: 0,
            state: State::Pending,
            failures: 0,
            first_lookup: false,
        }
    }

    /// Writes this container's metadata into an event's container-derived fields
    /// (`container.*`, `k8s.*`), keeping the event's allocations.
    pub fn fill(&self, container: &mut Option<Container>, k8s: &mut Option<K8sMeta>) {
        match container {
            Some(dst) => dst.clone_from(&self.meta),
            None => *container = Some(self.meta.clone()),
        }
        match (k8s.as_mut(), &self.k8s) {
            (Some(dst), Some(src)) => dst.clone_from(src),
            (_, src) => *k8s = src.clone(),
        }
    }
}

/// An event's container-derived fields from the cache entry of its container; none for the host
/// (no entry).
pub fn fill_event(
    entry: Option<&Entry>,
    container: &mut Option<Container>,
    k8s: &mut Option<K8sMeta>,
) {
    match entry {
        Some(e) => e.fill(container, k8s),
        None => (*container, *k8s) = (None, None),
    }
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

    /// The cached container `id`.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// Whether container `id`'s first lookup is still outstanding and its events are to be
    /// held back (not yet released after the wait or for the caps).
    pub fn awaiting_first(&self, id: &str) -> bool {
        self.entries.get(id).is_some_and(|e| e.first_lookup)
    }

    /// Container `id`'s events are no longer held back, though its first lookup may still be
    /// outstanding (its answer fills the cache for the events that follow).
    fn end_hold(&mut self, id: &str) {
        if let Some(e) = self.entries.get_mut(id) {
            e.first_lookup = false;
        }
    }

    /// Longest the events of a newly seen container are held back.
    pub fn first_wait(&self) -> Duration {
        self.first_wait
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

    /// Makes sure container `id` is cached or being looked up, without waiting: a container seen
    /// for the first time gets a placeholder entry (its id and the default type) and a lookup.
    pub fn ensure(&mut self, id: &str) {
        if id.is_empty() || self.entries.contains_key(id) {
            return;
        }
        if self.entries.len() >= MAX_CONTAINERS {
            self.entries.clear();
            self.next_retry = None;
        }
        let mut entry = Entry::placeholder(id, &self.default_kind);
        entry.first_lookup = true;
        self.entries.insert(id.to_string(), entry);
        self.version += 1;
        self.request(id, Instant::now());
    }

    /// The overlay upper directory of container `id`'s root, from the mount table of `pid` (a
    /// process of that container, at its exec). Kept once found; until then each exec of the
    /// container looks again, at most [`UPPER_TRIES`] times: the container's first execs are
    /// often the runtime's own init, in the container's cgroup but not yet in its root (its
    /// mount table shows the host's root), or gone before the table is read.
    pub fn upper_dir(&mut self, id: &str, pid: u32) -> Option<&Path> {
        let entry = self.entries.get_mut(id)?;
        if entry.upper_dir.is_none() && entry.upper_tries < UPPER_TRIES {
            entry.upper_tries += 1;
            entry.upper_dir = root_upper_dir(pid);
        }
        entry.upper_dir.as_deref()
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

    fn apply(&mut self, id: String, answer: Answer, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.version += 1;
        let entry = self
            .entries
            .entry(id.clone())
            .or_insert_with(|| Entry::placeholder(&id, ""));
        entry.first_lookup = false;
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

/// How much holding back events cost so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoldStats {
    /// Events held back while their container was being looked up.
    pub held: u64,
    /// The longest time an event was held back.
    pub longest: Duration,
    /// Containers released before their answer or timeout because the hold was full.
    pub released_early: u64,
}

/// One container's events held back, oldest first.
struct Hold {
    id: String,
    /// When its first event was held.
    since: Instant,
    events: VecDeque<Box<SyscallEvent>>,
}

/// The events held back while the first lookup of their container is outstanding (see the
/// module documentation): per container in record order, bounded in events and containers.
pub struct Held {
    /// Oldest hold first.
    holds: VecDeque<Hold>,
    /// Events in all holds.
    parked: usize,
    cap: usize,
    max_holds: usize,
    /// The container cache's version when the holds were last checked for answers.
    seen: Option<u64>,
    stats: HoldStats,
}

impl Default for Held {
    fn default() -> Self {
        Held::with_caps(HOLD_CAP, MAX_HOLDS)
    }
}

impl Held {
    /// Holds of at most `cap` events over at most `max_holds` containers.
    pub fn with_caps(cap: usize, max_holds: usize) -> Held {
        Held {
            holds: VecDeque::new(),
            parked: 0,
            cap: cap.max(1),
            max_holds: max_holds.max(1),
            seen: None,
            stats: HoldStats::default(),
        }
    }

    /// True when no event is held.
    pub fn is_empty(&self) -> bool {
        self.parked == 0
    }

    /// Events held now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.parked
    }

    /// What holding cost so far.
    pub fn stats(&self) -> HoldStats {
        self.stats
    }

    /// Holds `ev` (an event of container `id`, empty for the host) when its container's first
    /// lookup is outstanding or events of that container are held already (it queues behind
    /// them); otherwise gives it back to be sent now. [`Held::release`] must follow: it enforces
    /// the caps.
    pub fn hold(
        &mut self,
        id: &str,
        containers: &Containers,
        ev: Box<SyscallEvent>,
    ) -> Option<Box<SyscallEvent>> {
        if id.is_empty() {
            return Some(ev);
        }
        if let Some(h) = self.holds.iter_mut().find(|h| h.id == id) {
            h.events.push_back(ev);
        } else if containers.awaiting_first(id) {
            let mut events = VecDeque::new();
            events.push_back(ev);
            self.holds.push_back(Hold {
                id: id.to_string(),
                since: Instant::now(),
                events,
            });
        } else {
            return Some(ev);
        }
        self.parked += 1;
        self.stats.held += 1;
        None
    }

    /// Appends to `out`, in order, the held events that may go now, their container metadata
    /// filled from the cache: those of containers answered or failed, held for
    /// [`Containers::first_wait`] already, or (oldest first) over the caps.
    pub fn release(&mut self, containers: &mut Containers, out: &mut VecDeque<Box<SyscallEvent>>) {
        if self.holds.is_empty() {
            return;
        }
        let now = Instant::now();
        let wait = containers.first_wait();
        // the answers changed the cache: look which holds were answered
        if self.seen != Some(containers.version()) {
            self.seen = Some(containers.version());
            let mut i = 0;
            while i < self.holds.len() {
                if containers.awaiting_first(&self.holds[i].id) {
                    i += 1;
                } else if let Some(h) = self.holds.remove(i) {
                    self.send(h, containers, now, out);
                }
            }
        }
        // holds are in the order they started: the expired ones are at the front
        while self
            .holds
            .front()
            .is_some_and(|h| now.saturating_duration_since(h.since) >= wait)
        {
            if let Some(h) = self.holds.pop_front() {
                // waited long enough: the container's later events are not held either
                containers.end_hold(&h.id);
                self.send(h, containers, now, out);
            }
        }
        while self.parked > self.cap || self.holds.len() > self.max_holds {
            let Some(h) = self.holds.pop_front() else {
                break;
            };
            self.stats.released_early += 1;
            containers.end_hold(&h.id);
            self.send(h, containers, now, out);
        }
    }

    /// Releases every held event (the reader is stopping).
    pub fn release_all(
        &mut self,
        containers: &mut Containers,
        out: &mut VecDeque<Box<SyscallEvent>>,
    ) {
        let now = Instant::now();
        while let Some(h) = self.holds.pop_front() {
            containers.end_hold(&h.id);
            self.send(h, containers, now, out);
        }
    }

    fn send(
        &mut self,
        hold: Hold,
        containers: &Containers,
        now: Instant,
        out: &mut VecDeque<Box<SyscallEvent>>,
    ) {
        self.parked = self.parked.saturating_sub(hold.events.len());
        self.stats.longest = self
            .stats
            .longest
            .max(now.saturating_duration_since(hold.since));
        let entry = containers.get(&hold.id);
        for mut ev in hold.events {
            // the cache may have been emptied meanwhile: the event keeps the id it was decoded with
            if let Some(e) = entry {
                e.fill(&mut ev.container, &mut ev.k8s);
            }
            // its container is no longer what the process stamp says: a refill copies everything
            ev.derived.process_stamp = None;
            ev.prepare();
            out.push_back(ev);
        }
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

/// The overlay upper directory of the root mount `pid` sees (`/proc/PID/mountinfo`); `None` when
/// the table cannot be read or the root is not an overlay.
fn root_upper_dir(pid: u32) -> Option<PathBuf> {
    let table = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).ok()?;
    upper_dir_in_mountinfo(&table)
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
    fn a_first_sight_is_looked_up_without_waiting() {
        let calls = Arc::new(AtomicU32::new(0));
        let mut inner = flaky(0, calls.clone());
        // the lookup answers only when the test opens the gate, after `ensure` returned
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let slow: LookupFn = Box::new(move |id| {
            let _ = gate.recv_timeout(Duration::from_secs(10));
            inner(id)
        });
        let mut c = Containers::with_lookup(slow, Duration::from_secs(5), "containerd");
        let t0 = Instant::now();
        c.ensure(ID);
        // waiting for the answer would have taken the 5 s first-sight wait
        assert!(t0.elapsed() < Duration::from_secs(1), "no wait");
        assert!(c.awaiting_first(ID));
        let v = c.version();
        let e = c.get(ID).expect("placeholder");
        assert_eq!(
            (
                e.meta.name.as_str(),
                e.meta.kind.as_str(),
                e.meta.id.as_str()
            ),
            ("", "containerd", &ID[..12])
        );
        let _ = open.send(());
        c.settle(Duration::from_secs(5));
        assert_eq!(c.get(ID).expect("cached").meta.name, "web");
        assert!(!c.awaiting_first(ID));
        assert!(c.version() > v, "the version changes with the answer");
        // cached: no second lookup
        c.ensure(ID);
        c.settle(Duration::from_secs(1));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_failed_lookup_is_retried_after_a_backoff() {
        let calls = Arc::new(AtomicU32::new(0));
        let mut c = Containers::with_lookup(flaky(2, calls.clone()), Duration::from_secs(5), "");
        let t0 = Instant::now();
        c.ensure(ID);
        c.settle(Duration::from_secs(5));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(c.get(ID).expect("placeholder").meta.name, "");
        assert!(!c.awaiting_first(ID), "a failure ends the first lookup");
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

    const OTHER: &str = "9bd7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d5678";

    /// A lookup that answers "web" (or fails, for `false`) when the test says so on the gate.
    fn gated() -> (LookupFn, SyncSender<bool>) {
        let (gate, wait) = std::sync::mpsc::sync_channel::<bool>(8);
        let mut answer = flaky(0, Arc::default());
        let lookup: LookupFn = Box::new(move |id| match wait.recv() {
            Ok(true) => answer(id),
            _ => Err("runtime unavailable".into()),
        });
        (lookup, gate)
    }

    /// Event `num`, decoded while container `id` (empty: the host) was not known yet.
    fn event(num: u64, id: &str) -> Box<SyscallEvent> {
        Box::new(SyscallEvent {
            num,
            container: (!id.is_empty()).then(|| Entry::placeholder(id, "").meta),
            ..SyscallEvent::default()
        })
    }

    /// Polls the cache and releases until something is released (at most 5 s).
    fn released(c: &mut Containers, held: &mut Held) -> VecDeque<Box<SyscallEvent>> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut out = VecDeque::new();
        while out.is_empty() && Instant::now() < deadline {
            c.poll();
            held.release(c, &mut out);
            std::thread::sleep(Duration::from_millis(2));
        }
        out
    }

    fn nums(evs: &VecDeque<Box<SyscallEvent>>) -> Vec<u64> {
        evs.iter().map(|e| e.num).collect()
    }

    #[test]
    fn a_new_containers_events_are_held_until_the_answer_while_others_pass() {
        let (lookup, gate) = gated();
        let mut c = Containers::with_lookup(lookup, Duration::from_secs(30), "podman");
        let mut held = Held::default();
        let mut out = VecDeque::new();
        c.ensure(ID);
        assert!(held.hold(ID, &c, event(1, ID)).is_none(), "held");
        assert_eq!(held.hold("", &c, event(2, "")).map(|e| e.num), Some(2));
        assert!(held.hold(ID, &c, event(3, ID)).is_none(), "queued behind");
        held.release(&mut c, &mut out);
        assert!(out.is_empty() && held.len() == 2);
        gate.send(true).expect("lookup thread");
        // an event decoded after the answer still queues behind the held ones
        while c.awaiting_first(ID) {
            c.poll();
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(held.hold(ID, &c, event(4, ID)).is_none());
        let out = released(&mut c, &mut held);
        assert_eq!(nums(&out), [1, 3, 4]);
        for ev in &out {
            let meta = ev.container.as_ref().expect("container");
            assert_eq!((meta.name.as_str(), meta.id.as_str()), ("web", &ID[..12]));
            assert!(ev.derived.process_stamp.is_none());
        }
        assert!(held.is_empty());
        // answered: later events go straight on
        assert!(held.hold(ID, &c, event(5, ID)).is_some());
        let stats = held.stats();
        assert_eq!((stats.held, stats.released_early), (3, 0));
        assert!(stats.longest > Duration::ZERO);
    }

    #[test]
    fn held_events_go_with_the_id_only_after_the_wait() {
        let (lookup, _gate) = gated();
        let mut c = Containers::with_lookup(lookup, Duration::from_millis(50), "podman");
        let mut held = Held::default();
        c.ensure(ID);
        let t0 = Instant::now();
        assert!(held.hold(ID, &c, event(1, ID)).is_none());
        assert!(held.hold(ID, &c, event(2, ID)).is_none());
        let out = released(&mut c, &mut held);
        assert!(t0.elapsed() >= Duration::from_millis(50));
        assert_eq!(nums(&out), [1, 2]);
        let meta = out[0].container.as_ref().expect("container");
        assert_eq!(
            (meta.name.as_str(), meta.id.as_str(), meta.kind.as_str()),
            ("", &ID[..12], "podman")
        );
        // still not answered, but no longer held: later events go on
        assert!(matches!(c.get(ID).map(|e| &e.state), Some(State::Pending)));
        assert!(!c.awaiting_first(ID));
        assert!(held.hold(ID, &c, event(3, ID)).is_some());
        assert!(held.stats().longest >= Duration::from_millis(50));
    }

    #[test]
    fn over_the_cap_the_oldest_container_goes_first() {
        let (lookup, _gate) = gated();
        let mut c = Containers::with_lookup(lookup, Duration::from_secs(30), "");
        let mut held = Held::with_caps(3, 8);
        let mut out = VecDeque::new();
        c.ensure(ID);
        c.ensure(OTHER);
        for (n, id) in [(1, ID), (2, OTHER), (3, ID)] {
            assert!(held.hold(id, &c, event(n, id)).is_none());
            held.release(&mut c, &mut out);
        }
        assert!(out.is_empty());
        assert!(held.hold(OTHER, &c, event(4, OTHER)).is_none());
        held.release(&mut c, &mut out);
        assert_eq!(
            nums(&out),
            [1, 3],
            "the oldest container's events, in order"
        );
        assert_eq!((held.len(), held.stats().released_early), (2, 1));
        // released early: its later events are not held again
        assert!(held.hold(ID, &c, event(5, ID)).is_some());
        // too many containers held: the oldest goes too
        let (lookup, _gate) = gated();
        let mut c = Containers::with_lookup(lookup, Duration::from_secs(30), "");
        c.ensure(ID);
        c.ensure(OTHER);
        let mut held = Held::with_caps(100, 1);
        out.clear();
        assert!(held.hold(ID, &c, event(1, ID)).is_none());
        assert!(held.hold(OTHER, &c, event(2, OTHER)).is_none());
        held.release(&mut c, &mut out);
        assert_eq!(nums(&out), [1]);
        // and everything at the end
        held.release_all(&mut c, &mut out);
        assert_eq!(nums(&out), [1, 2]);
        assert!(held.is_empty());
    }

    #[test]
    fn a_failed_lookup_releases_the_held_events() {
        let (lookup, gate) = gated();
        let mut c = Containers::with_lookup(lookup, Duration::from_secs(30), "podman");
        let mut held = Held::default();
        c.ensure(ID);
        assert!(held.hold(ID, &c, event(1, ID)).is_none());
        gate.send(false).expect("lookup thread");
        let t0 = Instant::now();
        let out = released(&mut c, &mut held);
        assert!(t0.elapsed() < Duration::from_secs(5), "not the 30 s wait");
        assert_eq!(nums(&out), [1]);
        let meta = out[0].container.as_ref().expect("container");
        assert_eq!((meta.name.as_str(), meta.id.as_str()), ("", &ID[..12]));
        // failed (a retry is due later): later events are not held
        assert!(held.hold(ID, &c, event(2, ID)).is_some());
    }

    #[test]
    fn the_upper_dir_is_looked_for_again_at_the_next_execs_until_found() {
        let (lookup, _gate) = gated();
        let mut c = Containers::with_lookup(lookup, Duration::from_secs(30), "");
        c.ensure(ID);
        // a process that is gone (or not yet in the container's root) gives none: not final
        for _ in 0..UPPER_TRIES {
            assert!(c.upper_dir(ID, u32::MAX - 1).is_none());
        }
        assert_eq!(c.get(ID).map(|e| e.upper_tries), Some(UPPER_TRIES));
        // found: kept
        if let Some(e) = c.entries.get_mut(ID) {
            e.upper_dir = Some(PathBuf::from("/var/lib/c/diff"));
        }
        assert_eq!(c.upper_dir(ID, 1), Some(Path::new("/var/lib/c/diff")));
        assert!(c.upper_dir("unknown", 1).is_none());
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
