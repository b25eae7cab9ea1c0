// SPDX-License-Identifier: GPL-2.0
/* gpu.bpf.c - open, ioctl, mmap, RDMA write() on GPU and kernel-bypass devices, per process. */
#include "common.bpf.h"
#include "sock.bpf.h"
#include "taint.bpf.h"
#include "gpu.bpf.h"

/*
 * Copies to and from a GPU, RDMA transfers and GDS reads make no syscall per transfer: user
 * space writes to doorbells and pushbuffers it has mapped. What the kernel does see are the
 * calls that set those transfers up (allocations, mappings, migrations, exports, memory
 * registration), so those are counted, per (process, device, class), in gpu_acc. Devices are
 * told by the device number of the node (gpu_devs), never by path: a renamed or bind-mounted
 * node is the same device. ioctl and mmap have tracepoints of their own, where a syscall on
 * anything but a character device costs a few loads and no lookup; opens and RDMA write()s
 * are handled by the programs already on those syscalls (dt_gpu_opened, dt_gpu_write).
 */

#define DT_MINOR_BITS 20

static __always_inline struct dt_gpu_stats *dt_gpu_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&gpu_stats, &zero);
}

static __always_inline void dt_gpu_read_fault(void)
{
	struct dt_gpu_stats *st = dt_gpu_stats();

	if (st)
		__sync_fetch_and_add(&st->read_fault, 1);
}

/* The kind of device @rdev is, 0 when it is not a registered device. */
static __always_inline __u32 dt_gpu_kind(__u32 rdev)
{
	__u32 *kind, any;

	kind = bpf_map_lookup_elem(&gpu_devs, &rdev);
	if (kind)
		return *kind;
	any = (rdev & ~((1U << DT_MINOR_BITS) - 1)) | DT_DEV_ANY_MINOR;
	kind = bpf_map_lookup_elem(&gpu_devs, &any);
	return kind ? *kind : 0;
}

/* The kind of the device behind @fd, and its number; 0 when it is not a registered device. */
static __always_inline __u32 dt_gpu_fd(long fd, __u32 *rdev)
{
	struct file *f = dt_fd_file_btf(fd);
	struct inode *inode = f ? DT_KLOAD(f, f_inode) : NULL;

	if (!inode || (DT_KLOAD(inode, i_mode) & DT_S_IFMT) != DT_S_IFCHR)
		return 0;
	*rdev = DT_KLOAD(inode, i_rdev);
	return dt_gpu_kind(*rdev);
}

/*
 * Counts one operation of the current process. The common case is three lookups (taint,
 * counter) and atomic adds; the first operation of a (process, device, class) also creates the
 * counter and tells user space, which from then on reads the counter itself. The counter keeps
 * the process's taint so that user space can tell a tainted process used the device even if
 * the process is gone by the time the counter is read.
 */
static __always_inline void dt_gpu_count(__u32 rdev, __u32 kind, __u16 op, __u64 bytes, __u32 cmd,
					 __u32 sub)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct dt_dev_key k = { .tgid = tgid, .rdev = rdev, .kind = kind, .op = op };
	struct dt_dev_val *v, *nv;
	__u64 now = bpf_ktime_get_ns();
	struct dt_gpu_stats *st;
	struct dt_ev_device *e;
	struct dt_taint *t;
	__u32 one = 1, zero = 0;
	long err;

	if (tgid == dt_cfg.agent_tgid)
		return;
	/* Only processes that touched an RDMA node pay for the write() hook's decoding. */
	if (kind == DT_DEV_RDMA && !bpf_map_lookup_elem(&gpu_procs, &tgid))
		bpf_map_update_elem(&gpu_procs, &tgid, &one, BPF_ANY);
	t = bpf_map_lookup_elem(&taint, &tgid);
	v = bpf_map_lookup_elem(&gpu_acc, &k);
	if (v) {
add:
		__sync_fetch_and_add(&v->bytes, bytes);
		__sync_fetch_and_add(&v->ops, 1);
		v->last_ns = now;
		v->last_cmd = cmd;
		if (t)
			dt_taint_merge(&v->taint, t);
		return;
	}
	nv = bpf_map_lookup_elem(&gpuwork, &zero);
	if (!nv)
		return;
	__builtin_memset(nv, 0, sizeof(*nv));
	nv->bytes = bytes;
	nv->ops = 1;
	nv->first_ns = now;
	nv->last_ns = now;
	if (t)
		__builtin_memcpy(&nv->taint, t, sizeof(nv->taint));
	nv->uid = (__u32)bpf_get_current_uid_gid();
	nv->last_cmd = cmd;
	err = bpf_map_update_elem(&gpu_acc, &k, nv, BPF_NOEXIST);
	if (err == -EEXIST) {
		v = bpf_map_lookup_elem(&gpu_acc, &k);
		if (v)
			goto add;
		return;
	}
	if (err) {
		st = dt_gpu_stats();
		if (st)
			__sync_fetch_and_add(&st->acc_full, 1);
		return;
	}
	dt_proc_track(tgid);

	e = dt_reserve(DT_EV_DEVICE, sizeof(*e));
	if (!e)
		return;
	e->key = k;
	e->tid = (__u32)id;
	e->uid = nv->uid;
	e->bytes = bytes;
	e->cmd = cmd;
	e->sub = sub;
	dt_submit(e);
}

