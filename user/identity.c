// SPDX-License-Identifier: GPL-2.0
/* identity.c - workload identity from cgroup paths and the runtimes' own files; see identity.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base.h"
#include "identity.h"

#define ID_MAX_PIDS 65536
#define ID_MAX_CGROUPS 4096
/* A runtime's config.json is tens of KiB; anything past this is not one. */
#define ID_JSON_MAX (1 << 20)

struct id_pid {
	uint64_t cg;	 /* key of the cgroup entry; 0 with ok false */
	uint32_t ns_pid;
	uint32_t ok;	 /* 0: /proc could not tell (the process was gone) */
};

static void copy_str(char *dst, size_t n, const char *src, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

#define SET(field, src, len) copy_str((field), sizeof(field), (src), (len))

static bool is_hex_id(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* A pod uid as the kubelet writes it into a cgroup name: dashes, or underscores (systemd). */
static bool pod_uid(const char *s, size_t len, struct wl_identity *id)
{
	char buf[40];

	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-' && c != '_')
				return false;
			c = '-';
		} else if (!isxdigit((unsigned char)c)) {
			return false;
		}
		buf[i] = c;
	}
	SET(id->pod_uid, buf, len);
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *p, size_t *plen)
{
	*plen = strlen(p);
	return len >= *plen && !memcmp(s, p, *plen);
}

/*
 * One path component that may name a container: "<64 hex>" (cgroupfs drivers), or
 * "<prefix><64 hex>[.scope]" with the prefix telling the runtime (systemd drivers, Podman).
 */
static bool container_component(const char *s, size_t len, struct wl_identity *id)
{
	static const struct {
		const char *prefix;
		const char *runtime;
	} prefixes[] = {
		{ "cri-containerd-", "containerd" },
		{ "crio-", "cri-o" },
		{ "docker-", "docker" },
		{ "libpod-", "podman" },
	};
	size_t plen;

	if (len > 6 && !memcmp(s + len - 6, ".scope", 6))
		len -= 6;
	if (is_hex_id(s, len)) {
		SET(id->container_id, s, len);
		id->runtime[0] = 0;
		return true;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (!has_prefix(s, len, prefixes[i].prefix, &plen) ||
		    !is_hex_id(s + plen, len - plen))
			continue;
		SET(id->container_id, s + plen, len - plen);
		snprintf(id->runtime, sizeof(id->runtime), "%s", prefixes[i].runtime);
		return true;
	}
	return false;
}

/* "kubepods", "kubepods-burstable", "kubepods-burstable-pod<uid>" (.slice stripped). */
static void kubepods_component(const char *s, size_t len, struct wl_identity *id)
{
	static const char *const classes[] = { "burstable", "besteffort" };
	size_t plen;

	if (len > 6 && !memcmp(s + len - 6, ".slice", 6))
		len -= 6;
	if (has_prefix(s, len, "kubepods-", &plen)) {
		s += plen;
		len -= plen;
	}
	for (size_t i = 0; i < 2; i++) {
		size_t cl = strlen(classes[i]);

		if (len >= cl && !memcmp(s, classes[i], cl) && (len == cl || s[cl] == '-')) {
			snprintf(id->qos, sizeof(id->qos), "%s", classes[i]);
			s += cl;
			len -= cl;
			if (len && *s == '-') {
				s++;
				len--;
			}
			break;
		}
	}
	if (has_prefix(s, len, "pod", &plen) && pod_uid(s + plen, len - plen, id) && !id->qos[0])
		snprintf(id->qos, sizeof(id->qos), "guaranteed");
}

/* "job_123", "step_0", "uid_1000": the number after the prefix, if the component is one. */
static bool slurm_component(const char *s, size_t len, const char *prefix, char *out, size_t n)
{
	size_t plen;

	if (!has_prefix(s, len, prefix, &plen) || len == plen)
		return false;
	copy_str(out, n, s + plen, len - plen);
	return true;
}

