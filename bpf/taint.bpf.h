/* SPDX-License-Identifier: GPL-2.0 */
/* taint.bpf.h - taint of processes and channels: set on classified reads, carried by writes, taken by reads. */
#ifndef DT_TAINT_BPF_H
#define DT_TAINT_BPF_H

#include "common.bpf.h"
#include "path.bpf.h"

static __always_inline void dt_taint_set_ds(struct dt_taint *t, __u32 ds)
{
	if (ds > DT_TAINT_OVERFLOW)
		ds = DT_TAINT_OVERFLOW;
	/* Keeps the mask: clang drops it after the clamp, which verifiers before 6.2 do not follow. */
	barrier_var(ds);
	t->ds[(ds >> 6) & (DT_TAINT_WORDS - 1)] |= 1ULL << (ds & 63);
}

/* ORs @src into the map value @dst; returns whether @dst gained a dataset or a higher label. */
static __always_inline bool dt_taint_merge(struct dt_taint *dst, const struct dt_taint *src)
{
	bool changed = false;
	int i;

	for (i = 0; i < DT_TAINT_WORDS; i++) {
		__u64 add = src->ds[i] & ~dst->ds[i];

		if (add) {
			__sync_fetch_and_or(&dst->ds[i], add);
			changed = true;
		}
	}
	if (src->label > dst->label) {
		dst->label = src->label;
		dst->primary = src->primary;
		changed = true;
	}
	return changed;
}

static __always_inline void dt_taint_event(__u32 tgid, const struct dt_taint *t, __u8 hop,
					   __u32 src_pid, __u64 src_id)
{
	struct dt_ev_taint *e = dt_reserve(DT_EV_TAINT, sizeof(*e));

	if (!e)
		return;
	e->tgid = tgid;
	e->pad = 0;
	e->src_id = src_id;
	bpf_probe_read_kernel(&e->taint, sizeof(e->taint), t);
	/* The record describes this hop, the map keeps the first one. */
	e->taint.hop = hop;
	e->taint.src_pid = src_pid;
	dt_submit(e);
}

/*
 * @tgid gained taint: if it holds shared memory mappings, their regions and the processes that
 * map them are to take it too (one lookup for everyone else). Noted here and passed on by
 * bpf/chan.bpf.c (dt_shm_drain()) at the entry of the next write or send, by any process:
 * passing it here would add its calls to every taint path's stack, and before 6.13 (one stack
 * for all of a program's calls) some are at the verifier's limit.
 */
static __always_inline void dt_shm_note(__u32 tgid)
{
	int i;

	if (!bpf_map_lookup_elem(&shm_held, &tgid))
		return;
	/* Noted already (a tainted loader maps a region per batch): passed on once. */
	for (i = 0; i < DT_SHM_PENDING; i++)
		if (dt_shm_pending[i] == tgid)
			return;
	for (i = 0; i < DT_SHM_PENDING; i++) {
		if (!__sync_val_compare_and_swap(&dt_shm_pending[i], 0, tgid)) {
			__sync_fetch_and_add(&dt_shm_npending, 1);
			return;
		}
	}
	__sync_fetch_and_add(&dt_shm_full, 1);
}

/* bpf/chan.bpf.c: passes on the taint dt_shm_note() noted. */
extern int dt_shm_drain(void);

/*
 * What shared memory carried, passed on (taint reaches holders before their writes). Only by
 * a process in the agent's scope (--scope): dt_taint_process_shm() judges the scope of the
 * current process, so one outside it would take the noted holders and pass nothing.
 */
static __always_inline void dt_shm_flush(void)
{
	if (dt_shm_npending && dt_in_scope())
		dt_shm_drain();
}

/*
 * Taints process @tgid with @src, received through @hop from @src_pid (a parent, a channel's
 * last writer, or 0 for a direct read) via inode or channel @src_id, with @bytes.
 * User space hears of it only when something changes: first taint, new dataset, higher label.
 * @shm: pass a change on through shared memory (false only inside chan.bpf.c's own passing:
 * chains of regions stop at one).
 */
