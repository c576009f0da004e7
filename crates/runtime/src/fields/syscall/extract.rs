//! The syscall field table and extraction from a [`SyscallEvent`].

use super::{Ancestor, OPEN_CREATE, OPEN_EXEC, OPEN_READ, OPEN_WRITE, Process, SyscallEvent};
use crate::fields::plugin_evt::{EvtField, time_value};
use crate::fields::{Arg, Event, FieldRef, Source, Val, field_table};
use std::borrow::Cow;

field_table!(pub enum F, FIELDS {
    EvtNum = "evt.num": Int/None,
    EvtTime = "evt.time": Str/None,
    EvtTimeS = "evt.time.s": Str/None,
    EvtTimeIso = "evt.time.iso8601": Str/None,
    EvtDatetime = "evt.datetime": Str/None,
    EvtDatetimeS = "evt.datetime.s": Str/None,
    EvtRawtime = "evt.rawtime": Int/None,
    EvtRawtimeS = "evt.rawtime.s": Int/None,
    EvtRawtimeNs = "evt.rawtime.ns": Int/None,
    EvtDir = "evt.dir": Str/None,
    EvtType = "evt.type": Str/None,
    EvtTypeIs = "evt.type.is": Int/Required,
    EvtSyscallType = "evt.syscall.type": Str/None,
    EvtCategory = "evt.category": Str/None,
    EvtCpu = "evt.cpu": Int/None,
    EvtArgs = "evt.args": Str/None,
    EvtArg = "evt.arg": Str/Required,
    EvtArgDot = "evt.arg.": Str/Suffix,
    EvtRawArg = "evt.rawarg": Str/Required,
    EvtRawArgDot = "evt.rawarg.": Str/Suffix,
    EvtInfo = "evt.info": Str/None,
    EvtBuffer = "evt.buffer": Str/None,
    EvtBuflen = "evt.buflen": Int/None,
    EvtRes = "evt.res": Str/None,
    EvtRawres = "evt.rawres": Int/None,
    EvtFailed = "evt.failed": Bool/None,
    EvtIsIo = "evt.is_io": Bool/None,
    EvtIsIoRead = "evt.is_io_read": Bool/None,
    EvtIsIoWrite = "evt.is_io_write": Bool/None,
    EvtIsOpenRead = "evt.is_open_read": Bool/None,
    EvtIsOpenWrite = "evt.is_open_write": Bool/None,
    EvtIsOpenExec = "evt.is_open_exec": Bool/None,
    EvtIsOpenCreate = "evt.is_open_create": Bool/None,
    EvtHostname = "evt.hostname": Str/None,
    EvtSource = "evt.source": Str/None,
    EvtAbspath = "evt.abspath": Str/None,
    ProcExe = "proc.exe": Str/None,
    ProcPexe = "proc.pexe": Str/None,
    ProcAexe = "proc.aexe": Str/Optional,
    ProcExepath = "proc.exepath": Str/None,
    ProcPexepath = "proc.pexepath": Str/None,
    ProcAexepath = "proc.aexepath": Str/Optional,
    ProcName = "proc.name": Str/None,
    ProcPname = "proc.pname": Str/None,
    ProcAname = "proc.aname": Str/Optional,
    ProcArgs = "proc.args": Str/None,
    ProcCmdline = "proc.cmdline": Str/None,
    ProcPcmdline = "proc.pcmdline": Str/None,
    ProcAcmdline = "proc.acmdline": Str/Optional,
    ProcCmdnargs = "proc.cmdnargs": Int/None,
    ProcCmdlenargs = "proc.cmdlenargs": Int/None,
    ProcExeline = "proc.exeline": Str/None,
    ProcEnv = "proc.env": Str/Optional,
    ProcCwd = "proc.cwd": Str/None,
    ProcTty = "proc.tty": Int/None,
    ProcPid = "proc.pid": Int/None,
    ProcPpid = "proc.ppid": Int/None,
    ProcApid = "proc.apid": Int/Optional,
    ProcVpid = "proc.vpid": Int/None,
    ProcPvpid = "proc.pvpid": Int/None,
    ProcSid = "proc.sid": Int/None,
    ProcSname = "proc.sname": Str/None,
    ProcVpgid = "proc.vpgid": Int/None,
    ProcVpgidName = "proc.vpgid.name": Str/None,
    ProcVpgidExe = "proc.vpgid.exe": Str/None,
    ProcDuration = "proc.duration": Int/None,
    ProcPpidDuration = "proc.ppid.duration": Int/None,
    ProcPidTs = "proc.pid.ts": Int/None,
    ProcPpidTs = "proc.ppid.ts": Int/None,
    ProcIsExeWritable = "proc.is_exe_writable": Bool/None,
    ProcIsExeUpperLayer = "proc.is_exe_upper_layer": Bool/None,
    ProcIsExeFromMemfd = "proc.is_exe_from_memfd": Bool/None,
    ProcIsSidLeader = "proc.is_sid_leader": Bool/None,
    ProcIsVpgidLeader = "proc.is_vpgid_leader": Bool/None,
    ProcExeIno = "proc.exe_ino": Int/None,
    ProcExeInoCtime = "proc.exe_ino.ctime": Int/None,
    ProcExeInoMtime = "proc.exe_ino.mtime": Int/None,
    ProcExeInoCtimeDurationProcStart = "proc.exe_ino.ctime_duration_proc_start": Int/None,
    ProcExeInoCtimeDurationPidnsStart = "proc.exe_ino.ctime_duration_pidns_start": Int/None,
    ProcPidnsInitStartTs = "proc.pidns_init_start_ts": Int/None,
    ThreadTid = "thread.tid": Int/None,
    ThreadVtid = "thread.vtid": Int/None,
    ThreadIsmain = "thread.ismain": Bool/None,
    ThreadCapPermitted = "thread.cap_permitted": Str/None,
    ThreadCapEffective = "thread.cap_effective": Str/None,
    ThreadCapInheritable = "thread.cap_inheritable": Str/None,
    FdNum = "fd.num": Int/None,
    FdType = "fd.type": Str/None,
    FdTypechar = "fd.typechar": Str/None,
    FdName = "fd.name": Str/None,
    FdNameraw = "fd.nameraw": Str/None,
    FdDirectory = "fd.directory": Str/None,
    FdFilename = "fd.filename": Str/None,
    FdIp = "fd.ip": Ip/None,
    FdCip = "fd.cip": Ip/None,
    FdSip = "fd.sip": Ip/None,
    FdLip = "fd.lip": Ip/None,
    FdRip = "fd.rip": Ip/None,
    FdPort = "fd.port": Int/None,
    FdCport = "fd.cport": Int/None,
    FdSport = "fd.sport": Int/None,
    FdLport = "fd.lport": Int/None,
    FdRport = "fd.rport": Int/None,
    FdL4proto = "fd.l4proto": Str/None,
    FdSockfamily = "fd.sockfamily": Str/None,
    FdIsServer = "fd.is_server": Bool/None,
    FdNet = "fd.net": Net/None,
    FdCnet = "fd.cnet": Net/None,
    FdSnet = "fd.snet": Net/None,
    FdLnet = "fd.lnet": Net/None,
    FdRnet = "fd.rnet": Net/None,
    FdConnected = "fd.connected": Bool/None,
    FdNameChanged = "fd.name_changed": Bool/None,
    FdCipName = "fd.cip.name": Str/None,
    FdSipName = "fd.sip.name": Str/None,
    FdLipName = "fd.lip.name": Str/None,
    FdRipName = "fd.rip.name": Str/None,
    FdDev = "fd.dev": Int/None,
    FdIno = "fd.ino": Int/None,
    UserUid = "user.uid": Int/None,
    UserName = "user.name": Str/None,
    UserHomedir = "user.homedir": Str/None,
    UserShell = "user.shell": Str/None,
    UserLoginuid = "user.loginuid": Int/None,
    UserLoginname = "user.loginname": Str/None,
    GroupGid = "group.gid": Int/None,
    GroupName = "group.name": Str/None,
    ContainerId = "container.id": Str/None,
    ContainerFullId = "container.full_id": Str/None,
    ContainerName = "container.name": Str/None,
    ContainerImage = "container.image": Str/None,
    ContainerImageId = "container.image.id": Str/None,
    ContainerImageRepository = "container.image.repository": Str/None,
    ContainerImageTag = "container.image.tag": Str/None,
    ContainerImageDigest = "container.image.digest": Str/None,
    ContainerType = "container.type": Str/None,
    ContainerPrivileged = "container.privileged": Bool/None,
    ContainerMounts = "container.mounts": Str/None,
    ContainerMount = "container.mount": Str/Required,
    ContainerMountSource = "container.mount.source": Str/Required,
    ContainerMountDest = "container.mount.dest": Str/Required,
    ContainerMountMode = "container.mount.mode": Str/Required,
    ContainerMountRdwr = "container.mount.rdwr": Str/Required,
    ContainerMountPropagation = "container.mount.propagation": Str/Required,
    ContainerStartTs = "container.start_ts": Int/None,
    ContainerDuration = "container.duration": Int/None,
    ContainerIp = "container.ip": Str/None,
    K8sNsName = "k8s.ns.name": Str/None,
    K8sPodName = "k8s.pod.name": Str/None,
    K8sPodId = "k8s.pod.id": Str/None,
    K8sPodUid = "k8s.pod.uid": Str/None,
    K8sPodSandboxId = "k8s.pod.sandbox_id": Str/None,
    K8sPodFullSandboxId = "k8s.pod.full_sandbox_id": Str/None,
    K8sPodLabel = "k8s.pod.label": Str/Required,
    K8sPodLabels = "k8s.pod.labels": Str/None,
    K8sNsLabel = "k8s.ns.label": Str/Required,
});

