/* SPDX-License-Identifier: GPL-2.0 */
/* errbuf.h - one error message, filled by the function that failed and printed by its caller. */
#ifndef DT_ERRBUF_H
#define DT_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/sysmacros.h>
#include <sys/types.h>

struct errbuf {
	char msg[1024];
};

/* Sets the message (printf-style) and returns @err, so that `return errbuf_set(e, -EINVAL, ...)`. */
static inline int __attribute__((format(printf, 3, 4)))
errbuf_set(struct errbuf *eb, int err, const char *fmt, ...)
{
	va_list ap;

	if (eb) {
		va_start(ap, fmt);
		vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The 1-based line and column of @pos in @text, for "line L, column C" messages. */
static inline void text_position(const char *text, const char *pos, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (const char *p = text; p < pos; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* A user-space dev_t in the kernel's internal encoding, as BPF sees it in super_block.s_dev. */
static inline unsigned int dt_kdev(dev_t dev)
{
	return (major(dev) << 20) | minor(dev);
}

#endif /* DT_ERRBUF_H */
