// SPDX-License-Identifier: GPL-2.0
/*
 * uring_link_send.c - test workload: connects, sends a 5-byte preface untainted, then reads
 * FILE and sends what it read through io_uring in one go, the way MODE says:
 *   link   READ (IOSQE_IO_LINK) then SEND, one io_uring_enter();
 *   batch  READ then SEND, one io_uring_enter(), not linked;
 *   late   SEND first, linked behind a READ of an empty pipe, then READ of FILE into the
 *          same buffer (submitted and completed on its own), then a byte into the pipe: the
 *          SEND runs after its process was tainted, though it was submitted before.
 * Says "sent" by creating READY.sent.PID once the SEND completed, then waits to be killed.
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

#define LEN 8192

static char buf[LEN];
static char pbuf[16];

/* Waits for @n completions; returns the SEND's result (its user_data is 2). */
static int reap(struct io_uring *ring, int n)
{
	struct io_uring_cqe *cqe;
	int i, sent = -1;

	for (i = 0; i < n; i++) {
		if (io_uring_wait_cqe(ring, &cqe))
			return -1;
		if (cqe->user_data == 2)
			sent = cqe->res;
		fprintf(stderr, "uring_link_send: request %llu: %d\n",
			(unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(ring, cqe);
	}
	return sent;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char path[4096];
	int s, fd, ret, p[2], sent;
	const char *mode;

	if (argc != 6) {
		fprintf(stderr, "usage: uring_link_send link|batch|late ADDR PORT FILE READY\n");
		return 2;
	}
	mode = argv[1];
	sa.sin_port = htons(atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		return 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	/* Killed, the connection is reset: nothing queued stays behind to retransmit. */
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) || write(s, "hello", 5) != 5) {
		perror("uring_link_send: connect");
		return 1;
	}
	fd = open(argv[4], O_RDONLY);
	if (fd < 0 || pipe(p)) {
		perror(argv[4]);
		return 1;
	}
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(mode, "link") || !strcmp(mode, "batch")) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, fd, buf, LEN, 0);
		sqe->user_data = 1;
		if (!strcmp(mode, "link"))
			sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, s, buf, LEN, 0);
		sqe->user_data = 2;
		if (io_uring_submit(&ring) != 2)
			return 1;
		sent = reap(&ring, 2);
	} else if (!strcmp(mode, "late")) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, p[0], pbuf, 1, 0);
		sqe->user_data = 3;
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, s, buf, LEN, 0);
		sqe->user_data = 2;
		if (io_uring_submit(&ring) != 2)
			return 1;
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_read(sqe, fd, buf, LEN, 0);
		sqe->user_data = 1;
		io_uring_submit(&ring);
		if (reap(&ring, 1) < -1)
			return 1;
		if (write(p[1], "x", 1) != 1)
			return 1;
		sent = reap(&ring, 2);
	} else {
		fprintf(stderr, "uring_link_send: unknown mode '%s'\n", mode);
		return 2;
	}
	snprintf(path, sizeof(path), "%s.%s.%d", argv[5], sent > 0 ? "sent" : "failed", getpid());
	close(open(path, O_WRONLY | O_CREAT, 0644));
	sleep(30);
	return 0;
}
