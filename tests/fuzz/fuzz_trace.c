// SPDX-License-Identifier: GPL-2.0
/* fuzz_trace.c - libFuzzer target: trace_verify and a full trace_next walk over hostile segment
 * files. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "trace.h"

/*
 * Input: one flags byte, then segment bytes.
 *   bit 0: read and verify with fuzz_key (else without a key)
 *   bit 1: two segment files: a little-endian u16 follows, the length of the first; the rest
 *          is the second (trace-00000000.dts and trace-00000001.dts in one directory)
 *   bit 2: also read with TRACE_OPEN_FORCE
 *   bit 3: fix up the header CRC, block CRCs and chain hashes (and the second segment's
 *          previous head) first, so that mutations reach decompression, decryption and
 *          record parsing instead of stopping at the first CRC
 * With FUZZ_SEEDS_DIR set, the binary writes a seed corpus of real traces there and exits.
 */
enum { F_KEY = 1, F_SPLIT = 2, F_FORCE = 4, F_FIXUP = 8 };

static const uint8_t fuzz_key[TRACE_KEY_LEN] = "datatrail fuzz key, 32 bytes ..";
static char dir[PATH_MAX], seg0[PATH_MAX + 32], seg1[PATH_MAX + 32];

static void put_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		abort();
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n <= 0)
			abort();
		data += n;
		len -= n;
	}
	close(fd);
}

static uint8_t *get_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Writes a small real trace with @key into a fresh directory; returns how many segments it has. */
static int make_trace(const char *tdir, const uint8_t *key, int records, uint32_t seg_max)
{
	struct trace_opts o = {
	    .segment_max_bytes = seg_max,
	    .block_max_bytes = 256,
	    .total_max_bytes = TRACE_NO_CAP,
	    .key = key,
	    .host = "fuzz",
	};
	struct trace_writer *w;
	struct errbuf eb = {};
	uint8_t rec[96];
	int n = 0;

	if (trace_writer_open(tdir, &o, &w, &eb)) {
		fprintf(stderr, "%s\n", eb.msg);
		exit(1);
	}
	for (int i = 0; i < records; i++) {
		for (size_t j = 0; j < sizeof(rec); j++)
			rec[j] = (uint8_t)(i * 31 + j * (j % 5));
		trace_write(w, (uint16_t)(i % 3 ? 1 + i % 4 : 0x100), rec, (uint32_t)(i * 7 % 96),
			    (uint64_t)i * 1000);
	}
	trace_writer_close(w);
	for (uint32_t s = 0; s < 64; s++) {
		char p[PATH_MAX + 32];

		snprintf(p, sizeof(p), "%s/trace-%08u.dts", tdir, s);
		if (access(p, F_OK) == 0)
			n++;
	}
	return n;
}

static void write_seed(const char *out, const char *name, uint8_t flags, const uint8_t *a,
		       size_t al, const uint8_t *b, size_t bl)
{
	uint8_t *s = malloc(3 + al + bl);
	char p[PATH_MAX + 64];
	size_t n = 0;

	s[n++] = flags;
	if (flags & F_SPLIT) {
		s[n++] = (uint8_t)al;
		s[n++] = (uint8_t)(al >> 8);
	}
	memcpy(s + n, a, al);
	n += al;
	if (b) {
		memcpy(s + n, b, bl);
		n += bl;
	}
	snprintf(p, sizeof(p), "%s/%s", out, name);
	put_file(p, s, n);
	free(s);
}

