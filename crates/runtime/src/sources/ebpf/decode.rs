//! Raw kernel events into [`SyscallEvent`]s with Falco's field semantics.

use super::procs::split_args;
use super::procs::{self, ProcInfo, Procs};
use super::raw::{Kind, RawEvent, cstr, syscall_name};
use crate::fields::syscall::{Ancestor, Container, Fd, Group, Process, SyscallEvent, User};
use std::collections::HashMap;

/// Appended to strings the kernel side cut at its buffer size.
pub const TRUNCATED: &str = "...[truncated]";
/// Ancestors attached to each event (`proc.aname[1..]`).
const MAX_ANCESTORS: usize = 8;
/// Most container metadata entries cached.
const MAX_CONTAINERS: usize = 4096;

/// Decoder state: process table, names, container metadata.
pub struct Decoder {
    pub procs: Procs,
    users: HashMap<u32, (String, String, String)>,
    groups: HashMap<u32, (String, String, String)>,
    containers: HashMap<String, Container>,
    podman: bool,
    boot_offset: i64,
    num: u64,
    fds: super::fdtable::FdTable,
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

fn text(b: &[u8], truncated: bool) -> String {
    let mut s = String::from_utf8_lossy(cstr(b)).into_owned();
    if truncated && b.len() >= super::raw::STR_MAX {
        s.push_str(TRUNCATED);
    }
    s
}

/// Falco's rendering of open flags.
pub fn open_flags(flags: u64) -> String {
    let mut out = vec![match flags & 3 {
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_RDONLY",
    }];
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
            out.push(name);
        }
    }
    out.join("|")
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

fn abs_path(path: &str, cwd: &str) -> String {
    if path.starts_with('/') || cwd.is_empty() {
        path.to_string()
    } else {
        format!("{}{}", cwd, path.trim_start_matches("./"))
    }
}

impl Decoder {
    /// A decoder with the process table seeded from /proc.
    pub fn new() -> Decoder {
        Decoder {
            procs: Procs::seed(),
            users: procs::id_names("/etc/passwd"),
            groups: procs::id_names("/etc/group"),
            containers: HashMap::new(),
            podman: which("podman"),
            boot_offset: boot_offset(),
            num: 0,
            fds: Default::default(),
        }
    }

    fn container(&mut self, id: &str) -> Option<Container> {
        if id.is_empty() {
            return None;
        }
        if let Some(c) = self.containers.get(id) {
            return Some(c.clone());
        }
        let mut c = Container {
            id: id.to_string(),
            kind: "podman".into(),
            ..Container::default()
        };
        if self.podman {
            inspect_podman(&mut c);
        }
        if self.containers.len() < MAX_CONTAINERS {
            self.containers.insert(id.to_string(), c.clone());
        }
        Some(c)
    }

    /// Updates state from `raw` and returns the event the engine sees (none for fork/exit of
    /// threads we do not report).
    pub fn decode(&mut self, raw: &RawEvent) -> Option<SyscallEvent> {
        let pid = raw.tgid;
        match raw.kind {
            Kind::Fork => {
                // the child pid is in args[0]; threads share the tgid and are not processes
                let child = raw.args[0] as u32;
                if raw.tid == raw.tgid || child != raw.tid {
                    self.procs.fork(pid, child);
                    self.fds.fork(pid, child);
                }
            }
            Kind::Exec => {
                let mut parts = split_args(&raw.s2);
                let exe = if parts.is_empty() {
                    String::new()
                } else {
                    parts.remove(0)
                };
                if raw.args[0] as usize > raw.s2.len()
                    && let Some(last) = parts.last_mut()
                {
                    last.push_str(TRUNCATED);
                }
                let mut exepath = text(&raw.s1, raw.truncated);
                let mut exe_from_memfd = false;
                if let Some((path, memfd)) = procs::exe_via_fd(pid, &exepath) {
                    exepath = path;
                    exe_from_memfd = memfd;
                }
                let mut info = ProcInfo {
                    exe_from_memfd,
                    ppid: raw.ppid,
                    name: raw.comm.clone(),
                    exe,
                    exepath,
                    args: parts,
                    cwd: procs::cwd_of(pid),
                    container_id: procs::container_of(pid),
                };
                if info.container_id.is_empty() {
                    // gone before we looked: keep what the fork inherited from the parent
                    if let Some(prev) = self.procs.get(pid) {
                        info.container_id = prev.container_id.clone();
                    }
                }
                self.procs.exec(pid, info);
            }
            Kind::Exit | Kind::Syscall => {}
        }
        let ev = self.build(raw);
        if raw.kind == Kind::Exit {
            self.procs.exit(pid);
            self.fds.exit(pid);
        }
        Some(ev)
    }

