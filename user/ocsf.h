/* SPDX-License-Identifier: GPL-2.0 */
/* ocsf.h - encoders of datatrail's records as OCSF JSON lines. */
#ifndef DT_OCSF_H
#define DT_OCSF_H

#include <stdint.h>

#include "datatrail_abi.h"
#include "json.h"
#include "proctab.h"

#define OCSF_VERSION "1.8.0"
/* The matrix versions the technique tables (correlator.c, gpu.c) were checked against. */
#define OCSF_ATTACK_VERSION "v17"
#define OCSF_ATLAS_VERSION "4.9.0"

/*
 * OCSF profiles a line uses: metadata.profiles lists each bit's name (ocsf.c, profile_names).
 * An encoder that writes a profile's attribute (process.container: OCSF_PROFILE_CONTAINER)
 * sets its bit in ocsf_head.profiles, or the line fails the schema check (tests/unit/test_ocsf.c).
 */
enum ocsf_profile {
	OCSF_PROFILE_HOST = 1u << 0,                /* device, actor */
	OCSF_PROFILE_DATA_CLASSIFICATION = 1u << 1, /* resources[].data_classifications */
	OCSF_PROFILE_CONTAINER = 1u << 2,           /* process.container, device.container */
	OCSF_PROFILE_SECURITY_CONTROL = 1u << 3,    /* action, disposition (enforcement) */
};

/* An OCSF event class, with its category. */
struct ocsf_class {
	int uid;
	const char *name;
	int category_uid;
	const char *category_name;
};

extern const struct ocsf_class ocsf_file_activity, ocsf_memory_activity, ocsf_detection_finding;

/* What every line starts with; see ocsf_begin(). */
struct ocsf_head {
	const struct ocsf_class *cls;
	int activity_id;
	const char *activity_name;
	int severity_id;
	int status_id; /* -1: no status */
	const char *status;
	uint64_t time_ms;
	const char *message; /* or NULL */
	unsigned int profiles; /* enum ocsf_profile bits */
};

struct wl_identity;

struct ocsf_ctx {
	const char *hostname; /* the node name (--node-name, $NODE_NAME, else the host name) */
	const char *device_uid; /* /etc/machine-id, or NULL */
	int64_t mono_to_real_ns; /* add to a CLOCK_MONOTONIC time to get the wall-clock time */
};

/* One aggregate record of classified reads: File System Activity (1001), Read. */
struct file_record {
	uint64_t ts_ns; /* CLOCK_MONOTONIC, of the last read counted */
	uint64_t first_ns; /* the window's start, when the record covers the counter's whole life; else 0 */
	const char *path;
	uint32_t dev;
	uint64_t ino;
	const struct proc_info *proc;
	uint32_t uid; /* of the reader at its first access */
	const char *dataset;
	enum dt_label label;
	uint32_t access; /* one enum dt_access bit */
	uint64_t bytes;  /* in this record */
	uint64_t ops;    /* syscalls (or completions) in this record */
	const struct wl_identity *ident; /* the reader's workload, or NULL */
};

/* A gap in what the agent saw: records lost in the kernel, or output it could not deliver. */
struct gap_record {
	uint64_t start_ns; /* CLOCK_MONOTONIC window */
	uint64_t end_ns;
	const char *source; /* "ring_buffer", "acc_map_full", ... */
	int cpu;            /* -1 when not per CPU */
	uint64_t lost;
	uint64_t seq;       /* makes the finding uid unique per report (per episode) */
	int activity_id;    /* 0 or 1 Create, 2 Update: an episode that goes on (a full spool) */
};

