// SPDX-License-Identifier: GPL-2.0
/* sink.c - JSON line outputs; see sink.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "sink.h"

int sink_open(struct sink *s, const char *what, const char *path, struct errbuf *err)
{
	int fd;

	memset(s, 0, sizeof(*s));
	if (!path || !strcmp(path, "-")) {
		s->f = stdout;
		s->path = strdup("-");
		return s->path ? 0 : -ENOMEM;
	}
	/* Records name processes and files: readable by the owner only. */
	fd = outfile_open(what, path, O_APPEND, 0600, err);
	if (fd < 0)
		return fd;
	s->f = fdopen(fd, "a");
	if (!s->f) {
		close(fd);
		return errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
	}
	s->path = strdup(path);
	if (!s->path) {
		fclose(s->f);
		return -ENOMEM;
	}
	return 0;
}

void sink_write(struct sink *s, const char *line, size_t len)
{
	if (fwrite(line, 1, len, s->f) != len)
		s->errors++;
	else
		s->lines++;
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
