/* SPDX-License-Identifier: GPL-2.0 */
/* kstate.h - kernel state that outlives the agent: pinned maps, dataset slots, the inode map. */
#ifndef DT_KSTATE_H
#define DT_KSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "errbuf.h"
#include "inventory.h"

/*
 * Before load: pins the state maps (taint, channels, counters, processes, classified inodes,
 * dataset slots) under @dir, reusing what a previous agent left there. A pin that does not
 * fit this build (another ABI, a smaller inode map than @inodes_wanted) is removed, with a
 * message, and its state is lost. 0 or -errno with a message in @err.
 */
int kstate_pin(struct bpf_object *obj, const char *dir, size_t inodes_wanted, struct errbuf *err);

/* Removes every pin under @dir and @dir itself (`datatrail cleanup`). */
int kstate_cleanup(const char *dir, struct errbuf *err);

/*
 * After load: gives @inv's datasets the indexes the pinned dataset slots already use (new
 * datasets take free slots) and writes the slots back. -ENOSPC past DT_TAINT_WORDS*64 slots.
 */
int kstate_align(int dsnames_fd, struct inventory *inv, struct errbuf *err);

/*
 * Makes the inode map say what @inv says: its entries in, entries of datasets it no longer
 * has out; files the kernel classified or derived since stay unless their dataset retired.
 * Entries of the agent's own files are dropped too, for kstate_add_agent_file() to renew.
 */
int kstate_sync_inodes(int inodes_fd, int devs_fd, const struct inventory *inv);

/*
 * Writes @inv's entries into the inode map, over whatever is there, and their devices into
 * devs; touches nothing else. The second half of kstate_sync_inodes().
 */
int kstate_fill_inodes(int inodes_fd, int devs_fd, const struct inventory *inv);

/* Marks @path (and, for a directory, what is created below it) as the agent's own. */
int kstate_add_agent_file(int inodes_fd, int devs_fd, const char *path);

/*
 * The entries of hash map @fd (@key_size, @value_size bytes each) into *@n, by batches of
 * lookups (one walk of the map; the kernel copies every entry out). 0 or -errno.
 */
int kstate_count(int fd, size_t key_size, size_t value_size, uint64_t *n);

#endif /* DT_KSTATE_H */
