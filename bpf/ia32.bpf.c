// SPDX-License-Identifier: GPL-2.0
/* ia32.bpf.c - ia32 system calls (int $0x80, 32-bit programs) dispatched to the 64-bit bodies. */
#include "common.bpf.h"
#include "file.bpf.h"
#include "taint.bpf.h"

/*
 * x86's syscall tracepoints ignore ia32 calls (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS), and those
 * enter through __ia32_sys_* (or __ia32_compat_sys_*), not the __x64_sys_* functions the fentry
 * backend hooks: without this file a read by `int $0x80` from any process, or by a 32-bit
 * program, is not seen. Two programs follow them: on the tracepoint backend tp_btf sys_enter
 * and sys_exit (raw_syscalls, which do fire for ia32 calls, with the ia32 number), whose first
 * test is the task's TS_COMPAT bit, so a 64-bit syscall pays a helper call and a load; on the
 * fentry backend fentry and fexit on ia32_sys_call() (Linux 6.9+ and the stable kernels that
 * took the BHI fix), which only ia32 calls reach. Each dispatches to the same bodies as the
 * 64-bit programs, with the ia32 numbers (syscall_nr.bpf.h) and argument registers (bx, cx,
 * dx, si, di: 32 bits each, as the kernel reads them) and the compat layouts of msghdr,
 * mmsghdr and iovec. The calls that move data and are not dispatched (ptrace, ipc,
 * process_vm_*, shmat, msgsnd, mq_timedsend, socketcall's other calls) are not followed: the
 * first one a tainted process makes is counted in dt_ia32_gap, a visibility_gap (source
 * ia32_syscall). x32 calls (CONFIG_X86_X32_ABI) are not followed either; the agent says so at
 * start where the kernel has them (user/hooks.c).
 */
#if defined(__TARGET_ARCH_x86)

#define DT_TS_COMPAT 0x0002
#define DT_MAP_ANON 0x20

/* socketcall(2)'s calls (include/uapi/linux/net.h). */
#define DT_SYS_SEND 9
#define DT_SYS_RECV 10
#define DT_SYS_SENDTO 11
#define DT_SYS_RECVFROM 12
#define DT_SYS_SENDMSG 16
#define DT_SYS_RECVMSG 17
#define DT_SYS_RECVMMSG 19
#define DT_SYS_SENDMMSG 20

/* send.bpf.c and io_submit.bpf.c: global functions, verified once on their own. */
extern int dt_send_enter_args(long nr, long fd_out, long fd_in, unsigned long a2,
			      unsigned long a5);
extern int dt_vmsplice_enter_fd(long fd);
extern int dt_aio_submit_enter32(unsigned long iocbpp, long nr);
extern int dt_aio_submit_exit32(unsigned long iocbpp, long ret);

/* A plain load of the current task's status: the whole cost of a 64-bit syscall here. */
static __always_inline bool dt_ia32_call(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->thread_info.status & DT_TS_COMPAT;
}

/* The ia32 argument registers, as the kernel reads them (32 bits). */
#define DT_A1(regs) ((__u32)(regs)->bx)
#define DT_A2(regs) ((__u32)(regs)->cx)
#define DT_A3(regs) ((__u32)(regs)->dx)
#define DT_A4(regs) ((__u32)(regs)->si)
#define DT_A5(regs) ((__u32)(regs)->di)
#define DT_FD(x) ((long)(int)(x))

/* The first compat msghdr's or mmsghdr's msg_name (its first member, a 32-bit pointer). */
static __always_inline unsigned long dt_msg_name32(unsigned long msg)
{
	__u32 name = 0;

	bpf_probe_read_user(&name, sizeof(name), (void *)msg);
	return name;
}

/* Total msg_len of the first (up to 8) of @n struct compat_mmsghdr (28 bytes, then msg_len). */
static __always_inline __u64 dt_mmsg_bytes32(unsigned long vec, long n)
{
	__u64 total = 0;
	__u32 len;
	int i;

	for (i = 0; i < 8; i++) {
		if (i >= n)
			break;
		if (bpf_probe_read_user(&len, sizeof(len), (void *)(vec + i * 32 + 28)))
			break;
		total += len;
	}
	return total;
}

/*
 * Reads and writes as global functions, each its own frame under the dispatcher's small one:
 * inlined into it, the deepest chains (a read of /proc/PID/mem, a send on a packet socket) would
 * pass the 512 bytes kernels before 6.13 give a program and its calls together.
 */
