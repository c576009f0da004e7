//! The eBPF syscall source (root, Linux): CO-RE programs from `bpf/` (compiled object committed
//! at `crates/runtime/bpf/rampart.bpf.o`) loaded with aya, a ring buffer read on a dedicated
//! thread, events decoded into [`SyscallEvent`] and handed on through a bounded channel.
//!
//! Nothing here blocks the kernel: the BPF side counts a drop when the ring buffer is full, and
//! the reader thread counts a drop when the consumer's channel is full.
//!
//! ```no_run
//! use rampart_runtime::sources::ebpf::{EbpfSource, Options};
//! let src = EbpfSource::start(Options::default()).expect("eBPF source");
//! for ev in src.events().iter().take(10) {
//!     println!("{} {}", ev.evt_type, ev.proc.name);
//! }
//! println!("{:?}", src.stats());
//! ```

pub mod cri;
pub mod decode;
pub mod fdtable;
pub mod procs;
pub mod raw;
mod reader;
pub mod select;

pub use crate::sources::syscall::Recorder;

use crate::fields::syscall::SyscallEvent;
use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, FExit, TracePoint};
use reader::Counters;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread::JoinHandle;

/// The compiled BPF object (see `scripts/build-bpf.sh`).
pub static BPF_OBJECT: &[u8] = include_bytes!("../../../bpf/rampart.bpf.o");
/// sha256 of the BPF sources the object was built from, then (second line) of the object.
pub static BPF_SOURCE_HASH: &str = include_str!("../../../bpf/SOURCE_HASH");

/// Options of [`EbpfSource::start`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Capacity of the event channel to the consumer.
    pub channel: usize,
    /// Do not report events of this process (the agent itself).
    pub ignore_self: bool,
    /// How to hook syscalls.
    pub hook: HookChoice,
    /// The CRI socket asked for container and pod metadata (default: containerd's or CRI-O's
    /// usual socket, or `RAMPART_CRI_SOCKET`).
    pub cri_socket: Option<std::path::PathBuf>,
    /// Read each exec'd process's environment in the kernel (`proc.env`). Off when no loaded rule
    /// uses it: the environment may hold secrets, and copying it costs at every exec.
    pub read_env: bool,
    /// The syscall event types to report (`Engine::syscall_event_types`: what the loaded rules
    /// can match), widened by [`select::Selection::for_event_types`] to what the descriptor
    /// table needs; `None` reports every syscall the source knows.
    pub event_types: Option<std::collections::BTreeSet<String>>,
}

/// Which syscall hook [`EbpfSource::start`] uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HookChoice {
    /// Per-syscall fexit programs where the kernel allows them, else the tracepoint.
    #[default]
    Auto,
    /// Per-syscall fexit programs; starting fails when they cannot attach.
    Fexit,
    /// The `sys_exit` tracepoint.
    Tracepoint,
}

impl std::str::FromStr for HookChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(HookChoice::Auto),
            "fexit" => Ok(HookChoice::Fexit),
            "tracepoint" => Ok(HookChoice::Tracepoint),
            other => Err(format!(
                "unknown syscall hook {other:?} (expected auto, fexit or tracepoint)"
            )),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            channel: 65_536,
            ignore_self: true,
            hook: HookChoice::Auto,
            cri_socket: None,
            read_env: true,
            event_types: None,
        }
    }
}

