/* SPDX-License-Identifier: GPL-2.0 */
/* test_inventory.c - unit tests of the inventory: parsing, validation, scanning, lookup, CIDRs. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory.h"
#include "test.h"
#include "tmpdir.h"

/*
 * Every test that touches the file system gets its own directory under /tmp. Inventories are
 * written as templates: '@' stands for that directory and ' for ", which keeps the JSON in
 * this file readable.
 */
struct fx {
	char dir[64];
	char inv[128];
};

/* What a failed load must leave in *out: the pointer the caller had before. */
static struct inventory untouched;

static bool fx_init(struct fx *f)
{
	if (!ASSERT_TRUE(tmpdir_make(f->dir, sizeof(f->dir), "inventory"), "mkdtemp"))
		return false;
	snprintf(f->inv, sizeof(f->inv), "%s/inv.json", f->dir);
	return true;
}

static void fx_fini(struct fx *f)
{
	tmpdir_remove(f->dir);
}

/* A path below the fixture; a few rotating buffers so that one call may use several. */
static const char *P(const struct fx *f, const char *rel)
{
	static char bufs[8][PATH_MAX];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", f->dir, rel);
	return b;
}

static bool make_file(const struct fx *f, const char *rel, size_t size)
{
	char buf[4096];
	size_t n;
	FILE *fp;

	memset(buf, 'x', sizeof(buf));
	fp = fopen(P(f, rel), "w");
	if (!ASSERT_TRUE(fp != NULL, rel))
		return false;
	for (; size; size -= n) {
		n = size < sizeof(buf) ? size : sizeof(buf);
		fwrite(buf, 1, n, fp);
	}
	return ASSERT_OK(fclose(fp), rel);
}

static bool make_dir(const struct fx *f, const char *rel)
{
	return ASSERT_OK(mkdir(P(f, rel), 0755), rel);
}

/*
 * data/            dir
 *   a.bin          100 bytes
 *   sub/           dir
 *     b.bin        200 bytes
 *     a-link       hard link to data/a.bin
 *   sym            symlink to ../other.txt (skipped)
 *   fifo           fifo (skipped)
 * single.csv       50 bytes
 * docs/readme.txt  7 bytes
 * other.txt        9 bytes, in no dataset
 * datalink         symlink to data
 */
static bool fx_tree(struct fx *f)
{
	if (!fx_init(f))
		return false;
	return make_dir(f, "data") && make_file(f, "data/a.bin", 100) && make_dir(f, "data/sub") &&
	       make_file(f, "data/sub/b.bin", 200) &&
	       ASSERT_OK(link(P(f, "data/a.bin"), P(f, "data/sub/a-link")), "link") &&
	       ASSERT_OK(symlink("../other.txt", P(f, "data/sym")), "symlink") &&
	       ASSERT_OK(mkfifo(P(f, "data/fifo"), 0644), "mkfifo") &&
	       make_file(f, "single.csv", 50) && make_dir(f, "docs") &&
	       make_file(f, "docs/readme.txt", 7) && make_file(f, "other.txt", 9) &&
	       ASSERT_OK(symlink("data", P(f, "datalink")), "symlink");
}

static char *expand(const struct fx *f, const char *tmpl)
{
	size_t dlen = strlen(f->dir), len = 1;
	const char *t;
	char *s, *o;

	for (t = tmpl; *t; t++)
		len += *t == '@' ? dlen : 1;
	s = malloc(len);
	if (!s)
		return NULL;
	for (t = tmpl, o = s; *t; t++) {
		if (*t == '@') {
			memcpy(o, f->dir, dlen);
			o += dlen;
		} else {
			*o++ = *t == '\'' ? '"' : *t;
		}
	}
	*o = '\0';
	return s;
}

static bool write_inv(const struct fx *f, const char *tmpl)
{
	char *text = expand(f, tmpl);
	FILE *fp;
	bool ok;

	if (!ASSERT_TRUE(text != NULL, "expand"))
		return false;
	fp = fopen(f->inv, "w");
	ok = ASSERT_TRUE(fp != NULL, "fopen inventory");
	if (ok) {
		fputs(text, fp);
		ok = ASSERT_OK(fclose(fp), "fclose inventory");
	}
	free(text);
	return ok;
}

static int load(const struct fx *f, const char *tmpl, struct inventory **inv, struct errbuf *err)
{
	if (!write_inv(f, tmpl))
		return -EIO;
	return inventory_load(f->inv, inv, err);
}

/* Loads @tmpl, expects @want, *out left alone, and @needle in the message. */
#define EXPECT_FAIL(f, tmpl, want, needle) expect_fail(f, tmpl, want, needle, __LINE__)

static void expect_fail(const struct fx *f, const char *tmpl, int want, const char *needle,
			int line)
{
	struct inventory *inv = &untouched;
	struct errbuf err = { "" };
	char tag[32];
	int ret;

	snprintf(tag, sizeof(tag), "line %d", line);
	ret = load(f, tmpl, &inv, &err);
	ASSERT_EQ(ret, want, tag);
	ASSERT_TRUE(inv == &untouched, tag);
	ASSERT_HAS(err.msg, needle, tag);
	if (inv != &untouched)
		inventory_free(inv);
}

static const struct inv_inode *find_path(const struct inventory *inv, const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return NULL;
	return inventory_find(inv, dt_kdev(st.st_dev), st.st_ino);
}

static const char valid_tmpl[] =
	"{'comment': 'unknown keys are ignored',\n"
	" 'datasets': [\n"
	"  {'id': 'faces', 'classification': 'restricted',\n"
	"   'paths': ['@/data', '@/single.csv'],\n"
	"   'tags': ['PII', 'images'], 'owner': 'ml-platform',\n"
	"   'allowed_readers': {'uids': [1001, 0], 'executables': ['/usr/bin/python3.11']},\n"
	"   'allowed_writers': {'uids': [1002], 'executables': []},\n"
	"   'allowed_egress': ['10.20.0.0/16', '192.168.7.10/32:443', 'fd00::/8'],\n"
	"   'gpu_allowed': false, 'future_field': {'x': [1, 2]}},\n"
	"  {'id': 'docs', 'classification': 'public', 'paths': ['@/docs']}\n"
	" ]}\n";

