// SPDX-License-Identifier: GPL-2.0
/* metrics.c - Prometheus exposition of the agent's counters over libmicrohttpd; see metrics.h. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "metrics.h"

/* Upper bounds of the flush duration histogram, in seconds. */
static const double flush_bounds[METRICS_FLUSH_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1,
};

/* The Prometheus text format's content type. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

int metrics_parse_listen(const char *what, const char *s, struct sockaddr_storage *ss,
			 socklen_t *len, struct errbuf *eb)
{
	char host[64];
	const char *colon, *h = host;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	colon = s ? strrchr(s, ':') : NULL;
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		goto bad;
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || !colon[1] || *end || port == 0 || port > 65535)
		goto bad;
	if (host[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			goto bad;
		host[n - 1] = 0;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		*len = sizeof(*a6);
		return 0;
	}
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		/* No address: loopback. Every address is asked for by name (0.0.0.0). */
		if (!host[0])
			h = "127.0.0.1";
		if (inet_pton(AF_INET, h, &a4->sin_addr) != 1)
			goto bad;
		*len = sizeof(*a4);
	}
	return 0;
bad:
	return errbuf_set(eb, -EINVAL, "%s: bad address '%s' (ADDR:PORT, e.g. 127.0.0.1:9464 "
			  "or [::1]:9464)", what, s ? s : "");
}

/* Copies the JSON string value after @key in @line into @out: lower case, '_' for ' '. */
static bool line_str(const char *line, size_t len, const char *key, char *out, size_t n)
{
	const char *p = memmem(line, len, key, strlen(key)), *end = line + len;
	size_t i = 0;

	if (!p)
		return false;
	for (p += strlen(key); p < end && *p != '"' && i + 1 < n; p++) {
		unsigned char ch = *p;

		if (ch == '\\' || ch < 0x20)
			return false;
		out[i++] = ch == ' ' ? '_' : tolower(ch);
	}
	out[i] = 0;
	return i > 0 && p < end && *p == '"';
}

static void count_kind(struct metrics_kind *k, uint64_t *other, const char *name, const char *sub)
{
	for (int i = 0; i < METRICS_KINDS; i++) {
		if (!k[i].name[0]) {
			snprintf(k[i].name, sizeof(k[i].name), "%s", name);
			snprintf(k[i].sub, sizeof(k[i].sub), "%s", sub);
		} else if (strcmp(k[i].name, name) || strcmp(k[i].sub, sub)) {
			continue;
		}
		k[i].n++;
		return;
	}
	(*other)++;
}

/*
 * The encoders (ocsf.c, gpu.c) put class_name, activity_name and activity_id at the top
 * of each line, before any nested object, so the first match is the record's own.
 */
void metrics_count_line(struct metrics_counts *c, bool finding, const char *line, size_t len)
{
	char kind[40], sub[40];
	const char *act;

	if (!finding) {
		if (!line_str(line, len, "\"class_name\":\"", kind, sizeof(kind)) ||
		    !line_str(line, len, "\"activity_name\":\"", sub, sizeof(sub)))
			c->other_events++;
		else
			count_kind(c->events, &c->other_events, kind, sub);
		return;
	}
	if (!line_str(line, len, "\"types\":[\"", kind, sizeof(kind))) {
		c->other_findings++;
		return;
	}
	/* The first activity_id is the record's (1 Create, 2 Update). */
	act = memmem(line, len, "\"activity_id\":", 14);
	if (act && act + 15 < line + len && act[14] == '1' && !isdigit((unsigned char)act[15]))
		count_kind(c->findings, &c->other_findings, kind, "");
	else
		count_kind(c->updates, &c->other_findings, kind, "");
}

