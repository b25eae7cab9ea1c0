// SPDX-License-Identifier: GPL-2.0
/* uring_net.c - test workload: moves bytes through io_uring sends, writes, receives, splice and tee. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define BUF_MAX (1 << 20)
#define CHUNK 1000

static struct io_uring ring;
static char buf[BUF_MAX];
/* The send's fd is registered with the ring and named by its index (IOSQE_FIXED_FILE). */
static int registered;
/* An unconnected UDP socket's destination, given with each SEND (addr2) or SENDMSG (msg_name). */
static struct sockaddr_in udp_dest;
static int udp;

/* Submits the prepared SQE and returns its result; a zero-copy send's notification is awaited too. */
static int run_sqe(void)
{
	struct io_uring_cqe *cqe;
	unsigned int flags;
	int ret, res;

	io_uring_submit(&ring);
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret)
		return ret;
	res = cqe->res;
	flags = cqe->flags;
	io_uring_cqe_seen(&ring, cqe);
	if (flags & IORING_CQE_F_MORE) {
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret)
			return ret;
		io_uring_cqe_seen(&ring, cqe);
	}
	return res;
}

static int connect_to(const char *host, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, ret;

	sa.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "uring_net: bad address '%s'\n", host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	io_uring_prep_connect(io_uring_get_sqe(&ring), fd, (struct sockaddr *)&sa, sizeof(sa));
	ret = run_sqe();
	if (ret < 0) {
		fprintf(stderr, "uring_net: connect '%s:%s': %s\n", host, port, strerror(-ret));
		close(fd);
		return -1;
	}
	return fd;
}

static long read_file(const char *path)
{
	long total = 0, n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		perror(path);
		return -1;
	}
	while (total < BUF_MAX && (n = read(fd, buf + total, BUF_MAX - total)) > 0)
		total += n;
	close(fd);
	return total;
}

/* Sends @len bytes of buf on @fd with @op, CHUNK bytes a request. */
static int send_all(const char *op, int fd, long len)
{
	struct msghdr msg = {};
	struct iovec iov[2];
	long off = 0;
	int n, res;

	while (off < len) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		n = len - off < CHUNK ? len - off : CHUNK;
		/* Two iovecs, so the vectored requests are vectored. */
		iov[0].iov_base = buf + off;
		iov[0].iov_len = n / 2;
		iov[1].iov_base = buf + off + n / 2;
		iov[1].iov_len = n - n / 2;
		msg.msg_iov = iov;
		msg.msg_iovlen = 2;
		if (udp) {
			msg.msg_name = &udp_dest;
			msg.msg_namelen = sizeof(udp_dest);
		}
		if (!strcmp(op, "send")) {
			io_uring_prep_send(sqe, fd, buf + off, n, 0);
			if (udp)
				io_uring_prep_send_set_addr(sqe, (struct sockaddr *)&udp_dest,
							    sizeof(udp_dest));
		} else if (!strcmp(op, "send_zc"))
			io_uring_prep_send_zc(sqe, fd, buf + off, n, 0, 0);
		else if (!strcmp(op, "sendmsg"))
			io_uring_prep_sendmsg(sqe, fd, &msg, 0);
		else if (!strcmp(op, "sendmsg_zc"))
			io_uring_prep_sendmsg_zc(sqe, fd, &msg, 0);
		else if (!strcmp(op, "write"))
			io_uring_prep_write(sqe, fd, buf + off, n, -1);
		else if (!strcmp(op, "writev"))
			io_uring_prep_writev(sqe, fd, iov, 2, -1);
		else {
			fprintf(stderr, "uring_net: unknown op '%s'\n", op);
			return -1;
		}
		if (registered) {
			sqe->fd = 0;
			sqe->flags |= IOSQE_FIXED_FILE;
		}
		res = run_sqe();
		if (res <= 0) {
			fprintf(stderr, "uring_net: %s: %s\n", op, strerror(-res));
			return -1;
		}
		off += res;
	}
	return 0;
}

/*
 * OP HOST PORT FILE: FILE's bytes to HOST:PORT (connected through the ring), or to stdout for
 * HOST "-". OP_reg sends on a registered file; OP_udp on an unconnected UDP socket, with the
 * destination in each request.
 */
static int do_send(char **argv)
{
	long len = read_file(argv[4]);
	size_t oplen = strlen(argv[1]);
	int fd = 1, ret;

	if (len < 0)
		return 1;
	if (oplen > 4 && !strcmp(argv[1] + oplen - 4, "_udp")) {
		argv[1][oplen - 4] = 0;
		udp_dest.sin_family = AF_INET;
		udp_dest.sin_port = htons(atoi(argv[3]));
		if (inet_pton(AF_INET, argv[2], &udp_dest.sin_addr) != 1)
			return 1;
		udp = 1;
		fd = socket(AF_INET, SOCK_DGRAM, 0);
	} else if (strcmp(argv[2], "-")) {
		fd = connect_to(argv[2], argv[3]);
		if (fd < 0)
			return 1;
	}
	if (oplen > 4 && !strcmp(argv[1] + oplen - 4, "_reg")) {
		argv[1][oplen - 4] = 0;
		ret = io_uring_register_files(&ring, &fd, 1);
		if (ret) {
			fprintf(stderr, "uring_net: register: %s\n", strerror(-ret));
			return 1;
		}
		registered = 1;
	}
	if (send_all(argv[1], fd, len))
		return 1;
	if (fd != 1)
		printf("%ld\n", len);
	return 0;
}

