/* SPDX-License-Identifier: GPL-2.0 */
/* config.h - the agent's configuration file (JSON): load, validate, read secret files. */
#ifndef DT_CONFIG_H
#define DT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

#define CONFIG_DEFAULT_FLUSH_MS 1000
#define CONFIG_DEFAULT_TOPIC_FINDINGS "datatrail.findings"
#define CONFIG_DEFAULT_TOPIC_EVENTS "datatrail.events"
#define CONFIG_DEFAULT_SPOOL_DIR "/var/lib/datatrail/spool"
#define CONFIG_DEFAULT_SPOOL_MAX_BYTES (256ull << 20)
/* Below this a spool holds too few records to ride out any outage worth the name. */
#define CONFIG_MIN_SPOOL_MAX_BYTES (64ull << 10)

/* One librdkafka property, passed through as written (numbers and booleans as text). */
struct config_prop {
	char *name;
	char *value;
};

/*
 * A librdkafka property whose value is the content of @path (one trailing newline dropped).
 * @value is what was read last: at config_load(), then at every config_secrets_read().
 */
struct config_secret {
	char *name;
	char *path;
	char *value;
};

struct config_kafka {
	bool present; /* the file has a "kafka" object; everything below is defaulted otherwise */
	bool enabled;
	struct config_prop *props;
	size_t n_props;
	struct config_secret *secrets;
	size_t n_secrets;
	char *topic_findings;
	char *topic_events;
	bool send_events;
	char *host_id; /* NULL: the sink uses /etc/machine-id, else the host name */
	char *spool_dir;
	uint64_t spool_max_bytes;
};

/* Room in gpu_devs (DT_GPU_DEVS_MAX in bpf/maps.bpf.h) for the configuration's devices. */
#define CONFIG_DEVICES_MAX 512

/* A "devices" entry: a node and its kind, as stat() found it at load. */
struct config_device {
	char *path;
	uint32_t rdev; /* kernel encoding, see dt_kdev() */
	uint32_t kind; /* enum dt_dev_kind */
};

/*
 * The whole file. A section that the file leaves out is present == false with its defaults
 * filled in, so callers never check for NULL. Later sections (devices, trace, ...) are added
 * as members here and as one entry in config.c's table of sections; keys that this version
 * does not know are ignored, so an older agent still starts on a newer file.
 */
struct config {
	char *file; /* the name it was loaded from, for messages */
	uint32_t flush_ms;
	char *metrics_listen; /* metrics.listen: ADDR:PORT, or NULL (no metrics endpoint) */
	char *metrics_token_file;    /* metrics.bearer_token_file: read at start (0600) */
	char *metrics_tls_cert_file; /* metrics.tls_cert_file, tls_key_file: HTTPS */
	char *metrics_tls_key_file;
	char *metrics_tls_ca_file;   /* metrics.tls_client_ca_file: client certificates required */
	char **egress_block_devices; /* removable media besides sysfs's: device name patterns */
	size_t n_egress_block_devices;
	struct config_kafka kafka;
	char *node_name;	     /* NULL: --node-name, $NODE_NAME, else the host name */
	char **container_state_dirs; /* runtime state roots beside the defaults (docs/identity.md) */
	size_t n_container_state_dirs;
	char **cgroup_roots; /* cgroups below which runtimes' roots are trusted (docs/identity.md) */
	size_t n_cgroup_roots;
	struct config_device *devices; /* "devices" (docs/gpu.md) */
	size_t n_devices;
};

/*
 * Reads and validates the configuration in @path, then reads every kafka.secret_files entry.
 * On success returns 0 and a new config in *@out, which the caller owns and frees with
 * config_free(). On failure returns -errno (-EINVAL for bad content, -EPERM for a
 * world-writable file, -ENOENT ...), leaves *@out untouched and writes one message, e.g.
 *   config 'x.json': field 'kafka.topics.findings': expected a string, got 42
 *   config 'x.json': field 'kafka.properties.sasl.password': a secret must not be ...
 *   config 'x.json': mode 0666 is world-writable; run 'chmod o-w x.json'
 */
int config_load(const char *path, struct config **out, struct errbuf *err);

/* Same as config_load() on text in memory (no file mode check); @name is used in messages. */
int config_parse(const char *text, size_t len, const char *name, struct config **out,
		 struct errbuf *err);

/* Wipes the secrets it holds before freeing; NULL is fine. */
void config_free(struct config *cfg);

/*
 * Reads one secret file into a new string in *@out (caller frees, after wiping it): at most
 * 64 KiB, one trailing "\n" or "\r\n" dropped, not world-writable, no NUL bytes. 0 or -errno
 * with "secret file 'PATH' (for 'PROP'): WHY" in @err.
 */
int config_secret_read(const char *path, const char *prop, char **out, struct errbuf *err);

/*
 * Re-reads every secret file of @kc into its value member (SIGHUP). All or nothing: on
 * failure the old values stay and the message names the file. Sets *@changed (may be NULL)
 * when any value differs from the one before.
 */
int config_secrets_read(struct config_kafka *kc, bool *changed, struct errbuf *err);

/* Deep copy of a kafka section (secret values included), for a holder that outlives the
 * config; 0 or -ENOMEM. Release with config_kafka_release(). */
int config_kafka_copy(struct config_kafka *dst, const struct config_kafka *src);
/* Frees what a config_kafka holds (wiping secrets) and zeroes it. */
void config_kafka_release(struct config_kafka *kc);

/* Whether a librdkafka property name holds a secret and so must come from secret_files. */
bool config_is_secret_prop(const char *name);

/* The value of property @name in @kc (secret files included), or NULL. */
const char *config_kafka_prop(const struct config_kafka *kc, const char *name);

#endif /* DT_CONFIG_H */
