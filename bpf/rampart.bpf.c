// SPDX-License-Identifier: GPL-2.0
// Rampart syscall event source: one fexit program per watched syscall (arguments from the user
// registers saved at entry, strings read at exit; unwatched syscalls cost nothing), a BTF raw
// tracepoint at syscall exit as the fallback where fexit cannot attach, plus
// sched_process_exec/fork/exit for the process tree. A record is built in a per-CPU scratch
// buffer and only its filled bytes are copied to the ring buffer, without wakeups (user space
// polls); a full ring increments a per-CPU drop counter and never blocks.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rampart.h"

char LICENSE[] SEC("license") = "GPL";

// Set by user space when it loads the object (`Options::read_env`): 0 when no loaded rule uses
// `proc.env`, so exec records carry no environment — it may hold secrets, and copying it costs.
volatile const __u8 READ_ENV = 1;

// Device of the nsfs mount (`stat -L /proc/self/ns/pid`: st_dev), set by user space at load, for
// `bpf_get_ns_current_pid_tgid`; 0 leaves `vpid`/`vtid` unknown.
volatile const __u64 NSFS_DEV = 0;

// The watched syscalls reported, one bit per syscall number (bit nr % 64 of word nr / 64). Set by
// user space at load (`Options::event_types`) to what the loaded rules and the descriptor table
// need, like Falco's adaptive syscall selection: the others return at once.
volatile const __u64 SELECTED[8] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL };

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