bool id_parse_cgroup(const char *path, struct wl_identity *id)
{
	bool kube = false, slurm = false, found = false, docker = false, after_docker;
	const char *s = path, *e;

	SET(id->cgroup, path, strlen(path));
	/* Nested runtimes (kind: kubepods inside a Docker container): the innermost one wins. */
	for (; *s; s = *e ? e + 1 : e) {
		size_t len, plen;

		while (*s == '/')
			s++;
		e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		len = e - s;
		if (!len)
			continue;
		after_docker = docker;
		docker = len == 6 && !memcmp(s, "docker", 6);
		if ((len >= 8 && !memcmp(s, "kubepods", 8)) ||
		    (kube && (has_prefix(s, len, "pod", &plen) ||
			      has_prefix(s, len, "burstable", &plen) ||
			      has_prefix(s, len, "besteffort", &plen)))) {
			if (!kube) {
				id->pod_uid[0] = 0;
				id->qos[0] = 0;
			}
			kube = true;
			kubepods_component(s, len, id);
			found = true;
			continue;
		}
		if (has_prefix(s, len, "slurm", &plen) ||
		    (len >= 16 && !memcmp(s + len - 16, "slurmstepd.scope", 16))) {
			slurm = true;
			continue;
		}
		if (slurm) {
			char uid[12];

			if (slurm_component(s, len, "uid_", uid, sizeof(uid))) {
				id->slurm_uid = strtoul(uid, NULL, 10);
				id->flags |= ID_SLURM_UID;
				continue;
			}
			if (slurm_component(s, len, "job_", id->slurm_job, sizeof(id->slurm_job))) {
				found = true;
				continue;
			}
			if (slurm_component(s, len, "step_", id->slurm_step,
					    sizeof(id->slurm_step)))
				continue;
		}
		/* conmon and podman's conmon scopes are the runtime's helpers, not containers. */
		if (has_prefix(s, len, "crio-conmon-", &plen) ||
		    has_prefix(s, len, "libpod-conmon-", &plen))
			continue;
		if (container_component(s, len, id)) {
			/* Docker's cgroupfs driver: "/docker/<id>"; the others say it in their files. */
			if (after_docker && !id->runtime[0])
				snprintf(id->runtime, sizeof(id->runtime), "docker");
			found = true;
		}
	}
	return found;
}

/* 4 for a line that names a workload, then by controller: 0:: 3, name=systemd and memory 2, others 1. */
static int line_score(const char *ctrl, size_t clen, const char *path)
{
	struct wl_identity tmp = {};

	if (!strcmp(path, "/") || !path[0])
		return 0;
	if (id_parse_cgroup(path, &tmp))
		return 4;
	if (clen == 0)
		return 3;
	if ((clen == 12 && !memcmp(ctrl, "name=systemd", 12)) ||
	    (clen == 6 && !memcmp(ctrl, "memory", 6)))
		return 2;
	return 1;
}

int id_pick_cgroup_ctrl(const char *text, char *out, size_t n, char *ctrl, size_t ctrl_n)
{
	int best = 0;

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n'), *c1, *c2;
		char path[512];
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		int score;

		c1 = memchr(line, ':', len);
		c2 = c1 ? memchr(c1 + 1, ':', len - (c1 + 1 - line)) : NULL;
		if (c2) {
			copy_str(path, sizeof(path), c2 + 1, line + len - (c2 + 1));
			score = line_score(c1 + 1, c2 - c1 - 1, path);
			if (score > best) {
				best = score;
				copy_str(out, n, path, strlen(path));
				if (ctrl)
					copy_str(ctrl, ctrl_n, c1 + 1, c2 - c1 - 1);
			}
		}
		line += len + (nl ? 1 : 0);
	}
	return best ? 0 : -ENOENT;
}

int id_pick_cgroup(const char *text, char *out, size_t n)
{
	return id_pick_cgroup_ctrl(text, out, n, NULL, 0);
}

/* The next component of a path at *@s: its start and length; false past the end. */
static bool next_comp(const char **s, const char **c, size_t *len)
{
	const char *p = *s, *e;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	e = strchrnul(p, '/');
	*c = p;
	*len = e - p;
	*s = e;
	return true;
}

static bool comp_is(const char *c, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(c, word, len);
}

static bool comp_suffix(const char *c, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(c + len - n, suffix, n);
}

/* Whether a component names a workload, or a runtime's root, by itself. */
static bool comp_names_workload(const char *c, size_t len)
{
	struct wl_identity tmp;
	size_t plen;

	if (has_prefix(c, len, "kubepods", &plen) || has_prefix(c, len, "slurm", &plen) ||
	    has_prefix(c, len, "job_", &plen) || comp_suffix(c, len, "slurmstepd.scope") ||
	    comp_is(c, len, "docker") || comp_is(c, len, "libpod_parent"))
		return true;
	memset(&tmp, 0, sizeof(tmp));
	return container_component(c, len, &tmp);
}

/*
 * The runtime's root at the start of @rel: the number of components that make it up (the
 * root and the component naming the container or job right below it), 0 when none.
 */
static int runtime_root(const char *rel)
{
	const char *s = rel, *c[3];
	size_t len[3], plen;
	struct wl_identity tmp;
	int n = 0;

	while (n < 3 && next_comp(&s, &c[n], &len[n]))
		n++;
	if (n < 1)
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	/* kubelet's own: what is below is the kubelet's and its runtime's (checked by owner). */
	if (comp_is(c[0], len[0], "kubepods") || comp_is(c[0], len[0], "kubepods.slice"))
		return 1;
	if (n < 2)
		return 0;
	if ((comp_is(c[0], len[0], "docker") || comp_is(c[0], len[0], "libpod_parent") ||
	     comp_is(c[0], len[0], "system.slice") || comp_is(c[0], len[0], "machine.slice")) &&
	    container_component(c[1], len[1], &tmp))
		return 2;
	if (n < 3)
		return 0;
	/* slurmstepd v2: system.slice/[<node>_]slurmstepd.scope/job_N */
	if (comp_is(c[0], len[0], "system.slice") &&
	    (comp_is(c[1], len[1], "slurmstepd.scope") ||
	     comp_suffix(c[1], len[1], "_slurmstepd.scope")) &&
	    has_prefix(c[2], len[2], "job_", &plen))
		return 3;
	/* slurmstepd v1: /slurm[_<node>]/uid_N/job_N */
	if ((comp_is(c[0], len[0], "slurm") || has_prefix(c[0], len[0], "slurm_", &plen)) &&
	    has_prefix(c[1], len[1], "uid_", &plen))
		return has_prefix(c[2], len[2], "job_", &plen) ? 3 : 0;
	return 0;
}

