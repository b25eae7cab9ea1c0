// SPDX-License-Identifier: GPL-2.0
/* test_trace.c - forensic traces: round trip, rotation, pruning, tamper detection, encryption,
 * keys. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "test.h"
#include "tmpdir.h"
#include "trace.h"

/* The format as docs/forensics.md describes it, for the tests that damage files by hand. */
#define SEG_HDR 192
#define BLK_HDR 56

struct fx {
	char dir[64];
	char trace[96];
};

static bool fx_init(struct fx *f)
{
	if (!ASSERT_TRUE(tmpdir_make(f->dir, sizeof(f->dir), "trace"), "mkdtemp"))
		return false;
	snprintf(f->trace, sizeof(f->trace), "%s/trace", f->dir);
	return true;
}

static void fx_fini(struct fx *f)
{
	tmpdir_remove(f->dir);
}

static const char *seg_path(const struct fx *f, uint32_t seq)
{
	static char bufs[4][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/trace-%08u.dts", f->trace, seq);
	return b;
}

static const char *seg_name(uint32_t seq)
{
	static char bufs[4][32];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, 32, "trace-%08u.dts", seq);
	return b;
}

/* Record i of every test trace: a few types, lengths 0..299, bytes that do not compress away. */
static uint16_t rec_type(uint32_t i)
{
	return i % 5 == 0 ? 0x100 + i % 3 : 1 + i % 4;
}

static uint32_t rec_len(uint32_t i)
{
	return (i * 37u) % 300u;
}

static void rec_fill(uint32_t i, uint8_t *buf)
{
	uint32_t x = i * 2654435761u + 1;

	for (uint32_t j = 0; j < rec_len(i); j++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[j] = (uint8_t)(j % 4 ? x : i);
	}
}

