// SPDX-License-Identifier: GPL-2.0
/* proctab.c - process identity lookups; see proctab.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "errbuf.h"
#include "proctab.h"

void proctab_init(struct proctab *pt, int procs_fd)
{
	memset(pt, 0, sizeof(*pt));
	pt->procs_fd = procs_fd;
	hmap_init(&pt->cache, sizeof(uint32_t), sizeof(struct pt_entry));
	pt->tick = 1;
}

void proctab_free(struct proctab *pt)
{
	hmap_free(&pt->cache);
}

void proctab_stale(struct proctab *pt, uint32_t pid)
{
	struct pt_entry *e = hmap_get(&pt->cache, &pid);

	if (e)
		e->tick = 0;
}

static void join_args(char *dst, size_t dstlen, const char *args, size_t n)
{
	size_t i;

	if (n >= dstlen)
		n = dstlen - 1;
	for (i = 0; i < n; i++)
		dst[i] = args[i] ? args[i] : ' ';
	while (i > 0 && dst[i - 1] == ' ')
		i--;
	dst[i] = 0;
}

void proc_info_from_dt(struct proc_info *out, const struct dt_proc *p)
{
	memset(out, 0, sizeof(*out));
	out->pid = p->tgid;
	out->ppid = p->ppid;
	out->uid = p->uid;
	out->start_ns = p->start_ns;
	memcpy(out->comm, p->comm, sizeof(out->comm));
	out->comm[sizeof(out->comm) - 1] = 0;
	memcpy(out->exe, p->exe, sizeof(out->exe));
	out->exe[sizeof(out->exe) - 1] = 0;
	out->exe_dev = p->exe_dev;
	out->exe_ino = p->exe_ino;
	join_args(out->cmdline, sizeof(out->cmdline), p->args,
		  p->args_len < DT_ARGS_LEN ? p->args_len : DT_ARGS_LEN);
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

int proc_info_from_procfs(uint32_t pid, struct proc_info *out)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	struct stat st;
	unsigned int ppid;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return n;
	buf[n] = 0;
	/* comm is in parentheses and may itself hold ')' or spaces: parse from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	{
		char *open = strchr(buf, '(');
		size_t cl = open ? (size_t)(p - open - 1) : 0;

		if (cl >= sizeof(out->comm))
			cl = sizeof(out->comm) - 1;
		if (open)
			memcpy(out->comm, open + 1, cl);
	}
	if (sscanf(p + 2, "%*c %u %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
			  "%*d %llu",
		   &ppid, &start) != 2)
		return -EINVAL;
	out->ppid = ppid;
	out->start_ns = start * (1000000000ULL / sysconf(_SC_CLK_TCK));

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		p = strstr(buf, "\nUid:");
		if (p)
			out->uid = strtoul(p + 5, NULL, 10);
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, out->exe, sizeof(out->exe) - 1);
	out->exe[n > 0 ? n : 0] = 0;
	if (!stat(path, &st)) {
		out->exe_dev = dt_kdev(st.st_dev);
		out->exe_ino = st.st_ino;
	}
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_file(path, buf, DT_ARGS_LEN);
	if (n > 0)
		join_args(out->cmdline, sizeof(out->cmdline), buf, n);
	return 0;
}

void proctab_put(struct proctab *pt, const struct proc_info *pi)
{
	struct pt_entry *slot = hmap_put(&pt->cache, &pi->pid, NULL);

	if (slot) {
		slot->pi = *pi;
		slot->tick = pt->tick;
	}
}

void proctab_update(struct proctab *pt, const struct dt_proc *p)
{
	struct proc_info pi;

	proc_info_from_dt(&pi, p);
	proctab_put(pt, &pi);
}

static int lookup(struct proctab *pt, uint32_t pid, struct proc_info *out)
{
	struct pt_entry *cached = hmap_get(&pt->cache, &pid);
	struct dt_proc p;

	if (pt->offline || (cached && cached->tick == pt->tick)) {
		if (!cached)
			return -ESRCH;
		*out = cached->pi;
		return 0;
	}
	if (pt->procs_fd >= 0 && !bpf_map_lookup_elem(pt->procs_fd, &pid, &p)) {
		proc_info_from_dt(out, &p);
		/* Forked before the agent and never execed since: /proc knows the exe. */
		if (!out->exe[0]) {
			struct proc_info live;

			if (!proc_info_from_procfs(pid, &live) && live.ppid == out->ppid) {
				memcpy(out->exe, live.exe, sizeof(out->exe));
				memcpy(out->cmdline, live.cmdline, sizeof(out->cmdline));
				/* The kernel's view of the running file, where it had one, wins. */
				if (!out->exe_ino) {
					out->exe_dev = live.exe_dev;
					out->exe_ino = live.exe_ino;
				}
			}
		}
		proctab_put(pt, out);
		return 0;
	}
	/* The kernel has forgotten it: the last answer still names it. */
	if (cached) {
		*out = cached->pi;
		return 0;
	}
	if (!proc_info_from_procfs(pid, out)) {
		proctab_put(pt, out);
		return 0;
	}
	return -ESRCH;
}

int proctab_get(struct proctab *pt, uint32_t pid, struct proc_info *out)
{
	int err = lookup(pt, pid, out);

	if (!err && pt->observe)
		pt->observe(pt->observe_ctx, out);
	return err;
}

size_t proctab_chain(struct proctab *pt, uint32_t pid, struct proc_info *chain, size_t max)
{
	size_t n = 0;

	while (n < max && pid) {
		if (proctab_get(pt, pid, &chain[n])) {
			if (n == 0) {
				memset(&chain[0], 0, sizeof(chain[0]));
				chain[0].pid = pid;
				n = 1;
			}
			break;
		}
		pid = chain[n].ppid;
		/* pid 1 is the last ancestor worth naming. */
		if (chain[n++].pid == 1)
			break;
	}
	return n;
}

bool proc_is_gone(uint32_t tgid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", tgid);
	return access(path, F_OK) && errno == ENOENT;
}

int proctab_seed(int procs_fd)
{
	struct dirent *de;
	int seeded = 0;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct proc_info pi;
		struct dt_proc p;
		uint32_t pid;
		size_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtoul(de->d_name, NULL, 10);
		if (proc_info_from_procfs(pid, &pi))
			continue;
		memset(&p, 0, sizeof(p));
		p.tgid = pid;
		p.ppid = pi.ppid;
		p.uid = pi.uid;
		p.start_ns = pi.start_ns;
		memcpy(p.comm, pi.comm, sizeof(p.comm));
		memcpy(p.exe, pi.exe, sizeof(p.exe));
		p.exe_dev = pi.exe_dev;
		p.exe_ino = pi.exe_ino;
		n = strlen(pi.cmdline);
		memcpy(p.args, pi.cmdline, n < DT_ARGS_LEN ? n : DT_ARGS_LEN);
		p.args_len = n < DT_ARGS_LEN ? n : DT_ARGS_LEN;
		p.flags = DT_PROC_EXECED;
		/* NOEXIST: an exec the kernel already saw is fresher than /proc. */
		if (!bpf_map_update_elem(procs_fd, &pid, &p, BPF_NOEXIST))
			seeded++;
	}
	closedir(dir);
	return seeded;
}