/* Whether @rel, a path below the cgroup root or a configured root, is a runtime's own. */
static bool rel_trusted(const char *rel)
{
	const char *s = rel, *c;
	size_t len, plen;
	bool kube, seen = false;
	int root = runtime_root(rel), i = 0;

	if (!root)
		return false;
	kube = root == 1;
	while (next_comp(&s, &c, &len)) {
		struct wl_identity tmp;

		if (i++ < root)
			continue;
		/* kubelet's own levels: QoS class and pod, before the container. */
		if (kube && !seen) {
			memset(&tmp, 0, sizeof(tmp));
			if (container_component(c, len, &tmp)) {
				seen = true;
				continue;
			}
			if (has_prefix(c, len, "kubepods-", &plen) ||
			    has_prefix(c, len, "pod", &plen) || comp_is(c, len, "burstable") ||
			    comp_is(c, len, "besteffort") || has_prefix(c, len, "crio-conmon-", &plen))
				continue;
			return false;
		}
		/* Below the container or job: nothing may name another (a nested claim). */
		if (comp_names_workload(c, len))
			return false;
	}
	return true;
}

bool id_path_trusted(const char *path, char *const *roots, size_t n_roots, size_t *prefix_len)
{
	const char *s = path, *c;
	size_t len;

	while (next_comp(&s, &c, &len))
		if (comp_is(c, len, ".."))
			return false;
	if (rel_trusted(path)) {
		*prefix_len = 0;
		return true;
	}
	for (size_t i = 0; i < n_roots; i++) {
		size_t n = strlen(roots[i]);

		while (n > 1 && roots[i][n - 1] == '/')
			n--;
		if (strncmp(path, roots[i], n) || path[n] != '/' || !rel_trusted(path + n))
			continue;
		*prefix_len = n;
		return true;
	}
	return false;
}

int id_path_owned_by_root(int mnt_fd, const char *path)
{
	char sub[512];
	const char *s = path, *c;
	struct stat st;
	size_t len, n = 0;

	if (fstat(mnt_fd, &st))
		return -errno;
	if (st.st_uid)
		return -EPERM;
	while (next_comp(&s, &c, &len)) {
		if (n + len + 2 > sizeof(sub))
			return -ENAMETOOLONG;
		if (n)
			sub[n++] = '/';
		memcpy(sub + n, c, len);
		n += len;
		sub[n] = 0;
		if (fstatat(mnt_fd, sub, &st, AT_SYMLINK_NOFOLLOW))
			return -errno;
		if (!S_ISDIR(st.st_mode) || st.st_uid)
			return -EPERM;
	}
	return 0;
}

/* systemd's "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice; "-.slice" or "" is the root. */
static int expand_slice(const char *slice, size_t len, char *out, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	if (!len || (len == 7 && !memcmp(slice, "-.slice", 7)))
		return 0;
	if (len < 6 || memcmp(slice + len - 6, ".slice", 6))
		return -EINVAL;
	len -= 6;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && slice[i] != '-')
			continue;
		if (o + i + 8 > n)
			return -ENAMETOOLONG;
		o += snprintf(out + o, n - o, "/%.*s.slice", (int)i, slice);
	}
	return 0;
}

/* @path is @want, or below it (a runtime's own sub-cgroup: podman's "container"). */
static bool path_is(const char *path, const char *want, size_t wlen)
{
	return !strncmp(path, want, wlen) && (!path[wlen] || path[wlen] == '/');
}

bool id_cgroups_path_match(const char *spec, const char *path, const char *prefix,
			   size_t prefix_len)
{
	char want[1024];
	const char *c1, *c2;
	size_t wlen;

	if (spec[0] == '/') {
		snprintf(want, sizeof(want), "%s", spec);
	} else {
		/* systemd driver: "slice:prefix:name", the unit prefix-name.scope in the slice */
		c1 = strchr(spec, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || expand_slice(spec, c1 - spec, want, sizeof(want)))
			return false;
		wlen = strlen(want);
		if (comp_suffix(c2 + 1, strlen(c2 + 1), ".slice"))
			snprintf(want + wlen, sizeof(want) - wlen, "/%s", c2 + 1);
		else if (c2 == c1 + 1)
			snprintf(want + wlen, sizeof(want) - wlen, "/%s.scope", c2 + 1);
		else
			snprintf(want + wlen, sizeof(want) - wlen, "/%.*s-%s.scope",
				 (int)(c2 - c1 - 1), c1 + 1, c2 + 1);
	}
	wlen = strlen(want);
	while (wlen > 1 && want[wlen - 1] == '/')
		want[--wlen] = 0;
	if (wlen < 2)
		return false;
	if (path_is(path, want, wlen))
		return true;
	return prefix_len && !strncmp(path, prefix, prefix_len) &&
	       path_is(path + prefix_len, want, wlen);
}