/// Why the source could not start.
#[derive(Debug, thiserror::Error)]
pub enum EbpfError {
    #[error("the eBPF source needs root (CAP_BPF and CAP_PERFMON); running as uid {0}")]
    NotRoot(u32),
    #[error("the kernel has no BTF (/sys/kernel/btf/vmlinux missing): CO-RE programs cannot load")]
    NoBtf,
    #[error(
        "tracefs is not mounted (/sys/kernel/tracing/events is empty): mount -t tracefs tracefs /sys/kernel/tracing"
    )]
    NoTracefs,
    #[error("loading the BPF object: {0}")]
    Load(#[from] aya::EbpfError),
    #[error("BPF program {name}: {source}")]
    Program {
        name: &'static str,
        #[source]
        source: aya::programs::ProgramError,
    },
    #[error("per-syscall fexit programs cannot attach: {0}")]
    Fexit(String),
    #[error("BPF map {name}: {detail}")]
    Map { name: &'static str, detail: String },
    #[error("starting the reader thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Records read from the ring buffer.
    pub read: u64,
    /// Events handed to the consumer.
    pub sent: u64,
    /// Events dropped by the kernel side (ring buffer full), summed over CPUs.
    pub kernel_drops: u64,
    /// Events dropped because the consumer's channel was full.
    pub channel_drops: u64,
    /// Records that could not be decoded.
    pub undecodable: u64,
    /// Events held back while their container's metadata was looked up for the first time.
    pub held: u64,
    /// The longest such hold, in milliseconds.
    pub longest_hold_ms: u64,
}

impl Stats {
    /// All drops.
    pub fn drops(&self) -> u64 {
        self.kernel_drops + self.channel_drops
    }
}

/// A running eBPF source. Dropping it stops the reader and detaches the programs.
pub struct EbpfSource {
    rx: Receiver<Box<SyscallEvent>>,
    recycled: SyncSender<Box<SyscallEvent>>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    drops_map: PerCpuArray<MapData, u64>,
    thread: Option<JoinHandle<()>>,
    hook: SyscallHook,
    selection: select::Selection,
    _bpf: aya::Ebpf,
}

/// Consumed events kept for reuse by the reader (see [`EbpfSource::recycle`]).
const RECYCLED_EVENTS: usize = 4096;

/// The fallback syscall-exit program, a BTF raw tracepoint on every syscall exit (used when no
/// per-syscall fexit program attaches).
const SYSCALL_PROGRAM: (&str, &str) = ("rp_sys_exit", "sys_exit");
/// Prefix of the per-syscall fexit programs: `fx_NAME` attaches to `__x64_sys_NAME`.
const FEXIT_PREFIX: &str = "fx_";
/// Classic tracepoints of the process tree.
const PROGRAMS: [(&str, &str, &str); 3] = [
    ("rp_exec", "sched", "sched_process_exec"),
    ("rp_fork", "sched", "sched_process_fork"),
    ("rp_exit", "sched", "sched_process_exit"),
];

/// Checks root, BTF and tracefs, naming what is missing.
pub fn preflight() -> Result<(), EbpfError> {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if uid != 0 {
        return Err(EbpfError::NotRoot(uid));
    }
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Err(EbpfError::NoBtf);
    }
    let tracefs_ok = [
        "/sys/kernel/tracing/events",
        "/sys/kernel/debug/tracing/events",
    ]
    .iter()
    .any(|p| {
        std::fs::read_dir(p)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    });
    if !tracefs_ok {
        return Err(EbpfError::NoTracefs);
    }
    Ok(())
}

/// How syscalls are hooked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyscallHook {
    /// One fexit program per watched syscall: unwatched syscalls cost nothing.
    Fexit,
    /// The `sys_exit` BTF raw tracepoint: every syscall pays one dispatch and a switch.
    SysExitTracepoint,
    /// No syscall is selected (the rules need none): only the process-tree tracepoints.
    Unhooked,
}

impl std::fmt::Display for SyscallHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SyscallHook::Fexit => "per-syscall fexit programs",
            SyscallHook::SysExitTracepoint => "the sys_exit tracepoint",
            SyscallHook::Unhooked => "none",
        })
    }
}

/// The device of the nsfs mount, for the kernel side's pid-namespace ids (0 when unknown).
fn nsfs_dev() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/pid").map_or(0, |m| m.dev())
}

/// Loads and attaches every `fx_NAME` program to `__x64_sys_NAME`, all or nothing: when one does
/// not load or attach (fexit not permitted, a syscall missing from this kernel) every fexit
/// program is unloaded again and the error is returned, so the caller can use the tracepoint and
/// miss no syscall.
fn attach_fexit(
    bpf: &mut aya::Ebpf,
    btf: &aya::Btf,
    selection: &select::Selection,
) -> Result<usize, String> {
    let mut done: Vec<&mut FExit> = Vec::new();
    let mut error = None;
    for (name, prog) in bpf.programs_mut() {
        let Some(syscall) = name.strip_prefix(FEXIT_PREFIX) else {
            continue;
        };
        if !selection.contains(syscall) {
            continue;
        }
        let function = format!("__x64_sys_{syscall}");
        let fexit = match <&mut FExit>::try_from(prog) {
            Ok(p) => p,
            Err(e) => {
                error = Some(format!("{name}: {e}"));
                break;
            }
        };
        match fexit.load(&function, btf).and_then(|()| fexit.attach()) {
            Ok(_) => done.push(fexit),
            Err(e) => {
                // unload this one too: it may have loaded before its attach failed
                let _ = fexit.unload();
                let mut why = format!("{function}: {e}");
                if why.contains("Operation not permitted") {
                    why.push_str(
                        " (the kernel's lockdown or an LSM policy forbids fentry/fexit here)",
                    );
                }
                error = Some(why);
                break;
            }
        }
    }
    match error {
        None if done.is_empty() => Err("no fexit program in the object".into()),
        None => Ok(done.len()),
        Some(e) => {
            for p in done {
                let _ = p.unload();
            }
            Err(e)
        }
    }
}

