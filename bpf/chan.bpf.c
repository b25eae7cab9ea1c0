// SPDX-License-Identifier: GPL-2.0
/* chan.bpf.c - channels around the socket layer: packet/raw/TUN sends, process memory, shared mappings. */
#include "common.bpf.h"
#include "sock.bpf.h"
#include "syscall_nr.bpf.h"
#include "taint.bpf.h"
#include "file.bpf.h"

#define DT_AF_PACKET 17
#define DT_AF_XDP 44
#define DT_TUN_RDEV ((10 << 20) | 200) /* /dev/net/tun: misc 10:200, kernel encoding */
#define DT_SHM_RDONLY 010000

/* Sends that bypass TCP/UDP */

/* Counts a tainted process's send on an interface: addr holds the ifindex and the netns. */
static __always_inline void dt_link_egress(struct dt_egress_key *k, __u32 ifindex, __u32 netns,
					   __u64 bytes, const struct dt_taint *t)
{
	__builtin_memcpy(k->addr, &ifindex, 4);
	__builtin_memcpy(k->addr + 4, &netns, 4);
	dt_egress_add(k, NULL, bytes, t);
}

/*
 * A tainted process sent on a socket that is neither TCP nor UDP (file.bpf.h calls this only
 * then). Packet sockets are named by the interface: the sockaddr_ll of sendto/sendmsg, else the
 * one the socket is bound to. AF_XDP by the interface of its umem; raw IP by the address.
 */
__noinline int dt_chan_raw_send(long fd, long nr, unsigned long a2, unsigned long a5, __u64 bytes)
{
	struct dt_egress_key k = {};
	struct sockaddr_ll sll = {};
	struct dt_taint *t;
	struct sock *sk;
	struct file *f;
	void *name = NULL;
	__u8 saddr[16];
	__u32 ifindex = 0;
	__u16 family;

	k.tgid = bpf_get_current_pid_tgid() >> 32;
	t = bpf_map_lookup_elem(&taint, &k.tgid);
	if (!t)
		return 0;
	f = dt_fd_file_btf(fd);
	if (!f)
		return 0;
	sk = dt_file_sock(f);
	if (!sk)
		return 0;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	/* Only AF_XDP sends from elsewhere than the call's buffer; other empty sends move nothing. */
	if (!bytes && family != DT_AF_XDP)
		return 0;
	if (family == DT_AF_INET || family == DT_AF_INET6) {
		k.link = DT_LINK_RAW;
		k.proto = DT_KLOAD(sk, sk_protocol);
		if (dt_sock_dest(sk, family, nr, a2, a5, k.addr, &k.port))
			dt_sk_addrs(sk, family, k.addr, saddr);
		k.port = 0;
		dt_egress_add(&k, NULL, bytes, t);
		return 0;
	}
	if (family == DT_AF_XDP) {
		k.link = DT_LINK_XDP;
		/* Without the type (a kernel that relocates none), the interface is unknown (0). */
		if (bpf_core_type_exists(struct xdp_sock))
			ifindex = BPF_CORE_READ((struct xdp_sock *)sk, dev, ifindex);
		dt_link_egress(&k, ifindex, dt_sk_netns(sk), bytes, t);
		return 0;
	}
	if (family != DT_AF_PACKET)
		return 0;
	k.link = DT_LINK_PACKET;
	k.proto = DT_KLOAD(sk, sk_type);
	k.port = bpf_ntohs(DT_KLOAD(sk, sk_protocol));
	if (nr == DT_NR_sendto)
		name = (void *)a5;
	else if ((nr == DT_NR_sendmsg || nr == DT_NR_sendmmsg) &&
		 bpf_probe_read_user(&name, sizeof(name), (void *)a2))
		name = NULL;
	if (name && !bpf_probe_read_user(&sll, 8, name) && sll.sll_family == DT_AF_PACKET) {
		ifindex = sll.sll_ifindex;
		if (sll.sll_protocol)
			k.port = bpf_ntohs(sll.sll_protocol);
	}
	/* af_packet may be a module the agent loaded before: then only the sll names it. */
	if (!ifindex && bpf_core_type_exists(struct packet_sock))
		ifindex = BPF_CORE_READ((struct packet_sock *)sk, ifindex);
	dt_link_egress(&k, ifindex, dt_sk_netns(sk), bytes, t);
	return 0;
}

/* A tainted process wrote to a character device: a TUN/TAP queue injects into its interface. */
/*
 * tun's types, as far as they are read: CO-RE relocates them against the kernel's (or the tun
 * module's) BTF. Declared here because a kernel built with tun as a module (Debian's arm64)
 * leaves them out of vmlinux.h.
 */
