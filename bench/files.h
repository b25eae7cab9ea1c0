/* SPDX-License-Identifier: GPL-2.0 */
/* files.h - where file number i of a generated tree lives (bench/mkfiles.c, bench/wl_loader.c). */
#ifndef DT_BENCH_FILES_H
#define DT_BENCH_FILES_H

#include <stdint.h>
#include <stdio.h>

/* Files per directory: ext4 lookups stay cheap, and a tree of 1 M files has 1000 dirs. */
#define BENCH_PER_DIR 1000

/*
 * File @i of a tree: every @cls_every-th file (i % cls_every == 0) lies below ROOT/cls,
 * which the inventory classifies, the others below ROOT/pub.
 */
static inline const char *bench_file_side(uint64_t i, uint64_t cls_every)
{
	return cls_every && i % cls_every == 0 ? "cls" : "pub";
}

static inline int bench_file_path(char *buf, size_t n, const char *root, uint64_t i,
				  uint64_t cls_every)
{
	return snprintf(buf, n, "%s/%s/d%04llu/f%07llu", root, bench_file_side(i, cls_every),
			(unsigned long long)(i / BENCH_PER_DIR), (unsigned long long)i);
}

#endif /* DT_BENCH_FILES_H */
