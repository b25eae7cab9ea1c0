// SPDX-License-Identifier: GPL-2.0
/* agent.c - the node agent's main loop: maps in, ring buffer and aggregates out; see agent.h. */
#define _GNU_SOURCE /* vasprintf */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base.h"
#include "agent_int.h"
#include "config.h"
#include "datatrail_abi.h"
#include "enforce.h"
/* The skeleton names the ABI structs, so it comes after them. */
#include "datatrail.skel.h"
#include "hmap.h"
#include "hooks.h"
#include "inventory.h"
#include "fleet.h"
#include "kafka.h"
#include "kstate.h"
#include "log.h"
#include "metrics.h"
#include "mounts.h"
#include "ocsf.h"
#include "outfile.h"
#include "pipeline.h"
#include "proctab.h"
#include "reconcile.h"
#include "sink.h"
#include "trace.h"

static volatile sig_atomic_t stop_requested;

static void on_noop(int sig)
{
	(void)sig;
}
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static bool libbpf_verbose;

/* libbpf's messages, a verifier log among them, escaped as the agent's own, line by line. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL, *line, *save = NULL;
	int n;

	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	n = vasprintf(&msg, fmt, ap);
	if (n < 0)
		return n;
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		dt_log("%s\n", line);
	free(msg);
	return n;
}

static void event_out(void *ctx, const char *line, size_t len)
{
	struct agent *a = ctx;

	sink_write(&a->events, line, len);
	if (a->metrics.httpd)
		metrics_count_line(&a->metrics.c, false, line, len);
	if (a->kafka)
		kafka_sink_produce(a->kafka, SPOOL_EVENTS, line, len);
}

static void finding_out(void *ctx, const char *line, size_t len)
{
	struct agent *a = ctx;

	sink_write(&a->findings, line, len);
	if (a->metrics.httpd)
		metrics_count_line(&a->metrics.c, true, line, len);
	if (a->kafka)
		kafka_sink_produce(a->kafka, SPOOL_FINDINGS, line, len);
}

/* The reconciliation's reports go to the pipeline. */
static void rc_file(void *ctx, const struct dt_acc_key *k, const struct dt_acc_val *v,
		    uint64_t dbytes, uint64_t dops)
{
	pl_file(ctx, k, v, dbytes, dops, NULL);
}

static void rc_egress(void *ctx, const struct dt_egress_key *k, const struct dt_egress_val *v)
{
	pl_egress(ctx, k, v);
}

static void rc_enforce(void *ctx, const struct dt_egress_key *k, const struct dt_enf_val *v)
{
	pl_enforce(ctx, k, v);
}

static const struct rc_sink_ops rc_to_pipeline = {
	.file = rc_file,
	.egress = rc_egress,
	.enforce = rc_enforce,
};

/* A process is gone: its counters' last bytes, then its findings' final updates. */
static void proc_gone(struct agent *a, uint32_t tgid)
{
	reconcile_proc_gone(&a->rc, tgid);
	pl_device_flush(&a->pl, tgid, true);
	pl_gone(&a->pl, tgid);
}

/*
 * Taint another process deleted or overwrote (bpf() on the agent's taint map) would let a
 * tainted process send unseen: the correlator's copy, learnt from taint records, is put back
 * for each process still alive. Merged, never lowered, so a concurrent taint is kept.
 */
static void restore_taints(struct agent *a)
{
	int fd = bpf_map__fd(a->skel->maps.taint);
	struct dt_taint *t, cur;
	uint32_t *tgid;
	uint64_t n = 0;
	size_t it = 0;

	while (hmap_next(&a->pl.corr.taints, &it, (void **)&tgid, (void **)&t)) {
		bool changed = false;

		if (proc_is_gone(*tgid))
			continue;
		if (bpf_map_lookup_elem(fd, tgid, &cur)) {
			cur = *t;
			changed = true;
		} else {
			for (int i = 0; i < DT_TAINT_WORDS; i++) {
				if (t->ds[i] & ~cur.ds[i]) {
					cur.ds[i] |= t->ds[i];
					changed = true;
				}
			}
			if (t->label > cur.label) {
				cur.label = t->label;
				cur.primary = t->primary;
				changed = true;
			}
		}
		if (changed && !bpf_map_update_elem(fd, tgid, &cur, BPF_ANY))
			n++;
	}
	if (n) {
		a->taints_restored += n;
		dt_log("datatrail: taint: restored %llu entries another process removed or changed\n",
		       (unsigned long long)n);
	}
}

static void forget_walks(struct agent *a);

static void report_gap(struct agent *a, const char *source, int cpu, uint64_t lost, uint64_t now);

static void egress_mount_add(void *ctx, const struct mount_ent *e)
{
	struct agent *a = ctx;
	__u32 kind = e->kind;

	if (bpf_map_update_elem(bpf_map__fd(a->skel->maps.egress_fs), &e->dev, &kind, BPF_ANY)) {
		/* Its writes would pass as local copies: a blind spot, reported as one. */
		dt_log("datatrail: map 'egress_fs': mount '%s': %s; its writes are not "
		       "counted\n", e->point, strerror(errno));
		report_gap(a, "egress_fs_map_full", -1, 1, now_ns(CLOCK_MONOTONIC));
	} else if (!e->point[0]) {
		dt_log("datatrail: egress block device '%s' (%s)\n", e->source,
		       mount_kind_name(e->kind));
	} else {
		dt_log("datatrail: egress mount '%s' (%s, '%s', %s)\n", e->point,
		       e->fstype, e->source, mount_kind_name(e->kind));
	}
	pl_mount(&a->pl, e, false);
}

static void egress_mount_del(void *ctx, const struct mount_ent *e)
{
	struct agent *a = ctx;

	bpf_map_delete_elem(bpf_map__fd(a->skel->maps.egress_fs), &e->dev);
	dt_log("datatrail: egress %s '%s' gone\n", e->point[0] ? "mount" : "block device",
	       e->point[0] ? e->point : e->source);
	pl_mount(&a->pl, e, false);
}

/*
 * Removable block devices, for raw writes to them: at start, with each mount change and
 * each flush (a stick plugged in changes no mount until it is mounted).
 */
static void scan_devices(struct agent *a)
{
	int ret = mounts_scan_devices(&a->pl.mounts, egress_mount_add, egress_mount_del, a);

	if (ret < 0 && !a->devices_warned) {
		dt_log("datatrail: block devices '/sys/class/block': %s\n", strerror(-ret));
		a->devices_warned = true;
	}
}

/*
 * The mount table changed (mountinfo polls POLLPRI then) or is read for the first time:
 * egress_fs follows it, so BPF needs one lookup by s_dev to tell an egress write.
 */
static void scan_mounts(struct agent *a, bool first)
{
	/* The poll itself takes the change note: the next reports only a later change. */
	struct pollfd pfd = { .fd = a->mountinfo_fd, .events = POLLPRI };
	int ret;

	if (!first && (a->mountinfo_fd < 0 || poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLPRI)))
		return;
	ret = mounts_scan(&a->pl.mounts, "/proc/self/mountinfo", egress_mount_add, egress_mount_del,
			  a);
	if (ret < 0)
		dt_log("datatrail: mounts '/proc/self/mountinfo': %s\n", strerror(-ret));
	scan_devices(a);
}

/*
 * Inventory entries another process deleted from (or changed in) inodes or devs would hide
 * reads of those files: written back, over two flushes in case the change landed after the
 * first. Files classified or derived by the kernel since start cannot be, and stay lost.
 */
