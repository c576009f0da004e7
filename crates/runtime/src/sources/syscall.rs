//! Decoder for Rampart's recorded syscall events: JSON lines of
//! [`SyscallEvent`] (format documented there).

use super::{DecodeStats, SourceError};
use crate::fields::syscall::SyscallEvent;
use crate::hash::FastMap;
use std::io::{BufRead, BufReader, Read, Write};

/// Longest line accepted, in bytes.
pub const MAX_LINE: usize = 4 << 20;

/// Decodes recorded events from `input`, calling `f` for each (already prepared). A process's
/// environment, which a [`Recorder`] writes only on the first event of the process and at exec, is
/// given back to the process's later events.
pub fn decode(
    input: impl Read,
    mut f: impl FnMut(SyscallEvent),
) -> Result<DecodeStats, SourceError> {
    let mut stats = DecodeStats::default();
    let mut envs = Environments::default();
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
                envs.restore(&mut ev);
                ev.prepare();
                stats.events += 1;
                f(ev);
            }
            Err(e) => stats.problem(format!("line {n}: {e}")),
        }
    }
    Ok(stats)
}

/// Writes one event as a JSON line, whole (a [`Recorder`] leaves out repeated environments).
pub fn encode(ev: &SyscallEvent) -> String {
    serde_json::to_string(ev).unwrap_or_default()
}

/// True for the events that replace a process's image, and with it its environment.
fn is_exec(ev: &SyscallEvent) -> bool {
    matches!(ev.evt_type.as_str(), "execve" | "execveat")
}

/// Processes tracked at most by a [`Recorder`] or by [`decode`]; past it they start over (the
/// recorder then writes each process's environment again, so nothing is lost).
const MAX_TRACKED: usize = 1 << 16;

/// Writes events as recorded-event JSON lines (what `run --record` writes and `replay --source
/// syscall` reads). A process's environment (`proc.env`, often kilobytes, the same on every event
/// of the process) is written on its first event and on exec only; [`decode`] gives it back to
/// the events in between.
pub struct Recorder<W: Write> {
    out: W,
    written: u64,
    /// Processes whose environment is written: pid → `proc.start_ts` (a reused pid is new).
    seen: FastMap<i64, i64>,
}

impl<W: Write> Recorder<W> {
    /// Records into `out` (wrap files in a `BufWriter`).
    pub fn new(out: W) -> Self {
        Recorder {
            out,
            written: 0,
            seen: FastMap::default(),
        }
    }

    /// Writes one event.
    pub fn write(&mut self, ev: &mut SyscallEvent) -> std::io::Result<()> {
        let (pid, start) = (ev.proc.pid, ev.proc.start_ts);
        let first = self.seen.get(&pid) != Some(&start);
        let line = if first || is_exec(ev) || ev.proc.env.is_empty() {
            if self.seen.len() >= MAX_TRACKED {
                self.seen.clear();
            }
            self.seen.insert(pid, start);
            encode(ev)
        } else {
            let env = std::mem::take(&mut ev.proc.env);
            let line = encode(ev);
            ev.proc.env = env;
            line
        };
        if ev.evt_type == "procexit" {
            self.seen.remove(&pid);
        }
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

/// The environments of the processes of a recording, for the events a [`Recorder`] wrote without.
#[derive(Default)]
struct Environments {
    by_pid: FastMap<i64, (i64, Vec<String>)>,
}

impl Environments {
    /// Remembers the event's environment, or gives it the one its process had.
    fn restore(&mut self, ev: &mut SyscallEvent) {
        let (pid, start) = (ev.proc.pid, ev.proc.start_ts);
        if !ev.proc.env.is_empty() || is_exec(ev) {
            if self.by_pid.len() >= MAX_TRACKED {
                self.by_pid.clear();
            }
            self.by_pid.insert(pid, (start, ev.proc.env.clone()));
        } else if let Some((known_start, env)) = self.by_pid.get(&pid)
            && *known_start == start
        {
            ev.proc.env.clone_from(env);
        }
        if ev.evt_type == "procexit" {
            self.by_pid.remove(&pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ty: &str, pid: i64, start: i64, env: &[&str]) -> SyscallEvent {
        let mut ev = SyscallEvent {
            evt_type: ty.into(),
            ..Default::default()
        };
        ev.proc.pid = pid;
        ev.proc.start_ts = start;
        ev.proc.env = env.iter().map(|s| s.to_string()).collect();
        ev
    }

    #[test]
    fn environments_are_written_once_per_process_and_restored_on_replay() {
        let home = ["HOME=/root", "TOKEN=s3cr3t"];
        let mut events = vec![
            event("openat", 7, 100, &home),
            event("openat", 7, 100, &home),
            event("execve", 7, 100, &["PATH=/bin"]),
            event("connect", 7, 100, &["PATH=/bin"]),
            event("procexit", 7, 100, &["PATH=/bin"]),
            // the pid reused by a process with no environment
            event("openat", 7, 200, &[]),
            event("openat", 8, 300, &home),
        ];
        let mut rec = Recorder::new(Vec::new());
        for ev in &mut events {
            rec.write(ev).expect("written");
        }
        assert_eq!(rec.written(), 7);
        let text = String::from_utf8(rec.out).expect("utf-8");
        let with_env: Vec<bool> = text.lines().map(|l| l.contains("\"env\":[\"")).collect();
        assert_eq!(
            with_env,
            [true, false, true, false, false, false, true],
            "{text}"
        );
        // the recorder gave every event its environment back
        assert_eq!(events[1].proc.env, home);

        let mut replayed = Vec::new();
        decode(text.as_bytes(), |ev| replayed.push(ev.proc.env)).expect("decodes");
        let want: Vec<Vec<String>> = events.iter().map(|e| e.proc.env.clone()).collect();
        assert_eq!(replayed, want);
    }
}
