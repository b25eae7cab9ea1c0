/* SPDX-License-Identifier: GPL-2.0 */
/* path.bpf.h - a file's path, walked up the dentries and across mounts to the root. */
#ifndef DT_PATH_BPF_H
#define DT_PATH_BPF_H

#include "common.bpf.h"

struct dt_path_walk {
	struct dentry *d;
	struct vfsmount *vmnt;
	struct mount *mnt;
	char (*names)[DT_PATH_NAME_LEN];
	__u32 n;
	__u32 truncated;
};

/* One step up: across a mount, or to the parent dentry after taking this one's name. */
static long dt_path_step(__u32 i, void *arg)
{
	struct dt_path_walk *w = arg;
	/* Locals: a CO-RE read must not reach into dt_path_walk, which the kernel lacks. */
	struct dentry *d = w->d, *parent;
	struct vfsmount *vmnt = w->vmnt;
	struct mount *mnt = w->mnt, *pmnt;

	if (d == BPF_CORE_READ(vmnt, mnt_root)) {
		pmnt = BPF_CORE_READ(mnt, mnt_parent);
		if (pmnt == mnt) {
			w->truncated = 0;
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = pmnt;
		w->vmnt = (struct vfsmount *)((char *)pmnt + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	if (w->n >= DT_PATH_DEPTH)
		return 1;
	bpf_probe_read_kernel_str(w->names[w->n & (DT_PATH_DEPTH - 1)], DT_PATH_NAME_LEN,
				  BPF_CORE_READ(d, d_name.name));
	w->n++;
	parent = BPF_CORE_READ(d, d_parent);
	/* A pseudo file (memfd, anonymous inode) is its own parent: its name is all. */
	if (parent == d) {
		w->truncated = 0;
		return 1;
	}
	w->d = parent;
	return 0;
}

/*
 * bpf_d_path() is not offered to tracepoint programs, so the walk is done by hand: names
 * leaf first into @names, at most DT_PATH_DEPTH of them. Returns the depth; *@truncated is
 * set when the root was not reached. bpf_loop() keeps verification linear in the body.
 */
static __always_inline __u32 dt_path_names(struct file *f, char (*names)[DT_PATH_NAME_LEN],
					   __u32 *truncated)
{
	struct vfsmount *vmnt = BPF_CORE_READ(f, f_path.mnt);
	struct dt_path_walk w = {
		.d = BPF_CORE_READ(f, f_path.dentry),
		.vmnt = vmnt,
		.mnt = (struct mount *)((char *)vmnt - bpf_core_field_offset(struct mount, mnt)),
		.names = names,
		.truncated = 1,
	};

	bpf_loop(DT_PATH_DEPTH + 8, dt_path_step, &w, 0);
	*truncated = w.truncated;
	return w.n;
}

#endif /* DT_PATH_BPF_H */
