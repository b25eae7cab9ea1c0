// SPDX-License-Identifier: GPL-2.0
/* sink.c - JSON line outputs; see sink.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "outfile.h"
#include "sink.h"

/*
 * Opens @path for appending, 0600, through outfile_open() (no planted links, no file of
 * someone else's); the FILE and its size, or -errno with a message.
 */
static int open_file(const char *what, const char *path, FILE **out, uint64_t *size,
		     struct errbuf *err)
{
	struct stat st;
	int fd, ret;

	/* Records name processes and files: readable by the owner only. */
	fd = outfile_open(what, path, O_APPEND, 0600, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		ret = errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
		goto err_close;
	}
	*out = fdopen(fd, "a");
	if (!*out) {
		ret = errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
		goto err_close;
	}
	*size = st.st_size;
	return 0;

err_close:
	close(fd);
	return ret;
}

int sink_open(struct sink *s, const char *what, const char *path, struct errbuf *err)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->what = what;
	if (!path || !strcmp(path, "-")) {
		s->f = stdout;
		s->path = strdup("-");
		return s->path ? 0 : -ENOMEM;
	}
	ret = open_file(what, path, &s->f, &s->size, err);
	if (ret)
		return ret;
	s->path = strdup(path);
	if (!s->path) {
		fclose(s->f);
		return -ENOMEM;
	}
	return 0;
}

int sink_reopen(struct sink *s, struct errbuf *err)
{
	uint64_t size;
	FILE *f;
	int ret;

	if (!s->f || s->f == stdout)
		return 0;
	/* What is buffered belongs to the file it was written for, renamed or not. */
	sink_flush(s);
	ret = open_file(s->what, s->path, &f, &size, err);
	if (ret)
		return ret;
	if (fclose(s->f))
		s->errors++;
	s->f = f;
	s->size = size;
	return 0;
}

void sink_set_rotate(struct sink *s, uint64_t max_bytes, unsigned int keep)
{
	s->max_size = max_bytes;
	s->keep = keep ? keep : 1;
}

/* PATH.N-1 -> PATH.N ... PATH -> PATH.1, then a new PATH; the oldest beyond keep goes. */
static void rotate(struct sink *s)
{
	size_t n = strlen(s->path) + 16;
	char from[n], to[n];
	struct errbuf eb;
	int ret = 0;

	sink_flush(s);
	for (unsigned int i = s->keep; i >= 1 && !ret; i--) {
		if (i > 1)
			snprintf(from, n, "%s.%u", s->path, i - 1);
		else
			snprintf(from, n, "%s", s->path);
		snprintf(to, n, "%s.%u", s->path, i);
		if (rename(from, to) && errno != ENOENT)
			ret = -errno;
	}
	if (!ret)
		ret = sink_reopen(s, &eb);
	else
		snprintf(eb.msg, sizeof(eb.msg), "%s '%s': rotate: %s", s->what, s->path,
			 strerror(-ret));
	if (!ret) {
		s->rotations++;
		return;
	}
	/* The file in use stays: lines go on into it, past the size. */
	if (!s->rotate_warned)
		dt_log("datatrail: %s\n", eb.msg);
	s->rotate_warned = true;
}

void sink_write(struct sink *s, const char *line, size_t len)
{
	if (s->max_size && s->size && s->size + len > s->max_size && s->f != stdout)
		rotate(s);
	if (fwrite(line, 1, len, s->f) != len) {
		s->errors++;
	} else {
		s->lines++;
		s->size += len;
	}
	s->dirty = true;
}

void sink_flush(struct sink *s)
{
	if (!s->dirty)
		return;
	if (fflush(s->f))
		s->errors++;
	s->dirty = false;
}

void sink_close(struct sink *s)
{
	if (!s->f)
		return;
	sink_flush(s);
	if (s->f != stdout)
		fclose(s->f);
	free(s->path);
	memset(s, 0, sizeof(*s));
}