static void test_load_valid(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	const struct inv_dataset *ds;
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	if (!ASSERT_OK(load(&f, valid_tmpl, &inv, &err), err.msg))
		goto out;
	ASSERT_STREQ(inv->file, f.inv, "file");
	if (!ASSERT_EQ(inv->n_datasets, 2, "n_datasets"))
		goto out;

	ds = &inv->datasets[0];
	ASSERT_STREQ(ds->id, "faces", "id");
	ASSERT_EQ(ds->label, DT_LABEL_RESTRICTED, "label");
	ASSERT_EQ(ds->n_paths, 2, "n_paths");
	ASSERT_STREQ(ds->paths[1], P(&f, "single.csv"), "paths[1]");
	ASSERT_EQ(ds->n_tags, 2, "n_tags");
	ASSERT_STREQ(ds->tags[0], "PII", "tags[0]");
	ASSERT_STREQ(ds->owner, "ml-platform", "owner");
	ASSERT_TRUE(ds->readers.present, "readers.present");
	if (ASSERT_EQ(ds->readers.n_uids, 2, "readers.n_uids")) {
		ASSERT_EQ(ds->readers.uids[0], 1001, "readers.uids[0]");
		ASSERT_EQ(ds->readers.uids[1], 0, "readers.uids[1]");
	}
	if (ASSERT_EQ(ds->readers.n_exes, 1, "readers.n_exes"))
		ASSERT_STREQ(ds->readers.exes[0], "/usr/bin/python3.11", "readers.exes[0]");
	ASSERT_TRUE(ds->writers.present, "writers.present");
	if (ASSERT_EQ(ds->writers.n_uids, 1, "writers.n_uids"))
		ASSERT_EQ(ds->writers.uids[0], 1002, "writers.uids[0]");
	ASSERT_EQ(ds->writers.n_exes, 0, "writers.n_exes");
	ASSERT_TRUE(ds->egress_present, "egress_present");
	if (ASSERT_EQ(ds->n_egress, 3, "n_egress")) {
		ASSERT_EQ(ds->egress[0].family, AF_INET, "egress[0].family");
		ASSERT_EQ(ds->egress[0].prefix, 16, "egress[0].prefix");
		ASSERT_EQ(ds->egress[1].prefix, 32, "egress[1].prefix");
		ASSERT_EQ(ds->egress[1].port, 443, "egress[1].port");
		ASSERT_EQ(ds->egress[2].family, AF_INET6, "egress[2].family");
		ASSERT_EQ(ds->egress[2].prefix, 8, "egress[2].prefix");
	}
	ASSERT_FALSE(ds->gpu_allowed, "gpu_allowed false");
	/* a.bin, sub/b.bin and single.csv; a-link is a.bin again; sym and fifo are skipped */
	ASSERT_EQ(ds->n_files, 3, "faces n_files");
	ASSERT_EQ(ds->n_bytes, 350, "faces n_bytes");

	ds = &inv->datasets[1];
	ASSERT_STREQ(ds->id, "docs", "id");
	ASSERT_EQ(ds->label, DT_LABEL_PUBLIC, "label");
	ASSERT_EQ(ds->n_tags, 0, "n_tags");
	ASSERT_TRUE(ds->owner == NULL, "owner absent");
	ASSERT_FALSE(ds->readers.present, "readers absent");
	ASSERT_FALSE(ds->writers.present, "writers absent");
	ASSERT_FALSE(ds->egress_present, "egress absent");
	ASSERT_TRUE(ds->gpu_allowed, "gpu_allowed default");
	ASSERT_EQ(ds->n_files, 1, "docs n_files");
	ASSERT_EQ(ds->n_bytes, 7, "docs n_bytes");

	/* data, data/sub, a.bin, b.bin, single.csv, docs, readme.txt */
	ASSERT_EQ(inv->n_inodes, 7, "n_inodes");
	for (size_t i = 1; i < inv->n_inodes; i++) {
		const struct inv_inode *a = &inv->inodes[i - 1], *b = &inv->inodes[i];

		if (!ASSERT_TRUE(a->dev < b->dev || (a->dev == b->dev && a->ino < b->ino),
				 "sorted and unique"))
			break;
	}
out:
	inventory_free(inv);
	fx_fini(&f);
}

static void test_find(void)
{
	const struct inv_inode *in, *link;
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	if (!ASSERT_OK(load(&f, valid_tmpl, &inv, &err), err.msg))
		goto out;

	in = find_path(inv, P(&f, "data/sub/b.bin"));
	if (ASSERT_TRUE(in != NULL, "nested file found")) {
		ASSERT_EQ(in->dataset, 0, "dataset");
		ASSERT_FALSE(in->is_dir, "is_dir");
		ASSERT_STREQ(in->path, P(&f, "data/sub/b.bin"), "path");
	}
	in = find_path(inv, P(&f, "data"));
	if (ASSERT_TRUE(in != NULL, "dataset root dir found")) {
		ASSERT_TRUE(in->is_dir, "root is_dir");
		ASSERT_STREQ(in->path, P(&f, "data"), "root path");
	}
	in = find_path(inv, P(&f, "data/sub"));
	if (ASSERT_TRUE(in != NULL, "subdir found"))
		ASSERT_TRUE(in->is_dir, "subdir is_dir");
	in = find_path(inv, P(&f, "docs/readme.txt"));
	if (ASSERT_TRUE(in != NULL, "second dataset file found"))
		ASSERT_EQ(in->dataset, 1, "dataset");
	in = find_path(inv, P(&f, "single.csv"));
	if (ASSERT_TRUE(in != NULL, "file path found"))
		ASSERT_FALSE(in->is_dir, "file is_dir");

	/* both names of the hard link lead to the one entry */
	in = find_path(inv, P(&f, "data/a.bin"));
	link = find_path(inv, P(&f, "data/sub/a-link"));
	if (ASSERT_TRUE(in != NULL, "hard link found") && ASSERT_TRUE(in == link, "same entry"))
		ASSERT_TRUE(!strcmp(in->path, P(&f, "data/a.bin")) ||
				    !strcmp(in->path, P(&f, "data/sub/a-link")),
			    "hard link path");

	ASSERT_TRUE(find_path(inv, P(&f, "other.txt")) == NULL, "unrelated file");
	ASSERT_TRUE(find_path(inv, P(&f, "data/sym")) == NULL, "symlink itself");
	ASSERT_TRUE(find_path(inv, P(&f, "data/fifo")) == NULL, "fifo");
	ASSERT_TRUE(find_path(inv, f.dir) == NULL, "parent dir");
	ASSERT_TRUE(inventory_find(inv, 0, 0) == NULL, "bogus inode");
	ASSERT_TRUE(inventory_find(NULL, 0, 0) == NULL, "no inventory");
out:
	inventory_free(inv);
	fx_fini(&f);
}

static void test_symlink_root(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	const struct inv_inode *in;
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	if (!ASSERT_OK(load(&f,
			    "{'datasets': [{'id': 'l', 'classification': 'internal',"
			    " 'paths': ['@/datalink/', '@/data/sym']}]}",
			    &inv, &err),
		       err.msg))
		goto out;
	/* the linked-to tree is walked, trailing slash or not, and so is a file named directly */
	in = find_path(inv, P(&f, "data/sub/b.bin"));
	if (ASSERT_TRUE(in != NULL, "file below symlinked root"))
		ASSERT_HAS(in->path, "/data/sub/b.bin", "found through the target");
	ASSERT_TRUE(find_path(inv, P(&f, "data")) != NULL, "target dir");
	ASSERT_TRUE(find_path(inv, P(&f, "other.txt")) != NULL, "target of a direct symlink");
	ASSERT_EQ(inv->datasets[0].n_files, 3, "n_files");
	ASSERT_EQ(inv->datasets[0].n_bytes, 309, "n_bytes");
out:
	inventory_free(inv);
	fx_fini(&f);
}

static void test_same_label_overlap(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	const struct inv_inode *in;
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	if (!ASSERT_OK(load(&f,
			    "{'datasets': [\n"
			    " {'id': 'a', 'classification': 'internal',\n"
			    "  'paths': ['@/data', '@/data']},\n"
			    " {'id': 'b', 'classification': 'internal',\n"
			    "  'paths': ['@/data/sub', '@/single.csv']}]}",
			    &inv, &err),
		       err.msg))
		goto out;
	in = find_path(inv, P(&f, "data/sub/b.bin"));
	if (ASSERT_TRUE(in != NULL, "overlapping file")) {
		ASSERT_EQ(in->dataset, 0, "stays with the first dataset");
		ASSERT_STREQ(in->path, P(&f, "data/sub/b.bin"), "path");
	}
	in = find_path(inv, P(&f, "single.csv"));
	if (ASSERT_TRUE(in != NULL, "file of the second dataset"))
		ASSERT_EQ(in->dataset, 1, "dataset");
	/* a file counts once, for the dataset that owns it */
	ASSERT_EQ(inv->datasets[0].n_files, 2, "a n_files");
	ASSERT_EQ(inv->datasets[0].n_bytes, 300, "a n_bytes");
	ASSERT_EQ(inv->datasets[1].n_files, 1, "b n_files");
	ASSERT_EQ(inv->datasets[1].n_bytes, 50, "b n_bytes");
	ASSERT_EQ(inv->n_inodes, 5, "n_inodes");
out:
	inventory_free(inv);
	fx_fini(&f);
}

