// SPDX-License-Identifier: GPL-2.0
/* test_config.c - the configuration file: fields, defaults, secret files, modes, type errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "tmpdir.h"

/* Each test that touches files gets its own directory under /tmp. */
struct fx {
	char dir[64];
	char cfg[128];
};

static bool fx_init(struct fx *f)
{
	if (!ASSERT_TRUE(tmpdir_make(f->dir, sizeof(f->dir), "config"), "mkdtemp"))
		return false;
	snprintf(f->cfg, sizeof(f->cfg), "%s/datatrail.json", f->dir);
	return true;
}

static void fx_fini(struct fx *f)
{
	tmpdir_remove(f->dir);
}

static const char *P(const struct fx *f, const char *rel)
{
	static char bufs[4][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", f->dir, rel);
	return b;
}

/* Writes @text with @mode (umask aside: chmod after). */
static bool put(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (!ASSERT_TRUE(fp != NULL, "fopen"))
		return false;
	fputs(text, fp);
	fclose(fp);
	return ASSERT_OK(chmod(path, mode), "chmod");
}

/* Parses @text (no file) and expects failure with @needle in the message. */
static void expect_parse_error(const char *text, const char *needle)
{
	struct config *cfg = NULL;
	struct errbuf eb = { "" };
	int ret;

	ret = config_parse(text, strlen(text), "t.json", &cfg, &eb);
	ASSERT_EQ(ret, -EINVAL, needle);
	ASSERT_TRUE(cfg == NULL, "untouched on failure");
	ASSERT_HAS(eb.msg, needle, text);
	ASSERT_HAS(eb.msg, "config 't.json': ", "names the file");
}

/* cJSON decodes \u0000 into a NUL that ends its C string: host_id "web\u0000-1" would read "web". */
static void test_nul_escape_refused(void)
{
	static const char text[] = "{\"kafka\": {\"enabled\": false,\n"
				   "  \"host_id\": \"web\\u0000-1\"}}";
	struct config *cfg = NULL;
	struct errbuf eb = { "" };

	ASSERT_EQ(config_parse(text, strlen(text), "t.json", &cfg, &eb), -EINVAL, "NUL in host_id");
	ASSERT_STREQ(eb.msg, "config 't.json': line 2, column 18: \\u0000 in a string: refusing it",
		     "NUL in host_id");
	ASSERT_TRUE(cfg == NULL, "untouched on failure");
	/* in a key too */
	expect_parse_error("{\"fl\\u0000ush_ms\": 5}", "line 1, column 5: \\u0000 in a string");
}

static void test_node_and_state_dirs(void)
{
	static const char ok[] = "{\"node_name\": \"gpu-node-17.example\","
				 " \"container_state_dirs\": [\"/run/k3s/containerd\", \"/srv/docker\"],"
				 " \"cgroup_roots\": [\"/docker/kind-node\"]}";
	struct config *cfg = NULL;
	struct errbuf eb = { "" };

	if (ASSERT_OK(config_parse(ok, strlen(ok), "t.json", &cfg, &eb), eb.msg)) {
		ASSERT_STREQ(cfg->node_name, "gpu-node-17.example", "node_name");
		ASSERT_EQ(cfg->n_container_state_dirs, 2, "state dirs");
		ASSERT_STREQ(cfg->container_state_dirs[1], "/srv/docker", "second dir");
		ASSERT_EQ(cfg->n_cgroup_roots, 1, "cgroup roots");
		ASSERT_STREQ(cfg->cgroup_roots[0], "/docker/kind-node", "cgroup root");
	}
	config_free(cfg);
	expect_parse_error("{\"node_name\": \"bad name\"}", "field 'node_name': bad character ' '");
	expect_parse_error("{\"node_name\": 7}", "field 'node_name'");
	expect_parse_error("{\"container_state_dirs\": [\"run/containerd\"]}",
			   "field 'container_state_dirs': 'run/containerd' is not an absolute path");
	expect_parse_error("{\"container_state_dirs\": \"/run\"}", "field 'container_state_dirs'");
	expect_parse_error("{\"cgroup_roots\": [\"/a/../b\"]}",
			   "field 'cgroup_roots': '/a/../b' is not an absolute path of at most 200 "
			   "bytes without '..'");
}

static void test_full_config(void)
{
	struct config *cfg = NULL;
	struct errbuf eb = { "" };
	const struct config_kafka *kc;
	char text[2048];
	struct fx f;

	if (!fx_init(&f))
		return;
	put(P(&f, "keypass"), "s3cret-key\n", 0600);
	put(P(&f, "saslpass"), "sasl-pw\r\n", 0600);
	snprintf(text, sizeof(text),
		 "{\"kafka\": {\"enabled\": true,\n"
		 "  \"properties\": {\"bootstrap.servers\": \"127.0.0.1:9092\",\n"
		 "    \"security.protocol\": \"ssl\", \"ssl.ca.location\": \"/etc/dt/ca.pem\",\n"
		 "    \"linger.ms\": 20, \"socket.keepalive.enable\": true, \"x.ratio\": 0.5},\n"
		 "  \"secret_files\": {\"ssl.key.password\": \"%s\",\n"
		 "    \"sasl.password\": \"saslpass\"},\n"
		 "  \"topics\": {\"findings\": \"dt.f\", \"events\": \"dt.e\"},\n"
		 "  \"send_events\": true, \"host_id\": \"node-7\",\n"
		 "  \"spool\": {\"dir\": \"spool\", \"max_bytes\": 1048576}},\n"
		 " \"flush_ms\": 250, \"sandbox\": {\"future\": 1}}\n",
		 P(&f, "keypass"));
	put(f.cfg, text, 0640);
	if (!ASSERT_OK(config_load(f.cfg, &cfg, &eb), eb.msg))
		goto out;
	kc = &cfg->kafka;
	ASSERT_STREQ(cfg->file, f.cfg, "file");
	ASSERT_EQ(cfg->flush_ms, 250, "flush_ms");
	ASSERT_TRUE(kc->present && kc->enabled && kc->send_events, "flags");
	ASSERT_EQ(kc->n_props, 6, "props");
	ASSERT_STREQ(config_kafka_prop(kc, "bootstrap.servers"), "127.0.0.1:9092", "bootstrap");
	ASSERT_STREQ(config_kafka_prop(kc, "linger.ms"), "20", "number as text");
	ASSERT_STREQ(config_kafka_prop(kc, "socket.keepalive.enable"), "true", "bool as text");
	ASSERT_STREQ(config_kafka_prop(kc, "x.ratio"), "0.5", "fraction as text");
	ASSERT_EQ(kc->n_secrets, 2, "secrets");
	ASSERT_STREQ(config_kafka_prop(kc, "ssl.key.password"), "s3cret-key", "newline dropped");
	ASSERT_STREQ(config_kafka_prop(kc, "sasl.password"), "sasl-pw", "crlf dropped");
	/* relative to the config file, not to the working directory */
	ASSERT_STREQ(kc->secrets[1].path, P(&f, "saslpass"), "relative secret path");
	ASSERT_STREQ(kc->spool_dir, P(&f, "spool"), "relative spool dir");
	ASSERT_EQ(kc->spool_max_bytes, 1048576, "max_bytes");
	ASSERT_STREQ(kc->topic_findings, "dt.f", "findings topic");
	ASSERT_STREQ(kc->topic_events, "dt.e", "events topic");
	ASSERT_STREQ(kc->host_id, "node-7", "host_id");
	ASSERT_TRUE(config_kafka_prop(kc, "nope") == NULL, "absent prop");
out:
	config_free(cfg);
	fx_fini(&f);
}

static void test_defaults_and_unknown_keys(void)
{
	const char *text = "{\"trace\": [1, 2], \"sandbox\": {}}";
	struct config *cfg = NULL;
	struct errbuf eb = { "" };

	if (!ASSERT_OK(config_parse(text, strlen(text), "d.json", &cfg, &eb), eb.msg))
		return;
	ASSERT_EQ(cfg->flush_ms, CONFIG_DEFAULT_FLUSH_MS, "flush_ms");
	ASSERT_FALSE(cfg->kafka.present, "no kafka section");
	ASSERT_FALSE(cfg->kafka.enabled, "off without a section");
	ASSERT_STREQ(cfg->kafka.topic_findings, "datatrail.findings", "findings topic");
	ASSERT_STREQ(cfg->kafka.topic_events, "datatrail.events", "events topic");
	ASSERT_STREQ(cfg->kafka.spool_dir, "/var/lib/datatrail/spool", "spool dir");
	ASSERT_EQ(cfg->kafka.spool_max_bytes, 256ull << 20, "max_bytes");
	ASSERT_FALSE(cfg->kafka.send_events, "send_events");
	ASSERT_TRUE(cfg->kafka.host_id == NULL, "host_id left to the sink");
	config_free(cfg);

	/* a section switched off needs no broker */
	text = "{\"kafka\": {\"enabled\": false}}";
	cfg = NULL;
	if (ASSERT_OK(config_parse(text, strlen(text), "d.json", &cfg, &eb), eb.msg))
		ASSERT_TRUE(cfg->kafka.present && !cfg->kafka.enabled, "present, off");
	config_free(cfg);
}

static void test_inline_secret_rejected(void)
{
	static const char *const names[] = { "sasl.password", "ssl.key.password",
					      "ssl.keystore.password", "ssl.key.pem",
					      "sasl.oauthbearer.client.secret" };
	char text[512], field[128];
	struct config *cfg = NULL;
	struct errbuf eb;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"kafka\": {\"properties\": {\"bootstrap.servers\": \"h:1\", "
			 "\"%s\": \"hunter2-value\"}}}",
			 names[i]);
		memset(&eb, 0, sizeof(eb));
		ASSERT_EQ(config_parse(text, strlen(text), "s.json", &cfg, &eb), -EINVAL, names[i]);
		snprintf(field, sizeof(field), "field 'kafka.properties.%s'", names[i]);
		ASSERT_HAS(eb.msg, field, "names the field");
		ASSERT_HAS(eb.msg, "must not be written inline", "says why");
		ASSERT_HAS(eb.msg, "kafka.secret_files", "says what to do");
		ASSERT_FALSE(strstr(eb.msg, "hunter2"), "never echoes the secret");
	}
	ASSERT_TRUE(config_is_secret_prop("sasl.password"), "sasl.password");
	ASSERT_FALSE(config_is_secret_prop("ssl.key.location"), "a path is not a secret");
	ASSERT_FALSE(config_is_secret_prop("sasl.username"), "user name");
}

