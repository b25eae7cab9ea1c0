// SPDX-License-Identifier: GPL-2.0
/* enforce.bpf.c - refuses sends of classified data to destinations outside allowed_egress. */
#include "common.bpf.h"
#include "sock.bpf.h"
#include "syscall_nr.bpf.h"
#define DT_ENFORCE_DEFINE
#include "enforce.bpf.h"

/*
 * Where the bytes are stopped (docs/findings.md, "Enforcement"):
 *  - a new connection or an unconnected UDP datagram: cgroup connect4/6 and sendmsg4/6
 *    return EPERM before anything is sent;
 *  - a socket connected before its process was tainted, or received from another process:
 *    the send syscall's entry (send.bpf.c) marks it in enf_socks before the kernel builds a
 *    packet, and cgroup_skb/egress drops every packet it sends from then on.
 * All of it is attached to the cgroup2 root by the agent, and only with --enforce on or
 * dry-run: with --enforce off none of these programs is loaded.
 */

/* Dataset slots whose action is block or kill: the rest are never looked at. */
volatile __u64 dt_enf_mask[DT_TAINT_WORDS] = {};
/* Refusals not counted: the enforce map was full (the refusal itself still happened). */
volatile __u64 dt_enf_full = 0;
/* Marked TCP connections reset by dt_enf_reset_tcp. */
volatile __u64 dt_enf_reset = 0;

/* Linux 6.5: before, dt_enf_reset_tcp stays unloaded (user/hooks.c). */
extern int bpf_sock_destroy(struct sock_common *sk) __ksym __weak;

struct dt_enf_val *dt_abi_enf_val __attribute__((unused));
struct dt_ev_enforce *dt_abi_enforce __attribute__((unused));

/* Index of the lowest set bit: de Bruijn multiply, no loop. */
static const __u8 dt_debruijn[64] = {
	0,  1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6,
};

/* Whether @p's allowed_egress holds @q's destination. */
__attribute__((noinline)) int dt_enf_allowed(const struct dt_enf_policy *p,
					     const struct dt_enf_query *q)
{
	__u64 hi, lo, rhi, rlo, mhi, mlo;
	int i;

	if (!p || !q)
		return 0;
	__builtin_memcpy(&hi, q->addr, 8);
	__builtin_memcpy(&lo, q->addr + 8, 8);
	for (i = 0; i < DT_ENF_RULES; i++) {
		const struct dt_enf_rule *r = &p->rules[i];

		if (i >= p->n_rules)
			break;
		__builtin_memcpy(&rhi, r->addr, 8);
		__builtin_memcpy(&rlo, r->addr + 8, 8);
		__builtin_memcpy(&mhi, r->mask, 8);
		__builtin_memcpy(&mlo, r->mask + 8, 8);
		if ((hi & mhi) == rhi && (lo & mlo) == rlo && (!r->port || r->port == q->port))
			return 1;
	}
	return 0;
}

__attribute__((noinline)) int dt_enf_decide(const struct dt_enf_query *q)
{
	int act = DT_ENF_MONITOR, w, k;

	if (!q)
		return 0;
	for (w = 0; w < DT_TAINT_WORDS; w++) {
		__u64 bits = q->ds[w] & dt_enf_mask[w];

		for (k = 0; k < 64 && bits; k++) {
			__u64 low = bits & -bits;
			__u32 slot = w * 64 + dt_debruijn[(low * 0x03f79d71b4ca8b09ULL) >> 58];
			struct dt_enf_policy *p;

			bits &= bits - 1;
			p = bpf_map_lookup_elem(&enf_policy, &slot);
			if (!p || p->action <= act)
				continue;
			if (!dt_enf_allowed(p, q))
				act = p->action;
		}
	}
	return act;
}

/*
 * __hidden: loaded as a static subprogram, checked with its callers' pointer types. As a
 * global function its arguments were plain memory, which 6.1's verifier refuses as a map key.
 */
