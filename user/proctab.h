/* SPDX-License-Identifier: GPL-2.0 */
/* proctab.h - who a process is (exe, command line, uid, parent), from the kernel's procs map or /proc. */
#ifndef DT_PROCTAB_H
#define DT_PROCTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "datatrail_abi.h"
#include "hmap.h"

struct proc_info {
	uint32_t pid;
	uint32_t ppid;
	uint32_t uid;
	uint64_t start_ns;
	char comm[DT_COMM_LEN];
	char exe[DT_EXE_LEN];
	char cmdline[DT_ARGS_LEN + 1]; /* argv joined by spaces */
	/*
	 * The file it runs (struct dt_proc exe_dev/exe_ino; /proc/PID/exe for processes older
	 * than the agent): what executable ACLs compare. 0/0: unknown, allowed nowhere.
	 */
	uint32_t exe_dev;
	uint64_t exe_ino;
};

/*
 * The kernel remembers every process it saw fork or exec (an LRU map); processes older than
 * the agent are read from /proc. The last answer for each pid is kept here, so a process
 * that has exited and left the kernel's map can still be named.
 */
struct pt_entry {
	struct proc_info pi;
	uint64_t tick; /* 0: read afresh at the next question */
};

struct proctab {
	int procs_fd; /* the BPF procs map, or -1 (then /proc and the cache only) */
	bool offline; /* replay: the cache alone answers, never this machine's /proc */
	/*
	 * pid -> struct pt_entry: the answer and the tick it was read from the kernel or /proc
	 * in. Within one tick (one batch of records) the cache answers alone: the kernel's entry
	 * is 560 bytes behind a bpf() call, and a batch asks about the same few processes over
	 * and over.
	 */
	struct hmap cache;
	uint64_t tick;
	/* Told every answer proctab_get() gives, so that a trace can replay them. */
	void (*observe)(void *ctx, const struct proc_info *pi);
	void *observe_ctx;
};

void proctab_init(struct proctab *pt, int procs_fd);
void proctab_free(struct proctab *pt);

/* Fills @out for @pid; returns 0, or -ESRCH when nothing is known of it. */
int proctab_get(struct proctab *pt, uint32_t pid, struct proc_info *out);

/* Starts a new batch: answers from here on are read afresh once per pid. */
static inline void proctab_tick(struct proctab *pt)
{
	pt->tick++;
}

/* @pid exited: its next answer, even within this batch, is read afresh (pid reuse). */
void proctab_stale(struct proctab *pt, uint32_t pid);

/* Puts @pi in the cache as the answer for its pid (replay feeds recorded answers here). */
void proctab_put(struct proctab *pt, const struct proc_info *pi);

/*
 * @pid and its ancestors, at most @max, up to pid 1, as far as anyone remembers them; an
 * unknown @pid still gives one entry with only its pid. Returns how many.
 */
size_t proctab_chain(struct proctab *pt, uint32_t pid, struct proc_info *chain, size_t max);

/* Records what an exec event told. */
void proctab_update(struct proctab *pt, const struct dt_proc *p);

/* Converts the kernel's record (NUL-separated args) into @out. */
void proc_info_from_dt(struct proc_info *out, const struct dt_proc *p);

/*
 * Reads /proc/@pid; 0 or -errno (-ENOENT once it has exited). The exe's (dev, ino) come from
 * stat() of /proc/@pid/exe, which the kernel resolves to the file the process runs.
 */
int proc_info_from_procfs(uint32_t pid, struct proc_info *out);

/*
 * Whether process @tgid is known gone: /proc, not kill(0), since without CAP_KILL (dropped
 * after attach) kill() says EPERM for others' processes. Unreadable is not gone.
 */
bool proc_is_gone(uint32_t tgid);

/* Puts every process now in /proc into the kernel map, so their children inherit an identity. */
int proctab_seed(int procs_fd);

#endif /* DT_PROCTAB_H */