struct tun_struct___dt {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct tun_file___dt {
	struct tun_struct___dt *tun;
} __attribute__((preserve_access_index));

__noinline int dt_chan_tun_write(long fd, __u64 bytes)
{
	struct dt_egress_key k = {};
	struct net_device *dev;
	struct tun_file___dt *tf;
	struct dt_taint *t;
	struct file *f;

	f = dt_fd_file_btf(fd);
	if (!f || DT_KLOAD(f, f_inode, i_rdev) != DT_TUN_RDEV)
		return 0;
	k.tgid = bpf_get_current_pid_tgid() >> 32;
	t = bpf_map_lookup_elem(&taint, &k.tgid);
	if (!t)
		return 0;
	k.link = DT_LINK_TUN;
	/*
	 * tun is a module: loaded after the agent (opening /dev/net/tun loads it), its types were
	 * not there to relocate against. The send counts, its interface unknown (0).
	 */
	if (!bpf_core_type_exists(struct tun_file___dt)) {
		dt_link_egress(&k, 0, 0, bytes, t);
		return 0;
	}
	/* Not attached yet (no TUNSETIFF): the write fails anyway. */
	tf = DT_KLOAD(f, private_data);
	dev = BPF_CORE_READ(tf, tun, dev);
	if (!dev)
		return 0;
	dt_link_egress(&k, BPF_CORE_READ(dev, ifindex), BPF_CORE_READ(dev, nd_net.net, ns.inum),
		       bytes, t);
	return 0;
}

/* Cross-process memory */

/*
 * @bytes moved between the current process and process @target's memory: a reader takes the
 * target's taint, a tainted writer taints the target. @target is a pid in the initial pid
 * namespace, taken as a thread group id (a thread's own id finds no taint: docs/findings.md).
 */
static __always_inline void dt_mem_pass(__u32 target, __u64 bytes, bool write)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct dt_taint *t;

	if (!target || target == me)
		return;
	t = bpf_map_lookup_elem(&taint, write ? &me : &target);
	if (!t)
		return;
	if (write)
		dt_taint_process(target, t, DT_HOP_PROCMEM, me, me, bytes);
	else
		dt_taint_process(me, t, DT_HOP_PROCMEM, target, target, bytes);
}

/*
 * A read or write on a procfs file (file.bpf.h calls this only for procfs): /proc/PID/mem
 * is told by its name and its inode's pid, so other procfs files cost a name compare.
 */
__noinline int dt_chan_procmem(long fd, __u64 bytes, int write)
{
	struct proc_inode *pi;
	struct dentry *d;
	struct file *f;
	char name[4];

	f = dt_fd_file_btf(fd);
	if (!f)
		return 0;
	d = DT_KLOAD(f, f_path.dentry);
	if (!d || DT_KLOAD(d, d_name.len) != 3 ||
	    bpf_probe_read_kernel(name, sizeof(name), DT_KLOAD(d, d_name.name)) ||
	    name[0] != 'm' || name[1] != 'e' || name[2] != 'm')
		return 0;
	pi = (struct proc_inode *)((unsigned long)DT_KLOAD(f, f_inode) -
				   bpf_core_field_offset(struct proc_inode, vfs_inode));
	dt_mem_pass(BPF_CORE_READ(pi, pid, numbers[0].nr), bytes, write);
	return 0;
}

static __always_inline int dt_process_vm_exit(struct pt_regs *regs, long ret, bool write)
{
	if (ret > 0) {
		dt_mem_pass(DT_SC_ARG1(regs), ret, write);
		dt_shm_flush();
	}
	return 0;
}

/* Each with its fexit twin for the fentry backend (user/hooks.c loads one of the two). */
SEC("tracepoint/syscalls/sys_exit_process_vm_readv")
int dt_exit_process_vm_readv(struct trace_event_raw_sys_exit *ctx)
{
	return dt_process_vm_exit(dt_sc_regs(), ctx->ret, false);
}

SEC("fexit/" DT_SYSCALL_FN(process_vm_readv))
int BPF_PROG(dt_fexit_process_vm_readv, struct pt_regs *regs, long ret)
{
	return dt_process_vm_exit(regs, ret, false);
}

SEC("tracepoint/syscalls/sys_exit_process_vm_writev")
int dt_exit_process_vm_writev(struct trace_event_raw_sys_exit *ctx)
{
	return dt_process_vm_exit(dt_sc_regs(), ctx->ret, true);
}

SEC("fexit/" DT_SYSCALL_FN(process_vm_writev))
int BPF_PROG(dt_fexit_process_vm_writev, struct pt_regs *regs, long ret)
{
	return dt_process_vm_exit(regs, ret, true);
}