__hidden int dt_enf_account(const struct dt_egress_key *k,
			    const struct dt_enf_query *q, __u32 action,
			    __u32 hook, __u64 bytes)
{
	struct dt_enf_val *v, nv = {};
	struct dt_ev_enforce *e;
	__u64 now = bpf_ktime_get_ns();
	__u64 attempt = !!(hook & (DT_HOOK_CONNECT | DT_HOOK_SENDMSG | DT_HOOK_SEND));
	int i;

	if (!k || !q)
		return 0;
	v = bpf_map_lookup_elem(&enforce, k);
	if (!v) {
		nv.attempts = attempt;
		nv.bytes = bytes;
		nv.first_ns = now;
		nv.last_ns = now;
		__builtin_memcpy(nv.ds, q->ds, sizeof(nv.ds));
		nv.action = action;
		nv.dry = dt_enf_mode != DT_ENF_ON;
		nv.hooks = hook;
		if (!bpf_map_update_elem(&enforce, k, &nv, BPF_NOEXIST)) {
			e = dt_reserve(DT_EV_ENFORCE, sizeof(*e));
			if (!e)
				return 0;
			e->key = *k;
			e->tid = q->tid;
			e->action = action;
			e->dry = nv.dry;
			e->hook = hook;
			e->pad = 0;
			dt_submit(e);
			return 0;
		}
		/* Another CPU added it first: count there. */
		v = bpf_map_lookup_elem(&enforce, k);
		if (!v) {
			__sync_fetch_and_add(&dt_enf_full, 1);
			return 0;
		}
	}
	if (attempt)
		__sync_fetch_and_add(&v->attempts, 1);
	if (bytes)
		__sync_fetch_and_add(&v->bytes, bytes);
	v->last_ns = now;
	if (action > v->action)
		v->action = action;
	v->hooks |= hook;
	for (i = 0; i < DT_TAINT_WORDS; i++)
		v->ds[i] |= q->ds[i];
	return 0;
}

/* connect() or an unconnected UDP send by a tainted process: 1 lets it through, 0 is EPERM. */
static __always_inline int dt_enf_sock_addr(struct bpf_sock_addr *ctx, bool v6, __u32 hook)
{
	struct dt_enf_query q = {};
	struct dt_egress_key ek = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, proto = ctx->protocol;
	struct dt_taint *t;
	int act;

	if (dt_enf_mode == DT_ENF_OFF)
		return 1;
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t || (proto != DT_IPPROTO_TCP && proto != DT_IPPROTO_UDP))
		return 1;
	if (v6) {
		/* Context fields take constant offsets only. */
		__u32 w[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			       ctx->user_ip6[3] };

		__builtin_memcpy(q.addr, w, 16);
	} else {
		dt_addr_v4(q.addr, ctx->user_ip4);
	}
	if (dt_addr_is_loopback(q.addr))
		return 1;
	q.port = bpf_ntohs((__u16)ctx->user_port);
	q.tid = (__u32)id;
	__builtin_memcpy(q.ds, t->ds, sizeof(q.ds));
	act = dt_enf_decide(&q);
	if (act <= DT_ENF_MONITOR)
		return 1;
	ek.tgid = tgid;
	ek.port = q.port;
	ek.proto = proto;
	__builtin_memcpy(ek.addr, q.addr, 16);
	dt_enf_account(&ek, &q, act, hook, 0);
	return dt_enf_mode == DT_ENF_ON ? 0 : 1;
}

SEC("cgroup/connect4")
int dt_enf_connect4(struct bpf_sock_addr *ctx)
{
	return dt_enf_sock_addr(ctx, false, DT_HOOK_CONNECT);
}

SEC("cgroup/connect6")
int dt_enf_connect6(struct bpf_sock_addr *ctx)
{
	return dt_enf_sock_addr(ctx, true, DT_HOOK_CONNECT);
}

SEC("cgroup/sendmsg4")
int dt_enf_sendmsg4(struct bpf_sock_addr *ctx)
{
	return dt_enf_sock_addr(ctx, false, DT_HOOK_SENDMSG);
}

SEC("cgroup/sendmsg6")
int dt_enf_sendmsg6(struct bpf_sock_addr *ctx)
{
	return dt_enf_sock_addr(ctx, true, DT_HOOK_SENDMSG);
}

/*
 * The payload @skb carries past what @v already counted: TCP retransmits the sequence space
 * it could not send, which is one refusal, not several.
 */