static void test_secret_files(void)
{
	struct config *cfg = NULL;
	struct errbuf eb = { "" };
	bool changed = true;
	char text[1024];
	struct fx f;

	if (!fx_init(&f))
		return;
	put(P(&f, "pw"), "first\n", 0600);
	snprintf(text, sizeof(text),
		 "{\"kafka\": {\"properties\": {\"bootstrap.servers\": \"h:1\"},"
		 " \"secret_files\": {\"sasl.password\": \"pw\"}}}");
	put(f.cfg, text, 0600);
	if (!ASSERT_OK(config_load(f.cfg, &cfg, &eb), eb.msg))
		goto out;
	ASSERT_STREQ(config_kafka_prop(&cfg->kafka, "sasl.password"), "first", "read at load");

	ASSERT_OK(config_secrets_read(&cfg->kafka, &changed, &eb), "re-read same");
	ASSERT_FALSE(changed, "unchanged");
	put(P(&f, "pw"), "second", 0600);
	ASSERT_OK(config_secrets_read(&cfg->kafka, &changed, &eb), "re-read new");
	ASSERT_TRUE(changed, "changed");
	ASSERT_STREQ(config_kafka_prop(&cfg->kafka, "sasl.password"), "second", "new value");

	/* a failed re-read keeps what was there */
	unlink(P(&f, "pw"));
	memset(&eb, 0, sizeof(eb));
	ASSERT_EQ(config_secrets_read(&cfg->kafka, &changed, &eb), -ENOENT, "missing file");
	ASSERT_HAS(eb.msg, "secret file '", "subject");
	ASSERT_HAS(eb.msg, "/pw' (for 'sasl.password'): ", "names file and property");
	ASSERT_STREQ(config_kafka_prop(&cfg->kafka, "sasl.password"), "second", "old value kept");
	config_free(cfg);
	cfg = NULL;

	/* at load, a missing, empty or world-writable secret file fails the load */
	memset(&eb, 0, sizeof(eb));
	ASSERT_EQ(config_load(f.cfg, &cfg, &eb), -ENOENT, "missing at load");
	ASSERT_HAS(eb.msg, "No such file", eb.msg);
	put(P(&f, "pw"), "\n", 0600);
	ASSERT_EQ(config_load(f.cfg, &cfg, &eb), -EINVAL, "empty");
	ASSERT_HAS(eb.msg, "is empty", eb.msg);
	put(P(&f, "pw"), "x", 0602);
	ASSERT_EQ(config_load(f.cfg, &cfg, &eb), -EPERM, "world-writable secret");
	ASSERT_HAS(eb.msg, "mode 0602 is world-writable", eb.msg);
	ASSERT_TRUE(cfg == NULL, "untouched");

	/* both inline and from a file is ambiguous */
	expect_parse_error("{\"kafka\": {\"properties\": {\"bootstrap.servers\": \"h:1\","
			   " \"client.id\": \"a\"}, \"secret_files\": {\"client.id\": \"/x\"}}}",
			   "field 'kafka.secret_files.client.id': also set in 'kafka.properties'");
out:
	config_free(cfg);
	fx_fini(&f);
}

