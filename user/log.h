/* SPDX-License-Identifier: GPL-2.0 */
/* log.h - the agent's stderr messages as text (as written) or as JSON lines with a level. */
#ifndef DT_LOG_H
#define DT_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "errbuf.h"

/*
 * --log-format: "text" leaves stderr alone; "json" puts a stream in front of it that turns
 * each message line into {"time":...,"level":...,"msg":...}. Every module keeps writing
 * plain lines to stderr, so messages from libraries (libbpf, librdkafka) are covered too.
 * 0, or -EINVAL with a message naming the value in @eb.
 */
int log_set_format(const char *format, struct errbuf *eb);

/*
 * The level of a message line: "info" for the agent's lifecycle reports (started, reloaded,
 * stopped, where metrics are served), "warning" for everything else it says, which is a
 * problem it reports or works around.
 */
const char *log_level(const char *msg, size_t len);

/*
 * One message on stderr, the way every message of the agent is written: @fmt formatted, then
 * the whole message escaped by log_escape() but for its final newline, and written in one
 * call. Format strings are the program's own, arguments come from the system (mount points,
 * FUSE source names, paths, comm, dataset ids): escaping the whole message means no call site
 * can forget an argument, at the price that a format string can hold no control byte either
 * (a message is one line). @f: where, for code that writes to a stream it is given.
 */
void dt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dt_flog(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dt_vflog(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * @in (@n bytes) into @out (room for 4 * @n + 1), NUL-terminated; returns the length. What
 * could end a line, move a terminal's cursor or start an escape sequence becomes \xNN: C0
 * controls (newline, tab, CR, ESC ...), DEL, C1 controls (U+0080..U+009F, CSI among them) and
 * every byte that is not part of valid UTF-8 (a lone 0x9b is CSI to an 8-bit terminal). Valid
 * UTF-8 text, and backslashes, pass as they are.
 */
size_t log_escape(const char *in, size_t n, char *out);

#endif /* DT_LOG_H */
