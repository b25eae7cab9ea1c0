/* SPDX-License-Identifier: GPL-2.0 */
/* trace_write.c - forensic traces: the writer (segments, blocks, rotation, pruning, chain recovery). */
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
#include "trace_read.h"

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

