// SPDX-License-Identifier: GPL-2.0
/* io_submit.bpf.c - native AIO (io_submit) reads and writes, followed like their syscall twins. */
#include "common.bpf.h"
#include "file.bpf.h"
#include "taint.bpf.h"

/*
 * io_submit() hands the kernel an array of iocb pointers; each IOCB_CMD_PREAD/PREADV reads a
 * file into memory and each IOCB_CMD_PWRITE/PWRITEV writes one, without a read or write
 * syscall. The kernel has no AIO tracepoint, and its completion (aio_complete_rw()) may run
 * in an interrupt, away from the submitter. So the requests are read from the caller's
 * memory, bounded: at entry, a tainted submitter's writes mark what they write (the race of
 * docs/architecture.md §1.2, as sys_enter does for write()); at exit the first @ret requests
 * (those the kernel took) are counted. A read counts what it can read: aio_nbytes (or its
 * iovecs' sum) clipped to the file's size past aio_offset, which is the completed result for
 * a regular file; not io_getevents()' io_event.res, which passes through the completion ring
 * that the caller can write. A read from a pipe or socket and a write count what was asked.
 */

#define DT_IOCB_CMD_PREAD 0
#define DT_IOCB_CMD_PWRITE 1
#define DT_IOCB_CMD_PREADV 7
#define DT_IOCB_CMD_PWRITEV 8

/* io_submit() clips its count to the context's size, at most fs.aio-max-nr (65536 by default). */
#define DT_AIO_MAX (1U << 20)
/* UIO_MAXIOV. */
#define DT_AIO_IOV_MAX 1024

/* send.bpf.c: marks what a tainted process writes to @fd, as sys_enter does. */
extern int dt_send_enter_args(long nr, long fd_out, long fd_in, unsigned long a2,
			      unsigned long a5);
extern int dt_send_mark_fd(long nr, long fd_out);

/* The fields of struct iocb (include/uapi/linux/aio_abi.h) from aio_lio_opcode to aio_offset. */
#define DT_IOCB_OPCODE_OFF 16
struct dt_iocb {
	__u16 opcode;
	__s16 reqprio;
	__u32 fildes;
	__u64 buf;
	__u64 nbytes;
	__s64 offset;
};

/* Its first 8 bytes: all the entry needs, and 32 bytes less on a stack that is at its limit. */
struct dt_iocb_head {
	__u16 opcode;
	__s16 reqprio;
	__u32 fildes;
};

struct dt_aio_walk {
	unsigned long iocbpp; /* the caller's array of iocb pointers */
	unsigned long p;      /* the current iocb (here, not on the callback's stack) */
	__u32 ptr_size;       /* 8, or 4 for an ia32 caller (compat_uptr_t, compat_iovec) */
};

struct dt_iov_walk {
	unsigned long iov;
	__u32 ptr_size;
	__u32 fault;
	__u64 total;
};

static long dt_iov_step(__u32 i, void *data)
{
	struct dt_iov_walk *w = data;
	__u32 len32;
	__u64 len;

	if (w->ptr_size == 4) {
		/* struct compat_iovec: base, len, 32 bits each. */
		if (bpf_probe_read_user(&len32, sizeof(len32), (void *)(w->iov + i * 8 + 4)))
			goto fault;
		w->total += len32;
		return 0;
	}
	if (bpf_probe_read_user(&len, sizeof(len), (void *)(w->iov + i * 16 + 8)))
		goto fault;
	w->total += len;
	return 0;
fault:
	w->fault = 1;
	return 1;
}

/*
 * The bytes of the @n iovecs at @iov. One the kernel could read but this cannot counts as
 * unbounded (~0): a read is then clipped to the file, a write is not counted (and did fail).
 * Global functions here and below (verified once, on their own, with any scalar arguments):
 * each is its own frame, so that the loop's callback stays small and the deepest chain
 * (callback, write, chan.bpf.c's senders) stays within the 512 bytes kernels before 6.13
 * give a program and its calls together.
 */
__noinline __u64 dt_aio_iov_bytes(unsigned long iov, __u64 n, __u32 ptr_size)
{
	struct dt_iov_walk w = { .iov = iov, .ptr_size = ptr_size };

	if (n > DT_AIO_IOV_MAX)
		return 0; /* the kernel refuses it (EINVAL) */
	bpf_loop(n, dt_iov_step, &w, 0);
	return w.fault ? ~0ULL : w.total;
}

