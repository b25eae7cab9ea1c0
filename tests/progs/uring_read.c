// SPDX-License-Identifier: GPL-2.0
/* uring_read.c - test workload: reads a whole file through io_uring and prints the byte count. */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct io_uring ring;
	unsigned long long total = 0;
	char buf[4096];
	int fd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: uring_read FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	for (;;) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct io_uring_cqe *cqe;
		int res;

		io_uring_prep_read(sqe, fd, buf, sizeof(buf), total);
		io_uring_submit(&ring);
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret) {
			fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
			return 1;
		}
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (res < 0) {
			fprintf(stderr, "read: %s\n", strerror(-res));
			return 1;
		}
		if (res == 0)
			break;
		total += res;
	}
	io_uring_queue_exit(&ring);
	printf("%llu\n", total);
	return 0;
}