/*
 * NVIDIA: unwraps XFER and reads an RM control's cmd. *@argp becomes the address of the
 * escape's own parameters (inside XFER, its ptr).
 */
static __always_inline struct dt_dev_dec dt_gpu_nv(__u32 cmd, unsigned long *argp, __u32 *sub)
{
	struct {
		__u32 cmd;
		__u32 size;
		__u64 ptr;
	} x;
	__u32 esc = DT_IOC_NR(cmd), ctrl = 0;

	if (DT_IOC_TYPE(cmd) != DT_NV_IOCTL_MAGIC)
		return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
	if (dt_nv_is_xfer(cmd)) {
		if (bpf_probe_read_user(&x, sizeof(x), (void *)*argp)) {
			dt_gpu_read_fault();
			return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
		}
		esc = x.cmd;
		*argp = x.ptr;
		*sub = (esc & 0xffff) << 16;
	}
	if (esc == DT_NV_ESC_RM_CONTROL) {
		if (bpf_probe_read_user(&ctrl, sizeof(ctrl), (void *)(*argp + DT_NV_NVOS54_CMD_OFF)))
			dt_gpu_read_fault();
		*sub |= ctrl & 0xffff;
	}
	return dt_nv_decode(esc, ctrl);
}

/* RDMA_VERBS_IOCTL: (object, method) from the header; INVOKE_WRITE by its write command. */
static __always_inline struct dt_dev_dec dt_gpu_rdma(__u32 cmd, unsigned long arg, __u32 *sub)
{
	struct {
		__u16 length;
		__u16 object_id;
		__u16 method_id;
		__u16 num_attrs;
	} h;
	struct {
		__u16 attr_id;
		__u16 len;
		__u16 flags;
		__u16 attr_data;
		__u64 data;
	} attrs[4];
	int i;

	if (!dt_rdma_is_verbs_ioctl(cmd))
		return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
	if (bpf_probe_read_user(&h, sizeof(h), (void *)arg)) {
		dt_gpu_read_fault();
		return dt_dec(DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE);
	}
	*sub = (__u32)h.object_id << 16 | h.method_id;
	if (h.object_id != DT_UVERBS_OBJECT_DEVICE || h.method_id != DT_UVERBS_METHOD_INVOKE_WRITE)
		return dt_rdma_ioctl_decode(h.object_id, h.method_id);
	/* rdma-core puts the write command among the first attributes; four are looked at. */
	if (bpf_probe_read_user(attrs, sizeof(attrs), (void *)(arg + DT_RDMA_HDR_SIZE)))
		return dt_dec(DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE);
	for (i = 0; i < 4; i++) {
		if (i >= h.num_attrs)
			break;
		if (attrs[i].attr_id == DT_UVERBS_ATTR_WRITE_CMD)
			return dt_rdma_write_decode((__u32)attrs[i].data);
	}
	return dt_dec(DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE);
}

/*
 * nvidia-fs READ and WRITE name the file by descriptor and do the I/O inside the driver
 * (read_iter on the file, no read() syscall): a classified file read this way is counted as a
 * read (DT_ACC_GDS) and taints the process like any read; a write into one is a write. The
 * bytes are the size asked for, at entry; whether the transfer succeeded is not known here.
 */
static __always_inline void dt_gpu_gds_file(unsigned long arg, __u16 op, __u64 bytes)
{
	struct dt_inode_key ik;
	struct dt_inode_val *iv;
	int fd;

	if (bpf_probe_read_user(&fd, sizeof(fd), (void *)(arg + DT_NVFS_IOARGS_FD_OFF))) {
		dt_gpu_read_fault();
		return;
	}
	if (!dt_file_key_btf(dt_fd_file_btf(fd), &ik))
		return;
	iv = bpf_map_lookup_elem(&inodes, &ik);
	if (!iv)
		return;
	if (op == DT_DOP_GDS_READ) {
		dt_account(&ik, iv, DT_ACC_GDS, bytes);
		dt_taint_from_inode(&ik, iv, bytes);
	} else {
		dt_account(&ik, iv, DT_ACC_WRITE, bytes);
	}
}