static void make_seeds(const char *out)
{
	static const struct {
		const char *name;
		bool key;
		int records;
		uint32_t seg_max;
	} kinds[] = {
	    {"plain-one", false, 24, 1 << 20},
	    {"enc-one", true, 24, 1 << 20},
	    {"plain-two", false, 60, 1200},
	    {"enc-two", true, 60, 1200},
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char tdir[PATH_MAX], p0[PATH_MAX + 32], p1[PATH_MAX + 32], name[64];
		uint8_t *a, *b = NULL;
		size_t al = 0, bl = 0;
		int nseg;

		snprintf(tdir, sizeof(tdir), "%s/seedtrace", dir);
		nseg = make_trace(tdir, kinds[k].key ? fuzz_key : NULL, kinds[k].records,
				  kinds[k].seg_max);
		snprintf(p0, sizeof(p0), "%s/trace-00000000.dts", tdir);
		snprintf(p1, sizeof(p1), "%s/trace-00000001.dts", tdir);
		a = get_file(p0, &al);
		if (nseg > 1)
			b = get_file(p1, &bl);
		if (!a || al > 65535)
			exit(1);
		for (uint8_t mode = 0; mode <= F_FORCE + F_FIXUP; mode += F_FORCE) {
			uint8_t flags = (kinds[k].key ? F_KEY : 0) | mode;

			snprintf(name, sizeof(name), "%s-%u", kinds[k].name, flags);
			write_seed(out, name, flags, a, al, NULL, 0);
			if (b) {
				snprintf(name, sizeof(name), "%s-split-%u", kinds[k].name, flags);
				write_seed(out, name, flags | F_SPLIT, a, al, b, bl);
			}
		}
		free(a);
		free(b);
		for (int s = 0; s < nseg; s++) {
			snprintf(p0, sizeof(p0), "%s/trace-%08u.dts", tdir, s);
			unlink(p0);
		}
		rmdir(tdir);
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Makes a segment's CRCs and chain hashes consistent, as docs/forensics.md defines them;
 * @prev (if not NULL) goes into the header's previous head; the final head lands in @head.
 */
static void fixup(uint8_t *b, size_t len, const uint8_t *prev, uint8_t head[32])
{
	EVP_MD_CTX *md;
	size_t off = 192;
	unsigned int hl;

	memset(head, 0, 32);
	if (len < 192)
		return;
	if (prev)
		memcpy(b + 40, prev, 32);
	put_le32(b + 188, (uint32_t)crc32(0, b, 188));
	md = EVP_MD_CTX_new();
	EVP_Digest(b, 192, head, &hl, EVP_sha256(), NULL);
	while (off + 56 <= len) {
		uint8_t *h = b + off;
		uint32_t stored = le32(h + 8);

		if (stored > len - off - 56)
			break;
		put_le32(h + 16, (uint32_t)crc32(0, h + 56, stored));
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		EVP_DigestUpdate(md, head, 32);
		EVP_DigestUpdate(md, h, 24);
		EVP_DigestUpdate(md, h + 56, stored);
		EVP_DigestFinal_ex(md, head, &hl);
		memcpy(h + 24, head, 32);
		off += 56 + stored;
	}
	EVP_MD_CTX_free(md);
}

static void cleanup(void)
{
	unlink(seg0);
	unlink(seg1);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("FUZZ_SEEDS_DIR");
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	/* tmpfs when there is one: ext4 flushes a file rewritten after O_TRUNC on close */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/dt-fuzz-trace-XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(seg0, sizeof(seg0), "%s/trace-00000000.dts", dir);
	snprintf(seg1, sizeof(seg1), "%s/trace-00000001.dts", dir);
	atexit(cleanup);
	if (seeds) {
		make_seeds(seeds);
		rmdir(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_verify_report rep;
	const struct trace_issue *is;
	struct trace_reader *r;
	struct errbuf eb;
	const uint8_t *key;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	key = flags & F_KEY ? fuzz_key : NULL;
	if (flags & F_SPLIT) {
		size_t first;

		if (size < 2)
			return 0;
		first = data[0] | (size_t)data[1] << 8;
		data += 2;
		size -= 2;
		if (first > size)
			first = size;
		if (flags & F_FIXUP) {
			uint8_t *copy = malloc(size + 1), head[32];

			memcpy(copy, data, size);
			fixup(copy, first, NULL, head);
			fixup(copy + first, size - first, head, head);
			put_file(seg0, copy, first);
			put_file(seg1, copy + first, size - first);
			free(copy);
		} else {
			put_file(seg0, data, first);
			put_file(seg1, data + first, size - first);
		}
	} else {
		if (flags & F_FIXUP) {
			uint8_t *copy = malloc(size + 1), head[32];

			memcpy(copy, data, size);
			fixup(copy, size, NULL, head);
			put_file(seg0, copy, size);
			free(copy);
		} else {
			put_file(seg0, data, size);
		}
		unlink(seg1);
	}

	trace_verify(dir, key, &rep);
	if (rep.ok && rep.issues)
		abort();

	for (unsigned int force = 0; force <= ((flags & F_FORCE) ? 1u : 0u); force++) {
		if (!trace_open_flags(dir, key, force ? TRACE_OPEN_FORCE : 0, &r, &eb)) {
			const void *d;
			uint32_t len;
			uint16_t type;
			uint64_t ts, sum = 0;
			int ret;

			while ((ret = trace_next(r, &type, &d, &len, &ts)) == 1) {
				/* touch every byte, so that ASan sees any read past the end */
				for (uint32_t i = 0; i < len; i++)
					sum += ((const uint8_t *)d)[i];
				trace_reader_segment(r, NULL);
			}
			if (ret == 1)
				abort();
			trace_reader_issues(r, &is);
			(void)sum;
			trace_close(r);
		}
	}
	return 0;
}
