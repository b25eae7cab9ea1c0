// SPDX-License-Identifier: GPL-2.0
/* test_spool.c - the write-ahead spool: order, acks, crash recovery, corruption, bounds. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "spool.h"
#include "test.h"
#include "tmpdir.h"

#define MAXREC 512

struct fx {
	char dir[64];
};

static bool fx_init(struct fx *f)
{
	return ASSERT_TRUE(tmpdir_make(f->dir, sizeof(f->dir), "spool"), "mkdtemp");
}

static void fx_fini(struct fx *f)
{
	tmpdir_remove(f->dir);
}

static const char *seg_path(const struct fx *f, uint64_t id)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/spool-%08u.log", f->dir, (unsigned int)(id >> 32));
	return buf;
}

static int count_segments(const struct fx *f)
{
	struct dirent *de;
	DIR *d = opendir(f->dir);
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "spool-", 6);
	closedir(d);
	return n;
}

/* A JSON-ish payload that compresses, distinct per @i. */
static size_t payload(char *buf, size_t size, unsigned int i)
{
	return snprintf(buf, size,
			"{\"class_uid\":2004,\"seq\":%u,\"msg\":\"record number %u of the "
			"spool test, padded padded padded padded padded padded\"}",
			i, i);
}

/* Incompressible bytes (so stored raw, record size = header + len), from a fixed seed. */
static void noise(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

/* What a replay saw. */
struct seen {
	size_t n;
	uint64_t ids[MAXREC];
	int streams[MAXREC];
	char data[MAXREC][256];
	int stop_after; /* > 0: return 1 after that many */
};

static int collect(void *ctx, uint64_t id, enum spool_stream stream, const void *data, size_t len)
{
	struct seen *s = ctx;

	if (s->n < MAXREC) {
		s->ids[s->n] = id;
		s->streams[s->n] = stream;
		snprintf(s->data[s->n], sizeof(s->data[0]), "%.*s", (int)len, (const char *)data);
	}
	s->n++;
	if (s->stop_after && (int)s->n >= s->stop_after)
		return 1;
	return 0;
}

static struct spool *open_ok(const struct fx *f, uint64_t max)
{
	struct spool *sp = NULL;
	struct errbuf eb = { "" };

	if (!ASSERT_OK(spool_open(f->dir, max, &sp, &eb), eb.msg))
		return NULL;
	return sp;
}

static void test_order_across_segments(void)
{
	static struct seen s;
	uint64_t ids[200], prev = 0, raw = 0;
	struct spool_stats st;
	struct spool *sp;
	struct stat sb;
	char buf[256];
	struct fx f;
	size_t len;
	int i;

	if (!fx_init(&f))
		return;
	sp = open_ok(&f, 64 << 10); /* segments of 8 KiB */
	if (!sp)
		goto out;
	for (i = 0; i < 200; i++) {
		len = payload(buf, sizeof(buf), i);
		raw += SPOOL_HDR_SIZE + len;
		ASSERT_OK(spool_append(sp, i % 3 ? SPOOL_FINDINGS : SPOOL_EVENTS, buf, len,
				       &ids[i]),
			  "append");
		if (i)
			ASSERT_TRUE(ids[i] > prev, "ids grow");
		prev = ids[i];
	}
	ASSERT_TRUE(count_segments(&f) > 1, "several segments");
	ASSERT_NEQ(ids[0] >> 32, ids[199] >> 32, "first and last in different segments");
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.records, 200, "records");
	ASSERT_EQ(st.bytes, raw, "stored raw: header and payload, nothing else");

	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 200, "all replayed");
	for (i = 0; i < 200 && i < (int)s.n; i++) {
		payload(buf, sizeof(buf), i);
		if (!ASSERT_STREQ(s.data[i], buf, "payload in order") ||
		    !ASSERT_EQ(s.ids[i], ids[i], "id") ||
		    !ASSERT_EQ(s.streams[i], i % 3 ? SPOOL_FINDINGS : SPOOL_EVENTS, "stream"))
			break;
	}
	/* a callback may stop the walk; replay_from resumes by id */
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	ASSERT_EQ(spool_replay(sp, collect, &s), 1, "stopped");
	ASSERT_EQ(s.n, 3, "three");
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay_from(sp, ids[150], collect, &s), "from");
	ASSERT_EQ(s.n, 50, "from 150");
	ASSERT_EQ(s.ids[0], ids[150], "starts there");
	spool_close(sp);

	/* owner only */
	ASSERT_OK(stat(f.dir, &sb), "stat dir");
	ASSERT_EQ(sb.st_mode & 0777, 0700, "dir mode");
	ASSERT_OK(stat(seg_path(&f, ids[0]), &sb), "stat segment");
	ASSERT_EQ(sb.st_mode & 0777, 0600, "segment mode");

	/* the same after a reopen, and new ids go on growing */
	sp = open_ok(&f, 64 << 10);
	if (!sp)
		goto out;
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay after reopen");
	ASSERT_EQ(s.n, 200, "all there");
	ASSERT_EQ(s.ids[199], ids[199], "same ids");
	ASSERT_OK(spool_append(sp, SPOOL_FINDINGS, "x", 1, &prev), "append after reopen");
	ASSERT_TRUE(prev > ids[199], "id after reopen grows");
	spool_close(sp);
