// SPDX-License-Identifier: GPL-2.0
/* test_correlator.c - findings from synthetic aggregates: kinds, keys, thresholds, ACLs, severities. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "correlator.h"
#include "test.h"

#define MAXLINES 64
#define NDIRS 5

static char *lines[MAXLINES];
static int nlines;
static char dir[] = "/tmp/dt-corr.XXXXXX";

static void emit(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (nlines < MAXLINES)
		lines[nlines++] = strndup(line, len);
}

/* The paths the pipeline would know: set per test, as the kernel's walk would name the files. */
static const char *path_fmt;

static const char *path_of(void *ctx, uint32_t dev, uint64_t ino, char *buf, size_t n)
{
	(void)ctx;
	if (path_fmt)
		snprintf(buf, n, path_fmt, (unsigned long long)ino);
	else
		snprintf(buf, n, "/copies/%u-%llu", dev, (unsigned long long)ino);
	return buf;
}

static void reset_lines(void)
{
	for (int i = 0; i < nlines; i++)
		free(lines[i]);
	nlines = 0;
}

static cJSON *line_json(int i)
{
	return i < nlines ? cJSON_Parse(lines[i]) : NULL;
}

/* The value at a dotted path of line @i, as a string ("" if absent). */
static const char *field(int i, const char *path)
{
	static char out[256];
	cJSON *doc = line_json(i), *cur = doc;
	char p[256], *tok, *save;

	out[0] = 0;
	snprintf(p, sizeof(p), "%s", path);
	for (tok = strtok_r(p, ".", &save); cur && tok; tok = strtok_r(NULL, ".", &save))
		cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(tok))
					 : cJSON_GetObjectItem(cur, tok);
	if (cJSON_IsString(cur))
		snprintf(out, sizeof(out), "%s", cur->valuestring);
	else if (cJSON_IsNumber(cur))
		snprintf(out, sizeof(out), "%.0f", cur->valuedouble);
	else if (cJSON_IsBool(cur))
		snprintf(out, sizeof(out), "%s", cJSON_IsTrue(cur) ? "true" : "false");
	cJSON_Delete(doc);
	return out;
}

struct fixture {
	struct inventory *inv;
	struct proctab pt;
	struct ocsf_ctx octx;
	struct correlator c;
};

static int setup(struct fixture *f, const char *datasets_json)
{
	char text[2048];
	struct errbuf eb;
	struct dt_proc p = {};
	int err;

	snprintf(text, sizeof(text), datasets_json, dir, dir, dir, dir, dir, dir);
	err = inventory_parse(text, strlen(text), "test.json", &f->inv, &eb);
	if (!ASSERT_OK(err, eb.msg))
		return -1;
	proctab_init(&f->pt, -1);
	/* nc (3999001), child of bash (3999000), child of init. */
	p.tgid = 3999000;
	p.ppid = 1;
	p.start_ns = 100;
	strcpy(p.comm, "bash");
	strcpy(p.exe, "/usr/bin/bash");
	proctab_update(&f->pt, &p);
	p.tgid = 3999001;
	p.ppid = 3999000;
	p.start_ns = 200;
	strcpy(p.comm, "nc");
	strcpy(p.exe, "/usr/bin/nc");
	memcpy(p.args, "nc\0-N\0host", 11);
	p.args_len = 11;
	proctab_update(&f->pt, &p);
	f->octx = (struct ocsf_ctx){ .hostname = "node-1" };
	f->octx.mono_to_real_ns = 0;
	corr_init(&f->c, f->inv, &f->pt, &f->octx, emit, path_of, NULL);
	reset_lines();
	path_fmt = NULL;
	return 0;
}

static void teardown(struct fixture *f)
{
	corr_free(&f->c);
	proctab_free(&f->pt);
	inventory_free(f->inv);
	reset_lines();
}

