// SPDX-License-Identifier: GPL-2.0
/* config.c - the agent's configuration file: parse and validate the JSON, read secret files. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "config.h"
#include "devkind.h"
#include "json.h"
#include "json_load.h"

/* Far beyond any real configuration; stops a mistaken /dev/zero from eating all memory. */
#define CONFIG_MAX_SIZE (1u << 20)
/* A PEM key with its chain fits many times over. */
#define SECRET_MAX_SIZE (64u << 10)
#define FLUSH_MS_MAX 3600000
/* Kafka's own limit on topic names. */
#define TOPIC_MAX_LEN 249
#define HOST_ID_MAX_LEN 255
/* Past this a byte count is surely a typo; it also keeps doubles exact. */
#define SPOOL_MAX_BYTES_MAX (1ull << 50)

struct loader {
	const char *name;
	const char *dir; /* of the file, for relative paths; NULL: the working directory */
	struct errbuf *err;
};

/* Writes "config 'NAME': [field 'FIELD': ]WHAT" and returns @ret. */
static int __attribute__((format(printf, 4, 5)))
fail(const struct loader *l, int ret, const char *field, const char *fmt, ...)
{
	char subject[sizeof(l->err->msg)];
	va_list ap;

	snprintf(subject, sizeof(subject), "config '%s'", l->name);
	va_start(ap, fmt);
	ret = json_load_vfail(l->err, ret, subject, field, fmt, ap);
	va_end(ap);
	return ret;
}

static int fail_nomem(const struct loader *l)
{
	return fail(l, -ENOMEM, NULL, "%s", strerror(ENOMEM));
}

/*
 * What a wrong value was, for "expected X, got Y": scalars as JSON text (cut short), arrays
 * and objects by kind only, since they can be long.
 */
static const char *describe(const cJSON *j, char *buf, size_t size)
{
	char *text;

	if (cJSON_IsArray(j))
		return "an array";
	if (cJSON_IsObject(j))
		return "an object";
	text = cJSON_PrintUnformatted(j);
	if (!text)
		return "a value";
	if (strlen(text) > 64)
		snprintf(buf, size, "%.60s...", text);
	else
		snprintf(buf, size, "%s", text);
	cJSON_free(text);
	return buf;
}

static int wrong_type(const struct loader *l, const char *field, const char *expected,
		      const cJSON *j)
{
	char buf[80];

	return fail(l, -EINVAL, field, "expected %s, got %s", expected,
		    describe(j, buf, sizeof(buf)));
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/*
 * cJSON takes the first of two equal keys, other JSON tools the last, so a repeated key
 * could mean one broker here and another in whatever else reads the file. With @keys NULL
 * every member is checked (for maps such as properties, where every key is read).
 */
static int check_dup_keys(const struct loader *l, const cJSON *obj, const char *field,
			  const char *const *keys)
{
	const char *dup = json_dup_key(obj, keys);

	return dup ? fail(l, -EINVAL, field, "duplicate key '%s'", dup) : 0;
}

/* Nested sections are checked strictly: a typo there would silently turn a setting off. */
static int check_known_keys(const struct loader *l, const cJSON *obj, const char *field,
			    const char *const *keys)
{
	const char *const *k;
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		for (k = keys; *k && strcmp(*k, it->string); k++)
			;
		if (!*k)
			return fail(l, -EINVAL, field, "unknown key '%s'", it->string);
	}
	return check_dup_keys(l, obj, field, keys);
}

static int get_bool(const struct loader *l, const cJSON *obj, const char *key, const char *field,
		    bool *out)
{
	const cJSON *j = get(obj, key);

	if (!j)
		return 0;
	if (!cJSON_IsBool(j))
		return wrong_type(l, field, "a boolean", j);
	*out = cJSON_IsTrue(j);
	return 0;
}

/* A string member into a new copy in *@out (freeing the default there); absent keeps it. */
static int get_str(const struct loader *l, const cJSON *obj, const char *key, const char *field,
		   size_t max_len, char **out)
{
	const cJSON *j = get(obj, key);
	size_t len;
	char *s;

	if (!j)
		return 0;
	if (!cJSON_IsString(j))
		return wrong_type(l, field, "a string", j);
	len = strlen(j->valuestring);
	if (!len)
		return fail(l, -EINVAL, field, "must not be empty");
	if (len > max_len)
		return fail(l, -EINVAL, field, "longer than %zu bytes", max_len);
	s = strdup(j->valuestring);
	if (!s)
		return fail_nomem(l);
	free(*out);
	*out = s;
	return 0;
}

