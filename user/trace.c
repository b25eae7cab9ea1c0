/* SPDX-License-Identifier: GPL-2.0 */
/* trace.c - forensic traces: hash-chained, compressed, optionally encrypted segment files. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "outfile.h"
#include "trace.h"

/*
 * On-disk layout (all integers little-endian); docs/forensics.md is the reference.
 *
 * Segment header, SEG_HDR_LEN bytes, at offset 0 of every segment file.
 */
#define SEG_MAGIC "DTTRACE" /* with its NUL: 8 bytes */
#define SEG_HDR_LEN 192
#define SH_MAGIC 0
#define SH_VERSION 8
#define SH_HDR_LEN 10
#define SH_FLAGS 12
#define SH_SEQ 16
#define SH_GENESIS 20
#define SH_CREATED_RT 24
#define SH_CREATED_MONO 32
#define SH_PREV_HEAD 40
#define SH_SALT 72
#define SH_KEY_ID 88
#define SH_BOOT_ID 96
#define SH_HOST 112
#define SH_HOST_LEN 76
#define SH_CRC 188

#define SEG_F_ENCRYPTED 1u
#define SEG_F_PREV_UNCLOSED 2u /* the previous segment ends without a trailer */
#define SEG_F_KNOWN (SEG_F_ENCRYPTED | SEG_F_PREV_UNCLOSED)

/* Block header, BLK_HDR_LEN bytes; the chain hash covers the first BLK_HASHED_LEN. */
#define BLK_MAGIC 0x4b425444u /* "DTBK" */
#define BLK_HDR_LEN 56
#define BLK_HASHED_LEN 24
#define BLK_AAD_HDR_LEN 16 /* magic, seq, stored_len, raw_len */
#define BH_MAGIC 0
#define BH_SEQ 4
#define BH_STORED_LEN 8
#define BH_RAW_LEN 12
#define BH_CRC 16
#define BH_FLAGS 20
#define BH_CHAIN 24

#define BLK_F_COMPRESSED 1u
#define BLK_F_ENCRYPTED 2u
#define BLK_F_TRAILER 4u
#define BLK_F_KNOWN (BLK_F_COMPRESSED | BLK_F_ENCRYPTED | BLK_F_TRAILER)

/* Record header inside a block's raw bytes; data follows, zero-padded to 8 bytes. */
#define REC_HDR_LEN 16

/* Trailer payload. */
#define TRAILER_LEN 64
#define TR_BLOCKS 0
#define TR_RECORDS 8
#define TR_CLOSED_RT 16
#define TR_CLOSED_MONO 24
#define TR_LAST_CHAIN 32

#define TAG_LEN 16
#define NONCE_LEN 12
#define SALT_LEN 16
#define KEY_ID_LEN 8
#define HASH_LEN TRACE_HASH_LEN

/* Limits that keep a reader of a hostile file within bounded memory. */
#define MAX_RAW (32u << 20)
#define MAX_BLOCK_OPT (16u << 20)
/* deflate cannot expand more than ~1032:1; a raw_len beyond this is a lie. */
#define ZLIB_MAX_RATIO 1040u

#define DEF_SEGMENT_MAX (64ull << 20)
#define DEF_SEGMENT_AGE 3600u
#define DEF_TOTAL_MAX (1ull << 30)
#define DEF_BLOCK_MAX (64u << 10)
#define MIN_SEGMENT_MAX 1024u

/* Domain-separation prefixes, hashed with their terminating NUL. */
static const char key_id_domain[] = "datatrail-trace-key-id";
static const char nonce_domain[] = "datatrail-trace-nonce";

static const uint8_t zero_hash[HASH_LEN];

/* ---- little helpers ---------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), p, n);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Grows *@buf to at least @need bytes; 0 or -ENOMEM. */
static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;
	size_t n;

	if (*cap >= need)
		return 0;
	n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += n;
	}
	return (ssize_t)done;
}

static int write_full(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	return 0;
}

/* "trace-%08u.dts" exactly (the canonical spelling of its number); the number in *@seq. */
static bool parse_seg_name(const char *name, uint32_t *seq)
{
	char canon[32];
	unsigned long long v;
	char *end;

	if (strncmp(name, "trace-", 6) || name[6] < '0' || name[6] > '9')
		return false;
	errno = 0;
	v = strtoull(name + 6, &end, 10);
	if (errno || v > UINT32_MAX || strcmp(end, ".dts"))
		return false;
	snprintf(canon, sizeof(canon), "trace-%08u.dts", (unsigned int)v);
	if (strcmp(canon, name))
		return false;
	*seq = (uint32_t)v;
	return true;
}

struct seg_ent {
	uint32_t seq;
	bool named; /* seq comes from a canonical file name */
	uint64_t size;
	char name[64];
};

static int seg_ent_cmp(const void *a, const void *b)
{
	const struct seg_ent *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The segment files in @dirfd (not closed), sorted by number. */
static int list_segments(int dirfd, struct seg_ent **out, size_t *n_out)
{
	struct seg_ent *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d))) {
		struct seg_ent e = {.named = true};
		struct stat st;

		if (!parse_seg_name(de->d_name, &e.seq))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			e.size = (uint64_t)st.st_size;
		memcpy(e.name, de->d_name, strlen(de->d_name) + 1); /* parse_seg_name: < 32 */
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = e;
	}
	if (!ret && errno)
		ret = -errno;
	closedir(d);
	if (ret) {
		free(v);
		return ret;
	}
	if (n)
		qsort(v, n, sizeof(*v), seg_ent_cmp);
	*out = v;
	*n_out = n;
	return 0;
}

/* ---- crypto ------------------------------------------------------------------------------ */

struct crypto {
	EVP_MD *sha;
	EVP_CIPHER *aes;
	EVP_MD_CTX *md;
	EVP_CIPHER_CTX *cc;
};

static int crypto_init(struct crypto *c)
{
	c->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	c->md = EVP_MD_CTX_new();
	c->cc = EVP_CIPHER_CTX_new();
	return c->sha && c->aes && c->md && c->cc ? 0 : -ENOMEM;
}

static void crypto_free(struct crypto *c)
{
	EVP_MD_free(c->sha);
	EVP_CIPHER_free(c->aes);
	EVP_MD_CTX_free(c->md);
	EVP_CIPHER_CTX_free(c->cc);
	memset(c, 0, sizeof(*c));
}

/* SHA-256 over up to three parts (a NULL part is skipped). */
static int sha3p(struct crypto *c, uint8_t out[HASH_LEN], const void *a, size_t al, const void *b,
		 size_t bl, const void *d, size_t dl)
{
	unsigned int n = 0;

	if (!EVP_DigestInit_ex(c->md, c->sha, NULL) || (a && !EVP_DigestUpdate(c->md, a, al)) ||
	    (b && !EVP_DigestUpdate(c->md, b, bl)) || (d && !EVP_DigestUpdate(c->md, d, dl)) ||
	    !EVP_DigestFinal_ex(c->md, out, &n) || n != HASH_LEN)
		return -EIO;
	return 0;
}

static int key_id_of(struct crypto *c, const uint8_t *key, uint8_t id[KEY_ID_LEN])
{
	uint8_t h[HASH_LEN];

	if (sha3p(c, h, key_id_domain, sizeof(key_id_domain), key, TRACE_KEY_LEN, NULL, 0))
		return -EIO;
	memcpy(id, h, KEY_ID_LEN);
	return 0;
}

static int nonce_of(struct crypto *c, const uint8_t salt[SALT_LEN], uint32_t seg, uint32_t blk,
		    uint8_t nonce[NONCE_LEN])
{
	uint8_t in[SALT_LEN + 8], h[HASH_LEN];

	memcpy(in, salt, SALT_LEN);
	put32(in + SALT_LEN, seg);
	put32(in + SALT_LEN + 4, blk);
	if (sha3p(c, h, nonce_domain, sizeof(nonce_domain), in, sizeof(in), NULL, 0))
		return -EIO;
	memcpy(nonce, h, NONCE_LEN);
	return 0;
}

/* AAD: the segment's start hash, the block header's first 16 bytes, its flags, then @extra. */
static int gcm_aad(EVP_CIPHER_CTX *cc, bool enc, const uint8_t start[HASH_LEN], const uint8_t *bh,
		   const uint8_t *extra, size_t extra_len)
{
	uint8_t aad[HASH_LEN + BLK_AAD_HDR_LEN + 1];
	int outl;

	memcpy(aad, start, HASH_LEN);
	memcpy(aad + HASH_LEN, bh, BLK_AAD_HDR_LEN);
	aad[HASH_LEN + BLK_AAD_HDR_LEN] = bh[BH_FLAGS];
	if (enc) {
		if (!EVP_EncryptUpdate(cc, NULL, &outl, aad, sizeof(aad)) ||
		    (extra_len && !EVP_EncryptUpdate(cc, NULL, &outl, extra, (int)extra_len)))
			return -EIO;
	} else {
		if (!EVP_DecryptUpdate(cc, NULL, &outl, aad, sizeof(aad)) ||
		    (extra_len && !EVP_DecryptUpdate(cc, NULL, &outl, extra, (int)extra_len)))
			return -EIO;
	}
	return 0;
}