static const uint8_t key1[TRACE_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t key2[TRACE_KEY_LEN] = "fedcba9876543210fedcba987654321";

/* Small segments and blocks, so that a few thousand records make several of each. */
static struct trace_opts small_opts(void)
{
	return (struct trace_opts){
	    .segment_max_bytes = 16 << 10,
	    .block_max_bytes = 2 << 10,
	    .total_max_bytes = TRACE_NO_CAP,
	    .host = "testhost",
	};
}

static bool write_records(const char *dir, const struct trace_opts *o, uint32_t from, uint32_t to)
{
	struct errbuf eb = {};
	struct trace_writer *w;
	uint8_t buf[300];
	bool ok = true;

	if (!ASSERT_OK(trace_writer_open(dir, o, &w, &eb), eb.msg))
		return false;
	for (uint32_t i = from; i < to && ok; i++) {
		rec_fill(i, buf);
		ok = ASSERT_OK(trace_write(w, rec_type(i), buf, rec_len(i), 1000ull * i), "write");
	}
	ok &= ASSERT_OK(trace_writer_close(w), "close");
	return ok;
}

static uint32_t count_segments(const struct fx *f)
{
	uint32_t n = 0;

	for (uint32_t s = 0; s < 1000; s++)
		if (access(seg_path(f, s), F_OK) == 0)
			n++;
	return n;
}

/* Reads the whole trace and checks it holds records [from, to) in order; returns the count read. */
static long read_expect(const char *path, const uint8_t *key, uint32_t from, uint32_t to)
{
	struct errbuf eb = {};
	struct trace_reader *r;
	uint8_t want[300];
	const void *data;
	uint32_t len, i = from;
	uint16_t type;
	uint64_t ts;
	int ret;

	if (!ASSERT_OK(trace_open(path, key, &r, &eb), eb.msg))
		return -1;
	while ((ret = trace_next(r, &type, &data, &len, &ts)) == 1) {
		if (!ASSERT_TRUE(i < to, "no extra records"))
			break;
		rec_fill(i, want);
		if (!ASSERT_EQ(type, rec_type(i), "type") || !ASSERT_EQ(len, rec_len(i), "len") ||
		    !ASSERT_EQ(ts, 1000ull * i, "ts") ||
		    !ASSERT_TRUE(!memcmp(data, want, len), "data") ||
		    !ASSERT_EQ((uintptr_t)data % 8, 0, "aligned"))
			break;
		i++;
	}
	ASSERT_EQ(ret, 0, trace_reader_error(r));
	ASSERT_EQ(i, to, "all records read");
	trace_close(r);
	return (long)(i - from);
}

/* Offsets and lengths (header included) of the blocks of a segment file, trailer last. */
struct blocks {
	long off[512];
	long len[512];
	int n;
	long size;
};

static bool scan_blocks(const char *path, struct blocks *b)
{
	uint8_t *buf;
	long off = SEG_HDR;
	FILE *f;

	memset(b, 0, sizeof(*b));
	f = fopen(path, "rb");
	if (!ASSERT_TRUE(f != NULL, path))
		return false;
	fseek(f, 0, SEEK_END);
	b->size = ftell(f);
	rewind(f);
	buf = malloc(b->size);
	if (fread(buf, 1, b->size, f) != (size_t)b->size)
		b->size = -1;
	fclose(f);
	while (b->size > 0 && off + BLK_HDR <= b->size && b->n < 512) {
		uint32_t stored;

		memcpy(&stored, buf + off + 8, 4);
		b->off[b->n] = off;
		b->len[b->n] = BLK_HDR + stored;
		b->n++;
		off += BLK_HDR + stored;
	}
	free(buf);
	return ASSERT_TRUE(b->n > 1 && off == b->size, "segment parses by the documented layout");
}

static bool patch_file(const char *path, long off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 && pwrite(fd, data, len, off) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ASSERT_TRUE(ok, "patch");
}

/*
 * Inverts the byte at @off: a change whatever was there. Writing a constant would leave the
 * file as it was once in 256 runs where the byte is ciphertext or a hash.
 */
static bool flip_byte(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	uint8_t c;
	bool ok = fd >= 0 && pread(fd, &c, 1, off) == 1;

	c = ~c;
	ok = ok && pwrite(fd, &c, 1, off) == 1;
	if (fd >= 0)
		close(fd);
	return ASSERT_TRUE(ok, "flip");
}

static bool read_file(const char *path, uint8_t **buf, long *len)
{
	FILE *f = fopen(path, "rb");

	if (!ASSERT_TRUE(f != NULL, path))
		return false;
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	*buf = malloc(*len + 1);
	if (fread(*buf, 1, *len, f) != (size_t)*len)
		*len = -1;
	fclose(f);
	return ASSERT_TRUE(*len >= 0, "read");
}

static bool write_file(const char *path, const uint8_t *buf, long len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	bool ok = fd >= 0 && write(fd, buf, len) == len;

	if (fd >= 0)
		close(fd);
	return ASSERT_TRUE(ok, "write file");
}

static void verify_expect_bad(const char *path, const uint8_t *key, const char *segment, long block,
			      const char *reason)
{
	struct trace_verify_report rep;

	ASSERT_EQ(trace_verify(path, key, &rep), -EBADMSG, "verify fails");
	ASSERT_FALSE(rep.ok, "not ok");
	ASSERT_STREQ(rep.bad_segment, segment, "bad segment");
	ASSERT_EQ(rep.bad_block, block, "bad block");
	ASSERT_HAS(rep.reason, reason, "reason");
}

static void test_roundtrip_segments(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct stat st;
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000))
		goto out;
	ASSERT_TRUE(count_segments(&f) >= 4, "several segments");
	ASSERT_EQ(read_expect(f.trace, NULL, 0, 3000), 3000, "read back");
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_TRUE(rep.ok, "ok");
	ASSERT_FALSE(rep.live, "not live");
	ASSERT_EQ(rep.records, 3000, "records");
	ASSERT_EQ(rep.segments, count_segments(&f), "segments");
	ASSERT_EQ(rep.first_seq, 0, "first");
	ASSERT_EQ(rep.last_seq, count_segments(&f) - 1, "last");
	ASSERT_EQ(rep.pruned, 0, "pruned");
	ASSERT_TRUE(rep.blocks > 20, "blocks");
	/* every segment closes before it passes its size */
	for (uint32_t s = 0; s < count_segments(&f); s++)
		if (ASSERT_OK(stat(seg_path(&f, s), &st), "stat"))
			ASSERT_TRUE(st.st_size <= 16 << 10, "segment size");
out:
	fx_fini(&f);
}

static void test_modes(void)
{
	struct trace_opts o = small_opts();
	mode_t old = umask(0);
	struct stat st;
	struct fx f;

	if (!fx_init(&f))
		goto out;
	write_records(f.trace, &o, 0, 100);
	if (ASSERT_OK(stat(f.trace, &st), "stat dir"))
		ASSERT_EQ(st.st_mode & 07777, 0700, "dir 0700");
	if (ASSERT_OK(stat(seg_path(&f, 0), &st), "stat segment"))
		ASSERT_EQ(st.st_mode & 07777, 0600, "segment 0600");
	/* an existing directory with loose permissions is tightened */
	chmod(f.trace, 0755);
	write_records(f.trace, &o, 100, 200);
	if (ASSERT_OK(stat(f.trace, &st), "stat dir"))
		ASSERT_EQ(st.st_mode & 07777, 0700, "dir 0700 again");
	fx_fini(&f);
out:
	umask(old);
}