__noinline int dt_ia32_read_file(long fd, __u32 access, __u64 bytes)
{
	return dt_file_read_f(dt_fd_file_btf(fd), -1, access, bytes);
}

__noinline int dt_ia32_read(long fd, __u32 access, __u64 bytes)
{
	struct file *f = dt_fd_file_btf(fd);

	if (!f)
		return 0;
	/* What dt_file_read_f() does for /proc/PID/mem, out of its frame. */
	if (access == DT_ACC_READ && DT_KLOAD(f, f_inode, i_sb, s_magic) == DT_PROC_SUPER_MAGIC)
		return dt_chan_procmem(fd, bytes, 0);
	return dt_ia32_read_file(fd, access, bytes);
}

__noinline int dt_ia32_write(long fd, long nr, unsigned long a2, unsigned long a5, __u64 bytes)
{
	return dt_file_write_f(dt_fd_file_btf(fd), fd, nr, a2, a5, bytes, true);
}

/* sendfile, splice, copy_file_range: the chan.bpf.c senders are not followed there either. */
__noinline int dt_ia32_copy_write(long fd, long nr, __u64 bytes)
{
	return dt_file_write_f(dt_fd_file_btf(fd), fd, nr, 0, 0, bytes, false);
}

__noinline int dt_ia32_open(long fd)
{
	return dt_file_open(fd);
}

__noinline int dt_ia32_vmsplice_exit(long fd, __u64 bytes)
{
	struct file *f = dt_fd_file_btf(fd);

	if (f && (DT_KLOAD(f, f_mode) & (DT_FMODE_READ | DT_FMODE_WRITE)) == DT_FMODE_READ)
		dt_file_read_f(f, -1, DT_ACC_READ, bytes);
	return 0;
}

/* A tainted process made an ia32 call that moves data and is not followed: counted once. */
__noinline int dt_ia32_unfollowed(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct dt_proc *p;

	if (!bpf_map_lookup_elem(&taint, &tgid))
		return 0;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p && (__sync_fetch_and_or(&p->flags, DT_PROC_IA32_GAP) & DT_PROC_IA32_GAP))
		return 0;
	__sync_fetch_and_add(&dt_ia32_gap, 1);
	return 0;
}

/* socketcall(@call, @args): its arguments, 32 bits each, in the caller's memory. */
static __always_inline int dt_socketcall_args(unsigned long args, __u32 *a)
{
	return bpf_probe_read_user(a, 5 * sizeof(__u32), (void *)args);
}

/* The sends of socketcall() at entry: marked as sendto with the destination they give. */
static __always_inline int dt_socketcall_enter(__u32 call, unsigned long args)
{
	__u32 a[5];

	switch (call) {
	case DT_SYS_SEND:
	case DT_SYS_SENDTO:
	case DT_SYS_SENDMSG:
	case DT_SYS_SENDMMSG:
		break;
	default:
		return 0;
	}
	if (dt_socketcall_args(args, a))
		return 0;
	dt_shm_flush();
	if (call == DT_SYS_SEND)
		return dt_send_enter_args(DT_NR_sendto, DT_FD(a[0]), -1, 0, 0);
	if (call == DT_SYS_SENDTO)
		return dt_send_enter_args(DT_NR_sendto, DT_FD(a[0]), -1, 0, a[4]);
	return dt_send_enter_args(DT_NR_sendto, DT_FD(a[0]), -1, 0, dt_msg_name32(a[1]));
}

/* Out of the dispatcher's frame, as is the old mmap below: the deepest chains pass under it. */
__noinline int dt_socketcall_exit(__u32 call, unsigned long args, long ret)
{
	__u32 a[5];

	if (ret <= 0 || dt_socketcall_args(args, a))
		return 0;
	switch (call) {
	case DT_SYS_RECV:
	case DT_SYS_RECVFROM:
	case DT_SYS_RECVMSG:
		return dt_ia32_read(DT_FD(a[0]), DT_ACC_READ, ret);
	case DT_SYS_RECVMMSG:
		return dt_ia32_read(DT_FD(a[0]), DT_ACC_READ, dt_mmsg_bytes32(a[1], ret));
	case DT_SYS_SEND:
		return dt_ia32_write(DT_FD(a[0]), DT_NR_sendto, 0, 0, ret);
	case DT_SYS_SENDTO:
		return dt_ia32_write(DT_FD(a[0]), DT_NR_sendto, 0, a[4], ret);
	case DT_SYS_SENDMSG:
		return dt_ia32_write(DT_FD(a[0]), DT_NR_sendto, 0, dt_msg_name32(a[1]), ret);
	case DT_SYS_SENDMMSG:
		return dt_ia32_write(DT_FD(a[0]), DT_NR_sendto, 0, dt_msg_name32(a[1]),
				     dt_mmsg_bytes32(a[1], ret));
	}
	dt_ia32_unfollowed();
	return 0;
}

