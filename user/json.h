/* SPDX-License-Identifier: GPL-2.0 */
/* json.h - a streaming JSON writer into a growable buffer, for the hot output path. */
#ifndef DT_JSON_H
#define DT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JB_MAX_DEPTH 32

/*
 * Builds one JSON text. @key is the member name inside an object and must be NULL inside an
 * array or at the top. String values are escaped; bytes that are not valid UTF-8 become
 * U+FFFD, so any kernel-supplied name yields valid JSON. Keys are written as they are: they
 * are names chosen in the code, never data, and must hold nothing to escape. Out of memory
 * or misnesting sets @err, and jb_finish() then fails: callers check once per record, not
 * per call.
 */
struct jbuf {
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool err;
	bool first[JB_MAX_DEPTH];
};

void jb_init(struct jbuf *jb);
void jb_free(struct jbuf *jb);
/* Empties the buffer for the next record, keeping its memory. */
void jb_reset(struct jbuf *jb);

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0 if it is not one. */
size_t utf8_len(const unsigned char *s, size_t n);

/*
 * Appends "\n" and returns 0, or -EINVAL/-ENOMEM if the record is broken. The text is then in
 * buf[0..len), NUL-terminated.
 */
int jb_finish(struct jbuf *jb);

/* The out-of-line halves of the calls below; not for use on their own. */
char *jb_grow_(struct jbuf *jb, size_t n);
void jb_open_(struct jbuf *jb, char c);
void jb_close_(struct jbuf *jb, char c);
void jb_put_str_(struct jbuf *jb, const char *val, size_t n);
void jb_put_u64_(struct jbuf *jb, uint64_t val);
void jb_put_i64_(struct jbuf *jb, int64_t val);

/* Room for @n more bytes at the end of the text, or NULL (and err set) without memory. */
static inline char *jb_room_(struct jbuf *jb, size_t n)
{
	if (__builtin_expect(jb->len + n > jb->cap, 0))
		return jb_grow_(jb, n);
	return jb->buf + jb->len;
}

/*
 * The comma and the quoted key before a value. These calls are inline so that a literal
 * key's length is known at compile time: the key costs one copy of constant size, with no
 * strlen() and no escape scan, as the encoders write some forty of them per line.
 */
static inline void jb_key_(struct jbuf *jb, const char *key)
{
	size_t n = key ? strlen(key) : 0;
	bool first = jb->first[jb->depth];
	char *p = jb_room_(jb, n + 4);

	jb->first[jb->depth] = false;
	if (!p)
		return;
	if (!first)
		*p++ = ',';
	if (key) {
		*p++ = '"';
		memcpy(p, key, n);
		p += n;
		*p++ = '"';
		*p++ = ':';
	}
	jb->len = p - jb->buf;
}

static inline void jb_obj_open(struct jbuf *jb, const char *key)
{
	jb_key_(jb, key);
	jb_open_(jb, '{');
}

static inline void jb_obj_close(struct jbuf *jb)
{
	jb_close_(jb, '}');
}

static inline void jb_arr_open(struct jbuf *jb, const char *key)
{
	jb_key_(jb, key);
	jb_open_(jb, '[');
}

static inline void jb_arr_close(struct jbuf *jb)
{
	jb_close_(jb, ']');
}

/* A string of @n bytes that may hold NULs (written as \u0000). */
static inline void jb_strn(struct jbuf *jb, const char *key, const char *val, size_t n)
{
	jb_key_(jb, key);
	jb_put_str_(jb, val, n);
}

static inline void jb_str(struct jbuf *jb, const char *key, const char *val)
{
	jb_key_(jb, key);
	if (val)
		jb_put_str_(jb, val, strlen(val));
	else
		jb_put_str_(jb, "", 0);
}

static inline void jb_u64(struct jbuf *jb, const char *key, uint64_t val)
{
	jb_key_(jb, key);
	jb_put_u64_(jb, val);
}

static inline void jb_i64(struct jbuf *jb, const char *key, int64_t val)
{
	jb_key_(jb, key);
	jb_put_i64_(jb, val);
}

static inline void jb_bool(struct jbuf *jb, const char *key, bool val)
{
	char *p;

	jb_key_(jb, key);
	p = jb_room_(jb, 5);
	if (!p)
		return;
	memcpy(p, val ? "true" : "false", val ? 4 : 5);
	jb->len += val ? 4 : 5;
}

/*
 * Reading side: the first "\u0000" escape inside a string of the JSON @text (already parsed
 * as valid), or NULL. cJSON decodes it into a NUL that ends its C string, so "ab\u0000cd"
 * would silently read as "ab": loaders refuse such text instead.
 */
const char *json_find_nul_escape(const char *text, size_t len);

#endif /* DT_JSON_H */
