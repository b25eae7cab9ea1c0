// SPDX-License-Identifier: GPL-2.0
/* replay.c - verify, print and replay recorded traces through the live pipeline; see replay.h. */
#define _GNU_SOURCE /* memmem, strptime, timegm */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hmap.h"
#include "inventory.h"
#include "log.h"
#include "pipeline.h"
#include "records.h"
#include "replay.h"
#include "trace.h"

#define EXPLAIN_MAX 16

/* What --explain needs of the trace: how taint travelled, and where copies came from. */
struct hop_rec {
	uint64_t ts;
	uint32_t tgid;
	uint32_t src_pid;
	uint64_t src_id;
	uint8_t hop;
	uint64_t ds[DT_TAINT_WORDS];
};

struct read_rec {
	uint64_t ts;
	uint64_t bytes;
	uint32_t access;
	uint32_t iflags;
	char path[256];
};

struct replay {
	const char *path;
	struct inventory *recorded; /* the inventory in the trace, parsed offline */
	struct inventory *override; /* --inventory */
	int32_t remap[DT_TAINT_WORDS * 64]; /* recorded dataset index -> current one, or -1 */
	struct proctab pt;
	struct pipeline pl;
	bool pl_ready;
	bool cat; /* trace cat: events, no findings */
	struct pl_filter filter;
	char hostname[256];
	int64_t mono_to_real_ns;
	uint64_t records;
	/* --explain */
	const char *explain;
	char *finding; /* the line whose uid matched */
	struct hop_rec *hops;
	size_t n_hops;
	size_t cap_hops;
	struct hmap reads;   /* (tgid, dataset) -> struct read_rec: the first read */
	struct hmap writers; /* struct dt_inode_key -> uint32_t: who made a derived file */
};

static uint64_t wall_ms(const struct replay *r, uint64_t mono)
{
	return (uint64_t)((int64_t)mono + r->mono_to_real_ns) / 1000000;
}

static const struct inventory *current_inv(const struct replay *r)
{
	return r->override ? r->override : r->recorded;
}

static void out_line(void *ctx, const char *line, size_t len)
{
	struct replay *r = ctx;

	if (r->explain) {
		/* Keep the last line of the finding asked about; print nothing else. */
		char needle[64];

		snprintf(needle, sizeof(needle), "\"uid\":\"%s\"", r->explain);
		if (memmem(line, len, needle, strlen(needle))) {
			free(r->finding);
			r->finding = strndup(line, len);
		}
		return;
	}
	fwrite(line, 1, len, stdout);
}

/* Recorded dataset indexes mean what the recorded inventory said; map them by id. */
static void build_remap(struct replay *r)
{
	const struct inventory *cur = current_inv(r);

	for (size_t i = 0; i < DT_TAINT_WORDS * 64; i++) {
		r->remap[i] = -1;
		if (i >= r->recorded->n_datasets)
			continue;
		for (size_t j = 0; j < cur->n_datasets; j++)
			if (!strcmp(r->recorded->datasets[i].id, cur->datasets[j].id))
				r->remap[i] = j;
	}
}

static int32_t remap_ds(const struct replay *r, uint32_t ds)
{
	return ds < DT_TAINT_WORDS * 64 ? r->remap[ds] : -1;
}

static void remap_taint(const struct replay *r, struct dt_taint *t)
{
	uint64_t out[DT_TAINT_WORDS] = {};
	int32_t p;

	for (uint32_t i = 0; i < DT_TAINT_WORDS * 64; i++) {
		int32_t j = r->remap[i];

		if (((t->ds[i / 64] >> (i % 64)) & 1) && j >= 0 && j < DT_TAINT_WORDS * 64)
			out[j / 64] |= 1ULL << (j % 64);
	}
	memcpy(t->ds, out, sizeof(out));
	p = remap_ds(r, t->primary);
	t->primary = p >= 0 ? (uint32_t)p : 0;
}

