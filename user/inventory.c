/* SPDX-License-Identifier: GPL-2.0 */
/* inventory.c - the dataset inventory: parse and validate the JSON, scan its paths into inodes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "inventory.h"
#include "json.h"
#include "json_load.h"
#include "log.h"

/* Far beyond any real inventory; only stops a mistaken /dev/zero from eating all memory. */
#define INV_MAX_SIZE (64u << 20)
/* nftw holds at most this many directories open; deeper trees cost it memory, not failures. */
#define SCAN_FDS 32
/* The first growth of the scan array; it doubles from there, so 1M files cost ~8 reallocs. */
#define SCAN_FIRST_CAP 4096

static const char *const label_names[] = {
	[DT_LABEL_NONE] = "none",
	[DT_LABEL_PUBLIC] = "public",
	[DT_LABEL_INTERNAL] = "internal",
	[DT_LABEL_CONFIDENTIAL] = "confidential",
	[DT_LABEL_RESTRICTED] = "restricted",
};

const char *dt_label_name(enum dt_label label)
{
	if ((unsigned int)label >= ARRAY_SIZE(label_names))
		return "unknown";
	return label_names[label];
}

enum dt_label dt_label_parse(const char *name)
{
	unsigned int i;

	if (!name)
		return DT_LABEL_NONE;
	/* "none" is not a classification anyone can give, so the search starts above it */
	for (i = DT_LABEL_PUBLIC; i < ARRAY_SIZE(label_names); i++)
		if (!strcmp(name, label_names[i]))
			return (enum dt_label)i;
	return DT_LABEL_NONE;
}

/* Where in the inventory the loader is, so that every message names its subject the same way. */
struct loader {
	const char *name;
	struct errbuf *err;
	struct inventory *inv;
	bool in_dataset;
	size_t ds_index;   /* 0-based; messages show it 1-based */
	const char *ds_id; /* NULL until the dataset's id is known to be valid and unique */
};

/* Writes "inventory 'NAME': [dataset 'ID' | dataset #N: ][field 'FIELD': ]WHAT"; returns @ret. */
static int __attribute__((format(printf, 4, 5)))
fail(const struct loader *l, int ret, const char *field, const char *fmt, ...)
{
	char subject[sizeof(l->err->msg)];
	size_t len;
	va_list ap;

	len = snprintf(subject, sizeof(subject), "inventory '%s'", l->name);
	if (len < sizeof(subject) && l->in_dataset) {
		if (l->ds_id)
			snprintf(subject + len, sizeof(subject) - len, ": dataset '%s'", l->ds_id);
		else
			snprintf(subject + len, sizeof(subject) - len, ": dataset #%zu",
				 l->ds_index + 1);
	}
	va_start(ap, fmt);
	ret = json_load_vfail(l->err, ret, subject, field, fmt, ap);
	va_end(ap);
	return ret;
}

static int fail_nomem(const struct loader *l)
{
	return fail(l, -ENOMEM, NULL, "%s", strerror(ENOMEM));
}

static const char *json_kind(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsBool(j))
		return "a boolean";
	if (cJSON_IsNull(j))
		return "null";
	if (cJSON_IsArray(j))
		return "an array";
	if (cJSON_IsObject(j))
		return "an object";
	return "an invalid value";
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/*
 * cJSON takes the first of two equal keys, other JSON tools the last, so a repeated key
 * could mean one classification here and another in whatever else reads the file.
 * Only the keys that are read matter, and checking just those keeps this linear.
 */
static int check_dup_keys(const struct loader *l, const cJSON *obj, const char *field,
			  const char *const *keys)
{
	const char *dup = json_dup_key(obj, keys);

	return dup ? fail(l, -EINVAL, field, "duplicate key '%s'", dup) : 0;
}

/* Allocates room for the elements of @arr; one more so that an empty array is not malloc(0). */
static void *alloc_for(const cJSON *arr, size_t size)
{
	return calloc((size_t)cJSON_GetArraySize(arr) + 1, size);
}

/*
 * Copies an array of strings into *@out, counting them in *@n as it goes so that
 * inventory_free() releases a half-copied array; @absolute: each must be an absolute path.
 */
static int parse_strings(const struct loader *l, const cJSON *arr, const char *field,
			 bool absolute, char ***out, size_t *n)
{
	const cJSON *it;

	if (!cJSON_IsArray(arr))
		return fail(l, -EINVAL, field, "expected an array, got %s", json_kind(arr));
	*out = alloc_for(arr, sizeof(**out));
	if (!*out)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return fail(l, -EINVAL, field, "expected a string, got %s", json_kind(it));
		if (absolute && it->valuestring[0] != '/')
			return fail(l, -EINVAL, field, "relative path '%s'", it->valuestring);
		(*out)[*n] = strdup(it->valuestring);
		if (!(*out)[*n])
			return fail_nomem(l);
		(*n)++;
	}
	return 0;
}

static int parse_uids(const struct loader *l, const cJSON *arr, const char *field,
		      struct inv_acl *acl)
{
	const cJSON *it;
	double v;

	if (!cJSON_IsArray(arr))
		return fail(l, -EINVAL, field, "expected an array, got %s", json_kind(arr));
	acl->uids = alloc_for(arr, sizeof(*acl->uids));
	if (!acl->uids)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsNumber(it))
			return fail(l, -EINVAL, field, "expected a number, got %s", json_kind(it));
		v = it->valuedouble;
		/* (uid_t)-1 is "no uid" to the kernel, so no process can ever run as it */
		if (!(v >= 0 && v < UINT32_MAX && v == (double)(uint32_t)v))
			return fail(l, -EINVAL, field, "bad uid %.15g", v);
		acl->uids[acl->n_uids++] = (uint32_t)v;
	}
	return 0;
}

/* Why @v is no valid selector of @kind, or NULL: what Kubernetes and Slurm accept, no more. */
static const char *bad_selector(const char *kind, const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return "empty";
	if (!strcmp(kind, "namespaces")) {
		/* An RFC 1123 label, as Kubernetes requires of a namespace. */
		if (n > 63)
			return "longer than 63 characters";
		for (size_t i = 0; i < n; i++)
			if (!(islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]) ||
			      (v[i] == '-' && i && i + 1 < n)))
				return "not a namespace name (lower-case letters, digits, inner '-')";
		return NULL;
	}
	if (n > 255)
		return "longer than 255 characters";
	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)v[i]) || iscntrl((unsigned char)v[i]))
			return "holds white space or a control character";
		if (v[i] == '*' && (strcmp(kind, "images") || i + 1 < n))
			return strcmp(kind, "images") ? "holds '*'" : "'*' only at the end";
	}
	return NULL;
}