/* relay recv|recvmsg LPORT HOST PORT READY: accept on 127.0.0.1:LPORT, receive until EOF, send on. */
static int do_relay(char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct msghdr msg = {};
	struct iovec iov;
	long len = 0;
	int ls, c, out, res, one = 1;
	FILE *ready;

	sa.sin_port = htons(atoi(argv[3]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		perror("uring_net: listen");
		return 1;
	}
	ready = fopen(argv[6], "w");
	if (ready)
		fclose(ready);
	io_uring_prep_accept(io_uring_get_sqe(&ring), ls, NULL, NULL, 0);
	c = run_sqe();
	if (c < 0) {
		fprintf(stderr, "uring_net: accept: %s\n", strerror(-c));
		return 1;
	}
	for (;;) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		if (len >= BUF_MAX)
			break;
		iov.iov_base = buf + len;
		iov.iov_len = BUF_MAX - len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (!strcmp(argv[2], "recvmsg"))
			io_uring_prep_recvmsg(sqe, c, &msg, 0);
		else
			io_uring_prep_recv(sqe, c, buf + len, BUF_MAX - len, 0);
		res = run_sqe();
		if (res < 0) {
			fprintf(stderr, "uring_net: %s: %s\n", argv[2], strerror(-res));
			return 1;
		}
		if (res == 0)
			break;
		len += res;
	}
	out = connect_to(argv[4], argv[5]);
	if (out < 0 || send_all("send", out, len))
		return 1;
	printf("%ld\n", len);
	return 0;
}

/* splice FILE HOST PORT: FILE into a pipe and the pipe into a socket, both through the ring. */
static int do_splice(char **argv)
{
	int in, out, p[2], n, m;
	long total = 0;

	in = open(argv[2], O_RDONLY);
	if (in < 0 || pipe(p)) {
		perror(argv[2]);
		return 1;
	}
	out = connect_to(argv[3], argv[4]);
	if (out < 0)
		return 1;
	for (;;) {
		io_uring_prep_splice(io_uring_get_sqe(&ring), in, -1, p[1], -1, 65536, 0);
		n = run_sqe();
		if (n < 0) {
			fprintf(stderr, "uring_net: splice in: %s\n", strerror(-n));
			return 1;
		}
		if (n == 0)
			break;
		while (n > 0) {
			io_uring_prep_splice(io_uring_get_sqe(&ring), p[0], -1, out, -1, n, 0);
			m = run_sqe();
			if (m <= 0) {
				fprintf(stderr, "uring_net: splice out: %s\n", strerror(-m));
				return 1;
			}
			n -= m;
			total += m;
		}
	}
	printf("%ld\n", total);
	return 0;
}

/* tee: stdin's pipe duplicated into stdout's by TEE, then drained to /dev/null by SPLICE. */
static int do_tee(void)
{
	int null = open("/dev/null", O_WRONLY), n, m;

	if (null < 0)
		return 1;
	for (;;) {
		io_uring_prep_tee(io_uring_get_sqe(&ring), 0, 1, 65536, 0);
		n = run_sqe();
		if (n < 0) {
			fprintf(stderr, "uring_net: tee: %s\n", strerror(-n));
			return 1;
		}
		if (n == 0)
			break;
		io_uring_prep_splice(io_uring_get_sqe(&ring), 0, -1, null, -1, n, 0);
		m = run_sqe();
		if (m != n) {
			fprintf(stderr, "uring_net: drain: %d of %d\n", m, n);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	ret = io_uring_queue_init(8, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	if (argc == 7 && !strcmp(argv[1], "relay"))
		return do_relay(argv);
	if (argc == 5 && !strcmp(argv[1], "splice"))
		return do_splice(argv);
	if (argc == 2 && !strcmp(argv[1], "tee"))
		return do_tee();
	if (argc == 5)
		return do_send(argv);
	fprintf(stderr, "usage: uring_net send|sendmsg|send_zc|sendmsg_zc|write|writev[_reg] HOST|- PORT FILE\n"
			"       uring_net send_udp|sendmsg_udp HOST PORT FILE\n"
			"       uring_net relay recv|recvmsg LPORT HOST PORT READYFILE\n"
			"       uring_net splice FILE HOST PORT\n"
			"       uring_net tee\n");
	return 2;
}
