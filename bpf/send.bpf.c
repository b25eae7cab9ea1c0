// SPDX-License-Identifier: GPL-2.0
/* send.bpf.c - taint passed on at syscall entry, before a reader can see the bytes. */
#include "common.bpf.h"
#include "path.bpf.h"
#include "sock.bpf.h"
#include "taint.bpf.h"
#include "enforce.bpf.h"

/*
 * Marking a channel at syscall exit would race with its reader: a pipe reader on another CPU
 * can return from read() before the writer's sys_exit runs. So channels and derived files
 * are marked here, when a tainted process enters a write; bytes are counted at exit. Only
 * the syscalls that can carry data out of a process are hooked (per-syscall tracepoints),
 * and an untainted writer costs one map lookup.
 */

static __always_inline int dt_send_enter(long nr, long fd_out, long fd_in, unsigned long a2,
					 unsigned long a5, struct trace_event_raw_sys_enter *ctx)
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
	__u16 family, proto, port;
	__u8 daddr[16];
	umode_t mode;

	/* sendfile, splice, copy_file_range from a classified file: tainted before the copy. */
	if (fd_in >= 0 && dt_file_key_btf(dt_fd_file_btf(fd_in), &ik)) {
		iv = bpf_map_lookup_elem(&inodes, &ik);
		if (iv && iv->dataset != DT_DATASET_AGENT)
			dt_taint_from_inode(&ik, iv, 0);
	}
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t)
		return 0;

	f = dt_fd_file_btf(fd_out);
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
	proto = DT_KLOAD(sk, sk_protocol);
	if ((family != DT_AF_INET && family != DT_AF_INET6) ||
	    (proto != DT_IPPROTO_TCP && proto != DT_IPPROTO_UDP))
		return 0;
	if (dt_sock_dest(sk, family, nr, a2, a5, daddr, &port))
		return 0;
	if (!dt_addr_is_loopback(daddr)) {
		/* Off the node: the inventory may refuse it (enforce.bpf.h). */
		dt_enforce_send(sk, family, proto, daddr, port, t, nr, ctx);
		return 0;
	}
	dt_chan_key_send(sk, family, proto, daddr, port, &ck);
	dt_chan_mark(&ck, t, tgid);
	return 0;
}

#define DT_SEND_ENTER(name, nr, out, in)                                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int dt_enter_##name(struct trace_event_raw_sys_enter *ctx)                                 \
	{                                                                                          \
		return dt_send_enter(nr, out, in, ctx->args[1], ctx->args[4], ctx);                     \
	}

/* bpf/gpu.bpf.c: RDMA verbs passed with write(). */
extern int dt_gpu_write(long fd, unsigned long buf, unsigned long count);

SEC("tracepoint/syscalls/sys_enter_write")
int dt_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	dt_gpu_write(ctx->args[0], ctx->args[1], ctx->args[2]);
	return dt_send_enter(DT_NR_write, ctx->args[0], -1, ctx->args[1], ctx->args[4], ctx);
}

DT_SEND_ENTER(writev, DT_NR_writev, ctx->args[0], -1)
DT_SEND_ENTER(pwrite64, DT_NR_pwrite64, ctx->args[0], -1)
DT_SEND_ENTER(pwritev, DT_NR_pwritev, ctx->args[0], -1)
DT_SEND_ENTER(pwritev2, DT_NR_pwritev2, ctx->args[0], -1)
DT_SEND_ENTER(sendto, DT_NR_sendto, ctx->args[0], -1)
DT_SEND_ENTER(sendmsg, DT_NR_sendmsg, ctx->args[0], -1)
DT_SEND_ENTER(sendmmsg, DT_NR_sendmmsg, ctx->args[0], -1)
DT_SEND_ENTER(sendfile64, DT_NR_sendfile, ctx->args[0], (long)ctx->args[1])
DT_SEND_ENTER(splice, DT_NR_splice, ctx->args[2], (long)ctx->args[0])
DT_SEND_ENTER(copy_file_range, DT_NR_copy_file_range, ctx->args[2], (long)ctx->args[0])