static void test_record_sizes(void)
{
	struct trace_opts o = small_opts();
	struct trace_reader *r = NULL;
	struct errbuf eb = {};
	struct trace_writer *w;
	uint8_t *big = malloc(100000);
	const void *data;
	uint32_t len;
	uint16_t type;
	uint64_t ts;
	struct fx f;

	if (!fx_init(&f))
		return;
	memset(big, 0xab, 100000);
	if (!ASSERT_OK(trace_writer_open(f.trace, &o, &w, &eb), eb.msg))
		goto out;
	ASSERT_OK(trace_write(w, 7, NULL, 0, 1), "empty record");
	ASSERT_OK(trace_write(w, 8, big, 100000, 2), "record over the block size");
	ASSERT_OK(trace_write(w, 9, "x", 1, 3), "small after big");
	ASSERT_EQ(trace_write(w, 9, big, TRACE_MAX_RECORD + 1, 4), -E2BIG, "too big");
	ASSERT_OK(trace_writer_close(w), "close");
	if (!ASSERT_OK(trace_open(f.trace, NULL, &r, &eb), eb.msg))
		goto out;
	ASSERT_EQ(trace_next(r, &type, &data, &len, &ts), 1, "first");
	ASSERT_TRUE(type == 7 && len == 0 && ts == 1, "empty record back");
	ASSERT_EQ(trace_next(r, &type, &data, &len, &ts), 1, "second");
	ASSERT_TRUE(type == 8 && len == 100000 && !memcmp(data, big, len), "big record back");
	ASSERT_EQ(trace_next(r, &type, &data, &len, &ts), 1, "third");
	ASSERT_TRUE(type == 9 && len == 1 && !memcmp(data, "x", 1), "small record back");
	ASSERT_EQ(trace_next(r, &type, &data, &len, &ts), 0, "end");
out:
	trace_close(r);
	free(big);
	fx_fini(&f);
}

static void test_flip_byte(void)
{
	struct trace_opts o = small_opts();
	const struct trace_issue *is;
	struct trace_reader *r;
	struct errbuf eb = {};
	struct blocks b;
	const void *data;
	uint32_t len, seg_block;
	uint16_t type;
	uint64_t ts;
	uint8_t c;
	long n = 0;
	int ret;
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000) || !scan_blocks(seg_path(&f, 2), &b))
		goto out;
	/* one byte in the middle of the stored bytes of block 3 of segment 2 */
	if (!ASSERT_TRUE(b.n > 5, "blocks in segment 2"))
		goto out;
	{
		int fd = open(seg_path(&f, 2), O_RDWR);

		ASSERT_EQ(pread(fd, &c, 1, b.off[3] + BLK_HDR + 20), 1, "pread");
		c ^= 0x10;
		ASSERT_EQ(pwrite(fd, &c, 1, b.off[3] + BLK_HDR + 20), 1, "pwrite");
		close(fd);
	}
	verify_expect_bad(f.trace, NULL, seg_name(2), 3, "crc mismatch");

	/* a plain reader stops there, naming the place */
	if (!ASSERT_OK(trace_open(f.trace, NULL, &r, &eb), eb.msg))
		goto out;
	while ((ret = trace_next(r, &type, &data, &len, &ts)) == 1) {
		const struct trace_segment_info *si = trace_reader_segment(r, &seg_block);

		ASSERT_TRUE(si->seq < 2 || (si->seq == 2 && seg_block < 3),
			    "only records before it");
		n++;
	}
	ASSERT_EQ(ret, -EBADMSG, "error");
	ASSERT_HAS(trace_reader_error(r), "trace-00000002.dts: block 3: crc mismatch", "message");
	trace_close(r);

	/* with force it goes on, without that block, and says which was skipped */
	if (!ASSERT_OK(trace_open_flags(f.trace, NULL, TRACE_OPEN_FORCE, &r, &eb), eb.msg))
		goto out;
	n = 0;
	while ((ret = trace_next(r, &type, &data, &len, &ts)) == 1)
		n++;
	ASSERT_EQ(ret, 0, "end");
	ASSERT_TRUE(n > 2900 && n < 3000, "all but one block's records");
	if (ASSERT_EQ(trace_reader_issues(r, &is), 1, "one issue")) {
		ASSERT_STREQ(is[0].segment, seg_name(2), "issue segment");
		ASSERT_EQ(is[0].block, 3, "issue block");
		ASSERT_TRUE(is[0].skipped, "skipped");
		ASSERT_STREQ(is[0].reason, "crc mismatch", "issue reason");
	}
	trace_close(r);
out:
	fx_fini(&f);
}