/* What a read of @bytes at @off from @f yields: a regular file's size past @off at most. */
static __always_inline __u64 dt_aio_read_bytes(struct file *f, __s64 off, __u64 bytes)
{
	struct inode *inode = DT_KLOAD(f, f_inode);
	__s64 size;

	if (!inode || (DT_KLOAD(inode, i_mode) & DT_S_IFMT) != DT_S_IFREG)
		return bytes == ~0ULL ? 0 : bytes;
	size = DT_KLOAD(inode, i_size);
	if (off < 0 || off >= size)
		return 0;
	return bytes < (__u64)(size - off) ? bytes : (__u64)(size - off);
}

/*
 * A read of up to @asked bytes at @off from @fd. No fd for dt_file_read_f(): /proc/PID/mem has
 * no read_iter, which AIO needs, so nothing for dt_chan_procmem() (and its frame) to do.
 */
__noinline int dt_aio_read(long fd, __s64 off, __u64 asked)
{
	struct file *f = dt_fd_file_btf(fd);
	__u64 bytes;

	if (!f)
		return 0;
	bytes = dt_aio_read_bytes(f, off, asked);
	if (bytes)
		dt_file_read_f(f, -1, DT_ACC_READ, bytes);
	return 0;
}

/*
 * A write of @bytes to @fd. The sends chan.bpf.c follows (TUN, packet, raw, AF_XDP) by
 * dt_aio_write_chan(), beside this rather than below it: one frame less on the deepest chain.
 * /proc/PID/mem has no write_iter, which AIO needs.
 */
__noinline int dt_aio_write(long fd, __u64 bytes)
{
	if (bytes && bytes != ~0ULL)
		dt_file_write_f(dt_fd_file_btf(fd), fd, DT_NR_AIO, 0, 0, bytes, false);
	return 0;
}

/* What dt_file_write_f() hands chan.bpf.c for a tainted writer, for an AIO write. */
__noinline int dt_aio_write_chan(long fd, __u64 bytes)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct file *f;
	struct sock *sk;
	__u16 family, proto, mode;

	if (!bytes || bytes == ~0ULL || !bpf_map_lookup_elem(&taint, &tgid))
		return 0;
	f = dt_fd_file_btf(fd);
	if (!f)
		return 0;
	mode = DT_KLOAD(f, f_inode, i_mode) & DT_S_IFMT;
	if (mode == DT_S_IFCHR)
		return dt_chan_tun_write(fd, bytes);
	if (mode != DT_S_IFSOCK)
		return 0;
	sk = dt_file_sock(f);
	if (!sk)
		return 0;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	proto = DT_KLOAD(sk, sk_protocol);
	if ((family == DT_AF_INET || family == DT_AF_INET6) &&
	    (proto == DT_IPPROTO_TCP || proto == DT_IPPROTO_UDP))
		return 0;
	return dt_chan_raw_send(fd, DT_NR_AIO, 0, 0, bytes);
}

/* Reads the @i-th request's first @len bytes from aio_lio_opcode on into @cb. */
static __always_inline int dt_aio_iocb(struct dt_aio_walk *w, __u32 i, void *cb, __u32 len)
{
	w->p = 0;
	if (w->ptr_size == 4) {
		if (bpf_probe_read_user(&w->p, 4, (void *)(w->iocbpp + i * 4)))
			return -1;
	} else if (bpf_probe_read_user(&w->p, 8, (void *)(w->iocbpp + i * 8))) {
		return -1;
	}
	return bpf_probe_read_user(cb, len, (void *)(w->p + DT_IOCB_OPCODE_OFF));
}

/* At entry: a tainted caller's write marks what it writes. */
static long dt_aio_step_enter(__u32 i, void *data)
{
	struct dt_iocb_head cb;

	if (dt_aio_iocb(data, i, &cb, sizeof(cb)))
		return 1;
	if (cb.opcode == DT_IOCB_CMD_PWRITE || cb.opcode == DT_IOCB_CMD_PWRITEV)
		dt_send_enter_args(DT_NR_AIO, (int)cb.fildes, -1, 0, 0);
	return 0;
}

/* The same for an ia32 caller, without enforcement (dt_send_mark_fd()). */
static long dt_aio_step_enter32(__u32 i, void *data)
{
	struct dt_iocb_head cb;

	if (dt_aio_iocb(data, i, &cb, sizeof(cb)))
		return 1;
	if (cb.opcode == DT_IOCB_CMD_PWRITE || cb.opcode == DT_IOCB_CMD_PWRITEV)
		dt_send_mark_fd(DT_NR_AIO, (int)cb.fildes);
	return 0;
}

