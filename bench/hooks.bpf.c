// SPDX-License-Identifier: GPL-2.0
/*
 * hooks.bpf.c - near-empty programs on the hooks datatrail uses, for bench/hookbench.c: what
 * a hook costs an unwatched syscall before any datatrail logic runs. Not part of the agent.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

__u64 sink;

/* The agent's hook, doing nothing. */
SEC("tp_btf/sys_exit")
int BPF_PROG(h_btf_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/* The agent's first step: the syscall number through BPF_CORE_READ (bpf_probe_read_kernel). */
SEC("tp_btf/sys_exit")
int BPF_PROG(h_btf_exit_core, struct pt_regs *regs, long ret)
{
	if (BPF_CORE_READ(regs, orig_ax) == 0xffff)
		sink++;
	return 0;
}

/* The same number read directly: tp_btf arguments are BTF pointers the verifier trusts. */
SEC("tp_btf/sys_exit")
int BPF_PROG(h_btf_exit_direct, struct pt_regs *regs, long ret)
{
	if (regs->orig_ax == 0xffff)
		sink++;
	return 0;
}

/* One classic syscall tracepoint, as send.bpf.c attaches eleven (and gpu.bpf.c more). */
SEC("tracepoint/syscalls/sys_enter_write")
int h_tp_enter_write(void *ctx)
{
	return 0;
}

/* A per-syscall exit tracepoint: the alternative to a dispatcher on every sys_exit. */
SEC("tracepoint/syscalls/sys_exit_pread64")
int h_tp_exit_pread64(void *ctx)
{
	return 0;
}

/*
 * What dt_file_read() does before its first map lookup, for pread64 only: fd -> struct file
 * -> inode -> (ino, dev), then a miss in a hash map shaped like `inodes`. The _core variant
 * reads every pointer with BPF_CORE_READ (a bpf_probe_read_kernel() call per hop), as the
 * agent does; the _direct one loads through the BTF pointers tp_btf gives (no helper calls),
 * with one probe read for the fd array slot and a bpf_rdonly_cast() of the file pointer.
 */
struct ikey {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ikey);
	__type(value, __u64);
} h_inodes SEC(".maps");

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

#define NR_PREAD64 17

SEC("tp_btf/sys_exit")
int BPF_PROG(h_fd_core, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	struct fdtable *fdt;
	struct file **fds, *f = NULL;
	struct inode *inode;
	struct ikey k = {};
	long fd;

	if (BPF_CORE_READ(regs, orig_ax) != NR_PREAD64 || ret <= 0)
		return 0;
	fd = BPF_CORE_READ(regs, di);
	task = (struct task_struct *)bpf_get_current_task();
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (__u64)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return 0;
	inode = BPF_CORE_READ(f, f_inode);
	k.ino = BPF_CORE_READ(inode, i_ino);
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (bpf_map_lookup_elem(&h_inodes, &k))
		sink++;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(h_fd_direct, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	struct fdtable *fdt;
	struct file *f = NULL, *tf;
	struct inode *inode;
	struct ikey k = {};
	long fd;

	if (regs->orig_ax != NR_PREAD64 || ret <= 0)
		return 0;
	fd = regs->di;
	task = bpf_get_current_task_btf();
	fdt = task->files->fdt;
	if (!fdt || fd < 0 || (__u64)fd >= fdt->max_fds)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	if (!f)
		return 0;
	tf = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	inode = tf->f_inode;
	k.ino = inode->i_ino;
	k.dev = inode->i_sb->s_dev;
	if (bpf_map_lookup_elem(&h_inodes, &k))
		sink++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
