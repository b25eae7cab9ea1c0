// SPDX-License-Identifier: GPL-2.0
/* agent.bpf.c - the agent watching itself: signals sent to it, its pinned maps opened by others. */
#include "common.bpf.h"

#define DT_BPF_OBJ_GET 7

static __always_inline struct dt_ev_agent *dt_agent_event(__u32 kind)
{
	struct dt_ev_agent *e = dt_reserve(DT_EV_AGENT, sizeof(*e));

	if (!e)
		return NULL;
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->kind = kind;
	e->sig = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->path[0] = 0;
	return e;
}

/* A signal generated for the agent by another process (result 0: it will be delivered). */
SEC("tp_btf/signal_generate")
int BPF_PROG(dt_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	__u32 self = bpf_get_current_pid_tgid() >> 32;
	struct dt_ev_agent *e;

	if (!dt_cfg.agent_tgid || BPF_CORE_READ(task, tgid) != dt_cfg.agent_tgid ||
	    self == dt_cfg.agent_tgid || result != 0 || sig == 0)
		return 0;
	e = dt_agent_event(DT_AGENT_SIGNAL);
	if (!e)
		return 0;
	e->sig = sig;
	dt_submit(e);
	return 0;
}

/* BPF_OBJ_GET of a path below the agent's pin directory: a handle on its kernel state. */
SEC("tracepoint/syscalls/sys_enter_bpf")
int dt_enter_bpf(struct trace_event_raw_sys_enter *ctx)
{
	char path[64];
	__u64 upath = 0;
	struct dt_ev_agent *e;
	int i;

	if (ctx->args[0] != DT_BPF_OBJ_GET || !dt_cfg.pin_dir[0] ||
	    (__u32)(bpf_get_current_pid_tgid() >> 32) == dt_cfg.agent_tgid)
		return 0;
	/* union bpf_attr for BPF_OBJ_GET starts with __aligned_u64 pathname. */
	if (bpf_probe_read_user(&upath, sizeof(upath), (void *)ctx->args[1]) ||
	    bpf_probe_read_user_str(path, sizeof(path), (void *)upath) <= 0)
		return 0;
	for (i = 0; i < (int)sizeof(path); i++) {
		if (!dt_cfg.pin_dir[i])
			break;
		if (path[i] != dt_cfg.pin_dir[i])
			return 0;
	}
	e = dt_agent_event(DT_AGENT_PIN_OPEN);
	if (!e)
		return 0;
	__builtin_memcpy(e->path, path, sizeof(path));
	dt_submit(e);
	return 0;
}
