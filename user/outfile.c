// SPDX-License-Identifier: GPL-2.0
/* outfile.c - opening the agent's outputs without following planted links; see outfile.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* Why an existing entry is not one the agent may write into, or 0. */
static int refuse(const char *what, const char *path, const struct stat *st, bool dir,
		  struct errbuf *err)
{
	if (S_ISLNK(st->st_mode))
		return errbuf_set(err, -ELOOP, "%s '%s': is a symlink: refusing it", what, path);
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return errbuf_set(err, -EPERM, "%s '%s': is not a %s: refusing it", what, path,
				  dir ? "directory" : "regular file");
	if (st->st_uid != geteuid())
		return errbuf_set(err, -EPERM,
				  "%s '%s': is owned by uid %u, not by the agent's uid %u: refusing it",
				  what, path, (unsigned int)st->st_uid, (unsigned int)geteuid());
	/* a hard link planted to a file of root's passes every other check */
	if (!dir && st->st_nlink > 1)
		return errbuf_set(err, -EPERM, "%s '%s': has %ju hard links: refusing it", what,
				  path, (uintmax_t)st->st_nlink);
	return 0;
}

/* Whether @uid may be trusted with the path to an output: the agent's own, or root's. */
static bool trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * Refuses a symlink of another user's on the way to @dir (every existing prefix of it, @dir
 * itself only when @last): a user's link in /tmp would lead the output into a directory of
 * the link's choosing.
 */
static int check_links(const char *what, const char *path, const char *dir, bool last,
		       struct errbuf *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);
	struct stat st;

	if (n >= sizeof(buf))
		return errbuf_set(err, -ENAMETOOLONG, "%s '%s': %s", what, path,
				  strerror(ENAMETOOLONG));
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; p <= buf + n; p++) {
		char c = *p;

		if ((c != '/' && c != '\0') || (!c && !last))
			continue;
		*p = '\0';
		if (!lstat(buf, &st) && S_ISLNK(st.st_mode) && !trusted(st.st_uid))
			return errbuf_set(err, -EPERM,
					  "%s '%s': '%s' is a symlink of uid %u: refusing it", what,
					  path, buf, (unsigned int)st.st_uid);
		*p = c;
	}
	return 0;
}

/*
 * Opens the directory that holds @path (O_PATH) and points *@base at the last component,
 * inside @buf (PATH_MAX bytes). A directory anyone can write without the sticky bit is
 * refused: there the entry could be swapped for a link right after the checks.
 */
static int open_parent(const char *what, const char *path, char *buf, const char **base,
		       struct errbuf *err)
{
	size_t len = strlen(path);
	const char *dir;
	struct stat st;
	char *slash;
	int dfd, ret;

	if (!len || len >= PATH_MAX)
		return errbuf_set(err, -EINVAL, "%s '%s': %s", what, path,
				  len ? strerror(ENAMETOOLONG) : "empty path");
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	slash = strrchr(buf, '/');
	if (!slash) {
		dir = ".";
		*base = buf;
	} else if (slash == buf) {
		dir = "/";
		*base = buf + 1;
	} else {
		*slash = '\0';
		dir = buf;
		*base = slash + 1;
	}
	if (!**base || !strcmp(*base, ".") || !strcmp(*base, ".."))
		return errbuf_set(err, -EINVAL, "%s '%s': names no file", what, path);
	ret = check_links(what, path, dir, true, err);
	if (ret)
		return ret;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
	if (fstat(dfd, &st)) {
		ret = -errno;
		close(dfd);
		return errbuf_set(err, ret, "%s '%s': %s", what, path, strerror(-ret));
	}
	/* its owner could move the output away and put a link in its place */
	if (!trusted(st.st_uid)) {
		close(dfd);
		return errbuf_set(err, -EPERM,
				  "%s '%s': directory '%s' is owned by uid %u: refusing it", what,
				  path, dir, (unsigned int)st.st_uid);
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		close(dfd);
		return errbuf_set(err, -EPERM,
				  "%s '%s': directory '%s' is writable by everyone without the "
				  "sticky bit: refusing it",
				  what, path, dir);
	}
	return dfd;
}

/* The message for an open that failed with @e: a symlink gets the plain words. */
static int open_error(const char *what, const char *path, int dfd, const char *base, int e,
		      bool dir, struct errbuf *err)
{
	struct stat st;
	int ret;

	if (!fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW)) {
		ret = refuse(what, path, &st, dir, err);
		if (ret)
			return ret;
	}
	return errbuf_set(err, -e, "%s '%s': %s", what, path, strerror(e));
}

