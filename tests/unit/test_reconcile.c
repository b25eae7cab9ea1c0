// SPDX-License-Identifier: GPL-2.0
/* test_reconcile.c - counter reconciliation on fake maps: records, walks, exits, losses, restarts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"
#include "test.h"

/* The kernel's maps as hash tables, batch reads cut at batch_max entries. */
struct fake {
	struct hmap m[RC_NMAPS];
	struct hmap gone; /* tgid -> nothing */
	uint32_t batch_max;
	int batch_err;	  /* returned by lookup_batch when set */
	int update_err;	  /* returned by update when set */
	uint64_t batches; /* lookup_batch calls */
};

static int f_lookup(void *ctx, enum rc_map m, const void *key, void *val)
{
	struct fake *f = ctx;
	void *v = hmap_get(&f->m[m], key);

	if (!v)
		return -ENOENT;
	memcpy(val, v, f->m[m].val_size);
	return 0;
}

static int f_lookup_and_delete(void *ctx, enum rc_map m, const void *key, void *val)
{
	struct fake *f = ctx;
	int err = f_lookup(ctx, m, key, val);

	if (!err)
		hmap_del(&f->m[m], key);
	return err;
}

static int f_update(void *ctx, enum rc_map m, const void *key, const void *val)
{
	struct fake *f = ctx;
	void *v;

	if (f->update_err)
		return f->update_err;
	v = hmap_put(&f->m[m], key, NULL);
	if (!v)
		return -ENOMEM;
	memcpy(v, val, f->m[m].val_size);
	return 0;
}

static int f_delete(void *ctx, enum rc_map m, const void *key)
{
	struct fake *f = ctx;

	return hmap_del(&f->m[m], key) ? 0 : -ENOENT;
}

/* Like the kernel's hash map: the key after @prev in table order, the first for NULL. */
static int f_next_key(void *ctx, enum rc_map m, const void *prev, void *next)
{
	struct fake *f = ctx;
	size_t it = 0;
	void *k;
	bool found = !prev;

	while (hmap_next(&f->m[m], &it, &k, NULL)) {
		if (found) {
			memcpy(next, k, f->m[m].key_size);
			return 0;
		}
		found = !memcmp(k, prev, f->m[m].key_size);
	}
	return -ENOENT;
}

/* The cursor is the table position, as a u32; -ENOENT comes with the last batch. */
static int f_batch(void *ctx, enum rc_map m, void *in, void *out, void *keys, void *vals,
		   uint32_t *count)
{
	struct fake *f = ctx;
	size_t it = in ? *(uint32_t *)in : 0, ks = f->m[m].key_size, vs = f->m[m].val_size;
	uint32_t n = 0, max = *count < f->batch_max ? *count : f->batch_max;
	void *k, *v;

	f->batches++;
	if (f->batch_err)
		return f->batch_err;
	while (n < max) {
		if (!hmap_next(&f->m[m], &it, &k, &v)) {
			*count = n;
			*(uint32_t *)out = it;
			return -ENOENT;
		}
		memcpy((char *)keys + n * ks, k, ks);
		memcpy((char *)vals + n * vs, v, vs);
		n++;
	}
	*count = n;
	*(uint32_t *)out = it;
	/* Like the kernel: a full batch at the very end still ends the walk with -ENOENT next. */
	return 0;
}

static bool f_gone(void *ctx, uint32_t tgid)
{
	struct fake *f = ctx;

	return hmap_get(&f->gone, &tgid) != NULL;
}

static const struct rc_map_ops fake_ops = {
	.lookup = f_lookup,
	.lookup_and_delete = f_lookup_and_delete,
	.update = f_update,
	.delete = f_delete,
	.get_next_key = f_next_key,
	.lookup_batch = f_batch,
	.tgid_gone = f_gone,
};

/* What the sink was told, summed. */
struct seen_out {
	uint64_t file_reports, bytes, ops;
	uint64_t last_dbytes, last_dops;
	uint32_t last_tgid;
	uint64_t egress_reports, egress_bytes;
	uint64_t enforce_reports, enforce_attempts;
};

static void o_file(void *ctx, const struct dt_acc_key *k, const struct dt_acc_val *v,
		   uint64_t dbytes, uint64_t dops)
{
	struct seen_out *o = ctx;

	(void)v;
	o->file_reports++;
	o->bytes += dbytes;
	o->ops += dops;
	o->last_dbytes = dbytes;
	o->last_dops = dops;
	o->last_tgid = k->tgid;
}

static void o_egress(void *ctx, const struct dt_egress_key *k, const struct dt_egress_val *v)
{
	struct seen_out *o = ctx;

	(void)k;
	o->egress_reports++;
	o->egress_bytes = v->bytes;
}