/* old_mmap(): struct mmap_arg_struct holds addr, len, prot, flags, fd (32 bits each), offset. */
__noinline int dt_ia32_old_mmap(unsigned long arg)
{
	__u32 m[5];

	if (!bpf_probe_read_user(m, sizeof(m), (void *)arg) && !(m[3] & DT_MAP_ANON))
		dt_ia32_read(DT_FD(m[4]), DT_ACC_MMAP, m[1]);
	return 0;
}

/* Entry: what a tainted writer is about to write is marked, as send.bpf.c does. */
static __always_inline int dt_ia32_enter(struct pt_regs *regs, long nr)
{
	switch (nr) {
	case DT_NR32_write:
	case DT_NR32_writev:
	case DT_NR32_pwrite64:
	case DT_NR32_pwritev:
	case DT_NR32_pwritev2:
		dt_shm_flush();
		return dt_send_enter_args(DT_NR_write, DT_FD(DT_A1(regs)), -1, 0, 0);
	case DT_NR32_sendto:
		dt_shm_flush();
		return dt_send_enter_args(DT_NR_sendto, DT_FD(DT_A1(regs)), -1, 0, DT_A5(regs));
	case DT_NR32_sendmsg:
	case DT_NR32_sendmmsg:
		dt_shm_flush();
		return dt_send_enter_args(DT_NR_sendto, DT_FD(DT_A1(regs)), -1, 0,
					  dt_msg_name32(DT_A2(regs)));
	case DT_NR32_sendfile:
	case DT_NR32_sendfile64:
		dt_shm_flush();
		return dt_send_enter_args(DT_NR_sendfile, DT_FD(DT_A1(regs)), DT_FD(DT_A2(regs)), 0,
					  0);
	case DT_NR32_splice:
		dt_shm_flush();
		return dt_send_enter_args(DT_NR_splice, DT_FD(DT_A3(regs)), DT_FD(DT_A1(regs)), 0,
					  0);
	case DT_NR32_copy_file_range:
		dt_shm_flush();
		return dt_send_enter_args(DT_NR_copy_file_range, DT_FD(DT_A3(regs)),
					  DT_FD(DT_A1(regs)), 0, 0);
	case DT_NR32_tee:
		return dt_send_enter_args(DT_NR_tee, DT_FD(DT_A2(regs)), DT_FD(DT_A1(regs)), 0, 0);
	case DT_NR32_vmsplice:
		return dt_vmsplice_enter_fd(DT_FD(DT_A1(regs)));
	case DT_NR32_io_submit:
		return dt_aio_submit_enter32(DT_A3(regs), (int)DT_A2(regs));
	case DT_NR32_socketcall:
		return dt_socketcall_enter(DT_A1(regs), DT_A2(regs));
	}
	return 0;
}

