//! The syscall source: Rampart's recorded syscall event ([`SyscallEvent`]) and the Falco fields
//! (`evt.*`, `proc.*`, `thread.*`, `fd.*`, `user.*`, `group.*`, `container.*`, `k8s.*`) it fills.
//!
//! # Recorded event format (JSON lines)
//!
//! One JSON object per line, one exit event (`evt.dir = <`) per syscall, as the eBPF agent records it
//! (`rampart runtime run --record FILE`) and `replay --source syscall` reads it:
//!
//! ```json
//! {"ts": 1700000000000000000, "num": 1, "type": "openat", "res": 3,
//!  "args": [["fd", "3"], ["name", "/etc/shadow"], ["flags", "O_RDONLY|O_CLOEXEC"], ["mode", "0"]],
//!  "proc": {"pid": 42, "tid": 42, "ppid": 1, "vpid": 42, "name": "cat", "exe": "cat",
//!           "exepath": "/usr/bin/cat", "args": ["/etc/shadow"], "cwd": "/root/", "tty": 34816,
//!           "sid": 10, "sname": "bash", "env": ["HOME=/root"], "cap_effective": "CAP_CHOWN ..."},
//!  "ancestors": [{"pid": 10, "name": "bash", "exe": "bash", "exepath": "/usr/bin/bash", "args": []}],
//!  "user": {"uid": 0, "name": "root", "loginuid": 1000, "loginname": "alice"},
//!  "group": {"gid": 0, "name": "root"},
//!  "container": {"id": "3ad7b26ded6d", "name": "web", "image": "nginx:1.25",
//!                "image_repository": "nginx", "image_tag": "1.25", "privileged": false},
//!  "fd": {"num": 3, "type": "file", "name": "/etc/shadow"}}
//! ```
//!
//! `ancestors[0]` is the parent, `[1]` the grandparent, … `"same_process": true` means the line
//! leaves out `proc.env`, the `proc.cap_*` sets and `ancestors` because they are those of the
//! previous line of the same process (same pid and start time). Missing objects mean "not available"
//! (`container` absent = the host, `container.id = host`). Socket fds carry `cip`, `cport`, `sip`,
//! `sport`, `l4proto` and `is_server` (true when this process is the server side). Arguments keep
//! Falco's rendering (`flags` as `O_RDONLY|O_CLOEXEC`). Call [`SyscallEvent::prepare`] after
//! building or decoding an event so derived values (`proc.cmdline`, …) are computed once.

use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// One recorded syscall (exit) event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyscallEvent {
    /// Time, nanoseconds since the Unix epoch.
    pub ts: i64,
    /// Sequence number.
    pub num: u64,
    /// Syscall name (`openat`, `execve`, `connect`, …).
    #[serde(rename = "type")]
    pub evt_type: String,
    /// Return value (negative errno on failure).
    pub res: i64,
    /// Arguments in order, as `[name, value]` pairs with Falco's rendering.
    pub args: Vec<(String, String)>,
    /// Raw data buffer (read/write payloads), when captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffer: Option<String>,
    pub proc: Process,
    /// Ancestors, parent first.
    pub ancestors: Vec<Ancestor>,
    pub user: User,
    pub group: Group,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k8s: Option<K8sMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fd: Option<Fd>,
    /// In a recording: this event's environment, capability sets and ancestors were left out as
    /// those of the previous event of the same process (`crate::sources::syscall::Recorder`); the
    /// decoder puts them back and clears this.
    #[serde(skip_serializing_if = "is_false")]
    pub same_process: bool,
    /// Values computed by [`SyscallEvent::prepare`].
    #[serde(skip)]
    pub derived: Derived,
}

/// The process (thread) that made the syscall.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Process {
    pub pid: i64,
    pub tid: i64,
    pub ppid: i64,
    pub vpid: i64,
    pub vtid: i64,
    /// `comm` (`proc.name`).
    pub name: String,
    /// `argv[0]` (`proc.exe`).
    pub exe: String,
    /// Full executable path (`proc.exepath`).
    pub exepath: String,
    /// Arguments after `argv[0]`.
    pub args: Vec<String>,
    pub cwd: String,
    pub tty: i64,
    pub sid: i64,
    /// Session leader's name (`proc.sname`).
    pub sname: String,
    pub vpgid: i64,
    pub vpgid_name: String,
    pub vpgid_exe: String,
    pub env: Vec<String>,
    /// Process start, ns since epoch.
    pub start_ts: i64,
    pub is_exe_writable: bool,
    pub is_exe_upper_layer: bool,
    pub is_exe_from_memfd: bool,
    pub is_sid_leader: bool,
    pub is_vpgid_leader: bool,
    /// Inode number of the executable (`proc.exe_ino`; 0 unknown).
    pub exe_ino: i64,
    /// The executable's ctime and mtime at exec, ns since the epoch (0 unknown).
    pub exe_ino_ctime: i64,
    pub exe_ino_mtime: i64,
    /// Start of the process's pid namespace's init process, ns since epoch (0 unknown).
    pub pidns_init_start_ts: i64,
    /// Capability sets as space-separated names (`CAP_CHOWN CAP_SYS_ADMIN`).
    pub cap_permitted: String,
    pub cap_effective: String,
    pub cap_inheritable: String,
}