/* Whether @v is a whole number that a long long holds exactly (no libm: floor() needs -lm). */
static bool is_whole(double v)
{
	return v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v;
}

static int get_uint(const struct loader *l, const cJSON *obj, const char *key, const char *field,
		    uint64_t min, uint64_t max, uint64_t *out)
{
	const cJSON *j = get(obj, key);
	double v;

	if (!j)
		return 0;
	if (!cJSON_IsNumber(j))
		return wrong_type(l, field, "a number", j);
	v = j->valuedouble;
	if (!is_whole(v) || v < (double)min || v > (double)max)
		return fail(l, -EINVAL, field,
			    "expected a whole number from %" PRIu64 " to %" PRIu64 ", got %.17g",
			    min, max, v);
	*out = (uint64_t)v;
	return 0;
}

/* A path as written, or joined to the config file's directory when relative. */
static int resolve_path(const struct loader *l, const char *field, const char *path, char **out)
{
	char *s;

	if (path[0] == '/' || !l->dir) {
		s = strdup(path);
	} else if (asprintf(&s, "%s/%s", l->dir, path) < 0) {
		s = NULL;
	}
	if (!s)
		return fail_nomem(l);
	(void)field;
	*out = s;
	return 0;
}

bool config_is_secret_prop(const char *name)
{
	/*
	 * librdkafka's secret-bearing properties: every *.password, the OAUTHBEARER client secret
	 * and unsecured-JWT config, the inline PEM key. Matching by substring also catches the
	 * ones later versions add under the same naming.
	 */
	static const char *const exact[] = { "ssl.key.pem", "ssl_key", "sasl.oauthbearer.config",
					     "ssl.keystore.password" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exact); i++)
		if (!strcmp(name, exact[i]))
			return true;
	return strstr(name, "password") || strstr(name, "secret") || strstr(name, "ssl_key");
}

/* Kafka accepts [a-zA-Z0-9._-] only; catching it here beats a delivery error at run time. */
static int check_topic(const struct loader *l, const char *field, const char *topic)
{
	const char *p;

	if (!strcmp(topic, ".") || !strcmp(topic, ".."))
		return fail(l, -EINVAL, field, "'%s' is not a valid topic name", topic);
	for (p = topic; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-')
			continue;
		return fail(l, -EINVAL, field,
			    "'%s' is not a valid topic name (letters, digits, '.', '_', '-')",
			    topic);
	}
	return 0;
}

/* A property value as librdkafka wants it: text. Numbers print without a fraction if whole. */
static int prop_value(const struct loader *l, const char *field, const cJSON *j, char **out)
{
	char buf[64];
	double v;

	if (cJSON_IsString(j)) {
		*out = strdup(j->valuestring);
	} else if (cJSON_IsBool(j)) {
		*out = strdup(cJSON_IsTrue(j) ? "true" : "false");
	} else if (cJSON_IsNumber(j)) {
		v = j->valuedouble;
		if (is_whole(v))
			snprintf(buf, sizeof(buf), "%lld", (long long)v);
		else
			snprintf(buf, sizeof(buf), "%.17g", v);
		*out = strdup(buf);
	} else {
		return wrong_type(l, field, "a string, number or boolean", j);
	}
	return *out ? 0 : fail_nomem(l);
}

