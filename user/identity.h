/* SPDX-License-Identifier: GPL-2.0 */
/* identity.h - which workload a process is: cgroup, container, pod, Slurm job; resolved once, cached. */
#ifndef DT_IDENTITY_H
#define DT_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

/*
 * What the agent knows of a process's workload. Every field is what the node says (the cgroup
 * path, the runtime's own files, the job's environment); what it does not say stays empty.
 * Fixed-size, NUL-terminated strings: the struct is written to traces as it is
 * (DT_REC_IDENTITY), so its layout only ever grows at the end.
 */
struct wl_identity {
	char cgroup[256];	  /* the cgroup path chosen from /proc/PID/cgroup */
	char runtime[16];	  /* containerd, cri-o, docker, podman */
	char container_id[72];
	char pod_uid[40];
	char qos[12];		  /* guaranteed, burstable, besteffort */
	char pod_name[128];
	char pod_namespace[64];
	char container_name[128];
	char image[256];	  /* the reference the container was created from */
	char image_id[80];	  /* a digest, where the runtime keeps one */
	char slurm_job[24];
	char slurm_step[24];
	char slurm_user[64];	  /* SLURM_JOB_USER of the job's first process seen */
	char slurm_account[64];	  /* SLURM_JOB_ACCOUNT, likewise */
	uint32_t slurm_uid;	  /* from the v1 layout's uid_N; valid with ID_SLURM_UID */
	uint32_t ns_pid;	  /* the pid in its own pid namespace, 0 unknown */
	uint32_t flags;		  /* enum wl_flags */
	uint32_t pad;
};

_Static_assert(sizeof(struct wl_identity) == 1244, "wl_identity layout is recorded in traces");

enum wl_flags {
	ID_RESOLVED = 1,   /* /proc/PID/cgroup was read */
	ID_SLURM_UID = 2,  /* slurm_uid is set */
	ID_META = 4,	   /* the runtime's files for the container were found */
	/*
	 * The workload is the runtime's own: its cgroup is at the runtime's root, every directory
	 * of its path is root's, and a container's runtime state names this very cgroup. Only a
	 * verified identity satisfies an inventory's workload lists (docs/identity.md).
	 */
	ID_VERIFIED = 8,
	/*
	 * The path looked like a runtime's but is not at a runtime's root or not root's all the
	 * way down (a delegated subtree): nothing of it is taken, only the path is reported.
	 */
	ID_UNTRUSTED = 16,
};

/* Whether @id names a container, a Slurm job: what makes an identity worth printing. */
static inline bool wl_has_container(const struct wl_identity *id)
{
	return id && id->container_id[0];
}

static inline bool wl_has_workload(const struct wl_identity *id)
{
	return id && (id->container_id[0] || id->slurm_job[0] || id->pod_uid[0] ||
		      (id->flags & ID_UNTRUSTED));
}

/*
 * Fills the cgroup-derived fields of @id (runtime, container id, pod uid, QoS class, Slurm
 * job, step, uid) from one cgroup path, for every runtime x cgroup driver datatrail knows
 * (docs/identity.md); the rest stays as it is. Returns whether it recognised anything.
 */
bool id_parse_cgroup(const char *path, struct wl_identity *id);

/*
 * The most telling path of /proc/PID/cgroup's @text (v2 "0::" and v1 lines): one that names a
 * container or a job, else the first non-root one of 0::, name=systemd, memory, cpu, in that
 * order. Copies it into @out and returns 0, or -ENOENT when every line is the root.
 */
int id_pick_cgroup(const char *text, char *out, size_t n);

/* As id_pick_cgroup(), and the line's controller list into @ctrl ("" for the v2 line). */
int id_pick_cgroup_ctrl(const char *text, char *out, size_t n, char *ctrl, size_t ctrl_n);

/*
 * Whether the workload @path names sits at its runtime's own root: kubelet's kubepods (or
 * kubepods.slice), Docker's /docker or system.slice/docker-<id>.scope, Podman's machine.slice
 * and libpod_parent, slurmstepd's /slurm[_node]/uid_N/job_N or system.slice/[node_]slurmstepd
 * .scope/job_N, right at the cgroup root or right below one of @roots (config cgroup_roots),
 * with nothing below the container or job that names another. A path with ".." components
 * (another cgroup namespace's view, a cut kernel record) is never at a root. On success,
 * *@prefix_len is the length of the root prefix taken (0 at the cgroup root).
 */
bool id_path_trusted(const char *path, char *const *roots, size_t n_roots, size_t *prefix_len);

/*
 * Whether every directory of @path below the cgroup mount @mnt_fd is owned by root: a
 * delegated subtree (systemd Delegate=yes) is its user's. 0, -EPERM (a directory of another
 * owner), or -errno (gone).
 */
int id_path_owned_by_root(int mnt_fd, const char *path);

/*
 * Whether an OCI runtime spec's linux.cgroupsPath @spec names the cgroup @path: a cgroupfs
 * path ("/kubepods/...") or systemd's "slice:prefix:name", as it is or below the root
 * prefix @prefix (a runtime in a nested cgroup namespace, config cgroup_roots).
 */
