// SPDX-License-Identifier: GPL-2.0
/* mounts.c - the file systems that take bytes off the node: network, FUSE, removable media. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datatrail_abi.h"
#include "mounts.h"

/* Unmounted entries kept for late findings, beyond which the oldest are forgotten. */
#define MOUNTS_GONE_MAX 64

/* Network file systems: their bytes cross the network to a server. */
static const char *const net_types[] = {
	"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "lustre", "glusterfs", "afs",
	"9p", "ncpfs", "coda", "ocfs2", "gfs2", "orangefs", "pvfs2", "beegfs", "gpfs", NULL,
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = 0;
	return out;
}

static void ent_free(struct mount_ent *e)
{
	free(e->fstype);
	free(e->source);
	free(e->point);
	memset(e, 0, sizeof(*e));
}

/* The next space-separated field of *@p: its start, and its length in @n. */
static const char *field(const char **p, size_t *n)
{
	const char *s = *p, *e;

	while (*s == ' ')
		s++;
	if (!*s || *s == '\n')
		return NULL;
	for (e = s; *e && *e != ' ' && *e != '\n'; e++)
		;
	*n = (size_t)(e - s);
	*p = e;
	return s;
}

int mount_parse_line(const char *line, struct mount_ent *e)
{
	const char *p = line, *f, *point = NULL, *type = NULL, *src = NULL;
	size_t n, point_n = 0, type_n = 0, src_n = 0;
	unsigned int maj, min;
	int i;

	memset(e, 0, sizeof(*e));
	/* id parent major:minor root point options [optional...] - type source super-options */
	for (i = 0; (f = field(&p, &n)); i++) {
		if (i == 2) {
			if (sscanf(f, "%u:%u", &maj, &min) != 2)
				return -EINVAL;
		} else if (i == 4) {
			point = f;
			point_n = n;
		} else if (i >= 6 && n == 1 && *f == '-') {
			type = field(&p, &type_n);
			src = type ? field(&p, &src_n) : NULL;
			break;
		}
	}
	if (!point || !type || !src)
		return -EINVAL;
	e->dev = (maj << 20) | min;
	e->fstype = unescape(type, type_n);
	e->source = unescape(src, src_n);
	e->point = unescape(point, point_n);
	if (!e->fstype || !e->source || !e->point) {
		ent_free(e);
		return -ENOMEM;
	}
	return 0;
}

/* Whether sysfs calls block device @name (or the disk a partition of that name is on) removable. */
static bool sys_removable(const char *sys_block, const char *name)
{
	char path[512];
	FILE *f;
	int c = 0;

	snprintf(path, sizeof(path), "%s/%s/removable", sys_block, name);
	f = fopen(path, "re");
	if (!f) {
		/* A partition: the flag is its disk's, one directory up. */
		snprintf(path, sizeof(path), "%s/%s/../removable", sys_block, name);
		f = fopen(path, "re");
	}
	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == '1';
}

uint32_t mount_egress_kind(const struct mount_table *t, const char *fstype, const char *source)
{
	const char *name;

	for (size_t i = 0; net_types[i]; i++)
		if (!strcmp(fstype, net_types[i]))
			return DT_EGRESS_FS_NET;
	if (!strcmp(fstype, "fuse") || !strncmp(fstype, "fuse.", 5))
		return DT_EGRESS_FS_FUSE;
	if (strncmp(source, "/dev/", 5))
		return 0;
	name = source + 5;
	for (size_t i = 0; i < t->n_blockdevs; i++)
		if (!fnmatch(t->blockdevs[i], name, 0))
			return DT_EGRESS_FS_REMOVABLE;
	if (strchr(name, '/'))
		return 0; /* /dev/mapper/x and the like: sysfs knows them by dm-N only */
	return sys_removable(t->sys_block ? t->sys_block : "/sys/class/block", name) ?
		       DT_EGRESS_FS_REMOVABLE : 0;
}

const struct mount_ent *mounts_find(const struct mount_table *t, uint32_t dev, bool device)
{
	const struct mount_ent *found = NULL;
	int best = 0;

	if (!t)
		return NULL;
	/* Best: live and of the kind asked for; then gone and of that kind; then any. */
	for (size_t i = 0; i < t->n; i++) {
		const struct mount_ent *e = &t->v[i];
		int score;

		if (e->dev != dev)
			continue;
		score = 1 + (!e->point[0] == device) * 2 + !e->gone;
		if (score > best) {
			best = score;
			found = e;
		}
	}
	return found;
}

/* The live entry of @t with @e's device and mount point, or NULL. */
static struct mount_ent *find_same(struct mount_table *t, const struct mount_ent *e)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->v[i].gone && t->v[i].dev == e->dev && !strcmp(t->v[i].point, e->point))
			return &t->v[i];
	return NULL;
}

/* Forgets the oldest gone entries past MOUNTS_GONE_MAX. */
static void trim_gone(struct mount_table *t)
{
	size_t gone = 0, j = 0;

	for (size_t i = 0; i < t->n; i++)
		gone += t->v[i].gone;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].gone && gone > MOUNTS_GONE_MAX) {
			ent_free(&t->v[i]);
			gone--;
			continue;
		}
		t->v[j++] = t->v[i];
	}
	t->n = j;
}

/* Whether a live entry still holds superblock @dev. */
static bool dev_live(const struct mount_table *t, uint32_t dev)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->v[i].gone && t->v[i].dev == dev)
			return true;
	return false;
}

/* A block device's entry (a raw write target) rather than a mount's: no mount point. */
static bool is_device(const struct mount_ent *e)
{
	return !e->point[0];
}

