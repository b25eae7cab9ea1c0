// SPDX-License-Identifier: GPL-2.0
/* lruwatch.c - LRU evictions from insert counts and entry counts; see lruwatch.h. */
#include "lruwatch.h"

void lru_watch_init(struct lru_watch *w, uint64_t max, int ncpus)
{
	uint64_t slack = (uint64_t)(ncpus > 0 ? ncpus + 1 : 2) * LRU_WATCH_CPU_SLACK;

	*w = (struct lru_watch){ .max = max, .slack = slack < max ? slack : max };
}

bool lru_watch_due(const struct lru_watch *w, uint64_t inserts)
{
	if (w->counted && inserts == w->counted_at)
		return false;
	/* At most this many entries can be in the map: nothing can have been evicted below. */
	return inserts - w->evicted >= w->max - w->slack;
}

uint64_t lru_watch_counted(struct lru_watch *w, uint64_t inserts_before, uint64_t entries,
			   uint64_t inserts_after)
{
	uint64_t total, fresh = 0;

	w->counted = true;
	/* Moved during the walk: leave it due for the next check. */
	w->counted_at = inserts_before == inserts_after ? inserts_after : inserts_before;
	if (inserts_after > entries) {
		total = inserts_after - entries;
		if (total > w->evicted) {
			fresh = total - w->evicted;
			w->evicted = total;
		}
	}
	return fresh;
}
