// SPDX-License-Identifier: GPL-2.0
/* test_outfile.c - outputs: planted links, fifos and open directories refused, temporaries. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "test.h"
#include "tmpdir.h"

struct fx {
	char dir[64];
	char path[PATH_MAX];
	char want[2 * PATH_MAX + 256];
};

static bool fx_init(struct fx *f)
{
	return ASSERT_TRUE(tmpdir_make(f->dir, sizeof(f->dir), "outfile"), "mkdtemp");
}

static void fx_fini(struct fx *f)
{
	tmpdir_remove(f->dir);
}

static const char *at(struct fx *f, const char *name)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	return f->path;
}

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
	chmod(path, mode);
}

static const char *get(const char *path)
{
	static char buf[256];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? 0 : st.st_mode & 07777;
}

static void test_create_and_append(void)
{
	struct errbuf eb = { "" };
	struct fx f;
	int fd;

	if (!fx_init(&f))
		return;
	fd = outfile_open("events", at(&f, "ev"), O_APPEND, 0600, &eb);
	if (!ASSERT_TRUE(fd >= 0, eb.msg))
		goto out;
	ASSERT_EQ(write(fd, "one\n", 4), 4, "write");
	close(fd);
	ASSERT_EQ(mode_of(f.path), 0600, "created 0600");
	/* an own file of another mode: reopened for appending, mode put back */
	chmod(f.path, 0644);
	fd = outfile_open("events", f.path, O_APPEND, 0600, &eb);
	if (!ASSERT_TRUE(fd >= 0, eb.msg))
		goto out;
	ASSERT_EQ(write(fd, "two\n", 4), 4, "write");
	close(fd);
	ASSERT_STREQ(get(f.path), "one\ntwo\n", "appended");
	ASSERT_EQ(mode_of(f.path), 0600, "mode put back");
	/* truncated when asked */
	fd = outfile_open("ready file", f.path, O_TRUNC, 0600, &eb);
	if (!ASSERT_TRUE(fd >= 0, eb.msg))
		goto out;
	close(fd);
	ASSERT_STREQ(get(f.path), "", "truncated");
out:
	fx_fini(&f);
}

static void test_symlink_refused(void)
{
	struct errbuf eb = { "" };
	char target[PATH_MAX];
	struct fx f;

	if (!fx_init(&f))
		return;
	snprintf(target, sizeof(target), "%s/target", f.dir);
	put(target, "precious\n", 0644);
	if (!ASSERT_OK(symlink(target, at(&f, "link")), "symlink"))
		goto out;
	snprintf(f.want, sizeof(f.want), "events '%s': is a symlink: refusing it", f.path);
	ASSERT_EQ(outfile_open("events", f.path, O_APPEND, 0600, &eb), -ELOOP, "append");
	ASSERT_STREQ(eb.msg, f.want, "message");
	ASSERT_EQ(outfile_open("events", f.path, O_TRUNC, 0600, &eb), -ELOOP, "truncate");
	ASSERT_EQ(outfile_check("events", f.path, &eb), -ELOOP, "check");
	ASSERT_STREQ(eb.msg, f.want, "check message");
	ASSERT_STREQ(get(target), "precious\n", "target content");
	ASSERT_EQ(mode_of(target), 0644, "target mode");
	/* a dangling link too: following it would create the file it names */
	unlink(target);
	ASSERT_EQ(outfile_open("events", f.path, O_APPEND, 0600, &eb), -ELOOP, "dangling");
	ASSERT_EQ(access(target, F_OK), -1, "nothing created through it");
out:
	fx_fini(&f);
}

static void test_hard_link_and_fifo_refused(void)
{
	struct errbuf eb = { "" };
	char target[PATH_MAX];
	struct fx f;

	if (!fx_init(&f))
		return;
	snprintf(target, sizeof(target), "%s/target", f.dir);
	put(target, "precious\n", 0644);
	if (!ASSERT_OK(link(target, at(&f, "hard")), "link"))
		goto out;
	snprintf(f.want, sizeof(f.want), "findings '%s': has 2 hard links: refusing it", f.path);
	ASSERT_EQ(outfile_open("findings", f.path, O_TRUNC, 0600, &eb), -EPERM, "hard link");
	ASSERT_STREQ(eb.msg, f.want, "message");
	ASSERT_STREQ(get(target), "precious\n", "not truncated");
	ASSERT_EQ(mode_of(target), 0644, "mode kept");

	/* a fifo would block the open, a device act on it: looked at first, never opened */
	if (!ASSERT_OK(mkfifo(at(&f, "fifo"), 0600), "mkfifo"))
		goto out;
	snprintf(f.want, sizeof(f.want), "events '%s': is not a regular file: refusing it", f.path);
	ASSERT_EQ(outfile_open("events", f.path, O_APPEND, 0600, &eb), -EPERM, "fifo");
	ASSERT_STREQ(eb.msg, f.want, "message");
	ASSERT_EQ(outfile_check("events", "/dev/null", &eb), -EPERM, "a device");
out:
	fx_fini(&f);
}

