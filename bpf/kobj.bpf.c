// SPDX-License-Identifier: GPL-2.0
/* kobj.bpf.c - file descriptors and sockets as BTF pointers, for plain loads (see common.bpf.h). */
#include "common.bpf.h"

#ifndef DT_COMPAT
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#endif

__hidden struct file *dt_fd_file_btf(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (__u64)fd >= fdt->max_fds)
		return NULL;
	/* fd[] is an array of pointers: the one load the verifier cannot type. */
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
#ifdef DT_COMPAT
	return f;
#else
	return f ? bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file)) : NULL;
#endif
}

#ifdef DT_COMPAT
/* Kernels before 6.2: the pointers stay numbers, read through with DT_KLOAD (common.bpf.h). */
__hidden struct sock *dt_file_sock(struct file *f)
{
	struct socket *s = DT_KLOAD(f, private_data);

	return s ? DT_KLOAD(s, sk) : NULL;
}

__hidden struct unix_sock *dt_unix_sock(struct sock *sk)
{
	return (struct unix_sock *)sk;
}
#else

__hidden struct sock *dt_file_sock(struct file *f)
{
	struct socket *s = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));

	return s ? s->sk : NULL;
}

__hidden struct unix_sock *dt_unix_sock(struct sock *sk)
{
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct unix_sock));
}
#endif