static int parse_props(const struct loader *l, const cJSON *obj, struct config_kafka *kc)
{
	char field[320];
	const cJSON *it;
	int n, ret;

	if (!cJSON_IsObject(obj))
		return wrong_type(l, "kafka.properties", "an object", obj);
	ret = check_dup_keys(l, obj, "kafka.properties", NULL);
	if (ret)
		return ret;
	n = cJSON_GetArraySize(obj);
	kc->props = calloc(n ? n : 1, sizeof(*kc->props));
	if (!kc->props)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, obj) {
		struct config_prop *p = &kc->props[kc->n_props];

		snprintf(field, sizeof(field), "kafka.properties.%s", it->string);
		if (!it->string[0])
			return fail(l, -EINVAL, "kafka.properties", "empty property name");
		/* before anything that could print the value */
		if (config_is_secret_prop(it->string))
			return fail(l, -EINVAL, field,
				    "a secret must not be written inline; put it in a file only "
				    "the agent can read and name that file in "
				    "'kafka.secret_files.%s'", it->string);
		p->name = strdup(it->string);
		if (!p->name)
			return fail_nomem(l);
		kc->n_props++;
		ret = prop_value(l, field, it, &p->value);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_secret_files(const struct loader *l, const cJSON *obj, struct config_kafka *kc)
{
	char field[320];
	const cJSON *it;
	size_t i;
	int n, ret;

	if (!cJSON_IsObject(obj))
		return wrong_type(l, "kafka.secret_files", "an object", obj);
	ret = check_dup_keys(l, obj, "kafka.secret_files", NULL);
	if (ret)
		return ret;
	n = cJSON_GetArraySize(obj);
	kc->secrets = calloc(n ? n : 1, sizeof(*kc->secrets));
	if (!kc->secrets)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, obj) {
		struct config_secret *s = &kc->secrets[kc->n_secrets];

		snprintf(field, sizeof(field), "kafka.secret_files.%s", it->string);
		if (!it->string[0])
			return fail(l, -EINVAL, "kafka.secret_files", "empty property name");
		if (!cJSON_IsString(it))
			return wrong_type(l, field, "a file name", it);
		if (!it->valuestring[0])
			return fail(l, -EINVAL, field, "must not be empty");
		for (i = 0; i < kc->n_props; i++)
			if (!strcmp(kc->props[i].name, it->string))
				return fail(l, -EINVAL, field,
					    "also set in 'kafka.properties'; keep one of them");
		s->name = strdup(it->string);
		if (!s->name)
			return fail_nomem(l);
		kc->n_secrets++;
		ret = resolve_path(l, field, it->valuestring, &s->path);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_topics(const struct loader *l, const cJSON *obj, struct config_kafka *kc)
{
	static const char *const keys[] = { "findings", "events", NULL };
	int ret;

	if (!cJSON_IsObject(obj))
		return wrong_type(l, "kafka.topics", "an object", obj);
	ret = check_known_keys(l, obj, "kafka.topics", keys);
	if (!ret)
		ret = get_str(l, obj, "findings", "kafka.topics.findings", TOPIC_MAX_LEN,
			      &kc->topic_findings);
	if (!ret)
		ret = get_str(l, obj, "events", "kafka.topics.events", TOPIC_MAX_LEN,
			      &kc->topic_events);
	if (!ret)
		ret = check_topic(l, "kafka.topics.findings", kc->topic_findings);
	if (!ret)
		ret = check_topic(l, "kafka.topics.events", kc->topic_events);
	if (!ret && !strcmp(kc->topic_findings, kc->topic_events))
		ret = fail(l, -EINVAL, "kafka.topics",
			   "findings and events must go to different topics, both are '%s'",
			   kc->topic_findings);
	return ret;
}

static int parse_spool(const struct loader *l, const cJSON *obj, struct config_kafka *kc)
{
	static const char *const keys[] = { "dir", "max_bytes", NULL };
	char *dir = NULL;
	int ret;

	if (!cJSON_IsObject(obj))
		return wrong_type(l, "kafka.spool", "an object", obj);
	ret = check_known_keys(l, obj, "kafka.spool", keys);
	if (!ret)
		ret = get_str(l, obj, "dir", "kafka.spool.dir", PATH_MAX - 1, &dir);
	if (!ret && dir) {
		free(kc->spool_dir);
		kc->spool_dir = NULL;
		ret = resolve_path(l, "kafka.spool.dir", dir, &kc->spool_dir);
	}
	if (!ret)
		ret = get_uint(l, obj, "max_bytes", "kafka.spool.max_bytes",
			       CONFIG_MIN_SPOOL_MAX_BYTES, SPOOL_MAX_BYTES_MAX,
			       &kc->spool_max_bytes);
	free(dir);
	return ret;
}

static int parse_kafka(const struct loader *l, const cJSON *obj, struct config *cfg)
{
	static const char *const keys[] = { "enabled", "properties", "secret_files", "topics",
					    "send_events", "host_id", "spool", NULL };
	struct config_kafka *kc = &cfg->kafka;
	const cJSON *j;
	int ret;

	if (!cJSON_IsObject(obj))
		return wrong_type(l, "kafka", "an object", obj);
	ret = check_known_keys(l, obj, "kafka", keys);
	if (ret)
		return ret;
	kc->present = true;
	/* writing the section is the opt-in; "enabled": false keeps it around switched off */
	kc->enabled = true;
	ret = get_bool(l, obj, "enabled", "kafka.enabled", &kc->enabled);
	if (ret)
		return ret;
	j = get(obj, "properties");
	if (j) {
		ret = parse_props(l, j, kc);
		if (ret)
			return ret;
	}
	j = get(obj, "secret_files");
	if (j) {
		ret = parse_secret_files(l, j, kc);
		if (ret)
			return ret;
	}
	j = get(obj, "topics");
	if (j) {
		ret = parse_topics(l, j, kc);
		if (ret)
			return ret;
	}
	ret = get_bool(l, obj, "send_events", "kafka.send_events", &kc->send_events);
	if (ret)
		return ret;
	ret = get_str(l, obj, "host_id", "kafka.host_id", HOST_ID_MAX_LEN, &kc->host_id);
	if (ret)
		return ret;
	j = get(obj, "spool");
	if (j) {
		ret = parse_spool(l, j, kc);
		if (ret)
			return ret;
	}
	if (kc->enabled && !config_kafka_prop(kc, "bootstrap.servers"))
		return fail(l, -EINVAL, "kafka.properties",
			    "'bootstrap.servers' is required when kafka is enabled");
	return 0;
}

/* An absolute path for metrics.@key into *@out; the file itself is read when the server starts. */
static int metrics_file(const struct loader *l, const cJSON *obj, const char *key, char **out)
{
	char field[64];
	int ret;

	snprintf(field, sizeof(field), "metrics.%s", key);
	ret = get_str(l, obj, key, field, PATH_MAX, out);
	if (!ret && *out && (*out)[0] != '/')
		return fail(l, -EINVAL, field, "'%s' is not an absolute path", *out);
	return ret;
}

/* The address itself is checked when the agent binds it (metrics_parse_listen()). */
static int parse_metrics(const struct loader *l, const cJSON *obj, struct config *cfg)
{
	static const char *const keys[] = { "listen", "bearer_token_file", "tls_cert_file",
					     "tls_key_file", "tls_client_ca_file", NULL };
	const char *colon;
	char *end;
	unsigned long port;
	int ret;

	if (!cJSON_IsObject(obj))
		return wrong_type(l, "metrics", "an object", obj);
	ret = check_known_keys(l, obj, "metrics", keys);
	if (!ret)
		ret = get_str(l, obj, "listen", "metrics.listen", 63, &cfg->metrics_listen);
	if (!ret)
		ret = metrics_file(l, obj, "bearer_token_file", &cfg->metrics_token_file);
	if (!ret)
		ret = metrics_file(l, obj, "tls_cert_file", &cfg->metrics_tls_cert_file);
	if (!ret)
		ret = metrics_file(l, obj, "tls_key_file", &cfg->metrics_tls_key_file);
	if (!ret)
		ret = metrics_file(l, obj, "tls_client_ca_file", &cfg->metrics_tls_ca_file);
	if (ret)
		return ret;
	if (!cfg->metrics_tls_cert_file != !cfg->metrics_tls_key_file)
		return fail(l, -EINVAL, cfg->metrics_tls_cert_file ? "metrics.tls_key_file" :
			    "metrics.tls_cert_file", "required with metrics.%s",
			    cfg->metrics_tls_cert_file ? "tls_cert_file" : "tls_key_file");
	if (cfg->metrics_tls_ca_file && !cfg->metrics_tls_cert_file)
		return fail(l, -EINVAL, "metrics.tls_client_ca_file",
			    "needs metrics.tls_cert_file and tls_key_file");
	if (!cfg->metrics_listen)
		return 0;
	colon = strrchr(cfg->metrics_listen, ':');
	port = colon ? strtoul(colon + 1, &end, 10) : 0;
	if (!colon || !colon[1] || *end || !port || port > 65535)
		return fail(l, -EINVAL, "metrics.listen", "'%s' is not ADDR:PORT",
			    cfg->metrics_listen);
	return 0;
}

/*
 * Block devices whose mounts count as removable media (egress) besides those sysfs calls
 * removable: names under /dev as shell patterns, e.g. "loop*" or "sdb".
 */
static int parse_blockdevs(const struct loader *l, const cJSON *arr, struct config *cfg)
{
	static const char field[] = "egress_block_devices";
	const cJSON *it;
	size_t n = 0;

	if (!cJSON_IsArray(arr))
		return wrong_type(l, field, "an array", arr);
	cfg->egress_block_devices = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(char *));
	if (!cfg->egress_block_devices)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, arr) {
		const char *p;

		if (!cJSON_IsString(it))
			return wrong_type(l, field, "a string", it);
		for (p = it->valuestring; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("._-*?[]!", *p))
				break;
		if (*p || !it->valuestring[0] || strlen(it->valuestring) > 64)
			return fail(l, -EINVAL, field, "bad device name '%s'", it->valuestring);
		cfg->egress_block_devices[n] = strdup(it->valuestring);
		if (!cfg->egress_block_devices[n])
			return fail_nomem(l);
		cfg->n_egress_block_devices = ++n;
	}
	return 0;
}