static void test_label_conflict(void)
{
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_tree(&f) || !make_dir(&f, "linkdir") ||
	    !ASSERT_OK(link(P(&f, "data/a.bin"), P(&f, "linkdir/a-hard")), "link"))
		goto out;
	/* a hard link puts one inode under two names */
	snprintf(want, sizeof(want),
		 "inventory '%s': dataset 'b': field 'paths': '%s' is already in dataset 'a' as "
		 "'restricted', here 'internal'",
		 f.inv, P(&f, "linkdir/a-hard"));
	EXPECT_FAIL(&f,
		    "{'datasets': [\n"
		    " {'id': 'a', 'classification': 'restricted', 'paths': ['@/data/a.bin']},\n"
		    " {'id': 'b', 'classification': 'internal', 'paths': ['@/linkdir']}]}",
		    -EINVAL, want);
	/* overlapping directories */
	EXPECT_FAIL(&f,
		    "{'datasets': [\n"
		    " {'id': 'a', 'classification': 'confidential', 'paths': ['@/data']},\n"
		    " {'id': 'b', 'classification': 'public', 'paths': ['@/data/sub']}]}",
		    -EINVAL,
		    "dataset 'b': field 'paths': '");
	EXPECT_FAIL(&f,
		    "{'datasets': [\n"
		    " {'id': 'a', 'classification': 'confidential', 'paths': ['@/data']},\n"
		    " {'id': 'b', 'classification': 'public', 'paths': ['@/data/sub']}]}",
		    -EINVAL, "' is already in dataset 'a' as 'confidential', here 'public'");
out:
	fx_fini(&f);
}

static void test_syntax_error(void)
{
	/* the comma after "a" is missing: cJSON stops at the next key, line 3, column 16 */
	static const char missing_comma[] =
		"{\n"
		"  'datasets': [\n"
		"    {'id': 'a' 'classification': 'public', 'paths': ['/nonexistent']}\n"
		"  ]\n"
		"}\n";
	struct inventory *inv = &untouched;
	struct errbuf err = { "" };
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_init(&f))
		return;
	snprintf(want, sizeof(want), "inventory '%s': line 3, column 16: syntax error", f.inv);
	EXPECT_FAIL(&f, missing_comma, -EINVAL, want);

	ASSERT_EQ(inventory_parse("{\"datasets\": []} x", 18, "mem.json", &inv, &err), -EINVAL,
		  "trailing garbage");
	ASSERT_STREQ(err.msg, "inventory 'mem.json': line 1, column 18: syntax error",
		     "trailing garbage");
	ASSERT_EQ(inventory_parse("{\"datasets\": [\0]}", 17, "mem.json", &inv, &err), -EINVAL,
		  "embedded NUL");
	ASSERT_STREQ(err.msg, "inventory 'mem.json': line 1, column 15: syntax error",
		     "embedded NUL");
	ASSERT_EQ(inventory_parse("", 0, "mem.json", &inv, &err), -EINVAL, "empty");
	ASSERT_STREQ(err.msg, "inventory 'mem.json': line 1, column 1: syntax error", "empty");
	ASSERT_EQ(inventory_parse("{\n\t\"datasets\": [}", 17, "mem.json", &inv, &err), -EINVAL,
		  "unbalanced");
	ASSERT_HAS(err.msg, "inventory 'mem.json': line 2, column ", "unbalanced");
	ASSERT_TRUE(inv == &untouched, "out untouched");
	fx_fini(&f);
}

/* cJSON decodes \u0000 into a NUL that ends its C string: "fa\u0000ces" would read "fa". */
static void test_nul_escape_refused(void)
{
	static const char id_nul[] = "{\"datasets\": [{\"id\": \"fa\\u0000ces\",\n"
				     "  \"classification\": \"restricted\", \"paths\": [\"/\"]}]}";
	static const char path_nul[] = "{\"datasets\": [{\"id\": \"faces\",\n"
				       "  \"classification\": \"restricted\",\n"
				       "  \"paths\": [\"/etc\\u0000/passwd\"]}]}";
	/* an escaped backslash before u0000 is no escape of a NUL: a valid id */
	static const char escaped[] = "{\"datasets\": [{\"id\": \"a\\\\u0000\", "
				      "\"classification\": \"public\", \"paths\": [\"/etc/hostname\"]}]}";
	struct inventory *inv = NULL;
	struct errbuf err = { "" };

	ASSERT_EQ(inventory_parse(id_nul, strlen(id_nul), "mem.json", &inv, &err), -EINVAL,
		  "NUL in an id");
	ASSERT_STREQ(err.msg,
		     "inventory 'mem.json': line 1, column 25: \\u0000 in a string: refusing it",
		     "NUL in an id");
	ASSERT_EQ(inventory_parse(path_nul, strlen(path_nul), "mem.json", &inv, &err), -EINVAL,
		  "NUL in a path");
	ASSERT_STREQ(err.msg,
		     "inventory 'mem.json': line 3, column 18: \\u0000 in a string: refusing it",
		     "NUL in a path");
	ASSERT_TRUE(inv == NULL, "out untouched");
	if (!ASSERT_OK(inventory_parse(escaped, strlen(escaped), "mem.json", &inv, &err),
		       err.msg))
		return;
	ASSERT_STREQ(inv->datasets[0].id, "a\\u0000", "escaped backslash kept");
	inventory_free(inv);
}

static void test_parse_in_memory(void)
{
	static const char text[] = "{\"datasets\": []}\n\ngarbage";
	struct inventory *inv = NULL;
	struct errbuf err = { "" };

	/* only the given length counts: the rest of the buffer would be a syntax error */
	if (!ASSERT_OK(inventory_parse(text, strlen(text) - strlen("garbage"), "mem.json", &inv,
				       &err),
		       err.msg))
		return;
	ASSERT_STREQ(inv->file, "mem.json", "file");
	ASSERT_EQ(inv->n_datasets, 0, "n_datasets");
	inventory_free(inv);
}

/* Executables allow by the file their path leads to: resolved on demand, changes told once per path. */
static void test_resolve_exes(void)
{
	static const char text[] =
		"{\"datasets\": [{\"id\": \"a\", \"classification\": \"internal\", \"paths\": [\"/x\"],"
		" \"allowed_readers\": {\"executables\": [\"/nonexistent/dt-exe\", \"/bin/sh\"]},"
		" \"allowed_writers\": {\"executables\": [\"/bin/sh\"]}}]}";
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	const struct inv_acl *r;
	char *log = NULL;
	size_t loglen = 0;
	struct stat st;
	FILE *fp;

	if (!ASSERT_OK(inventory_parse_offline(text, strlen(text), "m.json", &inv, &err), err.msg))
		return;
	r = &inv->datasets[0].readers;
	ASSERT_EQ(r->exe_ids[1].ino, 0, "not resolved before the first call");
	fp = open_memstream(&log, &loglen);
	if (!ASSERT_TRUE(fp != NULL, "open_memstream"))
		goto out;
	ASSERT_EQ(inventory_resolve_exes(inv, fp, "> "), 3, "three entries, first time");
	ASSERT_EQ(inventory_resolve_exes(inv, fp, "> "), 0, "unchanged");
	fclose(fp);
	ASSERT_OK(stat("/bin/sh", &st), "stat /bin/sh");
	ASSERT_EQ(r->exe_ids[1].ino, st.st_ino, "followed to the file");
	ASSERT_EQ(r->exe_ids[1].dev, dt_kdev(st.st_dev), "its device, kernel encoding");
	ASSERT_EQ(inv->datasets[0].writers.exe_ids[0].ino, st.st_ino, "writers too");
	ASSERT_EQ(r->exe_ids[0].ino, 0, "missing: nothing");
	ASSERT_EQ(r->exe_ids[0].err, -ENOENT, "missing: why");
	ASSERT_HAS(log, "> inventory 'm.json': allowed executable '/nonexistent/dt-exe': "
			"No such file or directory: allows no process\n", "missing told");
	ASSERT_HAS(log, "> inventory 'm.json': allowed executable '/bin/sh': device ", "found told");
	/* One line per path: /bin/sh is in both lists. */
	ASSERT_EQ(strstr(strstr(log, "'/bin/sh'") + 1, "'/bin/sh'") == NULL, 1, "told once");
	inventory_set_exe(inv, "/nonexistent/dt-exe", 8 << 20 | 1, 77);
	ASSERT_EQ(r->exe_ids[0].ino, 77, "set by path");
	ASSERT_EQ(r->exe_ids[0].dev, 8 << 20 | 1, "set by path: device");
out:
	free(log);
	inventory_free(inv);
}

