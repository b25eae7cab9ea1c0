// SPDX-License-Identifier: GPL-2.0
/* send.bpf.c - taint passed on at syscall entry, before a reader can see the bytes. */
#include "common.bpf.h"
#include "file.bpf.h"
#include "path.bpf.h"
#include "sock.bpf.h"
#include "taint.bpf.h"
#include "enforce.bpf.h"

/*
 * Marking a channel at syscall exit would race with its reader: a pipe reader on another CPU
 * can return from read() before the writer's sys_exit runs. So channels and derived files
 * are marked here, when a tainted process enters a write; bytes are counted at exit. Only
 * the syscalls that can carry data out of a process are hooked (per-syscall tracepoints, or
 * with the fentry backend their fentry twins), and an untainted writer costs one map lookup.
 * @regs holds the syscall's arguments for enforcement (dt_enforce_send()); NULL from a
 * tracepoint, whose record already gave the rest.
 */

/*
 * sendfile, splice, tee, copy_file_range: the caller takes the taint of the source @f_in
 * (inode @inode, key @ik), a classified file's or a tainted pipe's or socket's, before the
 * copy, so that its destination is marked in this same call, before its reader can see the
 * bytes. Built in per-cpu scratch (sendwork), not on the stack.
 */
static __always_inline void dt_send_take_in(struct file *f_in, struct inode *inode,
					    const struct dt_inode_key *ik, __u32 tgid)
{
	struct dt_send_work *w;
	struct dt_inode_val *iv;
	struct dt_taint *ct;
	__u32 zero = 0, src_pid = 0;
	__u64 src_id = ik->ino;
	__u8 hop = DT_HOP_READ;

	iv = bpf_map_lookup_elem(&inodes, ik);
	if ((iv && iv->dataset == DT_DATASET_AGENT) || (!iv && !dt_chan_count))
		return;
	w = bpf_map_lookup_elem(&sendwork, &zero);
	if (!w)
		return;
	if (iv) {
		dt_taint_of_inode(ik, iv, &w->t);
	} else {
		__builtin_memset(&w->ck, 0, sizeof(w->ck));
		if (dt_chan_of_file(f_in, inode, ik, &w->ck, &hop))
			return;
		ct = bpf_map_lookup_elem(&chan, &w->ck);
		if (!ct)
			return;
		__builtin_memcpy(&w->t, ct, sizeof(w->t));
		src_pid = w->t.src_pid;
		src_id = w->ck.id;
	}
	dt_taint_process(tgid, &w->t, hop, src_pid, src_id, 0);
}

/*
 * The core of a send: @f_in (if any) is what the caller copies from, @fd_out (or @f_out, when
 * the caller has the file already) what it writes to. @enforce: false for io_uring, which
 * enforcement hooks itself (dt_enf_uring_submit, enforce.bpf.c).
 */
