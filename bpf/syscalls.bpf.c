// SPDX-License-Identifier: GPL-2.0
/* syscalls.bpf.c - the syscall exits datatrail watches, one tracepoint program each. */
#include "common.bpf.h"
#include "file.bpf.h"

/*
 * A tracepoint per watched syscall rather than one tp_btf/sys_exit dispatcher: the kernel
 * tests its enabled-syscall bitmap before any program runs, so a syscall datatrail does not
 * watch pays only the syscall slow path (~13 ns here) instead of a trampoline and a switch on
 * every syscall in the system (~66 ns, docs/performance.md T1). The arguments are read back
 * from the task's pt_regs, so nothing is kept between entry and exit. @nr is a constant in
 * each program, so dt_file_sys_exit()'s switch folds away.
 */
#define DT_SYS_EXIT(name, nr)                                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int dt_exit_##name(struct trace_event_raw_sys_exit *ctx)                                   \
	{                                                                                          \
		return dt_file_sys_exit(dt_sc_regs(), nr, ctx->ret);                               \
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
DT_SYS_EXIT(mmap, DT_NR_mmap)
#if DT_LEGACY_SYSCALLS
DT_SYS_EXIT(open, DT_NR_open)
#endif
DT_SYS_EXIT(openat, DT_NR_openat)
DT_SYS_EXIT(openat2, DT_NR_openat2)
#if DT_LEGACY_SYSCALLS
DT_SYS_EXIT(creat, DT_NR_creat)
#endif

#define DT_SYS_EXIT_WALK(name)                                                                     \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int dt_exit_##name(struct trace_event_raw_sys_exit *ctx)                                   \
	{                                                                                          \
		return dt_walk_invalidate(ctx->ret);                                               \
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
