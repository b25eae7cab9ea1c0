// SPDX-License-Identifier: GPL-2.0
/* test_hmap.c - the hash table: insert, find, delete, growth and tombstone reuse. */
#include <stdint.h>

#include "hmap.h"
#include "test.h"

struct key {
	uint32_t a;
	uint32_t pad;
	uint64_t b;
};

static void test_put_get_del(void)
{
	struct hmap m;
	bool created;
	uint64_t *v;

	hmap_init(&m, sizeof(struct key), sizeof(uint64_t));
	for (uint32_t i = 0; i < 10000; i++) {
		struct key k = { .a = i, .b = i * 7ULL };

		v = hmap_put(&m, &k, &created);
		if (!ASSERT_TRUE(v && created, "insert"))
			break;
		*v = i + 1;
	}
	ASSERT_EQ(hmap_count(&m), 10000, "count");
	for (uint32_t i = 0; i < 10000; i += 2) {
		struct key k = { .a = i, .b = i * 7ULL };

		ASSERT_TRUE(hmap_del(&m, &k), "delete even");
	}
	ASSERT_EQ(hmap_count(&m), 5000, "count after delete");
	for (uint32_t i = 0; i < 10000; i++) {
		struct key k = { .a = i, .b = i * 7ULL };

		v = hmap_get(&m, &k);
		if (i % 2 == 0)
			ASSERT_TRUE(v == NULL, "deleted is gone");
		else if (ASSERT_TRUE(v != NULL, "odd stays"))
			ASSERT_EQ(*v, i + 1, "value");
	}
	{
		struct key k = { .a = 3, .b = 21 };

		v = hmap_put(&m, &k, &created);
		ASSERT_FALSE(created, "existing key is not created again");
	}
	hmap_free(&m);
}

static void test_churn_and_iterate(void)
{
	size_t it = 0, seen = 0;
	struct hmap m;
	void *k, *v;

	hmap_init(&m, sizeof(uint32_t), sizeof(uint32_t));
	/* Insert and delete many more keys than ever live at once: tombstones must be reused. */
	for (uint32_t i = 0; i < 200000; i++) {
		uint32_t *val = hmap_put(&m, &i, NULL);

		*val = i;
		if (i >= 8) {
			uint32_t old = i - 8;

			hmap_del(&m, &old);
		}
	}
	ASSERT_EQ(hmap_count(&m), 8, "live");
	ASSERT_TRUE(m.cap <= 64, "table did not grow without bound");
	while (hmap_next(&m, &it, &k, &v)) {
		ASSERT_EQ(*(uint32_t *)k, *(uint32_t *)v, "key matches value");
		seen++;
	}
	ASSERT_EQ(seen, 8, "iterated");
	hmap_free(&m);
}

TEST_MAIN("hmap", TEST_CASE(test_put_get_del), TEST_CASE(test_churn_and_iterate))
