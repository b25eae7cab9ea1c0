/* SPDX-License-Identifier: GPL-2.0 */
/* maps.bpf.h - the maps and configuration shared by every datatrail BPF program. */
#ifndef DT_MAPS_BPF_H
#define DT_MAPS_BPF_H

/*
 * Each map is defined once, in maps.bpf.c, and declared extern everywhere else, so that
 * `bpftool gen object` links the per-family objects onto the same maps.
 */
#ifdef DT_MAPS_DEFINE
#define DT_MAP(name, ...) struct { __VA_ARGS__ } name SEC(".maps")
#else
#define DT_MAP(name, ...) extern struct { __VA_ARGS__ } name SEC(".maps")
#endif

/* Sizes are defaults; the agent resizes inodes to the inventory before load. */
#define DT_INODES_MAX 65536
#define DT_ACC_MAX 65536
#define DT_PROCS_MAX 16384
#define DT_DEVS_MAX 256
#define DT_EVENTS_BYTES (8 << 20)
#define DT_TAINT_MAX 65536
#define DT_CHAN_MAX 65536
#define DT_EGRESS_MAX 16384

/* Classified inodes: the inventory's, and those the kernel classifies below dataset dirs. */
DT_MAP(inodes, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_INODES_MAX);
       __type(key, struct dt_inode_key); __type(value, struct dt_inode_val););

/* Devices holding a classified inode: lets opens elsewhere skip the ancestor walk. */
DT_MAP(devs, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_DEVS_MAX); __type(key, __u32);
       __type(value, __u32););

/*
 * Directories none of whose files has a classified ancestor, with the dt_walk_gen they were
 * found in: an open there skips the ancestor walk. Anything that could give such a directory
 * a classified ancestor (rename, mkdir reusing an inode, a directory classified by a walk, an
 * inventory load) moves dt_walk_gen on, which voids every entry at once.
 */
#define DT_WALKNEG_MAX 16384
DT_MAP(walkneg, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_WALKNEG_MAX);
       __type(key, struct dt_inode_key); __type(value, __u64););

/* Byte counters per (process, inode, way of access). Not LRU: an eviction would lose bytes. */
DT_MAP(acc, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_ACC_MAX);
       __type(key, struct dt_acc_key); __type(value, struct dt_acc_val););

/* Identity of every process seen; LRU since only ancestry and reporting need old entries. */
DT_MAP(procs, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_PROCS_MAX);
       __type(key, __u32); __type(value, struct dt_proc););

/*
 * The cgroup (v2) id of each tracked process, taken when it became tracked: user space names
 * the workload of a process that exited before it could read /proc/PID/cgroup (docs/identity.md).
 */
DT_MAP(proc_cgroup, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_PROCS_MAX);
       __type(key, __u32); __type(value, __u64););

/* Those cgroups' paths, once each: a container that exited took its cgroup directory along. */
DT_MAP(cgpaths, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 2048);
       __type(key, __u64); __type(value, struct dt_cgpath););

/* A dt_cgpath is larger than the BPF stack allows, so it is built here. */
DT_MAP(cgscratch, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
       __type(key, __u32); __type(value, struct dt_cgpath););

DT_MAP(stats, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, __u32);
       __type(value, struct dt_stats););

/* A dt_proc is larger than the BPF stack allows, so it is built here. */
DT_MAP(scratch, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, __u32);
       __type(value, struct dt_proc););

/*
 * A new taint entry is built here (slot DT_TS_PROCESS for processes, DT_TS_CHAN for channels):
 * on the stack it counted against programs at the verifier's limit (before 6.13).
 */
#define DT_TS_PROCESS 0
#define DT_TS_CHAN 1
DT_MAP(taintscratch, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2);
       __type(key, __u32); __type(value, struct dt_taint););

/* A new egress entry is built here, for the same reason (file.bpf.h, dt_egress_add()). */
DT_MAP(egscratch, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
       __type(key, __u32); __type(value, struct dt_egress_val););

DT_MAP(events, __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, DT_EVENTS_BYTES););

/* Taint of each tainted process (thread group); removed when it exits. */
DT_MAP(taint, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_TAINT_MAX); __type(key, __u32);
       __type(value, struct dt_taint););

/*
 * Taint of pipes, sockets and derived files. LRU because nothing tells us when a pipe or
 * socket is gone; a live channel is touched by every tainted write and stays.
 */
DT_MAP(chan, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_CHAN_MAX);
       __type(key, struct dt_chan_key); __type(value, struct dt_taint););

/* Bytes sent by tainted processes, per destination. Not LRU: bytes must not vanish. */
DT_MAP(egress, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_EGRESS_MAX);
       __type(key, struct dt_egress_key); __type(value, struct dt_egress_val););

/*
 * Superblocks (s_dev) whose files leave the node: network, FUSE and removable file systems,
 * with their enum dt_egress_fs_kind. Filled by the agent from mountinfo; read only for the
 * writes of tainted processes to files outside the datasets.
 */
#define DT_EGRESS_FS_MAX 1024
DT_MAP(egress_fs, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_EGRESS_FS_MAX);
       __type(key, __u32); __type(value, __u32););

/* What user space reported of acc and egress counters (see struct dt_shadow). */
DT_MAP(acc_seen, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_ACC_MAX);
       __type(key, struct dt_acc_key); __type(value, struct dt_shadow););
DT_MAP(egress_seen, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_EGRESS_MAX);
       __type(key, struct dt_egress_key); __type(value, struct dt_shadow););

/* Dataset ids by index (see struct dt_dsname). */
DT_MAP(dsnames, __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, DT_TAINT_WORDS * 64);
       __type(key, __u32); __type(value, struct dt_dsname););