static __always_inline int dt_send_mark(long nr, long fd_out, struct file *f_out, struct file *f_in,
					unsigned long a2, unsigned long a5, bool enforce,
					struct pt_regs *regs)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct dt_chan_key ck = {};
	struct dt_inode_key ik;
	struct dt_inode_val *iv;
	struct unix_sock *us;
	struct dt_taint *t;
	struct inode *inode;
	struct sock *sk, *peer;
	struct file *f;
	__u16 family, proto, type, port;
	__u8 daddr[16];
	umode_t mode;

	/* A copy: its source's taint first (sendfile, splice, tee, copy_file_range). */
	inode = f_in ? dt_file_key_btf(f_in, &ik) : NULL;
	if (inode)
		dt_send_take_in(f_in, inode, &ik, tgid);
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t)
		return 0;

	f = f_out ? f_out : dt_fd_file_btf(fd_out);
	inode = dt_file_key_btf(f, &ik);
	if (!inode)
		return 0;
	mode = DT_KLOAD(inode, i_mode) & DT_S_IFMT;
	if (mode == DT_S_IFIFO) {
		ck.kind = DT_CHAN_PIPE;
		ck.ns = ik.dev;
		ck.id = ik.ino;
		dt_chan_mark(&ck, t, tgid);
		return 0;
	}
	if (mode == DT_S_IFREG) {
		if (dt_pseudo_fs(inode))
			return 0;
		iv = bpf_map_lookup_elem(&inodes, &ik);
		if (!iv) {
			/* Off the node: egress, counted at exit (dt_egress_fs_write), not a copy. */
			if (!bpf_map_lookup_elem(&egress_fs, &ik.dev))
				dt_mark_derived(f, &ik, t, tgid);
		} else if (iv->flags & DT_INODE_DERIVED) {
			ck.kind = DT_CHAN_FILE;
			ck.ns = ik.dev;
			ck.id = ik.ino;
			dt_chan_mark(&ck, t, tgid);
		}
		return 0;
	}
	if (mode != DT_S_IFSOCK)
		return 0;
	sk = dt_file_sock(f);
	if (!sk)
		return 0;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	if (family == DT_AF_UNIX) {
		us = dt_unix_sock(sk);
		peer = us ? DT_KLOAD(us, peer) : NULL;
		if (!peer)
			return 0;
		ck.kind = DT_CHAN_UNIX;
		ck.id = (__u64)peer;
		dt_chan_mark(&ck, t, tgid);
		return 0;
	}
	if (family != DT_AF_INET && family != DT_AF_INET6)
		return 0;
	proto = DT_KLOAD(sk, sk_protocol);
	type = DT_KLOAD(sk, sk_type);
	if (!dt_enf_judged(type, proto)) {
		/*
		 * Raw, ping, SCTP, UDP-Lite, MPTCP: no channel; egress counted at exit as the raw
		 * link (chan.bpf.c). Under block a tainted sender's socket is marked if it can be.
		 */
		if (!enforce || !dt_enf_active)
			return 0;
		if (dt_sock_dest(sk, family, nr, a2, a5, daddr, &port)) {
			dt_sk_addrs(sk, family, daddr, ck.laddr);
			if (dt_addr_is_unspec(daddr))
				return 0;
		}
		if (!dt_addr_is_loopback(daddr))
			dt_enforce_send(sk, family, proto, type, daddr, port, t, nr, regs);
		return 0;
	}
	if (dt_sock_dest(sk, family, nr, a2, a5, daddr, &port))
		return 0;
	if (!dt_addr_is_loopback(daddr)) {
		/* Off the node: the inventory may refuse it (enforce.bpf.h). */
		if (enforce)
			dt_enforce_send(sk, family, proto, type, daddr, port, t, nr, regs);
		return 0;
	}
	dt_chan_key_send(sk, family, proto, daddr, port, &ck);
	dt_chan_mark(&ck, t, tgid);
	return 0;
}

static __always_inline int dt_send_enter(long nr, long fd_out, long fd_in, unsigned long a2,
					 unsigned long a5, struct pt_regs *regs)
{
	return dt_send_mark(nr, fd_out, NULL, fd_in >= 0 ? dt_fd_file_btf(fd_in) : NULL, a2, a5,
			    true, regs);
}

/*
 * io_uring (io_uring.bpf.c): a request that writes @fd_out or @f_out, from @f_in for SPLICE
 * and TEE. @nr names the syscall it stands for; a send's @dest is a kernel sockaddr
 * (DT_NR_KSOCKADDR).
 */
__hidden int dt_uring_send_mark(long nr, long fd_out, struct file *f_out, struct file *f_in,
				unsigned long dest)
{
	return dt_send_mark(nr, fd_out, f_out, f_in, 0, dest, false, NULL);
}

/*
 * io_uring (enforce.bpf.c): a read of @f is about to be submitted; its submitter takes @f's
 * taint now, before the sends submitted behind it (dt_send_take_in()).
 */
__hidden int dt_uring_take_in(struct file *f)
{
	struct dt_inode_key ik;
	struct inode *inode = f ? dt_file_key_btf(f, &ik) : NULL;

	if (inode)
		dt_send_take_in(f, inode, &ik, bpf_get_current_pid_tgid() >> 32);
	return 0;
}

/*
 * A send made without its syscall's own hooks: an AIO write (io_submit.bpf.c, @nr DT_NR_AIO), an ia32
 * system call (ia32.bpf.c), with the arguments as a sys_enter tracepoint gives them. Global:
 * verified once, on its own.
 */
__noinline int dt_send_enter_args(long nr, long fd_out, long fd_in, unsigned long a2,
				  unsigned long a5)
{
	return dt_send_enter(nr, fd_out, fd_in, a2, a5, NULL);
}

/*
 * The same without enforcement, for an ia32 caller's AIO writes (io_submit.bpf.c): under the
 * ia32 dispatcher and the request loop, dt_enforce_send()'s calls would pass the 512 bytes
 * of stack kernels before 6.13 allow. New connections are still refused by cgroup connect.
 */
__noinline int dt_send_mark_fd(long nr, long fd_out)
{
	return dt_send_mark(nr, fd_out, NULL, NULL, 0, 0, false, NULL);
}

