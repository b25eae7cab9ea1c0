// SPDX-License-Identifier: GPL-2.0
/* scope.c - --scope: network namespaces by inode, cgroup subtrees by id and depth. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "enforce.h"
#include "scope.h"

/* Depth of cgroup directory @path below cgroup2 root @root: what the ancestor lookup counts. */
static int cgroup_level(const char *root, const char *path, char *abs, size_t n)
{
	size_t rlen = strlen(root);
	const char *p;
	int level = 0;

	if (path[0] == '/') {
		if (strncmp(path, root, rlen) || (path[rlen] && path[rlen] != '/'))
			return -EINVAL;
		snprintf(abs, n, "%s", path);
	} else {
		snprintf(abs, n, "%s/%s", root, path);
	}
	for (p = abs + rlen; *p; p++) {
		/* a component, not "//" nor "/." (".." is refused: it would leave the subtree) */
		if (*p == '/' && p[1] && p[1] != '/' && !(p[1] == '.' && (!p[2] || p[2] == '/')))
			level++;
	}
	return level;
}

int scope_add(struct scope *s, const char *spec, struct errbuf *err)
{
	struct dt_scope_ent e = {};
	char abs[4096], root[256];
	struct statfs fs;
	struct stat st;
	int level;

	if (s->n >= DT_SCOPE_MAX)
		return errbuf_set(err, -E2BIG, "option '--scope': '%s': at most %d scopes", spec,
				  DT_SCOPE_MAX);
	if (!strncmp(spec, "netns:", 6)) {
		if (stat(spec + 6, &st))
			return errbuf_set(err, -errno, "option '--scope': '%s': %s", spec,
					  strerror(errno));
		if (statfs(spec + 6, &fs) || fs.f_type != NSFS_MAGIC)
			return errbuf_set(err, -EINVAL,
					  "option '--scope': '%s': not a namespace file", spec);
		e.kind = DT_SCOPE_NETNS;
		e.id = st.st_ino;
	} else if (!strncmp(spec, "cgroup:", 7)) {
		if (strstr(spec, ".."))
			return errbuf_set(err, -EINVAL, "option '--scope': '%s': '..' in the path",
					  spec);
		/* /sys/fs/cgroup, .../unified on a hybrid host, or the agent's own mount. */
		if (enf_cgroup_root("/run/datatrail-cgroup2", root, sizeof(root)))
			return errbuf_set(err, -ENOENT, "option '--scope': '%s': no cgroup2 hierarchy",
					  spec);
		level = cgroup_level(root, spec + 7, abs, sizeof(abs));
		if (level < 0)
			return errbuf_set(err, -EINVAL, "option '--scope': '%s': not below '%s'", spec,
					  root);
		if (stat(abs, &st) || !S_ISDIR(st.st_mode) || statfs(abs, &fs) ||
		    fs.f_type != CGROUP2_SUPER_MAGIC)
			return errbuf_set(err, -ENOENT,
					  "option '--scope': '%s': not a cgroup v2 directory", spec);
		/* On cgroup v2 a cgroup's id is its directory's inode number. */
		e.kind = DT_SCOPE_CGROUP;
		e.level = level;
		e.id = st.st_ino;
	} else {
		return errbuf_set(err, -EINVAL,
				  "option '--scope': bad value '%s' (netns:PATH or cgroup:PATH)", spec);
	}
	s->paths[s->n] = strchr(spec, ':') + 1;
	s->ents[s->n++] = e;
	return 0;
}

void scope_load(const struct scope *s, struct dt_scope_ent *dst)
{
	memcpy(dst, s->ents, s->n * sizeof(*dst));
}

size_t scope_netns(const struct scope *s, uint32_t *out, size_t max)
{
	struct stat st;
	size_t n = 0;

	for (size_t i = 0; i < s->n && n < max; i++) {
		if (s->ents[i].kind == DT_SCOPE_NETNS)
			out[n++] = (uint32_t)s->ents[i].id;
	}
	if (!n && max && !stat("/proc/self/ns/net", &st))
		out[n++] = (uint32_t)st.st_ino;
	return n;
}
