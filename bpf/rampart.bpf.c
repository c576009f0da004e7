// SPDX-License-Identifier: GPL-2.0
// Rampart syscall event source: one fexit program per watched syscall (arguments from the user
// registers saved at entry, strings read at exit; unwatched syscalls cost nothing), a BTF raw
// tracepoint at syscall exit as the fallback where fexit cannot attach, plus
// sched_process_exec/fork/exit for the process tree. Events go to a ring buffer without wakeups
// (user space polls); a reserve that fails increments a per-CPU drop counter and never blocks.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rampart.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline int watched(__u64 id)
{
	switch (id) {
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
	case NR_connect: case NR_accept: case NR_accept4: case NR_bind: case NR_listen:
	case NR_ptrace: case NR_setuid: case NR_setgid: case NR_setresuid: case NR_setresgid:
	case NR_mount: case NR_unlink: case NR_unlinkat: case NR_rename: case NR_renameat:
	case NR_renameat2: case NR_chmod: case NR_fchmodat: case NR_chown: case NR_fchownat:
	case NR_memfd_create: case NR_init_module: case NR_finit_module: case NR_bpf:
	case NR_kill: case NR_symlink: case NR_symlinkat: case NR_dup2: case NR_dup3:
	case NR_execve: case NR_execveat: case NR_truncate: case NR_ftruncate: case NR_link: case NR_linkat:
	case NR_socket: case NR_dup: case NR_fchmod: case NR_mkdir: case NR_mkdirat: case NR_rmdir:
	case NR_setns: case NR_unshare: case NR_userfaultfd:
		return 1;
	}
	return 0;
}

static __always_inline void count_drop(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&drops, &k);
	if (v)
		*v += 1;
}

static __always_inline void fill_header(struct event *e, __u32 kind, __s64 nr)
{
	// A trusted BTF pointer: fields are loaded directly (no probe-read helper calls).
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 ugid = bpf_get_current_uid_gid();
	e->kind = kind;
	e->nr = nr;
	e->ts = bpf_ktime_get_boot_ns();
	e->tgid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->loginuid = task->loginuid.val;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->sid = 0; // pid->numbers[] is a flexible array aya 0.14 cannot relocate
	struct tty_struct *tty = task->signal->tty;
	e->tty = 0;
	if (tty) {
		int major = tty->driver->major;
		int minor = tty->driver->minor_start + tty->index;
		e->tty = (major << 20) | minor;
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	const struct cred *cred = task->cred;
	e->cap_effective = cred->cap_effective.val;
	e->cap_permitted = cred->cap_permitted.val;
	e->cap_inheritable = cred->cap_inheritable.val;
	e->s1[0] = 0;
	e->s2[0] = 0;
	e->s1_len = 0;
	e->s2_len = 0;
}

static __always_inline int str_arg_index(__u64 id, int which)
{
	// Index of the first (which=0) / second (which=1) user string argument, or -1.
	switch (id) {
	case NR_open: case NR_creat: case NR_unlink: case NR_chmod: case NR_chown:
	case NR_memfd_create: case NR_truncate: case NR_mkdir: case NR_rmdir:
		return which == 0 ? 0 : -1;
	case NR_openat: case NR_openat2: case NR_unlinkat: case NR_fchmodat: case NR_fchownat:
	case NR_mkdirat:
		return which == 0 ? 1 : -1;
	case NR_rename: case NR_symlink: case NR_link:
		return which == 0 ? 0 : 1;
	case NR_renameat: case NR_renameat2: case NR_linkat:
		return which == 0 ? 1 : 3;
	case NR_symlinkat:
		return which == 0 ? 0 : 2;
	case NR_mount:
		return which == 0 ? 0 : 1;
	case NR_init_module:
		return which == 0 ? 2 : -1;
	case NR_finit_module:
		return which == 0 ? 1 : -1;
	}
	return -1;
}

#define AF_INET 2
#define AF_INET6 10
#define EINPROGRESS 115

// The local address and port of the socket behind descriptor `fd` of the current process into
// e->s1 (a struct local_sockaddr): task->files->fdt->fd[fd] (bounded by max_fds)->private_data as
// a struct socket (checked: its `file` points back) -> sk. Probe reads only: nothing here waits,
// and a descriptor closed or replaced meanwhile leaves s1 empty (or names the new socket).
static __always_inline void local_sockaddr(struct event *e, long fd)
{
	if (fd < 0)
		return;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return;
	unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max_fds)
		return;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return; // not a socket
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	struct local_sockaddr la = {};
	la.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	la.port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
	if (la.family == AF_INET) {
		la.v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	} else if (la.family == AF_INET6) {
		if (bpf_core_read(&la.v6, sizeof(la.v6), &sk->__sk_common.skc_v6_rcv_saddr))
			return;
	} else {
		return;
	}
	__builtin_memcpy(e->s1, &la, sizeof(la));
	e->s1_len = sizeof(la);
}

