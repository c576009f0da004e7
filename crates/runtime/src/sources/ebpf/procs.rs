//! User-space state the kernel events are enriched with: the process table (seeded from /proc,
//! kept by exec/fork/exit), user and group names, container ids from cgroup paths.
//!
//! A process found in /proc rather than seen exec'ing (running before the agent started) gets its
//! environment (`proc.env`) from `/proc/PID/environ` the first time an event of it is decoded,
//! and only when a rule uses `proc.env` ([`Procs::set_read_env`]); it is cut at [`ENV_MAX`]
//! bytes and counted against [`ENV_BUDGET`] like an exec'd process's.

use super::decode::TRUNCATED;
use super::raw::ENV_MAX;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Most processes tracked (further ones are looked up in /proc on demand, not kept).
pub const MAX_PROCS: usize = 131_072;
/// How long a pid not found in /proc is not looked up again (unless it forks or execs).
pub const MISSING_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Most pids remembered as not found.
const MAX_MISSING: usize = 4096;

/// What is known of one process.
#[derive(Debug, Clone, Default)]
pub struct ProcInfo {
    pub ppid: u32,
    pub name: String,
    pub exe: String,
    pub exepath: String,
    pub args: Vec<String>,
    pub cwd: String,
    pub container_id: String,
    /// The executable is a memfd (fileless execution).
    pub exe_from_memfd: bool,
    /// Session id and process group id (`/proc/PID/stat`).
    pub sid: u32,
    pub pgid: u32,
    /// Process start, ns since the epoch (0 when unknown).
    pub start_ts: i64,
    /// The executable lives in the container's writable overlay layer (written after start).
    pub exe_upper_layer: bool,
    /// The process's pid in its own pid namespace (`NSpid`; 0 when unknown: the host pid).
    pub vpid: u32,
    /// The executable file is writable by the process's user (`proc.is_exe_writable`).
    pub exe_writable: bool,
    /// The environment of the exec'd image (`proc.env`), shared with forked children; `None`
    /// when unknown or not kept (see [`Env::keep`]).
    pub env: Option<Arc<Env>>,
    /// Found in /proc, its environment not read yet: [`Procs::load_env`] reads it from
    /// `/proc/PID/environ` when the table is asked for environments.
    pub env_pending: bool,
    /// Inode number, ctime and mtime (ns since the epoch) of the executable at exec; 0 unknown.
    pub exe_ino: i64,
    pub exe_ino_ctime: i64,
    pub exe_ino_mtime: i64,
    /// Start of the init process of the process's pid namespace, ns since the epoch (0 unknown).
    pub pidns_init_start_ts: i64,
}

/// Bytes of environment the process table keeps at most, over all processes (each process's is
/// at most the kernel side's 4 KiB, [`ENV_MAX`]; forked children share their parent's).
pub const ENV_BUDGET: usize = 16 << 20;

/// Environment bytes the process table holds now (every live [`Env`]).
static ENV_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The environment of an exec'd process, `NAME=value` strings. It may hold secrets: its `Debug`
/// output gives only its size, so nothing Rampart logs can show it.
pub struct Env {
    vars: Vec<String>,
    bytes: usize,
}

impl Env {
    /// Keeps `vars` for the process table when the budget ([`ENV_BUDGET`]) allows, else `None`
    /// (the exec event itself still carries them).
    pub fn keep(vars: &[String]) -> Option<Arc<Env>> {
        if vars.is_empty() {
            return None;
        }
        let bytes = vars.iter().map(|v| v.len() + 24).sum::<usize>();
        let held = ENV_BYTES.fetch_add(bytes, Ordering::Relaxed);
        if held.saturating_add(bytes) > ENV_BUDGET {
            ENV_BYTES.fetch_sub(bytes, Ordering::Relaxed);
            return None;
        }
        Some(Arc::new(Env {
            vars: vars.to_vec(),
            bytes,
        }))
    }

    /// The `NAME=value` strings.
    pub fn vars(&self) -> &[String] {
        &self.vars
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        ENV_BYTES.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Env({} vars, {} bytes)", self.vars.len(), self.bytes)
    }
}

/// Splits a NUL-separated block (argv, environment) whose whole length was `total` bytes: the
/// last string of a block that was cut ends with the truncation marker.
pub fn split_block(b: &[u8], total: u64) -> Vec<String> {
    let mut parts = split_args(b);
    if total > b.len() as u64
        && let Some(last) = parts.last_mut()
    {
        last.push_str(TRUNCATED);
    }
    parts
}