    fn build(&mut self, raw: &RawEvent) -> SyscallEvent {
        let pid = raw.tgid;
        let info = self.procs.get(pid).cloned().unwrap_or_default();
        let mut ancestors = Vec::new();
        let mut ppid = if info.ppid != 0 { info.ppid } else { raw.ppid };
        while ppid > 0 && ancestors.len() < MAX_ANCESTORS {
            let Some(a) = self.procs.get(ppid).cloned() else {
                break;
            };
            ancestors.push(Ancestor {
                pid: i64::from(ppid),
                name: a.name,
                exe: a.exe,
                exepath: a.exepath,
                args: a.args,
                ..Ancestor::default()
            });
            ppid = a.ppid;
        }
        let (uname, home, shell) = self.users.get(&raw.uid).cloned().unwrap_or_default();
        let loginuid = if raw.loginuid == u32::MAX {
            -1
        } else {
            i64::from(raw.loginuid)
        };
        let loginname = self
            .users
            .get(&raw.loginuid)
            .map(|u| u.0.clone())
            .unwrap_or_default();
        let container = self.container(&info.container_id);
        self.num += 1;
        let mut ev = SyscallEvent {
            ts: self.boot_offset + raw.ts_boot as i64,
            num: self.num,
            evt_type: match raw.kind {
                Kind::Exec => "execve".into(),
                Kind::Fork => "clone".into(),
                Kind::Exit => "procexit".into(),
                Kind::Syscall => syscall_name(raw.nr).into(),
            },
            res: raw.ret,
            proc: Process {
                pid: i64::from(pid),
                tid: i64::from(raw.tid),
                ppid: i64::from(raw.ppid),
                vpid: i64::from(pid),
                vtid: i64::from(raw.tid),
                name: raw.comm.clone(),
                exe: info.exe.clone(),
                exepath: info.exepath.clone(),
                args: info.args.clone(),
                cwd: info.cwd.clone(),
                tty: i64::from(raw.tty),
                sid: i64::from(raw.sid),
                is_exe_from_memfd: info.exe_from_memfd,
                ..Process::default()
            },
            ancestors,
            user: User {
                uid: i64::from(raw.uid),
                name: uname,
                loginuid,
                loginname,
                homedir: home,
                shell,
            },
            group: Group {
                gid: i64::from(raw.gid),
                name: self
                    .groups
                    .get(&raw.gid)
                    .map(|g| g.0.clone())
                    .unwrap_or_default(),
            },
            container,
            ..SyscallEvent::default()
        };
        self.fill_args(raw, &info, &mut ev);
        ev.prepare();
        ev
    }

