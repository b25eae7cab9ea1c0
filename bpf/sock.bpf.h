/* SPDX-License-Identifier: GPL-2.0 */
/* sock.bpf.h - sockets behind file descriptors: family, addresses, destinations, channel keys. */
#ifndef DT_SOCK_BPF_H
#define DT_SOCK_BPF_H

#include "common.bpf.h"
#include "syscall_nr.bpf.h"

#define DT_AF_UNIX 1
#define DT_AF_INET 2
#define DT_AF_INET6 10
#define DT_IPPROTO_TCP 6
#define DT_IPPROTO_UDP 17
#define DT_SOCK_RAW 3
#define DT_S_IFMT 00170000
#define DT_S_IFSOCK 0140000
#define DT_S_IFIFO 0010000
#define DT_S_IFREG 0100000
#define DT_S_IFDIR 0040000
#define DT_S_IFCHR 0020000
#define DT_S_IFBLK 0060000
#define DT_FMODE_READ 0x1
#define DT_FMODE_WRITE 0x2

static __always_inline void dt_addr_v4(__u8 *out, __u32 v4)
{
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &v4, 4);
}

static __always_inline bool dt_addr_is_unspec(const __u8 *a)
{
	__u64 hi, lo;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	/* :: or ::ffff:0.0.0.0 */
	return !hi && (!lo || lo == 0xffff0000ULL);
}

static __always_inline bool dt_addr_is_loopback(const __u8 *a)
{
	__u64 hi, lo;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	if (hi)
		return false;
	/* ::1, or ::ffff:127.x.y.z (little-endian view of the second half) */
	return lo == 0x0100000000000000ULL || ((lo & 0xffffffffULL) == 0xffff0000ULL && a[12] == 127);
}

/* The socket's peer (daddr) and own (saddr) addresses, IPv6 or v4-mapped. */
static __always_inline void dt_sk_addrs(struct sock *sk, __u16 family, __u8 *daddr, __u8 *saddr)
{
	if (family == DT_AF_INET) {
		dt_addr_v4(daddr, DT_KLOAD(sk, __sk_common.skc_daddr));
		dt_addr_v4(saddr, DT_KLOAD(sk, __sk_common.skc_rcv_saddr));
	} else {
		bpf_core_read(daddr, 16, &sk->__sk_common.skc_v6_daddr);
		bpf_core_read(saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	}
}

/*
 * Not a syscall number: the destination (@a5 of dt_sock_dest) is a sockaddr in kernel memory,
 * the copy an io_uring SEND or SENDMSG made of the caller's (io_uring.bpf.c).
 */
#define DT_NR_KSOCKADDR (-2)

/* Not a syscall number: an AIO write (io_submit.bpf.c); its destination is the socket's peer. */
#define DT_NR_AIO (-3)

/* A sockaddr_in or sockaddr_in6 copied into @sa: its address (IPv6 or v4-mapped) and port. */
static __always_inline int dt_sockaddr_decode(const struct sockaddr_in6 *sa, __u8 *addr,
					      __u16 *port)
{
	if (sa->sin6_family == DT_AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		dt_addr_v4(addr, s4->sin_addr.s_addr);
		*port = bpf_ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sin6_family != DT_AF_INET6)
		return -1;
	__builtin_memcpy(addr, &sa->sin6_addr, 16);
	*port = bpf_ntohs(sa->sin6_port);
	return 0;
}

/* A destination written by the caller: a sockaddr_in or sockaddr_in6 in user memory. */
static __always_inline int dt_user_sockaddr(const void *uaddr, __u8 *addr, __u16 *port)
{
	struct sockaddr_in6 sa = {};

	if (!uaddr || bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), uaddr))
		return -1;
	/* Only as much as the family says: a sockaddr_in may end a mapping. */
	if (sa.sin6_family == DT_AF_INET6 && bpf_probe_read_user(&sa, sizeof(sa), uaddr))
		return -1;
	return dt_sockaddr_decode(&sa, addr, port);
}

/* The same in kernel memory (a sockaddr_storage, so reading the IPv6 size is in bounds). */
static __always_inline int dt_kern_sockaddr(const void *kaddr, __u8 *addr, __u16 *port)
{
	struct sockaddr_in6 sa = {};

	if (!kaddr || bpf_probe_read_kernel(&sa, sizeof(sa), kaddr))
		return -1;
	return dt_sockaddr_decode(&sa, addr, port);
}

/*
 * Where a send on @sk goes: the connected peer, or the address given to sendto (@a5) or in
 * the msghdr of sendmsg / the first mmsghdr of sendmmsg (@a2).
 */
static __always_inline int dt_sock_dest(struct sock *sk, __u16 family, long nr, unsigned long a2,
					unsigned long a5, __u8 *addr, __u16 *port)
{
	__u8 saddr[16];
	void *name = NULL;

	dt_sk_addrs(sk, family, addr, saddr);
	*port = bpf_ntohs(DT_KLOAD(sk, __sk_common.skc_dport));
	if (*port && !dt_addr_is_unspec(addr))
		return 0;
	if (nr == DT_NR_sendto)
		return dt_user_sockaddr((void *)a5, addr, port);
	if (nr == DT_NR_KSOCKADDR)
		return dt_kern_sockaddr((void *)a5, addr, port);
	if (nr == DT_NR_sendmsg || nr == DT_NR_sendmmsg) {
		/* msg_name is the first member of user_msghdr and of mmsghdr. */
		if (bpf_probe_read_user(&name, sizeof(name), (void *)a2))
			return -1;
		return dt_user_sockaddr(name, addr, port);
	}
	return -1;
}

static __always_inline __u32 dt_sk_netns(struct sock *sk)
{
	return DT_KLOAD(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * The channel a loopback send on @sk to (@daddr, @dport) feeds, named as the receiver will
 * name it: TCP by the receiver's 4-tuple, UDP by the receiver's port.
 */
static __always_inline void dt_chan_key_send(struct sock *sk, __u16 family, __u16 proto,
					     const __u8 *daddr, __u16 dport,
					     struct dt_chan_key *k)
{
	__u8 peer[16], self[16];

	__builtin_memset(k, 0, sizeof(*k));
	k->ns = dt_sk_netns(sk);
	k->lport = dport;
	if (proto == DT_IPPROTO_UDP) {
		k->kind = DT_CHAN_UDP;
		return;
	}
	k->kind = DT_CHAN_TCP;
	dt_sk_addrs(sk, family, peer, self);
	__builtin_memcpy(k->laddr, daddr, 16);
	__builtin_memcpy(k->raddr, self, 16);
	k->rport = DT_KLOAD(sk, __sk_common.skc_num);
}

/* The channel a receive on @sk drains. */
static __always_inline void dt_chan_key_recv(struct sock *sk, __u16 family, __u16 proto,
					     struct dt_chan_key *k)
{
	__u8 peer[16], self[16];

	__builtin_memset(k, 0, sizeof(*k));
	k->ns = dt_sk_netns(sk);
	k->lport = DT_KLOAD(sk, __sk_common.skc_num);
	if (proto == DT_IPPROTO_UDP) {
		k->kind = DT_CHAN_UDP;
		return;
	}
	k->kind = DT_CHAN_TCP;
	dt_sk_addrs(sk, family, peer, self);
	__builtin_memcpy(k->laddr, self, 16);
	__builtin_memcpy(k->raddr, peer, 16);
	k->rport = bpf_ntohs(DT_KLOAD(sk, __sk_common.skc_dport));
}

#endif /* DT_SOCK_BPF_H */
