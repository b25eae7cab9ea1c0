// SPDX-License-Identifier: GPL-2.0
/* ocsf.c - OCSF encoders; see ocsf.h and docs/architecture.md for the field mapping. */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "base.h"
#include "hmap.h"
#include "inventory.h"
#include "ocsf.h"

const char *dt_access_name(uint32_t access)
{
	switch (access) {
	case DT_ACC_READ:
		return "read";
	case DT_ACC_MMAP:
		return "mmap";
	case DT_ACC_SENDFILE:
		return "sendfile";
	case DT_ACC_SPLICE:
		return "splice";
	case DT_ACC_COPY_FILE_RANGE:
		return "copy_file_range";
	case DT_ACC_IO_URING:
		return "io_uring";
	case DT_ACC_GDS:
		return "gds";
	case DT_ACC_WRITE:
		return "write";
	case DT_ACC_TRUNCATE:
		return "truncate";
	case DT_ACC_ATTR:
		return "set_attributes";
	case DT_ACC_RENAME:
		return "rename";
	case DT_ACC_UNLINK:
		return "unlink";
	case DT_ACC_LINK:
		return "link";
	case DT_ACC_CREATE:
		return "create";
	case DT_ACC_MODIFY:
		return "modify";
	}
	return "unknown";
}

/* OCSF File System Activity: activity_id, activity_name and type_name of an access kind. */
struct file_activity {
	int id;
	const char *name;
	const char *type_name;
};

#define FILE_ACTIVITY(id, name) { id, name, "File System Activity: " name }

const struct ocsf_class ocsf_file_activity = { 1001, "File System Activity", 1, "System Activity" },
			 ocsf_memory_activity = { 1004, "Memory Activity", 1, "System Activity" },
			 ocsf_detection_finding = { 2004, "Detection Finding", 2, "Findings" };

static const struct file_activity *file_activity(uint32_t access)
{
	static const struct file_activity create = FILE_ACTIVITY(1, "Create"),
					  read = FILE_ACTIVITY(2, "Read"),
					  update = FILE_ACTIVITY(3, "Update"),
					  delete = FILE_ACTIVITY(4, "Delete"),
					  rename = FILE_ACTIVITY(5, "Rename"),
					  set_attr = FILE_ACTIVITY(6, "Set Attributes"),
					  other = FILE_ACTIVITY(99, "Other");

	switch (access) {
	case DT_ACC_WRITE:
	case DT_ACC_TRUNCATE:
	case DT_ACC_LINK:
		return &update;
	case DT_ACC_UNLINK:
		return &delete;
	case DT_ACC_RENAME:
		return &rename;
	case DT_ACC_ATTR:
		return &set_attr;
	case DT_ACC_CREATE:
		return &create;
	case DT_ACC_MODIFY:
		return &other;
	}
	return &read;
}

/* Writes @v in decimal so that it ends just before @end; returns where it starts. */
static char *dec_u64(char *end, uint64_t v)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

/* A number as a JSON string, e.g. a uid: snprintf() took a fifth of the encoder's time. */
static void str_u64(struct jbuf *jb, const char *key, uint64_t v)
{
	char buf[20], *end = buf + sizeof(buf), *p = dec_u64(end, v);

	jb_strn(jb, key, p, end - p);
}

const char *ocsf_severity_name(int severity_id)
{
	static const char *const names[] = { "Unknown", "Informational", "Low", "Medium",
					     "High",    "Critical",      "Fatal" };

	return severity_id >= 0 && severity_id <= 6 ? names[severity_id] : "Other";
}

const char *dt_addr_str(const uint8_t addr[16], char *buf, size_t n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(addr, mapped, 12))
		inet_ntop(AF_INET, addr + 12, buf, n);
	else
		inet_ntop(AF_INET6, addr, buf, n);
	return buf;
}

uint64_t ocsf_wall_ms(const struct ocsf_ctx *ctx, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + ctx->mono_to_real_ns) / 1000000;
}

const char *ocsf_base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* metadata.profiles: one name per enum ocsf_profile bit, in bit order. */
static const char *const profile_names[] = { "host", "data_classification", "container",
					      "security_control" };

