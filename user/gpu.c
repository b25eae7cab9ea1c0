// SPDX-License-Identifier: GPL-2.0
/* gpu.c - GPU and bypass devices: device table, counters, Memory Activity, findings; see gpu.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base.h"
#include "finding.h"
#include "gpu.h"
#include "log.h"
#include "proctab.h"

#define KIND_MAX DT_DEV_NVIDIA_FS
#define CHAIN_MAX 5
/* A gpu_memory_read whose reader carries no dataset names none. */
#define DATASET_UNKNOWN UINT32_MAX

/* What a process did with devices of one kind, opens aside. */
struct gpu_use {
	uint64_t ops;
	uint64_t bytes;
	uint64_t first_ns;
	uint64_t last_ns;
	uint32_t rdev; /* the first device it used: the finding's evidence */
	uint32_t uid;
};

struct gpu_proc {
	uint64_t start_ns;
	struct dt_taint taint; /* every dataset seen on the process while it used devices */
	struct gpu_use use[KIND_MAX + 1];
	struct gpu_use read_proc; /* UVM_TOOLS_READ_PROCESS_MEMORY */
};

struct gpu_shadow {
	uint64_t bytes;
	uint64_t ops;
};

struct gpu_finding_key {
	uint32_t kind; /* enum gpu_finding_kind */
	uint32_t tgid;
	uint64_t start_ns;
	uint32_t dataset; /* index, or DATASET_UNKNOWN */
	uint32_t dev_kind;
};

struct gpu_finding {
	char uid[FINDING_UID_LEN];
	uint64_t bytes;
	uint64_t ops;
	uint64_t reported_bytes;
	uint64_t reported_ops;
	uint64_t next_bytes;
	uint64_t next_ops;
	uint64_t first_ns;
	uint64_t last_ns;
	uint32_t actor_uid;
	bool created;
	char path[256];
};

static const char *const op_names[] = {
	[DT_DOP_OPEN] = "open",
	[DT_DOP_MMAP] = "mmap",
	[DT_DOP_IOCTL] = "ioctl",
	[DT_DOP_NV_ALLOC] = "nv_alloc",
	[DT_DOP_NV_FREE] = "nv_free",
	[DT_DOP_NV_CONTROL] = "nv_control",
	[DT_DOP_NV_MAP] = "nv_map_memory",
	[DT_DOP_NV_MAP_DMA] = "nv_map_memory_dma",
	[DT_DOP_NV_UNMAP] = "nv_unmap",
	[DT_DOP_NV_EXPORT] = "nv_export",
	[DT_DOP_NV_IMPORT] = "nv_import",
	[DT_DOP_UVM_INIT] = "uvm_initialize",
	[DT_DOP_UVM_MIGRATE] = "uvm_migrate",
	[DT_DOP_UVM_MAP_EXTERNAL] = "uvm_map_external",
	[DT_DOP_UVM_MEM_MAP] = "uvm_mem_map",
	[DT_DOP_UVM_FREE] = "uvm_free",
	[DT_DOP_UVM_READ_PROC] = "uvm_read_process_memory",
	[DT_DOP_UVM_WRITE_PROC] = "uvm_write_process_memory",
	[DT_DOP_UVM_TOOLS] = "uvm_tools_session",
	[DT_DOP_KFD_ALLOC] = "kfd_alloc",
	[DT_DOP_KFD_FREE] = "kfd_free",
	[DT_DOP_KFD_MAP] = "kfd_map",
	[DT_DOP_KFD_IMPORT] = "kfd_import_dmabuf",
	[DT_DOP_KFD_EXPORT] = "kfd_export_dmabuf",
	[DT_DOP_KFD_SVM] = "kfd_svm",
	[DT_DOP_KFD_CRIU] = "kfd_criu",
	[DT_DOP_KFD_QUEUE] = "kfd_create_queue",
	[DT_DOP_KFD_DEBUG] = "kfd_debug_trap",
	[DT_DOP_DRM_EXPORT] = "drm_prime_export",
	[DT_DOP_DRM_IMPORT] = "drm_prime_import",
	[DT_DOP_DRM_DRIVER] = "drm_driver",
	[DT_DOP_RDMA_REG_MR] = "rdma_reg_mr",
	[DT_DOP_RDMA_CREATE_QP] = "rdma_create_qp",
	[DT_DOP_RDMA_POST_SEND] = "rdma_post_send",
	[DT_DOP_RDMA_VERBS] = "rdma_verbs",
	[DT_DOP_GDS_READ] = "gds_read",
	[DT_DOP_GDS_WRITE] = "gds_write",
	[DT_DOP_GDS_MAP] = "gds_map",
	[DT_DOP_GDS_BATCH] = "gds_batch",
};

const char *gpu_op_name(uint32_t op)
{
	return op < ARRAY_SIZE(op_names) && op_names[op] ? op_names[op] : "unknown";
}

