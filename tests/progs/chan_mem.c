// SPDX-License-Identifier: GPL-2.0
/* chan_mem.c - moves a file's bytes through packet/raw/TUN sends, another process's memory, shared memory. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/if_xdp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXLEN 4096
#define ETHERTYPE_TEST 0x88b5 /* IEEE local experimental: no protocol handler takes it */

static char buf[MAXLEN];

static int die(const char *what)
{
	fprintf(stderr, "chan_mem: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Reads all of @path (at most MAXLEN bytes) into @dst; returns the length. */
static size_t slurp(const char *path, char *dst)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	n = read(fd, dst, MAXLEN);
	if (n <= 0)
		die("read");
	close(fd);
	return n;
}

/* One UDP datagram of @len bytes of @p to @addr:@port; exits unless all of it went. */
static void send_udp(const char *addr, int port, const void *p, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("udp socket");
	if (sendto(s, p, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len)
		die("sendto");
	close(s);
}

/* Ethernet frame: broadcast, test ethertype, then @len bytes of payload; returns its length. */
static size_t frame(char *f, const char *payload, size_t len)
{
	memset(f, 0xff, 6);
	memset(f + 6, 0x02, 6);
	f[12] = ETHERTYPE_TEST >> 8;
	f[13] = ETHERTYPE_TEST & 0xff;
	memcpy(f + 14, payload, len);
	return 14 + len;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * packet FILE IFNAME raw|bound|dgram: AF_PACKET send of FILE's bytes. raw: a frame, sendto with
 * the interface in its sockaddr_ll; bound: a frame, write() on a socket bound to the interface;
 * dgram: the bytes alone, the kernel adds the link header. Prints the bytes sent.
 */
static int do_packet(char **av)
{
	static char f[MAXLEN + 14];
	size_t len = slurp(av[2], buf), fl;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_TEST),
				   .sll_halen = 6 };
	bool dgram = !strcmp(av[4], "dgram");
	ssize_t n;
	int s;

	sll.sll_ifindex = if_nametoindex(av[3]);
	memset(sll.sll_addr, 0xff, 6);
	s = socket(AF_PACKET, dgram ? SOCK_DGRAM : SOCK_RAW, htons(ETHERTYPE_TEST));
	if (s < 0 || !sll.sll_ifindex)
		die("packet socket");
	fl = frame(f, buf, len);
	if (dgram) {
		fl = len;
		n = sendto(s, buf, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	} else if (!strcmp(av[4], "bound")) {
		if (bind(s, (struct sockaddr *)&sll, sizeof(sll)))
			die("bind");
		n = write(s, f, fl);
	} else {
		n = sendto(s, f, fl, 0, (struct sockaddr *)&sll, sizeof(sll));
	}
	if (n != (ssize_t)fl)
		die("send");
	printf("%zd\n", n);
	return 0;
}

/* raw FILE ADDR: a raw IPv4 socket (protocol 253, for experiments) sends the bytes to ADDR. */
static int do_raw(char **av)
{
	size_t len = slurp(av[2], buf);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_RAW, 253);

	if (s < 0 || inet_pton(AF_INET, av[3], &sa.sin_addr) != 1)
		die("raw socket");
	if (sendto(s, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) != (ssize_t)len)
		die("sendto");
	printf("%zu\n", len);
	return 0;
}

/* tun FILE IFNAME: creates TAP device IFNAME, brings it up, writes one frame into it. */
static int do_tun(char **av)
{
	static char f[MAXLEN + 14];
	size_t len = slurp(av[2], buf), fl;
	struct ifreq ifr = {};
	int fd, s;

	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0)
		die("/dev/net/tun");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, av[3], IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr))
		die("TUNSETIFF");
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS");
	fl = frame(f, buf, len);
	if (write(fd, f, fl) != (ssize_t)fl)
		die("write");
	printf("%zu %u\n", fl, if_nametoindex(av[3]));
	return 0;
}

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

/*
 * xdp FILE IFNAME: an AF_XDP socket (copy mode, queue 0) transmits one frame of FILE's bytes
 * from its umem; the kick is a sendto of nothing. Prints the ifindex.
 */
