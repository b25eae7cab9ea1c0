// SPDX-License-Identifier: GPL-2.0
/*
 * wl_loader.c - T4: a data-loader stand-in. For each of EPOCHS epochs, WORKERS new
 * processes (as a PyTorch DataLoader without persistent workers) share the COUNT files of a
 * tree made by mkfiles (file i goes to worker i % WORKERS); each opens a file, reads it in
 * 4 KiB reads to EOF and closes it. Prints files, bytes, elapsed ns (fork of the first
 * worker to the exit of the last) and files/s.
 *
 * usage: wl_loader ROOT COUNT CLS_EVERY WORKERS MAX_SECONDS [EPOCHS]
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "files.h"

struct shared {
	uint64_t files;
	uint64_t bytes;
	uint64_t errors;
};

static void worker(struct shared *sh, const char *root, uint64_t count, uint64_t every,
		   uint64_t w, uint64_t workers, uint64_t t0, uint64_t limit)
{
	char path[4096], buf[4096];
	uint64_t files = 0, bytes = 0, errors = 0;

	for (uint64_t i = w; i < count; i += workers) {
		ssize_t n;
		int fd;

		bench_file_path(path, sizeof(path), root, i, every);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			errors++;
			continue;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			bytes += n;
		close(fd);
		files++;
		if (!(files & 255) && bench_now() - t0 > limit)
			break;
	}
	__atomic_add_fetch(&sh->files, files, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->bytes, bytes, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->errors, errors, __ATOMIC_SEQ_CST);
}

int main(int argc, char **argv)
{
	uint64_t count, every, workers, limit, t0, t1, epochs = 1;
	struct shared *sh;
	int failed = 0;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: wl_loader ROOT COUNT CLS_EVERY WORKERS MAX_SECONDS "
				"[EPOCHS]\n");
		return 2;
	}
	if (argc == 7)
		epochs = bench_arg_u64(argv[6], "EPOCHS");
	count = bench_arg_u64(argv[2], "COUNT");
	every = bench_arg_u64(argv[3], "CLS_EVERY");
	workers = bench_arg_u64(argv[4], "WORKERS");
	limit = (uint64_t)(bench_arg_f(argv[5], "MAX_SECONDS") * 1e9);
	if (!workers || workers > 256) {
		fprintf(stderr, "wl_loader: WORKERS must be 1..256\n");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	t0 = bench_now();
	for (uint64_t e = 0; e < epochs && bench_now() - t0 <= limit; e++) {
		for (uint64_t w = 0; w < workers; w++) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (!pid) {
				worker(sh, argv[1], count, every, w, workers, t0, limit);
				_exit(0);
			}
		}
		for (uint64_t w = 0; w < workers; w++) {
			int status;

			if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
				failed = 1;
		}
	}
	t1 = bench_now();
	printf("pid=%d files=%llu bytes=%llu errors=%llu ns=%llu rate=%.1f\n", getpid(),
	       (unsigned long long)sh->files, (unsigned long long)sh->bytes,
	       (unsigned long long)sh->errors, (unsigned long long)(t1 - t0),
	       sh->files * 1e9 / (double)(t1 - t0));
	return failed || sh->errors ? 1 : 0;
}