static void test_bad_classification(void)
{
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	snprintf(want, sizeof(want),
		 "inventory '%s': dataset 'imgs': field 'classification': "
		 "unknown classification 'secret'",
		 f.inv);
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'imgs', 'classification': 'secret',"
		    " 'paths': ['@/data']}]}",
		    -EINVAL, want);
	/* labels are lower case, and "none" is no classification */
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'imgs', 'classification': 'Public',"
		    " 'paths': ['@/data']}]}",
		    -EINVAL, "unknown classification 'Public'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'imgs', 'classification': 'none', 'paths': ['@/data']}]}",
		    -EINVAL, "unknown classification 'none'");
out:
	fx_fini(&f);
}

static void test_missing_fields(void)
{
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	EXPECT_FAIL(&f, "{}", -EINVAL, "field 'datasets': missing");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data']},\n"
		    "              {'classification': 'public', 'paths': ['@/docs']}]}",
		    -EINVAL, "dataset #2: field 'id': missing");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': '', 'classification': 'public', 'paths': ['@/data']}]}",
		    -EINVAL, "dataset #1: field 'id': empty id");
	EXPECT_FAIL(&f, "{'datasets': [{'id': 'a', 'paths': ['@/data']}]}", -EINVAL,
		    "dataset 'a': field 'classification': missing");
	EXPECT_FAIL(&f, "{'datasets': [{'id': 'a', 'classification': 'public'}]}", -EINVAL,
		    "dataset 'a': field 'paths': missing");
	EXPECT_FAIL(&f, "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': []}]}",
		    -EINVAL, "dataset 'a': field 'paths': empty");
out:
	fx_fini(&f);
}

static void test_wrong_types(void)
{
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	EXPECT_FAIL(&f, "[]", -EINVAL, "expected an object at the top level, got an array");
	EXPECT_FAIL(&f, "{'datasets': {}}", -EINVAL,
		    "field 'datasets': expected an array, got an object");
	EXPECT_FAIL(&f, "{'datasets': ['a']}", -EINVAL,
		    "dataset #1: expected an object, got a string");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 7, 'classification': 'public', 'paths': ['@/data']}]}",
		    -EINVAL, "dataset #1: field 'id': expected a string, got a number");
	EXPECT_FAIL(&f, "{'datasets': [{'id': 'a', 'classification': 3, 'paths': ['@/data']}]}",
		    -EINVAL,
		    "dataset 'a': field 'classification': expected a string, got a number");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': '@/data'}]}",
		    -EINVAL, "dataset 'a': field 'paths': expected an array, got a string");
	EXPECT_FAIL(&f, "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': [null]}]}",
		    -EINVAL, "dataset 'a': field 'paths': expected a string, got null");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'tags': ['x', 1]}]}",
		    -EINVAL, "dataset 'a': field 'tags': expected a string, got a number");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'owner': ['x']}]}",
		    -EINVAL, "dataset 'a': field 'owner': expected a string, got an array");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': [1001]}]}",
		    -EINVAL,
		    "dataset 'a': field 'allowed_readers': expected an object, got an array");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_writers': {'uids': 1001}}]}",
		    -EINVAL,
		    "dataset 'a': field 'allowed_writers.uids': expected an array, got a number");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_writers': {'executables': 'python3'}}]}",
		    -EINVAL,
		    "dataset 'a': field 'allowed_writers.executables': expected an array, got a "
		    "string");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': '10.0.0.0/8'}]}",
		    -EINVAL,
		    "dataset 'a': field 'allowed_egress': expected an array, got a string");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'gpu_allowed': 'yes'}]}",
		    -EINVAL, "dataset 'a': field 'gpu_allowed': expected a boolean, got a string");
out:
	fx_fini(&f);
}

static void test_relative_path(void)
{
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	snprintf(want, sizeof(want),
		 "inventory '%s': dataset 'imgs': field 'paths': relative path 'data/x'", f.inv);
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'imgs', 'classification': 'public',"
		    " 'paths': ['@/data', 'data/x']}]}",
		    -EINVAL, want);
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'imgs', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'executables': ['python3']}}]}",
		    -EINVAL,
		    "dataset 'imgs': field 'allowed_readers.executables': relative path 'python3'");
out:
	fx_fini(&f);
}

static void test_missing_path(void)
{
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	snprintf(want, sizeof(want),
		 "inventory '%s': dataset 'imgs': field 'paths': path '%s': "
		 "No such file or directory",
		 f.inv, P(&f, "nope"));
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'imgs', 'classification': 'public',"
		    " 'paths': ['@/data', '@/nope']}]}",
		    -ENOENT, want);
	/* a dangling symlink named directly has nothing to classify either */
	if (ASSERT_OK(symlink("nope", P(&f, "dangling")), "symlink"))
		EXPECT_FAIL(&f,
			    "{'datasets': [{'id': 'imgs', 'classification': 'public',"
			    " 'paths': ['@/dangling']}]}",
			    -ENOENT, "field 'paths': path '");
out:
	fx_fini(&f);
}

static void test_special_file_path(void)
{
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'q', 'classification': 'public',"
		    " 'paths': ['@/data/fifo']}]}",
		    -EINVAL, "/data/fifo': not a regular file or directory");
out:
	fx_fini(&f);
}

static void test_duplicate_id(void)
{
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	/* a repeated id is no valid id, so the dataset is named by its position */
	snprintf(want, sizeof(want), "inventory '%s': dataset #2: field 'id': duplicate id 'a'",
		 f.inv);
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data']},\n"
		    "              {'id': 'a', 'classification': 'public', 'paths': ['@/docs']}]}",
		    -EINVAL, want);
out:
	fx_fini(&f);
}

static void test_duplicate_key(void)
{
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'restricted',"
		    " 'classification': 'public', 'paths': ['@/data']}]}",
		    -EINVAL, "dataset #1: duplicate key 'classification'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'uids': [1], 'uids': [2]}}]}",
		    -EINVAL, "dataset 'a': field 'allowed_readers': duplicate key 'uids'");
	EXPECT_FAIL(&f, "{'datasets': [], 'datasets': []}", -EINVAL, "duplicate key 'datasets'");
out:
	fx_fini(&f);
}

static void test_bad_uid(void)
{
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'uids': [1001, -1]}}]}",
		    -EINVAL, "dataset 'a': field 'allowed_readers.uids': bad uid -1");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_writers': {'uids': [1.5]}}]}",
		    -EINVAL, "dataset 'a': field 'allowed_writers.uids': bad uid 1.5");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_writers': {'uids': [4294967295]}}]}",
		    -EINVAL, "bad uid 4294967295");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_writers': {'uids': ['1001']}}]}",
		    -EINVAL, "field 'allowed_writers.uids': expected a number, got a string");
out:
	fx_fini(&f);
}

static void test_workload_selectors(void)
{
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'namespaces': ['Training']}}]}",
		    -EINVAL, "dataset 'a': field 'allowed_readers.namespaces': bad selector 'Training'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'namespaces': ['-x']}}]}",
		    -EINVAL, "bad selector '-x'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_writers': {'images': ['reg/*/trainer']}}]}",
		    -EINVAL, "field 'allowed_writers.images': bad selector 'reg/*/trainer': '*' only at the end");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'slurm_accounts': ['phys ics']}}]}",
		    -EINVAL, "bad selector 'phys ics': holds white space");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'slurm_users': ['']}}]}",
		    -EINVAL, "field 'allowed_readers.slurm_users': bad selector '': empty");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'images': [7]}}]}",
		    -EINVAL, "field 'allowed_readers.images': expected a string, got a number");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_readers': {'namespaces': ['a'], 'namespaces': ['b']}}]}",
		    -EINVAL, "duplicate key 'namespaces'");