out:
	fx_fini(&f);
}

static void test_ack_out_of_order(void)
{
	static struct seen s;
	struct spool_stats st;
	uint64_t ids[10];
	struct spool *sp;
	char buf[256];
	struct fx f;
	int i;

	if (!fx_init(&f))
		return;
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	for (i = 0; i < 10; i++)
		ASSERT_OK(spool_append(sp, SPOOL_FINDINGS, buf, payload(buf, sizeof(buf), i),
				       &ids[i]),
			  "append");
	ASSERT_OK(spool_ack(sp, ids[2]), "ack 2");
	ASSERT_OK(spool_ack(sp, ids[1]), "ack 1");
	ASSERT_EQ(spool_ack(sp, ids[1]), -ENOENT, "ack twice");
	ASSERT_EQ(spool_ack(sp, ids[9] + 1), -ENOENT, "unknown id");
	ASSERT_EQ(spool_first_pending(sp), ids[0], "prefix does not move past 0");
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.records, 8, "pending");
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 8, "acked ones skipped in memory");
	spool_close(sp);

	/* on disk only the prefix counts: 1 and 2 come back (at-least-once) */
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 10, "all ten after reopen");
	ASSERT_OK(spool_ack(sp, ids[1]), "ack 1");
	ASSERT_OK(spool_ack(sp, ids[2]), "ack 2");
	ASSERT_OK(spool_ack(sp, ids[0]), "ack 0");
	ASSERT_EQ(spool_first_pending(sp), ids[3], "prefix moved over 0..2");
	spool_close(sp);

	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 7, "exactly 3..9");
	ASSERT_EQ(s.ids[0], ids[3], "from 3");
	payload(buf, sizeof(buf), 3);
	ASSERT_STREQ(s.data[0], buf, "payload 3");

	/* draining deletes every segment and the next id still grows */
	for (i = 3; i < 10; i++)
		ASSERT_OK(spool_ack(sp, ids[i]), "ack rest");
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.records, 0, "none pending");
	ASSERT_EQ(st.bytes, 0, "no bytes");
	ASSERT_EQ(count_segments(&f), 0, "no segment files");
	ASSERT_EQ(spool_first_pending(sp), UINT64_MAX, "nothing pending");
	spool_close(sp);
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 0, "nothing after drain");
	ASSERT_OK(spool_append(sp, SPOOL_EVENTS, "y", 1, &ids[0]), "append");
	ASSERT_TRUE(ids[0] > ids[9], "grows after drain and reopen");
	spool_close(sp);
out:
	fx_fini(&f);
}

/* The child appends 20, acks the first 5, commits, appends 3 more, and is SIGKILLed. */
static void crash_child(const struct fx *f)
{
	struct spool *sp = NULL;
	struct errbuf eb;
	uint64_t ids[23];
	char buf[256];
	int i;

	if (spool_open(f->dir, 1 << 20, &sp, &eb))
		_exit(3);
	for (i = 0; i < 20; i++)
		if (spool_append(sp, SPOOL_FINDINGS, buf, payload(buf, sizeof(buf), i), &ids[i]))
			_exit(4);
	for (i = 0; i < 5; i++)
		if (spool_ack(sp, ids[i]))
			_exit(5);
	spool_commit(sp);
	for (i = 20; i < 23; i++)
		if (spool_append(sp, SPOOL_EVENTS, buf, payload(buf, sizeof(buf), i), &ids[i]))
			_exit(6);
	kill(getpid(), SIGKILL);
	_exit(7);
}

