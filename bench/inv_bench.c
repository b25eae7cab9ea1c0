// SPDX-License-Identifier: GPL-2.0
/*
 * inv_bench.c - S1: how long inventory_load() takes (parse, scan every path with nftw,
 * sort), the agent's first start-up step, and what the loaded inventory holds.
 *
 * usage: inv_bench INVENTORY [REPEAT]
 * Prints inodes, datasets, the best and the median seconds of REPEAT loads, and peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "inventory.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t times[16];
	struct rusage ru;
	size_t n_inodes = 0, n_datasets = 0;
	int repeat = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: inv_bench INVENTORY [REPEAT]\n");
		return 2;
	}
	if (argc == 3)
		repeat = bench_arg_u64(argv[2], "REPEAT");
	if (repeat < 1 || repeat > 16) {
		fprintf(stderr, "inv_bench: REPEAT must be 1..16\n");
		return 2;
	}
	for (int r = 0; r < repeat; r++) {
		struct inventory *inv;
		struct errbuf eb = {};
		uint64_t t0 = bench_now();

		if (inventory_load(argv[1], &inv, &eb)) {
			fprintf(stderr, "inv_bench: %s\n", eb.msg);
			return 1;
		}
		times[r] = bench_now() - t0;
		n_inodes = inv->n_inodes;
		n_datasets = inv->n_datasets;
		inventory_free(inv);
	}
	qsort(times, repeat, sizeof(times[0]), cmp_u64);
	getrusage(RUSAGE_SELF, &ru);
	printf("inodes=%zu datasets=%zu best_s=%.3f median_s=%.3f maxrss_kb=%ld\n", n_inodes,
	       n_datasets, times[0] / 1e9, times[repeat / 2] / 1e9, ru.ru_maxrss);
	return 0;
}