static void test_copy_and_release(void)
{
	struct config *cfg = NULL;
	struct config_kafka copy;
	struct errbuf eb = { "" };
	struct fx f;
	char text[512];

	if (!fx_init(&f))
		return;
	put(P(&f, "pw"), "pw1", 0600);
	snprintf(text, sizeof(text),
		 "{\"kafka\": {\"properties\": {\"bootstrap.servers\": \"h:1\"},"
		 " \"secret_files\": {\"sasl.password\": \"%s\"}, \"host_id\": \"h\"}}",
		 P(&f, "pw"));
	if (!ASSERT_OK(config_parse(text, strlen(text), "c.json", &cfg, &eb), eb.msg))
		goto out;
	if (!ASSERT_OK(config_kafka_copy(&copy, &cfg->kafka), "copy"))
		goto out;
	config_free(cfg);
	cfg = NULL;
	ASSERT_STREQ(config_kafka_prop(&copy, "bootstrap.servers"), "h:1", "prop copied");
	ASSERT_STREQ(config_kafka_prop(&copy, "sasl.password"), "pw1", "secret copied");
	ASSERT_STREQ(copy.host_id, "h", "host_id copied");
	config_kafka_release(&copy);
	ASSERT_EQ(copy.n_props, 0, "released");
out:
	config_free(cfg);
	fx_fini(&f);
}