static void restore_inodes(struct agent *a)
{
	int err;

	err = kstate_fill_inodes(bpf_map__fd(a->skel->maps.inodes),
				 bpf_map__fd(a->skel->maps.devs), a->inv);
	if (!err)
		err = agent_mark_files(a);
	forget_walks(a);
	if (err)
		dt_log("datatrail: inodes: write back: %s\n", strerror(-err));
	else if (a->restore_inodes == 1)
		dt_log("datatrail: inodes: inventory entries written back after another process changed them\n");
}

/* A process's looks at the agent's objects are reported once per this window at most. */
#define INSPECT_WINDOW_NS (60ULL * 1000000000ULL)

/*
 * The inspect map: each process whose minute of looking is over, or that is gone, becomes one
 * agent_inspect finding, and its entry goes (a later look starts the next minute). Looks
 * counted between the read and the delete are lost: informational, never taint.
 */
static void flush_inspect(struct agent *a)
{
	static uint32_t keys[DT_INSPECT_MAX];
	int fd = bpf_map__fd(a->skel->maps.inspect);
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	uint32_t key, *prev = NULL;
	size_t n = 0;

	while (n < DT_INSPECT_MAX && !bpf_map_get_next_key(fd, prev, &key)) {
		keys[n] = key;
		prev = &keys[n++];
	}
	for (size_t i = 0; i < n; i++) {
		struct dt_inspect v;

		if (bpf_map_lookup_elem(fd, &keys[i], &v))
			continue;
		if (!a->rc.stopping && now - v.first_ns < INSPECT_WINDOW_NS &&
		    !(kill((pid_t)keys[i], 0) && errno == ESRCH))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		pl_inspect(&a->pl, keys[i], &v);
	}
}

/* The periodic flush: every counter, and the final reports of processes found gone. */
static void flush_periodic(struct agent *a)
{
	uint32_t *tgid;
	size_t it = 0;

	if (a->restore_until_ns && now_ns(CLOCK_MONOTONIC) < a->restore_until_ns)
		restore_taints(a);
	if (a->restore_inodes) {
		restore_inodes(a);
		a->restore_inodes--;
	}
	reconcile_walk(&a->rc);
	flush_inspect(a);
	/* Before the gone processes' pl_gone(): it drops the taint their device findings need. */
	pl_device_flush(&a->pl, 0, false);
	while (hmap_next(&a->rc.dead, &it, (void **)&tgid, NULL))
		pl_gone(&a->pl, *tgid);
	hmap_free(&a->rc.dead);
}

static void check_seq(struct agent *a, const struct dt_event_hdr *h)
{
	if (h->cpu >= (uint32_t)a->ncpus)
		return;
	if (h->seq > a->next_seq[h->cpu]) {
		a->seq_lost += h->seq - a->next_seq[h->cpu];
		reconcile_loss(&a->rc);
	}
	a->next_seq[h->cpu] = h->seq + 1;
}

/* Another process changed one of the agent's maps or links: the taint map is checked for a while. */
static void on_agent_event(struct agent *a, const struct dt_ev_agent *e)
{
	if (e->kind != DT_AGENT_BPF_OBJ || !corr_bpf_cmd_changes(e->sig))
		return;
	a->restore_until_ns = now_ns(CLOCK_MONOTONIC) + 10000000000ULL;
	if (!strncmp(e->path, a->inodes_obj, sizeof(e->path)) ||
	    !strncmp(e->path, a->devs_obj, sizeof(e->path)))
		a->restore_inodes = 2;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct dt_event_hdr *h = data;
	struct agent *a = ctx;

	if (size < sizeof(*h) || h->size > size)
		return 0;
	check_seq(a, h);
	/* A batch of process answers (proctab_tick) spans a bounded number of records. */
	if (!(++a->records & 4095))
		proctab_tick(&a->pt);
	pl_raw(&a->pl, data, size);
	/* What the pipeline cannot do alone: read the counters the record points at. */
	switch (h->type) {
	case DT_EV_FILE_ACCESS:
		if (h->size >= sizeof(struct dt_ev_file_access))
			reconcile_first(&a->rc, data);
		break;
	case DT_EV_PROC_EXIT:
		if (h->size >= sizeof(struct dt_ev_proc_exit)) {
			proc_gone(a, ((const struct dt_ev_proc_exit *)data)->tgid);
			proctab_stale(&a->pt, ((const struct dt_ev_proc_exit *)data)->tgid);
		}
		break;
	case DT_EV_EGRESS:
		if (h->size >= sizeof(struct dt_ev_egress)) {
			reconcile_egress(&a->rc, &((const struct dt_ev_egress *)data)->key);
			if (a->fleet)
				fleet_on_egress(a->fleet, &((const struct dt_ev_egress *)data)->key);
		}
		break;
	case DT_EV_ENFORCE:
		if (h->size >= sizeof(struct dt_ev_enforce))
			reconcile_enforce(&a->rc, &((const struct dt_ev_enforce *)data)->key);
		break;
	case DT_EV_AGENT:
		if (h->size >= sizeof(struct dt_ev_agent))
			on_agent_event(a, data);
		break;
	}
	return 0;
}

static void report_gap(struct agent *a, const char *source, int cpu, uint64_t lost, uint64_t now)
{
	struct gap_record g = {
		.start_ns = a->last_check_ns,
		.end_ns = now,
		.source = source,
		.cpu = cpu,
		.lost = lost,
		.seq = ++a->gap_seq,
	};

	dt_log("datatrail: %s: lost %llu records on cpu %d\n", source,
	       (unsigned long long)lost, cpu);
	reconcile_loss(&a->rc);
	pl_gap(&a->pl, &g);
}

static void spool_gap_step(struct agent *a, struct spool_gap *g, uint64_t refused,
			   uint64_t taken, uint64_t since, uint64_t now);

/*
 * The tables that lose live taint when full (docs/architecture.md, "What a flood can do"):
 * chan evicts (LRU: lru_watch counts it when it may) or refuses an insert; inodes refuses a
 * derived file. Reported by episode: a flood goes on for many flushes.
 */
static void check_tables(struct agent *a, uint64_t now)
{
	int fd = bpf_map__fd(a->skel->maps.chan);
	uint64_t before, after, n, lost = 0, v;

	before = __atomic_load_n(&a->skel->bss->dt_chan_count, __ATOMIC_RELAXED);
	if (lru_watch_due(&a->chan_watch, before) &&
	    !kstate_count(fd, sizeof(struct dt_chan_key), sizeof(struct dt_taint), &n)) {
		after = __atomic_load_n(&a->skel->bss->dt_chan_count, __ATOMIC_RELAXED);
		a->chan_entries = n;
		lost = lru_watch_counted(&a->chan_watch, before, n, after);
	}
	v = __atomic_load_n(&a->skel->bss->dt_chan_fail, __ATOMIC_RELAXED);
	lost += v - a->chan_fail_prev;
	a->chan_fail_prev = v;
	spool_gap_step(a, &a->chan_gap, lost, 1, a->last_check_ns, now);
	v = __atomic_load_n(&a->skel->bss->dt_derived_full, __ATOMIC_RELAXED);
	spool_gap_step(a, &a->derived_gap, v - a->derived_full_prev, 1, a->last_check_ns, now);
	a->derived_full_prev = v;
}

