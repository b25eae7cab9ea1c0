/* SPDX-License-Identifier: GPL-2.0 */
/* sink.h - where JSON lines go: stdout or a file created 0600, opened through outfile.h. */
#ifndef DT_SINK_H
#define DT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errbuf.h"

struct sink {
	FILE *f;
	char *path; /* "-" for stdout */
	uint64_t lines;
	uint64_t errors; /* lines that could not be written */
	bool dirty;
};

/* Opens @path ("-" or NULL for stdout) for appending (outfile_open(): no symlinks, no file of
 * someone else's); @what names it in messages. 0 or -errno with a message in @err. */
int sink_open(struct sink *s, const char *what, const char *path, struct errbuf *err);
/* Writes one line (with its newline); counts a failed write in errors. */
void sink_write(struct sink *s, const char *line, size_t len);
/* Pushes buffered lines out; called once per batch, not per line. */
void sink_flush(struct sink *s);
void sink_close(struct sink *s);

#endif /* DT_SINK_H */