/* What a live resolution checks the runtime's record against: the cgroup and its root prefix. */
struct id_check {
	const char *path;
	size_t prefix_len;
};

static char *read_text(const char *path, size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap || !buf) {
			char *nb;

			if (buf)
				cap *= 2;
			if (cap > max + 1)
				goto out_free;
			nb = realloc(buf, cap);
			if (!nb)
				goto out_free;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0)
			goto out_free;
		if (!r)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
out_free:
	free(buf);
	close(fd);
	return NULL;
}

static void json_set(char *dst, size_t n, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!dst[0] && cJSON_IsString(v) && v->valuestring[0])
		copy_str(dst, n, v->valuestring, strlen(v->valuestring));
}

#define JSET(field, obj, key) json_set((field), sizeof(field), (obj), (key))

static void parse_runtime(struct wl_identity *id, const cJSON *root)
{
	const cJSON *ann, *cfg, *labels, *v;

	/* OCI config.json: containerd's CRI plugin and CRI-O annotate the pod. */
	ann = cJSON_GetObjectItemCaseSensitive(root, "annotations");
	if (cJSON_IsObject(ann)) {
		v = cJSON_GetObjectItemCaseSensitive(ann, "io.kubernetes.cri.container-type");
		JSET(id->pod_name, ann, "io.kubernetes.cri.sandbox-name");
		JSET(id->pod_namespace, ann, "io.kubernetes.cri.sandbox-namespace");
		JSET(id->pod_uid, ann, "io.kubernetes.cri.sandbox-uid");
		/* The sandbox (pause) container has no name or image of its own. */
		if (!cJSON_IsString(v) || strcmp(v->valuestring, "sandbox")) {
			JSET(id->container_name, ann, "io.kubernetes.cri.container-name");
			JSET(id->image, ann, "io.kubernetes.cri.image-name");
		}
		JSET(id->pod_name, ann, "io.kubernetes.pod.name");
		JSET(id->pod_namespace, ann, "io.kubernetes.pod.namespace");
		JSET(id->pod_uid, ann, "io.kubernetes.pod.uid");
		JSET(id->container_name, ann, "io.kubernetes.container.name");
		JSET(id->image, ann, "io.kubernetes.cri-o.ImageName");
		JSET(id->image_id, ann, "io.kubernetes.cri-o.ImageRef");
	}
	/* Docker's config.v2.json: the image and name, and the kubelet's labels under dockershim. */
	cfg = cJSON_GetObjectItemCaseSensitive(root, "Config");
	if (cJSON_IsObject(cfg)) {
		JSET(id->image, cfg, "Image");
		JSET(id->image_id, root, "Image");
		labels = cJSON_GetObjectItemCaseSensitive(cfg, "Labels");
		if (cJSON_IsObject(labels)) {
			JSET(id->pod_name, labels, "io.kubernetes.pod.name");
			JSET(id->pod_namespace, labels, "io.kubernetes.pod.namespace");
			JSET(id->pod_uid, labels, "io.kubernetes.pod.uid");
			JSET(id->container_name, labels, "io.kubernetes.container.name");
		}
		v = cJSON_GetObjectItemCaseSensitive(root, "Name");
		if (!id->container_name[0] && cJSON_IsString(v))
			SET(id->container_name, v->valuestring + (v->valuestring[0] == '/'),
			    strlen(v->valuestring + (v->valuestring[0] == '/')));
	}
}

int id_parse_runtime_json(struct wl_identity *id, const char *text, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(text, len);

	if (!root)
		return -EINVAL;
	parse_runtime(id, root);
	cJSON_Delete(root);
	return 0;
}

/*
 * Reads a runtime's record of @id's container. With @rt->path (a live resolution), an OCI
 * spec must name this very cgroup in linux.cgroupsPath: a record of the same id for another
 * cgroup is another's claim, and nothing of it is taken (-EPERM). Docker's config.v2.json
 * has no cgroup: its place (/docker, system.slice/docker-<id>.scope) is Docker's own.
 */
