/* SPDX-License-Identifier: GPL-2.0 */
/* path.bpf.h - a file's path, walked up the dentries and across mounts to the root. */
#ifndef DT_PATH_BPF_H
#define DT_PATH_BPF_H

#include "common.bpf.h"

/*
 * bpf_d_path() is not offered to tracepoint programs, so the walk is done by hand: names
 * leaf first into @names, at most DT_PATH_DEPTH of them. Returns the depth; *@truncated is
 * set when the root was not reached.
 */
static __always_inline __u32 dt_path_names(struct file *f, char (*names)[DT_PATH_NAME_LEN],
					   __u32 *truncated)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry), *parent;
	struct vfsmount *vmnt = BPF_CORE_READ(f, f_path.mnt);
	struct mount *mnt, *pmnt;
	__u32 n = 0;
	int i;

	mnt = (struct mount *)((char *)vmnt - bpf_core_field_offset(struct mount, mnt));
	*truncated = 1;
	for (i = 0; i < DT_PATH_DEPTH + 8; i++) {
		if (d == BPF_CORE_READ(vmnt, mnt_root)) {
			pmnt = BPF_CORE_READ(mnt, mnt_parent);
			if (pmnt == mnt) {
				*truncated = 0;
				break;
			}
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = pmnt;
			vmnt = (struct vfsmount *)((char *)mnt +
						   bpf_core_field_offset(struct mount, mnt));
			continue;
		}
		if (n >= DT_PATH_DEPTH)
			break;
		bpf_probe_read_kernel_str(names[n & (DT_PATH_DEPTH - 1)], DT_PATH_NAME_LEN,
					  BPF_CORE_READ(d, d_name.name));
		n++;
		parent = BPF_CORE_READ(d, d_parent);
		/* A pseudo file (memfd, anonymous inode) is its own parent: its name is all. */
		if (parent == d) {
			*truncated = 0;
			break;
		}
		d = parent;
	}
	return n;
}

#endif /* DT_PATH_BPF_H */
