// SPDX-License-Identifier: GPL-2.0
/* pipeline.c - records to event and finding lines, recorded on the way; see pipeline.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "log.h"
#include "pipeline.h"

const char *pl_inode_path(struct pipeline *pl, uint32_t dev, uint64_t ino, char *buf, size_t n)
{
	const struct inv_inode *ii = inventory_find(pl->inv, dev, ino);
	struct dt_inode_key k = { .ino = ino, .dev = dev };
	char **p;

	if (ii)
		return ii->path;
	p = hmap_get(&pl->paths, &k);
	if (p)
		return *p;
	snprintf(buf, n, "inode:%u:%u:%llu", dev >> 20, dev & 0xfffff, (unsigned long long)ino);
	return buf;
}

void pl_set_path(struct pipeline *pl, uint32_t dev, uint64_t ino, const char *path)
{
	struct dt_inode_key k = { .ino = ino, .dev = dev };
	bool created;
	char **slot, *copy;

	slot = hmap_get(&pl->paths, &k);
	if (slot && !strcmp(*slot, path))
		return;
	copy = strdup(path);
	if (!copy)
		return;
	slot = hmap_put(&pl->paths, &k, &created);
	if (!slot) {
		free(copy);
		return;
	}
	if (!created)
		free(*slot);
	*slot = copy;
}

static const char *path_cb(void *ctx, uint32_t dev, uint64_t ino, char *buf, size_t n)
{
	return pl_inode_path(ctx, dev, ino, buf, n);
}

static void finding_cb(void *ctx, const char *line, size_t len)
{
	struct pipeline *pl = ctx;

	if (pl->finding_out)
		pl->finding_out(pl->out_ctx, line, len);
}

/* Remembers a process-table answer that the next record will be written after. */
static void observe_cb(void *ctx, const struct proc_info *pi)
{
	struct pipeline *pl = ctx;
	struct proc_info *last;
	bool created;
	uint8_t *nb;

	if (!pl->trace)
		return;
	last = hmap_put(&pl->recorded, &pi->pid, &created);
	if (!last)
		return;
	if (!created && !memcmp(last, pi, sizeof(*pi)))
		return;
	*last = *pi;
	if (pl->pending_len + sizeof(*pi) > pl->pending_cap) {
		size_t ncap = pl->pending_cap ? pl->pending_cap * 2 : 16 * sizeof(*pi);

		nb = realloc(pl->pending, ncap);
		if (!nb) {
			pl->trace_errors++;
			return;
		}
		pl->pending = nb;
		pl->pending_cap = ncap;
	}
	memcpy(pl->pending + pl->pending_len, pi, sizeof(*pi));
	pl->pending_len += sizeof(*pi);
}

static void record(struct pipeline *pl, uint16_t type, const void *data, size_t len, uint64_t ts);

/* A workload identity resolved live: recorded at once, so that replay names the same pods. */
static void identity_cb(void *ctx, uint32_t pid, const struct wl_identity *id)
{
	struct pipeline *pl = ctx;
	struct dt_rec_identity rec = { .pid = pid, .id = *id };

	if (pl->trace && trace_write(pl->trace, DT_REC_IDENTITY, &rec, sizeof(rec), mono_ns()) < 0)
		pl->trace_errors++;
}

/* Writes the answers the record needed, then the record itself. */
static void record(struct pipeline *pl, uint16_t type, const void *data, size_t len, uint64_t ts)
{
	if (!pl->trace)
		return;
	for (size_t off = 0; off < pl->pending_len; off += sizeof(struct proc_info))
		if (trace_write(pl->trace, DT_REC_PROC, pl->pending + off, sizeof(struct proc_info),
				ts) < 0)
			pl->trace_errors++;
	pl->pending_len = 0;
	if (trace_write(pl->trace, type, data, len, ts) < 0)
		pl->trace_errors++;
}

static void device_record_cb(void *ctx, const struct dt_rec_device *r)
{
	record(ctx, DT_REC_DEVICE, r, sizeof(*r), mono_ns());
}

static void device_gap_cb(void *ctx, const struct gap_record *g)
{
	dt_log("datatrail: %s: lost %llu records on cpu %d\n", g->source,
	       (unsigned long long)g->lost, g->cpu);
	pl_gap(ctx, g);
}

static void device_event_cb(void *ctx, const char *line, size_t len)
{
	struct pipeline *pl = ctx;

	if (pl->event_out)
		pl->event_out(pl->out_ctx, line, len);
}