static __always_inline __u64 dt_enf_payload(struct __sk_buff *skb, struct dt_enf_sock *v,
					    __u32 family, __u32 proto)
{
	__u32 hlen, seq = 0, end;
	__u8 b[20];
	__s32 d;

	if (family == DT_AF_INET) {
		if (bpf_skb_load_bytes(skb, 0, b, 1))
			return 0;
		hlen = (b[0] & 0xf) * 4;
	} else {
		hlen = 40;
	}
	if (hlen < 20 || hlen > 60 || skb->len <= hlen)
		return 0;
	if (proto == DT_IPPROTO_UDP)
		return skb->len > hlen + 8 ? skb->len - hlen - 8 : 0;
	if (bpf_skb_load_bytes(skb, hlen, b, 20))
		return 0;
	__builtin_memcpy(&seq, b + 4, 4);
	seq = bpf_ntohl(seq);
	hlen += (b[12] >> 4) * 4;
	if (skb->len <= hlen)
		return 0;
	end = seq + (skb->len - hlen);
	if (!v->seq_set) {
		v->seq_set = 1;
		v->seq_end = end;
		return skb->len - hlen;
	}
	d = (__s32)(end - v->seq_end);
	if (d <= 0)
		return 0;
	v->seq_end = end;
	return (__u32)d < skb->len - hlen ? (__u32)d : skb->len - hlen;
}

/*
 * Every packet leaving any process of the node passes here; until a socket was ever marked
 * it costs one load. A marked socket's packets are dropped (TCP stalls and retransmits
 * into the same drop); a policy reload since the mark re-decides from the sender's datasets.
 */
SEC("cgroup_skb/egress")
int dt_enf_skb(struct __sk_buff *skb)
{
	struct dt_enf_sock_key key = {};
	struct dt_enf_query q = {};
	struct dt_enf_sock *v;
	struct bpf_sock *sk;
	__u32 family, proto;
	int act;

	if (!dt_enf_socks_n)
		return 1;
	sk = skb->sk;
	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	family = sk->family;
	proto = sk->protocol;
	if (proto != DT_IPPROTO_TCP && proto != DT_IPPROTO_UDP)
		return 1;
	if (family == DT_AF_INET) {
		dt_addr_v4(key.saddr, sk->src_ip4);
		dt_addr_v4(key.daddr, sk->dst_ip4);
	} else if (family == DT_AF_INET6) {
		__u32 s[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };
		__u32 d[4] = { sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3] };

		__builtin_memcpy(key.saddr, s, 16);
		__builtin_memcpy(key.daddr, d, 16);
	} else {
		return 1;
	}
	key.sport = sk->src_port;
	key.dport = bpf_ntohs(sk->dst_port);
	key.proto = proto;
	v = bpf_map_lookup_elem(&enf_socks, &key);
	if (!v)
		return 1;
	if (v->gen != dt_enf_gen) {
		__builtin_memcpy(q.ds, v->ds, sizeof(q.ds));
		__builtin_memcpy(q.addr, key.daddr, 16);
		q.port = key.dport;
		act = dt_enf_decide(&q);
		if (act <= DT_ENF_MONITOR) {
			bpf_map_delete_elem(&enf_socks, &key);
			return 1;
		}
		v->action = act;
		v->gen = dt_enf_gen;
	}
	if (dt_enf_mode != DT_ENF_ON)
		return 1;
	__builtin_memcpy(q.ds, v->ds, sizeof(q.ds));
	dt_enf_account(&v->ek, &q, v->action, DT_HOOK_SKB, dt_enf_payload(skb, v, family, proto));
	return 0;
}

/* The socket behind @f, or NULL when @f is no socket. */
static __always_inline struct sock *dt_enf_file_sock(struct file *f)
{
	struct dt_inode_key ik;
	struct inode *inode;

	if (!f)
		return NULL;
	inode = dt_file_key_btf(f, &ik);
	if (!inode || (DT_KLOAD(inode, i_mode) & DT_S_IFMT) != DT_S_IFSOCK)
		return NULL;
	return dt_file_sock(f);
}

/*
 * kill at connect: cgroup connect4/6 cannot send a signal, so the syscall's entry does; the
 * connect itself is refused by the cgroup hook that runs next.
 */
