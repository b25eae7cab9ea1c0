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

const char *dt_access_name(uint32_t access);

/* Each writes one complete JSON line into @jb (reset first) and returns jb_finish()'s result. */
int ocsf_file_read(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct file_record *r);
int ocsf_visibility_gap(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct gap_record *g);

#endif /* DT_OCSF_H */