impl Event for SyscallEvent {
    fn source(&self) -> Source {
        Source::Syscall
    }

    fn evt_type(&self) -> &str {
        &self.evt_type
    }

    fn time_ns(&self) -> i64 {
        self.ts
    }

    #[inline]
    fn extract(&self, field: &FieldRef) -> Val<'_> {
        let Some(f) = F::from_id(field.id) else {
            return Val::None;
        };
        extract(self, f, &field.arg, &field.display)
    }

    fn any_value(&self, field: &FieldRef, pred: &mut dyn FnMut(&Val<'_>) -> bool) -> Option<bool> {
        let f = F::from_id(field.id)?;
        let anc = &self.ancestors;
        match (f, &field.arg) {
            (F::ProcAname, Arg::None) => Some(anc.iter().any(|a| pred(&s(&a.name)))),
            (F::ProcAexe, Arg::None) => Some(anc.iter().any(|a| pred(&s(&a.exe)))),
            (F::ProcAexepath, Arg::None) => Some(anc.iter().any(|a| pred(&s(&a.exepath)))),
            (F::ProcAcmdline, Arg::None) => Some(anc.iter().any(|a| pred(&s(&a.cmdline)))),
            (F::ProcApid, Arg::None) => Some(anc.iter().any(|a| pred(&Val::Int(a.pid)))),
            (F::FdIp | F::FdNet, _) => {
                let fd = self
                    .fd
                    .as_ref()
                    .filter(|fd| !fd.sip.is_empty() || !fd.cip.is_empty());
                Some(fd.is_some_and(|fd| pred(&s(&fd.cip)) || pred(&s(&fd.sip))))
            }
            (F::FdPort, _) => {
                let fd = self
                    .fd
                    .as_ref()
                    .filter(|fd| !fd.sip.is_empty() || !fd.cip.is_empty());
                Some(fd.is_some_and(|fd| pred(&Val::Int(fd.cport)) || pred(&Val::Int(fd.sport))))
            }
            _ => None,
        }
    }
}

