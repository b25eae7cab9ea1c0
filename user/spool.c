// SPDX-License-Identifier: GPL-2.0
/* spool.c - the on-disk write-ahead spool: segments, pending-record index, acks; see spool.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
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

#include <zlib.h>

#include "base.h"
#include "log.h"
#include "outfile.h"
#include "spool.h"

#define SPOOL_MAGIC 0x50535444u /* "DTSP" as little-endian bytes */
#define SEG_FMT "spool-%08" PRIu32 ".log"
#define ACK_FILE "ack"
#define ACK_TMP "ack.tmp"
#define LOCK_FILE "lock"
/*
 * Segments are an eighth of the bound, so that deleting delivered ones gives space back in
 * steps small against the whole, within limits that keep file counts and sizes sane.
 */
#define SEG_MIN (4u << 10)
#define SEG_MAX (16u << 20)

/* One record of the index, from the oldest un-acked to the newest. */
struct spool_rec {
	uint64_t id;
	uint32_t size; /* header and stored bytes, as on disk */
	uint8_t stream;
	bool acked;
};

/* A segment file that is still there, whole or in part not yet delivered. */
struct spool_seg {
	uint32_t no;
	uint64_t size;
};

struct spool {
	char *dir;
	int dirfd;
	int lockfd;
	bool opened; /* fully opened: only then may close write the ack file */
	uint64_t max_bytes;
	uint64_t seg_max;

	struct spool_rec *recs; /* live entries are recs[head..tail) */
	size_t head, tail, cap;

	struct spool_seg *segs; /* ascending numbers; the last one is written while wfd >= 0 */
	size_t n_segs, cap_segs;
	int wfd;
	uint32_t next_no; /* number of the next segment to create */

	int rfd; /* a segment opened for reading back, cached: replay reads them in order */
	uint32_t rfd_no;

	uint64_t ack_pos;       /* id of the first un-acked record, or where the next will go */
	uint64_t ack_persisted; /* what the ack file says */
	uint64_t ack_persist_ns;

	struct spool_stats st;
	uint8_t *rbuf, *raw;
	size_t rcap, rawcap;
	char last_error[512];
};

/* The header's fields, decoded. */
struct rec_hdr {
	uint32_t magic;
	uint32_t stored_len;
	uint32_t raw_len;
	uint32_t crc;
	uint8_t stream;
	uint8_t flags;
	uint16_t pad;
};

static uint64_t make_id(uint32_t seg, uint32_t off)
{
	return (uint64_t)seg << 32 | off;
}

static uint32_t id_seg(uint64_t id)
{
	return id >> 32;
}

static uint32_t id_off(uint64_t id)
{
	return (uint32_t)id;
}

/* Reports a record that cannot be used: on stderr, in last_error and in the counter. */
static void __attribute__((format(printf, 4, 5)))
report_corrupt(struct spool *sp, uint32_t seg, uint64_t off, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(sp->last_error, sizeof(sp->last_error),
		 "spool '%s/" SEG_FMT "': record at offset %" PRIu64 ": %s", sp->dir, seg, off,
		 why);
	dt_log("datatrail: %s\n", sp->last_error);
	sp->st.corrupt_records++;
}

static void __attribute__((format(printf, 2, 3))) report_io(struct spool *sp, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	len = snprintf(sp->last_error, sizeof(sp->last_error), "spool '%s': ", sp->dir);
	if (len < sizeof(sp->last_error)) {
		va_start(ap, fmt);
		vsnprintf(sp->last_error + len, sizeof(sp->last_error) - len, fmt, ap);
		va_end(ap);
	}
	dt_log("datatrail: %s\n", sp->last_error);
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n * elem);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static void decode_hdr(const uint8_t *p, struct rec_hdr *h)
{
	uint16_t pad;

	h->magic = get_le32(p);
	h->stored_len = get_le32(p + 4);
	h->raw_len = get_le32(p + 8);
	h->crc = get_le32(p + 12);
	h->stream = p[16];
	h->flags = p[17];
	memcpy(&pad, p + 18, 2);
	h->pad = le16toh(pad);
}

