/* SPDX-License-Identifier: GPL-2.0 */
/* trace_read.c - forensic traces: segment listing, the reader (with forced recovery) and the verifier. */
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

/* "trace-%08u.dts" exactly (the canonical spelling of its number); the number in *@seq. */
bool parse_seg_name(const char *name, uint32_t *seq)
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

static int seg_ent_cmp(const void *a, const void *b)
{
	const struct seg_ent *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The segment files in @dirfd (not closed), sorted by number. */
int list_segments(int dirfd, struct seg_ent **out, size_t *n_out)
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

/* ---- reader / verifier ------------------------------------------------------------------- */

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
int walk_step(struct trace_reader *r)
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

int reader_new(const char *path, const uint8_t *key, unsigned int flags,
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

