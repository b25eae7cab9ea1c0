// SPDX-License-Identifier: GPL-2.0
/*
 * wl_read.c - T2/T3: 4 KiB pread()s over a page-cached file, PASSES times front to back.
 * Prints the pid (to find its events), ops, bytes read, elapsed ns and reads/s.
 *
 * usage: wl_read FILE PASSES MAX_SECONDS [BLOCK]
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	uint64_t passes, limit, ops = 0, bytes = 0, t0, t1, bs = 4096;
	struct stat st;
	int fd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: wl_read FILE PASSES MAX_SECONDS [BLOCK]\n");
		return 2;
	}
	passes = bench_arg_u64(argv[2], "PASSES");
	limit = (uint64_t)(bench_arg_f(argv[3], "MAX_SECONDS") * 1e9);
	if (argc == 5)
		bs = bench_arg_u64(argv[4], "BLOCK");
	if (!bs || bs > sizeof(buf)) {
		fprintf(stderr, "wl_read: block must be 1..%zu\n", sizeof(buf));
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	t0 = bench_now();
	for (uint64_t p = 0; p < passes; p++) {
		for (off_t off = 0; off < st.st_size; off += bs) {
			ssize_t n = pread(fd, buf, bs, off);

			if (n < 0) {
				perror("pread");
				return 1;
			}
			ops++;
			bytes += n;
		}
		if (bench_now() - t0 > limit)
			break;
	}
	t1 = bench_now();
	close(fd);
	printf("pid=%d ops=%llu bytes=%llu ns=%llu rate=%.1f\n", getpid(), (unsigned long long)ops,
	       (unsigned long long)bytes, (unsigned long long)(t1 - t0),
	       ops * 1e9 / (double)(t1 - t0));
	return 0;
}
