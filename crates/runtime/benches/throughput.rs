//! Rule evaluation throughput: the full stable + incubating falcosecurity rule set over a synthetic
//! but realistic syscall event mix (file opens, reads/writes, execs, connects, closes; host and
//! container processes). Prints events/s per core and the allocations per event for events that
//! match no rule (counted by a global allocator), then runs criterion.
//!
//! With `RAMPART_RECORDED=FILE` (events recorded live by `rampart runtime run --record FILE`, see
//! `bench/runtime.sh throughput`) it also reports the same figures on that real event mix.

use criterion::{Criterion, Throughput, criterion_group};
use rampart_runtime::Engine;
use rampart_runtime::fields::syscall::{Ancestor, Container, Fd, Process, SyscallEvent, User};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn engine() -> Option<Engine> {
    let root = rampart_testkit::shared("testdata/falcosecurity-rules")?;
    let (rules, _) = rampart_runtime::rules::load(&[
        root.join("rules/falco_rules.yaml"),
        root.join("rules/falco-incubating_rules.yaml"),
    ])
    .ok()?;
    Some(Engine::new(rules))
}

fn ancestors(names: &[&str]) -> Vec<Ancestor> {
    names
        .iter()
        .map(|n| Ancestor {
            name: n.to_string(),
            exe: n.to_string(),
            exepath: format!("/usr/bin/{n}"),
            ..Default::default()
        })
        .collect()
}

fn event(
    num: u64,
    ty: &str,
    proc_name: &str,
    args: &[(&str, &str)],
    fd: Option<Fd>,
    container: bool,
) -> SyscallEvent {
    let mut ev = SyscallEvent {
        ts: 1_700_000_000_000_000_000 + num as i64 * 1000,
        num,
        evt_type: ty.into(),
        res: 3,
        args: args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        proc: Process {
            pid: 1000 + num as i64,
            tid: 1000 + num as i64,
            name: proc_name.into(),
            exe: proc_name.into(),
            exepath: format!("/usr/bin/{proc_name}"),
            args: vec!["--flag".into(), "value".into()],
            cwd: "/srv/app/".into(),
            ..Default::default()
        },
        ancestors: ancestors(&["bash", "sshd", "systemd"]),
        user: User {
            uid: 1000,
            name: "app".into(),
            loginuid: 1000,
            ..Default::default()
        },
        container: container.then(|| Container {
            id: "3ad7b26ded6d".into(),
            name: "web".into(),
            image: "nginx:1.25".into(),
            image_repository: "nginx".into(),
            image_tag: "1.25".into(),
            ..Default::default()
        }),
        fd,
        ..Default::default()
    };
    ev.prepare();
    ev
}

fn file(name: &str) -> Option<Fd> {
    Some(Fd {
        num: 3,
        kind: "file".into(),
        name: name.into(),
        ..Default::default()
    })
}

fn sock() -> Option<Fd> {
    Some(Fd {
        num: 5,
        kind: "ipv4".into(),
        cip: "10.0.0.5".into(),
        cport: 43122,
        sip: "10.0.0.9".into(),
        sport: 5432,
        l4proto: "tcp".into(),
        ..Default::default()
    })
}

/// A mix of common syscalls that match no default rule.
fn mix() -> Vec<SyscallEvent> {
    let mut v = Vec::new();
    for i in 0..8u64 {
        let c = i % 2 == 0;
        v.push(event(
            i * 10 + 1,
            "openat",
            "nginx",
            &[("flags", "O_RDONLY|O_CLOEXEC")],
            file("/srv/app/index.html"),
            c,
        ));
        v.push(event(
            i * 10 + 2,
            "read",
            "nginx",
            &[("size", "4096")],
            file("/srv/app/index.html"),
            c,
        ));
        v.push(event(
            i * 10 + 3,
            "write",
            "nginx",
            &[("size", "512")],
            sock(),
            c,
        ));
        v.push(event(i * 10 + 4, "close", "nginx", &[("fd", "3")], None, c));
        v.push(event(
            i * 10 + 5,
            "openat",
            "python3",
            &[("flags", "O_WRONLY|O_CREAT")],
            file("/tmp/cache.db"),
            c,
        ));
        v.push(event(
            i * 10 + 6,
            "connect",
            "python3",
            &[("addr", "10.0.0.9:5432")],
            sock(),
            c,
        ));
        v.push(event(
            i * 10 + 7,
            "execve",
            "ls",
            &[("flags", "0")],
            None,
            c,
        ));
        v.push(event(i * 10 + 8, "epoll_wait", "nginx", &[], None, c));
        v.push(event(
            i * 10 + 9,
            "openat",
            "java",
            &[("flags", "O_RDONLY")],
            file("/usr/lib/jvm/lib/modules"),
            c,
        ));
        v.push(event(i * 10 + 10, "mmap", "java", &[], None, c));
    }
    v
}

