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
 * A file system a dataset may be written to (allowed_egress "mount:/mnt/backup" or
 * "fstype:nfs4"; a prefix that no CIDR can take): the mount point exactly, or the file
 * system type as a shell pattern ("fstype:fuse.*").
 */
enum inv_mount_by {
	INV_MOUNT_POINT = 1,
	INV_MOUNT_FSTYPE = 2,
};

struct inv_mount_rule {
	enum inv_mount_by by;
	char *value;
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
/*
 * Where an allowed reader's derived copies of a dataset may live ("derived": {"paths": [...]}):
 * a directory (the file's path below it), a glob over the whole path ('*' and '?' within a
 * name, '**' across names), or the file system mounted at a path ("mount:/mnt/scratch"),
 * matched by its device so that any path to it, in any mount namespace, is inside.
 */
enum inv_place_by {
	INV_PLACE_DIR = 1,
	INV_PLACE_GLOB = 2,
	INV_PLACE_MOUNT = 3,
};

struct inv_place {
	enum inv_place_by by;
	char *value; /* the directory without a trailing '/', the glob, or the mount point */
	/* INV_PLACE_MOUNT: the file system found mounted there (inventory_resolve_exes()) */
	uint32_t dev; /* the kernel's encoding; valid when ino is not 0 */
	uint64_t ino; /* the mount's root inode; 0: not resolved, or not a mount point */
	int err;      /* the last look's -errno (-ENOTDIR... or -EINVAL: not a mount point) */
};

/* "derived.report": which derived copies by allowed readers are findings. */
enum inv_derived_report {
	INV_DERIVED_OUTSIDE = 0, /* those outside derived.paths (none without paths) */
	INV_DERIVED_ALWAYS = 1,  /* every one */
};

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
	struct inv_mount_rule *egress_mounts; /* "mount:" and "fstype:" rules of allowed_egress */
	size_t n_egress_mounts;
	bool gpu_allowed; /* default true */
	enum inv_enforce enforce; /* values equal enum dt_enf_action */
	/* Derived copies written by allowed readers: report which (docs/findings.md#derived_copy) */
	enum inv_derived_report derived_report;
	struct inv_place *derived_places; /* NULL: anywhere */
	size_t n_derived_places;
	uint64_t n_files; /* regular files found under paths, hard links once */
	uint64_t n_bytes; /* their sizes */
	bool retired;     /* a slot kept for a dataset a reload removed; classifies nothing */
	bool foreign;     /* another node's, known from a fleet advisory (user/fleet.c) */
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

/*
 * Another node's dataset @id, judged here by the @label and @egress its advisory carries: the
 * slot a reload retired for it, else a new one (-ENOSPC past the taint bitmap's own bits).
 * Sets *@index. A dataset of the inventory itself is never touched: the caller looks first.
 */
int inventory_add_foreign(struct inventory *inv, const char *id, enum dt_label label,
			  const struct inv_cidr *egress, size_t n_egress, uint32_t *index);

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
 * The "mount:" places of derived.paths are looked up alike: the file system mounted exactly
 * there (statx's STATX_ATTR_MOUNT_ROOT), else none (-EINVAL: not a mount point).
 */
size_t inventory_resolve_exes(struct inventory *inv, FILE *log, const char *prefix);

/* Whether @path (a derived file's, as the kernel walked it) on device @dev lies in @p. */
bool inv_place_match(const struct inv_place *p, uint32_t dev, const char *path);
/* '*' and '?' within a name, "**" across names, as derived.paths globs match. */
bool inv_glob_match(const char *pattern, const char *path);

/*
 * Replay: every allowed executable, and every "mount:" place, named @path is (@dev, @ino), as
 * the recording agent saw it.
 */
void inventory_set_exe(struct inventory *inv, const char *path, uint32_t dev, uint64_t ino);
/* "monitor", "block", "kill". */
const char *inv_enforce_name(enum inv_enforce e);

/* "public" ... "restricted"; "none" for DT_LABEL_NONE. */
const char *dt_label_name(enum dt_label label);
/* Returns the label, or DT_LABEL_NONE for an unknown name. */
enum dt_label dt_label_parse(const char *name);

/* Parses "10.0.0.0/8", "192.168.7.10/32:443", "fd00::/8", "[fd00::1]/128:443"; 0 or -EINVAL. */
int inv_cidr_parse(const char *s, struct inv_cidr *out);
/*
 * Parses a "mount:/abs/path" or "fstype:PATTERN" rule into @out (value allocated): 0, -EINVAL
 * for a bad one, -ENOENT when @s has neither prefix (a CIDR then), -ENOMEM.
 */
int inv_mount_rule_parse(const char *s, struct inv_mount_rule *out);
/* Whether @r allows the mount of type @fstype at @point. */
bool inv_mount_rule_match(const struct inv_mount_rule *r, const char *fstype, const char *point);
/* Whether (@family, @addr, @port) falls in @c; @addr is 4 or 16 bytes in network order. */
bool inv_cidr_match(const struct inv_cidr *c, int family, const void *addr, uint16_t port);

#endif /* DT_INVENTORY_H */
