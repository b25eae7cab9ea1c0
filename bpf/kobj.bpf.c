// SPDX-License-Identifier: GPL-2.0
/* kobj.bpf.c - file descriptors, sockets and overlayfs layers as BTF pointers, for plain loads (see common.bpf.h). */
#include "common.bpf.h"
#include "sock.bpf.h"

#ifndef DT_COMPAT
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#endif

__hidden struct file *dt_fd_file_btf(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (__u64)fd >= fdt->max_fds)
		return NULL;
	/* fd[] is an array of pointers: the one load the verifier cannot type. */
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
#ifdef DT_COMPAT
	return f;
#else
	return f ? bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file)) : NULL;
#endif
}

#ifdef DT_COMPAT
/* Kernels before 6.2: the pointers stay numbers, read through with DT_KLOAD (common.bpf.h). */
__hidden struct file *dt_file_btf(struct file *f)
{
	return f;
}

__hidden struct sock *dt_file_sock(struct file *f)
{
	struct socket *s = DT_KLOAD(f, private_data);

	return s ? DT_KLOAD(s, sk) : NULL;
}

__hidden struct unix_sock *dt_unix_sock(struct sock *sk)
{
	return (struct unix_sock *)sk;
}
#else
__hidden struct file *dt_file_btf(struct file *f)
{
	return f ? bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file)) : NULL;
}

__hidden struct sock *dt_file_sock(struct file *f)
{
	struct socket *s = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));

	return s ? s->sk : NULL;
}

__hidden struct unix_sock *dt_unix_sock(struct sock *sk)
{
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct unix_sock));
}
#endif

/*
 * overlayfs as far as this needs it. Local flavours: CO-RE matches them to the kernel's types
 * by name, and bpf_core_type_exists() drops the code where the kernel has no overlayfs BTF,
 * so the object still loads there.
 */
struct ovl_path___dt {
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct ovl_entry___dt {
	unsigned int __numlower;
	struct ovl_path___dt __lowerstack[0];
} __attribute__((preserve_access_index));

struct ovl_inode___dt {
	unsigned long flags;
	struct inode vfs_inode;
	struct dentry *__upperdentry;
	struct ovl_entry___dt *oe;
	struct ovl_path___dt lowerpath;
} __attribute__((preserve_access_index));

enum ovl_inode_flag___dt {
	OVL_UPPERDATA___dt = 3,
};

static __always_inline struct dentry *dt_btf_dentry(struct dentry *d)
{
#ifdef DT_COMPAT
	return d;
#else
	return d ? bpf_rdonly_cast(d, bpf_core_type_id_kernel(struct dentry)) : NULL;
#endif
}

__hidden int dt_ovl_layers(struct inode *inode, struct dentry **upper, struct dentry **lower)
{
	struct ovl_inode___dt *oi;
	struct ovl_entry___dt *oe;
	struct dentry *d = NULL;
	unsigned long flags;
	unsigned int n, idx;
	int data_up = 0;
	__u32 stride;

	*upper = NULL;
	*lower = NULL;
	if (!bpf_core_type_exists(struct ovl_inode___dt))
		return 0;
	/* container_of(), as a number: probe reads take it where the verifier would not. */
	oi = (void *)((unsigned long)inode - bpf_core_field_offset(struct ovl_inode___dt, vfs_inode));
	d = BPF_CORE_READ(oi, __upperdentry);
	if (d) {
		*upper = dt_btf_dentry(d);
		/* Without the upper-data flag (a metacopy), the data is still below. */
		flags = BPF_CORE_READ(oi, flags);
		data_up = !bpf_core_enum_value_exists(enum ovl_inode_flag___dt, OVL_UPPERDATA___dt) ||
			  ((flags >> bpf_core_enum_value(enum ovl_inode_flag___dt, OVL_UPPERDATA___dt)) & 1);
	}
	/*
	 * Before 6.5 the lower stack hangs off the dentry and the inode keeps its topmost lower
	 * layer (lowerpath): a file's data unless it is a metacopy of one further down.
	 */
	if (!bpf_core_field_exists(struct ovl_inode___dt, oe)) {
		if (bpf_core_field_exists(struct ovl_inode___dt, lowerpath))
			*lower = dt_btf_dentry(BPF_CORE_READ(oi, lowerpath.dentry));
		return data_up;
	}
	oe = BPF_CORE_READ(oi, oe);
	if (!oe)
		return data_up;
	n = BPF_CORE_READ(oe, __numlower);
	/* 500 is overlayfs' own limit on layers (OVL_MAX_STACK). */
	if (!n || n > 500)
		return data_up;
	/* A directory merges the topmost lower layer; a file's data is in the last (lowerdata). */
	idx = (DT_KLOAD(inode, i_mode) & DT_S_IFMT) == DT_S_IFDIR ? 0 : n - 1;
	stride = bpf_core_type_size(struct ovl_path___dt);
	d = NULL;
	bpf_probe_read_kernel(&d, sizeof(d),
			      (void *)((unsigned long)oe +
				       bpf_core_field_offset(struct ovl_entry___dt, __lowerstack) +
				       idx * stride +
				       bpf_core_field_offset(struct ovl_path___dt, dentry)));
	*lower = dt_btf_dentry(d);
	return data_up;
}