fn s(v: &str) -> Val<'_> {
    Val::str(v)
}

fn non_empty(v: &str) -> Val<'_> {
    if v.is_empty() { Val::None } else { s(v) }
}

fn non_zero<'a>(v: i64) -> Val<'a> {
    if v == 0 { Val::None } else { Val::Int(v) }
}

fn extract<'a>(e: &'a SyscallEvent, f: F, arg: &Arg, display: &str) -> Val<'a> {
    let p = &e.proc;
    match f {
        F::EvtNum => Val::Int(e.num as i64),
        F::EvtTime => time_value(EvtField::Time, e.ts),
        F::EvtTimeS => time_value(EvtField::TimeS, e.ts),
        F::EvtTimeIso => time_value(EvtField::TimeIso8601, e.ts),
        F::EvtDatetime => time_value(EvtField::Datetime, e.ts),
        F::EvtDatetimeS => time_value(EvtField::DatetimeS, e.ts),
        F::EvtRawtime => time_value(EvtField::Rawtime, e.ts),
        F::EvtRawtimeS => time_value(EvtField::RawtimeS, e.ts),
        F::EvtRawtimeNs => time_value(EvtField::RawtimeNs, e.ts),
        F::EvtDir => s("<"),
        F::EvtType | F::EvtSyscallType => s(&e.evt_type),
        F::EvtTypeIs => Val::Int(i64::from(arg.key().as_deref() == Some(e.evt_type.as_str()))),
        F::EvtCategory => s(category(e)),
        F::EvtCpu => Val::Int(0),
        F::EvtArgs | F::EvtInfo => s(&e.derived.evt_args),
        F::EvtArg | F::EvtRawArg => match arg {
            Arg::Index(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| e.args.get(i))
                .map_or(Val::None, |(_, v)| s(v)),
            Arg::Key(k) => Val::opt_str(e.arg(k)),
            Arg::None => Val::None,
        },
        F::EvtArgDot | F::EvtRawArgDot => {
            // strip_prefix compares bytes; trim_start_matches would build a searcher per call
            let name = display
                .strip_prefix("evt.arg.")
                .or_else(|| display.strip_prefix("evt.rawarg."))
                .unwrap_or(display);
            let name = name.split('[').next().unwrap_or(name);
            Val::opt_str(e.arg(name))
        }
        F::EvtBuffer => Val::opt_str(e.buffer.as_deref()),
        F::EvtBuflen => e
            .buffer
            .as_ref()
            .map_or(Val::None, |b| Val::Int(b.len() as i64)),
        F::EvtRes => s(errno_name(e.res)),
        F::EvtRawres => Val::Int(e.res),
        F::EvtFailed => Val::Bool(e.res < 0),
        F::EvtIsIo => Val::Bool(is_io_read(e) || is_io_write(e)),
        F::EvtIsIoRead => Val::Bool(is_io_read(e)),
        F::EvtIsIoWrite => Val::Bool(is_io_write(e)),
        F::EvtIsOpenRead => Val::Bool(e.derived.open & OPEN_READ != 0),
        F::EvtIsOpenWrite => Val::Bool(e.derived.open & OPEN_WRITE != 0),
        F::EvtIsOpenCreate => Val::Bool(e.derived.open & OPEN_CREATE != 0),
        F::EvtIsOpenExec => Val::Bool(e.derived.open & OPEN_EXEC != 0),
        F::EvtHostname => Val::None,
        F::EvtSource => s("syscall"),
        F::EvtAbspath => Val::opt_str(e.arg("name").or(e.arg("path"))),
        F::ProcExe => s(&p.exe),
        F::ProcExepath => s(&p.exepath),
        F::ProcName => s(&p.name),
        F::ProcArgs => s(&e.derived.args),
        F::ProcCmdline => s(&e.derived.cmdline),
        F::ProcExeline => s(&e.derived.cmdline),
        F::ProcCmdnargs => Val::Int(p.args.len() as i64),
        F::ProcCmdlenargs => Val::Int(p.args.iter().map(|a| a.len() as i64).sum()),
        F::ProcEnv => match arg.key() {
            None => s(&e.derived.env),
            Some(k) => p
                .env
                .iter()
                .find_map(|kv| {
                    kv.strip_prefix(k.as_ref())
                        .and_then(|r| r.strip_prefix('='))
                })
                .map_or(Val::None, s),
        },
        F::ProcCwd => s(&p.cwd),
        F::ProcTty => Val::Int(p.tty),
        F::ProcPid => Val::Int(p.pid),
        F::ProcVpid => Val::Int(p.vpid),
        F::ProcSid => Val::Int(p.sid),
        F::ProcSname => non_empty(&p.sname),
        F::ProcVpgid => Val::Int(p.vpgid),
        F::ProcVpgidName => non_empty(&p.vpgid_name),
        F::ProcVpgidExe => non_empty(&p.vpgid_exe),
        F::ProcDuration => Val::Int(e.ts - p.start_ts),
        F::ProcPidTs => Val::Int(p.start_ts),
        F::ProcIsExeWritable => Val::Bool(p.is_exe_writable),
        F::ProcIsExeUpperLayer => Val::Bool(p.is_exe_upper_layer),
        F::ProcIsExeFromMemfd => Val::Bool(p.is_exe_from_memfd),
        F::ProcIsSidLeader => Val::Bool(p.is_sid_leader),
        F::ProcIsVpgidLeader => Val::Bool(p.is_vpgid_leader),
        // libsinsp: 0 is "unknown" for all of these (no value); the durations are the process
        // start (clone) minus the ctime, and the ctime minus the pid namespace's start when that
        // namespace predates it
        F::ProcExeIno => non_zero(p.exe_ino),
        F::ProcExeInoCtime => non_zero(p.exe_ino_ctime),
        F::ProcExeInoMtime => non_zero(p.exe_ino_mtime),
        F::ProcExeInoCtimeDurationProcStart if p.exe_ino_ctime != 0 && p.start_ts != 0 => {
            non_zero(p.start_ts - p.exe_ino_ctime)
        }
        F::ProcExeInoCtimeDurationPidnsStart
            if p.pidns_init_start_ts != 0 && p.exe_ino_ctime > p.pidns_init_start_ts =>
        {
            non_zero(p.exe_ino_ctime - p.pidns_init_start_ts)
        }
        F::ProcPidnsInitStartTs => non_zero(p.pidns_init_start_ts),
        F::ThreadTid => Val::Int(p.tid),
        F::ThreadVtid => Val::Int(p.vtid),
        F::ThreadIsmain => Val::Bool(p.tid == p.pid),
        F::ThreadCapPermitted => s(&p.cap_permitted),
        F::ThreadCapEffective => s(&p.cap_effective),
        F::ThreadCapInheritable => s(&p.cap_inheritable),
        F::UserUid => Val::Int(e.user.uid),
        F::UserName => s(&e.user.name),
        F::UserHomedir => s(&e.user.homedir),
        F::UserShell => s(&e.user.shell),
        F::UserLoginuid => Val::Int(e.user.loginuid),
        F::UserLoginname => s(&e.user.loginname),
        F::GroupGid => Val::Int(e.group.gid),
        F::GroupName => s(&e.group.name),
        _ => extract_more(e, f, arg),
    }
}

