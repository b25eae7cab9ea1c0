/* SPDX-License-Identifier: GPL-2.0 */
/* file.bpf.h - what happens to file descriptors at syscall exit: reads, writes, mmap, opens. */
#ifndef DT_FILE_BPF_H
#define DT_FILE_BPF_H

#include "common.bpf.h"
#include "sock.bpf.h"
#include "syscall_nr.bpf.h"
#include "taint.bpf.h"

#define DT_MAP_ANONYMOUS 0x20

/*
 * bpf/chan.bpf.c: sends that bypass the TCP/UDP layer (packet, raw, AF_XDP sockets; TUN/TAP
 * writes) and cross-process memory through /proc/PID/mem. Called only for a tainted writer
 * or a procfs file, so ordinary reads and writes pay nothing for them.
 */
extern int dt_chan_raw_send(long fd, long nr, unsigned long a2, unsigned long a5, __u64 bytes);
extern int dt_chan_tun_write(long fd, __u64 bytes);
extern int dt_chan_procmem(long fd, __u64 bytes, int write);

#define DT_PROC_SUPER_MAGIC 0x9fa0

/*
 * The channel that a receive from pipe or socket @f (inode @inode, key @ik) drains, in @ck
 * (zeroed by the caller), and its hop; -1 for a file of another kind.
 */
static __always_inline int dt_chan_of_file(struct file *f, struct inode *inode,
					   const struct dt_inode_key *ik, struct dt_chan_key *ck,
					   __u8 *hop)
{
	struct sock *sk;
	__u16 family, proto;
	umode_t mode;

	mode = DT_KLOAD(inode, i_mode) & DT_S_IFMT;
	if (mode == DT_S_IFIFO) {
		ck->kind = DT_CHAN_PIPE;
		ck->ns = ik->dev;
		ck->id = ik->ino;
		*hop = DT_HOP_PIPE;
		return 0;
	}
	if (mode != DT_S_IFSOCK)
		return -1;
	sk = dt_file_sock(f);
	if (!sk)
		return -1;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	if (family == DT_AF_UNIX) {
		ck->kind = DT_CHAN_UNIX;
		ck->id = (__u64)sk;
		*hop = DT_HOP_UNIX;
		return 0;
	}
	proto = DT_KLOAD(sk, sk_protocol);
	if ((family != DT_AF_INET && family != DT_AF_INET6) ||
	    (proto != DT_IPPROTO_TCP && proto != DT_IPPROTO_UDP))
		return -1;
	dt_chan_key_recv(sk, family, proto, ck);
	*hop = DT_HOP_INET;
	return 0;
}

/* @bytes came out of pipe or socket @f: the reader takes its channel's taint. */
static __always_inline void dt_chan_recv_file(struct file *f, struct inode *inode,
					      const struct dt_inode_key *ik, __u64 bytes)
{
	struct dt_chan_key ck = {};
	__u8 hop;

	if (!dt_chan_of_file(f, inode, ik, &ck, &hop))
		dt_chan_receive(&ck, hop, bytes);
}

/*
 * Bytes came out of file @f (@fd, or -1 where there is none: io_uring): counted if its inode
 * is classified (and the reader takes the taint); otherwise, once any channel is tainted, a
 * pipe or socket may pass a taint on.
 */
static __always_inline int dt_file_read_f(struct file *f, long fd, __u32 access, __u64 bytes)
{
	struct dt_inode_key ik;
	struct dt_inode_val *iv;
	struct dentry *origin;
	struct inode *inode;

	if (!f)
		return 0;
	inode = dt_file_key_real(f, &ik, &origin);
	if (!inode)
		return 0;
	iv = bpf_map_lookup_elem(&inodes, &ik);
	if (!iv && origin)
		iv = dt_ovl_copied_up(f, &ik, origin);
	if (iv) {
		dt_account(&ik, iv, access, bytes);
		/* The agent's own files (its trace, say) hold no dataset's bytes to carry. */
		if (iv->dataset != DT_DATASET_AGENT)
			dt_taint_from_inode(&ik, iv, bytes);
		return 0;
	}
	/* /proc/PID/mem has no splice or mmap: only read() moves its bytes. */
	if (fd >= 0 && access == DT_ACC_READ &&
	    DT_KLOAD(inode, i_sb, s_magic) == DT_PROC_SUPER_MAGIC)
		return dt_chan_procmem(fd, bytes, 0);
	if (dt_chan_count)
		dt_chan_recv_file(f, inode, &ik, bytes);
	return 0;
}

