// SPDX-License-Identifier: GPL-2.0
/* kafka.c - the Kafka sink over librdkafka, with the spool as write-ahead log; see kafka.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "base.h"
#include "identity.h"
#include "kafka.h"
#include "log.h"

_Static_assert(sizeof(void *) >= sizeof(uint64_t), "spool ids travel in the message opaque");

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
/* Distinct errors remembered for the once-only logging; older ones may be logged again. */
#define SEEN_ERRORS 32
/* A distinct error that goes on is printed again after this long, so recent logs show it. */
#define ERROR_REPEAT_NS (600ull * 1000000000ull)
#define HOST_ID_MAX 255

struct kafka_sink {
	struct config_kafka kc; /* own copy: props, secret files and their current values */
	char *cfg_file;		/* for messages */
	char *host_id;
	const char *compression;
	bool debug; /* the user asked librdkafka for debug logs: let them through */

	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt[SPOOL_EVENTS + 1]; /* by enum spool_stream */
	struct spool *sp;

	/*
	 * Every un-acked record with an id below cursor is in librdkafka's hands; the pump
	 * hands over the rest in id order. caught_up: none is waiting at or past cursor, so a
	 * new record may go straight from memory. rewind: a delivery failed; once in_flight is
	 * 0, cursor goes back to the oldest un-acked record and everything is sent again.
	 */
	uint64_t cursor;
	uint64_t in_flight;
	bool caught_up;
	bool rewind;
	bool rebuild; /* fatal producer error: replace the producer at the next poll */
	uint64_t retry_at_ns;
	uint32_t backoff_ms;

	struct {
		uint64_t key;
		uint64_t printed_ns;
	} seen[SEEN_ERRORS];
	unsigned int n_seen;
	uint64_t failed_deliveries; /* since the last delivery */

	struct kafka_stats st;
	uint64_t dropped_too_large[SPOOL_EVENTS + 1];
	kafka_frame_fn frame; /* NULL: OCSF records, keyed by host_id */
	void *frame_ctx;
};

static const char *stream_name(int stream)
{
	return stream == SPOOL_EVENTS ? "events" : "findings";
}