/* CRC-32 of the stored bytes, then of raw_len, stream, flags and pad as they are on disk. */
static uint32_t rec_crc(const uint8_t *hdr, const uint8_t *stored, uint32_t stored_len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, stored, stored_len);
	crc = crc32(crc, hdr + 8, 4);
	crc = crc32(crc, hdr + 16, 4);
	return (uint32_t)crc;
}

/* NULL when the header is sane, else why not; the crc is checked separately. */
static const char *check_hdr(const struct rec_hdr *h)
{
	if (h->magic != SPOOL_MAGIC)
		return "bad magic";
	if ((h->stream != SPOOL_FINDINGS && h->stream != SPOOL_EVENTS) ||
	    (h->flags & ~SPOOL_F_ZLIB) || h->pad)
		return "bad header";
	if (h->raw_len > SPOOL_MAX_RECORD || h->stored_len > h->raw_len ||
	    (!(h->flags & SPOOL_F_ZLIB) && h->stored_len != h->raw_len))
		return "bad length";
	return NULL;
}

/* Validates the record at @off of a segment held in memory; NULL if good, else why not. */
static const char *check_rec_at(const uint8_t *buf, uint64_t size, uint64_t off, struct rec_hdr *h)
{
	const char *why;

	if (size - off < SPOOL_HDR_SIZE)
		return "truncated header";
	decode_hdr(buf + off, h);
	why = check_hdr(h);
	if (why)
		return why;
	if (size - off - SPOOL_HDR_SIZE < h->stored_len)
		return "truncated";
	if (rec_crc(buf + off, buf + off + SPOOL_HDR_SIZE, h->stored_len) != h->crc)
		return "checksum mismatch";
	return NULL;
}

static int push_rec(struct spool *sp, uint64_t id, uint32_t size, uint8_t stream)
{
	struct spool_rec *r;

	if (sp->head == sp->tail) {
		sp->head = sp->tail = 0;
	} else if (sp->tail == sp->cap && sp->head > sp->cap / 2) {
		/* more than half of the array is popped: slide down instead of growing */
		memmove(sp->recs, sp->recs + sp->head, (sp->tail - sp->head) * sizeof(*sp->recs));
		sp->tail -= sp->head;
		sp->head = 0;
	}
	if (grow((void **)&sp->recs, &sp->cap, sp->tail + 1, sizeof(*sp->recs)))
		return -ENOMEM;
	r = &sp->recs[sp->tail++];
	r->id = id;
	r->size = size;
	r->stream = stream;
	r->acked = false;
	if (sp->head + 1 == sp->tail)
		sp->ack_pos = id;
	sp->st.records++;
	if (stream == SPOOL_EVENTS)
		sp->st.events_bytes += size;
	return 0;
}

static int push_seg(struct spool *sp, uint32_t no, uint64_t size)
{
	if (grow((void **)&sp->segs, &sp->cap_segs, sp->n_segs + 1, sizeof(*sp->segs)))
		return -ENOMEM;
	sp->segs[sp->n_segs].no = no;
	sp->segs[sp->n_segs].size = size;
	sp->n_segs++;
	sp->st.bytes += size;
	return 0;
}

static void close_rfd(struct spool *sp)
{
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->rfd = -1;
}

/*
 * Deletes the segments wholly before the first un-acked record; with none pending, all of
 * them, the one being written included, so that a drained spool takes no space.
 */
static void reclaim(struct spool *sp)
{
	uint32_t first = sp->head < sp->tail ? id_seg(sp->recs[sp->head].id) : UINT32_MAX;
	bool all = sp->head == sp->tail;
	char name[64];
	size_t i, n = 0;

	for (i = 0; i < sp->n_segs; i++) {
		struct spool_seg *s = &sp->segs[i];

		if (!all && s->no >= first)
			break;
		if (sp->wfd >= 0 && i == sp->n_segs - 1) {
			close(sp->wfd);
			sp->wfd = -1;
		}
		if (sp->rfd >= 0 && sp->rfd_no == s->no)
			close_rfd(sp);
		snprintf(name, sizeof(name), SEG_FMT, s->no);
		if (unlinkat(sp->dirfd, name, 0) && errno != ENOENT)
			report_io(sp, "delete '%s': %s", name, strerror(errno));
		sp->st.bytes -= s->size;
		n++;
	}
	if (n) {
		memmove(sp->segs, sp->segs + n, (sp->n_segs - n) * sizeof(*sp->segs));
		sp->n_segs -= n;
	}
	if (all)
		sp->ack_pos = make_id(sp->next_no, 0);
}