static __always_inline int dt_file_read(long fd, __u32 access, __u64 bytes)
{
	return dt_file_read_f(dt_fd_file_btf(fd), fd, access, bytes);
}

/*
 * Counts @bytes a tainted process (taint @t) sent to destination @k, its tgid filled in by
 * the caller; through inet socket @sk (NULL: another link, a file system, a block device).
 */
static __always_inline void dt_egress_add(const struct dt_egress_key *k, struct sock *sk,
					  __u64 bytes, const struct dt_taint *t)
{
	struct dt_egress_val *v, *nv;
	struct dt_ev_egress *e;
	struct dt_stats *st;
	__u64 now = bpf_ktime_get_ns();
	__u32 zero = 0;

	/* Sends of public data alone raise nothing, and must not fill the map for others. */
	if (!dt_taint_carried(t))
		return;
	v = bpf_map_lookup_elem(&egress, k);
	if (v) {
		__sync_fetch_and_add(&v->bytes, bytes);
		__sync_fetch_and_add(&v->ops, 1);
		v->last_ns = now;
		dt_taint_merge(&v->taint, t);
		return;
	}
	/* Built off the stack: chan.bpf.c's senders run below programs near its limit. */
	nv = bpf_map_lookup_elem(&egscratch, &zero);
	if (!nv)
		return;
	__builtin_memset(nv, 0, sizeof(*nv));
	nv->bytes = bytes;
	nv->ops = 1;
	nv->first_ns = now;
	nv->last_ns = now;
	__builtin_memcpy(&nv->taint, t, sizeof(nv->taint));
	nv->uid = (__u32)bpf_get_current_uid_gid();
	if (bpf_map_update_elem(&egress, k, nv, BPF_NOEXIST)) {
		/* Lost the race to another thread: count it there. */
		v = bpf_map_lookup_elem(&egress, k);
		if (v) {
			__sync_fetch_and_add(&v->bytes, bytes);
			__sync_fetch_and_add(&v->ops, 1);
		} else {
			st = dt_stats();
			if (st)
				st->egress_full++;
		}
		return;
	}
	if (sk)
		dt_fleet_egress(sk, k);
	e = dt_reserve(DT_EV_EGRESS, sizeof(*e));
	if (!e)
		return;
	e->key = *k;
	dt_submit(e);
}

/* Counts @bytes a tainted process sent on inet socket @sk off the node, per destination. */
static __always_inline void dt_egress(struct sock *sk, __u16 family, long nr, unsigned long a2,
				      unsigned long a5, __u64 bytes, const struct dt_taint *t)
{
	struct dt_egress_key k = {};

	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.proto = DT_KLOAD(sk, sk_protocol);
	/* Loopback is a channel (marked at entry, send.bpf.c), not a way off the node. */
	if (dt_sock_dest(sk, family, nr, a2, a5, k.addr, &k.port) || dt_addr_is_loopback(k.addr))
		return;
	dt_egress_add(&k, sk, bytes, t);
}

/*
 * A tainted process wrote @bytes into a regular file on superblock @dev (@link MOUNT), or
 * into block device @dev itself (BLOCKDEV): egress when the agent listed that device number
 * as one that leaves the node (send.bpf.c left the file underived). One lookup, only for
 * tainted writers.
 */
static __always_inline void dt_egress_fs_write(__u32 dev, __u8 link, __u64 bytes,
					       const struct dt_taint *t)
{
	struct dt_egress_key k = {};

	if (!bpf_map_lookup_elem(&egress_fs, &dev))
		return;
	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.link = link;
	__builtin_memcpy(k.addr, &dev, sizeof(dev));
	dt_egress_add(&k, NULL, bytes, t);
}

/*
 * Bytes went into file @f (@fd; -1 for io_uring): a write to a classified or derived inode is
 * counted (tamper, derived copies), and a tainted process's send on an inet socket, or its
 * write to a file system or block device that leaves the node, is egress. @chan: also the
 * sends chan.bpf.c follows (packet, raw, TUN, /proc/PID/mem); false for sendfile, splice,
 * copy_file_range and io_uring, whose programs' stack is at the verifier's limit before 6.13
 * (where every call's frame counts): such sends through them are not seen (docs/findings.md).
 */