static int try_json(struct wl_identity *id, const char *path, const char *runtime,
		    const struct id_check *rt)
{
	const cJSON *linux_, *cgp;
	size_t len;
	char *text = read_text(path, ID_JSON_MAX, &len);
	cJSON *root;
	bool match = false;

	if (!text)
		return -ENOENT;
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!root)
		return -EINVAL;
	linux_ = cJSON_GetObjectItemCaseSensitive(root, "linux");
	cgp = cJSON_GetObjectItemCaseSensitive(linux_, "cgroupsPath");
	if (rt && rt->path) {
		if (cJSON_IsString(cgp))
			match = id_cgroups_path_match(cgp->valuestring, rt->path, rt->path,
						      rt->prefix_len);
		else if (!linux_)
			match = !strcmp(runtime, "docker");
		if (!match) {
			cJSON_Delete(root);
			return -EPERM;
		}
	}
	parse_runtime(id, root);
	cJSON_Delete(root);
	if (!id->runtime[0] || strcmp(id->runtime, "podman"))
		snprintf(id->runtime, sizeof(id->runtime), "%s", runtime);
	id->flags |= ID_META | (match ? ID_VERIFIED : 0);
	return 0;
}

/* containerd: <root>/<namespace>/<id>/config.json, for each namespace (k8s.io, moby, default). */
static int try_containerd(struct wl_identity *id, const char *root, const struct id_check *rt)
{
	char path[4096];
	struct dirent *de;
	int err = -ENOENT;
	DIR *d;

	d = opendir(root);
	if (!d)
		return -ENOENT;
	while (err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s/config.json", root, de->d_name,
			 id->container_id);
		err = try_json(id, path, "containerd", rt);
	}
	closedir(d);
	return err;
}

/* id_read_runtime(), a live resolution's: only a record that names @rt's cgroup counts. */
static int read_runtime(struct wl_identity *id, char *const *dirs, size_t n_dirs,
			const struct id_check *rt)
{
	static const char *const defaults[] = { "/run/containerd", "/run/containers/storage",
						"/var/lib/containers/storage", "/var/lib/docker" };
	char path[4096];

	if (!id->container_id[0])
		return -ENOENT;
	for (size_t i = 0; i < n_dirs + 4; i++) {
		const char *d = i < n_dirs ? dirs[i] : defaults[i - n_dirs];

		/* A containerd state dir, or its task dir itself. */
		snprintf(path, sizeof(path), "%s/io.containerd.runtime.v2.task", d);
		if (!try_containerd(id, path, rt))
			return 0;
		snprintf(path, sizeof(path), "%s/io.containerd.runtime.v1.linux", d);
		if (!try_containerd(id, path, rt))
			return 0;
		if (i < n_dirs && !try_containerd(id, d, rt))
			return 0;
		/* CRI-O and Podman share containers/storage's layout. */
		snprintf(path, sizeof(path), "%s/overlay-containers/%s/userdata/config.json", d,
			 id->container_id);
		if (!try_json(id, path, strcmp(id->runtime, "podman") ? "cri-o" : "podman", rt))
			return 0;
		snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", d,
			 id->container_id);
		if (!try_json(id, path, "docker", rt))
			return 0;
	}
	return -ENOENT;
}

int id_read_runtime(struct wl_identity *id, char *const *dirs, size_t n_dirs)
{
	return read_runtime(id, dirs, n_dirs, NULL);
}

/* SLURM_JOB_ACCOUNT and SLURM_JOB_USER from the job's own environment (see docs/identity.md). */
static void read_slurm_env(const char *proc_root, uint32_t pid, struct wl_identity *id)
{
	char path[64];
	size_t len;
	char *env;

	snprintf(path, sizeof(path), "%s/%u/environ", proc_root, pid);
	env = read_text(path, 256 << 10, &len);
	if (!env)
		return;
	for (size_t off = 0; off < len; off += strlen(env + off) + 1) {
		const char *kv = env + off;

		if (!strncmp(kv, "SLURM_JOB_ACCOUNT=", 18))
			SET(id->slurm_account, kv + 18, strlen(kv + 18));
		else if (!strncmp(kv, "SLURM_JOB_USER=", 15))
			SET(id->slurm_user, kv + 15, strlen(kv + 15));
	}
	free(env);
}

static uint32_t read_ns_pid(const char *proc_root, uint32_t pid)
{
	char path[64], buf[4096], *p, *end;
	uint32_t ns = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/status", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "\nNSpid:");
	if (!p)
		return 0;
	/* The last number is the pid in the innermost namespace. */
	for (p += 7; *p && *p != '\n'; p = end) {
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			break;
		ns = v;
	}
	return ns;
}

static int read_cgroup(const char *proc_root, uint32_t pid, char *out, size_t n, char *ctrl,
		       size_t ctrl_n)
{
	char path[64], buf[4096];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/cgroup", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	/* A zombie's cgroup file is empty: it is gone as far as identity goes. */
	if (len <= 0)
		return len < 0 ? -errno : -ESRCH;
	buf[len] = 0;
	return id_pick_cgroup_ctrl(buf, out, n, ctrl, ctrl_n);
}