/// Ancestry, fd, container and Kubernetes fields.
fn extract_more<'a>(e: &'a SyscallEvent, f: F, arg: &Arg) -> Val<'a> {
    match f {
        F::ProcPexe => e.ancestor(1).map_or(Val::None, |a| s(&a.exe)),
        F::ProcPexepath => e.ancestor(1).map_or(Val::None, |a| s(&a.exepath)),
        F::ProcPname => e.ancestor(1).map_or(Val::None, |a| s(&a.name)),
        F::ProcPcmdline => e.ancestor(1).map_or(Val::None, |a| s(&a.cmdline)),
        F::ProcPpid => Val::Int(e.proc.ppid),
        F::ProcPvpid => e.ancestor(1).map_or(Val::None, |a| Val::Int(a.pid)),
        F::ProcPpidDuration => e
            .ancestor(1)
            .map_or(Val::None, |a| Val::Int(e.ts - a.start_ts)),
        F::ProcPpidTs => e.ancestor(1).map_or(Val::None, |a| Val::Int(a.start_ts)),
        F::ProcAname => ancestry(e, arg, |p| s(&p.name), |a| s(&a.name)),
        F::ProcAexe => ancestry(e, arg, |p| s(&p.exe), |a| s(&a.exe)),
        F::ProcAexepath => ancestry(e, arg, |p| s(&p.exepath), |a| s(&a.exepath)),
        F::ProcAcmdline => ancestry(e, arg, |_| s(&e.derived.cmdline), |a| s(&a.cmdline)),
        F::ProcApid => ancestry(e, arg, |p| Val::Int(p.pid), |a| Val::Int(a.pid)),
        F::ContainerId => s(e.container.as_ref().map_or("host", |c| c.id.as_str())),
        F::ContainerFullId => s(e.container.as_ref().map_or("host", |c| c.full_id.as_str())),
        F::ContainerName => s(e.container.as_ref().map_or("host", |c| c.name.as_str())),
        F::ContainerType => s(e.container.as_ref().map_or("host", |c| c.kind.as_str())),
        F::ContainerPrivileged => e
            .container
            .as_ref()
            .map_or(Val::None, |c| Val::Bool(c.privileged)),
        F::ContainerMounts => e
            .container
            .as_ref()
            .map_or(Val::None, |_| s(&e.derived.mounts)),
        F::ContainerMount
        | F::ContainerMountSource
        | F::ContainerMountDest
        | F::ContainerMountMode
        | F::ContainerMountRdwr
        | F::ContainerMountPropagation => mount_field(e, f, arg),
        F::ContainerStartTs => e
            .container
            .as_ref()
            .map_or(Val::None, |c| Val::Int(c.start_ts)),
        F::ContainerDuration => e
            .container
            .as_ref()
            .map_or(Val::None, |c| Val::Int(e.ts - c.start_ts)),
        F::ContainerImage
        | F::ContainerImageId
        | F::ContainerImageRepository
        | F::ContainerImageTag
        | F::ContainerImageDigest
        | F::ContainerIp => {
            let Some(c) = &e.container else {
                return Val::None;
            };
            non_empty(match f {
                F::ContainerImage => &c.image,
                F::ContainerImageId => &c.image_id,
                F::ContainerImageRepository => &c.image_repository,
                F::ContainerImageTag => &c.image_tag,
                F::ContainerImageDigest => &c.image_digest,
                _ => &c.ip,
            })
        }
        F::K8sNsName
        | F::K8sPodName
        | F::K8sPodId
        | F::K8sPodUid
        | F::K8sPodSandboxId
        | F::K8sPodFullSandboxId => {
            let Some(k) = &e.k8s else {
                return Val::None;
            };
            non_empty(match f {
                F::K8sNsName => k.ns_name.as_str(),
                F::K8sPodName => k.pod_name.as_str(),
                // Falco: k8s.pod.sandbox_id is the truncated sandbox id
                F::K8sPodSandboxId => k.sandbox_id.get(..12).unwrap_or(&k.sandbox_id),
                F::K8sPodFullSandboxId => k.sandbox_id.as_str(),
                // k8s.pod.id is Falco's legacy alias of k8s.pod.uid
                _ => k.pod_uid.as_str(),
            })
        }
        F::K8sPodLabel | F::K8sNsLabel => {
            let (Some(k), Some(key)) = (&e.k8s, arg.key()) else {
                return Val::None;
            };
            let labels = if f == F::K8sPodLabel {
                &k.pod_labels
            } else {
                &k.ns_labels
            };
            labels
                .iter()
                .find(|(lk, _)| lk == key.as_ref())
                .map_or(Val::None, |(_, v)| s(v))
        }
        F::K8sPodLabels => e.k8s.as_ref().map_or(Val::None, |k| {
            Val::Str(Cow::Owned(
                k.pod_labels
                    .iter()
                    .map(|(a, b)| format!("{a}:{b}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ))
        }),
        _ => fd_field(e, f),
    }
}

fn ancestry<'a>(
    e: &'a SyscallEvent,
    arg: &Arg,
    own: impl Fn(&'a Process) -> Val<'a>,
    anc: impl Fn(&'a Ancestor) -> Val<'a>,
) -> Val<'a> {
    match arg {
        Arg::Index(0) => own(&e.proc),
        Arg::Index(n) => e.ancestor(*n).map_or(Val::None, anc),
        // no index: every ancestor (parent first)
        _ => Val::List(e.ancestors.iter().map(anc).collect()),
    }
}

/// A mount field; a mount that is not there (or no container) is `N/A`, as libsinsp answers —
/// the default rules test `not container.mount.dest[/proc*] in ("<NA>","N/A")`.
fn mount_field<'a>(e: &'a SyscallEvent, f: F, arg: &Arg) -> Val<'a> {
    let Some(c) = &e.container else {
        return s("N/A");
    };
    let m = match arg {
        Arg::Index(i) => usize::try_from(*i).ok().and_then(|i| c.mounts.get(i)),
        Arg::Key(k) => c.mounts.iter().find(|m| {
            let against = if f == F::ContainerMountSource {
                &m.dest
            } else {
                &m.source
            };
            crate::filter::glob::glob_match(k.as_bytes(), against.as_bytes(), false)
        }),
        Arg::None => None,
    };
    let Some(m) = m else { return s("N/A") };
    match f {
        F::ContainerMountSource => s(&m.source),
        F::ContainerMountDest => s(&m.dest),
        F::ContainerMountMode => s(&m.mode),
        F::ContainerMountRdwr => s(if m.rdwr { "true" } else { "false" }),
        F::ContainerMountPropagation => s(&m.propagation),
        _ => Val::Str(Cow::Owned(format!(
            "{}:{}:{}:{}:{}",
            m.source, m.dest, m.mode, m.rdwr, m.propagation
        ))),
    }
}

fn fd_field(e: &SyscallEvent, f: F) -> Val<'_> {
    let Some(fd) = &e.fd else {
        return Val::None;
    };
    let sock = !fd.sip.is_empty() || !fd.cip.is_empty();
    let (lip, rip, lport, rport) = if fd.is_server {
        (&fd.sip, &fd.cip, fd.sport, fd.cport)
    } else {
        (&fd.cip, &fd.sip, fd.cport, fd.sport)
    };
    let name = e.derived.fd_name.as_str();
    match f {
        F::FdNum => Val::Int(fd.num),
        F::FdType => s(&fd.kind),
        F::FdTypechar => s(e.derived.fd_typechar()),
        F::FdName => s(name),
        F::FdNameraw => s(if fd.nameraw.is_empty() {
            name
        } else {
            &fd.nameraw
        }),
        F::FdDirectory if !sock => {
            if fd.kind == "directory" {
                s(name)
            } else {
                s(e.derived.fd_split().0)
            }
        }
        F::FdFilename if !sock => s(e.derived.fd_split().1),
        F::FdIp | F::FdNet if sock => Val::List(vec![s(&fd.cip), s(&fd.sip)]),
        F::FdCip | F::FdCnet if sock => s(&fd.cip),
        F::FdSip | F::FdSnet if sock => s(&fd.sip),
        F::FdLip | F::FdLnet if sock => s(lip),
        F::FdRip | F::FdRnet if sock => s(rip),
        F::FdPort if sock => Val::List(vec![Val::Int(fd.cport), Val::Int(fd.sport)]),
        F::FdCport if sock => Val::Int(fd.cport),
        F::FdSport if sock => Val::Int(fd.sport),
        F::FdLport if sock => Val::Int(lport),
        F::FdRport if sock => Val::Int(rport),
        F::FdL4proto if sock => s(&fd.l4proto),
        F::FdSockfamily => match fd.kind.as_str() {
            "ipv4" | "ipv6" => s("ip"),
            "unix" => s("unix"),
            _ => Val::None,
        },
        F::FdIsServer if sock => Val::Bool(fd.is_server),
        F::FdConnected => Val::Bool(fd.connected),
        F::FdNameChanged => Val::Bool(fd.name_changed),
        F::FdCipName if sock => non_empty(&fd.cip_name),
        F::FdSipName if sock => non_empty(&fd.sip_name),
        F::FdLipName if sock => non_empty(if fd.is_server {
            &fd.sip_name
        } else {
            &fd.cip_name
        }),
        F::FdRipName if sock => non_empty(if fd.is_server {
            &fd.cip_name
        } else {
            &fd.sip_name
        }),
        F::FdDev => Val::Int(fd.dev),
        F::FdIno => Val::Int(fd.ino),
        _ => Val::None,
    }
}

