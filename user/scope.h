/* SPDX-License-Identifier: GPL-2.0 */
/* scope.h - --scope: restrict an agent to the processes of some network namespaces or cgroups. */
#ifndef DT_SCOPE_H
#define DT_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "datatrail_abi.h"
#include "errbuf.h"

struct scope {
	struct dt_scope_ent ents[DT_SCOPE_MAX];
	const char *paths[DT_SCOPE_MAX]; /* as given, for the namespaces' addresses (fleet.c) */
	size_t n;
};

/*
 * Adds "netns:PATH" (a namespace file such as /run/netns/NAME or /proc/PID/ns/net) or
 * "cgroup:PATH" (a cgroup v2 directory, absolute or below /sys/fs/cgroup) to @s.
 * 0, or -errno with a message naming the option and value.
 */
int scope_add(struct scope *s, const char *spec, struct errbuf *err);

/* Copies the entries into the BPF global dt_scope (@dst, DT_SCOPE_MAX entries). */
void scope_load(const struct scope *s, struct dt_scope_ent *dst);

/*
 * The network namespaces whose inbound flows are the agent's: those of the scope, or, with
 * none there, the agent's own. Returns how many were written to @out (at most @max).
 */
size_t scope_netns(const struct scope *s, uint32_t *out, size_t max);

#endif /* DT_SCOPE_H */