static int do_xdp(char **av)
{
	size_t len = slurp(av[2], buf), fl;
	struct sockaddr_xdp sx = { .sxdp_family = AF_XDP, .sxdp_flags = XDP_COPY };
	struct xdp_umem_reg mr = {};
	struct xdp_mmap_offsets off;
	socklen_t ol = sizeof(off);
	struct xdp_desc *desc;
	int fd, n = 4, i;
	char *umem, *tx;

	sx.sxdp_ifindex = if_nametoindex(av[3]);
	fd = socket(AF_XDP, SOCK_RAW, 0);
	umem = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || umem == MAP_FAILED || !sx.sxdp_ifindex)
		die("xdp socket");
	mr.addr = (unsigned long)umem;
	mr.len = 4 * 4096;
	mr.chunk_size = 4096;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_TX_RING, &n, sizeof(n)) ||
	    getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol))
		die("xdp setsockopt");
	tx = mmap(NULL, off.tx.desc + n * sizeof(struct xdp_desc), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, fd, XDP_PGOFF_TX_RING);
	if (tx == MAP_FAILED)
		die("xdp tx ring");
	if (bind(fd, (struct sockaddr *)&sx, sizeof(sx)))
		die("xdp bind");
	fl = frame(umem, buf, len);
	desc = (struct xdp_desc *)(tx + off.tx.desc);
	desc[0].addr = 0;
	desc[0].len = fl;
	__atomic_store_n((__u32 *)(tx + off.tx.producer), 1, __ATOMIC_RELEASE);
	for (i = 0; i < 100; i++) {
		if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) && errno != EAGAIN && errno != EBUSY)
			die("xdp kick");
		/* Consumed by the kernel: sent. */
		if (__atomic_load_n((__u32 *)(tx + off.tx.consumer), __ATOMIC_ACQUIRE) == 1)
			break;
		sleep_ms(10);
	}
	if (i == 100)
		die("xdp: frame not consumed");
	printf("%u\n", sx.sxdp_ifindex);
	return 0;
}

/*
 * hold FILE [ADDR PORT]: keeps FILE's bytes in memory, prints "pid address length", waits for
 * a line on stdin (20 s at most), then sends what its buffer holds by then to ADDR:PORT.
 */
static int do_hold(int ac, char **av)
{
	char line[16];
	struct stat st;
	size_t len;

	/* Told before the read: what a tainted process writes would taint whoever reads it. */
	if (stat(av[2], &st))
		die(av[2]);
	printf("%d %lu %zu\n", getpid(), (unsigned long)buf, (size_t)st.st_size);
	fflush(stdout);
	len = slurp(av[2], buf);
	alarm(20);
	if (!fgets(line, sizeof(line), stdin))
		die("stdin");
	if (ac > 4)
		send_udp(av[3], atoi(av[4]), buf, len);
	return 0;
}

/* vmread|peek|procmem PID ADDR LEN ADDR PORT: copies LEN bytes out of PID, sends them. */
static int do_copy_out(char **av)
{
	pid_t pid = atoi(av[2]);
	unsigned long addr = strtoul(av[3], NULL, 0);
	size_t len = strtoul(av[4], NULL, 0), i;
	char path[64];
	int fd, st;

	if (len > MAXLEN)
		len = MAXLEN;
	if (!strcmp(av[1], "vmread")) {
		struct iovec l = { buf, len }, r = { (void *)addr, len };

		if (process_vm_readv(pid, &l, 1, &r, 1, 0) != (ssize_t)len)
			die("process_vm_readv");
	} else if (!strcmp(av[1], "peek")) {
		if (ptrace(PTRACE_ATTACH, pid, 0, 0) || waitpid(pid, &st, 0) != pid)
			die("ptrace attach");
		for (i = 0; i + sizeof(long) <= len; i += sizeof(long)) {
			long w;

			errno = 0;
			w = ptrace(PTRACE_PEEKDATA, pid, addr + i, 0);
			if (errno)
				die("peekdata");
			memcpy(buf + i, &w, sizeof(w));
		}
		len = i;
		ptrace(PTRACE_DETACH, pid, 0, 0);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0 || pread(fd, buf, len, addr) != (ssize_t)len)
			die(path);
		close(fd);
	}
	send_udp(av[5], atoi(av[6]), buf, len);
	printf("%zu\n", len);
	return 0;
}