/* At exit: each request the kernel took is counted. */
static long dt_aio_step_exit(__u32 i, void *data)
{
	struct dt_aio_walk *w = data;
	struct dt_iocb cb;
	__u64 asked;

	if (dt_aio_iocb(w, i, &cb, sizeof(cb)))
		return 1;
	asked = cb.nbytes;
	if (cb.opcode == DT_IOCB_CMD_PREADV || cb.opcode == DT_IOCB_CMD_PWRITEV)
		asked = dt_aio_iov_bytes(cb.buf, cb.nbytes, w->ptr_size);
	if (cb.opcode == DT_IOCB_CMD_PREAD || cb.opcode == DT_IOCB_CMD_PREADV) {
		dt_aio_read((int)cb.fildes, cb.offset, asked);
	} else if (cb.opcode == DT_IOCB_CMD_PWRITE || cb.opcode == DT_IOCB_CMD_PWRITEV) {
		dt_aio_write((int)cb.fildes, asked);
		dt_aio_write_chan((int)cb.fildes, asked);
	}
	return 0;
}

/*
 * io_submit(ctx, @nr, @iocbpp) entry: only a tainted caller's writes have anything to mark,
 * so an untainted one pays one lookup.
 */
/*
 * Passes pending shared-memory taint on, then says whether the caller is tainted. Its own
 * frame, not the entry's: the entry's stack adds up with the request loop's send path
 * and enforcement, which together reach the 512 bytes kernels before 6.13 allow.
 */
static __noinline int dt_aio_caller_tainted(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	dt_shm_flush();
	return bpf_map_lookup_elem(&taint, &tgid) != NULL;
}

static __always_inline int dt_aio_submit_enter(unsigned long iocbpp, long nr, __u32 ptr_size)
{
	struct dt_aio_walk w = { .iocbpp = iocbpp, .ptr_size = ptr_size };

	/* Pending shared-memory taint is passed on first (dt_shm_flush()), whatever @nr. */
	if (!dt_aio_caller_tainted() || nr <= 0)
		return 0;
	bpf_loop(nr < DT_AIO_MAX ? nr : DT_AIO_MAX,
		 ptr_size == 4 ? dt_aio_step_enter32 : dt_aio_step_enter, &w, 0);
	return 0;
}

/* io_submit() returned @ret: that many requests, from the first, were taken. */
static __always_inline int dt_aio_submit_exit(unsigned long iocbpp, long ret, __u32 ptr_size)
{
	struct dt_aio_walk w = { .iocbpp = iocbpp, .ptr_size = ptr_size };

	if (ret <= 0)
		return 0;
	bpf_loop(ret < DT_AIO_MAX ? ret : DT_AIO_MAX, dt_aio_step_exit, &w, 0);
	return 0;
}

/* An ia32 caller's (ia32.bpf.c): iocb pointers and iovecs of 32 bits. */
__noinline int dt_aio_submit_enter32(unsigned long iocbpp, long nr)
{
	return dt_aio_submit_enter(iocbpp, nr, 4);
}

__noinline int dt_aio_submit_exit32(unsigned long iocbpp, long ret)
{
	return dt_aio_submit_exit(iocbpp, ret, 4);
}

SEC("tracepoint/syscalls/sys_enter_io_submit")
int dt_enter_io_submit(struct trace_event_raw_sys_enter *ctx)
{
	return dt_aio_submit_enter(ctx->args[2], ctx->args[1], 8);
}

SEC("fentry/" DT_SYSCALL_FN(io_submit))
int BPF_PROG(dt_fentry_io_submit, struct pt_regs *regs)
{
	return dt_aio_submit_enter(DT_SC_ARG3(regs), DT_SC_ARG2(regs), 8);
}

SEC("tracepoint/syscalls/sys_exit_io_submit")
int dt_exit_io_submit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = dt_sc_regs();

	return dt_aio_submit_exit(DT_SC_ARG3(regs), ctx->ret, 8);
}

SEC("fexit/" DT_SYSCALL_FN(io_submit))
int BPF_PROG(dt_fexit_io_submit, struct pt_regs *regs, long ret)
{
	return dt_aio_submit_exit(DT_SC_ARG3(regs), ret, 8);
}