/* Writes the ack position to a temporary file and renames it over the ack file. */
static int persist_ack(struct spool *sp, bool sync)
{
	char text[64];
	int fd, len, ret = 0;

	len = snprintf(text, sizeof(text), "%" PRIu32 " %" PRIu32 "\n", id_seg(sp->ack_pos),
		       id_off(sp->ack_pos));
	fd = openat(sp->dirfd, ACK_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		ret = -errno;
		goto out_report;
	}
	if (write(fd, text, len) != len) {
		ret = errno ? -errno : -EIO;
		close(fd);
		goto out_report;
	}
	if (sync && fsync(fd)) {
		ret = -errno;
		close(fd);
		goto out_report;
	}
	close(fd);
	if (renameat(sp->dirfd, ACK_TMP, sp->dirfd, ACK_FILE)) {
		ret = -errno;
		goto out_report;
	}
	sp->ack_persisted = sp->ack_pos;
	sp->ack_persist_ns = mono_ns();
	return 0;

out_report:
	report_io(sp, "write '%s': %s", ACK_FILE, strerror(-ret));
	return ret;
}

int spool_commit(struct spool *sp)
{
	if (sp->ack_pos == sp->ack_persisted)
		return 0;
	return persist_ack(sp, false);
}

int spool_sync(struct spool *sp)
{
	int ret = 0;

	if (sp->wfd >= 0 && fsync(sp->wfd)) {
		ret = -errno;
		report_io(sp, "fsync: %s", strerror(errno));
	}
	if (sp->ack_pos != sp->ack_persisted) {
		int r = persist_ack(sp, true);

		if (r && !ret)
			ret = r;
	}
	/* the directory too: new segments, deletions and the ack rename live in it */
	if (fsync(sp->dirfd) && !ret) {
		ret = -errno;
		report_io(sp, "fsync: %s", strerror(errno));
	}
	return ret;
}

/* Index of the first entry with id >= @id in recs[head..tail), or tail. */
static size_t lower_bound(const struct spool *sp, uint64_t id)
{
	size_t lo = sp->head, hi = sp->tail;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->recs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int spool_ack(struct spool *sp, uint64_t id)
{
	struct spool_rec *r;
	size_t i = lower_bound(sp, id);

	if (i == sp->tail || sp->recs[i].id != id || sp->recs[i].acked)
		return -ENOENT;
	r = &sp->recs[i];
	r->acked = true;
	sp->st.records--;
	if (r->stream == SPOOL_EVENTS)
		sp->st.events_bytes -= r->size;
	if (i != sp->head)
		return 0;
	while (sp->head < sp->tail && sp->recs[sp->head].acked)
		sp->head++;
	if (sp->head < sp->tail)
		sp->ack_pos = sp->recs[sp->head].id;
	reclaim(sp);
	/* at most one rename per interval however fast acks come; commit/close write the rest */
	if (mono_ns() - sp->ack_persist_ns >= SPOOL_ACK_PERSIST_MS * 1000000ull)
		persist_ack(sp, false);
	return 0;
}

uint64_t spool_first_pending(const struct spool *sp)
{
	return sp->head < sp->tail ? sp->recs[sp->head].id : UINT64_MAX;
}

static int drop(struct spool *sp, enum spool_stream stream, int ret)
{
	if (stream == SPOOL_EVENTS)
		sp->st.dropped_events++;
	else
		sp->st.dropped_findings++;
	return ret;
}

/* Opens a new segment file for appends. */
static int new_segment(struct spool *sp)
{
	char name[64];
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		snprintf(name, sizeof(name), SEG_FMT, sp->next_no);
		fd = openat(sp->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
			    0600);
		if (fd >= 0)
			break;
		/* a stray file that the index does not cover: never write into it */
		if (errno != EEXIST)
			return -errno;
		sp->next_no++;
	}
	if (fd < 0)
		return -EEXIST;
	if (push_seg(sp, sp->next_no, 0)) {
		close(fd);
		unlinkat(sp->dirfd, name, 0);
		return -ENOMEM;
	}
	sp->next_no++;
	sp->wfd = fd;
	return 0;
}

