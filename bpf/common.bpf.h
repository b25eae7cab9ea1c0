/* SPDX-License-Identifier: GPL-2.0 */
/* common.bpf.h - helpers shared by the BPF programs: event records, fd to inode, accounting. */
#ifndef DT_COMMON_BPF_H
#define DT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "datatrail_abi.h"
#include "maps.bpf.h"

#define EEXIST 17
#define E2BIG 7

static __always_inline struct dt_stats *dt_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

/*
 * Reserves a ring buffer record and fills its header. The per-CPU sequence number advances
 * whether or not the reservation succeeds, so user space sees a lost record as a gap even
 * if it never reads the drop counter.
 */
static __always_inline void *dt_reserve(__u16 type, __u16 size)
{
	struct dt_stats *st = dt_stats();
	struct dt_event_hdr *h;
	__u64 seq;

	if (!st)
		return NULL;
	seq = st->seq++;
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		st->dropped++;
		return NULL;
	}
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_ns();
	h->seq = seq;
	return h;
}

/* Wake the agent only once this much waits; it also collects every 100 ms by itself. */
#define DT_WAKEUP_BYTES (64 << 10)

static __always_inline void dt_submit(void *rec)
{
	struct dt_stats *st = dt_stats();

	if (st)
		st->emitted++;
	bpf_ringbuf_submit(rec, bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= DT_WAKEUP_BYTES
				       ? BPF_RB_FORCE_WAKEUP
				       : BPF_RB_NO_WAKEUP);
}

/*
 * Kernel objects as BTF pointers: their fields are then read with plain (fault-safe) loads
 * instead of a helper call each, which on every read and write syscall is the difference
 * between ~70 and ~420 ns (bench/hooks.bpf.c). These need bpf_rdonly_cast(), so they are
 * defined once, in kobj.bpf.c: Debian 12's linker (libbpf 1.1) fails to link one kfunc
 * declared in two objects. __hidden makes libbpf load them as static subprograms, which is
 * what lets the verifier see the pointers they return.
 */
/*
 * DT_KLOAD(p, a, b, ...) is p->a->b... on such a pointer. Kernels before 6.2 lack
 * bpf_rdonly_cast(): for them the same sources build a second object (DT_COMPAT, the agent
 * picks it at start, user/hooks.c) whose kobj pointers are plain numbers to the verifier and
 * whose loads are helper calls instead.
 */
#ifdef DT_COMPAT
#define DT_KLOAD(...) BPF_CORE_READ(__VA_ARGS__)
#else
#define DT_KLOAD(...) ___arrow(__VA_ARGS__)
#endif

/* The agent's scope and fleet maps: after DT_KLOAD, before dt_account(), which checks scope. */
#include "fleet.bpf.h"

/* mmap() flags and protection bits, by their uapi values. */
#define DT_MAP_TYPE 0x0f
#define DT_MAP_SHARED 0x01
#define DT_MAP_SHARED_VALIDATE 0x03
#define DT_PROT_WRITE 0x2

/* The current task's file behind @fd, or NULL. */
extern struct file *dt_fd_file_btf(long fd) __hidden;
/* A shared writable mmap of @fd: agent_tamper if it is one of the agent's maps (agent.bpf.c). */
extern int dt_agent_mmap(long fd) __hidden;
/* @f (from a probe read) as a BTF pointer, or NULL. */
extern struct file *dt_file_btf(struct file *f) __hidden;
/* The socket of socket file @f, or NULL. */
extern struct sock *dt_file_sock(struct file *f) __hidden;
/* @sk as the AF_UNIX socket it is. */
extern struct unix_sock *dt_unix_sock(struct sock *sk) __hidden;

static __always_inline int dt_inode_key_of(struct inode *inode, struct dt_inode_key *k)
{
	if (!inode)
		return -1;
	k->ino = DT_KLOAD(inode, i_ino);
	k->dev = DT_KLOAD(inode, i_sb, s_dev);
	k->pad = 0;
	return 0;
}

#define DT_OVL_SUPER_MAGIC 0x794c7630

/*
 * The dentries below overlayfs inode @inode: the upper one (once created or copied up) and
 * the lower one (a file's data, a directory's topmost). Returns 1 when the upper holds the
 * data. Either may be NULL. Costs a few probe reads, so only called for overlayfs inodes.
 */
