/* SPDX-License-Identifier: GPL-2.0 */
/* enforce.bpf.h - in-kernel allowed_egress: the maps and the send-syscall side of enforcement. */
#ifndef DT_ENFORCE_BPF_H
#define DT_ENFORCE_BPF_H

#include "common.bpf.h"
#include "sock.bpf.h"

/*
 * The maps are defined in enforce.bpf.c and declared here for send.bpf.c, which marks
 * connected sockets when a tainted process sends on them (see dt_enforce_send()).
 */
#ifdef DT_ENFORCE_DEFINE
#define DT_EMAP(name, ...) struct { __VA_ARGS__ } name SEC(".maps")
#else
#define DT_EMAP(name, ...) extern struct { __VA_ARGS__ } name SEC(".maps")
#endif

#define DT_ENF_ACTS_MAX 16384
#define DT_ENF_SOCKS_MAX 16384

/* Per dataset slot: its action and allowed destinations, written by the agent at each load. */
DT_EMAP(enf_policy, __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, DT_TAINT_WORDS * 64);
	__type(key, __u32); __type(value, struct dt_enf_policy););

/* What was refused, per (process, destination). Not LRU: counts must not vanish. */
DT_EMAP(enforce, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_ENF_ACTS_MAX);
	__type(key, struct dt_egress_key); __type(value, struct dt_enf_val););

/* A connected socket, as both a send syscall (struct sock) and cgroup_skb (bpf_sock) see it. */
struct dt_enf_sock_key {
	__u8 saddr[16]; /* IPv6 or v4-mapped */
	__u8 daddr[16];
	__u16 sport; /* host order */
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

/* A socket a tainted process sent on towards a destination its datasets may not reach. */
struct dt_enf_sock {
	struct dt_egress_key ek; /* whose enforce entry its drops count in */
	__u64 ds[DT_TAINT_WORDS]; /* the sender's datasets: a reload re-decides from them */
	__u32 seq_end;            /* TCP: end of the highest sequence dropped, counted once */
	__u32 gen;                /* dt_enf_gen it was decided in */
	__u8 action;
	__u8 seq_set;
	__u8 pad[6];
};

/*
 * Sockets marked at a send syscall; cgroup_skb drops their packets. LRU: a closed socket
 * leaves nothing to tell; an entry is rewritten by every send that decides to block.
 */
DT_EMAP(enf_socks, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_ENF_SOCKS_MAX);
	__type(key, struct dt_enf_sock_key); __type(value, struct dt_enf_sock););

/* What dt_enf_decide() is asked. */
struct dt_enf_query {
	__u64 ds[DT_TAINT_WORDS];
	__u8 addr[16];
	__u32 port;
	__u32 tid; /* the sender's thread, 0 where unknown (cgroup_skb) */
	__u32 strict; /* no destination to judge (a socket being created): every enforced dataset */
	__u32 pad;
};

/*
 * dt_enforce_send()'s working set. On its stack it took the send programs past the 512 bytes
 * that kernels before 6.13 (no private BPF stacks) allow a program and its calls together.
 */
struct dt_enf_send_work {
	struct dt_enf_query q;
	struct dt_egress_key ek;
	struct dt_enf_sock_key sk_key;
	__u8 peer[16];
};

DT_EMAP(enfwork, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
	__type(key, __u32); __type(value, struct dt_enf_send_work););

#ifdef DT_ENFORCE_DEFINE
#define DT_EVAR(decl) decl = 0
#else
#define DT_EVAR(decl) extern decl
#endif
DT_EVAR(volatile __u32 dt_enf_mode); /* enum dt_enf_mode, set before load */
DT_EVAR(volatile __u32 dt_enf_gen);  /* moved on at each policy load */
DT_EVAR(volatile __u64 dt_enf_socks_n); /* sockets ever marked: 0 lets cgroup_skb return at once */
DT_EVAR(volatile __u32 dt_enf_active); /* a dataset blocks or kills: set with each policy load */

#define DT_SOCK_STREAM 1
#define DT_SOCK_DGRAM 2
#define DT_IPPROTO_MPTCP 262
#define DT_IPPROTO_UDPLITE 136

