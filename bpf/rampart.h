// Shared layout of Rampart's BPF events (mirrored in crates/runtime/src/sources/ebpf/raw.rs).
#ifndef RAMPART_H
#define RAMPART_H

#define KIND_SYSCALL 1
#define KIND_EXEC 2
#define KIND_FORK 3
#define KIND_EXIT 4

#define STR_MAX 512
// Environment bytes an exec record carries (after the common record; `struct exec_event`).
#define ENV_MAX 4096

// x86_64 syscall numbers.
#define NR_open 2
#define NR_dup 32
#define NR_dup2 33
#define NR_socket 41
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_bind 49
#define NR_listen 50
#define NR_clone 56
#define NR_execve 59
#define NR_kill 62
#define NR_truncate 76
#define NR_ftruncate 77
#define NR_rename 82
#define NR_mkdir 83
#define NR_rmdir 84
#define NR_creat 85
#define NR_link 86
#define NR_unlink 87
#define NR_symlink 88
#define NR_chmod 90
#define NR_fchmod 91
#define NR_chown 92
#define NR_ptrace 101
#define NR_setuid 105
#define NR_setgid 106
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_mount 165
#define NR_init_module 175
#define NR_exit_group 231
#define NR_openat 257
#define NR_mkdirat 258
#define NR_fchownat 260
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_linkat 265
#define NR_symlinkat 266
#define NR_fchmodat 268
#define NR_unshare 272
#define NR_accept4 288
#define NR_dup3 292
#define NR_setns 308
#define NR_finit_module 313
#define NR_renameat2 316
#define NR_memfd_create 319
#define NR_bpf 321
#define NR_execveat 322
#define NR_userfaultfd 323
#define NR_openat2 437

// Local end of a socket, in the layout of the kernel's sockaddr_in / sockaddr_in6 (family in host
// order, port in network order; IPv4 address at byte 4, IPv6 address at byte 8), followed by the
// socket's type, protocol and state. For connect and accept/accept4 (connect: success or
// EINPROGRESS; accept: success) and for sendto/sendmsg with a destination address, `s1` holds
// one, read from the socket's `struct sock` (skc_rcv_saddr / skc_v6_rcv_saddr, skc_num, sk_type,
// sk_protocol, skc_state) at exit, and `s1_len` is sizeof(struct local_sockaddr); `s2` holds the
// sockaddr argument (connect: the server; accept: the peer, or when accept was given no address
// buffer the peer read from the socket (skc_daddr / skc_v6_daddr, skc_dport) in the same layout;
// sendto/sendmsg: the destination). s1_len stays 0 when the socket could not be read (a non-inet
// family, a closed descriptor).
struct local_sockaddr {
	__u16 family;
	__u16 port;
	__u32 v4; // sockaddr_in6: flowinfo (0)
	__u8 v6[16];
	__u32 scope_id;
	__u16 sk_type;     // SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_RAW 3
	__u16 sk_protocol; // IPPROTO_TCP 6, IPPROTO_UDP 17, ...
	__u8 state;        // skc_state: 1 (TCP_ESTABLISHED) for a connected socket, UDP included
	__u8 _pad[3];
};

// One record: a fixed header, then its strings packed one after the other in `data` (`s1_len`
// bytes of the first string, `s2_len` of the second, and for exec records `env_len` bytes of
// environment), and only the bytes filled are sent: a record is HDR_SIZE + s1_len + s2_len +
// env_len bytes long (an open of a short path ≈ 200 bytes).
struct event {
	__u32 kind;
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 loginuid;
	__u32 sid;
	__u32 tty;
	__u32 s1_len;
	__u32 s2_len;
	__u32 env_len; // exec records: bytes of environment after the strings
	__s64 nr;
	__s64 ret;
	__u64 ts;
	__u64 cgroup_id;
	__u64 args[6];
	char comm[16];
	// capability sets of the thread (bit N: capability N)
	__u64 cap_effective;
	__u64 cap_permitted;
	__u64 cap_inheritable;
	// pid and thread id in the task's own pid namespace (0 when unknown)
	__u32 vpid;
	__u32 vtid;
	// s1 (at most STR_MAX), s2 (at most STR_MAX), env (exec records, at most ENV_MAX); twice
	// the room the strings need, so that offsets bounded by a mask (what the verifier can follow
	// whatever the compiler does with a comparison) stay inside
	char data[4 * STR_MAX + ENV_MAX];
};

#define HDR_SIZE __builtin_offsetof(struct event, data)

// Exec records (KIND_EXEC): s1 the file name, s2 the first STR_MAX bytes of the argv block, then
// the environment block of the new image (`mm->env_start..env_end`, NUL-separated, cut at
// ENV_MAX bytes; `args[1]` its whole length). The other exec values live in `args`: [0] length
// of the argv block, [2] inode number of the executable, [3] its ctime and [4] its mtime (ns
// since the epoch), [5] start of the pid namespace's init process (CLOCK_BOOTTIME ns; 0 when
// unknown).

#endif
