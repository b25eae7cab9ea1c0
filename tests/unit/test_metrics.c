// SPDX-License-Identifier: GPL-2.0
/* test_metrics.c - Prometheus metrics: listen addresses, counting lines by kind, the text format. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>

#include "metrics.h"
#include "test.h"

static void test_parse_listen(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	struct errbuf eb = {};
	socklen_t len;

	ASSERT_OK(metrics_parse_listen("x", "127.0.0.1:9464", &ss, &len, &eb), "v4");
	ASSERT_EQ(a4->sin_family, AF_INET, "v4 family");
	ASSERT_EQ(ntohs(a4->sin_port), 9464, "v4 port");
	ASSERT_EQ(ntohl(a4->sin_addr.s_addr), 0x7f000001, "v4 address");
	ASSERT_EQ(len, sizeof(*a4), "v4 length");
	ASSERT_OK(metrics_parse_listen("x", ":9464", &ss, &len, &eb), "no address");
	ASSERT_EQ(ntohl(a4->sin_addr.s_addr), 0x7f000001, "no address: loopback");
	ASSERT_OK(metrics_parse_listen("x", "0.0.0.0:9464", &ss, &len, &eb), "any");
	ASSERT_EQ(a4->sin_addr.s_addr, 0, "every address, when named");
	ASSERT_OK(metrics_parse_listen("x", "[::1]:10000", &ss, &len, &eb), "v6");
	ASSERT_EQ(a6->sin6_family, AF_INET6, "v6 family");
	ASSERT_EQ(ntohs(a6->sin6_port), 10000, "v6 port");
	ASSERT_EQ(a6->sin6_addr.s6_addr[15], 1, "v6 address");
	ASSERT_ERR(metrics_parse_listen("x", "127.0.0.1", &ss, &len, &eb), "no port");
	ASSERT_ERR(metrics_parse_listen("x", "127.0.0.1:0", &ss, &len, &eb), "port 0");
	ASSERT_ERR(metrics_parse_listen("x", "127.0.0.1:65536", &ss, &len, &eb), "port too big");
	ASSERT_ERR(metrics_parse_listen("x", "localhost:9464", &ss, &len, &eb), "a name");
	ASSERT_ERR(metrics_parse_listen("x", "[::1:9464", &ss, &len, &eb), "unclosed bracket");
	ASSERT_ERR(metrics_parse_listen("opt", "1.2.3.4:9x", &ss, &len, &eb), "port text");
	ASSERT_STREQ(eb.msg, "opt: bad address '1.2.3.4:9x' (ADDR:PORT, e.g. 127.0.0.1:9464 or "
			     "[::1]:9464)", "message");
}

/* Authorization: Bearer <token>, exactly the token, whatever the case of "Bearer". */
static void test_bearer(void)
{
	static const char tok[] = "0123456789abcdef0123";

	ASSERT_TRUE(metrics_bearer_ok("Bearer 0123456789abcdef0123", tok, 20), "the token");
	ASSERT_TRUE(metrics_bearer_ok("bearer  0123456789abcdef0123 ", tok, 20), "spaces, case");
	ASSERT_FALSE(metrics_bearer_ok(NULL, tok, 20), "no header");
	ASSERT_FALSE(metrics_bearer_ok("Bearer 0123456789abcdef012", tok, 20), "shorter");
	ASSERT_FALSE(metrics_bearer_ok("Bearer 0123456789abcdef01234", tok, 20), "longer");
	ASSERT_FALSE(metrics_bearer_ok("Bearer 0123456789abcdef0124", tok, 20), "one byte off");
	ASSERT_FALSE(metrics_bearer_ok("Basic 0123456789abcdef0123", tok, 20), "another scheme");
	ASSERT_FALSE(metrics_bearer_ok("0123456789abcdef0123", tok, 20), "no scheme");
	ASSERT_FALSE(metrics_bearer_ok("Bearer ", tok, 20), "empty");
}