/*
 * The inet socket kinds enforcement judges: TCP and UDP. Every other kind (raw, ping, SCTP,
 * UDP-Lite, MPTCP, a raw socket of protocol 17) is refused to a tainted process under block
 * or kill (deny by default), and never passes for TCP or UDP.
 */
static __always_inline bool dt_enf_judged(__u32 type, __u32 proto)
{
	return (type == DT_SOCK_STREAM && proto == DT_IPPROTO_TCP) ||
	       (type == DT_SOCK_DGRAM && proto == DT_IPPROTO_UDP);
}

/*
 * The enf_socks key of a socket of a kind that is not judged: its cookie (made at creation by
 * dt_enf_sock_create, read back by cgroup_skb), flagged apart from the 5-tuples. 0: none.
 */
#define DT_ENF_KEY_COOKIE 1

/* The strictest action of @q->ds's datasets whose allowed_egress lacks the destination. */
extern int dt_enf_decide(const struct dt_enf_query *q);
/* Counts a refusal (or dry-run pass) in the enforce map; the first one is reported. */
extern int dt_enf_account(const struct dt_egress_key *k, const struct dt_enf_query *q, __u32 action,
			  __u32 hook, __u64 bytes) __hidden;

/* Sum of the first iovecs' lengths. */
static __always_inline __u64 dt_iov_bytes(unsigned long iov, unsigned long n)
{
	__u64 total = 0, len;
	int i;

	for (i = 0; i < 8; i++) {
		if (i >= n)
			break;
		/* struct iovec: base, then len. */
		if (bpf_probe_read_user(&len, sizeof(len), (void *)(iov + i * 16 + 8)))
			break;
		total += len;
	}
	return total;
}

/*
 * The bytes a send syscall asks to send (sendmmsg: its first message), from its arguments in
 * @regs; NULL (a sys_enter tracepoint) reads the task's, only here, on the rare refusal.
 */
static __always_inline __u64 dt_enf_req_bytes(long nr, struct pt_regs *regs)
{
	unsigned long iov = 0, n = 0;

	if (!regs)
		regs = dt_sc_regs();
	switch (nr) {
	case DT_NR_write:
	case DT_NR_pwrite64:
	case DT_NR_sendto:
		return DT_SC_ARG3(regs);
	case DT_NR_sendfile:
		return DT_SC_ARG4(regs);
	case DT_NR_splice:
	case DT_NR_copy_file_range:
		return DT_SC_ARG5(regs);
	case DT_NR_writev:
	case DT_NR_pwritev:
	case DT_NR_pwritev2:
		return dt_iov_bytes(DT_SC_ARG2(regs), DT_SC_ARG3(regs));
	case DT_NR_sendmsg:
	case DT_NR_sendmmsg:
		/* user_msghdr: name, namelen, then iov at 16 and iovlen at 24. */
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(DT_SC_ARG2(regs) + 16)) ||
		    bpf_probe_read_user(&n, sizeof(n), (void *)(DT_SC_ARG2(regs) + 24)))
			return 0;
		return dt_iov_bytes(iov, n);
	}
	return 0;
}

/* Marks a socket blocked, or brings its mark up to the policy in force. */
static __always_inline void dt_enf_mark(const struct dt_enf_sock_key *sk_key,
					const struct dt_egress_key *ek,
					const struct dt_enf_query *q, int act)
{
	struct dt_enf_sock *old, v = {};

	old = bpf_map_lookup_elem(&enf_socks, sk_key);
	if (old) {
		__builtin_memcpy(old->ds, q->ds, sizeof(old->ds));
		old->action = act;
		old->gen = dt_enf_gen;
		return;
	}
	v.ek = *ek;
	__builtin_memcpy(v.ds, q->ds, sizeof(v.ds));
	v.gen = dt_enf_gen;
	v.action = act;
	/* Counted before it is visible, so that cgroup_skb never skips a marked socket. */
	__sync_fetch_and_add(&dt_enf_socks_n, 1);
	bpf_map_update_elem(&enf_socks, sk_key, &v, BPF_ANY);
}

