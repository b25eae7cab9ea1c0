/* SPDX-License-Identifier: GPL-2.0 */
/* metrics.h - the agent's counters in the Prometheus text format, served over HTTP. */
#ifndef DT_METRICS_H
#define DT_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "datatrail_abi.h"
#include "errbuf.h"
#include "kafka.h"

/* Distinct label values kept per family; more are counted under "other". */
#define METRICS_KINDS 32
#define METRICS_FLUSH_BUCKETS 9

struct metrics_kind {
	char name[40];
	char sub[40]; /* a second label (the activity of an event), "" when none */
	uint64_t n;
};

/*
 * What the main loop counts itself, line by line and flush by flush. Only the main loop
 * writes it, without a lock: it is rendered into the text the server hands out.
 */
struct metrics_counts {
	struct metrics_kind events[METRICS_KINDS];   /* by OCSF class and activity */
	struct metrics_kind findings[METRICS_KINDS]; /* new findings (Create) by kind */
	struct metrics_kind updates[METRICS_KINDS];  /* finding updates by kind */
	uint64_t other_events;   /* lines past METRICS_KINDS distinct kinds, or unparsed */
	uint64_t other_findings;
	uint64_t flushes;
	double flush_seconds;    /* sum */
	uint64_t flush_le[METRICS_FLUSH_BUCKETS]; /* cumulative histogram buckets */
	uint64_t reload_failures;
};

/* A view of the agent's own counters, filled at each publication (see agent.c). */
struct metrics_input {
	const struct dt_stats *stats; /* per CPU, @ncpus of them */
	int ncpus;
	uint64_t records_read;     /* ring buffer records read */
	uint64_t seq_lost;         /* records missing by sequence number */
	uint64_t events_written, findings_written;
	uint64_t events_errors, findings_errors;
	uint64_t ringbuf_used, ringbuf_size; /* bytes */
	const char *const *map_names; /* NULL-terminated; entries and capacity alike */
	const uint64_t *map_entries;
	const uint64_t *map_capacity;
	uint64_t inventory_generation;
	uint64_t inventory_datasets, inventory_inodes;
	bool kafka;
	struct kafka_stats kstats;
	uint64_t trace_lost;
	uint64_t last_flush_ms; /* wall clock */
	unsigned int flush_ms;
	const char *hooks_mode;    /* --hooks; NULL: no datatrail_hooks_info */
	const char *syscall_hooks; /* the syscall hooks' backend: "fentry" or "tracepoint" */
	uint64_t http_cut, http_refused; /* this endpoint's own (metrics_publish fills them) */
};

struct MHD_Daemon;
struct metrics_conn;

/* Connections at once, per client address, and how long one may take (docs/operations.md). */
#define METRICS_MAX_CONNS 64
#define METRICS_MAX_CONNS_PER_IP 32
#define METRICS_IDLE_S 5	 /* no byte for this long: closed (the library's timeout) */
#define METRICS_REQUEST_S 5	 /* a whole request, from connect or the last answer */
#define METRICS_RESPONSE_S 30	 /* one answer, until its last byte is taken */

/* Who may scrape: none of it set is plain HTTP to anyone who reaches the address. */
struct metrics_auth {
	const char *token_file;	   /* "Authorization: Bearer <its content>" required */
	const char *tls_cert_file; /* HTTPS with this certificate (PEM) ... */
	const char *tls_key_file;  /* ... and key (PEM, 0600) */
	const char *tls_client_ca_file; /* a client certificate signed by this CA required */
};

struct metrics {
	struct metrics_counts c;
	struct MHD_Daemon *httpd;
	pthread_mutex_t lock; /* guards text, len, fresh_until_ns: main loop <-> server thread */
	char *text;
	size_t len;
	uint64_t fresh_until_ns; /* CLOCK_MONOTONIC: /healthz answers 503 after it */
	char listen[64];
	char *token; /* the bearer token, wiped on close; NULL: none asked */
	size_t token_len;
	char *tls_cert, *tls_key, *tls_ca; /* PEM text the library reads while it runs */
	bool tls;
	/* The reaper: cuts connections past METRICS_REQUEST_S / METRICS_RESPONSE_S. */
	pthread_t reaper;
	bool reaper_on;
	bool stop;		  /* under conns_lock */
	pthread_mutex_t conns_lock; /* guards conns, stop and the counters below */
	pthread_cond_t wake;
	struct metrics_conn *conns;
	uint64_t cut;		  /* connections cut by the reaper */
	uint64_t unauthorized;	  /* requests refused: no or a wrong token or certificate */
};

/*
 * Parses "ADDR:PORT" ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464" for every address,
 * ":9464" for loopback) into @ss; 0 or -EINVAL with a message naming @what and the value in @eb.
 */
int metrics_parse_listen(const char *what, const char *s, struct sockaddr_storage *ss,
			 socklen_t *len, struct errbuf *eb);

/*
 * Starts the server thread on @listen, with @auth's token and TLS files read now (NULL: plain
 * HTTP, no token); 0 or -errno with a message naming the file or address in @eb.
 */
int metrics_open(struct metrics *m, const char *what, const char *listen,
		 const struct metrics_auth *auth, struct errbuf *eb);

/* Whether @header ("Authorization" value) carries the bearer @token, in constant time. */
bool metrics_bearer_ok(const char *header, const char *token, size_t token_len);
/* Stops the server (waiting for its thread) and frees the text; a zeroed one is fine. */
void metrics_close(struct metrics *m);

/* Counts one output line (@finding: a findings line) by the kind it names. */
void metrics_count_line(struct metrics_counts *c, bool finding, const char *line, size_t len);
void metrics_count_flush(struct metrics_counts *c, double seconds);

/*
 * Renders @c and @in in the Prometheus text format (version 0.0.4) into a malloc()ed
 * string; NULL when out of memory.
 */
char *metrics_render(const struct metrics_counts *c, const struct metrics_input *in,
		     size_t *len);
/* Renders and hands the text to the server: one lock per call. */
void metrics_publish(struct metrics *m, const struct metrics_input *in);

#endif /* DT_METRICS_H */