/* One "devices" entry: {"path": "/dev/...", "kind": "..."}, the node stat()ed for its number. */
static int parse_device(const struct loader *l, const cJSON *e, size_t i, struct config *cfg)
{
	const cJSON *path = NULL, *kind = NULL, *m;
	struct config_device *d;
	char field[64];
	struct stat st;
	uint32_t k;

	snprintf(field, sizeof(field), "devices[%zu]", i);
	if (!cJSON_IsObject(e))
		return wrong_type(l, field, "an object", e);
	cJSON_ArrayForEach(m, e) {
		const cJSON **slot;

		snprintf(field, sizeof(field), "devices[%zu].%s", i, m->string);
		if (!strcmp(m->string, "path"))
			slot = &path;
		else if (!strcmp(m->string, "kind"))
			slot = &kind;
		else
			return fail(l, -EINVAL, field, "unknown field");
		if (*slot)
			return fail(l, -EINVAL, field, "repeated");
		*slot = m;
	}
	snprintf(field, sizeof(field), "devices[%zu].kind", i);
	if (!kind)
		return fail(l, -EINVAL, field, "missing");
	if (!cJSON_IsString(kind))
		return wrong_type(l, field, "a string", kind);
	k = gpu_kind_parse(kind->valuestring);
	if (!k)
		return fail(l, -EINVAL, field, "unknown device kind '%s'", kind->valuestring);
	snprintf(field, sizeof(field), "devices[%zu].path", i);
	if (!path)
		return fail(l, -EINVAL, field, "missing");
	if (!cJSON_IsString(path))
		return wrong_type(l, field, "a string", path);
	if (path->valuestring[0] != '/')
		return fail(l, -EINVAL, field, "expected an absolute path, got '%s'",
			    path->valuestring);
	/* stat() follows symlinks: /dev/char/195:0 or a udev alias names the node behind it. */
	if (stat(path->valuestring, &st))
		return fail(l, -errno, field, "'%s': %s", path->valuestring, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return fail(l, -EINVAL, field, "'%s' is not a character device", path->valuestring);
	d = &cfg->devices[cfg->n_devices];
	d->path = strdup(path->valuestring);
	if (!d->path)
		return fail_nomem(l);
	d->rdev = dt_kdev(st.st_rdev);
	d->kind = k;
	cfg->n_devices++;
	return 0;
}

/*
 * Device nodes beside the built-in and /proc/devices ones (docs/gpu.md). Inside an entry an
 * unknown key is an error, since a typo there would silently leave a device unwatched.
 */
static int parse_devices(const struct loader *l, const cJSON *obj, struct config *cfg)
{
	const cJSON *m;
	size_t i = 0;
	int ret;

	if (!cJSON_IsArray(obj))
		return wrong_type(l, "devices", "an array", obj);
	if (cJSON_GetArraySize(obj) > CONFIG_DEVICES_MAX)
		return fail(l, -EINVAL, "devices", "more than %d entries", CONFIG_DEVICES_MAX);
	cfg->devices = calloc(cJSON_GetArraySize(obj) + 1, sizeof(*cfg->devices));
	if (!cfg->devices)
		return fail_nomem(l);
	cJSON_ArrayForEach(m, obj) {
		ret = parse_device(l, m, i++, cfg);
		if (ret)
			return ret;
	}
	return 0;
}

/* One entry per top-level section; a new section is a struct member and a line here. */
static const struct {
	const char *key;
	int (*parse)(const struct loader *l, const cJSON *obj, struct config *cfg);
} sections[] = {
	{ "kafka", parse_kafka },
	{ "metrics", parse_metrics },
	{ "egress_block_devices", parse_blockdevs },
	{ "devices", parse_devices },
};

/* node_name: what a DNS name (and so a Kubernetes node name) may hold. */
static int parse_node_name(const struct loader *l, const cJSON *root, struct config *cfg)
{
	int ret = get_str(l, root, "node_name", "node_name", 253, &cfg->node_name);

	if (ret || !cfg->node_name)
		return ret;
	for (const char *p = cfg->node_name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return fail(l, -EINVAL, "node_name", "bad character '%c' in '%s'", *p,
				    cfg->node_name);
	return 0;
}

/* An array of absolute paths of at most @max bytes, for @field, into *@out (n in *@n). */
static int parse_paths(const struct loader *l, const cJSON *root, const char *field,
		       const char *what, size_t max, char ***out, size_t *n)
{
	const cJSON *arr = get(root, field), *it;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return wrong_type(l, field, what, arr);
	*out = calloc(cJSON_GetArraySize(arr) + 1, sizeof(char *));
	if (!*out)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return wrong_type(l, field, "a string", it);
		if (it->valuestring[0] != '/' || strlen(it->valuestring) > max ||
		    strstr(it->valuestring, "/.."))
			return fail(l, -EINVAL, field,
				    "'%s' is not an absolute path of at most %zu bytes without '..'",
				    it->valuestring, max);
		(*out)[*n] = strdup(it->valuestring);
		if (!(*out)[*n])
			return fail_nomem(l);
		(*n)++;
	}
	return 0;
}

static int parse_state_dirs(const struct loader *l, const cJSON *root, struct config *cfg)
{
	int ret = parse_paths(l, root, "container_state_dirs", "an array of directories", 1024,
			      &cfg->container_state_dirs, &cfg->n_container_state_dirs);

	/* Cgroups where a runtime's own root also sits (a kind node's /docker/<id>). */
	if (!ret)
		ret = parse_paths(l, root, "cgroup_roots", "an array of cgroup paths", 200,
				  &cfg->cgroup_roots, &cfg->n_cgroup_roots);
	return ret;
}

static int parse_root(const struct loader *l, const cJSON *root, struct config *cfg)
{
	static const char *const keys[] = { "kafka", "flush_ms", "metrics", "node_name",
					    "container_state_dirs", "cgroup_roots", "devices",
					    "egress_block_devices", NULL };
	uint64_t flush_ms = cfg->flush_ms;
	const cJSON *j;
	size_t i;
	int ret;

	if (!cJSON_IsObject(root))
		return wrong_type(l, NULL, "an object at the top", root);
	/* unknown top-level keys are left alone: they may be for a newer agent */
	ret = check_dup_keys(l, root, NULL, keys);
	if (ret)
		return ret;
	ret = get_uint(l, root, "flush_ms", "flush_ms", 1, FLUSH_MS_MAX, &flush_ms);
	if (ret)
		return ret;
	cfg->flush_ms = (uint32_t)flush_ms;
	ret = parse_node_name(l, root, cfg);
	if (!ret)
		ret = parse_state_dirs(l, root, cfg);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		j = get(root, sections[i].key);
		if (!j)
			continue;
		ret = sections[i].parse(l, j, cfg);
		if (ret)
			return ret;
	}
	return 0;
}