static int on_inventory(struct replay *r, const void *data, uint32_t len)
{
	struct inventory *inv;
	struct errbuf eb = {};
	int err;

	err = inventory_parse_offline(data, len, "recorded inventory", &inv, &eb);
	if (err) {
		dt_log("datatrail: trace '%s': %s\n", r->path, eb.msg);
		return err;
	}
	inventory_free(r->recorded);
	r->recorded = inv;
	build_remap(r);
	if (!r->pl_ready) {
		pl_init(&r->pl, current_inv(r), &r->pt, false, r->hostname, r->mono_to_real_ns,
			r->cat ? out_line : NULL, r->cat ? NULL : out_line, r);
		r->pl.filter = r->filter;
		r->pl_ready = true;
	} else if (!r->override) {
		pl_set_inventory(&r->pl, inv);
	}
	return 0;
}

/* The live agent gave the datasets kernel indexes (pinned slots): give them the same here. */
static int on_slots(struct replay *r, const char *data, uint32_t len)
{
	const char *ids[DT_TAINT_WORDS * 64];
	char *copy = strndup(data, len), *save = NULL, *tok;
	size_t n = 0;
	int err;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, "\n", &save); tok && n < DT_TAINT_WORDS * 64;
	     tok = strtok_r(NULL, "\n", &save))
		ids[n++] = tok;
	err = inventory_align_ids(r->recorded, ids, n);
	free(copy);
	if (err)
		return err;
	build_remap(r);
	return 0;
}

/* The recording agent's resolution of the allowed executables, for whichever inventory judges. */
static void on_exes(struct replay *r, const char *data, uint32_t len)
{
	struct dt_rec_exe e;

	for (uint32_t off = 0; len - off >= sizeof(e);) {
		const char *path = data + off + sizeof(e);

		memcpy(&e, data + off, sizeof(e));
		if (!e.len || e.len > len - off - sizeof(e) || path[e.len - 1])
			return;
		inventory_set_exe(r->recorded, path, e.dev, e.ino);
		if (r->override)
			inventory_set_exe(r->override, path, e.dev, e.ino);
		off += sizeof(e) + e.len;
	}
}

static void note_hop(struct replay *r, const struct dt_ev_taint *e)
{
	struct hop_rec *h;

	if (r->n_hops == r->cap_hops) {
		size_t ncap = r->cap_hops ? r->cap_hops * 2 : 256;
		struct hop_rec *nh = realloc(r->hops, ncap * sizeof(*nh));

		if (!nh)
			return;
		r->hops = nh;
		r->cap_hops = ncap;
	}
	h = &r->hops[r->n_hops++];
	h->ts = e->hdr.ts_ns;
	h->tgid = e->tgid;
	h->src_pid = e->taint.src_pid;
	h->src_id = e->src_id;
	h->hop = e->taint.hop;
	memcpy(h->ds, e->taint.ds, sizeof(h->ds));
}

static void note_read(struct replay *r, const struct dt_rec_file *f, const char *path)
{
	uint64_t key = (uint64_t)f->key.tgid << 32 | f->val.dataset;
	struct read_rec *rr;
	bool created;

	if (!(f->key.access & DT_ACC_READS))
		return;
	rr = hmap_put(&r->reads, &key, &created);
	if (!rr)
		return;
	if (created) {
		rr->ts = f->val.first_ns;
		rr->access = f->key.access;
		rr->iflags = f->val.iflags;
		snprintf(rr->path, sizeof(rr->path), "%s", path);
	}
	rr->bytes += f->delta;
}

