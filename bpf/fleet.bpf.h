/* SPDX-License-Identifier: GPL-2.0 */
/* fleet.bpf.h - the agent's scope (network namespaces, cgroups) and the flows fleet advisories name. */
#ifndef DT_FLEET_BPF_H
#define DT_FLEET_BPF_H

/*
 * Included by common.bpf.h; the maps and variables are defined in fleet.bpf.c. Both features
 * are off by default and then cost one load of a global each where they are checked.
 */
#ifdef DT_FLEET_DEFINE
#define DT_FMAP(name, ...) struct { __VA_ARGS__ } name SEC(".maps")
#define DT_FVAR(decl) decl /* zeroed: .bss */
#else
#define DT_FMAP(name, ...) extern struct { __VA_ARGS__ } name SEC(".maps")
#define DT_FVAR(decl) extern decl
#endif

#define DT_FLOWS_MAX 16384
#define DT_EGSRC_MAX 16384

/*
 * Inbound TCP connections by the receiver's channel key (4-tuple and network namespace):
 * which process accepted them. LRU: nothing says when a connection is gone, and an advisory
 * only needs the recent ones.
 */
DT_FMAP(flows, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_FLOWS_MAX);
	__type(key, struct dt_chan_key); __type(value, struct dt_flow););

/* The sender's address and port behind each new egress key: what an advisory names. */
DT_FMAP(egsrc, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_EGSRC_MAX);
	__type(key, struct dt_egress_key); __type(value, struct dt_flow_src););

/*
 * Processes that accepted a connection while fleet mode is on, with an empty taint: their
 * sends are counted like a tainted process's, so that an advisory that arrives after the
 * bytes (Kafka is slower than TCP) still finds what the receiver sent on (user/fleet.c).
 */
/*
 * The sending side of a new egress key is built here, not on the stack: it is built on the
 * send path, which before 6.13 has no stack to spare (sendfile is at 512 bytes).
 */
DT_FMAP(fleetwork, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
	__type(key, __u32); __type(value, struct dt_flow_src););

DT_FMAP(fleetrx, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_FLOWS_MAX);
	__type(key, __u32); __type(value, struct dt_taint););

/*
 * --scope: the first dt_scope_n entries of dt_scope; none means every process is the agent's.
 * A global, not a map: dt_account() checks it on the read path, and a map key would take
 * stack there.
 */
DT_FVAR(struct dt_scope_ent dt_scope[DT_SCOPE_MAX]);
DT_FVAR(__u32 dt_scope_n); /* entries of dt_scope in use, set before attach */
DT_FVAR(__u32 dt_fleet_on); /* fleet.cidrs configured: flows and egsrc are kept */

/* Whether the current process is inside the agent's scope (always, without --scope). */
static __always_inline bool dt_in_scope(void)
{
	struct task_struct *task;
	__u32 n = dt_scope_n, ns;
	int i;

	if (!n)
		return true;
	task = (struct task_struct *)bpf_get_current_task();
	ns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	for (i = 0; i < DT_SCOPE_MAX; i++) {
		if (i >= n)
			break;
		if (dt_scope[i].kind == DT_SCOPE_NETNS && dt_scope[i].id == ns)
			return true;
		if (dt_scope[i].kind == DT_SCOPE_CGROUP &&
		    bpf_get_current_ancestor_cgroup_id(dt_scope[i].level) == dt_scope[i].id)
			return true;
	}
	return false;
}

/* The empty taint of an untainted receiver of fleet flows, or NULL (always, fleet mode off). */
static __always_inline struct dt_taint *dt_fleet_rx(__u32 tgid)
{
	if (!dt_fleet_on)
		return NULL;
	return bpf_map_lookup_elem(&fleetrx, &tgid);
}

/* A new egress key @k was sent to from @sk: remember the sending side for the advisory. */
static __always_inline void dt_fleet_egress(struct sock *sk, const struct dt_egress_key *k)
{
	struct dt_flow_src *v;
	__u32 zero = 0;

	if (!dt_fleet_on)
		return;
	v = bpf_map_lookup_elem(&fleetwork, &zero);
	if (!v)
		return;
	if (DT_KLOAD(sk, __sk_common.skc_family) == 2 /* AF_INET */) {
		__u32 a = DT_KLOAD(sk, __sk_common.skc_rcv_saddr);

		__builtin_memset(v->saddr, 0, 10);
		v->saddr[10] = 0xff;
		v->saddr[11] = 0xff;
		__builtin_memcpy(v->saddr + 12, &a, 4);
	} else {
		bpf_core_read(v->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	}
	v->sport = DT_KLOAD(sk, __sk_common.skc_num);
	v->pad = 0;
	v->ns = DT_KLOAD(sk, __sk_common.skc_net.net, ns.inum);
	bpf_map_update_elem(&egsrc, k, v, BPF_ANY);
}

#endif /* DT_FLEET_BPF_H */
