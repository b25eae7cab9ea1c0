// SPDX-License-Identifier: GPL-2.0
/* syscalls.bpf.c - the syscall exits datatrail watches: a tracepoint program and an fexit twin each. */
#include "common.bpf.h"
#include "file.bpf.h"

/*
 * A tracepoint per watched syscall rather than one tp_btf/sys_exit dispatcher: the kernel
 * tests its enabled-syscall bitmap before any program runs, so a syscall datatrail does not
 * watch pays only the syscall slow path (~13 ns here) instead of a trampoline and a switch on
 * every syscall in the system (~66 ns, docs/performance.md T1). The arguments are read back
 * from the task's pt_regs, so nothing is kept between entry and exit. @nr is a constant in
 * each program, so dt_file_sys_exit()'s switch folds away.
 *
 * Any enabled syscall tracepoint still puts every syscall of every task on the slow path.
 * Where the kernel allows trampolines, the fentry backend (user/hooks.c) loads the fexit twin
 * instead: a program on the syscall's own function, called with the same pt_regs and return
 * value, so both produce the same records and unwatched syscalls cost nothing. Exactly one
 * of each pair is loaded.
 */
#define DT_SYS_EXIT(name, nr)                                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int dt_exit_##name(struct trace_event_raw_sys_exit *ctx)                                   \
	{                                                                                          \
		return dt_file_sys_exit(dt_sc_regs(), nr, ctx->ret);                               \
	}                                                                                          \
	SEC("fexit/" DT_SYSCALL_FN(name))                                                          \
	int BPF_PROG(dt_fexit_##name, struct pt_regs *regs, long ret)                             \
	{                                                                                          \
		return dt_file_sys_exit(regs, nr, ret);                                            \
	}

DT_SYS_EXIT(read, DT_NR_read)
DT_SYS_EXIT(pread64, DT_NR_pread64)
DT_SYS_EXIT(readv, DT_NR_readv)
DT_SYS_EXIT(preadv, DT_NR_preadv)
DT_SYS_EXIT(preadv2, DT_NR_preadv2)
DT_SYS_EXIT(recvfrom, DT_NR_recvfrom)
DT_SYS_EXIT(recvmsg, DT_NR_recvmsg)
DT_SYS_EXIT(recvmmsg, DT_NR_recvmmsg)
DT_SYS_EXIT(write, DT_NR_write)
DT_SYS_EXIT(pwrite64, DT_NR_pwrite64)
DT_SYS_EXIT(writev, DT_NR_writev)
DT_SYS_EXIT(pwritev, DT_NR_pwritev)
DT_SYS_EXIT(pwritev2, DT_NR_pwritev2)
DT_SYS_EXIT(sendto, DT_NR_sendto)
DT_SYS_EXIT(sendmsg, DT_NR_sendmsg)
DT_SYS_EXIT(sendmmsg, DT_NR_sendmmsg)
DT_SYS_EXIT(sendfile64, DT_NR_sendfile)
DT_SYS_EXIT(splice, DT_NR_splice)
DT_SYS_EXIT(copy_file_range, DT_NR_copy_file_range)
DT_SYS_EXIT(tee, DT_NR_tee)
DT_SYS_EXIT(mmap, DT_NR_mmap)
#if DT_LEGACY_SYSCALLS
DT_SYS_EXIT(open, DT_NR_open)
#endif
DT_SYS_EXIT(openat, DT_NR_openat)
DT_SYS_EXIT(openat2, DT_NR_openat2)
#if DT_LEGACY_SYSCALLS
DT_SYS_EXIT(creat, DT_NR_creat)
#endif

/*
 * vmsplice() on a pipe's read end copies its bytes into the caller's memory: a read. On the
 * write end (which a FIFO opened read-write is, for vmsplice) it is a write, marked at entry
 * (send.bpf.c); the pipe has no exit work then.
 */
static __always_inline int dt_vmsplice_exit(struct pt_regs *regs, long ret)
{
	struct file *f;

	if (ret <= 0)
		return 0;
	f = dt_fd_file_btf(DT_SC_ARG1(regs));
	if (f && (DT_KLOAD(f, f_mode) & (DT_FMODE_READ | DT_FMODE_WRITE)) == DT_FMODE_READ)
		dt_file_read_f(f, -1, DT_ACC_READ, ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_vmsplice")
int dt_exit_vmsplice(struct trace_event_raw_sys_exit *ctx)
{
	return dt_vmsplice_exit(dt_sc_regs(), ctx->ret);
}

SEC("fexit/" DT_SYSCALL_FN(vmsplice))
int BPF_PROG(dt_fexit_vmsplice, struct pt_regs *regs, long ret)
{
	return dt_vmsplice_exit(regs, ret);
}

#define DT_SYS_EXIT_WALK(name)                                                                     \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int dt_exit_##name(struct trace_event_raw_sys_exit *ctx)                                   \
	{                                                                                          \
		return dt_walk_invalidate(ctx->ret);                                               \
	}                                                                                          \
	SEC("fexit/" DT_SYSCALL_FN(name))                                                          \
	int BPF_PROG(dt_fexit_##name, struct pt_regs *regs, long ret)                             \
	{                                                                                          \
		return dt_walk_invalidate(ret);                                                    \
	}

#if DT_LEGACY_SYSCALLS
DT_SYS_EXIT_WALK(rename)
#endif
DT_SYS_EXIT_WALK(renameat)
DT_SYS_EXIT_WALK(renameat2)
#if DT_LEGACY_SYSCALLS
DT_SYS_EXIT_WALK(mkdir)
#endif
DT_SYS_EXIT_WALK(mkdirat)
