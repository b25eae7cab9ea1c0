/* SPDX-License-Identifier: GPL-2.0 */
/* bench.h - clocks and argument parsing shared by the benchmark workloads (bench/wl_*.c). */
#ifndef DT_BENCH_H
#define DT_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline uint64_t bench_now(void)
{
	return bench_ns(CLOCK_MONOTONIC);
}

/* A whole number argument, or exit 2 with a message naming it. */
static inline uint64_t bench_arg_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !*s || *end) {
		fprintf(stderr, "bench: %s: bad number '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static inline double bench_arg_f(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || !*s || *end || v <= 0) {
		fprintf(stderr, "bench: %s: bad number '%s'\n", what, s);
		exit(2);
	}
	return v;
}

#endif /* DT_BENCH_H */
