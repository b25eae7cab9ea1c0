// SPDX-License-Identifier: GPL-2.0
/* ocsf.c - OCSF encoders; see ocsf.h and docs/architecture.md for the field mapping. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "ocsf.h"

#ifndef DT_VERSION
#define DT_VERSION "0.1.0"
#endif

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

void ocsf_metadata(struct jbuf *jb, const char *event_uid)
{
	jb_obj_open(jb, "metadata");
	jb_str(jb, "version", OCSF_VERSION);
	if (event_uid)
		jb_str(jb, "uid", event_uid);
	jb_obj_open(jb, "product");
	jb_str(jb, "name", "datatrail");
	jb_str(jb, "vendor_name", "datatrail");
	jb_str(jb, "version", DT_VERSION);
	jb_obj_close(jb);
	jb_obj_close(jb);
}

void ocsf_device(struct jbuf *jb, const struct ocsf_ctx *ctx)
{
	jb_obj_open(jb, "device");
	jb_str(jb, "hostname", ctx->hostname);
	jb_u64(jb, "type_id", 0);
	jb_obj_close(jb);
}

void ocsf_process(struct jbuf *jb, const char *key, const struct proc_info *p, uint32_t uid)
{
	jb_obj_open(jb, key);
	jb_u64(jb, "pid", p->pid);
	jb_str(jb, "name", p->comm);
	jb_str(jb, "cmd_line", p->cmdline);
	jb_obj_open(jb, "file");
	jb_str(jb, "path", p->exe);
	jb_str(jb, "name", ocsf_base_name(p->exe));
	jb_obj_close(jb);
	jb_obj_open(jb, "user");
	str_u64(jb, "uid", uid);
	jb_obj_close(jb);
	jb_obj_close(jb);
}

int ocsf_file_read(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct file_record *r)
{
	const struct file_activity *act = file_activity(r->access);
	char uid[48], *end = uid + sizeof(uid), *p;

	jb_reset(jb);
	jb_obj_open(jb, NULL);
	jb_u64(jb, "class_uid", 1001);
	jb_str(jb, "class_name", "File System Activity");
	jb_u64(jb, "category_uid", 1);
	jb_str(jb, "category_name", "System Activity");
	jb_u64(jb, "activity_id", act->id);
	jb_str(jb, "activity_name", act->name);
	jb_u64(jb, "type_uid", 100100 + act->id);
	jb_str(jb, "type_name", act->type_name);
	jb_u64(jb, "severity_id", 1);
	jb_str(jb, "severity", "Informational");
	jb_u64(jb, "status_id", 1);
	jb_str(jb, "status", "Success");
	jb_u64(jb, "time", ocsf_wall_ms(ctx, r->ts_ns));
	ocsf_metadata(jb, NULL);
	ocsf_device(jb, ctx);

	jb_obj_open(jb, "file");
	jb_str(jb, "path", r->path);
	jb_str(jb, "name", ocsf_base_name(r->path));
	jb_u64(jb, "type_id", 1);
	/* "major:minor:inode" */
	p = dec_u64(end, r->ino);
	*--p = ':';
	p = dec_u64(p, r->dev & 0xfffff);
	*--p = ':';
	p = dec_u64(p, r->dev >> 20);
	jb_strn(jb, "uid", p, end - p);
	jb_obj_close(jb);

	jb_obj_open(jb, "actor");
	ocsf_process(jb, "process", r->proc, r->uid);
	jb_obj_close(jb);

	jb_obj_open(jb, "unmapped");
	jb_str(jb, "dataset", r->dataset);
	jb_str(jb, "classification", dt_label_name(r->label));
	jb_u64(jb, "bytes", r->bytes);
	jb_u64(jb, "ops", r->ops);
	jb_str(jb, "access", dt_access_name(r->access));
	jb_obj_close(jb);
	jb_obj_close(jb);
	return jb_finish(jb);
}

int ocsf_visibility_gap(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct gap_record *g)
{
	char uid[96], title[160];

	snprintf(uid, sizeof(uid), "datatrail:%s:visibility_gap:%s:%d:%llu", ctx->hostname,
		 g->source, g->cpu, (unsigned long long)g->seq);
	if (g->cpu >= 0)
		snprintf(title, sizeof(title), "datatrail lost %llu records (%s) on cpu %d",
			 (unsigned long long)g->lost, g->source, g->cpu);
	else
		snprintf(title, sizeof(title), "datatrail lost %llu records (%s)",
			 (unsigned long long)g->lost, g->source);

	jb_reset(jb);
	jb_obj_open(jb, NULL);
	jb_u64(jb, "class_uid", 2004);
	jb_str(jb, "class_name", "Detection Finding");
	jb_u64(jb, "category_uid", 2);
	jb_str(jb, "category_name", "Findings");
	jb_u64(jb, "activity_id", 1);
	jb_str(jb, "activity_name", "Create");
	jb_u64(jb, "type_uid", 200401);
	jb_u64(jb, "severity_id", 3);
	jb_str(jb, "severity", "Medium");
	jb_u64(jb, "time", ocsf_wall_ms(ctx, g->end_ns));
	ocsf_metadata(jb, NULL);
	ocsf_device(jb, ctx);
	jb_obj_open(jb, "finding_info");
	jb_str(jb, "uid", uid);
	jb_str(jb, "title", title);
	jb_arr_open(jb, "types");
	jb_str(jb, NULL, "visibility_gap");
	jb_arr_close(jb);
	jb_u64(jb, "created_time", ocsf_wall_ms(ctx, g->end_ns));
	jb_obj_close(jb);
	jb_obj_open(jb, "unmapped");
	jb_str(jb, "source", g->source);
	jb_i64(jb, "cpu", g->cpu);
	jb_u64(jb, "lost", g->lost);
	jb_u64(jb, "start_time", ocsf_wall_ms(ctx, g->start_ns));
	jb_u64(jb, "end_time", ocsf_wall_ms(ctx, g->end_ns));
	jb_obj_close(jb);
	jb_obj_close(jb);
	return jb_finish(jb);
}