static int syntax_error(const struct loader *l, const char *text, const char *pos)
{
	size_t line, col;

	text_position(text, pos, &line, &col);
	return fail(l, -EINVAL, NULL, "line %zu, column %zu: syntax error", line, col);
}

static struct config *config_new_defaults(const char *name)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->flush_ms = CONFIG_DEFAULT_FLUSH_MS;
	cfg->kafka.spool_max_bytes = CONFIG_DEFAULT_SPOOL_MAX_BYTES;
	cfg->file = strdup(name);
	cfg->kafka.topic_findings = strdup(CONFIG_DEFAULT_TOPIC_FINDINGS);
	cfg->kafka.topic_events = strdup(CONFIG_DEFAULT_TOPIC_EVENTS);
	cfg->kafka.spool_dir = strdup(CONFIG_DEFAULT_SPOOL_DIR);
	if (!cfg->file || !cfg->kafka.topic_findings || !cfg->kafka.topic_events ||
	    !cfg->kafka.spool_dir) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* @text must have a NUL at text[len], so that a bounds bug in cJSON stops there. */
static int parse_text(const struct loader *l, const char *text, size_t len, struct config **out)
{
	const char *end = NULL, *nul;
	struct config *cfg;
	cJSON *root;
	int ret;

	cfg = config_new_defaults(l->name);
	if (!cfg)
		return fail_nomem(l);
	/* cJSON would end a string at a NUL and go on with the rest of it as a new token */
	nul = memchr(text, '\0', len);
	if (nul) {
		ret = syntax_error(l, text, nul);
		goto err_free_cfg;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		ret = syntax_error(l, text, end ? end : text);
		goto err_free_cfg;
	}
	while (end < text + len && (unsigned char)*end <= ' ')
		end++;
	if (end != text + len) {
		ret = syntax_error(l, text, end);
		goto err_free_json;
	}
	nul = json_find_nul_escape(text, len);
	if (nul) {
		size_t line, col;

		text_position(text, nul, &line, &col);
		ret = fail(l, -EINVAL, NULL, "line %zu, column %zu: \\u0000 in a string: refusing it",
			   line, col);
		goto err_free_json;
	}
	ret = parse_root(l, root, cfg);
	if (ret)
		goto err_free_json;
	cJSON_Delete(root);
	ret = config_secrets_read(&cfg->kafka, NULL, l->err);
	if (ret)
		goto err_free_cfg;
	*out = cfg;
	return 0;

err_free_json:
	cJSON_Delete(root);
err_free_cfg:
	config_free(cfg);
	return ret;
}