static void device_output(struct pipeline *pl)
{
	gpu_set_output(&pl->gpu, &(struct gpu_out){ .inv = pl->inv, .pt = pl->pt,
						    .octx = &pl->octx,
						    .taints = &pl->corr.taints,
						    .event_out = device_event_cb,
						    .finding_out = finding_cb, .ctx = pl,
						    .ids = &pl->ids,
						    .record = device_record_cb,
						    .gap = device_gap_cb });
}

int pl_init(struct pipeline *pl, const struct inventory *inv, struct proctab *pt, bool live,
	    const char *hostname, int64_t mono_to_real_ns, pl_out_fn event_out,
	    pl_out_fn finding_out, void *out_ctx)
{
	memset(pl, 0, sizeof(*pl));
	pl->inv = inv;
	pl->pt = pt;
	pl->live = live;
	snprintf(pl->hostname, sizeof(pl->hostname), "%s", hostname);
	pl->octx.hostname = pl->hostname;
	pl->octx.mono_to_real_ns = mono_to_real_ns;
	pl->event_out = event_out;
	pl->finding_out = finding_out;
	pl->out_ctx = out_ctx;
	hmap_init(&pl->paths, sizeof(struct dt_inode_key), sizeof(char *));
	hmap_init(&pl->recorded, sizeof(uint32_t), sizeof(struct proc_info));
	jb_init(&pl->jb);
	corr_init(&pl->corr, inv, pt, &pl->octx, finding_cb, path_cb, pl);
	pl->corr.mounts = &pl->mounts;
	idtab_init(&pl->ids, !live);
	pl->ids.observe = identity_cb;
	pl->ids.observe_ctx = pl;
	pl->corr.ids = &pl->ids;
	pt->observe = observe_cb;
	pt->observe_ctx = pl;
	gpu_init_empty(&pl->gpu);
	device_output(pl);
	return 0;
}

/* The nodes' names, which replay has no /dev to find. */
static void record_device_paths(struct pipeline *pl)
{
	uint64_t *rdev;
	char **path;

	for (size_t it = 0; hmap_next(&pl->gpu.paths, &it, (void **)&rdev, (void **)&path);)
		if (*path)
			pl_device_path(pl, *rdev, *path);
}

int pl_devices(struct pipeline *pl, const struct config_device *devices, size_t n_devices,
	       struct errbuf *err)
{
	int ret;

	gpu_free(&pl->gpu);
	ret = gpu_init(&pl->gpu, devices, n_devices, err);
	device_output(pl);
	if (ret)
		return ret;
	record_device_paths(pl);
	return 0;
}

int pl_device_maps(struct pipeline *pl, int devs_fd, int acc_fd, int taint_fd, int stats_fd)
{
	return gpu_load_maps(&pl->gpu, devs_fd, acc_fd, taint_fd, stats_fd);
}

void pl_device_flush(struct pipeline *pl, uint32_t tgid, bool final)
{
	gpu_flush(&pl->gpu, tgid, final);
}

void pl_device_step(struct pipeline *pl, const struct dt_rec_device *r)
{
	gpu_replay(&pl->gpu, r);
}

void pl_device_path(struct pipeline *pl, uint32_t rdev, const char *path)
{
	size_t len = strlen(path);
	char *rec;

	if (!pl->live)
		gpu_add_path(&pl->gpu, rdev, path);
	if (!pl->trace)
		return;
	rec = malloc(sizeof(rdev) + len + 1);
	if (!rec) {
		pl->trace_errors++;
		return;
	}
	memcpy(rec, &rdev, sizeof(rdev));
	memcpy(rec + sizeof(rdev), path, len + 1);
	record(pl, DT_REC_DEVPATH, rec, sizeof(rdev) + len + 1, mono_ns());
	free(rec);
}

void pl_free(struct pipeline *pl)
{
	void *v;

	for (size_t it = 0; hmap_next(&pl->paths, &it, NULL, &v);)
		free(*(char **)v);
	hmap_free(&pl->paths);
	hmap_free(&pl->recorded);
	corr_free(&pl->corr);
	mounts_free(&pl->mounts);
	gpu_free(&pl->gpu);
	idtab_free(&pl->ids);
	jb_free(&pl->jb);
	free(pl->pending);
	if (pl->pt && pl->pt->observe_ctx == pl)
		pl->pt->observe = NULL;
}

