// SPDX-License-Identifier: GPL-2.0
/* reconcile.c - the kernel's counters against what was reported; see reconcile.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "proctab.h"
#include "reconcile.h"

#define WALK_BATCH 1024

void reconcile_init(struct reconcile *rc, const struct rc_map_ops *ops, void *ops_ctx,
		    const struct rc_sink_ops *out, void *out_ctx)
{
	memset(rc, 0, sizeof(*rc));
	rc->ops = ops;
	rc->ops_ctx = ops_ctx;
	rc->out = out;
	rc->out_ctx = out_ctx;
	hmap_init(&rc->seen, sizeof(struct dt_acc_key), sizeof(struct dt_shadow));
	hmap_init(&rc->unseen, sizeof(struct dt_acc_key), sizeof(bool));
	hmap_init(&rc->enf_seen, sizeof(struct dt_egress_key), sizeof(struct dt_enf_val));
	hmap_init(&rc->dead, sizeof(uint32_t), 0);
}

void reconcile_free(struct reconcile *rc)
{
	hmap_free(&rc->seen);
	hmap_free(&rc->unseen);
	hmap_free(&rc->enf_seen);
	hmap_free(&rc->dead);
}

/* What was reported of @k: in the pinned map too, so that a restarted agent goes on from there. */
static void remember_seen(struct reconcile *rc, const struct dt_acc_key *k,
			  const struct dt_shadow *s)
{
	struct dt_shadow *slot = hmap_put(&rc->seen, k, NULL);

	if (slot)
		*slot = *s;
	if (!slot || rc->ops->update(rc->ops_ctx, RC_ACC_SEEN, k, s))
		rc->shadow_errors++;
}

void reconcile_load_seen(struct reconcile *rc)
{
	struct dt_acc_key k, *prev = NULL;
	struct dt_shadow s, *slot;

	while (!rc->ops->get_next_key(rc->ops_ctx, RC_ACC_SEEN, prev, &k)) {
		if (!rc->ops->lookup(rc->ops_ctx, RC_ACC_SEEN, &k, &s)) {
			slot = hmap_put(&rc->seen, &k, NULL);
			if (slot)
				*slot = s;
		}
		prev = &k;
	}
}

void reconcile_loss(struct reconcile *rc)
{
	rc->loss_walks = 2;
}

/*
 * Reports what the kernel counted for @k since the last report, @v as a walk read it.
 * @final (the process is gone) reads the counter afresh instead, since the walk's copy may
 * miss the last bytes, and forgets it, so that the map holds live processes only.
 */
static void flush_key(struct reconcile *rc, const struct dt_acc_key *k, const struct dt_acc_val *v,
		      bool final)
{
	struct dt_shadow *seen = hmap_get(&rc->seen, k), s = {};
	struct dt_acc_val last;

	/* A gone process adds no more: read and remove in one call. */
	if (final) {
		if (rc->ops->lookup_and_delete(rc->ops_ctx, RC_ACC, k, &last))
			goto forget;
		v = &last;
	}
	if (seen)
		s = *seen;
	if (v->bytes > s.bytes || v->ops > s.ops) {
		rc->out->file(rc->out_ctx, k, v, v->bytes - s.bytes, v->ops - s.ops);
		s.bytes = v->bytes;
		s.ops = v->ops;
		if (!final)
			remember_seen(rc, k, &s);
	}
	if (!final)
		return;
forget:
	hmap_del(&rc->seen, k);
	hmap_del(&rc->unseen, k);
	rc->ops->delete(rc->ops_ctx, RC_ACC_SEEN, k);
}

/*
 * The final read of each of a gone process's counters, found in the mirror of what was
 * reported, which every counter enters at its first access, not by walking the map. A counter
 * whose first-access record was lost is not there: after a loss the walk is used instead.
 */
static void flush_proc(struct reconcile *rc, uint32_t tgid)
{
	struct dt_acc_key *k, *keys = NULL;
	size_t it = 0, n = 0, cap = 0;

	while (hmap_next(&rc->seen, &it, (void **)&k, NULL)) {
		if (k->tgid != tgid)
			continue;
		if (n == cap) {
			struct dt_acc_key *nk;

			cap = cap ? cap * 2 : 64;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk)
				break;
			keys = nk;
		}
		keys[n++] = *k;
	}
	/* flush_key() deletes from the mirror, so not while walking it. */
	for (size_t i = 0; i < n; i++)
		flush_key(rc, &keys[i], NULL, true);
	free(keys);
}

/*
 * A counter's first access: its record carries the first operation, so neither the counter
 * nor what was reported of it (nothing: the kernel has just created it) is read back. Bytes
 * that followed come with the next walk. One bpf() call instead of three.
 */
void reconcile_first(struct reconcile *rc, const struct dt_ev_file_access *e)
{
	struct dt_acc_val v = {
		.bytes = e->bytes,
		.ops = 1,
		.first_ns = e->hdr.ts_ns,
		.last_ns = e->hdr.ts_ns,
		.dataset = e->dataset,
		.uid = e->uid,
		.iflags = e->iflags,
	};
	struct dt_shadow s = { .bytes = v.bytes, .ops = v.ops };

	/* Late: a walk took the counter over as if its record were lost, and reported these. */
	if (hmap_get(&rc->seen, &e->key))
		return;
	hmap_del(&rc->unseen, &e->key);
	rc->out->file(rc->out_ctx, &e->key, &v, v.bytes, v.ops);
	remember_seen(rc, &e->key, &s);
}