static void test_world_writable_refused(void)
{
	struct config *cfg = NULL;
	struct errbuf eb = { "" };
	struct fx f;

	if (!fx_init(&f))
		return;
	put(f.cfg, "{}", 0666);
	ASSERT_EQ(config_load(f.cfg, &cfg, &eb), -EPERM, "world-writable");
	ASSERT_HAS(eb.msg, "config '", "subject");
	ASSERT_HAS(eb.msg, f.cfg, "names the file");
	ASSERT_HAS(eb.msg, "mode 0666 is world-writable", "names the mode");
	ASSERT_TRUE(cfg == NULL, "untouched");
	/* group-writable is the admin's call */
	chmod(f.cfg, 0664);
	ASSERT_OK(config_load(f.cfg, &cfg, &eb), eb.msg);
	config_free(cfg);
	cfg = NULL;
	memset(&eb, 0, sizeof(eb));
	ASSERT_EQ(config_load(P(&f, "absent.json"), &cfg, &eb), -ENOENT, "missing");
	ASSERT_HAS(eb.msg, "absent.json': No such file or directory", eb.msg);
	ASSERT_EQ(config_load(f.dir, &cfg, &eb), -EINVAL, "a directory");
	ASSERT_HAS(eb.msg, "not a regular file", eb.msg);
	fx_fini(&f);
}