static void test_crash_replays_unacked(void)
{
	static struct seen s;
	struct spool_stats st;
	struct spool *sp;
	char buf[256];
	struct fx f;
	int status, i;
	pid_t pid;

	if (!fx_init(&f))
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		crash_child(&f);
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "wait");
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child was killed");
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.records, 18, "un-acked survive SIGKILL");
	ASSERT_EQ(st.corrupt_records, 0, "nothing corrupt");
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 18, "exactly the un-acked");
	for (i = 0; i < 18 && i < (int)s.n; i++) {
		payload(buf, sizeof(buf), i + 5);
		if (!ASSERT_STREQ(s.data[i], buf, "in order"))
			break;
	}
	ASSERT_EQ(s.streams[17], SPOOL_EVENTS, "stream kept");
	spool_close(sp);

	/* another process holding it open: refused */
	sp = open_ok(&f, 1 << 20);
	if (sp) {
		struct spool *sp2 = NULL;
		struct errbuf eb = { "" };

		ASSERT_EQ(spool_open(f.dir, 1 << 20, &sp2, &eb), -EBUSY, "second open");
		ASSERT_HAS(eb.msg, "in use by another process", eb.msg);
		spool_close(sp);
	}
out:
	fx_fini(&f);
}

static bool flip_byte(const char *path, off_t off)
{
	uint8_t b;
	int fd = open(path, O_RDWR);
	bool ok;

	if (!ASSERT_TRUE(fd >= 0, "open segment"))
		return false;
	ok = pread(fd, &b, 1, off) == 1;
	b ^= 0x40;
	ok = ok && pwrite(fd, &b, 1, off) == 1;
	close(fd);
	return ASSERT_TRUE(ok, "flip");
}

static void test_corrupt_record_skipped(void)
{
	static struct seen s;
	char buf[256], want[PATH_MAX + 64];
	struct spool_stats st;
	uint64_t ids[6];
	struct spool *sp;
	struct fx f;
	int i;

	if (!fx_init(&f))
		return;
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	for (i = 0; i < 6; i++)
		ASSERT_OK(spool_append(sp, SPOOL_FINDINGS, buf, payload(buf, sizeof(buf), i),
				       &ids[i]),
			  "append");
	spool_close(sp);
	/* a payload byte of record 2, the magic of record 4 */
	flip_byte(seg_path(&f, ids[2]), (uint32_t)ids[2] + SPOOL_HDR_SIZE + 3);
	flip_byte(seg_path(&f, ids[4]), (uint32_t)ids[4]);

	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.corrupt_records, 2, "two corrupt");
	ASSERT_EQ(st.records, 4, "four good");
	snprintf(want, sizeof(want), "spool '%s/spool-%08u.log': record at offset %u: bad magic",
		 f.dir, (unsigned int)(ids[4] >> 32), (unsigned int)ids[4]);
	ASSERT_STREQ(spool_last_error(sp), want, "the last one reported with file and offset");
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 4, "corrupt ones skipped");
	ASSERT_EQ(s.ids[0], ids[0], "0");
	ASSERT_EQ(s.ids[1], ids[1], "1");
	ASSERT_EQ(s.ids[2], ids[3], "resynced on 3");
	ASSERT_EQ(s.ids[3], ids[5], "resynced on 5");
	payload(buf, sizeof(buf), 5);
	ASSERT_STREQ(s.data[3], buf, "payload 5 intact");
	spool_close(sp);
out:
	fx_fini(&f);
}

