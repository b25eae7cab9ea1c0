// SPDX-License-Identifier: GPL-2.0
/* fleet.c - flow advisories: produced for tainted sends inside the fleet, consumed to taint receivers. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base.h"
#include "fleet.h"
#include "hmap.h"
#include "json.h"
#include "json_load.h"
#include "kafka.h"
#include "log.h"
#include "ocsf.h"

#define FLEET_MAX_ADDRS 64
#define FLEET_MAX_PENDING 4096
#define FLEET_MAX_DS 64         /* datasets one advisory may carry */
#define FLEET_PENDING_NS (30ULL * 1000000000ULL) /* an advisory waits this long for its flow */
#define FLEET_POLL_BATCH 4096
#define FLEET_SIG_HEADER "dt-sig"
#define FLEET_RX_DESTS 8         /* untainted destinations remembered per receiver */
#define FLEET_RX_MAX 16384       /* receivers remembered */
#define FLEET_SEEN_MAX 65536     /* advisories remembered against duplicates */

/* Egress keys of a receiver counted before any taint: what a late advisory must re-report. */
struct rx_dests {
	uint32_t n;
	uint32_t pad;
	struct dt_egress_key keys[FLEET_RX_DESTS];
};

struct fleet_ds {
	char id[64];
	enum dt_label label;
	struct inv_cidr egress[DT_ENF_RULES];
	size_t n_egress;
};

/* A parsed, verified advisory. */
struct advisory {
	struct remote_origin o;
	uint8_t src[16], dst[16]; /* v4-mapped or IPv6 */
	uint16_t sport, dport;
	uint64_t expire_ns; /* CLOCK_MONOTONIC: given up after */
	size_t n_ds;
	struct fleet_ds ds[FLEET_MAX_DS];
};

struct fleet {
	char node[256];
	char topic[256];
	struct inv_cidr cidrs[FLEET_MAX_CIDRS];
	size_t n_cidrs;
	unsigned char *key;
	size_t key_len;
	uint64_t max_age_ms;
	uint8_t addrs[FLEET_MAX_ADDRS][16]; /* this agent's addresses (its scope's namespaces) */
	size_t n_addrs;
	uint32_t netns[DT_SCOPE_MAX];
	size_t n_netns;
	struct kafka_sink *sink; /* the advisories' producer, spooled like findings */
	rd_kafka_t *cons;
	int taint_fd, chan_fd, flows_fd, egsrc_fd, egress_fd, egress_seen_fd, procs_fd;
	uint64_t *chan_count;
	const struct inventory *inv;
	struct fleet_hooks hooks;
	struct advisory *pending[FLEET_MAX_PENDING];
	size_t n_pending;
	struct fleet_stats st;
	struct jbuf jb;
	struct hmap rx; /* tgid -> struct rx_dests */
	struct hmap seen; /* signature (hex) -> 1: advisories already taken */
};

/* The advisory's time: the sender's and receiver's wall clocks, for max_age_s. */
static uint64_t wall_ms(void)
{
	return now_ns(CLOCK_REALTIME) / 1000000;
}

static void addr_mapped(uint8_t out[16], int family, const void *a)
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
	} else {
		memcpy(out, a, 16);
	}
}

static int addr_parse(const char *s, uint8_t out[16])
{
	uint8_t a[16];

	if (inet_pton(AF_INET, s, a) == 1) {
		addr_mapped(out, AF_INET, a);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		memcpy(out, a, 16);
		return 0;
	}
	return -EINVAL;
}

static void cidr_str(const struct inv_cidr *c, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	size_t len;

	inet_ntop(c->family, c->addr, a, sizeof(a));
	len = snprintf(buf, n, c->family == AF_INET6 && c->port ? "[%s]/%d" : "%s/%d", a,
		       c->prefix);
	if (c->port && len < n)
		snprintf(buf + len, n - len, ":%u", c->port);
}