/*
 * One entry a scan found: kept if new (@add told), else freed; an old one it matches is
 * marked in @seen. 0 or -ENOMEM.
 */
static int take(struct mount_table *t, struct mount_ent *e, bool *seen, size_t n_old,
		int *changes, void (*add)(void *ctx, const struct mount_ent *e), void *ctx)
{
	struct mount_ent *old = find_same(t, e), *grown;

	if (old) {
		if ((size_t)(old - t->v) < n_old)
			seen[old - t->v] = true;
		ent_free(e);
		return 0;
	}
	grown = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	if (!grown) {
		ent_free(e);
		return -ENOMEM;
	}
	t->v = grown;
	t->v[t->n++] = *e;
	(*changes)++;
	if (add)
		add(ctx, &t->v[t->n - 1]);
	return 0;
}

/* Marks gone the old entries of one kind (@devices or mounts) that the scan did not see. */
static void drop_unseen(struct mount_table *t, const bool *seen, size_t n_old, bool devices,
			int *changes, void (*del)(void *ctx, const struct mount_ent *e), void *ctx)
{
	for (size_t i = 0; i < n_old; i++) {
		if (t->v[i].gone || seen[i] || is_device(&t->v[i]) != devices)
			continue;
		t->v[i].gone = true;
		(*changes)++;
		/* Another entry of the same device (a bind mount, the disk itself) keeps it. */
		if (del && !dev_live(t, t->v[i].dev))
			del(ctx, &t->v[i]);
	}
	trim_gone(t);
}

int mounts_scan(struct mount_table *t, const char *path,
		void (*add)(void *ctx, const struct mount_ent *e),
		void (*del)(void *ctx, const struct mount_ent *e), void *ctx)
{
	struct mount_ent e;
	bool *seen = NULL;
	size_t n_old = t->n, cap = 0;
	char *line = NULL;
	int changes = 0, ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	seen = calloc(n_old + 1, sizeof(*seen));
	if (!seen) {
		ret = -ENOMEM;
		goto close_file;
	}
	while (getline(&line, &cap, f) > 0) {
		ret = mount_parse_line(line, &e);
		if (ret == -EINVAL)
			continue;
		if (ret)
			goto free_line;
		e.kind = mount_egress_kind(t, e.fstype, e.source);
		/* A mount point "" cannot be: mountinfo's are absolute. */
		if (!e.kind || !e.point[0]) {
			ent_free(&e);
			continue;
		}
		ret = take(t, &e, seen, n_old, &changes, add, ctx);
		if (ret)
			goto free_line;
	}
	drop_unseen(t, seen, n_old, false, &changes, del, ctx);
	ret = changes;
free_line:
	free(line);
	free(seen);
close_file:
	fclose(f);
	return ret;
}

int mounts_scan_devices(struct mount_table *t, void (*add)(void *ctx, const struct mount_ent *e),
			void (*del)(void *ctx, const struct mount_ent *e), void *ctx)
{
	const char *sys = t->sys_block ? t->sys_block : "/sys/class/block";
	struct mount_ent e;
	struct dirent *d;
	char path[512], src[300];
	unsigned int maj, min;
	size_t n_old = t->n;
	int changes = 0, ret = 0;
	bool *seen;
	DIR *dir;
	FILE *f;

	dir = opendir(sys);
	if (!dir)
		return -errno;
	seen = calloc(n_old + 1, sizeof(*seen));
	if (!seen) {
		ret = -ENOMEM;
		goto close_dir;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "/dev/%s", d->d_name);
		if (mount_egress_kind(t, "", src) != DT_EGRESS_FS_REMOVABLE)
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev", sys, d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		ret = fscanf(f, "%u:%u", &maj, &min) == 2 ? 0 : -EINVAL;
		fclose(f);
		if (ret) {
			ret = 0;
			continue;
		}
		e = (struct mount_ent){ .dev = (maj << 20) | min, .kind = DT_EGRESS_FS_REMOVABLE };
		e.fstype = strdup("");
		e.source = strdup(src);
		e.point = strdup("");
		if (!e.fstype || !e.source || !e.point) {
			ent_free(&e);
			ret = -ENOMEM;
			goto free_seen;
		}
		ret = take(t, &e, seen, n_old, &changes, add, ctx);
		if (ret)
			goto free_seen;
	}
	drop_unseen(t, seen, n_old, true, &changes, del, ctx);
	ret = changes;
free_seen:
	free(seen);
close_dir:
	closedir(dir);
	return ret;
}

int mounts_put(struct mount_table *t, const struct mount_ent *e)
{
	struct mount_ent c = { .dev = e->dev, .kind = e->kind }, *old = find_same(t, e), *grown;

	if (e->gone) {
		if (old)
			old->gone = true;
		trim_gone(t);
		return 0;
	}
	if (old)
		return 0;
	c.fstype = strdup(e->fstype);
	c.source = strdup(e->source);
	c.point = strdup(e->point);
	grown = c.fstype && c.source && c.point ? realloc(t->v, (t->n + 1) * sizeof(*t->v)) : NULL;
	if (!grown) {
		ent_free(&c);
		return -ENOMEM;
	}
	t->v = grown;
	t->v[t->n++] = c;
	return 0;
}

const char *mount_kind_name(uint32_t kind)
{
	switch (kind) {
	case DT_EGRESS_FS_NET:
		return "network";
	case DT_EGRESS_FS_FUSE:
		return "fuse";
	case DT_EGRESS_FS_REMOVABLE:
		return "removable";
	}
	return "unknown";
}

void mounts_free(struct mount_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		ent_free(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
