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

int id_pick_cgroup(const char *text, char *out, size_t n)
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
			}
		}
		line += len + (nl ? 1 : 0);
	}
	return best ? 0 : -ENOENT;
}

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

int id_parse_runtime_json(struct wl_identity *id, const char *text, size_t len)
{
	const cJSON *ann, *cfg, *labels, *v;
	cJSON *root = cJSON_ParseWithLength(text, len);

	if (!root)
		return -EINVAL;
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
	cJSON_Delete(root);
	return 0;
}

static int try_json(struct wl_identity *id, const char *path, const char *runtime)
{
	size_t len;
	char *text = read_text(path, ID_JSON_MAX, &len);
	int err;

	if (!text)
		return -ENOENT;
	err = id_parse_runtime_json(id, text, len);
	free(text);
	if (err)
		return err;
	if (!id->runtime[0] || strcmp(id->runtime, "podman"))
		snprintf(id->runtime, sizeof(id->runtime), "%s", runtime);
	id->flags |= ID_META;
	return 0;
}

/* containerd: <root>/<namespace>/<id>/config.json, for each namespace (k8s.io, moby, default). */
static int try_containerd(struct wl_identity *id, const char *root)
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
		err = try_json(id, path, "containerd");
	}
	closedir(d);
	return err;
}

int id_read_runtime(struct wl_identity *id, char *const *dirs, size_t n_dirs)
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
		if (!try_containerd(id, path))
			return 0;
		snprintf(path, sizeof(path), "%s/io.containerd.runtime.v1.linux", d);
		if (!try_containerd(id, path))
			return 0;
		if (i < n_dirs && !try_containerd(id, d))
			return 0;
		/* CRI-O and Podman share containers/storage's layout. */
		snprintf(path, sizeof(path), "%s/overlay-containers/%s/userdata/config.json", d,
			 id->container_id);
		if (!try_json(id, path, strcmp(id->runtime, "podman") ? "cri-o" : "podman"))
			return 0;
		snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", d,
			 id->container_id);
		if (!try_json(id, path, "docker"))
			return 0;
	}
	return -ENOENT;
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

static int read_cgroup(const char *proc_root, uint32_t pid, char *out, size_t n)
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
	return id_pick_cgroup(buf, out, n);
}

/* Everything the cgroup @path says and the runtime's files tell of it; @pid for its env. */
static void resolve_cgroup(const char *proc_root, uint32_t pid, const char *path,
			   char *const *dirs, size_t n_dirs, struct wl_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->flags = ID_RESOLVED;
	id_parse_cgroup(path, id);
	if (id->container_id[0])
		id_read_runtime(id, dirs, n_dirs);
	if (id->slurm_job[0])
		read_slurm_env(proc_root, pid, id);
}

int id_resolve_pid(const char *proc_root, uint32_t pid, char *const *dirs, size_t n_dirs,
		   struct wl_identity *out)
{
	char path[256];
	int err;

	err = read_cgroup(proc_root, pid, path, sizeof(path));
	if (err == -ENOENT) /* every line the root: no workload, but resolved */
		snprintf(path, sizeof(path), "/");
	else if (err)
		return err;
	resolve_cgroup(proc_root, pid, path, dirs, n_dirs, out);
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
static int path_from_kernel(struct idtab *t, uint32_t pid, char *out, size_t n)
{
	uint64_t id;

	if (!t->cgroup_id_of || t->cgroup_id_of(t->cgroup_id_ctx, pid, &id) || id <= 1)
		return -ESRCH;
	if (cg2_open(t) >= 0 && !id_cgroup_path_by_id(t->cg2_fd, t->cg2_mnt, id, out, n))
		return 0;
	/* Removed since (the container exited): the path as the kernel saw it then. */
	if (t->cgroup_path_of && !t->cgroup_path_of(t->cgroup_id_ctx, id, out, n))
		return 0;
	return -ENOENT;
}

static const struct wl_identity *resolve(struct idtab *t, uint32_t pid)
{
	uint64_t t0 = mono_ns(), key;
	struct wl_identity id, *cg;
	const struct wl_identity *out = NULL;
	char path[256];
	int err;

	err = read_cgroup(t->proc_root, pid, path, sizeof(path));
	if (err == -ENOENT) {
		snprintf(path, sizeof(path), "/");
	} else if (err) {
		if (path_from_kernel(t, pid, path, sizeof(path)))
			goto out_failed;
		t->by_cgroup_id++;
	}
	key = cg_key(path);
	cg = hmap_get(&t->cgroups, &key);
	if (cg && !strcmp(cg->cgroup, path)) {
		id = *cg;
	} else {
		resolve_cgroup(t->proc_root, pid, path, t->dirs, t->n_dirs, &id);
		t->cgroup_reads++;
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