/// CPU time of the calling thread, so the per-core figure holds on a busy machine.
fn thread_cpu_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn report(engine: &Engine, events: &[SyscallEvent]) {
    let mut matched = 0usize;
    for ev in events {
        engine.matches(ev, |_| matched += 1);
    }
    if matched > 0 {
        println!("note: {matched} events of the mix match a rule (expected none)");
    }
    let rounds = 20_000usize;
    let before = ALLOCS.load(Ordering::Relaxed);
    let start = Instant::now();
    let cpu_start = thread_cpu_secs();
    for _ in 0..rounds {
        for ev in events {
            engine.matches(black_box(ev), |_| matched += 1);
        }
    }
    let elapsed = start.elapsed();
    let cpu = thread_cpu_secs() - cpu_start;
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    let n = (rounds * events.len()) as f64;
    println!(
        "rules: {}; events: {n}; {:.0} events per CPU-second (one thread); {:.0} events/s wall; \
         allocations per non-matching event: {:.3}",
        engine.rules().len(),
        n / cpu.max(1e-9),
        n / elapsed.as_secs_f64(),
        allocs as f64 / n
    );
}

/// A ring-buffer record as the BPF side writes it: an `openat` of `path` by this process.
#[cfg(all(target_os = "linux", feature = "ebpf"))]
fn raw_openat(path: &str) -> Vec<u8> {
    use rampart_runtime::sources::ebpf::raw::{Kind, RawEvent, encode};
    let pid = std::process::id();
    let path = format!("{path}\0");
    encode(&RawEvent {
        kind: Kind::Syscall,
        tgid: pid,
        tid: pid,
        ppid: 0,
        uid: 1000,
        gid: 1000,
        loginuid: u32::MAX,
        sid: 0,
        tty: 0,
        nr: 257,
        ret: 3,
        ts_boot: 1,
        cgroup_id: 0,
        args: [0, 0, 0o2000000, 0, 0, 0],
        comm: b"bench",
        s1: path.as_bytes(),
        s2: b"",
        env: b"",
        truncated: false,
        caps: [0; 3],
        vpid: 0,
        vtid: 0,
    })
}

/// The eBPF decoder's cost per event: raw record → enriched, prepared [`SyscallEvent`] (process
/// record, ancestors, user names, fd, derived strings) into a recycled event, as the agent's
/// reader thread does it.
#[cfg(all(target_os = "linux", feature = "ebpf"))]
fn decode_report() {
    use rampart_runtime::sources::ebpf::{decode::Decoder, raw};
    let record = raw_openat("/etc/hostname");
    let mut decoder = Decoder::new();
    let mut ev = SyscallEvent::default();
    let Some(r) = raw::parse(&record) else {
        println!("decode: the synthetic record does not parse");
        return;
    };
    decoder.decode_into(&r, &mut ev); // warm: fills the recycled event's buffers
    let rounds = 200_000u64;
    let before = ALLOCS.load(Ordering::Relaxed);
    let cpu_start = thread_cpu_secs();
    for _ in 0..rounds {
        if let Some(r) = raw::parse(black_box(&record)) {
            decoder.decode_into(&r, black_box(&mut ev));
        }
    }
    let cpu = thread_cpu_secs() - cpu_start;
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    println!(
        "decode (eBPF record -> prepared event, recycled): {:.0} ns per event, {:.3} allocations \
         per event, {} ancestors",
        cpu * 1e9 / rounds as f64,
        allocs as f64 / rounds as f64,
        ev.ancestors.len()
    );
}