/* Feeds one recorded record to the pipeline, translated to the current inventory. */
static int feed(struct replay *r, uint16_t type, const void *data, uint32_t len)
{
	r->records++;
	if (type == DT_REC_META) {
		const struct dt_rec_meta *m = data;

		if (len < sizeof(*m))
			return 0;
		r->mono_to_real_ns = m->mono_to_real_ns;
		snprintf(r->hostname, sizeof(r->hostname), "%.*s", (int)sizeof(m->hostname),
			 m->hostname);
		if (r->pl_ready) {
			snprintf(r->pl.hostname, sizeof(r->pl.hostname), "%s", r->hostname);
			r->pl.octx.mono_to_real_ns = r->mono_to_real_ns;
		}
		return 0;
	}
	if (type == DT_REC_INVENTORY)
		return on_inventory(r, data, len);
	if (type == DT_REC_SLOTS && r->recorded)
		return on_slots(r, data, len);
	if (!r->pl_ready)
		return 0; /* a segment's records before its run's inventory: force mode */

	if (type < TRACE_TYPE_AGENT_MIN) {
		union {
			struct dt_event_hdr h;
			struct dt_ev_taint t;
			struct dt_ev_derived d;
			uint8_t raw[1024];
		} u;

		if (len > sizeof(u.raw) || len < sizeof(u.h))
			return 0;
		memcpy(&u, data, len);
		if (u.h.type == DT_EV_TAINT && len >= sizeof(u.t)) {
			remap_taint(r, &u.t.taint);
			note_hop(r, &u.t);
		} else if (u.h.type == DT_EV_DERIVED && len >= sizeof(u.d)) {
			struct dt_inode_key k = { .ino = u.d.ino, .dev = u.d.dev };
			uint32_t *w = hmap_put(&r->writers, &k, NULL);

			if (w)
				*w = u.d.tgid;
			remap_taint(r, &u.d.taint);
		}
		pl_raw(&r->pl, &u, len);
		return 0;
	}
	switch (type) {
	case DT_REC_FILE: {
		struct dt_rec_file f;
		const char *path = (const char *)data + sizeof(f);
		int32_t ds;

		if (len <= sizeof(f) || ((const char *)data)[len - 1])
			return 0;
		memcpy(&f, data, sizeof(f));
		/* The agent's own files are no dataset: their records pass as they are. */
		ds = f.val.dataset == DT_DATASET_AGENT ? (int32_t)DT_DATASET_AGENT
						       : remap_ds(r, f.val.dataset);
		if (ds < 0 && f.val.dataset != DT_DATASET_AGENT)
			return 0;
		f.val.dataset = ds;
		note_read(r, &f, path);
		pl_file(&r->pl, &f.key, &f.val, f.delta, f.dops, path);
		return 0;
	}
	case DT_REC_EGRESS: {
		struct dt_rec_egress e;

		if (len < sizeof(e))
			return 0;
		memcpy(&e, data, sizeof(e));
		remap_taint(r, &e.val.taint);
		pl_egress(&r->pl, &e.key, &e.val);
		return 0;
	}
	case DT_REC_MOUNT: {
		struct dt_rec_mount m;
		struct mount_ent e = {};
		const char *end = (const char *)data + len, *p;

		if (len <= sizeof(m) || ((const char *)data)[len - 1])
			return 0;
		memcpy(&m, data, sizeof(m));
		e.dev = m.dev;
		e.kind = m.kind;
		e.gone = m.gone;
		e.fstype = (char *)data + sizeof(m);
		p = e.fstype + strlen(e.fstype) + 1;
		if (p >= end)
			return 0;
		e.source = (char *)p;
		p += strlen(p) + 1;
		if (p >= end)
			return 0;
		e.point = (char *)p;
		pl_mount(&r->pl, &e, true);
		return 0;
	}
	case DT_REC_ENFORCE: {
		struct dt_rec_enforce e;
		struct dt_taint t = {};

		if (len < sizeof(e))
			return 0;
		memcpy(&e, data, sizeof(e));
		memcpy(t.ds, e.val.ds, sizeof(t.ds));
		remap_taint(r, &t);
		memcpy(e.val.ds, t.ds, sizeof(t.ds));
		pl_enforce(&r->pl, &e.key, &e.val);
		return 0;
	}
	case DT_REC_INSPECT: {
		struct dt_rec_inspect ri;

		if (len < sizeof(ri))
			return 0;
		memcpy(&ri, data, sizeof(ri));
		pl_inspect(&r->pl, ri.tgid, &ri.val);
		return 0;
	}
	case DT_REC_PROC: {
		struct proc_info pi = {};

		/* An older agent's record: no executable identity, so no executable list allows it. */
		if (len >= sizeof(pi))
			memcpy(&pi, data, sizeof(pi));
		else if (len >= PROC_INFO_V1_SIZE)
			memcpy(&pi, data, offsetof(struct proc_info, exe_dev));
		else
			return 0;
		proctab_put(&r->pt, &pi);
		return 0;
	}
	case DT_REC_EXES:
		on_exes(r, data, len);
		return 0;
	case DT_REC_IDENTITY:
		if (len >= sizeof(struct dt_rec_identity)) {
			struct dt_rec_identity ri;

			memcpy(&ri, data, sizeof(ri));
			idtab_put(&r->pl.ids, ri.pid, &ri.id);
		}
		return 0;
	case DT_REC_NODE:
		if (len >= sizeof(struct dt_rec_node)) {
			struct dt_rec_node n;

			memcpy(&n, data, sizeof(n));
			n.machine_id[sizeof(n.machine_id) - 1] = 0;
			snprintf(r->pl.machine_id, sizeof(r->pl.machine_id), "%s", n.machine_id);
			r->pl.octx.device_uid = r->pl.machine_id[0] ? r->pl.machine_id : NULL;
		}
		return 0;
	case DT_REC_DEVICE: {
		struct dt_rec_device d;

		if (len < sizeof(d))
			return 0;
		memcpy(&d, data, sizeof(d));
		remap_taint(r, &d.val.taint);
		pl_device_step(&r->pl, &d);
		return 0;
	}
	case DT_REC_DEVPATH: {
		uint32_t rdev;

		if (len <= sizeof(rdev) || ((const char *)data)[len - 1])
			return 0;
		memcpy(&rdev, data, sizeof(rdev));
		pl_device_path(&r->pl, rdev, (const char *)data + sizeof(rdev));
		return 0;
	}
	case DT_REC_GONE:
		if (len >= sizeof(uint32_t))
			pl_gone(&r->pl, *(const uint32_t *)data);
		return 0;
	case DT_REC_STOP:
		pl_stop(&r->pl);
		return 0;
	case DT_REC_GAP: {
		struct dt_rec_gap gr;
		struct gap_record g;

		if (len < sizeof(gr))
			return 0;
		memcpy(&gr, data, sizeof(gr));
		gr.source[sizeof(gr.source) - 1] = 0;
		g = (struct gap_record){ .start_ns = gr.start_ns, .end_ns = gr.end_ns,
					 .source = gr.source, .cpu = gr.cpu, .lost = gr.lost,
					 .seq = gr.seq, .activity_id = (int)gr.activity_id };
		pl_gap(&r->pl, &g);
		return 0;
	}
	}
	return 0;
}