void metrics_count_flush(struct metrics_counts *c, double seconds)
{
	c->flushes++;
	c->flush_seconds += seconds;
	for (int i = 0; i < METRICS_FLUSH_BUCKETS; i++)
		if (seconds <= flush_bounds[i])
			c->flush_le[i]++;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void kinds(FILE *f, const char *name, const char *label, const char *sub_label,
		  const struct metrics_kind *k, uint64_t other)
{
	for (int i = 0; i < METRICS_KINDS && k[i].name[0]; i++) {
		if (sub_label)
			fprintf(f, "%s{%s=\"%s\",%s=\"%s\"} %llu\n", name, label, k[i].name, sub_label,
				k[i].sub, (unsigned long long)k[i].n);
		else
			fprintf(f, "%s{%s=\"%s\"} %llu\n", name, label, k[i].name,
				(unsigned long long)k[i].n);
	}
	if (other && sub_label)
		fprintf(f, "%s{%s=\"other\",%s=\"other\"} %llu\n", name, label, sub_label,
			(unsigned long long)other);
	else if (other)
		fprintf(f, "%s{%s=\"other\"} %llu\n", name, label, (unsigned long long)other);
}

/* CPU time, memory and descriptors of this process, under the names client libraries use. */
static void process_metrics(FILE *f)
{
	unsigned long long vsize = 0, rss = 0;
	struct rusage ru;
	struct dirent *de;
	long fds = 0;
	FILE *statm;
	DIR *d;

	if (!getrusage(RUSAGE_SELF, &ru)) {
		family(f, "process_cpu_seconds_total", "counter",
		       "User and system CPU time spent by the agent, in seconds.");
		fprintf(f, "process_cpu_seconds_total %.6f\n",
			ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
				(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	statm = fopen("/proc/self/statm", "re");
	if (statm && fscanf(statm, "%llu %llu", &vsize, &rss) == 2) {
		long page = sysconf(_SC_PAGESIZE);

		family(f, "process_resident_memory_bytes", "gauge",
		       "Resident memory of the agent, in bytes.");
		fprintf(f, "process_resident_memory_bytes %llu\n", rss * page);
		family(f, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory of the agent, in bytes.");
		fprintf(f, "process_virtual_memory_bytes %llu\n", vsize * page);
	}
	if (statm)
		fclose(statm);
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d)))
			fds += de->d_name[0] != '.';
		closedir(d);
		family(f, "process_open_fds", "gauge", "Open file descriptors of the agent.");
		fprintf(f, "process_open_fds %ld\n", fds - 1); /* less the one reading it */
	}
}

/* The per-CPU loss counters of struct dt_stats, by the source name visibility_gap uses. */
static const struct {
	const char *source;
	size_t off;
} loss_sources[] = {
	{ "ring_buffer", offsetof(struct dt_stats, dropped) },
	{ "acc_map_full", offsetof(struct dt_stats, acc_full) },
	{ "inode_map_full", offsetof(struct dt_stats, inode_full) },
	{ "proc_map_full", offsetof(struct dt_stats, proc_full) },
	{ "taint_map_full", offsetof(struct dt_stats, taint_full) },
	{ "egress_map_full", offsetof(struct dt_stats, egress_full) },
};

static void one(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

char *metrics_render(const struct metrics_counts *c, const struct metrics_input *in,
		     size_t *len)
{
	uint64_t emitted = 0;
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	family(f, "datatrail_build_info", "gauge", "The agent's version, as a label.");
	fprintf(f, "datatrail_build_info{version=\"%s\",abi=\"%d\"} 1\n", DT_VERSION,
		DT_ABI_VERSION);
	if (in->hooks_mode && in->syscall_hooks) {
		family(f, "datatrail_hooks_info", "gauge",
		       "The --hooks mode and the backend the syscall hooks run on, as labels.");
		fprintf(f, "datatrail_hooks_info{mode=\"%s\",syscall_hooks=\"%s\"} 1\n",
			in->hooks_mode, in->syscall_hooks);
	}

	family(f, "datatrail_events_total", "counter",
	       "Event lines written, by OCSF class and activity.");
	kinds(f, "datatrail_events_total", "class", "activity", c->events, c->other_events);
	family(f, "datatrail_findings_total", "counter", "New findings (OCSF Create), by kind.");
	kinds(f, "datatrail_findings_total", "kind", NULL, c->findings, c->other_findings);
	family(f, "datatrail_finding_updates_total", "counter",
	       "Updates of findings already reported (OCSF Update), by kind.");
	kinds(f, "datatrail_finding_updates_total", "kind", NULL, c->updates, 0);
	family(f, "datatrail_output_lines_total", "counter", "Lines written, by output.");
	fprintf(f, "datatrail_output_lines_total{output=\"events\"} %llu\n",
		(unsigned long long)in->events_written);
	fprintf(f, "datatrail_output_lines_total{output=\"findings\"} %llu\n",
		(unsigned long long)in->findings_written);
	family(f, "datatrail_output_errors_total", "counter",
	       "Lines that could not be written, by output.");
	fprintf(f, "datatrail_output_errors_total{output=\"events\"} %llu\n",
		(unsigned long long)in->events_errors);
	fprintf(f, "datatrail_output_errors_total{output=\"findings\"} %llu\n",
		(unsigned long long)in->findings_errors);

	for (int cpu = 0; cpu < in->ncpus; cpu++)
		emitted += in->stats[cpu].emitted;
	one(f, "datatrail_kernel_records_total", "counter",
	    "Records the BPF programs committed to the ring buffer.", emitted);
	one(f, "datatrail_ringbuf_records_read_total", "counter",
	    "Ring buffer records the agent read.", in->records_read);
	family(f, "datatrail_records_lost_total", "counter",
	       "Records or counts the kernel side could not keep, by source and CPU.");
	for (size_t s = 0; s < sizeof(loss_sources) / sizeof(loss_sources[0]); s++)
		for (int cpu = 0; cpu < in->ncpus; cpu++) {
			uint64_t v;

			memcpy(&v, (const char *)&in->stats[cpu] + loss_sources[s].off, sizeof(v));
			fprintf(f, "datatrail_records_lost_total{source=\"%s\",cpu=\"%d\"} %llu\n",
				loss_sources[s].source, cpu, (unsigned long long)v);
		}
	one(f, "datatrail_records_missing_total", "counter",
	    "Records missing by sequence number, as the agent read them.", in->seq_lost);
	one(f, "datatrail_ringbuf_used_bytes", "gauge",
	    "Bytes in the ring buffer not yet read, at the last flush.", in->ringbuf_used);
	one(f, "datatrail_ringbuf_size_bytes", "gauge", "Size of the ring buffer.",
	    in->ringbuf_size);
	family(f, "datatrail_map_entries", "gauge", "Entries in a BPF map, by map.");
	for (int i = 0; in->map_names && in->map_names[i]; i++)
		fprintf(f, "datatrail_map_entries{map=\"%s\"} %llu\n", in->map_names[i],
			(unsigned long long)in->map_entries[i]);
	family(f, "datatrail_map_capacity_entries", "gauge", "Capacity of a BPF map, by map.");
	for (int i = 0; in->map_names && in->map_names[i]; i++)
		fprintf(f, "datatrail_map_capacity_entries{map=\"%s\"} %llu\n", in->map_names[i],
			(unsigned long long)in->map_capacity[i]);

	family(f, "datatrail_flush_duration_seconds", "histogram",
	       "Time a periodic flush of the aggregates took.");
	for (int i = 0; i < METRICS_FLUSH_BUCKETS; i++)
		fprintf(f, "datatrail_flush_duration_seconds_bucket{le=\"%g\"} %llu\n",
			flush_bounds[i], (unsigned long long)c->flush_le[i]);
	fprintf(f, "datatrail_flush_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)c->flushes);
	fprintf(f, "datatrail_flush_duration_seconds_sum %.6f\n", c->flush_seconds);
	fprintf(f, "datatrail_flush_duration_seconds_count %llu\n",
		(unsigned long long)c->flushes);
	family(f, "datatrail_last_flush_timestamp_seconds", "gauge",
	       "Wall-clock time of the last periodic flush.");
	fprintf(f, "datatrail_last_flush_timestamp_seconds %.3f\n", in->last_flush_ms / 1e3);
	family(f, "datatrail_flush_interval_seconds", "gauge", "The configured flush period.");
	fprintf(f, "datatrail_flush_interval_seconds %.3f\n", in->flush_ms / 1e3);

	one(f, "datatrail_inventory_generation", "gauge",
	    "1 at start, one more per inventory reload that took effect.",
	    in->inventory_generation);
	one(f, "datatrail_inventory_reload_failures_total", "counter",
	    "Inventory reloads refused (the inventory in force stayed).", c->reload_failures);
	one(f, "datatrail_inventory_datasets", "gauge", "Datasets in the inventory in force.",
	    in->inventory_datasets);
	one(f, "datatrail_inventory_inodes", "gauge",
	    "Files and directories the inventory in force classifies.", in->inventory_inodes);

	one(f, "datatrail_kafka_enabled", "gauge", "1 when the config enables Kafka.", in->kafka);
	one(f, "datatrail_kafka_delivered_total", "counter",
	    "Records the Kafka broker acknowledged.", in->kstats.delivered);
	one(f, "datatrail_kafka_delivery_errors_total", "counter",
	    "Failed Kafka delivery reports (those records stay spooled).",
	    in->kstats.delivery_errors);
	family(f, "datatrail_kafka_dropped_total", "counter",
	       "Records the Kafka path refused (spool full or too large), by stream.");
	fprintf(f, "datatrail_kafka_dropped_total{stream=\"events\"} %llu\n",
		(unsigned long long)in->kstats.dropped_events);
	fprintf(f, "datatrail_kafka_dropped_total{stream=\"findings\"} %llu\n",
		(unsigned long long)in->kstats.dropped_findings);
	one(f, "datatrail_spool_records", "gauge", "Records in the spool, not yet delivered.",
	    in->kstats.spooled);
	one(f, "datatrail_spool_bytes", "gauge", "Size of the spool on disk.",
	    in->kstats.spool_bytes);
	one(f, "datatrail_spool_corrupt_records_total", "counter",
	    "Records found corrupt in the spool and skipped.", in->kstats.corrupt_records);
	one(f, "datatrail_trace_records_lost_total", "counter",
	    "Records the forensic trace could not keep.", in->trace_lost);
	one(f, "datatrail_metrics_connections_cut_total", "counter",
	    "Connections to this endpoint cut at their deadline (a slow or stalled client).",
	    in->http_cut);
	one(f, "datatrail_metrics_requests_refused_total", "counter",
	    "Requests to this endpoint refused: no or a wrong bearer token or client certificate.",
	    in->http_refused);
	process_metrics(f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

void metrics_publish(struct metrics *m, const struct metrics_input *in)
{
	struct metrics_input own = *in;
	size_t len;
	char *text, *old;

	if (!m->httpd)
		return;
	pthread_mutex_lock(&m->conns_lock);
	own.http_cut = m->cut;
	own.http_refused = m->unauthorized;
	pthread_mutex_unlock(&m->conns_lock);
	text = metrics_render(&m->c, &own, &len);
	if (!text)
		return; /* the last text stays; /healthz goes stale if this persists */
	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = text;
	m->len = len;
	m->fresh_until_ns = mono_ns() + 3ULL * in->flush_ms * 1000000ULL;
	pthread_mutex_unlock(&m->lock);
	free(old);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int code, const char *type,
			       char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* One connection the reaper watches: its socket and since when its clock runs. */
struct metrics_conn {
	struct metrics_conn *next, **pprev;
	int fd;
	bool in_request; /* answering: METRICS_RESPONSE_S, else METRICS_REQUEST_S */
	bool cut;
	uint64_t since_ns;
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct metrics *m = cls;
	struct metrics_conn *mc;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		mc = calloc(1, sizeof(*mc));
		/* Untracked, it would have no deadline: on_request refuses it. */
		if (!mc || !ci) {
			free(mc);
			*socket_ctx = NULL;
			return;
		}
		mc->fd = ci->connect_fd;
		mc->since_ns = mono_ns();
		pthread_mutex_lock(&m->conns_lock);
		mc->next = m->conns;
		if (mc->next)
			mc->next->pprev = &mc->next;
		mc->pprev = &m->conns;
		m->conns = mc;
		pthread_mutex_unlock(&m->conns_lock);
		*socket_ctx = mc;
		return;
	}
	mc = *socket_ctx;
	if (!mc)
		return;
	/* Unlinked before the library closes the socket: the reaper never sees a reused fd. */
	pthread_mutex_lock(&m->conns_lock);
	*mc->pprev = mc->next;
	if (mc->next)
		mc->next->pprev = mc->pprev;
	pthread_mutex_unlock(&m->conns_lock);
	free(mc);
	*socket_ctx = NULL;
}

static void set_clock(struct metrics *m, struct MHD_Connection *conn, bool in_request)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct metrics_conn *mc = ci ? ci->socket_context : NULL;

	if (!mc)
		return;
	pthread_mutex_lock(&m->conns_lock);
	mc->in_request = in_request;
	mc->since_ns = mono_ns();
	pthread_mutex_unlock(&m->conns_lock);
}

/* An answer is out: the next request's clock starts now (keep-alive). */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)req_cls;
	(void)code;
	set_clock(cls, conn, false);
}

/*
 * The library's timeout is per idle period: a client that sends a header line every few
 * seconds would hold its connection for ever, and enough of them every slot. The reaper
 * bounds the whole request instead, by shutting the socket down (the library then sees the
 * end of the stream and closes it in its own thread).
 */
static void *reaper(void *arg)
{
	struct metrics *m = arg;
	struct timespec ts;

	pthread_mutex_lock(&m->conns_lock);
	while (!m->stop) {
		uint64_t now = mono_ns();

		for (struct metrics_conn *mc = m->conns; mc; mc = mc->next) {
			uint64_t limit = (mc->in_request ? METRICS_RESPONSE_S : METRICS_REQUEST_S) *
					 1000000000ULL;

			if (mc->cut || now - mc->since_ns < limit)
				continue;
			shutdown(mc->fd, SHUT_RDWR);
			mc->cut = true;
			m->cut++;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 200000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&m->wake, &m->conns_lock, &ts);
	}
	pthread_mutex_unlock(&m->conns_lock);
	return NULL;
}

bool metrics_bearer_ok(const char *header, const char *token, size_t token_len)
{
	size_t n;

	if (!header || strncasecmp(header, "Bearer ", 7))
		return false;
	header += 7;
	while (*header == ' ')
		header++;
	n = strlen(header);
	while (n && header[n - 1] == ' ')
		n--;
	return n == token_len && !CRYPTO_memcmp(header, token, n);
}

/* With a client CA: the peer's certificate, verified against it by the TLS library. */
static bool client_cert_ok(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned int status = 0, n = 0;

	if (!ci || !ci->tls_session)
		return false;
	if (!gnutls_certificate_get_peers(ci->tls_session, &n) || !n)
		return false;
	return !gnutls_certificate_verify_peers2(ci->tls_session, &status) && !status;
}

static enum MHD_Result refuse(struct metrics *m, struct MHD_Connection *conn, unsigned int code,
			      const char *why)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	pthread_mutex_lock(&m->conns_lock);
	m->unauthorized++;
	pthread_mutex_unlock(&m->conns_lock);
	r = MHD_create_response_from_buffer(strlen(why), (void *)why, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (code == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"datatrail\"");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	const union MHD_ConnectionInfo *ci;
	struct metrics *m = cls;
	char *body = NULL;
	size_t len = 0;
	bool fresh;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (!ci || !ci->socket_context)
		return MHD_NO;
	if (!*req_cls) {
		*req_cls = m;
		set_clock(m, conn, true);
	}
	if (m->tls_ca && !client_cert_ok(conn))
		return refuse(m, conn, MHD_HTTP_FORBIDDEN, "a client certificate is required\n");
	/* /healthz says only ok or stale, for probes that carry no token. */
	if (m->token && strcmp(url, "/healthz") &&
	    !metrics_bearer_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							   MHD_HTTP_HEADER_AUTHORIZATION),
			       m->token, m->token_len))
		return refuse(m, conn, MHD_HTTP_UNAUTHORIZED, "a bearer token is required\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			       strdup("GET only\n"), 9);
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&m->lock);
		if (m->text) {
			body = malloc(m->len);
			if (body) {
				memcpy(body, m->text, m->len);
				len = m->len;
			}
		}
		pthread_mutex_unlock(&m->lock);
		if (!body)
			return respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
				       strdup("no metrics yet\n"), 15);
		return respond(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body, len);
	}
	if (!strcmp(url, "/healthz")) {
		pthread_mutex_lock(&m->lock);
		fresh = m->text && mono_ns() < m->fresh_until_ns;
		pthread_mutex_unlock(&m->lock);
		if (fresh)
			return respond(conn, MHD_HTTP_OK, "text/plain", strdup("ok\n"), 3);
		return respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			       strdup("stale: no flush in three intervals\n"), 35);
	}
	return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain",
		       strdup("not found: /metrics, /healthz\n"), 30);
}