/// Events recorded live (JSON lines, as `--record` writes them), decoded and prepared as `replay`
/// does.
fn recorded(path: &str) -> Vec<SyscallEvent> {
    let mut events = Vec::new();
    let _ = std::fs::File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|f| {
            rampart_runtime::sources::syscall::decode(f, |ev| events.push(ev))
                .map_err(|e| e.to_string())
        });
    events
}

/// Throughput over every recorded event, and allocations over the ones that match no rule.
///
/// Two figures: **replayed** runs the whole recording through the engine again and again, so each
/// event comes from main memory (tens of MB of events and their strings: mostly cache misses);
/// **in cache** times blocks of 64 events right after a first, untimed pass over the same block —
/// the agent's case, where the decoder has just written the event it hands to the engine.
fn report_recorded(engine: &Engine, events: &[SyscallEvent]) {
    let quiet: Vec<&SyscallEvent> = events
        .iter()
        .filter(|ev| {
            let mut hit = false;
            engine.matches(*ev, |_| hit = true);
            !hit
        })
        .collect();
    let rounds = 200usize;
    let mut hits = 0usize;
    let cpu_start = thread_cpu_secs();
    for _ in 0..rounds {
        for ev in events {
            engine.matches(black_box(ev), |_| hits += 1);
        }
    }
    let cpu = thread_cpu_secs() - cpu_start;
    let in_cache = in_cache_cpu_secs(engine, events, rounds / 10);
    let before = ALLOCS.load(Ordering::Relaxed);
    for ev in &quiet {
        engine.matches(black_box(*ev), |_| hits += 1);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    let mut types: std::collections::BTreeMap<&str, usize> = Default::default();
    for ev in events {
        *types.entry(ev.evt_type.as_str()).or_default() += 1;
    }
    let mut top: Vec<_> = types.into_iter().collect();
    top.sort_by_key(|t| std::cmp::Reverse(t.1));
    top.truncate(6);
    let n = (rounds * events.len()) as f64;
    println!(
        "recorded mix: {} events ({} match a rule; top types {top:?}); replayed: {:.0} events per \
         CPU-second (one thread); in cache: {:.0} events per CPU-second; allocations per \
         non-matching event: {:.3}",
        events.len(),
        events.len() - quiet.len(),
        n / cpu.max(1e-9),
        (rounds / 10 * events.len()) as f64 / in_cache.max(1e-9),
        allocs as f64 / quiet.len().max(1) as f64
    );
}

/// CPU seconds to evaluate every event `rounds` times, each block of 64 events timed after an
/// untimed pass over it (the clock's own cost, measured on empty blocks, is taken off).
fn in_cache_cpu_secs(engine: &Engine, events: &[SyscallEvent], rounds: usize) -> f64 {
    let blocks = events.chunks(64).count() * rounds;
    let clock_start = thread_cpu_secs();
    for _ in 0..blocks {
        black_box(thread_cpu_secs());
    }
    // a timed interval holds about one clock call: half of the first, half of the second
    let clock = thread_cpu_secs() - clock_start;
    let mut total = 0.0;
    for _ in 0..rounds {
        for block in events.chunks(64) {
            for ev in block {
                engine.matches(black_box(ev), |_| {});
            }
            let start = thread_cpu_secs();
            for ev in block {
                engine.matches(black_box(ev), |_| {});
            }
            total += thread_cpu_secs() - start;
        }
    }
    (total - clock).max(0.0)
}

fn bench(c: &mut Criterion) {
    #[cfg(all(target_os = "linux", feature = "ebpf"))]
    decode_report();
    let Some(engine) = engine() else { return };
    let events = mix();
    report(&engine, &events);
    if let Ok(path) = std::env::var("RAMPART_RECORDED") {
        report_recorded(&engine, &recorded(&path));
    }
    let mut g = c.benchmark_group("rule_eval");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("stable+incubating/syscall_mix", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for ev in &events {
                engine.matches(black_box(ev), |_| hits += 1);
            }
            hits
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
