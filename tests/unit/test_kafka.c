// SPDX-License-Identifier: GPL-2.0
/* test_kafka.c - the Kafka sink against librdkafka's mock cluster: delivery, outages, restarts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "config.h"
#include "kafka.h"
#include "ocsf.h"
#include "spool.h"
#include "test.h"
#include "tmpdir.h"

#define TOPIC_F "dt.findings"
#define TOPIC_E "dt.events"
#define MAXMSG 64

/* A fresh one-broker mock cluster and a spool directory for each test. */
struct fx {
	char dir[64];
	char spool[128];
	rd_kafka_t *rk; /* the mock cluster's keeper; it produces nothing */
	rd_kafka_mock_cluster_t *mc;
	const char *bootstrap;
};

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

static bool fx_init(struct fx *f)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256];

	memset(f, 0, sizeof(*f));
	if (!ASSERT_TRUE(tmpdir_make(f->dir, sizeof(f->dir), "kafka"), "mkdtemp"))
		return false;
	snprintf(f->spool, sizeof(f->spool), "%s/spool", f->dir);
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	f->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!ASSERT_TRUE(f->rk != NULL, errstr))
		return false;
	f->mc = rd_kafka_mock_cluster_new(f->rk, 1);
	if (!ASSERT_TRUE(f->mc != NULL, "mock cluster"))
		return false;
	f->bootstrap = rd_kafka_mock_cluster_bootstraps(f->mc);
	rd_kafka_mock_topic_create(f->mc, TOPIC_F, 1, 1);
	rd_kafka_mock_topic_create(f->mc, TOPIC_E, 1, 1);
	return true;
}

static void fx_fini(struct fx *f)
{
	if (f->mc)
		rd_kafka_mock_cluster_destroy(f->mc);
	if (f->rk)
		rd_kafka_destroy(f->rk);
	tmpdir_remove(f->dir);
}

/* A config for the fixture's cluster; @extra_props and @extra are spliced into the JSON. */
static struct config *make_config(const struct fx *f, const char *bootstrap,
				  const char *extra_props, const char *extra)
{
	struct config *cfg = NULL;
	struct errbuf eb = { "" };
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"kafka\": {\"properties\": {\"bootstrap.servers\": \"%s\"%s},"
		 " \"topics\": {\"findings\": \"" TOPIC_F "\", \"events\": \"" TOPIC_E "\"},"
		 " \"host_id\": \"test-host\", \"spool\": {\"dir\": \"%s\"}%s}}",
		 bootstrap ? bootstrap : f->bootstrap, extra_props ? extra_props : "", f->spool,
		 extra ? extra : "");
	ASSERT_OK(config_parse(text, strlen(text), "k.json", &cfg, &eb), eb.msg);
	return cfg;
}

static struct kafka_sink *open_sink(const struct config *cfg)
{
	struct kafka_sink *ks = NULL;
	struct errbuf eb = { "" };

	if (!cfg)
		return NULL;
	ASSERT_OK(kafka_sink_open(cfg, NULL, &ks, &eb), eb.msg);
	return ks;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Polls until nothing is spooled or @ms pass; returns whether it drained. */
static bool poll_drained(struct kafka_sink *ks, int ms)
{
	uint64_t end = now_ms() + ms;
	struct kafka_stats st;

	do {
		kafka_sink_poll(ks, 50);
		kafka_sink_stats(ks, &st);
		if (!st.spooled)
			return true;
	} while (now_ms() < end);
	return false;
}

static void poll_for(struct kafka_sink *ks, int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		kafka_sink_poll(ks, 50);
}

struct msgs {
	int n;
	char key[MAXMSG][64];
	char val[MAXMSG][256];
	char hdr[MAXMSG][192]; /* "class|severity|version|node" from the message headers */
};

/* The value of header @name of @m as a string; "" when missing. */
static void header(rd_kafka_message_t *m, const char *name, char *out, size_t n)
{
	rd_kafka_headers_t *h = NULL;
	const void *v;
	size_t len;

	out[0] = 0;
	if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &len))
		return;
	snprintf(out, n, "%.*s", (int)len, (const char *)v);
}

