// SPDX-License-Identifier: GPL-2.0
/* test_mounts.c - mountinfo lines, egress file system kinds, rescans that add and drop mounts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datatrail_abi.h"
#include "mounts.h"
#include "test.h"

static void test_parse_line(void)
{
	struct mount_ent e;

	if (ASSERT_OK(mount_parse_line("36 35 0:42 / /mnt/my\\040share rw,nosuid shared:7 master:1 - "
				       "fuse.sshfs user@10.0.0.2:/srv rw,user_id=0\n",
				       &e),
		      "sshfs line")) {
		ASSERT_EQ(e.dev, 42, "0:42 as the kernel encodes it");
		ASSERT_STREQ(e.point, "/mnt/my share", "\\040 unescaped");
		ASSERT_STREQ(e.fstype, "fuse.sshfs", "type");
		ASSERT_STREQ(e.source, "user@10.0.0.2:/srv", "source");
		free(e.fstype), free(e.source), free(e.point);
	}
	if (ASSERT_OK(mount_parse_line("22 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw\n", &e),
		      "no optional fields")) {
		ASSERT_EQ(e.dev, (259u << 20) | 2, "259:2");
		ASSERT_STREQ(e.point, "/", "root");
		free(e.fstype), free(e.source), free(e.point);
	}
	ASSERT_EQ(mount_parse_line("22 1 259:2 / / rw ext4 /dev/x rw\n", &e), -EINVAL,
		  "no separator");
	ASSERT_EQ(mount_parse_line("22 1 x / / rw - ext4 /dev/x rw\n", &e), -EINVAL, "bad dev");
	ASSERT_EQ(mount_parse_line("", &e), -EINVAL, "empty");
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static void test_kinds(void)
{
	char dir[] = "/tmp/dt-mounts.XXXXXX", path[256];
	struct mount_table t = { .sys_block = dir };
	char *pats[] = { "loop*" };
	const struct mount_ent *m;
	FILE *f;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	/* A removable disk and a fixed one, as sysfs shows them; sdb1 a partition of sdb. */
	snprintf(path, sizeof(path), "%s/sdb", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sdb/sdb1", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sdb1", dir);
	ASSERT_OK(symlink("sdb/sdb1", path), "symlink");
	snprintf(path, sizeof(path), "%s/sdb/removable", dir);
	f = fopen(path, "w");
	if (f)
		fputs("1\n", f), fclose(f);
	snprintf(path, sizeof(path), "%s/sda", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sda/removable", dir);
	f = fopen(path, "w");
	if (f)
		fputs("0\n", f), fclose(f);

	ASSERT_EQ(mount_egress_kind(&t, "nfs4", "srv:/x"), DT_EGRESS_FS_NET, "nfs4");
	ASSERT_EQ(mount_egress_kind(&t, "cifs", "//srv/x"), DT_EGRESS_FS_NET, "cifs");
	ASSERT_EQ(mount_egress_kind(&t, "ceph", "mon:/"), DT_EGRESS_FS_NET, "ceph");
	ASSERT_EQ(mount_egress_kind(&t, "lustre", "mgs@tcp:/fs"), DT_EGRESS_FS_NET, "lustre");
	ASSERT_EQ(mount_egress_kind(&t, "fuse.s3fs", "s3fs"), DT_EGRESS_FS_FUSE, "s3fs");
	ASSERT_EQ(mount_egress_kind(&t, "fuse.gcsfuse", "bucket"), DT_EGRESS_FS_FUSE, "gcsfuse");
	ASSERT_EQ(mount_egress_kind(&t, "ext4", "/dev/sdb"), DT_EGRESS_FS_REMOVABLE, "sdb");
	ASSERT_EQ(mount_egress_kind(&t, "vfat", "/dev/sdb1"), DT_EGRESS_FS_REMOVABLE,
		  "a partition of a removable disk");
	ASSERT_EQ(mount_egress_kind(&t, "ext4", "/dev/sda"), 0, "fixed disk");
	ASSERT_EQ(mount_egress_kind(&t, "ext4", "/dev/loop0"), 0, "loop: not unless configured");
	ASSERT_EQ(mount_egress_kind(&t, "tmpfs", "tmpfs"), 0, "tmpfs");
	ASSERT_EQ(mount_egress_kind(&t, "overlay", "overlay"), 0, "overlay");
	/* Raw writes: the removable disk and its partition, by their device numbers. */
	snprintf(path, sizeof(path), "%s/sdb/dev", dir);
	write_file(path, "8:16\n");
	snprintf(path, sizeof(path), "%s/sdb/sdb1/dev", dir);
	write_file(path, "8:17\n");
	snprintf(path, sizeof(path), "%s/sda/dev", dir);
	write_file(path, "8:0\n");
	ASSERT_EQ(mounts_scan_devices(&t, NULL, NULL, NULL), 2, "sdb and sdb1");
	m = mounts_find(&t, (8 << 20) | 17, true);
	if (ASSERT_TRUE(m != NULL, "sdb1 by its number")) {
		ASSERT_STREQ(m->source, "/dev/sdb1", "source");
		ASSERT_STREQ(m->point, "", "a device has no mount point");
	}
	ASSERT_TRUE(mounts_find(&t, 8 << 20, true) == NULL, "sda is fixed");
	ASSERT_EQ(mounts_scan_devices(&t, NULL, NULL, NULL), 0, "no change");
	t.blockdevs = pats;
	t.n_blockdevs = 1;
	ASSERT_EQ(mount_egress_kind(&t, "ext4", "/dev/loop0"), DT_EGRESS_FS_REMOVABLE,
		  "loop configured");
	mounts_free(&t);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ASSERT_OK(system(path), "rm");
}