int outfile_open(const char *what, const char *path, int flags, mode_t mode, struct errbuf *err)
{
	int oflags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (flags & O_APPEND);
	const char *base;
	char buf[PATH_MAX];
	struct stat st;
	int dfd, fd = -1, ret, tries;

	dfd = open_parent(what, path, buf, &base, err);
	if (dfd < 0)
		return dfd;
	for (tries = 0; tries < 4 && fd < 0; tries++) {
		/* checked before it is opened: opening a device or fifo can do things */
		if (!fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW)) {
			ret = refuse(what, path, &st, false, err);
			if (ret)
				goto out_dir;
			fd = openat(dfd, base, oflags);
		} else if (errno == ENOENT) {
			fd = openat(dfd, base, oflags | O_CREAT | O_EXCL, mode);
		} else {
			fd = -1;
		}
		/* the entry came or went between the look and the open: look again */
		if (fd < 0 && errno != ENOENT && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		ret = open_error(what, path, dfd, base, errno, false, err);
		goto out_dir;
	}
	if (fstat(fd, &st)) {
		ret = errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
		goto out_fd;
	}
	ret = refuse(what, path, &st, false, err);
	if (ret)
		goto out_fd;
	if (fcntl(fd, F_SETFL, flags & O_APPEND) ||
	    ((flags & O_TRUNC) && ftruncate(fd, 0)) || fchmod(fd, mode)) {
		ret = errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
		goto out_fd;
	}
	close(dfd);
	return fd;

out_fd:
	close(fd);
out_dir:
	close(dfd);
	return ret;
}

int outfile_check(const char *what, const char *path, struct errbuf *err)
{
	const char *base;
	char buf[PATH_MAX];
	struct stat st;
	int dfd, ret = 0;

	dfd = open_parent(what, path, buf, &base, err);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	if (!fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW))
		ret = refuse(what, path, &st, false, err);
	else if (errno != ENOENT)
		ret = errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
	close(dfd);
	return ret;
}

int outfile_tmp(const char *what, const char *path, mode_t mode, char *tmp, size_t n,
		struct errbuf *err)
{
	const char *base, *tbase;
	char buf[PATH_MAX];
	uint64_t rnd;
	int dfd, fd = -1;

	dfd = open_parent(what, path, buf, &base, err);
	if (dfd < 0)
		return dfd;
	for (int tries = 0; tries < 4 && fd < 0; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			fd = errbuf_set(err, -EIO, "%s '%s': no random bytes", what, path);
			break;
		}
		if ((size_t)snprintf(tmp, n, "%s.tmp.%016" PRIx64, path, rnd) >= n) {
			fd = errbuf_set(err, -ENAMETOOLONG, "%s '%s': %s", what, path,
					strerror(ENAMETOOLONG));
			break;
		}
		tbase = strrchr(tmp, '/');
		tbase = tbase ? tbase + 1 : tmp;
		/* O_EXCL never follows a link: a planted name fails, a fresh one is tried */
		fd = openat(dfd, tbase, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST) {
			fd = errbuf_set(err, -errno, "%s '%s': %s", what, tmp, strerror(errno));
			break;
		}
		if (fd < 0)
			fd = errbuf_set(err, -EEXIST, "%s '%s': %s", what, tmp, strerror(EEXIST));
	}
	close(dfd);
	return fd;
}

/* mkdir -p of @path's parents, 0700 for each it creates. */
static int make_parents(const char *path)
{
	char buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int outdir_open(const char *what, const char *path, int parents, struct errbuf *err)
{
	const char *base;
	char buf[PATH_MAX];
	struct stat st;
	int dfd, fd, ret;

	if (parents) {
		/* before any mkdir: one through a planted link would land elsewhere */
		ret = check_links(what, path, path, false, err);
		if (ret)
			return ret;
		ret = make_parents(path);
		if (ret)
			return errbuf_set(err, ret, "%s '%s': cannot create: %s", what, path,
					  strerror(-ret));
	}
	dfd = open_parent(what, path, buf, &base, err);
	if (dfd < 0)
		return dfd;
	if (mkdirat(dfd, base, 0700) && errno != EEXIST) {
		ret = errbuf_set(err, -errno, "%s '%s': cannot create: %s", what, path,
				 strerror(errno));
		goto out_dir;
	}
	fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = open_error(what, path, dfd, base, errno, true, err);
		goto out_dir;
	}
	if (fstat(fd, &st)) {
		ret = errbuf_set(err, -errno, "%s '%s': %s", what, path, strerror(errno));
		close(fd);
		goto out_dir;
	}
	ret = refuse(what, path, &st, true, err);
	if (ret) {
		close(fd);
		goto out_dir;
	}
	ret = fd;
out_dir:
	close(dfd);
	return ret;
}