/// The environment of `pid` from `/proc/PID/environ`, cut as the kernel side cuts an exec'd
/// image's: at most [`ENV_MAX`] bytes, the last string of a cut block marked truncated. `None`
/// when it cannot be read (the process is gone). Never logged: it may hold secrets.
pub fn read_environ(pid: u32) -> Option<Vec<String>> {
    use std::io::Read;
    let file = std::fs::File::open(format!("/proc/{pid}/environ")).ok()?;
    let mut block = Vec::with_capacity(ENV_MAX + 1);
    file.take(ENV_MAX as u64 + 1).read_to_end(&mut block).ok()?;
    let total = block.len() as u64;
    block.truncate(ENV_MAX);
    Some(split_block(&block, total))
}

/// Inode number, ctime and mtime (ns since the epoch) of `/proc/PID/exe` (for processes found
/// in /proc rather than seen exec'ing).
pub fn exe_inode(pid: u32) -> Option<(i64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(format!("/proc/{pid}/exe")).ok()?;
    let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
    Some((
        m.ino() as i64,
        ns(m.ctime(), m.ctime_nsec()),
        ns(m.mtime(), m.mtime_nsec()),
    ))
}

/// The pid of `pid` in its innermost pid namespace (the last `NSpid:` field of
/// `/proc/PID/status`).
pub fn ns_pid(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    ns_pid_in(&status)
}

/// The last `NSpid:` field of a `/proc/PID/status` text.
pub fn ns_pid_in(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))?
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}

/// Whether the executable of `pid` is writable by a process of `uid`/`gid`, as the kernel's
/// permission check would answer: root may write any file on a writable filesystem, others by the
/// owner, group and other write bits.
pub fn exe_writable(pid: u32, uid: u32, gid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let path = format!("/proc/{pid}/exe");
    let Ok(meta) = std::fs::metadata(&path) else {
        return false;
    };
    if uid == 0 {
        return !read_only_fs(&path);
    }
    let mode = meta.mode();
    (meta.uid() == uid && mode & 0o200 != 0)
        || (meta.gid() == gid && mode & 0o020 != 0)
        || mode & 0o002 != 0
}

/// Whether `upper` (a file in a container's writable layer) is the executable `pid` runs: same
/// size and modification time as `/proc/PID/exe`. A bind-mounted executable leaves an empty
/// mount-point file in the upper layer, which does not match.
pub fn same_file(upper: &Path, pid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(u), Ok(e)) = (
        std::fs::metadata(upper),
        std::fs::metadata(format!("/proc/{pid}/exe")),
    ) else {
        return false;
    };
    u.is_file() && (u.len(), u.mtime(), u.mtime_nsec()) == (e.len(), e.mtime(), e.mtime_nsec())
}

/// Whether `path` is on a read-only mount.
fn read_only_fs(path: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(path) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized out-parameter.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    rc == 0 && st.f_flag & libc::ST_RDONLY != 0
}

/// Session id, process group id and start time (ns since the epoch) from `/proc/PID/stat`.
pub fn stat_ids(pid: u32) -> Option<(u32, u32, i64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Parses a `/proc/PID/stat` line (the command name in parentheses may hold spaces and
/// parentheses: fields are counted after the last `)`).
pub fn parse_stat(stat: &str) -> Option<(u32, u32, i64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // after the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
    // utime stime cutime cstime priority nice num_threads itrealvalue starttime
    let pgid = f.get(2)?.parse().ok()?;
    let sid = f.get(3)?.parse().ok()?;
    let ticks: u64 = f.get(19)?.parse().ok()?;
    let (btime, hz) = clock();
    let start = if btime > 0 && hz > 0 {
        btime
            .saturating_mul(1_000_000_000)
            .saturating_add((ticks as i64).saturating_mul(1_000_000_000 / hz))
    } else {
        0
    };
    Some((sid, pgid, start))
}

/// Boot time (s since the epoch, `/proc/stat` `btime`) and clock ticks per second.
fn clock() -> (i64, i64) {
    static CLOCK: std::sync::OnceLock<(i64, i64)> = std::sync::OnceLock::new();
    *CLOCK.get_or_init(|| {
        let btime = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse().ok()))
            })
            .unwrap_or(0);
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        (btime, i64::from(hz.max(0) as i32))
    })
}

