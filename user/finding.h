/* SPDX-License-Identifier: GPL-2.0 */
/* finding.h - the rules every finding follows (correlator and devices): its uid and when it is updated. */
#ifndef DT_FINDING_H
#define DT_FINDING_H

#include <stdint.h>
#include <stdio.h>

/* A finding is updated when its bytes pass the next power of 4 from 4 KiB (ops: from 16). */
#define FINDING_FIRST_BYTES 4096ULL
#define FINDING_FIRST_OPS 16ULL
#define FINDING_UID_LEN 24

/* "dt-" and 16 hex digits of @h, the hash of what makes the finding itself (host, kind, ...). */
static inline void finding_uid(char uid[FINDING_UID_LEN], uint64_t h)
{
	snprintf(uid, FINDING_UID_LEN, "dt-%016llx", (unsigned long long)h);
}

/* The threshold after an update at @value: the next power of 4 times the first one past it. */
static inline uint64_t finding_next(uint64_t threshold, uint64_t value)
{
	while (threshold <= value)
		threshold *= 4;
	return threshold;
}

#endif /* DT_FINDING_H */