int gpu_op_activity(uint32_t op, const char **name)
{
	switch (op) {
	case DT_DOP_NV_ALLOC:
	case DT_DOP_KFD_ALLOC:
		*name = "Allocate Page";
		return 1;
	case DT_DOP_UVM_MIGRATE:
		*name = "Modify Page";
		return 2;
	case DT_DOP_NV_FREE:
	case DT_DOP_NV_UNMAP:
	case DT_DOP_UVM_FREE:
	case DT_DOP_KFD_FREE:
		*name = "Delete Page";
		return 3;
	case DT_DOP_UVM_READ_PROC:
		*name = "Read";
		return 7;
	case DT_DOP_UVM_WRITE_PROC:
		*name = "Write";
		return 8;
	case DT_DOP_MMAP:
	case DT_DOP_NV_MAP:
	case DT_DOP_NV_MAP_DMA:
	case DT_DOP_UVM_MAP_EXTERNAL:
	case DT_DOP_UVM_MEM_MAP:
	case DT_DOP_KFD_MAP:
	case DT_DOP_GDS_MAP:
	case DT_DOP_RDMA_REG_MR:
		*name = "Map View";
		return 9;
	}
	*name = "Other";
	return 99;
}

/* The device table */

void gpu_init_empty(struct gpu *g)
{
	memset(g, 0, sizeof(*g));
	g->acc_fd = g->taint_fd = g->stats_fd = -1;
	/* 8-byte keys: hmap puts a value right after its key, and these hold pointers and u64s. */
	hmap_init(&g->paths, sizeof(uint64_t), sizeof(char *));
	hmap_init(&g->shadow, sizeof(struct dt_dev_key), sizeof(struct gpu_shadow));
	hmap_init(&g->procs, sizeof(uint64_t), sizeof(struct gpu_proc));
	hmap_init(&g->findings, sizeof(struct gpu_finding_key), sizeof(struct gpu_finding));
	jb_init(&g->jb);
}

void gpu_free(struct gpu *g)
{
	void *v;

	for (size_t i = 0; i < g->n_devs; i++)
		free(g->devs[i].path);
	free(g->devs);
	for (size_t it = 0; hmap_next(&g->paths, &it, NULL, &v);)
		free(*(char **)v);
	hmap_free(&g->paths);
	hmap_free(&g->shadow);
	hmap_free(&g->procs);
	hmap_free(&g->findings);
	jb_free(&g->jb);
	free(g->stats_prev);
	free(g->stats_cur);
	g->devs = NULL;
	g->n_devs = 0;
	g->stats_prev = g->stats_cur = NULL;
}

static uint32_t any_minor(uint32_t major)
{
	return major << 20 | DT_DEV_ANY_MINOR;
}

/* Adds or replaces the row for @rdev: a later source (the configuration) wins. */
static int add_dev(struct gpu *g, uint32_t rdev, uint32_t kind, const char *path)
{
	struct gpu_dev *d = NULL, *nd;
	char *p = NULL;

	if (path) {
		p = strdup(path);
		if (!p)
			return -ENOMEM;
	}
	for (size_t i = 0; i < g->n_devs; i++)
		if (g->devs[i].rdev == rdev)
			d = &g->devs[i];
	if (!d) {
		nd = realloc(g->devs, (g->n_devs + 1) * sizeof(*nd));
		if (!nd) {
			free(p);
			return -ENOMEM;
		}
		g->devs = nd;
		d = &g->devs[g->n_devs++];
		d->path = NULL;
	}
	free(d->path);
	d->rdev = rdev;
	d->kind = kind;
	d->path = p;
	return 0;
}

