/* SPDX-License-Identifier: GPL-2.0 */
/* trace.h - forensic traces: record typed records into hash-chained segment files, verify, read
 * back. */
#ifndef DT_TRACE_H
#define DT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/*
 * A trace is a directory of segment files trace-%08u.dts. Each segment is a header and a
 * sequence of blocks; a block holds a batch of records, zlib-compressed and, when a key is
 * given, AES-256-GCM encrypted; every block carries a SHA-256 hash chained over all blocks
 * and segments before it. docs/forensics.md describes the format byte by byte.
 *
 * A record is (type, bytes, ts_ns). Types below TRACE_TYPE_AGENT_MIN are the kernel's ring
 * buffer records (enum dt_event_type, the data starting with struct dt_event_hdr); the agent
 * defines the others. This layer treats all of them as opaque bytes.
 */

#define TRACE_FORMAT_VERSION 1
#define TRACE_KEY_LEN 32
#define TRACE_HASH_LEN 32
#define TRACE_TYPE_AGENT_MIN 0x100
/* The largest record trace_write() takes. */
#define TRACE_MAX_RECORD (16u << 20)
/* total_max_bytes for no cap. */
#define TRACE_NO_CAP UINT64_MAX

/* Writer options; a zeroed struct means every default. */
struct trace_opts {
	uint64_t segment_max_bytes; /* 0: 64 MiB; a segment closes before it would pass this */
	uint32_t segment_max_age_s; /* 0: 3600; checked when a block is written or flushed */
	uint64_t total_max_bytes;   /* 0: 1 GiB; TRACE_NO_CAP: none; oldest segments go first */
	uint32_t block_max_bytes;   /* 0: 64 KiB of records before compression; at most 16 MiB */
	int compress_level;	    /* 0: 1 (fastest); else a zlib level 1..9 */
	const uint8_t *key;	    /* NULL: plaintext; else TRACE_KEY_LEN bytes, copied */
	const char *host;	    /* NULL: gethostname() */
	bool sync;		    /* fdatasync() at every trace_writer_flush() */
};

struct trace_writer_stats {
	uint64_t records;	  /* accepted by trace_write() */
	uint64_t blocks;	  /* data blocks written */
	uint64_t bytes_raw;	  /* record bytes before compression, headers included */
	uint64_t bytes_stored;	  /* bytes written to segment files, all headers included */
	uint64_t segments;	  /* segment files created by this writer */
	uint64_t pruned;	  /* segment files deleted to keep total_max_bytes */
	uint64_t dropped_records; /* lost to write errors (see trace_writer_error()) */
	uint64_t write_errors;
};

struct trace_writer;

/*
 * Opens a writer on directory @dir: creates it 0700 if missing (an existing one is made
 * 0700; a symlink or another user's is refused, see outfile.h), locks it against a second
 * writer (-EBUSY), and starts a new segment numbered after
 * the highest one there, continuing the hash chain from it (also when that segment was left
 * unclosed by a crash). Returns 0 and *@out, or -errno with a message in @err.
 */
int trace_writer_open(const char *dir, const struct trace_opts *o, struct trace_writer **out,
		      struct errbuf *err);

/*
 * Appends one record. Records are batched in memory; a block is compressed and written when
 * block_max_bytes is reached, so most calls make no system call. Returns 0; -EINVAL, -E2BIG
 * (over TRACE_MAX_RECORD) or -ENOMEM when this record was not taken; or another -errno when
 * this record was taken but the block written on the way failed: that block's records are
 * lost and counted in dropped_records, the message is in trace_writer_error(), and the writer
 * goes on (the segment is cut back to its last whole block, so the chain stays sound).
 */
int trace_write(struct trace_writer *w, uint16_t type, const void *data, uint32_t len,
		uint64_t ts_ns);

/* Writes the pending block if any, rotates an over-age segment; the agent calls it every second or
 * so. */
int trace_writer_flush(struct trace_writer *w);

/* Flushes, writes the segment's trailer, syncs and frees. Returns 0 or the first -errno. NULL is a
 * no-op. */
int trace_writer_close(struct trace_writer *w);

/* The chain head after the last block written and the current segment's number, to anchor off-node.
 */
void trace_writer_head(const struct trace_writer *w, uint32_t *seq, uint8_t head[TRACE_HASH_LEN]);
void trace_writer_stats(const struct trace_writer *w, struct trace_writer_stats *st);
/* The message of the last failed write ("" when none). */
const char *trace_writer_error(const struct trace_writer *w);

