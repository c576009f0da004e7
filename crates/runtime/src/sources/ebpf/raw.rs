//! The raw event the BPF programs write (layout of `struct event` in `bpf/rampart.h`): a fixed
//! header, then the strings packed one after the other, only as long as they were filled.

/// Longest string field in a raw event, bytes (`STR_MAX`).
pub const STR_MAX: usize = 512;
/// Offset of the capability sets, after `comm`.
const CAPS: usize = 144;
/// Offset of `vpid` and `vtid`, after the capability sets.
const VIDS: usize = CAPS + 24;
/// Size of the fixed header (`HDR_SIZE`); the strings follow it.
pub const HEADER_SIZE: usize = VIDS + 8;
/// Environment bytes an exec record carries at most (`ENV_MAX`), after its strings.
pub const ENV_MAX: usize = 4096;
/// Longest record: the header, two full strings and a full environment.
pub const MAX_RECORD: usize = HEADER_SIZE + 2 * STR_MAX + ENV_MAX;

/// What produced the raw event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Syscall,
    Exec,
    Fork,
    Exit,
}

/// One decoded raw event, borrowing its strings (still bytes) from the ring-buffer record.
#[derive(Debug, Clone)]
pub struct RawEvent<'a> {
    pub kind: Kind,
    pub tgid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: u32,
    pub sid: u32,
    pub tty: u32,
    pub nr: i64,
    pub ret: i64,
    pub ts_boot: u64,
    pub cgroup_id: u64,
    pub args: [u64; 6],
    /// `comm`, up to its NUL.
    pub comm: &'a [u8],
    pub s1: &'a [u8],
    pub s2: &'a [u8],
    /// Exec records: the new image's environment block (NUL-separated, at most [`ENV_MAX`]
    /// bytes; `args[1]` is its whole length). Empty for other kinds. May hold secrets: never log it.
    pub env: &'a [u8],
    /// A string argument filled its buffer (it may have been cut).
    pub truncated: bool,
    /// The thread's effective, permitted and inheritable capability sets (bit N: capability N).
    pub caps: [u64; 3],
    /// Process and thread id in the task's own pid namespace (0: unknown).
    pub vpid: u32,
    pub vtid: u32,
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_ne_bytes(a)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(a)
}

/// Bytes up to the first NUL (C string).
pub fn cstr(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Parses one ring-buffer record; `None` when it is shorter than the header or of an unknown
/// kind. String lengths are clamped to their maxima and to the bytes the record has.
pub fn parse(b: &[u8]) -> Option<RawEvent<'_>> {
    if b.len() < HEADER_SIZE {
        return None;
    }
    let kind = match u32_at(b, 0) {
        1 => Kind::Syscall,
        2 => Kind::Exec,
        3 => Kind::Fork,
        4 => Kind::Exit,
        _ => return None,
    };
    let s1_len = (u32_at(b, 36) as usize).min(STR_MAX);
    let s2_len = (u32_at(b, 40) as usize).min(STR_MAX);
    let env_len = if kind == Kind::Exec {
        (u32_at(b, 44) as usize).min(ENV_MAX)
    } else {
        0
    };
    let mut args = [0u64; 6];
    for (i, a) in args.iter_mut().enumerate() {
        *a = u64_at(b, 80 + 8 * i);
    }
    let comm = cstr(&b[128..144]);
    // the strings one after the other, each cut where the record ends
    let mut rest = &b[HEADER_SIZE..];
    let mut take = |n: usize| {
        let (s, r) = rest.split_at(n.min(rest.len()));
        rest = r;
        s
    };
    let (s1, s2, env) = (take(s1_len), take(s2_len), take(env_len));
    Some(RawEvent {
        kind,
        tgid: u32_at(b, 4),
        tid: u32_at(b, 8),
        ppid: u32_at(b, 12),
        uid: u32_at(b, 16),
        gid: u32_at(b, 20),
        loginuid: u32_at(b, 24),
        sid: u32_at(b, 28),
        tty: u32_at(b, 32),
        nr: u64_at(b, 48) as i64,
        ret: u64_at(b, 56) as i64,
        ts_boot: u64_at(b, 64),
        cgroup_id: u64_at(b, 72),
        args,
        comm,
        truncated: s1_len >= STR_MAX || s2_len >= STR_MAX,
        s1,
        s2,
        env,
        caps: [u64_at(b, CAPS), u64_at(b, CAPS + 8), u64_at(b, CAPS + 16)],
        vpid: u32_at(b, VIDS),
        vtid: u32_at(b, VIDS + 4),
    })
}

