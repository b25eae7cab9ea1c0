// SPDX-License-Identifier: GPL-2.0
/* test_lruwatch.c - LRU evictions from insert and entry counts: when to count, what is new. */
#include "lruwatch.h"
#include "test.h"

/* 2 CPUs: evictions may begin (2 + 1) * 128 entries below max; nothing to count before. */
static void test_due_only_near_full(void)
{
	struct lru_watch w;

	lru_watch_init(&w, 1000, 2);
	ASSERT_EQ(w.slack, 384, "slack");
	ASSERT_EQ(lru_watch_counted(&w, 10, 10, 10), 0, "a pinned map's entries at start");
	ASSERT_FALSE(lru_watch_due(&w, 10), "unchanged");
	ASSERT_FALSE(lru_watch_due(&w, 615), "at most 615 entries: no eviction yet");
	ASSERT_TRUE(lru_watch_due(&w, 616), "616 may have evicted");
	/* A tiny map: the slack is the whole map, every change is counted. */
	lru_watch_init(&w, 100, 2);
	ASSERT_EQ(w.slack, 100, "slack capped at max");
	ASSERT_TRUE(lru_watch_due(&w, 0), "never counted");
}

static void test_evictions_counted_once(void)
{
	struct lru_watch w;

	lru_watch_init(&w, 1000, 2);
	/* 1500 inserts into 1000 entries: 500 evicted. */
	ASSERT_EQ(lru_watch_counted(&w, 1500, 1000, 1500), 500, "first count");
	ASSERT_FALSE(lru_watch_due(&w, 1500), "nothing moved");
	ASSERT_EQ(lru_watch_counted(&w, 1500, 1000, 1500), 0, "the same again: nothing new");
	ASSERT_TRUE(lru_watch_due(&w, 1501), "one more insert into a full map");
	ASSERT_EQ(lru_watch_counted(&w, 1501, 1000, 1501), 1, "one more eviction");
	ASSERT_EQ(w.evicted, 501, "total");
	/* Deletes while far from full (another process): still inserts less entries. */
	ASSERT_EQ(lru_watch_counted(&w, 1600, 1000, 1600), 99, "after 99 more");
}

/* A walk that raced a flood counted an evicted entry and its successor: found next time. */
static void test_racing_walk_is_repeated(void)
{
	struct lru_watch w;

	lru_watch_init(&w, 1000, 2);
	ASSERT_EQ(lru_watch_counted(&w, 1200, 1001, 1201), 200, "hides one for now");
	ASSERT_TRUE(lru_watch_due(&w, 1201), "inserts moved during the walk: due again");
	ASSERT_EQ(lru_watch_counted(&w, 1201, 1000, 1201), 1, "the hidden one");
	ASSERT_FALSE(lru_watch_due(&w, 1201), "settled");
	/* A lower total later (an over-count) reports nothing and forgets nothing. */
	ASSERT_EQ(lru_watch_counted(&w, 1201, 1100, 1201), 0, "over-count");
	ASSERT_EQ(w.evicted, 201, "kept");
}

TEST_MAIN("lruwatch", TEST_CASE(test_due_only_near_full), TEST_CASE(test_evictions_counted_once),
	  TEST_CASE(test_racing_walk_is_repeated))