out:
	fx_fini(&f);
}

static void test_bad_cidr(void)
{
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['10.0.0.0/8', '10.0.0.0/33']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad cidr '10.0.0.0/33'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['1.2.3.4:0']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad cidr '1.2.3.4:0'");
out:
	fx_fini(&f);
}

static void test_egress_mounts(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	const struct inv_dataset *ds;
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	if (!ASSERT_OK(load(&f,
			    "{'datasets': [{'id': 'a', 'classification': 'restricted',"
			    " 'paths': ['@/data'], 'allowed_egress': ['10.0.0.0/8',"
			    " 'mount:/mnt/backup', 'fstype:fuse.*', 'fstype:nfs4']}]}",
			    &inv, &err),
		       err.msg))
		goto out;
	ds = &inv->datasets[0];
	ASSERT_EQ(ds->n_egress, 1, "one cidr");
	if (ASSERT_EQ(ds->n_egress_mounts, 3, "three mount rules")) {
		ASSERT_EQ(ds->egress_mounts[0].by, INV_MOUNT_POINT, "mount: by point");
		ASSERT_STREQ(ds->egress_mounts[0].value, "/mnt/backup", "point");
		ASSERT_EQ(ds->egress_mounts[1].by, INV_MOUNT_FSTYPE, "fstype: by type");
		ASSERT_STREQ(ds->egress_mounts[1].value, "fuse.*", "type pattern");
		ASSERT_TRUE(inv_mount_rule_match(&ds->egress_mounts[0], "ext4", "/mnt/backup"),
			    "the mount point");
		ASSERT_FALSE(inv_mount_rule_match(&ds->egress_mounts[0], "ext4", "/mnt/backup/x"),
			     "a directory below is another mount point");
		ASSERT_FALSE(inv_mount_rule_match(&ds->egress_mounts[0], "ext4", "/mnt"),
			     "nor above");
		ASSERT_TRUE(inv_mount_rule_match(&ds->egress_mounts[1], "fuse.sshfs", "/x"),
			    "fuse.* matches fuse.sshfs");
		ASSERT_FALSE(inv_mount_rule_match(&ds->egress_mounts[1], "nfs", "/x"),
			     "but not nfs");
		ASSERT_FALSE(inv_mount_rule_match(&ds->egress_mounts[2], "nfs", "/x"),
			     "nfs4 is not nfs");
	}
	inventory_free(inv);
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['mount:mnt/backup']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad rule 'mount:mnt/backup'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['mount:/mnt/backup/']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad rule 'mount:/mnt/backup/'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['mount:/mnt/../etc']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad rule 'mount:/mnt/../etc'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['fstype:']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad rule 'fstype:'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['fstype:nfs 4']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad rule 'fstype:nfs 4'");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    " 'allowed_egress': ['Mount:/mnt']}]}",
		    -EINVAL, "dataset 'a': field 'allowed_egress': bad cidr 'Mount:/mnt'");
out:
	fx_fini(&f);
}

static void test_missing_inventory(void)
{
	struct inventory *inv = &untouched;
	struct errbuf err = { "" };
	char path[128], want[3 * PATH_MAX];
	struct fx f;

	if (!fx_init(&f))
		return;
	snprintf(path, sizeof(path), "%s/nope.json", f.dir);
	snprintf(want, sizeof(want), "inventory '%s': No such file or directory", path);
	ASSERT_EQ(inventory_load(path, &inv, &err), -ENOENT, "ret");
	ASSERT_STREQ(err.msg, want, "msg");
	ASSERT_TRUE(inv == &untouched, "out untouched");
	/* a directory is no inventory either */
	ASSERT_EQ(inventory_load(f.dir, &inv, &err), -EISDIR, "directory");
	ASSERT_TRUE(inv == &untouched, "out untouched");
	fx_fini(&f);
}

static void test_empty_datasets(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	struct fx f;

	if (!fx_init(&f))
		return;
	if (ASSERT_OK(load(&f, "{'datasets': []}", &inv, &err), err.msg)) {
		ASSERT_EQ(inv->n_datasets, 0, "n_datasets");
		ASSERT_EQ(inv->n_inodes, 0, "n_inodes");
		ASSERT_TRUE(inventory_find(inv, 1, 1) == NULL, "find");
	}
	inventory_free(inv);
	fx_fini(&f);
}

/* More files than the first scan allocation, and deeper than nftw's descriptor limit. */
static void test_many_files(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	char rel[512];
	size_t len;
	struct fx f;
	int d, i;

	if (!fx_init(&f) || !make_dir(&f, "many"))
		goto out;
	for (d = 0; d < 3; d++) {
		snprintf(rel, sizeof(rel), "many/d%d", d);
		if (!make_dir(&f, rel))
			goto out;
		for (i = 0; i < 2000; i++) {
			snprintf(rel, sizeof(rel), "many/d%d/f%d", d, i);
			if (!make_file(&f, rel, 1))
				goto out;
		}
	}
	len = (size_t)snprintf(rel, sizeof(rel), "many");
	for (d = 0; d < 50; d++) {
		len += (size_t)snprintf(rel + len, sizeof(rel) - len, "/n");
		if (!make_dir(&f, rel))
			goto out;
	}
	snprintf(rel + len, sizeof(rel) - len, "/deep.txt");
	if (!make_file(&f, rel, 5))
		goto out;

	if (!ASSERT_OK(load(&f,
			    "{'datasets': [{'id': 'm', 'classification': 'confidential',"
			    " 'paths': ['@/many']}]}",
			    &inv, &err),
		       err.msg))
		goto out;
	ASSERT_EQ(inv->datasets[0].n_files, 6001, "n_files");
	ASSERT_EQ(inv->datasets[0].n_bytes, 6005, "n_bytes");
	/* files, 3 dirs, 50 nested dirs and the root */
	ASSERT_EQ(inv->n_inodes, 6001 + 3 + 50 + 1, "n_inodes");
	ASSERT_TRUE(find_path(inv, P(&f, rel)) != NULL, "deep file");
	ASSERT_TRUE(find_path(inv, P(&f, "many/d2/f1999")) != NULL, "last file");
out:
	inventory_free(inv);
	fx_fini(&f);
}

static void test_cidr_parse(void)
{
	static const struct {
		const char *s;
		int family;
		int prefix;
		int port;
		const char *addr;
	} ok[] = {
		{ "10.20.0.0/16", AF_INET, 16, 0, "10.20.0.0" },
		{ "192.168.7.10/32:443", AF_INET, 32, 443, "192.168.7.10" },
		{ "1.2.3.4", AF_INET, 32, 0, "1.2.3.4" },
		{ "1.2.3.4:65535", AF_INET, 32, 65535, "1.2.3.4" },
		{ "0.0.0.0/0", AF_INET, 0, 0, "0.0.0.0" },
		{ "10.20.30.40/8", AF_INET, 8, 0, "10.20.30.40" },
		{ "fd00::/8", AF_INET6, 8, 0, "fd00::" },
		{ "fd00::1", AF_INET6, 128, 0, "fd00::1" },
		{ "::/0", AF_INET6, 0, 0, "::" },
		{ "[fd00::1]/128:443", AF_INET6, 128, 443, "fd00::1" },
		{ "[fd00::1]:443", AF_INET6, 128, 443, "fd00::1" },
		{ "[fd00::]/8", AF_INET6, 8, 0, "fd00::" },
		{ "::ffff:10.0.0.1", AF_INET6, 128, 0, "::ffff:10.0.0.1" },
	};
	uint8_t want[16];
	struct inv_cidr c;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		memset(want, 0, sizeof(want));
		if (!ASSERT_OK(inv_cidr_parse(ok[i].s, &c), ok[i].s))
			continue;
		ASSERT_EQ(c.family, ok[i].family, ok[i].s);
		ASSERT_EQ(c.prefix, ok[i].prefix, ok[i].s);
		ASSERT_EQ(c.port, ok[i].port, ok[i].s);
		inet_pton(ok[i].family, ok[i].addr, want);
		/* kept as written, host bits included */
		ASSERT_TRUE(!memcmp(c.addr, want, ok[i].family == AF_INET ? 4 : 16), ok[i].s);
	}
}

