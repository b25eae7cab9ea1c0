/* SPDX-License-Identifier: GPL-2.0 */
/* syscall_nr.bpf.h - syscall numbers and argument registers of the architectures datatrail supports. */
#ifndef DT_SYSCALL_NR_BPF_H
#define DT_SYSCALL_NR_BPF_H

#if defined(__TARGET_ARCH_x86)
/* The pre-*at path syscalls (open, creat, rename, mkdir, ...): their tracepoints exist. */
#define DT_LEGACY_SYSCALLS 1
#define DT_NR_read 0
#define DT_NR_write 1
#define DT_NR_open 2
#define DT_NR_mmap 9
#define DT_NR_pread64 17
#define DT_NR_pwrite64 18
#define DT_NR_readv 19
#define DT_NR_writev 20
#define DT_NR_sendfile 40
#define DT_NR_sendto 44
#define DT_NR_recvfrom 45
#define DT_NR_sendmsg 46
#define DT_NR_recvmsg 47
#define DT_NR_truncate 76
#define DT_NR_ftruncate 77
#define DT_NR_rename 82
#define DT_NR_mkdir 83
#define DT_NR_rmdir 84
#define DT_NR_creat 85
#define DT_NR_link 86
#define DT_NR_unlink 87
#define DT_NR_symlink 88
#define DT_NR_chmod 90
#define DT_NR_fchmod 91
#define DT_NR_chown 92
#define DT_NR_fchown 93
#define DT_NR_lchown 94
#define DT_NR_utime 132
#define DT_NR_mknod 133
#define DT_NR_setxattr 188
#define DT_NR_removexattr 197 /* 188..199: the xattr family */
#define DT_NR_utimes 235
#define DT_NR_openat 257
#define DT_NR_mkdirat 258
#define DT_NR_mknodat 259
#define DT_NR_fchownat 260
#define DT_NR_futimesat 261
#define DT_NR_unlinkat 263
#define DT_NR_renameat 264
#define DT_NR_linkat 265
#define DT_NR_symlinkat 266
#define DT_NR_fchmodat 268
#define DT_NR_splice 275
#define DT_NR_tee 276
#define DT_NR_vmsplice 278
#define DT_NR_utimensat 280
#define DT_NR_fallocate 285
#define DT_NR_preadv 295
#define DT_NR_pwritev 296
#define DT_NR_recvmmsg 299
#define DT_NR_sendmmsg 307
#define DT_NR_renameat2 316
#define DT_NR_copy_file_range 326
#define DT_NR_preadv2 327
#define DT_NR_pwritev2 328
#define DT_NR_openat2 437
#define DT_NR_fchmodat2 452

/*
 * The ia32 table (arch/x86/entry/syscalls/syscall_32.tbl, <asm/unistd_32.h>): `int $0x80`
 * from any process, and 32-bit programs, enter the kernel with these numbers, which the
 * sys_enter_* tracepoints do not report and which do not go through __x64_sys_* (ia32.bpf.c).
 */
#define DT_NR32_ptrace 26
#define DT_NR32_read 3
#define DT_NR32_write 4
#define DT_NR32_open 5
#define DT_NR32_creat 8
#define DT_NR32_rename 38
#define DT_NR32_mkdir 39
#define DT_NR32_mmap 90 /* old_mmap: its arguments in a struct mmap_arg_struct */
#define DT_NR32_socketcall 102
#define DT_NR32_ipc 117
#define DT_NR32_readv 145
#define DT_NR32_writev 146
#define DT_NR32_pread64 180
#define DT_NR32_pwrite64 181
#define DT_NR32_sendfile 187
#define DT_NR32_mmap2 192
#define DT_NR32_sendfile64 239
#define DT_NR32_io_submit 248
#define DT_NR32_mq_timedsend 279
#define DT_NR32_openat 295
#define DT_NR32_mkdirat 296
#define DT_NR32_renameat 302
#define DT_NR32_splice 313
#define DT_NR32_tee 315
#define DT_NR32_vmsplice 316
#define DT_NR32_preadv 333
#define DT_NR32_pwritev 334
#define DT_NR32_recvmmsg 337
#define DT_NR32_sendmmsg 345
#define DT_NR32_process_vm_readv 347
#define DT_NR32_process_vm_writev 348
#define DT_NR32_renameat2 353
#define DT_NR32_sendto 369
#define DT_NR32_sendmsg 370
#define DT_NR32_recvfrom 371
#define DT_NR32_recvmsg 372
#define DT_NR32_copy_file_range 377
#define DT_NR32_preadv2 378
#define DT_NR32_pwritev2 379
#define DT_NR32_shmat 397
#define DT_NR32_msgsnd 400
#define DT_NR32_recvmmsg_time64 417
#define DT_NR32_mq_timedsend_time64 418
#define DT_NR32_openat2 437