static void test_flip_header_length(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct blocks b;
	struct fx f;
	uint8_t c = 0x7f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 2000) || !scan_blocks(seg_path(&f, 1), &b))
		goto out;
	/* stored_len of block 2 made huge: the frame is lost; the walk finds block 3 again */
	patch_file(seg_path(&f, 1), b.off[2] + 8 + 3, &c, 1);
	ASSERT_EQ(trace_verify(f.trace, NULL, &rep), -EBADMSG, "verify fails");
	ASSERT_STREQ(rep.bad_segment, seg_name(1), "segment");
	ASSERT_EQ(rep.bad_block, 2, "block");
	ASSERT_HAS(rep.reason, "truncated", "reason");
	ASSERT_EQ(rep.issues, 1, "one issue");
	ASSERT_HAS(rep.note, "chain picked up again at block 3", "resynced");
out:
	fx_fini(&f);
}

static void test_truncate_last(void)
{
	struct trace_opts o = small_opts();
	uint32_t last;
	struct blocks b;
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000))
		goto out;
	last = count_segments(&f) - 1;
	if (!scan_blocks(seg_path(&f, last), &b))
		goto out;
	/* cut in the middle of the second-to-last data block */
	ASSERT_OK(truncate(seg_path(&f, last), b.off[b.n - 2] + 100), "truncate");
	verify_expect_bad(f.trace, NULL, seg_name(last), b.n - 2, "truncated");
	/* cut exactly after a block: everything there is sound but the trailer is gone */
	ASSERT_OK(truncate(seg_path(&f, last), b.off[b.n - 3]), "truncate at a block");
	verify_expect_bad(f.trace, NULL, seg_name(last), b.n - 3, "trailer missing");
out:
	fx_fini(&f);
}

static void test_missing_segment(void)
{
	struct trace_opts o = small_opts();
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000))
		goto out;
	ASSERT_OK(unlink(seg_path(&f, 2)), "unlink");
	verify_expect_bad(f.trace, NULL, seg_name(3), -1, "missing segment 2");
	ASSERT_OK(unlink(seg_path(&f, 3)), "unlink another");
	verify_expect_bad(f.trace, NULL, seg_name(4), -1, "missing segments 2-3");
out:
	fx_fini(&f);
}

static void test_swap_blocks(void)
{
	struct trace_opts o = small_opts();
	const struct trace_issue *is;
	struct trace_reader *r;
	struct errbuf eb = {};
	uint8_t *buf, *copy;
	const void *data;
	struct blocks b;
	uint32_t len;
	uint16_t type;
	uint64_t ts;
	long size, n = 0;
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000) || !scan_blocks(seg_path(&f, 1), &b) ||
	    !read_file(seg_path(&f, 1), &buf, &size))
		goto out;
	/* blocks 2 and 3 change places, each with its own (valid) CRC */
	copy = malloc(size);
	memcpy(copy, buf, size);
	memcpy(copy + b.off[2], buf + b.off[3], b.len[3]);
	memcpy(copy + b.off[2] + b.len[3], buf + b.off[2], b.len[2]);
	write_file(seg_path(&f, 1), copy, size);
	free(copy);
	free(buf);
	verify_expect_bad(f.trace, NULL, seg_name(1), 2, "chain mismatch");

	/* force hands both out, in file order, and reports them */
	if (!ASSERT_OK(trace_open_flags(f.trace, NULL, TRACE_OPEN_FORCE, &r, &eb), eb.msg))
		goto out;
	while (trace_next(r, &type, &data, &len, &ts) == 1)
		n++;
	ASSERT_EQ(n, 3000, "all records");
	if (ASSERT_TRUE(trace_reader_issues(r, &is) >= 2, "issues")) {
		ASSERT_EQ(is[0].block, 2, "first at block 2");
		ASSERT_FALSE(is[0].skipped, "delivered");
		ASSERT_EQ(is[1].block, 3, "then block 3");
	}
	trace_close(r);
out:
	fx_fini(&f);
}

static void test_segment_out_of_order(void)
{
	struct trace_opts o = small_opts();
	char tmp[PATH_MAX];
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000))
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/tmp", f.dir);
	rename(seg_path(&f, 1), tmp);
	rename(seg_path(&f, 2), seg_path(&f, 1));
	rename(tmp, seg_path(&f, 2));
	verify_expect_bad(f.trace, NULL, seg_name(1), -1, "segment out of order");
out:
	fx_fini(&f);
}