/* Whether every comma-separated name of @want is among @opts's. */
static bool opts_have(const char *opts, const char *want)
{
	char o[256], *save, *tok;
	const char *w = want, *c;
	size_t len;

	for (; *w; w = *c ? c + 1 : c) {
		c = strchrnul(w, ',');
		len = c - w;
		snprintf(o, sizeof(o), "%s", opts);
		for (tok = strtok_r(o, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strlen(tok) == len && !memcmp(tok, w, len))
				break;
		if (!tok)
			return false;
	}
	return true;
}

/*
 * The mount of the hierarchy a /proc/PID/cgroup line's controllers (@ctrl; "" the v2 line)
 * name, whole (mount root "/"): a directory fd, or -1.
 */
static int open_hierarchy(const char *ctrl)
{
	char line[1024], root[256], mnt[256], fstype[32], src[64], opts[256];
	const char *sep;
	int fd = -1;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%31s %63s %255s", fstype, src, opts) != 3 || strcmp(root, "/"))
			continue;
		if (ctrl[0] ? strcmp(fstype, "cgroup") || !opts_have(opts, ctrl)
			    : strcmp(fstype, "cgroup2"))
			continue;
		fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	fclose(f);
	return fd;
}

/* Where a live resolution reads: /proc, the runtimes' state, the roots it trusts. */
struct id_src {
	const char *proc_root;
	uint32_t pid;
	char *const *dirs;
	size_t n_dirs;
	char *const *roots;
	size_t n_roots;
	const char *ctrl; /* the hierarchy the path is in, or NULL: @mnt_fd */
	int mnt_fd;	  /* with ctrl NULL: that hierarchy's mount, -1 none (a recorded path) */
	bool from_kernel; /* the path is the kernel's record of the cgroup, whole */
	struct idtab *cache; /* open hierarchies kept, or NULL: opened and closed each time */
};

/* @ctrl's hierarchy, from @t's cache (kept open), else opened for the caller to close. */
static int hierarchy(struct idtab *t, const char *ctrl, bool *keep)
{
	int fd;

	*keep = false;
	for (size_t i = 0; t && i < t->n_hier; i++)
		if (!strcmp(t->hier[i].ctrl, ctrl)) {
			*keep = true;
			return t->hier[i].fd;
		}
	fd = open_hierarchy(ctrl);
	if (t && t->n_hier < sizeof(t->hier) / sizeof(t->hier[0]) &&
	    strlen(ctrl) < sizeof(t->hier[0].ctrl)) {
		snprintf(t->hier[t->n_hier].ctrl, sizeof(t->hier[0].ctrl), "%s", ctrl);
		t->hier[t->n_hier++].fd = fd;
		*keep = true;
	}
	return fd;
}

/*
 * Everything the cgroup @path says and the runtime's files tell of it, and whether it is the
 * runtime's own (ID_VERIFIED): at the runtime's root, root's all the way down, and for a
 * container, the runtime's record naming this cgroup. A path that claims a workload but is
 * not at a root or not root's (a delegated subtree) is ID_UNTRUSTED: nothing of it is taken.
 */
static void resolve_cgroup(const struct id_src *src, const char *path, struct wl_identity *id)
{
	struct id_check rt = { .path = path };
	int own = -ENOENT, fd = src->mnt_fd;
	bool verified, keep = true;

	memset(id, 0, sizeof(*id));
	id->flags = ID_RESOLVED;
	if (!id_parse_cgroup(path, id))
		return;
	if (!id_path_trusted(path, src->roots, src->n_roots, &rt.prefix_len)) {
		own = -EPERM;
	} else {
		if (src->ctrl)
			fd = hierarchy(src->cache, src->ctrl, &keep);
		if (fd >= 0)
			own = id_path_owned_by_root(fd, path);
		if (!keep && fd >= 0)
			close(fd);
	}
	if (own == -EPERM) {
		memset(id, 0, sizeof(*id));
		SET(id->cgroup, path, strlen(path));
		id->flags = ID_RESOLVED | ID_UNTRUSTED;
		return;
	}
	if (id->container_id[0])
		read_runtime(id, src->dirs, src->n_dirs, &rt);
	if (id->slurm_job[0])
		read_slurm_env(src->proc_root, src->pid, id);
	/*
	 * No mount shows the cgroup (a private cgroup namespace's, one removed since): the
	 * owners cannot be read, but the kernel's own record of the whole path puts it at the
	 * runtime's root, and the runtime's record names it: a container is the runtime's.
	 * A job has no such record: it needs the owners.
	 */
	if (id->container_id[0])
		verified = (id->flags & ID_VERIFIED) && (!own || src->from_kernel);
	else
		verified = id->slurm_job[0] && !own;
	id->flags = (id->flags & ~ID_VERIFIED) | (verified ? ID_VERIFIED : 0);
}

int id_resolve_pid(const char *proc_root, uint32_t pid, char *const *dirs, size_t n_dirs,
		   struct wl_identity *out)
{
	struct id_src src = { .proc_root = proc_root, .pid = pid, .dirs = dirs,
			      .n_dirs = n_dirs, .mnt_fd = -1 };
	char path[256], ctrl[64];
	int err;

	err = read_cgroup(proc_root, pid, path, sizeof(path), ctrl, sizeof(ctrl));
	if (err == -ENOENT) /* every line the root: no workload, but resolved */
		snprintf(path, sizeof(path), "/");
	else if (err)
		return err;
	src.ctrl = err ? NULL : ctrl;
	resolve_cgroup(&src, path, out);
	if (out->container_id[0])
		out->ns_pid = read_ns_pid(proc_root, pid);
	return 0;
}

void idtab_init(struct idtab *t, bool offline)
{
	memset(t, 0, sizeof(*t));
	t->offline = offline;
	t->proc_root = "/proc";
	t->max_pids = ID_MAX_PIDS;
	t->max_cgroups = ID_MAX_CGROUPS;
	t->cg2_fd = -2;
	hmap_init(&t->pids, sizeof(uint32_t), sizeof(struct id_pid));
	hmap_init(&t->cgroups, sizeof(uint64_t), sizeof(struct wl_identity));
}

void idtab_free(struct idtab *t)
{
	if (t->cg2_fd >= 0)
		close(t->cg2_fd);
	t->cg2_fd = -2;
	for (size_t i = 0; i < t->n_hier; i++)
		if (t->hier[i].fd >= 0)
			close(t->hier[i].fd);
	t->n_hier = 0;
	hmap_free(&t->pids);
	hmap_free(&t->cgroups);
}

static uint64_t cg_key(const char *path)
{
	uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, path, strlen(path));

	return h ? h : 1; /* 0 means "no cgroup" in struct id_pid */
}

