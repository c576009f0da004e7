//! Raw kernel events into [`SyscallEvent`]s with Falco's field semantics.

mod containers;

pub use containers::{FIRST_SIGHT_WAIT, HOLD_CAP, HoldStats, MAX_HOLDS, RETRY_MAX, RETRY_MIN};

use super::fdtable::FdTable;
use super::procs::split_block;
use super::procs::{self, ProcInfo, Procs};
use super::raw::{Kind, RawEvent, cstr, syscall_name};
use crate::fields::syscall::{Ancestor, Fd, Process, ProcessStamp, SyscallEvent};
use containers::{Containers, Held};
use std::collections::{HashMap, VecDeque};

/// Appended to strings the kernel side cut at its buffer size.
pub const TRUNCATED: &str = "...[truncated]";
/// Ancestors attached to each event (`proc.aname[1..]`).
const MAX_ANCESTORS: usize = 8;

/// What [`Decoder::decode_held`] did with an event.
#[derive(Debug)]
pub enum Decoded {
    /// The event, to be sent now.
    Ready(Box<SyscallEvent>),
    /// Held back until its container's metadata is known (see the `containers` module);
    /// [`Decoder::release_held`] gives it back.
    Held,
    /// The record gave no event: the box is free for the next record.
    Skipped(Box<SyscallEvent>),
}

/// Decoder state: process table, names, container metadata.
pub struct Decoder {
    pub procs: Procs,
    users: HashMap<u32, (String, String, String)>,
    groups: HashMap<u32, (String, String, String)>,
    /// Container metadata, asked of the container runtime on a lookup thread.
    containers: Containers,
    /// Events held back while their container is looked up for the first time.
    held: Held,
    /// The container (cache key, empty for the host) of the event decoded last.
    container_key: String,
    boot_offset: i64,
    num: u64,
    fds: FdTable,
    /// A file-descriptor record kept for reuse by the next event that has one.
    spare_fd: Option<Fd>,
}

fn boot_offset() -> i64 {
    let now = jiff::Timestamp::now().as_nanosecond() as i64;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) } == 0;
    if !ok {
        return 0;
    }
    now - (ts.tv_sec * 1_000_000_000 + ts.tv_nsec)
}

/// Replaces `dst` with `src`, keeping `dst`'s allocation.
fn set(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

/// Replaces `dst` with copies of `src`, keeping `dst`'s allocations.
fn copy_strings(dst: &mut Vec<String>, src: &[String]) {
    dst.truncate(src.len());
    for (d, s) in dst.iter_mut().zip(src) {
        set(d, s);
    }
    let have = dst.len();
    dst.extend(src[have..].iter().cloned());
}

/// Appends the C string in `b` (lossy UTF-8), with the truncation marker when the kernel cut it.
fn push_text(dst: &mut String, b: &[u8], truncated: bool) {
    dst.push_str(&String::from_utf8_lossy(cstr(b)));
    if truncated && b.len() >= super::raw::STR_MAX {
        dst.push_str(TRUNCATED);
    }
}

fn text(b: &[u8], truncated: bool) -> String {
    let mut s = String::new();
    push_text(&mut s, b, truncated);
    s
}

/// Falco's rendering of open flags.
pub fn open_flags(flags: u64) -> String {
    let mut out = String::new();
    push_open_flags(&mut out, flags);
    out
}

fn push_open_flags(out: &mut String, flags: u64) {
    out.push_str(match flags & 3 {
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_RDONLY",
    });
    for (bit, name) in [
        (0o100, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        (0o200000, "O_DIRECTORY"),
        (0o400000, "O_NOFOLLOW"),
        (0o2000000, "O_CLOEXEC"),
        (0o20200000, "O_TMPFILE"),
    ] {
        if flags & bit == bit {
            out.push('|');
            out.push_str(name);
        }
    }
}

fn sockaddr(b: &[u8]) -> Option<(String, i64, &'static str)> {
    if b.len() < 8 {
        return None;
    }
    let family = u16::from_ne_bytes([b[0], b[1]]);
    let port = i64::from(u16::from_be_bytes([b[2], b[3]]));
    match family {
        2 => Some((
            std::net::Ipv4Addr::new(b[4], b[5], b[6], b[7]).to_string(),
            port,
            "ipv4",
        )),
        10 if b.len() >= 24 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[8..24]);
            Some((std::net::Ipv6Addr::from(a).to_string(), port, "ipv6"))
        }
        1 => Some((text(&b[2..], false), 0, "unix")),
        _ => None,
    }
}

/// Brings the descriptor table's entry for `num` in line with what the kernel side found behind
/// the descriptor a successful dup/dup2/dup3 duplicated: `s1` is the socket's `struct
/// local_sockaddr` (any family; empty when the descriptor is not a socket) and `s2` an inet
/// socket's peer. A socket the table does not know (made before the agent started, or by a call
/// not watched) is added as the client side of its connection; an entry for a descriptor that is
/// no longer a socket (closed, its number reused by a pipe or a file) is removed; an entry that
/// agrees with the kernel is kept as it is (it knows which side the socket is).
fn sync_dup_source(fds: &mut FdTable, raw: &RawEvent<'_>, num: i64, mut fresh: Fd) {
    let Some((proto, connected)) = sock_meta(raw.s1) else {
        fds.remove(raw.tgid, num);
        return;
    };
    let kind = match u16::from_ne_bytes([raw.s1[0], raw.s1[1]]) {
        1 => "unix",
        2 => "ipv4",
        10 => "ipv6",
        16 => "netlink",
        _ => "socket",
    };
    let inet = |b: &[u8]| sockaddr(b).filter(|(_, _, k)| matches!(*k, "ipv4" | "ipv6"));
    let local = inet(raw.s1);
    if let Some(known) = fds.get(raw.tgid, num) {
        let agrees = known.kind == kind
            && local.as_ref().is_none_or(|(ip, port, _)| {
                (&known.cip, known.cport) == (ip, *port) || (&known.sip, known.sport) == (ip, *port)
            });
        if agrees {
            return;
        }
    }
    fresh.num = num;
    fresh.kind.push_str(kind);
    fresh.l4proto.push_str(proto);
    fresh.connected = connected;
    if let Some((lip, lport, _)) = local {
        fresh.cip = lip;
        fresh.cport = lport;
        if let Some((pip, pport, _)) = inet(raw.s2) {
            fresh.sip = pip;
            fresh.sport = pport;
        }
    }
    fds.set(raw.tgid, num, &fresh);
}

/// The protocol (`fd.l4proto`) and whether the socket is connected, from the type, protocol and
/// state the kernel side writes after the local address in `s1` (`struct local_sockaddr`).
fn sock_meta(b: &[u8]) -> Option<(&'static str, bool)> {
    if b.len() < 33 {
        return None;
    }
    let family = i32::from(u16::from_ne_bytes([b[0], b[1]]));
    let kind = i32::from(u16::from_ne_bytes([b[28], b[29]]));
    let proto = i32::from(u16::from_ne_bytes([b[30], b[31]]));
    // TCP_ESTABLISHED: a connected TCP socket, or a UDP socket given a peer by connect()
    Some((socket_l4proto(family, kind, proto), b[32] == 1))
}

/// Appends `path` made absolute against `cwd` (Falco's `fd.name`).
fn push_abs_path(dst: &mut String, path: &str, cwd: &str) {
    if path.starts_with('/') || cwd.is_empty() {
        dst.push_str(path);
    } else {
        dst.push_str(cwd);
        dst.push_str(path.trim_start_matches("./"));
    }
}

/// Writes an event's `[name, value]` argument pairs in place, reusing the pairs (and their
/// strings) the recycled event already holds; [`Args::finish`] drops the unused rest.
struct Args<'a> {
    pairs: &'a mut Vec<(String, String)>,
    used: usize,
}

impl<'a> Args<'a> {
    fn new(pairs: &'a mut Vec<(String, String)>) -> Self {
        Args { pairs, used: 0 }
    }

    /// A cleared value string for argument `name`.
    fn put(&mut self, name: &str) -> &mut String {
        if self.used == self.pairs.len() {
            self.pairs.push(Default::default());
        }
        let (k, v) = &mut self.pairs[self.used];
        self.used += 1;
        set(k, name);
        v.clear();
        v
    }

    fn num(&mut self, name: &str, value: impl std::fmt::Display) {
        use std::fmt::Write;
        let _ = write!(self.put(name), "{value}");
    }

    fn str(&mut self, name: &str, value: &str) {
        self.put(name).push_str(value);
    }

    fn finish(self) {
        self.pairs.truncate(self.used);
    }
}

/// Clears every field of `fd`, keeping its strings' allocations.
fn reset_fd(fd: &mut Fd) {
    let Fd {
        num,
        kind,
        name,
        nameraw,
        cip,
        cport,
        sip,
        sport,
        l4proto,
        is_server,
        connected,
        name_changed,
        cip_name,
        sip_name,
        dev,
        ino,
    } = fd;
    for s in [kind, name, nameraw, cip, sip, l4proto, cip_name, sip_name] {
        s.clear();
    }
    for n in [num, cport, sport, dev, ino] {
        *n = 0;
    }
    for b in [is_server, connected, name_changed] {
        *b = false;
    }
}

