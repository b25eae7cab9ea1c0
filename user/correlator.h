/* SPDX-License-Identifier: GPL-2.0 */
/* correlator.h - turns kernel aggregates into findings: exfiltration, unauthorized reads, copies, tampering. */
#ifndef DT_CORRELATOR_H
#define DT_CORRELATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datatrail_abi.h"
#include "hmap.h"
#include "identity.h"
#include "inventory.h"
#include "json.h"
#include "mounts.h"
#include "ocsf.h"
#include "proctab.h"

enum finding_kind {
	FK_EXFILTRATION = 1,
	FK_UNAUTHORIZED_READ = 2,
	FK_DERIVED_COPY = 3,
	FK_DATASET_TAMPER = 4,
	FK_AGENT_TAMPER = 5, /* another process signalled the agent or changed its files or maps */
	FK_AGENT_INSPECT = 6, /* another process looked at the agent's maps, programs or links */
};

/* Where findings go: one complete JSON line per call. */
typedef void (*corr_emit_fn)(void *ctx, const char *line, size_t len);
/* The path of an inode, as the agent knows it. */
typedef const char *(*corr_path_fn)(void *ctx, uint32_t dev, uint64_t ino, char *buf, size_t n);

/*
 * The correlator holds no kernel handles: it is fed the same records live and in replay.
 * It borrows @inv, @pt and @octx from its caller, who keeps them alive and may swap the
 * inventory with corr_set_inventory() (open findings keep their dataset ids).
 */
/* Where a taint of hop DT_HOP_REMOTE came from: another node's advisory (user/fleet.c). */
struct remote_origin {
	char node[256];
	char comm[DT_COMM_LEN];
	uint32_t pid;
	char flow[128]; /* "SRC:SPORT>DST:DPORT/tcp" */
};

struct correlator {
	const struct inventory *inv;
	struct proctab *pt;
	const struct ocsf_ctx *octx;
	corr_emit_fn emit;
	corr_path_fn path;
	void *ctx;
	struct hmap findings; /* struct finding_key -> struct finding_state */
	struct hmap taints;   /* tgid -> struct dt_taint, the last hop that reached the process */
	struct hmap remotes;  /* tgid -> struct remote_origin, for taints of hop DT_HOP_REMOTE */
	struct jbuf jb;
	uint64_t emitted; /* finding lines written */
	struct idtab *ids; /* workload identities, borrowed; NULL: none */
	/* Egress file systems by superblock: the pipeline's (scanned live, recorded, replayed). */
	const struct mount_table *mounts;
	/*
	 * Processes that ended ({tgid, start_ns} -> the order they ended in): their findings were
	 * closed, and what the kernel still counts for them (an orphaned socket's retransmits
	 * refused) opens none again. Bounded: the oldest half goes at CORR_CLOSED_MAX.
	 */
	struct hmap closed;
	uint64_t closed_seq;
	uint64_t late_after_close; /* counter reports of ended processes, not reopened */
	uint64_t derived_expected; /* derived-copy reports judged expected (allowed readers) */
};

#define CORR_CLOSED_MAX 65536

void corr_init(struct correlator *c, const struct inventory *inv, struct proctab *pt,
	       const struct ocsf_ctx *octx, corr_emit_fn emit, corr_path_fn path, void *ctx);
void corr_free(struct correlator *c);
void corr_set_inventory(struct correlator *c, const struct inventory *inv);

/* @delta bytes and @dops operations of one (process, inode, access) counter; @v is its total. */
void corr_file(struct correlator *c, const struct dt_acc_key *k, const struct dt_acc_val *v,
	       uint64_t delta, uint64_t dops);
/* The total a tainted process has sent to one destination. */
void corr_egress(struct correlator *c, const struct dt_egress_key *k, const struct dt_egress_val *v);
void corr_taint(struct correlator *c, const struct dt_ev_taint *e);
/* Before the taint record of a remote hop: the node, process and flow it came from. */
void corr_remote(struct correlator *c, uint32_t tgid, const struct remote_origin *o);
/* What the kernel refused a tainted process towards one destination (enforce map). */
void corr_enforce(struct correlator *c, const struct dt_egress_key *k, const struct dt_enf_val *v);
/* Another process acted on the agent itself (signal, pinned map, bpf() on its objects). */
void corr_agent(struct correlator *c, const struct dt_ev_agent *e);
/* Whether bpf() command @cmd (enum dt_bpf_cmd) changes an object rather than opening it. */
bool corr_bpf_cmd_changes(unsigned int cmd);

/*
 * @tgid's looks at the agent's objects over its minute (or its life, if shorter): one
 * agent_inspect finding, Informational, emitted at once and never updated or closed.
 */
void corr_inspect(struct correlator *c, uint32_t tgid, const struct dt_inspect *v);
/* @tgid is gone: its findings get their final update, and are forgotten. */
void corr_proc_exit(struct correlator *c, uint32_t tgid);
/* Final updates of every open finding (agent stop, end of replay). */
void corr_flush(struct correlator *c);

const char *finding_kind_name(enum finding_kind k);
/* ATT&CK then ATLAS techniques of a kind, as ocsf_attacks() takes them; NULL if none. */
const char *const *finding_kind_attacks(enum finding_kind k);
/*
 * Whether a process of @uid running the file (@exe_dev, @exe_ino) passes @acl: each non-empty
 * list must contain it; executables by their resolved inode (inventory_resolve_exes()), never
 * by path. @exe_ino 0 (unknown) passes no executable list.
 */
bool acl_allows(const struct inv_acl *acl, uint32_t uid, uint32_t exe_dev, uint64_t exe_ino);
/*
 * Whether @id passes @acl's workload selectors (namespaces, images, Slurm accounts and users):
 * each non-empty list must match; an unknown identity matches none.
 */
bool acl_allows_workload(const struct inv_acl *acl, const struct wl_identity *id);
/* Whether the dataset may be sent to (@addr v4-mapped or IPv6, @port). */
bool egress_allowed(const struct inv_dataset *ds, const uint8_t addr[16], uint16_t port);
/* Whether the dataset may be written to mount @m (allowed_egress "mount:" and "fstype:"). */
bool egress_mount_allowed(const struct inv_dataset *ds, const struct mount_ent *m);
/* 1..5 from the label, the kind and the volume; see docs/findings.md. */
int finding_severity(enum finding_kind k, enum dt_label label, uint64_t bytes);

/* The name of a taint hop (enum dt_hop) in findings and replay, or NULL for an unknown one. */
const char *corr_hop_name(uint8_t hop);

#endif /* DT_CORRELATOR_H */