static __always_inline int dt_gpu_ioctl_do(long fd, __u32 cmd, unsigned long arg)
{
	__u32 rdev = 0, sub = 0, kind;
	unsigned long p = arg;
	struct dt_dev_dec d;
	__u64 bytes = 0;

	kind = dt_gpu_fd(fd, &rdev);
	if (!kind)
		return 0;
	if (kind == DT_DEV_NVIDIA)
		d = dt_gpu_nv(cmd, &p, &sub);
	else if (kind == DT_DEV_RDMA)
		d = dt_gpu_rdma(cmd, arg, &sub);
	else
		d = dt_dev_decode_cmd(kind, cmd);
	if (d.size_off != DT_DEC_NOSIZE &&
	    bpf_probe_read_user(&bytes, sizeof(bytes), (void *)(p + d.size_off)))
		dt_gpu_read_fault();
	if (kind == DT_DEV_NVIDIA_FS && (d.op == DT_DOP_GDS_READ || d.op == DT_DOP_GDS_WRITE))
		dt_gpu_gds_file(arg, d.op, bytes);
	dt_gpu_count(rdev, kind, d.op, bytes, cmd, sub);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int dt_gpu_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	return dt_gpu_ioctl_do(ctx->args[0], ctx->args[1], ctx->args[2]);
}

/* The fentry backend's twin (user/hooks.c loads one of the two). */
SEC("fentry/" DT_SYSCALL_FN(ioctl))
int BPF_PROG(dt_gpu_fentry_ioctl, struct pt_regs *regs)
{
	return dt_gpu_ioctl_do(DT_SC_ARG1(regs), DT_SC_ARG2(regs), DT_SC_ARG3(regs));
}

#define DT_MAP_ANONYMOUS_FLAG 0x20

/*
 * Counted at entry, as asked: a failed mmap of a device node is an attempt worth seeing. The
 * agent's own maps are checked here too (one mmap entry hook, not two), for shared writable
 * mappings only.
 */
static __always_inline int dt_gpu_mmap_do(long fd, unsigned long len, unsigned long prot,
					  unsigned long flags)
{
	__u32 rdev = 0, kind, type = flags & DT_MAP_TYPE;

	if (fd < 0 || (flags & DT_MAP_ANONYMOUS_FLAG))
		return 0;
	if ((prot & DT_PROT_WRITE) && (type == DT_MAP_SHARED || type == DT_MAP_SHARED_VALIDATE))
		dt_agent_mmap(fd);
	kind = dt_gpu_fd(fd, &rdev);
	if (kind)
		dt_gpu_count(rdev, kind, DT_DOP_MMAP, len, 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int dt_gpu_mmap(struct trace_event_raw_sys_enter *ctx)
{
	return dt_gpu_mmap_do(ctx->args[4], ctx->args[1], ctx->args[2], ctx->args[3]);
}

SEC("fentry/" DT_SYSCALL_FN(mmap))
int BPF_PROG(dt_gpu_fentry_mmap, struct pt_regs *regs)
{
	return dt_gpu_mmap_do(DT_SC_ARG5(regs), DT_SC_ARG2(regs), DT_SC_ARG3(regs),
			      DT_SC_ARG4(regs));
}

/*
 * Opens are seen by the open exit programs of syscalls.bpf.c, which already hold the inode:
 * they call this for a character device, so an open costs one program and one fd walk.
 */
__noinline int dt_gpu_opened(__u32 rdev)
{
	__u32 kind = dt_gpu_kind(rdev);

	if (kind)
		dt_gpu_count(rdev, kind, DT_DOP_OPEN, 0, 0, 0);
	return 0;
}

/*
 * RDMA's older ABI passes verbs commands with write(fd, {u32 command; u16 in_words;
 * u16 out_words; ...}). Every write() in the system comes here, from send.bpf.c's
 * sys_enter_write program (one program per tracepoint is cheaper than two), so a process
 * that never touched an RDMA node costs one lookup in gpu_procs and nothing else.
 */
__noinline int dt_gpu_write(long fd, unsigned long buf, unsigned long count)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, rdev = 0, command;
	struct dt_dev_dec d;

	if (!bpf_map_lookup_elem(&gpu_procs, &tgid))
		return 0;
	if (dt_gpu_fd(fd, &rdev) != DT_DEV_RDMA || count < 8)
		return 0;
	if (bpf_probe_read_user(&command, sizeof(command), (void *)buf)) {
		dt_gpu_read_fault();
		return 0;
	}
	d = dt_rdma_write_decode(command);
	dt_gpu_count(rdev, DT_DEV_RDMA, d.op, 0, 0, command);
	return 0;
}