static __always_inline void dt_taint_process_shm(__u32 tgid, const struct dt_taint *src, __u8 hop,
						 __u32 src_pid, __u64 src_id, __u64 bytes,
						 const bool shm)
{
	struct dt_taint *t = bpf_map_lookup_elem(&taint, &tgid), *nt;
	__u32 slot = DT_TS_PROCESS;
	struct dt_stats *st;
	long err;

	if (!dt_in_scope())
		return;
	if (t) {
		if (bytes)
			__sync_fetch_and_add(&t->bytes, bytes);
		if (dt_taint_merge(t, src)) {
			dt_taint_event(tgid, t, hop, src_pid, src_id);
			if (shm)
				dt_shm_note(tgid);
		}
		return;
	}
	nt = bpf_map_lookup_elem(&taintscratch, &slot);
	if (!nt)
		return;
	__builtin_memcpy(nt, src, sizeof(*nt));
	nt->bytes = bytes;
	nt->first_ns = bpf_ktime_get_ns();
	nt->hop = hop;
	nt->src_pid = src_pid;
	err = bpf_map_update_elem(&taint, &tgid, nt, BPF_NOEXIST);
	if (err == -EEXIST) {
		t = bpf_map_lookup_elem(&taint, &tgid);
		if (t && dt_taint_merge(t, src))
			dt_taint_event(tgid, t, hop, src_pid, src_id);
		return;
	}
	if (err) {
		st = dt_stats();
		if (st)
			st->taint_full++;
		return;
	}
	dt_proc_track(tgid);
	dt_taint_event(tgid, nt, hop, src_pid, src_id);
	if (shm)
		dt_shm_note(tgid);
}

static __always_inline void dt_taint_process(__u32 tgid, const struct dt_taint *src, __u8 hop,
					     __u32 src_pid, __u64 src_id, __u64 bytes)
{
	dt_taint_process_shm(tgid, src, hop, src_pid, src_id, bytes, true);
}

/* The taint a read of classified inode @ik carries: its dataset's, or a derived file's own. */
static __always_inline void dt_taint_of_inode(const struct dt_inode_key *ik,
					      const struct dt_inode_val *iv, struct dt_taint *t)
{
	struct dt_chan_key ck = {};
	struct dt_taint *ct;

	__builtin_memset(t, 0, sizeof(*t));
	if (iv->flags & DT_INODE_DERIVED) {
		ck.kind = DT_CHAN_FILE;
		ck.ns = ik->dev;
		ck.id = ik->ino;
		ct = bpf_map_lookup_elem(&chan, &ck);
		if (ct) {
			__builtin_memcpy(t, ct, sizeof(*t));
			return;
		}
	}
	dt_taint_set_ds(t, iv->dataset);
	t->label = iv->label;
	t->primary = iv->dataset;
}

static __always_inline void dt_taint_from_inode(const struct dt_inode_key *ik,
						const struct dt_inode_val *iv, __u64 bytes)
{
	struct dt_taint t;

	dt_taint_of_inode(ik, iv, &t);
	dt_taint_process(bpf_get_current_pid_tgid() >> 32, &t, DT_HOP_READ, 0, ik->ino, bytes);
}

/*
 * Whether taint @t is worth a channel, derived-file or egress entry: taint of `public`
 * datasets alone raises no finding anywhere (docs/findings.md#public-datasets), and the
 * tables it would fill are ones an unprivileged reader of public data could flood to push
 * live taint out (architecture.md, "What a flood can do"). A tainted path's one compare.
 * DT_LABEL_NONE passes: a fleet receiver's taint is empty until its advisory arrives.
 */
static __always_inline bool dt_taint_carried(const struct dt_taint *t)
{
	return t->label != DT_LABEL_PUBLIC;
}

/*
 * A tainted process @writer is about to write into channel @key. Every successful insert
 * counts in dt_chan_count: the agent sets it to the entries a pinned map already holds, so
 * that inserts less entries is what the LRU evicted (chan_table_full); an insert the map
 * refuses counts in dt_chan_fail.
 */