/// Writes `ev` as the BPF side would (the inverse of [`parse`]; strings are cut at `STR_MAX`
/// bytes): for tests, benchmarks and fuzzing the decoder without the kernel.
pub fn encode(ev: &RawEvent<'_>) -> Vec<u8> {
    let s1 = &ev.s1[..ev.s1.len().min(STR_MAX)];
    let s2 = &ev.s2[..ev.s2.len().min(STR_MAX)];
    let env: &[u8] = if ev.kind == Kind::Exec {
        &ev.env[..ev.env.len().min(ENV_MAX)]
    } else {
        &[]
    };
    let mut b = vec![0u8; HEADER_SIZE];
    let kind = match ev.kind {
        Kind::Syscall => 1u32,
        Kind::Exec => 2,
        Kind::Fork => 3,
        Kind::Exit => 4,
    };
    let put32 =
        |b: &mut [u8], off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    let put64 =
        |b: &mut [u8], off: usize, v: u64| b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    for (off, v) in [
        (0, kind),
        (4, ev.tgid),
        (8, ev.tid),
        (12, ev.ppid),
        (16, ev.uid),
        (20, ev.gid),
        (24, ev.loginuid),
        (28, ev.sid),
        (32, ev.tty),
        (36, s1.len() as u32),
        (40, s2.len() as u32),
        (44, env.len() as u32),
        (VIDS, ev.vpid),
        (VIDS + 4, ev.vtid),
    ] {
        put32(&mut b, off, v);
    }
    for (off, v) in [
        (48, ev.nr as u64),
        (56, ev.ret as u64),
        (64, ev.ts_boot),
        (72, ev.cgroup_id),
    ] {
        put64(&mut b, off, v);
    }
    for (i, a) in ev.args.iter().enumerate() {
        put64(&mut b, 80 + 8 * i, *a);
    }
    for (i, c) in ev.caps.iter().enumerate() {
        put64(&mut b, CAPS + 8 * i, *c);
    }
    let comm = &ev.comm[..ev.comm.len().min(15)];
    b[128..128 + comm.len()].copy_from_slice(comm);
    b.extend_from_slice(s1);
    b.extend_from_slice(s2);
    b.extend_from_slice(env);
    b
}