static void o_enforce(void *ctx, const struct dt_egress_key *k, const struct dt_enf_val *v)
{
	struct seen_out *o = ctx;

	(void)k;
	o->enforce_reports++;
	o->enforce_attempts = v->attempts;
}

static const struct rc_sink_ops out_ops = {
	.file = o_file,
	.egress = o_egress,
	.enforce = o_enforce,
};

struct fixture {
	struct fake f;
	struct seen_out o;
	struct reconcile rc;
};

static void setup(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	hmap_init(&x->f.m[RC_ACC], sizeof(struct dt_acc_key), sizeof(struct dt_acc_val));
	hmap_init(&x->f.m[RC_ACC_SEEN], sizeof(struct dt_acc_key), sizeof(struct dt_shadow));
	hmap_init(&x->f.m[RC_EGRESS], sizeof(struct dt_egress_key), sizeof(struct dt_egress_val));
	hmap_init(&x->f.m[RC_EGRESS_SEEN], sizeof(struct dt_egress_key), sizeof(struct dt_shadow));
	hmap_init(&x->f.m[RC_ENFORCE], sizeof(struct dt_egress_key), sizeof(struct dt_enf_val));
	hmap_init(&x->f.gone, sizeof(uint32_t), 0);
	x->f.batch_max = 1000;
	reconcile_init(&x->rc, &fake_ops, &x->f, &out_ops, &x->o);
}

static void teardown(struct fixture *x)
{
	reconcile_free(&x->rc);
	for (int i = 0; i < RC_NMAPS; i++)
		hmap_free(&x->f.m[i]);
	hmap_free(&x->f.gone);
}

static struct dt_acc_key key(uint32_t tgid, uint64_t ino)
{
	return (struct dt_acc_key){ .tgid = tgid, .dev = 8, .ino = ino, .access = 1 };
}

/* The kernel counts: the counter becomes @bytes/@ops. */
static void kcount(struct fixture *x, const struct dt_acc_key *k, uint64_t bytes, uint64_t ops)
{
	struct dt_acc_val *v = hmap_put(&x->f.m[RC_ACC], k, NULL);

	v->bytes = bytes;
	v->ops = ops;
	v->dataset = 3;
}

/* The first-access record the kernel queued when it created @k. */
static struct dt_ev_file_access first_rec(const struct dt_acc_key *k, uint64_t bytes)
{
	struct dt_ev_file_access e = { .key = *k, .bytes = bytes, .dataset = 3 };

	e.hdr.type = DT_EV_FILE_ACCESS;
	e.hdr.size = sizeof(e);
	return e;
}

static void gone(struct fixture *x, uint32_t tgid)
{
	hmap_put(&x->f.gone, &tgid, NULL);
}

static void test_first_record_then_walks(void)
{
	struct fixture x;
	struct dt_acc_key k = key(10, 1);
	struct dt_ev_file_access e = first_rec(&k, 100);
	struct dt_shadow *s;

	setup(&x);
	kcount(&x, &k, 100, 1);
	reconcile_first(&x.rc, &e);
	ASSERT_EQ(x.o.file_reports, 1, "record reported");
	ASSERT_EQ(x.o.last_dbytes, 100, "record bytes");
	kcount(&x, &k, 300, 3);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 2, "walk reported growth");
	ASSERT_EQ(x.o.last_dbytes, 200, "growth bytes");
	ASSERT_EQ(x.o.last_dops, 2, "growth ops");
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 2, "unchanged: no report");
	ASSERT_EQ(x.o.bytes, 300, "total bytes");
	ASSERT_EQ(x.o.ops, 3, "total ops");
	s = hmap_get(&x.f.m[RC_ACC_SEEN], &k);
	if (ASSERT_TRUE(s, "pinned shadow"))
		ASSERT_EQ(s->bytes, 300, "pinned shadow bytes");
	teardown(&x);
}

/* Race 1: a walk meets a counter whose first-access record is still queued. */
static void test_walk_meets_queued_record(void)
{
	struct fixture x;
	struct dt_acc_key k = key(11, 2);
	struct dt_ev_file_access e = first_rec(&k, 100);

	setup(&x);
	kcount(&x, &k, 100, 1);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 0, "left alone for the record");
	kcount(&x, &k, 150, 2);
	reconcile_first(&x.rc, &e);
	ASSERT_EQ(x.o.file_reports, 1, "record reported");
	ASSERT_EQ(x.o.last_dbytes, 100, "record's bytes");
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 2, "walk after the record");
	ASSERT_EQ(x.o.last_dbytes, 50, "only the growth");
	ASSERT_EQ(x.o.bytes, 150, "no byte twice");
	ASSERT_EQ(x.o.ops, 2, "no op twice");
	ASSERT_EQ(hmap_count(&x.rc.unseen), 0, "nothing left alone");
	teardown(&x);
}