/// `/proc/PID/exe` as the process sees it (inside its container), without ` (deleted)`.
pub fn exe_link(pid: u32) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let link = link.to_string_lossy();
    Some(link.strip_suffix(" (deleted)").unwrap_or(&link).to_string())
}

/// For an exec through a file descriptor (`fexecve`: `/dev/fd/N`, `/proc/self/fd/N`, or an empty
/// path with `AT_EMPTY_PATH`), what `/proc/PID/exe` names: `memfd:NAME` (Falco's `proc.exepath`
/// for memfd executables) and whether it is a memfd. `None` for ordinary paths or when the process
/// is already gone.
pub fn exe_via_fd(pid: u32, kernel_path: &str) -> Option<(String, bool)> {
    let via_fd = kernel_path.is_empty()
        || kernel_path.starts_with("/dev/fd/")
        || (kernel_path.starts_with("/proc/") && kernel_path.contains("/fd/"));
    if !via_fd {
        return None;
    }
    let link = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let link = link.to_string_lossy();
    let link = link.strip_suffix(" (deleted)").unwrap_or(&link);
    match link.strip_prefix("/memfd:") {
        Some(name) => Some((format!("memfd:{name}"), true)),
        None => Some((link.to_string(), false)),
    }
}

/// The process table.
#[derive(Debug, Default)]
pub struct Procs {
    map: HashMap<u32, ProcInfo>,
    /// Bumped on every change of the table.
    version: u64,
    /// Read the environments of processes found in /proc (see [`Procs::load_env`]).
    read_env: bool,
    /// Pids /proc did not have lately (an ancestor or leader that is gone): not read again for
    /// every event (each read is a syscall another agent would see).
    missing: HashSet<u32>,
    /// When `missing` was started (it is emptied after [`MISSING_TTL`]).
    missing_since: Option<std::time::Instant>,
}

