// SPDX-License-Identifier: GPL-2.0
/* syscalls.bpf.c - the one sys_exit hook: dispatches the syscalls datatrail watches by number. */
#include "common.bpf.h"
#include "file.bpf.h"

/*
 * One tp_btf program on sys_exit instead of a tracepoint per syscall: the arguments are read
 * back from pt_regs, so no per-thread state is kept between entry and exit, and a syscall we
 * do not watch costs one switch.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(dt_sys_exit, struct pt_regs *regs, long ret)
{
	return dt_file_sys_exit(regs, DT_SC_NR(regs), ret);
}