static __always_inline void dt_chan_mark(const struct dt_chan_key *key, const struct dt_taint *t,
					 __u32 writer)
{
	struct dt_taint *ct, *nt;
	__u32 slot = DT_TS_CHAN;
	long err;

	if (!dt_taint_carried(t))
		return;
	ct = bpf_map_lookup_elem(&chan, key);
	if (ct) {
merge:
		dt_taint_merge(ct, t);
		ct->src_pid = writer;
		return;
	}
	nt = bpf_map_lookup_elem(&taintscratch, &slot);
	if (!nt)
		return;
	__builtin_memcpy(nt, t, sizeof(*nt));
	nt->src_pid = writer;
	nt->bytes = 0;
	nt->first_ns = bpf_ktime_get_ns();
	err = bpf_map_update_elem(&chan, key, nt, BPF_NOEXIST);
	if (!err) {
		__sync_fetch_and_add(&dt_chan_count, 1);
		return;
	}
	/* Another CPU made it meanwhile: merge into that one, or the taint is lost. */
	if (err == -EEXIST) {
		ct = bpf_map_lookup_elem(&chan, key);
		if (ct)
			goto merge;
	}
	__sync_fetch_and_add(&dt_chan_fail, 1);
}

/* The current process read @bytes from channel @key: it takes the channel's taint. */
static __always_inline void dt_chan_receive(const struct dt_chan_key *key, __u8 hop, __u64 bytes)
{
	struct dt_taint *ct = bpf_map_lookup_elem(&chan, key);
	struct dt_taint t;

	if (!ct)
		return;
	__builtin_memcpy(&t, ct, sizeof(t));
	dt_taint_process(bpf_get_current_pid_tgid() >> 32, &t, hop, t.src_pid, key->id, bytes);
}

/* A tainted process writes a regular file outside the datasets: it becomes a derived file. */
static __always_inline void dt_mark_derived(struct file *f, const struct dt_inode_key *ik,
					    const struct dt_taint *t, __u32 tgid)
{
	struct dt_inode_val nv = {};
	struct dt_chan_key ck = {};
	struct dt_ev_derived *e;
	__u32 one = 1;
	long err;

	if (!dt_taint_carried(t))
		return;
	nv.dataset = t->primary;
	nv.label = t->label;
	nv.flags = DT_INODE_DERIVED;
	ck.kind = DT_CHAN_FILE;
	ck.ns = ik->dev;
	ck.id = ik->ino;
	dt_chan_mark(&ck, t, tgid);
	err = bpf_map_update_elem(&inodes, ik, &nv, BPF_NOEXIST);
	if (err) {
		/* Not derived: its readers would go untainted (derived_table_full). */
		if (err != -EEXIST)
			__sync_fetch_and_add(&dt_derived_full, 1);
		return;
	}
	bpf_map_update_elem(&devs, &ik->dev, &one, BPF_ANY);

	e = dt_reserve(DT_EV_DERIVED, sizeof(*e));
	if (!e)
		return;
	e->tgid = tgid;
	e->dev = ik->dev;
	e->ino = ik->ino;
	bpf_probe_read_kernel(&e->taint, sizeof(e->taint), t);
	e->depth = dt_path_names(f, e->names, &e->truncated);
	dt_submit(e);
}

/*
 * An overlayfs file whose data now lives in the upper copy @ik of lower file @origin (a write
 * or attribute change through the overlay copied it up; dt_file_key_real() says so): if the
 * lower file is classified, the copy holds the dataset's bytes and becomes a derived file
 * carrying its taint. Changing the copy leaves the dataset as it was (no tampering); reading
 * it still taints. Returns the copy's entry.
 */
static __always_inline struct dt_inode_val *dt_ovl_copied_up(struct file *f,
							    const struct dt_inode_key *ik,
							    struct dentry *origin)
{
	struct dt_inode_key lk;
	struct dt_inode_val *lv;
	struct dt_taint t;

	if (!origin || dt_inode_key_of(DT_KLOAD(origin, d_inode), &lk))
		return NULL;
	lv = bpf_map_lookup_elem(&inodes, &lk);
	if (!lv || lv->dataset == DT_DATASET_AGENT)
		return NULL;
	dt_taint_of_inode(&lk, lv, &t);
	dt_mark_derived(f, ik, &t, bpf_get_current_pid_tgid() >> 32);
	return bpf_map_lookup_elem(&inodes, ik);
}

#endif /* DT_TAINT_BPF_H */
