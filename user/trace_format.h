/* SPDX-License-Identifier: GPL-2.0 */
/* trace_format.h - the trace's on-disk layout and crypto, for trace_format.c, trace_read.c and trace_write.c. */
#ifndef DT_TRACE_FORMAT_H
#define DT_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "base.h"
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

static const uint8_t zero_hash[HASH_LEN];

/* ---- little helpers ---------------------------------------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static inline uint32_t crc_of(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), p, n);
}

static inline void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int reserve(uint8_t **buf, size_t *cap, size_t need);
ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off);
int write_full(int fd, struct iovec *iov, int n);

struct crypto {
	EVP_MD *sha;
	EVP_CIPHER *aes;
	EVP_MD_CTX *md;
	EVP_CIPHER_CTX *cc;
};

int crypto_init(struct crypto *c);
void crypto_free(struct crypto *c);
int sha3p(struct crypto *c, uint8_t out[HASH_LEN], const void *a, size_t al, const void *b,
	  size_t bl, const void *d, size_t dl);
int key_id_of(struct crypto *c, const uint8_t *key, uint8_t id[KEY_ID_LEN]);
int nonce_of(struct crypto *c, const uint8_t salt[SALT_LEN], uint32_t seg, uint32_t blk,
	     uint8_t nonce[NONCE_LEN]);
int gcm_seal(struct crypto *c, const uint8_t *key, const uint8_t *nonce,
	     const uint8_t start[HASH_LEN], const uint8_t *bh, const uint8_t *extra,
	     size_t extra_len, const uint8_t *in, size_t len, uint8_t *out);
int gcm_open(struct crypto *c, const uint8_t *key, const uint8_t *nonce,
	     const uint8_t start[HASH_LEN], const uint8_t *bh, const uint8_t *extra,
	     size_t extra_len, const uint8_t *in, size_t len, uint8_t *out);

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

void seg_hdr_encode(const struct seg_hdr *h, uint8_t b[SEG_HDR_LEN]);
const char *seg_hdr_decode(const uint8_t b[SEG_HDR_LEN], struct seg_hdr *h);
void read_boot_id(uint8_t out[16]);

#endif /* DT_TRACE_FORMAT_H */