extern int dt_ovl_layers(struct inode *inode, struct dentry **upper, struct dentry **lower) __hidden;

static __always_inline bool dt_is_ovl(struct inode *inode)
{
	return DT_KLOAD(inode, i_sb, s_magic) == DT_OVL_SUPER_MAGIC;
}

/*
 * The dentry that holds @f's data: its own, or for overlayfs the layer reads are handed to
 * (the upper once copied up, else the lower), so that a read through an overlay of a dataset
 * counts as a read of the dataset's own inode, and a walk up from it finds the dataset's
 * directories. *@origin is the lower dentry an upper copy was made from, else NULL. Other
 * stacking file systems (FUSE passthrough, ecryptfs) are not seen through.
 */
static __always_inline struct dentry *dt_real_dentry(struct file *f, struct dentry **origin)
{
	struct inode *inode = DT_KLOAD(f, f_inode);
	struct dentry *upper, *lower;

	*origin = NULL;
	if (!dt_is_ovl(inode))
		return DT_KLOAD(f, f_path.dentry);
	if (dt_ovl_layers(inode, &upper, &lower) && upper) {
		*origin = lower;
		return upper;
	}
	/* Kept apart: the verifier refuses pointers the compiler would OR together. */
	barrier_var(lower);
	if (lower)
		return lower;
	barrier_var(upper);
	if (upper)
		return upper;
	return DT_KLOAD(f, f_path.dentry);
}

/*
 * The key of @f's real inode (@f from dt_fd_file_btf() or a BTF argument), and the inode;
 * *@origin is an overlay copy's origin (see dt_real_dentry()).
 */
static __always_inline struct inode *dt_file_key_real(struct file *f, struct dt_inode_key *k,
						      struct dentry **origin)
{
	struct inode *inode = f ? DT_KLOAD(f, f_inode) : NULL;
	struct dentry *real;

	*origin = NULL;
	if (inode && dt_is_ovl(inode)) {
		real = dt_real_dentry(f, origin);
		inode = DT_KLOAD(real, d_inode);
	}
	return dt_inode_key_of(inode, k) ? NULL : inode;
}

/* The key of @f's real inode (see dt_file_key_real()); also returns the inode. */
static __always_inline struct inode *dt_file_key_btf(struct file *f, struct dt_inode_key *k)
{
	struct dentry *origin;

	return dt_file_key_real(f, k, &origin);
}

/* Pseudo filesystems whose "files" are not copies of anything. */
static __always_inline bool dt_pseudo_fs(struct inode *inode)
{
	unsigned long magic = DT_KLOAD(inode, i_sb, s_magic);

	return magic == 0x9fa0 /* proc */ || magic == 0x62656572 /* sysfs */ ||
	       magic == 0x63677270 /* cgroup2 */ || magic == 0x27e0eb /* cgroup */ ||
	       magic == 0x64626720 /* debugfs */ || magic == 0x74726163 /* tracefs */ ||
	       magic == 0xcafe4a11 /* bpffs */ || magic == 0x73636673 /* securityfs */;
}

/* Fills @p from the task itself, for processes that started before the agent. */
static __always_inline void dt_proc_from_task(struct dt_proc *p, struct task_struct *task)
{
	p->tgid = BPF_CORE_READ(task, tgid);
	p->ppid = BPF_CORE_READ(task, real_parent, tgid);
	p->uid = BPF_CORE_READ(task, cred, uid.val);
	p->flags = 0;
	p->start_ns = BPF_CORE_READ(task, group_leader, start_time);
	BPF_CORE_READ_STR_INTO(&p->comm, task, comm);
	p->exe[0] = 0;
	p->args[0] = 0;
	p->args_len = 0;
	p->pad = 0;
	/* A process first seen here still runs some file: the one its mm maps as its exe. */
	p->exe_ino = BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
	p->exe_dev = BPF_CORE_READ(task, mm, exe_file, f_inode, i_sb, s_dev);
	p->pad2 = 0;
}

