// SPDX-License-Identifier: GPL-2.0
/* test_replay.c - replay judges executables by the recorded inodes; traces from before them still replay. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records.h"
#include "replay.h"
#include "test.h"
#include "trace.h"

#define EXE_DEV (8u << 20 | 1)
#define EXE_INO 4242ULL

static const char inv_exe[] =
	"{\"datasets\": [{\"id\": \"weights\", \"classification\": \"restricted\","
	" \"paths\": [\"/nonexistent/weights\"],"
	" \"allowed_readers\": {\"executables\": [\"/opt/tool\"]}}]}";
static const char inv_uid[] =
	"{\"datasets\": [{\"id\": \"weights\", \"classification\": \"restricted\","
	" \"paths\": [\"/nonexistent/weights\"], \"allowed_readers\": {\"uids\": [0]}}]}";

struct rec_trace {
	const char *inv;
	bool exes;           /* write a DT_REC_EXES record: /opt/tool is (EXE_DEV, EXE_INO) */
	uint32_t proc_len;   /* the DT_REC_PROC record's length: sizeof or PROC_INFO_V1_SIZE */
	uint64_t reader_ino; /* the file the reading process runs */
};

/* One run as the agent records it: META, INVENTORY, [EXES], PROC, FILE (5000 bytes read), STOP. */
static bool write_trace(const char *dir, const struct rec_trace *t)
{
	struct trace_opts o = { .total_max_bytes = TRACE_NO_CAP, .host = "testhost" };
	struct dt_rec_meta m = { .abi_version = DT_ABI_VERSION };
	struct {
		struct dt_rec_exe e;
		char path[sizeof("/opt/tool")];
	} exe = { { .ino = EXE_INO, .dev = EXE_DEV, .len = sizeof("/opt/tool") }, "/opt/tool" };
	struct {
		struct dt_rec_file f;
		char path[sizeof("/nonexistent/weights/w.bin")];
	} file = { .path = "/nonexistent/weights/w.bin" };
	struct proc_info pi = { .pid = 100, .ppid = 1, .uid = 0, .start_ns = 5 };
	struct trace_writer *w;
	struct errbuf eb = {};
	bool ok = true;

	snprintf(m.hostname, sizeof(m.hostname), "testhost");
	snprintf(pi.comm, sizeof(pi.comm), "tool");
	snprintf(pi.exe, sizeof(pi.exe), "/opt/tool");
	pi.exe_dev = EXE_DEV;
	pi.exe_ino = t->reader_ino;
	file.f.key = (struct dt_acc_key){ .tgid = 100, .dev = 1, .ino = 2, .access = DT_ACC_READ };
	file.f.val = (struct dt_acc_val){ .bytes = 5000, .ops = 1, .first_ns = 10, .last_ns = 10,
					  .dataset = 0, .uid = 0 };
	file.f.delta = 5000;
	file.f.dops = 1;
	if (!ASSERT_OK(trace_writer_open(dir, &o, &w, &eb), eb.msg))
		return false;
	ok &= !trace_write(w, DT_REC_META, &m, sizeof(m), 1);
	ok &= !trace_write(w, DT_REC_INVENTORY, t->inv, strlen(t->inv), 1);
	if (t->exes)
		ok &= !trace_write(w, DT_REC_EXES, &exe, sizeof(exe), 1);
	ok &= !trace_write(w, DT_REC_PROC, &pi, t->proc_len, 10);
	ok &= !trace_write(w, DT_REC_FILE, &file, sizeof(file), 10);
	ok &= !trace_write(w, DT_REC_STOP, "", 0, 20);
	ok &= !trace_writer_close(w);
	return ASSERT_TRUE(ok, "trace written");
}

/* Replays @t; returns the number of unauthorized_read lines, or -1. */
static int replay_reads(const struct rec_trace *t)
{
	char dir[] = "/tmp/dt-replay.XXXXXX", out[64], line[8192], cmd[128];
	char *argv[] = { "replay", dir, NULL };
	int n = -1, saved, fd, rc;
	FILE *fp;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp"))
		return -1;
	snprintf(out, sizeof(out), "%s.out", dir);
	if (!write_trace(dir, t))
		goto out_dir;
	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!ASSERT_TRUE(saved >= 0 && fd >= 0, "redirect stdout"))
		goto out_dir;
	dup2(fd, 1);
	close(fd);
	optind = 0; /* getopt starts afresh for each replay */
	rc = cmd_replay(2, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	if (!ASSERT_EQ(rc, 0, "replay exit status"))
		goto out_file;
	fp = fopen(out, "r");
	if (!ASSERT_TRUE(fp != NULL, "open output"))
		goto out_file;
	n = 0;
	while (fgets(line, sizeof(line), fp))
		n += strstr(line, "\"unauthorized_read\"") != NULL;
	fclose(fp);
out_file:
	unlink(out);
out_dir:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return n;
}

static void test_recorded_inode_allows(void)
{
	struct rec_trace t = { inv_exe, true, sizeof(struct proc_info), EXE_INO };

	ASSERT_EQ(replay_reads(&t), 0, "the recorded file reads: allowed");
}

static void test_other_inode_caught(void)
{
	struct rec_trace t = { inv_exe, true, sizeof(struct proc_info), EXE_INO + 1 };

	/* Same exe path string, another file: what a bind mount or a chroot shows. */
	ASSERT_EQ(replay_reads(&t), 1, "another file at the allowed path");
}

static void test_no_exes_record_allows_nobody(void)
{
	struct rec_trace t = { inv_exe, false, sizeof(struct proc_info), EXE_INO };

	ASSERT_EQ(replay_reads(&t), 1, "executables never resolved: nobody allowed");
}

static void test_old_trace_replays(void)
{
	struct rec_trace t = { inv_exe, false, PROC_INFO_V1_SIZE, EXE_INO };

	ASSERT_EQ(replay_reads(&t), 1, "old proc record: unknown file, not allowed");
	t.inv = inv_uid;
	ASSERT_EQ(replay_reads(&t), 0, "old proc record: uid ACLs judge as before");
	t.exes = true;
	t.inv = inv_exe;
	ASSERT_EQ(replay_reads(&t), 1, "resolved executables, old proc record: unknown file");
}

TEST_MAIN("replay", TEST_CASE(test_recorded_inode_allows), TEST_CASE(test_other_inode_caught),
	  TEST_CASE(test_no_exes_record_allows_nobody), TEST_CASE(test_old_trace_replays))