/* Turns every new kernel-side loss since the last check into a visibility_gap finding. */
static void check_stats(struct agent *a)
{
	uint32_t zero = 0;
	uint64_t now = now_ns(CLOCK_MONOTONIC), shm_full, ia32;

	if (bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.stats), &zero, a->stats_cur))
		return;
	for (int c = 0; c < a->ncpus; c++) {
		struct dt_stats *p = &a->stats_prev[c], *s = &a->stats_cur[c];

		if (s->dropped > p->dropped)
			report_gap(a, "ring_buffer", c, s->dropped - p->dropped, now);
		if (s->acc_full > p->acc_full)
			report_gap(a, "acc_map_full", c, s->acc_full - p->acc_full, now);
		if (s->inode_full > p->inode_full)
			report_gap(a, "inode_map_full", c, s->inode_full - p->inode_full, now);
		if (s->proc_full > p->proc_full)
			report_gap(a, "proc_map_full", c, s->proc_full - p->proc_full, now);
		if (s->taint_full > p->taint_full)
			report_gap(a, "taint_map_full", c, s->taint_full - p->taint_full, now);
		if (s->egress_full > p->egress_full)
			report_gap(a, "egress_map_full", c, s->egress_full - p->egress_full, now);
	}
	/* Refusals that happened but could not be counted (the enforce map was full). */
	if (a->opts->enforce != DT_ENF_OFF && a->skel->bss->dt_enf_full > a->enf_full_seen) {
		report_gap(a, "enforce_map_full", -1, a->skel->bss->dt_enf_full - a->enf_full_seen,
			   now);
		a->enf_full_seen = a->skel->bss->dt_enf_full;
	}
	memcpy(a->stats_prev, a->stats_cur, a->ncpus * sizeof(*a->stats_cur));
	/*
	 * Shared mappings not remembered: one global counter (bpf/chan.bpf.c). A table that
	 * fills stays full while the workload runs: one episode with the running count, not a
	 * finding per check; it closes at the first check without a new loss.
	 */
	shm_full = __atomic_load_n(&a->skel->bss->dt_shm_full, __ATOMIC_RELAXED);
	spool_gap_step(a, &a->shm_gap, shm_full - a->shm_full_prev, 1, a->last_check_ns, now);
	a->shm_full_prev = shm_full;
	/* Tainted processes that made an ia32 call not followed (bpf/ia32.bpf.c), once each. */
	ia32 = __atomic_load_n(&a->skel->bss->dt_ia32_gap, __ATOMIC_RELAXED);
	if (ia32 > a->ia32_gap_prev) {
		report_gap(a, "ia32_syscall", -1, ia32 - a->ia32_gap_prev, now);
		a->ia32_gap_prev = ia32;
	}
	check_tables(a, now);
	a->last_check_ns = now;
}

/* A running count is reported again at most this often while the spool stays full. */
#define SPOOL_GAP_UPDATE_NS (60 * 1000000000ULL)

/*
 * One stream's refusals as one visibility_gap episode. It opens at the first record refused
 * (Create), is updated with the running count at most once a minute while records keep being
 * refused, and a last time when it closes: in an interval where the spool took records of the
 * stream and refused none, or at stop. A full spool refuses the gap findings too; they count
 * in the episode instead of raising one new gap per flush.
 */
static void spool_gap_step(struct agent *a, struct spool_gap *g, uint64_t refused,
			   uint64_t taken, uint64_t since, uint64_t now)
{
	struct gap_record r = { .source = g->source, .cpu = -1, .end_ns = now };
	bool ends;

	if (refused && !g->open) {
		*g = (struct spool_gap){ .source = g->source, .opening = g->opening,
					 .total = g->total, .open = true, .seq = ++a->gap_seq,
					 .start_ns = since, .lost = refused };
		r.activity_id = 1;
		dt_log("datatrail: %s: %s\n", g->source, g->opening);
	} else if (g->open) {
		g->lost += refused;
	} else {
		return;
	}
	ends = a->rc.stopping || (!refused && taken);
	if (!r.activity_id && (g->lost == g->reported ||
			       (!ends && now - g->reported_ns < SPOOL_GAP_UPDATE_NS)))
		goto out;
	r.activity_id = r.activity_id ? r.activity_id : 2;
	r.start_ns = g->start_ns;
	r.lost = g->lost;
	r.seq = g->seq;
	pl_gap(&a->pl, &r);
	g->reported = g->lost;
	g->reported_ns = now;
out:
	if (ends) {
		dt_log("datatrail: %s: %llu %s\n", g->source, (unsigned long long)g->lost, g->total);
		g->open = false;
	}
}

/* Records the Kafka path refused (spool full) become visibility_gap findings too. */
static void check_kafka(struct agent *a)
{
	struct kafka_stats st;
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (!a->kafka)
		return;
	kafka_sink_stats(a->kafka, &st);
	spool_gap_step(a, &a->spool_gap[0], st.dropped_findings - a->kstats.dropped_findings,
		       st.taken_findings - a->kstats.taken_findings, a->kafka_check_ns, now);
	spool_gap_step(a, &a->spool_gap[1], st.dropped_events - a->kstats.dropped_events,
		       st.taken_events - a->kstats.taken_events, a->kafka_check_ns, now);
	/* taken before the gap findings went out: what they cost counts in the next check */
	a->kstats = st;
	a->kafka_check_ns = now;
}

/*
 * The kernel remembers directories whose files have no classified ancestor (walkneg, see
 * bpf/file.bpf.h); inodes added to the map may be such ancestors, so those answers go.
 */
static void forget_walks(struct agent *a)
{
	__atomic_fetch_add(&a->skel->bss->dt_walk_gen, 1, __ATOMIC_SEQ_CST);
}






/*
 * A new inventory takes effect without a restart: datasets keep their kernel slots, the
 * inode map follows, the pipeline (and the trace) learn it. A bad one changes nothing.
 */
static void reload_inventory(struct agent *a)
{
	int ifd = bpf_map__fd(a->skel->maps.inodes), dfd = bpf_map__fd(a->skel->maps.devs);
	struct inventory *inv = NULL;
	struct errbuf eb = {};
	int err;

	err = inventory_load(a->opts->inventory, &inv, &eb);
	if (!err) {
		err = kstate_align(bpf_map__fd(a->skel->maps.dsnames), inv, &eb);
		if (err)
			inventory_free(inv);
	}
	if (err) {
		dt_log("datatrail: reload: %s; the inventory in force stays\n", eb.msg);
		a->metrics.c.reload_failures++;
		return;
	}
	inventory_resolve_exes(inv, stderr, "datatrail: reload: ");
	err = kstate_sync_inodes(ifd, dfd, inv);
	if (err) {
		/* The map may now hold part of each: put the old inventory back in full. */
		dt_log("datatrail: reload: inode map: %s; the inventory in force stays\n",
		       strerror(-err));
		kstate_sync_inodes(ifd, dfd, a->inv);
		forget_walks(a);
		inventory_free(inv);
		a->metrics.c.reload_failures++;
		return;
	}
	agent_mark_files(a);
	forget_walks(a);
	pl_set_inventory(&a->pl, inv);
	pl_slots(&a->pl);
	if (a->fleet)
		fleet_set_inventory(a->fleet, inv);
	inventory_free(a->inv);
	a->inv = inv;
	a->inventory_version++;
	err = agent_enf_load_policy(a);
	if (err)
		dt_log("datatrail: reload: enforcement policy: %s\n", strerror(-err));
	dt_log("datatrail: inventory '%s' reloaded: %zu datasets, %zu inodes\n",
	       a->opts->inventory, inv->n_datasets, inv->n_inodes);
}

