/* SPDX-License-Identifier: GPL-2.0 */
/* records.h - the agent's own trace records, beside the kernel's: what replay needs to re-derive findings. */
#ifndef DT_RECORDS_H
#define DT_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "datatrail_abi.h"
#include "identity.h"
#include "proctab.h"

/*
 * A trace holds every ring buffer record as it came (type = enum dt_event_type) and these
 * (types from 0x100, see trace.h), in the order the agent used them. Replay feeds them to the
 * same pipeline, so a record must carry everything the agent looked up outside the stream:
 * counters read from kernel maps, processes read from the procs map or /proc, paths.
 */
enum dt_rec_type {
	DT_REC_META = 0x100,      /* struct dt_rec_meta: first in every run */
	DT_REC_INVENTORY = 0x101, /* the inventory's JSON text, at start and at each reload */
	DT_REC_FILE = 0x102,      /* struct dt_rec_file, then the path */
	DT_REC_EGRESS = 0x103,    /* struct dt_rec_egress */
	DT_REC_PROC = 0x104,      /* struct proc_info: an answer the process table gave */
	DT_REC_GONE = 0x105,      /* uint32_t tgid: the agent found the process gone */
	DT_REC_STOP = 0x106,      /* the agent stopped: final updates */
	DT_REC_GAP = 0x107,       /* struct dt_rec_gap: a visibility gap was reported */
	DT_REC_SLOTS = 0x108,     /* dataset ids by kernel index, one per line, after each INVENTORY */
	DT_REC_EXES = 0x109,      /* struct dt_rec_exe entries: allowed executables as resolved */
	DT_REC_IDENTITY = 0x10a,  /* struct dt_rec_identity: a process's workload, when resolved */
	DT_REC_NODE = 0x10b,      /* struct dt_rec_node: the node's identity, after META */
	DT_REC_ENFORCE = 0x10c,   /* struct dt_rec_enforce: what the kernel refused, as last read */
	DT_REC_MOUNT = 0x10d,     /* struct dt_rec_mount, then fstype, source, point */
	DT_REC_INSPECT = 0x10e,   /* struct dt_rec_inspect: a process's looks at the agent's objects */
	DT_REC_DEVICE = 0x120,    /* struct dt_rec_device: one step of the device findings */
	DT_REC_DEVPATH = 0x121,   /* uint32_t rdev, then the node's path, NUL-terminated */
};

/*
 * DT_REC_PROC records of traces written before proc_info had exe_dev/exe_ino are this long:
 * replay takes them as processes whose executable is unknown, allowed by no executable list.
 */
#define PROC_INFO_V1_SIZE 560
_Static_assert(offsetof(struct proc_info, exe_dev) <= PROC_INFO_V1_SIZE &&
		       sizeof(struct proc_info) > PROC_INFO_V1_SIZE,
	       "proc_info: the fields before exe_dev are what old traces hold");

struct dt_rec_meta {
	int64_t mono_to_real_ns;
	uint32_t abi_version;
	uint32_t pad;
	char hostname[256];
};

struct dt_rec_file {
	struct dt_acc_key key;
	struct dt_acc_val val;
	uint64_t delta;
	uint64_t dops;
	/* followed by the path, NUL-terminated */
};

/*
 * One allowed executable path and the (device, inode) the agent resolved it to, after each
 * INVENTORY and whenever a re-resolution changed one. A DT_REC_EXES record is a run of these,
 * each followed by its path (len bytes, NUL included); ino 0: not found, allows nothing.
 * Traces without them replay with every executable unresolved: executable lists allow nobody.
 */
struct dt_rec_exe {
	uint64_t ino;
	uint32_t dev;
	uint32_t len;
};

struct dt_rec_egress {
	struct dt_egress_key key;
	struct dt_egress_val val;
};

/*
 * An egress file system the agent found in mountinfo (or found gone): the destination that
 * DT_LINK_MOUNT keys of DT_REC_EGRESS name by s_dev. Followed by three NUL-terminated
 * strings: type, source, mount point.
 */
struct dt_rec_mount {
	uint32_t dev;
	uint32_t kind; /* enum dt_egress_fs_kind */
	uint32_t gone;
	uint32_t pad;
};

struct dt_rec_inspect {
	uint32_t tgid;
	uint32_t pad;
	struct dt_inspect val;
};

struct dt_rec_enforce {
	struct dt_egress_key key;
	struct dt_enf_val val;
};

struct dt_rec_gap {
	uint64_t start_ns;
	uint64_t end_ns;
	uint64_t lost;
	uint64_t seq;
	int32_t cpu;
	uint32_t activity_id; /* 0 from older writers: Create; 2 Update */
	char source[32];
};

struct dt_rec_identity {
	uint32_t pid;
	uint32_t pad;
	struct wl_identity id;
};

_Static_assert(sizeof(struct dt_rec_identity) == 1252, "trace record layout");

struct dt_rec_node {
	char machine_id[64]; /* device.uid, "" unknown */
};

/*
 * The device code (gpu.c) is a state machine fed in steps; live, each step it takes on what
 * the kernel's maps and /proc said is recorded, so that replay takes the same steps.
 */
enum dt_dev_step {
	DT_DSTEP_COUNTER = 1, /* key, val: a counter's totals as read */
	DT_DSTEP_FORGET = 2,  /* key: the counter is gone */
	DT_DSTEP_TAINT = 3,   /* tgid, val.taint: the kernel's taint of the process added this */
	DT_DSTEP_EVAL = 4,    /* tgid: the finding rules ran on the process */
	DT_DSTEP_FINISH = 5,  /* tgid (0: every), key.op 1: forget: the process's findings end */
};

struct dt_rec_device {
	uint32_t step; /* enum dt_dev_step */
	uint32_t tgid;
	struct dt_dev_key key;
	struct dt_dev_val val;
};

_Static_assert(sizeof(struct dt_rec_device) == 128, "trace record layout");

#endif /* DT_RECORDS_H */