static void test_open_directory_refused(void)
{
	struct errbuf eb = { "" };
	char sub[128];
	struct fx f;
	int fd;

	if (!fx_init(&f))
		return;
	snprintf(sub, sizeof(sub), "%s/open", f.dir);
	mkdir(sub, 0700);
	chmod(sub, 0777);
	snprintf(f.path, sizeof(f.path), "%s/ev", sub);
	snprintf(f.want, sizeof(f.want),
		 "events '%s': directory '%s' is writable by everyone without the sticky bit: "
		 "refusing it",
		 f.path, sub);
	ASSERT_EQ(outfile_open("events", f.path, O_APPEND, 0600, &eb), -EPERM, "open directory");
	ASSERT_STREQ(eb.msg, f.want, "message");
	ASSERT_EQ(access(f.path, F_OK), -1, "nothing created");
	/* sticky, as /tmp: allowed, the entries being their owners' */
	chmod(sub, 01777);
	fd = outfile_open("events", f.path, O_APPEND, 0600, &eb);
	ASSERT_TRUE(fd >= 0, eb.msg);
	if (fd >= 0)
		close(fd);
	fx_fini(&f);
}

static void test_temporary(void)
{
	char tmp1[PATH_MAX + 32], tmp2[PATH_MAX + 32], planted[PATH_MAX + 8];
	struct errbuf eb = { "" };
	struct fx f;
	int fd1, fd2;

	if (!fx_init(&f))
		return;
	at(&f, "status.json");
	/* the old fixed name, planted: never used */
	snprintf(planted, sizeof(planted), "%s.tmp", f.path);
	ASSERT_OK(symlink("/nonexistent-target", planted), "plant");
	fd1 = outfile_tmp("status", f.path, 0640, tmp1, sizeof(tmp1), &eb);
	fd2 = outfile_tmp("status", f.path, 0640, tmp2, sizeof(tmp2), &eb);
	if (!ASSERT_TRUE(fd1 >= 0 && fd2 >= 0, eb.msg))
		goto out;
	ASSERT_TRUE(!strncmp(tmp1, planted, strlen(planted)) && tmp1[strlen(planted)] == '.',
		    "PATH.tmp.RANDOM");
	ASSERT_EQ(strlen(tmp1), strlen(planted) + 17, "16 hex digits");
	ASSERT_TRUE(strcmp(tmp1, tmp2) != 0, "a fresh name each time");
	ASSERT_EQ(mode_of(tmp1), 0640, "mode");
	ASSERT_EQ(write(fd1, "{}", 2), 2, "write");
	ASSERT_OK(rename(tmp1, f.path), "rename");
	ASSERT_STREQ(get(f.path), "{}", "renamed over");
	ASSERT_EQ(access("/nonexistent-target", F_OK), -1, "the planted link not followed");
	unlink(tmp2);
out:
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	fx_fini(&f);
}

static void test_directory(void)
{
	struct errbuf eb = { "" };
	char target[PATH_MAX];
	struct fx f;
	int fd;

	if (!fx_init(&f))
		return;
	fd = outdir_open("spool", at(&f, "a/b/spool"), 1, &eb);
	if (!ASSERT_TRUE(fd >= 0, eb.msg))
		goto out;
	close(fd);
	ASSERT_EQ(mode_of(f.path), 0700, "created 0700");
	ASSERT_EQ(mode_of(at(&f, "a")), 0700, "parents 0700");
	/* trace: no parents made */
	ASSERT_EQ(outdir_open("trace", at(&f, "x/trace"), 0, &eb), -ENOENT, "no parent");

	snprintf(target, sizeof(target), "%s/target", f.dir);
	mkdir(target, 0755);
	chmod(target, 0755);
	if (!ASSERT_OK(symlink(target, at(&f, "link")), "symlink"))
		goto out;
	snprintf(f.want, sizeof(f.want), "trace '%s': is a symlink: refusing it", f.path);
	ASSERT_EQ(outdir_open("trace", f.path, 0, &eb), -ELOOP, "symlink");
	ASSERT_STREQ(eb.msg, f.want, "message");
	ASSERT_EQ(mode_of(target), 0755, "target mode kept");

	put(at(&f, "file"), "x", 0600);
	snprintf(f.want, sizeof(f.want), "spool '%s': is not a directory: refusing it", f.path);
	ASSERT_EQ(outdir_open("spool", f.path, 1, &eb), -EPERM, "a file");
	ASSERT_STREQ(eb.msg, f.want, "message");
out:
	fx_fini(&f);
}

TEST_MAIN("outfile", TEST_CASE(test_create_and_append), TEST_CASE(test_symlink_refused),
	  TEST_CASE(test_hard_link_and_fifo_refused), TEST_CASE(test_open_directory_refused),
	  TEST_CASE(test_temporary), TEST_CASE(test_directory))