/* The agent's own maps, programs and links by kernel id: bpf() on them is tampering. */
#define DT_AGENTOBJ_MAX 256
DT_MAP(agentobj, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_AGENTOBJ_MAX);
       __type(key, struct dt_obj_key); __type(value, struct dt_obj_val););

/*
 * Read-only looks at those objects, per process (struct dt_inspect). LRU: an evicted entry
 * loses an informational record, never taint; the agent empties it every flush.
 */
DT_MAP(inspect, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_INSPECT_MAX);
       __type(key, __u32); __type(value, struct dt_inspect););

/*
 * Shared memory mappings (bpf/chan.bpf.c). shm_held: the regions each process holds, one slot
 * per region with its mapping count (munmap and shmdt drop one, exec and exit all). Here, not
 * there, because taint.bpf.h looks a process up when its taint changes. Not preallocated: a
 * process pays its slots (about 4 KiB) only while it holds a shared mapping.
 */
#define DT_SHM_PER_PROC 240
#define DT_SHM_PROCS_MAX 65536
#define DT_SHM_PENDING 16
#define DT_SHM_W 0x80000000U /* dt_shm_slot.state: mapped writable; the low bits count mappings */

struct dt_shm_slot {
	__u64 ino; /* 0: free */
	__u32 dev;
	__u32 state;
};

struct dt_shm_held {
	__u32 n;    /* slots ever used: loops stop here (freed ones are reused first) */
	__u32 lost; /* mappings not remembered (every slot taken), not yet counted in dt_shm_full */
	__u64 pad;
	struct dt_shm_slot slot[DT_SHM_PER_PROC];
};

DT_MAP(shm_held, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_SHM_PROCS_MAX);
       __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, __u32); __type(value, struct dt_shm_held););

/*
 * The holders of each region (DT_SHM_MAPPERS processes), removed with their holding, the entry
 * with its last holder. A hash, not LRU: an evicted region would stop passing taint unseen.
 */
#define DT_SHM_MAPPERS 16
#define DT_SHM_REGIONS_MAX 65536

struct dt_shm_mappers {
	__u32 tgid[DT_SHM_MAPPERS];
	__u32 lost; /* holders not remembered, not yet counted in dt_shm_full */
};

DT_MAP(shm_mappers, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_SHM_REGIONS_MAX);
       __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, struct dt_inode_key);
       __type(value, struct dt_shm_mappers););

/*
 * The region a thread's munmap or shmdt in flight unmaps whole, found at entry (the mapping
 * is gone at exit), dropped at exit if the call succeeded. LRU: an entry left by a thread
 * that died in the call only keeps a holding (more taint, never less).
 */
DT_MAP(shm_unmap, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4096);
       __type(key, __u64); __type(value, struct dt_inode_key););

#ifndef DT_MAPS_DEFINE
extern const volatile struct dt_config dt_cfg;
/* Mappings not remembered (a table full): the agent reports them as shm_table_full. */
extern __u64 dt_shm_full;
/* Tainted processes that made an ia32 call not followed (ia32.bpf.c): ia32_syscall gaps. */
extern __u64 dt_ia32_gap;
/*
 * Processes holding shared mappings whose taint changed and is not passed on to the other
 * holders yet (taint.bpf.h notes them, chan.bpf.c's dt_shm_drain() passes it), and how many.
 */
extern __u32 dt_shm_pending[DT_SHM_PENDING];
extern __u32 dt_shm_npending;
/*
 * Channels ever tainted (inserts into chan, from the entries a pinned map held at start):
 * while 0, reads skip the channel lookup entirely; inserts less entries is what the LRU
 * evicted, which the agent reports as chan_table_full.
 */
extern __u64 dt_chan_count;
/* Channel inserts the map refused, and derived files not remembered (inodes full). */
extern __u64 dt_chan_fail;
extern __u64 dt_derived_full;
extern __u64 dt_walk_gen;
#endif

/* GPU and kernel-bypass devices (bpf/gpu.bpf.c, docs/gpu.md) */
#define DT_GPU_DEVS_MAX 1024
#define DT_GPU_ACC_MAX 16384
#define DT_GPU_PROCS_MAX 4096

/* Device number (kernel encoding; minor DT_DEV_ANY_MINOR: the whole major) -> enum dt_dev_kind. */
DT_MAP(gpu_devs, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_GPU_DEVS_MAX);
       __type(key, __u32); __type(value, __u32););

/* Operations per (process, device, class). Not LRU: counts must not vanish. */
DT_MAP(gpu_acc, __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, DT_GPU_ACC_MAX);
       __type(key, struct dt_dev_key); __type(value, struct dt_dev_val););

/* Processes that drove an RDMA device: only their write() calls are decoded. */
DT_MAP(gpu_procs, __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, DT_GPU_PROCS_MAX);
       __type(key, __u32); __type(value, __u32););

/* A new gpu_acc entry is built here: on the stack it took write()'s program past 512 bytes before 6.13. */
DT_MAP(gpuwork, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
       __type(key, __u32); __type(value, struct dt_dev_val););

/*
 * The taint a copy's source passes to its caller (sendfile, splice, tee, io_uring SPLICE and
 * TEE) is built here: on the stack it took those programs past 512 bytes before 6.13.
 */
struct dt_send_work {
	struct dt_chan_key ck;
	struct dt_taint t;
};

DT_MAP(sendwork, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
       __type(key, __u32); __type(value, struct dt_send_work););

DT_MAP(gpu_stats, __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
       __type(key, __u32); __type(value, struct dt_gpu_stats););

#endif /* DT_MAPS_BPF_H */