/* Appends @n bytes to the growing buffer (*@buf, *@len, *@cap); 0 or -ENOMEM. */
static int grow_append(char **buf, size_t *len, size_t *cap, const void *data, size_t n)
{
	if (*len + n > *cap) {
		size_t ncap = (*len + n) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	return 0;
}

int pl_record_to(struct pipeline *pl, struct trace_writer *w)
{
	struct dt_rec_meta m = { .mono_to_real_ns = pl->octx.mono_to_real_ns,
				 .abi_version = DT_ABI_VERSION };
	uint64_t now = mono_ns();

	pl->trace = w;
	snprintf(m.hostname, sizeof(m.hostname), "%s", pl->hostname);
	record(pl, DT_REC_META, &m, sizeof(m), now);
	record(pl, DT_REC_INVENTORY, pl->inv->text, pl->inv->text_len, now);
	pl_exes(pl);
	if (pl->machine_id[0]) {
		struct dt_rec_node n = {};

		snprintf(n.machine_id, sizeof(n.machine_id), "%s", pl->machine_id);
		record(pl, DT_REC_NODE, &n, sizeof(n), now);
	}
	record_device_paths(pl);
	return pl->trace_errors ? -EIO : 0;
}

void pl_set_machine_id(struct pipeline *pl, const char *machine_id)
{
	struct dt_rec_node n = {};

	snprintf(pl->machine_id, sizeof(pl->machine_id), "%s", machine_id);
	pl->octx.device_uid = pl->machine_id[0] ? pl->machine_id : NULL;
	snprintf(n.machine_id, sizeof(n.machine_id), "%s", pl->machine_id);
	record(pl, DT_REC_NODE, &n, sizeof(n), mono_ns());
}

void pl_set_inventory(struct pipeline *pl, const struct inventory *inv)
{
	pl->inv = inv;
	corr_set_inventory(&pl->corr, inv);
	pl->gpu.out.inv = inv;
	record(pl, DT_REC_INVENTORY, inv->text, inv->text_len, mono_ns());
	pl_exes(pl);
}

void pl_exes(struct pipeline *pl)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	if (!pl->trace)
		return;
	for (size_t i = 0; i < pl->inv->n_datasets; i++) {
		for (int w = 0; w < 2; w++) {
			const struct inv_dataset *ds = &pl->inv->datasets[i];
			const struct inv_acl *acl = w ? &ds->writers : &ds->readers;

			for (size_t j = 0; j < acl->n_exes; j++) {
				struct dt_rec_exe e = { .ino = acl->exe_ids[j].ino,
							.dev = acl->exe_ids[j].dev,
							.len = strlen(acl->exes[j]) + 1 };

				if (grow_append(&buf, &len, &cap, &e, sizeof(e)) ||
				    grow_append(&buf, &len, &cap, acl->exes[j], e.len))
					goto err;
			}
		}
		/* The file systems at derived "mount:" places, as stat() found them: the same form. */
		for (size_t j = 0; j < pl->inv->datasets[i].n_derived_places; j++) {
			const struct inv_place *p = &pl->inv->datasets[i].derived_places[j];
			struct dt_rec_exe e = { .ino = p->ino, .dev = p->dev,
						.len = strlen(p->value) + 1 };

			if (p->by != INV_PLACE_MOUNT)
				continue;
			if (grow_append(&buf, &len, &cap, &e, sizeof(e)) ||
			    grow_append(&buf, &len, &cap, p->value, e.len))
				goto err;
		}
	}
	record(pl, DT_REC_EXES, buf ? buf : "", len, mono_ns());
	free(buf);
	return;
err:
	free(buf);
	pl->trace_errors++;
}

void pl_slots(struct pipeline *pl)
{
	size_t len = 0, cap = 0;
	char *ids = NULL;

	for (size_t i = 0; i < pl->inv->n_datasets; i++) {
		const char *id = pl->inv->datasets[i].id;

		if (grow_append(&ids, &len, &cap, id, strlen(id)) ||
		    grow_append(&ids, &len, &cap, "\n", 1)) {
			free(ids);
			pl->trace_errors++;
			return;
		}
	}
	record(pl, DT_REC_SLOTS, ids ? ids : "", len, mono_ns());
	free(ids);
}

/* The kernel named an inode created below a dataset directory: remember its path. */
static void on_classify(struct pipeline *pl, const struct dt_ev_classify *e)
{
	int depth = e->depth < DT_CLASSIFY_DEPTH ? e->depth : DT_CLASSIFY_DEPTH;
	char base[64], path[4096];
	size_t len;

	len = snprintf(path, sizeof(path), "%s",
		       pl_inode_path(pl, e->dev, e->anc_ino, base, sizeof(base)));
	for (int i = depth - 1; i >= 0 && len < sizeof(path); i--)
		len += snprintf(path + len, sizeof(path) - len, "/%.*s", DT_NAME_LEN, e->names[i]);
	pl_set_path(pl, e->dev, e->ino, path);
}

