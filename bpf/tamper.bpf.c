// SPDX-License-Identifier: GPL-2.0
/* tamper.bpf.c - changes to classified inodes (truncate, chmod, rename, unlink, ...) seen as ctime updates. */
#include "common.bpf.h"
#include "sock.bpf.h"
#include "syscall_nr.bpf.h"

/*
 * Every change to an inode's data or metadata moves its ctime, in the context of the task
 * that made it; the syscall that task is in says what the change was. That catches path-based
 * operations (rename, unlink, chmod, truncate) that no fd-based hook sees, on any filesystem.
 * Writes are left to sys_exit, which knows their byte counts.
 *
 * @load_ok is false for inode_set_ctime_to_ts, which also fires when a filesystem merely
 * loads an inode from disk: there only syscalls that always modify count.
 */
static __always_inline __u32 dt_modify_kind(long nr, bool dir, bool load_ok)
{
	switch (nr) {
	case DT_NR_write:
	case DT_NR_pwrite64:
	case DT_NR_writev:
	case DT_NR_pwritev:
	case DT_NR_pwritev2:
	case DT_NR_sendfile:
	case DT_NR_splice:
	case DT_NR_copy_file_range:
		return 0;
	case DT_NR_truncate:
	case DT_NR_ftruncate:
	case DT_NR_fallocate:
		return DT_ACC_TRUNCATE;
	case DT_NR_open:
	case DT_NR_openat:
	case DT_NR_openat2:
	case DT_NR_creat:
		if (!load_ok)
			return 0;
		return dir ? DT_ACC_CREATE : DT_ACC_TRUNCATE;
	case DT_NR_chmod:
	case DT_NR_fchmod:
	case DT_NR_fchmodat:
	case DT_NR_fchmodat2:
	case DT_NR_chown:
	case DT_NR_fchown:
	case DT_NR_lchown:
	case DT_NR_fchownat:
	case DT_NR_utime:
	case DT_NR_utimes:
	case DT_NR_futimesat:
	case DT_NR_utimensat:
		return DT_ACC_ATTR;
	case DT_NR_rename:
	case DT_NR_renameat:
	case DT_NR_renameat2:
		return DT_ACC_RENAME;
	case DT_NR_unlink:
	case DT_NR_unlinkat:
	case DT_NR_rmdir:
		return DT_ACC_UNLINK;
	case DT_NR_link:
	case DT_NR_linkat:
		return dir ? DT_ACC_CREATE : DT_ACC_LINK;
	case DT_NR_mkdir:
	case DT_NR_mkdirat:
	case DT_NR_mknod:
	case DT_NR_mknodat:
	case DT_NR_symlink:
	case DT_NR_symlinkat:
		return DT_ACC_CREATE;
	}
	if (nr >= DT_NR_setxattr && nr <= DT_NR_removexattr + 2)
		return DT_ACC_ATTR;
	return load_ok ? DT_ACC_MODIFY : 0;
}

static __always_inline int dt_inode_changed(struct inode *inode, bool load_ok)
{
	struct dt_inode_key ik;
	struct dt_inode_val *iv;
	__u32 kind;

	if (dt_inode_key_of(inode, &ik))
		return 0;
	iv = bpf_map_lookup_elem(&inodes, &ik);
	if (!iv || (iv->flags & DT_INODE_DERIVED))
		return 0;
	kind = dt_modify_kind(dt_current_syscall(),
			      (BPF_CORE_READ(inode, i_mode) & DT_S_IFMT) == DT_S_IFDIR, load_ok);
	if (kind)
		dt_account(&ik, iv, kind, 0);
	return 0;
}

/* Multigrain filesystems (ext4, xfs, btrfs, tmpfs): one of these two fires on each change. */
SEC("tp_btf/ctime_ns_xchg")
int BPF_PROG(dt_ctime_xchg, struct inode *inode, u32 old, u32 new, u32 cur)
{
	return dt_inode_changed(inode, true);
}

SEC("tp_btf/ctime_xchg_skip")
int BPF_PROG(dt_ctime_skip, struct inode *inode, struct timespec64 *ctime)
{
	return dt_inode_changed(inode, true);
}

/* Other filesystems set the ctime directly. */
SEC("tp_btf/inode_set_ctime_to_ts")
int BPF_PROG(dt_ctime_set, struct inode *inode, struct timespec64 *ctime)
{
	return dt_inode_changed(inode, false);
}

/*
 * Kernels before 6.13 have no ctime tracepoints. Where they allow fentry (user/hooks.c probes
 * it), the VFS calls behind the path-based changes stand in for them: notify_change for
 * chmod, chown, utimes and truncate (also by open with O_TRUNC), vfs_rename, vfs_unlink,
 * vfs_rmdir and vfs_link, each for the inodes whose ctime the change moves. The first argument
 * (a user namespace before 6.3, an idmap since) is not read; the others kept their places.
 */
static __always_inline void dt_dentry_changed(struct dentry *d)
{
	/* fentry arguments are BTF pointers: plain loads in either build. */
	struct inode *inode = d ? d->d_inode : NULL;

	if (inode)
		dt_inode_changed(inode, true);
}

SEC("fentry/notify_change")
int BPF_PROG(dt_fentry_setattr, void *ns, struct dentry *dentry)
{
	dt_dentry_changed(dentry);
	return 0;
}

SEC("fentry/vfs_rename")
int BPF_PROG(dt_fentry_rename, struct renamedata *rd)
{
	struct dentry *old = rd->old_dentry, *new = rd->new_dentry;

	dt_dentry_changed(old);
	dt_dentry_changed(new);
	dt_dentry_changed(old ? old->d_parent : NULL);
	dt_dentry_changed(new ? new->d_parent : NULL);
	return 0;
}

SEC("fentry/vfs_unlink")
int BPF_PROG(dt_fentry_unlink, void *ns, struct inode *dir, struct dentry *dentry)
{
	dt_inode_changed(dir, true);
	dt_dentry_changed(dentry);
	return 0;
}

SEC("fentry/vfs_rmdir")
int BPF_PROG(dt_fentry_rmdir, void *ns, struct inode *dir, struct dentry *dentry)
{
	dt_inode_changed(dir, true);
	dt_dentry_changed(dentry);
	return 0;
}

SEC("fentry/vfs_link")
int BPF_PROG(dt_fentry_link, struct dentry *old, void *ns, struct inode *dir)
{
	dt_inode_changed(dir, true);
	dt_dentry_changed(old);
	return 0;
}
