// SPDX-License-Identifier: GPL-2.0
/* agent.bpf.c - the agent watching itself: signals sent to it, its maps, programs and links used by others. */
#include "common.bpf.h"

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
static __always_inline int dt_pin_open(unsigned long uattr)
{
	char path[64];
	__u64 upath = 0;
	struct dt_ev_agent *e;
	int i;

	if (!dt_cfg.pin_dir[0])
		return 0;
	/* union bpf_attr for BPF_OBJ_GET starts with __aligned_u64 pathname. */
	if (bpf_probe_read_user(&upath, sizeof(upath), (void *)uattr) ||
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

/* @name (9 bytes) is @want, a constant of at most 8 characters. */
static __always_inline bool dt_name_is(const char *name, const char *want)
{
	int i;

	for (i = 0; i < 9; i++) {
		if (name[i] != want[i])
			return false;
		if (!want[i])
			break;
	}
	return true;
}

/*
 * The id of the BPF object of @type behind the caller's @fd, or 0. A bpf() command on a file
 * of another kind fails in the kernel; the name of the anonymous inode's dentry ("bpf-map",
 * "bpf-link") keeps its private data from being read as a map or link here.
 */
static __always_inline __u32 dt_fd_obj_id(__u32 fd, __u32 type)
{
	struct file *f = dt_fd_file_btf(fd);
	char name[9] = {};
	void *priv;

	if (!f)
		return 0;
	bpf_probe_read_kernel_str(name, sizeof(name), DT_KLOAD(f, f_path.dentry, d_name.name));
	priv = DT_KLOAD(f, private_data);
	if (type == DT_OBJ_MAP) {
		if (!dt_name_is(name, "bpf-map"))
			return 0;
		return BPF_CORE_READ((struct bpf_map *)priv, id);
	}
	/* /proc shows "bpf_link"; the dentry says "bpf-link" on 6.18. */
	if (!dt_name_is(name, "bpf-link") && !dt_name_is(name, "bpf_link"))
		return 0;
	return BPF_CORE_READ((struct bpf_link *)priv, id);
}

/*
 * A bpf() command that reaches one of the agent's objects by id (what `bpftool map dump id N`
 * does) or changes one through a file descriptor however obtained (delete or update entries,
 * freeze a map, detach or replace a link). The ids are the agent's own, in agentobj.
 */
static __always_inline int dt_obj_access(long cmd, unsigned long uattr)
{
	struct dt_obj_key k = {};
	struct dt_obj_val *v;
	struct dt_ev_agent *e;
	__u32 word = 0;
	long off = 0;

	switch (cmd) {
	case DT_BPF_PROG_GET_FD_BY_ID:
		k.type = DT_OBJ_PROG;
		break;
	case DT_BPF_MAP_GET_FD_BY_ID:
		k.type = DT_OBJ_MAP;
		break;
	case DT_BPF_LINK_GET_FD_BY_ID:
		k.type = DT_OBJ_LINK;
		break;
	case DT_BPF_MAP_UPDATE_ELEM:
	case DT_BPF_MAP_DELETE_ELEM:
	case DT_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case DT_BPF_MAP_FREEZE:
		k.type = DT_OBJ_MAP;
		off = -1;
		break;
	case DT_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
	case DT_BPF_MAP_UPDATE_BATCH:
	case DT_BPF_MAP_DELETE_BATCH:
		/* batch: in_batch, out_batch, keys, values (u64 each), count, then map_fd. */
		k.type = DT_OBJ_MAP;
		off = 36;
		break;
	case DT_BPF_LINK_UPDATE:
	case DT_BPF_LINK_DETACH:
		k.type = DT_OBJ_LINK;
		off = -1;
		break;
	default:
		return 0;
	}
	/* The id or fd is the attribute's first word, but for the batch commands. */
	if (bpf_probe_read_user(&word, sizeof(word), (void *)(uattr + (off > 0 ? off : 0))))
		return 0;
	k.id = off ? dt_fd_obj_id(word, k.type) : word;
	if (!k.id)
		return 0;
	v = bpf_map_lookup_elem(&agentobj, &k);
	if (!v)
		return 0;
	e = dt_agent_event(DT_AGENT_BPF_OBJ);
	if (!e)
		return 0;
	e->sig = cmd;
	__builtin_memcpy(e->path, v->name, sizeof(e->path));
	dt_submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_bpf")
int dt_enter_bpf(struct trace_event_raw_sys_enter *ctx)
{
	long cmd = ctx->args[0];

	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == dt_cfg.agent_tgid)
		return 0;
	if (cmd == DT_BPF_OBJ_GET)
		return dt_pin_open(ctx->args[1]);
	return dt_obj_access(cmd, ctx->args[1]);
}