/* vmwrite|procmemw PID ADDR FILE: writes FILE's bytes into PID's memory at ADDR. */
static int do_copy_in(char **av)
{
	pid_t pid = atoi(av[2]);
	unsigned long addr = strtoul(av[3], NULL, 0);
	size_t len = slurp(av[4], buf);
	char path[64];
	int fd;

	if (!strcmp(av[1], "vmwrite")) {
		struct iovec l = { buf, len }, r = { (void *)addr, len };

		if (process_vm_writev(pid, &l, 1, &r, 1, 0) != (ssize_t)len)
			die("process_vm_writev");
	} else {
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		fd = open(path, O_WRONLY);
		if (fd < 0 || pwrite(fd, buf, len, addr) != (ssize_t)len)
			die(path);
		close(fd);
	}
	printf("%zu\n", len);
	return 0;
}

/*
 * shmfork FILE ADDR PORT [memfd]: anonymous MAP_SHARED memory (or a memfd's), then fork; only
 * after the fork does the parent read FILE into the shared memory. The child, which never read
 * anything, sends it. Prints "parent child length".
 */
static int do_shmfork(int ac, char **av)
{
	int mfd = ac > 5 && !strcmp(av[5], "memfd") ? memfd_create("chan_mem", 0) : -1;
	volatile char *m;
	pid_t child;
	size_t len;
	int i, st;

	if (ac > 5 && (mfd < 0 || ftruncate(mfd, MAXLEN + 64)))
		die("memfd");
	m = mmap(NULL, MAXLEN + 64, PROT_READ | PROT_WRITE,
		 mfd < 0 ? MAP_SHARED | MAP_ANONYMOUS : MAP_SHARED, mfd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		/* A flag in the shared memory itself: a pipe would be a channel of its own. */
		for (i = 0; i < 2000 && !m[MAXLEN]; i++)
			sleep_ms(10);
		if (!m[MAXLEN])
			_exit(2);
		memcpy(&len, (char *)m + MAXLEN + 8, sizeof(len));
		send_udp(av[3], atoi(av[4]), (char *)m, len);
		_exit(0);
	}
	len = slurp(av[2], (char *)m);
	memcpy((char *)m + MAXLEN + 8, &len, sizeof(len));
	__sync_synchronize();
	m[MAXLEN] = 1;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
	printf("%d %d %zu\n", getpid(), child, len);
	return 0;
}