/*
 * A tainted process (@t) sends on inet socket @sk (@type, @proto) to the non-loopback
 * (@daddr, @dport), @bytes at most (syscall @nr, arguments in @regs as for
 * dt_enf_req_bytes()). Refusing at the syscall is impossible from a tracepoint, so a connected
 * socket is marked here, before the kernel builds a packet, and cgroup_skb drops what it
 * sends; an unconnected UDP send is refused by cgroup sendmsg4/6, counted here. kill also
 * sends SIGKILL, delivered when the syscall returns; the marked socket stops its bytes.
 * A kind enforcement does not judge (dt_enf_judged()) is marked by its cookie, or for MPTCP
 * by the 5-tuple its first subflow sends with; one that cannot be marked (no cookie: made
 * before the agent) is neither counted as refused nor killed: its bytes leave, and the
 * egress counted at the syscall's exit reports them as sent.
 */
static __always_inline void dt_enforce_send(struct sock *sk, __u16 family, __u16 proto,
					    __u16 type, const __u8 *daddr, __u16 dport,
					    const struct dt_taint *t, long nr, struct pt_regs *regs)
{
	struct dt_enf_send_work *w;
	bool judged = dt_enf_judged(type, proto);
	__u32 zero = 0;
	__u64 bytes, cookie;
	int act;

	if (dt_enf_mode == DT_ENF_OFF)
		return;
	w = bpf_map_lookup_elem(&enfwork, &zero);
	if (!w)
		return;
	__builtin_memset(w, 0, sizeof(*w));
	__builtin_memcpy(w->q.ds, t->ds, sizeof(w->q.ds));
	__builtin_memcpy(w->q.addr, daddr, 16);
	w->q.port = judged ? dport : 0;
	w->q.tid = (__u32)bpf_get_current_pid_tgid();
	act = dt_enf_decide(&w->q);
	if (act <= DT_ENF_MONITOR)
		return;
	bytes = dt_enf_req_bytes(nr, regs);
	w->ek.tgid = bpf_get_current_pid_tgid() >> 32;
	__builtin_memcpy(w->ek.addr, daddr, 16);
	if (judged) {
		w->ek.port = dport;
		w->ek.proto = proto;
		w->sk_key.dport = bpf_ntohs(DT_KLOAD(sk, __sk_common.skc_dport));
	} else {
		/* Keyed as its egress is (chan.bpf.c): the raw link, by address and protocol. */
		w->ek.proto = (__u8)proto;
		w->ek.link = DT_LINK_RAW;
		if (proto == DT_IPPROTO_MPTCP) {
			w->sk_key.dport = bpf_ntohs(DT_KLOAD(sk, __sk_common.skc_dport));
			if (!w->sk_key.dport)
				return;
			proto = DT_IPPROTO_TCP;
		} else {
			cookie = DT_KLOAD(sk, __sk_common.skc_cookie.counter);
			if (!cookie)
				return;
			__builtin_memcpy(w->sk_key.saddr, &cookie, sizeof(cookie));
			w->sk_key.pad[0] = DT_ENF_KEY_COOKIE;
		}
	}
	if (judged && !w->sk_key.dport) {
		/* Unconnected UDP: cgroup sendmsg counts the attempt; the bytes are known here. */
		dt_enf_account(&w->ek, &w->q, act, 0, bytes);
	} else {
		if (!w->sk_key.pad[0]) {
			dt_sk_addrs(sk, family, w->peer, w->sk_key.saddr);
			__builtin_memcpy(w->sk_key.daddr, w->peer, 16);
			w->sk_key.sport = DT_KLOAD(sk, __sk_common.skc_num);
			w->sk_key.proto = proto;
		}
		/* Under dry-run nothing is dropped: what the call asked to send is what passed. */
		dt_enf_account(&w->ek, &w->q, act, DT_HOOK_SEND,
			       dt_enf_mode == DT_ENF_ON ? 0 : bytes);
		if (dt_enf_mode == DT_ENF_ON)
			dt_enf_mark(&w->sk_key, &w->ek, &w->q, act);
	}
	if (act == DT_ENF_KILL && dt_enf_mode == DT_ENF_ON) {
		bpf_send_signal(9);
		dt_enf_account(&w->ek, &w->q, act, DT_HOOK_SIGNAL, 0);
	}
}

#endif /* DT_ENFORCE_BPF_H */