/* Watches the inventory's directory: editors replace files rather than write them in place. */
static void watch_inventory(struct agent *a)
{
	char *copy = strdup(a->opts->inventory), *dir;

	a->inotify_fd = -1;
	if (!copy)
		return;
	a->inv_name = strdup(basename(copy));
	strcpy(copy, a->opts->inventory);
	dir = dirname(copy);
	a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->inotify_fd >= 0 &&
	    inotify_add_watch(a->inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
		dt_log("datatrail: watch '%s': %s; reload with SIGHUP\n", dir,
		       strerror(errno));
		close(a->inotify_fd);
		a->inotify_fd = -1;
	}
	free(copy);
}

static bool inventory_changed(struct agent *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	if (a->inotify_fd < 0 || !a->inv_name)
		return false;
	while ((n = read(a->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && !strcmp(ev->name, a->inv_name) &&
			    (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return changed;
}

/* SIGHUP: the inventory and the secret files named in the config are read again. */
static void reload(struct agent *a)
{
	struct errbuf eb = {};

	reload_inventory(a);
	/* logrotate renames the outputs, then signals: new files under the old names. */
	if (sink_reopen(&a->events, &eb) || sink_reopen(&a->findings, &eb))
		dt_log("datatrail: reopen: %s\n", eb.msg);

	if (a->kafka && kafka_sink_reload_secrets(a->kafka, &eb))
		dt_log("datatrail: %s\n", eb.msg);
	else if (a->kafka)
		dt_log("datatrail: kafka: secrets re-read\n");
}

/* Opens the config and, where it enables Kafka, the sink with its spool. */
/* The cgroup id the kernel took when @pid became tracked (identity of a process gone since). */
static int cgroup_id_of(void *ctx, uint32_t pid, uint64_t *id)
{
	struct agent *a = ctx;

	if (bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.proc_cgroup), &pid, id))
		return -errno;
	return 0;
}

/* The path the kernel recorded for cgroup @id: "/" names[depth - 1] ... "/" names[0]. */
static int cgroup_path_of(void *ctx, uint64_t id, char *out, size_t n)
{
	struct agent *a = ctx;
	struct dt_cgpath cp;
	size_t len = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.cgpaths), &id, &cp))
		return -errno;
	if (!cp.depth || cp.depth > DT_CG_DEPTH)
		return -ENOENT;
	out[0] = 0;
	/* A cut path keeps its place: ".." components are skipped by the parser. */
	if (cp.truncated)
		len = snprintf(out, n, "/..");
	for (int i = cp.depth - 1; i >= 0 && len < n; i--)
		len += snprintf(out + len, n - len, "/%.*s", DT_CG_NAME, cp.names[i]);
	return len < n ? 0 : -ENAMETOOLONG;
}

static int open_config(struct agent *a)
{
	struct errbuf eb = {};
	int err;

	err = config_load(a->opts->config_path, &a->cfg, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	if (!a->cfg->kafka.present || !a->cfg->kafka.enabled)
		return 0;
	err = kafka_sink_open(a->cfg, NULL, &a->kafka, &eb);
	if (err)
		dt_log("datatrail: %s\n", eb.msg);
	a->kafka_check_ns = now_ns(CLOCK_MONOTONIC);
	return err;
}






/* Tells systemd (Type=notify) @msg: READY=1 once up, WATCHDOG=1 while alive; a no-op outside it. */
static void notify_systemd(const char *msg)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static bool warned;
	socklen_t len;
	int fd;

	if (!sock || !*sock || strlen(sock) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, sock, strlen(sock));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract namespace */
	len = offsetof(struct sockaddr_un, sun_path) + strlen(sock);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	/* Once: a watchdog ping that fails would otherwise say so every few seconds. */
	if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, len) < 0 && !warned) {
		dt_log("datatrail: notify socket '%s': %s\n", sock, strerror(errno));
		warned = true;
	}
	close(fd);
}

static int touch_ready(const char *path, struct errbuf *err)
{
	char buf[32];
	int fd, n;

	fd = outfile_open("ready file", path, O_TRUNC, 0600, err);
	if (fd < 0)
		return fd;
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, n) != n) {
		close(fd);
		return errbuf_set(err, -EIO, "ready file '%s': %s", path, strerror(EIO));
	}
	close(fd);
	return 0;
}




/* Which BPF build and hooks run on this kernel, and what it lacks (status "kernel"). */
static void status_kernel(struct agent *a, struct jbuf *jb)
{
	const char *p = a->kernel_notes, *nl;

	jb_obj_open(jb, "kernel");
	jb_str(jb, "bpf_build", a->bpf_compat ? "compat" : "main");
	jb_str(jb, "bpf_build_why", a->bpf_compat ? a->bpf_compat : "");
	jb_str(jb, "hooks", hooks_mode_name(a->opts->hooks));
	jb_str(jb, "syscall_hooks", a->hooks_be.name);
	jb_str(jb, "syscall_hooks_why", a->hooks_be.why);
	jb_str(jb, "syscall_tracepoints_kept", a->hooks_be.kept_tracepoints);
	jb_str(jb, "path_changes_seen_by", agent_path_changes_seen_by(a));
	jb_str(jb, "ia32_syscalls", a->hooks_be.ia32);
	jb_arr_open(jb, "notes");
	while (*p) {
		nl = strchr(p, '\n');
		jb_strn(jb, NULL, p, nl ? (size_t)(nl - p) : strlen(p));
		p = nl ? nl + 1 : p + strlen(p);
	}
	jb_arr_close(jb);
	jb_obj_close(jb);
}


/* Opens the trace writer and records the run's start; messages name the directory. */
static int open_trace(struct agent *a)
{
	const struct agent_opts *o = a->opts;
	struct trace_opts to = { .host = a->hostname };
	uint8_t key[TRACE_KEY_LEN];
	struct errbuf eb = {};
	int err;

	if (o->trace_key) {
		err = trace_key_load(o->trace_key, key, &eb);
		if (err) {
			dt_log("datatrail: %s\n", eb.msg);
			return err;
		}
		to.key = key;
	}
	err = trace_writer_open(o->trace_dir, &to, &a->trace, &eb);
	explicit_bzero(key, sizeof(key));
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	err = pl_record_to(&a->pl, a->trace);
	if (err)
		dt_log("datatrail: trace '%s': %s\n", o->trace_dir,
		       trace_writer_error(a->trace));
	return err;
}