/// x86_64 syscall name of `nr` (the syscalls the BPF side reports).
pub fn syscall_name(nr: i64) -> &'static str {
    match nr {
        2 => "open",
        32 => "dup",
        33 => "dup2",
        41 => "socket",
        42 => "connect",
        43 => "accept",
        44 => "sendto",
        46 => "sendmsg",
        49 => "bind",
        50 => "listen",
        56 => "clone",
        59 => "execve",
        62 => "kill",
        76 => "truncate",
        77 => "ftruncate",
        82 => "rename",
        83 => "mkdir",
        84 => "rmdir",
        85 => "creat",
        86 => "link",
        87 => "unlink",
        88 => "symlink",
        90 => "chmod",
        91 => "fchmod",
        92 => "chown",
        101 => "ptrace",
        105 => "setuid",
        106 => "setgid",
        117 => "setresuid",
        119 => "setresgid",
        165 => "mount",
        175 => "init_module",
        231 => "procexit",
        257 => "openat",
        258 => "mkdirat",
        260 => "fchownat",
        263 => "unlinkat",
        264 => "renameat",
        265 => "linkat",
        266 => "symlinkat",
        268 => "fchmodat",
        272 => "unshare",
        288 => "accept4",
        292 => "dup3",
        308 => "setns",
        313 => "finit_module",
        316 => "renameat2",
        319 => "memfd_create",
        321 => "bpf",
        322 => "execveat",
        323 => "userfaultfd",
        437 => "openat2",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_parse_round_trips_and_short_records_are_refused() {
        let ev = RawEvent {
            kind: Kind::Syscall,
            tgid: 42,
            tid: 43,
            ppid: 1,
            uid: 1000,
            gid: 1000,
            loginuid: u32::MAX,
            sid: 7,
            tty: 34816,
            nr: 257,
            ret: -2,
            ts_boot: 99,
            cgroup_id: 5,
            args: [1, 2, 3, 4, 5, 6],
            comm: b"cat",
            s1: b"/etc/shadow\0",
            s2: b"",
            env: b"",
            truncated: false,
            caps: [1 << 21, u64::MAX >> 23, 0],
            vpid: 7,
            vtid: 8,
        };
        let bytes = encode(&ev);
        assert_eq!(parse(&bytes).map(|r| r.caps), Some(ev.caps));
        assert_eq!(parse(&bytes).map(|r| (r.vpid, r.vtid)), Some((7, 8)));
        let back = parse(&bytes).expect("parses");
        assert_eq!(
            (
                back.tgid, back.tid, back.nr, back.ret, back.args, back.comm, back.s1
            ),
            (
                42,
                43,
                257,
                -2,
                [1, 2, 3, 4, 5, 6],
                &b"cat"[..],
                &b"/etc/shadow\0"[..]
            )
        );
        assert_eq!(
            bytes.len(),
            HEADER_SIZE + b"/etc/shadow\0".len(),
            "only the filled bytes"
        );
        assert!(parse(&bytes[..HEADER_SIZE - 1]).is_none());
        let mut bad = bytes.clone();
        bad[0] = 9;
        assert!(parse(&bad).is_none(), "unknown kind");
        // lengths beyond the maxima or the record are clamped, never read past the record
        bad = bytes.clone();
        bad[36..40].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert_eq!(parse(&bad).map(|r| r.s1.len()), Some(12));
        bad.resize(HEADER_SIZE + 2 * STR_MAX, b'x');
        assert_eq!(
            parse(&bad).map(|r| (r.s1.len(), r.s2.len(), r.truncated)),
            Some((STR_MAX, 0, true))
        );
        // a record cut inside its strings keeps what it has
        assert_eq!(
            parse(&bytes[..HEADER_SIZE + 4]).map(|r| r.s1),
            Some(&b"/etc"[..])
        );
    }

    #[test]
    fn exec_records_carry_the_environment_and_others_do_not() {
        let ev = RawEvent {
            kind: Kind::Exec,
            tgid: 5,
            tid: 5,
            ppid: 1,
            uid: 0,
            gid: 0,
            loginuid: 0,
            sid: 0,
            tty: 0,
            nr: 59,
            ret: 0,
            ts_boot: 1,
            cgroup_id: 0,
            args: [3, 12, 0, 0, 0, 0],
            comm: b"true",
            s1: b"/bin/true\0",
            s2: b"true\0",
            env: b"A=1\0B=two\0",
            truncated: false,
            caps: [0; 3],
            vpid: 0,
            vtid: 0,
        };
        let bytes = encode(&ev);
        assert_eq!(bytes.len(), HEADER_SIZE + 10 + 5 + 10);
        let back = parse(&bytes).expect("parses");
        assert_eq!(
            (back.s1, back.s2, back.env),
            (&b"/bin/true\0"[..], &b"true\0"[..], &b"A=1\0B=two\0"[..])
        );
        // an environment length past the record is clamped
        let mut bad = bytes.clone();
        bad[44..48].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert_eq!(parse(&bad).map(|r| r.env.len()), Some(10));
        // other kinds have no environment, whatever their length field says
        let sys = encode(&RawEvent {
            kind: Kind::Syscall,
            ..ev
        });
        assert_eq!(sys.len(), HEADER_SIZE + 15);
        let mut sys_bad = sys.clone();
        sys_bad[44..48].copy_from_slice(&10u32.to_ne_bytes());
        sys_bad.extend_from_slice(b"A=1\0B=two\0");
        assert_eq!(parse(&sys_bad).map(|r| r.env.len()), Some(0));
    }
}
