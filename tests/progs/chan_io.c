// SPDX-License-Identifier: GPL-2.0
/* chan_io.c - test workload: moves bytes by sendmmsg/recvmmsg, vmsplice, tee and socket-to-socket splice. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <unistd.h>

#define BUF_MAX (1 << 20)
#define CHUNK 1000
#define BATCH 5

static char buf[BUF_MAX];

static int addr_of(const char *host, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "chan_io: bad address '%s'\n", host);
		return -1;
	}
	return 0;
}

static int connect_to(const char *host, const char *port)
{
	struct sockaddr_in sa;
	int fd;

	if (addr_of(host, port, &sa))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "chan_io: connect '%s:%s': %m\n", host, port);
		return -1;
	}
	return fd;
}

/* A socket bound to 127.0.0.1:PORT (listening if a stream), then READY created. */
static int bind_local(int type, const char *port, const char *ready)
{
	struct sockaddr_in sa;
	int fd, one = 1;
	FILE *f;

	if (addr_of("127.0.0.1", port, &sa))
		return -1;
	fd = socket(AF_INET, type, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 1))) {
		fprintf(stderr, "chan_io: bind 127.0.0.1:%s: %m\n", port);
		return -1;
	}
	f = fopen(ready, "w");
	if (f)
		fclose(f);
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

static int send_all(int fd, long len)
{
	long off = 0, n;

	while (off < len) {
		n = send(fd, buf + off, len - off, 0);
		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

/* sendmmsg FILE HOST PORT: FILE in CHUNK-byte datagrams, BATCH a call, each addressed by msg_name. */
static int do_sendmmsg(char **argv)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in sa;
	long len = read_file(argv[2]), off = 0;
	int fd, i, n;

	if (len < 0 || addr_of(argv[3], argv[4], &sa))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	while (off < len) {
		memset(mm, 0, sizeof(mm));
		for (n = 0; n < BATCH && off < len; n++) {
			iov[n].iov_base = buf + off;
			iov[n].iov_len = len - off < CHUNK ? len - off : CHUNK;
			off += iov[n].iov_len;
			mm[n].msg_hdr.msg_name = &sa;
			mm[n].msg_hdr.msg_namelen = sizeof(sa);
			mm[n].msg_hdr.msg_iov = &iov[n];
			mm[n].msg_hdr.msg_iovlen = 1;
		}
		i = sendmmsg(fd, mm, n, 0);
		if (i != n) {
			fprintf(stderr, "chan_io: sendmmsg: %d of %d: %m\n", i, n);
			return 1;
		}
	}
	printf("%ld\n", len);
	return 0;
}

/* recvmmsg LPORT N HOST PORT READY: N bytes of datagrams on 127.0.0.1:LPORT, then sent to HOST:PORT. */
static int do_recvmmsg(char **argv)
{
	struct timeval tv = { .tv_sec = 10 };
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	long want = atol(argv[3]), len = 0;
	int fd, out, i, n;

	fd = bind_local(SOCK_DGRAM, argv[2], argv[6]);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < want) {
		memset(mm, 0, sizeof(mm));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf + len + i * CHUNK;
			iov[i].iov_len = CHUNK;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		if (len + BATCH * CHUNK > BUF_MAX)
			return 1;
		n = recvmmsg(fd, mm, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			fprintf(stderr, "chan_io: recvmmsg: %m\n");
			return 1;
		}
		/* Datagrams land CHUNK apart: close the gaps. */
		for (i = 0; i < n; i++) {
			memmove(buf + len, iov[i].iov_base, mm[i].msg_len);
			len += mm[i].msg_len;
		}
	}
	out = connect_to(argv[4], argv[5]);
	if (out < 0 || send_all(out, len))
		return 1;
	printf("%ld\n", len);
	return 0;
}