/* Reads @topic from the beginning until @want messages came or @ms passed. */
static void consume(const struct fx *f, const char *topic, int want, int ms, struct msgs *out)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_t *rkt;
	rd_kafka_message_t *m;
	char errstr[256];
	uint64_t end = now_ms() + ms;
	rd_kafka_t *rk;

	memset(out, 0, sizeof(*out));
	rd_kafka_conf_set(conf, "bootstrap.servers", f->bootstrap, errstr, sizeof(errstr));
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!ASSERT_TRUE(rk != NULL, errstr))
		return;
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_BEGINNING);
	while (out->n < want && now_ms() < end) {
		m = rd_kafka_consume(rkt, 0, 100);
		if (!m)
			continue;
		if (!m->err && out->n < MAXMSG) {
			snprintf(out->key[out->n], sizeof(out->key[0]), "%.*s", (int)m->key_len,
				 (const char *)m->key);
			char c[16], sv[16], v[16], node[128];

			snprintf(out->val[out->n], sizeof(out->val[0]), "%.*s", (int)m->len,
				 (const char *)m->payload);
			header(m, "ocsf_class_uid", c, sizeof(c));
			header(m, "ocsf_severity_id", sv, sizeof(sv));
			header(m, "ocsf_version", v, sizeof(v));
			header(m, "node", node, sizeof(node));
			snprintf(out->hdr[out->n], sizeof(out->hdr[0]), "%s|%s|%s|%s", c, sv, v, node);
			out->n++;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consume_stop(rkt, 0);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
}

static int produce_str(struct kafka_sink *ks, enum spool_stream s, const char *fmt, int i)
{
	char buf[128];
	int len = snprintf(buf, sizeof(buf), fmt, i);

	return kafka_sink_produce(ks, s, buf, len);
}

static void test_delivered_and_acked(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct kafka_stats st;
	struct msgs m;
	struct fx f;
	char want[64];
	int i;

	if (!fx_init(&f))
		goto out;
	cfg = make_config(&f, NULL, NULL, ", \"send_events\": true");
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	for (i = 0; i < 5; i++)
		ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"finding\":%d}\n", i), "finding");
	for (i = 0; i < 3; i++)
		ASSERT_OK(produce_str(ks, SPOOL_EVENTS, "{\"event\":%d}\n", i), "event");
	kafka_sink_stats(ks, &st);
	ASSERT_EQ(st.spooled, 8, "spooled first");
	ASSERT_TRUE(poll_drained(ks, 10000), "spool drains");
	kafka_sink_stats(ks, &st);
	ASSERT_EQ(st.delivered, 8, "delivered");
	ASSERT_EQ(st.produced, 8, "produced once each");
	ASSERT_EQ(st.delivery_errors, 0, "no errors");
	ASSERT_EQ(st.spool_bytes, 0, "spool files gone");
	ASSERT_STREQ(st.last_error, "", "no error");

	consume(&f, TOPIC_F, 5, 5000, &m);
	ASSERT_EQ(m.n, 5, "findings on their topic");
	for (i = 0; i < m.n; i++) {
		snprintf(want, sizeof(want), "{\"finding\":%d}", i);
		ASSERT_STREQ(m.val[i], want, "payload in order, newline dropped");
		ASSERT_STREQ(m.key[i], "test-host", "key is the host id");
	}
	consume(&f, TOPIC_E, 3, 5000, &m);
	ASSERT_EQ(m.n, 3, "events on theirs");
	ASSERT_STREQ(m.val[2], "{\"event\":2}", "last event");
out:
	kafka_sink_close(ks, 1000);
	config_free(cfg);
	fx_fini(&f);
}

static void test_events_only_when_asked(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct kafka_stats st;
	struct fx f;

	if (!fx_init(&f))
		goto out;
	cfg = make_config(&f, NULL, NULL, NULL);
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	ASSERT_OK(produce_str(ks, SPOOL_EVENTS, "{\"event\":%d}", 1), "ignored, not an error");
	kafka_sink_stats(ks, &st);
	ASSERT_EQ(st.spooled, 0, "not spooled");
	ASSERT_EQ(st.produced, 0, "not produced");
out:
	kafka_sink_close(ks, 1000);
	config_free(cfg);
	fx_fini(&f);
}