/* One TCP connection to @addr:@port carrying @len bytes of @p; exits unless all of it went. */
static void send_tcp(const char *addr, int port, const void *p, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("tcp socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	if (write(s, p, len) != (ssize_t)len)
		die("write");
	close(s);
}

/* A loader batch: the header, then the bytes, in a POSIX shm segment of its own. */
#define BATCH_SEG 8192
#define BATCH_WINDOW 4

struct batch {
	volatile uint32_t ready, done;
	uint64_t seq, len;
	char data[MAXLEN];
};

static void batch_name(char *name, size_t sz, pid_t loader, int n)
{
	snprintf(name, sz, "/dt-ld-%d-%d", loader, n);
}

/*
 * Worker @w of 2: maps batches w, w+2, ... as the loader publishes them (the name is the only
 * thing they share, so no pipe or socket carries taint), copies each out, marks it done, unmaps
 * it. Worker 0 then sends the last batch it read to @addr:@port.
 */
static void loader_worker(int w, pid_t loader, int nbatch, const char *addr, int port)
{
	char name[64];
	struct batch *b;
	size_t len = 0;
	int n, fd, i;

	for (n = w; n < nbatch; n += 2) {
		batch_name(name, sizeof(name), loader, n);
		/* Until it exists and has its size (a mapping past the end faults). */
		for (i = 0;; i++) {
			struct stat st;

			fd = shm_open(name, O_RDWR, 0);
			if (fd >= 0 && !fstat(fd, &st) && st.st_size >= BATCH_SEG)
				break;
			if (fd >= 0)
				close(fd);
			else if (errno != ENOENT)
				die("worker shm_open");
			if (i > 200000)
				die("worker: no batch");
			usleep(20);
		}
		b = mmap(NULL, BATCH_SEG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b == MAP_FAILED)
			die("worker mmap");
		close(fd);
		for (i = 0; !__atomic_load_n(&b->ready, __ATOMIC_ACQUIRE); i++) {
			if (i > 200000)
				die("worker: batch not ready");
			usleep(20);
		}
		if (b->seq != (uint64_t)n || b->len > MAXLEN)
			die("worker: wrong batch");
		len = b->len;
		memcpy(buf, b->data, len);
		__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
		if (munmap(b, BATCH_SEG))
			die("worker munmap");
	}
	if (!w)
		send_tcp(addr, port, buf, len);
	_exit(0);
}

/* Waits until batch @n's worker is done with it, then unmaps and unlinks it. */
static void loader_retire(struct batch **seg, pid_t me, int n)
{
	struct batch *b = seg[n % BATCH_WINDOW];
	char name[64];
	int i;

	for (i = 0; !__atomic_load_n(&b->done, __ATOMIC_ACQUIRE); i++) {
		if (i > 200000)
			die("loader: batch not taken");
		usleep(20);
	}
	if (munmap(b, BATCH_SEG))
		die("loader munmap");
	batch_name(name, sizeof(name), me, n);
	shm_unlink(name);
}

/*
 * loader FILE N ADDR PORT: a DataLoader-style pipeline. Two workers are forked before the
 * loader reads FILE (so they inherit no taint); then the loader passes N batches of FILE's
 * bytes through a POSIX shm segment each (shm_open, ftruncate, mmap, unmap, unlink; at most
 * BATCH_WINDOW in flight), alternating between the workers. Worker 0 sends its last batch.
 * Prints "loader worker0 worker1 length".
 */
static int do_loader(char **av)
{
	struct batch *seg[BATCH_WINDOW];
	int nbatch = atoi(av[3]), n, fd, st, w;
	pid_t me = getpid(), wk[2];
	char name[64];
	size_t len;

	alarm(120);
	for (w = 0; w < 2; w++) {
		wk[w] = fork();
		if (wk[w] < 0)
			die("fork");
		if (!wk[w])
			loader_worker(w, me, nbatch, av[4], atoi(av[5]));
	}
	len = slurp(av[2], buf);
	for (n = 0; n < nbatch; n++) {
		struct batch *b;

		if (n >= BATCH_WINDOW)
			loader_retire(seg, me, n - BATCH_WINDOW);
		batch_name(name, sizeof(name), me, n);
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || ftruncate(fd, BATCH_SEG))
			die("loader shm_open");
		b = mmap(NULL, BATCH_SEG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b == MAP_FAILED)
			die("loader mmap");
		close(fd);
		b->seq = n;
		b->len = len;
		memcpy(b->data, buf, len);
		__atomic_store_n(&b->ready, 1, __ATOMIC_RELEASE);
		seg[n % BATCH_WINDOW] = b;
	}
	for (n = nbatch > BATCH_WINDOW ? nbatch - BATCH_WINDOW : 0; n < nbatch; n++)
		loader_retire(seg, me, n);
	for (w = 0; w < 2; w++)
		if (waitpid(wk[w], &st, 0) != wk[w] || !WIFEXITED(st) || WEXITSTATUS(st))
			die("worker");
	printf("%d %d %d %zu\n", me, wk[0], wk[1], len);
	return 0;
}

/*
 * shmrunner N FILE ADDR PORT: a long-lived process, as a test runner or a shell session: it
 * first maps and unmaps 300 shared regions read-only (memfds, as a shell maps locale caches),
 * then runs "chan_mem shmfork FILE ADDR PORT" N times in a row (fork and exec, one after the
 * other). Their output is its output.
 */
static int do_shmrunner(char **av)
{
	int n = atoi(av[2]), i, st;
	char self[4096];
	ssize_t sl;
	pid_t c;

	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0)
		die("readlink");
	self[sl] = 0;
	for (i = 0; i < 300; i++) {
		int fd = memfd_create("dt-runner", 0);
		volatile char *m;

		if (fd < 0 || ftruncate(fd, 4096))
			die("memfd");
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			die("mmap");
		(void)m[0];
		if (munmap((void *)m, 4096))
			die("munmap");
		close(fd);
	}
	for (i = 0; i < n; i++) {
		c = fork();
		if (c < 0)
			die("fork");
		if (!c) {
			execl(self, self, "shmfork", av[3], av[4], av[5], (char *)NULL);
			_exit(127);
		}
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			die("shmfork");
	}
	return 0;
}

/*
 * shmsplit FILE ADDR PORT: two pages of anonymous MAP_SHARED memory, then fork. The child
 * splits the mapping (mprotect of the second page), unmaps the first page and only then tells
 * the parent (a pipe: nothing tainted goes through it), which reads FILE into the second page.
 * The child, still holding that page, sends it. Prints "parent child length".
 */
