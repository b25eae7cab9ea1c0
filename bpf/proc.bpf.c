// SPDX-License-Identifier: GPL-2.0
/* proc.bpf.c - process lifecycle: remember identity at fork and exec, report tracked exits. */
#include "common.bpf.h"
#include "taint.bpf.h"

static __always_inline struct dt_proc *dt_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline void dt_proc_store(__u32 tgid, struct dt_proc *p)
{
	struct dt_stats *st;

	if (bpf_map_update_elem(&procs, &tgid, p, BPF_ANY)) {
		st = dt_stats();
		if (st)
			st->proc_full++;
	}
}

/* chan.bpf.c: forgets the shared mappings a process held (exit, exec). */
extern int dt_chan_proc_exit(__u32 tgid);

/* A new process inherits its parent's identity (exe, args) until it execs. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(dt_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 tgid = BPF_CORE_READ(child, tgid);
	struct dt_proc *pp, *p;
	struct dt_taint *t, ct;

	if (BPF_CORE_READ(child, pid) != tgid)
		return 0; /* a thread */
	p = dt_scratch();
	if (!p)
		return 0;
	pp = bpf_map_lookup_elem(&procs, &ptgid);
	if (pp)
		bpf_probe_read_kernel(p, sizeof(*p), pp);
	else
		dt_proc_from_task(p, parent);
	p->tgid = tgid;
	p->ppid = ptgid;
	p->start_ns = BPF_CORE_READ(child, start_time);
	p->flags &= ~DT_PROC_TRACKED;
	dt_proc_store(tgid, p);

	/* Taint is inherited: a fork copies the address space, and with it the data. */
	t = bpf_map_lookup_elem(&taint, &ptgid);
	if (t) {
		__builtin_memcpy(&ct, t, sizeof(ct));
		dt_taint_process(tgid, &ct, DT_HOP_FORK, ptgid, ptgid, 0);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(dt_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct dt_ev_proc_exec *e;
	unsigned long start, end;
	struct dt_proc *old, *p;
	__u32 flags = 0;
	__u64 len;

	old = bpf_map_lookup_elem(&procs, &tgid);
	if (old)
		flags = old->flags & DT_PROC_TRACKED;
	p = dt_scratch();
	if (!p)
		return 0;
	dt_proc_from_task(p, task);
	p->flags = flags | DT_PROC_EXECED;
	bpf_probe_read_kernel_str(p->exe, sizeof(p->exe), BPF_CORE_READ(bprm, filename));
	/*
	 * The file exec opened (after #! and binfmt_misc, the interpreter): a path can be bind
	 * mounted over, chrooted, relative or re-pointed, the inode the kernel runs cannot.
	 */
	p->exe_ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);
	p->exe_dev = BPF_CORE_READ(bprm, file, f_inode, i_sb, s_dev);
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end - start;
	if (len > DT_ARGS_LEN)
		len = DT_ARGS_LEN;
	if (bpf_probe_read_user(p->args, len & (DT_ARGS_LEN - 1 | DT_ARGS_LEN), (void *)start) == 0)
		p->args_len = len;
	dt_proc_store(tgid, p);
	/* The old address space is gone, and with it every shared mapping. */
	dt_chan_proc_exit(tgid);

	if (!(flags & DT_PROC_TRACKED))
		return 0;
	e = dt_reserve(DT_EV_PROC_EXEC, sizeof(*e));
	if (!e)
		return 0;
	bpf_probe_read_kernel(&e->proc, sizeof(e->proc), p);
	dt_submit(e);
	return 0;
}

static __always_inline int dt_on_exit(struct task_struct *task, bool group_dead)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct dt_ev_proc_exit *e;
	struct dt_proc *p;

	if (!group_dead)
		return 0;
	bpf_map_delete_elem(&taint, &tgid);
	dt_chan_proc_exit(tgid);
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p || !(p->flags & DT_PROC_TRACKED))
		return 0;
	e = dt_reserve(DT_EV_PROC_EXIT, sizeof(*e));
	if (!e)
		return 0;
	e->tgid = tgid;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	dt_submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(dt_exit, struct task_struct *task, bool group_dead)
{
	return dt_on_exit(task, group_dead);
}

/*
 * Older kernels (6.12 and before) pass no group_dead; their tracepoint fires after the exiting
 * thread had left signal->live, so the group is dead when no thread is left there. The agent
 * loads one of the two (user/hooks.c).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(dt_exit_v1, struct task_struct *task)
{
	return dt_on_exit(task, BPF_CORE_READ(task, signal, live.counter) == 0);
}
