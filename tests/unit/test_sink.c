// SPDX-License-Identifier: GPL-2.0
/* test_sink.c - output files: rotation by size keeps every line, reopen after a rename. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"
#include "test.h"

static long lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;
	int c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_rotate_by_size(void)
{
	char dir[] = "/tmp/dt-sink.XXXXXX", path[64], p[80];
	struct errbuf eb = {};
	struct sink s;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/ev", dir);
	if (!ASSERT_OK(sink_open(&s, "events", path, &eb), eb.msg))
		return;
	/* 10-byte lines, 35 bytes a file: three lines each; 10 lines make 4 files. */
	sink_set_rotate(&s, 35, 2);
	for (int i = 0; i < 10; i++)
		sink_write(&s, "012345678\n", 10);
	sink_close(&s);
	ASSERT_EQ(lines_in(path), 1, "current file: the last line");
	snprintf(p, sizeof(p), "%s.1", path);
	ASSERT_EQ(lines_in(p), 3, "newest rotated");
	snprintf(p, sizeof(p), "%s.2", path);
	ASSERT_EQ(lines_in(p), 3, "oldest kept");
	snprintf(p, sizeof(p), "%s.3", path);
	ASSERT_EQ(lines_in(p), -1, "beyond keep: removed");
	unlink(path);
	for (int i = 1; i <= 2; i++) {
		snprintf(p, sizeof(p), "%s.%d", path, i);
		unlink(p);
	}
	rmdir(dir);
}

static void test_reopen_after_rename(void)
{
	char dir[] = "/tmp/dt-sink.XXXXXX", path[64], moved[80];
	struct errbuf eb = {};
	struct stat st;
	struct sink s;

	if (!ASSERT_TRUE(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/fi", dir);
	snprintf(moved, sizeof(moved), "%s/fi.old", dir);
	if (!ASSERT_OK(sink_open(&s, "events", path, &eb), eb.msg))
		return;
	sink_write(&s, "a\n", 2);
	sink_write(&s, "b\n", 2); /* buffered, not flushed: belongs to the renamed file */
	ASSERT_OK(rename(path, moved), "rename");
	ASSERT_OK(sink_reopen(&s, &eb), eb.msg);
	sink_write(&s, "c\n", 2);
	sink_close(&s);
	ASSERT_EQ(lines_in(moved), 2, "lines before the reopen");
	ASSERT_EQ(lines_in(path), 1, "lines after it");
	ASSERT_OK(stat(path, &st), "stat");
	ASSERT_EQ(st.st_mode & 0777, 0600, "new file mode");
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

TEST_MAIN("sink", TEST_CASE(test_rotate_by_size), TEST_CASE(test_reopen_after_rename))