int spool_append(struct spool *sp, enum spool_stream stream, const void *data, size_t len,
		 uint64_t *id)
{
	uint8_t hdr[SPOOL_HDR_SIZE];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = SPOOL_HDR_SIZE },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	struct iovec *v = iov;
	int iovcnt = 2;
	struct spool_seg *seg;
	uint64_t need, off, rid;
	ssize_t n;
	int ret;

	if (stream != SPOOL_FINDINGS && stream != SPOOL_EVENTS)
		return -EINVAL;
	if (len > SPOOL_MAX_RECORD)
		return drop(sp, stream, -EMSGSIZE);
	need = SPOOL_HDR_SIZE + len;
	if (sp->st.bytes + need > sp->max_bytes)
		return drop(sp, stream, -ENOSPC);
	/* findings always keep at least half of the spool */
	if (stream == SPOOL_EVENTS && sp->st.events_bytes + need > sp->max_bytes / 2)
		return drop(sp, stream, -ENOSPC);

	if (sp->wfd >= 0) {
		seg = &sp->segs[sp->n_segs - 1];
		if (seg->size && seg->size + need > sp->seg_max) {
			close(sp->wfd);
			sp->wfd = -1;
		}
	}
	if (sp->wfd < 0) {
		ret = new_segment(sp);
		if (ret) {
			sp->st.write_errors++;
			report_io(sp, "new segment: %s", strerror(-ret));
			return drop(sp, stream, ret);
		}
	}
	seg = &sp->segs[sp->n_segs - 1];
	off = seg->size;
	rid = make_id(seg->no, (uint32_t)off);

	/*
	 * Stored raw: deflating one short record cost 20 us for 1.9:1 (docs/performance.md, P1),
	 * and librdkafka compresses whole batches anyway. Readers still take SPOOL_F_ZLIB.
	 */
	put_le32(hdr, SPOOL_MAGIC);
	put_le32(hdr + 4, (uint32_t)len);
	put_le32(hdr + 8, (uint32_t)len);
	hdr[16] = (uint8_t)stream;
	hdr[17] = 0;
	hdr[18] = hdr[19] = 0;
	put_le32(hdr + 12, rec_crc(hdr, data, (uint32_t)len));

	/*
	 * One writev() per record, header and payload without a copy: in the page cache before
	 * we return, so SIGKILL cannot lose it.
	 */
	while (iovcnt) {
		n = writev(sp->wfd, v, iovcnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			/* cut the partial record off, so the segment stays a clean sequence */
			if (ftruncate(sp->wfd, off))
				report_io(sp, "truncate after failed write: %s", strerror(errno));
			sp->st.write_errors++;
			report_io(sp, "write: %s", strerror(-ret));
			return drop(sp, stream, ret);
		}
		for (; iovcnt && (size_t)n >= v->iov_len; v++, iovcnt--)
			n -= v->iov_len;
		if (iovcnt) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= n;
		}
	}
	seg->size += need;
	sp->st.bytes += need;
	if (push_rec(sp, rid, (uint32_t)need, (uint8_t)stream)) {
		/* on disk but not indexed: the next open replays it; for now count it lost */
		return drop(sp, stream, -ENOMEM);
	}
	if (id)
		*id = rid;
	return 0;
}

/*
 * Reads record @r back: its payload, NUL-terminated, in *@data (the spool's buffer) and its
 * length in *@len. -EBADMSG (reported) when it is corrupt.
 */