/* FNV-1a over the message with digits left out, so "after 3ms" and "after 5ms" are one. */
static uint64_t error_key(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		if (isdigit((unsigned char)*s))
			continue;
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/*
 * Keeps @msg as last_error and prints it unless the same error (digits aside) was printed in
 * the last ERROR_REPEAT_NS: a broker that is down for an hour yields a line every 10 minutes,
 * not one per reconnect attempt. Recovery (see note_ok()) forgets them all.
 */
static void note_error(struct kafka_sink *ks, const char *msg)
{
	uint64_t key = error_key(msg), now = mono_ns();
	unsigned int i, n = ks->n_seen < SEEN_ERRORS ? ks->n_seen : SEEN_ERRORS;

	snprintf(ks->st.last_error, sizeof(ks->st.last_error), "%s", msg);
	for (i = 0; i < n; i++) {
		if (ks->seen[i].key != key)
			continue;
		if (now - ks->seen[i].printed_ns < ERROR_REPEAT_NS)
			return;
		break;
	}
	if (i == n)
		i = ks->n_seen++ % SEEN_ERRORS;
	ks->seen[i].key = key;
	ks->seen[i].printed_ns = now;
	dt_log("datatrail: %s\n", msg);
}

static void __attribute__((format(printf, 2, 3))) note_errorf(struct kafka_sink *ks,
							       const char *fmt, ...)
{
	char msg[sizeof(ks->st.last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	note_error(ks, msg);
}

/*
 * A delivery succeeded. After failed ones that is a recovery: said once, and the errors seen
 * are forgotten, so that the next outage is reported from its first line.
 */
static void note_ok(struct kafka_sink *ks)
{
	ks->backoff_ms = BACKOFF_MIN_MS;
	if (!ks->failed_deliveries)
		return;
	dt_log("datatrail: kafka: delivering again after %" PRIu64 " failed deliveries\n",
	       ks->failed_deliveries);
	ks->failed_deliveries = 0;
	ks->n_seen = 0;
}

/*
 * librdkafka's reasons read "ssl://127.0.0.1:9093/bootstrap: SSL handshake failed: ...
 * (after 3ms in state SSL_HANDSHAKE)". This makes them "kafka '127.0.0.1:9093': ssl
 * handshake failed: ...": the broker as subject, the first word lower-case, no timing.
 */
static void format_reason(const struct kafka_sink *ks, const char *reason, char *out,
			  size_t size)
{
	const char *bootstrap = config_kafka_prop(&ks->kc, "bootstrap.servers"), *subject;
	char host[256] = "", msg[1024], *p;
	const char *r = reason, *colon, *slash, *sp;

	/* with no broker in the reason: the bootstrap list, "ssl://" and the like dropped */
	subject = bootstrap ? bootstrap : "?";
	if (bootstrap) {
		size_t n = 0;
		const char *b;

		for (b = bootstrap; *b && n < sizeof(host) - 1; b++) {
			if (b[0] == ':' && b[1] == '/' && b[2] == '/') {
				/* back to the entry's start: what was copied was the scheme */
				while (n && host[n - 1] != ',')
					n--;
				b += 2;
				continue;
			}
			host[n++] = *b;
		}
		host[n] = '\0';
		subject = host;
	}

	/* "[proto://]host:port/name: message" names the broker */
	colon = strstr(r, ": ");
	sp = strchr(r, ' ');
	if (colon && (!sp || sp > colon)) {
		const char *start = strstr(r, "://");

		start = start && start < colon ? start + 3 : r;
		slash = memchr(start, '/', colon - start);
		if (slash && (size_t)(slash - start) < sizeof(host)) {
			/* the broker the reason names, in place of the bootstrap list */
			memcpy(host, start, slash - start);
			host[slash - start] = '\0';
			subject = host;
			r = colon + 2;
		}
	}
	snprintf(msg, sizeof(msg), "%s", r);
	p = strstr(msg, " (after ");
	if (p)
		*p = '\0';
	for (p = msg; *p && *p != ' ' && *p != ':'; p++)
		*p = tolower((unsigned char)*p);
	/* a reason longer than last_error is cut: the start says what failed */
	if (snprintf(out, size, "kafka '%s': %s", subject, msg) >= (int)size)
		out[size - 1] = '\0';
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_sink *ks = opaque;
	char msg[sizeof(ks->st.last_error)], fatal[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		note_errorf(ks, "kafka: fatal producer error: %s; starting a new producer", fatal);
		ks->rebuild = true;
		return;
	}
	format_reason(ks, reason, msg, sizeof(msg));
	note_error(ks, msg);
}

/* Drops librdkafka's own log lines (error_cb has the errors) unless "debug" was asked for. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	const struct kafka_sink *ks = rd_kafka_opaque(rk);

	if (ks && ks->debug)
		dt_log("datatrail: librdkafka %d %s: %s\n", level, fac, buf);
}

/* A record the broker will never take as it is; resending it would wedge the spool. */
static bool permanent_for_record(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
	       err == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

static int stream_of(const struct kafka_sink *ks, const rd_kafka_topic_t *rkt)
{
	return rkt == ks->rkt[SPOOL_EVENTS] ? SPOOL_EVENTS : SPOOL_FINDINGS;
}

static void drop_record(struct kafka_sink *ks, uint64_t id, int stream, rd_kafka_resp_err_t err)
{
	spool_ack(ks->sp, id);
	ks->dropped_too_large[stream]++;
	note_errorf(ks, "kafka topic '%s': %s record dropped: %s",
		    stream == SPOOL_EVENTS ? ks->kc.topic_events : ks->kc.topic_findings,
		    stream_name(stream), rd_kafka_err2str(err));
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *ks = opaque;
	uint64_t id = (uint64_t)(uintptr_t)m->_private;
	int stream = stream_of(ks, m->rkt);

	(void)rk;
	if (ks->in_flight)
		ks->in_flight--;
	if (!m->err) {
		/* -ENOENT: acked already, a duplicate from a resend; nothing to do */
		spool_ack(ks->sp, id);
		ks->st.delivered++;
		note_ok(ks);
		return;
	}
	if (permanent_for_record(m->err)) {
		drop_record(ks, id, stream, m->err);
		return;
	}
	ks->rewind = true;
	ks->caught_up = false;
	/* purged by us (close, new producer): not the broker's doing, resent all the same */
	if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
		return;
	ks->st.delivery_errors++;
	ks->failed_deliveries++;
	note_errorf(ks, "kafka topic '%s': delivery failed: %s; the record stays in the spool",
		    rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

/*
 * The text of the JSON value after the first @pat in the record (a number, or a string's
 * contents up to its closing quote) into @out; "" when absent. The encoders write the class,
 * severity, metadata.version and device.hostname before any free text, so the first match is
 * theirs (a quote inside a string is escaped: `\"class_uid\":` never matches).
 */
static size_t json_peek(const char *data, size_t len, const char *pat, char *out, size_t n)
{
	size_t plen = strlen(pat), i = 0;
	const char *p = memmem(data, len, pat, plen), *end = data + len;

	if (p)
		for (p += plen; p < end && i + 1 < n && *p != '"' && *p != ',' && *p != '}'; p++)
			out[i++] = *p;
	out[i] = 0;
	return i;
}

/*
 * Hands one record to librdkafka. 0: it took it; 1: it cannot take more now (queue full,
 * fatal state, some other refusal, noted) and the record stays for later.
 */
static int send_one(struct kafka_sink *ks, uint64_t id, int stream, const void *data, size_t len)
{
	char cls[16], sev[8], ver[16], node[256];
	struct kafka_frame fr;
	rd_kafka_resp_err_t err;
	size_t nlen;

	if (ks->frame) {
		if (ks->frame(ks->frame_ctx, data, len, &fr)) {
			drop_record(ks, id, stream, RD_KAFKA_RESP_ERR_INVALID_RECORD);
			ks->cursor = id + 1;
			return 0;
		}
		err = rd_kafka_producev(ks->rk, RD_KAFKA_V_RKT(ks->rkt[stream]),
					RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
					RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					RD_KAFKA_V_KEY(fr.key, fr.key_len),
					RD_KAFKA_V_VALUE((void *)data, len),
					RD_KAFKA_V_HEADER(fr.header, fr.value, fr.value_len),
					RD_KAFKA_V_OPAQUE((void *)(uintptr_t)id), RD_KAFKA_V_END);
		goto sent;
	}
	/* Headers, so that consumers route without parsing the JSON (docs/siem.md). */
	json_peek(data, len, "\"class_uid\":", cls, sizeof(cls));
	json_peek(data, len, "\"severity_id\":", sev, sizeof(sev));
	json_peek(data, len, "\"metadata\":{\"version\":\"", ver, sizeof(ver));
	nlen = json_peek(data, len, "\"device\":{\"hostname\":\"", node, sizeof(node));
	if (!nlen)
		nlen = snprintf(node, sizeof(node), "%s", ks->host_id);
	err = rd_kafka_producev(ks->rk, RD_KAFKA_V_RKT(ks->rkt[stream]),
				RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY(ks->host_id, strlen(ks->host_id)),
				RD_KAFKA_V_VALUE((void *)data, len),
				RD_KAFKA_V_HEADER("ocsf_class_uid", cls, strlen(cls)),
				RD_KAFKA_V_HEADER("ocsf_severity_id", sev, strlen(sev)),
				RD_KAFKA_V_HEADER("ocsf_version", ver, strlen(ver)),
				RD_KAFKA_V_HEADER("node", node, nlen),
				RD_KAFKA_V_OPAQUE((void *)(uintptr_t)id), RD_KAFKA_V_END);
sent:
	if (!err) {
		ks->in_flight++;
		ks->st.produced++;
		ks->cursor = id + 1;
		return 0;
	}
	if (permanent_for_record(err)) {
		drop_record(ks, id, stream, err);
		ks->cursor = id + 1;
		return 0;
	}
	ks->caught_up = false;
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		return 1;
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		ks->rebuild = true;
	note_errorf(ks, "kafka topic '%s': produce: %s; the record stays in the spool",
		    rd_kafka_topic_name(ks->rkt[stream]), rd_kafka_err2str(err));
	ks->retry_at_ns = mono_ns() + (uint64_t)ks->backoff_ms * 1000000ull;
	return 1;
}

static int pump_cb(void *ctx, uint64_t id, enum spool_stream stream, const void *data, size_t len)
{
	struct kafka_sink *ks = ctx;

	if (ks->in_flight >= KAFKA_MAX_IN_FLIGHT)
		return 1;
	return send_one(ks, id, stream, data, len);
}

static bool may_send(const struct kafka_sink *ks)
{
	return !ks->rewind && !ks->rebuild && mono_ns() >= ks->retry_at_ns;
}

/* Hands spooled records from cursor on to librdkafka, in order, as far as it takes them. */
static void pump(struct kafka_sink *ks)
{
	int ret;

	if (ks->caught_up || !may_send(ks))
		return;
	ret = spool_replay_from(ks->sp, ks->cursor, pump_cb, ks);
	if (ret < 0)
		note_errorf(ks, "spool '%s': read back: %s", spool_dir(ks->sp), strerror(-ret));
	else if (ret == 0)
		ks->caught_up = true;
}

/* After a failed delivery, once nothing is in flight: start over at the oldest un-acked. */
static void maybe_rewind(struct kafka_sink *ks)
{
	if (!ks->rewind || ks->in_flight)
		return;
	ks->rewind = false;
	ks->caught_up = false;
	ks->cursor = 0;
	ks->retry_at_ns = mono_ns() + (uint64_t)ks->backoff_ms * 1000000ull;
	ks->backoff_ms = ks->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ks->backoff_ms * 2;
}

static int conf_set(struct kafka_sink *ks, rd_kafka_conf_t *conf, const char *field,
		    const char *name, const char *value, bool secret, struct errbuf *err)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK)
		return 0;
	/* librdkafka quotes bad values back; a secret's must not reach a log */
	if (secret && strstr(errstr, value))
		snprintf(errstr, sizeof(errstr), "librdkafka refused the value");
	return errbuf_set(err, -EINVAL, "config '%s': field '%s': %s", ks->cfg_file, field,
			  errstr);
}

/* A producer configured from ks->kc: our defaults, then the file's properties and secrets. */
static int producer_new(struct kafka_sink *ks, rd_kafka_t **rk_out,
			rd_kafka_topic_t *rkt_out[SPOOL_EVENTS + 1], struct errbuf *err)
{
	char timeout[32], field[320], errstr[512];
	const struct config_kafka *kc = &ks->kc;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	size_t i;
	int ret;

	conf = rd_kafka_conf_new();
	if (!conf)
		return errbuf_set(err, -ENOMEM, "kafka: %s", strerror(ENOMEM));
	snprintf(timeout, sizeof(timeout), "%d", KAFKA_MESSAGE_TIMEOUT_MS);
	/* the durability settings the spool's acks rely on; the file may override any of them */
	ret = conf_set(ks, conf, "defaults", "enable.idempotence", "true", false, err);
	if (!ret)
		ret = conf_set(ks, conf, "defaults", "acks", "all", false, err);
	if (!ret)
		ret = conf_set(ks, conf, "defaults", "compression.type", ks->compression, false,
			       err);
	if (!ret)
		ret = conf_set(ks, conf, "defaults", "message.timeout.ms", timeout, false, err);
	if (!ret)
		ret = conf_set(ks, conf, "defaults", "linger.ms", "50", false, err);
	if (!ret)
		ret = conf_set(ks, conf, "defaults", "client.id", "datatrail", false, err);
	for (i = 0; !ret && i < kc->n_props; i++) {
		snprintf(field, sizeof(field), "kafka.properties.%s", kc->props[i].name);
		ret = conf_set(ks, conf, field, kc->props[i].name, kc->props[i].value, false, err);
	}
	for (i = 0; !ret && i < kc->n_secrets; i++) {
		snprintf(field, sizeof(field), "kafka.secret_files.%s", kc->secrets[i].name);
		ret = conf_set(ks, conf, field, kc->secrets[i].name,
			       kc->secrets[i].value ? kc->secrets[i].value : "", true, err);
	}
	if (ret)
		goto err_conf;
	rd_kafka_conf_set_opaque(conf, ks);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);

	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		ret = errbuf_set(err, -EINVAL, "config '%s': kafka: %s", ks->cfg_file, errstr);
		goto err_conf;
	}
	/* conf belongs to rk from here on */
	rkt_out[0] = NULL;
	rkt_out[SPOOL_FINDINGS] = rd_kafka_topic_new(rk, kc->topic_findings, NULL);
	rkt_out[SPOOL_EVENTS] = rd_kafka_topic_new(rk, kc->topic_events, NULL);
	if (!rkt_out[SPOOL_FINDINGS] || !rkt_out[SPOOL_EVENTS]) {
		ret = errbuf_set(err, -EINVAL, "kafka: topic: %s",
				 rd_kafka_err2str(rd_kafka_last_error()));
		goto err_rk;
	}
	*rk_out = rk;
	return 0;

err_rk:
	for (i = SPOOL_FINDINGS; i <= SPOOL_EVENTS; i++)
		if (rkt_out[i])
			rd_kafka_topic_destroy(rkt_out[i]);
	rd_kafka_destroy(rk);
	return ret;
err_conf:
	rd_kafka_conf_destroy(conf);
	return ret;
}

/*
 * Takes the records back from a producer that goes away: purged, their reports served
 * (which sets rewind), then destroyed. They stay in the spool for the next producer.
 */
static void producer_destroy(struct kafka_sink *ks)
{
	int i;

	if (!ks->rk)
		return;
	rd_kafka_purge(ks->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	/* purged reports come through the next polls; bounded in case one never does */
	for (i = 0; i < 50 && rd_kafka_outq_len(ks->rk) > 0; i++)
		rd_kafka_poll(ks->rk, 10);
	rd_kafka_poll(ks->rk, 0);
	for (i = SPOOL_FINDINGS; i <= SPOOL_EVENTS; i++)
		if (ks->rkt[i])
			rd_kafka_topic_destroy(ks->rkt[i]);
	rd_kafka_destroy(ks->rk);
	ks->rk = NULL;
	memset(ks->rkt, 0, sizeof(ks->rkt));
	/* whatever did not report back is resent: a duplicate at worst, never a loss */
	ks->in_flight = 0;
	ks->rewind = false;
	ks->caught_up = false;
	ks->cursor = 0;
}

/* A new producer in place of the running one; on failure the running one stays. */
static int producer_replace(struct kafka_sink *ks, struct errbuf *err)
{
	rd_kafka_topic_t *rkt[SPOOL_EVENTS + 1] = { 0 };
	rd_kafka_t *rk;
	int ret;

	ret = producer_new(ks, &rk, rkt, err);
	if (ret)
		return ret;
	producer_destroy(ks);
	ks->rk = rk;
	memcpy(ks->rkt, rkt, sizeof(rkt));
	ks->rebuild = false;
	ks->retry_at_ns = 0;
	return 0;
}

/* kafka.host_id, else /etc/machine-id, else the host name: stable across restarts. */
static int host_id_default(char **out)
{
	char buf[HOST_ID_MAX + 2] = "";

	id_machine_id(buf, sizeof(buf));
	if (!buf[0] && gethostname(buf, sizeof(buf) - 1))
		return -errno;
	buf[sizeof(buf) - 1] = '\0';
	if (!buf[0])
		return -ENOENT;
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/* zstd compresses JSON best; a librdkafka built without it gets lz4. */
static const char *pick_compression(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char features[512] = "";
	size_t size = sizeof(features);
	const char *c = "lz4";

	if (!conf)
		return c;
	if (rd_kafka_conf_get(conf, "builtin.features", features, &size) == RD_KAFKA_CONF_OK &&
	    strstr(features, "zstd"))
		c = "zstd";
	rd_kafka_conf_destroy(conf);
	return c;
}

int kafka_sink_open(const struct config *cfg, const char *spool_dir, struct kafka_sink **out,
		    struct errbuf *err)
{
	return kafka_sink_open_framed(cfg, spool_dir, NULL, NULL, out, err);
}

int kafka_sink_open_framed(const struct config *cfg, const char *spool_dir, kafka_frame_fn frame,
			   void *ctx, struct kafka_sink **out, struct errbuf *err)
{
	const char *debug;
	struct kafka_sink *ks;
	int ret;

	if (!cfg->kafka.enabled)
		return errbuf_set(err, -EINVAL, "config '%s': kafka is not enabled", cfg->file);
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return errbuf_set(err, -ENOMEM, "kafka: %s", strerror(ENOMEM));
	ks->backoff_ms = BACKOFF_MIN_MS;
	ks->frame = frame;
	ks->frame_ctx = ctx;
	ks->cfg_file = strdup(cfg->file ? cfg->file : "<memory>");
	if (!ks->cfg_file || config_kafka_copy(&ks->kc, &cfg->kafka)) {
		ret = errbuf_set(err, -ENOMEM, "kafka: %s", strerror(ENOMEM));
		goto err_free;
	}
	if (ks->kc.host_id) {
		ks->host_id = strdup(ks->kc.host_id);
		ret = ks->host_id ? 0 : -ENOMEM;
	} else {
		ret = host_id_default(&ks->host_id);
	}
	if (ret) {
		errbuf_set(err, ret, "kafka: host id: %s; set 'kafka.host_id'", strerror(-ret));
		goto err_free;
	}
	debug = config_kafka_prop(&ks->kc, "debug");
	ks->debug = debug && debug[0];
	ks->compression = pick_compression();

	ret = spool_open(spool_dir ? spool_dir : ks->kc.spool_dir, ks->kc.spool_max_bytes,
			 &ks->sp, err);
	if (ret)
		goto err_free;
	ret = producer_new(ks, &ks->rk, ks->rkt, err);
	if (ret)
		goto err_close_spool;
	/* what an earlier run left: sent first, in order, before anything new */
	pump(ks);
	*out = ks;
	return 0;

err_close_spool:
	spool_close(ks->sp);
err_free:
	config_kafka_release(&ks->kc);
	free(ks->host_id);
	free(ks->cfg_file);
	free(ks);
	return ret;
}

int kafka_sink_produce(struct kafka_sink *ks, enum spool_stream stream, const char *json,
		       size_t len)
{
	uint64_t id;
	int ret;

	if (stream == SPOOL_EVENTS && !ks->kc.send_events)
		return 0;
	if (len && json[len - 1] == '\n')
		len--;
	ret = spool_append(ks->sp, stream, json, len, &id);
	if (ret) {
		note_errorf(ks, "spool '%s': %s record dropped: %s", spool_dir(ks->sp),
			    stream_name(stream), strerror(-ret));
		return ret;
	}
	if (stream == SPOOL_EVENTS)
		ks->st.taken_events++;
	else
		ks->st.taken_findings++;
	/* nothing older waits: straight from memory, no read back from the spool */
	if (ks->caught_up && may_send(ks) && ks->in_flight < KAFKA_MAX_IN_FLIGHT)
		send_one(ks, id, stream, json, len);
	else
		ks->caught_up = false;
	return 0;
}

int kafka_sink_poll(struct kafka_sink *ks, int timeout_ms)
{
	struct errbuf eb;

	if (ks->rebuild && producer_replace(ks, &eb))
		note_error(ks, eb.msg);
	maybe_rewind(ks);
	pump(ks);
	rd_kafka_poll(ks->rk, timeout_ms);
	maybe_rewind(ks);
	pump(ks);
	spool_commit(ks->sp);
	return 0;
}

int kafka_sink_reload_secrets(struct kafka_sink *ks, struct errbuf *err)
{
	bool changed;
	int ret;

	ret = config_secrets_read(&ks->kc, &changed, err);
	if (ret || !changed)
		return ret;
	return producer_replace(ks, err);
}

void kafka_sink_stats(const struct kafka_sink *ks, struct kafka_stats *st)
{
	struct spool_stats ss;

	spool_get_stats(ks->sp, &ss);
	*st = ks->st;
	st->spooled = ss.records;
	st->spool_bytes = ss.bytes;
	st->dropped_events = ss.dropped_events + ks->dropped_too_large[SPOOL_EVENTS];
	st->dropped_findings = ss.dropped_findings + ks->dropped_too_large[SPOOL_FINDINGS];
	st->corrupt_records = ss.corrupt_records;
	st->spool_write_errors = ss.write_errors;
}

struct rd_kafka_s *kafka_sink_rdkafka(struct kafka_sink *ks)
{
	return ks->rk;
}

void kafka_sink_close(struct kafka_sink *ks, int timeout_ms)
{
	uint64_t deadline;
	int64_t left;

	if (!ks)
		return;
	deadline = mono_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
	for (;;) {
		if (ks->rebuild)
			break;
		pump(ks);
		/* all delivered, or what is out failed: the rest waits for the next run */
		if (!ks->in_flight && (ks->caught_up || ks->rewind))
			break;
		left = (int64_t)(deadline - mono_ns()) / 1000000;
		if ((int64_t)(deadline - mono_ns()) <= 0)
			break;
		rd_kafka_poll(ks->rk, left > 100 ? 100 : (int)left + 1);
	}
	producer_destroy(ks);
	spool_sync(ks->sp);
	spool_close(ks->sp);
	config_kafka_release(&ks->kc);
	free(ks->host_id);
	free(ks->cfg_file);
	free(ks);
}