/* Kernels before 6.15 name a kernfs node's parent `parent`. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *dt_kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/* Records the path of the current task's cgroup @cg, once per cgroup (see dt_cgpath). */
static __always_inline void dt_cgpath_note(__u64 cg)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct kernfs_node *kn, *up;
	struct dt_cgpath *cp;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(&cgpaths, &cg))
		return;
	cp = bpf_map_lookup_elem(&cgscratch, &zero);
	if (!cp)
		return;
	kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	cp->depth = 0;
	cp->truncated = 0;
	for (int i = 0; i < DT_CG_DEPTH; i++) {
		if (!kn)
			break;
		up = dt_kn_parent(kn);
		if (!up)
			break; /* the root: no component of its own */
		bpf_probe_read_kernel_str(cp->names[i], DT_CG_NAME, BPF_CORE_READ(kn, name));
		cp->depth = i + 1;
		kn = up;
	}
	if (kn && dt_kn_parent(kn))
		cp->truncated = 1;
	if (cp->depth)
		bpf_map_update_elem(&cgpaths, &cg, cp, BPF_NOEXIST);
}

/* Marks the current process as tracked, creating its entry if the agent never saw it. */
static __always_inline void dt_proc_track(__u32 tgid)
{
	struct dt_proc *p = bpf_map_lookup_elem(&procs, &tgid);
	struct dt_stats *st;
	__u32 zero = 0;
	__u64 cg;

	/* Once per new counter or taint, never per syscall: the process's own cgroup only. */
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == tgid) {
		cg = bpf_get_current_cgroup_id();
		bpf_map_update_elem(&proc_cgroup, &tgid, &cg, BPF_ANY);
		dt_cgpath_note(cg);
	}
	if (p) {
		__sync_fetch_and_or(&p->flags, DT_PROC_TRACKED);
		return;
	}
	/* Another process (tainted through its memory): only the current one can be described. */
	if (tgid != bpf_get_current_pid_tgid() >> 32)
		return;
	p = bpf_map_lookup_elem(&scratch, &zero);
	if (!p)
		return;
	dt_proc_from_task(p, (struct task_struct *)bpf_get_current_task());
	p->flags = DT_PROC_TRACKED;
	if (bpf_map_update_elem(&procs, &tgid, p, BPF_ANY)) {
		st = dt_stats();
		if (st)
			st->proc_full++;
	}
}

/*
 * Counts @bytes read by the current process from a classified inode. The common case is one
 * lookup and two atomic adds; the first access of a process to an inode also creates the
 * counter and tells user space, which from then on reads the counter itself.
 */
static __always_inline void dt_account(const struct dt_inode_key *ik, const struct dt_inode_val *iv,
				       __u32 access, __u64 bytes)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct dt_acc_key k = {
		.tgid = id >> 32,
		.dev = ik->dev,
		.ino = ik->ino,
		.access = access,
	};
	struct dt_ev_file_access *e;
	struct dt_acc_val *v, nv = {};
	__u64 now = bpf_ktime_get_ns();
	struct dt_stats *st;
	long err;

	if (k.tgid == dt_cfg.agent_tgid || !dt_in_scope())
		return;
	v = bpf_map_lookup_elem(&acc, &k);
	if (v) {
add:
		__sync_fetch_and_add(&v->bytes, bytes);
		__sync_fetch_and_add(&v->ops, 1);
		v->last_ns = now;
		return;
	}
	nv.bytes = bytes;
	nv.ops = 1;
	nv.first_ns = now;
	nv.last_ns = now;
	nv.dataset = iv->dataset;
	nv.uid = (__u32)bpf_get_current_uid_gid();
	nv.iflags = iv->flags;
	err = bpf_map_update_elem(&acc, &k, &nv, BPF_NOEXIST);
	if (err == -EEXIST) {
		v = bpf_map_lookup_elem(&acc, &k);
		if (v)
			goto add;
		return;
	}
	if (err) {
		st = dt_stats();
		if (st)
			st->acc_full++;
		return;
	}
	dt_proc_track(k.tgid);

	e = dt_reserve(DT_EV_FILE_ACCESS, sizeof(*e));
	if (!e)
		return;
	e->key = k;
	e->tid = (__u32)id;
	e->uid = nv.uid;
	e->dataset = iv->dataset;
	e->label = iv->label;
	e->iflags = iv->flags;
	e->pad[0] = e->pad[1] = 0;
	e->bytes = bytes;
	dt_submit(e);
}

#endif /* DT_COMMON_BPF_H */