/* The enforcement state: mode, where it hangs, the policy in force and what it refused. */
static void write_enforce_status(struct agent *a, struct jbuf *jb)
{
	uint64_t refused[3] = {}, bytes = 0;
	size_t n_block = 0, n_kill = 0, it = 0;
	struct dt_enf_val *v;

	for (size_t i = 0; i < a->inv->n_datasets; i++) {
		n_block += a->inv->datasets[i].enforce == INV_ENFORCE_BLOCK;
		n_kill += a->inv->datasets[i].enforce == INV_ENFORCE_KILL;
	}
	while (hmap_next(&a->rc.enf_seen, &it, NULL, (void **)&v)) {
		if (v->action <= DT_ENF_KILL)
			refused[v->action] += v->attempts;
		bytes += v->bytes;
	}
	jb_obj_open(jb, "enforcement");
	jb_str(jb, "mode", enf_mode_name(a->opts->enforce));
	jb_bool(jb, "attached", a->enf_links[0] != NULL);
	jb_str(jb, "cgroup", a->enf_cgroup);
	jb_u64(jb, "datasets_block", n_block);
	jb_u64(jb, "datasets_kill", n_kill);
	jb_u64(jb, "policy_loads", a->enf_gen);
	jb_u64(jb, "refused_block", refused[DT_ENF_BLOCK]);
	jb_u64(jb, "refused_kill", refused[DT_ENF_KILL]);
	jb_u64(jb, "bytes_refused", bytes);
	jb_u64(jb, "sockets_marked", a->opts->enforce ? a->skel->bss->dt_enf_socks_n : 0);
	jb_u64(jb, "map_full", a->opts->enforce ? a->skel->bss->dt_enf_full : 0);
	jb_obj_close(jb);
}

/*
 * The status file `datatrail status` reads: written whole to a temporary name and renamed,
 * so a reader never sees half of one.
 */
static void write_fleet_status(struct agent *a, struct jbuf *jb)
{
	struct fleet_stats st = {};

	if (a->fleet)
		fleet_stats(a->fleet, &st);
	jb_obj_open(jb, "fleet");
	jb_bool(jb, "enabled", a->fleet != NULL);
	jb_u64(jb, "advisories_produced", st.produced);
	jb_u64(jb, "produce_errors", st.produce_errors);
	jb_u64(jb, "advisories_delivered", st.delivered);
	jb_u64(jb, "advisories_spooled", st.spooled);
	jb_u64(jb, "advisories_dropped", st.dropped);
	jb_u64(jb, "delivery_errors", st.delivery_errors);
	jb_u64(jb, "advisories_consumed", st.consumed);
	jb_u64(jb, "matched", st.matched);
	jb_u64(jb, "unmatched", st.unmatched);
	jb_u64(jb, "not_ours", st.not_ours);
	jb_u64(jb, "rejected_signature", st.rejected_sig);
	jb_u64(jb, "rejected_malformed", st.rejected_bad);
	jb_u64(jb, "duplicates", st.duplicates);
	jb_u64(jb, "stale", st.stale);
	jb_u64(jb, "foreign_datasets", st.foreign_ds);
	jb_u64(jb, "foreign_dropped", st.foreign_full);
	jb_u64(jb, "egress_merged", st.egress_merged);
	jb_u64(jb, "receiver_sends_forgotten", st.rx_forgotten);
	jb_obj_close(jb);
}

static void write_status(struct agent *a, bool running)
{
	const char *path = a->opts->status_file;
	uint64_t totals[6] = {};

	if (!path || !*path)
		return;
	struct trace_writer_stats ts = {};
	char tmp[PATH_MAX];
	struct errbuf eb = {};
	struct jbuf jb;
	bool ok = false;
	int fd;

	if (a->trace)
		trace_writer_stats(a->trace, &ts);
	for (int c = 0; c < a->ncpus; c++) {
		totals[0] += a->stats_prev[c].emitted;
		totals[1] += a->stats_prev[c].dropped;
		totals[2] += a->stats_prev[c].acc_full;
		totals[3] += a->stats_prev[c].inode_full + a->stats_prev[c].proc_full;
		totals[4] += a->stats_prev[c].taint_full;
		totals[5] += a->stats_prev[c].egress_full;
	}
	jb_init(&jb);
	jb_obj_open(&jb, NULL);
	jb_u64(&jb, "pid", getpid());
	jb_bool(&jb, "running", running);
	jb_bool(&jb, "attached", running);
	jb_u64(&jb, "updated_ms", now_ns(CLOCK_REALTIME) / 1000000);
	jb_u64(&jb, "flush_ms", a->flush_ms);
	jb_obj_open(&jb, "inventory");
	jb_str(&jb, "file", a->opts->inventory);
	jb_u64(&jb, "datasets", a->inv->n_datasets);
	jb_u64(&jb, "inodes", a->inv->n_inodes);
	jb_u64(&jb, "version", a->inventory_version);
	jb_obj_close(&jb);
	jb_obj_open(&jb, "counters");
	jb_u64(&jb, "kernel_records", totals[0]);
	jb_u64(&jb, "ring_buffer_dropped", totals[1]);
	jb_u64(&jb, "acc_map_full", totals[2]);
	jb_u64(&jb, "inode_or_proc_map_full", totals[3]);
	jb_u64(&jb, "taint_map_full", totals[4]);
	jb_u64(&jb, "egress_map_full", totals[5]);
	jb_u64(&jb, "chan_entries", a->chan_entries);
	jb_u64(&jb, "chan_table_full", a->chan_watch.evicted + a->chan_fail_prev);
	jb_u64(&jb, "derived_table_full", a->derived_full_prev);
	jb_u64(&jb, "seq_lost", a->seq_lost);
	jb_u64(&jb, "taints_restored", a->taints_restored);
	jb_u64(&jb, "shadow_errors", a->rc.shadow_errors);
	jb_u64(&jb, "counter_read_errors", a->rc.read_errors);
	jb_u64(&jb, "events_written", a->events.lines);
	jb_u64(&jb, "findings_written", a->findings.lines);
	jb_u64(&jb, "events_write_errors", a->events.errors);
	jb_u64(&jb, "findings_write_errors", a->findings.errors);
	/* What the correlator counted instead of a finding (docs/findings.md, lifecycle). */
	jb_u64(&jb, "late_after_close", a->pl.corr.late_after_close);
	jb_u64(&jb, "derived_copies_expected", a->pl.corr.derived_expected);
	jb_obj_close(&jb);
	write_enforce_status(a, &jb);
	write_fleet_status(a, &jb);
	status_kernel(a, &jb);
	jb_obj_open(&jb, "kafka");
	jb_bool(&jb, "enabled", a->kafka != NULL);
	jb_u64(&jb, "produced", a->kstats.produced);
	jb_u64(&jb, "delivered", a->kstats.delivered);
	jb_u64(&jb, "delivery_errors", a->kstats.delivery_errors);
	jb_u64(&jb, "spooled", a->kstats.spooled);
	jb_u64(&jb, "spool_bytes", a->kstats.spool_bytes);
	jb_u64(&jb, "dropped_findings", a->kstats.dropped_findings);
	jb_u64(&jb, "dropped_events", a->kstats.dropped_events);
	jb_u64(&jb, "corrupt_records", a->kstats.corrupt_records);
	jb_u64(&jb, "spool_write_errors", a->kstats.spool_write_errors);
	jb_bool(&jb, "spool_full", a->spool_gap[0].open || a->spool_gap[1].open);
	jb_str(&jb, "last_error", a->kstats.last_error);
	jb_obj_close(&jb);
	jb_obj_open(&jb, "trace");
	jb_bool(&jb, "enabled", a->trace != NULL);
	jb_u64(&jb, "records", ts.records);
	jb_u64(&jb, "segments", ts.segments);
	jb_u64(&jb, "dropped_records", ts.dropped_records + a->pl.trace_errors);
	jb_u64(&jb, "write_errors", ts.write_errors);
	jb_obj_close(&jb);
	/* Workload identity: resolutions at first sight, and what they cost (docs/identity.md). */
	jb_obj_open(&jb, "identity");
	jb_str(&jb, "node_name", a->hostname);
	jb_u64(&jb, "resolved", a->pl.ids.resolved);
	jb_u64(&jb, "failed", a->pl.ids.failed);
	jb_u64(&jb, "cgroups_resolved", a->pl.ids.cgroup_reads);
	jb_u64(&jb, "from_kernel", a->pl.ids.by_cgroup_id);
	jb_u64(&jb, "unverified", a->pl.ids.unverified);
	jb_u64(&jb, "resolve_ns", a->pl.ids.resolve_ns);
	jb_u64(&jb, "cache_resets", a->pl.ids.resets);
	jb_obj_close(&jb);
	jb_obj_close(&jb);
	/* a fresh random name each time (O_EXCL): a name planted beside it is never followed */
	fd = outfile_tmp("status", path, 0640, tmp, sizeof(tmp), &eb);
	if (fd >= 0) {
		if (jb_finish(&jb) || write(fd, jb.buf, jb.len) != (ssize_t)jb.len) {
			errbuf_set(&eb, -EIO, "status '%s': cannot write it", path);
			close(fd);
			unlink(tmp);
		} else if (close(fd) || rename(tmp, path)) {
			/* rename replaces a link at @path itself, never what it points to */
			errbuf_set(&eb, -errno, "status '%s': %s", path, strerror(errno));
			unlink(tmp);
		} else {
			ok = true;
		}
	}
	if (!ok && !a->status_warned) {
		dt_log("datatrail: %s\n", eb.msg);
		a->status_warned = true;
	}
	jb_free(&jb);
}