#define K(body) "{\"kafka\": {\"properties\": {\"bootstrap.servers\": \"h:1\"}, " body "}}"

static void test_wrong_types(void)
{
	expect_parse_error(K("\"enabled\": \"yes\""),
			   "field 'kafka.enabled': expected a boolean, got \"yes\"");
	expect_parse_error(K("\"topics\": {\"findings\": 42}"),
			   "field 'kafka.topics.findings': expected a string, got 42");
	expect_parse_error(K("\"topics\": {\"findings\": \"a b\"}"),
			   "field 'kafka.topics.findings': 'a b' is not a valid topic name");
	expect_parse_error(K("\"topics\": {\"findings\": \"x\", \"events\": \"x\"}"),
			   "must go to different topics");
	expect_parse_error(K("\"topics\": {\"finding\": \"x\"}"),
			   "field 'kafka.topics': unknown key 'finding'");
	expect_parse_error(K("\"spool\": {\"max_bytes\": \"big\"}"),
			   "field 'kafka.spool.max_bytes': expected a number, got \"big\"");
	expect_parse_error(K("\"spool\": {\"max_bytes\": 1.5}"),
			   "field 'kafka.spool.max_bytes': expected a whole number from 65536");
	expect_parse_error(K("\"spool\": {\"max_bytes\": 100}"), "got 100");
	expect_parse_error(K("\"spool\": {\"dir\": \"\"}"),
			   "field 'kafka.spool.dir': must not be empty");
	expect_parse_error(K("\"send_events\": 1"),
			   "field 'kafka.send_events': expected a boolean, got 1");
	expect_parse_error(K("\"host_id\": null"),
			   "field 'kafka.host_id': expected a string, got null");
	expect_parse_error(K("\"secret_files\": {\"sasl.password\": 7}"),
			   "field 'kafka.secret_files.sasl.password': expected a file name, got 7");
	expect_parse_error(K("\"secret_files\": []"),
			   "field 'kafka.secret_files': expected an object, got an array");
	expect_parse_error(K("\"sendevents\": true"), "field 'kafka': unknown key 'sendevents'");
	expect_parse_error(K("\"send_events\": true, \"send_events\": false"),
			   "field 'kafka': duplicate key 'send_events'");
	expect_parse_error("{\"kafka\": {\"properties\": {\"linger.ms\": [1]}}}",
			   "field 'kafka.properties.linger.ms': expected a string, number or "
			   "boolean, got an array");
	expect_parse_error("{\"kafka\": {\"properties\": {\"a\": \"1\", \"a\": \"2\"}}}",
			   "field 'kafka.properties': duplicate key 'a'");
	expect_parse_error("{\"kafka\": {\"properties\": {}}}",
			   "'bootstrap.servers' is required when kafka is enabled");
	expect_parse_error("{\"kafka\": []}", "field 'kafka': expected an object, got an array");
	expect_parse_error("{\"flush_ms\": -1}", "field 'flush_ms': expected a whole number");
	expect_parse_error("{\"flush_ms\": \"1s\"}",
			   "field 'flush_ms': expected a number, got \"1s\"");
	expect_parse_error("[1]", "expected an object at the top, got an array");
	expect_parse_error("{\n  \"kafka\": {,}\n}", "line 2, column 14: syntax error");
	expect_parse_error("{} {}", "line 1, column 4: syntax error");
}
static void test_metrics_listen(void)
{
	const char *text = "{\"metrics\": {\"listen\": \"127.0.0.1:9464\"}}";
	struct config *cfg = NULL;
	struct errbuf eb = { "" };

	if (ASSERT_OK(config_parse(text, strlen(text), "m.json", &cfg, &eb), eb.msg))
		ASSERT_STREQ(cfg->metrics_listen, "127.0.0.1:9464", "metrics.listen");
	config_free(cfg);
	cfg = NULL;
	text = "{\"flush_ms\": 100}";
	if (ASSERT_OK(config_parse(text, strlen(text), "m.json", &cfg, &eb), eb.msg))
		ASSERT_TRUE(cfg->metrics_listen == NULL, "off by default");
	config_free(cfg);
	expect_parse_error("{\"metrics\": {\"listen\": \"127.0.0.1\"}}",
			   "field 'metrics.listen': '127.0.0.1' is not ADDR:PORT");
	expect_parse_error("{\"metrics\": {\"listen\": \"127.0.0.1:70000\"}}",
			   "field 'metrics.listen': '127.0.0.1:70000' is not ADDR:PORT");
	expect_parse_error("{\"metrics\": {\"port\": 9464}}", "metrics");
	expect_parse_error("{\"metrics\": {\"listen\": 9464}}", "metrics.listen");
	text = "{\"metrics\": {\"listen\": \"10.0.0.7:9464\", \"bearer_token_file\": \"/etc/t\","
	       " \"tls_cert_file\": \"/etc/c.pem\", \"tls_key_file\": \"/etc/k.pem\","
	       " \"tls_client_ca_file\": \"/etc/ca.pem\"}}";
	if (ASSERT_OK(config_parse(text, strlen(text), "m.json", &cfg, &eb), eb.msg)) {
		ASSERT_STREQ(cfg->metrics_token_file, "/etc/t", "token file");
		ASSERT_STREQ(cfg->metrics_tls_cert_file, "/etc/c.pem", "cert");
		ASSERT_STREQ(cfg->metrics_tls_key_file, "/etc/k.pem", "key");
		ASSERT_STREQ(cfg->metrics_tls_ca_file, "/etc/ca.pem", "client ca");
	}
	config_free(cfg);
	expect_parse_error("{\"metrics\": {\"bearer_token_file\": \"t\"}}",
			   "field 'metrics.bearer_token_file': 't' is not an absolute path");
	expect_parse_error("{\"metrics\": {\"tls_cert_file\": \"/c\"}}",
			   "field 'metrics.tls_key_file': required with metrics.tls_cert_file");
	expect_parse_error("{\"metrics\": {\"tls_client_ca_file\": \"/c\"}}",
			   "field 'metrics.tls_client_ca_file': needs metrics.tls_cert_file");
}