static void test_checksum_message_and_torn_tail(void)
{
	char buf[256], want[PATH_MAX + 64];
	struct spool_stats st;
	uint64_t ids[3];
	struct spool *sp;
	struct fx f;
	int i;

	if (!fx_init(&f))
		return;
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	for (i = 0; i < 3; i++)
		ASSERT_OK(spool_append(sp, SPOOL_FINDINGS, buf, payload(buf, sizeof(buf), i),
				       &ids[i]),
			  "append");
	spool_close(sp);
	flip_byte(seg_path(&f, ids[0]), (uint32_t)ids[0] + SPOOL_HDR_SIZE + 1);
	/* a record cut short, as a power loss may leave it */
	ASSERT_OK(truncate(seg_path(&f, ids[2]), (uint32_t)ids[2] + 7), "truncate");
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.corrupt_records, 2, "checksum and torn tail");
	ASSERT_EQ(st.records, 1, "one good");
	snprintf(want, sizeof(want),
		 "spool '%s/spool-%08u.log': record at offset %u: truncated header", f.dir,
		 (unsigned int)(ids[2] >> 32), (unsigned int)ids[2]);
	ASSERT_STREQ(spool_last_error(sp), want, "torn tail reported");
	spool_close(sp);

	/* the checksum message, reported before the torn tail, in a fresh run of its own */
	fx_fini(&f);
	if (!fx_init(&f))
		return;
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	for (i = 0; i < 2; i++)
		ASSERT_OK(spool_append(sp, SPOOL_FINDINGS, buf, payload(buf, sizeof(buf), i),
				       &ids[i]),
			  "append");
	spool_close(sp);
	flip_byte(seg_path(&f, ids[1]), (uint32_t)ids[1] + SPOOL_HDR_SIZE + 1);
	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	snprintf(want, sizeof(want),
		 "spool '%s/spool-%08u.log': record at offset %u: checksum mismatch", f.dir,
		 (unsigned int)(ids[1] >> 32), (unsigned int)ids[1]);
	ASSERT_STREQ(spool_last_error(sp), want, "checksum mismatch reported");
	spool_close(sp);
out:
	fx_fini(&f);
}

/* Writes one record by hand, as spool.h documents the format. */
static void put_record(FILE *fp, uint8_t stream, uint8_t flags, const void *stored,
		       uint32_t stored_len, uint32_t raw_len)
{
	uint8_t h[SPOOL_HDR_SIZE] = { 'D', 'T', 'S', 'P' };
	uLong crc;

	h[4] = stored_len;
	h[5] = stored_len >> 8;
	h[8] = raw_len;
	h[9] = raw_len >> 8;
	h[16] = stream;
	h[17] = flags;
	crc = crc32(0, Z_NULL, 0);
	crc = crc32(crc, stored, stored_len);
	crc = crc32(crc, h + 8, 4);
	crc = crc32(crc, h + 16, 4);
	h[12] = crc;
	h[13] = crc >> 8;
	h[14] = crc >> 16;
	h[15] = crc >> 24;
	fwrite(h, 1, sizeof(h), fp);
	fwrite(stored, 1, stored_len, fp);
}

static void test_on_disk_format_and_zlib_error(void)
{
	static struct seen s;
	uint8_t z[128];
	uLongf zlen = sizeof(z);
	char path[PATH_MAX], want[PATH_MAX + 64];
	struct spool_stats st;
	struct spool *sp;
	struct fx f;
	FILE *fp;

	if (!fx_init(&f))
		return;
	snprintf(path, sizeof(path), "%s/spool-00000007.log", f.dir);
	fp = fopen(path, "w");
	if (!ASSERT_TRUE(fp != NULL, "create"))
		goto out;
	put_record(fp, SPOOL_FINDINGS, 0, "raw-one", 7, 7);
	/* a valid checksum over bytes that are not zlib */
	put_record(fp, SPOOL_EVENTS, SPOOL_F_ZLIB, "not zlib at all", 15, 40);
	compress2(z, &zlen, (const Bytef *)"compressed-three compressed-three", 33, 9);
	put_record(fp, SPOOL_EVENTS, SPOOL_F_ZLIB, z, zlen, 33);
	fclose(fp);

	sp = open_ok(&f, 1 << 20);
	if (!sp)
		goto out;
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.records, 3, "indexed by checksum");
	memset(&s, 0, sizeof(s));
	ASSERT_OK(spool_replay(sp, collect, &s), "replay");
	ASSERT_EQ(s.n, 2, "the zlib one skipped");
	ASSERT_STREQ(s.data[0], "raw-one", "raw record");
	ASSERT_EQ(s.ids[0], 7ull << 32, "id = segment << 32 | offset");
	ASSERT_STREQ(s.data[1], "compressed-three compressed-three", "zlib record");
	ASSERT_EQ(s.streams[1], SPOOL_EVENTS, "stream");
	snprintf(want, sizeof(want), "spool '%s/spool-00000007.log': record at offset 27: zlib: ",
		 f.dir);
	ASSERT_HAS(spool_last_error(sp), want, "zlib failure reported with offset");
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.corrupt_records, 1, "counted");
	ASSERT_EQ(st.records, 2, "dropped from the spool");
	spool_close(sp);
