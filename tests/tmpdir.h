/* SPDX-License-Identifier: GPL-2.0 */
/* tmpdir.h - the unit tests' scratch directories: one per test under /tmp, removed whole. */
#ifndef DT_TMPDIR_H
#define DT_TMPDIR_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static inline int tmpdir_rm_one_(const char *path, const struct stat *st, int type,
				 struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

/* Makes /tmp/dt-@name-XXXXXX into @dir (@n bytes); false if it could not. */
static inline bool tmpdir_make(char *dir, size_t n, const char *name)
{
	snprintf(dir, n, "/tmp/dt-%s-XXXXXX", name);
	return mkdtemp(dir) != NULL;
}

/* Removes @dir and everything below it, without following links. */
static inline void tmpdir_remove(const char *dir)
{
	nftw(dir, tmpdir_rm_one_, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* DT_TMPDIR_H */
