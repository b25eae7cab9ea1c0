// SPDX-License-Identifier: GPL-2.0
/*
 * wl_tcp.c - T5: a tainted process streams over TCP to a sink on loopback. The sender reads
 * 64 KiB of TAINT_FILE (a classified file, so the agent taints it), connects to a child
 * that reads and discards, and writes BYTES in CHUNK-sized write()s. Prints the bytes
 * received by the sink, elapsed ns (first write to the sink's EOF) and bytes/s.
 *
 * usage: wl_tcp TAINT_FILE BYTES CHUNK MAX_SECONDS
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static char buf[1 << 20];

static void sink(int lfd, uint64_t *received)
{
	uint64_t total = 0;
	ssize_t n;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0) {
		perror("accept");
		_exit(1);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	*received = total;
	_exit(n < 0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	uint64_t bytes, chunk, limit, sent = 0, t0, t1, *received;
	int lfd, fd, status, tfd;
	ssize_t n;
	pid_t pid;

	if (argc != 5) {
		fprintf(stderr, "usage: wl_tcp TAINT_FILE BYTES CHUNK MAX_SECONDS\n");
		return 2;
	}
	bytes = bench_arg_u64(argv[2], "BYTES");
	chunk = bench_arg_u64(argv[3], "CHUNK");
	limit = (uint64_t)(bench_arg_f(argv[4], "MAX_SECONDS") * 1e9);
	if (!chunk || chunk > sizeof(buf)) {
		fprintf(stderr, "wl_tcp: CHUNK must be 1..%zu\n", sizeof(buf));
		return 2;
	}
	/* Read classified bytes first: from here on every send is a tainted process's. */
	tfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (tfd < 0 || read(tfd, buf, 65536) < 0) {
		perror(argv[1]);
		return 1;
	}
	close(tfd);
	received = mmap(NULL, sizeof(*received), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (received == MAP_FAILED || lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&sa, &slen)) {
		perror("listen");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid)
		sink(lfd, received);
	close(lfd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	t0 = bench_now();
	while (sent < bytes) {
		uint64_t want = bytes - sent < chunk ? bytes - sent : chunk;

		n = write(fd, buf, want);
		if (n <= 0) {
			perror("write");
			return 1;
		}
		sent += n;
		if (!(sent & ((64 << 20) - 1)) && bench_now() - t0 > limit)
			break;
	}
	shutdown(fd, SHUT_WR);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "wl_tcp: sink failed\n");
		return 1;
	}
	t1 = bench_now();
	close(fd);
	printf("pid=%d sent=%llu bytes=%llu ns=%llu rate=%.1f\n", getpid(),
	       (unsigned long long)sent, (unsigned long long)*received,
	       (unsigned long long)(t1 - t0), *received * 1e9 / (double)(t1 - t0));
	return *received == sent ? 0 : 1;
}
