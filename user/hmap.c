// SPDX-License-Identifier: GPL-2.0
/* hmap.c - open addressing with linear probing and tombstones; see hmap.h. */
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

enum { SLOT_EMPTY = 0, SLOT_LIVE = 1, SLOT_DEAD = 2 };

/* A slot is [state byte][pad to 8][key][pad to 8][value]. */
#define SLOT_HDR 8

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static unsigned char *slot_at(const struct hmap *m, size_t i)
{
	return m->slots + i * m->slot_size;
}

void hmap_init(struct hmap *m, size_t key_size, size_t val_size)
{
	memset(m, 0, sizeof(*m));
	m->key_size = key_size;
	m->val_size = val_size;
	/* Values start 8-aligned, whatever the key's size: they hold u64s. */
	m->val_off = (SLOT_HDR + key_size + 7) & ~(size_t)7;
	m->slot_size = (m->val_off + val_size + 7) & ~(size_t)7;
}

void hmap_free(struct hmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->used = m->dead = 0;
}

/* Index of @key's live slot, or of the slot where it would go (-1 if the table is empty). */
static long find_slot(const struct hmap *m, const void *key, bool *found)
{
	size_t mask = m->cap - 1, i;
	long tomb = -1;

	*found = false;
	if (!m->cap)
		return -1;
	i = hash_bytes(key, m->key_size) & mask;
	for (;;) {
		unsigned char *s = slot_at(m, i);

		if (s[0] == SLOT_EMPTY)
			return tomb >= 0 ? tomb : (long)i;
		if (s[0] == SLOT_DEAD) {
			if (tomb < 0)
				tomb = i;
		} else if (!memcmp(s + SLOT_HDR, key, m->key_size)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static int grow(struct hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct hmap n = *m;

	/* Rehash in place of the same size when tombstones, not entries, fill the table. */
	if (m->cap && m->used * 2 < m->cap)
		ncap = m->cap;
	n.cap = ncap;
	n.used = n.dead = 0;
	n.slots = calloc(ncap, m->slot_size);
	if (!n.slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		unsigned char *s = slot_at(m, i);
		bool found;
		long j;

		if (s[0] != SLOT_LIVE)
			continue;
		j = find_slot(&n, s + SLOT_HDR, &found);
		memcpy(slot_at(&n, j), s, m->slot_size);
		n.used++;
	}
	free(m->slots);
	*m = n;
	return 0;
}

void *hmap_get(const struct hmap *m, const void *key)
{
	bool found;
	long i = find_slot(m, key, &found);

	return found ? slot_at(m, i) + m->val_off : NULL;
}

void *hmap_put(struct hmap *m, const void *key, bool *created)
{
	unsigned char *s;
	bool found;
	long i;

	if (created)
		*created = false;
	i = find_slot(m, key, &found);
	if (found)
		return slot_at(m, i) + m->val_off;
	if ((m->used + m->dead + 1) * 4 > m->cap * 3) {
		if (grow(m))
			return NULL;
		i = find_slot(m, key, &found);
	}
	s = slot_at(m, i);
	if (s[0] == SLOT_DEAD)
		m->dead--;
	memset(s, 0, m->slot_size);
	s[0] = SLOT_LIVE;
	memcpy(s + SLOT_HDR, key, m->key_size);
	m->used++;
	if (created)
		*created = true;
	return s + m->val_off;
}

bool hmap_del(struct hmap *m, const void *key)
{
	bool found;
	long i = find_slot(m, key, &found);

	if (!found)
		return false;
	slot_at(m, i)[0] = SLOT_DEAD;
	m->used--;
	m->dead++;
	return true;
}

bool hmap_next(const struct hmap *m, size_t *it, void **key, void **val)
{
	while (*it < m->cap) {
		unsigned char *s = slot_at(m, (*it)++);

		if (s[0] != SLOT_LIVE)
			continue;
		if (key)
			*key = s + SLOT_HDR;
		if (val)
			*val = s + m->val_off;
		return true;
	}
	return false;
}