/* DT_SYSCALL_NR_ONLY: the numbers alone, for tests/unit/test_syscall_nr.c. */
#ifndef DT_SYSCALL_NR_ONLY
/* The syscall's arguments are still in pt_regs at sys_exit; only ax holds the result. */
static __always_inline struct pt_regs *dt_sc_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* Plain loads through the BTF pointer: a helper call each with BPF_CORE_READ costs ~8 ns more. */
#define DT_SC_NR(regs) ((regs)->orig_ax)
#define DT_SC_ARG1(regs) ((regs)->di)
#define DT_SC_ARG2(regs) ((regs)->si)
#define DT_SC_ARG3(regs) ((regs)->dx)
#define DT_SC_ARG4(regs) ((regs)->r10)
#define DT_SC_ARG5(regs) ((regs)->r8)

/*
 * The function each syscall enters through, "__x64_sys_" #name: the fentry backend's programs
 * attach there (arm64 names them "__arm64_sys_"). Its one argument is the task's pt_regs, so
 * both backends read a syscall's arguments alike (DT_SC_ARG*).
 */
#define DT_SYSCALL_FN(name) "__x64_sys_" #name

/* The syscall the current task is in, for hooks that fire deeper than syscall exit. */
static __always_inline long dt_current_syscall(void)
{
	return DT_SC_NR(dt_sc_regs());
}
#endif /* DT_SYSCALL_NR_ONLY */
#elif defined(__TARGET_ARCH_arm64)
/*
 * The asm-generic table. arm64 has only the *at forms of the path syscalls: the legacy names
 * get distinct negative numbers no syscall has (-1 is "not in a syscall"), so the switches
 * that name them stay as they are, and their sys_exit tracepoints are not built.
 */
#define DT_LEGACY_SYSCALLS 0
#define DT_NR_open (-100)
#define DT_NR_rename (-101)
#define DT_NR_mkdir (-102)
#define DT_NR_rmdir (-103)
#define DT_NR_creat (-104)
#define DT_NR_link (-105)
#define DT_NR_unlink (-106)
#define DT_NR_symlink (-107)
#define DT_NR_chmod (-108)
#define DT_NR_chown (-109)
#define DT_NR_lchown (-110)
#define DT_NR_utime (-111)
#define DT_NR_mknod (-112)
#define DT_NR_utimes (-113)
#define DT_NR_futimesat (-114)
#define DT_NR_setxattr 5
#define DT_NR_removexattr 14 /* 5..16: the xattr family */
#define DT_NR_mknodat 33
#define DT_NR_mkdirat 34
#define DT_NR_unlinkat 35
#define DT_NR_symlinkat 36
#define DT_NR_linkat 37
#define DT_NR_renameat 38
#define DT_NR_truncate 45
#define DT_NR_ftruncate 46
#define DT_NR_fallocate 47
#define DT_NR_fchmod 52
#define DT_NR_fchmodat 53
#define DT_NR_fchownat 54
#define DT_NR_fchown 55
#define DT_NR_openat 56
#define DT_NR_read 63
#define DT_NR_write 64
#define DT_NR_readv 65
#define DT_NR_writev 66
#define DT_NR_pread64 67
#define DT_NR_pwrite64 68
#define DT_NR_preadv 69
#define DT_NR_pwritev 70
#define DT_NR_sendfile 71
#define DT_NR_vmsplice 75
#define DT_NR_splice 76
#define DT_NR_tee 77
#define DT_NR_utimensat 88
#define DT_NR_sendto 206
#define DT_NR_recvfrom 207
#define DT_NR_sendmsg 211
#define DT_NR_recvmsg 212
#define DT_NR_mmap 222
#define DT_NR_recvmmsg 243
#define DT_NR_sendmmsg 269
#define DT_NR_renameat2 276
#define DT_NR_copy_file_range 285
#define DT_NR_preadv2 286
#define DT_NR_pwritev2 287
#define DT_NR_openat2 437
#define DT_NR_fchmodat2 452

#ifndef DT_SYSCALL_NR_ONLY
static __always_inline struct pt_regs *dt_sc_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* At sys_exit x0 holds the result; the first argument is kept in orig_x0. */
#define DT_SC_NR(regs) ((regs)->syscallno)
#define DT_SC_ARG1(regs) ((regs)->orig_x0)
#define DT_SC_ARG2(regs) ((regs)->regs[1])
#define DT_SC_ARG3(regs) ((regs)->regs[2])
#define DT_SC_ARG4(regs) ((regs)->regs[3])
#define DT_SC_ARG5(regs) ((regs)->regs[4])

/* The fentry backend's attach points, as DT_SYSCALL_FN above; arm64 since 6.4 (direct calls). */
#define DT_SYSCALL_FN(name) "__arm64_sys_" #name

static __always_inline long dt_current_syscall(void)
{
	return DT_SC_NR(dt_sc_regs());
}
#endif /* DT_SYSCALL_NR_ONLY */
#else
#error "datatrail: unsupported architecture (define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64)"
#endif

#endif /* DT_SYSCALL_NR_BPF_H */