/*
 * systemd's WatchdogSec= comes as WATCHDOG_USEC (and WATCHDOG_PID, when set, must be ours):
 * pings at half the period, from the main loop, so that a wedged loop stops them.
 */
static uint64_t watchdog_period_ns(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!usec || (pid && strtol(pid, NULL, 10) != getpid()))
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || !v) {
		dt_log("datatrail: WATCHDOG_USEC '%s': not a number of microseconds\n",
		       usec);
		return 0;
	}
	return v * 1000 / 2;
}

/* --metrics, else the config's metrics.listen: the server and what it reads. */
static int open_metrics(struct agent *a)
{
	const char *listen = a->opts->metrics_listen;
	const char *what = "option '--metrics'";
	struct metrics_auth auth = {};
	struct errbuf eb = {};
	void *pos;
	int err;

	if (!listen && a->cfg && a->cfg->metrics_listen) {
		listen = a->cfg->metrics_listen;
		what = "config: metrics.listen";
	}
	if (!listen || !*listen)
		return 0;
	if (a->cfg)
		auth = (struct metrics_auth){ .token_file = a->cfg->metrics_token_file,
					      .tls_cert_file = a->cfg->metrics_tls_cert_file,
					      .tls_key_file = a->cfg->metrics_tls_key_file,
					      .tls_client_ca_file = a->cfg->metrics_tls_ca_file };
	err = metrics_open(&a->metrics, what, listen, &auth, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	/* The consumer and producer positions, read-only: how full the ring buffer is. */
	pos = mmap(NULL, 2 * getpagesize(), PROT_READ, MAP_SHARED,
		   bpf_map__fd(a->skel->maps.events), 0);
	if (pos != MAP_FAILED)
		a->rb_pos = pos;
	dt_log("datatrail: metrics on %s://%s/metrics%s%s\n",
	       a->metrics.tls ? "https" : "http", listen,
	       a->metrics.token ? ", bearer token required" : "",
	       a->metrics.tls_ca ? ", client certificate required" : "");
	return 0;
}

static void publish_metrics(struct agent *a)
{
	static const char *const maps[] = { "acc", "taint", NULL };
	uint64_t entries[2], capacity[2];
	struct metrics_input in = {
		.stats = a->stats_prev,
		.ncpus = a->ncpus,
		.records_read = a->records,
		.seq_lost = a->seq_lost,
		.events_written = a->events.lines,
		.findings_written = a->findings.lines,
		.events_errors = a->events.errors,
		.findings_errors = a->findings.errors,
		.ringbuf_size = bpf_map__max_entries(a->skel->maps.events),
		.map_names = maps,
		.map_entries = entries,
		.map_capacity = capacity,
		.inventory_generation = a->inventory_version,
		.inventory_datasets = a->inv->n_datasets,
		.inventory_inodes = a->inv->n_inodes,
		.kafka = a->kafka != NULL,
		.kstats = a->kstats,
		.trace_lost = a->pl.trace_errors,
		.last_flush_ms = a->last_flush_ms,
		.flush_ms = a->flush_ms,
		.hooks_mode = hooks_mode_name(a->opts->hooks),
		.syscall_hooks = a->hooks_be.name,
	};

	if (!a->metrics.httpd)
		return;
	if (a->rb_pos) {
		uint64_t cons = __atomic_load_n(&a->rb_pos[0], __ATOMIC_ACQUIRE);
		uint64_t prod = __atomic_load_n(&a->rb_pos[getpagesize() / 8], __ATOMIC_ACQUIRE);

		in.ringbuf_used = prod - cons;
	}
	/* The mirrors the agent keeps; counting the kernel maps would cost a walk each. */
	entries[0] = hmap_count(&a->rc.seen);
	capacity[0] = bpf_map__max_entries(a->skel->maps.acc);
	entries[1] = hmap_count(&a->pl.corr.taints);
	capacity[1] = bpf_map__max_entries(a->skel->maps.taint);
	if (a->trace) {
		struct trace_writer_stats ts;

		trace_writer_stats(a->trace, &ts);
		in.trace_lost += ts.dropped_records;
	}
	metrics_publish(&a->metrics, &in);
}

/* An advisory tainted a receiver here: the pipeline hears of it as of a kernel record. */
static void fleet_tainted(void *ctx, const struct dt_ev_taint *e, const struct remote_origin *o)
{
	struct agent *a = ctx;

	corr_remote(&a->pl.corr, e->tgid, o);
	pl_raw(&a->pl, e, sizeof(*e));
	dt_log("datatrail: fleet: pid %u tainted by %s pid %u (%s)\n", e->tgid, o->node,
	       o->pid, o->flow);
}

/*
 * A dataset another node's advisory names and this inventory lacks: a slot of its own, named
 * in the kernel's dataset slots and the trace, judged by the advisory's policy.
 */
static int fleet_foreign(void *ctx, const char *id, enum dt_label label,
			 const struct inv_cidr *egress, size_t n_egress, uint32_t *index)
{
	struct agent *a = ctx;
	struct dt_dsname dn = {};
	int err;

	err = inventory_add_foreign(a->inv, id, label, egress, n_egress, index);
	if (err)
		return err;
	snprintf(dn.id, sizeof(dn.id), "%s", id);
	if (bpf_map_update_elem(bpf_map__fd(a->skel->maps.dsnames), index, &dn, BPF_ANY))
		return -errno;
	pl_slots(&a->pl);
	dt_log("datatrail: fleet: dataset '%s' (%s) is another node's: slot %u\n", id,
	       dt_label_name(label), *index);
	return 0;
}


/*
 * Inventory, outputs, configuration, pipeline and trace: all that is checked and opened before
 * the kernel is touched, so that bad input fails before anything is attached. What it leaves
 * half done, agent_close() undoes.
 */
static int agent_open(struct agent *a)
{
	struct errbuf eb = {};
	int err;

	/* Planted outputs are refused now, not after attach when they are first written. */
	if ((a->opts->ready_file && outfile_check("ready file", a->opts->ready_file, &eb)) ||
	    (a->opts->status_file && *a->opts->status_file &&
	     outfile_check("status", a->opts->status_file, &eb))) {
		dt_log("datatrail: %s\n", eb.msg);
		return -EPERM;
	}
	if (a->opts->ready_file)
		unlink(a->opts->ready_file); /* a stale one would claim readiness too early */
	err = inventory_load(a->opts->inventory, &a->inv, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	inventory_resolve_exes(a->inv, stderr, "datatrail: ");
	err = sink_open(&a->events, "events", a->opts->events_path, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	err = sink_open(&a->findings, "findings", a->opts->findings_path, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	if (a->opts->rotate_mb) {
		sink_set_rotate(&a->events, (uint64_t)a->opts->rotate_mb << 20, a->opts->rotate_keep);
		sink_set_rotate(&a->findings, (uint64_t)a->opts->rotate_mb << 20, a->opts->rotate_keep);
	}

	/* The configuration first: it may name the node, which every record and finding uid carries. */
	if (a->opts->config_path) {
		err = open_config(a);
		if (err)
			return err;
		if (!a->opts->flush_ms_given && a->cfg->flush_ms)
			a->flush_ms = a->cfg->flush_ms;
	}
	id_node_name(a->opts->node_name ? a->opts->node_name : a->cfg ? a->cfg->node_name : NULL,
		     a->hostname, sizeof(a->hostname));
	/* Before capabilities are dropped: the scope's namespaces are entered for addresses. */
	err = fleet_open(a->opts->config_path, a->cfg, a->hostname, &a->opts->scope, &a->fleet, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	pl_init(&a->pl, a->inv, &a->pt, true, a->hostname,
		(int64_t)now_ns(CLOCK_REALTIME) - (int64_t)now_ns(CLOCK_MONOTONIC), event_out,
		finding_out, a);
	{
		char machine_id[64];

		if (!id_machine_id(machine_id, sizeof(machine_id)))
			pl_set_machine_id(&a->pl, machine_id);
	}
	if (a->cfg) {
		a->pl.ids.dirs = a->cfg->container_state_dirs;
		a->pl.ids.n_dirs = a->cfg->n_container_state_dirs;
		a->pl.ids.roots = a->cfg->cgroup_roots;
		a->pl.ids.n_roots = a->cfg->n_cgroup_roots;
	}
	if (a->opts->trace_dir) {
		err = open_trace(a);
		if (err)
			return err;
	}
	err = pl_devices(&a->pl, a->cfg ? a->cfg->devices : NULL, a->cfg ? a->cfg->n_devices : 0, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	a->ncpus = libbpf_num_possible_cpus();
	if (a->ncpus <= 0) {
		err = a->ncpus ? a->ncpus : -EINVAL;
		dt_log("datatrail: cannot count cpus: %s\n", strerror(-err));
		return err;
	}
	a->stats_prev = calloc(a->ncpus, sizeof(*a->stats_prev));
	a->stats_cur = calloc(a->ncpus, sizeof(*a->stats_cur));
	a->next_seq = calloc(a->ncpus, sizeof(*a->next_seq));
	if (!a->stats_prev || !a->stats_cur || !a->next_seq)
		return -ENOMEM;

	return 0;
}

/*
 * The BPF side: open the object the kernel takes, size and pin the maps, load, fill, attach,
 * register the agent's objects, then drop capabilities. What it leaves half done,
 * agent_close() undoes.
 */
static int agent_attach(struct agent *a)
{
	int err;

	err = agent_bpf_load(a);
	if (err)
		return err;
	err = pl_device_maps(&a->pl, bpf_map__fd(a->skel->maps.gpu_devs),
			     bpf_map__fd(a->skel->maps.gpu_acc), bpf_map__fd(a->skel->maps.taint),
			     bpf_map__fd(a->skel->maps.gpu_stats));
	if (err) {
		dt_log("datatrail: fill device map: %s\n", strerror(-err));
		return err;
	}
	a->pt.procs_fd = bpf_map__fd(a->skel->maps.procs);
	a->pl.ids.cgroup_id_of = cgroup_id_of;
	a->pl.ids.cgroup_path_of = cgroup_path_of;
	a->pl.ids.cgroup_id_ctx = a;
	proctab_seed(bpf_map__fd(a->skel->maps.procs));
	agent_seed_taints(a);
	agent_chan_watch(a);
	a->rc_fds[RC_ACC] = bpf_map__fd(a->skel->maps.acc);
	a->rc_fds[RC_ACC_SEEN] = bpf_map__fd(a->skel->maps.acc_seen);
	a->rc_fds[RC_EGRESS] = bpf_map__fd(a->skel->maps.egress);
	a->rc_fds[RC_EGRESS_SEEN] = bpf_map__fd(a->skel->maps.egress_seen);
	a->rc_fds[RC_ENFORCE] = bpf_map__fd(a->skel->maps.enforce);
	a->rc.enforce = a->opts->enforce != DT_ENF_OFF;
	reconcile_load_seen(&a->rc);
	if (a->cfg) {
		a->pl.mounts.blockdevs = a->cfg->egress_block_devices;
		a->pl.mounts.n_blockdevs = a->cfg->n_egress_block_devices;
	}
	a->mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	scan_mounts(a, true);
	err = agent_enf_load_policy(a);
	if (err) {
		dt_log("datatrail: enforcement policy: %s\n", strerror(-err));
		return err;
	}
	scope_load(&a->opts->scope, a->skel->bss->dt_scope);
	a->skel->bss->dt_scope_n = a->opts->scope.n;
	if (a->fleet) {
		a->skel->bss->dt_fleet_on = 1;
		fleet_set_maps(a->fleet, bpf_map__fd(a->skel->maps.taint),
			       bpf_map__fd(a->skel->maps.chan), bpf_map__fd(a->skel->maps.flows),
			       bpf_map__fd(a->skel->maps.egsrc), bpf_map__fd(a->skel->maps.egress),
			       bpf_map__fd(a->skel->maps.egress_seen), bpf_map__fd(a->skel->maps.procs),
			       (uint64_t *)&a->skel->bss->dt_chan_count, a->inv,
			       &(struct fleet_hooks){ .ctx = a, .tainted = fleet_tainted,
						      .foreign = fleet_foreign });
	}

	err = agent_bpf_attach(a, on_event);
	if (err)
		return err;
	/*
	 * After the drop: capabilities are per thread, and the server's thread, which reads
	 * from the network, must not start with more than the rest.
	 */
	err = open_metrics(a);
	if (err)
		return err;

	return 0;
}

/* Signals, readiness and the first status: the agent is up once this returns 0. */
static int agent_ready(struct agent *a)
{
	struct sigaction sa = { .sa_handler = on_signal }, noop = { .sa_handler = on_noop };
	struct errbuf eb = {};
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/*
	 * A stray signal must not stop the agent. Caught rather than ignored: the kernel drops
	 * an ignored signal before its tracepoint would say who sent it.
	 */
	sigaction(SIGPIPE, &noop, NULL);
	sigaction(SIGUSR1, &noop, NULL);
	sigaction(SIGUSR2, &noop, NULL);
	a->last_check_ns = now_ns(CLOCK_MONOTONIC);
	if (a->opts->ready_file) {
		err = touch_ready(a->opts->ready_file, &eb);
		if (err) {
			dt_log("datatrail: %s\n", eb.msg);
			return err;
		}
	}
	watch_inventory(a);
	a->inventory_version = 1;
	if (a->opts->status_file && *a->opts->status_file) {
		char *dir = strdup(a->opts->status_file);

		if (dir)
			mkdir(dirname(dir), 0755);
		free(dir);
	}
	write_status(a, true);
	notify_systemd("READY=1");
	dt_log("datatrail: watching %zu datasets, %zu inodes\n", a->inv->n_datasets,
	       a->inv->n_inodes);

	return 0;
}

/* Records, flushes, reloads and pings until a stop signal. */
static void agent_loop(struct agent *a)
{
	uint64_t next_flush, next_ping;
	int err;

	a->watchdog_ns = watchdog_period_ns();
	next_flush = now_ns(CLOCK_MONOTONIC) + a->flush_ms * 1000000ULL;
	next_ping = now_ns(CLOCK_MONOTONIC);
	while (!stop_requested) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int timeout = now >= next_flush ? 0 : (int)((next_flush - now) / 1000000);

		if (a->watchdog_ns && now >= next_ping) {
			notify_systemd("WATCHDOG=1");
			next_ping = now + a->watchdog_ns;
		}
		proctab_tick(&a->pt);
		scan_mounts(a, false);
		err = ring_buffer__poll(a->rb, timeout > 100 ? 100 : timeout);
		if (err < 0 && err != -EINTR) {
			dt_log("datatrail: ring buffer poll: %s\n", strerror(-err));
			break;
		}
		/* The kernel wakes us only once data piles up; the rest is collected here. */
		ring_buffer__consume(a->rb);
		if (reload_requested) {
			reload_requested = 0;
			reload(a);
		} else if (inventory_changed(a)) {
			reload_inventory(a);
		}
		if (a->kafka)
			kafka_sink_poll(a->kafka, 0);
		if (a->fleet)
			fleet_poll(a->fleet);
		if ((now = now_ns(CLOCK_MONOTONIC)) >= next_flush) {
			proctab_tick(&a->pt);
			/*
			 * An upgrade replaces an allowed program by a new inode (rename): the
			 * few paths are stat()ed again each flush, before its counters are judged.
			 */
			if (inventory_resolve_exes(a->inv, stderr, "datatrail: "))
				pl_exes(&a->pl);
			flush_periodic(a);
			check_stats(a);
			check_kafka(a);
			scan_devices(a);
			a->last_flush_ms = now_ns(CLOCK_REALTIME) / 1000000;
			metrics_count_flush(&a->metrics.c, (now_ns(CLOCK_MONOTONIC) - now) / 1e9);
			publish_metrics(a);
			write_status(a, true);
			if (a->trace)
				trace_writer_flush(a->trace);
			next_flush = now_ns(CLOCK_MONOTONIC) + a->flush_ms * 1000000ULL;
		}
		sink_flush(&a->events);
		sink_flush(&a->findings);
	}

}

/* The last records and counters, the final status and summary; returns 0 or -EIO on loss. */
static int agent_stop(struct agent *a)
{
	int err;

	/* Final: whatever is still in the ring buffer, then every counter's remainder. */
	ring_buffer__consume(a->rb);
	a->rc.stopping = true;
	flush_periodic(a);
	check_stats(a);
	pl_stop(&a->pl);
	check_kafka(a); /* closes a spool_full episode, counting what the last findings cost */
	if (a->kafka)
		kafka_sink_stats(a->kafka, &a->kstats); /* the final status: every drop */
	if (a->kafka) {
		/* What the broker does not confirm in time stays in the spool for the next run. */
		kafka_sink_close(a->kafka, 5000);
		a->kafka = NULL;
	}
	sink_flush(&a->events);
	sink_flush(&a->findings);
	write_status(a, false);
	if (a->opts->ready_file)
		unlink(a->opts->ready_file);
	if (a->seq_lost)
		dt_log("datatrail: %llu records missing by sequence number\n",
		       (unsigned long long)a->seq_lost);
	dt_log("datatrail: stopped: %llu events, %llu findings written\n",
	       (unsigned long long)a->events.lines, (unsigned long long)a->findings.lines);
	err = (a->events.errors || a->findings.errors) ? -EIO : 0;
	if (a->trace) {
		struct trace_writer_stats ts;

		trace_writer_stats(a->trace, &ts);
		if (ts.dropped_records || ts.write_errors || a->pl.trace_errors) {
			dt_log("datatrail: trace '%s': %llu records lost\n", a->opts->trace_dir,
			       (unsigned long long)(ts.dropped_records + a->pl.trace_errors));
			err = -EIO;
		}
	}

	return err;
}

/* Undoes agent_open() and agent_attach(), whole or half done. @err: the run's, or 0. */
static int agent_close(struct agent *a, int err)
{
	agent_enf_detach(a);
	ring_buffer__free(a->rb);
	/* Before the maps go: the server reads none of them, but rb_pos maps one. */
	metrics_close(&a->metrics);
	if (a->rb_pos)
		munmap((void *)a->rb_pos, 2 * getpagesize());
	datatrail_bpf__destroy(a->skel);
	fleet_close(a->fleet);
	kafka_sink_close(a->kafka, 0);
	config_free(a->cfg);
	if (a->trace && trace_writer_close(a->trace) && !err) {
		dt_log("datatrail: trace '%s': %s\n", a->opts->trace_dir,
		       trace_writer_error(a->trace));
		err = -EIO;
	}
	sink_close(&a->findings);
	sink_close(&a->events);
	inventory_free(a->inv);
	if (a->inotify_fd > 0)
		close(a->inotify_fd);
	free(a->inv_name);
	if (a->mountinfo_fd >= 0)
		close(a->mountinfo_fd);
	pl_free(&a->pl);
	reconcile_free(&a->rc);
	proctab_free(&a->pt);
	free(a->stats_prev);
	free(a->stats_cur);
	free(a->next_seq);
	return err;
}

int agent_run(const struct agent_opts *opts)
{
	struct agent a = { .opts = opts, .mountinfo_fd = -1 };
	int err;

	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	reconcile_init(&a.rc, &reconcile_bpf_ops, a.rc_fds, &rc_to_pipeline, &a.pl);
	proctab_init(&a.pt, -1);
	a.flush_ms = opts->flush_ms;
	a.spool_gap[0].source = "kafka_spool_full_findings";
	a.spool_gap[1].source = "kafka_spool_full_events";
	for (int i = 0; i < 2; i++) {
		a.spool_gap[i].opening = "the spool refuses records";
		a.spool_gap[i].total = "records refused in all";
	}
	a.shm_gap.source = "shm_table_full";
	a.shm_gap.opening = "shared mappings not remembered (taint may not reach every holder)";
	a.shm_gap.total = "shared mappings not remembered in all";
	a.chan_gap = (struct spool_gap){ .source = "chan_table_full",
					 .opening = "channels evicted or refused: their taint may be lost",
					 .total = "channels lost in all" };
	a.derived_gap = (struct spool_gap){
		.source = "derived_table_full",
		.opening = "derived files not remembered: the inode map is full",
		.total = "derived files lost in all" };

	err = agent_open(&a);
	if (!err)
		err = agent_attach(&a);
	if (!err)
		err = agent_ready(&a);
	if (!err) {
		agent_loop(&a);
		err = agent_stop(&a);
	}
	err = agent_close(&a, err);
	return err ? 1 : 0;
}
