/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* datatrail_abi.h - the ABI between the BPF programs and the agent: events and map layouts. */
#ifndef DATATRAIL_ABI_H
#define DATATRAIL_ABI_H

/*
 * Included by both sides: BPF code gets the __u* types from vmlinux.h, user space from
 * <linux/types.h>. Every struct here is fixed-width, padded by hand with fields that the
 * producer zeroes, and size-checked below so that a change on one side cannot go unnoticed
 * (tests/unit/test_abi.c also compares the layouts against the BPF object's BTF).
 */
#ifndef __bpf__
#include <linux/types.h>
#endif

#define DT_ABI_VERSION 1

#define DT_COMM_LEN 16
#define DT_EXE_LEN 256
#define DT_ARGS_LEN 256
#define DT_NAME_LEN 64
#define DT_CLASSIFY_DEPTH 8

enum dt_event_type {
	DT_EV_FILE_ACCESS = 1, /* first access of a process to a classified inode */
	DT_EV_PROC_EXEC = 2,   /* a tracked process called execve */
	DT_EV_PROC_EXIT = 3,   /* a tracked process (thread group) exited */
	DT_EV_CLASSIFY = 4,    /* the kernel classified an inode created below a dataset directory */
};

/* One bit per way of reading; an aggregate key holds exactly one of them. */
enum dt_access {
	DT_ACC_READ = 1,
	DT_ACC_MMAP = 2,
	DT_ACC_SENDFILE = 4,
	DT_ACC_SPLICE = 8,
	DT_ACC_COPY_FILE_RANGE = 16,
	DT_ACC_IO_URING = 32,
};

enum dt_label {
	DT_LABEL_NONE = 0,
	DT_LABEL_PUBLIC = 1,
	DT_LABEL_INTERNAL = 2,
	DT_LABEL_CONFIDENTIAL = 3,
	DT_LABEL_RESTRICTED = 4,
};

enum dt_inode_flags {
	DT_INODE_DIR = 1,     /* a directory: classifies what is created below it */
	DT_INODE_CREATED = 2, /* classified by the kernel after the agent started */
};

enum dt_proc_flags {
	DT_PROC_TRACKED = 1, /* touched classified data: its exec and exit are reported */
	DT_PROC_EXECED = 2,  /* exe and args were taken at an exec the agent saw */
};

/* Common header of every ring buffer record. */
struct dt_event_hdr {
	__u16 type; /* enum dt_event_type */
	__u16 size; /* whole record, header included */
	__u32 cpu;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 seq;   /* per-CPU sequence number: a gap means lost records */
};

/* Key of the classified-inode map; dev uses the kernel's encoding (major << 20 | minor). */
struct dt_inode_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct dt_inode_val {
	__u32 dataset; /* index into the inventory's datasets */
	__u8 label;    /* enum dt_label */
	__u8 flags;    /* enum dt_inode_flags */
	__u16 pad;
};

/* Per-(process, inode, way of access) byte counter, the only per-syscall work on classified reads. */
struct dt_acc_key {
	__u32 tgid;
	__u32 dev;
	__u64 ino;
	__u32 access; /* one enum dt_access bit */
	__u32 pad;
};

struct dt_acc_val {
	__u64 bytes;
	__u64 ops;
	__u64 first_ns;
	__u64 last_ns;
	__u32 dataset;
	__u32 uid;
};

/* What the kernel remembers of every process, so that ancestry survives the ancestors' exit. */
struct dt_proc {
	__u32 tgid;
	__u32 ppid;
	__u32 uid;
	__u32 flags; /* enum dt_proc_flags */
	__u64 start_ns;
	char comm[DT_COMM_LEN];
	char exe[DT_EXE_LEN];   /* path as given to execve */
	char args[DT_ARGS_LEN]; /* argv, NUL-separated, truncated */
	__u32 args_len;
	__u32 pad;
};

struct dt_ev_file_access {
	struct dt_event_hdr hdr;
	struct dt_acc_key key;
	__u32 tid;
	__u32 uid;
	__u32 dataset;
	__u8 label;
	__u8 pad[3];
	__u64 bytes; /* of the first operation */
};

struct dt_ev_proc_exec {
	struct dt_event_hdr hdr;
	struct dt_proc proc;
};

struct dt_ev_proc_exit {
	struct dt_event_hdr hdr;
	__u32 tgid;
	__u32 exit_code;
};

/* names[0] is the new inode's own name, names[depth - 1] the child of the classified ancestor. */
struct dt_ev_classify {
	struct dt_event_hdr hdr;
	__u64 ino;
	__u64 anc_ino;
	__u32 dev;
	__u32 dataset;
	__u32 depth;
	__u8 label;
	__u8 pad[3];
	char names[DT_CLASSIFY_DEPTH][DT_NAME_LEN];
};

/* Per-CPU counters (one slot of a per-CPU array). */
struct dt_stats {
	__u64 seq;        /* next sequence number on this CPU */
	__u64 emitted;    /* records committed to the ring buffer */
	__u64 dropped;    /* records lost: ring buffer full */
	__u64 acc_full;   /* reads not counted: aggregate map full */
	__u64 inode_full; /* created files not classified: inode map full */
	__u64 proc_full;  /* processes not remembered: proc map full */
};

/* Read-only configuration, set by the agent before load. */
struct dt_config {
	__u32 agent_tgid; /* the agent's own reads are not reported */
	__u32 pad;
};

#define DT_STATIC_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " size changed")
DT_STATIC_SIZE(struct dt_event_hdr, 24);
DT_STATIC_SIZE(struct dt_inode_key, 16);
DT_STATIC_SIZE(struct dt_inode_val, 8);
DT_STATIC_SIZE(struct dt_acc_key, 24);
DT_STATIC_SIZE(struct dt_acc_val, 40);
DT_STATIC_SIZE(struct dt_proc, 560);
DT_STATIC_SIZE(struct dt_ev_file_access, 72);
DT_STATIC_SIZE(struct dt_ev_proc_exec, 584);
DT_STATIC_SIZE(struct dt_ev_proc_exit, 32);
DT_STATIC_SIZE(struct dt_ev_classify, 568);
DT_STATIC_SIZE(struct dt_stats, 48);
DT_STATIC_SIZE(struct dt_config, 8);

#endif /* DATATRAIL_ABI_H */
