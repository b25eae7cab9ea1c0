/* SPDX-License-Identifier: GPL-2.0 */
/* json.h - a streaming JSON writer into a growable buffer, for the hot output path. */
#ifndef DT_JSON_H
#define DT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_MAX_DEPTH 32

/*
 * Builds one JSON text. @key is the member name inside an object and must be NULL inside an
 * array or at the top. Strings are escaped; bytes that are not valid UTF-8 become U+FFFD, so
 * any kernel-supplied name yields valid JSON. Out of memory or misnesting sets @err, and
 * jb_finish() then fails: callers check once per record, not per call.
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

void jb_obj_open(struct jbuf *jb, const char *key);
void jb_obj_close(struct jbuf *jb);
void jb_arr_open(struct jbuf *jb, const char *key);
void jb_arr_close(struct jbuf *jb);
void jb_str(struct jbuf *jb, const char *key, const char *val);
/* A string of @n bytes that may hold NULs (written as \u0000). */
void jb_strn(struct jbuf *jb, const char *key, const char *val, size_t n);
void jb_u64(struct jbuf *jb, const char *key, uint64_t val);
void jb_i64(struct jbuf *jb, const char *key, int64_t val);
void jb_bool(struct jbuf *jb, const char *key, bool val);

/*
 * Appends "\n" and returns 0, or -EINVAL/-ENOMEM if the record is broken. The text is then in
 * buf[0..len), NUL-terminated.
 */
int jb_finish(struct jbuf *jb);

#endif /* DT_JSON_H */