/* Encrypts @in into @out (same length) and writes the tag at out + len. */
static int gcm_seal(struct crypto *c, const uint8_t *key, const uint8_t *nonce,
		    const uint8_t start[HASH_LEN], const uint8_t *bh, const uint8_t *extra,
		    size_t extra_len, const uint8_t *in, size_t len, uint8_t *out)
{
	int outl = 0, fin = 0;

	if (!EVP_EncryptInit_ex(c->cc, c->aes, NULL, key, nonce) ||
	    gcm_aad(c->cc, true, start, bh, extra, extra_len) ||
	    (len && !EVP_EncryptUpdate(c->cc, out, &outl, in, (int)len)) ||
	    !EVP_EncryptFinal_ex(c->cc, out + outl, &fin) || (size_t)(outl + fin) != len ||
	    !EVP_CIPHER_CTX_ctrl(c->cc, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + len))
		return -EIO;
	return 0;
}

/* Decrypts @len bytes of @in (followed by the tag) into @out; -EBADMSG when the tag fails. */
static int gcm_open(struct crypto *c, const uint8_t *key, const uint8_t *nonce,
		    const uint8_t start[HASH_LEN], const uint8_t *bh, const uint8_t *extra,
		    size_t extra_len, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t tag[TAG_LEN], dummy[1];
	int outl = 0, fin = 0;

	if (!out)
		out = dummy;
	memcpy(tag, in + len, TAG_LEN);
	if (!EVP_DecryptInit_ex(c->cc, c->aes, NULL, key, nonce) ||
	    gcm_aad(c->cc, false, start, bh, extra, extra_len) ||
	    (len && !EVP_DecryptUpdate(c->cc, out, &outl, in, (int)len)) ||
	    !EVP_CIPHER_CTX_ctrl(c->cc, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag))
		return -EIO;
	if (EVP_DecryptFinal_ex(c->cc, out + outl, &fin) <= 0 || (size_t)(outl + fin) != len)
		return -EBADMSG;
	return 0;
}

/* ---- segment header ---------------------------------------------------------------------- */

struct seg_hdr {
	uint32_t flags;
	uint32_t seq;
	uint32_t genesis;
	uint64_t created_rt;
	uint64_t created_mono;
	uint8_t prev[HASH_LEN];
	uint8_t salt[SALT_LEN];
	uint8_t key_id[KEY_ID_LEN];
	uint8_t boot_id[16];
	char host[SH_HOST_LEN];
};

static void seg_hdr_encode(const struct seg_hdr *h, uint8_t b[SEG_HDR_LEN])
{
	memset(b, 0, SEG_HDR_LEN);
	memcpy(b + SH_MAGIC, SEG_MAGIC, 8);
	put16(b + SH_VERSION, TRACE_FORMAT_VERSION);
	put16(b + SH_HDR_LEN, SEG_HDR_LEN);
	put32(b + SH_FLAGS, h->flags);
	put32(b + SH_SEQ, h->seq);
	put32(b + SH_GENESIS, h->genesis);
	put64(b + SH_CREATED_RT, h->created_rt);
	put64(b + SH_CREATED_MONO, h->created_mono);
	memcpy(b + SH_PREV_HEAD, h->prev, HASH_LEN);
	memcpy(b + SH_SALT, h->salt, SALT_LEN);
	memcpy(b + SH_KEY_ID, h->key_id, KEY_ID_LEN);
	memcpy(b + SH_BOOT_ID, h->boot_id, 16);
	memcpy(b + SH_HOST, h->host, strnlen(h->host, SH_HOST_LEN - 1));
	put32(b + SH_CRC, crc_of(b, SH_CRC));
}

/* NULL when @b is a good header (decoded into @h), else why not. */
static const char *seg_hdr_decode(const uint8_t b[SEG_HDR_LEN], struct seg_hdr *h)
{
	static char why[64];

	if (memcmp(b + SH_MAGIC, SEG_MAGIC, 8))
		return "not a trace segment (bad magic)";
	if (get16(b + SH_VERSION) != TRACE_FORMAT_VERSION) {
		snprintf(why, sizeof(why), "unsupported format version %u", get16(b + SH_VERSION));
		return why;
	}
	if (get16(b + SH_HDR_LEN) != SEG_HDR_LEN)
		return "bad segment header (length)";
	if (get32(b + SH_CRC) != crc_of(b, SH_CRC))
		return "segment header crc mismatch";
	memset(h, 0, sizeof(*h));
	h->flags = get32(b + SH_FLAGS);
	if (h->flags & ~SEG_F_KNOWN)
		return "bad segment header (unknown flags)";
	h->seq = get32(b + SH_SEQ);
	h->genesis = get32(b + SH_GENESIS);
	h->created_rt = get64(b + SH_CREATED_RT);
	h->created_mono = get64(b + SH_CREATED_MONO);
	memcpy(h->prev, b + SH_PREV_HEAD, HASH_LEN);
	memcpy(h->salt, b + SH_SALT, SALT_LEN);
	memcpy(h->key_id, b + SH_KEY_ID, KEY_ID_LEN);
	memcpy(h->boot_id, b + SH_BOOT_ID, 16);
	memcpy(h->host, b + SH_HOST, SH_HOST_LEN - 1);
	h->host[SH_HOST_LEN - 1] = '\0';
	if (h->genesis > h->seq)
		return "bad segment header (chain start after segment)";
	if (!(h->flags & SEG_F_ENCRYPTED) && memcmp(h->key_id, zero_hash, KEY_ID_LEN))
		return "bad segment header (key id without encryption)";
	return NULL;
}

