/* SPDX-License-Identifier: GPL-2.0 */
/* agent.h - `datatrail run`: load and attach the BPF programs, turn what they see into JSON lines. */
#ifndef DT_AGENT_H
#define DT_AGENT_H

#include <stdbool.h>

struct agent_opts {
	const char *inventory;     /* required */
	const char *events_path;   /* NULL or "-": stdout */
	const char *findings_path; /* NULL or "-": stdout */
	const char *ready_file;    /* touched once every program is attached; may be NULL */
	unsigned int flush_ms;     /* period of aggregate flushes */
	bool flush_ms_given;       /* flush_ms came from the command line: the config's yields */
	const char *trace_dir;     /* record a forensic trace there; may be NULL */
	const char *trace_key;     /* file holding the trace's AES-256-GCM key; may be NULL */
	const char *config_path;   /* JSON config (Kafka, devices); may be NULL */
	const char *pin_dir;       /* pin state maps there, reuse what is there; "" or NULL: no pins */
	unsigned int ringbuf_kb;   /* ring buffer size (a power of 2, >= 4); 0: the default 8 MiB */
	const char *status_file;   /* `datatrail status` reads it; NULL: none */
	unsigned int rotate_mb;    /* rotate event and finding files at this size; 0: never */
	unsigned int rotate_keep;  /* rotated files kept */
	const char *metrics_listen; /* ADDR:PORT of the Prometheus endpoint; NULL: the config's */
	bool verbose;              /* libbpf's debug output too */
	const char *node_name;     /* NULL: config node_name, $NODE_NAME, else the host name */
	int enforce;               /* enum dt_enf_mode; the default DT_ENF_ON lets the inventory decide */
	unsigned int hooks;        /* --hooks: enum hooks_mode (user/hooks.h), 0: auto */
};

/*
 * Runs until SIGINT or SIGTERM, then flushes every pending aggregate and returns 0. Returns
 * non-zero, with a message on stderr, when the inventory is bad or the programs cannot be
 * loaded or attached.
 */
int agent_run(const struct agent_opts *opts);

#endif /* DT_AGENT_H */
