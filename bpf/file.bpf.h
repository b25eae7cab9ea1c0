/* SPDX-License-Identifier: GPL-2.0 */
/* file.bpf.h - classified-file accounting at syscall exit: reads, mmap, copies, and opens. */
#ifndef DT_FILE_BPF_H
#define DT_FILE_BPF_H

#include "common.bpf.h"
#include "syscall_nr.bpf.h"

#define DT_MAP_ANONYMOUS 0x20
#define DT_S_IFMT 00170000
#define DT_S_IFDIR 0040000

/* A read-like syscall returned @bytes from @fd: count them if the inode is classified. */
static __always_inline int dt_file_read(long fd, __u32 access, __u64 bytes)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dt_inode_key ik;
	struct dt_inode_val *iv;

	if (dt_file_key(dt_fd_file(task, fd), &ik))
		return 0;
	iv = bpf_map_lookup_elem(&inodes, &ik);
	if (!iv)
		return 0;
	dt_account(&ik, iv, access, bytes);
	return 0;
}

/*
 * A file was opened: if it lies below a classified directory but is not classified yet (it
 * was created, moved in, or lies in a directory created after the agent started), classify
 * it and the directories between, and tell user space its name.
 */
static __always_inline int dt_file_open(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *d, *leaf, *parent;
	struct dt_inode_val *anc = NULL, nv = {};
	struct dt_inode_key ik, pk, ak = {};
	struct dt_ev_classify *e;
	struct inode *inode;
	struct file *f;
	__u32 depth = 0;
	umode_t mode;
	int i;

	f = dt_fd_file(task, fd);
	if (!f)
		return 0;
	leaf = BPF_CORE_READ(f, f_path.dentry);
	inode = BPF_CORE_READ(f, f_inode);
	if (dt_inode_key_of(inode, &ik))
		return 0;
	if (!bpf_map_lookup_elem(&devs, &ik.dev))
		return 0;
	if (bpf_map_lookup_elem(&inodes, &ik))
		return 0;

	d = leaf;
	for (i = 0; i < DT_CLASSIFY_DEPTH; i++) {
		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d)
			return 0;
		if (dt_inode_key_of(BPF_CORE_READ(parent, d_inode), &pk))
			return 0;
		anc = bpf_map_lookup_elem(&inodes, &pk);
		if (anc) {
			ak = pk;
			depth = i + 1;
			break;
		}
		d = parent;
	}
	if (!anc || !(anc->flags & DT_INODE_DIR))
		return 0;

	e = dt_reserve(DT_EV_CLASSIFY, sizeof(*e));
	nv.dataset = anc->dataset;
	nv.label = anc->label;
	d = leaf;
	for (i = 0; i < DT_CLASSIFY_DEPTH; i++) {
		if (i >= depth)
			break;
		inode = BPF_CORE_READ(d, d_inode);
		if (dt_inode_key_of(inode, &pk))
			break;
		mode = BPF_CORE_READ(inode, i_mode);
		nv.flags = DT_INODE_CREATED | ((mode & DT_S_IFMT) == DT_S_IFDIR ? DT_INODE_DIR : 0);
		if (bpf_map_update_elem(&inodes, &pk, &nv, BPF_NOEXIST) == -E2BIG) {
			struct dt_stats *st = dt_stats();

			if (st)
				st->inode_full++;
		}
		if (e)
			bpf_probe_read_kernel_str(e->names[i], DT_NAME_LEN,
						  BPF_CORE_READ(d, d_name.name));
		d = BPF_CORE_READ(d, d_parent);
	}
	if (!e)
		return 0;
	e->ino = ik.ino;
	e->dev = ik.dev;
	e->anc_ino = ak.ino;
	e->dataset = nv.dataset;
	e->depth = depth;
	e->label = nv.label;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	dt_submit(e);
	return 0;
}

static __always_inline int dt_file_sys_exit(struct pt_regs *regs, long nr, long ret)
{
	switch (nr) {
	case DT_NR_read:
	case DT_NR_pread64:
	case DT_NR_readv:
	case DT_NR_preadv:
	case DT_NR_preadv2:
		if (ret > 0)
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_READ, ret);
		break;
	case DT_NR_sendfile:
		if (ret > 0)
			dt_file_read(DT_SC_ARG2(regs), DT_ACC_SENDFILE, ret);
		break;
	case DT_NR_splice:
		if (ret > 0)
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_SPLICE, ret);
		break;
	case DT_NR_copy_file_range:
		if (ret > 0)
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_COPY_FILE_RANGE, ret);
		break;
	case DT_NR_mmap:
		/* ret is the address; the mapped length counts, at map time. */
		if ((unsigned long)ret < (unsigned long)-4095 &&
		    !(DT_SC_ARG4(regs) & DT_MAP_ANONYMOUS))
			dt_file_read(DT_SC_ARG5(regs), DT_ACC_MMAP, DT_SC_ARG2(regs));
		break;
	case DT_NR_open:
	case DT_NR_openat:
	case DT_NR_openat2:
	case DT_NR_creat:
		if (ret >= 0)
			dt_file_open(ret);
		break;
	}
	return 0;
}

#endif /* DT_FILE_BPF_H */