static void test_cidr_parse_invalid(void)
{
	static const char *const bad[] = {
		"", "10.0.0.0/33", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4/32:0", "fd00::/129",
		"[1.2.3.4]:80", "[fd00::1", "[fd00::1]x", "[fd00::1]:", "[]:80", "10.0.0/8",
		"10.0.0.0/", "10.0.0.0/8:", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8 ",
		" 10.0.0.0/8", "10.0.0.0/8/8", "10.0.0.0/8:80:80", "host.example.com",
		"256.0.0.0/8", "10.0.0.0/000008", "1.2.3.4:99999999999999999999", "fe80::1%eth0",
	};
	struct inv_cidr c, before;
	size_t i;

	memset(&before, 0x5a, sizeof(before));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = before;
		ASSERT_EQ(inv_cidr_parse(bad[i], &c), -EINVAL, bad[i]);
		ASSERT_TRUE(!memcmp(&c, &before, sizeof(c)), bad[i]);
	}
	ASSERT_EQ(inv_cidr_parse(NULL, &c), -EINVAL, "NULL");
}

static bool match(const char *cidr, const char *addr, uint16_t port)
{
	uint8_t a[16];
	struct inv_cidr c;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (!ASSERT_OK(inv_cidr_parse(cidr, &c), cidr) ||
	    !ASSERT_EQ(inet_pton(family, addr, a), 1, addr))
		return false;
	return inv_cidr_match(&c, family, a, port);
}

static void test_cidr_match(void)
{
	ASSERT_TRUE(match("10.20.0.0/16", "10.20.3.4", 80), "v4 /16 in");
	ASSERT_TRUE(match("10.20.0.0/16", "10.20.255.255", 0), "v4 /16 edge");
	ASSERT_FALSE(match("10.20.0.0/16", "10.21.0.1", 80), "v4 /16 out");
	ASSERT_TRUE(match("10.16.0.0/12", "10.31.255.255", 1), "v4 /12 in");
	ASSERT_FALSE(match("10.16.0.0/12", "10.32.0.0", 1), "v4 /12 out");
	ASSERT_TRUE(match("10.20.30.40/16", "10.20.1.1", 1), "host bits ignored");
	ASSERT_TRUE(match("0.0.0.0/0", "203.0.113.9", 9), "v4 /0");
	ASSERT_TRUE(match("192.168.7.10/32:443", "192.168.7.10", 443), "v4 /32 port");
	ASSERT_FALSE(match("192.168.7.10/32:443", "192.168.7.10", 80), "v4 /32 other port");
	ASSERT_FALSE(match("192.168.7.10/32:443", "192.168.7.11", 443), "v4 /32 other host");
	ASSERT_TRUE(match("fd00::/8", "fd12:3456::1", 22), "v6 /8 in");
	ASSERT_FALSE(match("fd00::/8", "fe00::1", 22), "v6 /8 out");
	ASSERT_TRUE(match("[fd00::1]:443", "fd00::1", 443), "v6 /128 port");
	ASSERT_FALSE(match("[fd00::1]:443", "fd00::1", 444), "v6 /128 other port");
	ASSERT_FALSE(match("[fd00::1]:443", "fd00::2", 443), "v6 /128 other host");
	ASSERT_TRUE(match("::/0", "2001:db8::1", 1), "v6 /0");
	ASSERT_FALSE(match("fd00::/8", "10.20.0.1", 1), "v4 address, v6 network");
	ASSERT_FALSE(match("10.20.0.0/16", "fd00::1", 1), "v6 address, v4 network");
	ASSERT_FALSE(match("0.0.0.0/0", "::", 1), "v6 any, v4 network");
	/* a dual-stack socket's peer ::ffff:10.20.1.2 is the IPv4 host 10.20.1.2 */
	ASSERT_TRUE(match("10.20.0.0/16", "::ffff:10.20.1.2", 1), "v4-mapped in");
	ASSERT_FALSE(match("10.20.0.0/16", "::ffff:10.21.1.2", 1), "v4-mapped out");
	ASSERT_FALSE(inv_cidr_match(NULL, AF_INET, "\0\0\0\0", 1), "NULL cidr");
}

static void test_summary(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	char *buf = NULL, want[3 * PATH_MAX];
	size_t len = 0;
	struct fx f;
	FILE *fp;

	if (!fx_tree(&f))
		goto out;
	if (!ASSERT_OK(load(&f, valid_tmpl, &inv, &err), err.msg))
		goto out;
	fp = open_memstream(&buf, &len);
	if (!ASSERT_TRUE(fp != NULL, "open_memstream"))
		goto out;
	inventory_summary(inv, fp);
	fclose(fp);

	snprintf(want, sizeof(want), "inventory '%s': 2 datasets, 4 files, 357 bytes\n", f.inv);
	ASSERT_TRUE(!strncmp(buf, want, strlen(want)), "first line");
	ASSERT_HAS(buf, want, "totals");
	ASSERT_HAS(buf,
		   "\n  restricted: 1 datasets, 3 files, 350 bytes\n"
		   "  public: 1 datasets, 1 files, 7 bytes\n",
		   "by label, most sensitive first");
	ASSERT_FALSE(strstr(buf, "confidential") || strstr(buf, "internal"),
		     "labels without datasets");
	ASSERT_HAS(buf, "\n  dataset 'faces' (restricted): 3 files, 350 bytes\n"
			"  dataset 'docs' (public): 1 files, 7 bytes\n",
		   "per dataset");
out:
	free(buf);
	inventory_free(inv);
	fx_fini(&f);
}

static void test_labels(void)
{
	static const char *const names[] = { "none", "public", "internal", "confidential",
					     "restricted" };
	int i;

	for (i = DT_LABEL_NONE; i <= DT_LABEL_RESTRICTED; i++)
		ASSERT_STREQ(dt_label_name((enum dt_label)i), names[i], names[i]);
	for (i = DT_LABEL_PUBLIC; i <= DT_LABEL_RESTRICTED; i++)
		ASSERT_EQ(dt_label_parse(names[i]), i, names[i]);
	ASSERT_EQ(dt_label_parse("none"), DT_LABEL_NONE, "none");
	ASSERT_EQ(dt_label_parse("secret"), DT_LABEL_NONE, "secret");
	ASSERT_EQ(dt_label_parse("RESTRICTED"), DT_LABEL_NONE, "case");
	ASSERT_EQ(dt_label_parse(NULL), DT_LABEL_NONE, "NULL");
	ASSERT_STREQ(dt_label_name((enum dt_label)99), "unknown", "out of range");
}

static void test_free_null(void)
{
	inventory_free(NULL);
}