static int parse_selectors(const struct loader *l, const cJSON *arr, const char *field,
			   const char *kind, char ***out, size_t *n)
{
	const char *why;
	int ret;

	ret = parse_strings(l, arr, field, false, out, n);
	if (ret)
		return ret;
	for (size_t i = 0; i < *n; i++) {
		why = bad_selector(kind, (*out)[i]);
		if (why)
			return fail(l, -EINVAL, field, "bad selector '%s': %s", (*out)[i], why);
	}
	return 0;
}

static int parse_acl(const struct loader *l, const cJSON *ds, const char *key,
		     struct inv_acl *acl)
{
	static const char *const keys[] = { "uids",	      "executables", "namespaces", "images",
					    "slurm_accounts", "slurm_users", NULL };
	const struct {
		const char *name;
		char ***list;
		size_t *n;
	} sel[] = {
		{ "namespaces", &acl->namespaces, &acl->n_namespaces },
		{ "images", &acl->images, &acl->n_images },
		{ "slurm_accounts", &acl->slurm_accounts, &acl->n_slurm_accounts },
		{ "slurm_users", &acl->slurm_users, &acl->n_slurm_users },
	};
	const cJSON *obj = get(ds, key), *v;
	char field[64];
	int ret;

	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return fail(l, -EINVAL, key, "expected an object, got %s", json_kind(obj));
	ret = check_dup_keys(l, obj, key, keys);
	if (ret)
		return ret;
	acl->present = true;
	v = get(obj, "uids");
	if (v) {
		snprintf(field, sizeof(field), "%s.uids", key);
		ret = parse_uids(l, v, field, acl);
		if (ret)
			return ret;
	}
	v = get(obj, "executables");
	if (v) {
		snprintf(field, sizeof(field), "%s.executables", key);
		ret = parse_strings(l, v, field, true, &acl->exes, &acl->n_exes);
		if (ret)
			return ret;
		acl->exe_ids = calloc(acl->n_exes ? acl->n_exes : 1, sizeof(*acl->exe_ids));
		if (!acl->exe_ids)
			return fail_nomem(l);
	}
	for (size_t i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
		v = get(obj, sel[i].name);
		if (!v)
			continue;
		snprintf(field, sizeof(field), "%s.%s", key, sel[i].name);
		ret = parse_selectors(l, v, field, sel[i].name, sel[i].list, sel[i].n);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_egress(const struct loader *l, const cJSON *arr, struct inv_dataset *ds)
{
	static const char field[] = "allowed_egress";
	const cJSON *it;
	int ret;

	if (!cJSON_IsArray(arr))
		return fail(l, -EINVAL, field, "expected an array, got %s", json_kind(arr));
	ds->egress_present = true;
	ds->egress = alloc_for(arr, sizeof(*ds->egress));
	if (!ds->egress)
		return fail_nomem(l);
	ds->egress_mounts = alloc_for(arr, sizeof(*ds->egress_mounts));
	if (!ds->egress_mounts)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return fail(l, -EINVAL, field, "expected a string, got %s", json_kind(it));
		ret = inv_mount_rule_parse(it->valuestring, &ds->egress_mounts[ds->n_egress_mounts]);
		if (ret == -ENOMEM)
			return fail_nomem(l);
		if (ret == -EINVAL)
			return fail(l, -EINVAL, field, "bad rule '%s'", it->valuestring);
		if (!ret) {
			ds->n_egress_mounts++;
			continue;
		}
		if (inv_cidr_parse(it->valuestring, &ds->egress[ds->n_egress]))
			return fail(l, -EINVAL, field, "bad cidr '%s'", it->valuestring);
		ds->n_egress++;
	}
	return 0;
}

const char *inv_enforce_name(enum inv_enforce e)
{
	switch (e) {
	case INV_ENFORCE_MONITOR:
		return "monitor";
	case INV_ENFORCE_BLOCK:
		return "block";
	case INV_ENFORCE_KILL:
		return "kill";
	}
	return "unknown";
}

/*
 * The kernel checks at most DT_ENF_RULES destinations per dataset; a public dataset has no
 * exfiltration to refuse. Both are errors rather than a policy quietly weaker than written.
 */
static int parse_enforce(const struct loader *l, const cJSON *v, struct inv_dataset *ds)
{
	static const char field[] = "enforce";
	int e;

	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fail(l, -EINVAL, field, "expected a string, got %s", json_kind(v));
	for (e = INV_ENFORCE_MONITOR; e <= INV_ENFORCE_KILL; e++)
		if (!strcmp(v->valuestring, inv_enforce_name(e)))
			break;
	if (e > INV_ENFORCE_KILL)
		return fail(l, -EINVAL, field,
			    "unknown action '%s' (monitor, block or kill)", v->valuestring);
	ds->enforce = e;
	if (e == INV_ENFORCE_MONITOR)
		return 0;
	if (ds->label == DT_LABEL_PUBLIC)
		return fail(l, -EINVAL, field, "'%s' on a public dataset, which may go anywhere",
			    v->valuestring);
	if (ds->n_egress > DT_ENF_RULES)
		return fail(l, -EINVAL, field,
			    "'%s' with %zu allowed_egress entries: the kernel checks at most %d",
			    v->valuestring, ds->n_egress, DT_ENF_RULES);
	return 0;
}

/*
 * Why @v is no valid glob of derived.paths, or NULL. "**" only as a whole name, and no
 * brackets or escapes: a pattern that meant more than it says could hide copies.
 */
static const char *bad_glob(const char *v)
{
	int deep = 0;

	for (const char *p = v; *p; p++) {
		if (*p == '[' || *p == ']' || *p == '\\')
			return "'[', ']' and '\\' are not supported";
		if (p[0] == '*' && p[1] == '*' &&
		    (p == v || p[-1] != '/' || (p[2] && p[2] != '/')))
			return "'**' must be a whole name ('/**/' or a trailing '/**')";
		if (p[0] == '*' && p[1] == '*' && ++deep > 2)
			return "more than two '**' (each tries every depth)";
		if (p[0] == '*' && p[1] == '*')
			p++;
	}
	return NULL;
}

/* Why @v (after "mount:" is taken off) is no absolute, clean path, or NULL. */
static const char *bad_place_path(const char *v)
{
	size_t n = strlen(v);

	if (v[0] != '/')
		return "not an absolute path";
	/* The kernel's walk writes none of these: a place with them would never match. */
	if (strstr(v, "//") || strstr(v, "/./") || strstr(v, "/../") ||
	    (n >= 2 && !strcmp(v + n - 2, "/.")) || (n >= 3 && !strcmp(v + n - 3, "/..")))
		return "empty, '.' or '..' names";
	return NULL;
}

static int parse_place(const struct loader *l, const char *field, const char *v,
		       struct inv_place *out)
{
	const char *why, *path = v;
	size_t n;

