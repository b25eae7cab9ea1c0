// SPDX-License-Identifier: GPL-2.0
/* io_uring.bpf.c - io_uring requests: channels marked at submission, bytes counted at completion. */
#include "common.bpf.h"
#include "taint.bpf.h"
#include "file.bpf.h"

#define DT_SPLICE_F_FD_IN_FIXED (1U << 31)

/* send.bpf.c: marks what a tainted request writes, as sys_enter does for the syscalls. */
extern int dt_uring_send_mark(long nr, long fd_out, struct file *f_out, struct file *f_in,
			      unsigned long dest) __hidden;

/*
 * A tainted submitter's send destination (the sockaddr it gave), by request, from submission
 * to completion: the kernel's copy lives in the request's async data, which a successful send
 * recycles before its completion is posted. Only this file uses it, so it is defined here.
 * LRU: a request that never completes leaves nothing behind for long.
 */
#define DT_URING_DEST_MAX 4096
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DT_URING_DEST_MAX);
	__type(key, __u64);
	__type(value, struct sockaddr_in6);
} uring_dest SEC(".maps");

/* Requests that move bytes into a file, pipe or socket: what sys_enter marks for syscalls. */
static __always_inline bool dt_uring_op_writes(__u8 op)
{
	switch (op) {
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_WRITEV_FIXED:
	case IORING_OP_SEND:
	case IORING_OP_SENDMSG:
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG_ZC:
	case IORING_OP_SPLICE:
	case IORING_OP_TEE:
		return true;
	}
	return false;
}

/*
 * The syscall a writing request stands for, which says where dt_sock_dest() finds its
 * destination: a send's is the kernel's copy of the address the caller gave (SENDMSG's
 * msg_name, SEND's addr2), made at prep, before submission; NULL for none.
 */
static __always_inline long dt_uring_nr(__u8 op, struct io_kiocb *req, unsigned long *dest)
{
	struct io_async_msghdr *km;

	*dest = 0;
	switch (op) {
	case IORING_OP_SEND:
	case IORING_OP_SENDMSG:
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG_ZC:
		km = BPF_CORE_READ(req, async_data);
		if (km)
			*dest = (unsigned long)BPF_CORE_READ(km, msg.msg_name);
		return DT_NR_KSOCKADDR;
	case IORING_OP_SPLICE:
	case IORING_OP_TEE:
		return DT_NR_splice;
	}
	return DT_NR_write;
}

/* The registered-file table before Linux 6.13: a flat array of tagged pointers. */
struct io_fixed_file___old {
	unsigned long file_ptr;
};

struct io_file_table___old {
	struct io_fixed_file___old *files;
};

struct io_ring_ctx___old {
	unsigned int nr_user_files;
	struct io_file_table___old file_table;
};

/*
 * Registered file @idx of @req's ring (IOSQE_FIXED_FILE, SPLICE_F_FD_IN_FIXED). The pointer
 * keeps flag bits below it (FFS_NOWAIT, FFS_ISREG in io_uring/filetable.h); a file is at least
 * 8-aligned.
 */
static __always_inline struct file *dt_uring_fixed_file(struct io_kiocb *req, __u32 idx)
{
	struct io_ring_ctx *ctx = BPF_CORE_READ(req, ctx);
	struct io_rsrc_node **nodes, *node = NULL;
	struct io_ring_ctx___old *octx;
	struct io_fixed_file___old *files;
	unsigned long ptr;

	if (bpf_core_field_exists(ctx->file_table.data)) {
		if (idx >= BPF_CORE_READ(ctx, file_table.data.nr))
			return NULL;
		nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
		if (!nodes || bpf_probe_read_kernel(&node, sizeof(node), &nodes[idx]) || !node)
			return NULL;
		ptr = BPF_CORE_READ(node, file_ptr);
	} else {
		octx = (struct io_ring_ctx___old *)ctx;
		if (idx >= BPF_CORE_READ(octx, nr_user_files))
			return NULL;
		files = BPF_CORE_READ(octx, file_table.files);
		if (!files || bpf_probe_read_kernel(&ptr, sizeof(ptr), &files[idx].file_ptr))
			return NULL;
	}
	ptr &= ~7UL;
	return ptr ? dt_file_btf((struct file *)ptr) : NULL;
}

/* SPLICE's and TEE's source: a fd, or a registered file. */
static __always_inline struct file *dt_uring_splice_in(struct io_kiocb *req)
{
	struct io_splice *sp = (struct io_splice *)req;
	int fd = BPF_CORE_READ(sp, splice_fd_in);

	if (BPF_CORE_READ(sp, flags) & DT_SPLICE_F_FD_IN_FIXED)
		return dt_uring_fixed_file(req, fd);
	return dt_fd_file_btf(fd);
}

/*
 * The file @req names, as it will be when the request is issued: from the fd table, or the
 * ring's table of registered files (enforce.bpf.c). NULL if there is none yet.
 */