static void test_broker_down_then_up(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct kafka_stats st;
	struct msgs m;
	struct fx f;
	char want[64];
	int i;

	if (!fx_init(&f))
		goto out;
	/* short timeout: the records come back to the spool within the test */
	cfg = make_config(&f, NULL, ", \"message.timeout.ms\": 1000", NULL);
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	rd_kafka_mock_broker_set_down(f.mc, 1);
	for (i = 0; i < 4; i++)
		ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", i), "produce while down");
	poll_for(ks, 2500);
	kafka_sink_stats(ks, &st);
	ASSERT_EQ(st.delivered, 0, "nothing delivered while down");
	ASSERT_EQ(st.spooled, 4, "all still spooled");
	ASSERT_TRUE(st.delivery_errors >= 4, "timeouts reported");
	ASSERT_HAS(st.last_error, "kafka", "an error kept");
	/* more while down: they queue behind the failed ones */
	for (i = 4; i < 6; i++)
		ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", i), "produce while down");

	rd_kafka_mock_broker_set_up(f.mc, 1);
	ASSERT_TRUE(poll_drained(ks, 30000), "delivered after set_up");
	kafka_sink_stats(ks, &st);
	ASSERT_EQ(st.delivered, 6, "all six");
	ASSERT_TRUE(st.produced > 6, "some were sent again");

	consume(&f, TOPIC_F, 6, 5000, &m);
	ASSERT_EQ(m.n, 6, "exactly six on the topic");
	/*
	 * Each once. Not necessarily in order (docs/siem.md): records produced while older ones
	 * waited out their timeout can be delivered before those are resent.
	 */
	for (i = 0; i < 6; i++) {
		int seen = 0;

		snprintf(want, sizeof(want), "{\"n\":%d}", i);
		for (int j = 0; j < m.n; j++)
			seen += !strcmp(m.val[j], want);
		ASSERT_EQ(seen, 1, want);
	}
out:
	kafka_sink_close(ks, 1000);
	config_free(cfg);
	fx_fini(&f);
}

static void test_reopen_reproduces_spool(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct spool *sp = NULL;
	struct spool_stats ss;
	struct kafka_stats st;
	struct errbuf eb = { "" };
	struct msgs m;
	struct fx f;
	int i;

	if (!fx_init(&f))
		goto out;
	cfg = make_config(&f, NULL, NULL, NULL);
	rd_kafka_mock_broker_set_down(f.mc, 1);
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	for (i = 0; i < 3; i++)
		ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"run\":1,\"n\":%d}", i), "produce");
	kafka_sink_close(ks, 300);
	ks = NULL;

	/* left in the spool; a record written by "a run that crashed" joins them */
	if (!ASSERT_OK(spool_open(f.spool, 1 << 20, &sp, &eb), eb.msg))
		goto out;
	spool_get_stats(sp, &ss);
	ASSERT_EQ(ss.records, 3, "undelivered stay spooled");
	ASSERT_OK(spool_append(sp, SPOOL_FINDINGS, "{\"run\":2}", 9, NULL), "append");
	spool_close(sp);

	rd_kafka_mock_broker_set_up(f.mc, 1);
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"run\":%d}", 3), "new one");
	ASSERT_TRUE(poll_drained(ks, 15000), "drained");
	kafka_sink_stats(ks, &st);
	ASSERT_EQ(st.delivered, 5, "old and new delivered");
	consume(&f, TOPIC_F, 5, 5000, &m);
	ASSERT_EQ(m.n, 5, "five");
	ASSERT_STREQ(m.val[0], "{\"run\":1,\"n\":0}", "old first");
	ASSERT_STREQ(m.val[2], "{\"run\":1,\"n\":2}", "in order");
	ASSERT_STREQ(m.val[3], "{\"run\":2}", "the crashed run's");
	ASSERT_STREQ(m.val[4], "{\"run\":3}", "new last");
out:
	kafka_sink_close(ks, 1000);
	config_free(cfg);
	fx_fini(&f);
}

