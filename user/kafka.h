/* SPDX-License-Identifier: GPL-2.0 */
/* kafka.h - the Kafka sink: findings and events to a broker, through the on-disk spool. */
#ifndef DT_KAFKA_H
#define DT_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "errbuf.h"
#include "spool.h"

/*
 * Every record is first written to the spool (write-ahead), then handed to librdkafka with
 * its spool id as the message opaque; the broker's acknowledgement (acks=all, idempotent
 * producer) acks it in the spool. A record whose delivery fails (broker down past
 * message.timeout.ms, TLS or auth errors, a fatal producer error ...) stays in the spool,
 * and all un-acked records are sent again in id order once every outstanding delivery
 * report is in, after a back-off (1 s doubling to 30 s, reset by a delivery). Records left
 * by an earlier run (crash, SIGKILL, close with the broker away) are sent first at open.
 * Delivery is at-least-once: a record may arrive twice (consumers dedupe, docs/siem.md).
 *
 * The message key is the host id (kafka.host_id, else /etc/machine-id, else the host name),
 * so that one host's records stay in order on one partition. The value is the JSON record
 * without its trailing newline.
 *
 * librdkafka errors are logged on stderr once per distinct error (again after 10 minutes if
 * it goes on, and from scratch after deliveries recover), e.g.
 *   datatrail: kafka '127.0.0.1:9093': ssl handshake failed: ...
 * and the latest is kept in kafka_stats.last_error. Nothing here exits or aborts.
 *
 * Threads: all calls from one thread. librdkafka's callbacks run inside kafka_sink_poll()
 * and kafka_sink_close() on that thread.
 */

/* message.timeout.ms unless kafka.properties sets it: how long librdkafka retries a record
 * before it comes back to the spool for a later resend. */
#define KAFKA_MESSAGE_TIMEOUT_MS 30000
/* Records handed to librdkafka and not yet reported on; the rest waits in the spool. */
#define KAFKA_MAX_IN_FLIGHT 50000

struct kafka_stats {
	uint64_t produced;	   /* handed to librdkafka, resends included */
	uint64_t delivered;	   /* acknowledged by the broker */
	uint64_t spooled;	   /* in the spool, not yet delivered */
	uint64_t spool_bytes;	   /* the spool's size on disk */
	uint64_t dropped_events;   /* refused by the spool (full, events over half) or too large */
	uint64_t dropped_findings; /* refused by the spool (full) or too large for the broker */
	uint64_t taken_events;	   /* taken by the spool */
	uint64_t taken_findings;
	uint64_t delivery_errors;  /* failed delivery reports; those records stay spooled */
	uint64_t corrupt_records;  /* found in the spool, reported and skipped */
	uint64_t spool_write_errors; /* appends the spool could not write (in the drops too) */
	char last_error[512];	   /* "" until something fails */
};

struct kafka_sink;

/*
 * Opens the spool (@spool_dir, or cfg->kafka.spool.dir when NULL) and the producer, and
 * starts sending what an earlier run left in the spool. The sink keeps its own copy of what
 * it needs from @cfg, which the caller may free right after. Returns 0 and the sink in *@out,
 * which the caller owns and ends with kafka_sink_close(), or -errno with a message in @err:
 * -EINVAL for kafka not enabled or a property librdkafka refuses (naming the field), spool
 * errors from spool_open(). A broker that cannot be reached is not an error here: records
 * spool until it can.
 */
int kafka_sink_open(const struct config *cfg, const char *spool_dir, struct kafka_sink **out,
		    struct errbuf *err);

/*
 * The key and the one header a record goes out with when the sink carries something else
 * than OCSF (fleet advisories: keyed by destination, signed): computed from the record's
 * bytes on every send, resends from the spool included.
 */
struct kafka_frame {
	char key[64];
	size_t key_len;
	const char *header; /* its name */
	char value[80];
	size_t value_len;
};

/* Fills @fr for the record @data; non-zero: the record can never be sent, dropped (counted). */
typedef int (*kafka_frame_fn)(void *ctx, const char *data, size_t len, struct kafka_frame *fr);

/*
 * kafka_sink_open() whose findings stream goes out framed by @frame (called with @ctx),
 * instead of keyed by the host and with the OCSF headers.
 */
int kafka_sink_open_framed(const struct config *cfg, const char *spool_dir, kafka_frame_fn frame,
			   void *ctx, struct kafka_sink **out, struct errbuf *err);

/*
 * Queues one JSON record (a trailing newline is dropped) for @stream's topic: spooled first,
 * then produced if nothing older waits. Events are ignored (0) unless kafka.send_events.
 * Returns 0 once spooled, -ENOSPC when the spool dropped it (counted), -EMSGSIZE, -EIO ...
 */
int kafka_sink_produce(struct kafka_sink *ks, enum spool_stream stream, const char *json,
		       size_t len);

/*
 * Serves delivery reports and errors for up to @timeout_ms, resends what failed when due,
 * restarts a producer that hit a fatal error, persists the spool's ack position. Call it
 * often (every flush_ms at the latest). Returns 0.
 */
int kafka_sink_poll(struct kafka_sink *ks, int timeout_ms);

/*
 * Re-reads kafka.secret_files (SIGHUP). When a value changed, a new producer takes over
 * (the old one's in-flight records are resent). On failure the running producer keeps its
 * old credentials and -errno comes back with the message in @err.
 */
int kafka_sink_reload_secrets(struct kafka_sink *ks, struct errbuf *err);

void kafka_sink_stats(const struct kafka_sink *ks, struct kafka_stats *st);

struct rd_kafka_s;
/*
 * The current librdkafka producer handle, for tests that inject faults (e.g.
 * rd_kafka_test_fatal_error()). The sink owns it and may replace it at any poll: never
 * destroy, reconfigure or keep it.
 */
struct rd_kafka_s *kafka_sink_rdkafka(struct kafka_sink *ks);

/*
 * Sends for up to @timeout_ms what it can, then stops the producer; what was not delivered
 * stays in the spool (synced to disk) for the next open. NULL is fine.
 */
void kafka_sink_close(struct kafka_sink *ks, int timeout_ms);

#endif /* DT_KAFKA_H */