	out->by = INV_PLACE_DIR;
	if (!strncmp(v, "mount:", 6)) {
		out->by = INV_PLACE_MOUNT;
		path = v + 6;
	} else if (strpbrk(v, "*?[]\\")) {
		/* Brackets and escapes read as a pattern, and are refused there: not literal. */
		out->by = INV_PLACE_GLOB;
	}
	why = bad_place_path(path);
	if (!why && out->by == INV_PLACE_GLOB)
		why = bad_glob(path);
	if (!why && out->by == INV_PLACE_MOUNT && strpbrk(path, "*?[]\\"))
		why = "a mount point is a path, not a pattern";
	if (why)
		return fail(l, -EINVAL, field, "bad place '%s': %s", v, why);
	out->value = strdup(path);
	if (!out->value)
		return fail_nomem(l);
	/* "/ckpt/" is the directory "/ckpt"; "/" stays itself. */
	n = strlen(out->value);
	if (out->by != INV_PLACE_GLOB)
		while (n > 1 && out->value[n - 1] == '/')
			out->value[--n] = 0;
	return 0;
}

/*
 * "derived": {"report": "outside" | "always", "paths": [...]}: which copies by allowed readers
 * are findings. Unlike the dataset's own keys, an unknown key here is an error: a misspelt
 * "paths" would silently allow copies anywhere.
 */
static int parse_derived(const struct loader *l, const cJSON *obj, struct inv_dataset *ds)
{
	static const char *const keys[] = { "report", "paths", NULL };
	const cJSON *v, *it;
	int ret;

	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return fail(l, -EINVAL, "derived", "expected an object, got %s", json_kind(obj));
	ret = check_dup_keys(l, obj, "derived", keys);
	if (ret)
		return ret;
	cJSON_ArrayForEach(it, obj)
		if (strcmp(it->string, "report") && strcmp(it->string, "paths"))
			return fail(l, -EINVAL, "derived", "unknown key '%s' (report, paths)",
				    it->string);
	if (ds->label == DT_LABEL_PUBLIC)
		return fail(l, -EINVAL, "derived",
			    "on a public dataset, whose copies are never reported");
	if (!ds->readers.present)
		return fail(l, -EINVAL, "derived",
			    "without allowed_readers: no process is an allowed reader, so every "
			    "copy is reported anyway");
	v = get(obj, "report");
	if (v) {
		if (!cJSON_IsString(v))
			return fail(l, -EINVAL, "derived.report", "expected a string, got %s",
				    json_kind(v));
		if (!strcmp(v->valuestring, "always"))
			ds->derived_report = INV_DERIVED_ALWAYS;
		else if (strcmp(v->valuestring, "outside"))
			return fail(l, -EINVAL, "derived.report",
				    "unknown value '%s' (outside or always)", v->valuestring);
	}
	v = get(obj, "paths");
	if (!v)
		return 0;
	if (ds->derived_report == INV_DERIVED_ALWAYS)
		return fail(l, -EINVAL, "derived.paths",
			    "with report 'always', which reports copies wherever they are");
	if (!cJSON_IsArray(v))
		return fail(l, -EINVAL, "derived.paths", "expected an array, got %s", json_kind(v));
	if (!cJSON_GetArraySize(v))
		return fail(l, -EINVAL, "derived.paths",
			    "empty (leave it out for anywhere, or use report 'always')");
	ds->derived_places = alloc_for(v, sizeof(*ds->derived_places));
	if (!ds->derived_places)
		return fail_nomem(l);
	cJSON_ArrayForEach(it, v) {
		if (!cJSON_IsString(it))
			return fail(l, -EINVAL, "derived.paths", "expected a string, got %s",
				    json_kind(it));
		/* counted first, so that inventory_free() sees a half-parsed one */
		ret = parse_place(l, "derived.paths", it->valuestring,
				  &ds->derived_places[ds->n_derived_places++]);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_id(struct loader *l, const cJSON *j, struct inv_dataset *ds)
{
	const cJSON *id = get(j, "id");
	size_t i;

	if (!id)
		return fail(l, -EINVAL, "id", "missing");
	if (!cJSON_IsString(id))
		return fail(l, -EINVAL, "id", "expected a string, got %s", json_kind(id));
	if (!id->valuestring[0])
		return fail(l, -EINVAL, "id", "empty id");
	/* quadratic, but inventories hold datasets by the dozen, not by the million */
	for (i = 0; i < l->ds_index; i++)
		if (!strcmp(l->inv->datasets[i].id, id->valuestring))
			return fail(l, -EINVAL, "id", "duplicate id '%s'", id->valuestring);
	ds->id = strdup(id->valuestring);
	if (!ds->id)
		return fail_nomem(l);
	l->ds_id = ds->id;
	return 0;
}

static int parse_dataset(struct loader *l, const cJSON *j, struct inv_dataset *ds)
{
	static const char *const keys[] = { "id", "classification", "paths", "tags", "owner",
					    "allowed_readers", "allowed_writers", "allowed_egress",
					    "gpu_allowed", "enforce", "derived", NULL };
	const cJSON *v;
	int ret;

	ds->gpu_allowed = true;
	if (!cJSON_IsObject(j))
		return fail(l, -EINVAL, NULL, "expected an object, got %s", json_kind(j));
	ret = check_dup_keys(l, j, NULL, keys);
	if (ret)
		return ret;
	ret = parse_id(l, j, ds);
	if (ret)
		return ret;

	v = get(j, "classification");
	if (!v)
		return fail(l, -EINVAL, "classification", "missing");
	if (!cJSON_IsString(v))
		return fail(l, -EINVAL, "classification", "expected a string, got %s",
			    json_kind(v));
	ds->label = dt_label_parse(v->valuestring);
	if (ds->label == DT_LABEL_NONE)
		return fail(l, -EINVAL, "classification", "unknown classification '%s'",
			    v->valuestring);

	v = get(j, "paths");
	if (!v)
		return fail(l, -EINVAL, "paths", "missing");
	ret = parse_strings(l, v, "paths", true, &ds->paths, &ds->n_paths);
	if (ret)
		return ret;
	if (!ds->n_paths)
		return fail(l, -EINVAL, "paths", "empty");

	v = get(j, "tags");
	if (v) {
		ret = parse_strings(l, v, "tags", false, &ds->tags, &ds->n_tags);
		if (ret)
			return ret;
	}

	v = get(j, "owner");
	if (v) {
		if (!cJSON_IsString(v))
			return fail(l, -EINVAL, "owner", "expected a string, got %s", json_kind(v));
		ds->owner = strdup(v->valuestring);
		if (!ds->owner)
			return fail_nomem(l);
	}

	ret = parse_acl(l, j, "allowed_readers", &ds->readers);
	if (ret)
		return ret;
	ret = parse_acl(l, j, "allowed_writers", &ds->writers);
	if (ret)
		return ret;

	v = get(j, "allowed_egress");
	if (v) {
		ret = parse_egress(l, v, ds);
		if (ret)
			return ret;
	}

	v = get(j, "gpu_allowed");
	if (v) {
		if (!cJSON_IsBool(v))
			return fail(l, -EINVAL, "gpu_allowed", "expected a boolean, got %s",
				    json_kind(v));
		ds->gpu_allowed = cJSON_IsTrue(v);
	}
	ret = parse_derived(l, get(j, "derived"), ds);
	if (ret)
		return ret;
	return parse_enforce(l, get(j, "enforce"), ds);
}

static int parse_root(struct loader *l, const cJSON *root)
{
	static const char *const keys[] = { "datasets", NULL };
	struct inventory *inv = l->inv;
	const cJSON *arr, *it;
	int ret;

	if (!cJSON_IsObject(root))
		return fail(l, -EINVAL, NULL, "expected an object at the top level, got %s",
			    json_kind(root));
	ret = check_dup_keys(l, root, NULL, keys);
	if (ret)
		return ret;
	arr = get(root, "datasets");
	if (!arr)
		return fail(l, -EINVAL, "datasets", "missing");
	if (!cJSON_IsArray(arr))
		return fail(l, -EINVAL, "datasets", "expected an array, got %s", json_kind(arr));
	inv->datasets = alloc_for(arr, sizeof(*inv->datasets));
	if (!inv->datasets)
		return fail_nomem(l);

	l->in_dataset = true;
	cJSON_ArrayForEach(it, arr) {
		l->ds_index = inv->n_datasets;
		l->ds_id = NULL;
		/* counted before it is filled, so that inventory_free() sees a half-parsed one */
		ret = parse_dataset(l, it, &inv->datasets[inv->n_datasets++]);
		if (ret)
			return ret;
	}
	l->in_dataset = false;
	return 0;
}

/* One inode as the walk found it; seq keeps the sort stable, so the first find wins. */
struct scan_ent {
	uint64_t ino;
	uint64_t size;
	size_t seq;
	uint32_t dev;
	uint32_t dataset;
	bool is_dir;
	char *path;
};

struct scan {
	struct scan_ent *ents;
	size_t n;
	size_t cap;
	uint32_t dataset; /* the dataset being walked */
	int ret;	  /* -errno that stopped the walk */
	char bad_path[PATH_MAX];
};

/* nftw() has no user pointer; thread-local so that two threads may load at once. */
static __thread struct scan *scan_cur;

static int scan_add(struct scan *s, const char *path, const struct stat *st, bool is_dir)
{
	struct scan_ent *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : SCAN_FIRST_CAP;

		if (cap > SIZE_MAX / sizeof(*s->ents))
			return -ENOMEM;
		e = realloc(s->ents, cap * sizeof(*s->ents));
		if (!e)
			return -ENOMEM;
		s->ents = e;
		s->cap = cap;
	}
	e = &s->ents[s->n];
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->ino = st->st_ino;
	e->dev = dt_kdev(st->st_dev);
	e->size = is_dir ? 0 : (uint64_t)st->st_size;
	e->seq = s->n;
	e->dataset = s->dataset;
	e->is_dir = is_dir;
	s->n++;
	return 0;
}

static int scan_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct scan *s = scan_cur;

	(void)ftw;
	switch (type) {
	case FTW_D:
		s->ret = scan_add(s, path, st, true);
		break;
	case FTW_F:
		/* sockets, fifos and device nodes hold no dataset content */
		if (S_ISREG(st->st_mode))
			s->ret = scan_add(s, path, st, false);
		break;
	case FTW_DNR:
		/* skipping it would leave whatever is below unclassified without a word */
		s->ret = -EACCES;
		snprintf(s->bad_path, sizeof(s->bad_path), "%s", path);
		break;
	default:
		/* FTW_SL: links are not followed; FTW_NS: gone between readdir and lstat */
		break;
	}
	return s->ret ? 1 : 0;
}

/* Whether @path, less any trailing slashes, is a symlink. */
static bool is_symlink(const char *path, struct stat *st)
{
	size_t len = strlen(path);
	char copy[PATH_MAX];

	while (len > 1 && path[len - 1] == '/')
		len--;
	/* too long for lstat() as well: nftw() will fail on it and say so */
	if (len >= sizeof(copy))
		return false;
	memcpy(copy, path, len);
	copy[len] = '\0';
	return !lstat(copy, st) && S_ISLNK(st->st_mode);
}

static int scan_path(struct loader *l, struct scan *s, const char *path)
{
	struct stat st, lst;
	char *real = NULL;
	const char *root = path;
	int ret;

	/* stat, not lstat: a symlink named in the inventory means what it points to */
	if (stat(path, &st)) {
		ret = -errno;
		return fail(l, ret, "paths", "path '%s': %s", path, strerror(-ret));
	}
	if (S_ISREG(st.st_mode)) {
		ret = scan_add(s, path, &st, false);
		return ret ? fail_nomem(l) : 0;
	}
	if (!S_ISDIR(st.st_mode))
		return fail(l, -EINVAL, "paths", "path '%s': not a regular file or directory",
			    path);

	/*
	 * nftw(FTW_PHYS) strips trailing slashes and would then report a symlinked root as a
	 * link and not descend, so look at the path the way it will
	 */
	if (is_symlink(path, &lst)) {
		real = realpath(path, NULL);
		if (!real) {
			ret = -errno;
			return fail(l, ret, "paths", "path '%s': %s", path, strerror(-ret));
		}
		root = real;
	}

	s->ret = 0;
	scan_cur = s;
	ret = nftw(root, scan_visit, SCAN_FDS, FTW_PHYS);
	scan_cur = NULL;
	if (ret < 0) {
		ret = errno ? -errno : -EIO;
		ret = fail(l, ret, "paths", "path '%s': %s", root, strerror(-ret));
	} else if (s->ret == -ENOMEM) {
		ret = fail_nomem(l);
	} else if (s->ret) {
		ret = fail(l, s->ret, "paths", "path '%s': %s", s->bad_path, strerror(-s->ret));
	}
	free(real);
	return ret;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct scan_ent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool same_inode(const struct scan_ent *a, const struct scan_ent *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

/*
 * Sorts the finds and keeps one entry per inode: the first find, which is also the lowest
 * dataset, since datasets are walked in order. Moves the kept paths into the inventory.
 */
static int merge(struct loader *l, struct scan *s)
{
	struct inventory *inv = l->inv;
	struct inv_dataset *kds, *ds;
	struct scan_ent *keep, *e;
	struct inv_inode *in;
	size_t i, j, n_unique = 0;

	if (s->n)
		qsort(s->ents, s->n, sizeof(*s->ents), ent_cmp);
	for (i = 0; i < s->n; i = j) {
		keep = &s->ents[i];
		kds = &inv->datasets[keep->dataset];
		for (j = i + 1; j < s->n && same_inode(keep, &s->ents[j]); j++) {
			e = &s->ents[j];
			ds = &inv->datasets[e->dataset];
			if (ds->label == kds->label)
				continue;
			l->in_dataset = true;
			l->ds_index = e->dataset;
			l->ds_id = ds->id;
			return fail(l, -EINVAL, "paths",
				    "'%s' is already in dataset '%s' as '%s', here '%s'", e->path,
				    kds->id, dt_label_name(kds->label), dt_label_name(ds->label));
		}
		n_unique++;
	}

	inv->inodes = calloc(n_unique + 1, sizeof(*inv->inodes));
	if (!inv->inodes)
		return fail_nomem(l);
	for (i = 0; i < s->n; i = j) {
		keep = &s->ents[i];
		in = &inv->inodes[inv->n_inodes++];
		in->ino = keep->ino;
		in->dev = keep->dev;
		in->dataset = keep->dataset;
		in->is_dir = keep->is_dir;
		in->path = keep->path;
		keep->path = NULL;
		if (!keep->is_dir) {
			inv->datasets[keep->dataset].n_files++;
			inv->datasets[keep->dataset].n_bytes += keep->size;
		}
		for (j = i + 1; j < s->n && same_inode(keep, &s->ents[j]); j++)
			;
	}
	return 0;
}

static int scan_all(struct loader *l)
{
	struct inventory *inv = l->inv;
	struct inv_dataset *ds;
	struct scan *s;
	size_t i, k;
	int ret = 0;

	/* on the heap: bad_path alone is PATH_MAX */
	s = calloc(1, sizeof(*s));
	if (!s)
		return fail_nomem(l);
	l->in_dataset = true;
	for (i = 0; i < inv->n_datasets; i++) {
		ds = &inv->datasets[i];
		l->ds_index = i;
		l->ds_id = ds->id;
		s->dataset = (uint32_t)i;
		for (k = 0; k < ds->n_paths; k++) {
			ret = scan_path(l, s, ds->paths[k]);
			if (ret)
				goto out_free_ents;
		}
	}
	l->in_dataset = false;
	ret = merge(l, s);

out_free_ents:
	/* merge() took the kept paths and left NULL behind */
	for (i = 0; i < s->n; i++)
		free(s->ents[i].path);
	free(s->ents);
	free(s);
	return ret;
}

static int syntax_error(const struct loader *l, const char *text, const char *pos)
{
	size_t line, col;

	text_position(text, pos, &line, &col);
	return fail(l, -EINVAL, NULL, "line %zu, column %zu: syntax error", line, col);
}

/*
 * @text must have a NUL at text[len], so that a bounds bug in cJSON stops there. Without
 * @scan the file system is not consulted: no path is checked and no inode is found.
 */
static int parse_text(const char *text, size_t len, const char *name, bool scan,
		      struct inventory **out, struct errbuf *err)
{
	struct loader l = { .name = name, .err = err };
	const char *end = NULL, *nul;
	struct inventory *inv;
	cJSON *root;
	int ret;

	inv = calloc(1, sizeof(*inv));
	if (!inv)
		return fail_nomem(&l);
	l.inv = inv;
	inv->file = strdup(name);
	inv->text = strndup(text, len);
	inv->text_len = len;
	if (!inv->file || !inv->text) {
		ret = fail_nomem(&l);
		goto err_free_inv;
	}

	/* cJSON would end a string at a NUL and go on with the rest of it as a new token */
	nul = memchr(text, '\0', len);
	if (nul) {
		ret = syntax_error(&l, text, nul);
		goto err_free_inv;
	}
	/* not require_null_terminated: 1.7.15 then fails unless len counts the NUL; see below */
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		ret = syntax_error(&l, text, end ? end : text);
		goto err_free_inv;
	}
	while (end < text + len && (unsigned char)*end <= ' ')
		end++;
	if (end != text + len) {
		ret = syntax_error(&l, text, end);
		goto err_free_json;
	}
	nul = json_find_nul_escape(text, len);
	if (nul) {
		size_t line, col;

		text_position(text, nul, &line, &col);
		ret = fail(&l, -EINVAL, NULL, "line %zu, column %zu: \\u0000 in a string: refusing it",
			   line, col);
		goto err_free_json;
	}

	ret = parse_root(&l, root);
	if (ret)
		goto err_free_json;
	cJSON_Delete(root);
	ret = scan ? scan_all(&l) : 0;
	if (ret)
		goto err_free_inv;
	*out = inv;
	return 0;

err_free_json:
	cJSON_Delete(root);
err_free_inv:
	inventory_free(inv);
	return ret;
}

int inventory_parse(const char *text, size_t len, const char *name, struct inventory **out,
		    struct errbuf *err)
{
	struct loader l = { .name = name, .err = err };
	char *copy;
	int ret;

	if (!name)
		l.name = name = "<memory>";
	copy = malloc(len + 1);
	if (!copy)
		return fail_nomem(&l);
	memcpy(copy, text, len);
	copy[len] = '\0';
	ret = parse_text(copy, len, name, true, out, err);
	free(copy);
	return ret;
}

int inventory_parse_offline(const char *text, size_t len, const char *name,
			    struct inventory **out, struct errbuf *err)
{
	struct loader l = { .name = name, .err = err };
	char *copy;
	int ret;

	copy = malloc(len + 1);
	if (!copy)
		return fail_nomem(&l);
	memcpy(copy, text, len);
	copy[len] = '\0';
	ret = parse_text(copy, len, name, false, out, err);
	free(copy);
	return ret;
}

/*
 * Reads all of @path (to EOF, so pipes work too). A world-writable file is refused (-EPERM):
 * anyone could rewrite it, and whatever it says cannot be trusted to classify data.
 */
static int read_file(const char *path, char **out, size_t *out_len)
{
	const struct file_policy policy = { .trust = FT_NOT_WORLD_WRITABLE,
					    .max = INV_MAX_SIZE - 2 };

	return read_file_trusted(path, &policy, path, out, out_len, NULL);
}

int inventory_load(const char *path, struct inventory **out, struct errbuf *err)
{
	size_t len = 0;
	char *text = NULL;
	int ret;

	ret = read_file(path, &text, &len);
	if (ret == -EPERM)
		return errbuf_set(err, ret, "inventory '%s': world-writable: refusing it", path);
	if (ret)
		return errbuf_set(err, ret, "inventory '%s': %s", path, strerror(-ret));
	ret = parse_text(text, len, path, true, out, err);
	free(text);
	return ret;
}

int inventory_load_offline(const char *path, struct inventory **out, struct errbuf *err)
{
	size_t len = 0;
	char *text = NULL;
	int ret;

	ret = read_file(path, &text, &len);
	if (ret)
		return errbuf_set(err, ret, "inventory '%s': %s", path, strerror(-ret));
	ret = parse_text(text, len, path, false, out, err);
	free(text);
	return ret;
}

int inventory_align_ids(struct inventory *inv, const char *const *ids, size_t n)
{
	size_t total = n, next, i, j;
	struct inv_dataset *nds;
	uint32_t *map;

	/* Datasets of @inv that @ids does not name get slots after the named ones. */
	for (i = 0; i < inv->n_datasets; i++) {
		for (j = 0; j < n && strcmp(ids[j], inv->datasets[i].id); j++)
			;
		if (j == n)
			total++;
	}
	nds = calloc(total ? total : 1, sizeof(*nds));
	map = calloc(inv->n_datasets ? inv->n_datasets : 1, sizeof(*map));
	if (!nds || !map)
		goto err_nomem;
	for (j = 0; j < n; j++) {
		nds[j].retired = true;
		nds[j].label = DT_LABEL_NONE;
		nds[j].id = strdup(ids[j]);
		if (!nds[j].id)
			goto err_free_ids;
	}
	next = n;
	for (i = 0; i < inv->n_datasets; i++) {
		for (j = 0; j < n && strcmp(ids[j], inv->datasets[i].id); j++)
			;
		if (j == n)
			j = next++;
		else
			free(nds[j].id);
		nds[j] = inv->datasets[i];
		map[i] = j;
	}
	for (i = 0; i < inv->n_inodes; i++)
		inv->inodes[i].dataset = map[inv->inodes[i].dataset];
	free(inv->datasets);
	free(map);
	inv->datasets = nds;
	inv->n_datasets = total;
	return 0;

err_free_ids:
	for (j = 0; j < n; j++)
		free(nds[j].id);
err_nomem:
	free(nds);
	free(map);
	return -ENOMEM;
}

int inventory_add_foreign(struct inventory *inv, const char *id, enum dt_label label,
			  const struct inv_cidr *egress, size_t n_egress, uint32_t *index)
{
	struct inv_dataset *ds = NULL, *nds;
	struct inv_cidr *eg;
	size_t i;

	for (i = 0; i < inv->n_datasets; i++) {
		if (inv->datasets[i].retired && !strcmp(inv->datasets[i].id, id)) {
			ds = &inv->datasets[i];
			break;
		}
	}
	if (!ds && inv->n_datasets >= DT_TAINT_OVERFLOW)
		return -ENOSPC;
	eg = calloc(n_egress ? n_egress : 1, sizeof(*eg));
	if (!eg)
		return -ENOMEM;
	memcpy(eg, egress, n_egress * sizeof(*eg));
	if (!ds) {
		nds = realloc(inv->datasets, (inv->n_datasets + 1) * sizeof(*nds));
		if (!nds) {
			free(eg);
			return -ENOMEM;
		}
		inv->datasets = nds;
		ds = &nds[inv->n_datasets];
		memset(ds, 0, sizeof(*ds));
		ds->id = strdup(id);
		if (!ds->id) {
			free(eg);
			return -ENOMEM;
		}
		i = inv->n_datasets++;
	}
	free(ds->egress);
	ds->egress = eg;
	ds->n_egress = n_egress;
	ds->egress_present = true;
	ds->label = label;
	ds->gpu_allowed = true;
	ds->enforce = INV_ENFORCE_MONITOR;
	ds->retired = false;
	ds->foreign = true;
	*index = i;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_acl(struct inv_acl *acl)
{
	free(acl->uids);
	free_strv(acl->exes, acl->n_exes);
	free(acl->exe_ids);
	free_strv(acl->namespaces, acl->n_namespaces);
	free_strv(acl->images, acl->n_images);
	free_strv(acl->slurm_accounts, acl->n_slurm_accounts);
	free_strv(acl->slurm_users, acl->n_slurm_users);
}

/* Whether @path came before entry (@ds, @which, @e) in the order inventory_resolve_exes() walks. */
static bool exe_seen_before(const struct inventory *inv, size_t ds, int which, size_t e,
			    const char *path)
{
	for (size_t i = 0; i <= ds; i++) {
		for (int w = 0; w < 2; w++) {
			const struct inv_acl *acl = w ? &inv->datasets[i].writers
						       : &inv->datasets[i].readers;

			for (size_t j = 0; j < acl->n_exes; j++) {
				if (i == ds && w == which && j == e)
					return false;
				if (!strcmp(acl->exes[j], path))
					return true;
			}
		}
	}
	return false;
}

static void log_exe(const struct inventory *inv, FILE *log, const char *prefix, const char *path,
		    const struct inv_exe *was, const struct inv_exe *now)
{
	char what[160];

	if (now->err)
		snprintf(what, sizeof(what), "%s: allows no process", strerror(-now->err));
	else if (was->ino == now->ino && was->dev == now->dev)
		snprintf(what, sizeof(what), "changed in place (device %u:%u inode %" PRIu64 ")",
			 now->dev >> 20, now->dev & 0xfffff, now->ino);
	else if (!was->ino)
		snprintf(what, sizeof(what), "device %u:%u inode %" PRIu64, now->dev >> 20,
			 now->dev & 0xfffff, now->ino);
	else
		snprintf(what, sizeof(what),
			 "device %u:%u inode %" PRIu64 " (was %u:%u inode %" PRIu64 ")",
			 now->dev >> 20, now->dev & 0xfffff, now->ino, was->dev >> 20,
			 was->dev & 0xfffff, was->ino);
	/* The inventory's path as written: escaped with the rest of the message. */
	dt_flog(log, "%sinventory '%s': allowed executable '%s': %s\n", prefix, inv->file, path,
		what);
}

/* The file system mounted exactly at @p's path now: its device and root inode, or -errno. */
static struct inv_place look_mount(const struct inv_place *p)
{
	struct inv_place now = *p;
	struct statx stx;

	now.dev = 0;
	now.ino = 0;
	now.err = 0;
	if (statx(AT_FDCWD, p->value, 0, STATX_INO, &stx)) {
		now.err = -errno;
	} else if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
		   !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		/* A plain directory would stand for its whole file system, the root's say. */
		now.err = -EINVAL;
	} else {
		now.ino = stx.stx_ino;
		now.dev = dt_kdev(makedev(stx.stx_dev_major, stx.stx_dev_minor));
	}
	return now;
}

static size_t resolve_places(struct inventory *inv, FILE *log, const char *prefix)
{
	size_t changed = 0;

	for (size_t i = 0; i < inv->n_datasets; i++) {
		struct inv_dataset *ds = &inv->datasets[i];

		for (size_t j = 0; j < ds->n_derived_places; j++) {
			struct inv_place *p = &ds->derived_places[j], now;

			if (p->by != INV_PLACE_MOUNT)
				continue;
			now = look_mount(p);
			if (now.dev == p->dev && now.ino == p->ino && now.err == p->err &&
			    (p->ino || p->err))
				continue;
			changed++;
			if (log && now.err)
				fprintf(log,
					"%sinventory '%s': dataset '%s': derived mount '%s': %s: "
					"allows no copy there\n",
					prefix ? prefix : "", inv->file, ds->id, p->value,
					now.err == -EINVAL ? "not a mount point" : strerror(-now.err));
			else if (log)
				fprintf(log, "%sinventory '%s': dataset '%s': derived mount '%s': "
					     "device %u:%u\n",
					prefix ? prefix : "", inv->file, ds->id, p->value,
					now.dev >> 20, now.dev & 0xfffff);
			*p = now;
		}
	}
	return changed;
}

size_t inventory_resolve_exes(struct inventory *inv, FILE *log, const char *prefix)
{
	size_t changed = 0;

	for (size_t i = 0; i < inv->n_datasets; i++) {
		for (int w = 0; w < 2; w++) {
			struct inv_acl *acl = w ? &inv->datasets[i].writers : &inv->datasets[i].readers;

			for (size_t j = 0; j < acl->n_exes; j++) {
				struct inv_exe now = {}, *e = &acl->exe_ids[j];
				struct stat st;

				/* The path is absolute (the parser insists): no working directory in it. */
				if (stat(acl->exes[j], &st)) {
					now.err = -errno;
				} else {
					now.ino = st.st_ino;
					now.dev = dt_kdev(st.st_dev);
					now.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
						       st.st_mtim.tv_nsec;
				}
				if (now.ino == e->ino && now.dev == e->dev &&
				    now.mtime_ns == e->mtime_ns && now.err == e->err &&
				    (e->ino || e->err))
					continue;
				changed++;
				if (log && !exe_seen_before(inv, i, w, j, acl->exes[j]))
					log_exe(inv, log, prefix ? prefix : "", acl->exes[j], e, &now);
				*e = now;
			}
		}
	}
	return changed + resolve_places(inv, log, prefix);
}

void inventory_set_exe(struct inventory *inv, const char *path, uint32_t dev, uint64_t ino)
{
	for (size_t i = 0; i < inv->n_datasets; i++) {
		for (int w = 0; w < 2; w++) {
			struct inv_acl *acl = w ? &inv->datasets[i].writers : &inv->datasets[i].readers;

			for (size_t j = 0; j < acl->n_exes; j++) {
				if (strcmp(acl->exes[j], path))
					continue;
				acl->exe_ids[j] = (struct inv_exe){ .ino = ino, .dev = dev,
								    .err = ino ? 0 : -ENOENT };
			}
		}
		for (size_t j = 0; j < inv->datasets[i].n_derived_places; j++) {
			struct inv_place *p = &inv->datasets[i].derived_places[j];

			if (p->by != INV_PLACE_MOUNT || strcmp(p->value, path))
				continue;
			p->dev = dev;
			p->ino = ino;
			p->err = ino ? 0 : -ENOENT;
		}
	}
}

/*
 * '*' and '?' within one name: greedy, going back only to the last '*', so a file name an
 * attacker chose costs at most name length times pattern length, never a backtracking blow-up.
 */
static bool name_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* @p and @s each at a '/' (or their end): the rest of the names match. */
static bool glob_names(const char *p, const char *s)
{
	const char *pe, *se;
	size_t pn, sn;

	if (!*p)
		return !*s;
	pe = strchr(p + 1, '/');
	pn = pe ? (size_t)(pe - p - 1) : strlen(p + 1);
	if (pn == 2 && p[1] == '*' && p[2] == '*') {
		/* A trailing "**": anything below (or the directory itself); else any names. */
		if (!p[3])
			return !*s || *s == '/';
		for (const char *t = s; t; t = *t ? strchr(t + 1, '/') : NULL)
			if (glob_names(p + 3, t))
				return true;
		return false;
	}
	if (*s != '/')
		return false;
	se = strchr(s + 1, '/');
	sn = se ? (size_t)(se - s - 1) : strlen(s + 1);
	return name_match(p + 1, pn, s + 1, sn) && glob_names(p + 1 + pn, s + 1 + sn);
}

bool inv_glob_match(const char *p, const char *s)
{
	return p[0] == '/' && s[0] == '/' && glob_names(p, s);
}

bool inv_place_match(const struct inv_place *p, uint32_t dev, const char *path)
{
	size_t n;

	switch (p->by) {
	case INV_PLACE_MOUNT:
		return p->ino && p->dev == dev;
	case INV_PLACE_GLOB:
		return path && inv_glob_match(p->value, path);
	case INV_PLACE_DIR:
		if (!path)
			return false;
		n = strlen(p->value);
		if (n == 1)
			return path[0] == '/';
		return !strncmp(path, p->value, n) && (!path[n] || path[n] == '/');
	}
	return false;
}

void inventory_free(struct inventory *inv)
{
	struct inv_dataset *ds;
	size_t i;

	if (!inv)
		return;
	for (i = 0; i < inv->n_datasets; i++) {
		ds = &inv->datasets[i];
		free(ds->id);
		free_strv(ds->paths, ds->n_paths);
		free_strv(ds->tags, ds->n_tags);
		free(ds->owner);
		free_acl(&ds->readers);
		free_acl(&ds->writers);
		free(ds->egress);
		for (size_t m = 0; m < ds->n_egress_mounts; m++)
			free(ds->egress_mounts[m].value);
		free(ds->egress_mounts);
		for (size_t m = 0; m < ds->n_derived_places; m++)
			free(ds->derived_places[m].value);
		free(ds->derived_places);
	}
	free(inv->datasets);
	for (i = 0; i < inv->n_inodes; i++)
		free(inv->inodes[i].path);
	free(inv->inodes);
	free(inv->file);
	free(inv->text);
	free(inv);
}

static int inode_cmp(const void *key, const void *elem)
{
	const struct inv_inode *k = key, *e = elem;

	if (k->dev != e->dev)
		return k->dev < e->dev ? -1 : 1;
	if (k->ino != e->ino)
		return k->ino < e->ino ? -1 : 1;
	return 0;
}

const struct inv_inode *inventory_find(const struct inventory *inv, uint32_t dev, uint64_t ino)
{
	struct inv_inode key = { .ino = ino, .dev = dev };

	if (!inv || !inv->n_inodes)
		return NULL;
	return bsearch(&key, inv->inodes, inv->n_inodes, sizeof(*inv->inodes), inode_cmp);
}

void inventory_summary(const struct inventory *inv, FILE *out)
{
	/* the most sensitive first: that is what a reader checks */
	static const enum dt_label order[] = {
		DT_LABEL_RESTRICTED,
		DT_LABEL_CONFIDENTIAL,
		DT_LABEL_INTERNAL,
		DT_LABEL_PUBLIC,
	};
	const struct inv_dataset *ds;
	uint64_t files = 0, bytes = 0;
	size_t i, k, n;

	for (i = 0; i < inv->n_datasets; i++) {
		files += inv->datasets[i].n_files;
		bytes += inv->datasets[i].n_bytes;
	}
	fprintf(out, "inventory '%s': %zu datasets, %" PRIu64 " files, %" PRIu64 " bytes\n",
		inv->file, inv->n_datasets, files, bytes);

	for (k = 0; k < ARRAY_SIZE(order); k++) {
		n = 0;
		files = 0;
		bytes = 0;
		for (i = 0; i < inv->n_datasets; i++) {
			ds = &inv->datasets[i];
			if (ds->label != order[k])
				continue;
			n++;
			files += ds->n_files;
			bytes += ds->n_bytes;
		}
		if (n)
			fprintf(out, "  %s: %zu datasets, %" PRIu64 " files, %" PRIu64 " bytes\n",
				dt_label_name(order[k]), n, files, bytes);
	}

	for (i = 0; i < inv->n_datasets; i++) {
		ds = &inv->datasets[i];
		fprintf(out, "  dataset '%s' (%s): %" PRIu64 " files, %" PRIu64 " bytes\n", ds->id,
			dt_label_name(ds->label), ds->n_files, ds->n_bytes);
	}
}

/* Parses exactly the decimal digits in [@s, @end) into *@out, at most @max; no sign, no blanks. */
static int parse_dec(const char *s, const char *end, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	/* five digits hold any port or prefix, and keep v far from overflow */
	if (s == end || end - s > 5)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int inv_mount_rule_parse(const char *s, struct inv_mount_rule *out)
{
	struct inv_mount_rule r = { 0 };
	const char *v, *p;
	size_t n;

	if (!strncmp(s, "mount:", 6)) {
		r.by = INV_MOUNT_POINT;
		v = s + 6;
		n = strlen(v);
		/* As mountinfo writes it: absolute, no trailing slash, no empty or dot components. */
		if (v[0] != '/' || (n > 1 && v[n - 1] == '/') || strstr(v, "//") ||
		    strstr(v, "/./") || strstr(v, "/../") || (n >= 2 && !strcmp(v + n - 2, "/.")) ||
		    (n >= 3 && !strcmp(v + n - 3, "/..")))
			return -EINVAL;
	} else if (!strncmp(s, "fstype:", 7)) {
		r.by = INV_MOUNT_FSTYPE;
		v = s + 7;
		if (!*v)
			return -EINVAL;
		for (p = v; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("._-*?", *p))
				return -EINVAL;
	} else {
		return -ENOENT;
	}
	r.value = strdup(v);
	if (!r.value)
		return -ENOMEM;
	*out = r;
	return 0;
}

bool inv_mount_rule_match(const struct inv_mount_rule *r, const char *fstype, const char *point)
{
	if (r->by == INV_MOUNT_POINT)
		return point && !strcmp(r->value, point);
	return fstype && !fnmatch(r->value, fstype, 0);
}

int inv_cidr_parse(const char *s, struct inv_cidr *out)
{
	char addr[INET6_ADDRSTRLEN];
	const char *a, *a_end, *rest, *end, *colon;
	struct inv_cidr c = { 0 };
	bool bracketed = false;
	unsigned long v;
	int max;

	if (!s || !out)
		return -EINVAL;
	end = s + strlen(s);
	if (*s == '[') {
		a = s + 1;
		a_end = strchr(a, ']');
		if (!a_end)
			return -EINVAL;
		rest = a_end + 1;
		bracketed = true;
	} else {
		a = s;
		a_end = strchr(s, '/');
		if (!a_end) {
			/* one colon ends an IPv4 address; IPv6 needs brackets to carry a port */
			colon = strchr(s, ':');
			a_end = colon && !strchr(colon + 1, ':') ? colon : end;
		}
		rest = a_end;
	}
	if (a_end == a || (size_t)(a_end - a) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, a, a_end - a);
	addr[a_end - a] = '\0';

	if (!bracketed && inet_pton(AF_INET, addr, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}

	c.prefix = max;
	if (*rest == '/') {
		colon = strchr(rest, ':');
		if (!colon)
			colon = end;
		if (parse_dec(rest + 1, colon, (unsigned long)max, &v))
			return -EINVAL;
		c.prefix = (int)v;
		rest = colon;
	}
	if (*rest == ':') {
		if (parse_dec(rest + 1, end, 65535, &v) || !v)
			return -EINVAL;
		c.port = (uint16_t)v;
		rest = end;
	}
	if (*rest)
		return -EINVAL;
	*out = c;
	return 0;
}

bool inv_cidr_match(const struct inv_cidr *c, int family, const void *addr, uint16_t port)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a = addr;
	int full, rem;
	uint8_t mask;

	if (!c || !a)
		return false;
	if (c->port && c->port != port)
		return false;
	/* a dual-stack socket reaches IPv4 peers as ::ffff:a.b.c.d */
	if (family == AF_INET6 && c->family == AF_INET && !memcmp(a, v4mapped, sizeof(v4mapped))) {
		family = AF_INET;
		a += sizeof(v4mapped);
	}
	if (family != c->family)
		return false;
	full = c->prefix / 8;
	rem = c->prefix % 8;
	if (memcmp(a, c->addr, (size_t)full))
		return false;
	if (rem) {
		mask = (uint8_t)(0xff << (8 - rem));
		if ((a[full] ^ c->addr[full]) & mask)
			return false;
	}
	return true;
}
