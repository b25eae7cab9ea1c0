// SPDX-License-Identifier: GPL-2.0
/* aio_rw.c - native AIO (io_setup/io_submit, raw syscalls) reads and writes, for test_channels_io.sh. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_BYTES (1 << 20)

static char buf[MAX_BYTES];

static int die(const char *what)
{
	fprintf(stderr, "aio_rw: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Submits one request and waits for it (bounded: 10 s); its result, or -1. */
static long aio_one(struct iocb *cb)
{
	struct timespec ts = { .tv_sec = 10 };
	struct iocb *cbs[1] = { cb };
	aio_context_t ctx = 0;
	struct io_event ev;
	long ret = -1;

	if (syscall(SYS_io_setup, 8, &ctx))
		return -1;
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		goto out;
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts) != 1)
		goto out;
	ret = ev.res;
out:
	syscall(SYS_io_destroy, ctx);
	return ret;
}

/* An AIO read of @file (asking for more than it holds, @vec: as two iovecs); its length. */
static long aio_read_file(const char *file, int vec)
{
	struct iovec iov[2] = { { buf, 4096 }, { buf + 4096, 4096 } };
	struct iocb cb = { 0 };
	int fd = open(file, O_RDONLY);
	long n;

	if (fd < 0)
		return die(file), -1;
	cb.aio_fildes = fd;
	cb.aio_lio_opcode = vec ? IOCB_CMD_PREADV : IOCB_CMD_PREAD;
	cb.aio_buf = vec ? (unsigned long)iov : (unsigned long)buf;
	cb.aio_nbytes = vec ? 2 : 8192;
	n = aio_one(&cb);
	close(fd);
	return n;
}

/* An AIO write of @n bytes of buf to @fd (@vec: as two iovecs); 0 when all went. */
static int aio_write_fd(int fd, size_t n, int vec)
{
	struct iovec iov[2] = { { buf, n / 2 }, { buf + n / 2, n - n / 2 } };
	struct iocb cb = { 0 };

	cb.aio_fildes = fd;
	cb.aio_lio_opcode = vec ? IOCB_CMD_PWRITEV : IOCB_CMD_PWRITE;
	cb.aio_buf = vec ? (unsigned long)iov : (unsigned long)buf;
	cb.aio_nbytes = vec ? 2 : n;
	return aio_one(&cb) == (long)n ? 0 : -1;
}

static int connect_to(const char *host, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == EPERM)
			printf("EPERM.%d\n", getpid());
		return -1;
	}
	return s;
}

static int send_all(int s, size_t n)
{
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		w = write(s, buf + off, n - off);
		if (w <= 0)
			return -1;
		off += w;
	}
	return 0;
}

/*
 * pread|preadv FILE [HOST PORT]: AIO read of FILE, then (with HOST) write() it to HOST:PORT.
 * pwrite|pwritev FILE HOST PORT: read() FILE, then an AIO write of it on a socket to HOST:PORT.
 * pwrite|pwritev FILE -: read() FILE, then an AIO write of it to stdout (a pipe, a file).
 */
int main(int argc, char **argv)
{
	int vec, s, fd;
	long n;

	if (argc < 3)
		goto usage;
	vec = !strcmp(argv[1], "preadv") || !strcmp(argv[1], "pwritev");
	if (!strncmp(argv[1], "pread", 5)) {
		n = aio_read_file(argv[2], vec);
		if (n < 0)
			return die("aio read");
		if (argc < 5)
			return 0;
		s = connect_to(argv[3], argv[4]);
		if (s < 0)
			return fflush(stdout), die("connect");
		return send_all(s, n) ? die("send") : close(s);
	}
	if (strncmp(argv[1], "pwrite", 6))
		goto usage;
	fd = open(argv[2], O_RDONLY);
	if (fd < 0)
		return die(argv[2]);
	n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return die("read");
	close(fd);
	if (argc >= 5) {
		s = connect_to(argv[3], argv[4]);
		if (s < 0)
			return die("connect");
	} else {
		s = 1;
	}
	if (aio_write_fd(s, n, vec))
		return die("aio write");
	return 0;
usage:
	fprintf(stderr, "usage: aio_rw pread|preadv FILE [HOST PORT] | pwrite|pwritev FILE HOST PORT|-\n");
	return 2;
}
