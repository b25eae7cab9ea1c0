/* SPDX-License-Identifier: GPL-2.0 */
/* fleet.h - flow advisories through Kafka: taint that follows a dataset from node to node. */
#ifndef DT_FLEET_H
#define DT_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "correlator.h"
#include "datatrail_abi.h"
#include "errbuf.h"
#include "inventory.h"
#include "scope.h"

#define FLEET_MAX_ADVISORY 65536 /* bytes; larger ones are rejected */
#define FLEET_MAX_CIDRS 64

struct fleet_stats {
	uint64_t produced;        /* advisories spooled for the topic */
	uint64_t produce_errors;  /* not spooled: no source address, spool full or failing */
	uint64_t delivered;       /* acknowledged by the broker (this run, resends included) */
	uint64_t spooled;         /* in the spool, not yet delivered (earlier runs' too) */
	uint64_t dropped;         /* refused by the spool or the broker: lost, and reported */
	uint64_t delivery_errors; /* failed deliveries; those advisories stay spooled */
	uint64_t consumed;        /* advisories read from the topic */
	uint64_t matched;         /* that found their receiving process here */
	uint64_t unmatched;       /* addressed here, but no flow matched before they expired */
	uint64_t not_ours;        /* for addresses outside this agent's scope */
	uint64_t rejected_sig;    /* unsigned or with a bad signature */
	uint64_t rejected_bad;    /* malformed or oversized */
	uint64_t duplicates;      /* taken already (the spool delivers at least once) */
	uint64_t stale;           /* older than fleet.max_age_s */
	uint64_t foreign_ds;      /* datasets not in the local inventory, taken with their policy */
	uint64_t foreign_full;    /* datasets dropped: no dataset slot left */
	uint64_t egress_merged;   /* earlier sends of a receiver given an advisory's datasets */
	uint64_t rx_forgotten;    /* such sends no longer remembered (bounded memory) */
};

/* The agent's side: what fleet.c cannot do itself. */
struct fleet_hooks {
	void *ctx;
	/* A receiver was tainted from @o: feed @e into the pipeline as the kernel's own record. */
	void (*tainted)(void *ctx, const struct dt_ev_taint *e, const struct remote_origin *o);
	/* A dataset unknown here: give it a slot (-ENOSPC when none is left), return its index. */
	int (*foreign)(void *ctx, const char *id, enum dt_label label, const struct inv_cidr *egress,
		       size_t n_egress, uint32_t *index);
};

struct fleet;

/*
 * Reads the "fleet" section of config file @path (NULL or no section: *@out stays NULL, 0):
 * {"cidrs": [...], "topic": "...", "key_file": "...", "max_age_s": N}. The Kafka connection is
 * @cfg's "kafka.properties" and "kafka.secret_files". Before capabilities are dropped: the
 * scope's network namespaces are entered to list their addresses.
 */
int fleet_open(const char *path, const struct config *cfg, const char *node,
	       const struct scope *scope, struct fleet **out, struct errbuf *err);

/* The BPF maps and counters fleet.c reads and writes. */
void fleet_set_maps(struct fleet *f, int taint_fd, int chan_fd, int flows_fd, int egsrc_fd,
		    int egress_fd, int egress_seen_fd, int procs_fd, uint64_t *chan_count, const struct inventory *inv,
		    const struct fleet_hooks *hooks);

/* After a reload: the inventory in force. */
void fleet_set_inventory(struct fleet *f, const struct inventory *inv);

/* A tainted process first sent to destination @k: an advisory if it is inside the fleet. */
void fleet_on_egress(struct fleet *f, const struct dt_egress_key *k);

/* Reads what advisories arrived (bounded), matches them and retries those still unmatched. */
void fleet_poll(struct fleet *f);

void fleet_stats(const struct fleet *f, struct fleet_stats *st);

/* Checks an advisory's size and signature (hex, NULL: unsigned). 0, -EMSGSIZE or -EPERM. */
int fleet_verify(const struct fleet *f, const char *payload, size_t len, const char *sig);

/*
 * What fleet_open() and the consumer are made of, for tests and the bench: a fleet without
 * Kafka (@key of @key_len bytes), a local address and network namespace advisories match,
 * the signed advisory of a send (its text: fleet_advisory_text()), and one received advisory:
 * 0 (matched), -EAGAIN (kept until its flow appears), or the -errno it was refused or
 * dropped for (counted).
 */
struct fleet *fleet_new(const char *node, const void *key, size_t key_len);
/* Hex HMAC-SHA256 of @msg under the fleet key, as the dt-sig header carries it. */
void fleet_sign(const struct fleet *f, const char *msg, size_t len, char out[65]);
int fleet_add_local(struct fleet *f, const uint8_t addr[16], uint32_t netns);
int fleet_advisory(struct fleet *f, const struct dt_egress_key *k, const struct dt_taint *t,
		   const uint8_t saddr[16], uint16_t sport, const char *comm, char sig[65]);
const char *fleet_advisory_text(const struct fleet *f, size_t *len);
int fleet_ingest(struct fleet *f, const char *payload, size_t len, const char *sig,
		 long long offset);

void fleet_close(struct fleet *f);

#endif /* DT_FLEET_H */