/* Majors fixed by Documentation/admin-guide/devices.txt and the drivers themselves. */
int gpu_add_builtin(struct gpu *g)
{
	static const struct {
		uint32_t major;
		uint32_t kind;
	} fixed[] = {
		{ 195, DT_DEV_NVIDIA }, /* NV_MAJOR_DEVICE_NUMBER: nvidiaN, nvidia-modeset, nvidiactl */
		{ 226, DT_DEV_DRM },    /* DRM_MAJOR: cardN, renderDN */
		{ 231, DT_DEV_RDMA },   /* IB_UVERBS_MAJOR (and umad, issm below 192) */
	};
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		err = add_dev(g, any_minor(fixed[i].major), fixed[i].kind, NULL);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The "Character devices:" part of /proc/devices, "MAJOR NAME" per line. Drivers with dynamic
 * majors register under these names; every minor of the major is the device.
 */
int gpu_add_proc_devices(struct gpu *g, const char *text)
{
	static const struct {
		const char *name;
		uint32_t kind;
	} names[] = {
		{ "nvidia", DT_DEV_NVIDIA },
		{ "nvidia-frontend", DT_DEV_NVIDIA },
		{ "nvidia-uvm", DT_DEV_NVIDIA_UVM },
		{ "nvidia-caps", DT_DEV_NVIDIA_CAPS },
		{ "nvidia-fs", DT_DEV_NVIDIA_FS },
		{ "kfd", DT_DEV_AMDKFD },
		{ "drm", DT_DEV_DRM },
		{ "infiniband_verbs", DT_DEV_RDMA },
	};
	bool chr = false;
	const char *line = text;
	int err;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[128], name[64];
		unsigned int major;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = 0;
			if (!strncmp(buf, "Character devices:", 18))
				chr = true;
			else if (!strncmp(buf, "Block devices:", 14))
				chr = false;
			else if (chr && sscanf(buf, " %u %63s", &major, name) == 2 && major < 4096)
				for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
					if (strcmp(names[i].name, name))
						continue;
					err = add_dev(g, any_minor(major), names[i].kind, NULL);
					if (err)
						return err;
				}
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int gpu_add_devices(struct gpu *g, const struct config_device *d, size_t n)
{
	int ret;

	for (size_t i = 0; i < n; i++) {
		ret = add_dev(g, d[i].rdev, d[i].kind, d[i].path);
		if (ret)
			return ret;
	}
	return 0;
}

/* nftw() has no context argument; one scan runs at a time. */
static struct gpu *scan_gpu;

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	uint64_t key;
	uint32_t rdev;
	bool created;
	char **slot;

	/* Device nodes live near the top; shared memory and hugepage mounts can be large. */
	if (type == FTW_D && (ftw->level >= 3 || !strcmp(path + ftw->base, "shm") ||
			      !strcmp(path + ftw->base, "hugepages") ||
			      !strcmp(path + ftw->base, "mqueue")))
		return FTW_SKIP_SUBTREE;
	if (!S_ISCHR(st->st_mode))
		return FTW_CONTINUE;
	rdev = dt_kdev(st->st_rdev);
	if (!gpu_kind_of(scan_gpu, rdev))
		return FTW_CONTINUE;
	key = rdev;
	slot = hmap_put(&scan_gpu->paths, &key, &created);
	if (slot && created)
		*slot = strdup(path);
	return FTW_CONTINUE;
}

int gpu_scan_nodes(struct gpu *g, const char *root)
{
	int err;

	/* The configuration's names come first: they are what the operator wrote. */
	for (size_t i = 0; i < g->n_devs; i++) {
		uint64_t key;
		bool created;
		char **slot;

		if (!g->devs[i].path)
			continue;
		key = g->devs[i].rdev;
		slot = hmap_put(&g->paths, &key, &created);
		if (!slot)
			return -ENOMEM;
		if (!created)
			free(*slot);
		*slot = strdup(g->devs[i].path);
	}
	scan_gpu = g;
	err = nftw(root, scan_one, 16, FTW_PHYS | FTW_ACTIONRETVAL);
	scan_gpu = NULL;
	return err ? -errno : 0;
}

uint32_t gpu_kind_of(const struct gpu *g, uint32_t rdev)
{
	uint32_t any = any_minor(rdev >> 20), kind = 0;

	for (size_t i = 0; i < g->n_devs; i++) {
		if (g->devs[i].rdev == rdev)
			return g->devs[i].kind;
		if (g->devs[i].rdev == any)
			kind = g->devs[i].kind;
	}
	return kind;
}

const char *gpu_dev_path(const struct gpu *g, uint32_t rdev, char *buf, size_t n)
{
	uint64_t key = rdev;
	char **p = hmap_get(&g->paths, &key);

	if (p && *p)
		return *p;
	snprintf(buf, n, "char:%u:%u", rdev >> 20, rdev & 0xfffff);
	return buf;
}

int gpu_init(struct gpu *g, const struct config_device *devices, size_t n_devices,
	     struct errbuf *err)
{
	char *text = NULL;
	size_t len;
	int ret;

	gpu_init_empty(g);
	ret = gpu_add_builtin(g);
	if (ret)
		return errbuf_set(err, ret, "device table: %s", strerror(-ret));
	/* Without /proc/devices the dynamic majors are unknown; the fixed ones still work. */
	if (!read_file_trusted("/proc/devices", &(struct file_policy){ .max = 1 << 20 },
			       "/proc/devices", &text, &len, NULL)) {
		ret = gpu_add_proc_devices(g, text);
		free(text);
		text = NULL;
		if (ret)
			return errbuf_set(err, ret, "device table: %s", strerror(-ret));
	}
	ret = gpu_add_devices(g, devices, n_devices);
	if (ret)
		return errbuf_set(err, ret, "device table: %s", strerror(-ret));
	gpu_scan_nodes(g, "/dev");
	return 0;
}

void gpu_set_output(struct gpu *g, const struct gpu_out *out)
{
	g->out = *out;
}

int gpu_load_maps(struct gpu *g, int devs_fd, int acc_fd, int taint_fd, int stats_fd)
{
	int n;

	for (size_t i = 0; devs_fd >= 0 && i < g->n_devs; i++)
		if (bpf_map_update_elem(devs_fd, &g->devs[i].rdev, &g->devs[i].kind, BPF_ANY))
			return -errno;
	g->acc_fd = acc_fd;
	g->taint_fd = taint_fd;
	g->stats_fd = -1;
	n = libbpf_num_possible_cpus();
	if (stats_fd >= 0 && n > 0) {
		g->stats_prev = calloc(n, sizeof(*g->stats_prev));
		g->stats_cur = calloc(n, sizeof(*g->stats_cur));
		if (!g->stats_prev || !g->stats_cur)
			return -ENOMEM;
		g->ncpus = n;
		g->stats_fd = stats_fd;
	}
	return 0;
}