static __always_inline int dt_file_write_f(struct file *f, long fd, long nr, unsigned long a2,
					   unsigned long a5, __u64 bytes, const bool chan)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct dt_inode_key ik;
	struct dt_inode_val *iv;
	struct dt_taint *t;
	struct inode *inode;
	struct sock *sk;
	__u16 family, proto, mode;

	if (!f)
		return 0;
	inode = dt_file_key_btf(f, &ik);
	if (!inode)
		return 0;
	iv = bpf_map_lookup_elem(&inodes, &ik);
	if (iv) {
		dt_account(&ik, iv, DT_ACC_WRITE, bytes);
		return 0;
	}
	t = bpf_map_lookup_elem(&taint, &tgid);
	/* Untainted, and no fleet receiver to look for: one lookup is all a write costs. */
	if (!t && !dt_fleet_on)
		return 0;
	mode = DT_KLOAD(inode, i_mode) & DT_S_IFMT;
	if (t && chan) {
		if (mode == DT_S_IFCHR)
			return dt_chan_tun_write(fd, bytes);
		if (DT_KLOAD(inode, i_sb, s_magic) == DT_PROC_SUPER_MAGIC)
			return dt_chan_procmem(fd, bytes, 1);
	}
	if (t && mode == DT_S_IFREG) {
		dt_egress_fs_write(ik.dev, DT_LINK_MOUNT, bytes, t);
		return 0;
	}
	if (t && mode == DT_S_IFBLK) {
		dt_egress_fs_write(DT_KLOAD(inode, i_rdev), DT_LINK_BLOCKDEV, bytes, t);
		return 0;
	}
	if (mode != DT_S_IFSOCK)
		return 0;
	if (!t)
		t = dt_fleet_rx(tgid);
	if (!t)
		return 0;
	sk = dt_file_sock(f);
	if (!sk)
		return 0;
	family = DT_KLOAD(sk, __sk_common.skc_family);
	proto = DT_KLOAD(sk, sk_protocol);
	if ((family != DT_AF_INET && family != DT_AF_INET6) ||
	    (proto != DT_IPPROTO_TCP && proto != DT_IPPROTO_UDP))
		return !chan ? 0 : dt_chan_raw_send(fd, nr, a2, a5, bytes);
	/* A raw socket of protocol 6 or 17 builds its own headers: the raw link, not TCP/UDP. */
	if (chan && DT_KLOAD(sk, sk_type) == DT_SOCK_RAW)
		return dt_chan_raw_send(fd, nr, a2, a5, bytes);
	dt_egress(sk, family, nr, a2, a5, bytes, t);
	return 0;
}

static __always_inline int dt_file_write(long fd, long nr, struct pt_regs *regs, __u64 bytes,
					 const bool chan)
{
	return dt_file_write_f(dt_fd_file_btf(fd), fd, nr, DT_SC_ARG2(regs), DT_SC_ARG5(regs),
			       bytes, chan);
}

/* Total of msg_len over the first messages of a sendmmsg/recvmmsg that returned @n. */
static __always_inline __u64 dt_mmsg_bytes(unsigned long vec, long n)
{
	__u64 total = 0;
	__u32 len;
	int i;

	for (i = 0; i < 8; i++) {
		if (i >= n)
			break;
		/* struct mmsghdr: user_msghdr (56 bytes), then msg_len. */
		if (bpf_probe_read_user(&len, sizeof(len), (void *)(vec + i * 64 + 56)))
			break;
		total += len;
	}
	return total;
}

/* bpf/gpu.bpf.c: counts an open of a GPU or kernel-bypass device node. */
extern int dt_gpu_opened(__u32 rdev);

/*
 * A file was opened: if it lies below a classified directory but is not classified yet (it
 * was created, moved in, or lies in a directory created after the agent started), classify
 * it and the directories between, and tell user space its name.
 *
 * This runs for every open on a device that holds classified inodes, so the common cases are
 * kept short: a file whose parent is classified takes one lookup for the parent, and a file
 * in a directory already walked without result (walkneg) one more; only the first open in a
 * directory per dt_walk_gen walks up to DT_CLASSIFY_DEPTH ancestors.
 */
