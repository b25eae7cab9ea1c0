// SPDX-License-Identifier: GPL-2.0
/* test_ocsf.c - every line shape of every encoder, valid against the vendored OCSF 1.8.0 schema. */
#include <stdbool.h>
#include <stdio.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "correlator.h"
#include "gpu.h"
#include "json.h"
#include "identity.h"
#include "ocsf.h"
#include "test.h"

#define VALIDATOR "python3 tests/lib/ocsf_validate.py"

static const struct ocsf_ctx ctx = { .hostname = "gpu-node-7",
				     .mono_to_real_ns = 1700000000000000000LL };

static void fill_proc(struct proc_info *pi, uint32_t pid, uint64_t start_ns, const char *comm,
		      const char *exe)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	pi->uid = 1000;
	pi->start_ns = start_ns;
	snprintf(pi->comm, sizeof(pi->comm), "%s", comm);
	snprintf(pi->exe, sizeof(pi->exe), "%s", exe);
	snprintf(pi->cmdline, sizeof(pi->cmdline), "%s --x", comm);
}

/* Runs the validator on @path; its output into @out. Returns its exit status. */
static int validate(const char *path, int min, char *out, size_t n)
{
	char cmd[512];
	size_t len = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), VALIDATOR " --min %d '%s' 2>&1", min, path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = 0;
	while (len + 1 < n && fgets(out + len, n - len, p))
		len += strlen(out + len);
	/* drain what did not fit */
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int n_lines;

static void put(FILE *f, struct jbuf *jb, int rc)
{
	if (ASSERT_OK(rc, "encode")) {
		fwrite(jb->buf, 1, jb->len, f);
		n_lines++;
	}
}

static void file_lines(FILE *f, struct jbuf *jb)
{
	struct proc_info pi, unknown;
	struct file_record r = { .ts_ns = 5000000, .path = "/data/faces/a.jpg", .dev = 259u << 20,
				 .ino = 42, .proc = &pi, .uid = 1000, .dataset = "faces",
				 .bytes = 4096, .ops = 1 };

	fill_proc(&pi, 4242, 1000000, "python3", "/usr/bin/python3.11");
	memset(&unknown, 0, sizeof(unknown));
	unknown.pid = 77;
	for (uint32_t acc = DT_ACC_READ; acc && acc <= DT_ACC_GDS; acc <<= 1) {
		for (int label = DT_LABEL_NONE; label <= DT_LABEL_RESTRICTED; label++) {
			r.access = acc;
			r.label = label;
			r.proc = label == DT_LABEL_NONE ? &unknown : &pi;
			r.first_ns = label % 2 ? 1000000 : 0;
			put(f, jb, ocsf_file_read(jb, &ctx, &r));
		}
	}
}

/* A Kubernetes container and a Slurm job (no container): the container profile, workload. */
static void identity_lines(FILE *f, struct jbuf *jb)
{
	static const char *const tags[] = { "PII" };
	static const uint8_t v4[16] = { [10] = 0xff, [11] = 0xff, 203, 0, 113, 10 };
	struct wl_identity pod = { .runtime = "containerd", .container_id = "4f1c2d",
				   .pod_uid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
				   .qos = "burstable", .pod_name = "trainer-0",
				   .pod_namespace = "training", .container_name = "main",
				   .image = "registry/trainer:v3", .ns_pid = 7,
				   .cgroup = "/kubepods/burstable/pod0a1b/4f1c2d" };
	struct wl_identity job = { .slurm_job = "4242", .slurm_step = "0", .slurm_uid = 1000,
				   .slurm_account = "physics", .flags = ID_SLURM_UID,
				   .cgroup = "/slurm/uid_1000/job_4242/step_0" };
	struct proc_info pi;
	struct file_record r = { .ts_ns = 5000000, .path = "/data/faces/a.jpg", .dev = 259u << 20,
				 .ino = 42, .proc = &pi, .uid = 1000, .dataset = "faces",
				 .bytes = 4096, .ops = 1, .access = DT_ACC_READ,
				 .label = DT_LABEL_RESTRICTED, .ident = &pod };
	struct finding_record fr = {
		.uid = "dt-0123456789abcdef", .title = "t", .severity_id = 4, .first_ns = 1000000,
		.last_ns = 9000000, .chain = &pi, .chain_len = 1, .actor_uid = 1000,
		.dataset = "faces", .tags = tags, .n_tags = 1, .bytes = 1 << 20, .ops = 256,
		.kind = "exfiltration", .activity_id = 1, .label = "restricted", .dst_addr = v4,
		.dst_port = 443, .dst_proto = "tcp", .ident = &pod,
	};

	fill_proc(&pi, 4242, 1000000, "python3", "/usr/bin/python3.11");
	put(f, jb, ocsf_file_read(jb, &ctx, &r));
	put(f, jb, ocsf_finding(jb, &ctx, &fr));
	fr.ident = &job;
	put(f, jb, ocsf_finding(jb, &ctx, &fr));
	/* Enforcement: the security_control profile's action and disposition. */
	fr.ident = NULL;
	fr.enf_attempts = 3;
	fr.enf_bytes = 4096;
	fr.enforcement = "blocked";
	put(f, jb, ocsf_finding(jb, &ctx, &fr));
	fr.enforcement = "would_kill";
	put(f, jb, ocsf_finding(jb, &ctx, &fr));
}