/*
 * Reads a 32-byte key from @path: either 32 raw bytes or 64 hex digits (whitespace around
 * them allowed). Refuses a file that is not a regular file, that group or others may access
 * in any way (mode & 077), or that belongs to another user than the caller or root.
 */
int trace_key_load(const char *path, uint8_t key[TRACE_KEY_LEN], struct errbuf *err);

/* One problem found while reading or verifying. */
struct trace_issue {
	char segment[64]; /* segment file name (no directory) */
	int64_t block;	  /* block index in that segment; -1: the segment itself */
	bool skipped;	  /* its records were not delivered */
	char reason[192];
};

/* What a segment's header says; the reader keeps one for the segment of the last record. */
struct trace_segment_info {
	char name[64];
	uint32_t seq;
	uint32_t genesis_seq; /* the first segment of this chain */
	bool encrypted;
	uint64_t created_realtime_ns;  /* CLOCK_REALTIME when it was created */
	uint64_t created_monotonic_ns; /* CLOCK_MONOTONIC then: maps record ts_ns to wall time */
	uint8_t boot_id[16]; /* /proc/sys/kernel/random/boot_id: the monotonic clock's boot */
	char host[76];
};

struct trace_reader;

enum trace_open_flags {
	/* Skip blocks that fail their checks (and deliver moved ones) instead of stopping; see
	   trace_reader_issues(). */
	TRACE_OPEN_FORCE = 1,
};

/*
 * Opens a trace: a directory of segments, or one segment file. @key is TRACE_KEY_LEN bytes or
 * NULL. Fails with -ENOKEY when the first segment is encrypted and no key is given, and with
 * -EKEYREJECTED ("decryption failed (wrong key?)") when it was encrypted with another key.
 */
int trace_open(const char *path, const uint8_t *key, struct trace_reader **out, struct errbuf *err);
int trace_open_flags(const char *path, const uint8_t *key, unsigned int flags,
		     struct trace_reader **out, struct errbuf *err);

/*
 * The next record, in write order across segments. Returns 1 with *@data valid until the
 * next call (8-byte aligned), 0 at the end, or -EBADMSG at the first integrity problem (not
 * with TRACE_OPEN_FORCE: then problems are collected and reading goes on), -ENOMEM, -EIO ...;
 * the message is in trace_reader_error(). Only records of blocks that passed every check are
 * delivered, except with TRACE_OPEN_FORCE for blocks whose only fault is their place in the
 * chain (moved or re-chained blocks), which are delivered and reported.
 */
int trace_next(struct trace_reader *r, uint16_t *type, const void **data, uint32_t *len,
	       uint64_t *ts_ns);
const char *trace_reader_error(const struct trace_reader *r);
/* Problems found so far (with TRACE_OPEN_FORCE: all of them, once trace_next() returned 0). */
size_t trace_reader_issues(const struct trace_reader *r, const struct trace_issue **issues);
/* The segment and block index of the last record returned. */
const struct trace_segment_info *trace_reader_segment(const struct trace_reader *r,
						      uint32_t *block);
void trace_close(struct trace_reader *r);

struct trace_verify_report {
	bool ok;	   /* no issue */
	bool live;	   /* a writer holds the directory: the last segment may be unfinished */
	bool encrypted;	   /* some segment is encrypted */
	bool keyless;	   /* encrypted blocks checked without a key: chain only, no records */
	uint32_t segments; /* segment files examined */
	uint64_t blocks;   /* data blocks that passed every check made */
	uint64_t records;  /* records in them (from the trailers where keyless) */
	uint64_t issues;   /* problems found (the first is described below) */
	uint32_t first_seq, last_seq;
	uint32_t pruned;	      /* segments of the chain before the first one present */
	uint8_t head[TRACE_HASH_LEN]; /* the chain head at the end, to compare with an anchor */
	/* the first issue: segment file name ("" when ok), block index (-1: the segment itself) */
	char bad_segment[64];
	int64_t bad_block;
	char reason[256]; /* "crc mismatch", "chain mismatch", "missing segment 3", ... */
	char note[512];	  /* not problems: "starts after 2 pruned segments; ..." */
};

/*
 * Checks the whole trace at @path (directory or segment file): headers, the order and
 * continuity of segments, every block's CRC and chain hash, trailers, and with @key the
 * decryption, decompression and record framing. Returns 0 when ok, -EBADMSG when not (the
 * first problem in @rep), another -errno when it could not look (message in rep->reason).
 */
int trace_verify(const char *path, const uint8_t *key, struct trace_verify_report *rep);

#endif /* DT_TRACE_H */