/* vmsplice FILE: FILE's bytes, read into memory, spliced from there into the stdout pipe. */
static int do_vmsplice(char **argv)
{
	long len = read_file(argv[2]), off = 0, n;
	struct iovec iov;

	if (len < 0)
		return 1;
	while (off < len) {
		iov.iov_base = buf + off;
		iov.iov_len = len - off;
		n = vmsplice(1, &iov, 1, 0);
		if (n <= 0) {
			fprintf(stderr, "chan_io: vmsplice: %m\n");
			return 1;
		}
		off += n;
	}
	return 0;
}

/* vmsplice_read HOST PORT: the stdin pipe drained into memory by vmsplice, then sent to HOST:PORT. */
static int do_vmsplice_read(char **argv)
{
	struct iovec iov;
	long len = 0, n;
	int out;

	while (len < BUF_MAX) {
		iov.iov_base = buf + len;
		iov.iov_len = BUF_MAX - len;
		n = vmsplice(0, &iov, 1, 0);
		if (n < 0) {
			fprintf(stderr, "chan_io: vmsplice: %m\n");
			return 1;
		}
		if (n == 0)
			break;
		len += n;
	}
	out = connect_to(argv[2], argv[3]);
	if (out < 0 || send_all(out, len))
		return 1;
	printf("%ld\n", len);
	return 0;
}

/* tee: stdin's pipe duplicated into stdout's, then drained to /dev/null (tee(2)'s example). */
static int do_tee(void)
{
	int null = open("/dev/null", O_WRONLY);
	long n;

	if (null < 0)
		return 1;
	for (;;) {
		n = tee(0, 1, 65536, 0);
		if (n < 0) {
			fprintf(stderr, "chan_io: tee: %m\n");
			return 1;
		}
		if (n == 0)
			break;
		if (splice(0, NULL, null, NULL, n, 0) != n) {
			fprintf(stderr, "chan_io: drain: %m\n");
			return 1;
		}
	}
	return 0;
}

/* splice_relay LPORT HOST PORT READY: one connection on 127.0.0.1:LPORT spliced to HOST:PORT. */
static int do_splice_relay(char **argv)
{
	long total = 0, n, m;
	int ls, c, out, p[2];

	ls = bind_local(SOCK_STREAM, argv[2], argv[5]);
	if (ls < 0 || pipe(p))
		return 1;
	c = accept(ls, NULL, NULL);
	out = connect_to(argv[3], argv[4]);
	if (c < 0 || out < 0)
		return 1;
	for (;;) {
		n = splice(c, NULL, p[1], NULL, 65536, 0);
		if (n < 0) {
			fprintf(stderr, "chan_io: splice in: %m\n");
			return 1;
		}
		if (n == 0)
			break;
		while (n > 0) {
			m = splice(p[0], NULL, out, NULL, n, 0);
			if (m <= 0) {
				fprintf(stderr, "chan_io: splice out: %m\n");
				return 1;
			}
			n -= m;
			total += m;
		}
	}
	printf("%ld\n", total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "sendmmsg"))
		return do_sendmmsg(argv);
	if (argc == 7 && !strcmp(argv[1], "recvmmsg"))
		return do_recvmmsg(argv);
	if (argc == 3 && !strcmp(argv[1], "vmsplice"))
		return do_vmsplice(argv);
	if (argc == 4 && !strcmp(argv[1], "vmsplice_read"))
		return do_vmsplice_read(argv);
	if (argc == 2 && !strcmp(argv[1], "tee"))
		return do_tee();
	if (argc == 6 && !strcmp(argv[1], "splice_relay"))
		return do_splice_relay(argv);
	fprintf(stderr, "usage: chan_io sendmmsg FILE HOST PORT\n"
			"       chan_io recvmmsg LPORT BYTES HOST PORT READYFILE\n"
			"       chan_io vmsplice FILE | chan_io vmsplice_read HOST PORT\n"
			"       chan_io tee\n"
			"       chan_io splice_relay LPORT HOST PORT READYFILE\n");
	return 2;
}