static void test_prune(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct trace_writer_stats st;
	struct trace_reader *r;
	struct errbuf eb = {};
	struct trace_writer *w;
	uint32_t first = 0, last = 0, i;
	uint8_t buf[300];
	uint16_t type;
	const void *data;
	uint32_t len;
	uint64_t ts;
	struct fx f;
	int ret;

	if (!fx_init(&f))
		return;
	o.total_max_bytes = 48 << 10;
	if (!ASSERT_OK(trace_writer_open(f.trace, &o, &w, &eb), eb.msg))
		goto out;
	for (i = 0; i < 6000; i++) {
		rec_fill(i, buf);
		trace_write(w, rec_type(i), buf, rec_len(i), 1000ull * i);
	}
	trace_writer_stats(w, &st);
	ASSERT_OK(trace_writer_close(w), "close");
	ASSERT_TRUE(st.pruned > 0, "pruned");
	ASSERT_EQ(access(seg_path(&f, 0), F_OK), -1, "oldest gone");
	ASSERT_TRUE(count_segments(&f) <= 4, "at most the cap's worth");

	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_TRUE(rep.ok, "still verifies");
	ASSERT_EQ(rep.pruned, st.pruned, "pruned count");
	ASSERT_EQ(rep.first_seq, st.pruned, "first present");
	ASSERT_HAS(rep.note, "starts after", "note");

	/* what is left is the newest records, in order, ending with the last written */
	if (!ASSERT_OK(trace_open(f.trace, NULL, &r, &eb), eb.msg))
		goto out;
	i = 0;
	while ((ret = trace_next(r, &type, &data, &len, &ts)) == 1) {
		if (!i)
			first = (uint32_t)(ts / 1000);
		else if (!ASSERT_EQ(ts / 1000, last + 1, "consecutive"))
			break;
		last = (uint32_t)(ts / 1000);
		i++;
	}
	ASSERT_EQ(ret, 0, "clean end");
	ASSERT_TRUE(first > 0, "oldest records gone");
	ASSERT_EQ(last, 5999, "newest kept");
	trace_close(r);
out:
	fx_fini(&f);
}

static void test_reopen_continues(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	uint32_t before;
	struct fx f;

	if (!fx_init(&f))
		return;
	write_records(f.trace, &o, 0, 1000);
	before = count_segments(&f);
	write_records(f.trace, &o, 1000, 1500);
	write_records(f.trace, &o, 1500, 1501);
	ASSERT_TRUE(count_segments(&f) >= before + 2, "new segments after the old");
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_EQ(rep.records, 1501, "records");
	ASSERT_EQ(read_expect(f.trace, NULL, 0, 1501), 1501, "read across writers");
	fx_fini(&f);
}

static void test_crash_recovery(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	uint32_t last;
	struct blocks b;
	struct fx f;
	int fd;

	if (!fx_init(&f))
		return;
	write_records(f.trace, &o, 0, 1000);
	last = count_segments(&f) - 1;
	if (!scan_blocks(seg_path(&f, last), &b))
		goto out;
	/* a writer that died: no trailer, and half a block written */
	ASSERT_OK(truncate(seg_path(&f, last), b.off[b.n - 1]), "drop trailer");
	fd = open(seg_path(&f, last), O_WRONLY | O_APPEND);
	ASSERT_EQ(write(fd, "DTBK\0\0\0\0garbage", 15), 15, "torn block");
	close(fd);
	ASSERT_EQ(trace_verify(f.trace, NULL, &rep), -EBADMSG, "crashed, not restarted: reported");
	ASSERT_STREQ(rep.bad_segment, seg_name(last), "segment");

	/* the next writer continues the chain from the last sound block */
	write_records(f.trace, &o, 1000, 1200);
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_HAS(rep.note, "without a trailer", "noted");
	ASSERT_EQ(read_expect(f.trace, NULL, 0, 1200), 1200, "records across the crash");

	/* but cutting that segment shorter now breaks the chain */
	ASSERT_OK(truncate(seg_path(&f, last), b.off[b.n - 2]), "cut");
	ASSERT_EQ(trace_verify(f.trace, NULL, &rep), -EBADMSG, "detected");
	ASSERT_STREQ(rep.bad_segment, seg_name(last), "the cut segment");
	ASSERT_EQ(rep.bad_block, b.n - 2, "where it now ends");
	ASSERT_HAS(rep.reason, "chain mismatch", "reason");
out:
	fx_fini(&f);
}

static void test_live_and_busy(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct trace_writer *w, *w2;
	struct errbuf eb = {};
	struct fx f;
	uint8_t head[TRACE_HASH_LEN];
	uint32_t seq;

	if (!fx_init(&f))
		return;
	if (!ASSERT_OK(trace_writer_open(f.trace, &o, &w, &eb), eb.msg))
		goto out;
	ASSERT_EQ(trace_writer_open(f.trace, &o, &w2, &eb), -EBUSY, "second writer");
	ASSERT_HAS(eb.msg, "in use", "message");
	for (uint32_t i = 0; i < 500; i++)
		trace_write(w, 1, "abcdefgh", 8, i);
	ASSERT_OK(trace_writer_flush(w), "flush");
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_TRUE(rep.live, "live");
	ASSERT_EQ(rep.records, 500, "records so far");
	trace_writer_head(w, &seq, head);
	ASSERT_TRUE(!memcmp(head, rep.head, TRACE_HASH_LEN),
		    "writer and verifier agree on the head");
	ASSERT_OK(trace_writer_close(w), "close");
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_FALSE(rep.live, "not live");
out:
	fx_fini(&f);
}