/* A derived file: "/" names[depth-1] ... "/" names[0]. */
static void on_derived(struct pipeline *pl, const struct dt_ev_derived *e)
{
	int depth = e->depth < DT_PATH_DEPTH ? e->depth : DT_PATH_DEPTH;
	char path[4096];
	size_t len = 0;

	path[0] = 0;
	if (e->truncated)
		len = snprintf(path, sizeof(path), "...");
	for (int i = depth - 1; i >= 0 && len < sizeof(path); i--)
		len += snprintf(path + len, sizeof(path) - len, "/%.*s", DT_PATH_NAME_LEN,
				e->names[i]);
	if (!depth)
		snprintf(path, sizeof(path), "/");
	pl_set_path(pl, e->dev, e->ino, path);
}

void pl_raw(struct pipeline *pl, const void *rec, size_t size)
{
	const struct dt_event_hdr *h = rec;

	if (size < sizeof(*h) || h->size > size)
		return;
	switch (h->type) {
	case DT_EV_CLASSIFY:
		if (h->size >= sizeof(struct dt_ev_classify))
			on_classify(pl, rec);
		break;
	case DT_EV_DERIVED:
		if (h->size >= sizeof(struct dt_ev_derived))
			on_derived(pl, rec);
		break;
	case DT_EV_TAINT:
		if (h->size >= sizeof(struct dt_ev_taint)) {
			corr_taint(&pl->corr, rec);
			/* First sight of a receiver (nc reading a pipe): it is alive now, not later. */
			if (pl->live)
				idtab_get(&pl->ids, ((const struct dt_ev_taint *)rec)->tgid);
		}
		break;
	case DT_EV_AGENT:
		if (h->size >= sizeof(struct dt_ev_agent))
			corr_agent(&pl->corr, rec);
		break;
	case DT_EV_DEVICE:
		/* Live only: its counter is read from the kernel, and the steps taken recorded. */
		if (pl->live && h->size >= sizeof(struct dt_ev_device))
			gpu_on_device(&pl->gpu, rec);
		break;
	case DT_EV_PROC_EXEC:
		if (pl->live && h->size >= sizeof(struct dt_ev_proc_exec)) {
			proctab_update(pl->pt, &((const struct dt_ev_proc_exec *)rec)->proc);
			/* First sight: runc init has moved into the container's cgroup by now. */
			idtab_exec(&pl->ids, ((const struct dt_ev_proc_exec *)rec)->proc.tgid);
		}
		break;
	}
	record(pl, h->type, rec, h->size, h->ts_ns);
}

static bool event_wanted(struct pipeline *pl, const struct file_record *r)
{
	const struct pl_filter *f = &pl->filter;
	uint64_t ms = (uint64_t)((int64_t)r->ts_ns + pl->octx.mono_to_real_ns) / 1000000;

	if (!pl->event_out)
		return false;
	if (f->pid && r->proc->pid != f->pid)
		return false;
	if (f->dataset && strcmp(f->dataset, r->dataset))
		return false;
	if (f->since_ms && ms < f->since_ms)
		return false;
	if (f->until_ms && ms > f->until_ms)
		return false;
	return true;
}