/* Taint */

static bool taint_empty(const struct dt_taint *t)
{
	for (int i = 0; i < DT_TAINT_WORDS; i++)
		if (t->ds[i])
			return false;
	return true;
}

static void taint_or(struct dt_taint *dst, const struct dt_taint *src)
{
	for (int i = 0; i < DT_TAINT_WORDS; i++)
		dst->ds[i] |= src->ds[i];
	if (src->label > dst->label || taint_empty(dst)) {
		dst->label = src->label;
		dst->primary = src->primary;
	}
}

/* Whether or-ing @src into @dst would change it. */
static bool taint_adds(const struct dt_taint *dst, const struct dt_taint *src)
{
	struct dt_taint t = *dst;

	taint_or(&t, src);
	return memcmp(&t, dst, sizeof(t)) != 0;
}

/* The inventory indices of the datasets in @t, the overflow bit standing for its primary. */
static size_t taint_datasets(const struct inventory *inv, const struct dt_taint *t,
			     uint32_t *out, size_t max)
{
	size_t n = 0;

	for (uint32_t w = 0; w < DT_TAINT_WORDS; w++) {
		for (uint64_t bits = t->ds[w]; bits && n < max; bits &= bits - 1) {
			uint32_t i = w * 64 + __builtin_ctzll(bits);

			if (i == DT_TAINT_OVERFLOW)
				i = t->primary;
			if (inv && i < inv->n_datasets)
				out[n++] = i;
		}
	}
	return n;
}

/* OCSF */

int gpu_ocsf_event(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct gpu_record *r)
{
	struct ocsf_head h = {
		.cls = &ocsf_memory_activity,
		.severity_id = 1,
		/* Counted at syscall entry: whether the driver accepted the call is not known. */
		.status_id = 0,
		.status = "Unknown",
		.time_ms = ocsf_wall_ms(ctx, r->ts_ns),
		.profiles = OCSF_PROFILE_HOST,
	};
	char num[32];
	size_t at;

	h.activity_id = gpu_op_activity(r->op, &h.activity_name);
	h.profiles |= ocsf_profile_of(r->ident);
	at = ocsf_begin(jb, ctx, &h);
	/* ops: the ioctls (or maps) this line adds up; size: the bytes they moved or mapped */
	jb_u64(jb, "count", r->ops);
	jb_obj_open(jb, "actor");
	ocsf_process_id(jb, "process", ctx, r->proc, r->uid, r->ident);
	jb_obj_close(jb);
	ocsf_process_id(jb, "process", ctx, r->proc, r->uid, r->ident);
	if (r->bytes)
		jb_u64(jb, "size", r->bytes);

	jb_obj_open(jb, "unmapped");
	jb_str(jb, "device_kind", gpu_kind_name(r->kind));
	snprintf(num, sizeof(num), "%u:%u", r->rdev >> 20, r->rdev & 0xfffff);
	jb_str(jb, "device", num);
	jb_str(jb, "device_path", r->path);
	jb_str(jb, "ioctl_class", gpu_op_name(r->op));
	if (r->last_cmd) {
		snprintf(num, sizeof(num), "0x%08x", r->last_cmd);
		jb_str(jb, "last_cmd", num);
	}
	if (r->n_datasets) {
		jb_arr_open(jb, "datasets");
		for (size_t i = 0; i < r->n_datasets; i++)
			jb_str(jb, NULL, r->datasets[i]);
		jb_arr_close(jb);
	}
	ocsf_workload(jb, r->ident);
	jb_obj_close(jb);
	return ocsf_end(jb, at, r->ts_ns ^ r->op);
}

/* Findings */

static const char *const attacks_bypass[] = {
	"T1048", "Exfiltration Over Alternative Protocol", "TA0010", "Exfiltration",
	"AML.T0025", "Exfiltration via Cyber Means", "AML.TA0010", "Exfiltration",
	NULL,
};
static const char *const attacks_memory_read[] = {
	"T1005", "Data from Local System", "TA0009", "Collection",
	"AML.T0035", "ML Artifact Collection", "AML.TA0009", "Collection",
	NULL,
};

const char *const *gpu_finding_attacks(uint32_t kind)
{
	return kind == GF_BYPASS ? attacks_bypass : kind == GF_MEMORY_READ ? attacks_memory_read : NULL;
}

const char *gpu_finding_name(uint32_t kind)
{
	switch (kind) {
	case GF_POLICY:
		return "gpu_policy";
	case GF_BYPASS:
		return "kernel_bypass_egress";
	case GF_MEMORY_READ:
		return "gpu_memory_read";
	}
	return "unknown";
}

static int severity(uint32_t kind, const struct inv_dataset *ds)
{
	int sev = ds ? (int)ds->label : 0;

	if (kind == GF_MEMORY_READ)
		sev = ds ? sev + 1 : 4;
	return sev < 1 ? 1 : sev > 5 ? 5 : sev;
}