static void gap_lines(FILE *f, struct jbuf *jb)
{
	struct gap_record g = { .start_ns = 1000000, .end_ns = 3000000, .source = "ring_buffer",
				.cpu = 1, .lost = 12, .seq = 9 };

	put(f, jb, ocsf_visibility_gap(jb, &ctx, &g));
	g.cpu = -1;
	g.source = "acc_map_full";
	put(f, jb, ocsf_visibility_gap(jb, &ctx, &g));
	/* A full Kafka spool's episode: Create, then Updates with the running count. */
	g.source = "kafka_spool_full_events";
	g.activity_id = 2;
	put(f, jb, ocsf_visibility_gap(jb, &ctx, &g));
}

static void finding_lines(FILE *f, struct jbuf *jb)
{
	static const char *const tags[] = { "PII" };
	static const uint8_t v4[16] = { [10] = 0xff, [11] = 0xff, 203, 0, 113, 10 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const char *const labels[] = { "public", "internal", "confidential", "restricted",
					      "none" };
	struct proc_info chain[3];
	struct finding_record fr = {
		.uid = "dt-0123456789abcdef", .title = "t", .severity_id = 4, .first_ns = 1000000,
		.last_ns = 9000000, .chain = chain, .actor_uid = 1000, .dataset = "faces",
		.tags = tags, .n_tags = 1, .bytes = 1 << 20, .ops = 256,
	};

	fill_proc(&chain[0], 4242, 1000000, "python3", "/usr/bin/python3.11");
	fill_proc(&chain[1], 4000, 900000, "bash", "/bin/bash");
	fill_proc(&chain[2], 1, 0, "systemd", "/lib/systemd/systemd");
	for (int kind = FK_EXFILTRATION; kind <= FK_AGENT_INSPECT; kind++) {
		for (int act = 1; act <= 3; act++) {
			fr.kind = finding_kind_name(kind);
			fr.attacks = finding_kind_attacks(kind);
			fr.activity_id = act;
			fr.chain_len = 1 + (act + kind) % 3;
			fr.label = labels[(kind + act) % 5];
			fr.dst_addr = kind == FK_EXFILTRATION ? (act == 2 ? v6 : v4) : NULL;
			fr.dst_port = 443;
			fr.dst_proto = act == 3 ? "udp" : "tcp";
			fr.file_path = kind == FK_EXFILTRATION ? NULL : "/tmp/out.bin";
			fr.operations = kind >= FK_DATASET_TAMPER ? "write,truncate" : NULL;
			fr.via_hop = kind == FK_EXFILTRATION ? "pipe" : NULL;
			fr.via_pid = 77;
			put(f, jb, ocsf_finding(jb, &ctx, &fr));
		}
	}
	/* Sends around TCP/UDP: a named interface, an unnamed one, a raw address, no address. */
	fr.kind = finding_kind_name(FK_EXFILTRATION);
	fr.attacks = finding_kind_attacks(FK_EXFILTRATION);
	fr.file_path = NULL;
	fr.operations = NULL;
	for (int shape = 0; shape < 4; shape++) {
		fr.activity_id = 1 + shape % 3;
		fr.dst_link = shape == 2 ? "raw" : shape == 3 ? "xdp" : "packet";
		fr.dst_proto = fr.dst_link;
		fr.dst_proto_num = shape == 2 ? 253 : -1;
		fr.dst_addr = shape == 2 ? v4 : NULL;
		fr.dst_ifindex = shape < 2 ? 7 : 0;
		fr.dst_ifname = shape == 0 ? "eth0" : NULL;
		fr.via_hop = shape % 2 ? "process_memory" : "shared_memory";
		put(f, jb, ocsf_finding(jb, &ctx, &fr));
	}
	fr.dst_link = NULL;
	fr.dst_ifindex = 0;
	fr.dst_ifname = NULL;
	for (uint32_t kind = GF_POLICY; kind <= GF_MEMORY_READ; kind++) {
		for (int act = 1; act <= 3; act++) {
			fr.kind = gpu_finding_name(kind);
			fr.attacks = gpu_finding_attacks(kind);
			fr.activity_id = act;
			fr.chain_len = act;
			fr.label = act == 1 ? "none" : "restricted";
			fr.dst_addr = NULL;
			fr.file_path = "/dev/nvidia0";
			fr.operations = NULL;
			fr.via_hop = NULL;
			put(f, jb, ocsf_finding(jb, &ctx, &fr));
		}
	}
}

static void gpu_lines(FILE *f, struct jbuf *jb)
{
	static const char *const ds[] = { "faces", "weights" };
	struct proc_info pi;
	struct gpu_record r = { .ts_ns = 7000000, .proc = &pi, .uid = 1000,
				.rdev = (195u << 20) | 0, .path = "/dev/nvidia0", .kind = 1 };

	fill_proc(&pi, 4242, 1000000, "python3", "/usr/bin/python3.11");
	/* every op code, and one past them: Other */
	for (uint32_t op = 0; op < 64; op++) {
		r.op = op;
		r.ops = op + 1;
		r.bytes = op % 2 ? 1 << 20 : 0;
		r.last_cmd = op % 3 ? 0xc0104601 + op : 0;
		r.datasets = op % 4 ? ds : NULL;
		r.n_datasets = op % 4 ? 2 : 0;
		put(f, jb, gpu_ocsf_event(jb, &ctx, &r));
	}
}

/* Writes every shape of every encoder into a new temporary file, named in @path. */
static bool write_shapes(char *path)
{
	struct jbuf jb;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return false;
	f = fdopen(fd, "w");
	jb_init(&jb);
	n_lines = 0;
	file_lines(f, &jb);
	identity_lines(f, &jb);
	gap_lines(f, &jb);
	finding_lines(f, &jb);
	gpu_lines(f, &jb);
	jb_free(&jb);
	fclose(f);
	return ASSERT_EQ(n_lines, 15 * 5 + 5 + 3 + 6 * 3 + 4 + 3 * 3 + 64, "lines written");
}

/* Every shape of every encoder, validated. */
static void test_every_shape_valid(void)
{
	char path[] = "/tmp/dt-ocsf-XXXXXX", out[8192];

	if (write_shapes(path)) {
		ASSERT_EQ(validate(path, n_lines, out, sizeof(out)), 0, "validator");
		ASSERT_HAS(out, " 0 errors", out);
	}
	unlink(path);
}

/* The index template of docs/siem.md is JSON and maps every time the encoders write as a date. */
static void test_siem_index_template(void)
{
	char path[] = "/tmp/dt-ocsf-XXXXXX", cmd[256], out[4096];
	size_t len;
	FILE *p;

	if (!write_shapes(path))
		goto out;
	snprintf(cmd, sizeof(cmd), "python3 tests/lib/siem_template.py docs/siem.md '%s' 2>&1", path);
	p = popen(cmd, "r");
	if (!ASSERT_TRUE(p != NULL, "popen"))
		goto out;
	len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = 0;
	ASSERT_EQ(WEXITSTATUS(pclose(p)), 0, out);
	ASSERT_HAS(out, " 0 not dates", out);
out:
	unlink(path);
}

/* The metadata.uid of a line: the same for the same record, another for any change. */
static void test_metadata_uid(void)
{
	struct gap_record g = { .start_ns = 1000000, .end_ns = 3000000, .source = "ring_buffer",
				.cpu = 1, .lost = 12, .seq = 9 };
	struct jbuf jb;
	char a[64] = "", b[64] = "";
	const char *p;

	jb_init(&jb);
	ASSERT_OK(ocsf_visibility_gap(&jb, &ctx, &g), "encode");
	p = strstr(jb.buf, "\"metadata\":{\"version\":\"1.8.0\",\"uid\":\"");
	if (!ASSERT_TRUE(p != NULL, "metadata.uid"))
		goto free_jb;
	memcpy(a, p + 37, 36);
	ASSERT_EQ(a[14], '8', "uuid version 8");
	ASSERT_TRUE(strchr("89ab", a[19]) != NULL, "uuid variant");
	ASSERT_OK(ocsf_visibility_gap(&jb, &ctx, &g), "encode again");
	memcpy(b, strstr(jb.buf, "\"uid\":\"") + 7, 36);
	ASSERT_STREQ(b, a, "same record, same uid");
	g.lost = 13;
	ASSERT_OK(ocsf_visibility_gap(&jb, &ctx, &g), "encode other");
	memcpy(b, strstr(jb.buf, "\"uid\":\"") + 7, 36);
	ASSERT_NEQ(strcmp(a, b), 0, "another record, another uid");
free_jb:
	jb_free(&jb);
}

/* Lines broken in one way each: the validator must name what is wrong. */
static void test_broken_lines_caught(void)
{
	static const struct {
		const char *from, *to, *error;
	} breaks[] = {
		{ ",\"type_id\":1,\"type\":\"Regular File\"", "", "file.type_id: required" },
		{ "\"direction_id\":2,", "", "connection_info.direction_id: required" },
		{ "\"type_uid\":200401", "\"type_uid\":200402", "type_uid" },
		{ "\"activity_id\":1,", "\"activity_id\":4,", "activity_id: 4 is not one of" },
		{ "\"severity\":\"High\"", "\"severity\":\"Low\"", "caption of severity_id 4" },
		{ "\"version\":\"1.8.0\"", "\"version\":\"1.1.0\"", "metadata.version" },
		{ "\"profiles\":[\"host\",\"data_classification\"]", "\"profiles\":[\"host\"]",
		  "profile 'data_classification'" },
		{ "\"port\":443", "\"port\":\"443\"", "port: '443' is not port_t" },
		{ "\"port\":443", "\"port\":70000", "out of range" },
		{ "\"message\":", "\"msg\":", "msg: attribute not in the schema" },
		{ "\"analytic\":{\"uid\":\"exfiltration\",\"name\":\"exfiltration\",",
		  "\"analytic\":{", "analytic: needs at least one of name, uid" },
		{ "\"created_time\":1700000000001,", "\"created_time\":\"yesterday\",",
		  "is not timestamp_t" },
	};
	static const uint8_t v4[16] = { [10] = 0xff, [11] = 0xff, 203, 0, 113, 10 };
	struct proc_info pi;
	struct finding_record fr = {
		.kind = "exfiltration", .uid = "dt-1", .title = "t", .activity_id = 1,
		.severity_id = 4, .first_ns = 1000000, .last_ns = 9000000, .chain = &pi,
		.chain_len = 1, .actor_uid = 1000, .dataset = "faces", .label = "restricted",
		.file_path = "/tmp/x", .dst_addr = v4, .dst_port = 443, .dst_proto = "tcp",
		.attacks = finding_kind_attacks(FK_EXFILTRATION),
	};
	char path[] = "/tmp/dt-ocsf-XXXXXX", out[8192], *line, *at;
	struct jbuf jb;
	FILE *f;
	int fd;

	fill_proc(&pi, 4242, 1000000, "python3", "/usr/bin/python3.11");
	jb_init(&jb);
	if (!ASSERT_OK(ocsf_finding(&jb, &ctx, &fr), "encode"))
		goto free_jb;
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		goto free_jb;
	close(fd);
	f = fopen(path, "w");
	fwrite(jb.buf, 1, jb.len, f);
	fclose(f);
	ASSERT_EQ(validate(path, 1, out, sizeof(out)), 0, out);

	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		at = strstr(jb.buf, breaks[i].from);
		if (!ASSERT_TRUE(at != NULL, breaks[i].from))
			continue;
		line = malloc(jb.len + strlen(breaks[i].to) + 1);
		sprintf(line, "%.*s%s%s", (int)(at - jb.buf), jb.buf, breaks[i].to,
			at + strlen(breaks[i].from));
		f = fopen(path, "w");
		fputs(line, f);
		fclose(f);
		free(line);
		ASSERT_EQ(validate(path, 1, out, sizeof(out)), 1, breaks[i].error);
		ASSERT_HAS(out, breaks[i].error, breaks[i].error);
	}
	/* too few lines is a failure too: a live run that wrote nothing proves nothing */
	ASSERT_EQ(validate(path, 2, out, sizeof(out)), 1, "--min");
	unlink(path);
free_jb:
	jb_free(&jb);
}

TEST_MAIN("ocsf", TEST_CASE(test_every_shape_valid), TEST_CASE(test_metadata_uid),
	  TEST_CASE(test_broken_lines_caught), TEST_CASE(test_siem_index_template))