/* ptrace requests that copy a tracee's memory or registers (uapi numbers, x86-64). */
enum {
	DT_PTRACE_PEEKTEXT = 1,
	DT_PTRACE_PEEKDATA = 2,
	DT_PTRACE_PEEKUSR = 3,
	DT_PTRACE_POKETEXT = 4,
	DT_PTRACE_POKEDATA = 5,
	DT_PTRACE_POKEUSR = 6,
	DT_PTRACE_GETREGS = 12,
	DT_PTRACE_SETREGS = 13,
	DT_PTRACE_GETFPREGS = 14,
	DT_PTRACE_SETFPREGS = 15,
	DT_PTRACE_GETREGSET = 0x4204,
	DT_PTRACE_SETREGSET = 0x4205,
	DT_PTRACE_PEEKSIGINFO = 0x4209,
};

static __always_inline int dt_ptrace_exit(struct pt_regs *regs, long ret)
{
	__u64 bytes, len = 0;
	bool write = false;
	long req;

	if (ret < 0)
		return 0;
	req = DT_SC_ARG1(regs);
	switch (req) {
	case DT_PTRACE_POKETEXT:
	case DT_PTRACE_POKEDATA:
	case DT_PTRACE_POKEUSR:
		write = true;
		/* fallthrough */
	case DT_PTRACE_PEEKTEXT:
	case DT_PTRACE_PEEKDATA:
	case DT_PTRACE_PEEKUSR:
		bytes = 8;
		break;
#if defined(__TARGET_ARCH_x86)
	/* arm64 has no GETREGS or GETFPREGS: GETREGSET only. */
	case DT_PTRACE_SETREGS:
		write = true;
		/* fallthrough */
	case DT_PTRACE_GETREGS:
		bytes = sizeof(struct user_regs_struct);
		break;
	case DT_PTRACE_SETFPREGS:
		write = true;
		/* fallthrough */
	case DT_PTRACE_GETFPREGS:
		bytes = 512; /* struct user_i387_struct */
		break;
#endif
	case DT_PTRACE_SETREGSET:
		write = true;
		/* fallthrough */
	case DT_PTRACE_GETREGSET:
		/* data is a struct iovec; its iov_len says what was copied. */
		bpf_probe_read_user(&len, sizeof(len), (void *)(DT_SC_ARG4(regs) + 8));
		bytes = len;
		break;
	case DT_PTRACE_PEEKSIGINFO:
		bytes = ret * sizeof(struct siginfo);
		break;
	default:
		return 0;
	}
	dt_mem_pass(DT_SC_ARG2(regs), bytes, write);
	dt_shm_flush();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int dt_exit_ptrace(struct trace_event_raw_sys_exit *ctx)
{
	return dt_ptrace_exit(dt_sc_regs(), ctx->ret);
}

SEC("fexit/" DT_SYSCALL_FN(ptrace))
int BPF_PROG(dt_fexit_ptrace, struct pt_regs *regs, long ret)
{
	return dt_ptrace_exit(regs, ret);
}

/* Shared memory mappings */

/*
 * Memory stores make no syscall, so a shared mapping is judged by who holds it: a process
 * that holds a writable shared mapping of a region while tainted marks the region (chan
 * DT_CHAN_SHM, by the shmem or file inode behind the mapping), and every process that maps
 * it, before or after, takes the taint. Holders are remembered per process (shm_held,
 * DT_SHM_PER_PROC regions at once) and per region (shm_mappers, DT_SHM_MAPPERS processes);
 * munmap and shmdt end a holding, exec and exit end them all. What does not fit is noted
 * where it happened and counted in dt_shm_full (reported by the agent) only when it matters:
 * when that process is tainted, or that region is passed taint.
 */

/* A walk over a process's slots (bpf_loop: the verifier checks the step once). */
struct dt_shm_scan {
	struct dt_shm_held *h;
	__u64 ino;
	__u32 dev;
	__u32 tgid;
	int found;
	int free;
};

static long dt_shm_find_cb(__u64 i, void *data)
{
	struct dt_shm_scan *c = data;
	struct dt_shm_slot *s;

	if (i >= DT_SHM_PER_PROC)
		return 1;
	s = &c->h->slot[i];
	if (s->ino == c->ino && s->dev == c->dev) {
		c->found = i;
		return 1;
	}
	if (c->free < 0 && !s->ino)
		c->free = i;
	return 0;
}

/* Slots in use or used before: walks stop there. */
static __always_inline __u32 dt_shm_nslots(const struct dt_shm_held *h)
{
	__u32 n = h->n;

	return n < DT_SHM_PER_PROC ? n : DT_SHM_PER_PROC;
}

/* The slot of region (@dev, @ino) in @h, or -1; *@free: the first free slot, or -1. */
static __always_inline int dt_shm_find(struct dt_shm_held *h, __u64 ino, __u32 dev, int *free)
{
	struct dt_shm_scan c = { .h = h, .ino = ino, .dev = dev, .found = -1, .free = -1 };

	bpf_loop(dt_shm_nslots(h), dt_shm_find_cb, &c, 0);
	*free = c.free;
	return c.found;
}

/*
 * Whether @tgid (still) holds a mapping of region (@dev, @ino): entries of processes that
 * unmapped it, exec'd or exited fail this. Global, so the verifier checks it once rather
 * than in every loop.
 */
__noinline int dt_shm_holds_(__u32 tgid, __u64 ino, __u32 dev)
{
	struct dt_shm_held *h = bpf_map_lookup_elem(&shm_held, &tgid);
	int free;

	return h && dt_shm_find(h, ino, dev, &free) >= 0;
}

/*
 * The helpers below are global functions with scalar arguments: the verifier checks each
 * once, instead of once per call inside another loop (which exceeds its budget).
 */

/* Entries start from here: a dt_shm_held is far larger than the BPF stack. */
static const struct dt_shm_held dt_shm_held_empty;
static const struct dt_shm_mappers dt_shm_mappers_empty;

/* One try at adding @tgid to the holders of region @rk; 0 once it is there. */
static __always_inline int dt_shm_add_mapper_try(const struct dt_inode_key *rk, __u32 tgid)
{
	struct dt_shm_mappers *m;
	int i, free = -1;
	__u32 o;

	m = bpf_map_lookup_elem(&shm_mappers, rk);
	if (!m) {
		bpf_map_update_elem(&shm_mappers, rk, &dt_shm_mappers_empty, BPF_NOEXIST);
		m = bpf_map_lookup_elem(&shm_mappers, rk);
		if (!m) {
			/* Every region slot is taken by a live region: counted at once. */
			__sync_fetch_and_add(&dt_shm_full, 1);
			return 0;
		}
	}
	for (i = 0; i < DT_SHM_MAPPERS; i++) {
		o = m->tgid[i];
		if (o == tgid)
			return 0;
		if (free < 0 && !o)
			free = i;
	}
	/*
	 * Holders leave as their holdings end (munmap, shmdt, exec, exit), so a full set is 16
	 * live holders. Not checked for stale ones here: that call took the mmap program past
	 * the 512-byte stack of its call chain.
	 */
	if (free < 0 || free >= DT_SHM_MAPPERS) {
		__sync_fetch_and_add(&m->lost, 1);
		return 0;
	}
	o = m->tgid[free];
	/* Taken by another CPU meanwhile: again. */
	if (__sync_val_compare_and_swap(&m->tgid[free], o, tgid) != o)
		return 1;
	/* The last holder may have deleted the entry meanwhile (dt_shm_del_mapper()): again. */
	m = bpf_map_lookup_elem(&shm_mappers, rk);
	return m && m->tgid[free & (DT_SHM_MAPPERS - 1)] == tgid ? 0 : 1;
}

/* Adds @tgid to the holders of region (@dev, @ino). */
__noinline int dt_shm_add_mapper(__u64 ino, __u32 dev, __u32 tgid)
{
	struct dt_inode_key rk = { .ino = ino, .dev = dev };

	if (dt_shm_add_mapper_try(&rk, tgid))
		dt_shm_add_mapper_try(&rk, tgid);
	return 0;
}

/* @tgid no longer holds region (@dev, @ino); the entry goes with its last holder. */
__noinline int dt_shm_del_mapper(__u64 ino, __u32 dev, __u32 tgid)
{
	struct dt_inode_key rk = { .ino = ino, .dev = dev };
	struct dt_shm_mappers *m;
	bool empty = true;
	int i;

	m = bpf_map_lookup_elem(&shm_mappers, &rk);
	if (!m)
		return 0;
	for (i = 0; i < DT_SHM_MAPPERS; i++) {
		if (m->tgid[i] == tgid)
			__sync_val_compare_and_swap(&m->tgid[i], tgid, 0);
		if (m->tgid[i])
			empty = false;
	}
	/* Holders that did not fit may still hold it: the entry keeps their count. */
	if (empty && !m->lost)
		bpf_map_delete_elem(&shm_mappers, &rk);
	return 0;
}

/* Remembers that @tgid maps region (@dev, @ino) once more (@writable: with PROT_WRITE). */
__noinline int dt_shm_register(__u32 tgid, __u64 ino, __u32 dev, int writable)
{
	struct dt_shm_held *h;
	int i, free;

	h = bpf_map_lookup_elem(&shm_held, &tgid);
	if (!h) {
		bpf_map_update_elem(&shm_held, &tgid, &dt_shm_held_empty, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&shm_held, &tgid);
		if (!h) {
			__sync_fetch_and_add(&dt_shm_full, 1);
			return 0;
		}
	}
	i = dt_shm_find(h, ino, dev, &free);
	if (i >= 0) {
		if (i >= DT_SHM_PER_PROC)
			return 0;
		__sync_fetch_and_add(&h->slot[i].state, 1);
		if (writable)
			__sync_fetch_and_or(&h->slot[i].state, DT_SHM_W);
		return 0;
	}
	/* A freed slot first (lock-free: another thread of the process may claim it too). */
	if (free >= 0 && free < DT_SHM_PER_PROC &&
	    __sync_val_compare_and_swap(&h->slot[free].ino, 0, ino) == 0) {
		i = free;
	} else {
		i = __sync_fetch_and_add(&h->n, 1);
		if ((__u32)i >= DT_SHM_PER_PROC) {
			__sync_fetch_and_add(&h->lost, 1);
			return 0;
		}
		h->slot[i].ino = ino;
	}
	h->slot[i].dev = dev;
	h->slot[i].state = 1 | (writable ? DT_SHM_W : 0);
	dt_shm_add_mapper(ino, dev, tgid);
	return 0;
}

/* One mapping of region (@dev, @ino) by @tgid is gone; the holding ends with its last one. */
__noinline int dt_shm_unregister(__u32 tgid, __u64 ino, __u32 dev)
{
	struct dt_shm_held *h = bpf_map_lookup_elem(&shm_held, &tgid);
	__u32 st;
	int i, free;

	if (!h)
		return 0;
	i = dt_shm_find(h, ino, dev, &free);
	if (i < 0 || i >= DT_SHM_PER_PROC)
		return 0;
	st = __sync_fetch_and_add(&h->slot[i].state, -1);
	if ((st & ~DT_SHM_W) > 1)
		return 0;
	h->slot[i].state = 0;
	h->slot[i].dev = 0;
	__sync_lock_test_and_set(&h->slot[i].ino, 0);
	dt_shm_del_mapper(ino, dev, tgid);
	return 0;
}

static long dt_shm_forget_cb(__u64 i, void *data)
{
	struct dt_shm_scan *c = data;
	struct dt_shm_slot *s;

	if (i >= DT_SHM_PER_PROC)
		return 1;
	s = &c->h->slot[i];
	if (s->ino)
		dt_shm_del_mapper(s->ino, s->dev, c->tgid);
	return 0;
}

/* Process @tgid holds nothing any more (exit, exec): every region forgets it. */
__noinline int dt_shm_forget(__u32 tgid)
{
	struct dt_shm_held *h = bpf_map_lookup_elem(&shm_held, &tgid);
	struct dt_shm_scan c = { .tgid = tgid };

	if (!h)
		return 0;
	c.h = h;
	bpf_loop(dt_shm_nslots(h), dt_shm_forget_cb, &c, 0);
	bpf_map_delete_elem(&shm_held, &tgid);
	return 0;
}

/*
 * Holder @to of region @ino takes the taint of @from. Not passed on again from there: chains
 * of regions stop at one (documented). Global: verified once, not once per holder.
 */
__noinline int dt_shm_give(__u32 to, __u32 from, __u64 ino)
{
	struct dt_taint *t = bpf_map_lookup_elem(&taint, &from);

	if (t)
		dt_taint_process_shm(to, t, DT_HOP_SHM, from, ino, 0, false);
	return 0;
}

/* Region (@dev, @ino) carries the taint of @from, who can write it: its holders take it. */
__noinline int dt_shm_pass(__u64 ino, __u32 dev, __u32 from)
{
	struct dt_inode_key rk = { .ino = ino, .dev = dev };
	struct dt_chan_key ck = {};
	struct dt_shm_mappers *m;
	struct dt_taint *t;
	int i;

	t = bpf_map_lookup_elem(&taint, &from);
	if (!t)
		return 0;
	ck.kind = DT_CHAN_SHM;
	ck.ns = dev;
	ck.id = ino;
	dt_chan_mark(&ck, t, from);
	m = bpf_map_lookup_elem(&shm_mappers, &rk);
	if (!m)
		return 0;
	/* Holders that did not fit may have read the taint: now the loss counts. */
	if (m->lost)
		__sync_fetch_and_add(&dt_shm_full, __sync_lock_test_and_set(&m->lost, 0));
	for (i = 0; i < DT_SHM_MAPPERS; i++) {
		__u32 o = m->tgid[i];

		if (!o || o == from || !dt_shm_holds_(o, ino, dev))
			continue;
		dt_shm_give(o, from, ino);
	}
	return 0;
}

static long dt_shm_tainted_cb(__u64 i, void *data)
{
	struct dt_shm_scan *c = data;
	struct dt_shm_slot *s;

	if (i >= DT_SHM_PER_PROC)
		return 1;
	s = &c->h->slot[i];
	if (s->ino && (s->state & DT_SHM_W))
		dt_shm_pass(s->ino, s->dev, c->tgid);
	return 0;
}

/* @tgid gained taint (taint.bpf.h noted it): the regions it can write carry it to their holders. */
static __always_inline void dt_shm_tainted(__u32 tgid)
{
	struct dt_shm_held *h = bpf_map_lookup_elem(&shm_held, &tgid);
	struct dt_shm_scan c = { .tgid = tgid };

	if (!h)
		return;
	/* Regions it mapped that did not fit may now carry the taint unseen. */
	if (h->lost)
		__sync_fetch_and_add(&dt_shm_full, __sync_lock_test_and_set(&h->lost, 0));
	c.h = h;
	bpf_loop(dt_shm_nslots(h), dt_shm_tainted_cb, &c, 0);
}

/* Passes on the taint of the processes taint.bpf.h noted (dt_shm_note()). */
__noinline int dt_shm_drain(void)
{
	__u32 tgid;
	int i;

	for (i = 0; i < DT_SHM_PENDING; i++) {
		tgid = __sync_lock_test_and_set(&dt_shm_pending[i], 0);
		if (!tgid)
			continue;
		__sync_fetch_and_sub(&dt_shm_npending, 1);
		dt_shm_tainted(tgid);
	}
	return 0;
}

/*
 * Noted taint is passed on at the entry of every write and send, before the programs that
 * mark channels and count egress (send.bpf.c, linked after this file, attach after these):
 * a holder of a region takes the taint before its bytes can leave. Programs of their own,
 * because those at the entry of sendfile and splice have no stack left for the calls. One
 * load while nothing is noted.
 */
#define DT_SHM_ENTER(name)                                                                         \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int dt_chan_enter_##name(struct trace_event_raw_sys_enter *ctx)                            \
	{                                                                                          \
		dt_shm_flush();                                                                    \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fentry/" DT_SYSCALL_FN(name))                                                         \
	int BPF_PROG(dt_chan_fentry_##name, struct pt_regs *regs)                                  \
	{                                                                                          \
		dt_shm_flush();                                                                    \
		return 0;                                                                          \
	}

DT_SHM_ENTER(write)
DT_SHM_ENTER(writev)
DT_SHM_ENTER(pwrite64)
DT_SHM_ENTER(pwritev)
DT_SHM_ENTER(pwritev2)
DT_SHM_ENTER(sendto)
DT_SHM_ENTER(sendmsg)
DT_SHM_ENTER(sendmmsg)
DT_SHM_ENTER(sendfile64)
DT_SHM_ENTER(splice)
DT_SHM_ENTER(copy_file_range)

#define DT_VM_MAYSHARE 0x80

struct dt_vma_ctx {
	struct dt_inode_key rk;
	struct file *file;
	unsigned long start, end;
	int found;
	int shared;
};

static long dt_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct dt_vma_ctx *c = data;
	struct file *f = vma->vm_file;

	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->shared = !!(vma->vm_flags & DT_VM_MAYSHARE);
	if (!f)
		return 0;
	c->file = f;
	c->found = !dt_inode_key_of(DT_KLOAD(f, f_inode), &c->rk);
	return 0;
}

/*
 * Whether @f, a mapping's file, is a region: a regular shmem, tmpfs or disk file. A device's
 * mappings (a GPU's, say) or a socket's rings are private to their opener whatever the inode
 * says.
 */
static __always_inline bool dt_shm_region_file(struct file *vm_file)
{
	struct file *f = dt_file_btf(vm_file);
	struct inode *inode;

	if (!f)
		return false;
	inode = DT_KLOAD(f, f_inode);
	return (DT_KLOAD(inode, i_mode) & DT_S_IFMT) == DT_S_IFREG && !dt_pseudo_fs(inode);
}

/*
 * The current process mapped shared memory at @addr: anonymous shared memory (the kernel backs
 * it with a shmem file too), SysV shm, a memfd, a /dev/shm or other file. @fd: the mapped fd,
 * -1 for anonymous memory and shmat.
 */
static __always_inline int dt_shm_mapped(unsigned long addr, bool writable, long fd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct dt_vma_ctx vc = {};
	struct dt_chan_key ck = {};
	struct dt_taint *t;
	struct inode *inode;
	struct file *f;

	bpf_find_vma(bpf_get_current_task_btf(), addr, dt_vma_cb, &vc, 0);
	if (!vc.found || !dt_shm_region_file(vc.file))
		return 0;
	/*
	 * Taint noted and not passed on yet marks the region at the next drain, when this
	 * process is one of its holders: in time (munmap drains before a holding ends).
	 */
	dt_shm_register(tgid, vc.rk.ino, vc.rk.dev, writable);
	ck.kind = DT_CHAN_SHM;
	ck.ns = vc.rk.dev;
	ck.id = vc.rk.ino;
	dt_chan_receive(&ck, DT_HOP_SHM, 0);
	t = bpf_map_lookup_elem(&taint, &tgid);
	if (!t || !writable)
		return 0;
	/* The region's other holders take the taint at the next write or send (dt_shm_drain()). */
	dt_shm_note(tgid);
	/* A file (memfd, /dev/shm, disk) written through memory is a derived file for read() too. */
	if (fd < 0)
		return 0;
	f = dt_fd_file_btf(fd);
	inode = f ? DT_KLOAD(f, f_inode) : NULL;
	if (inode && (DT_KLOAD(inode, i_mode) & DT_S_IFMT) == DT_S_IFREG &&
	    !bpf_map_lookup_elem(&inodes, &vc.rk))
		dt_mark_derived(f, &vc.rk, t, tgid);
	return 0;
}

static __always_inline int dt_chan_mmap_exit(struct pt_regs *regs, long ret)
{
	unsigned long flags;

	if ((unsigned long)ret >= (unsigned long)-4095)
		return 0;
	flags = DT_SC_ARG4(regs) & DT_MAP_TYPE;
	if (flags != DT_MAP_SHARED && flags != DT_MAP_SHARED_VALIDATE)
		return 0;
	return dt_shm_mapped(ret, DT_SC_ARG3(regs) & DT_PROT_WRITE,
			     DT_SC_ARG4(regs) & DT_MAP_ANONYMOUS ? -1 : (long)DT_SC_ARG5(regs));
}

static __always_inline int dt_chan_shmat_exit(struct pt_regs *regs, long ret)
{
	if ((unsigned long)ret >= (unsigned long)-4095)
		return 0;
	return dt_shm_mapped(ret, !(DT_SC_ARG3(regs) & DT_SHM_RDONLY), -1);
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int dt_chan_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	return dt_chan_mmap_exit(dt_sc_regs(), ctx->ret);
}

SEC("fexit/" DT_SYSCALL_FN(mmap))
int BPF_PROG(dt_chan_fexit_mmap, struct pt_regs *regs, long ret)
{
	return dt_chan_mmap_exit(regs, ret);
}

SEC("tracepoint/syscalls/sys_exit_shmat")
int dt_chan_exit_shmat(struct trace_event_raw_sys_exit *ctx)
{
	return dt_chan_shmat_exit(dt_sc_regs(), ctx->ret);
}

SEC("fexit/" DT_SYSCALL_FN(shmat))
int BPF_PROG(dt_chan_fexit_shmat, struct pt_regs *regs, long ret)
{
	return dt_chan_shmat_exit(regs, ret);
}

/*
 * Whether the mapping at @at, outside the range being unmapped, maps region @rk too: a part
 * of the same mapping split off by mprotect or madvise, still held after this part goes.
 */
static __always_inline bool dt_shm_sibling(unsigned long at, const struct dt_inode_key *rk)
{
	struct dt_vma_ctx nc = {};

	if (bpf_find_vma(bpf_get_current_task_btf(), at, dt_vma_cb, &nc, 0))
		return false;
	return nc.found && nc.rk.ino == rk->ino && nc.rk.dev == rk->dev;
}

/*
 * munmap(@addr, @len) (@len 0: shmdt(@addr), the mapping there) is about to run in a process
 * that holds shared mappings: the region of the shared mapping it removes whole is kept for
 * the exit (the mapping is gone by then). A partly unmapped one stays held (more taint, never
 * less). Other processes pay one lookup.
 */
__noinline int dt_shm_unmap_collect(unsigned long addr, unsigned long len)
{
	__u64 id = bpf_get_current_pid_tgid();
	unsigned long end = addr + len;
	struct dt_vma_ctx vc = {};

	/* The mapping at @addr only (no loop: the verifier's budget); later ones stay held. */
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, dt_vma_cb, &vc, 0))
		return 0;
	if (!len)
		end = vc.end;
	if (vc.start != addr || vc.end > end || !vc.found || !vc.shared ||
	    !dt_shm_region_file(vc.file))
		return 0;
	/*
	 * A neighbour outside the range that maps the region too may be a part split off this
	 * mapping (mprotect, madvise), which the count does not know of: the holding stays (a
	 * part moved away by mremap is not seen here).
	 */
	if (addr && dt_shm_sibling(addr - 1, &vc.rk))
		return 0;
	if (vc.end >= end && dt_shm_sibling(vc.end, &vc.rk))
		return 0;
	bpf_map_update_elem(&shm_unmap, &id, &vc.rk, BPF_ANY);
	return 0;
}