/* Runs @fn with stderr going to a file, and returns what it wrote (static buffer). */
static const char *capture_stderr(const struct fx *f, void (*fn)(void *), void *arg)
{
	static char out[8192];
	char path[128];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr", f->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return out;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

static void poll_3s(void *ks)
{
	poll_for(ks, 3000);
}

static void test_errors_logged_once(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct kafka_stats st;
	const char *log;
	struct fx f;

	if (!fx_init(&f))
		goto out;
	/* nothing listens on port 1: every reconnect fails the same way */
	cfg = make_config(&f, "127.0.0.1:1", ", \"reconnect.backoff.ms\": 50,"
			  " \"reconnect.backoff.max.ms\": 100", NULL);
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", 1), "spooled");
	log = capture_stderr(&f, poll_3s, ks);
	ASSERT_EQ(count(log, "datatrail: kafka '127.0.0.1:1': connect to ipv4#127.0.0.1:1 failed: "
			"Connection refused"),
		  1, log);
	ASSERT_TRUE(count(log, "\n") <= 3, log);
	ASSERT_FALSE(strstr(log, "%3|"), "librdkafka's own log lines are not printed");
	kafka_sink_stats(ks, &st);
	ASSERT_HAS(st.last_error, "kafka '127.0.0.1:1': ", "kept");
	ASSERT_EQ(st.spooled, 1, "still spooled");
out:
	kafka_sink_close(ks, 0);
	config_free(cfg);
	fx_fini(&f);
}

static void test_bad_properties(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct errbuf eb = { "" };
	char extra[256], path[128];
	struct fx f;
	FILE *fp;

	if (!fx_init(&f))
		goto out;
	cfg = make_config(&f, NULL, ", \"no.such.property\": 1", NULL);
	if (!cfg)
		goto out;
	ASSERT_EQ(kafka_sink_open(cfg, NULL, &ks, &eb), -EINVAL, "unknown property");
	ASSERT_HAS(eb.msg, "config 'k.json': field 'kafka.properties.no.such.property': ", eb.msg);
	config_free(cfg);

	/* a value from a secret file that librdkafka refuses is not echoed */
	snprintf(path, sizeof(path), "%s/acks", f.dir);
	fp = fopen(path, "w");
	fputs("bogus-secret-value\n", fp);
	fclose(fp);
	snprintf(extra, sizeof(extra), ", \"secret_files\": {\"acks\": \"%s\"}", path);
	cfg = make_config(&f, NULL, NULL, extra);
	if (!cfg)
		goto out;
	memset(&eb, 0, sizeof(eb));
	ASSERT_EQ(kafka_sink_open(cfg, NULL, &ks, &eb), -EINVAL, "refused secret");
	ASSERT_HAS(eb.msg, "field 'kafka.secret_files.acks': ", eb.msg);
	ASSERT_FALSE(strstr(eb.msg, "bogus-secret-value"), "value not in the message");
	config_free(cfg);
	cfg = make_config(&f, NULL, NULL, ", \"enabled\": false");
	ASSERT_EQ(kafka_sink_open(cfg, NULL, &ks, &eb), -EINVAL, "disabled");
	ASSERT_HAS(eb.msg, "kafka is not enabled", eb.msg);
out:
	config_free(cfg);
	fx_fini(&f);
}

static void put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!ASSERT_TRUE(fp != NULL, path))
		return;
	fputs(text, fp);
	fclose(fp);
}

static void test_reload_secrets(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct errbuf eb = { "" };
	struct kafka_stats st;
	char extra[256], path[128];
	struct msgs m;
	struct fx f;

	if (!fx_init(&f))
		goto out;
	/* client.id stands in for a password: any property may come from a file */
	snprintf(path, sizeof(path), "%s/client-id", f.dir);
	put_file(path, "agent-one\n");
	snprintf(extra, sizeof(extra), ", \"secret_files\": {\"client.id\": \"%s\"}", path);
	cfg = make_config(&f, NULL, NULL, extra);
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", 0), "produce");
	ASSERT_TRUE(poll_drained(ks, 10000), "first delivered");

	ASSERT_OK(kafka_sink_reload_secrets(ks, &eb), eb.msg);
	put_file(path, "agent-two\n");
	ASSERT_OK(kafka_sink_reload_secrets(ks, &eb), eb.msg);
	ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", 1), "produce");
	ASSERT_TRUE(poll_drained(ks, 10000), "delivered by the new producer");

	unlink(path);
	memset(&eb, 0, sizeof(eb));
	ASSERT_EQ(kafka_sink_reload_secrets(ks, &eb), -ENOENT, "missing secret file");
	ASSERT_HAS(eb.msg, "(for 'client.id')", eb.msg);
	ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", 2), "produce");
	ASSERT_TRUE(poll_drained(ks, 10000), "the old producer goes on");
	kafka_sink_stats(ks, &st);
	ASSERT_EQ(st.delivered, 3, "three");
	consume(&f, TOPIC_F, 3, 5000, &m);
	ASSERT_EQ(m.n, 3, "three on the topic");
out:
	kafka_sink_close(ks, 1000);
	config_free(cfg);
	fx_fini(&f);
}