/* Like flush_key() for the bytes a tainted process sent to one destination; @v NULL: read it. */
static void flush_egress_key(struct reconcile *rc, const struct dt_egress_key *k,
			     const struct dt_egress_val *v, bool final)
{
	struct dt_egress_val last;
	struct dt_shadow s = {};

	if (final) {
		if (rc->ops->lookup_and_delete(rc->ops_ctx, RC_EGRESS, k, &last))
			goto forget;
		v = &last;
	} else if (!v) {
		if (rc->ops->lookup(rc->ops_ctx, RC_EGRESS, k, &last))
			return;
		v = &last;
	}
	rc->ops->lookup(rc->ops_ctx, RC_EGRESS_SEEN, k, &s);
	if (v->bytes != s.bytes || v->ops != s.ops) {
		rc->out->egress(rc->out_ctx, k, v);
		s.bytes = v->bytes;
		s.ops = v->ops;
		if (!final && rc->ops->update(rc->ops_ctx, RC_EGRESS_SEEN, k, &s))
			rc->shadow_errors++;
	}
	if (!final)
		return;
forget:
	rc->ops->delete(rc->ops_ctx, RC_EGRESS_SEEN, k);
}

/* What the kernel refused one process towards one destination: reported when it changed. */
static void flush_enforce_key(struct reconcile *rc, const struct dt_egress_key *k,
			      const struct dt_enf_val *v, bool final)
{
	struct dt_enf_val last, *seen;

	if (final) {
		if (rc->ops->lookup_and_delete(rc->ops_ctx, RC_ENFORCE, k, &last))
			goto forget;
		v = &last;
	} else if (!v) {
		if (rc->ops->lookup(rc->ops_ctx, RC_ENFORCE, k, &last))
			return;
		v = &last;
	}
	seen = hmap_get(&rc->enf_seen, k);
	if (!seen || memcmp(seen, v, sizeof(*v))) {
		rc->out->enforce(rc->out_ctx, k, v);
		seen = hmap_put(&rc->enf_seen, k, NULL);
		if (seen)
			*seen = *v;
	}
	if (!final)
		return;
forget:
	hmap_del(&rc->enf_seen, k);
}

void reconcile_egress(struct reconcile *rc, const struct dt_egress_key *k)
{
	flush_egress_key(rc, k, NULL, false);
}

void reconcile_enforce(struct reconcile *rc, const struct dt_egress_key *k)
{
	if (rc->enforce)
		flush_enforce_key(rc, k, NULL, false);
}

/* Handles one counter of a walk (@val) or, @val NULL, the final read of an exited process's. */
typedef bool (*flush_fn)(struct reconcile *rc, const void *key, const void *val, bool final);

/*
 * A counter a walk finds that is not in the mirror was created since the records were last
 * read: its first-access record reports it, and reporting it here as well would count its
 * first bytes twice. Left alone for one walk; still unknown at the next, its record was lost
 * and the walk takes it over. Returns whether it was handled (not left alone).
 */
static bool flush_acc_cb(struct reconcile *rc, const void *key, const void *val, bool final)
{
	bool *skipped;

	if (val && !rc->stopping && !hmap_get(&rc->seen, key)) {
		skipped = hmap_get(&rc->unseen, key);
		if (!skipped || !*skipped) {
			skipped = hmap_put(&rc->unseen, key, NULL);
			if (skipped)
				*skipped = false;
			return false;
		}
		hmap_del(&rc->unseen, key);
	}
	flush_key(rc, key, val, final);
	return true;
}

static bool flush_egress_cb(struct reconcile *rc, const void *key, const void *val, bool final)
{
	flush_egress_key(rc, key, val, final);
	return true;
}

static bool flush_enforce_cb(struct reconcile *rc, const void *key, const void *val, bool final)
{
	flush_enforce_key(rc, key, val, final);
	return true;
}

/*
 * Walks a counter map (acc, egress or enforce, whose keys all begin with the tgid): all of it
 * (@tgid 0), noting processes found gone, or the final read of one gone process's. Keys and
 * values come WALK_BATCH at a time, one bpf() call per batch instead of two per entry, all of
 * them before any is handled, since a final read deletes.
 */