/// Copies what the process table knows of a process into the event's process, keeping the
/// event's allocations; fields the eBPF source does not know are cleared.
fn fill_process(p: &mut Process, info: &ProcInfo, leaders: &Leaders<'_>, raw: &RawEvent<'_>) {
    let Process {
        pid,
        tid,
        ppid,
        vpid,
        vtid,
        name,
        exe,
        exepath,
        args,
        cwd,
        tty,
        sid,
        sname,
        vpgid,
        vpgid_name,
        vpgid_exe,
        env,
        start_ts,
        is_exe_writable,
        is_exe_upper_layer,
        is_exe_from_memfd,
        is_sid_leader,
        is_vpgid_leader,
        exe_ino,
        exe_ino_ctime,
        exe_ino_mtime,
        pidns_init_start_ts,
        cap_permitted: _,
        cap_effective: _,
        cap_inheritable: _,
    } = p;
    *pid = i64::from(raw.tgid);
    *tid = i64::from(raw.tid);
    *ppid = i64::from(raw.ppid);
    // the kernel's view first (the task's own pid namespace, at the event), then what /proc said
    *vpid = if raw.vpid != 0 {
        i64::from(raw.vpid)
    } else if info.vpid != 0 {
        i64::from(info.vpid)
    } else {
        *pid
    };
    *vtid = if raw.vtid != 0 {
        i64::from(raw.vtid)
    } else if raw.tid == raw.tgid {
        *vpid
    } else {
        *tid
    };
    name.clear();
    name.push_str(&String::from_utf8_lossy(raw.comm));
    set(exe, &info.exe);
    set(exepath, &info.exepath);
    args.clone_from(&info.args);
    set(cwd, &info.cwd);
    *tty = i64::from(raw.tty);
    let session = if raw.sid != 0 { raw.sid } else { info.sid };
    *sid = i64::from(session);
    *is_sid_leader = session != 0 && session == raw.tgid;
    set(sname, leaders.session.map_or("", |l| l.name.as_str()));
    *vpgid = i64::from(info.pgid);
    *is_vpgid_leader = info.pgid != 0 && info.pgid == raw.tgid;
    set(vpgid_name, leaders.group.map_or("", |l| l.name.as_str()));
    set(vpgid_exe, leaders.group.map_or("", |l| l.exe.as_str()));
    *start_ts = info.start_ts;
    *is_exe_from_memfd = info.exe_from_memfd;
    *is_exe_upper_layer = info.exe_upper_layer;
    match &info.env {
        Some(e) => copy_strings(env, e.vars()),
        None => env.clear(),
    }
    *exe_ino = info.exe_ino;
    *exe_ino_ctime = info.exe_ino_ctime;
    *exe_ino_mtime = info.exe_ino_mtime;
    *pidns_init_start_ts = info.pidns_init_start_ts;
    *is_exe_writable = info.exe_writable;
}

/// The exec record's environment into `env` (when the process table did not keep it).
fn set_env_from_record(env: &mut Vec<String>, raw: &RawEvent<'_>) {
    *env = split_block(raw.env, raw.args[1]);
}

/// Linux capability names by bit (`include/uapi/linux/capability.h`).
const CAPS: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Renders capability bits as Falco does: names separated by spaces, lowest bit first.
pub fn push_caps(out: &mut String, bits: u64) {
    for (i, name) in CAPS.iter().enumerate() {
        if bits & (1 << i) != 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
        }
    }
}

/// `thread.cap_{effective,permitted,inheritable}`, re-rendered only when the bits differ from
/// `rendered` (the bits the event's strings hold).
fn fill_caps(p: &mut Process, rendered: &mut Option<[u64; 3]>, caps: [u64; 3]) {
    if *rendered == Some(caps) {
        return;
    }
    *rendered = Some(caps);
    for (s, bits) in [
        (&mut p.cap_effective, caps[0]),
        (&mut p.cap_permitted, caps[1]),
        (&mut p.cap_inheritable, caps[2]),
    ] {
        s.clear();
        push_caps(s, bits);
    }
}

/// The session and process-group leaders of an event's process, when known.
struct Leaders<'a> {
    session: Option<&'a ProcInfo>,
    group: Option<&'a ProcInfo>,
}

/// The per-event values of an event's process (ids, `comm`, tty, session); the rest is kept.
fn refresh_process(p: &mut Process, raw: &RawEvent<'_>) {
    p.pid = i64::from(raw.tgid);
    p.tid = i64::from(raw.tid);
    p.ppid = i64::from(raw.ppid);
    // the process (and so its pid-namespace pid) is the one the event was filled for
    if raw.vpid != 0 {
        p.vpid = i64::from(raw.vpid);
    }
    p.vtid = if raw.vtid != 0 {
        i64::from(raw.vtid)
    } else if raw.tid == raw.tgid {
        p.vpid
    } else {
        p.tid
    };
    if p.name.as_bytes() != raw.comm {
        p.name.clear();
        p.name.push_str(&String::from_utf8_lossy(raw.comm));
    }
    p.tty = i64::from(raw.tty);
    if raw.sid != 0 {
        p.sid = i64::from(raw.sid);
    }
}

/// Copies a process-table entry into an ancestor slot, keeping the slot's allocations.
fn fill_ancestor(a: &mut Ancestor, pid: u32, info: &ProcInfo) {
    let Ancestor {
        pid: apid,
        name,
        exe,
        exepath,
        args,
        start_ts,
        cmdline,
    } = a;
    *apid = i64::from(pid);
    set(name, &info.name);
    set(exe, &info.exe);
    set(exepath, &info.exepath);
    args.clone_from(&info.args);
    *start_ts = info.start_ts;
    cmdline.clear();
}

impl Decoder {
    /// A decoder with the process table seeded from /proc.
    pub fn new() -> Decoder {
        Decoder::with_cri_socket(None)
    }

    /// A decoder asking the CRI runtime at `cri_socket` for container metadata (default: the
    /// usual containerd and CRI-O sockets, or `RAMPART_CRI_SOCKET`).
    pub fn with_cri_socket(cri_socket: Option<std::path::PathBuf>) -> Decoder {
        Decoder::with_options(cri_socket, false)
    }

    /// [`Decoder::with_cri_socket`]; with `read_env` (a rule uses `proc.env`) the processes found
    /// in /proc rather than seen exec'ing get their environment from `/proc/PID/environ`, read
    /// when the process is first looked up (see [`Procs::set_read_env`]).
    pub fn with_options(cri_socket: Option<std::path::PathBuf>, read_env: bool) -> Decoder {
        let mut procs = Procs::seed();
        procs.set_read_env(read_env);
        Decoder {
            procs,
            users: procs::id_names("/etc/passwd"),
            groups: procs::id_names("/etc/group"),
            containers: Containers::with_cri_socket(cri_socket),
            held: Held::default(),
            container_key: String::new(),
            boot_offset: boot_offset(),
            num: 0,
            fds: Default::default(),
            spare_fd: None,
        }
    }

    /// Makes sure the metadata of container `id` is cached or being looked up (see
    /// [`containers`]: never waits; a failed lookup is retried after a backoff).
    fn cache_container(&mut self, id: &str) {
        self.containers.ensure(id);
    }

    /// Decodes `raw` into `ev` ([`Decoder::decode_into`]) and holds the event back when its
    /// container is being looked up for the first time, or events of that container are held
    /// already (see the `containers` module); events of other containers and of the host are
    /// ready at once. Follow with [`Decoder::release_held`].
    pub fn decode_held(&mut self, raw: &RawEvent<'_>, mut ev: Box<SyscallEvent>) -> Decoded {
        if !self.decode_into(raw, &mut ev) {
            return Decoded::Skipped(ev);
        }
        match self.held.hold(&self.container_key, &self.containers, ev) {
            Some(ev) => Decoded::Ready(ev),
            None => Decoded::Held,
        }
    }

    /// Appends to `out`, in record order per container, the held events that may go now (their
    /// container answered or failed, [`FIRST_SIGHT_WAIT`] passed, or the hold is over its caps),
    /// with the container metadata known by then. Cheap when nothing is held; call it regularly,
    /// also when no record arrives.
    pub fn release_held(&mut self, out: &mut VecDeque<Box<SyscallEvent>>) {
        if self.held.is_empty() {
            return;
        }
        self.containers.poll();
        self.held.release(&mut self.containers, out);
    }

    /// Appends every held event to `out` (the reader is stopping).
    pub fn release_all_held(&mut self, out: &mut VecDeque<Box<SyscallEvent>>) {
        self.containers.poll();
        self.held.release_all(&mut self.containers, out);
    }

    /// Whether events are held back now.
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// How many events were held back so far and the longest hold.
    pub fn hold_stats(&self) -> HoldStats {
        self.held.stats()
    }

    /// The current version of what an event of `pid` copies from the tables.
    fn stamp(&self, pid: u32) -> ProcessStamp {
        ProcessStamp {
            pid,
            procs: self.procs.version(),
            containers: self.containers.version(),
        }
    }

    /// Updates state from `raw` and returns the event the engine sees.
    pub fn decode(&mut self, raw: &RawEvent<'_>) -> Option<SyscallEvent> {
        let mut ev = SyscallEvent::default();
        self.decode_into(raw, &mut ev).then_some(ev)
    }