static int do_shmsplit(char **av)
{
	char *m, *p2, c = 1;
	int i, st, pfd[2];
	pid_t child;
	size_t len;

	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || pipe(pfd))
		die("mmap");
	p2 = m + 4096;
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		if (mprotect(p2, 4096, PROT_READ) || munmap(m, 4096))
			die("split");
		if (write(pfd[1], &c, 1) != 1)
			die("pipe");
		for (i = 0; i < 2000 && !__atomic_load_n(&p2[4000], __ATOMIC_ACQUIRE); i++)
			sleep_ms(10);
		if (!p2[4000])
			_exit(2);
		memcpy(&len, p2 + 3000, sizeof(len));
		send_udp(av[3], atoi(av[4]), p2, len);
		_exit(0);
	}
	if (read(pfd[0], &c, 1) != 1)
		die("pipe");
	len = slurp(av[2], buf);
	if (len > 2048)
		len = 2048;
	memcpy(p2, buf, len);
	memcpy(p2 + 3000, &len, sizeof(len));
	__atomic_store_n(&p2[4000], 1, __ATOMIC_RELEASE);
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
	printf("%d %d %zu\n", getpid(), child, len);
	return 0;
}

/* shmmany N FILE: holds N anonymous shared regions, then reads FILE (is tainted). */
static int do_shmmany(char **av)
{
	int i, n = atoi(av[2]);

	for (i = 0; i < n; i++)
		if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED)
			die("mmap");
	printf("%d %zu\n", n, slurp(av[3], buf));
	return 0;
}

/* sysvput FILE KEY: reads FILE into a new SysV segment KEY (left for sysvget). */
static int do_sysvput(char **av)
{
	int id = shmget(strtol(av[3], NULL, 0), MAXLEN, IPC_CREAT | 0600);
	char *m;
	size_t len;

	if (id < 0)
		die("shmget");
	m = shmat(id, NULL, 0);
	if (m == (void *)-1)
		die("shmat");
	len = slurp(av[2], buf);
	memcpy(m, buf, len);
	shmdt(m);
	printf("%zu\n", len);
	return 0;
}

/* sysvget KEY LEN ADDR PORT: attaches segment KEY read-only, sends LEN bytes, removes it. */
static int do_sysvget(char **av)
{
	int id = shmget(strtol(av[2], NULL, 0), 0, 0);
	size_t len = strtoul(av[3], NULL, 0);
	char *m;

	if (id < 0)
		die("shmget");
	m = shmat(id, NULL, SHM_RDONLY);
	if (m == (void *)-1)
		die("shmat");
	send_udp(av[4], atoi(av[5]), m, len);
	shmdt(m);
	shmctl(id, IPC_RMID, NULL);
	printf("%zu\n", len);
	return 0;
}

int main(int ac, char **av)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ac >= 5 && !strcmp(av[1], "packet"))
		return do_packet(av);
	if (ac >= 4 && !strcmp(av[1], "raw"))
		return do_raw(av);
	if (ac >= 4 && !strcmp(av[1], "xdp"))
		return do_xdp(av);
	if (ac >= 4 && !strcmp(av[1], "tun"))
		return do_tun(av);
	if (ac >= 3 && !strcmp(av[1], "hold"))
		return do_hold(ac, av);
	if (ac >= 7 && (!strcmp(av[1], "vmread") || !strcmp(av[1], "peek") ||
			!strcmp(av[1], "procmem")))
		return do_copy_out(av);
	if (ac >= 5 && (!strcmp(av[1], "vmwrite") || !strcmp(av[1], "procmemw")))
		return do_copy_in(av);
	if (ac >= 5 && !strcmp(av[1], "shmfork"))
		return do_shmfork(ac, av);
	if (ac >= 6 && !strcmp(av[1], "loader"))
		return do_loader(av);
	if (ac >= 5 && !strcmp(av[1], "shmsplit"))
		return do_shmsplit(av);
	if (ac >= 6 && !strcmp(av[1], "shmrunner"))
		return do_shmrunner(av);
	if (ac >= 4 && !strcmp(av[1], "shmmany"))
		return do_shmmany(av);
	if (ac >= 4 && !strcmp(av[1], "sysvput"))
		return do_sysvput(av);
	if (ac >= 6 && !strcmp(av[1], "sysvget"))
		return do_sysvget(av);
	fprintf(stderr, "usage: chan_mem packet|raw|xdp|tun|hold|vmread|peek|procmem|vmwrite|procmemw|"
			"shmfork|shmsplit|loader|shmrunner|shmmany|sysvput|sysvget ARGS...\n");
	return 2;
}