/* Create, Update or, when @end (the process is gone), Close with the final figures. */
static void emit_finding(struct gpu *g, const struct gpu_finding_key *k, struct gpu_finding *s,
			 bool end)
{
	const struct inventory *inv = g->out.inv;
	const struct inv_dataset *ds = NULL;
	struct proc_info chain[CHAIN_MAX];
	struct finding_record f = {};
	const char *comm, *held;
	char title[768], hbuf[320];
	size_t n;

	if (!g->out.finding_out || !g->out.octx || !g->out.pt)
		return;
	if (inv && k->dataset < inv->n_datasets)
		ds = &inv->datasets[k->dataset];
	n = proctab_chain(g->out.pt, k->tgid, chain, CHAIN_MAX);
	comm = chain[0].comm[0] ? chain[0].comm : "a process";
	f.kind = gpu_finding_name(k->kind);
	f.uid = s->uid;
	f.activity_id = !s->created ? 1 : end ? 3 : 2;
	f.severity_id = severity(k->kind, ds);
	f.first_ns = s->first_ns;
	f.last_ns = s->last_ns;
	f.chain = chain;
	f.chain_len = n;
	f.actor_uid = s->actor_uid;
	f.dataset = ds ? ds->id : "unknown";
	f.label = ds ? dt_label_name(ds->label) : "none";
	f.tags = ds ? (const char *const *)ds->tags : NULL;
	f.n_tags = ds ? ds->n_tags : 0;
	f.file_path = s->path;
	f.bytes = s->bytes;
	f.ops = s->ops;
	f.attacks = gpu_finding_attacks(k->kind);
	switch (k->kind) {
	case GF_POLICY:
		snprintf(title, sizeof(title),
			 "%s used %s device '%s' (%llu operations) while holding %s dataset '%s', "
			 "which may not reach GPUs",
			 comm, gpu_kind_name(k->dev_kind), s->path, (unsigned long long)s->ops,
			 f.label, f.dataset);
		break;
	case GF_BYPASS:
		snprintf(title, sizeof(title),
			 "%s drove RDMA device '%s' (%llu operations) while holding %s dataset '%s'",
			 comm, s->path, (unsigned long long)s->ops, f.label, f.dataset);
		break;
	case GF_MEMORY_READ:
		hbuf[0] = 0;
		if (ds)
			snprintf(hbuf, sizeof(hbuf), " while holding %s dataset '%s'", f.label,
				 f.dataset);
		held = hbuf;
		snprintf(title, sizeof(title),
			 "%s read %llu bytes of another process's GPU memory through '%s'%s", comm,
			 (unsigned long long)s->bytes, s->path, held);
		break;
	}
	f.title = title;
	f.ident = g->out.ids ? idtab_get(g->out.ids, k->tgid) : NULL;
	if (ocsf_finding(&g->jb, g->out.octx, &f) == 0) {
		g->out.finding_out(g->out.ctx, g->jb.buf, g->jb.len);
		g->emitted++;
	}
	s->created = true;
	s->reported_bytes = s->bytes;
	s->reported_ops = s->ops;
	s->next_bytes = finding_next(s->next_bytes, s->bytes);
	s->next_ops = finding_next(s->next_ops, s->ops);
}

/* Opens or moves the finding @k to the totals in @u; emits on creation or a new threshold. */
static void finding_set(struct gpu *g, uint32_t kind, uint32_t tgid, const struct gpu_proc *p,
			uint32_t dataset, uint32_t dev_kind, const struct gpu_use *u)
{
	struct gpu_finding_key k = { .kind = kind, .tgid = tgid, .start_ns = p->start_ns,
				     .dataset = dataset, .dev_kind = dev_kind };
	const struct inventory *inv = g->out.inv;
	const char *host = g->out.octx && g->out.octx->hostname ? g->out.octx->hostname : "";
	const char *id = inv && dataset < inv->n_datasets ? inv->datasets[dataset].id : "";
	struct gpu_finding *s;
	char pbuf[48];
	bool created;
	uint64_t h;

	s = hmap_put(&g->findings, &k, &created);
	if (!s)
		return;
	if (created) {
		h = hash_fnv1a(HASH_FNV1A_INIT, host, strlen(host));
		h = hash_fnv1a(h, gpu_finding_name(kind), strlen(gpu_finding_name(kind)));
		h = hash_fnv1a(h, &k.tgid, sizeof(k.tgid));
		h = hash_fnv1a(h, &k.start_ns, sizeof(k.start_ns));
		h = hash_fnv1a(h, id, strlen(id));
		h = hash_fnv1a(h, &k.dev_kind, sizeof(k.dev_kind));
		finding_uid(s->uid, h);
		s->next_bytes = FINDING_FIRST_BYTES;
		s->next_ops = FINDING_FIRST_OPS;
		s->first_ns = u->first_ns;
		s->actor_uid = u->uid;
		snprintf(s->path, sizeof(s->path), "%s",
			 gpu_dev_path(g, u->rdev, pbuf, sizeof(pbuf)));
	}
	s->bytes = u->bytes;
	s->ops = u->ops;
	s->last_ns = u->last_ns;
	if (!s->created || s->bytes >= s->next_bytes || s->ops >= s->next_ops)
		emit_finding(g, &k, s, false);
}

