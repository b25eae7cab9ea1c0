// SPDX-License-Identifier: GPL-2.0
/* json.c - the JSON writer; see json.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

char *jb_grow_(struct jbuf *jb, size_t n)
{
	size_t ncap;
	char *nb;

	if (jb->len + n <= jb->cap)
		return jb->buf + jb->len;
	ncap = jb->cap ? jb->cap : 512;
	while (ncap < jb->len + n)
		ncap *= 2;
	nb = realloc(jb->buf, ncap);
	if (!nb) {
		jb->err = true;
		return NULL;
	}
	jb->buf = nb;
	jb->cap = ncap;
	return nb + jb->len;
}

static void put(struct jbuf *jb, const char *s, size_t n)
{
	char *p = jb_room_(jb, n);

	if (!p)
		return;
	memcpy(p, s, n);
	jb->len += n;
}

size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * The first byte at or after @s that is not copied as it is: a control character, '"', '\\'
 * or a byte of 0x80 and up. Paths and command lines are long runs of plain ASCII, so they
 * are tested eight bytes at a time; each test below is exact for "some byte of the word".
 */
static const unsigned char *skip_plain(const unsigned char *s, const unsigned char *end)
{
	uint64_t w, lo, q, b;

	for (; end - s >= 8; s += 8) {
		memcpy(&w, s, 8);
		/* each term has the high bit of a byte set if that byte, or one below it, is special */
		lo = (w - ONES * 0x20) & ~w; /* below 0x20 */
		q = w ^ (ONES * '"');
		q = (q - ONES) & ~q; /* '"' */
		b = w ^ (ONES * '\\');
		b = (b - ONES) & ~b; /* '\\' */
		if ((lo | q | b | w) & HIGHS) /* w itself: 0x80 and up */
			break;
	}
	while (s < end && plain(*s))
		s++;
	return s;
}

void jb_put_str_(struct jbuf *jb, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str, *end = s + n, *run;
	char *p;
	size_t l;

	/* room for the string with nothing to escape and its quotes: the common case */
	p = jb_room_(jb, n + 2);
	if (!p)
		return;
	*p++ = '"';
	for (;;) {
		run = s;
		s = skip_plain(s, end);
		memcpy(p, run, s - run);
		p += s - run;
		jb->len = p - jb->buf;
		if (s == end)
			break;
		/* one byte may become six, and the rest of the string and the quote must fit */
		p = jb_room_(jb, 6 + (end - s));
		if (!p)
			return;
		switch (*s) {
		case '"':
			memcpy(p, "\\\"", 2);
			p += 2;
			break;
		case '\\':
			memcpy(p, "\\\\", 2);
			p += 2;
			break;
		case '\n':
			memcpy(p, "\\n", 2);
			p += 2;
			break;
		case '\t':
			memcpy(p, "\\t", 2);
			p += 2;
			break;
		case '\r':
			memcpy(p, "\\r", 2);
			p += 2;
			break;
		default:
			if (*s < 0x20) {
				memcpy(p, "\\u00", 4);
				p[4] = hex[*s >> 4];
				p[5] = hex[*s & 15];
				p += 6;
				break;
			}
			l = utf8_len(s, end - s);
			if (l) {
				memcpy(p, s, l);
				p += l;
				s += l;
				continue;
			}
			memcpy(p, "\\ufffd", 6);
			p += 6;
		}
		s++;
	}
	*p++ = '"';
	jb->len = p - jb->buf;
}

void jb_put_u64_(struct jbuf *jb, uint64_t val)
{
	char tmp[20], *q = tmp + sizeof(tmp);

	do {
		*--q = '0' + val % 10;
		val /= 10;
	} while (val);
	put(jb, q, tmp + sizeof(tmp) - q);
}

void jb_put_i64_(struct jbuf *jb, int64_t val)
{
	if (val < 0) {
		put(jb, "-", 1);
		/* Negate as unsigned: INT64_MIN has no positive int64_t. */
		jb_put_u64_(jb, -(uint64_t)val);
		return;
	}
	jb_put_u64_(jb, val);
}

void jb_init(struct jbuf *jb)
{
	memset(jb, 0, sizeof(*jb));
	jb->first[0] = true;
}

void jb_free(struct jbuf *jb)
{
	free(jb->buf);
	jb_init(jb);
}

void jb_reset(struct jbuf *jb)
{
	jb->len = 0;
	jb->depth = 0;
	jb->err = false;
	jb->first[0] = true;
}

void jb_open_(struct jbuf *jb, char c)
{
	put(jb, &c, 1);
	if (jb->depth + 1 >= JB_MAX_DEPTH) {
		jb->err = true;
		return;
	}
	jb->first[++jb->depth] = true;
}

void jb_close_(struct jbuf *jb, char c)
{
	if (jb->depth <= 0) {
		jb->err = true;
		return;
	}
	jb->depth--;
	put(jb, &c, 1);
}

int jb_finish(struct jbuf *jb)
{
	if (jb->depth != 0)
		jb->err = true;
	/* the newline and the NUL after it, which len does not count */
	if (jb_room_(jb, 2)) {
		jb->buf[jb->len++] = '\n';
		jb->buf[jb->len] = 0;
	}
	if (jb->err)
		return jb->buf ? -EINVAL : -ENOMEM;
	return 0;
}

const char *json_find_nul_escape(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	bool in_str = false;

	for (; p < end; p++) {
		if (*p == '"') {
			in_str = !in_str;
		} else if (in_str && *p == '\\') {
			if (end - p >= 6 && !memcmp(p + 1, "u0000", 5))
				return p;
			p++; /* the escaped character, so that \\ and \" are no escapes here */
		}
	}
	return NULL;
}