static void test_egress_block_devices(void)
{
	const char *text = "{\"egress_block_devices\": [\"loop3\", \"sd[bc]*\"]}";
	struct config *cfg = NULL;
	struct errbuf eb = { "" };

	if (ASSERT_OK(config_parse(text, strlen(text), "b.json", &cfg, &eb), eb.msg) &&
	    ASSERT_EQ(cfg->n_egress_block_devices, 2, "two patterns")) {
		ASSERT_STREQ(cfg->egress_block_devices[0], "loop3", "[0]");
		ASSERT_STREQ(cfg->egress_block_devices[1], "sd[bc]*", "[1]");
	}
	config_free(cfg);
	expect_parse_error("{\"egress_block_devices\": \"loop3\"}",
			   "field 'egress_block_devices': expected an array, got \"loop3\"");
	expect_parse_error("{\"egress_block_devices\": [\"/dev/loop3\"]}",
			   "field 'egress_block_devices': bad device name '/dev/loop3'");
	expect_parse_error("{\"egress_block_devices\": [\"\"]}",
			   "field 'egress_block_devices': bad device name ''");
	expect_parse_error("{\"egress_block_devices\": [3]}",
			   "field 'egress_block_devices': expected a string, got 3");
}

TEST_MAIN("config", TEST_CASE(test_full_config), TEST_CASE(test_defaults_and_unknown_keys),
	  TEST_CASE(test_inline_secret_rejected), TEST_CASE(test_secret_files),
	  TEST_CASE(test_copy_and_release), TEST_CASE(test_world_writable_refused),
	  TEST_CASE(test_wrong_types), TEST_CASE(test_nul_escape_refused),
	  TEST_CASE(test_metrics_listen), TEST_CASE(test_node_and_state_dirs),
	  TEST_CASE(test_egress_block_devices))