static __always_inline int dt_shm_unmap_enter(unsigned long addr, unsigned long len)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!bpf_map_lookup_elem(&shm_held, &tgid) || (addr & 4095))
		return 0;
	/* A holder is to take noted taint before its holding ends. */
	dt_shm_flush();
	/* A call of its own: its frame and the drain's are not on the stack together. */
	return dt_shm_unmap_collect(addr, len);
}

static __always_inline int dt_shm_unmap_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct dt_inode_key *rk = bpf_map_lookup_elem(&shm_unmap, &id);

	if (!rk)
		return 0;
	if (!ret)
		dt_shm_unregister(id >> 32, rk->ino, rk->dev);
	bpf_map_delete_elem(&shm_unmap, &id);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int dt_chan_enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	return dt_shm_unmap_enter(ctx->args[0], ctx->args[1]);
}

SEC("fentry/" DT_SYSCALL_FN(munmap))
int BPF_PROG(dt_chan_fentry_munmap, struct pt_regs *regs)
{
	return dt_shm_unmap_enter(DT_SC_ARG1(regs), DT_SC_ARG2(regs));
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int dt_chan_exit_munmap(struct trace_event_raw_sys_exit *ctx)
{
	return dt_shm_unmap_exit(ctx->ret);
}

SEC("fexit/" DT_SYSCALL_FN(munmap))
int BPF_PROG(dt_chan_fexit_munmap, struct pt_regs *regs, long ret)
{
	return dt_shm_unmap_exit(ret);
}

SEC("tracepoint/syscalls/sys_enter_shmdt")
int dt_chan_enter_shmdt(struct trace_event_raw_sys_enter *ctx)
{
	return dt_shm_unmap_enter(ctx->args[0], 0);
}

SEC("fentry/" DT_SYSCALL_FN(shmdt))
int BPF_PROG(dt_chan_fentry_shmdt, struct pt_regs *regs)
{
	return dt_shm_unmap_enter(DT_SC_ARG1(regs), 0);
}

SEC("tracepoint/syscalls/sys_exit_shmdt")
int dt_chan_exit_shmdt(struct trace_event_raw_sys_exit *ctx)
{
	return dt_shm_unmap_exit(ctx->ret);
}

SEC("fexit/" DT_SYSCALL_FN(shmdt))
int BPF_PROG(dt_chan_fexit_shmdt, struct pt_regs *regs, long ret)
{
	return dt_shm_unmap_exit(ret);
}

/*
 * A child inherits its parent's shared mappings, with their counts (not MADV_DONTFORK ones:
 * taint errs wide).
 */
static long dt_shm_fork_cb(__u64 i, void *data)
{
	struct dt_shm_scan *c = data;
	struct dt_shm_slot *s;

	if (i >= DT_SHM_PER_PROC)
		return 1;
	s = &c->h->slot[i];
	if (s->ino)
		dt_shm_add_mapper(s->ino, s->dev, c->tgid);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(dt_chan_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, tgid = child->tgid;
	struct dt_shm_scan c = {};
	struct dt_shm_held *h;

	if (child->pid != tgid)
		return 0;
	h = bpf_map_lookup_elem(&shm_held, &ptgid);
	if (!h)
		return 0;
	if (bpf_map_update_elem(&shm_held, &tgid, h, BPF_ANY)) {
		__sync_fetch_and_add(&dt_shm_full, 1);
		return 0;
	}
	h = bpf_map_lookup_elem(&shm_held, &tgid);
	if (!h)
		return 0;
	c.h = h;
	c.tgid = tgid;
	bpf_loop(dt_shm_nslots(h), dt_shm_fork_cb, &c, 0);
	return 0;
}

/*
 * proc.bpf.c: process @tgid is gone, or exec'd (a new address space: no mapping is left).
 * Called from its programs rather than from ones of ours, which would need a variant per
 * sched_process_exit argument list (user/hooks.c).
 */
__noinline int dt_chan_proc_exit(__u32 tgid)
{
	/* Taint noted and not passed on yet reaches the holders while they still hold. */
	if (bpf_map_lookup_elem(&shm_held, &tgid)) {
		dt_shm_flush();
		dt_shm_forget(tgid);
	}
	return 0;
}