/* A record that never comes: the second walk takes the counter over; a late one is ignored. */
static void test_lost_record_taken_over(void)
{
	struct fixture x;
	struct dt_acc_key k = key(12, 3);
	struct dt_ev_file_access e = first_rec(&k, 100);

	setup(&x);
	kcount(&x, &k, 100, 1);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 0, "first walk leaves it");
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 1, "second walk takes it over");
	ASSERT_EQ(x.o.last_dbytes, 100, "all its bytes");
	reconcile_first(&x.rc, &e);
	ASSERT_EQ(x.o.file_reports, 1, "late record ignored");
	ASSERT_EQ(x.o.bytes, 100, "no byte twice");
	teardown(&x);
}

/* Race 2: the process exits after its first-access record was lost. */
static void test_exit_after_lost_record(void)
{
	struct fixture x;
	struct dt_acc_key k = key(13, 4), other = key(99, 4);

	setup(&x);
	kcount(&x, &k, 100, 1);
	kcount(&x, &other, 7, 1);
	reconcile_loss(&x.rc); /* a ring buffer drop took the record */
	kcount(&x, &k, 120, 2);
	gone(&x, 13);
	reconcile_proc_gone(&x.rc, 13);
	ASSERT_EQ(x.o.file_reports, 1, "final read found by walking");
	ASSERT_EQ(x.o.last_tgid, 13, "the exited process");
	ASSERT_EQ(x.o.bytes, 120, "every byte");
	ASSERT_EQ(x.o.ops, 2, "every op");
	ASSERT_FALSE(hmap_get(&x.f.m[RC_ACC], &k), "counter removed");
	ASSERT_FALSE(hmap_get(&x.f.m[RC_ACC_SEEN], &k), "shadow removed");
	ASSERT_TRUE(hmap_get(&x.f.m[RC_ACC], &other), "another process's counter kept");
	teardown(&x);
}

/* Without a loss an exit is read from the mirror, one lookup-and-delete per counter. */
static void test_exit_reads_mirror(void)
{
	struct fixture x;
	struct dt_acc_key k1 = key(14, 5), k2 = key(14, 6);
	struct dt_ev_file_access e1 = first_rec(&k1, 10), e2 = first_rec(&k2, 20);

	setup(&x);
	kcount(&x, &k1, 10, 1);
	kcount(&x, &k2, 20, 1);
	reconcile_first(&x.rc, &e1);
	reconcile_first(&x.rc, &e2);
	kcount(&x, &k1, 15, 2);
	kcount(&x, &k2, 80, 4);
	reconcile_proc_gone(&x.rc, 14);
	ASSERT_EQ(x.f.batches, 1, "no acc walk: one egress batch (enforcement off)");
	ASSERT_EQ(x.o.file_reports, 4, "two records, two final reads");
	ASSERT_EQ(x.o.bytes, 95, "every byte");
	ASSERT_EQ(x.o.ops, 6, "every op");
	ASSERT_EQ(hmap_count(&x.f.m[RC_ACC]), 0, "counters removed");
	ASSERT_EQ(hmap_count(&x.rc.seen), 0, "mirror emptied");
	teardown(&x);
}

/* A walk that finds the process gone (its exit record lost) gives the final report. */
static void test_walk_finds_process_gone(void)
{
	struct fixture x;
	struct dt_acc_key k = key(15, 7);
	struct dt_ev_file_access e = first_rec(&k, 100);
	uint32_t tgid = 15;

	setup(&x);
	kcount(&x, &k, 100, 1);
	reconcile_first(&x.rc, &e);
	kcount(&x, &k, 130, 2);
	gone(&x, 15);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.last_dbytes, 30, "final growth");
	ASSERT_EQ(x.o.bytes, 130, "every byte");
	ASSERT_FALSE(hmap_get(&x.f.m[RC_ACC], &k), "counter removed");
	ASSERT_TRUE(hmap_get(&x.rc.dead, &tgid), "process listed dead for the caller");
	teardown(&x);
}

/* A restarted agent goes on from what the previous one reported (pinned acc_seen). */
static void test_restart_resumes_from_pinned(void)
{
	struct fixture x;
	struct dt_acc_key k = key(16, 8);
	struct dt_shadow prev = { .bytes = 100, .ops = 1 };

	setup(&x);
	kcount(&x, &k, 250, 2);
	f_update(&x.f, RC_ACC_SEEN, &k, &prev);
	reconcile_load_seen(&x.rc);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 1, "one report");
	ASSERT_EQ(x.o.last_dbytes, 150, "only what the last agent did not report");
	teardown(&x);
}

/* The last walk at stop leaves nothing for later: a counter without its record is reported. */
static void test_stopping_reports_everything(void)
{
	struct fixture x;
	struct dt_acc_key k = key(17, 9);

	setup(&x);
	kcount(&x, &k, 64, 1);
	x.rc.stopping = true;
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.bytes, 64, "reported at once");
	teardown(&x);
}

