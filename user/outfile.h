/* SPDX-License-Identifier: GPL-2.0 */
/* outfile.h - opening the agent's outputs so that a planted link or someone else's file is refused. */
#ifndef DT_OUTFILE_H
#define DT_OUTFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "errbuf.h"

/*
 * Every file and directory the agent writes (events, findings, status and its temporary, the
 * ready file, the trace and spool directories) is opened here. An output may sit in a
 * directory that others can write (/tmp, a shared log directory), where a user could plant a
 * symlink or a hard link to a file that root may write, or a file of their own, and have the
 * agent append to, truncate or chmod it. So:
 *  - the last component is never followed (O_NOFOLLOW): a symlink there is refused;
 *  - an existing file must be a regular file with one link, owned by the agent's euid;
 *    an existing directory must be a directory owned by the agent's euid;
 *  - the directory holding it must belong to root or the agent's euid, and must not be
 *    writable by everyone unless it is sticky (/tmp): else someone could swap the entry after
 *    the checks;
 *  - no symlink of another user's (not root's, not the euid's) on the way to it: it would
 *    lead the output into a directory of its owner's choosing;
 *  - truncation comes after the checks, never with the open;
 *  - temporaries are created O_EXCL under a random name, then renamed over the output.
 * Other symlinks on the way are followed: they are the operator's.
 *
 * @what names the output in messages, which read
 *   events '/tmp/x': is a symlink: refusing it
 * Functions return 0 (or a file descriptor) or -errno with the message in @err.
 */

/* Opens @path for writing, creating it with @mode (owner only, applied also to an existing
 * file); @flags adds O_APPEND or O_TRUNC. Returns the descriptor. */
int outfile_open(const char *what, const char *path, int flags, mode_t mode, struct errbuf *err);

/* 0 when @path does not exist or would pass outfile_open()'s checks: for refusing a planted
 * output at start, before the first write comes long after. Creates nothing. */
int outfile_check(const char *what, const char *path, struct errbuf *err);

/* Creates a temporary file beside @path (its name, "PATH.tmp.RANDOM", in @tmp of @n bytes)
 * with @mode; the caller writes it and renames it over @path, or unlinks it. Returns the fd. */
int outfile_tmp(const char *what, const char *path, mode_t mode, char *tmp, size_t n,
		struct errbuf *err);

/* Opens directory @path (O_RDONLY | O_DIRECTORY), creating it 0700, and its missing parents
 * when @parents, and refusing a symlink or someone else's directory. Returns the fd. */
int outdir_open(const char *what, const char *path, int parents, struct errbuf *err);

#endif /* DT_OUTFILE_H */