impl EbpfSource {
    /// Loads and attaches the programs and starts the reader thread.
    pub fn start(opts: Options) -> Result<EbpfSource, EbpfError> {
        preflight()?;
        let selection = match &opts.event_types {
            Some(types) => select::Selection::for_event_types(types.iter().map(String::as_str)),
            None => select::Selection::all(),
        };
        let mut bpf = aya::EbpfLoader::new()
            .override_global("READ_ENV", &u8::from(opts.read_env), true)
            .override_global("SELECTED", &selection.bits(), true)
            .override_global("NSFS_DEV", &nsfs_dev(), true)
            .load(BPF_OBJECT)?;
        let btf = aya::Btf::from_sys_fs().map_err(|_| EbpfError::NoBtf)?;
        let fexit = match opts.hook {
            _ if selection.is_empty() => Ok(0),
            HookChoice::Tracepoint => Err("the tracepoint was asked for".to_string()),
            HookChoice::Auto | HookChoice::Fexit => attach_fexit(&mut bpf, &btf, &selection),
        };
        let hook = match fexit {
            Ok(_) if selection.is_empty() => SyscallHook::Unhooked,
            Ok(_) => SyscallHook::Fexit,
            Err(why) if opts.hook == HookChoice::Fexit => return Err(EbpfError::Fexit(why)),
            Err(why) => {
                if opts.hook == HookChoice::Auto {
                    eprintln!(
                        "rampart: ebpf: per-syscall fexit programs not used ({why}); hooking syscalls at the sys_exit tracepoint"
                    );
                }
                let (name, tp) = SYSCALL_PROGRAM;
                let prog = bpf.program_mut(name).ok_or(EbpfError::Map {
                    name,
                    detail: "program missing from the object".into(),
                })?;
                let tp_prog: &mut BtfTracePoint = prog
                    .try_into()
                    .map_err(|source| EbpfError::Program { name, source })?;
                tp_prog
                    .load(tp, &btf)
                    .map_err(|source| EbpfError::Program { name, source })?;
                tp_prog
                    .attach()
                    .map_err(|source| EbpfError::Program { name, source })?;
                SyscallHook::SysExitTracepoint
            }
        };
        for (name, category, tp) in PROGRAMS.iter() {
            let prog = bpf.program_mut(name).ok_or(EbpfError::Map {
                name,
                detail: "program missing from the object".into(),
            })?;
            let tp_prog: &mut TracePoint = prog
                .try_into()
                .map_err(|source| EbpfError::Program { name, source })?;
            tp_prog
                .load()
                .map_err(|source| EbpfError::Program { name, source })?;
            tp_prog
                .attach(category, tp)
                .map_err(|source| EbpfError::Program { name, source })?;
        }
        let map_err = |name: &'static str, detail: String| EbpfError::Map { name, detail };
        let ring_map = bpf
            .take_map("events")
            .ok_or_else(|| map_err("events", "missing".into()))?;
        let ring = RingBuf::try_from(ring_map).map_err(|e| map_err("events", e.to_string()))?;
        let drops_raw = bpf
            .take_map("drops")
            .ok_or_else(|| map_err("drops", "missing".into()))?;
        let drops_map: PerCpuArray<MapData, u64> =
            PerCpuArray::try_from(drops_raw).map_err(|e| map_err("drops", e.to_string()))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(opts.channel.max(1));
        let (recycled, pool) = std::sync::mpsc::sync_channel(RECYCLED_EVENTS);
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let me = if opts.ignore_self {
            std::process::id()
        } else {
            0
        };
        let thread = {
            let (counters, stop) = (counters.clone(), stop.clone());
            let config = reader::Config {
                me,
                cri_socket: opts.cri_socket.clone(),
                read_env: opts.read_env,
            };
            std::thread::Builder::new()
                .name("rampart-ebpf".into())
                .spawn(move || reader::run(ring, tx, pool, counters, stop, config))
                .map_err(EbpfError::Thread)?
        };
        Ok(EbpfSource {
            rx,
            recycled,
            counters,
            stop,
            drops_map,
            thread: Some(thread),
            hook,
            selection,
            _bpf: bpf,
        })
    }

    /// The events, in order.
    pub fn events(&self) -> &Receiver<Box<SyscallEvent>> {
        &self.rx
    }

    /// How this source hooks syscalls.
    pub fn hook(&self) -> SyscallHook {
        self.hook
    }

    /// The watched syscalls the kernel side reports (see [`select`]), in the BPF object's order.
    pub fn reported_syscalls(&self) -> Vec<&'static str> {
        select::WATCHED
            .iter()
            .copied()
            .filter(|s| self.selection.contains(s))
            .collect()
    }

    /// Hands a consumed event back so the reader refills it instead of allocating a new one (the
    /// event's strings and vectors keep their capacity). Never blocks: when the pool is full the
    /// event is dropped.
    pub fn recycle(&self, ev: Box<SyscallEvent>) {
        let _ = self.recycled.try_send(ev);
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        let (held, longest_hold) = self.counters.holds();
        let kernel_drops = self
            .drops_map
            .get(&0, 0)
            .map(|v| v.iter().sum())
            .unwrap_or(0);
        Stats {
            read: self.counters.read.load(Ordering::Relaxed),
            sent: self.counters.sent.load(Ordering::Relaxed),
            kernel_drops,
            channel_drops: self.counters.channel_drops.load(Ordering::Relaxed),
            undecodable: self.counters.undecodable.load(Ordering::Relaxed),
            held,
            longest_hold_ms: longest_hold.as_millis() as u64,
        }
    }

    /// Stops the reader thread (also done on drop).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for EbpfSource {
    fn drop(&mut self) {
        self.stop();
    }
}
