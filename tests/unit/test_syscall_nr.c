// SPDX-License-Identifier: GPL-2.0
/* test_syscall_nr.c - bpf/syscall_nr.bpf.h's numbers against the kernel's <asm/unistd.h>. */
#include <asm/unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

/*
 * Built for the architecture the compiler targets: `make` checks x86's numbers, `make ARCH=arm64`
 * (aarch64-linux-gnu-gcc, its <asm/unistd.h>) arm64's. The static assertions fail the build of
 * either; the test binary repeats them where it can run.
 */
#if defined(__x86_64__)
#define __TARGET_ARCH_x86
#elif defined(__aarch64__)
#define __TARGET_ARCH_arm64
#endif
#define DT_SYSCALL_NR_ONLY
#include "../../bpf/syscall_nr.bpf.h"

/* X(name): a syscall the architecture has, whose number must be the kernel's. */
#define DT_HAVE_SYSCALLS(X)                                                                        \
	X(read) X(write) X(mmap) X(pread64) X(pwrite64) X(readv) X(writev) X(sendfile) X(sendto)   \
	X(recvfrom) X(sendmsg) X(recvmsg) X(truncate) X(ftruncate) X(fchmod) X(fchown)             \
	X(setxattr) X(removexattr) X(openat) X(mkdirat) X(mknodat) X(fchownat) X(unlinkat)         \
	X(renameat) X(linkat) X(symlinkat) X(fchmodat) X(splice) X(tee) X(vmsplice) X(utimensat)  \
	X(fallocate)                                                                               \
	X(preadv) X(pwritev) X(recvmmsg) X(sendmmsg) X(renameat2) X(copy_file_range) X(preadv2)    \
	X(pwritev2) X(openat2)

/* The legacy path syscalls: the kernel's number where the architecture has them. */
#define DT_LEGACY_NAMES(X)                                                                         \
	X(open) X(creat) X(rename) X(mkdir) X(rmdir) X(link) X(unlink) X(symlink) X(chmod)         \
	X(chown) X(lchown) X(utime) X(utimes) X(mknod) X(futimesat)

#define DT_ASSERT_NR(name) _Static_assert(DT_NR_##name == __NR_##name, "DT_NR_" #name);
DT_HAVE_SYSCALLS(DT_ASSERT_NR)
#ifdef __NR_fchmodat2
DT_ASSERT_NR(fchmodat2)
#endif
#if DT_LEGACY_SYSCALLS
DT_LEGACY_NAMES(DT_ASSERT_NR)
#else
/* Absent: below -1 (which is "no syscall"), so no task's syscall number matches them. */
#define DT_ASSERT_ABSENT(name) _Static_assert(DT_NR_##name < -1, "DT_NR_" #name " absent");
DT_LEGACY_NAMES(DT_ASSERT_ABSENT)
#ifdef __NR_open
#error "DT_LEGACY_SYSCALLS is 0 on an architecture that has open(2)"
#endif
#endif

static void test_numbers_are_the_kernels(void)
{
#define DT_CHECK_NR(name) ASSERT_EQ((long)DT_NR_##name, (long)__NR_##name, "DT_NR_" #name);
	DT_HAVE_SYSCALLS(DT_CHECK_NR)
#if DT_LEGACY_SYSCALLS
	DT_LEGACY_NAMES(DT_CHECK_NR)
#endif
	/* Linux 6.6 gave every architecture the same number; older headers lack it. */
	ASSERT_EQ(DT_NR_fchmodat2, 452, "DT_NR_fchmodat2");
}

#if defined(__x86_64__)
/* X(name): an ia32 syscall bpf/ia32.bpf.c follows or reports. */
#define DT_IA32_SYSCALLS(X)                                                                        \
	X(ptrace) X(read) X(write) X(open) X(creat) X(rename) X(mkdir) X(mmap) X(socketcall)       \
	X(ipc) X(readv) X(writev) X(pread64) X(pwrite64) X(sendfile) X(mmap2) X(sendfile64)        \
	X(io_submit) X(mq_timedsend) X(openat) X(mkdirat) X(renameat) X(splice) X(tee)             \
	X(vmsplice) X(preadv) X(pwritev) X(recvmmsg) X(sendmmsg) X(process_vm_readv)               \
	X(process_vm_writev) X(renameat2) X(sendto) X(sendmsg) X(recvfrom) X(recvmsg)              \
	X(copy_file_range) X(preadv2) X(pwritev2) X(shmat) X(msgsnd) X(recvmmsg_time64)             \
	X(mq_timedsend_time64) X(openat2)

/*
 * <asm/unistd_32.h> defines the same __NR_ names as the 64-bit <asm/unistd.h> included above,
 * so it cannot be included here: its lines are read instead.
 */
static long nr32_of(const char *text, const char *name)
{
	char pat[64];
	const char *p;
	size_t n;

	n = (size_t)snprintf(pat, sizeof(pat), "#define __NR_%s ", name);
	for (p = strstr(text, pat); p; p = strstr(p + 1, pat))
		if (p == text || p[-1] == '\n')
			return strtol(p + n, NULL, 10);
	return -1;
}

static void test_ia32_numbers_are_the_kernels(void)
{
	static const char *const paths[] = { "/usr/include/x86_64-linux-gnu/asm/unistd_32.h",
					     "/usr/include/asm/unistd_32.h" };
	static char text[64 << 10];
	size_t i, n = 0;
	FILE *f = NULL;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && !f; i++)
		f = fopen(paths[i], "r");
	if (!ASSERT_TRUE(f, "the kernel's <asm/unistd_32.h> (linux-libc-dev)"))
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
#define DT_CHECK_NR32(name) ASSERT_EQ((long)DT_NR32_##name, nr32_of(text, #name), "DT_NR32_" #name);
	DT_IA32_SYSCALLS(DT_CHECK_NR32)
}
#endif

/* The xattr family is matched as a range (bpf/tamper.bpf.c): removexattr + 2 is fremovexattr. */
static void test_xattr_range(void)
{
	ASSERT_EQ((long)DT_NR_removexattr + 2, (long)__NR_fremovexattr, "fremovexattr");
	ASSERT_EQ((long)DT_NR_setxattr + 2, (long)__NR_fsetxattr, "fsetxattr");
}

/* Absent syscalls have distinct numbers: the switches in bpf/ name several in one case list. */
static void test_absent_are_distinct(void)
{
	long nrs[] = {
#define DT_NR_ENTRY(name) DT_NR_##name,
		DT_LEGACY_NAMES(DT_NR_ENTRY)
	};
	int n = sizeof(nrs) / sizeof(nrs[0]), i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ASSERT_NEQ(nrs[i], nrs[j], "two legacy syscalls share a number");
}

TEST_MAIN("syscall_nr", TEST_CASE(test_numbers_are_the_kernels), TEST_CASE(test_xattr_range),
#if defined(__x86_64__)
	  TEST_CASE(test_ia32_numbers_are_the_kernels),
#endif
	  TEST_CASE(test_absent_are_distinct))
