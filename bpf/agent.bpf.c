// SPDX-License-Identifier: GPL-2.0
/* agent.bpf.c - the agent watching itself: signals sent to it, its maps, programs and links used by others. */
#include "common.bpf.h"
#include "syscall_nr.bpf.h"

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

/*
 * A read-only look at one of the agent's objects (@name, 64 bytes): counted per process, no
 * ring buffer record, so `bpftool map show` in a loop cannot crowd out the records that carry
 * taint. User space reports each process once its minute is over or it is gone.
 */
static __always_inline void dt_inspect_note(__u32 op, const char *name)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct dt_inspect *v = bpf_map_lookup_elem(&inspect, &tgid);
	struct dt_inspect nv = {};
	__u64 now = bpf_ktime_get_ns();

	if (v) {
		__sync_fetch_and_add(&v->objects, 1);
		/* Racy with another thread of the same process: the bits are a summary. */
		v->ops |= op;
		v->last_ns = now;
		return;
	}
	nv.first_ns = now;
	nv.last_ns = now;
	nv.uid = (__u32)bpf_get_current_uid_gid();
	nv.objects = 1;
	nv.ops = op;
	bpf_get_current_comm(nv.comm, sizeof(nv.comm));
	__builtin_memcpy(nv.first, name, sizeof(nv.first));
	bpf_map_update_elem(&inspect, &tgid, &nv, BPF_NOEXIST);
}

/*
 * BPF_OBJ_GET of a path below the agent's pin directory: a handle on its kernel state. With
 * BPF_F_RDONLY alone the kernel refuses every write through the fd (bpf() and mmap alike):
 * a look. Otherwise the fd can change the map: tampering.
 */
static __always_inline int dt_pin_open(unsigned long uattr)
{
	char path[64];
	__u64 upath = 0;
	__u32 flags = 0;
	struct dt_ev_agent *e;
	int i;

	if (!dt_cfg.pin_dir[0])
		return 0;
	/* union bpf_attr for BPF_OBJ_GET: __aligned_u64 pathname, __u32 bpf_fd, __u32 file_flags. */
	if (bpf_probe_read_user(&upath, sizeof(upath), (void *)uattr) ||
	    bpf_probe_read_user(&flags, sizeof(flags), (void *)(uattr + 12)) ||
	    bpf_probe_read_user_str(path, sizeof(path), (void *)upath) <= 0)
		return 0;
	for (i = 0; i < (int)sizeof(path); i++) {
		if (!dt_cfg.pin_dir[i])
			break;
		if (path[i] != dt_cfg.pin_dir[i])
			return 0;
	}
	if ((flags & (DT_BPF_F_RDONLY | DT_BPF_F_WRONLY)) == DT_BPF_F_RDONLY) {
		dt_inspect_note(DT_INSPECT_PIN, path);
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
 * "bpf-prog", "bpf-link") keeps its private data from being read as the wrong object here.
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
	if (type == DT_OBJ_PROG) {
		if (!dt_name_is(name, "bpf-prog"))
			return 0;
		return BPF_CORE_READ((struct bpf_prog *)priv, aux, id);
	}
	/* /proc shows "bpf_link"; the dentry says "bpf-link" on 6.18. */
	if (!dt_name_is(name, "bpf-link") && !dt_name_is(name, "bpf_link"))
		return 0;
	return BPF_CORE_READ((struct bpf_link *)priv, id);
}

/*
 * A bpf() command on one of the agent's objects. Opening one by id (what `bpftool map show`
 * does to every map) is a look: counted in inspect, as the fd alone changes nothing, and
 * every way to change an object through it is a command seen here (delete or update
 * entries, freeze a map, detach or replace a link, detach or test-run a program) or a
 * writable mmap (dt_agent_mmap()): those are tampering, one record each. The ids are the
 * agent's own, in agentobj.
 */
static __always_inline int dt_obj_access(long cmd, unsigned long uattr)
{
	struct dt_obj_key k = {};
	struct dt_obj_val *v;
	struct dt_ev_agent *e;
	__u32 word = 0, look = 0;
	long off = 0;

	switch (cmd) {
	case DT_BPF_PROG_GET_FD_BY_ID:
		k.type = DT_OBJ_PROG;
		look = DT_INSPECT_PROG;
		break;
	case DT_BPF_MAP_GET_FD_BY_ID:
		k.type = DT_OBJ_MAP;
		look = DT_INSPECT_MAP;
		break;
	case DT_BPF_LINK_GET_FD_BY_ID:
		k.type = DT_OBJ_LINK;
		look = DT_INSPECT_LINK;
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
	case DT_BPF_PROG_TEST_RUN:
		/* test: prog_fd first. */
		k.type = DT_OBJ_PROG;
		off = -1;
		break;
	case DT_BPF_PROG_DETACH:
		/* target_fd, then attach_bpf_fd: the program. */
		k.type = DT_OBJ_PROG;
		off = 4;
		break;
	default:
		return 0;
	}
	/* The id or fd is the attribute's first word, but where @off says otherwise. */
	if (bpf_probe_read_user(&word, sizeof(word), (void *)(uattr + (off > 0 ? off : 0))))
		return 0;
	k.id = off ? dt_fd_obj_id(word, k.type) : word;
	if (!k.id)
		return 0;
	v = bpf_map_lookup_elem(&agentobj, &k);
	if (!v)
		return 0;
	if (look) {
		dt_inspect_note(look, v->name);
		return 0;
	}
	e = dt_agent_event(DT_AGENT_BPF_OBJ);
	if (!e)
		return 0;
	e->sig = cmd;
	__builtin_memcpy(e->path, v->name, sizeof(e->path));
	dt_submit(e);
	return 0;
}

/*
 * A shared, writable mmap of one of the agent's maps (its .data and .bss are mmapable): a
 * change no bpf() command shows. Called from the mmap entry hook for MAP_SHARED with
 * PROT_WRITE only (gpu.bpf.c), so private and read-only mappings pay nothing more.
 */
__hidden int dt_agent_mmap(long fd)
{
	struct dt_obj_key k = { .type = DT_OBJ_MAP };
	struct dt_obj_val *v;
	struct dt_ev_agent *e;

	if (fd < 0 || (__u32)(bpf_get_current_pid_tgid() >> 32) == dt_cfg.agent_tgid)
		return 0;
	k.id = dt_fd_obj_id(fd, DT_OBJ_MAP);
	if (!k.id)
		return 0;
	v = bpf_map_lookup_elem(&agentobj, &k);
	if (!v)
		return 0;
	e = dt_agent_event(DT_AGENT_MAP_MMAP);
	if (!e)
		return 0;
	__builtin_memcpy(e->path, v->name, sizeof(e->path));
	dt_submit(e);
	return 0;
}

static __always_inline int dt_enter_bpf_cmd(long cmd, unsigned long uattr)
{
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == dt_cfg.agent_tgid)
		return 0;
	if (cmd == DT_BPF_OBJ_GET)
		return dt_pin_open(uattr);
	return dt_obj_access(cmd, uattr);
}

SEC("tracepoint/syscalls/sys_enter_bpf")
int dt_enter_bpf(struct trace_event_raw_sys_enter *ctx)
{
	return dt_enter_bpf_cmd(ctx->args[0], ctx->args[1]);
}

/* The fentry backend's twin (user/hooks.c loads one of the two). */
SEC("fentry/" DT_SYSCALL_FN(bpf))
int BPF_PROG(dt_fentry_bpf, struct pt_regs *regs)
{
	return dt_enter_bpf_cmd(DT_SC_ARG1(regs), DT_SC_ARG2(regs));
}
