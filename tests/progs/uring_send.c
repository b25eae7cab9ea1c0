// SPDX-License-Identifier: GPL-2.0
/*
 * uring_send.c - test workload: connects, sends a 5-byte preface untainted, reads FILE (which
 * taints it), then sends what it read through io_uring (IORING_OP_SEND) on the same
 * connection. Says "sent" by creating READY.sent.PID, then waits to be killed.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[8192];

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char path[4096];
	ssize_t n;
	int s, fd, ret;

	if (argc != 5) {
		fprintf(stderr, "usage: uring_send ADDR PORT FILE READY\n");
		return 2;
	}
	sa.sin_port = htons(atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	/* Killed, the connection is reset: nothing queued stays behind to retransmit. */
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) || write(s, "hello", 5) != 5) {
		perror("connect");
		return 1;
	}
	fd = open(argv[3], O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (n <= 0) {
		perror(argv[3]);
		return 1;
	}
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_send(sqe, s, buf, n, 0);
	io_uring_submit(&ring);
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret) {
		fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
		return 1;
	}
	io_uring_cqe_seen(&ring, cqe);
	snprintf(path, sizeof(path), "%s.sent.%d", argv[4], getpid());
	close(open(path, O_WRONLY | O_CREAT, 0644));
	sleep(30);
	return 0;
}