    /// Updates state from `raw` and writes the event the engine sees into `ev`, reusing its
    /// allocations (a recycled event costs no allocation in the steady state). Returns false when
    /// `raw` gives no event. Nothing is held back: an event of a container still being looked up
    /// carries only its id (see [`Decoder::decode_held`]).
    pub fn decode_into(&mut self, raw: &RawEvent<'_>, ev: &mut SyscallEvent) -> bool {
        let pid = raw.tgid;
        // container metadata that arrived from the lookup thread, and retries that are due
        self.containers.poll();
        match raw.kind {
            Kind::Fork => {
                // the child pid is in args[0]; threads share the tgid and are not processes
                let child = raw.args[0] as u32;
                if raw.tid == raw.tgid || child != raw.tid {
                    let start = self.boot_offset.saturating_add(raw.ts_boot as i64);
                    self.procs.fork(pid, child, start);
                    self.fds.fork(pid, child);
                }
            }
            Kind::Exec => self.exec(raw),
            Kind::Exit | Kind::Syscall => {}
        }
        self.build(raw, ev);
        if raw.kind == Kind::Exit {
            self.procs.exit(pid);
            self.fds.exit(pid);
        }
        true
    }

    fn exec(&mut self, raw: &RawEvent<'_>) {
        let pid = raw.tgid;
        let mut parts = split_block(raw.s2, raw.args[0]);
        let exe = if parts.is_empty() {
            String::new()
        } else {
            parts.remove(0)
        };
        let mut exepath = text(raw.s1, raw.truncated);
        let mut exe_from_memfd = false;
        if let Some((path, memfd)) = procs::exe_via_fd(pid, &exepath) {
            exepath = path;
            exe_from_memfd = memfd;
        }
        let mut info = ProcInfo {
            exe_from_memfd,
            ppid: raw.ppid,
            name: String::from_utf8_lossy(raw.comm).into_owned(),
            exe,
            exepath,
            args: parts,
            cwd: procs::cwd_of(pid),
            container_id: procs::container_of(pid),
            // args: [1] environment length, [2] inode, [3] ctime, [4] mtime, [5] pid namespace
            // init start (boot clock)
            env: procs::Env::keep(&split_block(raw.env, raw.args[1])),
            exe_ino: raw.args[2] as i64,
            exe_ino_ctime: raw.args[3] as i64,
            exe_ino_mtime: raw.args[4] as i64,
            pidns_init_start_ts: if raw.args[5] == 0 {
                0
            } else {
                self.boot_offset.saturating_add(raw.args[5] as i64)
            },
            ..ProcInfo::default()
        };
        // the kernel's pid-namespace pid (0 in the table: the same as the pid), else /proc's
        info.vpid = match raw.vpid {
            0 => procs::ns_pid(pid).filter(|v| *v != pid).unwrap_or(0),
            v if v == pid => 0,
            v => v,
        };
        info.exe_writable = procs::exe_writable(pid, raw.uid, raw.gid);
        let stat = procs::stat_ids(pid);
        if let Some(prev) = self.procs.get(pid) {
            // gone before we looked: keep what the fork inherited from the parent
            if info.container_id.is_empty() {
                info.container_id = prev.container_id.clone();
            }
            (info.sid, info.pgid, info.start_ts) = (prev.sid, prev.pgid, prev.start_ts);
        }
        if let Some((sid, pgid, start)) = stat {
            (info.sid, info.pgid, info.start_ts) = (sid, pgid, start);
        }
        if !info.container_id.is_empty() {
            let id = info.container_id.clone();
            self.cache_container(&id);
            // the executable as the process sees it, looked up in the container's upper layer
            let exe = procs::exe_link(pid)
                .or_else(|| info.exepath.starts_with('/').then(|| info.exepath.clone()));
            info.exe_upper_layer = match (self.containers.upper_dir(&id, pid), exe) {
                (Some(upper), Some(exe)) => {
                    procs::same_file(&upper.join(exe.trim_start_matches('/')), pid)
                }
                _ => false,
            };
        }
        self.procs.exec(pid, info);
    }

    fn build(&mut self, raw: &RawEvent<'_>, ev: &mut SyscallEvent) {
        let pid = raw.tgid;
        // A recycled event last filled for this process at this version of the process table and
        // container cache already holds its process strings, ancestors and container: only the
        // per-event values change, and nothing needs looking up.
        let unchanged =
            self.procs.peek(pid).is_some() && ev.derived.process_stamp == Some(self.stamp(pid));
        // Otherwise look everything up first (lookups may read /proc or ask the container
        // runtime), then copy from shared borrows.
        let mut chain = [0u32; MAX_ANCESTORS];
        let mut depth = 0;
        if !unchanged {
            let mut ppid = match self.procs.get(pid) {
                Some(info) if info.ppid != 0 => info.ppid,
                _ => raw.ppid,
            };
            while ppid > 0 && depth < MAX_ANCESTORS {
                let Some(a) = self.procs.get(ppid) else {
                    break;
                };
                chain[depth] = ppid;
                depth += 1;
                ppid = a.ppid;
            }
            // a process found in /proc: its environment, when rules want it (read once)
            self.procs.load_env(pid);
            // session and process-group leaders (`proc.sname`, `proc.vpgid.name`)
            if let Some((sid, pgid)) = self.procs.peek(pid).map(|i| (i.sid, i.pgid)) {
                for leader in [sid, pgid] {
                    if leader > 0 {
                        let _ = self.procs.get(leader);
                    }
                }
            }
            if let Some(id) = self
                .procs
                .peek(pid)
                .map(|i| &i.container_id)
                .filter(|id| !id.is_empty() && self.containers.get(id.as_str()).is_none())
                .cloned()
            {
                self.cache_container(&id);
            }
        }
        ev.derived.process_stamp = Some(self.stamp(pid));
        let unknown = ProcInfo::default();
        let info = self.procs.peek(pid).unwrap_or(&unknown);
        set(&mut self.container_key, &info.container_id);

        self.num += 1;
        let SyscallEvent {
            ts,
            num,
            evt_type,
            res,
            args: _,
            buffer,
            proc,
            ancestors,
            user,
            group,
            container,
            k8s,
            fd: _,
            same_process,
            derived,
        } = ev;
        if unchanged {
            refresh_process(proc, raw);
        } else {
            let leaders = Leaders {
                session: self.procs.peek(info.sid),
                group: self.procs.peek(info.pgid),
            };
            fill_process(proc, info, &leaders, raw);
            ancestors.truncate(depth);
            ancestors.resize_with(depth, Ancestor::default);
            for (slot, &apid) in ancestors.iter_mut().zip(&chain[..depth]) {
                match self.procs.peek(apid) {
                    Some(a) => fill_ancestor(slot, apid, a),
                    None => fill_ancestor(slot, apid, &unknown),
                }
            }
            containers::fill_event(
                self.containers.get(info.container_id.as_str()),
                container,
                k8s,
            );
        }
        if raw.kind == Kind::Exec {
            // the exec event carries the environment of its record even when the process table
            // did not keep it (over its budget); a later event then refills the process
            let kept = info.env.is_some();
            if !kept {
                set_env_from_record(&mut proc.env, raw);
                if !proc.env.is_empty() {
                    derived.process_stamp = None;
                }
            }
        }
        fill_caps(proc, &mut derived.cap_bits, raw.caps);
        *ts = self.boot_offset.saturating_add(raw.ts_boot as i64);
        *num = self.num;
        set(
            evt_type,
            match raw.kind {
                Kind::Exec => "execve",
                Kind::Fork => "clone",
                Kind::Exit => "procexit",
                Kind::Syscall => syscall_name(raw.nr),
            },
        );
        *res = raw.ret;
        *buffer = None;
        *same_process = false;
        user.uid = i64::from(raw.uid);
        match self.users.get(&raw.uid) {
            Some((n, home, shell)) => {
                set(&mut user.name, n);
                set(&mut user.homedir, home);
                set(&mut user.shell, shell);
            }
            None => {
                user.name.clear();
                user.homedir.clear();
                user.shell.clear();
            }
        }
        user.loginuid = if raw.loginuid == u32::MAX {
            -1
        } else {
            i64::from(raw.loginuid)
        };
        set(
            &mut user.loginname,
            self.users
                .get(&raw.loginuid)
                .map(|u| u.0.as_str())
                .unwrap_or_default(),
        );
        group.gid = i64::from(raw.gid);
        set(
            &mut group.name,
            self.groups
                .get(&raw.gid)
                .map(|g| g.0.as_str())
                .unwrap_or_default(),
        );
        fill_args(raw, &info.cwd, &mut self.fds, &mut self.spare_fd, ev);
        ev.prepare_parts(unchanged);
    }
}