/* Makes room for one more entry in each table: empties both when either is full. */
static void make_room(struct idtab *t)
{
	if (hmap_count(&t->pids) < t->max_pids && hmap_count(&t->cgroups) < t->max_cgroups)
		return;
	hmap_free(&t->pids);
	hmap_free(&t->cgroups);
	hmap_init(&t->pids, sizeof(uint32_t), sizeof(struct id_pid));
	hmap_init(&t->cgroups, sizeof(uint64_t), sizeof(struct wl_identity));
	t->resets++;
}

/* Stores @id as @pid's; returns the stored copy (with the pid's ns_pid), or NULL. */
static const struct wl_identity *store(struct idtab *t, uint32_t pid, const struct wl_identity *id)
{
	uint64_t key = cg_key(id->cgroup);
	struct wl_identity *cg;
	struct id_pid *p;

	make_room(t);
	cg = hmap_put(&t->cgroups, &key, NULL);
	if (!cg)
		return NULL;
	*cg = *id;
	cg->ns_pid = 0;
	p = hmap_put(&t->pids, &pid, NULL);
	if (!p)
		return NULL;
	p->cg = key;
	p->ns_pid = id->ns_pid;
	p->ok = 1;
	cg->ns_pid = p->ns_pid;
	return cg;
}

int id_cgroup_path_by_id(int mnt_fd, const char *mnt, uint64_t id, char *out, size_t n)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 8];
	} h = { .fh = { .handle_bytes = 8, .handle_type = 0xfe /* FILEID_KERNFS */ } };
	char link[64], path[4096];
	size_t mlen = strlen(mnt);
	ssize_t len;
	int fd;

	memcpy(h.fh.f_handle, &id, 8);
	fd = open_by_handle_at(mnt_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	path[len] = 0;
	if (strncmp(path, mnt, mlen) || (path[mlen] && path[mlen] != '/'))
		return -ENOENT;
	snprintf(out, n, "%s", path[mlen] ? path + mlen : "/");
	return 0;
}

/* The cgroup2 mount from /proc/self/mountinfo: /sys/fs/cgroup, or .../unified (v1 hybrid). */
static int cg2_open(struct idtab *t)
{
	char line[1024], mnt[256], *sep;
	FILE *f;

	if (t->cg2_fd != -2)
		return t->cg2_fd;
	t->cg2_fd = -1;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - cgroup2 ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1)
			continue;
		t->cg2_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		snprintf(t->cg2_mnt, sizeof(t->cg2_mnt), "%s", mnt);
		break;
	}
	fclose(f);
	return t->cg2_fd;
}

/* For a process already gone: the path of the cgroup it was in when it became tracked. */
static int path_from_kernel(struct idtab *t, uint32_t pid, char *out, size_t n, bool *live)
{
	uint64_t id;

	*live = false;
	if (!t->cgroup_id_of || t->cgroup_id_of(t->cgroup_id_ctx, pid, &id) || id <= 1)
		return -ESRCH;
	if (cg2_open(t) >= 0 && !id_cgroup_path_by_id(t->cg2_fd, t->cg2_mnt, id, out, n)) {
		*live = true;
		return 0;
	}
	/* Removed since (the container exited): the path as the kernel saw it then. */
	if (t->cgroup_path_of && !t->cgroup_path_of(t->cgroup_id_ctx, id, out, n))
		return 0;
	return -ENOENT;
}

static bool has_dotdot(const char *path)
{
	const char *s = path, *c;
	size_t len;

	while (next_comp(&s, &c, &len))
		if (comp_is(c, len, ".."))
			return true;
	return false;
}