static __always_inline int dt_file_open(long fd)
{
	struct dentry *d, *leaf, *parent, *origin;
	struct dt_inode_val *anc = NULL, nv = {};
	struct dt_inode_key ik, pk = {}, dk = {}, ak = {};
	struct dt_ev_classify *e;
	struct inode *inode, *pinode;
	struct file *f;
	__u64 gen, *neg;
	__u32 depth = 0, dirs = 0, n = 0;
	umode_t mode;
	/* 64 bits: a 32-bit spill of it loses its bounds on verifiers before 6.2 (compat build). */
	long i;

	f = dt_fd_file_btf(fd);
	if (!f)
		return 0;
	inode = dt_file_key_real(f, &ik, &origin);
	if (!inode)
		return 0;
	/* Device nodes are never classified; a GPU's is counted (one open program, one fd walk). */
	if ((DT_KLOAD(inode, i_mode) & DT_S_IFMT) == DT_S_IFCHR)
		return dt_gpu_opened(DT_KLOAD(inode, i_rdev));
	/* Opened for writing through an overlay: copied up already, before this exit. */
	if (origin && !bpf_map_lookup_elem(&inodes, &ik) && dt_ovl_copied_up(f, &ik, origin))
		return 0;
	if (!bpf_map_lookup_elem(&devs, &ik.dev))
		return 0;
	if (bpf_map_lookup_elem(&inodes, &ik))
		return 0;

	/* Through an overlay, the walk goes up the layer's own directories. */
	leaf = dt_real_dentry(f, &origin);
	parent = DT_KLOAD(leaf, d_parent);
	if (!parent || parent == leaf || !DT_KLOAD(parent, d_inode))
		return 0;
	dk.ino = DT_KLOAD(parent, d_inode, i_ino);
	dk.dev = DT_KLOAD(parent, d_inode, i_sb, s_dev);
	anc = bpf_map_lookup_elem(&inodes, &dk);
	if (anc) {
		ak = dk;
		depth = 1;
		goto found;
	}
	/* Read before the walk: a change during it voids what the walk would record. */
	gen = dt_walk_gen;
	neg = bpf_map_lookup_elem(&walkneg, &dk);
	if (neg && *neg == gen)
		return 0;
	d = parent;
	for (i = 1; i < DT_CLASSIFY_DEPTH; i++) {
		parent = DT_KLOAD(d, d_parent);
		if (!parent || parent == d)
			break;
		pinode = DT_KLOAD(parent, d_inode);
		if (!pinode)
			return 0;
		pk.ino = DT_KLOAD(pinode, i_ino);
		pk.dev = DT_KLOAD(pinode, i_sb, s_dev);
		anc = bpf_map_lookup_elem(&inodes, &pk);
		if (anc) {
			ak = pk;
			depth = i + 1;
			goto found;
		}
		d = parent;
	}
	bpf_map_update_elem(&walkneg, &dk, &gen, BPF_ANY);
	return 0;

found:
	if (!(anc->flags & DT_INODE_DIR))
		return 0;
	nv.dataset = anc->dataset;
	nv.label = anc->label;
	d = leaf;
	for (i = 0; i < DT_CLASSIFY_DEPTH; i++) {
		if (i >= depth)
			break;
		inode = DT_KLOAD(d, d_inode);
		if (!inode)
			break;
		n = i + 1;
		pk.ino = DT_KLOAD(inode, i_ino);
		pk.dev = DT_KLOAD(inode, i_sb, s_dev);
		mode = DT_KLOAD(inode, i_mode);
		nv.flags = DT_INODE_CREATED | ((mode & DT_S_IFMT) == DT_S_IFDIR ? DT_INODE_DIR : 0);
		dirs |= nv.flags & DT_INODE_DIR;
		if (bpf_map_update_elem(&inodes, &pk, &nv, BPF_NOEXIST) == -E2BIG) {
			struct dt_stats *st = dt_stats();

			if (st)
				st->inode_full++;
		}
		d = DT_KLOAD(d, d_parent);
	}
	/* A directory classified here is an ancestor that earlier walks did not find. */
	if (dirs)
		__sync_fetch_and_add(&dt_walk_gen, 1);
	/*
	 * The names in a second walk, so that the reservation is tested once: verifiers before
	 * 6.2 take a second test of it for a path that leaks it.
	 */
	e = dt_reserve(DT_EV_CLASSIFY, sizeof(*e));
	if (!e)
		return 0;
	d = leaf;
	for (i = 0; i < DT_CLASSIFY_DEPTH; i++) {
		if (i >= n)
			break;
		bpf_probe_read_kernel_str(e->names[i], DT_NAME_LEN, DT_KLOAD(d, d_name.name));
		d = DT_KLOAD(d, d_parent);
	}
	e->ino = ik.ino;
	e->dev = ik.dev;
	e->anc_ino = ak.ino;
	e->dataset = nv.dataset;
	e->depth = depth;
	e->label = nv.label;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	dt_submit(e);
	return 0;
}