/* The token file: private, one line of visible characters; the server starts and stops. */
static void test_open_auth(void)
{
	char dir[] = "/tmp/dt-mauth-XXXXXX", path[256], addr[32], cmd[300];
	struct metrics_auth auth = { .token_file = path };
	struct errbuf eb = {};
	struct metrics m = {};
	FILE *f;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/token", dir);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", 30000 + getpid() % 20000);
	f = fopen(path, "w");
	if (!ASSERT_TRUE(f != NULL, "token file"))
		return;
	fputs("short\n", f);
	fclose(f);
	chmod(path, 0600);
	ASSERT_EQ(metrics_open(&m, "x", addr, &auth, &eb), -EINVAL, "a short token");
	ASSERT_HAS(eb.msg, "not one line of at least 16 visible characters", eb.msg);
	f = fopen(path, "w");
	fputs("0123456789abcdef0123\n", f);
	fclose(f);
	chmod(path, 0644);
	ASSERT_EQ(metrics_open(&m, "x", addr, &auth, &eb), -EPERM, "readable by others");
	ASSERT_HAS(eb.msg, "mode 0644 lets group or others at it", eb.msg);
	chmod(path, 0600);
	auth.tls_key_file = path;
	ASSERT_EQ(metrics_open(&m, "x", addr, &auth, &eb), -EINVAL, "a key without certificate");
	auth.tls_key_file = NULL;
	if (ASSERT_OK(metrics_open(&m, "x", addr, &auth, &eb), eb.msg)) {
		ASSERT_EQ(m.token_len, 20, "the newline dropped");
		metrics_close(&m);
		ASSERT_TRUE(m.token == NULL, "wiped and freed");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ASSERT_OK(system(cmd), "cleanup");
}

#define EVENT(act) \
	"{\"class_uid\":1001,\"class_name\":\"File System Activity\",\"activity_id\":2," \
	"\"activity_name\":\"" act "\",\"actor\":{\"activity_name\":\"x\"}}\n"
#define FINDING(id, kind) \
	"{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"activity_id\":" #id "," \
	"\"finding_info\":{\"uid\":\"u\",\"types\":[\"" kind "\"]}}\n"

static void count(struct metrics_counts *c, bool finding, const char *line)
{
	metrics_count_line(c, finding, line, strlen(line));
}

static void test_count_lines(void)
{
	struct metrics_counts *c = calloc(1, sizeof(*c));
	char name[16];

	if (!ASSERT_TRUE(c, "alloc"))
		return;
	count(c, false, EVENT("Read"));
	count(c, false, EVENT("Read"));
	count(c, false, EVENT("Set Attributes"));
	count(c, false, "{\"class_name\":\"bad\\\"name\"}\n");
	count(c, true, FINDING(1, "dataset_tamper"));
	count(c, true, FINDING(2, "dataset_tamper"));
	count(c, true, FINDING(2, "dataset_tamper"));
	count(c, true, FINDING(1, "exfiltration"));
	count(c, true, "{\"class_uid\":2004}\n");
	/* Only the record's own (first) activity_id counts, and 12 is not 1. */
	count(c, true, "{\"activity_id\":2,\"types\":[\"exfiltration\"],\"x\":{\"activity_id\":1}}");
	count(c, true, "{\"activity_id\":12,\"types\":[\"exfiltration\"]}");
	ASSERT_STREQ(c->events[0].name, "file_system_activity", "class, in snake case");
	ASSERT_STREQ(c->events[0].sub, "read", "activity");
	ASSERT_EQ(c->events[0].n, 2, "reads");
	ASSERT_STREQ(c->events[1].sub, "set_attributes", "second activity");
	ASSERT_EQ(c->events[1].n, 1, "set attributes");
	ASSERT_EQ(c->other_events, 1, "an escaped name is not a label value");
	ASSERT_STREQ(c->findings[0].name, "dataset_tamper", "finding kind");
	ASSERT_EQ(c->findings[0].n, 1, "created once");
	ASSERT_EQ(c->updates[0].n, 2, "updated twice");
	ASSERT_STREQ(c->findings[1].name, "exfiltration", "second kind");
	ASSERT_EQ(c->findings[1].n, 1, "exfiltration created once");
	ASSERT_STREQ(c->updates[1].name, "exfiltration", "exfiltration updates");
	ASSERT_EQ(c->updates[1].n, 2, "exfiltration updated twice");
	ASSERT_EQ(c->other_findings, 1, "a finding without types");
	/* Past METRICS_KINDS distinct kinds, the rest go to "other": the label set is bounded. */
	for (int i = 0; i < METRICS_KINDS + 5; i++) {
		char line[128];

		snprintf(name, sizeof(name), "k%d", i);
		snprintf(line, sizeof(line), "{\"activity_id\":1,\"types\":[\"%s\"]}", name);
		count(c, true, line);
	}
	ASSERT_EQ(c->other_findings, 1 + 7, "bounded kinds");
	free(c);
}

