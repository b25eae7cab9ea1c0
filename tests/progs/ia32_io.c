// SPDX-License-Identifier: GPL-2.0
/* ia32_io.c - ia32 system calls (`int $0x80`) from a 64-bit process, for test_channels_io.sh. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* The ia32 numbers (arch/x86/entry/syscalls/syscall_32.tbl) and socketcall's SYS_SEND. */
#define NR32_read 3
#define NR32_write 4
#define NR32_open 5
#define NR32_close 6
#define NR32_ptrace 26
#define NR32_socketcall 102
#define SYS_SEND 9

#define MAX_BYTES (1 << 20)

/* The kernel reads 32 bits of each register: the memory it is given lies below 4 GiB. */
static char *low;

static long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static int die(const char *what, long err)
{
	fprintf(stderr, "ia32_io: %s: %s\n", what, strerror(err < 0 ? -err : errno));
	return 1;
}

/* Reads @file into low memory: by ia32 open and read with @ia32, else by 64-bit calls. */
static long read_file(const char *file, int ia32)
{
	long fd, n, total = 0;

	strncpy(low, file, 4095);
	fd = ia32 ? int80(NR32_open, (long)low, O_RDONLY, 0) : open(low, O_RDONLY);
	if (fd < 0)
		return ia32 ? fd : -errno;
	for (;;) {
		n = ia32 ? int80(NR32_read, fd, (long)(low + 4096 + total), 65536)
			 : read(fd, low + 4096 + total, 65536);
		if (n <= 0 || total + n > MAX_BYTES - 65536)
			break;
		total += n;
	}
	if (ia32)
		int80(NR32_close, fd, 0, 0);
	else
		close(fd);
	return n < 0 ? n : total;
}

static int connect_to(const char *host, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	return connect(s, (struct sockaddr *)&sa, sizeof(sa)) ? -1 : s;
}

/* Sends @n bytes of low memory on @s: write() (@how 0), ia32 write (1) or socketcall (2). */
static int send_all(int s, long n, int how)
{
	unsigned int *args = (unsigned int *)low;
	long off = 0, w;

	while (off < n) {
		if (how == 0) {
			w = write(s, low + 4096 + off, n - off);
		} else if (how == 1) {
			w = int80(NR32_write, s, (long)(low + 4096 + off), n - off);
		} else {
			args[0] = s;
			args[1] = (unsigned int)(unsigned long)(low + 4096 + off);
			args[2] = n - off;
			args[3] = 0;
			w = int80(NR32_socketcall, SYS_SEND, (long)args, 0);
		}
		if (w <= 0)
			return die("send", w < 0 ? w : -EIO);
		off += w;
	}
	return 0;
}

/*
 * read FILE HOST PORT: ia32 open and read of FILE, then write() to HOST:PORT.
 * write FILE HOST PORT: read() FILE, then ia32 write() to HOST:PORT.
 * socketcall FILE HOST PORT: read() FILE, then ia32 socketcall(SYS_SEND) to HOST:PORT.
 * ptrace FILE: read() FILE, then an ia32 ptrace() (not followed: a visibility_gap).
 */
int main(int argc, char **argv)
{
	int ia32_read, how = 0, s;
	long n;

	if (argc < 3)
		goto usage;
	low = mmap(NULL, MAX_BYTES + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return die("mmap", 0);
	ia32_read = !strcmp(argv[1], "read");
	if (!strcmp(argv[1], "write"))
		how = 1;
	else if (!strcmp(argv[1], "socketcall"))
		how = 2;
	else if (strcmp(argv[1], "read") && strcmp(argv[1], "ptrace"))
		goto usage;
	n = read_file(argv[2], ia32_read);
	if (n < 0)
		return die(argv[2], n);
	if (!strcmp(argv[1], "ptrace")) {
		/* PTRACE_INTERRUPT of pid 0: refused, but made. */
		int80(NR32_ptrace, 0x4207, 0, 0);
		return 0;
	}
	if (argc < 5)
		goto usage;
	s = connect_to(argv[3], argv[4]);
	if (s < 0)
		return die("connect", 0);
	if (send_all(s, n, how))
		return 1;
	close(s);
	return 0;
usage:
	fprintf(stderr, "usage: ia32_io read|write|socketcall FILE HOST PORT | ptrace FILE\n");
	return 2;
}