/* One finding, as the correlator hands it to the encoder. */
struct finding_record {
	const char *kind;  /* finding_info.types[0] */
	const char *uid;   /* finding_info.uid, stable for the finding's life */
	const char *title;
	int activity_id;   /* 1 Create, 2 Update, 3 Close (the finding ended: final figures) */
	int severity_id;   /* 1..5 */
	uint64_t first_ns; /* CLOCK_MONOTONIC */
	uint64_t last_ns;
	const struct proc_info *chain; /* [0] the process, then its ancestors */
	size_t chain_len;
	uint32_t actor_uid;
	const char *dataset;
	const char *label;
	const char *const *tags;
	size_t n_tags;
	const char *file_path;    /* derived_copy, dataset_tamper, unauthorized_read */
	const uint8_t *dst_addr;  /* exfiltration: 16 bytes, IPv6 or v4-mapped */
	uint16_t dst_port;
	const char *dst_proto;
	/* exfiltration to a file system (dst_addr NULL): where it is mounted, what it is */
	const char *mount_point;
	const char *mount_type;
	const char *mount_source;
	const char *mount_kind; /* network, fuse, removable */
	uint32_t mount_dev;     /* s_dev, the kernel's encoding */
	const char *device_path; /* exfiltration by a raw write to a block device: /dev/NAME */
	const char *dst_link;   /* sent around TCP/UDP (enum dt_link): "packet", "raw", "xdp", "tun" */
	uint32_t dst_ifindex;   /* interface links: the interface (0: unknown) */
	const char *dst_ifname; /* its name, where the agent could resolve it, or NULL */
	int dst_proto_num;      /* raw IP: the IP protocol; -1 for none */
	uint64_t bytes;
	uint64_t ops;
	const char *operations; /* dataset_tamper: "write,truncate" */
	uint64_t file_count;    /* derived_copy, dataset_tamper: files so far (0: not told) */
	const char *last_file;  /* the newest of them when more than one (file_path: the first) */
	const char *object;     /* agent_tamper by bpf(): "map 'taint' (id 42)" */
	uint64_t objects;       /* agent_inspect: the objects looked at */
	const char *via_hop;    /* how the taint reached the process, or NULL */
	uint32_t via_pid;
	const char *via_node;   /* hop "remote": the sending node, its process and the flow */
	const char *via_comm;
	const char *via_flow;
	const char *const *attacks; /* pairs: technique uid, name; NULL-terminated */
	const struct wl_identity *ident; /* chain[0]'s workload, or NULL */
	const char *enforcement; /* blocked, killed, would_block, would_kill; NULL: monitored */
	uint64_t enf_attempts;
	uint64_t enf_bytes; /* refused */
};

const char *dt_access_name(uint32_t access);

/* Each writes one complete JSON line into @jb (reset first) and returns jb_finish()'s result. */
int ocsf_file_read(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct file_record *r);
int ocsf_visibility_gap(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct gap_record *g);
int ocsf_finding(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct finding_record *f);
/* Writes @addr (16 bytes) as dotted IPv4 when v4-mapped, else IPv6; @buf holds 46 bytes. */
const char *dt_addr_str(const uint8_t addr[16], char *buf, size_t n);
const char *ocsf_severity_name(int severity_id);

/* Pieces every record shares, for the encoders of other modules (gpu.c). */
uint64_t ocsf_wall_ms(const struct ocsf_ctx *ctx, uint64_t mono_ns);
const char *ocsf_base_name(const char *path);
/*
 * Resets @jb and opens a line: class, activity, type, severity, status, time, message,
 * metadata (its uid a placeholder that ocsf_end() fills) and device. Returns where the
 * placeholder is, for ocsf_end().
 */
size_t ocsf_begin(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct ocsf_head *h);
/*
 * Closes the line and fills metadata.uid: a UUID (version 8) hashed from the line's bytes and
 * @seed (a nanosecond time of the record), so that replay gives the same uid as the live
 * line and two lines differ in uid unless they are the same record. Returns jb_finish()'s.
 */
int ocsf_end(struct jbuf *jb, size_t uid_at, uint64_t seed);
/* The OCSF process object under @key: uid, pid, created_time, name, cmd_line, file, user. */
void ocsf_process(struct jbuf *jb, const char *key, const struct ocsf_ctx *ctx,
		  const struct proc_info *p, uint32_t uid);
/* The OCSF file object of a regular file at @path (no uid), left open for more attributes. */
void ocsf_file_open(struct jbuf *jb, const char *key, const char *path);
/* file.confidentiality_id and confidentiality of a datatrail classification. */
int ocsf_confidentiality(enum dt_label label, const char **name);
/* The attacks array of a technique table (pairs of uid, name; tactic uid, name). */
void ocsf_attacks(struct jbuf *jb, const char *const *attacks);
/* The same with the container profile's attributes of @id (NULL: none). */
void ocsf_process_id(struct jbuf *jb, const char *key, const struct ocsf_ctx *ctx,
		     const struct proc_info *p, uint32_t uid, const struct wl_identity *id);

/*
 * The workload identity (ocsf_workload.c), each a no-op without one: the container profile's
 * attributes inside a process object, and what OCSF has no attribute for (pod, namespace,
 * Slurm job) as unmapped.workload. A line that carries a container sets
 * OCSF_PROFILE_CONTAINER (ocsf_profile_of()).
 */
void ocsf_container(struct jbuf *jb, const struct wl_identity *id);
void ocsf_workload(struct jbuf *jb, const struct wl_identity *id);
/* OCSF_PROFILE_CONTAINER when @id names a container, else 0. */
unsigned int ocsf_profile_of(const struct wl_identity *id);

#endif /* DT_OCSF_H */