static void read_boot_id(uint8_t out[16])
{
	char buf[64];
	size_t n = 0;
	ssize_t len;
	int fd;

	memset(out, 0, 16);
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = '\0';
	for (ssize_t i = 0; i + 1 < len && n < 16; i++) {
		unsigned int v;

		if (buf[i] == '-')
			continue;
		if (sscanf(buf + i, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		i++;
	}
}

/* ---- reader / verifier ------------------------------------------------------------------- */

enum {
	R_VERIFY = 1u << 8,   /* deliver no records */
	R_NODECODE = 1u << 9, /* check the chain only (the writer's recovery) */
	R_NOLIVE = 1u << 10,  /* no probe of the writer's lock */
};

struct issue_list {
	struct trace_issue *v;
	size_t n, cap;
};

struct trace_reader {
	char *path; /* as given, for messages */
	int dirfd;
	struct seg_ent *segs;
	size_t n_segs, next_seg;
	bool single;
	unsigned int flags;
	bool has_key;
	uint8_t key[TRACE_KEY_LEN];
	uint8_t key_id[KEY_ID_LEN];
	struct crypto c;
	bool live;

	/* the segment being walked */
	bool in_seg;
	int fd;
	bool seg_last;
	uint64_t off, size;
	struct seg_hdr h;
	struct trace_segment_info info;
	uint8_t start[HASH_LEN]; /* SHA-256 of the segment header */
	bool decode;
	uint32_t pos;	      /* index of the next block */
	uint32_t data_blocks; /* data blocks met, good or bad */
	uint64_t seg_records;
	bool seg_records_known;
	bool trailer_seen;
	bool chain_known;
	uint8_t chain[HASH_LEN];

	/* across segments */
	bool have_prev, prev_unknown, prev_closed;
	uint32_t prev_seq, prev_pos, prev_flags;
	uint8_t prev_key_id[KEY_ID_LEN];
	uint8_t prev_final[HASH_LEN];
	char prev_name[64];
	struct issue_list pending; /* failures at a segment's tail: crash debris or damage */
	struct issue_list issues;
	size_t issues_reported;

	/* the block whose records are being handed out */
	uint8_t *raw;
	size_t raw_cap, raw_len, raw_pos;
	struct trace_segment_info cur_info;
	uint32_t cur_block;
	uint8_t *buf, *plain;
	size_t buf_cap, plain_cap;

	/* totals */
	uint64_t blocks_ok, records, trailer_records;
	uint32_t segments_seen, first_seq, last_seq, pruned;
	bool first_seen, any_encrypted, keyless, hdr_ok, done;
	char note[512];
	char err[1024];
};

static void note_add(struct trace_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note_add(struct trace_reader *r, const char *fmt, ...)
{
	size_t len = strlen(r->note);
	va_list ap;

	if (len && len < sizeof(r->note) - 2) {
		strcpy(r->note + len, "; ");
		len += 2;
	}
	if (len >= sizeof(r->note) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(r->note + len, sizeof(r->note) - len, fmt, ap);
	va_end(ap);
}

static int list_push(struct issue_list *l, const struct trace_issue *is)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct trace_issue *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *is;
	return 0;
}

static void issue_fmt(struct trace_issue *is, const char *seg, int64_t block, bool skipped,
		      const char *fmt, va_list ap)
{
	memset(is, 0, sizeof(*is));
	snprintf(is->segment, sizeof(is->segment), "%s", seg);
	is->block = block;
	is->skipped = skipped;
	vsnprintf(is->reason, sizeof(is->reason), fmt, ap);
}

/* A problem that stands (an allocation failure just loses it from the list). */
static void __attribute__((format(printf, 5, 6)))
add_issue(struct trace_reader *r, const char *seg, int64_t block, bool skipped, const char *fmt,
	  ...)
{
	struct trace_issue is;
	va_list ap;

	va_start(ap, fmt);
	issue_fmt(&is, seg, block, skipped, fmt, ap);
	va_end(ap);
	list_push(&r->issues, &is);
}

/* A block failure that may be the torn tail of a crashed writer: decided at the segment's end. */
static void __attribute__((format(printf, 3, 4)))
tail_issue(struct trace_reader *r, bool skipped, const char *fmt, ...)
{
	struct trace_issue is;
	va_list ap;

	va_start(ap, fmt);
	issue_fmt(&is, r->info.name, r->pos, skipped, fmt, ap);
	va_end(ap);
	list_push(&r->pending, &is);
	r->seg_records_known = false;
}

static void pending_flush(struct trace_reader *r)
{
	for (size_t i = 0; i < r->pending.n; i++)
		list_push(&r->issues, &r->pending.v[i]);
	r->pending.n = 0;
}

static void pending_drop(struct trace_reader *r)
{
	r->pending.n = 0;
}

/* Looks for the next good block frame (magic, sane header, matching CRC) from @from on. */
static void resync(struct trace_reader *r, uint64_t from);

/* NULL when the block header @bh fits what follows it, else why not. */
static const char *frame_check(const struct trace_reader *r, const uint8_t *bh, uint64_t remaining)
{
	uint32_t stored = get32(bh + BH_STORED_LEN), raw = get32(bh + BH_RAW_LEN);
	uint8_t flags = bh[BH_FLAGS];
	bool enc = flags & BLK_F_ENCRYPTED;
	uint64_t payload;

	if (get32(bh + BH_MAGIC) != BLK_MAGIC)
		return "bad block magic";
	if ((flags & ~BLK_F_KNOWN) || bh[21] || bh[22] || bh[23])
		return "bad block header";
	if (enc != !!(r->h.flags & SEG_F_ENCRYPTED))
		return "bad block header (encryption flag)";
	if (stored > remaining - BLK_HDR_LEN)
		return "truncated";
	if (flags & BLK_F_TRAILER) {
		if ((flags & BLK_F_COMPRESSED) || raw != TRAILER_LEN ||
		    stored != TRAILER_LEN + (enc ? TAG_LEN : 0))
			return "bad block header (trailer)";
		return NULL;
	}
	if (enc && stored < TAG_LEN)
		return "bad block header (length)";
	payload = stored - (enc ? TAG_LEN : 0);
	if (raw == 0 || raw > MAX_RAW)
		return "bad block header (length)";
	if (flags & BLK_F_COMPRESSED) {
		if (payload == 0 || raw > payload * ZLIB_MAX_RATIO)
			return "bad block header (length)";
	} else if (raw != payload) {
		return "bad block header (length)";
	}
	return NULL;
}

static void seg_close_fd(struct trace_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->in_seg = false;
}

/* The end of the walked segment: remember where the chain stands for the next one. */
static void seg_end(struct trace_reader *r)
{
	r->prev_closed = r->trailer_seen;
	r->prev_pos = r->pos;
	memcpy(r->prev_final, r->chain, HASH_LEN);
	snprintf(r->prev_name, sizeof(r->prev_name), "%s", r->info.name);
	if (!r->trailer_seen && !r->pending.n) {
		struct trace_issue is = {.block = r->pos, .skipped = false};

		snprintf(is.segment, sizeof(is.segment), "%s", r->info.name);
		snprintf(is.reason, sizeof(is.reason), "trailer missing");
		list_push(&r->pending, &is);
	}
	seg_close_fd(r);
}

/* Opens the next segment and checks its header and its place in the chain. */
static int seg_begin(struct trace_reader *r)
{
	const struct seg_ent *e = &r->segs[r->next_seg++];
	uint8_t b[SEG_HDR_LEN];
	struct seg_hdr h;
	const char *why;
	struct stat st;
	ssize_t n;
	int fd;

	r->seg_last = r->next_seg == r->n_segs;
	r->segments_seen++;
	memset(&r->info, 0, sizeof(r->info));
	snprintf(r->info.name, sizeof(r->info.name), "%s", e->name);
	fd = openat(r->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int en = fd < 0 ? errno : EINVAL;

		if (fd >= 0)
			close(fd);
		pending_flush(r);
		add_issue(r, e->name, -1, true, "cannot read segment: %s", strerror(en));
		r->have_prev = true;
		r->prev_unknown = true;
		return 0;
	}
	n = pread_full(fd, b, sizeof(b), 0);
	if (n < 0) {
		close(fd);
		pending_flush(r);
		add_issue(r, e->name, -1, true, "cannot read segment: %s", strerror((int)-n));
		r->have_prev = r->prev_unknown = true;
		return 0;
	}
	if (n < SEG_HDR_LEN) {
		close(fd);
		if (r->live && r->seg_last) {
			note_add(r, "%s is being created", e->name);
			return 0;
		}
		pending_flush(r);
		add_issue(r, e->name, -1, true, "truncated (segment header)");
		r->have_prev = r->prev_unknown = true;
		return 0;
	}
	why = seg_hdr_decode(b, &h);
	if (why) {
		close(fd);
		pending_flush(r);
		add_issue(r, e->name, -1, true, "%s", why);
		r->have_prev = r->prev_unknown = true;
		return 0;
	}
	r->hdr_ok = true;
	r->h = h;
	r->fd = fd;
	r->size = (uint64_t)st.st_size;
	r->info.seq = h.seq;
	r->info.genesis_seq = h.genesis;
	r->info.encrypted = h.flags & SEG_F_ENCRYPTED;
	r->info.created_realtime_ns = h.created_rt;
	r->info.created_monotonic_ns = h.created_mono;
	memcpy(r->info.boot_id, h.boot_id, 16);
	memcpy(r->info.host, h.host, sizeof(r->info.host));

	/* its place in the chain */
	if (e->named && e->seq != h.seq) {
		pending_flush(r);
		add_issue(r, e->name, -1, false,
			  "segment out of order (file name says %u, header says %u)", e->seq,
			  h.seq);
	} else if (r->have_prev && !r->prev_unknown) {
		uint64_t want = (uint64_t)r->prev_seq + 1;

		if (h.seq != want) {
			pending_flush(r);
			if (h.seq < want)
				add_issue(r, e->name, -1, false,
					  "segment out of order (segment %u after segment %u)",
					  h.seq, r->prev_seq);
			else if (h.seq == want + 1)
				add_issue(r, e->name, -1, false, "missing segment %" PRIu64, want);
			else
				add_issue(r, e->name, -1, false, "missing segments %" PRIu64 "-%u",
					  want, h.seq - 1);
		} else if (h.flags & SEG_F_PREV_UNCLOSED) {
			if (!r->prev_closed && !memcmp(h.prev, r->prev_final, HASH_LEN)) {
				pending_drop(r);
				note_add(
				    r,
				    "%s ends without a trailer after %u blocks (writer stopped "
				    "uncleanly); %s continues its chain",
				    r->prev_name, r->data_blocks, e->name);
			} else if (!r->prev_closed && r->pending.n == 1 &&
				   !strcmp(r->pending.v[0].reason, "trailer missing")) {
				/* sound up to its end, yet short of the head its successor carries
				 */
				pending_drop(r);
				add_issue(r, r->prev_name, r->prev_pos, false,
					  "chain mismatch (ends before the chain head %s carries: "
					  "truncated or altered)",
					  e->name);
			} else {
				pending_flush(r);
				add_issue(r, e->name, -1, false,
					  "chain mismatch (header does not continue %s)",
					  r->prev_name);
			}
		} else {
			bool had = r->pending.n;

			pending_flush(r);
			if (!had && memcmp(h.prev, r->prev_final, HASH_LEN))
				add_issue(r, e->name, -1, false,
					  "chain mismatch (header does not continue %s)",
					  r->prev_name);
		}
	} else if (!r->have_prev) {
		if (!memcmp(h.prev, zero_hash, HASH_LEN)) {
			if (h.seq != h.genesis)
				add_issue(r, e->name, -1, false,
					  "bad segment header (chain start)");
		} else {
			r->pruned = h.seq - h.genesis;
			if (r->single)
				note_add(r,
					 "segment %u of a chain that starts at segment %u; its "
					 "predecessors were not checked",
					 h.seq, h.genesis);
			else if (r->pruned)
				note_add(r, "starts after %u pruned segments", r->pruned);
		}
	} else {
		pending_flush(r);
	}
	if (r->first_seen && ((r->prev_flags ^ h.flags) & SEG_F_ENCRYPTED ||
			      memcmp(r->prev_key_id, h.key_id, KEY_ID_LEN))) {
		char id[2 * KEY_ID_LEN + 1];

		hex(id, h.key_id, KEY_ID_LEN);
		if (h.flags & SEG_F_ENCRYPTED)
			note_add(r, "%s: encrypted from here on, key id %s", e->name, id);
		else
			note_add(r, "%s: not encrypted from here on", e->name);
	}
	r->prev_flags = h.flags;
	memcpy(r->prev_key_id, h.key_id, KEY_ID_LEN);
	if (!r->first_seen) {
		r->first_seen = true;
		r->first_seq = h.seq;
	}
	r->last_seq = h.seq;
	r->have_prev = true;
	r->prev_unknown = false;
	r->prev_seq = h.seq;

	/* can its records be read? */
	r->decode = !(r->flags & R_NODECODE);
	if (h.flags & SEG_F_ENCRYPTED) {
		r->any_encrypted = true;
		if (!r->has_key) {
			r->decode = false;
			if (r->flags & R_VERIFY)
				r->keyless = true;
			else if (!(r->flags & R_NODECODE))
				add_issue(r, e->name, -1, true,
					  "segment is encrypted and no key was given");
		} else if (memcmp(h.key_id, r->key_id, KEY_ID_LEN)) {
			char want[2 * KEY_ID_LEN + 1], got[2 * KEY_ID_LEN + 1];

			hex(want, h.key_id, KEY_ID_LEN);
			hex(got, r->key_id, KEY_ID_LEN);
			r->decode = false;
			if (!(r->flags & R_NODECODE))
				add_issue(r, e->name, -1, true,
					  "decryption failed (wrong key?): segment key id %s, "
					  "given key %s",
					  want, got);
		}
	}

	if (sha3p(&r->c, r->start, b, sizeof(b), NULL, 0, NULL, 0)) {
		close(fd);
		r->fd = -1;
		return -EIO;
	}
	memcpy(r->chain, r->start, HASH_LEN);
	r->chain_known = true;
	r->off = SEG_HDR_LEN;
	r->pos = 0;
	r->data_blocks = 0;
	r->seg_records = 0;
	r->seg_records_known = true;
	r->trailer_seen = false;
	r->in_seg = true;
	return 0;
}

static void resync(struct trace_reader *r, uint64_t from)
{
	uint8_t win[65536], bh[BLK_HDR_LEN];
	uint64_t at = from;

	while (at + BLK_HDR_LEN <= r->size) {
		ssize_t n = pread_full(r->fd, win, sizeof(win), at);

		if (n < 4)
			break;
		for (ssize_t i = 0; i + 4 <= n; i++) {
			uint64_t p = at + i;
			uint32_t stored;

			if (get32(win + i) != BLK_MAGIC)
				continue;
			if (p + BLK_HDR_LEN > r->size)
				break;
			if (pread_full(r->fd, bh, BLK_HDR_LEN, p) != BLK_HDR_LEN ||
			    frame_check(r, bh, r->size - p))
				continue;
			stored = get32(bh + BH_STORED_LEN);
			if (reserve(&r->buf, &r->buf_cap, stored ? stored : 1) ||
			    pread_full(r->fd, r->buf, stored, p + BLK_HDR_LEN) != (ssize_t)stored ||
			    crc_of(r->buf, stored) != get32(bh + BH_CRC))
				continue;
			r->off = p;
			r->chain_known = false;
			/* the blocks before it, whatever they were, count as data blocks */
			if (get32(bh + BH_SEQ) >= r->pos && get32(bh + BH_SEQ) != UINT32_MAX)
				r->pos = r->data_blocks = get32(bh + BH_SEQ);
			return;
		}
		/* the next window overlaps by 3 so that no magic is cut in two */
		at += (uint64_t)n - 3;
	}
	r->off = r->size;
}

/* Checks a decoded block's records: framing, zero padding, bounds. Returns the count or -1. */
static int64_t records_check(const uint8_t *raw, size_t len, size_t *bad_at)
{
	int64_t n = 0;
	size_t p = 0;

	while (p < len) {
		uint32_t rlen;
		size_t padded;

		if (len - p < REC_HDR_LEN || get16(raw + p + 2) != 0)
			goto bad;
		rlen = get32(raw + p + 4);
		if (rlen > TRACE_MAX_RECORD)
			goto bad;
		padded = align8(rlen);
		if (padded > len - p - REC_HDR_LEN)
			goto bad;
		for (size_t i = rlen; i < padded; i++)
			if (raw[p + REC_HDR_LEN + i])
				goto bad;
		p += REC_HDR_LEN + padded;
		n++;
	}
	return n;
bad:
	*bad_at = p;
	return -1;
}

static void trailer_step(struct trace_reader *r, const uint8_t *bh, const uint8_t *stored,
			 uint32_t idx)
{
	const uint8_t *tr = stored;
	uint32_t n_blocks;
	uint64_t n_records;

	if (r->h.flags & SEG_F_ENCRYPTED && r->decode) {
		uint8_t nonce[NONCE_LEN];

		if (nonce_of(&r->c, r->h.salt, r->h.seq, get32(bh + BH_SEQ), nonce) ||
		    gcm_open(&r->c, r->key, nonce, r->start, bh, tr, TRAILER_LEN,
			     stored + TRAILER_LEN, 0, NULL)) {
			add_issue(r, r->info.name, idx, false,
				  "decryption failed (trailer authentication failed)");
			return;
		}
	}
	n_blocks = get32(tr + TR_BLOCKS);
	n_records = get64(tr + TR_RECORDS);
	if (get32(tr + TR_BLOCKS + 4))
		add_issue(r, r->info.name, idx, false, "trailer mismatch (reserved field)");
	else if (n_blocks != r->data_blocks || get32(bh + BH_SEQ) != n_blocks)
		add_issue(r, r->info.name, idx, false,
			  "trailer mismatch (trailer counts %u blocks, segment has %u)", n_blocks,
			  r->data_blocks);
	else if (r->seg_records_known && r->decode && n_records != r->seg_records)
		add_issue(r, r->info.name, idx, false,
			  "trailer mismatch (trailer counts %" PRIu64
			  " records, segment has %" PRIu64 ")",
			  n_records, r->seg_records);
	if (!r->decode)
		r->trailer_records += n_records;
}

/*
 * One step of the walk. Returns 1 when a block's records are ready in r->raw, 0 when it made
 * other progress, 2 at the end, or -errno on a failure of this machine (memory, I/O).
 */
static int walk_step(struct trace_reader *r)
{
	uint8_t bh[BLK_HDR_LEN], computed[HASH_LEN];
	bool force = r->flags & TRACE_OPEN_FORCE;
	const char *why, *misplaced = NULL;
	uint32_t stored_len, raw_len, idx;
	const uint8_t *src;
	size_t src_len, bad_at = 0;
	int64_t nrec;
	uint64_t p;
	ssize_t n;
	uint8_t flags;

	if (!r->in_seg) {
		if (r->next_seg >= r->n_segs) {
			if (r->pending.n) {
				if (r->live)
					pending_drop(r),
					    note_add(r, "%s is still being written", r->prev_name);
				else
					pending_flush(r);
			}
			r->done = true;
			return 2;
		}
		return seg_begin(r);
	}
	if (r->off >= r->size) {
		seg_end(r);
		return 0;
	}
	if (r->trailer_seen) {
		add_issue(r, r->info.name, r->pos, false, "data after trailer (%" PRIu64 " bytes)",
			  r->size - r->off);
		r->off = r->size;
		return 0;
	}
	p = r->off;
	if (r->size - p < BLK_HDR_LEN) {
		tail_issue(r, true, "truncated");
		r->off = r->size;
		return 0;
	}
	n = pread_full(r->fd, bh, BLK_HDR_LEN, p);
	if (n < 0)
		return (int)n;
	if (n != BLK_HDR_LEN) {
		tail_issue(r, true, "truncated");
		r->off = r->size;
		return 0;
	}
	why = frame_check(r, bh, r->size - p);
	if (why) {
		tail_issue(r, true, "%s", why);
		resync(r, p + 1);
		return 0;
	}
	stored_len = get32(bh + BH_STORED_LEN);
	raw_len = get32(bh + BH_RAW_LEN);
	flags = bh[BH_FLAGS];
	if (reserve(&r->buf, &r->buf_cap, stored_len ? stored_len : 1))
		return -ENOMEM;
	n = pread_full(r->fd, r->buf, stored_len, p + BLK_HDR_LEN);
	if (n < 0)
		return (int)n;
	if (n != stored_len) {
		tail_issue(r, true, "truncated");
		r->off = r->size;
		return 0;
	}
	if (crc_of(r->buf, stored_len) != get32(bh + BH_CRC)) {
		tail_issue(r, true, "crc mismatch");
		resync(r, p + 1);
		return 0;
	}
	if (sha3p(&r->c, computed, r->chain, HASH_LEN, bh, BLK_HASHED_LEN, r->buf, stored_len))
		return -EIO;

	/* a sound frame: whatever failed before it in this segment was not a torn tail */
	pending_flush(r);
	r->off = p + BLK_HDR_LEN + stored_len;
	idx = r->pos;
	if (r->chain_known && memcmp(computed, bh + BH_CHAIN, HASH_LEN))
		misplaced = "chain mismatch";
	else if (r->chain_known && get32(bh + BH_SEQ) != idx)
		misplaced = "block out of order";
	if (!r->chain_known)
		note_add(r, "%s: chain picked up again at block %u", r->info.name, idx);
	memcpy(r->chain, bh + BH_CHAIN, HASH_LEN);
	r->chain_known = true;
	r->pos++;

	if (flags & BLK_F_TRAILER) {
		if (misplaced)
			add_issue(r, r->info.name, idx, false, "%s", misplaced);
		trailer_step(r, bh, r->buf, idx);
		r->trailer_seen = true;
		return 0;
	}
	r->data_blocks++;
	if (misplaced)
		add_issue(r, r->info.name, idx, !force || (r->flags & R_VERIFY), "%s", misplaced);
	if (!r->decode) {
		r->seg_records_known = false;
		if (!misplaced)
			r->blocks_ok++;
		return 0;
	}

	src = r->buf;
	src_len = stored_len;
	if (flags & BLK_F_ENCRYPTED) {
		uint8_t nonce[NONCE_LEN];

		src_len = stored_len - TAG_LEN;
		if (reserve(&r->plain, &r->plain_cap, src_len ? src_len : 1))
			return -ENOMEM;
		if (nonce_of(&r->c, r->h.salt, r->h.seq, get32(bh + BH_SEQ), nonce))
			return -EIO;
		if (gcm_open(&r->c, r->key, nonce, r->start, bh, NULL, 0, r->buf, src_len,
			     r->plain)) {
			r->seg_records_known = false;
			add_issue(r, r->info.name, idx, true,
				  "decryption failed (authentication failed: block altered)");
			return 0;
		}
		src = r->plain;
	}
	if (reserve(&r->raw, &r->raw_cap, raw_len))
		return -ENOMEM;
	if (flags & BLK_F_COMPRESSED) {
		uLongf dlen = raw_len;
		uLong slen = src_len;

		if (uncompress2(r->raw, &dlen, src, &slen) != Z_OK || dlen != raw_len ||
		    slen != src_len) {
			r->seg_records_known = false;
			add_issue(r, r->info.name, idx, true, "decompression failed");
			return 0;
		}
	} else {
		memcpy(r->raw, src, raw_len);
	}
	nrec = records_check(r->raw, raw_len, &bad_at);
	if (nrec < 0) {
		r->seg_records_known = false;
		add_issue(r, r->info.name, idx, true, "bad record at offset %zu", bad_at);
		return 0;
	}
	r->records += (uint64_t)nrec;
	r->seg_records += (uint64_t)nrec;
	if (!misplaced)
		r->blocks_ok++;
	if ((r->flags & R_VERIFY) || (misplaced && !force))
		return 0;
	r->raw_len = raw_len;
	r->raw_pos = 0;
	r->cur_info = r->info;
	r->cur_block = idx;
	return 1;
}

static int reader_new(const char *path, const uint8_t *key, unsigned int flags,
		      struct trace_reader **out, char *msg, size_t msg_len)
{
	struct trace_reader *r;
	struct stat st;
	int ret = 0;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->dirfd = -1;
	r->flags = flags;
	r->path = strdup(path);
	if (!r->path || crypto_init(&r->c)) {
		ret = -ENOMEM;
		snprintf(msg, msg_len, "trace '%s': %s", path, strerror(ENOMEM));
		goto fail;
	}
	if (stat(path, &st)) {
		ret = -errno;
		snprintf(msg, msg_len, "trace '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		r->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = r->dirfd < 0 ? -errno : list_segments(r->dirfd, &r->segs, &r->n_segs);
		if (ret) {
			snprintf(msg, msg_len, "trace '%s': %s", path, strerror(-ret));
			goto fail;
		}
		if (!r->n_segs) {
			ret = -ENOENT;
			snprintf(msg, msg_len,
				 "trace '%s': no trace segments (trace-NNNNNNNN.dts) there", path);
			goto fail;
		}
	} else if (S_ISREG(st.st_mode)) {
		char *dup = strdup(path), *slash;
		const char *base;

		r->segs = calloc(1, sizeof(*r->segs));
		if (!dup || !r->segs) {
			free(dup);
			ret = -ENOMEM;
			snprintf(msg, msg_len, "trace '%s': %s", path, strerror(ENOMEM));
			goto fail;
		}
		slash = strrchr(dup, '/');
		base = slash ? slash + 1 : dup;
		snprintf(r->segs[0].name, sizeof(r->segs[0].name), "%s", base);
		r->segs[0].named = parse_seg_name(base, &r->segs[0].seq);
		if (slash == dup)
			r->dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		else if (slash) {
			*slash = '\0';
			r->dirfd = open(dup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		} else {
			r->dirfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		ret = r->dirfd < 0				? -errno
		      : strlen(base) >= sizeof(r->segs[0].name) ? -ENAMETOOLONG
								: 0;
		free(dup);
		if (ret) {
			snprintf(msg, msg_len, "trace '%s': %s", path, strerror(-ret));
			goto fail;
		}
		r->n_segs = 1;
		r->single = true;
	} else {
		ret = -EINVAL;
		snprintf(msg, msg_len, "trace '%s': not a directory or a segment file", path);
		goto fail;
	}
	if (!(flags & R_NOLIVE)) {
		/* a writer holds an exclusive lock on the directory while it runs */
		if (flock(r->dirfd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK)
			r->live = true;
		else
			flock(r->dirfd, LOCK_UN);
	}
	if (key) {
		r->has_key = true;
		memcpy(r->key, key, TRACE_KEY_LEN);
		if (key_id_of(&r->c, r->key, r->key_id)) {
			ret = -EIO;
			snprintf(msg, msg_len, "trace '%s': crypto failure", path);
			goto fail;
		}
	}
	*out = r;
	return 0;
fail:
	trace_close(r);
	return ret;
}

int trace_open_flags(const char *path, const uint8_t *key, unsigned int flags,
		     struct trace_reader **out, struct errbuf *err)
{
	struct trace_reader *r;
	uint8_t b[SEG_HDR_LEN];
	struct seg_hdr h;
	char msg[1024];
	int fd, ret;

	ret = reader_new(path, key, flags & TRACE_OPEN_FORCE, &r, msg, sizeof(msg));
	if (ret)
		return errbuf_set(err, ret, "%s", msg);
	/* a missing or wrong key shows at once, not as a walk full of skipped blocks */
	fd = openat(r->dirfd, r->segs[0].name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		if (pread_full(fd, b, sizeof(b), 0) == SEG_HDR_LEN && !seg_hdr_decode(b, &h) &&
		    (h.flags & SEG_F_ENCRYPTED)) {
			if (!r->has_key)
				ret = errbuf_set(err, -ENOKEY,
						 "trace '%s': %s is encrypted; a key is required",
						 path, r->segs[0].name);
			else if (memcmp(h.key_id, r->key_id, KEY_ID_LEN))
				ret = errbuf_set(err, -EKEYREJECTED,
						 "trace '%s': %s: decryption failed (wrong key?)",
						 path, r->segs[0].name);
		}
		close(fd);
	}
	if (ret) {
		trace_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

int trace_open(const char *path, const uint8_t *key, struct trace_reader **out, struct errbuf *err)
{
	return trace_open_flags(path, key, 0, out, err);
}

static void reader_set_error(struct trace_reader *r, const struct trace_issue *is)
{
	if (is->block < 0)
		snprintf(r->err, sizeof(r->err), "trace '%s': %s: %s", r->path, is->segment,
			 is->reason);
	else
		snprintf(r->err, sizeof(r->err), "trace '%s': %s: block %" PRId64 ": %s", r->path,
			 is->segment, is->block, is->reason);
}

int trace_next(struct trace_reader *r, uint16_t *type, const void **data, uint32_t *len,
	       uint64_t *ts_ns)
{
	bool force = r->flags & TRACE_OPEN_FORCE;

	for (;;) {
		int ret;

		if (!force && r->issues.n) {
			reader_set_error(r, &r->issues.v[0]);
			return -EBADMSG;
		}
		if (r->raw_pos < r->raw_len) {
			const uint8_t *p = r->raw + r->raw_pos;
			uint32_t l = get32(p + 4);

			*type = get16(p);
			*len = l;
			*ts_ns = get64(p + 8);
			*data = p + REC_HDR_LEN;
			r->raw_pos += REC_HDR_LEN + align8(l);
			return 1;
		}
		r->raw_len = r->raw_pos = 0;
		if (r->done)
			return 0;
		ret = walk_step(r);
		if (ret < 0) {
			snprintf(r->err, sizeof(r->err), "trace '%s': %s", r->path, strerror(-ret));
			return ret;
		}
	}
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r->err;
}

size_t trace_reader_issues(const struct trace_reader *r, const struct trace_issue **issues)
{
	*issues = r->issues.v;
	return r->issues.n;
}

const struct trace_segment_info *trace_reader_segment(const struct trace_reader *r, uint32_t *block)
{
	if (block)
		*block = r->cur_block;
	return &r->cur_info;
}

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
	seg_close_fd(r);
	if (r->dirfd >= 0)
		close(r->dirfd);
	crypto_free(&r->c);
	OPENSSL_cleanse(r->key, sizeof(r->key));
	free(r->path);
	free(r->segs);
	free(r->pending.v);
	free(r->issues.v);
	free(r->raw);
	free(r->buf);
	free(r->plain);
	free(r);
}

int trace_verify(const char *path, const uint8_t *key, struct trace_verify_report *rep)
{
	struct trace_reader *r;
	int ret;

	memset(rep, 0, sizeof(*rep));
	rep->bad_block = -1;
	ret = reader_new(path, key, R_VERIFY | TRACE_OPEN_FORCE, &r, rep->reason,
			 sizeof(rep->reason));
	if (ret)
		return ret;
	while ((ret = walk_step(r)) != 2) {
		if (ret < 0) {
			snprintf(rep->reason, sizeof(rep->reason), "%s", strerror(-ret));
			trace_close(r);
			return ret;
		}
	}
	rep->live = r->live;
	rep->encrypted = r->any_encrypted;
	rep->keyless = r->keyless;
	rep->segments = r->segments_seen;
	rep->blocks = r->blocks_ok;
	rep->records = r->records + r->trailer_records;
	rep->issues = r->issues.n;
	rep->first_seq = r->first_seq;
	rep->last_seq = r->last_seq;
	rep->pruned = r->pruned;
	memcpy(rep->head, r->chain, HASH_LEN);
	snprintf(rep->note, sizeof(rep->note), "%s", r->note);
	rep->ok = r->issues.n == 0;
	if (!rep->ok) {
		snprintf(rep->bad_segment, sizeof(rep->bad_segment), "%s", r->issues.v[0].segment);
		rep->bad_block = r->issues.v[0].block;
		snprintf(rep->reason, sizeof(rep->reason), "%s", r->issues.v[0].reason);
	}
	trace_close(r);
	return rep->ok ? 0 : -EBADMSG;
}

/* ---- key file ---------------------------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int trace_key_load(const char *path, uint8_t key[TRACE_KEY_LEN], struct errbuf *err)
{
	uint8_t buf[256];
	struct stat st;
	size_t a = 0, b;
	ssize_t n;
	int fd, ret = 0;

	/* symlinks are followed (Kubernetes mounts secrets as links); the checks are on the target
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errbuf_set(err, -errno, "key file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = errbuf_set(err, -errno, "key file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = errbuf_set(err, -EINVAL, "key file '%s': not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		ret =
		    errbuf_set(err, -EPERM,
			       "key file '%s': mode %04o lets group or others at it; chmod 600 it",
			       path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		ret = errbuf_set(err, -EPERM, "key file '%s': owned by uid %u, not by us or root",
				 path, (unsigned int)st.st_uid);
		goto out;
	}
	n = pread_full(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		ret = errbuf_set(err, (int)n, "key file '%s': %s", path, strerror((int)-n));
		goto out;
	}
	if (n == TRACE_KEY_LEN) {
		memcpy(key, buf, TRACE_KEY_LEN);
		goto out;
	}
	b = (size_t)n;
	while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r'))
		a++;
	while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
			 buf[b - 1] == '\r'))
		b--;
	if (b - a != 2 * TRACE_KEY_LEN) {
		ret = errbuf_set(
		    err, -EINVAL,
		    "key file '%s': want 32 raw bytes or 64 hex digits, found %zd bytes", path, n);
		goto out;
	}
	for (size_t i = 0; i < TRACE_KEY_LEN; i++) {
		int hi = hexval(buf[a + 2 * i]), lo = hexval(buf[a + 2 * i + 1]);

		if (hi < 0 || lo < 0) {
			ret =
			    errbuf_set(err, -EINVAL, "key file '%s': not a hex digit at offset %zu",
				       path, a + 2 * i + (hi < 0 ? 0 : 1));
			OPENSSL_cleanse(key, TRACE_KEY_LEN);
			goto out;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return ret;
}

/* ---- writer ------------------------------------------------------------------------------ */

struct old_seg {
	uint32_t seq;
	uint64_t size;
};

struct trace_writer {
	char *dir;
	int dirfd;
	int fd; /* current segment, -1 when none is open */
	uint64_t seg_max, total_max;
	uint32_t block_max, age_s;
	int level;
	bool sync;
	bool has_key;
	uint8_t key[TRACE_KEY_LEN];
	uint8_t key_id[KEY_ID_LEN];
	struct crypto c;
	char host[SH_HOST_LEN];
	uint8_t boot_id[16];

	/* the chain */
	uint32_t genesis;
	uint32_t seq; /* of the open segment, or of the next one when none is */
	bool seq_exhausted;
	uint8_t next_prev[HASH_LEN]; /* what the next segment's header carries */
	bool next_prev_unclosed;
	struct seg_hdr h;
	uint8_t start[HASH_LEN];
	uint8_t chain[HASH_LEN];
	uint64_t seg_size, seg_records;
	uint32_t seg_blocks;

	/* closed segments still on disk, oldest first */
	struct old_seg *old;
	size_t n_old, cap_old;
	uint64_t old_bytes;

	/* the block being filled */
	uint8_t *raw;
	size_t raw_len, raw_cap;
	uint64_t raw_records;
	uint8_t *zbuf, *ebuf;
	size_t zcap, ecap;
	z_stream zs; /* one deflate state for every block: no allocation per block */
	bool zs_ready;

	struct trace_writer_stats st;
	char err[512];
};

static void __attribute__((format(printf, 3, 4)))
werr(struct trace_writer *w, int ret, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	len = snprintf(w->err, sizeof(w->err), "trace '%s': ", w->dir);
	if (len < sizeof(w->err)) {
		va_start(ap, fmt);
		vsnprintf(w->err + len, sizeof(w->err) - len, fmt, ap);
		va_end(ap);
	}
	if (ret && len + 2 < sizeof(w->err)) {
		size_t l = strlen(w->err);

		snprintf(w->err + l, sizeof(w->err) - l, ": %s", strerror(-ret));
	}
}

static void seg_name(char *buf, size_t len, uint32_t seq)
{
	snprintf(buf, len, "trace-%08u.dts", seq);
}

static int old_push(struct trace_writer *w, uint32_t seq, uint64_t size)
{
	if (w->n_old == w->cap_old) {
		size_t cap = w->cap_old ? w->cap_old * 2 : 16;
		struct old_seg *v = realloc(w->old, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->old = v;
		w->cap_old = cap;
	}
	w->old[w->n_old++] = (struct old_seg){seq, size};
	w->old_bytes += size;
	return 0;
}

/* Deletes the oldest closed segments while the trace is over its cap. */
static void prune(struct trace_writer *w)
{
	size_t k = 0;

	while (k < w->n_old && w->old_bytes + w->seg_size > w->total_max) {
		char name[32];

		seg_name(name, sizeof(name), w->old[k].seq);
		if (unlinkat(w->dirfd, name, 0) && errno != ENOENT) {
			werr(w, -errno, "cannot prune %s", name);
			break;
		}
		w->old_bytes -= w->old[k].size;
		w->st.pruned++;
		k++;
	}
	if (k) {
		memmove(w->old, w->old + k, (w->n_old - k) * sizeof(*w->old));
		w->n_old -= k;
	}
}

static int open_segment(struct trace_writer *w)
{
	uint8_t b[SEG_HDR_LEN];
	struct iovec iov;
	char name[32];
	int fd, ret = 0;

	if (w->seq_exhausted) {
		werr(w, 0, "segment numbers exhausted");
		return -EOVERFLOW;
	}
	seg_name(name, sizeof(name), w->seq);
	memset(&w->h, 0, sizeof(w->h));
	w->h.flags =
	    (w->has_key ? SEG_F_ENCRYPTED : 0) | (w->next_prev_unclosed ? SEG_F_PREV_UNCLOSED : 0);
	w->h.seq = w->seq;
	w->h.genesis = w->genesis;
	w->h.created_rt = now_ns(CLOCK_REALTIME);
	w->h.created_mono = now_ns(CLOCK_MONOTONIC);
	memcpy(w->h.prev, w->next_prev, HASH_LEN);
	if (RAND_bytes(w->h.salt, SALT_LEN) != 1) {
		werr(w, 0, "no random bytes for the segment salt");
		return -EIO;
	}
	if (w->has_key)
		memcpy(w->h.key_id, w->key_id, KEY_ID_LEN);
	memcpy(w->h.boot_id, w->boot_id, 16);
	memcpy(w->h.host, w->host, SH_HOST_LEN);
	seg_hdr_encode(&w->h, b);
	if (sha3p(&w->c, w->start, b, sizeof(b), NULL, 0, NULL, 0)) {
		werr(w, 0, "SHA-256 failed");
		return -EIO;
	}

	fd = openat(w->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		werr(w, ret, "cannot create %s", name);
		return ret;
	}
	iov = (struct iovec){b, sizeof(b)};
	if (fchmod(fd, 0600) || (ret = write_full(fd, &iov, 1))) {
		ret = ret ? ret : -errno;
		werr(w, ret, "cannot write %s", name);
		close(fd);
		unlinkat(w->dirfd, name, 0);
		return ret;
	}
	fsync(w->dirfd);
	w->fd = fd;
	memcpy(w->chain, w->start, HASH_LEN);
	w->seg_size = SEG_HDR_LEN;
	w->seg_blocks = 0;
	w->seg_records = 0;
	w->st.segments++;
	w->st.bytes_stored += SEG_HDR_LEN;
	return 0;
}

/* Writes one block (header and stored bytes) at the end of the segment, or nothing. */
static int put_block(struct trace_writer *w, uint8_t *bh, const uint8_t *stored, uint32_t len)
{
	struct iovec iov[2] = {{bh, BLK_HDR_LEN}, {(void *)stored, len}};
	int ret;

	put32(bh + BH_CRC, crc_of(stored, len));
	if (sha3p(&w->c, bh + BH_CHAIN, w->chain, HASH_LEN, bh, BLK_HASHED_LEN, stored, len))
		return -EIO;
	ret = write_full(w->fd, iov, 2);
	if (ret) {
		/* leave the segment as it was, so that the chain stays whole */
		if (ftruncate(w->fd, (off_t)w->seg_size)) {
			/* the next block's chain will not match: verification will say so */
		}
		return ret;
	}
	memcpy(w->chain, bh + BH_CHAIN, HASH_LEN);
	w->seg_size += BLK_HDR_LEN + len;
	w->st.bytes_stored += BLK_HDR_LEN + len;
	return 0;
}

static void blk_hdr(uint8_t *bh, uint32_t seq, uint32_t stored, uint32_t raw, uint8_t flags)
{
	memset(bh, 0, BLK_HDR_LEN);
	put32(bh + BH_MAGIC, BLK_MAGIC);
	put32(bh + BH_SEQ, seq);
	put32(bh + BH_STORED_LEN, stored);
	put32(bh + BH_RAW_LEN, raw);
	bh[BH_FLAGS] = flags;
}

/* Ends the open segment with its trailer, syncs and closes it; the next one continues its chain. */
static int close_segment(struct trace_writer *w)
{
	uint8_t bh[BLK_HDR_LEN], tr[TRAILER_LEN + TAG_LEN];
	uint32_t stored = TRAILER_LEN + (w->has_key ? TAG_LEN : 0);
	char name[32];
	int ret;

	if (w->fd < 0)
		return 0;
	seg_name(name, sizeof(name), w->seq);
	memset(tr, 0, sizeof(tr));
	put32(tr + TR_BLOCKS, w->seg_blocks);
	put64(tr + TR_RECORDS, w->seg_records);
	put64(tr + TR_CLOSED_RT, now_ns(CLOCK_REALTIME));
	put64(tr + TR_CLOSED_MONO, now_ns(CLOCK_MONOTONIC));
	memcpy(tr + TR_LAST_CHAIN, w->chain, HASH_LEN);
	blk_hdr(bh, w->seg_blocks, stored, TRAILER_LEN,
		BLK_F_TRAILER | (w->has_key ? BLK_F_ENCRYPTED : 0));
	ret = 0;
	if (w->has_key) {
		uint8_t nonce[NONCE_LEN];

		if (nonce_of(&w->c, w->h.salt, w->seq, w->seg_blocks, nonce) ||
		    gcm_seal(&w->c, w->key, nonce, w->start, bh, tr, TRAILER_LEN, NULL, 0,
			     tr + TRAILER_LEN))
			ret = -EIO;
	}
	if (!ret)
		ret = put_block(w, bh, tr, stored);
	if (!ret && fsync(w->fd))
		ret = -errno;
	if (ret)
		werr(w, ret, "cannot close %s", name);
	/* without its trailer the segment is unclosed: the next header says so */
	w->next_prev_unclosed = ret != 0;
	memcpy(w->next_prev, w->chain, HASH_LEN);
	close(w->fd);
	w->fd = -1;
	old_push(w, w->seq, w->seg_size);
	w->seg_size = 0;
	if (w->seq == UINT32_MAX)
		w->seq_exhausted = true;
	else
		w->seq++;
	return ret;
}

static int rotate(struct trace_writer *w)
{
	int ret = close_segment(w), ret2;

	ret2 = open_segment(w);
	prune(w);
	return ret ? ret : ret2;
}

static bool too_old(const struct trace_writer *w)
{
	return w->seg_blocks &&
	       now_ns(CLOCK_MONOTONIC) - w->h.created_mono >= (uint64_t)w->age_s * 1000000000ull;
}

/* Compresses, encrypts and writes the pending records as one block. */
static int emit_block(struct trace_writer *w)
{
	uint8_t bh[BLK_HDR_LEN];
	const uint8_t *stored;
	uint32_t stored_len;
	uLongf zlen;
	int ret;

	if (!w->raw_len)
		return 0;
	zlen = compressBound(w->raw_len);
	if (reserve(&w->zbuf, &w->zcap, zlen + TAG_LEN)) {
		ret = -ENOMEM;
		werr(w, ret, "cannot compress");
		goto drop;
	}
	w->zs.next_in = w->raw;
	w->zs.avail_in = (uInt)w->raw_len;
	w->zs.next_out = w->zbuf;
	w->zs.avail_out = (uInt)zlen;
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END) {
		deflateReset(&w->zs);
		ret = -EIO;
		werr(w, 0, "zlib failed");
		goto drop;
	}
	zlen = w->zs.total_out;
	deflateReset(&w->zs);
	stored_len = (uint32_t)zlen + (w->has_key ? TAG_LEN : 0);
	if (w->fd >= 0 && w->seg_blocks &&
	    (w->seg_size + 2 * BLK_HDR_LEN + stored_len + TRAILER_LEN + TAG_LEN > w->seg_max ||
	     too_old(w))) {
		ret = rotate(w);
		if (ret && w->fd < 0)
			goto drop;
	} else if (w->fd < 0) {
		ret = open_segment(w);
		if (ret)
			goto drop;
	}
	blk_hdr(bh, w->seg_blocks, stored_len, (uint32_t)w->raw_len,
		BLK_F_COMPRESSED | (w->has_key ? BLK_F_ENCRYPTED : 0));
	stored = w->zbuf;
	if (w->has_key) {
		uint8_t nonce[NONCE_LEN];

		if (reserve(&w->ebuf, &w->ecap, stored_len)) {
			ret = -ENOMEM;
			werr(w, ret, "cannot encrypt");
			goto drop;
		}
		if (nonce_of(&w->c, w->h.salt, w->seq, w->seg_blocks, nonce) ||
		    gcm_seal(&w->c, w->key, nonce, w->start, bh, NULL, 0, w->zbuf, zlen, w->ebuf)) {
			ret = -EIO;
			werr(w, 0, "AES-256-GCM failed");
			goto drop;
		}
		stored = w->ebuf;
	}
	ret = put_block(w, bh, stored, stored_len);
	if (ret) {
		char name[32];

		seg_name(name, sizeof(name), w->seq);
		werr(w, ret, "cannot write to %s", name);
		goto drop;
	}
	w->seg_blocks++;
	w->seg_records += w->raw_records;
	w->st.blocks++;
	w->raw_len = 0;
	w->raw_records = 0;
	prune(w);
	return 0;
drop:
	w->st.dropped_records += w->raw_records;
	w->st.write_errors++;
	w->raw_len = 0;
	w->raw_records = 0;
	return ret;
}

int trace_write(struct trace_writer *w, uint16_t type, const void *data, uint32_t len,
		uint64_t ts_ns)
{
	size_t rec = REC_HDR_LEN + align8(len);
	uint8_t *p;
	int ret = 0;

	if (!w || (len && !data))
		return -EINVAL;
	if (len > TRACE_MAX_RECORD)
		return -E2BIG;
	if (w->raw_len && w->raw_len + rec > w->block_max)
		ret = emit_block(w);
	if (reserve(&w->raw, &w->raw_cap, w->raw_len + rec))
		return -ENOMEM;
	p = w->raw + w->raw_len;
	put16(p, type);
	put16(p + 2, 0);
	put32(p + 4, len);
	put64(p + 8, ts_ns);
	if (len)
		memcpy(p + REC_HDR_LEN, data, len);
	memset(p + REC_HDR_LEN + len, 0, align8(len) - len);
	w->raw_len += rec;
	w->raw_records++;
	w->st.records++;
	w->st.bytes_raw += rec;
	if (w->raw_len >= w->block_max) {
		int r2 = emit_block(w);

		ret = ret ? ret : r2;
	}
	return ret;
}

int trace_writer_flush(struct trace_writer *w)
{
	int ret;

	if (!w)
		return -EINVAL;
	ret = emit_block(w);
	if (!ret && w->fd >= 0 && too_old(w))
		ret = rotate(w);
	if (!ret && w->sync && w->fd >= 0 && fdatasync(w->fd)) {
		ret = -errno;
		werr(w, ret, "fdatasync");
	}
	return ret;
}

/*
 * Where the chain stands at the end of the existing segment @e: its final head, and whether
 * it was closed. A header that cannot be read gives a new chain (verification will say so).
 */
static void recover_chain(struct trace_writer *w, const struct seg_ent *e)
{
	struct trace_reader *r;
	char msg[256], path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", w->dir, e->name);
	memset(w->next_prev, 0, HASH_LEN);
	w->next_prev_unclosed = false;
	w->genesis = w->seq;
	if (reader_new(path, NULL, R_VERIFY | R_NODECODE | R_NOLIVE | TRACE_OPEN_FORCE, &r, msg,
		       sizeof(msg)))
		return;
	while ((ret = walk_step(r)) != 2 && ret >= 0)
		;
	if (ret == 2 && r->hdr_ok) {
		w->genesis = r->h.genesis;
		memcpy(w->next_prev, r->prev_final, HASH_LEN);
		w->next_prev_unclosed = !r->prev_closed;
	}
	trace_close(r);
}

int trace_writer_open(const char *dir, const struct trace_opts *o, struct trace_writer **out,
		      struct errbuf *err)
{
	static const struct trace_opts none;
	struct seg_ent *segs = NULL;
	struct trace_writer *w;
	struct stat st;
	size_t n = 0;
	int ret;

	if (!o)
		o = &none;
	if (o->block_max_bytes > MAX_BLOCK_OPT)
		return errbuf_set(err, -EINVAL, "trace: block size %u over the limit of %u",
				  o->block_max_bytes, MAX_BLOCK_OPT);
	if (o->segment_max_bytes && o->segment_max_bytes < MIN_SEGMENT_MAX)
		return errbuf_set(err, -EINVAL, "trace: segment size %" PRIu64 " under %u bytes",
				  o->segment_max_bytes, MIN_SEGMENT_MAX);
	if (o->compress_level < 0 || o->compress_level > 9)
		return errbuf_set(err, -EINVAL, "trace: compression level %d not in 1..9",
				  o->compress_level);
	w = calloc(1, sizeof(*w));
	if (!w)
		return errbuf_set(err, -ENOMEM, "trace: %s", strerror(ENOMEM));
	w->fd = -1;
	w->dirfd = -1;
	w->seg_max = o->segment_max_bytes ? o->segment_max_bytes : DEF_SEGMENT_MAX;
	w->age_s = o->segment_max_age_s ? o->segment_max_age_s : DEF_SEGMENT_AGE;
	w->total_max = o->total_max_bytes ? o->total_max_bytes : DEF_TOTAL_MAX;
	w->block_max = o->block_max_bytes ? o->block_max_bytes : DEF_BLOCK_MAX;
	w->level = o->compress_level ? o->compress_level : Z_BEST_SPEED;
	w->sync = o->sync;
	w->dir = strdup(dir);
	if (!w->dir || crypto_init(&w->c)) {
		ret = errbuf_set(err, -ENOMEM, "trace '%s': %s", dir, strerror(ENOMEM));
		goto fail;
	}
	if (o->key) {
		w->has_key = true;
		memcpy(w->key, o->key, TRACE_KEY_LEN);
		if (key_id_of(&w->c, w->key, w->key_id)) {
			ret = errbuf_set(err, -EIO, "trace '%s': SHA-256 failed", dir);
			goto fail;
		}
	}
	if (o->host)
		snprintf(w->host, sizeof(w->host), "%s", o->host);
	else if (gethostname(w->host, sizeof(w->host) - 1))
		w->host[0] = '\0';
	read_boot_id(w->boot_id);

	/* a planted symlink or someone else's directory is refused, never chmod-ed 0700 */
	w->dirfd = outdir_open("trace", dir, 0, err);
	if (w->dirfd < 0) {
		ret = w->dirfd;
		goto fail;
	}
	if (fstat(w->dirfd, &st)) {
		ret = errbuf_set(err, -errno, "trace '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(w->dirfd, 0700)) {
		ret = errbuf_set(err, -errno, "trace '%s': cannot make it 0700: %s", dir,
				 strerror(errno));
		goto fail;
	}
	if (flock(w->dirfd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK
			  ? errbuf_set(err, -EBUSY, "trace '%s': in use by another writer", dir)
			  : errbuf_set(err, -errno, "trace '%s': cannot lock: %s", dir,
				       strerror(errno));
		goto fail;
	}
	ret = list_segments(w->dirfd, &segs, &n);
	if (ret) {
		errbuf_set(err, ret, "trace '%s': %s", dir, strerror(-ret));
		goto fail;
	}
	/* a crash while the last segment was created leaves a file without a whole header */
	while (n && segs[n - 1].size < SEG_HDR_LEN) {
		if (unlinkat(w->dirfd, segs[n - 1].name, 0) && errno != ENOENT) {
			ret = errbuf_set(err, -errno, "trace '%s': cannot remove empty %s: %s", dir,
					 segs[n - 1].name, strerror(errno));
			goto fail;
		}
		n--;
	}
	if (n) {
		if (segs[n - 1].seq == UINT32_MAX) {
			ret = errbuf_set(err, -EOVERFLOW, "trace '%s': segment numbers exhausted",
					 dir);
			goto fail;
		}
		w->seq = segs[n - 1].seq + 1;
		recover_chain(w, &segs[n - 1]);
		for (size_t i = 0; i < n; i++)
			if (old_push(w, segs[i].seq, segs[i].size)) {
				ret = errbuf_set(err, -ENOMEM, "trace '%s': %s", dir,
						 strerror(ENOMEM));
				goto fail;
			}
	}
	if (deflateInit(&w->zs, w->level) != Z_OK) {
		ret = errbuf_set(err, -ENOMEM, "trace '%s': zlib: %s", dir, strerror(ENOMEM));
		goto fail;
	}
	w->zs_ready = true;
	if (reserve(&w->raw, &w->raw_cap, (size_t)w->block_max + REC_HDR_LEN + 8)) {
		ret = errbuf_set(err, -ENOMEM, "trace '%s': %s", dir, strerror(ENOMEM));
		goto fail;
	}
	ret = open_segment(w);
	if (ret) {
		errbuf_set(err, ret, "%s", w->err);
		goto fail;
	}
	w->err[0] = '\0';
	prune(w);
	free(segs);
	*out = w;
	return 0;
fail:
	free(segs);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	trace_writer_close(w);
	return ret;
}

int trace_writer_close(struct trace_writer *w)
{
	int ret = 0, r2;

	if (!w)
		return 0;
	if (w->fd >= 0) {
		ret = emit_block(w);
		r2 = close_segment(w);
		ret = ret ? ret : r2;
		if (w->dirfd >= 0)
			fsync(w->dirfd);
	}
	if (w->dirfd >= 0)
		close(w->dirfd); /* drops the lock */
	crypto_free(&w->c);
	OPENSSL_cleanse(w->key, sizeof(w->key));
	if (w->zs_ready)
		deflateEnd(&w->zs);
	free(w->dir);
	free(w->old);
	free(w->raw);
	free(w->zbuf);
	free(w->ebuf);
	free(w);
	return ret;
}

void trace_writer_head(const struct trace_writer *w, uint32_t *seq, uint8_t head[TRACE_HASH_LEN])
{
	if (seq)
		*seq = w->seq;
	memcpy(head, w->fd >= 0 ? w->chain : w->next_prev, HASH_LEN);
}

void trace_writer_stats(const struct trace_writer *w, struct trace_writer_stats *st)
{
	*st = w->st;
}

const char *trace_writer_error(const struct trace_writer *w)
{
	return w->err;
}