static void test_age_rotation(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct trace_writer_stats st;
	struct trace_writer *w;
	struct errbuf eb = {};
	struct fx f;

	if (!fx_init(&f))
		return;
	o.segment_max_age_s = 1;
	if (!ASSERT_OK(trace_writer_open(f.trace, &o, &w, &eb), eb.msg))
		goto out;
	trace_write(w, 1, "a", 1, 1);
	ASSERT_OK(trace_writer_flush(w), "flush");
	usleep(1100 * 1000);
	trace_write(w, 1, "b", 1, 2);
	ASSERT_OK(trace_writer_flush(w), "flush");
	trace_writer_stats(w, &st);
	ASSERT_EQ(st.segments, 2, "rotated by age");
	ASSERT_OK(trace_writer_close(w), "close");
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_EQ(rep.segments, 2, "two segments");
	ASSERT_EQ(rep.records, 2, "two records");
out:
	fx_fini(&f);
}

static void test_encrypted(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct trace_reader *r;
	struct errbuf eb = {};
	uint8_t *buf;
	long size;
	struct fx f;

	if (!fx_init(&f))
		return;
	o.key = key1;
	if (!write_records(f.trace, &o, 0, 2000))
		goto out;
	ASSERT_EQ(read_expect(f.trace, key1, 0, 2000), 2000, "round trip");
	ASSERT_OK(trace_verify(f.trace, key1, &rep), rep.reason);
	ASSERT_TRUE(rep.encrypted && !rep.keyless, "encrypted, checked with the key");
	ASSERT_EQ(rep.records, 2000, "records");

	/* without the key the chain still checks */
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_TRUE(rep.keyless, "keyless");
	ASSERT_EQ(rep.records, 2000, "records from the trailers");

	verify_expect_bad(f.trace, key2, seg_name(0), -1, "decryption failed (wrong key?)");
	ASSERT_EQ(trace_open(f.trace, key2, &r, &eb), -EKEYREJECTED, "wrong key");
	ASSERT_HAS(eb.msg, "decryption failed (wrong key?)", "message");
	ASSERT_EQ(trace_open(f.trace, NULL, &r, &eb), -ENOKEY, "no key");
	ASSERT_HAS(eb.msg, "key is required", "message");

	/* the key id, not the content, gives a key away; record bytes are not in the file */
	if (read_file(seg_path(&f, 0), &buf, &size)) {
		uint8_t rec[300];

		rec_fill(299, rec);
		ASSERT_TRUE(memmem(buf, size, rec, 16) == NULL, "no plaintext");
		free(buf);
	}
out:
	fx_fini(&f);
}

/* Recomputes CRC and chain of every block of @path from block @from on, as an attacker could. */
static void rechain(const char *path, int from)
{
	uint8_t *buf, chain[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct blocks b;
	unsigned int hl;
	long size;

	if (!scan_blocks(path, &b) || !read_file(path, &buf, &size))
		return;
	if (from == 0)
		EVP_Digest(buf, SEG_HDR, chain, &hl, EVP_sha256(), NULL);
	else
		memcpy(chain, buf + b.off[from - 1] + 24, 32);
	for (int i = from; i < b.n; i++) {
		uint8_t *h = buf + b.off[i];
		uint32_t stored, crc;

		memcpy(&stored, h + 8, 4);
		crc = (uint32_t)crc32(0, h + BLK_HDR, stored);
		memcpy(h + 16, &crc, 4);
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		EVP_DigestUpdate(md, chain, 32);
		EVP_DigestUpdate(md, h, 24);
		EVP_DigestUpdate(md, h + BLK_HDR, stored);
		EVP_DigestFinal_ex(md, chain, &hl);
		memcpy(h + 24, chain, 32);
	}
	write_file(path, buf, size);
	free(buf);
	EVP_MD_CTX_free(md);
}

static void test_rechained_tamper(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	uint32_t last;
	struct blocks b;
	struct fx f;

	if (!fx_init(&f))
		return;
	o.key = key1;
	if (!write_records(f.trace, &o, 0, 2000))
		goto out;
	last = count_segments(&f) - 1;
	if (!scan_blocks(seg_path(&f, last), &b))
		goto out;
	/* an attacker without the key edits block 1 of the last segment and redoes the chain */
	flip_byte(seg_path(&f, last), b.off[1] + BLK_HDR + 5);
	rechain(seg_path(&f, last), 1);
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), "keyless verify cannot tell");
	verify_expect_bad(f.trace, key1, seg_name(last), 1, "decryption failed (authentication");