/* The twins read the same arguments: @out and @in are argument numbers (0: none). */
#define DT_TP_ARG_0 -1L
#define DT_TP_ARG_1 (long)ctx->args[0]
#define DT_TP_ARG_2 (long)ctx->args[1]
#define DT_TP_ARG_3 (long)ctx->args[2]
#define DT_REG_ARG_0 -1L
#define DT_REG_ARG_1 (long)DT_SC_ARG1(regs)
#define DT_REG_ARG_2 (long)DT_SC_ARG2(regs)
#define DT_REG_ARG_3 (long)DT_SC_ARG3(regs)

#define DT_SEND_ENTER(name, nr, out, in)                                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int dt_enter_##name(struct trace_event_raw_sys_enter *ctx)                                 \
	{                                                                                          \
		return dt_send_enter(nr, DT_TP_ARG_##out, DT_TP_ARG_##in, ctx->args[1],            \
				     ctx->args[4], NULL);                                          \
	}                                                                                          \
	SEC("fentry/" DT_SYSCALL_FN(name))                                                         \
	int BPF_PROG(dt_fentry_##name, struct pt_regs *regs)                                       \
	{                                                                                          \
		return dt_send_enter(nr, DT_REG_ARG_##out, DT_REG_ARG_##in, DT_SC_ARG2(regs),      \
				     DT_SC_ARG5(regs), regs);                                      \
	}

/* bpf/gpu.bpf.c: RDMA verbs passed with write(). */
extern int dt_gpu_write(long fd, unsigned long buf, unsigned long count);

SEC("tracepoint/syscalls/sys_enter_write")
int dt_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	dt_gpu_write(ctx->args[0], ctx->args[1], ctx->args[2]);
	return dt_send_enter(DT_NR_write, ctx->args[0], -1, ctx->args[1], ctx->args[4], NULL);
}

SEC("fentry/" DT_SYSCALL_FN(write))
int BPF_PROG(dt_fentry_write, struct pt_regs *regs)
{
	dt_gpu_write(DT_SC_ARG1(regs), DT_SC_ARG2(regs), DT_SC_ARG3(regs));
	return dt_send_enter(DT_NR_write, DT_SC_ARG1(regs), -1, DT_SC_ARG2(regs), DT_SC_ARG5(regs),
			     regs);
}

DT_SEND_ENTER(writev, DT_NR_writev, 1, 0)
DT_SEND_ENTER(pwrite64, DT_NR_pwrite64, 1, 0)
DT_SEND_ENTER(pwritev, DT_NR_pwritev, 1, 0)
DT_SEND_ENTER(pwritev2, DT_NR_pwritev2, 1, 0)
DT_SEND_ENTER(sendto, DT_NR_sendto, 1, 0)
DT_SEND_ENTER(sendmsg, DT_NR_sendmsg, 1, 0)
DT_SEND_ENTER(sendmmsg, DT_NR_sendmmsg, 1, 0)
DT_SEND_ENTER(sendfile64, DT_NR_sendfile, 1, 2)
DT_SEND_ENTER(splice, DT_NR_splice, 3, 1)
DT_SEND_ENTER(copy_file_range, DT_NR_copy_file_range, 3, 1)
DT_SEND_ENTER(tee, DT_NR_tee, 2, 1)

/* vmsplice() into a pipe's write end is a write; on the read end it is a read (syscalls.bpf.c). */
static __always_inline int dt_vmsplice_enter(long fd, struct pt_regs *regs)
{
	struct file *f = dt_fd_file_btf(fd);

	if (!f || !(DT_KLOAD(f, f_mode) & DT_FMODE_WRITE))
		return 0;
	return dt_send_mark(DT_NR_vmsplice, -1, f, NULL, 0, 0, true, regs);
}

/* The same for an ia32 vmsplice() (ia32.bpf.c). */
__noinline int dt_vmsplice_enter_fd(long fd)
{
	return dt_vmsplice_enter(fd, NULL);
}

SEC("tracepoint/syscalls/sys_enter_vmsplice")
int dt_enter_vmsplice(struct trace_event_raw_sys_enter *ctx)
{
	return dt_vmsplice_enter(ctx->args[0], NULL);
}

SEC("fentry/" DT_SYSCALL_FN(vmsplice))
int BPF_PROG(dt_fentry_vmsplice, struct pt_regs *regs)
{
	return dt_vmsplice_enter(DT_SC_ARG1(regs), regs);
}