static void wipe_free(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

/* One PEM or token file, with @trust (FT_PRIVATE for keys and tokens). */
static int read_auth_file(const char *what, const char *path, unsigned int trust, char **out,
			  struct errbuf *eb)
{
	const struct file_policy policy = { .trust = FT_REGULAR | trust, .max = 1 << 20 };
	char subject[PATH_MAX + 64];
	size_t len;
	int err;

	snprintf(subject, sizeof(subject), "metrics %s '%s'", what, path);
	err = read_file_trusted(path, &policy, subject, out, &len, eb);
	if (err)
		return err;
	if (strlen(*out) != len) {
		wipe_free(out);
		return errbuf_set(eb, -EINVAL, "%s: holds a NUL byte", subject);
	}
	return 0;
}

/* The token: one line of visible characters, its trailing newline dropped. */
static int read_token(struct metrics *m, const char *path, struct errbuf *eb)
{
	int err = read_auth_file("bearer token file", path, FT_PRIVATE, &m->token, eb);
	size_t n;

	if (err)
		return err;
	n = strlen(m->token);
	while (n && (m->token[n - 1] == '\n' || m->token[n - 1] == '\r'))
		m->token[--n] = 0;
	for (size_t i = 0; i < n; i++)
		if (m->token[i] <= ' ' || m->token[i] == 0x7f)
			n = 0;
	if (n < 16) {
		wipe_free(&m->token);
		return errbuf_set(eb, -EINVAL, "metrics bearer token file '%s': not one line of at "
				  "least 16 visible characters", path);
	}
	m->token_len = n;
	return 0;
}

static int read_auth(struct metrics *m, const struct metrics_auth *a, struct errbuf *eb)
{
	int err = 0;

	if (a->token_file)
		err = read_token(m, a->token_file, eb);
	if (!err && a->tls_cert_file && !MHD_is_feature_supported(MHD_FEATURE_TLS))
		err = errbuf_set(eb, -ENOTSUP, "metrics: TLS asked for, but libmicrohttpd is built "
				 "without it");
	if (!err && a->tls_cert_file)
		err = read_auth_file("TLS certificate", a->tls_cert_file, FT_NOT_WORLD_WRITABLE,
				     &m->tls_cert, eb);
	if (!err && a->tls_key_file)
		err = read_auth_file("TLS key", a->tls_key_file, FT_PRIVATE, &m->tls_key, eb);
	if (!err && a->tls_client_ca_file)
		err = read_auth_file("TLS client CA", a->tls_client_ca_file,
				     FT_NOT_WORLD_WRITABLE, &m->tls_ca, eb);
	if (!err && !m->tls_cert != !m->tls_key)
		err = errbuf_set(eb, -EINVAL, "metrics: a TLS certificate needs its key, and a key "
				 "its certificate");
	if (!err && m->tls_ca && !m->tls_cert)
		err = errbuf_set(eb, -EINVAL, "metrics: a client CA needs a TLS certificate and key");
	m->tls = m->tls_cert;
	return err;
}

static void free_auth(struct metrics *m)
{
	if (m->token)
		explicit_bzero(m->token, m->token_len);
	free(m->token);
	m->token = NULL;
	wipe_free(&m->tls_key);
	free(m->tls_cert);
	free(m->tls_ca);
	m->tls_cert = m->tls_ca = NULL;
}

int metrics_open(struct metrics *m, const char *what, const char *addr,
		 const struct metrics_auth *auth, struct errbuf *eb)
{
	struct MHD_OptionItem tls_opts[4] = {}, *o = tls_opts;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, err;

	err = metrics_parse_listen(what, addr, &ss, &sl, eb);
	if (err)
		return err;
	if (auth) {
		err = read_auth(m, auth, eb);
		if (err)
			goto err_auth;
	}
	if (m->tls) {
		*o++ = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, m->tls_cert };
		*o++ = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, m->tls_key };
		if (m->tls_ca)
			*o++ = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, m->tls_ca };
	}
	*o = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/* Bound here rather than by the library, for an exact error (in use, not local). */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errbuf_set(eb, -errno, "%s '%s': %s", what, addr, strerror(errno));
		goto err_auth;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, METRICS_MAX_CONNS)) {
		err = errbuf_set(eb, -errno, "%s '%s': %s", what, addr, strerror(errno));
		goto err_close;
	}
	err = pthread_mutex_init(&m->lock, NULL);
	if (err) {
		err = errbuf_set(eb, -err, "%s: %s", what, strerror(err));
		goto err_close;
	}
	pthread_mutex_init(&m->conns_lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	snprintf(m->listen, sizeof(m->listen), "%s", addr);
	m->httpd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
				    (m->tls ? MHD_USE_TLS : 0) |
				    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				    0, NULL, NULL, on_request, m,
				    MHD_OPTION_LISTEN_SOCKET, fd,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CONNS,
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				    (unsigned int)METRICS_MAX_CONNS_PER_IP,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_IDLE_S,
				    MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				    MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
				    MHD_OPTION_ARRAY, tls_opts,
				    MHD_OPTION_END);
	if (!m->httpd) {
		err = errbuf_set(eb, -EIO, "%s '%s': cannot start the HTTP server%s", what, addr,
				 m->tls ? " (is the TLS certificate or key bad?)" : "");
		goto err_locks;
	}
	err = pthread_create(&m->reaper, NULL, reaper, m);
	if (err) {
		MHD_stop_daemon(m->httpd);
		m->httpd = NULL;
		err = errbuf_set(eb, -err, "%s: %s", what, strerror(err));
		goto err_locks;
	}
	m->reaper_on = true;
	return 0;

err_locks:
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->conns_lock);
	pthread_mutex_destroy(&m->lock);
err_close:
	close(fd);
err_auth:
	free_auth(m);
	return err;
}

void metrics_close(struct metrics *m)
{
	if (!m->httpd)
		return;
	if (m->reaper_on) {
		pthread_mutex_lock(&m->conns_lock);
		m->stop = true;
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->conns_lock);
		pthread_join(m->reaper, NULL);
		m->reaper_on = false;
	}
	MHD_stop_daemon(m->httpd);
	m->httpd = NULL;
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->conns_lock);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	m->text = NULL;
	free_auth(m);
}