/*
 * The three rules, on everything known of the process so far: device use (opens aside) and
 * every dataset it carried at any point. Taint that arrives after the last device call still
 * counts: copies to a GPU need no syscall once its memory is mapped.
 */
static void evaluate(struct gpu *g, uint32_t tgid, const struct gpu_proc *p)
{
	const struct inventory *inv = g->out.inv;
	uint32_t ds[DT_TAINT_WORDS * 64];
	size_t n = taint_datasets(inv, &p->taint, ds, ARRAY_SIZE(ds)), named = 0;

	for (uint32_t kind = 1; kind <= KIND_MAX; kind++) {
		const struct gpu_use *u = &p->use[kind];

		if (!u->ops)
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct inv_dataset *d = &inv->datasets[ds[i]];

			/* A slot a reload removed classifies nothing any more. */
			if (d->retired)
				continue;
			if (kind == DT_DEV_RDMA) {
				if (d->label != DT_LABEL_PUBLIC)
					finding_set(g, GF_BYPASS, tgid, p, ds[i], kind, u);
			} else if (!d->gpu_allowed) {
				finding_set(g, GF_POLICY, tgid, p, ds[i], kind, u);
			}
		}
	}
	if (!p->read_proc.ops)
		return;
	for (size_t i = 0; i < n; i++) {
		if (inv->datasets[ds[i]].retired)
			continue;
		finding_set(g, GF_MEMORY_READ, tgid, p, ds[i], DT_DEV_NVIDIA_UVM, &p->read_proc);
		named++;
	}
	if (!named)
		finding_set(g, GF_MEMORY_READ, tgid, p, DATASET_UNKNOWN, DT_DEV_NVIDIA_UVM,
			    &p->read_proc);
}

static struct gpu_proc *proc_get(struct gpu *g, uint32_t tgid)
{
	struct proc_info pi;
	struct gpu_proc *p;
	bool created;

	p = hmap_put(&g->procs, &(uint64_t){ tgid }, &created);
	if (p && created && g->out.pt && !proctab_get(g->out.pt, tgid, &pi))
		p->start_ns = pi.start_ns;
	return p;
}

/* Hands a step taken on what the kernel or /proc said to the trace, so that replay takes it. */
static void step_record(struct gpu *g, uint32_t step, uint32_t tgid, const struct dt_dev_key *k,
			const struct dt_dev_val *v)
{
	struct dt_rec_device r = { .step = step, .tgid = tgid };

	if (!g->out.record)
		return;
	if (k)
		r.key = *k;
	if (v)
		r.val = *v;
	g->out.record(g->out.ctx, &r);
}

/* The kernel's taint of a live process: recorded when it adds to what is known. */
static void kernel_taint(struct gpu *g, uint32_t tgid, struct gpu_proc *p)
{
	struct dt_dev_val v = {};

	if (g->taint_fd < 0 || bpf_map_lookup_elem(g->taint_fd, &tgid, &v.taint))
		return;
	if (!taint_adds(&p->taint, &v.taint))
		return;
	taint_or(&p->taint, &v.taint);
	step_record(g, DT_DSTEP_TAINT, tgid, NULL, &v);
}

/* What the correlator heard of the process's taint (replayed as it is). */
static void corr_taint(struct gpu *g, uint32_t tgid, struct gpu_proc *p)
{
	const void *ct;
	struct dt_taint t;

	if (g->out.taints) {
		/* Copied out: behind a 4-byte key the correlator's value is not 8-byte aligned. */
		ct = hmap_get(g->out.taints, &tgid);
		if (ct) {
			memcpy(&t, ct, sizeof(t));
			taint_or(&p->taint, &t);
		}
	}
}

/* The process's taint now (the kernel's map while it lives, and the correlator's), then the rules. */
static void judge(struct gpu *g, uint32_t tgid, struct gpu_proc *p)
{
	kernel_taint(g, tgid, p);
	corr_taint(g, tgid, p);
	evaluate(g, tgid, p);
	step_record(g, DT_DSTEP_EVAL, tgid, NULL, NULL);
}

static void use_add(struct gpu_use *u, const struct dt_dev_key *k, const struct dt_dev_val *v,
		    uint64_t dbytes, uint64_t dops)
{
	if (!u->ops) {
		u->first_ns = v->first_ns;
		u->rdev = k->rdev;
		u->uid = v->uid;
	}
	u->ops += dops;
	u->bytes += dbytes;
	if (v->last_ns > u->last_ns)
		u->last_ns = v->last_ns;
}