out:
	fx_fini(&f);
}

static void test_bounds(void)
{
	const uint64_t max = 64 << 10; /* 65536; segments of 8192 */
	const size_t len = 1000;       /* incompressible: records of 1020 bytes */
	uint64_t ev[40], fi[40], id;
	struct spool_stats st;
	struct spool *sp;
	uint8_t buf[1000];
	struct fx f;
	int n_ev = 0, n_fi = 0, i, ret;

	if (!fx_init(&f))
		return;
	sp = open_ok(&f, max);
	if (!sp)
		goto out;
	/* events: up to half of 65536, so 32 records (32640 bytes) */
	for (i = 0; i < 40; i++) {
		noise(buf, len, i);
		ret = spool_append(sp, SPOOL_EVENTS, buf, len, &id);
		if (ret) {
			ASSERT_EQ(ret, -ENOSPC, "events over half");
			continue;
		}
		ev[n_ev++] = id;
	}
	spool_get_stats(sp, &st);
	ASSERT_EQ(n_ev, 32, "events accepted");
	ASSERT_EQ(st.dropped_events, 8, "events dropped");
	ASSERT_EQ(st.events_bytes, 32 * 1020, "events bytes");
	ASSERT_EQ(st.bytes, 32 * 1020, "bytes");
	/* findings: the rest, (65536 - 32640) / 1020 = 32 */
	for (i = 0; i < 40; i++) {
		noise(buf, len, 100 + i);
		ret = spool_append(sp, SPOOL_FINDINGS, buf, len, &id);
		if (ret) {
			ASSERT_EQ(ret, -ENOSPC, "full");
			continue;
		}
		fi[n_fi++] = id;
	}
	spool_get_stats(sp, &st);
	ASSERT_EQ(n_fi, 32, "findings accepted until full");
	ASSERT_EQ(st.dropped_findings, 8, "findings dropped only when full");
	ASSERT_EQ(st.dropped_events, 8, "events untouched");
	ASSERT_EQ(st.records, 64, "records");
	ASSERT_EQ(st.bytes, 64 * 1020, "bytes");
	ASSERT_EQ(spool_append(sp, SPOOL_EVENTS, buf, len, &id), -ENOSPC, "full for events too");
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.dropped_events, 9, "counted");
	ASSERT_EQ(st.dropped_findings, 8, "counted");

	/* acking the first 8 events frees their segment: room for 8 records again */
	for (i = 0; i < 8; i++)
		ASSERT_OK(spool_ack(sp, ev[i]), "ack");
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.bytes, 56 * 1020, "segment deleted");
	ASSERT_EQ(st.events_bytes, 24 * 1020, "events bytes after ack");
	for (i = 0; i < 8; i++) {
		noise(buf, len, 200 + i);
		ASSERT_OK(spool_append(sp, i < 4 ? SPOOL_FINDINGS : SPOOL_EVENTS, buf, len, &id),
			  "room again");
	}
	ASSERT_EQ(spool_append(sp, SPOOL_FINDINGS, buf, len, &id), -ENOSPC, "full again");
	ASSERT_EQ(spool_append(sp, SPOOL_FINDINGS, buf, SPOOL_MAX_RECORD + 1, &id), -EMSGSIZE,
		  "too large");
	ASSERT_EQ(spool_append(sp, (enum spool_stream)9, buf, 1, &id), -EINVAL, "bad stream");
	spool_get_stats(sp, &st);
	ASSERT_EQ(st.dropped_findings, 10, "too large counted");
	ASSERT_EQ(st.records, 64, "records");
	(void)fi;
	spool_close(sp);
out:
	fx_fini(&f);
}

TEST_MAIN("spool", TEST_CASE(test_order_across_segments), TEST_CASE(test_ack_out_of_order),
	  TEST_CASE(test_crash_replays_unacked), TEST_CASE(test_corrupt_record_skipped),
	  TEST_CASE(test_checksum_message_and_torn_tail),
	  TEST_CASE(test_on_disk_format_and_zlib_error), TEST_CASE(test_bounds))