static void flush_map(struct reconcile *rc, enum rc_map m, size_t key_size, size_t val_size,
		      flush_fn fn, uint32_t tgid)
{
	uint8_t *keys = NULL, *vals = NULL;
	size_t n = 0, cap = 0;
	uint32_t batch, *in = NULL;
	struct hmap alive;
	int err = 0;

	hmap_init(&alive, sizeof(uint32_t), sizeof(uint32_t));
	while (err != -ENOENT) {
		uint32_t got = WALK_BATCH;

		if (cap - n < WALK_BATCH) {
			uint8_t *nk = realloc(keys, (cap + WALK_BATCH) * key_size);
			uint8_t *nv = nk ? realloc(vals, (cap + WALK_BATCH) * val_size) : NULL;

			if (nk)
				keys = nk;
			if (!nv) {
				rc->read_errors++;
				break;
			}
			vals = nv;
			cap += WALK_BATCH;
		}
		err = rc->ops->lookup_batch(rc->ops_ctx, m, in, &batch, keys + n * key_size,
					    vals + n * val_size, &got);
		if (err && err != -ENOENT) {
			dt_log("datatrail: read counters: %s\n", strerror(-err));
			rc->read_errors++;
			break;
		}
		n += got;
		in = &batch;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *key = keys + i * key_size;
		uint32_t kt, *state;
		bool gone;

		memcpy(&kt, key, sizeof(kt));
		if (tgid) {
			if (kt == tgid)
				fn(rc, key, NULL, true);
			continue;
		}
		/* One look per process and walk, not per counter. */
		state = hmap_get(&alive, &kt);
		if (!state) {
			state = hmap_put(&alive, &kt, NULL);
			if (state)
				*state = rc->ops->tgid_gone(rc->ops_ctx, kt) ? 2 : 1;
		}
		gone = state && *state == 2;
		if (fn(rc, key, vals + i * val_size, gone) && gone)
			hmap_put(&rc->dead, &kt, NULL);
	}
	hmap_free(&alive);
	free(keys);
	free(vals);
}

void reconcile_walk(struct reconcile *rc)
{
	void *key;
	bool *skipped;
	size_t it = 0;

	/* Keys left alone by the last walk are taken over by this one (flush_acc_cb). */
	while (hmap_next(&rc->unseen, &it, NULL, (void **)&skipped))
		*skipped = true;
	flush_map(rc, RC_ACC, sizeof(struct dt_acc_key), sizeof(struct dt_acc_val), flush_acc_cb,
		  0);
	/* Those this walk did not meet are gone from the map. */
	for (it = 0; hmap_next(&rc->unseen, &it, &key, (void **)&skipped);)
		if (*skipped)
			hmap_del(&rc->unseen, key);
	if (rc->loss_walks)
		rc->loss_walks--;
	flush_map(rc, RC_EGRESS, sizeof(struct dt_egress_key), sizeof(struct dt_egress_val),
		  flush_egress_cb, 0);
	if (rc->enforce)
		flush_map(rc, RC_ENFORCE, sizeof(struct dt_egress_key), sizeof(struct dt_enf_val),
			  flush_enforce_cb, 0);
}

void reconcile_proc_gone(struct reconcile *rc, uint32_t tgid)
{
	if (rc->loss_walks)
		flush_map(rc, RC_ACC, sizeof(struct dt_acc_key), sizeof(struct dt_acc_val),
			  flush_acc_cb, tgid);
	else
		flush_proc(rc, tgid);
	flush_map(rc, RC_EGRESS, sizeof(struct dt_egress_key), sizeof(struct dt_egress_val),
		  flush_egress_cb, tgid);
	if (rc->enforce)
		flush_map(rc, RC_ENFORCE, sizeof(struct dt_egress_key), sizeof(struct dt_enf_val),
			  flush_enforce_cb, tgid);
}

/* The real maps: @ctx is an int[RC_NMAPS] of their fds. */
static int bpf_lookup(void *ctx, enum rc_map m, const void *key, void *val)
{
	return bpf_map_lookup_elem(((int *)ctx)[m], key, val) ? -errno : 0;
}

static int bpf_lookup_and_delete(void *ctx, enum rc_map m, const void *key, void *val)
{
	return bpf_map_lookup_and_delete_elem(((int *)ctx)[m], key, val) ? -errno : 0;
}

static int bpf_update(void *ctx, enum rc_map m, const void *key, const void *val)
{
	return bpf_map_update_elem(((int *)ctx)[m], key, val, BPF_ANY) ? -errno : 0;
}

static int bpf_delete(void *ctx, enum rc_map m, const void *key)
{
	return bpf_map_delete_elem(((int *)ctx)[m], key) ? -errno : 0;
}

static int bpf_next_key(void *ctx, enum rc_map m, const void *prev, void *next)
{
	return bpf_map_get_next_key(((int *)ctx)[m], prev, next) ? -errno : 0;
}

static int bpf_batch(void *ctx, enum rc_map m, void *in, void *out, void *keys, void *vals,
		     uint32_t *count)
{
	int err = bpf_map_lookup_batch(((int *)ctx)[m], in, out, keys, vals, count, NULL);

	return err ? -errno : 0;
}

static bool bpf_tgid_gone(void *ctx, uint32_t tgid)
{
	(void)ctx;
	return proc_is_gone(tgid);
}

const struct rc_map_ops reconcile_bpf_ops = {
	.lookup = bpf_lookup,
	.lookup_and_delete = bpf_lookup_and_delete,
	.update = bpf_update,
	.delete = bpf_delete,
	.get_next_key = bpf_next_key,
	.lookup_batch = bpf_batch,
	.tgid_gone = bpf_tgid_gone,
};
