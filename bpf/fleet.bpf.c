// SPDX-License-Identifier: GPL-2.0
/* fleet.bpf.c - inbound TCP flows by receiving process, for advisories from other nodes. */
/* Before common.bpf.h, which includes fleet.bpf.h: this object holds the definitions. */
#define DT_FLEET_DEFINE
#include "common.bpf.h"
#include "sock.bpf.h"

struct dt_scope_ent *dt_abi_scope_ent __attribute__((unused));
struct dt_flow *dt_abi_flow __attribute__((unused));
struct dt_flow_src *dt_abi_flow_src __attribute__((unused));

/*
 * A connection was accepted on new fd @fd: remember who holds it, keyed as the receiver's
 * channel, so that an advisory that arrives later (Kafka is slower than TCP) still finds the
 * process. Accepts are rare next to reads: this costs nothing on the data path.
 */
static __always_inline int dt_fleet_accepted(long fd)
{
	struct dt_chan_key k;
	struct dt_flow v = {};
	struct dt_taint none = {};
	struct sock *sk;
	struct file *f;
	__u16 family;

	if (!dt_fleet_on || fd < 0 || !dt_in_scope())
		return 0;
	f = dt_fd_file_btf(fd);
	if (!f)
		return 0;
	sk = dt_file_sock(f);
	if (!sk)
		return 0;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	if ((family != DT_AF_INET && family != DT_AF_INET6) ||
	    DT_KLOAD(sk, sk_protocol) != DT_IPPROTO_TCP)
		return 0;
	dt_chan_key_recv(sk, family, DT_IPPROTO_TCP, &k);
	v.tgid = bpf_get_current_pid_tgid() >> 32;
	v.sk = (__u64)sk;
	v.ts_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&flows, &k, &v, BPF_ANY);
	bpf_map_update_elem(&fleetrx, &v.tgid, &none, BPF_NOEXIST);
	return 0;
}

/* With the fentry backend (user/hooks.c) the fexit twins run instead, on the same return value. */
#define DT_FLEET_ACCEPT(name)                                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int dt_exit_##name(struct trace_event_raw_sys_exit *ctx)                                   \
	{                                                                                          \
		return dt_fleet_accepted(ctx->ret);                                                \
	}                                                                                          \
	SEC("fexit/" DT_SYSCALL_FN(name))                                                          \
	int BPF_PROG(dt_fexit_##name, struct pt_regs *regs, long ret)                             \
	{                                                                                          \
		return dt_fleet_accepted(ret);                                                     \
	}

DT_FLEET_ACCEPT(accept4)
DT_FLEET_ACCEPT(accept)
