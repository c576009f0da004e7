//! Which syscalls the kernel side reports: what the loaded rules need, plus what keeps the
//! descriptor table right for them (Falco's adaptive syscall selection). A syscall left out
//! costs nothing with fexit programs (its program is not attached) and one bit test at the
//! `sys_exit` tracepoint.

use super::raw::syscall_name;
use std::collections::BTreeSet;

/// Highest syscall number (exclusive) the BPF side's `SELECTED` bitmap covers.
pub const MAX_SYSCALL: usize = 512;

/// The syscalls the BPF side watches (its `WATCH(name, nr)` programs and `watched()` switch);
/// the others (clone, exit, successful execs) come from the sched tracepoints regardless.
pub const WATCHED: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "connect",
    "accept",
    "accept4",
    "sendto",
    "sendmsg",
    "bind",
    "listen",
    "ptrace",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "mount",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "chmod",
    "fchmodat",
    "chown",
    "fchownat",
    "memfd_create",
    "init_module",
    "finit_module",
    "bpf",
    "kill",
    "symlink",
    "symlinkat",
    "dup2",
    "dup3",
    "execve",
    "execveat",
    "truncate",
    "ftruncate",
    "link",
    "linkat",
    "socket",
    "dup",
    "fchmod",
    "mkdir",
    "mkdirat",
    "rmdir",
    "setns",
    "unshare",
    "userfaultfd",
];

/// Syscalls that put sockets in the descriptor table (`fdtable`).
const FD_PRODUCERS: &[&str] = &[
    "socket", "connect", "accept", "accept4", "sendto", "sendmsg", "dup", "dup2", "dup3",
];

/// Syscalls whose events take `fd.*` from the table (a descriptor argument): when one is
/// reported, every producer is too.
const FD_CONSUMERS: &[&str] = &[
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "sendto",
    "sendmsg",
    "fchmod",
    "ftruncate",
    "dup",
    "dup2",
    "dup3",
];

/// A set of syscall numbers, as the BPF side's `SELECTED` bitmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    bits: [u64; MAX_SYSCALL / 64],
}

impl Selection {
    /// Every syscall.
    pub fn all() -> Selection {
        Selection {
            bits: [u64::MAX; MAX_SYSCALL / 64],
        }
    }

    /// The syscalls of event types `types` (Falco names: `openat`, `connect`…; types that are not
    /// syscalls, like `procexit`, are ignored), plus the descriptor producers when one of them
    /// reads the descriptor table.
    pub fn for_event_types<'a>(types: impl IntoIterator<Item = &'a str>) -> Selection {
        let wanted: BTreeSet<&str> = types.into_iter().collect();
        let mut names: BTreeSet<&str> = wanted.clone();
        if FD_CONSUMERS.iter().any(|c| wanted.contains(c)) {
            names.extend(FD_PRODUCERS);
        }
        let mut sel = Selection {
            bits: [0; MAX_SYSCALL / 64],
        };
        for nr in 0..MAX_SYSCALL {
            let name = syscall_name(nr as i64);
            if names.contains(name) && WATCHED.contains(&name) {
                sel.bits[nr / 64] |= 1 << (nr % 64);
            }
        }
        sel
    }

    /// True when syscall `name` is selected (false for a name that is not a watched syscall).
    pub fn contains(&self, name: &str) -> bool {
        (0..MAX_SYSCALL)
            .find(|&nr| syscall_name(nr as i64) == name)
            .is_some_and(|nr| self.bits[nr / 64] >> (nr % 64) & 1 == 1)
    }

    /// True when no syscall is selected.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }

    /// The bitmap the BPF side reads (bit `nr % 64` of word `nr / 64`).
    pub fn bits(&self) -> [u64; MAX_SYSCALL / 64] {
        self.bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_on_opens_and_execs_select_only_those() {
        // `procexit` comes from a sched tracepoint, whatever the selection
        let sel = Selection::for_event_types(["openat", "execve", "procexit"]);
        assert!(sel.contains("openat") && sel.contains("execve"));
        for name in ["open", "connect", "sendto", "dup2", "unlink", "kill"] {
            assert!(!sel.contains(name), "{name} is not asked for");
        }
    }

    #[test]
    fn a_descriptor_reader_brings_the_producers() {
        let sel = Selection::for_event_types(["sendto"]);
        for name in FD_PRODUCERS.iter().chain(["sendto"].iter()) {
            assert!(sel.contains(name), "{name}");
        }
        assert!(!sel.contains("unlink") && !sel.contains("openat"));
    }

    #[test]
    fn the_watched_list_is_the_bpf_programs() {
        let src = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bpf/rampart.bpf.c"),
        )
        .expect("the BPF source");
        let programs: Vec<&str> = src
            .lines()
            .filter_map(|l| l.strip_prefix("WATCH(")?.split(',').next())
            .collect();
        assert_eq!(programs, WATCHED);
        for name in WATCHED {
            assert_ne!(syscall_name_nr(name), None, "{name} has a number");
        }
    }

    fn syscall_name_nr(name: &str) -> Option<usize> {
        (0..MAX_SYSCALL).find(|&nr| syscall_name(nr as i64) == name)
    }

    #[test]
    fn all_and_unknown_names() {
        assert!(Selection::all().contains("openat"));
        assert!(!Selection::all().contains("no_such_syscall"));
        assert!(Selection::for_event_types(["procexit", "container"]).is_empty());
        assert!(!Selection::all().is_empty());
    }
}
