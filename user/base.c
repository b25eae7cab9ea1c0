// SPDX-License-Identifier: GPL-2.0
/* base.c - the shared helpers of base.h: one whole-file reader with an explicit trust policy. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

static int check_policy(int fd, const char *path, const struct file_policy *p,
			const char *subject, struct errbuf *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return errbuf_set(err, -errno, "%s: %s", subject, strerror(errno));
	if ((p->trust & FT_REGULAR) && !S_ISREG(st.st_mode))
		return errbuf_set(err, -EINVAL, "%s: not a regular file", subject);
	if ((p->trust & FT_NOT_WORLD_WRITABLE) && (st.st_mode & S_IWOTH))
		return errbuf_set(err, -EPERM, "%s: mode %04o is world-writable; run 'chmod o-w %s'",
				  subject, (unsigned int)(st.st_mode & 07777), path);
	if ((p->trust & FT_PRIVATE) && (st.st_mode & 077))
		return errbuf_set(err, -EPERM, "%s: mode %04o lets group or others at it; chmod 600 it",
				  subject, (unsigned int)(st.st_mode & 07777));
	if ((p->trust & FT_PRIVATE) && st.st_uid != geteuid() && st.st_uid != 0)
		return errbuf_set(err, -EPERM, "%s: owned by uid %u, not by us or root", subject,
				  (unsigned int)st.st_uid);
	if (!(p->trust & FT_PREFIX) && S_ISREG(st.st_mode) && (uint64_t)st.st_size > p->max)
		return errbuf_set(err, -EFBIG, "%s: larger than %zu bytes", subject, p->max);
	return 0;
}

int read_file_trusted(const char *path, const struct file_policy *policy, const char *subject,
		      char **out, size_t *len, struct errbuf *err)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | policy->open_flags);
	if (fd < 0)
		return errbuf_set(err, -errno, "%s: %s", subject, strerror(errno));
	ret = check_policy(fd, path, policy, subject, err);
	if (ret)
		goto err_close;
	for (;;) {
		if (cap - n < 2) {
			/* Room for one byte past the limit: that byte is how a longer file shows. */
			size_t ncap = cap ? cap * 2 : 8192;

			if (ncap > policy->max + 2)
				ncap = policy->max + 2;
			nb = malloc(ncap);
			if (!nb) {
				ret = errbuf_set(err, -ENOMEM, "%s: %s", subject, strerror(ENOMEM));
				goto err_free_buf;
			}
			if (buf) {
				memcpy(nb, buf, n);
				explicit_bzero(buf, cap);
				free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = errbuf_set(err, -errno, "%s: %s", subject, strerror(errno));
			goto err_free_buf;
		}
		if (!r)
			break;
		n += r;
		if (n > policy->max) {
			if (policy->trust & FT_PREFIX) {
				n = policy->max;
				break;
			}
			ret = errbuf_set(err, -EFBIG, "%s: larger than %zu bytes", subject,
					 policy->max);
			goto err_free_buf;
		}
	}
	buf[n] = '\0';
	close(fd);
	*out = buf;
	*len = n;
	return 0;

err_free_buf:
	if (buf)
		explicit_bzero(buf, cap);
	free(buf);
err_close:
	close(fd);
	return ret;
}
