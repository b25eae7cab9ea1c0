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
			if (q->strict || !dt_enf_allowed(p, q))
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
	__u64 attempt = !!(hook & (DT_HOOK_CONNECT | DT_HOOK_SENDMSG | DT_HOOK_SEND | DT_HOOK_CREATE));
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

/*
 * connect() or an unconnected datagram by a tainted process: 1 lets it through, 0 is EPERM.
 * Every inet kind that reaches these hooks is judged by its destination: TCP and UDP, and
 * the kinds whose later traffic enforcement cannot follow (UDP-Lite, ping, MPTCP, SCTP...),
 * whose refusal is keyed as their egress is (the raw link).
 */
static __always_inline int dt_enf_sock_addr(struct bpf_sock_addr *ctx, bool v6, __u32 hook)
{
	struct dt_enf_query q = {};
	struct dt_egress_key ek = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, proto = ctx->protocol;
	bool judged = dt_enf_judged(ctx->type, proto);
	struct dt_taint *t;
	int act;

	if (dt_enf_mode == DT_ENF_OFF)
		return 1;
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t)
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
	q.port = judged ? bpf_ntohs((__u16)ctx->user_port) : 0;
	q.tid = (__u32)id;
	__builtin_memcpy(q.ds, t->ds, sizeof(q.ds));
	act = dt_enf_decide(&q);
	if (act <= DT_ENF_MONITOR)
		return 1;
	ek.tgid = tgid;
	ek.port = q.port;
	ek.proto = (__u8)proto;
	ek.link = judged ? DT_LINK_SOCKET : DT_LINK_RAW;
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
 * A new inet socket. A kind enforcement does not judge (raw, ping, SCTP, UDP-Lite, MPTCP) is
 * refused to a process holding a dataset that blocks or kills: its destination is not known
 * yet, and what it would send could not be followed (deny by default). For everyone else it
 * gets its cookie now, so that a send after a later taint can mark it for cgroup_skb
 * (dt_enforce_send()). TCP and UDP sockets cost two context loads.
 */
SEC("cgroup/sock_create")
int dt_enf_sock_create(struct bpf_sock *ctx)
{
	struct dt_enf_query q = {};
	struct dt_egress_key ek = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, proto = ctx->protocol;
	struct dt_taint *t;
	int act;

	if (dt_enf_judged(ctx->type, proto))
		return 1;
	t = dt_enf_active ? bpf_map_lookup_elem(&taint, &tgid) : NULL;
	if (!t) {
		bpf_get_socket_cookie(ctx);
		return 1;
	}
	q.strict = 1;
	q.tid = (__u32)id;
	__builtin_memcpy(q.ds, t->ds, sizeof(q.ds));
	act = dt_enf_decide(&q);
	if (act <= DT_ENF_MONITOR) {
		bpf_get_socket_cookie(ctx);
		return 1;
	}
	/*
	 * No destination yet: the finding names :: and the socket's protocol on the raw link.
	 * Nothing is sent, so kill kills nothing here (no signal from this hook): blocked.
	 */
	ek.tgid = tgid;
	ek.proto = (__u8)proto;
	ek.link = DT_LINK_RAW;
	dt_enf_account(&ek, &q, DT_ENF_BLOCK, DT_HOOK_CREATE, 0);
	if (dt_enf_mode != DT_ENF_ON) {
		bpf_get_socket_cookie(ctx);
		return 1;
	}
	return 0;
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
	if (proto == DT_IPPROTO_UDP || proto == DT_IPPROTO_UDPLITE)
		return skb->len > hlen + 8 ? skb->len - hlen - 8 : 0;
	if (proto != DT_IPPROTO_TCP)
		return skb->len - hlen;
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
	if (family != DT_AF_INET && family != DT_AF_INET6)
		return 1;
	if (!dt_enf_judged(sk->type, proto)) {
		/* Marked by its cookie (dt_enforce_send()); MPTCP sends from TCP subflows. */
		__u64 cookie = bpf_get_socket_cookie(skb);

		__builtin_memcpy(key.saddr, &cookie, sizeof(cookie));
		key.pad[0] = DT_ENF_KEY_COOKIE;
		v = bpf_map_lookup_elem(&enf_socks, &key);
		if (!v)
			return 1;
		goto marked;
	}
	if (family == DT_AF_INET) {
		dt_addr_v4(key.saddr, sk->src_ip4);
		dt_addr_v4(key.daddr, sk->dst_ip4);
	} else {
		__u32 s[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };
		__u32 d[4] = { sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3] };

		__builtin_memcpy(key.saddr, s, 16);
		__builtin_memcpy(key.daddr, d, 16);
	}
	key.sport = sk->src_port;
	key.dport = bpf_ntohs(sk->dst_port);
	key.proto = proto;
	v = bpf_map_lookup_elem(&enf_socks, &key);
	if (!v)
		return 1;
marked:
	if (v->gen != dt_enf_gen) {
		__builtin_memcpy(q.ds, v->ds, sizeof(q.ds));
		/* Decided again as it was decided: the enforce entry holds the destination. */
		__builtin_memcpy(q.addr, v->ek.addr, 16);
		q.port = v->ek.port;
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
static __always_inline int dt_enf_connect(long fd, unsigned long uaddr)
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
	if (dt_user_sockaddr((void *)uaddr, q.addr, &port) || dt_addr_is_loopback(q.addr))
		return 0;
	f = dt_fd_file_btf(fd);
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

SEC("tracepoint/syscalls/sys_enter_connect")
int dt_enf_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return dt_enf_connect(ctx->args[0], ctx->args[1]);
}

