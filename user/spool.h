/* SPDX-License-Identifier: GPL-2.0 */
/* spool.h - a bounded on-disk write-ahead spool of records waiting for delivery. */
#ifndef DT_SPOOL_H
#define DT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/*
 * Records go to segment files DIR/spool-%08u.log (dir 0700, files 0600), each record
 *   [u32 magic "DTSP"][u32 stored_len][u32 raw_len][u32 crc][u8 stream][u8 flags][u16 pad]
 *   [stored_len bytes]
 * little-endian. spool_append() stores the payload raw (flags 0): deflating short records
 * one by one cost more CPU than all the rest of delivery, for 1.9:1, and librdkafka
 * compresses whole batches on the wire anyway. Records with SPOOL_F_ZLIB, which earlier
 * versions wrote, hold zlib-compressed bytes and are still read back. crc is the CRC-32 of
 * the stored bytes continued over the 8 header bytes raw_len, stream, flags and pad, so
 * that a flipped bit in the header is caught as well as one in the payload.
 *
 * A record's id is (segment number << 32 | byte offset), so ids grow with every append and
 * stay the same across restarts. DIR/ack holds the id of the first record not yet delivered
 * (written to a temporary file and renamed, so it is always whole). Segments before it are
 * deleted. One process at a time: DIR/lock is held with flock() while the spool is open.
 *
 * Durability: spool_append() write()s the record before it returns, so it survives the
 * agent's SIGKILL; spool_sync() also fsync()s for a power loss. Acks are persisted at most
 * every SPOOL_ACK_PERSIST_MS and at spool_commit()/spool_sync()/spool_close(): after a crash
 * the records delivered in the last such interval are delivered again (at-least-once).
 *
 * Not thread-safe: the caller serialises all calls.
 */

enum spool_stream {
	SPOOL_FINDINGS = 1,
	SPOOL_EVENTS = 2,
};

#define SPOOL_F_ZLIB 1
#define SPOOL_HDR_SIZE 20
/* Larger payloads are refused with -EMSGSIZE (Kafka's own default limit is 1 MB). */
#define SPOOL_MAX_RECORD (16u << 20)
#define SPOOL_ACK_PERSIST_MS 100

struct spool_stats {
	uint64_t bytes;        /* on disk, all live segments (an acked record stays until its
				* segment is deleted) */
	uint64_t max_bytes;    /* the bound given to spool_open() */
	uint64_t records;      /* not yet acked */
	uint64_t events_bytes; /* on disk, of events records not yet acked */
	uint64_t dropped_events;
	uint64_t dropped_findings;
	uint64_t corrupt_records; /* found on open or read back, reported and skipped */
	uint64_t write_errors;    /* appends that failed in write(): counted as dropped too */
};

/*
 * Called for each record read back; @data (the spool's buffer, NUL-terminated) holds @len
 * payload bytes until the callback returns. The callback may call spool_ack() and
 * spool_append(). Returning non-zero stops the walk, and spool_replay*() returns that value.
 */
typedef int (*spool_cb)(void *ctx, uint64_t id, enum spool_stream stream, const void *data,
			size_t len);

struct spool;

/*
 * Opens (creating, mode 0700, parents too; a symlink or another user's directory is refused,
 * see outfile.h) the spool in @dir, bounded to @max_bytes on disk, and indexes
 * the records that an earlier run left un-acked. A corrupt record found here is reported on
 * stderr and kept in spool_last_error(), e.g.
 *   spool '/var/lib/datatrail/spool/spool-00000003.log': record at offset 4096: checksum mismatch
 * counted and skipped (the reader resyncs on the next valid record); it does not fail the
 * open. Returns 0 and the spool in *@out, which the caller owns and ends with spool_close(),
 * or -errno with a message in @err and *@out untouched: -EBUSY when another process has it
 * open, -EACCES, -ENOTDIR ...
 */
int spool_open(const char *dir, uint64_t max_bytes, struct spool **out, struct errbuf *err);

/*
 * Writes one record and returns its id in *@id. Events may fill at most half of max_bytes,
 * findings all of it: a record that does not fit is dropped, counted in dropped_events or
 * dropped_findings, and -ENOSPC returned. -EMSGSIZE for a payload over SPOOL_MAX_RECORD,
 * -EINVAL for a bad stream, -errno from write() (also counted as dropped): never silent.
 */
int spool_append(struct spool *sp, enum spool_stream stream, const void *data, size_t len,
		 uint64_t *id);

/*
 * Marks record @id delivered. Acks may come in any order; the persisted position moves over
 * the contiguous prefix of acked records, and segments wholly before it are deleted.
 * -ENOENT for an id that is not pending (unknown or already acked).
 */
int spool_ack(struct spool *sp, uint64_t id);

/*
 * Calls @cb on every un-acked record in id order. A record that fails to read back
 * (checksum, zlib) is reported, counted as corrupt, dropped from the spool and skipped.
 * Returns 0 at the end, the callback's non-zero value, or -errno when a segment cannot be
 * read (-EIO ...; the walk stops there and the record stays pending).
 */
int spool_replay(struct spool *sp, spool_cb cb, void *ctx);

/* Same as spool_replay() from the first un-acked record with id >= @from_id. */
int spool_replay_from(struct spool *sp, uint64_t from_id, spool_cb cb, void *ctx);

/* Id of the oldest un-acked record, or UINT64_MAX when none is pending. */
uint64_t spool_first_pending(const struct spool *sp);

/* Persists the ack position if it moved since the last time (no fsync). */
int spool_commit(struct spool *sp);

/* spool_commit(), then fsync() of the segment being written, the ack file and the dir. */
int spool_sync(struct spool *sp);

void spool_get_stats(const struct spool *sp, struct spool_stats *st);

/* The last corruption or I/O problem seen, "" if none. */
const char *spool_last_error(const struct spool *sp);

/* The directory it was opened on. */
const char *spool_dir(const struct spool *sp);

/* Persists the ack position and closes; un-acked records stay for the next spool_open(). */
void spool_close(struct spool *sp);

#endif /* DT_SPOOL_H */