/* The bundled example must load on any Debian box; found from the source tree or the cwd. */
static void test_example_inventory(void)
{
	static const char tail[] = "tests/unit/test_inventory.c";
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	const struct inv_dataset *ds;
	const char *file = __FILE__;
	size_t n = strlen(file), root = n - (sizeof(tail) - 1);
	char path[PATH_MAX];

	if (n >= sizeof(tail) - 1 && !strcmp(file + root, tail))
		snprintf(path, sizeof(path), "%.*sexamples/inventory.json", (int)root, file);
	else
		snprintf(path, sizeof(path), "examples/inventory.json");
	if (!ASSERT_OK(access(path, F_OK), path))
		return;
	if (!ASSERT_OK(inventory_load(path, &inv, &err), err.msg))
		return;
	if (ASSERT_EQ(inv->n_datasets, 3, "n_datasets")) {
		ds = &inv->datasets[0];
		ASSERT_STREQ(ds->id, "system-credentials", "id");
		ASSERT_EQ(ds->label, DT_LABEL_RESTRICTED, "label");
		ASSERT_EQ(ds->n_files, 2, "n_files");
		ASSERT_TRUE(ds->egress_present && !ds->n_egress, "no egress at all");
		ASSERT_FALSE(ds->gpu_allowed, "gpu_allowed");
		ds = &inv->datasets[1];
		ASSERT_STREQ(ds->id, "training-corpus", "id");
		ASSERT_EQ(ds->label, DT_LABEL_CONFIDENTIAL, "label");
		ASSERT_GE(ds->n_files, 1, "the stand-in corpus exists on every Debian");
		ASSERT_EQ(ds->n_derived_places, 2, "where its derived files may live");
		ASSERT_EQ(ds->derived_report, INV_DERIVED_OUTSIDE, "copies elsewhere reported");
		ds = &inv->datasets[2];
		ASSERT_STREQ(ds->id, "host-config", "id");
		ASSERT_EQ(ds->label, DT_LABEL_INTERNAL, "label");
		ASSERT_EQ(ds->n_files, 2, "n_files");
	}
	inventory_free(inv);
}

static void test_enforce_field(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	if (ASSERT_OK(load(&f,
			   "{'datasets': [{'id': 'a', 'classification': 'restricted',"
			   " 'paths': ['@/data'], 'enforce': 'kill'},"
			   " {'id': 'b', 'classification': 'internal', 'paths': ['@/docs'],"
			   " 'enforce': 'block', 'allowed_egress': ['10.0.0.0/8']},"
			   " {'id': 'c', 'classification': 'internal', 'paths': ['@/single.csv']}]}",
			   &inv, &err),
		      err.msg)) {
		ASSERT_EQ(inv->datasets[0].enforce, INV_ENFORCE_KILL, "kill");
		ASSERT_EQ(inv->datasets[1].enforce, INV_ENFORCE_BLOCK, "block");
		ASSERT_EQ(inv->datasets[2].enforce, INV_ENFORCE_MONITOR, "default: monitor");
		ASSERT_STREQ(inv_enforce_name(inv->datasets[0].enforce), "kill", "name");
		inventory_free(inv);
	}
	snprintf(want, sizeof(want),
		 "inventory '%s': dataset 'a': field 'enforce': unknown action 'drop' "
		 "(monitor, block or kill)",
		 f.inv);
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'restricted',"
		    " 'paths': ['@/data'], 'enforce': 'drop'}]}",
		    -EINVAL, want);
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'restricted',"
		    " 'paths': ['@/data'], 'enforce': true}]}",
		    -EINVAL, "field 'enforce': expected a string, got a boolean");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public',"
		    " 'paths': ['@/data'], 'enforce': 'block'}]}",
		    -EINVAL, "field 'enforce': 'block' on a public dataset");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'restricted', 'paths': ['@/data'],"
		    " 'enforce': 'block', 'allowed_egress': ['10.0.0.1', '10.0.0.2', '10.0.0.3',"
		    " '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8', '10.0.0.9',"
		    " '10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14', '10.0.0.15',"
		    " '10.0.0.16', '10.0.0.17']}]}",
		    -EINVAL, "'block' with 17 allowed_egress entries: the kernel checks at most 16");
out:
	fx_fini(&f);
}

/* derived: where an allowed reader's copies may live, and which are reported. */
static void test_derived_field(void)
{
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	const struct inv_dataset *ds;
	char want[3 * PATH_MAX];
	struct fx f;

	if (!fx_tree(&f))
		goto out;
	if (ASSERT_OK(load(&f,
			   "{'datasets': [{'id': 'a', 'classification': 'restricted',"
			   " 'paths': ['@/data'], 'allowed_readers': {'uids': [1001]},"
			   " 'derived': {'paths': ['/ckpt/', '/runs/**/*.safetensors',"
			   " 'mount:/mnt/scratch', '/']}},"
			   " {'id': 'b', 'classification': 'internal', 'paths': ['@/docs'],"
			   " 'allowed_readers': {'uids': [1001]}, 'derived': {'report': 'always'}},"
			   " {'id': 'c', 'classification': 'internal', 'paths': ['@/single.csv'],"
			   " 'allowed_readers': {'uids': [1001]}, 'derived': {'report': 'outside'}},"
			   " {'id': 'd', 'classification': 'internal', 'paths': ['@/other.txt']}]}",
			   &inv, &err),
		      err.msg)) {
		ds = &inv->datasets[0];
		ASSERT_EQ(ds->derived_report, INV_DERIVED_OUTSIDE, "default: outside");
		if (ASSERT_EQ(ds->n_derived_places, 4, "four places")) {
			ASSERT_EQ(ds->derived_places[0].by, INV_PLACE_DIR, "a directory");
			ASSERT_STREQ(ds->derived_places[0].value, "/ckpt", "trailing '/' dropped");
			ASSERT_EQ(ds->derived_places[1].by, INV_PLACE_GLOB, "a glob");
			ASSERT_EQ(ds->derived_places[2].by, INV_PLACE_MOUNT, "a mount");
			ASSERT_STREQ(ds->derived_places[2].value, "/mnt/scratch", "mount point");
			ASSERT_EQ(ds->derived_places[2].ino, 0, "not resolved before a look");
			ASSERT_STREQ(ds->derived_places[3].value, "/", "the root stays");
			ASSERT_TRUE(inv_place_match(&ds->derived_places[0], 1, "/ckpt/e1/w.pt"),
				    "below the directory");
			ASSERT_TRUE(inv_place_match(&ds->derived_places[0], 1, "/ckpt"), "itself");
			ASSERT_FALSE(inv_place_match(&ds->derived_places[0], 1, "/ckpt2/w.pt"),
				     "a sibling with the same prefix");
			ASSERT_FALSE(inv_place_match(&ds->derived_places[0], 1, ".../ckpt/w.pt"),
				     "a cut walk");
			ASSERT_TRUE(inv_place_match(&ds->derived_places[1], 1,
						    "/runs/a/b/model.safetensors"),
				    "glob");
			ASSERT_FALSE(inv_place_match(&ds->derived_places[2], 0, "/mnt/scratch/x"),
				     "an unresolved mount matches nothing, not even its path");
			inventory_set_exe(inv, "/mnt/scratch", 7 << 20 | 3, 2);
			ASSERT_TRUE(inv_place_match(&ds->derived_places[2], 7 << 20 | 3, "/x/y"),
				    "a resolved mount, by device, whatever the path");
			ASSERT_FALSE(inv_place_match(&ds->derived_places[2], 7 << 20 | 4,
						     "/mnt/scratch/x"),
				     "another device under its path");
			ASSERT_TRUE(inv_place_match(&ds->derived_places[3], 1, "/x"), "'/': all");
			ASSERT_FALSE(inv_place_match(&ds->derived_places[3], 1, "inode:1:2:3"),
				     "but not an unnamed file");
		}
		ASSERT_EQ(inv->datasets[1].derived_report, INV_DERIVED_ALWAYS, "always");
		ASSERT_EQ(inv->datasets[2].derived_report, INV_DERIVED_OUTSIDE, "outside");
		ASSERT_EQ(inv->datasets[2].n_derived_places, 0, "anywhere");
		ASSERT_EQ(inv->datasets[3].n_derived_places, 0, "absent");
		inventory_free(inv);
	}
	/* A directory that is no mount point stands for no file system. */
	if (ASSERT_OK(load(&f,
			   "{'datasets': [{'id': 'a', 'classification': 'restricted',"
			   " 'paths': ['@/data'], 'allowed_readers': {'uids': [1001]},"
			   " 'derived': {'paths': ['mount:/', 'mount:@/docs', 'mount:@/nope']}}]}",
			   &inv, &err),
		      err.msg)) {
		ds = &inv->datasets[0];
		ASSERT_EQ(inventory_resolve_exes(inv, NULL, NULL), 3, "three looked up");
		ASSERT_NEQ(ds->derived_places[0].ino, 0, "'/' is a mount point");
		ASSERT_EQ(ds->derived_places[1].ino, 0, "a directory is not");
		ASSERT_EQ(ds->derived_places[1].err, -EINVAL, "said so");
		ASSERT_EQ(ds->derived_places[2].err, -ENOENT, "missing");
		ASSERT_EQ(inventory_resolve_exes(inv, NULL, NULL), 0, "unchanged");
		inventory_free(inv);
	}
	snprintf(want, sizeof(want),
		 "inventory '%s': dataset 'a': field 'derived.report': unknown value 'never' "
		 "(outside or always)",
		 f.inv);
#define DS_A "{'datasets': [{'id': 'a', 'classification': 'restricted', 'paths': ['@/data'],"
#define READERS " 'allowed_readers': {'uids': [1001]},"
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'report': 'never'}}]}", -EINVAL, want);
	EXPECT_FAIL(&f, DS_A READERS " 'derived': ['/ckpt']}]}", -EINVAL,
		    "field 'derived': expected an object, got an array");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'path': ['/ckpt']}}]}", -EINVAL,
		    "field 'derived': unknown key 'path' (report, paths)");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'report': 1}}]}", -EINVAL,
		    "field 'derived.report': expected a string, got a number");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'report': 'always', 'paths': ['/c']}}]}",
		    -EINVAL, "field 'derived.paths': with report 'always'");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': []}}]}", -EINVAL,
		    "field 'derived.paths': empty");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': '/ckpt'}}]}", -EINVAL,
		    "field 'derived.paths': expected an array, got a string");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': [7]}}]}", -EINVAL,
		    "field 'derived.paths': expected a string, got a number");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['ckpt/']}}]}", -EINVAL,
		    "field 'derived.paths': bad place 'ckpt/': not an absolute path");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['/a/../etc']}}]}", -EINVAL,
		    "bad place '/a/../etc': empty, '.' or '..' names");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['/runs/a**/x']}}]}", -EINVAL,
		    "bad place '/runs/a**/x': '**' must be a whole name");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['/**/a/**/b/**/c']}}]}", -EINVAL,
		    "bad place '/**/a/**/b/**/c': more than two '**'");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['/runs/[ab]/x']}}]}", -EINVAL,
		    "bad place '/runs/[ab]/x': '[', ']' and '\\' are not supported");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['mount:/mnt/*']}}]}", -EINVAL,
		    "bad place 'mount:/mnt/*': a mount point is a path, not a pattern");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['mount:scratch']}}]}", -EINVAL,
		    "bad place 'mount:scratch': not an absolute path");
	EXPECT_FAIL(&f, DS_A " 'derived': {'report': 'always'}}]}", -EINVAL,
		    "field 'derived': without allowed_readers");
	EXPECT_FAIL(&f,
		    "{'datasets': [{'id': 'a', 'classification': 'public', 'paths': ['@/data'],"
		    READERS " 'derived': {'report': 'always'}}]}",
		    -EINVAL, "field 'derived': on a public dataset");
	EXPECT_FAIL(&f, DS_A READERS " 'derived': {'paths': ['/a'], 'paths': ['/b']}}]}",
		    -EINVAL, "field 'derived': duplicate key 'paths'");
