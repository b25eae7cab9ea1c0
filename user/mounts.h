/* SPDX-License-Identifier: GPL-2.0 */
/* mounts.h - the file systems that take bytes off the node: network, FUSE, removable media. */
#ifndef DT_MOUNTS_H
#define DT_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One mount of an egress file system, as mountinfo describes it. */
struct mount_ent {
	uint32_t dev;  /* s_dev in the kernel's encoding (major << 20 | minor) */
	uint32_t kind; /* enum dt_egress_fs_kind */
	char *fstype;  /* "fuse.sshfs", "nfs4", "ext4" */
	char *source;  /* "user@host:/dir", "/dev/sdb1" */
	char *point;   /* the mount point, unescaped; "" for a block device itself */
	bool gone;     /* unmounted since: kept for the findings that still name it */
};

struct mount_table {
	struct mount_ent *v;
	size_t n;
	char **blockdevs; /* config egress_block_devices (borrowed): patterns of device names */
	size_t n_blockdevs;
	const char *sys_block; /* "/sys/class/block", or a test's copy */
};

/*
 * Parses one line of /proc/PID/mountinfo into @e (strings allocated, kind 0): 0, -EINVAL for
 * a line that is not one, -ENOMEM.
 */
int mount_parse_line(const char *line, struct mount_ent *e);
/*
 * The enum dt_egress_fs_kind of a mount, or 0 for a local one: network and FUSE file systems
 * by type; a block device (source /dev/NAME) when sysfs says removable or its name matches
 * one of @t's egress_block_devices patterns.
 */
uint32_t mount_egress_kind(const struct mount_table *t, const char *fstype, const char *source);
/*
 * Reads @path (a mountinfo file) again: every egress mount in @t, those no longer there
 * marked gone. Calls @add for each new one and @del for each gone, with @ctx. Returns the
 * number of changes or -errno.
 */
int mounts_scan(struct mount_table *t, const char *path,
		void (*add)(void *ctx, const struct mount_ent *e),
		void (*del)(void *ctx, const struct mount_ent *e), void *ctx);
/*
 * Replay: adds a copy of @e, or with @e->gone set marks the live entry of the same device
 * and mount point gone. 0 or -ENOMEM.
 */
int mounts_put(struct mount_table *t, const struct mount_ent *e);
/*
 * The entry for device number @dev: with @device the block device itself (a raw write),
 * else a mount of it; a live one before a gone one. NULL if none.
 */
const struct mount_ent *mounts_find(const struct mount_table *t, uint32_t dev, bool device);
/*
 * Reads sys_block (/sys/class/block) again: every removable block device (sysfs's flag or
 * egress_block_devices) as an entry of type "", source /dev/NAME and mount point "", so that
 * a raw write to it is egress too. Same calls and result as mounts_scan().
 */
int mounts_scan_devices(struct mount_table *t, void (*add)(void *ctx, const struct mount_ent *e),
			void (*del)(void *ctx, const struct mount_ent *e), void *ctx);
const char *mount_kind_name(uint32_t kind);
void mounts_free(struct mount_table *t);

#endif /* DT_MOUNTS_H */