/// Falco's one-letter descriptor type of `fd.type` `kind`.
pub(super) fn typechar(kind: &str) -> &'static str {
    match kind {
        "file" => "f",
        "directory" => "d",
        "ipv4" => "4",
        "ipv6" => "6",
        "unix" => "u",
        "pipe" => "p",
        "event" => "e",
        "signalfd" => "s",
        "eventpoll" => "l",
        "inotify" => "i",
        "timerfd" => "t",
        "netlink" => "n",
        "bpf" => "b",
        "userfaultfd" => "u",
        "io_uring" => "r",
        "memfd" => "m",
        "pidfd" => "P",
        _ => "o",
    }
}

fn category(e: &SyscallEvent) -> &'static str {
    match e.evt_type.as_str() {
        "read" | "write" | "pread" | "pwrite" | "readv" | "writev" | "sendto" | "recvfrom"
        | "sendmsg" | "recvmsg" => {
            if e.fd
                .as_ref()
                .is_some_and(|f| f.kind == "ipv4" || f.kind == "ipv6")
            {
                "net"
            } else {
                "file"
            }
        }
        "open" | "openat" | "openat2" | "creat" | "unlink" | "unlinkat" | "rename" | "renameat"
        | "renameat2" | "mkdir" | "mkdirat" | "rmdir" | "chmod" | "fchmod" | "fchmodat" => "file",
        "connect" | "accept" | "accept4" | "bind" | "listen" | "socket" => "net",
        "execve" | "execveat" | "clone" | "clone3" | "fork" | "vfork" | "procexit" => "process",
        _ => "other",
    }
}