static int read_rec(struct spool *sp, const struct spool_rec *r, const uint8_t **data,
		    size_t *len)
{
	uint32_t seg = id_seg(r->id), off = id_off(r->id);
	struct rec_hdr h;
	const char *why;
	char name[64];
	uLongf rlen;
	ssize_t n;
	int zret;

	if (sp->rfd < 0 || sp->rfd_no != seg) {
		close_rfd(sp);
		snprintf(name, sizeof(name), SEG_FMT, seg);
		sp->rfd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (sp->rfd < 0) {
			report_io(sp, "open '%s': %s", name, strerror(errno));
			return -errno;
		}
		sp->rfd_no = seg;
	}
	/* the index knows the record's size: header and payload in one read */
	if (grow((void **)&sp->rbuf, &sp->rcap, r->size + 1, 1))
		return -ENOMEM;
	n = pread(sp->rfd, sp->rbuf, r->size, off);
	if (n < 0)
		return -errno;
	if (n < SPOOL_HDR_SIZE) {
		report_corrupt(sp, seg, off, "truncated header");
		return -EBADMSG;
	}
	decode_hdr(sp->rbuf, &h);
	why = check_hdr(&h);
	if (!why && SPOOL_HDR_SIZE + h.stored_len != r->size)
		why = "size changed since indexed";
	if (!why && (uint32_t)n != r->size)
		why = "truncated";
	if (!why && rec_crc(sp->rbuf, sp->rbuf + SPOOL_HDR_SIZE, h.stored_len) != h.crc)
		why = "checksum mismatch";
	if (why) {
		report_corrupt(sp, seg, off, "%s", why);
		return -EBADMSG;
	}
	if (!(h.flags & SPOOL_F_ZLIB)) {
		/* raw, as spool_append() writes: used where it lies */
		sp->rbuf[r->size] = '\0';
		*data = sp->rbuf + SPOOL_HDR_SIZE;
		*len = h.raw_len;
		return 0;
	}
	if (grow((void **)&sp->raw, &sp->rawcap, h.raw_len + 1, 1))
		return -ENOMEM;
	rlen = h.raw_len;
	zret = uncompress(sp->raw, &rlen, sp->rbuf + SPOOL_HDR_SIZE, h.stored_len);
	if (zret != Z_OK || rlen != h.raw_len) {
		report_corrupt(sp, seg, off, "zlib: %s", zret != Z_OK ? zError(zret) : "wrong length");
		return -EBADMSG;
	}
	sp->raw[h.raw_len] = '\0';
	*data = sp->raw;
	*len = h.raw_len;
	return 0;
}

int spool_replay_from(struct spool *sp, uint64_t from_id, spool_cb cb, void *ctx)
{
	const uint8_t *data = NULL;
	struct spool_rec r;
	size_t i, len = 0;
	int ret;

	for (;;) {
		/* by id, not by index: the callback may ack (which pops) or append (which grows) */
		for (i = lower_bound(sp, from_id); i < sp->tail && sp->recs[i].acked; i++)
			;
		if (i == sp->tail)
			return 0;
		r = sp->recs[i];
		from_id = r.id + 1;
		ret = read_rec(sp, &r, &data, &len);
		if (ret == -EBADMSG) {
			/* reported and counted: drop it so it is not tried forever */
			spool_ack(sp, r.id);
			continue;
		}
		if (ret)
			return ret;
		ret = cb(ctx, r.id, (enum spool_stream)r.stream, data, len);
		if (ret)
			return ret;
	}
}

int spool_replay(struct spool *sp, spool_cb cb, void *ctx)
{
	return spool_replay_from(sp, 0, cb, ctx);
}