/* Exit: bytes counted, files opened classified, as syscalls.bpf.c does. */
static __always_inline int dt_ia32_exit(struct pt_regs *regs, long nr, long ret)
{
	switch (nr) {
	case DT_NR32_read:
	case DT_NR32_readv:
	case DT_NR32_pread64:
	case DT_NR32_preadv:
	case DT_NR32_preadv2:
	case DT_NR32_recvfrom:
	case DT_NR32_recvmsg:
		if (ret > 0)
			dt_ia32_read(DT_FD(DT_A1(regs)), DT_ACC_READ, ret);
		return 0;
	case DT_NR32_recvmmsg:
	case DT_NR32_recvmmsg_time64:
		if (ret > 0)
			dt_ia32_read(DT_FD(DT_A1(regs)), DT_ACC_READ,
				     dt_mmsg_bytes32(DT_A2(regs), ret));
		return 0;
	case DT_NR32_write:
	case DT_NR32_writev:
	case DT_NR32_pwrite64:
	case DT_NR32_pwritev:
	case DT_NR32_pwritev2:
		if (ret > 0)
			dt_ia32_write(DT_FD(DT_A1(regs)), DT_NR_write, 0, 0, ret);
		return 0;
	case DT_NR32_sendto:
		if (ret > 0)
			dt_ia32_write(DT_FD(DT_A1(regs)), DT_NR_sendto, 0, DT_A5(regs), ret);
		return 0;
	case DT_NR32_sendmsg:
		if (ret > 0)
			dt_ia32_write(DT_FD(DT_A1(regs)), DT_NR_sendto, 0,
				      dt_msg_name32(DT_A2(regs)), ret);
		return 0;
	case DT_NR32_sendmmsg:
		if (ret > 0)
			dt_ia32_write(DT_FD(DT_A1(regs)), DT_NR_sendto, 0,
				      dt_msg_name32(DT_A2(regs)), dt_mmsg_bytes32(DT_A2(regs), ret));
		return 0;
	case DT_NR32_sendfile:
	case DT_NR32_sendfile64:
		if (ret > 0) {
			dt_ia32_read(DT_FD(DT_A2(regs)), DT_ACC_SENDFILE, ret);
			dt_ia32_copy_write(DT_FD(DT_A1(regs)), DT_NR_sendfile, ret);
		}
		return 0;
	case DT_NR32_splice:
		if (ret > 0) {
			dt_ia32_read(DT_FD(DT_A1(regs)), DT_ACC_SPLICE, ret);
			dt_ia32_copy_write(DT_FD(DT_A3(regs)), DT_NR_splice, ret);
		}
		return 0;
	case DT_NR32_copy_file_range:
		if (ret > 0) {
			dt_ia32_read(DT_FD(DT_A1(regs)), DT_ACC_COPY_FILE_RANGE, ret);
			dt_ia32_copy_write(DT_FD(DT_A3(regs)), DT_NR_copy_file_range, ret);
		}
		return 0;
	case DT_NR32_tee:
		if (ret > 0)
			dt_ia32_read(DT_FD(DT_A1(regs)), DT_ACC_SPLICE, ret);
		return 0;
	case DT_NR32_vmsplice:
		if (ret > 0)
			dt_ia32_vmsplice_exit(DT_FD(DT_A1(regs)), ret);
		return 0;
	case DT_NR32_mmap2:
		if ((unsigned long)ret < (unsigned long)-4095 && !(DT_A4(regs) & DT_MAP_ANON))
			dt_ia32_read(DT_FD(DT_A5(regs)), DT_ACC_MMAP, DT_A2(regs));
		return 0;
	case DT_NR32_mmap:
		if ((unsigned long)ret < (unsigned long)-4095)
			dt_ia32_old_mmap(DT_A1(regs));
		return 0;
	case DT_NR32_open:
	case DT_NR32_openat:
	case DT_NR32_openat2:
	case DT_NR32_creat:
		if (ret >= 0)
			dt_ia32_open(ret);
		return 0;
	case DT_NR32_rename:
	case DT_NR32_renameat:
	case DT_NR32_renameat2:
	case DT_NR32_mkdir:
	case DT_NR32_mkdirat:
		return dt_walk_invalidate(ret);
	case DT_NR32_io_submit:
		return dt_aio_submit_exit32(DT_A3(regs), ret);
	case DT_NR32_socketcall:
		return dt_socketcall_exit(DT_A1(regs), DT_A2(regs), ret);
	case DT_NR32_ptrace:
	case DT_NR32_ipc:
	case DT_NR32_process_vm_readv:
	case DT_NR32_process_vm_writev:
	case DT_NR32_shmat:
	case DT_NR32_msgsnd:
	case DT_NR32_mq_timedsend:
	case DT_NR32_mq_timedsend_time64:
		return dt_ia32_unfollowed();
	}
	return 0;
}

/* The tracepoint backend: every syscall of every task comes here; ia32 ones go on. */
SEC("tp_btf/sys_enter")
int BPF_PROG(dt_ia32_sys_enter, struct pt_regs *regs, long id)
{
	if (!dt_ia32_call())
		return 0;
	return dt_ia32_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(dt_ia32_sys_exit, struct pt_regs *regs, long ret)
{
	if (!dt_ia32_call())
		return 0;
	return dt_ia32_exit(regs, (__u32)regs->orig_ax, ret);
}

/* The fentry backend: ia32_sys_call() runs only for ia32 calls. */
SEC("fentry/ia32_sys_call")
int BPF_PROG(dt_ia32_fentry, struct pt_regs *regs, unsigned int nr)
{
	/* Tracing programs must return 0 on kernels before 6.13 (the verifier checks it). */
	dt_ia32_enter(regs, nr);
	return 0;
}

SEC("fexit/ia32_sys_call")
int BPF_PROG(dt_ia32_fexit, struct pt_regs *regs, unsigned int nr, long ret)
{
	dt_ia32_exit(regs, nr, ret);
	return 0;
}

#endif /* __TARGET_ARCH_x86 */
