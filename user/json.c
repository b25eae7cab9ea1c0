// SPDX-License-Identifier: GPL-2.0
/* json.c - the JSON writer; see json.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void reserve(struct jbuf *jb, size_t n)
{
	size_t ncap;
	char *nb;

	if (jb->len + n <= jb->cap)
		return;
	ncap = jb->cap ? jb->cap : 512;
	while (ncap < jb->len + n)
		ncap *= 2;
	nb = realloc(jb->buf, ncap);
	if (!nb) {
		jb->err = true;
		return;
	}
	jb->buf = nb;
	jb->cap = ncap;
}

static void put(struct jbuf *jb, const char *s, size_t n)
{
	reserve(jb, n);
	if (jb->err)
		return;
	memcpy(jb->buf + jb->len, s, n);
	jb->len += n;
}

static void putc_(struct jbuf *jb, char c)
{
	put(jb, &c, 1);
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
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

static void put_escaped(struct jbuf *jb, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	putc_(jb, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t l;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++;
			i++;
			continue;
		}
		put(jb, (const char *)s + i - run, run);
		run = 0;
		switch (c) {
		case '"':
			put(jb, "\\\"", 2);
			break;
		case '\\':
			put(jb, "\\\\", 2);
			break;
		case '\n':
			put(jb, "\\n", 2);
			break;
		case '\t':
			put(jb, "\\t", 2);
			break;
		case '\r':
			put(jb, "\\r", 2);
			break;
		default:
			if (c < 0x20) {
				char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

				put(jb, u, 6);
				break;
			}
			l = utf8_len(s + i, n - i);
			if (l) {
				put(jb, (const char *)s + i, l);
				i += l;
				continue;
			}
			put(jb, "\\ufffd", 6);
		}
		i++;
	}
	put(jb, (const char *)s + i - run, run);
	putc_(jb, '"');
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

/* Comma and key before a value. */
static void member(struct jbuf *jb, const char *key)
{
	if (!jb->first[jb->depth])
		putc_(jb, ',');
	jb->first[jb->depth] = false;
	if (key) {
		put_escaped(jb, key, strlen(key));
		putc_(jb, ':');
	}
}

static void open_(struct jbuf *jb, const char *key, char c)
{
	member(jb, key);
	putc_(jb, c);
	if (jb->depth + 1 >= JB_MAX_DEPTH) {
		jb->err = true;
		return;
	}
	jb->first[++jb->depth] = true;
}

static void close_(struct jbuf *jb, char c)
{
	if (jb->depth <= 0) {
		jb->err = true;
		return;
	}
	jb->depth--;
	putc_(jb, c);
}

void jb_obj_open(struct jbuf *jb, const char *key)
{
	open_(jb, key, '{');
}

void jb_obj_close(struct jbuf *jb)
{
	close_(jb, '}');
}

void jb_arr_open(struct jbuf *jb, const char *key)
{
	open_(jb, key, '[');
}

void jb_arr_close(struct jbuf *jb)
{
	close_(jb, ']');
}

void jb_strn(struct jbuf *jb, const char *key, const char *val, size_t n)
{
	member(jb, key);
	put_escaped(jb, val, n);
}

void jb_str(struct jbuf *jb, const char *key, const char *val)
{
	jb_strn(jb, key, val ? val : "", val ? strlen(val) : 0);
}

void jb_u64(struct jbuf *jb, const char *key, uint64_t val)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	member(jb, key);
	do {
		*--p = '0' + val % 10;
		val /= 10;
	} while (val);
	put(jb, p, tmp + sizeof(tmp) - p);
}

void jb_i64(struct jbuf *jb, const char *key, int64_t val)
{
	if (val >= 0) {
		jb_u64(jb, key, val);
		return;
	}
	member(jb, key);
	putc_(jb, '-');
	/* Negate as unsigned: INT64_MIN has no positive int64_t. */
	jb->first[jb->depth] = true;
	jb_u64(jb, NULL, -(uint64_t)val);
}

void jb_bool(struct jbuf *jb, const char *key, bool val)
{
	member(jb, key);
	if (val)
		put(jb, "true", 4);
	else
		put(jb, "false", 5);
}

int jb_finish(struct jbuf *jb)
{
	if (jb->depth != 0)
		jb->err = true;
	putc_(jb, '\n');
	reserve(jb, 1);
	if (!jb->err)
		jb->buf[jb->len] = 0;
	if (jb->err)
		return jb->buf ? -EINVAL : -ENOMEM;
	return 0;
}