// Emits the event of watched syscall `id` that returned `ret`, with its arguments from the user
// registers saved at entry (di, si, dx, r10, r8, r9), which the kernel leaves intact for every
// watched syscall (a successful execve replaces them, and is reported by sched_process_exec
// instead). String arguments and accept's peer address are read here, after the kernel wrote them,
// and the local address of a connected or accepted socket from its struct sock.
static __always_inline int emit_syscall(struct pt_regs *regs, __u64 id, long ret)
{
	if ((id == NR_execve || id == NR_execveat) && ret == 0)
		return 0; // successful execs are reported by sched_process_exec
	__u64 args[6];
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_header(e, KIND_SYSCALL, id);
	e->ret = ret;
	#pragma unroll
	for (int i = 0; i < 6; i++)
		e->args[i] = args[i];
	int i0 = str_arg_index(id, 0);
	int i1 = str_arg_index(id, 1);
	if (id == NR_execve)
		i0 = 0;
	if (id == NR_execveat)
		i0 = 1;
	if (i0 >= 0 && i0 < 6) {
		long n = bpf_probe_read_user_str(e->s1, sizeof(e->s1), (void *)args[i0]);
		e->s1_len = n > 0 ? n : 0;
	}
	if (i1 >= 0 && i1 < 6) {
		long n = bpf_probe_read_user_str(e->s2, sizeof(e->s2), (void *)args[i1]);
		e->s2_len = n > 0 ? n : 0;
	}
	if (id == NR_openat2 && args[2]) {
		// struct open_how: flags and mode replace the pointer and size (read like openat's)
		struct open_how how = {};
		if (bpf_probe_read_user(&how, sizeof(how), (void *)args[2]) == 0) {
			e->args[2] = how.flags;
			e->args[3] = how.mode;
		}
	}
	if (id == NR_connect || id == NR_bind || id == NR_accept || id == NR_accept4) {
		// sockaddr (up to 28 bytes) into s2; for accept the peer address is written at exit.
		void *addr = (void *)args[1];
		if (addr) {
			bpf_probe_read_user(e->s2, 28, addr);
			e->s2_len = 28;
		}
	}
	// the local end: the client of a connect, the server of an accept (s1 is unused by them)
	if (id == NR_connect && (ret == 0 || ret == -EINPROGRESS))
		local_sockaddr(e, (int)args[0]);
	else if ((id == NR_accept || id == NR_accept4) && ret >= 0)
		local_sockaddr(e, ret);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

// One fexit program per watched syscall, on the x86-64 syscall entry function
// (`__x64_sys_NAME(const struct pt_regs *regs)`): only watched syscalls pay anything, and the
// syscall fast path stays on for all others. User space attaches every `fx_*` program it finds
// and falls back to `rp_sys_exit` when the kernel cannot attach fexit programs.
#define WATCH(name, nr) \
	SEC("fexit/__x64_sys_" #name) \
	int BPF_PROG(fx_##name, struct pt_regs *regs, long ret) { return emit_syscall(regs, nr, ret); }

WATCH(open, NR_open)
WATCH(openat, NR_openat)
WATCH(openat2, NR_openat2)
WATCH(creat, NR_creat)
WATCH(connect, NR_connect)
WATCH(accept, NR_accept)
WATCH(accept4, NR_accept4)
WATCH(bind, NR_bind)
WATCH(listen, NR_listen)
WATCH(ptrace, NR_ptrace)
WATCH(setuid, NR_setuid)
WATCH(setgid, NR_setgid)
WATCH(setresuid, NR_setresuid)
WATCH(setresgid, NR_setresgid)
WATCH(mount, NR_mount)
WATCH(unlink, NR_unlink)
WATCH(unlinkat, NR_unlinkat)
WATCH(rename, NR_rename)
WATCH(renameat, NR_renameat)
WATCH(renameat2, NR_renameat2)
WATCH(chmod, NR_chmod)
WATCH(fchmodat, NR_fchmodat)
WATCH(chown, NR_chown)
WATCH(fchownat, NR_fchownat)
WATCH(memfd_create, NR_memfd_create)
WATCH(init_module, NR_init_module)
WATCH(finit_module, NR_finit_module)
WATCH(bpf, NR_bpf)
WATCH(kill, NR_kill)
WATCH(symlink, NR_symlink)
WATCH(symlinkat, NR_symlinkat)
WATCH(dup2, NR_dup2)
WATCH(dup3, NR_dup3)
WATCH(execve, NR_execve)
WATCH(execveat, NR_execveat)
WATCH(truncate, NR_truncate)
WATCH(ftruncate, NR_ftruncate)
WATCH(link, NR_link)
WATCH(linkat, NR_linkat)
WATCH(socket, NR_socket)
WATCH(dup, NR_dup)
WATCH(fchmod, NR_fchmod)
WATCH(mkdir, NR_mkdir)
WATCH(mkdirat, NR_mkdirat)
WATCH(rmdir, NR_rmdir)
WATCH(setns, NR_setns)
WATCH(unshare, NR_unshare)
WATCH(userfaultfd, NR_userfaultfd)

// The fallback: one BTF raw tracepoint at every syscall exit (the syscall number from orig_ax).
// It puts every task on the syscall slow path, so unwatched syscalls cost one load and a switch.
SEC("tp_btf/sys_exit")
int BPF_PROG(rp_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = regs->orig_ax;
	if (!watched(id))
		return 0;
	return emit_syscall(regs, id, ret);
}

SEC("tracepoint/sched/sched_process_exec")
int rp_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_header(e, KIND_EXEC, NR_execve);
	e->ret = 0;
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->s1, sizeof(e->s1), (void *)ctx + off);
	e->s1_len = n > 0 ? n : 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = end - start;
	e->args[0] = len;
	if (len > sizeof(e->s2))
		len = sizeof(e->s2);
	if (len > 0 && bpf_probe_read_user(e->s2, len, (void *)start) == 0)
		e->s2_len = len;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int rp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_header(e, KIND_FORK, NR_clone);
	e->ret = ctx->child_pid;
	e->args[0] = ctx->child_pid;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int rp_exit(struct trace_event_raw_sched_process_template *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) != (__u32)pid_tgid)
		return 0; // threads: only the group leader ends the process
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_header(e, KIND_EXIT, NR_exit_group);
	e->ret = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