SEC("tracepoint/syscalls/sys_enter_connect")
int dt_enf_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct dt_enf_query q = {};
	struct dt_egress_key ek = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct dt_taint *t;
	struct file *f;
	struct sock *sk;
	__u16 port;

	if (dt_enf_mode != DT_ENF_ON)
		return 0;
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t)
		return 0;
	if (dt_user_sockaddr((void *)ctx->args[1], q.addr, &port) || dt_addr_is_loopback(q.addr))
		return 0;
	f = dt_fd_file_btf(ctx->args[0]);
	sk = dt_enf_file_sock(f);
	if (!sk)
		return 0;
	q.port = port;
	q.tid = (__u32)id;
	__builtin_memcpy(q.ds, t->ds, sizeof(q.ds));
	if (dt_enf_decide(&q) != DT_ENF_KILL)
		return 0;
	bpf_send_signal(9);
	ek.tgid = tgid;
	ek.port = port;
	ek.proto = DT_KLOAD(sk, sk_protocol);
	__builtin_memcpy(ek.addr, q.addr, 16);
	dt_enf_account(&ek, &q, DT_ENF_KILL, DT_HOOK_SIGNAL, 0);
	return 0;
}

/*
 * io_uring sends make no send syscall: a connection opened before its process was tainted is
 * marked here, when the request is submitted and before it is issued. New connections and
 * unconnected datagrams go through the cgroup hooks like any other. A request on a registered
 * (fixed) file has no file yet at submission and is not seen (docs/findings.md).
 */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(dt_enf_uring_submit, struct io_kiocb *req)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u16 family, proto, port;
	struct dt_taint *t;
	struct file *f;
	struct sock *sk;
	__u8 daddr[16];
	__u8 op;

	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t)
		return 0;
	op = req->opcode;
	if (op != IORING_OP_SEND && op != IORING_OP_SENDMSG && op != IORING_OP_SEND_ZC &&
	    op != IORING_OP_SENDMSG_ZC && op != IORING_OP_WRITE && op != IORING_OP_WRITEV &&
	    op != IORING_OP_WRITE_FIXED && op != IORING_OP_SPLICE && op != IORING_OP_TEE)
		return 0;
	f = req->file;
	/* REQ_F_FIXED_FILE is bit 0, as IOSQE_FIXED_FILE. */
	if (!f && !(req->flags & 1))
		f = dt_fd_file_btf(req->cqe.fd);
	sk = dt_enf_file_sock(f);
	if (!sk)
		return 0;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	proto = DT_KLOAD(sk, sk_protocol);
	if ((family != DT_AF_INET && family != DT_AF_INET6) ||
	    (proto != DT_IPPROTO_TCP && proto != DT_IPPROTO_UDP))
		return 0;
	if (dt_sock_dest(sk, family, -1, 0, 0, daddr, &port) || dt_addr_is_loopback(daddr))
		return 0;
	dt_enforce_send(sk, family, proto, daddr, port, t, -1, NULL);
	return 0;
}

/*
 * Run by the agent once, when it stops, before the cgroup programs go: a marked TCP
 * connection still holds the bytes it was refused in its send queue, and the first
 * retransmit after the detach would deliver them. Each one is reset (its queue discarded).
 */
SEC("iter/tcp")
int dt_enf_reset_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct dt_enf_sock_key key = {};

	if (!skc || !dt_enf_socks_n)
		return 0;
	if (skc->skc_family == DT_AF_INET) {
		dt_addr_v4(key.saddr, skc->skc_rcv_saddr);
		dt_addr_v4(key.daddr, skc->skc_daddr);
	} else if (skc->skc_family == DT_AF_INET6) {
		bpf_probe_read_kernel(key.saddr, 16, &skc->skc_v6_rcv_saddr);
		bpf_probe_read_kernel(key.daddr, 16, &skc->skc_v6_daddr);
	} else {
		return 0;
	}
	key.sport = skc->skc_num;
	key.dport = bpf_ntohs(skc->skc_dport);
	key.proto = DT_IPPROTO_TCP;
	if (!bpf_map_lookup_elem(&enf_socks, &key))
		return 0;
	if (!bpf_sock_destroy(skc))
		__sync_fetch_and_add(&dt_enf_reset, 1);
	return 0;
}