/* The process and, nested under parent_process, its ancestors. */
static void process_chain(struct jbuf *jb, const struct proc_info *chain, size_t n, uint32_t uid)
{
	jb_u64(jb, "pid", chain[0].pid);
	jb_str(jb, "name", chain[0].comm);
	jb_str(jb, "cmd_line", chain[0].cmdline);
	jb_obj_open(jb, "file");
	jb_str(jb, "path", chain[0].exe);
	jb_str(jb, "name", ocsf_base_name(chain[0].exe));
	jb_obj_close(jb);
	jb_obj_open(jb, "user");
	str_u64(jb, "uid", uid);
	jb_obj_close(jb);
	if (n > 1) {
		jb_obj_open(jb, "parent_process");
		process_chain(jb, chain + 1, n - 1, chain[1].uid);
		jb_obj_close(jb);
	}
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
	char addr[64];

	jb_reset(jb);
	jb_obj_open(jb, NULL);
	jb_u64(jb, "class_uid", 2004);
	jb_str(jb, "class_name", "Detection Finding");
	jb_u64(jb, "category_uid", 2);
	jb_str(jb, "category_name", "Findings");
	jb_u64(jb, "activity_id", f->activity_id);
	jb_str(jb, "activity_name", f->activity_id == 1 ? "Create" : "Update");
	jb_u64(jb, "type_uid", 200400 + f->activity_id);
	jb_u64(jb, "severity_id", f->severity_id);
	jb_str(jb, "severity", ocsf_severity_name(f->severity_id));
	jb_u64(jb, "status_id", 1);
	jb_str(jb, "status", "New");
	jb_u64(jb, "time", ocsf_wall_ms(ctx, f->last_ns));
	if (f->enforcement)
		ocsf_enforcement(jb, f, false);
	ocsf_metadata(jb, NULL);
	ocsf_device(jb, ctx);

	jb_obj_open(jb, "finding_info");
	jb_str(jb, "uid", f->uid);
	jb_str(jb, "title", f->title);
	jb_arr_open(jb, "types");
	jb_str(jb, NULL, f->kind);
	jb_arr_close(jb);
	jb_u64(jb, "created_time", ocsf_wall_ms(ctx, f->first_ns));
	jb_u64(jb, "first_seen_time", ocsf_wall_ms(ctx, f->first_ns));
	jb_u64(jb, "last_seen_time", ocsf_wall_ms(ctx, f->last_ns));
	jb_arr_open(jb, "attacks");
	for (const char *const *a = f->attacks; a && a[0]; a += 4) {
		jb_obj_open(jb, NULL);
		jb_obj_open(jb, "technique");
		jb_str(jb, "uid", a[0]);
		jb_str(jb, "name", a[1]);
		jb_obj_close(jb);
		jb_obj_open(jb, "tactic");
		jb_str(jb, "uid", a[2]);
		jb_str(jb, "name", a[3]);
		jb_obj_close(jb);
		jb_obj_close(jb);
	}
	jb_arr_close(jb);
	jb_obj_close(jb);

	jb_arr_open(jb, "evidences");
	jb_obj_open(jb, NULL);
	jb_obj_open(jb, "process");
	process_chain(jb, f->chain, f->chain_len, f->actor_uid);
	jb_obj_close(jb);
	if (f->dst_addr) {
		jb_obj_open(jb, "dst_endpoint");
		jb_str(jb, "ip", dt_addr_str(f->dst_addr, addr, sizeof(addr)));
		jb_u64(jb, "port", f->dst_port);
		jb_obj_close(jb);
		jb_obj_open(jb, "connection_info");
		jb_str(jb, "protocol_name", f->dst_proto);
		jb_obj_close(jb);
	}
	if (f->file_path) {
		jb_obj_open(jb, "file");
		jb_str(jb, "path", f->file_path);
		jb_str(jb, "name", ocsf_base_name(f->file_path));
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
	jb_obj_close(jb);
	jb_arr_close(jb);

	jb_obj_open(jb, "unmapped");
	jb_str(jb, "kind", f->kind);
	jb_str(jb, "dataset", f->dataset);
	jb_str(jb, "classification", f->label);
	jb_u64(jb, "bytes", f->bytes);
	jb_u64(jb, "ops", f->ops);
	if (f->operations)
		jb_str(jb, "operations", f->operations);
	if (f->via_hop) {
		jb_obj_open(jb, "via");
		jb_str(jb, "hop", f->via_hop);
		jb_u64(jb, "from_pid", f->via_pid);
		jb_obj_close(jb);
	}
	if (f->enforcement)
		ocsf_enforcement(jb, f, true);
	jb_obj_close(jb);
	jb_obj_close(jb);
	return jb_finish(jb);
}
