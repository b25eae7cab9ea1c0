/* SPDX-License-Identifier: GPL-2.0 */
/* trace_read.h - the trace reader's state, shared with the writer's recovery of the chain. */
#ifndef DT_TRACE_READ_H
#define DT_TRACE_READ_H

#include "trace_format.h"

struct seg_ent {
	uint32_t seq;
	bool named; /* seq comes from a canonical file name */
	uint64_t size;
	char name[64];
};

bool parse_seg_name(const char *name, uint32_t *seq);
int list_segments(int dirfd, struct seg_ent **out, size_t *n_out);

enum {
	R_VERIFY = 1u << 8,   /* deliver no records */
	R_NODECODE = 1u << 9, /* check the chain only (the writer's recovery) */
	R_NOLIVE = 1u << 10,  /* no probe of the writer's lock */
};

struct issue_list {
	struct trace_issue *v;
	size_t n, cap;
};

struct trace_reader {
	char *path; /* as given, for messages */
	int dirfd;
	struct seg_ent *segs;
	size_t n_segs, next_seg;
	bool single;
	unsigned int flags;
	bool has_key;
	uint8_t key[TRACE_KEY_LEN];
	uint8_t key_id[KEY_ID_LEN];
	struct crypto c;
	bool live;

	/* the segment being walked */
	bool in_seg;
	int fd;
	bool seg_last;
	uint64_t off, size;
	struct seg_hdr h;
	struct trace_segment_info info;
	uint8_t start[HASH_LEN]; /* SHA-256 of the segment header */
	bool decode;
	uint32_t pos;	      /* index of the next block */
	uint32_t data_blocks; /* data blocks met, good or bad */
	uint64_t seg_records;
	bool seg_records_known;
	bool trailer_seen;
	bool chain_known;
	uint8_t chain[HASH_LEN];

	/* across segments */
	bool have_prev, prev_unknown, prev_closed;
	uint32_t prev_seq, prev_pos, prev_flags;
	uint8_t prev_key_id[KEY_ID_LEN];
	uint8_t prev_final[HASH_LEN];
	char prev_name[64];
	struct issue_list pending; /* failures at a segment's tail: crash debris or damage */
	struct issue_list issues;
	size_t issues_reported;

	/* the block whose records are being handed out */
	uint8_t *raw;
	size_t raw_cap, raw_len, raw_pos;
	struct trace_segment_info cur_info;
	uint32_t cur_block;
	uint8_t *buf, *plain;
	size_t buf_cap, plain_cap;

	/* totals */
	uint64_t blocks_ok, records, trailer_records;
	uint32_t segments_seen, first_seq, last_seq, pruned;
	bool first_seen, any_encrypted, keyless, hdr_ok, done;
	char note[512];
	char err[1024];
};

int reader_new(const char *path, const uint8_t *key, unsigned int flags,
	       struct trace_reader **out, char *msg, size_t msg_len);
int walk_step(struct trace_reader *r);

#endif /* DT_TRACE_READ_H */