static void test_fatal_error_new_producer(void)
{
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct kafka_stats st;
	rd_kafka_t *before;
	struct msgs m;
	struct fx f;
	int i;

	if (!fx_init(&f))
		goto out;
	cfg = make_config(&f, NULL, NULL, NULL);
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", 0), "produce");
	ASSERT_TRUE(poll_drained(ks, 10000), "first delivered");
	before = kafka_sink_rdkafka(ks);
	/* an idempotent producer that hits a fatal error is done for: the sink starts another */
	rd_kafka_test_fatal_error(before, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
				  "injected by the test");
	for (i = 1; i < 4; i++)
		ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"n\":%d}", i), "spooled meanwhile");
	ASSERT_TRUE(poll_drained(ks, 15000), "delivered by the new producer");
	ASSERT_TRUE(kafka_sink_rdkafka(ks) != before, "a new handle");
	kafka_sink_stats(ks, &st);
	ASSERT_HAS(st.last_error, "kafka: fatal producer error: ", st.last_error);
	ASSERT_EQ(st.delivered, 4, "all delivered");
	consume(&f, TOPIC_F, 4, 5000, &m);
	ASSERT_EQ(m.n, 4, "four on the topic");
	ASSERT_STREQ(m.val[3], "{\"n\":3}", "last");
out:
	kafka_sink_close(ks, 1000);
	config_free(cfg);
	fx_fini(&f);
}

/* OCSF lines carry their class, severity, version and node as headers, for routing. */
static void test_ocsf_headers(void)
{
	static const struct ocsf_ctx octx = { .hostname = "gpu-node-7" };
	struct gap_record g = { .start_ns = 1000000, .end_ns = 3000000, .source = "ring_buffer",
				.cpu = -1, .lost = 12, .seq = 1 };
	struct kafka_sink *ks = NULL;
	struct config *cfg = NULL;
	struct jbuf jb;
	struct msgs m;
	struct fx f;

	jb_init(&jb);
	if (!fx_init(&f))
		goto out;
	cfg = make_config(&f, NULL, NULL, "");
	ks = open_sink(cfg);
	if (!ks)
		goto out;
	if (!ASSERT_OK(ocsf_visibility_gap(&jb, &octx, &g), "encode"))
		goto out;
	ASSERT_OK(kafka_sink_produce(ks, SPOOL_FINDINGS, jb.buf, jb.len), "gap");
	ASSERT_OK(produce_str(ks, SPOOL_FINDINGS, "{\"not\":%d}\n", 1), "not OCSF");
	ASSERT_TRUE(poll_drained(ks, 10000), "spool drains");
	consume(&f, TOPIC_F, 2, 5000, &m);
	if (!ASSERT_EQ(m.n, 2, "both delivered"))
		goto out;
	ASSERT_STREQ(m.hdr[0], "2004|3|" OCSF_VERSION "|gpu-node-7", "headers of the gap");
	ASSERT_STREQ(m.hdr[1], "|||test-host", "no OCSF fields: empty, node from the host id");
out:
	kafka_sink_close(ks, 1000);
	config_free(cfg);
	fx_fini(&f);
	jb_free(&jb);
}

TEST_MAIN("kafka", TEST_CASE(test_delivered_and_acked), TEST_CASE(test_events_only_when_asked),
	  TEST_CASE(test_broker_down_then_up), TEST_CASE(test_reopen_reproduces_spool),
	  TEST_CASE(test_errors_logged_once), TEST_CASE(test_bad_properties),
	  TEST_CASE(test_reload_secrets), TEST_CASE(test_fatal_error_new_producer),
	  TEST_CASE(test_ocsf_headers))