fn read_proc(pid: u32) -> Option<ProcInfo> {
    let base = format!("/proc/{pid}");
    let status = std::fs::read_to_string(format!("{base}/status")).ok()?;
    let mut info = ProcInfo::default();
    for line in status.lines() {
        if let Some(v) = line.strip_prefix("Name:\t") {
            info.name = v.to_string();
        } else if let Some(v) = line.strip_prefix("PPid:\t") {
            info.ppid = v.trim().parse().unwrap_or(0);
        }
    }
    if let Some(v) = ns_pid_in(&status)
        && v != pid
    {
        info.vpid = v;
    }
    let cmdline = std::fs::read(format!("{base}/cmdline")).unwrap_or_default();
    let mut parts = split_args(&cmdline);
    if !parts.is_empty() {
        info.exe = parts.remove(0);
    }
    info.args = parts;
    info.exepath = std::fs::read_link(format!("{base}/exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    info.cwd = cwd_of(pid);
    info.container_id = container_of(pid);
    // read when first asked for, and only when rules use it
    info.env_pending = true;
    if let Some((ino, ctime, mtime)) = exe_inode(pid) {
        (info.exe_ino, info.exe_ino_ctime, info.exe_ino_mtime) = (ino, ctime, mtime);
    }
    if let Some((sid, pgid, start)) = stat_ids(pid) {
        (info.sid, info.pgid, info.start_ts) = (sid, pgid, start);
    }
    Some(info)
}

/// `/proc/PID/cwd` with a trailing slash (Falco's `proc.cwd`), empty when unknown.
pub fn cwd_of(pid: u32) -> String {
    std::fs::read_link(format!("/proc/{pid}/cwd"))
        .map(|p| {
            let mut s = p.display().to_string();
            if !s.ends_with('/') {
                s.push('/');
            }
            s
        })
        .unwrap_or_default()
}

/// Container id (full, as the runtime knows it) of a process from its cgroup path; empty for the
/// host.
pub fn container_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .map(|s| container_id_from_cgroup(&s))
        .unwrap_or_default()
}

/// Finds the container id in the lines of `/proc/PID/cgroup`: a 64-hex component, bare or in a
/// systemd scope (`libpod-<id>.scope`, `docker-<id>.scope`, `cri-containerd-<id>.scope`,
/// `crio-<id>.scope`; cgroupfs drivers: `/kubepods/besteffort/pod<uid>/<id>`, `/docker/<id>`),
/// else containerd's own `/<namespace>/<id>` for a container run outside Kubernetes (`ctr run`:
/// any id, in the `default` or `k8s.io` namespace).
pub fn container_id_from_cgroup(cgroup: &str) -> String {
    for line in cgroup.lines() {
        let path = line.splitn(3, ':').nth(2).unwrap_or(line);
        for comp in path.split('/') {
            let comp = comp.strip_suffix(".scope").unwrap_or(comp);
            let id = ["libpod-", "docker-", "cri-containerd-", "crio-", ""]
                .iter()
                .find_map(|p| comp.strip_prefix(p).filter(|r| is_id(r)));
            if let Some(id) = id {
                return id.to_string();
            }
        }
    }
    cgroup
        .lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .find_map(containerd_namespaced_id)
        .map(str::to_string)
        .unwrap_or_default()
}

/// `<id>` of a cgroup path `/<namespace>/<id>` of a containerd namespace.
fn containerd_namespaced_id(path: &str) -> Option<&str> {
    let mut parts = path.strip_prefix('/')?.split('/');
    let (ns, id) = (parts.next()?, parts.next()?);
    let valid = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
    (parts.next().is_none()
        && matches!(ns, "default" | "k8s.io")
        && (1..=76).contains(&id.len())
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id.bytes().all(valid))
    .then_some(id)
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Splits a NUL-separated argument block.
pub fn split_args(b: &[u8]) -> Vec<String> {
    b.split(|&c| c == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

impl Procs {
    /// Seeds the table from /proc.
    pub fn seed() -> Procs {
        let mut procs = Procs::default();
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for ent in dir.flatten() {
                let Some(pid) = ent.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                if let Some(info) = read_proc(pid) {
                    procs.insert(pid, info);
                }
            }
        }
        procs
    }

    /// Whether [`Procs::load_env`] reads environments from /proc (a rule uses `proc.env`). Off
    /// by default: `/proc/PID/environ` is then never read.
    pub fn set_read_env(&mut self, on: bool) {
        self.read_env = on;
    }

    /// Gives a process found in /proc (not seen exec'ing) its environment from
    /// `/proc/PID/environ`, once, when environments are read ([`Procs::set_read_env`]); bounded
    /// like an exec'd one ([`read_environ`], [`Env::keep`]).
    pub fn load_env(&mut self, pid: u32) {
        if !self.read_env {
            return;
        }
        let Some(info) = self.map.get_mut(&pid).filter(|i| i.env_pending) else {
            return;
        };
        info.env_pending = false;
        info.env = read_environ(pid).and_then(|vars| Env::keep(&vars));
        if info.env.is_some() {
            self.version += 1;
        }
    }

    /// Number of processes known.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no process is known.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn insert(&mut self, pid: u32, info: ProcInfo) {
        if !self.missing.is_empty() {
            self.missing.remove(&pid);
        }
        if self.map.len() < MAX_PROCS || self.map.contains_key(&pid) {
            self.map.insert(pid, info);
            self.version += 1;
        }
    }

    /// Changes with every insert, exec, fork and exit: equal versions mean an unchanged table.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The process, from the table or (when missing) from /proc; a pid /proc does not have is
    /// not looked up again for [`MISSING_TTL`].
    pub fn get(&mut self, pid: u32) -> Option<&ProcInfo> {
        if !self.map.contains_key(&pid) {
            if self.recently_missing(pid) {
                return None;
            }
            match read_proc(pid) {
                Some(info) => self.insert(pid, info),
                None => {
                    self.note_missing(pid);
                    return None;
                }
            }
        }
        self.map.get(&pid)
    }

    fn recently_missing(&mut self, pid: u32) -> bool {
        if self.missing.is_empty() {
            return false;
        }
        if self
            .missing_since
            .is_none_or(|t| t.elapsed() >= MISSING_TTL)
        {
            self.missing.clear();
            return false;
        }
        self.missing.contains(&pid)
    }

    fn note_missing(&mut self, pid: u32) {
        if self.missing.len() >= MAX_MISSING {
            self.missing.clear();
        }
        if self.missing.is_empty() {
            self.missing_since = Some(std::time::Instant::now());
        }
        self.missing.insert(pid);
    }

    /// The process, from the table only.
    pub fn peek(&self, pid: u32) -> Option<&ProcInfo> {
        self.map.get(&pid)
    }

    /// A fork: the child starts as a copy of the parent.
    pub fn fork(&mut self, parent: u32, child: u32, start_ts: i64) {
        // the child shares the parent's environment: read it first when it is still unread
        if self.get(parent).is_some() {
            self.load_env(parent);
        }
        let mut info = self.get(parent).cloned().unwrap_or_default();
        info.ppid = parent;
        info.start_ts = start_ts;
        // a child of a process in a pid namespace has a pid of its own there
        info.vpid = if info.vpid != 0 {
            ns_pid(child).filter(|v| *v != child).unwrap_or(0)
        } else {
            0
        };
        self.insert(child, info);
    }

    /// An exec replaced the image of `pid`.
    pub fn exec(&mut self, pid: u32, info: ProcInfo) {
        self.insert(pid, info);
    }

    /// A process ended.
    pub fn exit(&mut self, pid: u32) {
        if self.map.remove(&pid).is_some() {
            self.version += 1;
        }
    }
}

/// Names from /etc/passwd or /etc/group (`name:x:id:…`).
pub fn id_names(path: &str) -> HashMap<u32, (String, String, String)> {
    let mut out = HashMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    for line in text.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 3
            && let Ok(id) = f[2].parse::<u32>()
        {
            let home = f.get(5).copied().unwrap_or_default().to_string();
            let shell = f.get(6).copied().unwrap_or_default().to_string();
            out.entry(id).or_insert((f[0].to_string(), home, shell));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn environments_are_shared_budgeted_and_never_printed() {
        let vars = vec!["AWS_SECRET_ACCESS_KEY=hunter2".to_string(), "A=1".into()];
        let env = Env::keep(&vars).expect("within the budget");
        assert_eq!(env.vars(), &vars[..]);
        let shown = format!(
            "{:?}",
            ProcInfo {
                env: Some(env.clone()),
                ..ProcInfo::default()
            }
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(Env::keep(&[]).is_none());
        // over the budget nothing is kept
        let huge = vec!["X".repeat(ENV_BUDGET)];
        assert!(Env::keep(&huge).is_none());
        // a process found in /proc has its executable's inode
        let (ino, ctime, mtime) = exe_inode(std::process::id()).expect("own exe");
        assert!(ino > 0 && ctime > 1_000_000_000_000_000_000 && mtime > 0);
    }

    /// A `sleep 30` with environment `vars` only (killed by the caller), once its exec has set up
    /// the environment (`spawn` may return before the kernel has).
    pub(crate) fn sleeper(vars: &[(&str, &str)]) -> std::process::Child {
        let child = std::process::Command::new("/bin/sleep")
            .arg("30")
            .env_clear()
            .envs(vars.iter().copied())
            .spawn()
            .expect("sleep runs");
        let environ = format!("/proc/{}/environ", child.id());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::fs::read(&environ).is_ok_and(|b| b.is_empty())
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        child
    }

    #[test]
    fn a_process_found_in_proc_gets_its_environment_when_asked_and_only_then() {
        let child = sleeper(&[("RAMPART_TOKEN", "s3cr3t"), ("LANG", "C")]);
        let big = "x".repeat(ENV_MAX + 100);
        let large = sleeper(&[("A", "1"), ("BIG", &big)]);
        let (pid, large_pid) = (child.id(), large.id());
        let env_of = |read_env: bool, pid: u32| {
            let mut procs = Procs::default();
            procs.set_read_env(read_env);
            assert!(procs.get(pid).is_some_and(|i| i.env_pending));
            let before = procs.version();
            procs.load_env(pid);
            let info = procs.peek(pid).cloned().unwrap_or_default();
            (info, procs.version() != before)
        };
        let (off, changed_off) = env_of(false, pid);
        let (on, changed_on) = env_of(true, pid);
        let (cut, _) = env_of(true, large_pid);
        // a fork shares the parent's environment, read when the parent is first looked up
        let mut procs = Procs::default();
        procs.set_read_env(true);
        procs.fork(pid, 4_000_003, 0);
        let forked = procs.peek(4_000_003).and_then(|i| i.env.clone());
        for mut c in [child, large] {
            let _ = c.kill();
            let _ = c.wait();
        }
        assert!(
            off.env.is_none() && off.env_pending && !changed_off,
            "not read"
        );
        let vars = on
            .env
            .as_ref()
            .map(|e| e.vars().to_vec())
            .unwrap_or_default();
        let mut sorted = vars.clone();
        sorted.sort();
        assert_eq!(sorted, ["LANG=C", "RAMPART_TOKEN=s3cr3t"]);
        assert!(!on.env_pending && changed_on);
        assert!(!format!("{on:?}").contains("s3cr3t"), "never printed");
        assert_eq!(forked.map(|e| e.vars().to_vec()), Some(vars));
        // cut at ENV_MAX bytes like an exec'd environment, the last string marked
        let vars = cut
            .env
            .as_ref()
            .map(|e| e.vars().to_vec())
            .unwrap_or_default();
        assert_eq!(vars.len(), 2, "{}", vars.len());
        assert_eq!(vars[0], "A=1");
        let last = &vars[1];
        assert!(last.starts_with("BIG=xxx") && last.ends_with(TRUNCATED));
        assert_eq!(last.len(), ENV_MAX - "A=1\0".len() + TRUNCATED.len());
        // a process that is gone has none
        assert!(read_environ(u32::MAX - 1).is_none());
    }

    #[test]
    fn a_pid_missing_from_proc_is_not_read_again_until_it_appears() {
        let gone = u32::MAX - 2;
        let mut procs = Procs::default();
        assert!(procs.get(gone).is_none());
        assert!(procs.missing.contains(&gone));
        assert!(procs.get(gone).is_none());
        // a fork or exec of that pid makes it known at once
        procs.exec(gone, ProcInfo::default());
        assert!(procs.get(gone).is_some() && procs.missing.is_empty());
        // and the memory of missing pids expires
        procs.exit(gone);
        assert!(procs.get(gone).is_none());
        procs.missing_since = Some(std::time::Instant::now() - MISSING_TTL);
        assert!(!procs.recently_missing(gone));
        assert!(procs.missing.is_empty());
    }

    #[test]
    fn stat_lines_with_odd_names() {
        let line =
            "4242 (a) b) (c) S 1 4242 4100 34816 4242 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 0 0";
        let (sid, pgid, start) = parse_stat(line).expect("parses");
        assert_eq!((sid, pgid), (4100, 4242));
        assert!(start >= 0);
        assert!(parse_stat("12 (x) S 1").is_none());
        assert!(parse_stat("no parenthesis").is_none());
        let me = stat_ids(std::process::id()).expect("own stat");
        assert!(
            me.2 > 1_000_000_000_000_000_000,
            "start after 2001: {}",
            me.2
        );
    }

    #[test]
    fn container_ids_from_cgroups() {
        let id = "3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d1234";
        for path in [
            format!("0::/machine.slice/libpod-{id}.scope/container"),
            format!("0::/system.slice/docker-{id}.scope"),
            format!("0::/kubepods/burstable/pod1/cri-containerd-{id}.scope"),
            format!("12:cpu:/docker/{id}"),
            // containerd, systemd driver (kubelet's slices)
            format!(
                "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1f2e.slice/cri-containerd-{id}.scope"
            ),
            // containerd, cgroupfs driver, cgroup v1 (the controllers' lines) and v2
            format!("4:memory:/kubepods/besteffort/pod1f2e-aa/{id}\n0::/"),
            format!("0::/kubepods/burstable/pod1f2e-aa/{id}"),
            // ctr run with a hex id: /<namespace>/<id>
            format!("0::/default/{id}"),
            // CRI-O, systemd driver
            format!("0::/kubepods.slice/kubepods-pod1.slice/crio-{id}.scope"),
        ] {
            assert_eq!(container_id_from_cgroup(&path), id, "{path}");
        }
        // ctr run with a name as the id, in containerd's namespaces only
        assert_eq!(
            container_id_from_cgroup("0::/default/my-ctr_1.0"),
            "my-ctr_1.0"
        );
        assert_eq!(
            container_id_from_cgroup("5:cpu:/\n0::/k8s.io/nginx"),
            "nginx"
        );
        for host in [
            "0::/user.slice/session-1.scope",
            "0::/system.slice/ssh.service",
            "4:memory:/process_api/0da87e1c6b48494abc82ab00da8c74be\n0::/",
            "0::/default/a/b",
            "0::/default/",
            "0::/",
        ] {
            assert_eq!(container_id_from_cgroup(host), "", "{host}");
        }
    }
}