int config_parse(const char *text, size_t len, const char *name, struct config **out,
		 struct errbuf *err)
{
	struct loader l = { .name = name ? name : "<memory>", .err = err };
	char *copy;
	int ret;

	copy = malloc(len + 1);
	if (!copy)
		return fail_nomem(&l);
	memcpy(copy, text, len);
	copy[len] = '\0';
	ret = parse_text(&l, copy, len, out);
	free(copy);
	return ret;
}

/*
 * Reads a whole small file that must be a regular file and not world-writable: anyone who
 * could write it could point the agent at their own broker or swap its credentials.
 * @what and @prop only shape the messages ("config 'x'" or "secret file 'x' (for 'p')").
 */
static int read_small_file(const char *path, size_t max, char **out, size_t *out_len,
			   const char *what, const char *prop, struct errbuf *err)
{
	const struct file_policy policy = { .trust = FT_REGULAR | FT_NOT_WORLD_WRITABLE,
					    .max = max };
	char subject[PATH_MAX + 320];

	if (prop)
		snprintf(subject, sizeof(subject), "%s '%s' (for '%s')", what, path, prop);
	else
		snprintf(subject, sizeof(subject), "%s '%s'", what, path);
	return read_file_trusted(path, &policy, subject, out, out_len, err);
}