static void emit_event(struct gpu *g, const struct dt_dev_key *k, const struct dt_dev_val *v,
		       uint64_t dbytes, uint64_t dops)
{
	const struct inventory *inv = g->out.inv;
	uint32_t ds[DT_TAINT_WORDS * 64];
	const char *names[DT_TAINT_WORDS * 64];
	struct gpu_record r = {};
	struct proc_info pi;
	char pbuf[48];
	size_t n;

	if (!g->out.event_out || !g->out.octx)
		return;
	if (!g->out.pt || proctab_get(g->out.pt, k->tgid, &pi)) {
		memset(&pi, 0, sizeof(pi));
		pi.pid = k->tgid;
	}
	n = taint_datasets(inv, &v->taint, ds, ARRAY_SIZE(ds));
	for (size_t i = 0; i < n; i++)
		names[i] = inv->datasets[ds[i]].id;
	r.ts_ns = v->last_ns;
	r.proc = &pi;
	r.uid = v->uid;
	r.rdev = k->rdev;
	r.path = gpu_dev_path(g, k->rdev, pbuf, sizeof(pbuf));
	r.kind = k->kind;
	r.op = k->op;
	r.last_cmd = v->last_cmd;
	r.bytes = dbytes;
	r.ops = dops;
	r.datasets = names;
	r.n_datasets = n;
	r.ident = g->out.ids ? idtab_get(g->out.ids, k->tgid) : NULL;
	if (gpu_ocsf_event(&g->jb, g->out.octx, &r) == 0)
		g->out.event_out(g->out.ctx, g->jb.buf, g->jb.len);
}

/* Reports one counter's news since the last call for its key; returns its process's state. */
static struct gpu_proc *counter_update(struct gpu *g, const struct dt_dev_key *k,
				       const struct dt_dev_val *v)
{
	struct gpu_shadow *s;
	struct gpu_proc *p;

	s = hmap_put(&g->shadow, k, NULL);
	p = proc_get(g, k->tgid);
	if (!s || !p)
		return p;
	if (v->ops > s->ops || v->bytes > s->bytes) {
		uint64_t dbytes = v->bytes - s->bytes, dops = v->ops - s->ops;

		emit_event(g, k, v, dbytes, dops);
		/* Opening a node, or an ioctl no table names (isatty() on it), is not use. */
		if (k->op != DT_DOP_OPEN && k->op != DT_DOP_IOCTL && k->kind <= KIND_MAX)
			use_add(&p->use[k->kind], k, v, dbytes, dops);
		if (k->op == DT_DOP_UVM_READ_PROC)
			use_add(&p->read_proc, k, v, dbytes, dops);
		s->bytes = v->bytes;
		s->ops = v->ops;
	}
	if (!taint_empty(&v->taint))
		taint_or(&p->taint, &v->taint);
	step_record(g, DT_DSTEP_COUNTER, k->tgid, k, v);
	return p;
}

/* Reads one counter from gpu_acc and reports it; @final also forgets the counter. */
static struct gpu_proc *flush_key(struct gpu *g, const struct dt_dev_key *k, bool final)
{
	struct gpu_proc *p;
	struct dt_dev_val v;

	if (g->acc_fd < 0 || bpf_map_lookup_elem(g->acc_fd, k, &v)) {
		if (hmap_del(&g->shadow, k))
			step_record(g, DT_DSTEP_FORGET, k->tgid, k, NULL);
		return NULL;
	}
	p = counter_update(g, k, &v);
	if (final) {
		bpf_map_delete_elem(g->acc_fd, k);
		hmap_del(&g->shadow, k);
		step_record(g, DT_DSTEP_FORGET, k->tgid, k, NULL);
	}
	return p;
}

void gpu_counter(struct gpu *g, const struct dt_dev_key *k, const struct dt_dev_val *v)
{
	struct gpu_proc *p = counter_update(g, k, v);

	if (!p)
		return;
	judge(g, k->tgid, p);
}

void gpu_on_device(struct gpu *g, const struct dt_ev_device *e)
{
	struct dt_dev_key k = e->key;
	struct gpu_proc *p;

	k.pad = 0;
	p = flush_key(g, &k, false);
	if (!p)
		return;
	judge(g, k.tgid, p);
}

/*
 * Last updates of @tgid's (0: every) findings that moved; @forget drops them and the process,
 * after a Close of each, moved or not.
 */
static void finish(struct gpu *g, uint32_t tgid, bool forget)
{
	struct gpu_finding_key *k;
	struct gpu_finding *s;
	size_t it = 0;

	while (hmap_next(&g->findings, &it, (void **)&k, (void **)&s)) {
		if (tgid && k->tgid != tgid)
			continue;
		if ((forget && s->created) || s->bytes != s->reported_bytes ||
		    s->ops != s->reported_ops)
			emit_finding(g, k, s, forget);
		if (forget)
			hmap_del(&g->findings, k);
	}
	if (forget && tgid)
		hmap_del(&g->procs, &(uint64_t){ tgid });
}

/* finish(), decided on what /proc said: recorded. */
static void finish_step(struct gpu *g, uint32_t tgid, bool forget)
{
	finish(g, tgid, forget);
	step_record(g, DT_DSTEP_FINISH, tgid, &(struct dt_dev_key){ .op = forget }, NULL);
}