static void test_render(void)
{
	struct metrics_counts *c = calloc(1, sizeof(*c));
	struct dt_stats stats[2] = { { .emitted = 10, .dropped = 3 }, { .emitted = 5, .taint_full = 2 } };
	static const char *const maps[] = { "acc", NULL };
	uint64_t entries[] = { 7 }, capacity[] = { 65536 };
	struct metrics_input in = {
		.stats = stats, .ncpus = 2, .map_names = maps, .map_entries = entries,
		.map_capacity = capacity, .inventory_generation = 3, .flush_ms = 500,
		.kstats = { .delivered = 42, .dropped_events = 4, .spool_bytes = 4096 },
		.hooks_mode = "auto", .syscall_hooks = "tracepoint",
	};
	size_t len;
	char *text;

	if (!ASSERT_TRUE(c, "alloc"))
		return;
	count(c, true, FINDING(1, "dataset_tamper"));
	metrics_count_flush(c, 0.003);
	metrics_count_flush(c, 2);
	text = metrics_render(c, &in, &len);
	if (!ASSERT_TRUE(text, "rendered")) {
		free(c);
		return;
	}
	ASSERT_EQ(strlen(text), len, "length");
	ASSERT_HAS(text, "# TYPE datatrail_findings_total counter\n"
			 "datatrail_findings_total{kind=\"dataset_tamper\"} 1\n", "findings by kind");
	ASSERT_HAS(text, "datatrail_kernel_records_total 15\n", "records summed over cpus");
	ASSERT_HAS(text, "# TYPE datatrail_hooks_info gauge\n"
			 "datatrail_hooks_info{mode=\"auto\",syscall_hooks=\"tracepoint\"} 1\n",
		   "syscall hooks' backend");
	ASSERT_HAS(text, "datatrail_records_lost_total{source=\"ring_buffer\",cpu=\"0\"} 3\n",
		   "ring buffer loss on cpu 0");
	ASSERT_HAS(text, "datatrail_records_lost_total{source=\"taint_map_full\",cpu=\"1\"} 2\n",
		   "taint map loss on cpu 1");
	ASSERT_HAS(text, "datatrail_records_lost_total{source=\"ring_buffer\",cpu=\"1\"} 0\n",
		   "zero series present");
	ASSERT_HAS(text, "datatrail_map_entries{map=\"acc\"} 7\n", "map entries");
	ASSERT_HAS(text, "datatrail_map_capacity_entries{map=\"acc\"} 65536\n", "map capacity");
	ASSERT_HAS(text, "datatrail_flush_duration_seconds_bucket{le=\"0.001\"} 0\n", "bucket");
	ASSERT_HAS(text, "datatrail_flush_duration_seconds_bucket{le=\"0.005\"} 1\n", "bucket");
	ASSERT_HAS(text, "datatrail_flush_duration_seconds_bucket{le=\"1\"} 1\n", "bucket");
	ASSERT_HAS(text, "datatrail_flush_duration_seconds_bucket{le=\"+Inf\"} 2\n", "+Inf");
	ASSERT_HAS(text, "datatrail_flush_duration_seconds_sum 2.003000\n", "sum");
	ASSERT_HAS(text, "datatrail_inventory_generation 3\n", "generation");
	ASSERT_HAS(text, "datatrail_kafka_delivered_total 42\n", "kafka delivered");
	ASSERT_HAS(text, "datatrail_kafka_dropped_total{stream=\"events\"} 4\n", "kafka drops");
	ASSERT_HAS(text, "datatrail_spool_bytes 4096\n", "spool bytes");
	ASSERT_HAS(text, "datatrail_flush_interval_seconds 0.500\n", "interval");
	ASSERT_HAS(text, "# TYPE process_cpu_seconds_total counter\n", "process cpu");
	ASSERT_HAS(text, "# TYPE process_resident_memory_bytes gauge\n", "process memory");
	free(text);
	free(c);
}

TEST_MAIN("metrics", TEST_CASE(test_bearer), TEST_CASE(test_open_auth), TEST_CASE(test_parse_listen), TEST_CASE(test_count_lines),
	  TEST_CASE(test_render))