/// One ancestor process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ancestor {
    pub pid: i64,
    pub name: String,
    pub exe: String,
    pub exepath: String,
    pub args: Vec<String>,
    pub start_ts: i64,
    /// `name args…`, computed by [`SyscallEvent::prepare`].
    #[serde(skip)]
    pub cmdline: String,
}

/// The user of the process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    pub uid: i64,
    pub name: String,
    /// Audit login uid; -1 when unset.
    pub loginuid: i64,
    pub loginname: String,
    pub homedir: String,
    pub shell: String,
}

impl Default for User {
    fn default() -> Self {
        User {
            uid: 0,
            name: String::new(),
            loginuid: -1,
            loginname: String::new(),
            homedir: String::new(),
            shell: String::new(),
        }
    }
}

/// The group of the process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Group {
    pub gid: i64,
    pub name: String,
}

/// The container the process runs in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    pub id: String,
    pub full_id: String,
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub image_repository: String,
    pub image_tag: String,
    pub image_digest: String,
    /// `docker`, `podman`, `containerd`, `cri-o`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub privileged: bool,
    pub mounts: Vec<Mount>,
    pub start_ts: i64,
    pub ip: String,
}

/// A container mount.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mount {
    pub source: String,
    pub dest: String,
    pub mode: String,
    pub rdwr: bool,
    pub propagation: String,
}

/// Kubernetes metadata of the container's pod.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct K8sMeta {
    pub ns_name: String,
    pub pod_name: String,
    pub pod_uid: String,
    /// The pod's sandbox id in the container runtime (full; `k8s.pod.sandbox_id` is 12 chars).
    pub sandbox_id: String,
    pub pod_labels: Vec<(String, String)>,
    pub ns_labels: Vec<(String, String)>,
}

/// The file descriptor the syscall used or returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fd {
    pub num: i64,
    /// `file`, `directory`, `ipv4`, `ipv6`, `unix`, `pipe`, `event`, `signalfd`, `eventpoll`,
    /// `inotify`, `timerfd`, `netlink`, `memfd`, `bpf`, `userfaultfd`, `io_uring`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Path for files; `cip:cport->sip:sport` for sockets (computed when empty).
    pub name: String,
    /// The path as the process passed it (before normalization).
    pub nameraw: String,
    pub cip: String,
    pub cport: i64,
    pub sip: String,
    pub sport: i64,
    /// `tcp`, `udp`, `icmp`, `raw`.
    pub l4proto: String,
    /// This process is the server side of the connection.
    pub is_server: bool,
    pub connected: bool,
    pub name_changed: bool,
    pub cip_name: String,
    pub sip_name: String,
    pub dev: i64,
    pub ino: i64,
}

/// Derived strings of an event (`proc.cmdline`, `proc.args`, …), computed once by
/// [`SyscallEvent::prepare`] so that extraction borrows them.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    cmdline: String,
    args: String,
    env: String,
    evt_args: String,
    fd_name: String,
    /// Where the last `/` of `fd_name` is (`fd.directory`, `fd.filename` without a search per rule).
    fd_slash: Option<usize>,
    /// `fd.typechar` of the event's descriptor (read without touching `fd.kind`'s heap buffer).
    fd_typechar: &'static str,
    mounts: String,
    /// `OPEN_*` bits of an open-family event.
    open: u8,
    /// Set by the eBPF decoder: which process-table state the event's process, ancestors and
    /// container were copied from, so a recycled event refilled for the same state skips the copy.
    pub(crate) process_stamp: Option<ProcessStamp>,
    /// Set by the eBPF decoder: the capability bits `proc.cap_*` were rendered from.
    pub(crate) cap_bits: Option<[u64; 3]>,
}

impl PartialEq for Derived {
    /// Equal derived values (where they were copied from does not matter).
    fn eq(&self, o: &Self) -> bool {
        (
            &self.cmdline,
            &self.args,
            &self.env,
            &self.evt_args,
            &self.fd_name,
            &self.mounts,
            self.open,
        ) == (
            &o.cmdline,
            &o.args,
            &o.env,
            &o.evt_args,
            &o.fd_name,
            &o.mounts,
            o.open,
        )
    }
}

/// A process (pid) at one version of the eBPF decoder's process table and container cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ProcessStamp {
    pub pid: u32,
    /// Version of the process table.
    pub procs: u64,
    /// Version of the container cache.
    pub containers: u64,
}

pub(crate) const OPEN_READ: u8 = 1;
pub(crate) const OPEN_WRITE: u8 = 2;
pub(crate) const OPEN_CREATE: u8 = 4;
pub(crate) const OPEN_EXEC: u8 = 8;

