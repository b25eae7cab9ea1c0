// SPDX-License-Identifier: GPL-2.0
/* kstate.c - pinned maps, dataset slots and the inode map; see kstate.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "datatrail_abi.h"
#include "kstate.h"
#include "log.h"

/* The maps whose contents must survive a restart; the ring buffer and counters need not. */
static const char *const pinned[] = {
	"inodes", "devs", "acc", "acc_seen", "egress", "egress_seen",
	"procs", "taint", "chan", "dsnames",
};

int kstate_pin(struct bpf_object *obj, const char *dir, size_t inodes_wanted, struct errbuf *err)
{
	char path[512];

	if (mkdir(dir, 0700) && errno != EEXIST)
		return errbuf_set(err, -errno, "pin directory '%s': %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, pinned[i]);
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		bool fits;
		int fd;

		if (!map)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, pinned[i]);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			fits = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			       info.type == bpf_map__type(map) &&
			       info.key_size == bpf_map__key_size(map) &&
			       info.value_size == bpf_map__value_size(map);
			if (fits && !strcmp(pinned[i], "inodes") && info.max_entries >= inodes_wanted)
				bpf_map__set_max_entries(map, info.max_entries);
			else if (fits && strcmp(pinned[i], "inodes"))
				bpf_map__set_max_entries(map, info.max_entries);
			else
				fits = false;
			close(fd);
			if (!fits) {
				dt_log("datatrail: pinned map '%s' does not fit this agent: "
					       "recreated, its state is lost\n", path);
				unlink(path);
			}
		}
		if (bpf_map__set_pin_path(map, path))
			return errbuf_set(err, -EINVAL, "pin '%s': bad path", path);
	}
	return 0;
}

int kstate_cleanup(const char *dir, struct errbuf *err)
{
	struct dirent *de;
	char path[512];
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return errbuf_set(err, -errno, "pin directory '%s': %s", dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path)) {
			closedir(d);
			return errbuf_set(err, -errno, "pin '%s': %s", path, strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(dir))
		return errbuf_set(err, -errno, "pin directory '%s': %s", dir, strerror(errno));
	return 0;
}

int kstate_align(int fd, struct inventory *inv, struct errbuf *err)
{
	enum { SLOTS = DT_TAINT_WORDS * 64 };
	const char *ids[SLOTS];
	static struct dt_dsname names[SLOTS];
	uint32_t n = 0, i;
	int ret;

	for (i = 0; i < SLOTS; i++) {
		if (bpf_map_lookup_elem(fd, &i, &names[i]))
			names[i].id[0] = 0;
		names[i].id[sizeof(names[i].id) - 1] = 0;
		if (names[i].id[0])
			n = i + 1;
	}
	for (i = 0; i < n; i++)
		ids[i] = names[i].id;
	ret = inventory_align_ids(inv, ids, n);
	if (ret)
		return errbuf_set(err, ret, "inventory '%s': %s", inv->file, strerror(-ret));
	if (inv->n_datasets > SLOTS)
		return errbuf_set(err, -ENOSPC, "inventory '%s': %zu datasets over time, at most %d",
				  inv->file, inv->n_datasets, SLOTS);
	for (i = 0; i < inv->n_datasets; i++) {
		struct dt_dsname dn = {};

		snprintf(dn.id, sizeof(dn.id), "%s", inv->datasets[i].id);
		if (bpf_map_update_elem(fd, &i, &dn, BPF_ANY))
			return errbuf_set(err, -errno, "dataset slots: %s", strerror(errno));
	}
	return 0;
}

int kstate_sync_inodes(int ifd, int dfd, const struct inventory *inv)
{
	struct dt_inode_key k, *prev = NULL, *stale = NULL;
	size_t n = 0, cap = 0;
	struct dt_inode_val v;

	while (!bpf_map_get_next_key(ifd, prev, &k)) {
		bool drop = false;

		if (!bpf_map_lookup_elem(ifd, &k, &v)) {
			if (v.flags & DT_INODE_AGENT || v.dataset == DT_DATASET_AGENT)
				drop = true;
			else if (v.flags & (DT_INODE_CREATED | DT_INODE_DERIVED))
				drop = v.dataset < inv->n_datasets && inv->datasets[v.dataset].retired;
			else
				drop = !inventory_find(inv, k.dev, k.ino);
		}
		if (drop) {
			if (n == cap) {
				struct dt_inode_key *ns;

				cap = cap ? cap * 2 : 256;
				ns = realloc(stale, cap * sizeof(*ns));
				if (!ns) {
					free(stale);
					return -ENOMEM;
				}
				stale = ns;
			}
			stale[n++] = k;
		}
		prev = &k;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(ifd, &stale[i]);
	free(stale);
	return kstate_fill_inodes(ifd, dfd, inv);
}

int kstate_fill_inodes(int ifd, int dfd, const struct inventory *inv)
{
	struct dt_inode_key k;
	struct dt_inode_val v;
	uint32_t one = 1;

	for (size_t i = 0; i < inv->n_inodes; i++) {
		const struct inv_inode *ii = &inv->inodes[i];

		k = (struct dt_inode_key){ .ino = ii->ino, .dev = ii->dev };
		v = (struct dt_inode_val){
			.dataset = ii->dataset,
			.label = inv->datasets[ii->dataset].label,
			.flags = ii->is_dir ? DT_INODE_DIR : 0,
		};
		if (bpf_map_update_elem(ifd, &k, &v, BPF_ANY))
			return -errno;
		if (bpf_map_update_elem(dfd, &k.dev, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

int kstate_add_agent_file(int ifd, int dfd, const char *path)
{
	struct dt_inode_key k = {};
	struct dt_inode_val v = { .dataset = DT_DATASET_AGENT, .label = DT_LABEL_RESTRICTED };
	uint32_t one = 1;
	struct stat st;

	if (stat(path, &st))
		return -errno;
	k.ino = st.st_ino;
	k.dev = dt_kdev(st.st_dev);
	v.flags = DT_INODE_AGENT | (S_ISDIR(st.st_mode) ? DT_INODE_DIR : 0);
	if (bpf_map_update_elem(ifd, &k, &v, BPF_ANY) || bpf_map_update_elem(dfd, &k.dev, &one,
									 BPF_ANY))
		return -errno;
	return 0;
}

/* Entries per batch: 4096 of the largest map counted (chan, 120 bytes) is under 0.5 MiB. */
#define KSTATE_COUNT_BATCH 4096

int kstate_count(int fd, size_t key_size, size_t value_size, uint64_t *n)
{
	char *keys = calloc(KSTATE_COUNT_BATCH, key_size);
	char *vals = calloc(KSTATE_COUNT_BATCH, value_size);
	uint64_t in = 0, out = 0, total = 0;
	bool first = true, done = false;
	__u32 count;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	/* The batch's position is an opaque bucket index, 32 bits for hash maps. */
	while (!done) {
		count = KSTATE_COUNT_BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL)
			      ? -errno
			      : 0;
		if (err && err != -ENOENT)
			goto out;
		done = err == -ENOENT;
		err = 0;
		total += count;
		in = out;
		first = false;
	}
	*n = total;
out:
	free(keys);
	free(vals);
	return err;
}