/// The event's arguments and file descriptor, with Falco's names and rendering.
fn fill_args(
    raw: &RawEvent<'_>,
    cwd: &str,
    fds: &mut FdTable,
    spare_fd: &mut Option<Fd>,
    ev: &mut SyscallEvent,
) {
    let a = &raw.args;
    // the recycled event's fd (or the spare one) is reused when this event has one
    if let Some(old) = ev.fd.take() {
        *spare_fd = Some(old);
    }
    let mut take_fd = || {
        let mut fd = spare_fd.take().unwrap_or_default();
        reset_fd(&mut fd);
        fd
    };
    let file_fd = |mut fd: Fd, num: i64, name: &[u8]| {
        fd.num = num;
        fd.kind.push_str("file");
        push_text(&mut fd.nameraw, name, raw.truncated);
        push_abs_path(&mut fd.name, &fd.nameraw, cwd);
        fd
    };
    let mut args = Args::new(&mut ev.args);
    match ev.evt_type.as_str() {
        "execve" | "execveat" => {
            args.num("res", raw.ret);
            args.str("exe", &ev.proc.exe);
            let cmd = args.put("args");
            for (i, part) in ev.proc.args.iter().enumerate() {
                if i > 0 {
                    cmd.push(' ');
                }
                cmd.push_str(part);
            }
            args.num("pid", raw.tgid);
            args.str("cwd", cwd);
        }
        "open" | "openat" | "openat2" | "creat" => {
            // openat2: the BPF side put `open_how.flags` and `.mode` in args 2 and 3
            let flags = match ev.evt_type.as_str() {
                "open" => a[1],
                "creat" => 0o1101,
                _ => a[2],
            };
            args.num("fd", raw.ret);
            push_text(args.put("name"), raw.s1, raw.truncated);
            push_open_flags(args.put("flags"), flags);
            args.num("mode", format_args!("0{:o}", a[3]));
            ev.fd = Some(file_fd(take_fd(), raw.ret, raw.s1));
        }
        "socket" => {
            let (domain, kind, proto) = (a[0] as i32, a[1] as i32, a[2] as i32);
            args.num("fd", raw.ret);
            push_socket_domain(args.put("domain"), domain);
            args.num("type", kind);
            args.num("proto", proto);
            if raw.ret >= 0 {
                // remembered so a later connect/bind/accept knows the protocol
                let mut fd = take_fd();
                fd.num = raw.ret;
                fd.kind.push_str(match domain {
                    1 => "unix",
                    2 => "ipv4",
                    10 => "ipv6",
                    16 => "netlink",
                    _ => "socket",
                });
                fd.l4proto.push_str(socket_l4proto(domain, kind, proto));
                fds.set(raw.tgid, raw.ret, &fd);
                ev.fd = Some(fd);
            }
        }
        "connect" | "bind" | "accept" | "accept4" => {
            args.num("fd", a[0] as i64);
            if let Some((ip, port, kind)) = sockaddr(raw.s2) {
                let server = ev.evt_type != "connect";
                let accept = ev.evt_type.starts_with("accept");
                let l4proto = sock_meta(raw.s1)
                    .map(|(p, _)| p.to_string())
                    .or_else(|| {
                        fds.get(raw.tgid, a[0] as i32 as i64)
                            .map(|f| f.l4proto.clone())
                    })
                    .filter(|p| !p.is_empty());
                let mut fd = take_fd();
                fd.num = if accept { raw.ret } else { a[0] as i64 };
                fd.kind.push_str(kind);
                fd.l4proto.push_str(l4proto.as_deref().unwrap_or("tcp"));
                fd.is_server = server;
                fd.connected = raw.ret >= 0;
                // the socket's own end, read by the kernel side from its `struct sock` (connect:
                // the client; accept: the server); bind's address is already the local one
                let local = if kind == "unix" || !(accept || ev.evt_type == "connect") {
                    None
                } else {
                    sockaddr(raw.s1).filter(|(_, _, k)| matches!(*k, "ipv4" | "ipv6"))
                };
                let both = local.is_some();
                if kind == "unix" {
                    fd.name = ip;
                } else if accept {
                    // the peer is the client (Falco: `fd.cip`, `fd.cport`), we are the server
                    fd.cip = ip;
                    fd.cport = port;
                    if let Some((lip, lport, _)) = local {
                        fd.sip = lip;
                        fd.sport = lport;
                    }
                } else {
                    fd.sip = ip;
                    fd.sport = port;
                    if !server {
                        match local {
                            Some((lip, lport, _)) => {
                                fd.cip = lip;
                                fd.cport = lport;
                            }
                            None => fd.cip.push_str("0.0.0.0"),
                        }
                    }
                }
                if both {
                    // Falco's socket tuple: client -> server
                    args.num(
                        "tuple",
                        format_args!("{}:{}->{}:{}", fd.cip, fd.cport, fd.sip, fd.sport),
                    );
                } else if accept {
                    args.num("tuple", format_args!("{}:{}", fd.cip, fd.cport));
                } else {
                    args.num("tuple", format_args!("{}:{}", fd.sip, fd.sport));
                }
                // remember the socket for later dup2/dup3 of it
                match ev.evt_type.as_str() {
                    // -115: EINPROGRESS (non-blocking connect)
                    "connect" if raw.ret == 0 || raw.ret == -115 => {
                        fds.set(raw.tgid, a[0] as i64, &fd)
                    }
                    "accept" | "accept4" if raw.ret >= 0 => fds.set(raw.tgid, raw.ret, &fd),
                    _ => {}
                }
                ev.fd = Some(fd);
            }
        }
        "sendto" | "sendmsg" => {
            // the kernel side reports only calls that name a destination (unconnected sockets:
            // UDP); s2 is the destination, s1 the socket's own end with its protocol and state
            let num = a[0] as i32 as i64;
            args.num("res", raw.ret);
            args.num("fd", num);
            if ev.evt_type == "sendto" {
                args.num("size", a[2]);
            }
            if let Some((ip, port, kind)) = sockaddr(raw.s2) {
                let mut fd = take_fd();
                fd.num = num;
                fd.kind.push_str(kind);
                let prev = fds.get(raw.tgid, num);
                match sock_meta(raw.s1) {
                    Some((proto, connected)) => {
                        fd.l4proto.push_str(proto);
                        fd.connected = connected;
                    }
                    None => {
                        if let Some(p) = prev {
                            fd.l4proto.push_str(&p.l4proto);
                        }
                    }
                }
                if kind == "unix" {
                    fd.name = ip;
                    args.str("tuple", &fd.name);
                } else {
                    // we are the client (our end), the destination the server
                    match sockaddr(raw.s1).filter(|(_, _, k)| *k == kind) {
                        Some((lip, lport, _)) => {
                            fd.cip = lip;
                            fd.cport = lport;
                        }
                        None => fd
                            .cip
                            .push_str(if kind == "ipv6" { "::" } else { "0.0.0.0" }),
                    }
                    fd.sip = ip;
                    fd.sport = port;
                    args.num(
                        "tuple",
                        format_args!("{}:{}->{}:{}", fd.cip, fd.cport, fd.sip, fd.sport),
                    );
                }
                // Falco's fd.name_changed: the descriptor's tuple differs from the one it had
                // before this call (a socket not seen before had none)
                fd.name_changed = prev.is_none_or(|p| {
                    (&p.cip, p.cport, &p.sip, p.sport, &p.name)
                        != (&fd.cip, fd.cport, &fd.sip, fd.sport, &fd.name)
                });
                fds.set(raw.tgid, num, &fd);
                ev.fd = Some(fd);
            }
        }
        "chmod" | "fchmodat" => {
            args.num("res", raw.ret);
            if ev.evt_type == "fchmodat" {
                args.num("dirfd", a[0] as i32);
            }
            push_text(args.put("filename"), raw.s1, raw.truncated);
            let mode = if ev.evt_type == "chmod" { a[1] } else { a[2] };
            push_chmod_mode(args.put("mode"), mode);
            ev.fd = Some(file_fd(take_fd(), -1, raw.s1));
        }
        "fchmod" => {
            args.num("res", raw.ret);
            args.num("fd", a[0] as i32);
            push_chmod_mode(args.put("mode"), a[1]);
            ev.fd = fds.get(raw.tgid, a[0] as i32 as i64).cloned();
        }
        "unlink" | "unlinkat" | "chown" | "fchownat" | "truncate" => {
            push_text(args.put("path"), raw.s1, raw.truncated);
            push_text(args.put("name"), raw.s1, raw.truncated);
            ev.fd = Some(file_fd(take_fd(), -1, raw.s1));
        }
        "mkdir" | "mkdirat" | "rmdir" => {
            args.num("res", raw.ret);
            if ev.evt_type == "mkdirat" {
                args.num("dirfd", a[0] as i32);
            }
            push_text(args.put("path"), raw.s1, raw.truncated);
            match ev.evt_type.as_str() {
                "mkdir" => args.num("mode", format_args!("0{:o}", a[1])),
                "mkdirat" => args.num("mode", format_args!("0{:o}", a[2])),
                _ => {}
            }
        }
        "setns" => {
            args.num("res", raw.ret);
            args.num("fd", a[0] as i32);
            push_clone_flags(args.put("nstype"), a[1]);
        }
        "unshare" => {
            args.num("res", raw.ret);
            push_clone_flags(args.put("flags"), a[0]);
        }
        "userfaultfd" => {
            args.num("res", raw.ret);
            args.num("flags", a[0]);
        }
        "dup" => {
            let old = a[0] as i32 as i64;
            if raw.ret >= 0 {
                sync_dup_source(fds, raw, old, take_fd());
                fds.dup(raw.tgid, old, raw.ret);
            }
            ev.fd = fds.get(raw.tgid, old).cloned();
            args.num("res", raw.ret);
            args.num("oldfd", a[0] as i32);
        }
        "rename" | "renameat" | "renameat2" | "link" | "linkat" => {
            push_text(args.put("oldpath"), raw.s1, raw.truncated);
            push_text(args.put("newpath"), raw.s2, raw.truncated);
        }
        "symlink" | "symlinkat" => {
            push_text(args.put("target"), raw.s1, raw.truncated);
            push_text(args.put("linkpath"), raw.s2, raw.truncated);
        }
        "mount" => {
            push_text(args.put("dev"), raw.s1, raw.truncated);
            push_text(args.put("dir"), raw.s2, raw.truncated);
            args.num("flags", a[3]);
        }
        "memfd_create" => {
            args.num("fd", raw.ret);
            push_text(args.put("name"), raw.s1, raw.truncated);
        }
        "ptrace" => {
            args.num("res", raw.ret);
            push_ptrace_request(args.put("request"), a[0]);
            args.num("pid", a[1] as i32);
        }
        "setuid" | "setgid" => args.num(&ev.evt_type[3..], a[0]),
        "setresuid" | "setresgid" => {
            args.num("ruid", a[0] as i32);
            args.num("euid", a[1] as i32);
            args.num("suid", a[2] as i32);
        }
        "kill" => {
            args.num("pid", a[0] as i32);
            args.num("sig", a[1]);
        }
        "dup2" | "dup3" => {
            let (old, new) = (a[0] as i32 as i64, a[1] as i32 as i64);
            if raw.ret >= 0 {
                sync_dup_source(fds, raw, old, take_fd());
                fds.dup(raw.tgid, old, new);
            }
            ev.fd = fds.get(raw.tgid, old).or(fds.get(raw.tgid, new)).cloned();
            args.num("res", raw.ret);
            args.num("oldfd", a[0]);
            args.num("newfd", a[1]);
        }
        "init_module" | "finit_module" => push_text(args.put("uargs"), raw.s1, raw.truncated),
        "bpf" => args.num("cmd", a[0]),
        "ftruncate" => args.num("fd", a[0]),
        _ => {}
    }
    args.finish();
}
use std::fmt::Write as _;

