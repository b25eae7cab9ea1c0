/* SPDX-License-Identifier: GPL-2.0 */
/* ocsf.h - encoders of datatrail's records as OCSF JSON lines. */
#ifndef DT_OCSF_H
#define DT_OCSF_H

#include <stdint.h>

#include "datatrail_abi.h"
#include "json.h"
#include "proctab.h"

#define OCSF_VERSION "1.1.0"

struct ocsf_ctx {
	const char *hostname;
	int64_t mono_to_real_ns; /* add to a CLOCK_MONOTONIC time to get the wall-clock time */
};

/* One aggregate record of classified reads: File System Activity (1001), Read. */
struct file_record {
	uint64_t ts_ns; /* CLOCK_MONOTONIC, of the last read counted */
	const char *path;
	uint32_t dev;
	uint64_t ino;
	const struct proc_info *proc;
	uint32_t uid; /* of the reader at its first access */
	const char *dataset;
	enum dt_label label;
	uint32_t access; /* one enum dt_access bit */
	uint64_t bytes;  /* in this record */
	uint64_t ops;    /* syscalls (or completions) in this record */
};

/* A gap in what the agent saw: records lost in the kernel, or output it could not deliver. */
struct gap_record {
	uint64_t start_ns; /* CLOCK_MONOTONIC window */
	uint64_t end_ns;
	const char *source; /* "ring_buffer", "acc_map_full", ... */
	int cpu;            /* -1 when not per CPU */
	uint64_t lost;
	uint64_t seq;       /* makes the finding uid unique per report */
};

/* One finding, as the correlator hands it to the encoder. */
struct finding_record {
	const char *kind;  /* finding_info.types[0] */
	const char *uid;   /* finding_info.uid, stable for the finding's life */
	const char *title;
	int activity_id;   /* 1 Create, 2 Update */
	int severity_id;   /* 1..5 */
	uint64_t first_ns; /* CLOCK_MONOTONIC */
	uint64_t last_ns;
	const struct proc_info *chain; /* [0] the process, then its ancestors */
	size_t chain_len;
	uint32_t actor_uid;
	const char *dataset;
	const char *label;
	const char *const *tags;
	size_t n_tags;
	const char *file_path;    /* derived_copy, dataset_tamper, unauthorized_read */
	const uint8_t *dst_addr;  /* exfiltration: 16 bytes, IPv6 or v4-mapped */
	uint16_t dst_port;
	const char *dst_proto;
	uint64_t bytes;
	uint64_t ops;
	const char *operations; /* dataset_tamper: "write,truncate" */
	const char *via_hop;    /* how the taint reached the process, or NULL */
	uint32_t via_pid;
	const char *const *attacks; /* pairs: technique uid, name; NULL-terminated */
	const char *enforcement; /* blocked, killed, would_block, would_kill; NULL: monitored */
	uint64_t enf_attempts;
	uint64_t enf_bytes; /* refused */
};

const char *dt_access_name(uint32_t access);

/* Each writes one complete JSON line into @jb (reset first) and returns jb_finish()'s result. */
int ocsf_file_read(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct file_record *r);
int ocsf_visibility_gap(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct gap_record *g);
int ocsf_finding(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct finding_record *f);
/* Writes @addr (16 bytes) as dotted IPv4 when v4-mapped, else IPv6; @buf holds 46 bytes. */
const char *dt_addr_str(const uint8_t addr[16], char *buf, size_t n);
const char *ocsf_severity_name(int severity_id);

/* Pieces every record shares, for the encoders of other modules (gpu.c). */
uint64_t ocsf_wall_ms(const struct ocsf_ctx *ctx, uint64_t mono_ns);
const char *ocsf_base_name(const char *path);
void ocsf_metadata(struct jbuf *jb, const char *event_uid);
void ocsf_device(struct jbuf *jb, const struct ocsf_ctx *ctx);
/* The OCSF process object under @key: pid, name, cmd_line, file, user. */
void ocsf_process(struct jbuf *jb, const char *key, const struct proc_info *p, uint32_t uid);

#endif /* DT_OCSF_H */
