/* SPDX-License-Identifier: GPL-2.0 */
/* lruwatch.h - what an LRU map evicted, from the inserts the BPF side counts and its entries. */
#ifndef DT_LRUWATCH_H
#define DT_LRUWATCH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An LRU hash map evicts without telling anyone. Its BPF writers count every successful
 * insert (starting from the entries the map held when the watch began), so at any time
 * inserts - entries = what was evicted (or deleted by another process). Counting entries
 * costs a walk of the map, so it is done only when evictions are possible: once inserts less
 * the evictions already known come within @slack of @max (the kernel's LRU starts evicting
 * while other CPUs still hold free entries in their local lists), and only when inserts moved
 * since the last count.
 */
struct lru_watch {
	uint64_t max;        /* the map's max_entries */
	uint64_t slack;      /* how far below max evictions may begin */
	uint64_t counted_at; /* inserts when the map was last counted */
	bool counted;        /* counted at least once */
	uint64_t evicted;    /* evictions known (the largest inserts - entries seen) */
};

/* Evictions may start this many entries per possible CPU before the map is full. */
#define LRU_WATCH_CPU_SLACK 128

void lru_watch_init(struct lru_watch *w, uint64_t max, int ncpus);

/* Whether a count of the map's entries is due, with @inserts the insert counter now. */
bool lru_watch_due(const struct lru_watch *w, uint64_t inserts);

/*
 * A count: @inserts_before read before the walk, @entries what it found, @inserts_after
 * read after it. Returns the evictions not reported before. A walk while inserts and
 * evictions go on can count an entry evicted and one inserted behind it both, which hides an
 * eviction for now: a count that raced (inserts moved) is due again at the next check.
 */
uint64_t lru_watch_counted(struct lru_watch *w, uint64_t inserts_before, uint64_t entries,
			   uint64_t inserts_after);

#endif /* DT_LRUWATCH_H */
