/* SPDX-License-Identifier: GPL-2.0 */
/* pipeline.h - from records to JSON lines: the part of the agent that live runs and replays share. */
#ifndef DT_PIPELINE_H
#define DT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlator.h"
#include "datatrail_abi.h"
#include "errbuf.h"
#include "gpu.h"
#include "hmap.h"
#include "identity.h"
#include "inventory.h"
#include "json.h"
#include "mounts.h"
#include "ocsf.h"
#include "proctab.h"
#include "records.h"
#include "trace.h"

typedef void (*pl_out_fn)(void *ctx, const char *line, size_t len);

/* Which event lines to print (trace cat); findings are not filtered. */
struct pl_filter {
	uint32_t pid;        /* 0: any */
	const char *dataset; /* NULL: any */
	uint64_t since_ms;   /* wall clock, 0: no bound */
	uint64_t until_ms;   /* 0: no bound */
};

/*
 * Borrowed: @inv and @pt, which the caller keeps alive (and may swap the inventory with
 * pl_set_inventory()). Owned: the path table, the correlator, and nothing of the trace writer
 * (pl_record_to() only borrows it). With a trace writer set, every record that reaches the
 * pipeline is written to it first, with the process-table answers it needed just before it.
 */
struct pipeline {
	const struct inventory *inv;
	struct proctab *pt;
	bool live; /* exec records update the process table (replay has them recorded) */
	struct ocsf_ctx octx;
	char hostname[256];
	char machine_id[64]; /* device.uid; "" unknown */
	struct idtab ids;    /* workload identities: live from /proc, replayed from the trace */
	struct hmap paths; /* struct dt_inode_key -> char *, inodes the inventory does not list */
	struct correlator corr;
	struct gpu gpu; /* device records: their events and findings */
	struct jbuf jb;
	pl_out_fn event_out; /* NULL: no event lines */
	pl_out_fn finding_out;
	void *out_ctx;
	struct pl_filter filter;
	struct trace_writer *trace;
	struct hmap recorded; /* pid -> struct proc_info last written to the trace */
	uint8_t *pending;     /* process-table answers waiting for their record */
	size_t pending_len;
	size_t pending_cap;
	uint64_t trace_errors;
	struct mount_table mounts; /* egress file systems: the agent scans, replay puts */
};

int pl_init(struct pipeline *pl, const struct inventory *inv, struct proctab *pt, bool live,
	    const char *hostname, int64_t mono_to_real_ns, pl_out_fn event_out,
	    pl_out_fn finding_out, void *out_ctx);
void pl_free(struct pipeline *pl);
/*
 * An egress mount appeared or went (@e->gone): recorded in the trace; with @apply (replay)
 * also put into pl->mounts, which the agent fills itself with mounts_scan().
 */
void pl_mount(struct pipeline *pl, const struct mount_ent *e, bool apply);

/* Starts recording: writes the run's META, INVENTORY and EXES records. */
int pl_record_to(struct pipeline *pl, struct trace_writer *w);
/* The inventory (resolved, see inventory_resolve_exes()) takes effect; INVENTORY and EXES recorded. */
void pl_set_inventory(struct pipeline *pl, const struct inventory *inv);
/* Records the inventory's allowed executables as now resolved: replay judges with the same. */
void pl_exes(struct pipeline *pl);
/* Sets device.uid (the machine id) and records it. */
void pl_set_machine_id(struct pipeline *pl, const char *machine_id);
/* Records which dataset each index stands for (after kstate_align()): replay aligns alike. */
void pl_slots(struct pipeline *pl);

/* A ring buffer record as the kernel wrote it. */
void pl_raw(struct pipeline *pl, const void *rec, size_t size);
/* A counter's news: @delta bytes in @dops operations, @v its totals; @path overrides lookup. */
void pl_file(struct pipeline *pl, const struct dt_acc_key *k, const struct dt_acc_val *v,
	     uint64_t delta, uint64_t dops, const char *path);
void pl_egress(struct pipeline *pl, const struct dt_egress_key *k, const struct dt_egress_val *v);
/* What the kernel refused a tainted process towards one destination, as last read. */
void pl_enforce(struct pipeline *pl, const struct dt_egress_key *k, const struct dt_enf_val *v);
void pl_gone(struct pipeline *pl, uint32_t tgid);
/* @tgid's looks at the agent's objects, as read from the inspect map: an agent_inspect finding. */
void pl_inspect(struct pipeline *pl, uint32_t tgid, const struct dt_inspect *v);
void pl_stop(struct pipeline *pl);
void pl_gap(struct pipeline *pl, const struct gap_record *g);

/*
 * The device table (built-ins, /proc/devices, the configuration's devices, nodes under /dev),
 * recorded by path. 0 or -errno with one message in @err.
 */
int pl_devices(struct pipeline *pl, const struct config_device *devices, size_t n_devices,
	       struct errbuf *err);
/* The kernel's device maps: the table goes in, counters, taint and losses are read out. */
int pl_device_maps(struct pipeline *pl, int devs_fd, int acc_fd, int taint_fd, int stats_fd);
/* What the kernel counted on devices: every process's (@tgid 0) or one's; @final: it is gone. */
void pl_device_flush(struct pipeline *pl, uint32_t tgid, bool final);
/* Replay: a recorded device step, and a recorded node name. */
void pl_device_step(struct pipeline *pl, const struct dt_rec_device *r);
void pl_device_path(struct pipeline *pl, uint32_t rdev, const char *path);

/* The path of an inode: the inventory's, one the kernel reported, or "inode:MAJ:MIN:INO". */
const char *pl_inode_path(struct pipeline *pl, uint32_t dev, uint64_t ino, char *buf, size_t n);
void pl_set_path(struct pipeline *pl, uint32_t dev, uint64_t ino, const char *path);

#endif /* DT_PIPELINE_H */