static const char *one_dataset =
	"{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": [\"%s/faces\"],"
	" \"allowed_readers\": {\"uids\": [1001]}, \"allowed_egress\": [\"10.20.0.0/16\"]},"
	" {\"id\": \"docs\", \"classification\": \"public\", \"paths\": [\"%s/pub\"]}]}";

static struct dt_egress_val egress_val(uint64_t bytes, uint32_t ds)
{
	struct dt_egress_val v = { .bytes = bytes, .ops = 1, .first_ns = 1000000, .last_ns = 2000000 };

	v.taint.ds[ds / 64] |= 1ULL << (ds % 64);
	v.taint.label = DT_LABEL_RESTRICTED;
	return v;
}

static struct dt_egress_key egress_key(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct dt_egress_key k = { .tgid = 3999001, .port = port, .proto = 6 };

	k.addr[10] = k.addr[11] = 0xff;
	k.addr[12] = a;
	k.addr[13] = b;
	k.addr[14] = c;
	k.addr[15] = d;
	return k;
}

static void test_exfiltration_lifecycle(void)
{
	struct dt_egress_key k = egress_key(192, 0, 2, 7, 4444);
	struct dt_egress_val v = egress_val(1000, 0);
	struct fixture f;
	char uid[64];

	if (setup(&f, one_dataset))
		return;
	corr_egress(&f.c, &k, &v);
	if (!ASSERT_EQ(nlines, 1, "created"))
		goto out;
	ASSERT_STREQ(field(0, "finding_info.types.0"), "exfiltration", "kind");
	ASSERT_STREQ(field(0, "activity_id"), "1", "create");
	ASSERT_STREQ(field(0, "unmapped.bytes"), "1000", "bytes");
	ASSERT_STREQ(field(0, "resources.0.uid"), "faces", "dataset");
	ASSERT_STREQ(field(0, "evidences.0.dst_endpoint.ip"), "192.0.2.7", "ip");
	ASSERT_STREQ(field(0, "evidences.0.dst_endpoint.port"), "4444", "port");
	ASSERT_STREQ(field(0, "evidences.0.process.cmd_line"), "nc -N host", "cmd_line");
	ASSERT_STREQ(field(0, "evidences.0.process.parent_process.name"), "bash", "parent");
	ASSERT_STREQ(field(0, "severity_id"), "4", "severity");
	snprintf(uid, sizeof(uid), "%s", field(0, "finding_info.uid"));

	v.bytes = 3000; /* below the 4 KiB threshold: no line */
	corr_egress(&f.c, &k, &v);
	ASSERT_EQ(nlines, 1, "no update below threshold");
	v.bytes = 2 << 20; /* past it: an update, and past 1 MiB the severity rises */
	corr_egress(&f.c, &k, &v);
	if (!ASSERT_EQ(nlines, 2, "update"))
		goto out;
	ASSERT_STREQ(field(1, "activity_id"), "2", "update activity");
	ASSERT_STREQ(field(1, "finding_info.uid"), uid, "same uid");
	ASSERT_STREQ(field(1, "severity_id"), "5", "critical past 1 MiB");
	v.bytes += 10;
	corr_egress(&f.c, &k, &v);
	ASSERT_EQ(nlines, 2, "small growth waits");
	corr_proc_exit(&f.c, 3999001);
	if (ASSERT_EQ(nlines, 3, "final update at exit"))
		ASSERT_STREQ(field(2, "unmapped.bytes"), "2097162", "final bytes");
	corr_flush(&f.c);
	ASSERT_EQ(nlines, 3, "nothing left after exit");
out:
	teardown(&f);
}

static void test_exfiltration_not_raised(void)
{
	struct dt_egress_key allowed = egress_key(10, 20, 3, 4, 443);
	struct dt_egress_key loop = egress_key(127, 0, 0, 1, 9000);
	struct dt_egress_key ext = egress_key(192, 0, 2, 7, 4444);
	struct dt_egress_val v = egress_val(5000, 0), pub = egress_val(5000, 1);
	struct fixture f;

	if (setup(&f, one_dataset))
		return;
	corr_egress(&f.c, &allowed, &v);
	corr_egress(&f.c, &loop, &v);
	corr_egress(&f.c, &ext, &pub);
	ASSERT_EQ(nlines, 0, "allowed, loopback and public raise nothing");
	teardown(&f);
}

static void test_exfiltration_to_mounts(void)
{
	static const char *const inv =
		"{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\","
		" \"paths\": [\"%s/faces\"], \"allowed_egress\": [\"mount:/mnt/backup\","
		" \"fstype:nfs*\", \"0.0.0.0/0\"]}]}";
	struct mount_ent backup = { .dev = (7 << 20) | 1, .kind = DT_EGRESS_FS_REMOVABLE,
				    .fstype = "ext4", .source = "/dev/loop1", .point = "/mnt/backup" };
	struct mount_ent sshfs = { .dev = 50, .kind = DT_EGRESS_FS_FUSE, .fstype = "fuse.sshfs",
				   .source = "u@h:/srv", .point = "/mnt/s" };
	struct mount_ent nfs = { .dev = 51, .kind = DT_EGRESS_FS_NET, .fstype = "nfs4",
				 .source = "srv:/e", .point = "/mnt/n" };
	struct mount_ent raw = { .dev = (7 << 20) | 1, .kind = DT_EGRESS_FS_REMOVABLE,
				 .fstype = "", .source = "/dev/loop1", .point = "" };
	struct dt_egress_key k = { .tgid = 3999001, .link = DT_LINK_MOUNT };
	struct dt_egress_val v = egress_val(5000, 0);
	struct mount_table t = { 0 };
	struct fixture f;
	char uid[64];

	if (setup(&f, inv))
		return;
	mounts_put(&t, &backup);
	mounts_put(&t, &sshfs);
	mounts_put(&t, &nfs);
	mounts_put(&t, &raw);
	f.c.mounts = &t;
	memcpy(k.addr, &backup.dev, 4);
	corr_egress(&f.c, &k, &v);
	memcpy(k.addr, &nfs.dev, 4);
	corr_egress(&f.c, &k, &v);
	ASSERT_EQ(nlines, 0, "mount: and fstype: allow; 0.0.0.0/0 allows no mount");
	memcpy(k.addr, &sshfs.dev, 4);
	corr_egress(&f.c, &k, &v);
	if (ASSERT_EQ(nlines, 1, "sshfs is not allowed")) {
		ASSERT_STREQ(field(0, "unmapped.mount.fs_type"), "fuse.sshfs", "type");
		ASSERT_STREQ(field(0, "unmapped.mount.source"), "u@h:/srv", "source");
		ASSERT_STREQ(field(0, "unmapped.mount.mount_point"), "/mnt/s", "point");
		ASSERT_STREQ(field(0, "unmapped.mount.kind"), "fuse", "kind");
		ASSERT_STREQ(field(0, "unmapped.mount.dev"), "0:50", "dev");
		ASSERT_STREQ(field(0, "evidences.0.file.path"), "/mnt/s", "folder");
		ASSERT_STREQ(field(0, "evidences.0.dst_endpoint.ip"), "", "no endpoint");
	}
	/* The same device written raw: never allowed, named as the device. */
	k.link = DT_LINK_BLOCKDEV;
	memcpy(k.addr, &raw.dev, 4);
	corr_egress(&f.c, &k, &v);
	if (ASSERT_EQ(nlines, 2, "raw write")) {
		ASSERT_STREQ(field(1, "unmapped.block_device.path"), "/dev/loop1", "device");
		ASSERT_STREQ(field(1, "unmapped.block_device.dev"), "7:1", "dev");
		ASSERT_STREQ(field(1, "evidences.0.file.type"), "Block Device", "file type");
		snprintf(uid, sizeof(uid), "%s", field(0, "finding_info.uid"));
		ASSERT_NEQ(strcmp(uid, field(1, "finding_info.uid")), 0, "another finding");
	}
	teardown(&f);
	mounts_free(&t);
}

/* A refused connect opens the finding with its disposition; dry-run says what it would do. */
static void test_enforcement_disposition(void)
{
	struct dt_egress_key k = egress_key(192, 0, 2, 7, 4444);
	struct dt_egress_key ok = egress_key(10, 20, 3, 4, 443);
	struct dt_enf_val e = { .attempts = 1, .first_ns = 1000000, .last_ns = 1000000,
				.action = DT_ENF_BLOCK, .hooks = DT_HOOK_CONNECT };
	struct dt_egress_val v = egress_val(0, 0);
	struct fixture f;

	e.ds[0] = 1 | 2; /* faces, and the public docs: no finding for docs */
	if (setup(&f, one_dataset))
		return;
	corr_enforce(&f.c, &ok, &e);
	ASSERT_EQ(nlines, 0, "an allowed destination: nothing");
	corr_enforce(&f.c, &k, &e);
	if (!ASSERT_EQ(nlines, 1, "created by the refusal"))
		goto out;
	ASSERT_STREQ(field(0, "finding_info.types.0"), "exfiltration", "kind");
	ASSERT_STREQ(field(0, "resources.0.uid"), "faces", "dataset");
	ASSERT_STREQ(field(0, "action_id"), "2", "denied");
	ASSERT_STREQ(field(0, "action"), "Denied", "action");
	ASSERT_STREQ(field(0, "disposition_id"), "2", "blocked");
	ASSERT_STREQ(field(0, "disposition"), "Blocked", "disposition");
	ASSERT_STREQ(field(0, "unmapped.enforcement.disposition"), "blocked", "unmapped");
	ASSERT_STREQ(field(0, "unmapped.enforcement.attempts"), "1", "attempts");
	ASSERT_STREQ(field(0, "unmapped.bytes"), "0", "nothing sent");
	ASSERT_HAS(field(0, "finding_info.title"), "(blocked: 1 attempts, 0 bytes refused)", "title");
	/* The egress counter of the same destination joins the same finding. */
	e.attempts = 3;
	e.bytes = 1448;
	e.action = DT_ENF_KILL;
	corr_enforce(&f.c, &k, &e);
	if (!ASSERT_EQ(nlines, 2, "a stricter action is news"))
		goto out;
	ASSERT_STREQ(field(1, "disposition_id"), "99", "other");
	ASSERT_STREQ(field(1, "disposition"), "Killed", "killed");
	ASSERT_STREQ(field(1, "unmapped.enforcement.bytes_refused"), "1448", "bytes refused");
	v.bytes = 10;
	corr_egress(&f.c, &k, &v);
	corr_proc_exit(&f.c, 3999001);
	if (ASSERT_EQ(nlines, 3, "final"))
		ASSERT_STREQ(field(2, "finding_info.uid"), field(0, "finding_info.uid"), "one finding");
	reset_lines();
	/* The ended process's socket is refused again (a retransmit): closed stays closed. */
	e.bytes += 1448;
	corr_enforce(&f.c, &k, &e);
	ASSERT_EQ(nlines, 0, "no Create after Close");
	ASSERT_EQ(f.c.late_after_close, 1, "counted instead");
	/* dry-run, by a new process that reuses the pid: its own finding */
	{
		struct dt_proc p = { .tgid = 3999001, .ppid = 3999000, .start_ns = 300 };

		strcpy(p.comm, "nc");
		proctab_stale(&f.pt, 3999001);
		proctab_update(&f.pt, &p);
	}
	e.dry = 1;
	e.action = DT_ENF_BLOCK;
	corr_enforce(&f.c, &k, &e);
	if (ASSERT_EQ(nlines, 1, "dry-run finding")) {
		ASSERT_STREQ(field(0, "action_id"), "1", "allowed");
		ASSERT_STREQ(field(0, "disposition"), "Would Block", "would block");
		ASSERT_STREQ(field(0, "unmapped.enforcement.disposition"), "would_block", "unmapped");
	}
out:
	teardown(&f);
}

static void test_unauthorized_read(void)
{
	struct dt_acc_key k = { .tgid = 3999001, .dev = 1, .ino = 2, .access = DT_ACC_READ };
	struct dt_acc_val v = { .bytes = 4096, .ops = 1, .dataset = 0, .uid = 0 };
	struct fixture f;

	if (setup(&f, one_dataset))
		return;
	corr_file(&f.c, &k, &v, 4096, 1);
	if (ASSERT_EQ(nlines, 1, "uid 0 is not an allowed reader")) {
		ASSERT_STREQ(field(0, "finding_info.types.0"), "unauthorized_read", "kind");
		ASSERT_STREQ(field(0, "evidences.0.process.user.uid"), "0", "uid");
	}
	reset_lines();
	k.tgid = 3999000;
	v.uid = 1001;
	corr_file(&f.c, &k, &v, 4096, 1);
	ASSERT_EQ(nlines, 0, "uid 1001 is allowed");
	teardown(&f);
}

static const char *workload_dataset =
	"{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": [\"%s/faces\"],"
	" \"allowed_readers\": {\"namespaces\": [\"training\"], \"images\": [\"reg/trainer*\"]}},"
	" {\"id\": \"docs\", \"classification\": \"public\", \"paths\": [\"%s/pub\"]}]}";

/* Policy by workload: namespace and image from the identity table, as replay fills it. */
static void test_workload_policy(void)
{
	struct dt_acc_key k = { .tgid = 3999001, .dev = 1, .ino = 2, .access = DT_ACC_READ };
	struct dt_acc_val v = { .bytes = 4096, .ops = 1, .dataset = 0, .uid = 0 };
	struct wl_identity id = {};
	struct fixture f;
	struct idtab t;

	if (setup(&f, workload_dataset))
		return;
	idtab_init(&t, true);
	f.c.ids = &t;
	k.tgid = 3999002;
	corr_file(&f.c, &k, &v, 4096, 1);
	ASSERT_EQ(nlines, 1, "an unknown workload matches no selector");
	reset_lines();

	id_parse_cgroup("/kubepods/besteffort/pod0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9/"
			"1111111111111111111111111111111111111111111111111111111111111111", &id);
	strcpy(id.pod_namespace, "training");
	strcpy(id.pod_name, "trainer-0");
	strcpy(id.image, "reg/trainer:v3");
	/* The same claim, not vouched for by the runtime: anyone could have made it. */
	idtab_put(&t, 3999003, &id);
	k.tgid = 3999003;
	corr_file(&f.c, &k, &v, 4096, 1);
	if (ASSERT_EQ(nlines, 1, "an unverified identity satisfies no list"))
		ASSERT_STREQ(field(0, "unmapped.workload.verified"), "false", "says so");
	reset_lines();
	id.flags |= ID_VERIFIED;
	idtab_put(&t, 3999000, &id);
	k.tgid = 3999000;
	corr_file(&f.c, &k, &v, 4096, 1);
	ASSERT_EQ(nlines, 0, "namespace and image allowed");

	strcpy(id.image, "reg/notebook:1");
	idtab_put(&t, 3999001, &id);
	k.tgid = 3999001;
	corr_file(&f.c, &k, &v, 4096, 1);
	if (ASSERT_EQ(nlines, 1, "an image the list does not match")) {
		ASSERT_STREQ(field(0, "unmapped.workload.pod"), "trainer-0", "pod");
		ASSERT_STREQ(field(0, "unmapped.workload.image"), "reg/notebook:1", "image");
		ASSERT_STREQ(field(0, "evidences.0.process.container.image.name"), "reg/notebook",
			     "image name");
		ASSERT_STREQ(field(0, "evidences.0.process.container.image.tags.0.value"), "1", "tag");
		ASSERT_STREQ(field(0, "evidences.0.process.container.pod_uuid"),
			     "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "pod uid");
		ASSERT_STREQ(field(0, "metadata.profiles.2"), "container", "profile (after host, data_classification)");
		ASSERT_STREQ(field(0, "evidences.0.process.parent_process.pid"), "3999000",
			     "container inside the process, before nothing else breaks");
	}
	teardown(&f);
	idtab_free(&t);
}

static void test_acl_workload(void)
{
	char *ns[] = { "training" }, *img[] = { "reg/trainer*", "other:1" }, *acct[] = { "physics" },
	     *users[] = { "alice", "1000" };
	struct inv_acl a = { .present = true, .namespaces = ns, .n_namespaces = 1, .images = img,
			     .n_images = 2 };
	struct inv_acl s = { .present = true, .slurm_accounts = acct, .n_slurm_accounts = 1 };
	struct inv_acl u = { .present = true, .slurm_users = users, .n_slurm_users = 2 };
	struct wl_identity id = {};

	ASSERT_TRUE(acl_allows(&a, 0, 8, 42), "workload lists alone: uid and exe unrestricted");
	ASSERT_FALSE(acl_allows_workload(&a, NULL), "unknown workload");
	strcpy(id.pod_namespace, "training");
	strcpy(id.image, "reg/trainer:v3");
	ASSERT_FALSE(acl_allows_workload(&a, &id), "unverified: anyone's claim");
	id.flags = ID_VERIFIED;
	ASSERT_TRUE(acl_allows_workload(&a, &id), "prefix image");
	strcpy(id.image, "other:1");
	ASSERT_TRUE(acl_allows_workload(&a, &id), "exact image");
	strcpy(id.image, "other:2");
	ASSERT_FALSE(acl_allows_workload(&a, &id), "exact means exact");
	strcpy(id.image, "reg/trainer:v3");
	strcpy(id.pod_namespace, "default");
	ASSERT_FALSE(acl_allows_workload(&a, &id), "both lists must match");
	ASSERT_FALSE(acl_allows_workload(&s, &id), "no account");
	strcpy(id.slurm_account, "physics");
	ASSERT_TRUE(acl_allows_workload(&s, &id), "account");
	ASSERT_FALSE(acl_allows_workload(&u, &id), "no user");
	id.slurm_uid = 1000;
	id.flags |= ID_SLURM_UID;
	ASSERT_TRUE(acl_allows_workload(&u, &id), "uid from the cgroup path");
	id.flags = ID_SLURM_UID;
	ASSERT_FALSE(acl_allows_workload(&u, &id), "unverified job");
	id.flags = ID_VERIFIED;
	strcpy(id.slurm_user, "alice");
	ASSERT_TRUE(acl_allows_workload(&u, &id), "user name");
}

static void test_tamper_and_derived_copy(void)
{
	struct dt_acc_key k = { .tgid = 3999001, .dev = 1, .ino = 2, .access = DT_ACC_WRITE };
	struct dt_acc_val v = { .bytes = 16, .ops = 1, .dataset = 0, .uid = 0 };
	struct fixture f;

	if (setup(&f, one_dataset))
		return;
	corr_file(&f.c, &k, &v, 16, 1);
	if (ASSERT_EQ(nlines, 1, "no allowed_writers: immutable")) {
		ASSERT_STREQ(field(0, "finding_info.types.0"), "dataset_tamper", "kind");
		ASSERT_STREQ(field(0, "unmapped.operations"), "write", "operations");
		ASSERT_STREQ(field(0, "severity_id"), "5", "restricted tamper");
	}
	reset_lines();
	{
		struct dt_ev_taint te = { .tgid = 3999001 };

		te.taint.ds[0] = 1;
		te.taint.label = DT_LABEL_RESTRICTED;
		corr_taint(&f.c, &te);
	}
	k.dev = 5;
	k.ino = 6;
	v.iflags = DT_INODE_DERIVED;
	v.bytes = 100000;
	corr_file(&f.c, &k, &v, 100000, 3);
	if (ASSERT_EQ(nlines, 1, "derived copy")) {
		ASSERT_STREQ(field(0, "finding_info.types.0"), "derived_copy", "kind");
		ASSERT_STREQ(field(0, "evidences.0.file.path"), "/copies/5-6", "path");
		ASSERT_STREQ(field(0, "unmapped.bytes"), "100000", "bytes");
	}
	reset_lines();
	k.access = DT_ACC_READ;
	corr_file(&f.c, &k, &v, 10, 1);
	ASSERT_EQ(nlines, 0, "reading a copy is no new finding");
	k.access = DT_ACC_WRITE;
	k.tgid = 3999000;
	corr_file(&f.c, &k, &v, 10, 1);
	ASSERT_EQ(nlines, 0, "an untainted writer copies nothing");
	teardown(&f);
}

static void agent_event(struct fixture *f, uint32_t kind, int32_t cmd, const char *object)
{
	struct dt_ev_agent e = { .hdr = { .type = DT_EV_AGENT, .size = sizeof(e), .ts_ns = 5000000 },
				 .tgid = 3999001, .kind = kind, .sig = cmd };

	strcpy(e.comm, "nc");
	snprintf(e.path, sizeof(e.path), "%s", object);
	corr_agent(&f->c, &e);
}

/* bpftool map show: 137 of the agent's objects in one minute, one Informational line, no state. */
static void test_agent_inspect(void)
{
	struct dt_inspect v = { .first_ns = 5000000, .last_ns = 6000000, .objects = 137,
				.ops = DT_INSPECT_MAP | DT_INSPECT_PROG };
	char uid[64];
	struct fixture f;

	if (setup(&f, one_dataset))
		return;
	strcpy(v.comm, "nc");
	strcpy(v.first, "map 'taint' (id 42)");
	corr_inspect(&f.c, 3999001, &v);
	if (ASSERT_EQ(nlines, 1, "one line")) {
		ASSERT_STREQ(field(0, "finding_info.types.0"), "agent_inspect", "kind");
		ASSERT_STREQ(field(0, "severity_id"), "1", "informational");
		ASSERT_STREQ(field(0, "activity_id"), "1", "Create");
		ASSERT_STREQ(field(0, "count"), "137", "count");
		ASSERT_STREQ(field(0, "unmapped.objects"), "137", "objects");
		ASSERT_STREQ(field(0, "unmapped.operations"), "map_get_fd_by_id,prog_get_fd_by_id",
			     "operations");
		ASSERT_STREQ(field(0, "unmapped.object"), "map 'taint' (id 42)", "first object");
		ASSERT_STREQ(field(0, "resources.0.uid"), "datatrail-agent", "the agent");
		ASSERT_STREQ(field(0, "evidences.0.process.pid"), "3999001", "pid");
		ASSERT_STREQ(field(0, "evidences.0.process.file.path"), "/usr/bin/nc", "exe");
		ASSERT_STREQ(field(0, "finding_info.attacks.0.sub_technique.uid"), "T1518.001",
			     "security software discovery");
		ASSERT_STREQ(field(0, "finding_info.title"),
			     "nc (uid 0) looked at 137 of the datatrail agent's BPF objects, read-only, "
			     "first map 'taint' (id 42)", "title");
		snprintf(uid, sizeof(uid), "%s", field(0, "finding_info.uid"));
	}
	reset_lines();
	corr_proc_exit(&f.c, 3999001);
	ASSERT_EQ(nlines, 0, "nothing kept to close");
	v.first_ns += 60000000000ULL;
	v.ops = DT_INSPECT_PIN;
	corr_inspect(&f.c, 3999001, &v);
	if (ASSERT_EQ(nlines, 1, "the next minute")) {
		ASSERT_NEQ(strcmp(field(0, "finding_info.uid"), uid), 0, "another finding");
		ASSERT_STREQ(field(0, "unmapped.operations"), "obj_get_rdonly", "operations");
	}
	teardown(&f);
}

static void test_agent_tamper_by_bpf(void)
{
	struct fixture f;

	if (setup(&f, one_dataset))
		return;
	agent_event(&f, DT_AGENT_BPF_OBJ, DT_BPF_MAP_GET_FD_BY_ID, "map 'taint' (id 42)");
	if (ASSERT_EQ(nlines, 1, "map opened by id")) {
		ASSERT_STREQ(field(0, "finding_info.types.0"), "agent_tamper", "kind");
		ASSERT_STREQ(field(0, "unmapped.operations"), "map_get_fd_by_id", "operation");
		ASSERT_STREQ(field(0, "unmapped.object"), "map 'taint' (id 42)", "object");
		ASSERT_STREQ(field(0, "severity_id"), "4", "a map fd can change it");
		ASSERT_STREQ(field(0, "evidences.0.process.pid"), "3999001", "pid");
		ASSERT_STREQ(field(0, "evidences.0.process.file.path"), "/usr/bin/nc", "exe");
		ASSERT_STREQ(field(0, "evidences.0.file.path"), "", "not a file");
		ASSERT_STREQ(field(0, "finding_info.title"),
			     "nc (uid 0) opened by id the datatrail agent's map 'taint' (id 42) "
			     "(bpf map_get_fd_by_id)", "title");
	}
	reset_lines();
	agent_event(&f, DT_AGENT_BPF_OBJ, DT_BPF_MAP_DELETE_ELEM, "map 'taint' (id 42)");
	if (ASSERT_EQ(nlines, 1, "entry deleted: a finding of its own")) {
		ASSERT_STREQ(field(0, "unmapped.operations"), "map_delete_elem", "operation");
		ASSERT_STREQ(field(0, "severity_id"), "5", "critical");
	}
	reset_lines();
	agent_event(&f, DT_AGENT_BPF_OBJ, DT_BPF_MAP_DELETE_ELEM, "map 'taint' (id 42)");
	ASSERT_EQ(nlines, 0, "the same again: counted, not a new finding");
	agent_event(&f, DT_AGENT_BPF_OBJ, DT_BPF_MAP_DELETE_ELEM, "map 'inodes' (id 43)");
	ASSERT_EQ(nlines, 1, "another map: another finding");
	reset_lines();
	agent_event(&f, DT_AGENT_BPF_OBJ, DT_BPF_PROG_GET_FD_BY_ID, "program 'dt_signal' (id 7)");
	if (ASSERT_EQ(nlines, 1, "program opened by id"))
		ASSERT_STREQ(field(0, "severity_id"), "3", "listing programs is routine");
	reset_lines();
	agent_event(&f, DT_AGENT_BPF_OBJ, DT_BPF_LINK_DETACH, "link 'dt_signal' (id 9)");
	if (ASSERT_EQ(nlines, 1, "link detached")) {
		ASSERT_STREQ(field(0, "unmapped.operations"), "link_detach", "operation");
		ASSERT_STREQ(field(0, "severity_id"), "5", "critical");
	}
	teardown(&f);
}

static void test_acl_and_severity(void)
{
	uint32_t uids[] = { 1001 };
	char *exes[] = { "/usr/bin/python3.11", "/usr/bin/missing" };
	struct inv_exe ids[] = { { .ino = 1234, .dev = 8 << 20 | 1 }, { .err = -ENOENT } };
	struct inv_acl both = { .present = true, .uids = uids, .n_uids = 1, .exes = exes,
				.exe_ids = ids, .n_exes = 2 };
	struct inv_acl only_exe = { .present = true, .exes = exes, .exe_ids = ids, .n_exes = 2 };
	struct inv_acl only_uid = { .present = true, .uids = uids, .n_uids = 1 };
	struct inv_acl none = { .present = true };

	ASSERT_TRUE(acl_allows(&both, 1001, 8 << 20 | 1, 1234), "uid and exe inode");
	ASSERT_FALSE(acl_allows(&both, 1001, 8 << 20 | 1, 1235), "other inode");
	ASSERT_FALSE(acl_allows(&both, 1001, 8 << 20 | 2, 1234), "same inode, other device");
	ASSERT_FALSE(acl_allows(&both, 0, 8 << 20 | 1, 1234), "wrong uid");
	ASSERT_FALSE(acl_allows(&both, 1001, 0, 0), "unknown exe");
	ASSERT_TRUE(acl_allows(&only_exe, 77, 8 << 20 | 1, 1234), "any uid");
	ASSERT_FALSE(acl_allows(&only_exe, 77, 0, 0), "unknown exe, any uid");
	ASSERT_TRUE(acl_allows(&only_uid, 1001, 0, 0), "any exe, even unknown");
	ASSERT_FALSE(acl_allows(&none, 0, 8 << 20 | 1, 1234), "empty lists allow nobody");
	ids[0].ino = 0;
	ASSERT_FALSE(acl_allows(&only_exe, 77, 8 << 20 | 1, 1234), "unresolved entry");
	ASSERT_EQ(finding_severity(FK_EXFILTRATION, DT_LABEL_INTERNAL, 10), 2, "internal exfil");
	ASSERT_EQ(finding_severity(FK_EXFILTRATION, DT_LABEL_RESTRICTED, 1 << 20), 5, "big exfil");
	ASSERT_EQ(finding_severity(FK_DERIVED_COPY, DT_LABEL_PUBLIC, 10), 1, "floor");
	ASSERT_EQ(finding_severity(FK_DATASET_TAMPER, DT_LABEL_CONFIDENTIAL, 0), 4, "tamper");
}

/* A process named like the allowed executable, or run from another file, reads: by inode only. */
static const char *exe_dataset =
	"{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\","
	" \"paths\": [\"%s/faces\"],"
	" \"allowed_readers\": {\"executables\": [\"%s/bin/tool\", \"%s/bin/link\"]},"
	" \"allowed_writers\": {\"executables\": [\"%s/bin/tool\"]}}]}";

static void add_proc(struct fixture *f, uint32_t tgid, const char *exe, const struct stat *st)
{
	struct dt_proc p = { .tgid = tgid, .ppid = 1, .start_ns = tgid };

	snprintf(p.comm, sizeof(p.comm), "tool");
	snprintf(p.exe, sizeof(p.exe), "%s", exe);
	if (st) {
		p.exe_dev = dt_kdev(st->st_dev);
		p.exe_ino = st->st_ino;
	}
	proctab_update(&f->pt, &p);
}

static int reads(struct fixture *f, uint32_t tgid, uint32_t access)
{
	struct dt_acc_key k = { .tgid = tgid, .dev = 1, .ino = 2, .access = access };
	struct dt_acc_val v = { .bytes = 4096, .ops = 1, .dataset = 0, .uid = 0 };

	reset_lines();
	corr_file(&f->c, &k, &v, 4096, 1);
	return nlines;
}

static void test_exe_acl_by_inode(void)
{
	char bin[64], tool[80], link[80], other[80], copy[80];
	struct stat st_tool, st_other, st_new;
	struct fixture f;
	FILE *fp;

	snprintf(bin, sizeof(bin), "%s/bin", dir);
	snprintf(tool, sizeof(tool), "%s/tool", bin);
	snprintf(link, sizeof(link), "%s/link", bin);
	snprintf(other, sizeof(other), "%s/other", bin);
	snprintf(copy, sizeof(copy), "%s/tool.new", bin);
	if (!ASSERT_OK(mkdir(bin, 0755), "mkdir bin"))
		return;
	fp = fopen(tool, "w");
	if (fp)
		fclose(fp);
	fp = fopen(other, "w");
	if (fp)
		fclose(fp);
	ASSERT_OK(symlink("tool", link), "symlink");
	if (!ASSERT_OK(stat(tool, &st_tool), "stat tool") ||
	    !ASSERT_OK(stat(other, &st_other), "stat other") || setup(&f, exe_dataset))
		goto out_files;

	ASSERT_EQ(reads(&f, 4000001, DT_ACC_READ), 1, "not resolved yet: nobody allowed");
	/* tool in both lists, and link, which leads to it. */
	ASSERT_EQ(inventory_resolve_exes(f.inv, NULL, NULL), 3, "three entries resolved");
	ASSERT_EQ(f.inv->datasets[0].readers.exe_ids[1].ino, st_tool.st_ino, "link: its target");
	ASSERT_EQ(inventory_resolve_exes(f.inv, NULL, NULL), 0, "nothing changed");

	add_proc(&f, 4000002, tool, &st_tool);
	ASSERT_EQ(reads(&f, 4000002, DT_ACC_READ), 0, "the allowed file reads");
	ASSERT_EQ(reads(&f, 4000002, DT_ACC_WRITE), 0, "the allowed file writes");
	/* What a bind mount, chroot or re-pointed symlink shows: the path, another file. */
	add_proc(&f, 4000003, tool, &st_other);
	ASSERT_EQ(reads(&f, 4000003, DT_ACC_READ), 1, "allowed path, other file");
	ASSERT_STREQ(field(0, "finding_info.types.0"), "unauthorized_read", "kind");
	ASSERT_STREQ(field(0, "evidences.0.process.pid"), "4000003", "pid");
	ASSERT_STREQ(field(0, "evidences.0.process.file.path"), tool, "exe as execed");
	ASSERT_EQ(reads(&f, 4000003, DT_ACC_WRITE), 1, "allowed path, other file writes");
	ASSERT_STREQ(field(0, "finding_info.types.0"), "dataset_tamper", "tamper kind");
	/* A relative exec or a symlink to the allowed file: another string, the same file. */
	add_proc(&f, 4000004, "./usr/bin/whatever", &st_tool);
	ASSERT_EQ(reads(&f, 4000004, DT_ACC_READ), 0, "any path, the allowed file");
	add_proc(&f, 4000005, tool, NULL);
	ASSERT_EQ(reads(&f, 4000005, DT_ACC_READ), 1, "unknown file, allowed path");

	/* An upgrade: a new file renamed over the allowed path. */
	fp = fopen(copy, "w");
	if (fp)
		fclose(fp);
	ASSERT_OK(rename(copy, tool), "rename over");
	ASSERT_OK(stat(tool, &st_new), "stat new");
	ASSERT_EQ(inventory_resolve_exes(f.inv, NULL, NULL), 3, "re-resolved");
	add_proc(&f, 4000006, tool, &st_new);
	ASSERT_EQ(reads(&f, 4000006, DT_ACC_READ), 0, "the new file reads");
	add_proc(&f, 4000007, tool, &st_tool);
	ASSERT_EQ(reads(&f, 4000007, DT_ACC_READ), 1, "the replaced file no longer");
	/* Gone: nothing is allowed, until a trace's record says what it was (replay). */
	unlink(tool);
	ASSERT_EQ(inventory_resolve_exes(f.inv, NULL, NULL), 3, "gone");
	ASSERT_EQ(reads(&f, 4000006, DT_ACC_READ), 1, "gone: nobody");
	inventory_set_exe(f.inv, tool, dt_kdev(st_new.st_dev), st_new.st_ino);
	ASSERT_EQ(reads(&f, 4000006, DT_ACC_READ), 0, "set as recorded");
	teardown(&f);
out_files:
	unlink(link);
	unlink(tool);
	unlink(other);
	rmdir(bin);
}

/*
 * Copies by allowed readers (derived): faces names its places, logs reports every copy, notes
 * says nothing (anywhere), open has no allowed_readers (nobody is an allowed reader).
 */
static const char *derived_datasets =
	"{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\","
	" \"paths\": [\"%s/faces\"], \"allowed_readers\": {\"uids\": [1001]},"
	" \"derived\": {\"paths\": [\"/ckpt/\", \"/runs/**/*.safetensors\", \"mount:/mnt/scratch\"]}},"
	" {\"id\": \"docs\", \"classification\": \"public\", \"paths\": [\"%s/pub\"]},"
	" {\"id\": \"logs\", \"classification\": \"internal\", \"paths\": [\"%s/logs\"],"
	" \"allowed_readers\": {\"uids\": [1001]}, \"derived\": {\"report\": \"always\"}},"
	" {\"id\": \"notes\", \"classification\": \"confidential\", \"paths\": [\"%s/notes\"],"
	" \"allowed_readers\": {\"uids\": [1001]}},"
	" {\"id\": \"open\", \"classification\": \"confidential\", \"paths\": [\"%s/open\"]}]}";

static void set_taint(struct fixture *f, uint32_t tgid, uint64_t datasets)
{
	struct dt_ev_taint te = { .tgid = tgid };

	te.taint.ds[0] = datasets;
	te.taint.label = DT_LABEL_RESTRICTED;
	corr_taint(&f->c, &te);
}

/* @tgid (real uid @uid) wrote @bytes into derived file (@dev, @ino): a counter's whole life. */
static int copy_write(struct fixture *f, uint32_t tgid, uint32_t uid, uint32_t dev, uint64_t ino,
		      uint64_t bytes, uint64_t first_ns)
{
	struct dt_acc_key k = { .tgid = tgid, .dev = dev, .ino = ino, .access = DT_ACC_WRITE };
	struct dt_acc_val v = { .bytes = bytes, .ops = 1, .uid = uid, .iflags = DT_INODE_DERIVED,
				.first_ns = first_ns, .last_ns = first_ns + 1 };

	reset_lines();
	corr_file(&f->c, &k, &v, bytes, 1);
	return nlines;
}

static void test_derived_by_allowed_reader(void)
{
	struct fixture f;

	if (setup(&f, derived_datasets))
		return;
	add_proc(&f, 4100001, "/usr/bin/python3", NULL);
	set_taint(&f, 4100001, 1); /* faces */
	path_fmt = "/ckpt/run1/%llu.pt";
	ASSERT_EQ(copy_write(&f, 4100001, 1001, 1, 11, 5000, 10), 0, "allowed reader, /ckpt");
	ASSERT_EQ(f.c.derived_expected, 1, "counted as expected");
	path_fmt = "/runs/e1/s7/%llu.safetensors";
	ASSERT_EQ(copy_write(&f, 4100001, 1001, 1, 12, 5000, 11), 0, "a glob's place");
	/* The scratch file system, by device, whatever its path here. */
	inventory_set_exe(f.inv, "/mnt/scratch", 9 << 20 | 1, 2);
	path_fmt = "/somewhere/%llu";
	ASSERT_EQ(copy_write(&f, 4100001, 1001, 9 << 20 | 1, 13, 5000, 12), 0, "the mount");
	ASSERT_EQ(copy_write(&f, 4100001, 1001, 9 << 20 | 2, 14, 5000, 13), 1,
		  "another device: outside");
	ASSERT_STREQ(field(0, "finding_info.types.0"), "derived_copy", "kind");
	ASSERT_STREQ(field(0, "resources.0.uid"), "faces", "dataset");
	ASSERT_STREQ(field(0, "evidences.0.file.path"), "/somewhere/14", "the outside file");
	ASSERT_STREQ(field(0, "unmapped.file_count"), "1", "one file");
	ASSERT_STREQ(field(0, "unmapped.last_file"), "", "no last file of one");
	path_fmt = "/home/u/%llu.pt";
	ASSERT_EQ(copy_write(&f, 4100001, 1001, 1, 15, 100, 14), 0,
		  "the same finding grows below its threshold");
	/* Not an allowed reader (uid 0): reported wherever the copy is. */
	add_proc(&f, 4100002, "/usr/bin/cp", NULL);
	set_taint(&f, 4100002, 1);
	path_fmt = "/ckpt/run1/%llu.pt";
	ASSERT_EQ(copy_write(&f, 4100002, 0, 1, 21, 5000, 20), 1, "not allowed, in /ckpt");
	ASSERT_STREQ(field(0, "evidences.0.process.pid"), "4100002", "pid");
	/* faces and logs: allowed for both; logs reports every copy, faces not in /ckpt. */
	add_proc(&f, 4100003, "/usr/bin/python3", NULL);
	set_taint(&f, 4100003, 1 | 4);
	if (ASSERT_EQ(copy_write(&f, 4100003, 1001, 1, 31, 5000, 30), 1, "opt-in report"))
		ASSERT_STREQ(field(0, "resources.0.uid"), "logs", "only logs");
	/* notes alone: anywhere. notes and docs (public): docs does not count. */
	add_proc(&f, 4100004, "/usr/bin/python3", NULL);
	set_taint(&f, 4100004, 8 | 2);
	path_fmt = "/tmp/%llu.log";
	ASSERT_EQ(copy_write(&f, 4100004, 1001, 1, 41, 5000, 40), 0, "anywhere, public aside");
	/* faces and open: not an allowed reader of open, so both are reported, /ckpt or not. */
	add_proc(&f, 4100005, "/usr/bin/python3", NULL);
	set_taint(&f, 4100005, 1 | 16);
	path_fmt = "/ckpt/run1/%llu.pt";
	if (ASSERT_EQ(copy_write(&f, 4100005, 1001, 1, 51, 5000, 50), 2, "mixed taint")) {
		ASSERT_STREQ(field(0, "resources.0.uid"), "faces", "faces");
		ASSERT_STREQ(field(1, "resources.0.uid"), "open", "open");
	}
	ASSERT_EQ(f.c.derived_expected, 5, "expected copies counted");
	teardown(&f);
}

/* A job writing a thousand files is one finding: count, bytes, first and last file. */
static void test_copies_aggregate(void)
{
	char uid[64];
	struct fixture f;
	int creates = 0;

	if (setup(&f, derived_datasets))
		return;
	add_proc(&f, 4200001, "/usr/bin/tar", NULL);
	set_taint(&f, 4200001, 1);
	path_fmt = "/out/%llu.bin";
	uid[0] = 0;
	for (uint64_t i = 1; i <= 1000; i++) {
		copy_write(&f, 4200001, 0, 1, i, 100, 1000 + i);
		for (int l = 0; l < nlines; l++) {
			creates += !strcmp(field(l, "activity_id"), "1");
			if (!uid[0])
				snprintf(uid, sizeof(uid), "%s", field(l, "finding_info.uid"));
			ASSERT_STREQ(field(l, "finding_info.uid"), uid, "one uid");
		}
	}
	ASSERT_EQ(creates, 1, "one Create for a thousand files");
	/* A second delta of a file, and another counter of it: no new file. */
	copy_write(&f, 4200001, 0, 1, 500, 100, 1500);
	{
		struct dt_acc_key k = { .tgid = 4200001, .dev = 1, .ino = 7,
					.access = DT_ACC_WRITE | DT_ACC_SPLICE };
		struct dt_acc_val v = { .bytes = 50, .ops = 1, .uid = 0,
					.iflags = DT_INODE_DERIVED, .first_ns = 3000,
					.last_ns = 3001 };

		corr_file(&f.c, &k, &v, 50, 1);
	}
	reset_lines();
	corr_proc_exit(&f.c, 4200001);
	if (ASSERT_EQ(nlines, 1, "Close")) {
		ASSERT_STREQ(field(0, "activity_id"), "3", "close");
		ASSERT_STREQ(field(0, "finding_info.uid"), uid, "same uid");
		ASSERT_STREQ(field(0, "unmapped.file_count"), "1000", "file count");
		ASSERT_STREQ(field(0, "unmapped.bytes"), "100150", "total bytes");
		ASSERT_STREQ(field(0, "evidences.0.file.path"), "/out/1.bin", "first file");
		ASSERT_STREQ(field(0, "unmapped.last_file"), "/out/1000.bin", "last file");
		ASSERT_HAS(field(0, "finding_info.title"), "into '/out/1.bin' and 999 more files",
			   "title");
	}
	/* Counters reported out of order: the one that began first is the first file. */
	add_proc(&f, 4200002, "/usr/bin/tar", NULL);
	set_taint(&f, 4200002, 1);
	copy_write(&f, 4200002, 0, 1, 2, 100, 200);
	copy_write(&f, 4200002, 0, 1, 3, 100, 300);
	copy_write(&f, 4200002, 0, 1, 1, 100, 100);
	reset_lines();
	corr_proc_exit(&f.c, 4200002);
	if (ASSERT_EQ(nlines, 1, "Close")) {
		ASSERT_STREQ(field(0, "evidences.0.file.path"), "/out/1.bin", "began first");
		ASSERT_STREQ(field(0, "unmapped.last_file"), "/out/3.bin", "began last");
		ASSERT_STREQ(field(0, "unmapped.file_count"), "3", "three");
	}
	teardown(&f);
}

/* dataset_tamper: one finding per process and dataset too, its operations over all files. */
static void test_tamper_aggregate(void)
{
	struct dt_acc_key k = { .tgid = 4300001, .dev = 1, .access = DT_ACC_WRITE };
	struct dt_acc_val v = { .bytes = 16, .ops = 1, .dataset = 0, .uid = 0 };
	struct fixture f;

	if (setup(&f, one_dataset))
		return;
	add_proc(&f, 4300001, "/usr/bin/sed", NULL);
	path_fmt = "/data/faces/%llu.csv";
	for (uint64_t i = 1; i <= 3; i++) {
		k.ino = i;
		v.first_ns = v.last_ns = 100 * i;
		corr_file(&f.c, &k, &v, 16, 1);
	}
	k.access = DT_ACC_RENAME;
	v.bytes = 0;
	corr_file(&f.c, &k, &v, 0, 1); /* file 3 again, another kind of change */
	ASSERT_EQ(nlines, 1, "one Create");
	reset_lines();
	corr_proc_exit(&f.c, 4300001);
	if (ASSERT_EQ(nlines, 1, "one Close")) {
		ASSERT_STREQ(field(0, "finding_info.types.0"), "dataset_tamper", "kind");
		ASSERT_STREQ(field(0, "unmapped.file_count"), "3", "three files");
		ASSERT_STREQ(field(0, "unmapped.bytes"), "48", "bytes");
		ASSERT_STREQ(field(0, "count"), "4", "changes");
		ASSERT_STREQ(field(0, "unmapped.operations"), "write,rename", "operations");
		ASSERT_STREQ(field(0, "evidences.0.file.path"), "/data/faces/1.csv", "first");
		ASSERT_STREQ(field(0, "unmapped.last_file"), "/data/faces/3.csv", "last");
		ASSERT_HAS(field(0, "finding_info.title"),
			   "(write,rename of '/data/faces/1.csv' and 2 more files)", "title");
	}
	teardown(&f);
}

/* After its Close, nothing counted for an ended process opens its findings again. */
static void test_closed_stays_closed(void)
{
	struct fixture f;

	if (setup(&f, derived_datasets))
		return;
	add_proc(&f, 4400001, "/usr/bin/cp", NULL);
	set_taint(&f, 4400001, 1);
	ASSERT_EQ(copy_write(&f, 4400001, 0, 1, 1, 5000, 10), 1, "created");
	reset_lines();
	corr_proc_exit(&f.c, 4400001);
	ASSERT_EQ(nlines, 1, "closed");
	set_taint(&f, 4400001, 1); /* a late taint record */
	ASSERT_EQ(copy_write(&f, 4400001, 0, 1, 2, 5000, 20), 0, "a late write: no Create");
	ASSERT_EQ(f.c.late_after_close, 1, "counted");
	reset_lines();
	corr_flush(&f.c);
	ASSERT_EQ(nlines, 0, "nothing open at stop");
	/* The pid again, a new process: its own findings. */
	add_proc(&f, 4400001, "/usr/bin/cp", NULL);
	{
		struct dt_proc p = { .tgid = 4400001, .ppid = 1, .start_ns = 999 };

		strcpy(p.comm, "cp");
		proctab_update(&f.pt, &p);
	}
	ASSERT_EQ(copy_write(&f, 4400001, 0, 1, 3, 5000, 30), 1, "a reused pid is another");
	teardown(&f);
}

static const char *const dirs[NDIRS] = { "pub", "faces", "logs", "notes", "open" };

static void test_setup_dir(void)
{
	char pub[64];

	ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp");
	for (int i = 0; i < NDIRS; i++) {
		snprintf(pub, sizeof(pub), "%s/%s", dir, dirs[i]);
		ASSERT_OK(mkdir(pub, 0755), dirs[i]);
	}
}

static void test_teardown_dir(void)
{
	char pub[64];

	for (int i = 0; i < NDIRS; i++) {
		snprintf(pub, sizeof(pub), "%s/%s", dir, dirs[i]);
		rmdir(pub);
	}
	ASSERT_OK(rmdir(dir), "rmdir");
}

TEST_MAIN("correlator", TEST_CASE(test_setup_dir), TEST_CASE(test_exfiltration_lifecycle),
	  TEST_CASE(test_exfiltration_not_raised), TEST_CASE(test_enforcement_disposition),
	  TEST_CASE(test_exfiltration_to_mounts), TEST_CASE(test_unauthorized_read),
	  TEST_CASE(test_tamper_and_derived_copy), TEST_CASE(test_agent_tamper_by_bpf),
	  TEST_CASE(test_agent_inspect),
	  TEST_CASE(test_acl_and_severity), TEST_CASE(test_exe_acl_by_inode),
	  TEST_CASE(test_workload_policy), TEST_CASE(test_acl_workload),
	  TEST_CASE(test_derived_by_allowed_reader), TEST_CASE(test_copies_aggregate),
	  TEST_CASE(test_tamper_aggregate), TEST_CASE(test_closed_stays_closed),
	  TEST_CASE(test_teardown_dir))
