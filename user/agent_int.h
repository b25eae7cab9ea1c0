/* SPDX-License-Identifier: GPL-2.0 */
/* agent_int.h - the agent's state, shared by agent.c (main loop, status) and agent_bpf.c (BPF setup). */
#ifndef DT_AGENT_INT_H
#define DT_AGENT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "agent.h"
#include "base.h"
#include "config.h"
#include "datatrail_abi.h"
/* The skeleton names the ABI structs, so it comes after them. */
#include "datatrail.skel.h"
#include "fleet.h"
#include "hmap.h"
#include "hooks.h"
#include "inventory.h"
#include "kafka.h"
#include "lruwatch.h"
#include "metrics.h"
#include "pipeline.h"
#include "proctab.h"
#include "reconcile.h"
#include "sink.h"
#include "trace.h"

/* Private to the agent: one struct agent per `datatrail run`, owned by agent_run(). */
/*
 * A stretch of losses reported as one visibility_gap: records refused by the Kafka spool,
 * shared mappings not remembered, taint a full table may have lost (chan_table_full,
 * derived_table_full) (spool_gap_step()).
 */
struct spool_gap {
	const char *source;
	const char *opening; /* said on stderr when it opens, */
	const char *total;   /* and with the count when it closes */
	bool open;
	uint64_t seq; /* the finding's uid for the whole episode */
	uint64_t start_ns;
	uint64_t lost;	   /* refused since it opened */
	uint64_t reported; /* lost as last reported */
	uint64_t reported_ns;
};

struct agent {
	const struct agent_opts *opts;
	struct inventory *inv;
	struct datatrail_bpf *skel;
	struct ring_buffer *rb;
	struct reconcile rc; /* kernel counters against what was reported */
	int rc_fds[RC_NMAPS];
	struct pipeline pl;
	struct proctab pt;
	struct sink events;
	struct sink findings;
	struct trace_writer *trace;
	struct config *cfg;        /* --config, or NULL */
	struct kafka_sink *kafka;  /* when the config enables Kafka */
	struct fleet *fleet;       /* when the config has a "fleet" section */
	struct kafka_stats kstats; /* as last checked, for new drops */
	struct spool_gap spool_gap[2]; /* findings, events: see spool_gap_step() */
	/* chan evictions (lru_watch) and refused inserts, derived files not remembered */
	struct spool_gap chan_gap, derived_gap;
	struct lru_watch chan_watch;
	uint64_t chan_fail_prev, derived_full_prev;
	uint64_t chan_entries; /* as last counted */
	uint64_t kafka_check_ns;
	int inotify_fd;            /* the inventory's directory, for edits; -1 without */
	char *inv_name;            /* the inventory's file name within it */
	uint64_t inventory_version; /* 1, then one more per reload that took effect */
	bool status_warned;
	const char *bpf_compat;  /* why the compat BPF build runs (user/hooks.c), or NULL */
	char kernel_notes[1024]; /* what the kernel lacks, one line each (hooks_select) */
	struct hooks_backend hooks_be; /* the syscall hooks' backend and why (hooks_select) */
	unsigned int flush_ms; /* --flush-ms, else the config's, else 1000 */
	char hostname[256];
	int ncpus;
	struct dt_stats *stats_prev; /* per CPU, as last reported */
	uint64_t shm_full_prev;      /* chan.bpf.c's dt_shm_full, as last checked */
	struct spool_gap shm_gap;    /* shared mappings not remembered: one episode */
	uint64_t ia32_gap_prev;      /* ia32.bpf.c's dt_ia32_gap, as last reported */
	struct dt_stats *stats_cur;
	uint64_t *next_seq; /* per CPU: the sequence number the next record should carry */
	uint64_t last_check_ns;
	uint64_t gap_seq;
	uint64_t seq_lost; /* records missing by sequence number, for the exit summary */
	uint64_t records; /* ring buffer records read */
	/*
	 * Until then, each flush puts back the taint of live processes that the kernel's map
	 * lost or had lowered: set when another process changed one of the agent's maps.
	 */
	uint64_t restore_until_ns;
	uint64_t taints_restored;
	/* Flushes left that write the inventory's inodes back: another process changed them. */
	unsigned int restore_inodes;
	char inodes_obj[64]; /* how agentobj names the inodes and devs maps */
	char devs_obj[64];
	struct metrics metrics; /* --metrics: its server runs when httpd is set */
	const volatile uint64_t *rb_pos; /* the ring buffer's consumer and producer pages */
	uint64_t watchdog_ns; /* systemd's WatchdogSec, halved; 0: no pings */
	uint64_t last_flush_ms; /* wall clock */
	int mountinfo_fd;          /* POLLPRI when the mount table changes; -1 without */
	bool devices_warned;       /* /sys/class/block unreadable: said once */
	/* enforcement (bpf/enforce.bpf.c): the cgroup programs' links, held until exit */
	struct bpf_link *enf_links[6];
	struct bpf_link *enf_reset; /* iter/tcp: resets marked connections at stop */
	char enf_cgroup[256]; /* the cgroup2 root they are attached to */
	uint64_t enf_gen;     /* policies loaded */
	uint64_t enf_full_seen; /* dt_enf_full as last reported */
};

/*
 * agent_bpf.c. agent_bpf_load(): opens the object the kernel takes (hooks_select), sizes and
 * pins the maps, loads, gives the datasets their slots and fills the inode maps.
 * agent_bpf_attach(): the ring buffer (records to @on_event), every program, enforcement's
 * cgroup links, the agentobj registry, then drops capabilities. Each returns 0 or -errno
 * after printing why; agent_close() undoes what they did, whole or half.
 */
int agent_bpf_load(struct agent *a);
int agent_bpf_attach(struct agent *a, ring_buffer_sample_fn on_event);

/* The inventory's enforcement policy into the kernel (also on reload). */
int agent_enf_load_policy(struct agent *a);
/* Resets stalled connections, then detaches enforcement; safe when nothing was attached. */
void agent_enf_detach(struct agent *a);
/* The agent's inventory, config and trace in the inode map (tampering with them is seen). */
int agent_mark_files(struct agent *a);
/* A previous agent's taint of live processes, fed to the correlator. */
void agent_seed_taints(struct agent *a);
/*
 * Before attach: the channels a pinned chan map holds count as inserted (dt_chan_count), so
 * that reads look channels up again and later evictions are inserts less entries.
 */
void agent_chan_watch(struct agent *a);
/* "ctime tracepoints", "fentry" or "not seen": what sees dataset path changes. */
const char *agent_path_changes_seen_by(struct agent *a);

#endif /* DT_AGENT_INT_H */