static const char *fmt_time(const struct replay *r, uint64_t mono, char *buf, size_t n)
{
	uint64_t ms = wall_ms(r, mono);
	time_t s = ms / 1000;
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned int)(ms % 1000));
	return buf;
}

static const char *comm_of(struct replay *r, uint32_t pid, char *buf, size_t n)
{
	struct proc_info pi;

	if (proctab_get(&r->pt, pid, &pi))
		snprintf(buf, n, "pid %u", pid);
	else
		snprintf(buf, n, "pid %u (%s)", pid, pi.comm);
	return buf;
}

/* The first hop that brought dataset @ds to @tgid. */
static const struct hop_rec *first_hop(const struct replay *r, uint32_t tgid, uint32_t ds)
{
	for (size_t i = 0; i < r->n_hops; i++)
		if (r->hops[i].tgid == tgid && ((r->hops[i].ds[ds / 64] >> (ds % 64)) & 1))
			return &r->hops[i];
	return NULL;
}

/* Prints how dataset @ds reached @tgid, oldest hop first. */
static void explain_chain(struct replay *r, uint32_t tgid, uint32_t ds, int depth)
{
	const struct hop_rec *h = first_hop(r, tgid, ds);
	char t[96], a[64], b[64];

	if (!h || depth > EXPLAIN_MAX)
		return;
	if (h->hop == DT_HOP_READ) {
		struct dt_inode_key k = {};
		uint64_t key = (uint64_t)tgid << 32 | ds;
		const struct read_rec *rr = hmap_get(&r->reads, &key);
		const uint32_t *writer;

		/* src_id is the inode; a derived file leads on to the process that wrote it. */
		k.ino = h->src_id;
		writer = NULL;
		{
			struct dt_inode_key *wk;
			uint32_t *wv;

			for (size_t it = 0; hmap_next(&r->writers, &it, (void **)&wk, (void **)&wv);)
				if (wk->ino == k.ino)
					writer = wv;
		}
		if (writer && *writer != tgid)
			explain_chain(r, *writer, ds, depth + 1);
		printf("  %s  %-8s %s read '%s'%s: %llu bytes\n", fmt_time(r, h->ts, t, sizeof(t)),
		       rr && rr->access == DT_ACC_MMAP ? "mmap" : "read",
		       comm_of(r, tgid, a, sizeof(a)), rr ? rr->path : "?",
		       writer ? " (a derived copy)" : "", rr ? (unsigned long long)rr->bytes : 0ULL);
		return;
	}
	if (h->src_pid && h->src_pid != tgid)
		explain_chain(r, h->src_pid, ds, depth + 1);
	printf("  %s  %-8s %s took the taint from %s\n", fmt_time(r, h->ts, t, sizeof(t)),
	       corr_hop_name(h->hop) ? corr_hop_name(h->hop) : "read", comm_of(r, tgid, a, sizeof(a)),
	       comm_of(r, h->src_pid, b, sizeof(b)));
}