/// The `evt.is_open_*` bits of an open-family event, from its `flags` and `mode` arguments.
fn open_bits(e: &SyscallEvent) -> u8 {
    if !e.is_open() {
        return 0;
    }
    let flags = e.flags();
    let mut bits = 0;
    if flags.contains("O_RDONLY") || flags.contains("O_RDWR") {
        bits |= OPEN_READ;
    }
    if flags.contains("O_WRONLY") || flags.contains("O_RDWR") {
        bits |= OPEN_WRITE;
    }
    if flags.contains("O_CREAT") {
        bits |= OPEN_CREATE;
        let exec = e.arg("mode").is_some_and(|m| {
            m.contains("S_IXUSR")
                || m.contains("S_IXGRP")
                || m.contains("S_IXOTH")
                || i64::from_str_radix(m.trim_start_matches("0o"), 8).is_ok_and(|v| v & 0o111 != 0)
        });
        if exec {
            bits |= OPEN_EXEC;
        }
    }
    bits
}

impl Derived {
    /// `fd.typechar` of the prepared event's descriptor.
    pub(crate) fn fd_typechar(&self) -> &'static str {
        self.fd_typechar
    }

    /// `fd.directory` and `fd.filename` of the prepared `fd.name` (split at its last `/`).
    pub(crate) fn fd_split(&self) -> (&str, &str) {
        let name = self.fd_name.as_str();
        match self.fd_slash {
            Some(0) => ("/", &name[1..]),
            Some(i) if i < name.len() => (&name[..i], &name[i + 1..]),
            _ => ("", name),
        }
    }
}

impl SyscallEvent {
    /// Computes derived values (`proc.cmdline`, `proc.args`, socket `fd.name`, …). Call once after
    /// building or decoding; extraction never allocates for these afterwards.
    pub fn prepare(&mut self) {
        self.prepare_parts(false);
    }

    /// [`SyscallEvent::prepare`]; with `process_unchanged` (the event's process arguments,
    /// environment, ancestors and container are what they were at the last prepare) the values
    /// derived from those alone are kept.
    pub(crate) fn prepare_parts(&mut self, process_unchanged: bool) {
        use std::fmt::Write;
        // Strings are rebuilt in place: an event refilled by the eBPF decoder keeps its buffers.
        let open = open_bits(self);
        let d = &mut self.derived;
        d.open = open;
        if !process_unchanged {
            d.args.clear();
            join_into(&mut d.args, &self.proc.args);
            d.env.clear();
            join_into(&mut d.env, &self.proc.env);
        }
        d.cmdline.clear();
        d.cmdline.push_str(&self.proc.name);
        if !d.args.is_empty() {
            d.cmdline.push(' ');
            d.cmdline.push_str(&d.args);
        }
        d.evt_args.clear();
        for (i, (k, v)) in self.args.iter().enumerate() {
            if i > 0 {
                d.evt_args.push(' ');
            }
            d.evt_args.push_str(k);
            d.evt_args.push('=');
            d.evt_args.push_str(v);
        }
        if !process_unchanged {
            for a in &mut self.ancestors {
                a.cmdline.clear();
                cmdline_into(&mut a.cmdline, &a.name, &a.args);
            }
        }
        d.fd_name.clear();
        d.fd_typechar = self
            .fd
            .as_ref()
            .map_or("", |fd| extract::typechar(&fd.kind));
        if let Some(fd) = &self.fd {
            if fd.name.is_empty() && !fd.sip.is_empty() {
                let _ = write!(
                    d.fd_name,
                    "{}:{}->{}:{}",
                    fd.cip, fd.cport, fd.sip, fd.sport
                );
            } else {
                d.fd_name.push_str(&fd.name);
            }
        }
        d.fd_slash = d.fd_name.rfind('/');
        if process_unchanged {
            return;
        }
        d.mounts.clear();
        if let Some(c) = &self.container {
            for (i, m) in c.mounts.iter().enumerate() {
                if i > 0 {
                    d.mounts.push(',');
                }
                let _ = write!(
                    d.mounts,
                    "{}:{}:{}:{}:{}",
                    m.source, m.dest, m.mode, m.rdwr, m.propagation
                );
            }
        }
    }

    pub(crate) fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The ancestor at Falco's `proc.aname[N]` depth (1 = parent).
    pub(crate) fn ancestor(&self, depth: i64) -> Option<&Ancestor> {
        usize::try_from(depth - 1)
            .ok()
            .and_then(|i| self.ancestors.get(i))
    }

    pub(crate) fn flags(&self) -> &str {
        self.arg("flags").unwrap_or("")
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(
            self.evt_type.as_str(),
            "open" | "openat" | "openat2" | "open_by_handle_at"
        )
    }
}

/// Appends `parts` joined by spaces.
fn join_into(dst: &mut String, parts: &[String]) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            dst.push(' ');
        }
        dst.push_str(p);
    }
}

/// Appends Falco's command line: `name`, then a space and the joined arguments unless they join
/// to nothing.
fn cmdline_into(dst: &mut String, name: &str, args: &[String]) {
    dst.push_str(name);
    let mark = dst.len();
    dst.push(' ');
    join_into(dst, args);
    if dst.len() == mark + 1 {
        dst.truncate(mark);
    }
}

mod extract;
pub use extract::{F, FIELDS, errno_name};