out:
	fx_fini(&f);
}

static void test_plain_rechained_tamper(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct blocks b;
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000) || !scan_blocks(seg_path(&f, 1), &b))
		goto out;
	/* re-chaining one segment is not enough: the next header carries the old head */
	flip_byte(seg_path(&f, 1), b.off[1] + BLK_HDR + 5);
	rechain(seg_path(&f, 1), 1);
	ASSERT_EQ(trace_verify(f.trace, NULL, &rep), -EBADMSG, "detected");
	ASSERT_STREQ(rep.bad_segment, seg_name(1), "in the edited segment");
	ASSERT_EQ(rep.bad_block, 1, "block");
	ASSERT_HAS(rep.reason, "decompression failed", "the edit itself breaks the zlib stream");
	ASSERT_EQ(rep.issues, 2, "and the chain to the next segment");
out:
	fx_fini(&f);
}

static void test_key_rotation(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	const struct trace_issue *is;
	struct trace_reader *r;
	struct errbuf eb = {};
	uint32_t first_key2;
	const void *data;
	uint32_t len;
	uint16_t type;
	uint64_t ts;
	long n = 0;
	struct fx f;

	if (!fx_init(&f))
		return;
	o.key = key1;
	write_records(f.trace, &o, 0, 1000);
	first_key2 = count_segments(&f);
	o.key = key2;
	write_records(f.trace, &o, 1000, 2000);
	/* the chain runs through both keys; without a key it checks whole */
	ASSERT_OK(trace_verify(f.trace, NULL, &rep), rep.reason);
	ASSERT_EQ(rep.records, 2000, "records");
	ASSERT_HAS(rep.note, "encrypted from here on, key id", "key change noted");
	verify_expect_bad(f.trace, key1, seg_name(first_key2), -1,
			  "decryption failed (wrong key?)");
	/* with key1 and force: the records of its segments, then the others reported */
	if (!ASSERT_OK(trace_open_flags(f.trace, key1, TRACE_OPEN_FORCE, &r, &eb), eb.msg))
		goto out;
	while (trace_next(r, &type, &data, &len, &ts) == 1)
		ASSERT_EQ(ts, 1000ull * n++, "in order");
	ASSERT_EQ(n, 1000, "key1's records");
	if (ASSERT_TRUE(trace_reader_issues(r, &is) > 0, "issues"))
		ASSERT_STREQ(is[0].segment, seg_name(first_key2), "first key2 segment");
	trace_close(r);
out:
	fx_fini(&f);
}

static void test_encrypted_swap_force(void)
{
	struct trace_opts o = small_opts();
	struct trace_reader *r;
	struct errbuf eb = {};
	uint8_t *buf, *copy;
	const void *data;
	struct blocks b;
	uint32_t len;
	uint16_t type;
	uint64_t ts;
	long size, n = 0;
	struct fx f;

	if (!fx_init(&f))
		return;
	o.key = key1;
	if (!write_records(f.trace, &o, 0, 2000) || !scan_blocks(seg_path(&f, 0), &b) ||
	    !read_file(seg_path(&f, 0), &buf, &size))
		goto out;
	copy = malloc(size);
	memcpy(copy, buf, size);
	memcpy(copy + b.off[1], buf + b.off[2], b.len[2]);
	memcpy(copy + b.off[1] + b.len[2], buf + b.off[1], b.len[1]);
	write_file(seg_path(&f, 0), copy, size);
	free(copy);
	free(buf);
	verify_expect_bad(f.trace, key1, seg_name(0), 1, "chain mismatch");
	/* moved blocks still decrypt (their tags bind segment and index, not the chain) */
	if (!ASSERT_OK(trace_open_flags(f.trace, key1, TRACE_OPEN_FORCE, &r, &eb), eb.msg))
		goto out;
	while (trace_next(r, &type, &data, &len, &ts) == 1)
		n++;
	ASSERT_EQ(n, 2000, "all records");
	trace_close(r);
out:
	fx_fini(&f);
}

static void test_data_after_trailer(void)
{
	struct trace_opts o = small_opts();
	uint32_t last;
	struct blocks b;
	struct fx f;
	int fd;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000) || !scan_blocks(seg_path(&f, 1), &b))
		goto out;
	fd = open(seg_path(&f, 1), O_WRONLY | O_APPEND);
	ASSERT_EQ(write(fd, "appended", 8), 8, "append");
	close(fd);
	verify_expect_bad(f.trace, NULL, seg_name(1), b.n, "data after trailer");
	/* and a changed trailer in the last segment makes a second problem */
	last = count_segments(&f) - 1;
	if (scan_blocks(seg_path(&f, last), &b)) {
		struct trace_verify_report rep;

		flip_byte(seg_path(&f, last), b.off[b.n - 1] + BLK_HDR);
		ASSERT_EQ(trace_verify(f.trace, NULL, &rep), -EBADMSG, "verify fails");
		ASSERT_STREQ(rep.bad_segment, seg_name(1), "first problem first");
		ASSERT_EQ(rep.issues, 2, "two problems");
	}
