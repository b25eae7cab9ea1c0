// SPDX-License-Identifier: GPL-2.0
/* enforce.c - the kernel's enforcement policy from the inventory, and the cgroup2 root it hangs on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "enforce.h"

#define CGROUP2_MAGIC 0x63677270

const char *enf_mode_name(int mode)
{
	switch (mode) {
	case DT_ENF_OFF:
		return "off";
	case DT_ENF_DRY_RUN:
		return "dry-run";
	case DT_ENF_ON:
		return "on";
	}
	return "unknown";
}

/* An allowed_egress entry as the kernel matches it: IPv6 or v4-mapped, masked. */
static void rule_of(const struct inv_cidr *c, struct dt_enf_rule *r)
{
	int prefix = c->prefix;

	memset(r, 0, sizeof(*r));
	if (c->family == AF_INET) {
		r->addr[10] = r->addr[11] = 0xff;
		memcpy(r->addr + 12, c->addr, 4);
		prefix += 96;
	} else {
		memcpy(r->addr, c->addr, 16);
	}
	for (int i = 0; i < 16; i++) {
		int bits = prefix - i * 8;

		r->mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		r->addr[i] &= r->mask[i];
	}
	r->port = c->port;
}

void enf_policy_build(const struct inventory *inv, struct dt_enf_policy *pol,
		      uint64_t mask[DT_TAINT_WORDS])
{
	bool shared = inv->n_datasets > DT_TAINT_OVERFLOW + 1;

	memset(pol, 0, ENF_SLOTS * sizeof(*pol));
	memset(mask, 0, DT_TAINT_WORDS * sizeof(*mask));
	for (size_t i = 0; i < inv->n_datasets; i++) {
		const struct inv_dataset *ds = &inv->datasets[i];
		size_t slot = i < DT_TAINT_OVERFLOW ? i : DT_TAINT_OVERFLOW;
		struct dt_enf_policy *p = &pol[slot];

		if (ds->retired || ds->enforce == INV_ENFORCE_MONITOR)
			continue;
		if (ds->enforce > p->action)
			p->action = ds->enforce;
		mask[slot / 64] |= 1ULL << (slot % 64);
		if (slot == DT_TAINT_OVERFLOW && shared)
			continue;
		/* The loader refuses more than DT_ENF_RULES entries on an enforced dataset. */
		for (size_t r = 0; r < ds->n_egress && r < DT_ENF_RULES; r++)
			rule_of(&ds->egress[r], &p->rules[p->n_rules++]);
	}
}

int enf_cgroup_root(const char *fallback, char *buf, size_t n)
{
	static const char *const known[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified", NULL };
	char line[4096], mnt[4096], fstype[64];
	struct statfs sfs;
	FILE *f;

	for (int i = 0; known[i]; i++) {
		if (!statfs(known[i], &sfs) && sfs.f_type == CGROUP2_MAGIC) {
			snprintf(buf, n, "%s", known[i]);
			return 0;
		}
	}
	f = fopen("/proc/self/mountinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint options ... - fstype source options */
		const char *dash = strstr(line, " - ");

		if (dash && sscanf(dash, " - %63s", fstype) == 1 && !strcmp(fstype, "cgroup2") &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			fclose(f);
			snprintf(buf, n, "%s", mnt);
			return 0;
		}
	}
	if (f)
		fclose(f);
	/* No unified hierarchy on this host: one of the agent's own. */
	if (mkdir(fallback, 0700) && errno != EEXIST)
		return -errno;
	if (!statfs(fallback, &sfs) && sfs.f_type != CGROUP2_MAGIC &&
	    mount("cgroup2", fallback, "cgroup2", 0, NULL))
		return -errno;
	snprintf(buf, n, "%s", fallback);
	return 0;
}
