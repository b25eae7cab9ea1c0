/* SPDX-License-Identifier: GPL-2.0 */
/* base.h - the few helpers every part of the agent shares: clock, ARRAY_SIZE, version, trusted file reads. */
#ifndef DT_BASE_H
#define DT_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "errbuf.h"

/* The Makefile passes the release's; a build without it still says something. */
#ifndef DT_VERSION
#define DT_VERSION "0.1.0"
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Nanoseconds on @clk. */
static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC, the clock of the kernel's records (bpf_ktime_get_ns()). */
static inline uint64_t mono_ns(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

/* What a file must be before what it says is believed; see read_file_trusted(). */
enum file_trust {
	FT_REGULAR = 1u << 0,        /* a regular file (-EINVAL): not a pipe, device or directory */
	FT_NOT_WORLD_WRITABLE = 1u << 1, /* -EPERM: anyone could have written it */
	FT_PRIVATE = 1u << 2,        /* -EPERM: no group or other bits, owned by us or root (keys) */
	FT_PREFIX = 1u << 3,         /* at most @max bytes are read; a longer file is not an error */
};

struct file_policy {
	unsigned int trust; /* enum file_trust bits */
	size_t max;         /* more bytes: -EFBIG (unless FT_PREFIX) */
	int open_flags;     /* added to O_RDONLY | O_CLOEXEC | O_NOCTTY, e.g. O_NONBLOCK */
};

/*
 * Reads all of @path (to EOF, so pipes and growing files work) into a new NUL-terminated
 * buffer in *@out (*@len bytes), after checking the open file (fstat(), so that a rename
 * between a check and the open cannot fool it) against @policy. Symlinks are followed: the
 * checks are on the target. On failure the partial buffer is wiped, and freed, and -errno is
 * returned with "SUBJECT: WHY" in @err (may be NULL), @subject being e.g. "config 'x.json'":
 *   SUBJECT: not a regular file
 *   SUBJECT: mode 0666 is world-writable; run 'chmod o-w PATH'
 *   SUBJECT: mode 0644 lets group or others at it; chmod 600 it
 *   SUBJECT: owned by uid 1000, not by us or root
 *   SUBJECT: larger than N bytes
 *   SUBJECT: No such file or directory
 * The caller wipes the buffer before freeing it when it held a secret.
 */
int read_file_trusted(const char *path, const struct file_policy *policy, const char *subject,
		      char **out, size_t *len, struct errbuf *err);

#endif /* DT_BASE_H */