/// A `ptrace` request as Falco names it (`PTRACE_ATTACH`), else its number.
fn push_ptrace_request(out: &mut String, request: u64) {
    let name = match request {
        0 => "PTRACE_TRACEME",
        1 => "PTRACE_PEEKTEXT",
        2 => "PTRACE_PEEKDATA",
        3 => "PTRACE_PEEKUSR",
        4 => "PTRACE_POKETEXT",
        5 => "PTRACE_POKEDATA",
        6 => "PTRACE_POKEUSR",
        7 => "PTRACE_CONT",
        8 => "PTRACE_KILL",
        9 => "PTRACE_SINGLESTEP",
        12 => "PTRACE_GETREGS",
        13 => "PTRACE_SETREGS",
        14 => "PTRACE_GETFPREGS",
        15 => "PTRACE_SETFPREGS",
        16 => "PTRACE_ATTACH",
        17 => "PTRACE_DETACH",
        18 => "PTRACE_GETFPXREGS",
        19 => "PTRACE_SETFPXREGS",
        24 => "PTRACE_SYSCALL",
        0x4200 => "PTRACE_SETOPTIONS",
        0x4201 => "PTRACE_GETEVENTMSG",
        0x4202 => "PTRACE_GETSIGINFO",
        0x4203 => "PTRACE_SETSIGINFO",
        0x4204 => "PTRACE_GETREGSET",
        0x4205 => "PTRACE_SETREGSET",
        0x4206 => "PTRACE_SEIZE",
        0x4207 => "PTRACE_INTERRUPT",
        0x4208 => "PTRACE_LISTEN",
        0x4209 => "PTRACE_PEEKSIGINFO",
        _ => {
            let _ = write!(out, "{request}");
            return;
        }
    };
    out.push_str(name);
}

/// A chmod mode as Falco renders it: the set bits' names joined by `|` (`S_IRUSR|S_ISUID`).
fn push_chmod_mode(out: &mut String, mode: u64) {
    const BITS: [(u64, &str); 12] = [
        (0o1, "S_IXOTH"),
        (0o2, "S_IWOTH"),
        (0o4, "S_IROTH"),
        (0o10, "S_IXGRP"),
        (0o20, "S_IWGRP"),
        (0o40, "S_IRGRP"),
        (0o100, "S_IXUSR"),
        (0o200, "S_IWUSR"),
        (0o400, "S_IRUSR"),
        (0o1000, "S_ISVTX"),
        (0o2000, "S_ISGID"),
        (0o4000, "S_ISUID"),
    ];
    push_flag_names(out, mode, &BITS);
}

/// Namespace flags of `unshare`/`setns` (`CLONE_NEWNS|CLONE_NEWUSER`).
fn push_clone_flags(out: &mut String, flags: u64) {
    const BITS: [(u64, &str); 8] = [
        (0x80, "CLONE_NEWTIME"),
        (0x20000, "CLONE_NEWNS"),
        (0x0200_0000, "CLONE_NEWCGROUP"),
        (0x0400_0000, "CLONE_NEWUTS"),
        (0x0800_0000, "CLONE_NEWIPC"),
        (0x1000_0000, "CLONE_NEWUSER"),
        (0x2000_0000, "CLONE_NEWPID"),
        (0x4000_0000, "CLONE_NEWNET"),
    ];
    push_flag_names(out, flags, &BITS);
}

/// The names of the bits of `value` found in `table`, joined by `|`; `0` when none is set.
fn push_flag_names(out: &mut String, value: u64, table: &[(u64, &str)]) {
    let start = out.len();
    for (bit, name) in table {
        if value & bit != 0 {
            if out.len() > start {
                out.push('|');
            }
            out.push_str(name);
        }
    }
    if out.len() == start {
        out.push('0');
    }
}

/// A socket's address family as Falco names it (`AF_INET`, `AF_PACKET`, …).
fn push_socket_domain(out: &mut String, domain: i32) {
    let name = match domain {
        0 => "AF_UNSPEC",
        1 => "AF_LOCAL",
        2 => "AF_INET",
        10 => "AF_INET6",
        16 => "AF_NETLINK",
        17 => "AF_PACKET",
        _ => {
            let _ = write!(out, "{domain}");
            return;
        }
    };
    out.push_str(name);
}

