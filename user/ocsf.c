// SPDX-License-Identifier: GPL-2.0
/* ocsf.c - OCSF encoders; see ocsf.h and docs/architecture.md for the field mapping. */
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
	}
	return "unknown";
}

static uint64_t wall_ms(const struct ocsf_ctx *ctx, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + ctx->mono_to_real_ns) / 1000000;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void metadata(struct jbuf *jb, const char *event_uid)
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

static void device(struct jbuf *jb, const struct ocsf_ctx *ctx)
{
	jb_obj_open(jb, "device");
	jb_str(jb, "hostname", ctx->hostname);
	jb_u64(jb, "type_id", 0);
	jb_obj_close(jb);
}

static void process(struct jbuf *jb, const char *key, const struct proc_info *p, uint32_t uid)
{
	char num[16];

	jb_obj_open(jb, key);
	jb_u64(jb, "pid", p->pid);
	jb_str(jb, "name", p->comm);
	jb_str(jb, "cmd_line", p->cmdline);
	jb_obj_open(jb, "file");
	jb_str(jb, "path", p->exe);
	jb_str(jb, "name", base_name(p->exe));
	jb_obj_close(jb);
	jb_obj_open(jb, "user");
	snprintf(num, sizeof(num), "%u", uid);
	jb_str(jb, "uid", num);
	jb_obj_close(jb);
	jb_obj_close(jb);
}

int ocsf_file_read(struct jbuf *jb, const struct ocsf_ctx *ctx, const struct file_record *r)
{
	char uid[48];

	jb_reset(jb);
	jb_obj_open(jb, NULL);
	jb_u64(jb, "class_uid", 1001);
	jb_str(jb, "class_name", "File System Activity");
	jb_u64(jb, "category_uid", 1);
	jb_str(jb, "category_name", "System Activity");
	jb_u64(jb, "activity_id", 2);
	jb_str(jb, "activity_name", "Read");
	jb_u64(jb, "type_uid", 100102);
	jb_str(jb, "type_name", "File System Activity: Read");
	jb_u64(jb, "severity_id", 1);
	jb_str(jb, "severity", "Informational");
	jb_u64(jb, "status_id", 1);
	jb_str(jb, "status", "Success");
	jb_u64(jb, "time", wall_ms(ctx, r->ts_ns));
	metadata(jb, NULL);
	device(jb, ctx);

	jb_obj_open(jb, "file");
	jb_str(jb, "path", r->path);
	jb_str(jb, "name", base_name(r->path));
	jb_u64(jb, "type_id", 1);
	snprintf(uid, sizeof(uid), "%u:%u:%llu", r->dev >> 20, r->dev & 0xfffff,
		 (unsigned long long)r->ino);
	jb_str(jb, "uid", uid);
	jb_obj_close(jb);

	jb_obj_open(jb, "actor");
	process(jb, "process", r->proc, r->uid);
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
	jb_u64(jb, "time", wall_ms(ctx, g->end_ns));
	metadata(jb, NULL);
	device(jb, ctx);
	jb_obj_open(jb, "finding_info");
	jb_str(jb, "uid", uid);
	jb_str(jb, "title", title);
	jb_arr_open(jb, "types");
	jb_str(jb, NULL, "visibility_gap");
	jb_arr_close(jb);
	jb_u64(jb, "created_time", wall_ms(ctx, g->end_ns));
	jb_obj_close(jb);
	jb_obj_open(jb, "unmapped");
	jb_str(jb, "source", g->source);
	jb_i64(jb, "cpu", g->cpu);
	jb_u64(jb, "lost", g->lost);
	jb_u64(jb, "start_time", wall_ms(ctx, g->start_ns));
	jb_u64(jb, "end_time", wall_ms(ctx, g->end_ns));
	jb_obj_close(jb);
	jb_obj_close(jb);
	return jb_finish(jb);
}