bool id_cgroups_path_match(const char *spec, const char *path, const char *prefix,
			   size_t prefix_len);

/*
 * Reads the runtime's own record of @id's container (containerd's OCI bundle, CRI-O's and
 * Podman's userdata, Docker's config.v2.json) under the default state roots and @dirs, and
 * fills pod name, namespace, container name and image. Returns 0 or -ENOENT.
 */
int id_read_runtime(struct wl_identity *id, char *const *dirs, size_t n_dirs);

/* Fills pod and image fields from an OCI config.json's or config.v2.json's text. */
int id_parse_runtime_json(struct wl_identity *id, const char *text, size_t len);

/*
 * The identity table: pid -> its cgroup's identity, each cgroup resolved once. Live, a pid is
 * resolved at its first sight (its exec, or its first record) from /proc; offline (replay) only
 * recorded answers fill it. Both tables are bounded: when one is full, both are emptied and
 * the processes alive are resolved again at their next sight (counted in resets).
 */
struct idtab {
	bool offline;
	char **dirs;	/* container_state_dirs, borrowed */
	size_t n_dirs;
	char **roots;	/* cgroup_roots, borrowed: where runtimes' roots are also trusted */
	size_t n_roots;
	uint64_t unverified; /* identities resolved that are not verified (a workload named) */
	const char *proc_root; /* "/proc" unless a test says otherwise */
	struct hmap pids;    /* uint32_t pid -> struct id_pid */
	struct hmap cgroups; /* uint64_t hash of the cgroup path -> struct wl_identity */
	size_t max_pids;
	size_t max_cgroups;
	/*
	 * The kernel's cgroup (v2) id of @pid when it became tracked (the agent's BPF map), for
	 * a process gone before its /proc could be read; NULL: none. 0 or -errno.
	 */
	int (*cgroup_id_of)(void *ctx, uint32_t pid, uint64_t *id);
	/* The path the kernel recorded for cgroup @id (a cgroup removed since); 0 or -errno. */
	int (*cgroup_path_of)(void *ctx, uint64_t id, char *out, size_t n);
	void *cgroup_id_ctx;
	int cg2_fd;	   /* the cgroup2 mount (a directory fd), -1 none, -2 not looked for yet */
	char cg2_mnt[256]; /* where it is mounted */
	/* The hierarchies the trust check stat()s in, by controller list ("" v2): open fds, -1. */
	struct {
		char ctrl[48];
		int fd;
	} hier[8];
	size_t n_hier;
	uint64_t by_cgroup_id; /* resolutions that needed the kernel's cgroup id */
	/* Told of each pid's identity when resolved live, so that a trace can replay it. */
	void (*observe)(void *ctx, uint32_t pid, const struct wl_identity *id);
	void *observe_ctx;
	/* Counters for status and bench: resolutions, failures, time spent, cache resets. */
	uint64_t resolved;
	uint64_t failed;
	uint64_t cgroup_reads; /* cgroups resolved (runtime files read) */
	uint64_t resolve_ns;
	uint64_t resets;
};

void idtab_init(struct idtab *t, bool offline);
void idtab_free(struct idtab *t);

/* @pid's identity: cached, else resolved now (live); NULL when unknown. Valid until the next call. */
const struct wl_identity *idtab_get(struct idtab *t, uint32_t pid);

/* @pid execed (its cgroup may have changed since runc init): resolves it afresh, now. */
void idtab_exec(struct idtab *t, uint32_t pid);

/* @pid is gone: the next answer for the number is a new process's. */
void idtab_forget(struct idtab *t, uint32_t pid);

/* NUL-terminates every string of @id (one read from a trace may be anything). */
void wl_terminate(struct wl_identity *id);

/* Replay: @id is what the agent resolved for @pid. */
void idtab_put(struct idtab *t, uint32_t pid, const struct wl_identity *id);

/*
 * The path of the cgroup (v2) whose id the kernel gave (bpf_get_current_cgroup_id), relative to
 * the cgroup2 mount @mnt_fd is open on (@mnt its path): a file handle opened and read back.
 */
int id_cgroup_path_by_id(int mnt_fd, const char *mnt, uint64_t id, char *out, size_t n);

/* Resolves @pid from @proc_root ("/proc") without caching; 0 or -errno. */
int id_resolve_pid(const char *proc_root, uint32_t pid, char *const *dirs, size_t n_dirs,
		   struct wl_identity *out);

/* /etc/machine-id's id (device.uid) into @out; 0 or -errno, @out "" then. */
int id_machine_id(char *out, size_t n);

/*
 * The node's name: @given (--node-name or config node_name), else $NODE_NAME (a DaemonSet sets
 * it from the downward API: its pod's host name changes with every rollout), else the host name.
 */
int id_node_name(const char *given, char *out, size_t n);

#endif /* DT_IDENTITY_H */