static int explain(struct replay *r)
{
	cJSON *doc, *ev, *u;
	const char *kind, *dataset;
	double pid, bytes;
	int32_t ds = -1;
	char a[64];

	if (!r->finding) {
		dt_log("datatrail: replay '%s': no finding with uid '%s'\n", r->path,
		       r->explain);
		return 1;
	}
	doc = cJSON_Parse(r->finding);
	if (!doc)
		return 1;
	ev = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "evidences"), 0);
	u = cJSON_GetObjectItem(doc, "unmapped");
	kind = cJSON_GetStringValue(cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "finding_info"), "types"), 0));
	dataset = cJSON_GetStringValue(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "resources"), 0), "uid"));
	pid = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "process"), "pid"));
	bytes = cJSON_GetNumberValue(cJSON_GetObjectItem(u, "bytes"));
	for (size_t i = 0; dataset && i < current_inv(r)->n_datasets; i++)
		if (!strcmp(current_inv(r)->datasets[i].id, dataset))
			ds = i;
	printf("finding %s: %s of dataset '%s' by %s\n", r->explain, kind ? kind : "?",
	       dataset ? dataset : "?", comm_of(r, (uint32_t)pid, a, sizeof(a)));
	if (ds >= 0)
		explain_chain(r, (uint32_t)pid, ds, 0);
	if (kind && !strcmp(kind, "exfiltration")) {
		cJSON *dst = cJSON_GetObjectItem(ev, "dst_endpoint");

		printf("  %-24s %-8s %s sent %.0f bytes to %s port %.0f\n", "", "send",
		       comm_of(r, (uint32_t)pid, a, sizeof(a)), bytes,
		       cJSON_GetStringValue(cJSON_GetObjectItem(dst, "ip")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(dst, "port")));
	} else {
		cJSON *file = cJSON_GetObjectItem(ev, "file");

		printf("  %-24s %-8s %s: %.0f bytes, '%s'\n", "", kind ? kind : "?",
		       comm_of(r, (uint32_t)pid, a, sizeof(a)), bytes,
		       file ? cJSON_GetStringValue(cJSON_GetObjectItem(file, "path")) : "");
	}
	cJSON_Delete(doc);
	return 0;
}

static int load_key(const char *file, uint8_t *key)
{
	struct errbuf eb = {};

	if (trace_key_load(file, key, &eb)) {
		dt_log("datatrail: %s\n", eb.msg);
		return -1;
	}
	return 0;
}

