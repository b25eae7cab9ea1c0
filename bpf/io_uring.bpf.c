// SPDX-License-Identifier: GPL-2.0
/* io_uring.bpf.c - reads submitted through io_uring, counted at completion. */
#include "common.bpf.h"
#include "taint.bpf.h"
#include "file.bpf.h"

/*
 * io_uring reads make no read syscall, so sys_exit never sees them. Each completion carries
 * the request (its file and opcode) and the result, which is all the accounting needs; it runs
 * in the submitter's thread group (inline, task work or an io-wq worker thread).
 */
static __always_inline int dt_on_complete(struct io_kiocb *req, __s32 res)
{
	struct dt_inode_key ik;
	struct dt_inode_val *iv;
	struct dentry *origin;
	struct file *f;
	__u8 op;

	op = BPF_CORE_READ(req, opcode);
	/* No rename or mkdir syscall for the open path's memory to notice (file.bpf.h). */
	if (op == IORING_OP_RENAMEAT || op == IORING_OP_MKDIRAT)
		return dt_walk_invalidate(res);
	if (op != IORING_OP_READ && op != IORING_OP_READV && op != IORING_OP_READ_FIXED &&
	    op != IORING_OP_READ_MULTISHOT)
		return 0;
	if (res <= 0)
		return 0;
	/* The tracepoint gives the request as void *: its file by probe read, then typed. */
	f = dt_file_btf(BPF_CORE_READ(req, file));
	if (!f || !dt_file_key_real(f, &ik, &origin))
		return 0;
	iv = bpf_map_lookup_elem(&inodes, &ik);
	if (!iv && origin)
		iv = dt_ovl_copied_up(f, &ik, origin);
	if (!iv)
		return 0;
	dt_account(&ik, iv, DT_ACC_IO_URING, res);
	if (iv->dataset != DT_DATASET_AGENT)
		dt_taint_from_inode(&ik, iv, res);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(dt_io_uring_complete, void *ring, void *req, struct io_uring_cqe *cqe)
{
	return dt_on_complete(req, BPF_CORE_READ(cqe, res));
}

/* Before Linux 6.3 the tracepoint passed the completion's fields one by one (user/hooks.c). */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(dt_io_uring_complete_v1, void *ring, void *req, __u64 user_data, int res)
{
	return dt_on_complete(req, res);
}
