// SPDX-License-Identifier: GPL-2.0
/* log.c - JSON lines on stderr for --log-format json; see log.h. */
#define _GNU_SOURCE /* fopencookie, memmem */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

#define LOG_PREFIX "datatrail: "

/* Lifecycle reports, by how they begin after "datatrail: " (see the fprintf()s in agent.c). */
static const char *const info_prefixes[] = {
	"watching ", "metrics on ", "stopped: ", "kafka: secrets re-read",
	"kafka: delivering again", NULL,
};

const char *log_level(const char *msg, size_t len)
{
	size_t plen = strlen(LOG_PREFIX);

	if (len < plen || memcmp(msg, LOG_PREFIX, plen))
		return "warning";
	msg += plen;
	len -= plen;
	for (int i = 0; info_prefixes[i]; i++)
		if (len >= strlen(info_prefixes[i]) &&
		    !memcmp(msg, info_prefixes[i], strlen(info_prefixes[i])))
			return "info";
	if (len > 11 && !memcmp(msg, "inventory '", 11) && memmem(msg, len, "' reloaded:", 11))
		return "info";
	return "warning";
}

size_t log_escape(const char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, l;

	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			out[o++] = (char)s[i++];
			continue;
		}
		l = s[i] >= 0x80 ? utf8_len(s + i, n - i) : 0;
		/* C1 controls are valid UTF-8 (c2 80..c2 9f): escaped, byte by byte. */
		if (l && !(s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[s[i] >> 4];
		out[o++] = hex[s[i] & 15];
		i++;
	}
	out[o] = 0;
	return o;
}

void dt_vflog(FILE *f, const char *fmt, va_list ap)
{
	static const char oom[] = "datatrail: a message was lost: out of memory\n";
	char small[512], *msg = small, *esc = NULL;
	size_t len, o;
	va_list ap2;
	bool nl;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (!msg)
			goto lost;
		vsnprintf(msg, (size_t)n + 1, fmt, ap2);
	}
	len = (size_t)n;
	nl = len && msg[len - 1] == '\n';
	len -= nl;
	esc = malloc(len * 4 + 2);
	if (!esc)
		goto lost;
	o = log_escape(msg, len, esc);
	if (nl)
		esc[o++] = '\n';
	/* One write: a line is never interleaved with another thread's, nor cut in two. */
	fwrite(esc, 1, o, f);
	goto out;
lost:
	fwrite(oom, 1, sizeof(oom) - 1, f);
out:
	free(esc);
	if (msg != small)
		free(msg);
	va_end(ap2);
}

void dt_flog(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dt_vflog(f, fmt, ap);
	va_end(ap);
}

void dt_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dt_vflog(stderr, fmt, ap);
	va_end(ap);
}

/* A partial line waits here for its end; stdio's lock on stderr serializes the writers. */
struct log_cookie {
	char buf[4096];
	size_t len;
	struct jbuf jb;
};

/* Lives as long as the process writes to stderr: held here, not leaked. */
static struct log_cookie *log_cookie;

static void emit(struct log_cookie *c, const char *line, size_t len)
{
	const char *msg = line;
	size_t mlen = len, plen = strlen(LOG_PREFIX);
	char when[40];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
		 ts.tv_nsec / 1000000);
	if (mlen >= plen && !memcmp(msg, LOG_PREFIX, plen)) {
		msg += plen;
		mlen -= plen;
	}
	jb_reset(&c->jb);
	jb_obj_open(&c->jb, NULL);
	jb_str(&c->jb, "time", when);
	jb_str(&c->jb, "level", log_level(line, len));
	jb_strn(&c->jb, "msg", msg, mlen);
	jb_obj_close(&c->jb);
	if (!jb_finish(&c->jb) && write(STDERR_FILENO, c->jb.buf, c->jb.len) < 0)
		return; /* nowhere left to report it */
}

static ssize_t log_write(void *cookie, const char *data, size_t n)
{
	struct log_cookie *c = cookie;

	for (size_t i = 0; i < n; i++) {
		/* An overlong line is cut into messages of the buffer's size. */
		if (data[i] == '\n' || c->len == sizeof(c->buf)) {
			emit(c, c->buf, c->len);
			c->len = 0;
			if (data[i] == '\n')
				continue;
		}
		c->buf[c->len++] = data[i];
	}
	return n;
}

static int log_close(void *cookie)
{
	struct log_cookie *c = cookie;

	if (c->len)
		emit(c, c->buf, c->len);
	jb_free(&c->jb);
	if (c == log_cookie)
		log_cookie = NULL;
	free(c);
	return 0;
}

int log_set_format(const char *format, struct errbuf *eb)
{
	static const cookie_io_functions_t io = { .write = log_write, .close = log_close };
	struct log_cookie *c;
	FILE *f;

	if (!strcmp(format, "text"))
		return 0;
	if (strcmp(format, "json"))
		return errbuf_set(eb, -EINVAL, "option '--log-format': bad value '%s' (text or json)",
				  format);
	c = calloc(1, sizeof(*c));
	if (!c)
		return errbuf_set(eb, -ENOMEM, "option '--log-format': out of memory");
	jb_init(&c->jb);
	f = fopencookie(c, "w", io);
	if (!f) {
		jb_free(&c->jb);
		free(c);
		return errbuf_set(eb, -ENOMEM, "option '--log-format': out of memory");
	}
	/* Unbuffered: each fprintf() reaches the cookie at once, whole lines leave from there. */
	setvbuf(f, NULL, _IONBF, 0);
	log_cookie = c;
	stderr = f;
	return 0;
}
