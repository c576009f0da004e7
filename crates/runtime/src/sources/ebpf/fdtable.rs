//! Per-process socket descriptors, so `dup`/`dup2`/`dup3` events carry the socket they duplicate
//! (`fd.type`, `fd.sip`, `fd.rport`… — what reverse-shell rules test). Filled by successful
//! `socket`, `connect`, `accept` and `sendto`/`sendmsg`, copied to the child on fork, dropped at
//! process exit. `close` is not watched, so an entry can outlive its descriptor; a dup* event
//! carries what the kernel found behind the duplicated descriptor, and the decoder corrects or
//! removes a stale entry with it before the dup is applied.

use crate::fields::syscall::Fd;
use std::collections::HashMap;

/// Processes with tracked sockets at most (the table is cleared when full).
const MAX_PROCS: usize = 65_536;
/// Sockets tracked per process at most.
const MAX_PER_PROC: usize = 1024;

/// The table.
#[derive(Debug, Default)]
pub struct FdTable {
    map: HashMap<u32, HashMap<i64, Fd>>,
}

impl FdTable {
    /// Records that `pid`'s descriptor `num` is `fd`.
    pub fn set(&mut self, pid: u32, num: i64, fd: &Fd) {
        if self.map.len() >= MAX_PROCS && !self.map.contains_key(&pid) {
            self.map.clear();
        }
        let fds = self.map.entry(pid).or_default();
        if fds.len() >= MAX_PER_PROC && !fds.contains_key(&num) {
            return;
        }
        let mut fd = fd.clone();
        fd.num = num;
        fds.insert(num, fd);
    }

    /// The socket behind `pid`'s descriptor `num`.
    pub fn get(&self, pid: u32, num: i64) -> Option<&Fd> {
        self.map.get(&pid)?.get(&num)
    }

    /// Forgets `pid`'s descriptor `num`.
    pub fn remove(&mut self, pid: u32, num: i64) {
        if let Some(fds) = self.map.get_mut(&pid) {
            fds.remove(&num);
        }
    }

    /// `dup2(old, new)`: `new` now names what `old` did (or nothing we know of).
    pub fn dup(&mut self, pid: u32, old: i64, new: i64) {
        match self.get(pid, old).cloned() {
            Some(fd) => self.set(pid, new, &fd),
            None => {
                if let Some(fds) = self.map.get_mut(&pid) {
                    fds.remove(&new);
                }
            }
        }
    }

    /// A forked child inherits its parent's descriptors.
    pub fn fork(&mut self, parent: u32, child: u32) {
        if let Some(fds) = self.map.get(&parent).cloned() {
            if self.map.len() >= MAX_PROCS {
                self.map.clear();
            }
            self.map.insert(child, fds);
        }
    }

    /// Forgets a process.
    pub fn exit(&mut self, pid: u32) {
        self.map.remove(&pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dup_fork_exit() {
        let mut t = FdTable::default();
        let sock = Fd {
            kind: "ipv4".into(),
            sip: "127.0.0.1".into(),
            sport: 4444,
            ..Fd::default()
        };
        t.set(10, 3, &sock);
        t.fork(10, 11);
        t.dup(11, 3, 1);
        assert_eq!(t.get(11, 1).map(|f| (f.num, f.sport)), Some((1, 4444)));
        t.dup(11, 7, 1);
        assert!(t.get(11, 1).is_none());
        t.remove(11, 3);
        assert!(t.get(11, 3).is_none() && t.get(10, 3).is_some());
        t.exit(10);
        assert!(t.get(10, 3).is_none());
    }
}