/* More counters than a batch: every one reported once, with its exact growth. */
static void test_walk_in_batches(void)
{
	struct fixture x;
	const uint32_t n = 2500;

	setup(&x);
	for (uint32_t i = 0; i < n; i++) {
		struct dt_acc_key k = key(20 + i % 7, i);
		struct dt_ev_file_access e = first_rec(&k, 4096);

		kcount(&x, &k, 4096, 1);
		reconcile_first(&x.rc, &e);
		kcount(&x, &k, 4096 + i, 2);
	}
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.file_reports, 2 * n, "records, then growth (i = 0: ops only)");
	ASSERT_EQ(x.o.bytes, (uint64_t)n * 4096 + (uint64_t)n * (n - 1) / 2, "exact bytes");
	ASSERT_EQ(x.o.ops, 2 * n, "exact ops");
	ASSERT_GE(x.f.batches, 3, "more than one batch");
	teardown(&x);
}

static void test_errors_counted(void)
{
	struct fixture x;
	struct dt_acc_key k = key(30, 1);
	struct dt_ev_file_access e = first_rec(&k, 5);

	setup(&x);
	kcount(&x, &k, 5, 1);
	x.f.update_err = -E2BIG;
	reconcile_first(&x.rc, &e);
	ASSERT_EQ(x.o.file_reports, 1, "reported anyway");
	ASSERT_EQ(x.rc.shadow_errors, 1, "pinned shadow not kept: counted");
	x.f.update_err = 0;
	x.f.batch_err = -EIO;
	kcount(&x, &k, 9, 2);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.rc.read_errors, 2, "acc and egress walks cut short: counted");
	x.f.batch_err = 0;
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.bytes, 9, "the next walk catches up");
	teardown(&x);
}

static void test_egress_reported_when_changed(void)
{
	struct fixture x;
	struct dt_egress_key k = { .tgid = 40, .port = 9000, .proto = 6 };
	struct dt_egress_val v = { .bytes = 500, .ops = 1 };
	struct dt_shadow *s;

	setup(&x);
	f_update(&x.f, RC_EGRESS, &k, &v);
	reconcile_egress(&x.rc, &k);
	reconcile_egress(&x.rc, &k);
	ASSERT_EQ(x.o.egress_reports, 1, "once until it changes");
	v.bytes = 700;
	v.ops = 2;
	f_update(&x.f, RC_EGRESS, &k, &v);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.egress_reports, 2, "walk reports the change");
	ASSERT_EQ(x.o.egress_bytes, 700, "running total");
	s = hmap_get(&x.f.m[RC_EGRESS_SEEN], &k);
	if (ASSERT_TRUE(s, "pinned shadow"))
		ASSERT_EQ(s->bytes, 700, "pinned shadow bytes");
	gone(&x, 40);
	reconcile_proc_gone(&x.rc, 40);
	ASSERT_EQ(x.o.egress_reports, 2, "exit: nothing new");
	ASSERT_EQ(hmap_count(&x.f.m[RC_EGRESS]), 0, "counter removed at exit");
	ASSERT_EQ(hmap_count(&x.f.m[RC_EGRESS_SEEN]), 0, "shadow removed at exit");
	teardown(&x);
}

static void test_enforce_only_when_on(void)
{
	struct fixture x;
	struct dt_egress_key k = { .tgid = 50, .port = 443, .proto = 6 };
	struct dt_enf_val v = { .attempts = 1, .action = 1 };

	setup(&x);
	f_update(&x.f, RC_ENFORCE, &k, &v);
	reconcile_enforce(&x.rc, &k);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.enforce_reports, 0, "enforcement off: map not read");
	x.rc.enforce = true;
	reconcile_enforce(&x.rc, &k);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.enforce_reports, 1, "reported once");
	v.attempts = 3;
	f_update(&x.f, RC_ENFORCE, &k, &v);
	reconcile_walk(&x.rc);
	ASSERT_EQ(x.o.enforce_reports, 2, "change reported");
	ASSERT_EQ(x.o.enforce_attempts, 3, "attempts");
	teardown(&x);
}

TEST_MAIN("reconcile", TEST_CASE(test_first_record_then_walks),
	  TEST_CASE(test_walk_meets_queued_record), TEST_CASE(test_lost_record_taken_over),
	  TEST_CASE(test_exit_after_lost_record), TEST_CASE(test_exit_reads_mirror),
	  TEST_CASE(test_walk_finds_process_gone), TEST_CASE(test_restart_resumes_from_pinned),
	  TEST_CASE(test_stopping_reports_everything), TEST_CASE(test_walk_in_batches),
	  TEST_CASE(test_errors_counted), TEST_CASE(test_egress_reported_when_changed),
	  TEST_CASE(test_enforce_only_when_on))