/* A 64-bit id as 16 lowercase hex digits into @out (no NUL). */
static void hex64(char *out, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
}

/* What a host is named by in device.uid and process.uid: stable, the same in replay. */
static uint64_t host_hash(const struct ocsf_ctx *ctx)
{
	return hash_fnv1a(HASH_FNV1A_INIT, ctx->hostname, strlen(ctx->hostname));
}

/* "Detection Finding: Create" without snprintf(): the class name, ": ", the activity. */
static void type_name(struct jbuf *jb, const char *cls, const char *activity)
{
	char buf[128];
	size_t a = strlen(cls), b = strlen(activity);

	if (a + 2 + b > sizeof(buf))
		b = sizeof(buf) - 2 - a;
	memcpy(buf, cls, a);
	memcpy(buf + a, ": ", 2);
	memcpy(buf + a + 2, activity, b);
	jb_strn(jb, "type_name", buf, a + 2 + b);
}

/* The 36 characters of the metadata.uid placeholder, overwritten by ocsf_end(). */
#define UID_HOLDER "00000000-0000-8000-8000-000000000000"

size_t ocsf_begin(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct ocsf_head *h)
{
	char uid[16];
	size_t at;

	jb_reset(jb);
	jb_obj_open(jb, NULL);
	jb_u64(jb, "class_uid", h->cls->uid);
	jb_str(jb, "class_name", h->cls->name);
	jb_u64(jb, "category_uid", h->cls->category_uid);
	jb_str(jb, "category_name", h->cls->category_name);
	jb_u64(jb, "activity_id", h->activity_id);
	jb_str(jb, "activity_name", h->activity_name);
	jb_u64(jb, "type_uid", (uint64_t)h->cls->uid * 100 + h->activity_id);
	type_name(jb, h->cls->name, h->activity_name);
	jb_u64(jb, "severity_id", h->severity_id);
	jb_str(jb, "severity", ocsf_severity_name(h->severity_id));
	if (h->status_id >= 0) {
		jb_u64(jb, "status_id", h->status_id);
		jb_str(jb, "status", h->status);
	}
	jb_u64(jb, "time", h->time_ms);
	if (h->message)
		jb_str(jb, "message", h->message);

	jb_obj_open(jb, "metadata");
	jb_str(jb, "version", OCSF_VERSION);
	jb_strn(jb, "uid", UID_HOLDER, sizeof(UID_HOLDER) - 1);
	at = jb->len - (sizeof(UID_HOLDER) - 1) - 1;
	jb_arr_open(jb, "profiles");
	for (size_t i = 0; i < sizeof(profile_names) / sizeof(profile_names[0]); i++)
		if (h->profiles & (1u << i))
			jb_str(jb, NULL, profile_names[i]);
	jb_arr_close(jb);
	jb_obj_open(jb, "product");
	jb_str(jb, "name", "datatrail");
	jb_str(jb, "vendor_name", "datatrail");
	jb_str(jb, "version", DT_VERSION);
	jb_obj_close(jb);
	jb_obj_close(jb);

	jb_obj_open(jb, "device");
	jb_str(jb, "hostname", ctx->hostname);
	/* /etc/machine-id where known (live, or a trace's NODE record), else the node name's hash. */
	if (ctx->device_uid && ctx->device_uid[0]) {
		jb_str(jb, "uid", ctx->device_uid);
	} else {
		hex64(uid, host_hash(ctx));
		jb_strn(jb, "uid", uid, sizeof(uid));
	}
	/* The agent watches Linux servers (training and inference nodes). */
	jb_u64(jb, "type_id", 1);
	jb_str(jb, "type", "Server");
	jb_obj_close(jb);
	return at;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint64_t lane(uint64_t h, const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	h ^= le64toh(w);
	return (h << 31 | h >> 33) * 0x9e3779b97f4a7c15ULL;
}

int ocsf_end(struct jbuf *jb, size_t uid_at, uint64_t seed)
{
	uint64_t h[4] = { seed ^ 0x243f6a8885a308d3ULL, seed ^ 0x13198a2e03707344ULL,
			  seed ^ 0xa4093822299f31d0ULL, seed ^ 0x082efa98ec4e6c89ULL };
	const unsigned char *p = (const unsigned char *)jb->buf;
	size_t i = 0, n;
	uint64_t a, b, w;
	char hex[32], *u;

	jb_obj_close(jb);
	if (!jb->buf || jb->err || uid_at + 36 > jb->len)
		return jb_finish(jb);
	n = jb->len;
	/*
	 * Four independent lanes of 8 bytes each, little-endian on every host (a trace replays to
	 * the same uid anywhere): the line is hashed at about a byte per cycle, not a uid's worth
	 * of the encoder's time. Any change of the line changes a lane.
	 */
	for (; i + 32 <= n; i += 32) {
		h[0] = lane(h[0], p + i);
		h[1] = lane(h[1], p + i + 8);
		h[2] = lane(h[2], p + i + 16);
		h[3] = lane(h[3], p + i + 24);
	}
	for (; i + 8 <= n; i += 8)
		h[0] = lane(h[0], p + i);
	for (w = n; i < n; i++)
		w = w << 8 | p[i];
	a = mix64(h[0] ^ mix64(h[2] ^ w));
	b = mix64(h[1] ^ mix64(h[3] ^ n) ^ a);
	hex64(hex, a);
	hex64(hex + 16, b);
	/* RFC 9562 version 8 (custom) and variant bits. */
	hex[12] = '8';
	hex[16] = "89ab"[hex[16] >= 'a' ? (hex[16] - 'a' + 10) & 3 : (hex[16] - '0') & 3];
	u = jb->buf + uid_at;
	memcpy(u, hex, 8);
	memcpy(u + 9, hex + 8, 4);
	memcpy(u + 14, hex + 12, 4);
	memcpy(u + 19, hex + 16, 4);
	memcpy(u + 24, hex + 20, 12);
	return jb_finish(jb);
}

int ocsf_confidentiality(enum dt_label label, const char **name)
{
	switch (label) {
	case DT_LABEL_PUBLIC:
		*name = "Not Confidential";
		return 1;
	case DT_LABEL_INTERNAL:
		/* OCSF has no "internal": Other, with the inventory's word. */
		*name = "internal";
		return 99;
	case DT_LABEL_CONFIDENTIAL:
		*name = "Confidential";
		return 2;
	case DT_LABEL_RESTRICTED:
		*name = "Restricted";
		return 6;
	default:
		*name = "Unknown";
		return 0;
	}
}

void ocsf_file_open(struct jbuf *jb, const char *key, const char *path)
{
	jb_obj_open(jb, key);
	jb_str(jb, "path", path);
	jb_str(jb, "name", ocsf_base_name(path));
	jb_u64(jb, "type_id", 1);
	jb_str(jb, "type", "Regular File");
}

/* The attributes of process @p, with its ancestors (@n - 1 of them) nested as parent_process. */
static void process_body(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct proc_info *p,
			 size_t n, uint32_t uid)
{
	struct {
		uint32_t pid;
		uint32_t zero;
		uint64_t start_ns;
	} id = { p->pid, 0, p->start_ns };
	char hex[16];

	/* pid + start time: unique for the host's uptime, the same for every line of the process */
	hex64(hex, hash_fnv1a(host_hash(ctx), &id, sizeof(id)));
	jb_strn(jb, "uid", hex, sizeof(hex));
	jb_u64(jb, "pid", p->pid);
	if (p->start_ns)
		jb_u64(jb, "created_time", ocsf_wall_ms(ctx, p->start_ns));
	jb_str(jb, "name", p->comm);
	jb_str(jb, "cmd_line", p->cmdline);
	ocsf_file_open(jb, "file", p->exe);
	jb_obj_close(jb);
	jb_obj_open(jb, "user");
	str_u64(jb, "uid", uid);
	jb_obj_close(jb);
	if (n > 1) {
		jb_obj_open(jb, "parent_process");
		process_body(jb, ctx, p + 1, n - 1, p[1].uid);
		jb_obj_close(jb);
	}
}

void ocsf_process(struct jbuf *jb, const char *key, const struct ocsf_ctx *ctx,
		  const struct proc_info *p, uint32_t uid)
{
	ocsf_process_id(jb, key, ctx, p, uid, NULL);
}

void ocsf_process_id(struct jbuf *jb, const char *key, const struct ocsf_ctx *ctx,
		     const struct proc_info *p, uint32_t uid, const struct wl_identity *id)
{
	jb_obj_open(jb, key);
	process_body(jb, ctx, p, 1, uid);
	ocsf_container(jb, id);
	jb_obj_close(jb);
}

int ocsf_file_read(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct file_record *r)
{
	const struct file_activity *act = file_activity(r->access);
	struct ocsf_head h = {
		.cls = &ocsf_file_activity,
		.activity_id = act->id,
		.activity_name = act->name,
		.severity_id = 1,
		.status_id = 1,
		.status = "Success",
		.time_ms = ocsf_wall_ms(ctx, r->ts_ns),
		.profiles = OCSF_PROFILE_HOST | ocsf_profile_of(r->ident),
	};
	char uid[48], *end = uid + sizeof(uid), *p;
	const char *conf;
	size_t at;
	int conf_id;

	at = ocsf_begin(jb, ctx, &h);
	/* ops: the syscalls (or completions) this line adds up */
	jb_u64(jb, "count", r->ops);
	if (r->first_ns && r->first_ns <= r->ts_ns) {
		jb_u64(jb, "start_time", ocsf_wall_ms(ctx, r->first_ns));
		jb_u64(jb, "end_time", h.time_ms);
	}

	ocsf_file_open(jb, "file", r->path);
	/* "major:minor:inode" */
	p = dec_u64(end, r->ino);
	*--p = ':';
	p = dec_u64(p, r->dev & 0xfffff);
	*--p = ':';
	p = dec_u64(p, r->dev >> 20);
	jb_strn(jb, "uid", p, end - p);
	conf_id = ocsf_confidentiality(r->label, &conf);
	jb_u64(jb, "confidentiality_id", conf_id);
	jb_str(jb, "confidentiality", conf);
	jb_obj_close(jb);

	jb_obj_open(jb, "actor");
	ocsf_process_id(jb, "process", ctx, r->proc, r->uid, r->ident);
	jb_obj_close(jb);

	jb_obj_open(jb, "unmapped");
	jb_str(jb, "dataset", r->dataset);
	jb_u64(jb, "bytes", r->bytes);
	jb_str(jb, "access", dt_access_name(r->access));
	ocsf_workload(jb, r->ident);
	jb_obj_close(jb);
	return ocsf_end(jb, at, r->ts_ns);
}

/* finding_info.analytic: the datatrail rule that raised the finding, named by its kind. */
static void analytic(struct jbuf *jb, const char *kind)
{
	jb_obj_open(jb, "analytic");
	jb_str(jb, "uid", kind);
	jb_str(jb, "name", kind);
	jb_u64(jb, "type_id", 1);
	jb_str(jb, "type", "Rule");
	jb_obj_close(jb);
}

int ocsf_visibility_gap(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct gap_record *g)
{
	bool update = g->activity_id == 2;
	char uid[96], title[160];
	struct ocsf_head h = {
		.cls = &ocsf_detection_finding,
		.activity_id = update ? 2 : 1,
		.activity_name = update ? "Update" : "Create",
		.severity_id = 3,
		.status_id = 1,
		.status = "New",
		.time_ms = ocsf_wall_ms(ctx, g->end_ns),
		.message = title,
		.profiles = OCSF_PROFILE_HOST,
	};
	size_t at;

	snprintf(uid, sizeof(uid), "datatrail:%s:visibility_gap:%s:%d:%llu", ctx->hostname,
		 g->source, g->cpu, (unsigned long long)g->seq);
	if (g->cpu >= 0)
		snprintf(title, sizeof(title), "datatrail lost %llu records (%s) on cpu %d",
			 (unsigned long long)g->lost, g->source, g->cpu);
	else
		snprintf(title, sizeof(title), "datatrail lost %llu records (%s)",
			 (unsigned long long)g->lost, g->source);

	at = ocsf_begin(jb, ctx, &h);
	jb_u64(jb, "count", g->lost);
	jb_u64(jb, "start_time", ocsf_wall_ms(ctx, g->start_ns));
	jb_u64(jb, "end_time", ocsf_wall_ms(ctx, g->end_ns));
	jb_obj_open(jb, "finding_info");
	jb_str(jb, "uid", uid);
	jb_str(jb, "title", title);
	jb_arr_open(jb, "types");
	jb_str(jb, NULL, "visibility_gap");
	jb_arr_close(jb);
	analytic(jb, "visibility_gap");
	/* A Kafka spool episode's updates: created at its start, modified at this report. */
	jb_u64(jb, "created_time", ocsf_wall_ms(ctx, update ? g->start_ns : g->end_ns));
	if (update)
		jb_u64(jb, "modified_time", ocsf_wall_ms(ctx, g->end_ns));
	jb_obj_close(jb);
	jb_obj_open(jb, "unmapped");
	jb_str(jb, "source", g->source);
	jb_i64(jb, "cpu", g->cpu);
	jb_obj_close(jb);
	return ocsf_end(jb, at, g->end_ns ^ g->seq);
}

/*
 * One name as a technique (or sub-technique: "T1074.001", "Data Staged: Local Data
 * Staging") of ATT&CK, or of ATLAS ("AML.T0025").
 */
static void technique(struct jbuf *jb, const char *uid, const char *name)
{
	bool atlas = !strncmp(uid, "AML.", 4);
	const char *dot = strchr(uid + (atlas ? 4 : 0), '.'), *colon = strstr(name, ": ");

	jb_obj_open(jb, "technique");
	jb_strn(jb, "uid", uid, dot ? (size_t)(dot - uid) : strlen(uid));
	if (!dot || colon)
		jb_strn(jb, "name", name, dot ? (size_t)(colon - name) : strlen(name));
	jb_obj_close(jb);
	if (dot) {
		jb_obj_open(jb, "sub_technique");
		jb_str(jb, "uid", uid);
		jb_str(jb, "name", colon ? colon + 2 : name);
		jb_obj_close(jb);
	}
}

void ocsf_attacks(struct jbuf *jb, const char *const *attacks)
{
	jb_arr_open(jb, "attacks");
	for (const char *const *a = attacks; a && a[0]; a += 4) {
		jb_obj_open(jb, NULL);
		technique(jb, a[0], a[1]);
		jb_obj_open(jb, "tactic");
		jb_str(jb, "uid", a[2]);
		jb_str(jb, "name", a[3]);
		jb_obj_close(jb);
		jb_str(jb, "version",
		       !strncmp(a[0], "AML.", 4) ? OCSF_ATLAS_VERSION : OCSF_ATTACK_VERSION);
		jb_obj_close(jb);
	}
	jb_arr_close(jb);
}

/*
 * The security_control profile's action and disposition of a finding the kernel enforced:
 * blocked is Denied/Blocked, killed Denied/Other "Killed"; dry-run let it through, Allowed,
 * with what it would have done as an Other disposition. The counts go to unmapped.
 */
static void ocsf_enforcement(struct jbuf *jb, const struct finding_record *f, bool unmapped)
{
	bool dry = !strncmp(f->enforcement, "would_", 6), killed = strstr(f->enforcement, "kill");

	if (unmapped) {
		jb_obj_open(jb, "enforcement");
		jb_str(jb, "disposition", f->enforcement);
		jb_u64(jb, "attempts", f->enf_attempts);
		jb_u64(jb, "bytes_refused", f->enf_bytes);
		jb_obj_close(jb);
		return;
	}
	jb_u64(jb, "action_id", dry ? 1 : 2);
	jb_str(jb, "action", dry ? "Allowed" : "Denied");
	jb_u64(jb, "disposition_id", dry || killed ? 99 : 2);
	jb_str(jb, "disposition", dry ? (killed ? "Would Kill" : "Would Block")
				      : (killed ? "Killed" : "Blocked"));
}

int ocsf_finding(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct finding_record *f)
{
	static const char *const activities[] = { "Unknown", "Create", "Update", "Close" };
	struct ocsf_head h = {
		.cls = &ocsf_detection_finding,
		.activity_id = f->activity_id,
		.activity_name = f->activity_id >= 1 && f->activity_id <= 3 ?
					 activities[f->activity_id] : "Unknown",
		.severity_id = f->severity_id,
		/* The agent does no triage: every finding stays New for the analyst. */
		.status_id = 1,
		.status = "New",
		.time_ms = ocsf_wall_ms(ctx, f->last_ns),
		.message = f->title,
		.profiles = OCSF_PROFILE_HOST | OCSF_PROFILE_DATA_CLASSIFICATION |
			    ocsf_profile_of(f->ident) |
			    (f->enforcement ? OCSF_PROFILE_SECURITY_CONTROL : 0),
	};
	const char *conf;
	char addr[64], ifuid[16];
	size_t at;
	int conf_id;

	at = ocsf_begin(jb, ctx, &h);
	jb_u64(jb, "count", f->ops);
	jb_u64(jb, "start_time", ocsf_wall_ms(ctx, f->first_ns));
	jb_u64(jb, "end_time", ocsf_wall_ms(ctx, f->last_ns));
	if (f->enforcement)
		ocsf_enforcement(jb, f, false);

	jb_obj_open(jb, "finding_info");
	jb_str(jb, "uid", f->uid);
	jb_str(jb, "title", f->title);
	jb_arr_open(jb, "types");
	jb_str(jb, NULL, f->kind);
	jb_arr_close(jb);
	analytic(jb, f->kind);
	jb_u64(jb, "created_time", ocsf_wall_ms(ctx, f->first_ns));
	jb_u64(jb, "first_seen_time", ocsf_wall_ms(ctx, f->first_ns));
	jb_u64(jb, "last_seen_time", ocsf_wall_ms(ctx, f->last_ns));
	if (f->activity_id != 1)
		jb_u64(jb, "modified_time", ocsf_wall_ms(ctx, f->last_ns));
	ocsf_attacks(jb, f->attacks);
	jb_obj_close(jb);

	jb_arr_open(jb, "evidences");
	jb_obj_open(jb, NULL);
	jb_obj_open(jb, "process");
	process_body(jb, ctx, f->chain, f->chain_len, f->actor_uid);
	ocsf_container(jb, f->ident);
	jb_obj_close(jb);
	if (f->dst_link) {
		/* Around the socket layer: the interface, and the address where one was given. */
		jb_obj_open(jb, "dst_endpoint");
		if (f->dst_addr)
			jb_str(jb, "ip", dt_addr_str(f->dst_addr, addr, sizeof(addr)));
		if (f->dst_ifindex) {
			snprintf(ifuid, sizeof(ifuid), "%u", f->dst_ifindex);
			jb_str(jb, "interface_uid", ifuid);
		}
		if (f->dst_ifname)
			jb_str(jb, "interface_name", f->dst_ifname);
		if (!f->dst_addr && !f->dst_ifindex)
			jb_str(jb, "interface_uid", "unknown");
		jb_obj_close(jb);
		jb_obj_open(jb, "connection_info");
		jb_u64(jb, "direction_id", 2);
		jb_str(jb, "direction", "Outbound");
		jb_str(jb, "protocol_name", f->dst_proto);
		if (f->dst_proto_num >= 0)
			jb_u64(jb, "protocol_num", f->dst_proto_num);
		jb_obj_close(jb);
	} else if (f->dst_addr) {
		bool udp = f->dst_proto && !strcmp(f->dst_proto, "udp");

		jb_obj_open(jb, "dst_endpoint");
		jb_str(jb, "ip", dt_addr_str(f->dst_addr, addr, sizeof(addr)));
		jb_u64(jb, "port", f->dst_port);
		jb_obj_close(jb);
		jb_obj_open(jb, "connection_info");
		jb_u64(jb, "direction_id", 2);
		jb_str(jb, "direction", "Outbound");
		jb_str(jb, "protocol_name", f->dst_proto);
		jb_u64(jb, "protocol_num", udp ? 17 : 6);
		jb_obj_close(jb);
	}
	if (f->file_path) {
		ocsf_file_open(jb, "file", f->file_path);
		jb_obj_close(jb);
	}
	if (f->device_path) {
		jb_obj_open(jb, "file");
		jb_str(jb, "path", f->device_path);
		jb_str(jb, "name", ocsf_base_name(f->device_path));
		jb_u64(jb, "type_id", 4);
		jb_str(jb, "type", "Block Device");
		jb_obj_close(jb);
	} else if (f->mount_point) {
		/* OCSF has no mount object: the destination is the mount point's directory. */
		jb_obj_open(jb, "file");
		jb_str(jb, "path", f->mount_point);
		jb_str(jb, "name", ocsf_base_name(f->mount_point));
		jb_u64(jb, "type_id", 2);
		jb_str(jb, "type", "Folder");
		jb_obj_close(jb);
	}
	jb_obj_close(jb);
	jb_arr_close(jb);

	jb_arr_open(jb, "resources");
	jb_obj_open(jb, NULL);
	jb_str(jb, "uid", f->dataset);
	jb_str(jb, "name", f->dataset);
	jb_str(jb, "type", "dataset");
	jb_arr_open(jb, "labels");
	jb_str(jb, NULL, f->label);
	for (size_t i = 0; i < f->n_tags; i++)
		jb_str(jb, NULL, f->tags[i]);
	jb_arr_close(jb);
	jb_arr_open(jb, "data_classifications");
	jb_obj_open(jb, NULL);
	conf_id = ocsf_confidentiality(dt_label_parse(f->label), &conf);
	jb_u64(jb, "confidentiality_id", conf_id);
	jb_str(jb, "confidentiality", conf);
	jb_obj_close(jb);
	jb_arr_close(jb);
	jb_obj_close(jb);
	jb_arr_close(jb);

	jb_obj_open(jb, "unmapped");
	jb_u64(jb, "bytes", f->bytes);
	if (f->mount_point || f->mount_dev) {
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", f->mount_dev >> 20, f->mount_dev & 0xfffff);
		jb_obj_open(jb, f->device_path ? "block_device" : "mount");
		jb_str(jb, "dev", dev);
		if (f->mount_type)
			jb_str(jb, "fs_type", f->mount_type);
		if (f->mount_source)
			jb_str(jb, "source", f->mount_source);
		if (f->device_path)
			jb_str(jb, "path", f->device_path);
		if (f->mount_point)
			jb_str(jb, "mount_point", f->mount_point);
		if (f->mount_kind)
			jb_str(jb, "kind", f->mount_kind);
		jb_obj_close(jb);
	}
	if (f->operations)
		jb_str(jb, "operations", f->operations);
	if (f->file_count)
		jb_u64(jb, "file_count", f->file_count);
	if (f->file_count > 1 && f->last_file)
		jb_str(jb, "last_file", f->last_file);
	if (f->object)
		jb_str(jb, "object", f->object);
	if (f->objects)
		jb_u64(jb, "objects", f->objects);
	if (f->dst_link)
		jb_str(jb, "link", f->dst_link);
	if (f->via_hop) {
		jb_obj_open(jb, "via");
		jb_str(jb, "hop", f->via_hop);
		jb_u64(jb, "from_pid", f->via_pid);
		if (f->via_node) {
			jb_str(jb, "from_node", f->via_node);
			jb_str(jb, "from_process", f->via_comm);
			jb_str(jb, "flow", f->via_flow);
		}
		jb_obj_close(jb);
	}
	ocsf_workload(jb, f->ident);
	if (f->enforcement)
		ocsf_enforcement(jb, f, true);
	jb_obj_close(jb);
	return ocsf_end(jb, at, f->last_ns ^ ((uint64_t)f->activity_id << 62));
}
