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
	const char *what; /* "events", "findings": names it in messages (static) */
	char *path; /* "-" for stdout */
	uint64_t lines;
	uint64_t errors; /* lines that could not be written */
	bool dirty;
	uint64_t size;      /* of the file, as written through this sink */
	uint64_t max_size;  /* rotate before a line would take the file past it; 0: never */
	unsigned int keep;  /* rotated files kept: PATH.1 (newest) .. PATH.keep */
	uint64_t rotations;
	bool rotate_warned;
};

/* Opens @path ("-" or NULL for stdout) for appending (outfile_open(): no symlinks, no file of
 * someone else's); @what names it in messages. 0 or -errno with a message in @err. */
int sink_open(struct sink *s, const char *what, const char *path, struct errbuf *err);
/* Writes one line (with its newline); counts a failed write in errors. */
void sink_write(struct sink *s, const char *line, size_t len);
/* Pushes buffered lines out; called once per batch, not per line. */
void sink_flush(struct sink *s);
void sink_close(struct sink *s);
/*
 * Rotation by size: before a line would take the file past @max_bytes, PATH.N-1 becomes
 * PATH.N ... PATH becomes PATH.1 and a new PATH is opened; @keep (>= 1) files are kept.
 * Lines are written whole to one file or the next, none is lost.
 */
void sink_set_rotate(struct sink *s, uint64_t max_bytes, unsigned int keep);
/*
 * Closes and opens the file again by its name, after pushing out what is buffered: for
 * logrotate, which renames the file and then signals the agent. 0 or -errno with a message
 * in @err; on failure the old file stays in use.
 */
int sink_reopen(struct sink *s, struct errbuf *err);

#endif /* DT_SINK_H */