/// `fd.l4proto` of a new socket from its family, type and protocol.
fn socket_l4proto(domain: i32, kind: i32, proto: i32) -> &'static str {
    if domain != 2 && domain != 10 {
        return "";
    }
    match (kind & 0xf, proto) {
        (_, 6) | (1, 0) => "tcp",
        (_, 17) | (2, 0) => "udp",
        (_, 1) | (_, 58) => "icmp",
        (3, _) => "raw",
        _ => "",
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_open_flags() {
        assert_eq!(open_flags(0), "O_RDONLY");
        assert_eq!(open_flags(0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
    }

    /// A record of `kind` by `pid` for syscall `nr`, the fields tests do not care about fixed.
    fn raw<'a>(
        kind: Kind,
        pid: u32,
        nr: i64,
        args: [u64; 6],
        s1: &'a [u8],
        s2: &'a [u8],
    ) -> RawEvent<'a> {
        RawEvent {
            kind,
            tgid: pid,
            tid: pid,
            ppid: 0,
            uid: 0,
            gid: 0,
            loginuid: u32::MAX,
            sid: 0,
            tty: 0,
            nr,
            ret: 3,
            ts_boot: 1,
            cgroup_id: 0,
            args,
            comm: b"tester",
            s1,
            s2,
            env: b"",
            truncated: false,
            caps: [0; 3],
            vpid: 0,
            vtid: 0,
        }
    }

    fn record(kind: Kind, pid: u32, nr: i64, args: [u64; 6], s1: &[u8], s2: &[u8]) -> Vec<u8> {
        super::super::raw::encode(&raw(kind, pid, nr, args, s1, s2))
    }

    /// An exec record of `pid` with environment `env` (whole length `env_total`), executable
    /// inode values `ino` (number, ctime, mtime) and pid-namespace init start `pidns` (boot ns).
    fn exec_record(pid: u32, env: &[u8], env_total: u64, ino: [u64; 3], pidns: u64) -> Vec<u8> {
        let args = [8, env_total, ino[0], ino[1], ino[2], pidns];
        super::super::raw::encode(&RawEvent {
            ret: 0,
            comm: b"prog",
            env,
            ..raw(Kind::Exec, pid, 59, args, b"/usr/bin/prog\0", b"prog\0-v\0")
        })
    }

    /// The value of field `name` (with its `[arg]`) of `ev`, rendered; `None` when it has none.
    fn field(ev: &SyscallEvent, name: &str, arg: Option<&str>) -> Option<String> {
        use crate::fields::{Arg, Event, FieldRef, Source, Val};
        let info = Source::Syscall.field(name).expect("a syscall field");
        let f = FieldRef {
            id: info.id,
            ty: info.ty,
            arg: Arg::parse(arg),
            display: name.into(),
            any: false,
        };
        match ev.extract(&f) {
            Val::None => None,
            v => Some(v.render()),
        }
    }

    #[test]
    fn exec_records_give_the_environment_and_the_executable_inode() {
        let me = std::process::id();
        let mut d = Decoder::new();
        // changed 5 s after boot
        let ctime = d.boot_offset as u64 + 5_000_000_000;
        let env = b"HOME=/root\0GLIBC_TUNABLES=glibc.malloc.mxfast=0\0";
        let rec = exec_record(me, env, env.len() as u64, [4242, ctime, ctime - 5], 1_000);
        let raw = super::super::raw::parse(&rec).expect("record");
        let ev = d.decode(&raw).expect("event");
        assert_eq!(
            field(&ev, "proc.env", None).as_deref(),
            Some("HOME=/root GLIBC_TUNABLES=glibc.malloc.mxfast=0")
        );
        assert_eq!(
            field(&ev, "proc.env", Some("GLIBC_TUNABLES")).as_deref(),
            Some("glibc.malloc.mxfast=0")
        );
        assert_eq!(field(&ev, "proc.env", Some("NOPE")), None);
        assert_eq!(field(&ev, "proc.exe_ino", None).as_deref(), Some("4242"));
        assert_eq!(
            field(&ev, "proc.exe_ino.ctime", None),
            Some(ctime.to_string())
        );
        assert_eq!(
            field(&ev, "proc.exe_ino.mtime", None),
            Some((ctime - 5).to_string())
        );
        // the pid namespace started (boot clock + boot offset) before the ctime
        let pidns = d.boot_offset + 1_000;
        assert_eq!(
            field(&ev, "proc.exe_ino.ctime_duration_pidns_start", None),
            Some((ctime as i64 - pidns).to_string())
        );
        // process start (this test process) minus ctime; Falco's sign
        let start = ev.proc.start_ts;
        assert!(start > 0);
        assert_eq!(
            field(&ev, "proc.exe_ino.ctime_duration_proc_start", None),
            Some((start - ctime as i64).to_string())
        );
        // later events of the process keep them
        let later = record(Kind::Syscall, me, 257, [0; 6], b"/x\0", b"");
        let ev = d
            .decode(&super::super::raw::parse(&later).expect("record"))
            .expect("event");
        assert_eq!(
            field(&ev, "proc.env", Some("HOME")).as_deref(),
            Some("/root")
        );
        assert_eq!(field(&ev, "proc.exe_ino", None).as_deref(), Some("4242"));
        // unknown values (0) are no values, as in libsinsp
        let rec = exec_record(me, b"", 0, [0, 0, 0], 0);
        let ev = d
            .decode(&super::super::raw::parse(&rec).expect("record"))
            .expect("event");
        for f in [
            "proc.exe_ino",
            "proc.exe_ino.ctime",
            "proc.exe_ino.mtime",
            "proc.exe_ino.ctime_duration_proc_start",
            "proc.exe_ino.ctime_duration_pidns_start",
        ] {
            assert_eq!(field(&ev, f, None), None, "{f}");
        }
        assert_eq!(field(&ev, "proc.env", None).as_deref(), Some(""));
        // an environment the kernel side cut ends with the marker
        let rec = exec_record(me, b"A=1\0B=22", 5000, [1, 1, 1], 0);
        let ev = d
            .decode(&super::super::raw::parse(&rec).expect("record"))
            .expect("event");
        assert_eq!(
            ev.proc.env,
            vec!["A=1".to_string(), format!("B=22{TRUNCATED}")]
        );
        // a ctime before the pid namespace started gives no pidns duration
        let rec = exec_record(me, b"", 0, [1, 10, 10], 1_000);
        let ev = d
            .decode(&super::super::raw::parse(&rec).expect("record"))
            .expect("event");
        assert_eq!(
            field(&ev, "proc.exe_ino.ctime_duration_pidns_start", None),
            None
        );
    }

    /// A decoder whose container lookups answer (a privileged "web" container with one mount)
    /// only when the test says so on the returned gate.
    fn decoder_with_gated_lookup(
        wait: std::time::Duration,
    ) -> (Decoder, std::sync::mpsc::SyncSender<()>) {
        use crate::fields::syscall::{Container, Mount};
        let (gate, open) = std::sync::mpsc::sync_channel::<()>(4);
        let lookup: containers::LookupFn = Box::new(move |id| {
            open.recv().map_err(|e| e.to_string())?;
            Ok(super::super::cri::Found {
                container: Container {
                    id: id.get(..12).unwrap_or(id).to_string(),
                    full_id: id.to_string(),
                    name: "web".into(),
                    kind: "podman".into(),
                    privileged: true,
                    mounts: vec![Mount {
                        source: "/srv".into(),
                        dest: "/data".into(),
                        ..Mount::default()
                    }],
                    ..Container::default()
                },
                k8s: None,
            })
        });
        let d = Decoder {
            containers: Containers::with_lookup(lookup, wait, "podman"),
            ..Decoder::new()
        };
        (d, gate)
    }

    const CONTAINER: &str = "3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d3ad7b26ded6d1234";
    /// Pids no real process has: one in `CONTAINER`, one on the host.
    const IN_CONTAINER: u32 = 4_000_001;
    const ON_HOST: u32 = 4_000_002;

    fn add_fake_processes(d: &mut Decoder) {
        for (pid, id) in [(IN_CONTAINER, CONTAINER), (ON_HOST, "")] {
            let info = ProcInfo {
                name: "app".into(),
                exe: "app".into(),
                container_id: id.into(),
                ..ProcInfo::default()
            };
            d.procs.exec(pid, info);
        }
    }

    /// Decodes an open of `path` by `pid` into a fresh box.
    fn decode_open(d: &mut Decoder, pid: u32, path: &str) -> Decoded {
        let mut name = path.as_bytes().to_vec();
        name.push(0);
        let rec = record(Kind::Syscall, pid, 257, [0; 6], &name, b"");
        let raw = super::super::raw::parse(&rec).expect("record");
        d.decode_held(&raw, Box::default())
    }

    fn opened(ev: &SyscallEvent) -> String {
        ev.fd.as_ref().map(|f| f.name.clone()).unwrap_or_default()
    }

    /// Releases until something is released (at most 5 s).
    fn released(d: &mut Decoder) -> VecDeque<Box<SyscallEvent>> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut out = VecDeque::new();
        while out.is_empty() && std::time::Instant::now() < deadline {
            d.release_held(&mut out);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        out
    }

    #[test]
    fn a_new_containers_events_wait_for_its_metadata_while_the_hosts_go_on() {
        let (mut d, gate) = decoder_with_gated_lookup(std::time::Duration::from_secs(30));
        add_fake_processes(&mut d);
        assert!(matches!(
            decode_open(&mut d, IN_CONTAINER, "/c/1"),
            Decoded::Held
        ));
        match decode_open(&mut d, ON_HOST, "/h/1") {
            Decoded::Ready(ev) => assert!(ev.container.is_none() && opened(&ev) == "/h/1"),
            other => panic!("a host event goes on: {other:?}"),
        }
        assert!(matches!(
            decode_open(&mut d, IN_CONTAINER, "/c/2"),
            Decoded::Held
        ));
        assert!(d.holding());
        gate.send(()).expect("lookup thread");
        let out = released(&mut d);
        assert_eq!(
            out.iter().map(|e| opened(e)).collect::<Vec<_>>(),
            ["/c/1", "/c/2"],
            "in record order"
        );
        for ev in &out {
            assert_eq!(field(ev, "container.name", None).as_deref(), Some("web"));
            assert_eq!(
                field(ev, "container.id", None).as_deref(),
                Some(&CONTAINER[..12])
            );
            assert_eq!(
                field(ev, "container.privileged", None).as_deref(),
                Some("true")
            );
            // derived from the container when released
            assert_eq!(
                field(ev, "container.mounts", None).as_deref(),
                Some("/srv:/data::false:")
            );
        }
        assert!(out[0].num < out[1].num);
        assert!(!d.holding());
        // known now: the container's next event goes on at once, with its metadata
        match decode_open(&mut d, IN_CONTAINER, "/c/3") {
            Decoded::Ready(ev) => {
                assert_eq!(field(&ev, "container.name", None).as_deref(), Some("web"))
            }
            other => panic!("not held again: {other:?}"),
        }
        assert_eq!(d.hold_stats().held, 2);
    }

    #[test]
    fn held_events_go_with_the_container_id_when_the_runtime_is_slow() {
        let (mut d, _gate) = decoder_with_gated_lookup(std::time::Duration::from_millis(50));
        add_fake_processes(&mut d);
        assert!(matches!(
            decode_open(&mut d, IN_CONTAINER, "/c/1"),
            Decoded::Held
        ));
        let out = released(&mut d);
        assert_eq!(out.len(), 1);
        assert_eq!(field(&out[0], "container.name", None).as_deref(), Some(""));
        assert_eq!(
            field(&out[0], "container.id", None).as_deref(),
            Some(&CONTAINER[..12])
        );
        assert!(d.hold_stats().longest >= std::time::Duration::from_millis(50));
        // the next events are not held, though the lookup has not answered
        assert!(matches!(
            decode_open(&mut d, IN_CONTAINER, "/c/2"),
            Decoded::Ready(_)
        ));
    }

    #[test]
    fn processes_found_in_proc_get_their_environment_only_when_rules_want_it() {
        let mut child = procs::tests::sleeper(&[("RAMPART_SEEDED_ENV", "from-proc")]);
        let pid = child.id();
        let env_of = |mut d: Decoder| {
            let rec = record(Kind::Syscall, pid, 257, [0; 6], b"/x\0", b"");
            let raw = super::super::raw::parse(&rec).expect("record");
            let ev = d.decode(&raw).expect("event");
            field(&ev, "proc.env", Some("RAMPART_SEEDED_ENV"))
        };
        let with = env_of(Decoder::with_options(None, true));
        let without = env_of(Decoder::with_options(None, false));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(with.as_deref(), Some("from-proc"));
        assert_eq!(without, None);
    }

    /// `struct local_sockaddr` as the kernel side writes it into s1: address, then socket type,
    /// protocol and state.
    fn local_end(ip: [u8; 4], port: u16, kind: u16, proto: u16, state: u8) -> Vec<u8> {
        let mut b = sin(ip, port);
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(&proto.to_ne_bytes());
        b.extend_from_slice(&[state, 0, 0, 0]);
        b
    }

    #[test]
    fn sendto_and_sendmsg_with_a_destination_follow_the_descriptor_name() {
        let me = std::process::id();
        let mut d = Decoder::new();
        let send = |d: &mut Decoder, nr: i64, fd: u64, dest: &[u8], local: &[u8]| {
            let rec = record(Kind::Syscall, me, nr, [fd, 0, 32, 0, 0, 16], local, dest);
            let mut raw = super::super::raw::parse(&rec).expect("record").clone();
            raw.ret = 32;
            let rec = super::super::raw::encode(&raw);
            d.decode(&super::super::raw::parse(&rec).expect("record"))
                .expect("event")
        };
        let udp = local_end([0, 0, 0, 0], 40000, 2, 17, 7);
        let dns = sin([1, 2, 3, 4], 53);
        let ev = send(&mut d, 44, 9, &dns, &udp);
        let fd = ev.fd.as_ref().expect("fd");
        assert_eq!(ev.evt_type, "sendto");
        assert_eq!(
            (
                fd.l4proto.as_str(),
                fd.connected,
                fd.name_changed,
                fd.kind.as_str()
            ),
            ("udp", false, true, "ipv4")
        );
        assert_eq!(
            (fd.sip.as_str(), fd.sport, fd.cport),
            ("1.2.3.4", 53, 40000)
        );
        assert_eq!(arg(&ev, "tuple"), "0.0.0.0:40000->1.2.3.4:53");
        assert_eq!(arg(&ev, "size"), "32");
        assert_eq!(
            field(&ev, "fd.name", None).as_deref(),
            Some("0.0.0.0:40000->1.2.3.4:53")
        );
        assert_eq!(field(&ev, "fd.typechar", None).as_deref(), Some("4"));
        // the same destination again: the name did not change
        let ev = send(&mut d, 44, 9, &dns, &udp);
        assert!(!ev.fd.as_ref().expect("fd").name_changed);
        // another destination through sendmsg: it did
        let ev = send(&mut d, 46, 9, &sin([5, 6, 7, 8], 123), &udp);
        let fd = ev.fd.as_ref().expect("fd");
        assert_eq!(
            (ev.evt_type.as_str(), fd.name_changed, fd.sport),
            ("sendmsg", true, 123)
        );
        // another descriptor is another name
        let ev = send(&mut d, 44, 10, &sin([5, 6, 7, 8], 123), &udp);
        assert!(ev.fd.as_ref().expect("fd").name_changed);
        // a connected UDP socket (sendto with an address anyway) and a TCP one
        let ev = send(
            &mut d,
            44,
            11,
            &dns,
            &local_end([10, 0, 0, 1], 40001, 2, 17, 1),
        );
        let fd = ev.fd.as_ref().expect("fd");
        assert_eq!((fd.connected, fd.cip.as_str()), (true, "10.0.0.1"));
        let ev = send(
            &mut d,
            44,
            12,
            &dns,
            &local_end([10, 0, 0, 1], 40002, 1, 6, 1),
        );
        assert_eq!(ev.fd.as_ref().map(|f| f.l4proto.as_str()), Some("tcp"));
        // the socket could not be read: Falco's unknown client, the protocol of the socket()
        let sock = record(Kind::Syscall, me, 41, [2, 2, 0, 0, 0, 0], b"", b"");
        let mut raw = super::super::raw::parse(&sock).expect("record").clone();
        raw.ret = 13;
        d.decode(&raw).expect("socket event");
        let ev = send(&mut d, 44, 13, &dns, b"");
        let fd = ev.fd.as_ref().expect("fd");
        assert_eq!(
            (fd.cip.as_str(), fd.l4proto.as_str(), fd.name_changed),
            ("0.0.0.0", "udp", true)
        );
        // no destination the decoder can read: no descriptor
        let ev = send(&mut d, 44, 9, b"", &udp);
        assert!(ev.fd.is_none());
    }

    #[test]
    fn accept_without_an_address_buffer_has_the_peer_from_the_socket() {
        // the kernel side wrote the peer (read from the socket) into s2 in the sockaddr layout
        let (server, peer) = (
            local_end([127, 0, 0, 1], 8080, 1, 6, 1),
            sin([127, 0, 0, 1], 51000),
        );
        let ev = decoded(288, 7, [3, 0, 0, 0x800, 0, 0], &server, &peer, [0; 3]);
        assert_eq!(
            tuple(&ev),
            ("127.0.0.1".into(), 51000, "127.0.0.1".into(), 8080, true)
        );
        let fd = ev.fd.as_ref().expect("fd");
        assert_eq!((fd.l4proto.as_str(), fd.connected), ("tcp", true));
    }

    /// Decodes one syscall record with `caps` and returns the event.
    fn decoded(
        nr: i64,
        ret: i64,
        args: [u64; 6],
        s1: &[u8],
        s2: &[u8],
        caps: [u64; 3],
    ) -> SyscallEvent {
        let me = std::process::id();
        let mut rec = record(Kind::Syscall, me, nr, args, s1, s2);
        let mut raw = super::super::raw::parse(&rec).expect("record");
        raw.ret = ret;
        raw.caps = caps;
        rec = super::super::raw::encode(&raw);
        let raw = super::super::raw::parse(&rec).expect("record");
        Decoder::new().decode(&raw).expect("an event")
    }

    fn arg<'a>(ev: &'a SyscallEvent, name: &str) -> &'a str {
        ev.args
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("arg {name} in {:?}", ev.args))
    }

    #[test]
    fn arguments_render_as_the_default_rules_test_them() {
        // ptrace requests by name (PTRACE attached to process / anti-debug)
        let ev = decoded(101, 0, [16, 1234, 0, 0, 0, 0], b"", b"", [0; 3]);
        assert_eq!(
            (ev.evt_type.as_str(), arg(&ev, "request")),
            ("ptrace", "PTRACE_ATTACH")
        );
        let ev = decoded(101, 0, [0, 0, 0, 0, 0, 0], b"", b"", [0; 3]);
        assert_eq!(arg(&ev, "request"), "PTRACE_TRACEME");
        // chmod modes by bit name (Set Setuid or Setgid bit), with the filename
        let ev = decoded(90, 0, [0, 0o4755, 0, 0, 0, 0], b"/tmp/x\0", b"", [0; 3]);
        assert_eq!(arg(&ev, "filename"), "/tmp/x");
        let mode = arg(&ev, "mode");
        assert!(
            mode.contains("S_ISUID") && !mode.contains("S_ISGID"),
            "{mode}"
        );
        let ev = decoded(268, 0, [3, 0, 0o2750, 0, 0, 0], b"f\0", b"", [0; 3]);
        assert!(arg(&ev, "mode").contains("S_ISGID"));
        let ev = decoded(91, 0, [4, 0o644, 0, 0, 0, 0], b"", b"", [0; 3]);
        assert_eq!(arg(&ev, "mode"), "S_IROTH|S_IRGRP|S_IWUSR|S_IRUSR");
        // socket families and the protocol a later connect inherits
        let ev = decoded(41, 5, [17, 3, 768, 0, 0, 0], b"", b"", [0; 3]);
        assert_eq!(arg(&ev, "domain"), "AF_PACKET");
        let ev = decoded(41, 6, [2, 2, 0, 0, 0, 0], b"", b"", [0; 3]);
        assert_eq!(ev.fd.as_ref().map(|f| f.l4proto.as_str()), Some("udp"));
        // mkdir paths (Mkdir binary dirs), namespaces (unshare)
        let ev = decoded(83, 0, [0, 0o755, 0, 0, 0, 0], b"/usr/bin/.x\0", b"", [0; 3]);
        assert_eq!(
            (arg(&ev, "path"), arg(&ev, "mode")),
            ("/usr/bin/.x", "0755")
        );
        let ev = decoded(272, 0, [0x1002_0000, 0, 0, 0, 0, 0], b"", b"", [0; 3]);
        assert_eq!(arg(&ev, "flags"), "CLONE_NEWNS|CLONE_NEWUSER");
        // accept: the peer is the client
        let peer = [2u8, 0, 0x1f, 0x90, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0];
        let ev = decoded(43, 7, [3, 0, 0, 0, 0, 0], b"", &peer, [0; 3]);
        let fd = ev.fd.as_ref().expect("fd");
        assert_eq!((fd.cip.as_str(), fd.cport, fd.num), ("10.1.2.3", 8080, 7));
        // capability sets by name (Linux Kernel Module Injection, release_agent escape)
        let ev = decoded(
            257,
            3,
            [0; 6],
            b"/x\0",
            b"",
            [(1 << 16) | (1 << 21), 1 << 21, 0],
        );
        assert_eq!(ev.proc.cap_effective, "CAP_SYS_MODULE CAP_SYS_ADMIN");
        assert_eq!(ev.proc.cap_permitted, "CAP_SYS_ADMIN");
        assert_eq!(ev.proc.cap_inheritable, "");
    }

    #[test]
    fn a_path_that_filled_its_buffer_is_marked_truncated() {
        let long = vec![b'a'; super::super::raw::STR_MAX];
        let mut path = b"/".to_vec();
        path.extend_from_slice(&long);
        let ev = decoded(257, 3, [0; 6], &path, b"", [0; 3]);
        let name = &ev.fd.as_ref().expect("fd").name;
        assert!(name.ends_with(TRUNCATED), "{name}");
        assert!(arg(&ev, "name").ends_with(TRUNCATED));
    }

    #[test]
    fn pid_namespace_pids_and_writable_executables() {
        assert_eq!(procs::ns_pid_in("Name:\tx\nNSpid:\t4242\t1\n"), Some(1));
        assert_eq!(procs::ns_pid_in("NSpid:\t77\n"), Some(77));
        assert_eq!(procs::ns_pid_in("Name:\tx\n"), None);
        // this test binary is writable by root (its file is on a writable filesystem)
        assert!(procs::exe_writable(std::process::id(), 0, 0));
        // and not by an unrelated user when it is not world-writable
        assert!(!procs::exe_writable(std::process::id(), 54321, 54321));
    }

    #[test]
    fn a_recycled_event_decodes_like_a_fresh_one() {
        let me = std::process::id();
        let sockaddr = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        let records = [
            record(
                Kind::Syscall,
                me,
                257,
                [0, 0, 0o2000000, 0, 0, 0],
                b"rel/a\0",
                b"",
            ),
            record(
                Kind::Syscall,
                1,
                257,
                [0, 0, 0o101, 0o644, 0, 0],
                b"/tmp/x\0",
                b"",
            ),
            record(Kind::Syscall, me, 42, [5, 0, 0, 0, 0, 0], b"", &sockaddr),
            record(Kind::Syscall, me, 33, [5, 1, 0, 0, 0, 0], b"", b""),
            record(
                Kind::Exec,
                me,
                59,
                [11, 0, 0, 0, 0, 0],
                b"/usr/bin/newprog\0",
                b"newprog\0-x\0",
            ),
            record(
                Kind::Syscall,
                me,
                257,
                [0, 0, 0, 0, 0, 0],
                b"/etc/hostname\0",
                b"",
            ),
            record(Kind::Syscall, me, 87, [0; 6], b"/tmp/gone\0", b""),
            record(Kind::Syscall, me, 62, [1, 9, 0, 0, 0, 0], b"", b""),
        ];
        let (mut fresh, mut reused) = (Decoder::new(), Decoder::new());
        reused.boot_offset = fresh.boot_offset;
        let mut ev = SyscallEvent::default();
        for (i, r) in records.iter().enumerate() {
            let raw = super::super::raw::parse(r).expect("record parses");
            let want = fresh.decode(&raw).expect("event");
            assert!(reused.decode_into(&raw, &mut ev));
            assert_eq!(ev, want, "record {i}");
        }
        // the exec replaced the process record: later events show the new program
        assert_eq!(
            (ev.proc.exe.as_str(), ev.proc.args.clone()),
            ("newprog", vec!["-x".to_string()])
        );
        assert_eq!(ev.args[0], ("pid".to_string(), "1".to_string()));
    }

    /// A sockaddr_in (28 bytes, as the kernel side writes the local end into s1).
    fn sin(ip: [u8; 4], port: u16) -> Vec<u8> {
        let mut b = vec![0u8; 28];
        b[..2].copy_from_slice(&2u16.to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&ip);
        b
    }

    /// A sockaddr_in6 (28 bytes).
    fn sin6(ip: std::net::Ipv6Addr, port: u16) -> Vec<u8> {
        let mut b = vec![0u8; 28];
        b[..2].copy_from_slice(&10u16.to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[8..24].copy_from_slice(&ip.octets());
        b
    }

    fn tuple(ev: &SyscallEvent) -> (String, i64, String, i64, bool) {
        let fd = ev.fd.as_ref().expect("fd");
        (
            fd.cip.clone(),
            fd.cport,
            fd.sip.clone(),
            fd.sport,
            fd.is_server,
        )
    }

    #[test]
    fn connect_and_accept_carry_both_ends_of_the_socket() {
        let (local, server) = (sin([127, 0, 0, 1], 40001), sin([127, 0, 0, 1], 8080));
        // connect: the local end is the client, the argument the server
        let ev = decoded(42, 0, [5, 0, 0, 0, 0, 0], &local, &server, [0; 3]);
        assert_eq!(
            tuple(&ev),
            ("127.0.0.1".into(), 40001, "127.0.0.1".into(), 8080, false)
        );
        assert_eq!(arg(&ev, "tuple"), "127.0.0.1:40001->127.0.0.1:8080");
        // a non-blocking connect in progress has its local port already
        let ev = decoded(42, -115, [5, 0, 0, 0, 0, 0], &local, &server, [0; 3]);
        assert_eq!(tuple(&ev).1, 40001);
        // accept (and accept4): the peer is the client, the local end the server
        let peer = sin([10, 1, 2, 3], 51000);
        for nr in [43, 288] {
            let ev = decoded(nr, 7, [3, 0, 0, 0, 0, 0], &server, &peer, [0; 3]);
            assert_eq!(
                tuple(&ev),
                ("10.1.2.3".into(), 51000, "127.0.0.1".into(), 8080, true)
            );
            assert_eq!(arg(&ev, "tuple"), "10.1.2.3:51000->127.0.0.1:8080");
            assert_eq!(ev.fd.as_ref().map(|f| f.num), Some(7));
        }
        // IPv6 on both ends
        let lo6 = std::net::Ipv6Addr::LOCALHOST;
        let ev = decoded(
            42,
            0,
            [5, 0, 0, 0, 0, 0],
            &sin6(lo6, 40002),
            &sin6(lo6, 8443),
            [0; 3],
        );
        assert_eq!(tuple(&ev), ("::1".into(), 40002, "::1".into(), 8443, false));
        assert_eq!(ev.fd.as_ref().map(|f| f.kind.as_str()), Some("ipv6"));
    }

    /// dup* events carry the kernel's view of the duplicated descriptor: a socket the table
    /// never saw is known from it, a stale entry (the number now names a pipe) is dropped, and an
    /// entry that agrees keeps its side (an accepted socket stays the server).
    #[test]
    fn dup_follows_the_kernels_view_of_the_descriptor() {
        let me = std::process::id();
        let mut d = Decoder::new();
        let mut ev_of = |nr: i64, ret: i64, args: [u64; 6], s1: &[u8], s2: &[u8]| {
            let mut raw = raw(Kind::Syscall, me, nr, args, s1, s2);
            raw.ret = ret;
            let rec = super::super::raw::encode(&raw);
            let parsed = super::super::raw::parse(&rec).expect("record");
            d.decode(&parsed).expect("an event")
        };
        let est = |ip, port| local_end(ip, port, 1, 6, 1);
        // dup2(3, 0) of a TCP socket made before the agent started
        let ev = ev_of(
            33,
            0,
            [3, 0, 0, 0, 0, 0],
            &est([10, 0, 0, 5], 40001),
            &sin([192, 0, 2, 7], 4444),
        );
        let fd = ev.fd.as_ref().expect("the socket");
        assert_eq!(
            (fd.kind.as_str(), fd.l4proto.as_str(), fd.connected),
            ("ipv4", "tcp", true)
        );
        assert_eq!(
            tuple(&ev),
            ("10.0.0.5".into(), 40001, "192.0.2.7".into(), 4444, false)
        );
        // descriptor 3 was closed and is now a pipe: dup2(3, 1) finds no socket
        let ev = ev_of(33, 1, [3, 1, 0, 0, 0, 0], b"", b"");
        assert!(ev.fd.is_none(), "stale socket dropped: {:?}", ev.fd);
        // a unix socket is a socket too
        let mut unix = vec![0u8; 36];
        unix[0..2].copy_from_slice(&1u16.to_ne_bytes());
        unix[28..30].copy_from_slice(&1u16.to_ne_bytes());
        let ev = ev_of(32, 9, [5, 0, 0, 0, 0, 0], &unix, b"");
        assert_eq!(ev.fd.as_ref().map(|f| f.kind.as_str()), Some("unix"));
        // an accepted socket keeps its side through the dup
        let (server, peer) = ([127, 0, 0, 1], [10, 1, 2, 3]);
        ev_of(
            43,
            7,
            [3, 0, 0, 0, 0, 0],
            &sin(server, 8080),
            &sin(peer, 51000),
        );
        let ev = ev_of(
            33,
            0,
            [7, 0, 0, 0, 0, 0],
            &est(server, 8080),
            &sin(peer, 51000),
        );
        assert_eq!(
            tuple(&ev),
            ("10.1.2.3".into(), 51000, "127.0.0.1".into(), 8080, true)
        );
    }

    #[test]
    fn a_socket_without_its_local_end_keeps_the_placeholders() {
        let server = sin([127, 0, 0, 1], 8080);
        // no local end (the kernel could not read the socket): Falco's unknown client
        let ev = decoded(42, 0, [5, 0, 0, 0, 0, 0], b"", &server, [0; 3]);
        assert_eq!(
            tuple(&ev),
            ("0.0.0.0".into(), 0, "127.0.0.1".into(), 8080, false)
        );
        assert_eq!(arg(&ev, "tuple"), "127.0.0.1:8080");
        // an accept without it has only the client
        let peer = sin([10, 1, 2, 3], 51000);
        let ev = decoded(43, 7, [3, 0, 0, 0, 0, 0], b"", &peer, [0; 3]);
        assert_eq!(
            tuple(&ev),
            ("10.1.2.3".into(), 51000, String::new(), 0, true)
        );
        // garbage or a unix family in s1 is no local end; short s1 neither
        for junk in [&[0xffu8; 28][..], &sin([1, 2, 3, 4], 1)[..7], &{
            let mut u = vec![0u8; 28];
            u[..2].copy_from_slice(&1u16.to_ne_bytes());
            u
        }] {
            let ev = decoded(42, 0, [5, 0, 0, 0, 0, 0], junk, &server, [0; 3]);
            assert_eq!(tuple(&ev).0, "0.0.0.0", "{junk:?}");
        }
        // bind's address is the local one already: s1 is not read
        let ev = decoded(
            49,
            0,
            [5, 0, 0, 0, 0, 0],
            &sin([9, 9, 9, 9], 9),
            &server,
            [0; 3],
        );
        assert_eq!(
            tuple(&ev),
            (String::new(), 0, "127.0.0.1".into(), 8080, true)
        );
    }

    #[test]
    fn decodes_ipv4_sockaddr() {
        let b = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(sockaddr(&b), Some(("127.0.0.1".into(), 8080, "ipv4")));
    }
}