// The record being built, per CPU. Tracepoint programs run with preemption off, so one program
// at a time uses a CPU's buffer; an fexit program can be preempted (migration stays off), and
// `owner` detects another task having used the buffer meanwhile: that record is counted as a drop.
struct scratch {
	__u64 owner;
	struct event e;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline int watched(__u64 id)
{
	switch (id) {
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
	case NR_connect: case NR_accept: case NR_accept4: case NR_bind: case NR_listen:
	case NR_sendto: case NR_sendmsg:
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

static __always_inline int selected(__u64 id)
{
	return id < 512 && (SELECTED[id >> 6] >> (id & 63)) & 1;
}

static __always_inline void count_drop(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&drops, &k);
	if (v)
		*v += 1;
}

// This CPU's record buffer, claimed for the current task.
static __always_inline struct event *claim(void)
{
	__u32 k = 0;
	struct scratch *sc = bpf_map_lookup_elem(&scratch, &k);
	if (!sc)
		return NULL;
	sc->owner = bpf_get_current_pid_tgid();
	return &sc->e;
}

// Copies the filled part of `e` (header, strings, environment) to the ring buffer.
static __always_inline void send(struct event *e)
{
	struct scratch *sc = (void *)e - __builtin_offsetof(struct scratch, e);
	if (sc->owner != bpf_get_current_pid_tgid()) {
		count_drop(); // another task built its record here meanwhile
		return;
	}
	__u64 n1 = e->s1_len, n2 = e->s2_len, n3 = e->env_len;
	if (n1 > STR_MAX)
		n1 = STR_MAX;
	if (n2 > STR_MAX)
		n2 = STR_MAX;
	if (n3 > ENV_MAX)
		n3 = ENV_MAX;
	__u64 size = HDR_SIZE + n1 + n2 + n3;
	if (size > sizeof(*e))
		size = sizeof(*e);
	if (bpf_ringbuf_output(&events, e, size, BPF_RB_NO_WAKEUP))
		count_drop();
}

// Where the second string goes: right after the first.
static __always_inline char *s2_of(struct event *e)
{
	// s1_len <= STR_MAX: the mask changes nothing but bounds the offset for the verifier
	return e->data + (e->s1_len & (2 * STR_MAX - 1));
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
	// pid and tid as the task's pid namespace sees them; the namespace is the one its children
	// get, which is its own unless it unshared CLONE_NEWPID without forking (then the helper
	// refuses and they stay 0)
	e->vpid = 0;
	e->vtid = 0;
	if (NSFS_DEV) {
		struct bpf_pidns_info ns = {};
		unsigned int inum = task->nsproxy->pid_ns_for_children->ns.inum;
		if (bpf_get_ns_current_pid_tgid(NSFS_DEV, inum, &ns, sizeof(ns)) == 0) {
			e->vpid = ns.tgid;
			e->vtid = ns.pid;
		}
	}
	e->s1_len = 0;
	e->s2_len = 0;
	e->env_len = 0;
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

// The socket behind descriptor `fd` of the current process: task->files->fdt->fd[fd] (bounded by
// max_fds)->private_data as a struct socket (checked: its `file` points back) -> sk. Probe reads
// only: nothing here waits, and a descriptor closed or replaced meanwhile gives NULL (or the new
// socket).
static __always_inline struct sock *sock_of_fd(long fd)
{
	if (fd < 0)
		return NULL;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return NULL;
	unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max_fds)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return NULL; // not a socket
	return BPF_CORE_READ(sock, sk);
}

// The local address and port of `sk` (with its type, protocol and state) as s1, a struct
// local_sockaddr; for a socket that is not inet s1 stays empty, or with `any_family` holds the
// family, type, protocol and state with no address. Call before s2 is written.
static __always_inline void put_local(struct event *e, struct sock *sk, int any_family)
{
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
	} else if (any_family) {
		la.port = 0;
	} else {
		return;
	}
	la.sk_type = BPF_CORE_READ(sk, sk_type);
	la.sk_protocol = BPF_CORE_READ(sk, sk_protocol);
	la.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	__builtin_memcpy(e->data, &la, sizeof(la));
	e->s1_len = sizeof(la);
}

// The peer address and port of `sk` as s2 in the sockaddr layout (28 bytes, as an address
// argument): for an accept given no address buffer.
static __always_inline void put_peer(struct event *e, struct sock *sk)
{
	if (!sk)
		return;
	struct local_sockaddr pa = {};
	pa.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	pa.port = BPF_CORE_READ(sk, __sk_common.skc_dport); // network order already
	if (pa.family == AF_INET) {
		pa.v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	} else if (pa.family == AF_INET6) {
		if (bpf_core_read(&pa.v6, sizeof(pa.v6), &sk->__sk_common.skc_v6_daddr))
			return;
	} else {
		return;
	}
	__builtin_memcpy(s2_of(e), &pa, 28);
	e->s2_len = 28;
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
	// sendto/sendmsg: only calls naming a destination (sendto's dest_addr, sendmsg's
	// msghdr.msg_name) give an event; the others (the hot path of connected sockets) return here
	void *dest = NULL;
	long dest_len = 0;
	if (id == NR_sendto) {
		dest = (void *)args[4];
		dest_len = (int)args[5];
		if (!dest)
			return 0;
	} else if (id == NR_sendmsg) {
		struct user_msghdr mh = {};
		// msg_name and msg_namelen lead the struct: read only them
		if (!args[1] || bpf_probe_read_user(&mh, 16, (void *)args[1]) || !mh.msg_name)
			return 0;
		dest = mh.msg_name;
		dest_len = mh.msg_namelen;
	}
	struct event *e = claim();
	if (!e)
		return 0;
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
	// s1 first (s2 is packed after it)
	if (i0 >= 0 && i0 < 6) {
		long n = bpf_probe_read_user_str(e->data, STR_MAX, (void *)args[i0]);
		e->s1_len = n > 0 ? n : 0;
	}
	if (i1 >= 0 && i1 < 6) {
		long n = bpf_probe_read_user_str(s2_of(e), STR_MAX, (void *)args[i1]);
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
	// s1: the local end of the socket, read from the kernel: the client of a connect, the server
	// of an accept, the sender of a sendto/sendmsg with a destination, the duplicated descriptor
	// of a dup (any family, so user space knows it is a socket; s1 stays empty for a file)
	int is_dup = id == NR_dup || id == NR_dup2 || id == NR_dup3;
	struct sock *sk = NULL;
	if (dest || (id == NR_connect && (ret == 0 || ret == -EINPROGRESS)) || (is_dup && ret >= 0))
		sk = sock_of_fd((int)args[0]);
	else if ((id == NR_accept || id == NR_accept4) && ret >= 0)
		sk = sock_of_fd(ret);
	put_local(e, sk, is_dup);
	// s2: the address argument (connect: the server; bind: the local address; accept: the peer,
	// written by the kernel; sendto/sendmsg: the destination), up to 28 bytes
	if (id == NR_connect || id == NR_bind || id == NR_accept || id == NR_accept4) {
		void *addr = (void *)args[1];
		if (addr) {
			bpf_probe_read_user(s2_of(e), 28, addr);
			e->s2_len = 28;
		} else if (sk) {
			put_peer(e, sk); // accept without an address buffer: the peer from the socket
		}
	}
	if (is_dup && sk)
		put_peer(e, sk); // s2: the peer of a duplicated inet socket
	if (dest) {
		if (dest_len > 28)
			dest_len = 28;
		if (dest_len > 0 && bpf_probe_read_user(s2_of(e), dest_len & 31, dest) == 0)
			e->s2_len = dest_len;
	}
	send(e);
	return 0;
}

// One fexit program per watched syscall, on the x86-64 syscall entry function
// (`__x64_sys_NAME(const struct pt_regs *regs)`): only watched syscalls pay anything, and the
// syscall fast path stays on for all others. User space attaches the `fx_*` program of every
// selected syscall and falls back to `rp_sys_exit` when the kernel cannot attach fexit programs.
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
WATCH(sendto, NR_sendto)
WATCH(sendmsg, NR_sendmsg)
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
	if (!watched(id) || !selected(id))
		return 0;
	return emit_syscall(regs, id, ret);
}

// Inode time fields of older kernels (CO-RE flavors): `i_ctime`/`i_mtime` (struct timespec64)
// before 6.6/6.7, `__i_ctime`/`__i_mtime` until 6.10; 6.11 and later have `i_ctime_sec` and
// `i_ctime_nsec` (and the same for mtime), as the vmlinux.h here.
struct inode___pre66 {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___pre611 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

#define NSEC(sec, nsec) ((__u64)(sec) * 1000000000ULL + (__u64)(nsec))

static __always_inline __u64 inode_ctime(struct inode *ino)
{
	if (bpf_core_field_exists(ino->i_ctime_sec))
		return NSEC(BPF_CORE_READ(ino, i_ctime_sec), BPF_CORE_READ(ino, i_ctime_nsec));
	struct inode___pre611 *mid = (void *)ino;
	if (bpf_core_field_exists(mid->__i_ctime))
		return NSEC(BPF_CORE_READ(mid, __i_ctime.tv_sec), BPF_CORE_READ(mid, __i_ctime.tv_nsec));
	struct inode___pre66 *old = (void *)ino;
	if (bpf_core_field_exists(old->i_ctime))
		return NSEC(BPF_CORE_READ(old, i_ctime.tv_sec), BPF_CORE_READ(old, i_ctime.tv_nsec));
	return 0;
}

static __always_inline __u64 inode_mtime(struct inode *ino)
{
	if (bpf_core_field_exists(ino->i_mtime_sec))
		return NSEC(BPF_CORE_READ(ino, i_mtime_sec), BPF_CORE_READ(ino, i_mtime_nsec));
	struct inode___pre611 *mid = (void *)ino;
	if (bpf_core_field_exists(mid->__i_mtime))
		return NSEC(BPF_CORE_READ(mid, __i_mtime.tv_sec), BPF_CORE_READ(mid, __i_mtime.tv_nsec));
	struct inode___pre66 *old = (void *)ino;
	if (bpf_core_field_exists(old->i_mtime))
		return NSEC(BPF_CORE_READ(old, i_mtime.tv_sec), BPF_CORE_READ(old, i_mtime.tv_nsec));
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int rp_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct event *e = claim();
	if (!e)
		return 0;
	fill_header(e, KIND_EXEC, NR_execve);
	e->ret = 0;
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->data, STR_MAX, (void *)ctx + off);
	e->s1_len = n > 0 ? n : 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	unsigned long len = end - start;
	e->args[0] = len;
	if (len > STR_MAX)
		len = STR_MAX;
	if (len > 0 && bpf_probe_read_user(s2_of(e), len, (void *)start) == 0)
		e->s2_len = len;
	// the environment, as argv (the kernel copied both onto the new stack: the pages are there)
	e->args[1] = 0;
	if (READ_ENV) {
		start = BPF_CORE_READ(mm, env_start);
		end = BPF_CORE_READ(mm, env_end);
		len = end - start;
		e->args[1] = len;
		if (len > ENV_MAX)
			len = ENV_MAX;
		// after both strings (each at most STR_MAX)
		// s1_len + s2_len <= 2 * STR_MAX: the mask only bounds the offset for the verifier
		__u32 off = (e->s1_len + e->s2_len) & (4 * STR_MAX - 1);
		if (len > 0 && bpf_probe_read_user(e->data + off, len, (void *)start) == 0)
			e->env_len = len;
	}
	// the executable's inode: number, ctime and mtime
	struct inode *ino = BPF_CORE_READ(mm, exe_file, f_inode);
	e->args[2] = 0;
	e->args[3] = 0;
	e->args[4] = 0;
	if (ino) {
		e->args[2] = BPF_CORE_READ(ino, i_ino);
		e->args[3] = inode_ctime(ino);
		e->args[4] = inode_mtime(ino);
	}
	// start of the init process of the pid namespace the process's children get (the one it
	// runs in, unless it unshared CLONE_NEWPID without forking)
	struct pid_namespace *ns = BPF_CORE_READ(task, nsproxy, pid_ns_for_children);
	struct task_struct *reaper = ns ? BPF_CORE_READ(ns, child_reaper) : NULL;
	e->args[5] = reaper ? BPF_CORE_READ(reaper, start_boottime) : 0;
	send(e);
	return 0;
}

SEC("tracepoint/sched/sched_process_fork")
int rp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct event *e = claim();
	if (!e)
		return 0;
	fill_header(e, KIND_FORK, NR_clone);
	e->ret = ctx->child_pid;
	e->args[0] = ctx->child_pid;
	send(e);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int rp_exit(struct trace_event_raw_sched_process_template *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((pid_tgid >> 32) != (__u32)pid_tgid)
		return 0; // threads: only the group leader ends the process
	struct event *e = claim();
	if (!e)
		return 0;
	fill_header(e, KIND_EXIT, NR_exit_group);
	e->ret = 0;
	send(e);
	return 0;
}
