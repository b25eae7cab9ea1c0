// SPDX-License-Identifier: GPL-2.0
/*
 * mkfiles.c - creates the file trees for T4 and S1: COUNT files of SIZE bytes below ROOT,
 * every CLS_EVERY-th one below ROOT/cls (classified by the inventory), the rest below
 * ROOT/pub (see files.h). Existing files are kept, so a second run is quick.
 *
 * usage: mkfiles ROOT COUNT SIZE CLS_EVERY
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "files.h"

static int mkdir_p(const char *p)
{
	if (mkdir(p, 0755) && errno != EEXIST) {
		perror(p);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char data[1 << 16];
	char path[4096], dir[4096];
	uint64_t count, size, every, t0 = bench_now(), made = 0;
	uint64_t last[2] = { UINT64_MAX, UINT64_MAX };

	if (argc != 5) {
		fprintf(stderr, "usage: mkfiles ROOT COUNT SIZE CLS_EVERY\n");
		return 2;
	}
	count = bench_arg_u64(argv[2], "COUNT");
	size = bench_arg_u64(argv[3], "SIZE");
	every = bench_arg_u64(argv[4], "CLS_EVERY");
	if (size > sizeof(data)) {
		fprintf(stderr, "mkfiles: SIZE is at most %zu\n", sizeof(data));
		return 2;
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = 'a' + i % 26;
	if (mkdir_p(argv[1]))
		return 1;
	snprintf(dir, sizeof(dir), "%s/cls", argv[1]);
	if (mkdir_p(dir))
		return 1;
	snprintf(dir, sizeof(dir), "%s/pub", argv[1]);
	if (mkdir_p(dir))
		return 1;
	for (uint64_t i = 0; i < count; i++) {
		struct stat st;
		int fd;

		int side = bench_file_side(i, every)[0] == 'c';

		bench_file_path(path, sizeof(path), argv[1], i, every);
		if (last[side] != i / BENCH_PER_DIR) {
			/* The first file of a directory on each side creates it. */
			*strrchr(path, '/') = 0;
			if (mkdir_p(path))
				return 1;
			last[side] = i / BENCH_PER_DIR;
			bench_file_path(path, sizeof(path), argv[1], i, every);
		}
		if (!stat(path, &st) && (uint64_t)st.st_size == size)
			continue;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		if (size && write(fd, data, size) != (ssize_t)size) {
			perror(path);
			close(fd);
			return 1;
		}
		close(fd);
		made++;
	}
	printf("files=%llu created=%llu ns=%llu\n", (unsigned long long)count,
	       (unsigned long long)made, (unsigned long long)(bench_now() - t0));
	return 0;
}