int config_secret_read(const char *path, const char *prop, char **out, struct errbuf *err)
{
	size_t len;
	char *buf;
	int ret;

	ret = read_small_file(path, SECRET_MAX_SIZE, &buf, &len, "secret file", prop, err);
	if (ret)
		return ret;
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (memchr(buf, '\0', len)) {
		ret = errbuf_set(err, -EINVAL, "secret file '%s' (for '%s'): holds a NUL byte",
				 path, prop);
		goto err_free_buf;
	}
	if (!len) {
		ret = errbuf_set(err, -EINVAL, "secret file '%s' (for '%s'): is empty", path, prop);
		goto err_free_buf;
	}
	*out = buf;
	return 0;

err_free_buf:
	explicit_bzero(buf, len);
	free(buf);
	return ret;
}

static void free_secret_value(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int config_secrets_read(struct config_kafka *kc, bool *changed, struct errbuf *err)
{
	char **vals;
	bool diff = false;
	size_t i;
	int ret = 0;

	if (changed)
		*changed = false;
	if (!kc->n_secrets)
		return 0;
	vals = calloc(kc->n_secrets, sizeof(*vals));
	if (!vals)
		return errbuf_set(err, -ENOMEM, "secret files: %s", strerror(ENOMEM));
	for (i = 0; i < kc->n_secrets; i++) {
		ret = config_secret_read(kc->secrets[i].path, kc->secrets[i].name, &vals[i], err);
		if (ret)
			goto out_free_vals;
	}
	/* every file read: only now replace, so that a failed reload leaves the old set whole */
	for (i = 0; i < kc->n_secrets; i++) {
		if (!kc->secrets[i].value || strcmp(kc->secrets[i].value, vals[i]))
			diff = true;
		free_secret_value(kc->secrets[i].value);
		kc->secrets[i].value = vals[i];
		vals[i] = NULL;
	}
	if (changed)
		*changed = diff;

out_free_vals:
	for (i = 0; i < kc->n_secrets; i++)
		free_secret_value(vals[i]);
	free(vals);
	return ret;
}

const char *config_kafka_prop(const struct config_kafka *kc, const char *name)
{
	size_t i;

	for (i = 0; i < kc->n_props; i++)
		if (!strcmp(kc->props[i].name, name))
			return kc->props[i].value;
	for (i = 0; i < kc->n_secrets; i++)
		if (!strcmp(kc->secrets[i].name, name))
			return kc->secrets[i].value ? kc->secrets[i].value : "";
	return NULL;
}

int config_load(const char *path, struct config **out, struct errbuf *err)
{
	struct loader l = { .name = path, .err = err };
	char *text, *dir = NULL, *slash;
	size_t len;
	int ret;

	ret = read_small_file(path, CONFIG_MAX_SIZE, &text, &len, "config", NULL, err);
	if (ret)
		return ret;
	/* relative paths inside the file are relative to the file, not to where the agent runs */
	slash = strrchr(path, '/');
	if (slash) {
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (!dir) {
			ret = fail_nomem(&l);
			goto out_free_text;
		}
		l.dir = dir;
	}
	ret = parse_text(&l, text, len, out);
	free(dir);
out_free_text:
	free(text);
	return ret;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int config_kafka_copy(struct config_kafka *dst, const struct config_kafka *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->present = src->present;
	dst->enabled = src->enabled;
	dst->send_events = src->send_events;
	dst->spool_max_bytes = src->spool_max_bytes;
	dst->props = calloc(src->n_props ? src->n_props : 1, sizeof(*dst->props));
	dst->secrets = calloc(src->n_secrets ? src->n_secrets : 1, sizeof(*dst->secrets));
	if (!dst->props || !dst->secrets)
		goto err_release;
	for (i = 0; i < src->n_props; i++, dst->n_props++) {
		if (dup_str(&dst->props[i].name, src->props[i].name) ||
		    dup_str(&dst->props[i].value, src->props[i].value))
			goto err_release;
	}
	for (i = 0; i < src->n_secrets; i++, dst->n_secrets++) {
		if (dup_str(&dst->secrets[i].name, src->secrets[i].name) ||
		    dup_str(&dst->secrets[i].path, src->secrets[i].path) ||
		    dup_str(&dst->secrets[i].value, src->secrets[i].value))
			goto err_release;
	}
	if (dup_str(&dst->topic_findings, src->topic_findings) ||
	    dup_str(&dst->topic_events, src->topic_events) ||
	    dup_str(&dst->host_id, src->host_id) || dup_str(&dst->spool_dir, src->spool_dir))
		goto err_release;
	return 0;

err_release:
	/* the entry being filled counts too: its members are NULL or owned */
	if (dst->props && dst->n_props < src->n_props)
		dst->n_props++;
	if (dst->secrets && dst->n_secrets < src->n_secrets)
		dst->n_secrets++;
	config_kafka_release(dst);
	return -ENOMEM;
}

void config_kafka_release(struct config_kafka *kc)
{
	size_t i;

	for (i = 0; i < kc->n_props; i++) {
		free(kc->props[i].name);
		free(kc->props[i].value);
	}
	free(kc->props);
	for (i = 0; i < kc->n_secrets; i++) {
		free(kc->secrets[i].name);
		free(kc->secrets[i].path);
		free_secret_value(kc->secrets[i].value);
	}
	free(kc->secrets);
	free(kc->topic_findings);
	free(kc->topic_events);
	free(kc->host_id);
	free(kc->spool_dir);
	memset(kc, 0, sizeof(*kc));
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	config_kafka_release(&cfg->kafka);
	free(cfg->metrics_listen);
	free(cfg->metrics_token_file);
	free(cfg->metrics_tls_cert_file);
	free(cfg->metrics_tls_key_file);
	free(cfg->metrics_tls_ca_file);
	for (size_t i = 0; i < cfg->n_egress_block_devices; i++)
		free(cfg->egress_block_devices[i]);
	free(cfg->egress_block_devices);
	free(cfg->node_name);
	for (size_t i = 0; i < cfg->n_container_state_dirs; i++)
		free(cfg->container_state_dirs[i]);
	free(cfg->container_state_dirs);
	for (size_t i = 0; i < cfg->n_cgroup_roots; i++)
		free(cfg->cgroup_roots[i]);
	free(cfg->cgroup_roots);
	for (size_t i = 0; i < cfg->n_devices; i++)
		free(cfg->devices[i].path);
	free(cfg->devices);
	free(cfg->file);
	free(cfg);
}