/* Hex HMAC-SHA256 of @msg under the fleet key; @out holds 65 bytes. */
void fleet_sign(const struct fleet *f, const char *msg, size_t len, char out[65])
{
	unsigned char mac[32];
	unsigned int mac_len = sizeof(mac);

	HMAC(EVP_sha256(), f->key, (int)f->key_len, (const unsigned char *)msg, len, mac, &mac_len);
	for (unsigned int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* Addresses of the network namespace at @path (or the agent's own, @path NULL). */
struct ns_addrs {
	const char *path;
	struct fleet *f;
	int err;
};

static void *ns_addrs_thread(void *arg)
{
	struct ns_addrs *na = arg;
	struct ifaddrs *ifa, *i;
	int fd;

	if (na->path) {
		/* setns() changes this thread only: the agent itself stays where it is. */
		fd = open(na->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			na->err = -errno;
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		close(fd);
	}
	if (getifaddrs(&ifa)) {
		na->err = -errno;
		return NULL;
	}
	for (i = ifa; i; i = i->ifa_next) {
		struct fleet *f = na->f;
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : 0;

		if ((fam != AF_INET && fam != AF_INET6) || f->n_addrs >= FLEET_MAX_ADDRS)
			continue;
		if (fam == AF_INET)
			addr_mapped(f->addrs[f->n_addrs], fam,
				    &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else
			addr_mapped(f->addrs[f->n_addrs], fam,
				    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
		f->n_addrs++;
	}
	freeifaddrs(ifa);
	return NULL;
}

static int scope_addrs(struct fleet *f, const struct scope *s, struct errbuf *err)
{
	struct ns_addrs na = { .f = f };
	pthread_t th;
	size_t n = 0;

	for (size_t i = 0; i <= s->n; i++) {
		if (i < s->n && s->ents[i].kind != DT_SCOPE_NETNS)
			continue;
		if (i == s->n && n)
			break;
		na.path = i < s->n ? s->paths[i] : NULL;
		na.err = 0;
		if (pthread_create(&th, NULL, ns_addrs_thread, &na))
			return errbuf_set(err, -EAGAIN, "fleet: cannot start a thread");
		pthread_join(th, NULL);
		if (na.err)
			return errbuf_set(err, na.err, "fleet: addresses of '%s': %s",
					  na.path ? na.path : "the agent's network namespace",
					  strerror(-na.err));
		n++;
	}
	f->n_netns = scope_netns(s, f->netns, DT_SCOPE_MAX);
	return 0;
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, struct errbuf *err)
{
	char errstr[256];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		return errbuf_set(err, -EINVAL, "fleet: kafka property '%s': %s", name, errstr);
	return 0;
}

/* A client with the kafka section's properties and secrets, then @extra (name, value pairs). */
static int client_new(const struct config *cfg, rd_kafka_type_t type, const char *const *extra,
		      rd_kafka_t **out, struct errbuf *err)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	int ret = 0;

	if (!conf)
		return errbuf_set(err, -ENOMEM, "fleet: %s", strerror(ENOMEM));
	for (size_t i = 0; !ret && cfg && i < cfg->kafka.n_props; i++)
		ret = conf_set(conf, cfg->kafka.props[i].name, cfg->kafka.props[i].value, err);
	for (size_t i = 0; !ret && cfg && i < cfg->kafka.n_secrets; i++)
		ret = conf_set(conf, cfg->kafka.secrets[i].name,
			       cfg->kafka.secrets[i].value ? cfg->kafka.secrets[i].value : "", err);
	for (size_t i = 0; !ret && extra[i]; i += 2)
		ret = conf_set(conf, extra[i], extra[i + 1], err);
	if (ret)
		goto err_conf;
	*out = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	if (!*out) {
		ret = errbuf_set(err, -EINVAL, "fleet: kafka client: %s", errstr);
		goto err_conf;
	}
	return 0;
err_conf:
	rd_kafka_conf_destroy(conf);
	return ret;
}

/*
 * Only the partitions this node's addresses hash to (the producer keys each advisory by its
 * destination address, with the same "consistent" partitioner): each node reads its share.
 */
static int consumer_assign(struct fleet *f, struct errbuf *err)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_topic_t *rkt;
	int cnt = 0, ret = 0;
	char a[INET6_ADDRSTRLEN];

	rkt = rd_kafka_topic_new(f->cons, f->topic, NULL);
	if (!rkt)
		return errbuf_set(err, -ENOMEM, "fleet: topic '%s'", f->topic);
	for (int tries = 0; tries < 20 && cnt <= 0; tries++) {
		if (rd_kafka_metadata(f->cons, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (md->topic_cnt == 1 && !md->topics[0].err)
				cnt = md->topics[0].partition_cnt;
			rd_kafka_metadata_destroy(md);
		}
		if (cnt <= 0)
			usleep(250000);
	}
	if (cnt <= 0) {
		ret = errbuf_set(err, -ENOENT, "fleet: topic '%s': no partitions (is the broker up?)",
				 f->topic);
		goto out_topic;
	}
	parts = rd_kafka_topic_partition_list_new(f->n_addrs);
	for (size_t i = 0; i < f->n_addrs; i++) {
		int32_t p;

		dt_addr_str(f->addrs[i], a, sizeof(a));
		p = rd_kafka_msg_partitioner_consistent(rkt, a, strlen(a), cnt, NULL, NULL);
		if (!rd_kafka_topic_partition_list_find(parts, f->topic, p))
			rd_kafka_topic_partition_list_add(parts, f->topic, p)->offset =
				RD_KAFKA_OFFSET_BEGINNING;
	}
	if (rd_kafka_assign(f->cons, parts))
		ret = errbuf_set(err, -EINVAL, "fleet: cannot assign partitions of '%s'", f->topic);
	rd_kafka_topic_partition_list_destroy(parts);
out_topic:
	rd_kafka_topic_destroy(rkt);
	return ret;
}

/* The config file again, for its fleet section, with the checks config_load() makes. */
static int read_section(const char *path, cJSON **out, struct errbuf *err)
{
	const struct file_policy policy = { .trust = FT_REGULAR | FT_NOT_WORLD_WRITABLE,
					    .max = 1u << 20 };
	char subject[PATH_MAX + 16], *text;
	const char *dup;
	cJSON *doc;
	size_t len;
	int ret;

	snprintf(subject, sizeof(subject), "config '%s'", path);
	ret = read_file_trusted(path, &policy, subject, &text, &len, err);
	if (ret)
		return ret;
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (!doc)
		return errbuf_set(err, -EINVAL, "config '%s': not JSON", path);
	dup = json_dup_key(cJSON_GetObjectItemCaseSensitive(doc, "fleet"), NULL);
	if (dup) {
		cJSON_Delete(doc);
		return errbuf_set(err, -EINVAL, "config '%s': field 'fleet': duplicate key '%s'",
				  path, dup);
	}
	*out = doc;
	return 0;
}

struct fleet *fleet_new(const char *node, const void *key, size_t key_len)
{
	struct fleet *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	jb_init(&f->jb);
	hmap_init(&f->rx, sizeof(uint32_t), sizeof(struct rx_dests));
	hmap_init(&f->seen, 64, 1);
	snprintf(f->node, sizeof(f->node), "%s", node);
	snprintf(f->topic, sizeof(f->topic), "datatrail.fleet");
	f->max_age_ms = 300000;
	if (key_len) {
		f->key = malloc(key_len);
		if (!f->key) {
			free(f);
			return NULL;
		}
		memcpy(f->key, key, key_len);
		f->key_len = key_len;
	}
	return f;
}

int fleet_add_local(struct fleet *f, const uint8_t addr[16], uint32_t netns)
{
	if (f->n_addrs >= FLEET_MAX_ADDRS || f->n_netns >= DT_SCOPE_MAX)
		return -ENOSPC;
	memcpy(f->addrs[f->n_addrs++], addr, 16);
	for (size_t i = 0; i < f->n_netns; i++) {
		if (f->netns[i] == netns)
			return 0;
	}
	f->netns[f->n_netns++] = netns;
	return 0;
}

/* The destination address of advisory @data: its key, so its receiver's partition. */
static size_t advisory_dst(const char *data, size_t len, char *out, size_t n)
{
	static const char pat[] = "\"dst\":\"";
	const char *p = memmem(data, len, pat, sizeof(pat) - 1), *end = data + len;
	size_t i = 0;

	if (p)
		for (p += sizeof(pat) - 1; p < end && i + 1 < n && *p != '"'; p++)
			out[i++] = *p;
	out[i] = 0;
	return p && p < end ? i : 0;
}

/*
 * Each advisory goes out keyed by its destination and signed: also when it is resent from
 * the spool, which keeps only its text.
 */
static int advisory_frame(void *ctx, const char *data, size_t len, struct kafka_frame *fr)
{
	const struct fleet *f = ctx;
	char sig[65];

	fr->key_len = advisory_dst(data, len, fr->key, sizeof(fr->key));
	if (!fr->key_len)
		return -EINVAL;
	fleet_sign(f, data, len, sig);
	fr->header = FLEET_SIG_HEADER;
	memcpy(fr->value, sig, 64);
	fr->value_len = 64;
	return 0;
}

/*
 * The advisories' spool: fleet.spool_dir, else "fleet-NODE" in kafka.spool.dir (one per node
 * name, so agents scoped as nodes on one host keep theirs apart).
 */
static int spool_path(const char *path, const cJSON *sec, const struct config *cfg,
		      const char *node, char *out, size_t n, struct errbuf *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(sec, "spool_dir");
	size_t len;

	if (it) {
		if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) >= n)
			return errbuf_set(err, -EINVAL, "config '%s': field 'fleet.spool_dir': bad "
					  "value", path);
		snprintf(out, n, "%s", it->valuestring);
		return 0;
	}
	len = snprintf(out, n, "%s/fleet-", cfg->kafka.spool_dir);
	for (; *node && len + 1 < n; node++)
		out[len++] = isalnum((unsigned char)*node) || strchr("._-", *node) ? *node : '_';
	out[len] = 0;
	return 0;
}

int fleet_open(const char *path, const struct config *cfg, const char *node,
	       const struct scope *scope, struct fleet **out, struct errbuf *err)
{
	const char *cons_extra[] = { "group.id", NULL, "enable.auto.commit", "false",
				     "allow.auto.create.topics", "true", "client.id",
				     "datatrail-fleet", NULL };
	cJSON *doc = NULL, *sec, *it;
	struct config pc;
	struct fleet *f;
	char group[300], spool[PATH_MAX], *key = NULL;
	int ret;

	*out = NULL;
	if (!path)
		return 0;
	ret = read_section(path, &doc, err);
	if (ret)
		return ret;
	sec = cJSON_GetObjectItemCaseSensitive(doc, "fleet");
	if (!sec) {
		cJSON_Delete(doc);
		return 0;
	}
	f = fleet_new(node, NULL, 0);
	if (!f) {
		ret = errbuf_set(err, -ENOMEM, "fleet: %s", strerror(ENOMEM));
		goto out_doc;
	}
	if (!cJSON_IsObject(sec)) {
		ret = errbuf_set(err, -EINVAL, "config '%s': field 'fleet': not an object", path);
		goto err_free;
	}
	it = cJSON_GetObjectItemCaseSensitive(sec, "cidrs");
	if (!cJSON_IsArray(it) || !cJSON_GetArraySize(it)) {
		ret = errbuf_set(err, -EINVAL, "config '%s': field 'fleet.cidrs': a non-empty array "
				 "of CIDRs is required", path);
		goto err_free;
	}
	for (cJSON *c = it->child; c; c = c->next) {
		if (!cJSON_IsString(c) || f->n_cidrs >= FLEET_MAX_CIDRS ||
		    inv_cidr_parse(c->valuestring, &f->cidrs[f->n_cidrs])) {
			ret = errbuf_set(err, -EINVAL, "config '%s': field 'fleet.cidrs': bad value "
					 "'%s'", path, cJSON_IsString(c) ? c->valuestring : "?");
			goto err_free;
		}
		f->n_cidrs++;
	}
	it = cJSON_GetObjectItemCaseSensitive(sec, "topic");
	if (it) {
		if (!cJSON_IsString(it) || !it->valuestring[0] ||
		    strlen(it->valuestring) >= sizeof(f->topic)) {
			ret = errbuf_set(err, -EINVAL, "config '%s': field 'fleet.topic': bad value",
					 path);
			goto err_free;
		}
		snprintf(f->topic, sizeof(f->topic), "%s", it->valuestring);
	}
	it = cJSON_GetObjectItemCaseSensitive(sec, "max_age_s");
	if (it) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 86400) {
			ret = errbuf_set(err, -EINVAL, "config '%s': field 'fleet.max_age_s': bad "
					 "value (1..86400)", path);
			goto err_free;
		}
		f->max_age_ms = (uint64_t)it->valuedouble * 1000;
	}
	it = cJSON_GetObjectItemCaseSensitive(sec, "key_file");
	if (!cJSON_IsString(it)) {
		ret = errbuf_set(err, -EINVAL, "config '%s': field 'fleet.key_file': required "
				 "(the fleet's HMAC key)", path);
		goto err_free;
	}
	ret = config_secret_read(it->valuestring, "fleet.key_file", &key, err);
	if (ret)
		goto err_free;
	f->key_len = strlen(key);
	f->key = (unsigned char *)key;
	if (f->key_len < 16) {
		ret = errbuf_set(err, -EINVAL, "secret file '%s' (for 'fleet.key_file'): shorter "
				 "than 16 bytes", it->valuestring);
		goto err_free;
	}
	ret = scope_addrs(f, scope, err);
	if (ret)
		goto err_free;
	if (!cfg) {
		ret = errbuf_set(err, -EINVAL, "config '%s': fleet needs the kafka section", path);
		goto err_free;
	}
	ret = spool_path(path, sec, cfg, node, spool, sizeof(spool), err);
	if (ret)
		goto err_free;
	/*
	 * The findings sink's producer and spool, on the fleet topic and spool: an advisory is
	 * kept on disk until the broker has it, across outages and restarts. The default
	 * partitioner hashes the key as the consumer does (consumer_assign()).
	 */
	pc = *cfg;
	pc.kafka.enabled = true;
	pc.kafka.send_events = false;
	pc.kafka.topic_findings = f->topic;
	ret = kafka_sink_open_framed(&pc, spool, advisory_frame, f, &f->sink, err);
	if (ret)
		goto err_free;
	snprintf(group, sizeof(group), "datatrail-fleet-%s", node);
	cons_extra[1] = group;
	ret = client_new(cfg, RD_KAFKA_CONSUMER, cons_extra, &f->cons, err);
	if (ret)
		goto err_free;
	ret = consumer_assign(f, err);
	if (ret)
		goto err_free;
	cJSON_Delete(doc);
	*out = f;
	return 0;

err_free:
	fleet_close(f);
out_doc:
	cJSON_Delete(doc);
	return ret;
}

void fleet_set_maps(struct fleet *f, int taint_fd, int chan_fd, int flows_fd, int egsrc_fd,
		    int egress_fd, int egress_seen_fd, int procs_fd, uint64_t *chan_count,
		    const struct inventory *inv, const struct fleet_hooks *hooks)
{
	f->taint_fd = taint_fd;
	f->chan_fd = chan_fd;
	f->flows_fd = flows_fd;
	f->egsrc_fd = egsrc_fd;
	f->egress_fd = egress_fd;
	f->egress_seen_fd = egress_seen_fd;
	f->procs_fd = procs_fd;
	f->chan_count = chan_count;
	f->inv = inv;
	f->hooks = *hooks;
}

void fleet_set_inventory(struct fleet *f, const struct inventory *inv)
{
	f->inv = inv;
}

static bool in_fleet(const struct fleet *f, const uint8_t addr[16], uint16_t port)
{
	for (size_t i = 0; i < f->n_cidrs; i++) {
		if (inv_cidr_match(&f->cidrs[i], AF_INET6, addr, port))
			return true;
	}
	return false;
}

/* The kernel's record of the sender: it may have exited by the time the record is read. */
static void proc_comm(const struct fleet *f, uint32_t tgid, char out[DT_COMM_LEN])
{
	struct dt_proc p;

	out[0] = 0;
	if (!bpf_map_lookup_elem(f->procs_fd, &tgid, &p))
		snprintf(out, DT_COMM_LEN, "%.*s", DT_COMM_LEN - 1, p.comm);
}

int fleet_advisory(struct fleet *f, const struct dt_egress_key *k, const struct dt_taint *t,
		   const uint8_t saddr[16], uint16_t sport, const char *comm, char sig[65])
{
	struct jbuf *jb = &f->jb;
	char a[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], cidr[80];

	jb_reset(jb);
	jb_obj_open(jb, NULL);
	jb_u64(jb, "v", 1);
	jb_str(jb, "node", f->node);
	jb_u64(jb, "ts_ms", wall_ms());
	jb_str(jb, "proto", k->proto == 17 ? "udp" : "tcp");
	jb_str(jb, "src", dt_addr_str(saddr, a, sizeof(a)));
	jb_u64(jb, "sport", sport);
	jb_str(jb, "dst", dt_addr_str(k->addr, dst, sizeof(dst)));
	jb_u64(jb, "dport", k->port);
	jb_u64(jb, "pid", k->tgid);
	jb_str(jb, "comm", comm);
	jb_arr_open(jb, "datasets");
	for (size_t i = 0; i < f->inv->n_datasets && i < DT_TAINT_OVERFLOW; i++) {
		const struct inv_dataset *ds = &f->inv->datasets[i];

		if (!(t->ds[i >> 6] & (1ULL << (i & 63))))
			continue;
		jb_obj_open(jb, NULL);
		jb_str(jb, "id", ds->id);
		jb_str(jb, "classification", dt_label_name(ds->label));
		jb_arr_open(jb, "allowed_egress");
		for (size_t j = 0; j < ds->n_egress; j++) {
			cidr_str(&ds->egress[j], cidr, sizeof(cidr));
			jb_str(jb, NULL, cidr);
		}
		jb_arr_close(jb);
		jb_obj_close(jb);
	}
	jb_arr_close(jb);
	jb_obj_close(jb);
	if (jb_finish(jb))
		return -EINVAL;
	jb->buf[--jb->len] = 0; /* no newline in a Kafka record */
	fleet_sign(f, jb->buf, jb->len, sig);
	return 0;
}

const char *fleet_advisory_text(const struct fleet *f, size_t *len)
{
	*len = f->jb.len;
	return f->jb.buf;
}

/* A receiver's send counted before any taint: remembered for a late advisory. */
static void note_rx(struct fleet *f, const struct dt_egress_key *k)
{
	struct rx_dests *d;
	bool created;

	/* Bounded: past it the oldest knowledge is dropped all at once, and counted. */
	if (hmap_count(&f->rx) >= FLEET_RX_MAX && !hmap_get(&f->rx, &k->tgid)) {
		f->st.rx_forgotten += hmap_count(&f->rx);
		hmap_free(&f->rx);
		hmap_init(&f->rx, sizeof(uint32_t), sizeof(struct rx_dests));
	}
	d = hmap_put(&f->rx, &k->tgid, &created);
	if (!d)
		return;
	if (created)
		memset(d, 0, sizeof(*d));
	if (d->n < FLEET_RX_DESTS)
		d->keys[d->n++] = *k;
	else
		f->st.rx_forgotten++;
}

void fleet_on_egress(struct fleet *f, const struct dt_egress_key *k)
{
	struct dt_egress_val v;
	struct dt_flow_src src;
	char comm[DT_COMM_LEN], sig[65];

	if (bpf_map_lookup_elem(f->egress_fd, k, &v))
		return;
	/* A receiver's sends are counted before it is tainted (fleetrx): nothing to advise yet. */
	if (!(v.taint.ds[0] | v.taint.ds[1] | v.taint.ds[2] | v.taint.ds[3])) {
		note_rx(f, k);
		return;
	}
	if (!in_fleet(f, k->addr, k->port))
		return;
	if (bpf_map_lookup_elem(f->egsrc_fd, k, &src)) {
		f->st.produce_errors++;
		return;
	}
	proc_comm(f, k->tgid, comm);
	if (fleet_advisory(f, k, &v.taint, src.saddr, src.sport, comm, sig)) {
		f->st.produce_errors++;
		return;
	}
	/* Spooled, then sent: a refusal here is the spool's (full, I/O), counted there too. */
	if (kafka_sink_produce(f->sink, SPOOL_FINDINGS, f->jb.buf, f->jb.len)) {
		f->st.produce_errors++;
		return;
	}
	f->st.produced++;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static bool jnum(const cJSON *o, const char *k, double min, double max, double *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(it) || it->valuedouble < min || it->valuedouble > max)
		return false;
	*out = it->valuedouble;
	return true;
}

/* Every field present and well-formed, or -EINVAL. */
static int advisory_parse(const char *payload, size_t len, struct advisory *ad)
{
	cJSON *doc = cJSON_ParseWithLength(payload, len), *dss;
	const char *s;
	double d;
	int ret = -EINVAL;

	memset(ad, 0, sizeof(*ad));
	if (!doc)
		return -EINVAL;
	if (!jnum(doc, "v", 1, 1, &d) || !(s = jstr(doc, "node")) || strlen(s) >= sizeof(ad->o.node))
		goto out;
	snprintf(ad->o.node, sizeof(ad->o.node), "%s", s);
	if (!(s = jstr(doc, "proto")) || strcmp(s, "tcp"))
		goto out;
	if (!(s = jstr(doc, "src")) || addr_parse(s, ad->src))
		goto out;
	if (!(s = jstr(doc, "dst")) || addr_parse(s, ad->dst))
		goto out;
	if (!jnum(doc, "sport", 1, 65535, &d))
		goto out;
	ad->sport = (uint16_t)d;
	if (!jnum(doc, "dport", 1, 65535, &d))
		goto out;
	ad->dport = (uint16_t)d;
	if (!jnum(doc, "pid", 1, 4194304, &d))
		goto out;
	ad->o.pid = (uint32_t)d;
	if (!jnum(doc, "ts_ms", 0, 1e15, &d))
		goto out;
	ad->expire_ns = (uint64_t)d; /* the sender's wall clock until checked */
	s = jstr(doc, "comm");
	snprintf(ad->o.comm, sizeof(ad->o.comm), "%s", s ? s : "");
	dss = cJSON_GetObjectItemCaseSensitive(doc, "datasets");
	if (!cJSON_IsArray(dss) || !cJSON_GetArraySize(dss) ||
	    cJSON_GetArraySize(dss) > FLEET_MAX_DS)
		goto out;
	for (cJSON *o = dss->child; o; o = o->next) {
		struct fleet_ds *fd = &ad->ds[ad->n_ds];
		cJSON *eg = cJSON_GetObjectItemCaseSensitive(o, "allowed_egress");

		if (!(s = jstr(o, "id")) || !s[0] || strlen(s) >= sizeof(fd->id))
			goto out;
		snprintf(fd->id, sizeof(fd->id), "%s", s);
		if (!(s = jstr(o, "classification")) || dt_label_parse(s) == DT_LABEL_NONE)
			goto out;
		fd->label = dt_label_parse(s);
		if (!cJSON_IsArray(eg) || cJSON_GetArraySize(eg) > DT_ENF_RULES)
			goto out;
		for (cJSON *c = eg->child; c; c = c->next) {
			if (!cJSON_IsString(c) || inv_cidr_parse(c->valuestring,
								  &fd->egress[fd->n_egress]))
				goto out;
			fd->n_egress++;
		}
		ad->n_ds++;
	}
	ret = 0;
out:
	cJSON_Delete(doc);
	return ret;
}

int fleet_verify(const struct fleet *f, const char *payload, size_t len, const char *sig)
{
	char want[65];

	if (len > FLEET_MAX_ADVISORY)
		return -EMSGSIZE;
	if (!sig)
		return -EPERM;
	fleet_sign(f, payload, len, want);
	if (CRYPTO_memcmp(want, sig, 64))
		return -EPERM;
	return 0;
}

static bool ours(const struct fleet *f, const uint8_t addr[16])
{
	for (size_t i = 0; i < f->n_addrs; i++) {
		if (!memcmp(f->addrs[i], addr, 16))
			return true;
	}
	return false;
}

/* The local dataset index of an advisory's dataset: the inventory's, else a foreign slot. */
static int ds_index(struct fleet *f, const struct fleet_ds *fd, uint32_t *idx, enum dt_label *label)
{
	for (size_t i = 0; i < f->inv->n_datasets; i++) {
		if (!strcmp(f->inv->datasets[i].id, fd->id) && !f->inv->datasets[i].retired) {
			/* This node's own entry wins over what the advisory says. */
			*idx = i;
			*label = f->inv->datasets[i].label;
			return 0;
		}
	}
	if (!f->hooks.foreign)
		return -ENOENT;
	*label = fd->label;
	if (f->hooks.foreign(f->hooks.ctx, fd->id, fd->label, fd->egress, fd->n_egress, idx))
		return -ENOSPC;
	f->st.foreign_ds++;
	return 0;
}

/* ORs @src into @dst; whether @dst gained anything. */
static bool merge(struct dt_taint *dst, const struct dt_taint *src)
{
	bool changed = false;

	for (int i = 0; i < DT_TAINT_WORDS; i++) {
		changed |= (src->ds[i] & ~dst->ds[i]) != 0;
		dst->ds[i] |= src->ds[i];
	}
	if (src->label > dst->label) {
		dst->label = src->label;
		dst->primary = src->primary;
		changed = true;
	}
	return changed;
}

/*
 * Sends the receiver made before the advisory arrived were counted without datasets (the
 * kernel keeps egress for processes that accepted a connection, fleet.bpf.h): they get the
 * advisory's now, and their shadow is dropped so that the next flush reports them again.
 */
static void merge_egress(struct fleet *f, uint32_t tgid, const struct dt_taint *t)
{
	struct rx_dests *d = hmap_get(&f->rx, &tgid);
	struct dt_egress_val v;

	if (!d)
		return;
	for (uint32_t i = 0; i < d->n; i++) {
		if (bpf_map_lookup_elem(f->egress_fd, &d->keys[i], &v))
			continue;
		merge(&v.taint, t);
		if (!bpf_map_update_elem(f->egress_fd, &d->keys[i], &v, BPF_EXIST)) {
			bpf_map_delete_elem(f->egress_seen_fd, &d->keys[i]);
			f->st.egress_merged++;
		}
	}
	hmap_del(&f->rx, &tgid);
}

/* Finds the receiving socket of @ad here and taints its process and channel; false: not yet. */
static bool apply(struct fleet *f, const struct advisory *ad)
{
	struct dt_chan_key ck = {};
	struct dt_flow flow;
	struct dt_taint t = {}, cur;
	struct dt_ev_taint ev = {};
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	bool found = false, changed = true;

	ck.kind = DT_CHAN_TCP;
	ck.lport = ad->dport;
	ck.rport = ad->sport;
	memcpy(ck.laddr, ad->dst, 16);
	memcpy(ck.raddr, ad->src, 16);
	for (size_t i = 0; i < f->n_netns && !found; i++) {
		ck.ns = f->netns[i];
		found = !bpf_map_lookup_elem(f->flows_fd, &ck, &flow);
	}
	if (!found)
		return false;
	for (size_t i = 0; i < ad->n_ds; i++) {
		enum dt_label label;
		uint32_t idx;

		if (ds_index(f, &ad->ds[i], &idx, &label)) {
			f->st.foreign_full++;
			continue;
		}
		if (idx > DT_TAINT_OVERFLOW)
			idx = DT_TAINT_OVERFLOW;
		t.ds[idx >> 6] |= 1ULL << (idx & 63);
		if (label > t.label) {
			t.label = label;
			t.primary = idx;
		}
	}
	t.first_ns = mono_ns();
	t.hop = DT_HOP_REMOTE;
	t.src_pid = ad->o.pid;
	if (!bpf_map_lookup_elem(f->taint_fd, &flow.tgid, &cur)) {
		changed = merge(&cur, &t);
		if (changed)
			bpf_map_update_elem(f->taint_fd, &flow.tgid, &cur, BPF_EXIST);
	} else {
		bpf_map_update_elem(f->taint_fd, &flow.tgid, &t, BPF_NOEXIST);
	}
	/* Later readers of the socket (a child that inherited it) take it from the channel. */
	if (!bpf_map_lookup_elem(f->chan_fd, &ck, &cur)) {
		if (merge(&cur, &t))
			bpf_map_update_elem(f->chan_fd, &ck, &cur, BPF_EXIST);
	} else if (!bpf_map_update_elem(f->chan_fd, &ck, &t, BPF_NOEXIST)) {
		__atomic_fetch_add(f->chan_count, 1, __ATOMIC_SEQ_CST);
	}
	f->st.matched++;
	/* The process had all of it already (an advisory read again): nothing new to report. */
	if (!changed)
		return true;
	merge_egress(f, flow.tgid, &t);
	ev.hdr.type = DT_EV_TAINT;
	ev.hdr.size = sizeof(ev);
	ev.hdr.ts_ns = t.first_ns;
	ev.tgid = flow.tgid;
	ev.src_id = flow.sk;
	ev.taint = t;
	if (f->hooks.tainted) {
		struct remote_origin o = ad->o;

		snprintf(o.flow, sizeof(o.flow), "%s:%u>%s:%u/tcp", dt_addr_str(ad->src, s, sizeof(s)),
			 ad->sport, dt_addr_str(ad->dst, d, sizeof(d)), ad->dport);
		f->hooks.tainted(f->hooks.ctx, &ev, &o);
	}
	return true;
}

int fleet_ingest(struct fleet *f, const char *payload, size_t len, const char *sig,
		 long long offset)
{
	struct advisory *ad;
	uint8_t *one;
	bool created;
	int ret;

	f->st.consumed++;
	if (len > FLEET_MAX_ADVISORY) {
		f->st.rejected_bad++;
		return -EMSGSIZE;
	}
	ret = fleet_verify(f, payload, len, sig);
	if (ret) {
		f->st.rejected_sig++;
		if (f->st.rejected_sig <= 10)
			dt_log("datatrail: fleet: advisory at offset %lld of '%s' "
			       "refused: %s\n", offset, f->topic,
			       sig ? "bad signature" : "unsigned");
		return ret;
	}
	/*
	 * The spool delivers at least once: an advisory a stopped producer had already handed to
	 * the broker is sent again from the spool by the next one. Same bytes, same signature.
	 */
	if (hmap_get(&f->seen, sig)) {
		f->st.duplicates++;
		return -EALREADY;
	}
	if (hmap_count(&f->seen) >= FLEET_SEEN_MAX) {
		/* Older than max_age_s by then, in any fleet that is not flooding the topic. */
		hmap_free(&f->seen);
		hmap_init(&f->seen, 64, 1);
	}
	one = hmap_put(&f->seen, sig, &created);
	if (one)
		*one = 1;
	ad = malloc(sizeof(*ad));
	if (!ad)
		return -ENOMEM;
	if (advisory_parse(payload, len, ad)) {
		f->st.rejected_bad++;
		if (f->st.rejected_bad <= 10)
			dt_log("datatrail: fleet: advisory at offset %lld of '%s' "
			       "refused: malformed\n", offset, f->topic);
		free(ad);
		return -EINVAL;
	}
	if (ad->expire_ns + f->max_age_ms < wall_ms()) {
		f->st.stale++;
		free(ad);
		return -ESTALE;
	}
	if (!ours(f, ad->dst)) {
		f->st.not_ours++;
		free(ad);
		return -ENOENT;
	}
	if (apply(f, ad)) {
		free(ad);
		return 0;
	}
	/* The receiver may not have accepted yet: kept a while. */
	if (f->n_pending >= FLEET_MAX_PENDING) {
		f->st.unmatched++;
		free(ad);
		return -ENOSPC;
	}
	ad->expire_ns = mono_ns() + FLEET_PENDING_NS;
	f->pending[f->n_pending++] = ad;
	return -EAGAIN;
}

static void on_message(struct fleet *f, const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs = NULL;
	const void *sig = NULL;
	size_t sig_len = 0;
	char sigs[65] = "";

	if (!rd_kafka_message_headers(m, &hdrs) &&
	    !rd_kafka_header_get_last(hdrs, FLEET_SIG_HEADER, &sig, &sig_len) && sig_len == 64) {
		memcpy(sigs, sig, 64);
		sigs[64] = 0;
	}
	fleet_ingest(f, m->payload, m->len, sigs[0] ? sigs : NULL, (long long)m->offset);
}

void fleet_poll(struct fleet *f)
{
	rd_kafka_message_t *m;
	uint64_t now = mono_ns();
	size_t j = 0;

	kafka_sink_poll(f->sink, 0);
	for (int i = 0; i < FLEET_POLL_BATCH; i++) {
		m = rd_kafka_consumer_poll(f->cons, 0);
		if (!m)
			break;
		if (!m->err)
			on_message(f, m);
		rd_kafka_message_destroy(m);
	}
	for (size_t i = 0; i < f->n_pending; i++) {
		struct advisory *ad = f->pending[i];

		if (apply(f, ad)) {
			free(ad);
		} else if (now > ad->expire_ns) {
			f->st.unmatched++;
			free(ad);
		} else {
			f->pending[j++] = ad;
		}
	}
	f->n_pending = j;
}

void fleet_stats(const struct fleet *f, struct fleet_stats *st)
{
	struct kafka_stats ks;

	*st = f->st;
	if (!f->sink)
		return;
	kafka_sink_stats(f->sink, &ks);
	st->delivered = ks.delivered;
	st->spooled = ks.spooled;
	st->dropped = ks.dropped_findings;
	st->delivery_errors = ks.delivery_errors;
}

void fleet_close(struct fleet *f)
{
	if (!f)
		return;
	/* What the broker has not taken by then stays spooled for the next start. */
	kafka_sink_close(f->sink, 2000);
	if (f->cons) {
		rd_kafka_consumer_close(f->cons);
		rd_kafka_destroy(f->cons);
	}
	for (size_t i = 0; i < f->n_pending; i++)
		free(f->pending[i]);
	if (f->key) {
		OPENSSL_cleanse(f->key, f->key_len);
		free(f->key);
	}
	jb_free(&f->jb);
	hmap_free(&f->rx);
	hmap_free(&f->seen);
	free(f);
}
