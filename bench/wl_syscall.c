// SPDX-License-Identifier: GPL-2.0
/*
 * wl_syscall.c - T1: a tight loop of a syscall datatrail does not watch (getppid through
 * syscall(2), so no libc caching). Prints ops, elapsed ns and ops/s.
 *
 * usage: wl_syscall ITERATIONS MAX_SECONDS
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	uint64_t n, i, t0, t1, limit;

	if (argc != 3) {
		fprintf(stderr, "usage: wl_syscall ITERATIONS MAX_SECONDS\n");
		return 2;
	}
	n = bench_arg_u64(argv[1], "ITERATIONS");
	limit = (uint64_t)(bench_arg_f(argv[2], "MAX_SECONDS") * 1e9);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		syscall(SYS_getppid);
		/* Bounded in time as well as count: the clock is read every 64 Ki calls. */
		if (!(i & 0xffff) && bench_now() - t0 > limit) {
			i++;
			break;
		}
	}
	t1 = bench_now();
	printf("pid=%d ops=%llu ns=%llu rate=%.1f\n", getpid(), (unsigned long long)i,
	       (unsigned long long)(t1 - t0), i * 1e9 / (double)(t1 - t0));
	return 0;
}
