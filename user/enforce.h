/* SPDX-License-Identifier: GPL-2.0 */
/* enforce.h - the kernel's enforcement policy from the inventory, and the cgroup2 root it hangs on. */
#ifndef DT_ENFORCE_H
#define DT_ENFORCE_H

#include <stddef.h>
#include <stdint.h>

#include "datatrail_abi.h"
#include "inventory.h"

#define ENF_SLOTS (DT_TAINT_WORDS * 64)

/*
 * Fills @pol[ENF_SLOTS] and @mask (the slots that block or kill) from @inv, whose datasets
 * have their kernel slots already (kstate_align()). Datasets past the overflow slot share it:
 * it takes the strictest of their actions and allows no destination, since the kernel can no
 * longer tell them apart.
 */
void enf_policy_build(const struct inventory *inv, struct dt_enf_policy *pol,
		      uint64_t mask[DT_TAINT_WORDS]);

/*
 * The cgroup2 hierarchy's root, where the cgroup programs apply to every process: the
 * mounted one (/sys/fs/cgroup, /sys/fs/cgroup/unified on hybrid hosts), else one mounted
 * at @fallback. 0 with the path in @buf, or -errno.
 */
int enf_cgroup_root(const char *fallback, char *buf, size_t n);

/* "off", "dry-run", "on". */
const char *enf_mode_name(int mode);

#endif /* DT_ENFORCE_H */