/*
 * A rename may move a directory walked without result below a dataset, and a new directory
 * may reuse such a directory's inode number. Counted at exit, so an open racing the rename
 * itself may still trust the old answer once; the next open after the exit walks again.
 */
static __always_inline int dt_walk_invalidate(long ret)
{
	if (ret == 0)
		__sync_fetch_and_add(&dt_walk_gen, 1);
	return 0;
}

static __always_inline int dt_file_sys_exit(struct pt_regs *regs, long nr, long ret)
{
	switch (nr) {
	case DT_NR_read:
	case DT_NR_pread64:
	case DT_NR_readv:
	case DT_NR_preadv:
	case DT_NR_preadv2:
	case DT_NR_recvfrom:
	case DT_NR_recvmsg:
		if (ret > 0)
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_READ, ret);
		break;
	case DT_NR_recvmmsg:
		if (ret > 0)
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_READ,
				     dt_mmsg_bytes(DT_SC_ARG2(regs), ret));
		break;
	case DT_NR_write:
	case DT_NR_pwrite64:
	case DT_NR_writev:
	case DT_NR_pwritev:
	case DT_NR_pwritev2:
		if (ret > 0)
			dt_file_write(DT_SC_ARG1(regs), nr, regs, ret, true);
		break;
	case DT_NR_sendto:
	case DT_NR_sendmsg:
		if (ret > 0)
			dt_file_write(DT_SC_ARG1(regs), nr, regs, ret, true);
		/* An AF_XDP transmit kick sends frames from the umem and returns 0. */
		else if (ret == 0)
			dt_chan_raw_send(DT_SC_ARG1(regs), nr, DT_SC_ARG2(regs), DT_SC_ARG5(regs), 0);
		break;
	case DT_NR_sendmmsg:
		if (ret > 0)
			dt_file_write(DT_SC_ARG1(regs), nr, regs, dt_mmsg_bytes(DT_SC_ARG2(regs), ret), true);
		break;
	case DT_NR_sendfile:
		if (ret > 0) {
			dt_file_read(DT_SC_ARG2(regs), DT_ACC_SENDFILE, ret);
			dt_file_write(DT_SC_ARG1(regs), nr, regs, ret, false);
		}
		break;
	case DT_NR_splice:
		if (ret > 0) {
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_SPLICE, ret);
			dt_file_write(DT_SC_ARG3(regs), nr, regs, ret, false);
		}
		break;
	case DT_NR_tee:
		/* The pipe-to-pipe copy passes through the caller, tainted at entry (send.bpf.c). */
		if (ret > 0)
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_SPLICE, ret);
		break;
	case DT_NR_copy_file_range:
		if (ret > 0) {
			dt_file_read(DT_SC_ARG1(regs), DT_ACC_COPY_FILE_RANGE, ret);
			dt_file_write(DT_SC_ARG3(regs), nr, regs, ret, false);
		}
		break;
	case DT_NR_mmap:
		/* ret is the address; the mapped length counts, at map time. */
		if ((unsigned long)ret < (unsigned long)-4095 &&
		    !(DT_SC_ARG4(regs) & DT_MAP_ANONYMOUS))
			dt_file_read(DT_SC_ARG5(regs), DT_ACC_MMAP, DT_SC_ARG2(regs));
		break;
	case DT_NR_open:
	case DT_NR_openat:
	case DT_NR_openat2:
	case DT_NR_creat:
		if (ret >= 0)
			dt_file_open(ret);
		break;
	}
	return 0;
}

#endif /* DT_FILE_BPF_H */