__hidden struct file *dt_uring_req_file(struct io_kiocb *req)
{
	if (!req)
		return NULL;
	if (req->flags & REQ_F_FIXED_FILE)
		return dt_uring_fixed_file(req, req->cqe.fd);
	return dt_fd_file_btf(req->cqe.fd);
}

/*
 * The race of sys_enter (docs/architecture.md §1.2) exists for the ring too: a send's bytes
 * can be read by the peer before its completion runs. So a tainted submitter's target is
 * marked here, when the request is submitted (prep has run; the file itself is looked up only
 * when it is issued, so it is taken from the fd table, or the ring's table of registered
 * files, by the fd the SQE names). Runs in the submitting task or the SQPOLL thread, which
 * share the fd table.
 */
static __always_inline int dt_on_submit(struct io_kiocb *req)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct file *f_out = NULL, *f_in = NULL;
	unsigned long dest;
	__u8 op = req->opcode;
	long nr;

	if (!dt_uring_op_writes(op))
		return 0;
	nr = dt_uring_nr(op, req, &dest);
	if (nr == DT_NR_splice)
		f_in = dt_uring_splice_in(req);
	if (req->flags & REQ_F_FIXED_FILE) {
		f_out = dt_uring_fixed_file(req, req->cqe.fd);
		if (!f_out)
			return 0;
	}
	dt_uring_send_mark(nr, req->cqe.fd, f_out, f_in, dest);
	if (dest && bpf_map_lookup_elem(&taint, &tgid)) {
		struct sockaddr_in6 sa = {};
		__u64 key = (__u64)req;

		if (!bpf_probe_read_kernel(&sa, sizeof(sa), (void *)dest))
			bpf_map_update_elem(&uring_dest, &key, &sa, BPF_ANY);
	}
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(dt_io_uring_submit, struct io_kiocb *req)
{
	return dt_on_submit(req);
}

/* Before Linux 6.4 the tracepoint was io_uring_submit_sqe, at the same place (user/hooks.c). */
SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(dt_io_uring_submit_sqe, struct io_kiocb *req, bool force_nonblock)
{
	return dt_on_submit(req);
}

/*
 * Out of line, so that their frames and dt_uring_send_mark()'s are not stacked on each other:
 * kernels before 6.13 give a program and its calls 512 bytes together.
 */
static __noinline int dt_uring_read(struct file *f, __u32 access, __u64 bytes)
{
	return dt_file_read_f(f, -1, access, bytes);
}

static __noinline int dt_uring_write(struct file *f, long nr, unsigned long dest, __u64 bytes)
{
	return dt_file_write_f(f, -1, nr, 0, dest, bytes, false);
}

/*
 * io_uring reads and sends make no read or send syscall, so sys_exit never sees them. Each
 * completion carries the request (its file and opcode) and the result, which is all the
 * accounting needs; it runs in the submitter's thread group (inline, task work or an io-wq
 * worker thread, which share its fd table and memory).
 */
static __always_inline int dt_on_complete(struct io_kiocb *req, __s32 res)
{
	struct sockaddr_in6 dest_copy, *sa;
	struct file *f, *f_in = NULL;
	__u64 key = (__u64)req;
	unsigned long dest;
	__u8 op;
	long nr;

	op = BPF_CORE_READ(req, opcode);
	/* No rename or mkdir syscall for the open path's memory to notice (file.bpf.h). */
	if (op == IORING_OP_RENAMEAT || op == IORING_OP_MKDIRAT)
		return dt_walk_invalidate(res);
	if (res <= 0)
		return 0;
	switch (op) {
	case IORING_OP_READ:
	case IORING_OP_READV:
	case IORING_OP_READ_FIXED:
	case IORING_OP_READV_FIXED:
	case IORING_OP_READ_MULTISHOT:
	case IORING_OP_RECV:
	case IORING_OP_RECVMSG:
		/* The tracepoint gives the request as void *: its file by probe read, then typed. */
		return dt_uring_read(dt_file_btf(BPF_CORE_READ(req, file)), DT_ACC_IO_URING, res);
	}
	if (!dt_uring_op_writes(op))
		return 0;
	f = dt_file_btf(BPF_CORE_READ(req, file));
	if (!f)
		return 0;
	nr = dt_uring_nr(op, req, &dest);
	if (nr == DT_NR_splice) {
		f_in = dt_uring_splice_in(req);
		dt_uring_read(f_in, DT_ACC_SPLICE, res);
	} else if (nr == DT_NR_KSOCKADDR) {
		sa = bpf_map_lookup_elem(&uring_dest, &key);
		if (sa) {
			/* Copied out first: a deleted element may be reused at once. */
			__builtin_memcpy(&dest_copy, sa, sizeof(dest_copy));
			bpf_map_delete_elem(&uring_dest, &key);
			dest = (unsigned long)&dest_copy;
		}
	}
	/*
	 * Marked again: a linked request may have tainted the submitter since submission. Late
	 * for a reader that was quicker; only merges.
	 */
	dt_uring_send_mark(nr, -1, f, f_in, dest);
	return dt_uring_write(f, nr, dest, res);
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
