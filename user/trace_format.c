/* SPDX-License-Identifier: GPL-2.0 */
/* trace_format.c - forensic traces: helpers, crypto, segment header and key file (see trace_format.h). */
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
#include "base.h"
#include "trace_format.h"

/* Domain-separation prefixes, hashed with their terminating NUL. */
static const char key_id_domain[] = "datatrail-trace-key-id";
static const char nonce_domain[] = "datatrail-trace-nonce";

/* Grows *@buf to at least @need bytes; 0 or -ENOMEM. */
int reserve(uint8_t **buf, size_t *cap, size_t need)
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

ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
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

int write_full(int fd, struct iovec *iov, int n)
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

/* ---- crypto ------------------------------------------------------------------------------ */

int crypto_init(struct crypto *c)
{
	c->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->aes = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	c->md = EVP_MD_CTX_new();
	c->cc = EVP_CIPHER_CTX_new();
	return c->sha && c->aes && c->md && c->cc ? 0 : -ENOMEM;
}

void crypto_free(struct crypto *c)
{
	EVP_MD_free(c->sha);
	EVP_CIPHER_free(c->aes);
	EVP_MD_CTX_free(c->md);
	EVP_CIPHER_CTX_free(c->cc);
	memset(c, 0, sizeof(*c));
}

/* SHA-256 over up to three parts (a NULL part is skipped). */
int sha3p(struct crypto *c, uint8_t out[HASH_LEN], const void *a, size_t al, const void *b,
	  size_t bl, const void *d, size_t dl)
{
	unsigned int n = 0;

	if (!EVP_DigestInit_ex(c->md, c->sha, NULL) || (a && !EVP_DigestUpdate(c->md, a, al)) ||
	    (b && !EVP_DigestUpdate(c->md, b, bl)) || (d && !EVP_DigestUpdate(c->md, d, dl)) ||
	    !EVP_DigestFinal_ex(c->md, out, &n) || n != HASH_LEN)
		return -EIO;
	return 0;
}

int key_id_of(struct crypto *c, const uint8_t *key, uint8_t id[KEY_ID_LEN])
{
	uint8_t h[HASH_LEN];

	if (sha3p(c, h, key_id_domain, sizeof(key_id_domain), key, TRACE_KEY_LEN, NULL, 0))
		return -EIO;
	memcpy(id, h, KEY_ID_LEN);
	return 0;
}

int nonce_of(struct crypto *c, const uint8_t salt[SALT_LEN], uint32_t seg, uint32_t blk,
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
int gcm_seal(struct crypto *c, const uint8_t *key, const uint8_t *nonce,
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
int gcm_open(struct crypto *c, const uint8_t *key, const uint8_t *nonce,
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

void seg_hdr_encode(const struct seg_hdr *h, uint8_t b[SEG_HDR_LEN])
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
const char *seg_hdr_decode(const uint8_t b[SEG_HDR_LEN], struct seg_hdr *h)
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

void read_boot_id(uint8_t out[16])
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
	/* Symlinks are followed (Kubernetes mounts secrets as links); the checks are on the target. */
	const struct file_policy policy = { .trust = FT_REGULAR | FT_PRIVATE | FT_PREFIX,
					    .max = 256, .open_flags = O_NONBLOCK };
	char subject[PATH_MAX + 16];
	size_t a = 0, b, n;
	uint8_t *buf;
	int ret = 0;

	snprintf(subject, sizeof(subject), "key file '%s'", path);
	ret = read_file_trusted(path, &policy, subject, (char **)&buf, &n, err);
	if (ret)
		return ret;
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
		    "key file '%s': want 32 raw bytes or 64 hex digits, found %zu bytes", path, n);
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
	OPENSSL_cleanse(buf, n);
	free(buf);
	return ret;
}