/* The fentry backend's twin (user/hooks.c loads one of the two). */
SEC("fentry/" DT_SYSCALL_FN(connect))
int BPF_PROG(dt_enf_fentry_connect, struct pt_regs *regs)
{
	return dt_enf_connect(DT_SC_ARG1(regs), DT_SC_ARG2(regs));
}

/* io_uring.bpf.c: the file a request names (a fd, or a registered file); send.bpf.c: takes
 * the taint of a file about to be read. */
extern struct file *dt_uring_req_file(struct io_kiocb *req) __hidden;
extern int dt_uring_take_in(struct file *f) __hidden;

/* The inet socket behind @f, with its family, protocol and type; NULL for anything else. */
static __always_inline struct sock *dt_enf_inet_sock(struct file *f, __u16 *family, __u16 *proto,
						     __u16 *type)
{
	struct sock *sk = dt_enf_file_sock(f);

	if (!sk)
		return NULL;
	*family = DT_KLOAD(sk, __sk_common.skc_family);
	if (*family != DT_AF_INET && *family != DT_AF_INET6)
		return NULL;
	*proto = DT_KLOAD(sk, sk_protocol);
	*type = DT_KLOAD(sk, sk_type);
	return sk;
}

/*
 * io_uring sends make no send syscall: a connection opened before its process was tainted is
 * marked here, when the request is submitted and before it is issued. New connections and
 * unconnected datagrams go through the cgroup hooks like any other.
 *
 * A read submitted in the same io_uring_enter() as a send (linked or only batched) is issued,
 * and its bytes copied, before that send runs, but its completion (which taints) is posted
 * only after it. So while a dataset blocks or kills, a read of a classified file or of a
 * tainted pipe or socket taints its submitter here, at submission, before the requests
 * behind it are submitted (over-tainting a read that then fails). Sends submitted before the
 * taint and run after it (a link behind another request, a poll retry, io-wq) are judged when
 * they run, by dt_enf_tcp_sendmsg (TCP, Linux 6.11+).
 */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(dt_enf_uring_submit, struct io_kiocb *req)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u16 family, proto, type, port;
	struct dt_taint *t;
	struct file *f;
	struct sock *sk;
	__u8 daddr[16];
	__u8 op;

	op = req->opcode;
	if (op == IORING_OP_READ || op == IORING_OP_READV || op == IORING_OP_READ_FIXED ||
	    op == IORING_OP_READV_FIXED || op == IORING_OP_READ_MULTISHOT ||
	    op == IORING_OP_RECV || op == IORING_OP_RECVMSG) {
		if (dt_enf_active)
			dt_uring_take_in(dt_uring_req_file(req));
		return 0;
	}
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t)
		return 0;
	if (op != IORING_OP_SEND && op != IORING_OP_SENDMSG && op != IORING_OP_SEND_ZC &&
	    op != IORING_OP_SENDMSG_ZC && op != IORING_OP_WRITE && op != IORING_OP_WRITEV &&
	    op != IORING_OP_WRITE_FIXED && op != IORING_OP_SPLICE && op != IORING_OP_TEE)
		return 0;
	f = dt_uring_req_file(req);
	sk = dt_enf_inet_sock(f, &family, &proto, &type);
	if (!sk)
		return 0;
	if (dt_sock_dest(sk, family, -1, 0, 0, daddr, &port)) {
		/* A raw socket has no port: its peer, if it has one. */
		if (dt_enf_judged(type, proto))
			return 0;
		dt_sk_addrs(sk, family, daddr, (__u8[16]){});
		if (dt_addr_is_unspec(daddr))
			return 0;
	}
	if (dt_addr_is_loopback(daddr))
		return 0;
	dt_enforce_send(sk, family, proto, type, daddr, port, t, -1, NULL);
	return 0;
}

/*
 * A TCP send as it runs (Linux 6.11+), in the sender's context: a syscall, io_uring's task
 * work or io-wq worker (threads of the submitter). Before any byte of the call is queued, a
 * tainted sender's socket that is not marked yet is decided and marked, so that an io_uring
 * send submitted before its process was tainted, and run after, is stopped like the rest.
 * Sockets marked already (every send syscall marks at entry) cost one lookup more; untainted
 * senders the taint lookup, and nothing while no dataset blocks or kills.
 */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(dt_enf_tcp_sendmsg, struct sock *sk, struct msghdr *msg, struct sk_buff *skb,
	     int size_goal)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct dt_enf_sock_key key = {};
	struct dt_enf_sock *v;
	struct dt_taint *t;
	__u16 family;
	__u8 daddr[16];

	if (!dt_enf_active)
		return 0;
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t)
		return 0;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	if ((family != DT_AF_INET && family != DT_AF_INET6) ||
	    DT_KLOAD(sk, sk_type) != DT_SOCK_STREAM || DT_KLOAD(sk, sk_protocol) != DT_IPPROTO_TCP)
		return 0;
	dt_sk_addrs(sk, family, daddr, key.saddr);
	if (dt_addr_is_loopback(daddr))
		return 0;
	__builtin_memcpy(key.daddr, daddr, 16);
	key.sport = DT_KLOAD(sk, __sk_common.skc_num);
	key.dport = bpf_ntohs(DT_KLOAD(sk, __sk_common.skc_dport));
	key.proto = DT_IPPROTO_TCP;
	v = bpf_map_lookup_elem(&enf_socks, &key);
	if (v && v->gen == dt_enf_gen)
		return 0;
	dt_enforce_send(sk, family, DT_IPPROTO_TCP, DT_SOCK_STREAM, daddr, key.dport, t, -1, NULL);
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