/* Parses a time bound: milliseconds since the epoch, or YYYY-MM-DDTHH:MM:SS[Z]. */
static int parse_time(const char *s, uint64_t *ms)
{
	struct tm tm = {};
	char *end;

	errno = 0;
	*ms = strtoull(s, &end, 10);
	if (!errno && !*end && end != s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z")))
		return -EINVAL;
	*ms = (uint64_t)timegm(&tm) * 1000;
	return 0;
}

/* Runs every record of @r->path through the pipeline; @force skips damaged blocks. */
static int run_records(struct replay *r, const uint8_t *key, bool force)
{
	struct trace_reader *rd;
	struct errbuf eb = {};
	const void *data;
	uint16_t type;
	uint32_t len;
	uint64_t ts, next_progress = 0;
	bool tty = isatty(STDERR_FILENO) && !r->explain;
	int err;

	err = trace_open_flags(r->path, key, force ? TRACE_OPEN_FORCE : 0, &rd, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	while ((err = trace_next(rd, &type, &data, &len, &ts)) == 1) {
		err = feed(r, type, data, len);
		if (err)
			break;
		/* Progress on a terminal: the program's text and a number, \r redraws it. */
		if (tty && r->records >= next_progress) {
			fprintf(stderr, "\rreplay: %llu records", (unsigned long long)r->records);
			next_progress = r->records + 100000;
		}
	}
	if (tty)
		fprintf(stderr, "\rreplay: %llu records\n", (unsigned long long)r->records);
	if (err < 0)
		dt_log("datatrail: trace '%s': %s\n", r->path, trace_reader_error(rd));
	if (force) {
		const struct trace_issue *is;
		size_t n = trace_reader_issues(rd, &is);

		for (size_t i = 0; i < n; i++)
			dt_log("datatrail: replay '%s': %s segment '%s' block %lld: %s\n",
			       r->path, is[i].skipped ? "skipped" : "noted", is[i].segment,
			       (long long)is[i].block, is[i].reason);
	}
	trace_close(rd);
	return err < 0 ? err : 0;
}

static void replay_free(struct replay *r)
{
	if (r->pl_ready)
		pl_free(&r->pl);
	proctab_free(&r->pt);
	inventory_free(r->recorded);
	inventory_free(r->override);
	hmap_free(&r->reads);
	hmap_free(&r->writers);
	free(r->hops);
	free(r->finding);
}

static void replay_init(struct replay *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	proctab_init(&r->pt, -1);
	r->pt.offline = true;
	hmap_init(&r->reads, sizeof(uint64_t), sizeof(struct read_rec));
	hmap_init(&r->writers, sizeof(struct dt_inode_key), sizeof(uint32_t));
}

/* Verifies first: a trace that fails is refused unless forced, and then says so. */
static int check(const char *path, const uint8_t *key, bool force)
{
	struct trace_verify_report rep;
	int err = trace_verify(path, key, &rep);

	if (!err && rep.ok)
		return 0;
	if (rep.bad_segment[0])
		dt_log("datatrail: trace '%s': segment '%s' block %lld: %s\n", path,
		       rep.bad_segment, (long long)rep.bad_block, rep.reason);
	else
		dt_log("datatrail: trace '%s': %s\n", path,
		       rep.reason[0] ? rep.reason : strerror(err < 0 ? -err : EINVAL));
	if (!force) {
		dt_log("datatrail: trace '%s' failed verification; --force replays what "
			       "is intact\n", path);
		return -EBADMSG;
	}
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "force", no_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "explain", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *inv_path = NULL, *key_path = NULL, *explain_uid = NULL;
	uint8_t keybuf[TRACE_KEY_LEN], *key = NULL;
	bool force = false, help = false;
	struct replay r;
	struct errbuf eb = {};
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "i:fk:x:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help = true;
			goto usage;
		case 'i':
			inv_path = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'x':
			explain_uid = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	if (key_path) {
		if (load_key(key_path, keybuf))
			return 1;
		key = keybuf;
	}
	replay_init(&r, argv[optind]);
	r.explain = explain_uid;
	if (inv_path) {
		/* Another inventory asks "what would we have flagged": its policies, offline. */
		if (inventory_load_offline(inv_path, &r.override, &eb)) {
			dt_log("datatrail: %s\n", eb.msg);
			goto out;
		}
	}
	if (check(r.path, key, force))
		goto out;
	if (run_records(&r, key, force))
		goto out;
	ret = r.explain ? explain(&r) : 0;
	fflush(stdout);
out:
	replay_free(&r);
	explicit_bzero(keybuf, sizeof(keybuf));
	return ret;
usage:
	/* --help is an answer (stdout, 0), a mistake is not (stderr, 2). */
	fprintf(help ? stdout : stderr, "usage: datatrail replay DIR|FILE [--inventory FILE] "
		"[--force] [--key FILE] [--explain FINDING_UID]\n");
	return help ? 0 : 2;
}

static int trace_verify_cmd(int argc, char **argv)
{
	uint8_t keybuf[TRACE_KEY_LEN], *key = NULL;
	struct trace_verify_report rep;
	bool help = false;
	int c, err;

	optind = 1;
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};

	while ((c = getopt_long(argc, argv, "k:h", longopts, NULL)) != -1) {
		help = c == 'h';
		if (c != 'k')
			goto usage;
		if (load_key(optarg, keybuf))
			return 1;
		key = keybuf;
	}
	if (optind != argc - 1)
		goto usage;
	err = trace_verify(argv[optind], key, &rep);
	explicit_bzero(keybuf, sizeof(keybuf));
	if (!err && rep.ok) {
		printf("trace '%s': ok: %u segments, %llu blocks, %llu records%s%s\n", argv[optind],
		       rep.segments, (unsigned long long)rep.blocks, (unsigned long long)rep.records,
		       rep.note[0] ? "; " : "", rep.note);
		return 0;
	}
	if (rep.bad_segment[0])
		printf("trace '%s': bad: segment '%s' block %lld: %s\n", argv[optind],
		       rep.bad_segment, (long long)rep.bad_block, rep.reason);
	else
		printf("trace '%s': bad: %s\n", argv[optind],
		       rep.reason[0] ? rep.reason : strerror(err < 0 ? -err : EINVAL));
	return 1;
usage:
	fprintf(help ? stdout : stderr, "usage: datatrail trace verify DIR|FILE [--key FILE]\n");
	return help ? 0 : 2;
}

static int trace_cat_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "dataset", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	uint8_t keybuf[TRACE_KEY_LEN], *key = NULL;
	struct pl_filter f = {};
	bool force = false, help = false;
	struct replay r;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:d:s:u:k:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help = true;
			goto usage;
		case 'p':
			f.pid = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			f.dataset = optarg;
			break;
		case 's':
		case 'u':
			if (parse_time(optarg, c == 's' ? &f.since_ms : &f.until_ms)) {
				dt_log("datatrail: trace cat: option '--%s': bad time '%s' "
					       "(epoch ms or YYYY-MM-DDTHH:MM:SSZ)\n",
				       c == 's' ? "since" : "until", optarg);
				return 2;
			}
			break;
		case 'k':
			if (load_key(optarg, keybuf))
				return 1;
			key = keybuf;
			break;
		case 'f':
			force = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	replay_init(&r, argv[optind]);
	r.cat = true;
	r.filter = f;
	if (!check(r.path, key, force) && !run_records(&r, key, force))
		ret = 0;
	fflush(stdout);
	replay_free(&r);
	explicit_bzero(keybuf, sizeof(keybuf));
	return ret;
usage:
	fprintf(help ? stdout : stderr, "usage: datatrail trace cat DIR|FILE [--pid N] "
		"[--dataset ID] [--since T] [--until T] [--key FILE] [--force]\n");
	return help ? 0 : 2;
}

int cmd_trace(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return trace_verify_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "cat"))
		return trace_cat_cmd(argc - 1, argv + 1);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: datatrail trace verify|cat DIR|FILE [options]\n");
		return 0;
	}
	dt_log("usage: datatrail trace verify|cat DIR|FILE [options]\n");
	return 2;
}