static const struct wl_identity *resolve(struct idtab *t, uint32_t pid)
{
	uint64_t t0 = mono_ns(), key;
	struct wl_identity id, *cg;
	const struct wl_identity *out = NULL;
	struct id_src src = { .proc_root = t->proc_root, .pid = pid, .dirs = t->dirs,
			      .n_dirs = t->n_dirs, .roots = t->roots, .n_roots = t->n_roots,
			      .mnt_fd = -1, .cache = t };
	char path[256], kpath[256], ctrl[64];
	bool live;
	int err;

	err = read_cgroup(t->proc_root, pid, path, sizeof(path), ctrl, sizeof(ctrl));
	if (err == -ENOENT) {
		snprintf(path, sizeof(path), "/");
	} else if (err) {
		if (path_from_kernel(t, pid, path, sizeof(path), &live))
			goto out_failed;
		src.mnt_fd = live ? t->cg2_fd : -1;
		src.from_kernel = true;
		t->by_cgroup_id++;
	} else if (has_dotdot(path) && !path_from_kernel(t, pid, kpath, sizeof(kpath), &live)) {
		/* Seen from another cgroup namespace: the kernel's id gives the whole path. */
		snprintf(path, sizeof(path), "%s", kpath);
		src.mnt_fd = live ? t->cg2_fd : -1;
		src.from_kernel = true;
		t->by_cgroup_id++;
	} else {
		src.ctrl = ctrl;
	}
	key = cg_key(path);
	cg = hmap_get(&t->cgroups, &key);
	if (cg && !strcmp(cg->cgroup, path)) {
		id = *cg;
	} else {
		resolve_cgroup(&src, path, &id);
		t->cgroup_reads++;
		if (wl_has_workload(&id) && !(id.flags & ID_VERIFIED))
			t->unverified++;
	}
	id.ns_pid = id.container_id[0] ? read_ns_pid(t->proc_root, pid) : 0;
	out = store(t, pid, &id);
	if (out && t->observe)
		t->observe(t->observe_ctx, pid, out);
	t->resolved++;
	t->resolve_ns += mono_ns() - t0;
	return out;
out_failed:
	make_room(t);
	{
		struct id_pid *p = hmap_put(&t->pids, &pid, NULL);

		if (p)
			*p = (struct id_pid){};
	}
	t->failed++;
	t->resolve_ns += mono_ns() - t0;
	return NULL;
}

const struct wl_identity *idtab_get(struct idtab *t, uint32_t pid)
{
	struct id_pid *p = hmap_get(&t->pids, &pid);
	struct wl_identity *cg;

	if (p) {
		if (!p->ok)
			return NULL;
		cg = hmap_get(&t->cgroups, &p->cg);
		if (!cg)
			return NULL;
		/* Processes of one container share the entry; the namespace pid is theirs. */
		cg->ns_pid = p->ns_pid;
		return cg;
	}
	if (t->offline)
		return NULL;
	return resolve(t, pid);
}

void idtab_exec(struct idtab *t, uint32_t pid)
{
	if (t->offline)
		return;
	hmap_del(&t->pids, &pid);
	resolve(t, pid);
}

void idtab_forget(struct idtab *t, uint32_t pid)
{
	hmap_del(&t->pids, &pid);
}

void wl_terminate(struct wl_identity *id)
{
	char *const ends[] = {
		id->cgroup + sizeof(id->cgroup),
		id->runtime + sizeof(id->runtime),
		id->container_id + sizeof(id->container_id),
		id->pod_uid + sizeof(id->pod_uid),
		id->qos + sizeof(id->qos),
		id->pod_name + sizeof(id->pod_name),
		id->pod_namespace + sizeof(id->pod_namespace),
		id->container_name + sizeof(id->container_name),
		id->image + sizeof(id->image),
		id->image_id + sizeof(id->image_id),
		id->slurm_job + sizeof(id->slurm_job),
		id->slurm_step + sizeof(id->slurm_step),
		id->slurm_user + sizeof(id->slurm_user),
		id->slurm_account + sizeof(id->slurm_account),
	};

	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		ends[i][-1] = 0;
}

void idtab_put(struct idtab *t, uint32_t pid, const struct wl_identity *id)
{
	struct wl_identity copy = *id;

	wl_terminate(&copy);
	store(t, pid, &copy);
}

int id_machine_id(char *out, size_t n)
{
	ssize_t len;
	int fd;

	out[0] = 0;
	fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, out, n - 1);
	close(fd);
	out[len > 0 ? len : 0] = 0;
	out[strcspn(out, "\r\n")] = 0;
	return out[0] ? 0 : -ENOENT;
}

int id_node_name(const char *given, char *out, size_t n)
{
	const char *env = getenv("NODE_NAME");

	if (given && given[0])
		snprintf(out, n, "%s", given);
	else if (env && env[0])
		snprintf(out, n, "%s", env);
	else if (gethostname(out, n - 1))
		return -errno;
	out[n - 1] = 0;
	return 0;
}