out:
	fx_fini(&f);
}

static void test_single_file(void)
{
	struct trace_opts o = small_opts();
	struct trace_verify_report rep;
	struct fx f;

	if (!fx_init(&f))
		return;
	if (!write_records(f.trace, &o, 0, 3000))
		goto out;
	ASSERT_OK(trace_verify(seg_path(&f, 2), NULL, &rep), rep.reason);
	ASSERT_EQ(rep.segments, 1, "one segment");
	ASSERT_HAS(rep.note, "predecessors were not checked", "note");
	ASSERT_OK(trace_verify(seg_path(&f, 0), NULL, &rep), rep.reason);
out:
	fx_fini(&f);
}

static void test_not_a_trace(void)
{
	struct trace_verify_report rep;
	struct trace_reader *r;
	struct errbuf eb = {};
	struct fx f;
	char p[PATH_MAX];
	int fd;

	if (!fx_init(&f))
		return;
	ASSERT_EQ(trace_open(f.dir, NULL, &r, &eb), -ENOENT, "empty dir");
	ASSERT_HAS(eb.msg, "no trace segments", "message");
	snprintf(p, sizeof(p), "%s/nope", f.dir);
	ASSERT_EQ(trace_verify(p, NULL, &rep), -ENOENT, "missing");
	snprintf(p, sizeof(p), "%s/trace-00000000.dts", f.dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	ASSERT_EQ(write(fd, "hello, this is not a trace", 26), 26, "write");
	close(fd);
	verify_expect_bad(f.dir, NULL, "trace-00000000.dts", -1, "truncated (segment header)");
	fx_fini(&f);
}

static void test_key_file(void)
{
	uint8_t key[TRACE_KEY_LEN];
	struct errbuf eb = {};
	char p[PATH_MAX];
	struct fx f;
	FILE *fp;

	if (!fx_init(&f))
		return;
	snprintf(p, sizeof(p), "%s/key", f.dir);
	fp = fopen(p, "w");
	fprintf(fp, "  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1F\n");
	fclose(fp);
	chmod(p, 0644);
	ASSERT_EQ(trace_key_load(p, key, &eb), -EPERM, "0644 refused");
	ASSERT_HAS(eb.msg, "chmod 600", "message");
	chmod(p, 0640);
	ASSERT_EQ(trace_key_load(p, key, &eb), -EPERM, "0640 refused");
	chmod(p, 0600);
	if (ASSERT_OK(trace_key_load(p, key, &eb), eb.msg))
		ASSERT_TRUE(key[0] == 0 && key[15] == 15 && key[31] == 31, "hex key");
	fp = fopen(p, "w");
	fwrite(key1, 1, TRACE_KEY_LEN, fp);
	fclose(fp);
	if (ASSERT_OK(trace_key_load(p, key, &eb), eb.msg))
		ASSERT_TRUE(!memcmp(key, key1, TRACE_KEY_LEN), "raw key");
	fp = fopen(p, "w");
	fprintf(fp, "0011");
	fclose(fp);
	ASSERT_EQ(trace_key_load(p, key, &eb), -EINVAL, "short key");
	snprintf(p, sizeof(p), "%s/none", f.dir);
	ASSERT_EQ(trace_key_load(p, key, &eb), -ENOENT, "missing key");
	fx_fini(&f);
}

TEST_MAIN("trace", TEST_CASE(test_roundtrip_segments), TEST_CASE(test_modes),
	  TEST_CASE(test_record_sizes), TEST_CASE(test_flip_byte),
	  TEST_CASE(test_flip_header_length), TEST_CASE(test_truncate_last),
	  TEST_CASE(test_missing_segment), TEST_CASE(test_swap_blocks),
	  TEST_CASE(test_segment_out_of_order), TEST_CASE(test_prune),
	  TEST_CASE(test_reopen_continues), TEST_CASE(test_crash_recovery),
	  TEST_CASE(test_live_and_busy), TEST_CASE(test_age_rotation), TEST_CASE(test_encrypted),
	  TEST_CASE(test_rechained_tamper), TEST_CASE(test_plain_rechained_tamper),
	  TEST_CASE(test_key_rotation), TEST_CASE(test_encrypted_swap_force),
	  TEST_CASE(test_data_after_trailer), TEST_CASE(test_single_file),
	  TEST_CASE(test_not_a_trace), TEST_CASE(test_key_file))
