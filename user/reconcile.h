/* SPDX-License-Identifier: GPL-2.0 */
/* reconcile.h - the kernel's counters against what was reported: first-access records, walks, exits. */
#ifndef DT_RECONCILE_H
#define DT_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>

#include "datatrail_abi.h"
#include "hmap.h"

/*
 * The kernel counts bytes per (process, file, access) in `acc` and per (process, destination)
 * in `egress`; the agent reports the growth. A counter reaches user space three ways: its
 * first-access record (ring buffer), the periodic walk of the map, and the final read when its
 * process exits. Records may be queued behind a walk or lost, so each report is the difference
 * to what was last reported of that counter (kept in `acc_seen`/`egress_seen`, pinned, so a
 * restarted agent goes on from there): no byte is counted twice, none is dropped.
 *
 * Everything here is single-threaded and owned by the struct reconcile; the map operations
 * and the sink are the caller's, and must outlive it.
 */

enum rc_map {
	RC_ACC = 0,	    /* struct dt_acc_key -> struct dt_acc_val */
	RC_ACC_SEEN = 1,    /* struct dt_acc_key -> struct dt_shadow */
	RC_EGRESS = 2,	    /* struct dt_egress_key -> struct dt_egress_val */
	RC_EGRESS_SEEN = 3, /* struct dt_egress_key -> struct dt_shadow */
	RC_ENFORCE = 4,	    /* struct dt_egress_key -> struct dt_enf_val */
	RC_NMAPS = 5,
};

/*
 * The map operations reconciliation needs, with bpf()'s semantics: each returns 0 or -errno
 * (-ENOENT: no such key; lookup_batch: -ENOENT with the last batch). The agent passes the
 * real maps (reconcile_bpf_ops), tests pass fakes.
 */
struct rc_map_ops {
	int (*lookup)(void *ctx, enum rc_map m, const void *key, void *val);
	int (*lookup_and_delete)(void *ctx, enum rc_map m, const void *key, void *val);
	int (*update)(void *ctx, enum rc_map m, const void *key, const void *val);
	int (*delete)(void *ctx, enum rc_map m, const void *key);
	int (*get_next_key)(void *ctx, enum rc_map m, const void *prev, void *next);
	int (*lookup_batch)(void *ctx, enum rc_map m, void *in_batch, void *out_batch, void *keys,
			    void *vals, uint32_t *count);
	/* Whether the process is known gone (not merely unreadable). */
	bool (*tgid_gone)(void *ctx, uint32_t tgid);
};

/* Where reports go: the pipeline in the agent. @dbytes/@dops: growth since the last report. */
struct rc_sink_ops {
	void (*file)(void *ctx, const struct dt_acc_key *k, const struct dt_acc_val *v,
		     uint64_t dbytes, uint64_t dops);
	void (*egress)(void *ctx, const struct dt_egress_key *k, const struct dt_egress_val *v);
	void (*enforce)(void *ctx, const struct dt_egress_key *k, const struct dt_enf_val *v);
};

struct reconcile {
	const struct rc_map_ops *ops;
	void *ops_ctx;
	const struct rc_sink_ops *out;
	void *out_ctx;
	/*
	 * acc_seen, mirrored: the pinned map is written through but never read while running,
	 * which saves a bpf() call per counter and walk.
	 */
	struct hmap seen;     /* struct dt_acc_key -> struct dt_shadow */
	struct hmap unseen;   /* struct dt_acc_key -> bool: left alone by a walk */
	struct hmap enf_seen; /* struct dt_egress_key -> struct dt_enf_val, as last reported */
	struct hmap dead;     /* tgid -> nothing: processes a walk found gone */
	/*
	 * Walks left until counters are trusted to be in the mirror again: set on any loss,
	 * since a lost first-access record leaves its counter out of it.
	 */
	unsigned int loss_walks;
	bool stopping; /* the last walk: every record is read, nothing is left for later */
	bool enforce;  /* the enforce map exists */
	uint64_t shadow_errors; /* reports the pinned *_seen maps could not keep */
	uint64_t read_errors;	/* walks cut short by a failed batch read */
};

/* The kernel's maps, by bpf(); its ctx is an int[RC_NMAPS] of map fds (-1: absent). */
extern const struct rc_map_ops reconcile_bpf_ops;

void reconcile_init(struct reconcile *rc, const struct rc_map_ops *ops, void *ops_ctx,
		    const struct rc_sink_ops *out, void *out_ctx);
void reconcile_free(struct reconcile *rc);

/* Reads back what a previous agent reported (acc_seen). */
void reconcile_load_seen(struct reconcile *rc);

/* Something may have been lost (ring buffer drop, sequence gap): the next walks take over. */
void reconcile_loss(struct reconcile *rc);

/* A first-access record: reports its first operation unless a walk took the counter over. */
void reconcile_first(struct reconcile *rc, const struct dt_ev_file_access *e);

/* An egress or enforcement record: reads that counter and reports it if it changed. */
void reconcile_egress(struct reconcile *rc, const struct dt_egress_key *k);
void reconcile_enforce(struct reconcile *rc, const struct dt_egress_key *k);

/*
 * The periodic walk of every counter. Processes found gone get their final report and are
 * added to rc->dead: the caller finishes them (pl_gone) and clears the set with hmap_free().
 */
void reconcile_walk(struct reconcile *rc);

/* A process exited: the final read of each of its counters, which are then forgotten. */
void reconcile_proc_gone(struct reconcile *rc, uint32_t tgid);

#endif /* DT_RECONCILE_H */