fn is_io_read(e: &SyscallEvent) -> bool {
    matches!(
        e.evt_type.as_str(),
        "read" | "pread" | "readv" | "preadv" | "recvfrom" | "recvmsg" | "recv"
    )
}

fn is_io_write(e: &SyscallEvent) -> bool {
    matches!(
        e.evt_type.as_str(),
        "write" | "pwrite" | "writev" | "pwritev" | "sendto" | "sendmsg" | "send"
    )
}

/// Falco's `evt.res` rendering: `SUCCESS`, or the errno name of a negative result.
pub fn errno_name(res: i64) -> &'static str {
    if res >= 0 {
        return "SUCCESS";
    }
    const NAMES: [&str; 41] = [
        "SUCCESS",
        "EPERM",
        "ENOENT",
        "ESRCH",
        "EINTR",
        "EIO",
        "ENXIO",
        "E2BIG",
        "ENOEXEC",
        "EBADF",
        "ECHILD",
        "EAGAIN",
        "ENOMEM",
        "EACCES",
        "EFAULT",
        "ENOTBLK",
        "EBUSY",
        "EEXIST",
        "EXDEV",
        "ENODEV",
        "ENOTDIR",
        "EISDIR",
        "EINVAL",
        "ENFILE",
        "EMFILE",
        "ENOTTY",
        "ETXTBSY",
        "EFBIG",
        "ENOSPC",
        "ESPIPE",
        "EROFS",
        "EMLINK",
        "EPIPE",
        "EDOM",
        "ERANGE",
        "EDEADLK",
        "ENAMETOOLONG",
        "ENOLCK",
        "ENOSYS",
        "ENOTEMPTY",
        "ELOOP",
    ];
    match usize::try_from(-res) {
        Ok(i) if i < NAMES.len() => NAMES[i],
        _ => match -res {
            110 => "ETIMEDOUT",
            111 => "ECONNREFUSED",
            113 => "EHOSTUNREACH",
            115 => "EINPROGRESS",
            _ => "EUNKNOWN",
        },
    }
}