static void report_gap(struct gpu *g, const char *source, int cpu, uint64_t lost, uint64_t now)
{
	struct gap_record gr = {
		.start_ns = g->last_check_ns,
		.end_ns = now,
		.source = source,
		.cpu = cpu,
		.lost = lost,
		.seq = ++g->gap_seq,
	};

	if (g->out.gap) {
		/* The pipeline's visibility gaps: printed, written as findings and recorded there. */
		g->out.gap(g->out.ctx, &gr);
		return;
	}
	dt_log("datatrail: %s: lost %llu records on cpu %d\n", source,
	       (unsigned long long)lost, cpu);
	if (g->out.finding_out && g->out.octx && !ocsf_visibility_gap(&g->jb, g->out.octx, &gr))
		g->out.finding_out(g->out.ctx, g->jb.buf, g->jb.len);
}

static void check_stats(struct gpu *g)
{
	uint64_t now = mono_ns();
	uint32_t zero = 0;

	if (g->stats_fd < 0)
		return;
	if (!g->last_check_ns)
		g->last_check_ns = now;
	if (bpf_map_lookup_elem(g->stats_fd, &zero, g->stats_cur))
		return;
	for (int c = 0; c < g->ncpus; c++) {
		const struct dt_gpu_stats *p = &g->stats_prev[c], *s = &g->stats_cur[c];

		if (s->acc_full > p->acc_full)
			report_gap(g, "gpu_acc_map_full", c, s->acc_full - p->acc_full, now);
		if (s->read_fault > p->read_fault)
			report_gap(g, "gpu_ioctl_arg_unreadable", c, s->read_fault - p->read_fault,
				   now);
	}
	memcpy(g->stats_prev, g->stats_cur, g->ncpus * sizeof(*g->stats_cur));
	g->last_check_ns = now;
}

void gpu_flush(struct gpu *g, uint32_t tgid, bool final)
{
	struct dt_dev_key *keys = NULL, k, *prev = NULL;
	struct hmap gone;
	size_t n = 0, cap = 0, it = 0;
	struct gpu_proc *p;
	uint64_t *tk;
	uint32_t *pk, t;

	hmap_init(&gone, sizeof(uint32_t), 0);
	/* Keys first: deleting during bpf_map_get_next_key() would restart the walk. */
	while (g->acc_fd >= 0 && !bpf_map_get_next_key(g->acc_fd, prev, &k)) {
		if (n == cap) {
			struct dt_dev_key *nk;

			cap = cap ? cap * 2 : 64;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk)
				break;
			keys = nk;
		}
		keys[n] = k;
		prev = &keys[n++];
	}
	for (size_t i = 0; i < n; i++) {
		bool dead;

		if (tgid && keys[i].tgid != tgid)
			continue;
		dead = !tgid && proc_is_gone(keys[i].tgid);
		if (dead)
			hmap_put(&gone, &keys[i].tgid, NULL);
		flush_key(g, &keys[i], final || dead);
	}
	free(keys);

	if (tgid) {
		p = hmap_get(&g->procs, &(uint64_t){ tgid });
		if (p) {
			judge(g, tgid, p);
		}
		if (final)
			finish_step(g, tgid, true);
	} else {
		while (hmap_next(&g->procs, &it, (void **)&tk, (void **)&p)) {
			t = *tk;
			judge(g, t, p);
			if (proc_is_gone(t))
				hmap_put(&gone, &t, NULL);
		}
		it = 0;
		while (hmap_next(&gone, &it, (void **)&pk, NULL))
			finish_step(g, *pk, true);
		check_stats(g);
	}
	hmap_free(&gone);
}

void gpu_stop(struct gpu *g)
{
	finish(g, 0, false);
}

void gpu_replay(struct gpu *g, const struct dt_rec_device *r)
{
	struct dt_dev_key k = r->key;
	struct gpu_proc *p;

	k.pad = 0;
	switch (r->step) {
	case DT_DSTEP_COUNTER:
		counter_update(g, &k, &r->val);
		break;
	case DT_DSTEP_FORGET:
		hmap_del(&g->shadow, &k);
		break;
	case DT_DSTEP_TAINT:
		p = proc_get(g, r->tgid);
		if (p)
			taint_or(&p->taint, &r->val.taint);
		break;
	case DT_DSTEP_EVAL:
		p = hmap_get(&g->procs, &(uint64_t){ r->tgid });
		if (p) {
			corr_taint(g, r->tgid, p);
			evaluate(g, r->tgid, p);
		}
		break;
	case DT_DSTEP_FINISH:
		finish(g, r->tgid, r->key.op);
		break;
	}
}

int gpu_add_path(struct gpu *g, uint32_t rdev, const char *path)
{
	uint64_t key = rdev;
	bool created;
	char **slot, *copy;

	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	slot = hmap_put(&g->paths, &key, &created);
	if (!slot) {
		free(copy);
		return -ENOMEM;
	}
	if (!created)
		free(*slot);
	*slot = copy;
	return 0;
}
