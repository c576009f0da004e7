//! Decoder for Rampart's recorded syscall events: JSON lines of
//! [`SyscallEvent`] (format documented there).

use super::{DecodeStats, SourceError};
use crate::fields::syscall::{Ancestor, SyscallEvent};
use crate::hash::FastMap;
use std::io::{BufRead, BufReader, Read, Write};

/// Longest line accepted, in bytes.
pub const MAX_LINE: usize = 4 << 20;

/// Decodes recorded events from `input`, calling `f` for each (already prepared). The process
/// context a [`Recorder`] left out of a line (`same_process`) is put back.
pub fn decode(
    input: impl Read,
    mut f: impl FnMut(SyscallEvent),
) -> Result<DecodeStats, SourceError> {
    let mut stats = DecodeStats::default();
    let mut contexts = Contexts::default();
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|source| SourceError::Io {
                what: "syscall events".into(),
                source,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            stats.problem(format!("line {n}: longer than {MAX_LINE} bytes"));
            // skip the rest of the oversized line
            let mut sink = Vec::new();
            let _ = reader.read_until(b'\n', &mut sink);
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<SyscallEvent>(&line) {
            Ok(mut ev) => {
                contexts.restore(&mut ev);
                ev.prepare();
                stats.events += 1;
                f(ev);
            }
            Err(e) => stats.problem(format!("line {n}: {e}")),
        }
    }
    Ok(stats)
}

/// Writes one event as a JSON line, whole (a [`Recorder`] leaves out repeated process contexts).
pub fn encode(ev: &SyscallEvent) -> String {
    serde_json::to_string(ev).unwrap_or_default()
}

/// Processes tracked at most by a [`Recorder`] or by [`decode`]; past it, or past
/// [`MAX_CONTEXT_BYTES`], they start over (the recorder then writes each process's context again,
/// so nothing is lost: both sides keep the same contexts in the same order).
const MAX_TRACKED: usize = 1 << 16;

/// Bytes of process context a [`Recorder`] or [`decode`] keeps at most.
const MAX_CONTEXT_BYTES: usize = 32 << 20;

/// What stays the same across a process's events and makes most of a recorded line: its
/// environment, capability sets and ancestors.
#[derive(Debug, Clone, Default, PartialEq)]
struct ProcessContext {
    env: Vec<String>,
    cap_permitted: String,
    cap_effective: String,
    cap_inheritable: String,
    ancestors: Vec<Ancestor>,
}

impl ProcessContext {
    fn of(ev: &SyscallEvent) -> ProcessContext {
        let p = &ev.proc;
        ProcessContext {
            env: p.env.clone(),
            cap_permitted: p.cap_permitted.clone(),
            cap_effective: p.cap_effective.clone(),
            cap_inheritable: p.cap_inheritable.clone(),
            ancestors: ev.ancestors.clone(),
        }
    }

    fn is_of(&self, ev: &SyscallEvent) -> bool {
        let p = &ev.proc;
        self.env == p.env
            && self.cap_permitted == p.cap_permitted
            && self.cap_effective == p.cap_effective
            && self.cap_inheritable == p.cap_inheritable
            && self.ancestors == ev.ancestors
    }

    /// Moves the context out of `ev`.
    fn take(ev: &mut SyscallEvent) -> ProcessContext {
        let p = &mut ev.proc;
        ProcessContext {
            env: std::mem::take(&mut p.env),
            cap_permitted: std::mem::take(&mut p.cap_permitted),
            cap_effective: std::mem::take(&mut p.cap_effective),
            cap_inheritable: std::mem::take(&mut p.cap_inheritable),
            ancestors: std::mem::take(&mut ev.ancestors),
        }
    }

    /// Moves the context into `ev`.
    fn put(self, ev: &mut SyscallEvent) {
        let p = &mut ev.proc;
        p.env = self.env;
        p.cap_permitted = self.cap_permitted;
        p.cap_effective = self.cap_effective;
        p.cap_inheritable = self.cap_inheritable;
        ev.ancestors = self.ancestors;
    }

    fn bytes(&self) -> usize {
        let strings = |v: &[String]| v.iter().map(|s| s.len() + 24).sum::<usize>();
        strings(&self.env)
            + self.cap_permitted.len()
            + self.cap_effective.len()
            + self.cap_inheritable.len()
            + self
                .ancestors
                .iter()
                .map(|a| a.name.len() + a.exe.len() + a.exepath.len() + strings(&a.args) + 96)
                .sum::<usize>()
    }
}

/// The last context of each process of a recording, as written (by a [`Recorder`]) or read (by
/// [`decode`]); both sides store the same contexts in the same order, so they forget the same.
#[derive(Default)]
struct Contexts {
    /// pid → (`proc.start_ts`, context): a reused pid is another process.
    by_pid: FastMap<i64, (i64, ProcessContext)>,
    bytes: usize,
}