struct calls {
	int added, deleted;
	uint32_t last_dev;
};

static void on_add(void *ctx, const struct mount_ent *e)
{
	struct calls *c = ctx;

	c->added++;
	c->last_dev = e->dev;
}

static void on_del(void *ctx, const struct mount_ent *e)
{
	struct calls *c = ctx;

	c->deleted++;
	c->last_dev = e->dev;
}

static void test_rescan(void)
{
	char path[] = "/tmp/dt-mountinfo.XXXXXX";
	struct mount_table t = { .sys_block = "/nonexistent" };
	struct calls c = { 0 };
	const struct mount_ent *m;
	int fd = mkstemp(path);

	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	close(fd);
	write_file(path, "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
			 "2 1 0:50 / /mnt/s rw - fuse.sshfs u@h:/ rw\n");
	ASSERT_EQ(mounts_scan(&t, path, on_add, on_del, &c), 1, "one egress mount");
	ASSERT_EQ(c.added, 1, "added");
	m = mounts_find(&t, 50, false);
	if (ASSERT_TRUE(m != NULL, "found by dev"))
		ASSERT_STREQ(m->point, "/mnt/s", "point");
	ASSERT_TRUE(mounts_find(&t, (8 << 20) | 1, false) == NULL, "a local one is not kept");
	ASSERT_EQ(mounts_scan(&t, path, on_add, on_del, &c), 0, "no change");
	write_file(path, "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
			 "3 1 0:51 / /mnt/n rw - nfs4 srv:/e rw\n");
	ASSERT_EQ(mounts_scan(&t, path, on_add, on_del, &c), 2, "one gone, one new");
	ASSERT_EQ(c.added, 2, "added");
	ASSERT_EQ(c.deleted, 1, "deleted");
	m = mounts_find(&t, 50, false);
	if (ASSERT_TRUE(m != NULL, "a gone mount is still named"))
		ASSERT_TRUE(m->gone, "but gone");
	ASSERT_EQ(mounts_scan(&t, "/nonexistent/mountinfo", on_add, on_del, &c), -ENOENT,
		  "missing file");
	mounts_free(&t);
	unlink(path);
}

TEST_MAIN("mounts", TEST_CASE(test_parse_line), TEST_CASE(test_kinds), TEST_CASE(test_rescan))