    fn fill_args(&mut self, raw: &RawEvent, info: &ProcInfo, ev: &mut SyscallEvent) {
        let a = &raw.args;
        let s1 = text(&raw.s1, raw.truncated);
        let s2 = text(&raw.s2, raw.truncated);
        let arg = |k: &str, v: String| (k.to_string(), v);
        let file_fd = |num: i64, name: String, kind: &str| Fd {
            num,
            kind: kind.into(),
            nameraw: name.clone(),
            name: abs_path(&name, &info.cwd),
            ..Fd::default()
        };
        match ev.evt_type.as_str() {
            "execve" | "execveat" => {
                let cmd = if ev.proc.args.is_empty() {
                    String::new()
                } else {
                    ev.proc.args.join(" ")
                };
                ev.args = vec![
                    arg("res", raw.ret.to_string()),
                    arg("exe", ev.proc.exe.clone()),
                    arg("args", cmd),
                    arg("pid", raw.tgid.to_string()),
                    arg("cwd", info.cwd.clone()),
                ];
            }
            "open" | "openat" | "openat2" | "creat" => {
                let flags = match ev.evt_type.as_str() {
                    "open" => a[1],
                    "creat" => 0o1101,
                    "openat2" => 0,
                    _ => a[2],
                };
                ev.args = vec![
                    arg("fd", raw.ret.to_string()),
                    arg("name", s1.clone()),
                    arg("flags", open_flags(flags)),
                    arg("mode", format!("0{:o}", a[3])),
                ];
                ev.fd = Some(file_fd(raw.ret, s1, "file"));
            }
            "connect" | "bind" | "accept" | "accept4" => {
                let addr = sockaddr(&raw.s2);
                ev.args = vec![arg("fd", (a[0] as i64).to_string())];
                if let Some((ip, port, kind)) = addr {
                    let server = ev.evt_type != "connect";
                    let mut fd = Fd {
                        num: a[0] as i64,
                        kind: kind.into(),
                        l4proto: "tcp".into(),
                        is_server: server,
                        connected: raw.ret >= 0,
                        ..Fd::default()
                    };
                    if kind == "unix" {
                        fd.name = ip;
                    } else if server {
                        fd.sip = ip;
                        fd.sport = port;
                    } else {
                        fd.sip = ip;
                        fd.sport = port;
                        fd.cip = "0.0.0.0".into();
                    }
                    ev.args
                        .push(arg("tuple", format!("{}:{}", fd.sip, fd.sport)));
                    // remember the socket for later dup2/dup3 of it
                    match ev.evt_type.as_str() {
                        // -115: EINPROGRESS (non-blocking connect)
                        "connect" if raw.ret == 0 || raw.ret == -115 => {
                            self.fds.set(raw.tgid, a[0] as i64, &fd)
                        }
                        "accept" | "accept4" if raw.ret >= 0 => {
                            self.fds.set(raw.tgid, raw.ret, &fd)
                        }
                        _ => {}
                    }
                    ev.fd = Some(fd);
                }
            }
            "unlink" | "unlinkat" | "chmod" | "fchmodat" | "chown" | "fchownat" | "truncate" => {
                ev.args = vec![arg("path", s1.clone()), arg("name", s1.clone())];
                ev.fd = Some(file_fd(-1, s1, "file"));
            }
            "rename" | "renameat" | "renameat2" | "link" | "linkat" => {
                ev.args = vec![arg("oldpath", s1), arg("newpath", s2)];
            }
            "symlink" | "symlinkat" => {
                ev.args = vec![arg("target", s1), arg("linkpath", s2)];
            }
            "mount" => {
                ev.args = vec![
                    arg("dev", s1),
                    arg("dir", s2),
                    arg("flags", a[3].to_string()),
                ];
            }
            "memfd_create" => {
                ev.args = vec![arg("fd", raw.ret.to_string()), arg("name", s1)];
            }
            "ptrace" => {
                ev.args = vec![
                    arg("request", a[0].to_string()),
                    arg("pid", a[1].to_string()),
                ];
            }
            "setuid" | "setgid" => ev.args = vec![arg(&ev.evt_type[3..], a[0].to_string())],
            "setresuid" | "setresgid" => {
                ev.args = vec![
                    arg("ruid", (a[0] as i32).to_string()),
                    arg("euid", (a[1] as i32).to_string()),
                    arg("suid", (a[2] as i32).to_string()),
                ];
            }
            "kill" => {
                ev.args = vec![
                    arg("pid", (a[0] as i32).to_string()),
                    arg("sig", a[1].to_string()),
                ]
            }
            "dup2" | "dup3" => {
                let (old, new) = (a[0] as i32 as i64, a[1] as i32 as i64);
                if raw.ret >= 0 {
                    self.fds.dup(raw.tgid, old, new);
                }
                ev.fd = self
                    .fds
                    .get(raw.tgid, old)
                    .or(self.fds.get(raw.tgid, new))
                    .cloned();
                ev.args = vec![
                    arg("res", raw.ret.to_string()),
                    arg("oldfd", a[0].to_string()),
                    arg("newfd", a[1].to_string()),
                ];
            }
            "init_module" | "finit_module" => {
                ev.args = vec![arg("uargs", s1)];
            }
            "bpf" => ev.args = vec![arg("cmd", a[0].to_string())],
            "ftruncate" => ev.args = vec![arg("fd", a[0].to_string())],
            _ => {}
        }
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
        .unwrap_or(false)
}

/// Fills name and image of a podman container (`podman inspect`, bounded output).
fn inspect_podman(c: &mut Container) {
    let out = std::process::Command::new("podman")
        .args([
            "inspect",
            "--format",
            "{{.Name}}|{{.ImageName}}|{{.Id}}",
            &c.id,
        ])
        .stderr(std::process::Stdio::null())
        .output();
    let Ok(out) = out else { return };
    if !out.status.success() || out.stdout.len() > 4096 {
        return;
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut f = s.trim().splitn(3, '|');
    c.name = f.next().unwrap_or_default().to_string();
    c.image = f.next().unwrap_or_default().to_string();
    c.full_id = f.next().unwrap_or_default().to_string();
    let (repo, tag) = match c.image.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
        _ => (c.image.clone(), String::new()),
    };
    c.image_repository = repo;
    c.image_tag = tag;
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

    #[test]
    fn decodes_ipv4_sockaddr() {
        let b = [2u8, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(sockaddr(&b), Some(("127.0.0.1".into(), 8080, "ipv4")));
    }
}
