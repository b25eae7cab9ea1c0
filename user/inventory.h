/* SPDX-License-Identifier: GPL-2.0 */
/* inventory.h - the dataset inventory: parse, validate, scan paths into (device, inode) entries. */
#ifndef DT_INVENTORY_H
#define DT_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "datatrail_abi.h"
#include "errbuf.h"

/* A network a dataset may be sent to: addr/prefix, and a port or 0 for any. */
struct inv_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int prefix;
	uint16_t port;
};

/*
 * An allowed executable as stat() on the host found it: the file a process must run to be
 * allowed. Its path string alone allows nothing (a bind mount, chroot or relative exec can
 * put another program at it).
 */
struct inv_exe {
	uint64_t ino; /* 0: not resolved (never looked, missing): matches no process */
	uint32_t dev; /* the kernel's encoding, see dt_kdev() */
	int err;      /* the last stat()'s -errno, or 0 */
	int64_t mtime_ns;
};

/* allowed_readers / allowed_writers; present is false when the inventory leaves it out. */
struct inv_acl {
	bool present;
	uint32_t *uids;
	size_t n_uids;
	char **exes;
	struct inv_exe *exe_ids; /* exes[i] resolved: inventory_resolve_exes() */
	size_t n_exes;
	/* Workload selectors (docs/identity.md); an image may end in '*'. */
	char **namespaces;
	size_t n_namespaces;
	char **images;
	size_t n_images;
	char **slurm_accounts;
	size_t n_slurm_accounts;
	char **slurm_users; /* names, or uids as decimal strings */
	size_t n_slurm_users;
};

static inline bool inv_acl_has_workload(const struct inv_acl *acl)
{
	return acl->n_namespaces || acl->n_images || acl->n_slurm_accounts || acl->n_slurm_users;
}
/* "enforce": what the kernel does when the dataset is sent outside allowed_egress. */
enum inv_enforce {
	INV_ENFORCE_MONITOR = 0, /* report only */
	INV_ENFORCE_BLOCK = 1,   /* refuse the send (EPERM, packets dropped) */
	INV_ENFORCE_KILL = 2,    /* refuse it and SIGKILL the sender */
};

struct inv_dataset {
	char *id;
	enum dt_label label;
	char **paths;
	size_t n_paths;
	char **tags;
	size_t n_tags;
	char *owner; /* NULL when absent */
	struct inv_acl readers;
	struct inv_acl writers;
	bool egress_present;
	struct inv_cidr *egress;
	size_t n_egress;
	bool gpu_allowed; /* default true */
	enum inv_enforce enforce; /* values equal enum dt_enf_action */
	uint64_t n_files; /* regular files found under paths, hard links once */
	uint64_t n_bytes; /* their sizes */
	bool retired;     /* a slot kept for a dataset a reload removed; classifies nothing */
};

/* One classified (device, inode); dev in the kernel's encoding, see dt_kdev(). */
struct inv_inode {
	uint64_t ino;
	uint32_t dev;
	uint32_t dataset; /* index into inventory.datasets */
	bool is_dir;
	char *path; /* the first path under which the scan found it */
};

struct inventory {
	char *file; /* the name it was loaded from, for messages */
	char *text; /* the JSON it was parsed from, as read: traces record it */
	size_t text_len;
	struct inv_dataset *datasets;
	size_t n_datasets;
	struct inv_inode *inodes; /* sorted by (dev, ino), unique */
	size_t n_inodes;
};

/*
 * Reads, validates and scans the inventory in @path. On success returns 0 and a new
 * inventory in *@out that the caller frees with inventory_free(). On failure returns -errno
 * (-EINVAL for bad content, -ENOENT for a missing inventory or dataset path, -ENOMEM ...),
 * leaves *@out untouched and writes one message to @err, e.g.
 *   inventory 'x.json': dataset 'imgs': field 'classification': unknown classification 'secret'
 *   inventory 'x.json': line 3, column 7: syntax error
 */
int inventory_load(const char *path, struct inventory **out, struct errbuf *err);

/* Same as inventory_load() on text already in memory; @name is used in messages. */
int inventory_parse(const char *text, size_t len, const char *name, struct inventory **out,
		    struct errbuf *err);

/*
 * Validates like inventory_parse() but touches no file system: no path must exist and
 * n_inodes is 0. For replaying a trace on another machine.
 */
int inventory_parse_offline(const char *text, size_t len, const char *name,
			    struct inventory **out, struct errbuf *err);

/*
 * Reorders @inv's datasets so that dataset @ids[i] has index i, keeping the indexes the
 * kernel's maps and taint bitmaps already use across a reload or restart. An id of @ids that
 * @inv lacks keeps its slot as a retired dataset; datasets new to @inv come after. Inode
 * entries follow their datasets. 0 or -ENOMEM (then @inv is unchanged).
 */
int inventory_align_ids(struct inventory *inv, const char *const *ids, size_t n);

/* inventory_parse_offline() of the file @path. */
int inventory_load_offline(const char *path, struct inventory **out, struct errbuf *err);

void inventory_free(struct inventory *inv);

/* The entry for (@dev, @ino), or NULL. */
const struct inv_inode *inventory_find(const struct inventory *inv, uint32_t dev, uint64_t ino);

/* Writes the `inventory check` summary: datasets, files and bytes, in total and by label. */
void inventory_summary(const struct inventory *inv, FILE *out);

/*
 * Resolves every allowed executable to the (device, inode) that stat() finds at its absolute
 * path now, from the caller's root, symlinks followed. Until the first call none is resolved
 * and an ACL with executables allows no process; callers that judge live processes call it
 * after each load and then every few seconds, as a package upgrade replaces a program by a
 * new inode. Returns how many entries changed (device, inode or mtime; a first failure
 * counts too) and, with @log, writes one line per changed path, each prefixed by @prefix.
 */
size_t inventory_resolve_exes(struct inventory *inv, FILE *log, const char *prefix);

/* Replay: every allowed executable named @path is (@dev, @ino), as the recording agent saw it. */
void inventory_set_exe(struct inventory *inv, const char *path, uint32_t dev, uint64_t ino);
/* "monitor", "block", "kill". */
const char *inv_enforce_name(enum inv_enforce e);

/* "public" ... "restricted"; "none" for DT_LABEL_NONE. */
const char *dt_label_name(enum dt_label label);
/* Returns the label, or DT_LABEL_NONE for an unknown name. */
enum dt_label dt_label_parse(const char *name);

/* Parses "10.0.0.0/8", "192.168.7.10/32:443", "fd00::/8", "[fd00::1]/128:443"; 0 or -EINVAL. */
int inv_cidr_parse(const char *s, struct inv_cidr *out);
/* Whether (@family, @addr, @port) falls in @c; @addr is 4 or 16 bytes in network order. */
bool inv_cidr_match(const struct inv_cidr *c, int family, const void *addr, uint16_t port);

#endif /* DT_INVENTORY_H */