/* Reads a whole segment file into a new buffer. */
static int read_segment(struct spool *sp, uint32_t no, uint8_t **out, uint64_t *size)
{
	struct stat st;
	char name[64];
	uint8_t *buf;
	uint64_t len = 0;
	ssize_t n;
	int fd, ret;

	snprintf(name, sizeof(name), SEG_FMT, no);
	fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out_close;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (len < (uint64_t)st.st_size) {
		n = read(fd, buf + len, st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			free(buf);
			goto out_close;
		}
		if (n == 0)
			break;
		len += n;
	}
	*out = buf;
	*size = len;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

/*
 * Indexes the records of segment @no from @start on. A bad record is reported once, then
 * the scan looks for the next offset where a whole valid record starts (magic, sane header,
 * matching crc): a false magic inside the damage fails the crc and is passed over.
 */
static int scan_segment(struct spool *sp, uint32_t no, uint64_t start)
{
	static const uint8_t magic[4] = { 'D', 'T', 'S', 'P' };
	struct rec_hdr h;
	uint64_t size = 0, off;
	const char *why;
	uint8_t *buf = NULL;
	const uint8_t *m;
	int ret;

	ret = read_segment(sp, no, &buf, &size);
	if (ret)
		return ret;
	ret = push_seg(sp, no, size);
	if (ret)
		goto out_free;
	if (start > size) {
		report_corrupt(sp, no, start, "ack position past the end of the file (%" PRIu64
			       " bytes)", size);
		goto out_free;
	}
	for (off = start; off < size;) {
		why = check_rec_at(buf, size, off, &h);
		if (!why) {
			ret = push_rec(sp, make_id(no, (uint32_t)off),
				       SPOOL_HDR_SIZE + h.stored_len, h.stream);
			if (ret)
				goto out_free;
			off += SPOOL_HDR_SIZE + h.stored_len;
			continue;
		}
		report_corrupt(sp, no, off, "%s", why);
		for (off++; off < size; off = m - buf + 1) {
			m = memmem(buf + off, size - off, magic, sizeof(magic));
			if (!m) {
				off = size;
				break;
			}
			if (!check_rec_at(buf, size, m - buf, &h)) {
				off = m - buf;
				break;
			}
		}
	}
out_free:
	free(buf);
	return ret;
}

/* Reads DIR/ack; a missing file means nothing was delivered yet, a broken one the same. */
static void read_ack(struct spool *sp, uint32_t *seg, uint32_t *off)
{
	char text[64], extra;
	ssize_t n;
	int fd;

	*seg = *off = 0;
	fd = openat(sp->dirfd, ACK_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			report_io(sp, "read '%s': %s; replaying everything", ACK_FILE,
				  strerror(errno));
		return;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		report_io(sp, "read '%s': %s; replaying everything", ACK_FILE, strerror(errno));
		return;
	}
	text[n] = '\0';
	if (sscanf(text, "%" SCNu32 " %" SCNu32 "%c", seg, off, &extra) != 3 || extra != '\n') {
		/* replaying too much is a duplicate; skipping too much would be a loss */
		report_io(sp, "'%s' is corrupt; replaying everything", ACK_FILE);
		*seg = *off = 0;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The numbers of the segment files in the directory, sorted. */
static int list_segments(struct spool *sp, uint32_t **out, size_t *n_out)
{
	uint32_t *nos = NULL, no;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char name[64], tail;
	DIR *d;
	int fd;

	fd = openat(sp->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "spool-%8" SCNu32 ".lo%c", &no, &tail) != 2 || tail != 'g')
			continue;
		/* the exact spelling only: "spool-3.log", "spool-00000003.log.bak" are not ours */
		snprintf(name, sizeof(name), SEG_FMT, no);
		if (strcmp(name, de->d_name))
			continue;
		if (grow((void **)&nos, &cap, n + 1, sizeof(*nos))) {
			closedir(d);
			free(nos);
			return -ENOMEM;
		}
		nos[n++] = no;
	}
	closedir(d);
	if (n)
		qsort(nos, n, sizeof(*nos), cmp_u32);
	*out = nos;
	*n_out = n;
	return 0;
}

int spool_open(const char *dir, uint64_t max_bytes, struct spool **out, struct errbuf *err)
{
	uint32_t ack_seg, ack_off, *nos = NULL;
	struct spool *sp;
	struct stat st;
	size_t i, n = 0;
	int ret;

	if (!dir || !dir[0])
		return errbuf_set(err, -EINVAL, "spool: no directory given");
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return errbuf_set(err, -ENOMEM, "spool '%s': %s", dir, strerror(ENOMEM));
	sp->dirfd = sp->lockfd = sp->wfd = sp->rfd = -1;
	sp->max_bytes = max_bytes;
	sp->st.max_bytes = max_bytes;
	sp->seg_max = max_bytes / 8;
	if (sp->seg_max < SEG_MIN)
		sp->seg_max = SEG_MIN;
	if (sp->seg_max > SEG_MAX)
		sp->seg_max = SEG_MAX;
	sp->dir = strdup(dir);
	if (!sp->dir) {
		ret = errbuf_set(err, -ENOMEM, "spool '%s': %s", dir, strerror(ENOMEM));
		goto err_free;
	}
	/* a planted symlink or someone else's directory is refused, never chmod-ed 0700 */
	sp->dirfd = outdir_open("spool", dir, 1, err);
	if (sp->dirfd < 0) {
		ret = sp->dirfd;
		goto err_free;
	}
	/* the records name processes and files: owner only, also for a dir made 0755 by hand */
	if (fstat(sp->dirfd, &st) || ((st.st_mode & 077) && fchmod(sp->dirfd, 0700))) {
		ret = errbuf_set(err, -errno, "spool '%s': chmod 0700: %s", dir, strerror(errno));
		goto err_free;
	}
	sp->lockfd = openat(sp->dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (sp->lockfd < 0) {
		ret = errbuf_set(err, -errno, "spool '%s': lock: %s", dir, strerror(errno));
		goto err_free;
	}
	/* two writers would interleave ids and delete each other's segments */
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			ret = errbuf_set(err, -EBUSY, "spool '%s': in use by another process", dir);
		else
			ret = errbuf_set(err, -errno, "spool '%s': lock: %s", dir, strerror(errno));
		goto err_free;
	}
	unlinkat(sp->dirfd, ACK_TMP, 0);

	read_ack(sp, &ack_seg, &ack_off);
	ret = list_segments(sp, &nos, &n);
	if (ret) {
		errbuf_set(err, ret, "spool '%s': list: %s", dir, strerror(-ret));
		goto err_free;
	}
	sp->next_no = ack_seg;
	for (i = 0; i < n; i++) {
		char name[64];

		if (nos[i] < ack_seg) {
			/* delivered; the crash came between the ack and the delete */
			snprintf(name, sizeof(name), SEG_FMT, nos[i]);
			unlinkat(sp->dirfd, name, 0);
			continue;
		}
		ret = scan_segment(sp, nos[i], nos[i] == ack_seg ? ack_off : 0);
		if (ret) {
			errbuf_set(err, ret, "spool '%s/" SEG_FMT "': read: %s", dir, nos[i],
				   strerror(-ret));
			goto err_free_nos;
		}
		/* appends always go to a fresh segment: never after a torn tail */
		if (nos[i] >= sp->next_no)
			sp->next_no = nos[i] + 1;
	}
	free(nos);
	sp->ack_pos = make_id(ack_seg, ack_off);
	if (sp->head < sp->tail)
		sp->ack_pos = sp->recs[sp->head].id;
	sp->ack_persisted = make_id(ack_seg, ack_off);
	reclaim(sp);
	spool_commit(sp);
	sp->opened = true;
	*out = sp;
	return 0;

err_free_nos:
	free(nos);
err_free:
	spool_close(sp);
	return ret;
}

void spool_get_stats(const struct spool *sp, struct spool_stats *st)
{
	*st = sp->st;
}

const char *spool_last_error(const struct spool *sp)
{
	return sp->last_error;
}

const char *spool_dir(const struct spool *sp)
{
	return sp->dir;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->opened)
		spool_commit(sp);
	if (sp->wfd >= 0)
		close(sp->wfd);
	close_rfd(sp);
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->recs);
	free(sp->segs);
	free(sp->rbuf);
	free(sp->raw);
	free(sp->dir);
	free(sp);
}