void pl_file(struct pipeline *pl, const struct dt_acc_key *k, const struct dt_acc_val *v,
	     uint64_t delta, uint64_t dops, const char *path)
{
	struct file_record r = {};
	struct proc_info pi;
	char pbuf[64];
	struct {
		struct dt_rec_file f;
		char path[4096];
	} rec = {};
	size_t plen;

	if (path)
		pl_set_path(pl, k->dev, k->ino, path);
	if (proctab_get(pl->pt, k->tgid, &pi)) {
		memset(&pi, 0, sizeof(pi));
		pi.pid = k->tgid;
	}
	r.ts_ns = v->last_ns;
	/* The counter's first report covers its whole life: then its window is known. */
	if (delta == v->bytes && dops == v->ops)
		r.first_ns = v->first_ns;
	r.path = pl_inode_path(pl, k->dev, k->ino, pbuf, sizeof(pbuf));
	r.dev = k->dev;
	r.ino = k->ino;
	r.proc = &pi;
	r.uid = v->uid;
	if (v->dataset < pl->inv->n_datasets) {
		r.dataset = pl->inv->datasets[v->dataset].id;
		r.label = pl->inv->datasets[v->dataset].label;
	} else {
		r.dataset = "unknown";
		r.label = DT_LABEL_NONE;
	}
	r.access = k->access;
	r.ident = idtab_get(&pl->ids, k->tgid);
	r.bytes = delta;
	r.ops = dops;
	if (v->dataset == DT_DATASET_AGENT)
		r.dataset = NULL; /* the agent's own files: findings only, no event lines */
	if (r.dataset && event_wanted(pl, &r) && ocsf_file_read(&pl->jb, &pl->octx, &r) == 0)
		pl->event_out(pl->out_ctx, pl->jb.buf, pl->jb.len);
	corr_file(&pl->corr, k, v, delta, dops);

	if (!pl->trace)
		return;
	rec.f.key = *k;
	rec.f.val = *v;
	rec.f.delta = delta;
	rec.f.dops = dops;
	plen = strlen(r.path);
	if (plen >= sizeof(rec.path))
		plen = sizeof(rec.path) - 1;
	memcpy(rec.path, r.path, plen);
	record(pl, DT_REC_FILE, &rec, sizeof(rec.f) + plen + 1, v->last_ns);
}

void pl_egress(struct pipeline *pl, const struct dt_egress_key *k, const struct dt_egress_val *v)
{
	struct dt_rec_egress rec = { .key = *k, .val = *v };

	corr_egress(&pl->corr, k, v);
	record(pl, DT_REC_EGRESS, &rec, sizeof(rec), v->last_ns);
}

void pl_mount(struct pipeline *pl, const struct mount_ent *e, bool apply)
{
	struct dt_rec_mount m = { .dev = e->dev, .kind = e->kind, .gone = e->gone };
	size_t lt = strlen(e->fstype) + 1, ls = strlen(e->source) + 1, lp = strlen(e->point) + 1;
	char *buf;

	if (apply && mounts_put(&pl->mounts, e))
		pl->trace_errors++;
	if (!pl->trace)
		return;
	buf = malloc(sizeof(m) + lt + ls + lp);
	if (!buf) {
		pl->trace_errors++;
		return;
	}
	memcpy(buf, &m, sizeof(m));
	memcpy(buf + sizeof(m), e->fstype, lt);
	memcpy(buf + sizeof(m) + lt, e->source, ls);
	memcpy(buf + sizeof(m) + lt + ls, e->point, lp);
	record(pl, DT_REC_MOUNT, buf, sizeof(m) + lt + ls + lp, mono_ns());
	free(buf);
}

void pl_enforce(struct pipeline *pl, const struct dt_egress_key *k, const struct dt_enf_val *v)
{
	struct dt_rec_enforce rec = { .key = *k, .val = *v };

	corr_enforce(&pl->corr, k, v);
	record(pl, DT_REC_ENFORCE, &rec, sizeof(rec), v->last_ns);
}

void pl_inspect(struct pipeline *pl, uint32_t tgid, const struct dt_inspect *v)
{
	struct dt_rec_inspect rec = { .tgid = tgid, .val = *v };

	corr_inspect(&pl->corr, tgid, v);
	record(pl, DT_REC_INSPECT, &rec, sizeof(rec), v->last_ns);
}

void pl_gone(struct pipeline *pl, uint32_t tgid)
{
	corr_proc_exit(&pl->corr, tgid);
	idtab_forget(&pl->ids, tgid);
	record(pl, DT_REC_GONE, &tgid, sizeof(tgid), mono_ns());
}

void pl_stop(struct pipeline *pl)
{
	gpu_stop(&pl->gpu);
	corr_flush(&pl->corr);
	record(pl, DT_REC_STOP, "", 0, mono_ns());
}

void pl_gap(struct pipeline *pl, const struct gap_record *g)
{
	struct dt_rec_gap rec = { .start_ns = g->start_ns, .end_ns = g->end_ns, .lost = g->lost,
				  .seq = g->seq, .cpu = g->cpu,
				  .activity_id = (uint32_t)g->activity_id };

	snprintf(rec.source, sizeof(rec.source), "%s", g->source);
	if (ocsf_visibility_gap(&pl->jb, &pl->octx, g) == 0 && pl->finding_out)
		pl->finding_out(pl->out_ctx, pl->jb.buf, pl->jb.len);
	record(pl, DT_REC_GAP, &rec, sizeof(rec), g->end_ns);
}
