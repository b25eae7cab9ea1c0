/* SPDX-License-Identifier: GPL-2.0 */
/* gpu.h - GPU and kernel-bypass devices: device table, counters to OCSF events and findings. */
#ifndef DT_GPU_H
#define DT_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "datatrail_abi.h"
#include "devkind.h"
#include "errbuf.h"
#include "hmap.h"
#include "identity.h"
#include "inventory.h"
#include "json.h"
#include "ocsf.h"
#include "proctab.h"
#include "records.h"

typedef void (*gpu_out_fn)(void *ctx, const char *line, size_t len);

/* One row of the device table: a device number, or a whole major, and what it is. */
struct gpu_dev {
	uint32_t rdev; /* kernel encoding; minor DT_DEV_ANY_MINOR stands for the whole major */
	uint32_t kind; /* enum dt_dev_kind */
	char *path;    /* the configuration's node, or NULL for built-in and /proc/devices rows */
};

/* What gpu_set_output() borrows from the agent; all must outlive the struct gpu. */
struct gpu_out {
	const struct inventory *inv;
	struct proctab *pt;
	const struct ocsf_ctx *octx;
	const struct hmap *taints; /* tgid -> struct dt_taint (the correlator's); may be NULL */
	gpu_out_fn event_out;      /* Memory Activity lines; may be NULL */
	gpu_out_fn finding_out;    /* Detection Finding lines */
	void *ctx;
	struct idtab *ids;         /* workload identities (the pipeline's); may be NULL */
	/* Each step taken on what the kernel's maps or /proc said, for the trace; may be NULL. */
	void (*record)(void *ctx, const struct dt_rec_device *r);
	/* Kernel-side losses; NULL: printed and written as visibility_gap findings here. */
	void (*gap)(void *ctx, const struct gap_record *g);
};

struct gpu {
	struct gpu_dev *devs;
	size_t n_devs;
	struct hmap paths; /* rdev -> char *: nodes found under /dev or named in the config */
	struct gpu_out out;
	int acc_fd;   /* gpu_acc, -1 until gpu_load_maps() */
	int taint_fd; /* taint, -1: only the counters' and the correlator's taint is used */
	int stats_fd; /* gpu_stats, -1: losses are not reported */
	int ncpus;
	struct dt_gpu_stats *stats_prev;
	struct dt_gpu_stats *stats_cur;
	uint64_t last_check_ns;
	uint64_t gap_seq;
	struct hmap shadow;   /* struct dt_dev_key -> what was reported of that counter */
	struct hmap procs;    /* tgid -> struct gpu_proc: device use and taint, for findings */
	struct hmap findings; /* struct gpu_finding_key -> struct gpu_finding */
	struct jbuf jb;
	uint64_t emitted; /* finding lines written */
};

/*
 * Builds the device table: built-in majors (195 nvidia, 226 drm, 231 rdma), the dynamic majors
 * /proc/devices lists (nvidia-uvm, nvidia-caps, nvidia-fs, kfd, ...), then the configuration's
 * "devices" (config.c checked and stat()ed them; may be none); and names what it can by a walk
 * of /dev. 0, or -errno with one message in @err. The struct is usable (and must be freed with
 * gpu_free()) whatever the result.
 */
int gpu_init(struct gpu *g, const struct config_device *devices, size_t n_devices,
	     struct errbuf *err);
void gpu_free(struct gpu *g);

/* The pieces gpu_init() is made of, for tests: an empty table, then rows from each source. */
void gpu_init_empty(struct gpu *g);
int gpu_add_builtin(struct gpu *g);
int gpu_add_proc_devices(struct gpu *g, const char *text);
/* The configuration's rows (config_load() parsed them). 0 or -ENOMEM. */
int gpu_add_devices(struct gpu *g, const struct config_device *d, size_t n);
/* Fills g->paths from char devices below @root whose number is in the table. */
int gpu_scan_nodes(struct gpu *g, const char *root);

/* The kind of device @rdev (exact row first, then its major's), or 0. */
uint32_t gpu_kind_of(const struct gpu *g, uint32_t rdev);
/* The node's path, or "char:MAJOR:MINOR" in @buf. */
const char *gpu_dev_path(const struct gpu *g, uint32_t rdev, char *buf, size_t n);

void gpu_set_output(struct gpu *g, const struct gpu_out *out);

/*
 * Puts the table into the kernel's gpu_devs map (@devs_fd) and remembers the counter, taint
 * and loss maps for gpu_flush(); any fd may be -1. 0 or -errno.
 */
int gpu_load_maps(struct gpu *g, int devs_fd, int acc_fd, int taint_fd, int stats_fd);

/* A DT_EV_DEVICE record: its counter is read and reported at once. */
void gpu_on_device(struct gpu *g, const struct dt_ev_device *e);

/*
 * A counter's totals as gpu_acc holds them (or as a test or a trace supplies them): reports
 * what is new since the last call for @k, then applies the finding rules to its process.
 */
void gpu_counter(struct gpu *g, const struct dt_dev_key *k, const struct dt_dev_val *v);

/*
 * Reports what the kernel counted since the last call: every counter (@tgid 0) or one
 * process's, as Memory Activity lines, and raises or updates findings. With @tgid 0 it also
 * re-reads the taint of every process that used a device, finishes processes found gone and
 * turns new kernel-side losses into visibility_gap findings. @final (a process's exit) gives
 * its findings their last update and forgets it and its counters.
 */
void gpu_flush(struct gpu *g, uint32_t tgid, bool final);

/* Takes a recorded step again (replay): the same events and findings as when it was taken. */
void gpu_replay(struct gpu *g, const struct dt_rec_device *r);
/* Names the node of @rdev (the configuration's or one found under /dev, as recorded). */
int gpu_add_path(struct gpu *g, uint32_t rdev, const char *path);

/* Agent stop: last updates of every open finding whose numbers moved. */
void gpu_stop(struct gpu *g);

/*
 * What a process did, folded into one record per (process, device kind, class), for the
 * encoders and tests.
 */
struct gpu_record {
	uint64_t ts_ns; /* CLOCK_MONOTONIC, of the last operation counted */
	const struct proc_info *proc;
	uint32_t uid;
	uint32_t rdev;
	const char *path;
	uint32_t kind;
	uint32_t op;
	uint32_t last_cmd;
	uint64_t bytes; /* in this record */
	uint64_t ops;
	const char *const *datasets; /* ids of the datasets in the process's taint */
	size_t n_datasets;
	const struct wl_identity *ident; /* the process's workload, or NULL */
};

enum gpu_finding_kind {
	GF_POLICY = 1,      /* gpu_policy */
	GF_BYPASS = 2,      /* kernel_bypass_egress */
	GF_MEMORY_READ = 3, /* gpu_memory_read */
};

const char *gpu_finding_name(uint32_t kind);
/* ATT&CK then ATLAS techniques of a kind, as ocsf_attacks() takes them; NULL if none. */
const char *const *gpu_finding_attacks(uint32_t kind);

/* Memory Activity (1004): one JSON line into @jb; jb_finish()'s result. */
int gpu_ocsf_event(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct gpu_record *r);

const char *gpu_op_name(uint32_t op);
/* OCSF Memory Activity activity_id and name of a class. */
int gpu_op_activity(uint32_t op, const char **name);

#endif /* DT_GPU_H */