impl Contexts {
    fn get(&self, ev: &SyscallEvent) -> Option<&ProcessContext> {
        self.by_pid
            .get(&ev.proc.pid)
            .filter(|(start, _)| *start == ev.proc.start_ts)
            .map(|(_, c)| c)
    }

    fn store(&mut self, ev: &SyscallEvent) {
        let context = ProcessContext::of(ev);
        if self.by_pid.len() >= MAX_TRACKED || self.bytes + context.bytes() > MAX_CONTEXT_BYTES {
            self.by_pid.clear();
            self.bytes = 0;
        }
        self.bytes += context.bytes();
        if let Some((_, old)) = self.by_pid.insert(ev.proc.pid, (ev.proc.start_ts, context)) {
            self.bytes = self.bytes.saturating_sub(old.bytes());
        }
    }

    /// Forgets a process at its exit.
    fn exited(&mut self, ev: &SyscallEvent) {
        if ev.evt_type == "procexit"
            && let Some((_, old)) = self.by_pid.remove(&ev.proc.pid)
        {
            self.bytes = self.bytes.saturating_sub(old.bytes());
        }
    }

    /// Decoding: puts back the context a [`Recorder`] left out, or remembers the one written.
    fn restore(&mut self, ev: &mut SyscallEvent) {
        if ev.same_process {
            if let Some(c) = self.get(ev) {
                c.clone().put(ev);
            }
            ev.same_process = false;
        } else {
            self.store(ev);
        }
        self.exited(ev);
    }
}

/// Writes events as recorded-event JSON lines (what `run --record` writes and `replay --source
/// syscall` reads). A process's environment, capability sets and ancestors — most of a line, and
/// the same on every event of the process — are written when they change and left out otherwise
/// (`"same_process": true`); [`decode`] puts them back.
pub struct Recorder<W: Write> {
    out: W,
    written: u64,
    contexts: Contexts,
}

impl<W: Write> Recorder<W> {
    /// Records into `out` (wrap files in a `BufWriter`).
    pub fn new(out: W) -> Self {
        Recorder {
            out,
            written: 0,
            contexts: Contexts::default(),
        }
    }

    /// Writes one event (`ev` is left as it was).
    pub fn write(&mut self, ev: &mut SyscallEvent) -> std::io::Result<()> {
        let line = if self.contexts.get(ev).is_some_and(|c| c.is_of(ev)) {
            let context = ProcessContext::take(ev);
            ev.same_process = true;
            let line = encode(ev);
            ev.same_process = false;
            context.put(ev);
            line
        } else {
            self.contexts.store(ev);
            encode(ev)
        };
        self.contexts.exited(ev);
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// Events written.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes the writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ty: &str, pid: i64, start: i64, env: &[&str], parent: &str) -> SyscallEvent {
        let mut ev = SyscallEvent {
            evt_type: ty.into(),
            ..Default::default()
        };
        ev.proc.pid = pid;
        ev.proc.start_ts = start;
        ev.proc.env = env.iter().map(|s| s.to_string()).collect();
        ev.proc.cap_effective = "CAP_CHOWN CAP_KILL".into();
        ev.ancestors = vec![Ancestor {
            pid: 1,
            name: parent.into(),
            ..Default::default()
        }];
        ev.prepare();
        ev
    }

    #[test]
    fn process_contexts_are_written_when_they_change_and_restored_on_replay() {
        let home = ["HOME=/root", "TOKEN=s3cr3t"];
        let mut events = vec![
            event("openat", 7, 100, &home, "bash"),
            event("openat", 7, 100, &home, "bash"),
            event("execve", 7, 100, &["PATH=/bin"], "bash"),
            event("connect", 7, 100, &["PATH=/bin"], "bash"),
            // reparented to init
            event("connect", 7, 100, &["PATH=/bin"], "systemd"),
            event("procexit", 7, 100, &["PATH=/bin"], "systemd"),
            // the pid reused by a process with no environment
            event("openat", 7, 200, &[], "sh"),
            event("openat", 7, 200, &[], "sh"),
            event("openat", 8, 300, &home, "bash"),
        ];
        let mut rec = Recorder::new(Vec::new());
        for ev in &mut events {
            rec.write(ev).expect("written");
        }
        assert_eq!(rec.written(), 9);
        let text = String::from_utf8(rec.out).expect("utf-8");
        let same: Vec<bool> = text
            .lines()
            .map(|l| l.contains("\"same_process\":true"))
            .collect();
        assert_eq!(
            same,
            [false, true, false, true, false, true, false, true, false],
            "{text}"
        );
        for l in text.lines().filter(|l| l.contains("same_process")) {
            assert!(!l.contains("TOKEN") && !l.contains("CAP_CHOWN"), "{l}");
        }
        // the recorder gave every event its context back
        assert_eq!(events[1].proc.env, home);
        assert_eq!(events[1].ancestors[0].name, "bash");

        let mut replayed = Vec::new();
        decode(text.as_bytes(), |ev| replayed.push(ev)).expect("decodes");
        assert_eq!(replayed, events);
    }
}
