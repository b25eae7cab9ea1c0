/* SPDX-License-Identifier: GPL-2.0 */
/* syscall_nr.bpf.h - syscall numbers and argument registers of the architectures datatrail supports. */
#ifndef DT_SYSCALL_NR_BPF_H
#define DT_SYSCALL_NR_BPF_H

#if defined(__TARGET_ARCH_x86)
#define DT_NR_read 0
#define DT_NR_open 2
#define DT_NR_mmap 9
#define DT_NR_pread64 17
#define DT_NR_readv 19
#define DT_NR_sendfile 40
#define DT_NR_creat 85
#define DT_NR_openat 257
#define DT_NR_splice 275
#define DT_NR_preadv 295
#define DT_NR_copy_file_range 326
#define DT_NR_preadv2 327
#define DT_NR_openat2 437

/* The syscall's arguments are still in pt_regs at sys_exit; only ax holds the result. */
#define DT_SC_NR(regs) BPF_CORE_READ(regs, orig_ax)
#define DT_SC_ARG1(regs) BPF_CORE_READ(regs, di)
#define DT_SC_ARG2(regs) BPF_CORE_READ(regs, si)
#define DT_SC_ARG3(regs) BPF_CORE_READ(regs, dx)
#define DT_SC_ARG4(regs) BPF_CORE_READ(regs, r10)
#define DT_SC_ARG5(regs) BPF_CORE_READ(regs, r8)
#else
#error "datatrail: unsupported architecture (define __TARGET_ARCH_x86)"
#endif

#endif /* DT_SYSCALL_NR_BPF_H */