#undef DS_A
#undef READERS
out:
	fx_fini(&f);
}

static void test_glob_match(void)
{
	static const struct {
		const char *pattern, *path;
		bool match;
	} cases[] = {
		{ "/runs/**/*.safetensors", "/runs/model.safetensors", true },
		{ "/runs/**/*.safetensors", "/runs/a/b/c/model.safetensors", true },
		{ "/runs/**/*.safetensors", "/runs/a/model.bin", false },
		{ "/runs/**/*.safetensors", "/other/runs/a/model.safetensors", false },
		{ "/runs/*/ckpt-?.pt", "/runs/e1/ckpt-3.pt", true },
		{ "/runs/*/ckpt-?.pt", "/runs/e1/x/ckpt-3.pt", false },
		{ "/runs/*/ckpt-?.pt", "/runs/e1/ckpt-13.pt", false },
		{ "/runs/*", "/runs/a", true },
		{ "/runs/*", "/runs/a/b", false },
		{ "/runs/**", "/runs/a/b", true },
		{ "/runs/**", "/runsx/a", false },
		{ "/**/events.out.*", "/home/u/tb/events.out.tfevents.1", true },
		{ "/tmp/*.log", "/tmp/.log", true },
		{ "/tmp/?", "/tmp/", false },
		{ "/tmp/*", "/tmp/*x", true },
		{ "/a/*b*c", "/a/xbyc", true },
		{ "/a/*b*c", "/a/xbycz", false },
		{ "/**/x/**/y", "/p/x/q/r/y", true },
		{ "/**/x/**/y", "/x/y", true },
		{ "/**/x/**/y", "/p/y", false },
		{ "/runs/**", "...s/a", false },
		/* What a file name could make a backtracking matcher chew on. */
		{ "/a/*a*a*a*a*a*a*a*a*a*a*a*b",
		  "/a/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_EQ(inv_glob_match(cases[i].pattern, cases[i].path), cases[i].match,
			  cases[i].path);
}

static void test_world_writable_refused(void)
{
	char dir[] = "/tmp/dt-inv-ww.XXXXXX", file[64];
	struct inventory *inv = NULL;
	struct errbuf err = { "" };
	FILE *f;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	snprintf(file, sizeof(file), "%s/inv.json", dir);
	f = fopen(file, "w");
	if (!ASSERT_TRUE(f != NULL, "create"))
		return;
	fprintf(f, "{\"datasets\": []}");
	fclose(f);
	chmod(file, 0666);
	ASSERT_EQ(inventory_load(file, &inv, &err), -EPERM, "world-writable refused");
	ASSERT_HAS(err.msg, "world-writable", "message");
	chmod(file, 0644);
	if (ASSERT_OK(inventory_load(file, &inv, &err), err.msg))
		inventory_free(inv);
	unlink(file);
	rmdir(dir);
}

TEST_MAIN("inventory", TEST_CASE(test_world_writable_refused), TEST_CASE(test_load_valid), TEST_CASE(test_find),
	  TEST_CASE(test_symlink_root), TEST_CASE(test_same_label_overlap),
	  TEST_CASE(test_label_conflict), TEST_CASE(test_syntax_error),
	  TEST_CASE(test_parse_in_memory), TEST_CASE(test_nul_escape_refused),
	  TEST_CASE(test_resolve_exes), TEST_CASE(test_bad_classification),
	  TEST_CASE(test_missing_fields), TEST_CASE(test_wrong_types),
	  TEST_CASE(test_relative_path), TEST_CASE(test_missing_path),
	  TEST_CASE(test_special_file_path), TEST_CASE(test_duplicate_id),
	  TEST_CASE(test_duplicate_key),
	  TEST_CASE(test_bad_uid), TEST_CASE(test_workload_selectors), TEST_CASE(test_bad_cidr),
	  TEST_CASE(test_egress_mounts), TEST_CASE(test_missing_inventory),
	  TEST_CASE(test_empty_datasets), TEST_CASE(test_many_files), TEST_CASE(test_cidr_parse),
	  TEST_CASE(test_cidr_parse_invalid), TEST_CASE(test_cidr_match), TEST_CASE(test_summary),
	  TEST_CASE(test_labels), TEST_CASE(test_free_null), TEST_CASE(test_example_inventory),
	  TEST_CASE(test_enforce_field), TEST_CASE(test_derived_field), TEST_CASE(test_glob_match))
