/* SPDX-License-Identifier: GPL-2.0 */
/* hmap.h - an open-addressing hash table of fixed-size keys and values, stored inline. */
#ifndef DT_HMAP_H
#define DT_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Keys are compared as bytes, so key structs must have their padding zeroed. The table owns
 * its storage only: values that hold pointers are freed by the caller (iterate first).
 * Pointers returned by hmap_get()/hmap_put() stay valid until the next hmap_put() or
 * hmap_del() on the same table.
 */
struct hmap {
	size_t key_size;
	size_t val_size;
	size_t val_off;   /* a value's offset in its slot */
	size_t slot_size;
	size_t cap;  /* slots, a power of two */
	size_t used; /* live entries */
	size_t dead; /* tombstones */
	unsigned char *slots;
};

void hmap_init(struct hmap *m, size_t key_size, size_t val_size);
void hmap_free(struct hmap *m);

/* The value stored under @key, or NULL. */
void *hmap_get(const struct hmap *m, const void *key);

/*
 * The value under @key, inserting a zeroed one if absent (*@created tells which).
 * Returns NULL only when memory runs out.
 */
void *hmap_put(struct hmap *m, const void *key, bool *created);

/* Removes @key; returns whether it was there. */
bool hmap_del(struct hmap *m, const void *key);

/* Iteration: for (size_t it = 0; hmap_next(m, &it, &k, &v);) ... Deleting the current entry is allowed. */
bool hmap_next(const struct hmap *m, size_t *it, void **key, void **val);

/* FNV-1a over @n bytes, continuing from @h (start with HASH_FNV1A_INIT): stable ids. */
#define HASH_FNV1A_INIT 0xcbf29ce484222325ULL
static inline uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static inline size_t hmap_count(const struct hmap *m)
{
	return m->used;
}

#endif /* DT_HMAP_H */
