// SPDX-License-Identifier: GPL-2.0
/* uring_rename.c - test workload: renames a path through io_uring (IORING_OP_RENAMEAT), no rename syscall. */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int ret, res;

	if (argc != 3) {
		fprintf(stderr, "usage: uring_rename OLD NEW\n");
		return 2;
	}
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_renameat(sqe, AT_FDCWD, argv[1], AT_FDCWD, argv[2], 0);
	io_uring_submit(&ring);
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret) {
		fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
		return 1;
	}
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (res < 0) {
		fprintf(stderr, "renameat '%s': %s\n", argv[1], strerror(-res));
		return 1;
	}
	return 0;
}
