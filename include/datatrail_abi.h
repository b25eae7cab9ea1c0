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
#define DT_PATH_DEPTH 16     /* components of a path the kernel walks up to the root */
#define DT_PATH_NAME_LEN 48
#define DT_TAINT_WORDS 4     /* dataset bitmap: 256 bits */
#define DT_TAINT_OVERFLOW 255 /* the bit that stands for every dataset index >= 255 */

enum dt_event_type {
	DT_EV_FILE_ACCESS = 1, /* first access of a process to a classified inode */
	DT_EV_PROC_EXEC = 2,   /* a tracked process called execve */
	DT_EV_PROC_EXIT = 3,   /* a tracked process (thread group) exited */
	DT_EV_CLASSIFY = 4,    /* the kernel classified an inode created below a dataset directory */
	DT_EV_TAINT = 5,       /* a process became tainted, or tainted by more datasets */
	DT_EV_EGRESS = 6,      /* a tainted process first sent to a destination */
	DT_EV_DERIVED = 7,     /* a tainted process wrote a file outside the datasets */
	/* 8: DT_EV_DEVICE, see the GPU section below */
	DT_EV_AGENT = 9,       /* another process signalled the agent or opened its pinned maps */
};

/* One bit per way of reading; an aggregate key holds exactly one of them. */
enum dt_access {
	DT_ACC_READ = 1,
	DT_ACC_MMAP = 2,
	DT_ACC_SENDFILE = 4,
	DT_ACC_SPLICE = 8,
	DT_ACC_COPY_FILE_RANGE = 16,
	DT_ACC_IO_URING = 32,
	/* Modifications: what dataset_tamper is made of. */
	DT_ACC_WRITE = 64,
	DT_ACC_TRUNCATE = 128,
	DT_ACC_ATTR = 256, /* chmod, chown, utimes, xattrs */
	DT_ACC_RENAME = 512,
	DT_ACC_UNLINK = 1024,
	DT_ACC_LINK = 2048,
	DT_ACC_CREATE = 4096, /* an entry created in a dataset directory */
	DT_ACC_MODIFY = 8192, /* changed by a syscall not listed above */
};

#define DT_ACC_READS                                                                               \
	(DT_ACC_READ | DT_ACC_MMAP | DT_ACC_SENDFILE | DT_ACC_SPLICE | DT_ACC_COPY_FILE_RANGE |    \
	 DT_ACC_IO_URING | DT_ACC_GDS)

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
	DT_INODE_DERIVED = 4, /* written by a tainted process: carries that taint, not a dataset's */
	DT_INODE_AGENT = 8,   /* the agent's own config, inventory or trace: changes are tampering */
};

/* The dataset index of the agent's own files (DT_INODE_AGENT): no dataset of the inventory. */
#define DT_DATASET_AGENT 0xffffffffu

/* How taint reached a process or channel: the hops `replay --explain` shows. */
enum dt_hop {
	DT_HOP_READ = 1, /* read a classified or derived file */
	DT_HOP_FORK = 2, /* inherited from the parent */
	DT_HOP_PIPE = 3, /* pipe or FIFO */
	DT_HOP_UNIX = 4, /* UNIX socket or socketpair */
	DT_HOP_INET = 5, /* TCP or UDP over loopback */
	DT_HOP_REMOTE = 6, /* a flow from another node, by its advisory (user/fleet.c) */
	/* Values 10+: bpf/chan.bpf.c (memory channels). */
	DT_HOP_PROCMEM = 10, /* process_vm_readv/writev, ptrace peeks and pokes, /proc/PID/mem */
	DT_HOP_SHM = 11,     /* a shared memory mapping held with a tainted writer */
};

enum dt_chan_kind {
	DT_CHAN_PIPE = 1, /* keyed by the pipe's inode */
	DT_CHAN_UNIX = 2, /* keyed by the receiving socket */
	DT_CHAN_TCP = 3,  /* keyed by the receiver's 4-tuple and network namespace */
	DT_CHAN_UDP = 4,  /* keyed by the receiver's port and network namespace */
	DT_CHAN_FILE = 5, /* a derived file, keyed by its inode */
	DT_CHAN_SHM = 10, /* a shared memory region (shmem inode of the mapping), by (dev, ino) */
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
	__u8 iflags; /* the inode's enum dt_inode_flags */
	__u8 pad[7];
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
	/*
	 * The file the process runs, as the kernel opened it at exec (bprm->file), inherited at
	 * fork: what allowed_readers/allowed_writers executables are compared with, never the
	 * path string. 0/0: unknown (a kernel thread, a process the map never saw run).
	 */
	__u64 exe_ino;
	__u32 exe_dev; /* the kernel's encoding, like dt_inode_key.dev */
	__u32 pad2;
};

struct dt_ev_file_access {
	struct dt_event_hdr hdr;
	struct dt_acc_key key;
	__u32 tid;
	__u32 uid;
	__u32 dataset;
	__u8 label;
	__u8 iflags; /* the inode's enum dt_inode_flags */
	__u8 pad[2];
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

/* Which datasets' bytes a process or channel carries. */
struct dt_taint {
	__u64 ds[DT_TAINT_WORDS]; /* bit i: dataset i */
	__u64 bytes;              /* classified bytes read, or tainted bytes received */
	__u64 first_ns;
	__u32 primary; /* the dataset with the highest label */
	__u32 src_pid; /* who passed it on: parent, channel writer; 0 for a direct read */
	__u8 label;    /* highest enum dt_label */
	__u8 hop;      /* enum dt_hop of the first tainting */
	__u8 pad[6];
};

/* A channel that carries taint from writers to readers. Addresses are IPv6 or v4-mapped. */
struct dt_chan_key {
	__u8 kind; /* enum dt_chan_kind */
	__u8 pad0;
	__u16 lport; /* receiver's port, host order */
	__u16 rport; /* sender's port (TCP only) */
	__u16 pad1;
	__u32 ns;   /* network namespace inode (TCP, UDP) or device (PIPE, FILE) */
	__u32 pad2;
	__u64 id;   /* inode (PIPE, FILE) or the receiving struct sock (UNIX) */
	__u8 laddr[16]; /* receiver's address (TCP) */
	__u8 raddr[16]; /* sender's address (TCP) */
};

/*
 * The layer a tainted process sent through. DT_LINK_SOCKET (0) is the TCP/UDP socket layer;
 * the others bypass it (bpf/chan.bpf.c) and are named by the interface: addr[0..3] holds the
 * ifindex (0: unknown), addr[4..7] the inode of the network namespace it lives in.
 */
enum dt_link {
	DT_LINK_SOCKET = 0,
	DT_LINK_PACKET = 1, /* AF_PACKET; proto: SOCK_RAW or SOCK_DGRAM, port: the ethertype */
	DT_LINK_RAW = 2,    /* AF_INET(6) other than TCP/UDP: raw IP, ICMP; addr is the address */
	DT_LINK_XDP = 3,    /* AF_XDP: frames go from the umem, bytes unknown (0) */
	DT_LINK_TUN = 4,    /* a write to a TUN/TAP device (/dev/net/tun) */
	/* Files that leave the node (bpf/file.bpf.h): no interface; port and proto 0. */
	DT_LINK_MOUNT = 5,    /* a file on a file system in egress_fs: addr[0..3] its s_dev */
	DT_LINK_BLOCKDEV = 6, /* a block device in egress_fs written directly: addr[0..3] its rdev */
};

/* Bytes a tainted process sent to one destination. */
struct dt_egress_key {
	__u32 tgid;
	__u16 port; /* host order */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP (DT_LINK_SOCKET), see enum dt_link */
	__u8 link;  /* enum dt_link; 0 where older producers zeroed the padding */
	__u8 addr[16]; /* IPv6 or v4-mapped; ifindex and netns for interface links */
};

/*
 * Why the agent put a device number into egress_fs (its value): the destination's kind. A
 * block device's number is also the s_dev of a file system mounted from it.
 */
enum dt_egress_fs_kind {
	DT_EGRESS_FS_NET = 1,       /* nfs, cifs, ceph, lustre...: bytes go over the network */
	DT_EGRESS_FS_FUSE = 2,      /* fuse.*: a user-space server decides where bytes go */
	DT_EGRESS_FS_REMOVABLE = 3, /* a block device that can leave the node */
};

struct dt_egress_val {
	__u64 bytes;
	__u64 ops;
	__u64 first_ns;
	__u64 last_ns;
	struct dt_taint taint; /* the sender's taint, merged at each send */
	__u32 uid;
	__u32 pad;
};

struct dt_ev_taint {
	struct dt_event_hdr hdr;
	__u32 tgid;
	__u32 pad;
	__u64 src_id; /* inode or channel the taint came through */
	struct dt_taint taint;
};

struct dt_ev_egress {
	struct dt_event_hdr hdr;
	struct dt_egress_key key;
};

/* names[0] is the file's own name; the path is "/" names[depth-1] ... "/" names[0]. */
struct dt_ev_derived {
	struct dt_event_hdr hdr;
	__u32 tgid;
	__u32 dev;
	__u64 ino;
	struct dt_taint taint;
	__u32 depth;
	__u32 truncated; /* the walk stopped before the root */
	char names[DT_PATH_DEPTH][DT_PATH_NAME_LEN];
};

/* Per-CPU counters (one slot of a per-CPU array). */
struct dt_stats {
	__u64 seq;        /* next sequence number on this CPU */
	__u64 emitted;    /* records committed to the ring buffer */
	__u64 dropped;    /* records lost: ring buffer full */
	__u64 acc_full;   /* reads not counted: aggregate map full */
	__u64 inode_full; /* created files not classified: inode map full */
	__u64 proc_full;  /* processes not remembered: proc map full */
	__u64 taint_full; /* processes not tainted: taint map full */
	__u64 egress_full; /* sends not counted: egress map full */
};

/* Read-only configuration, set by the agent before load. */
struct dt_config {
	__u32 agent_tgid; /* the agent's own reads are not reported */
	__u32 pad;
	char pin_dir[64]; /* where the agent pins its maps; opening them is tampering */
};

/* What user space has reported of a counter: pinned, so a restarted agent does not repeat it. */
struct dt_shadow {
	__u64 bytes;
	__u64 ops;
};

/*
 * The last DT_CG_DEPTH components of a cgroup (v2) path, leaf first, taken when a process of it
 * became tracked: user space names the workload of a process whose cgroup is gone since.
 */
#define DT_CG_DEPTH 8
#define DT_CG_NAME 96

struct dt_cgpath {
	__u32 depth;	 /* components in names[], leaf first */
	__u32 truncated; /* 1: the path has more components above names[depth - 1] */
	char names[DT_CG_DEPTH][DT_CG_NAME];
};

/* Dataset ids by index, pinned: kernel state keeps meaning across reloads and restarts. */
struct dt_dsname {
	char id[64];
};

enum dt_agent_access {
	DT_AGENT_SIGNAL = 1,  /* another process signalled the agent */
	DT_AGENT_PIN_OPEN = 2, /* another process opened one of the agent's pinned maps */
	DT_AGENT_BPF_OBJ = 3, /* another process used bpf() on one of the agent's maps, programs or links */
	DT_AGENT_MAP_MMAP = 4, /* another process mapped one of the agent's maps shared and writable */
};

/* bpf() commands agent.bpf.c watches, by their uapi numbers (enum bpf_cmd). */
enum dt_bpf_cmd {
	DT_BPF_MAP_UPDATE_ELEM = 2,
	DT_BPF_MAP_DELETE_ELEM = 3,
	DT_BPF_OBJ_GET = 7,
	DT_BPF_PROG_DETACH = 9,
	DT_BPF_PROG_TEST_RUN = 10,
	DT_BPF_PROG_GET_FD_BY_ID = 13,
	DT_BPF_MAP_GET_FD_BY_ID = 14,
	DT_BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21,
	DT_BPF_MAP_FREEZE = 22,
	DT_BPF_MAP_LOOKUP_AND_DELETE_BATCH = 25,
	DT_BPF_MAP_UPDATE_BATCH = 26,
	DT_BPF_MAP_DELETE_BATCH = 27,
	DT_BPF_LINK_UPDATE = 29,
	DT_BPF_LINK_GET_FD_BY_ID = 30,
	DT_BPF_LINK_DETACH = 34,
};

/* The agent's own BPF objects by kernel id (map agentobj), filled by the agent after attach. */
enum dt_obj_type {
	DT_OBJ_PROG = 1,
	DT_OBJ_MAP = 2,
	DT_OBJ_LINK = 3,
};

struct dt_obj_key {
	__u32 type; /* enum dt_obj_type */
	__u32 id;
};

struct dt_obj_val {
	char name[64]; /* how findings name it: "map 'taint' (id 42)" */
};

/* What a process did to look at the agent's objects (struct dt_inspect.ops, bits). */
enum dt_inspect_op {
	DT_INSPECT_MAP = 1,  /* BPF_MAP_GET_FD_BY_ID */
	DT_INSPECT_PROG = 2, /* BPF_PROG_GET_FD_BY_ID */
	DT_INSPECT_LINK = 4, /* BPF_LINK_GET_FD_BY_ID */
	DT_INSPECT_PIN = 8,  /* BPF_OBJ_GET of a pinned map with BPF_F_RDONLY */
};

/* BPF_OBJ_GET's file_flags: a read-only fd, which the kernel refuses to write through. */
#define DT_BPF_F_RDONLY (1U << 3)
#define DT_BPF_F_WRONLY (1U << 4)

/*
 * Map inspect, by tgid: another process looking at the agent's objects (`bpftool map show`
 * opens every map by id). No ring buffer record: the kernel counts, and user space reports
 * each process once its minute is over or it is gone (one agent_inspect finding).
 */
#define DT_INSPECT_MAX 1024 /* processes; user space reads them all each flush */

struct dt_inspect {
	__u64 first_ns;
	__u64 last_ns;
	__u32 uid;
	__u32 objects; /* objects opened */
	__u32 ops;     /* enum dt_inspect_op bits */
	__u32 pad;
	char comm[DT_COMM_LEN];
	char first[64]; /* the first object: its dt_obj_val.name, or the pinned path */
};

/* DT_EV_AGENT: something another process did to the agent itself. */
struct dt_ev_agent {
	struct dt_event_hdr hdr;
	__u32 tgid; /* who */
	__u32 uid;
	__u32 kind; /* enum dt_agent_access */
	__s32 sig; /* DT_AGENT_SIGNAL: the signal; DT_AGENT_BPF_OBJ: the bpf() command */
	char comm[DT_COMM_LEN];
	char path[64]; /* DT_AGENT_PIN_OPEN: the pinned path; DT_AGENT_BPF_OBJ: dt_obj_val.name */
};

#define DT_STATIC_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " size changed")
DT_STATIC_SIZE(struct dt_event_hdr, 24);
DT_STATIC_SIZE(struct dt_inode_key, 16);
DT_STATIC_SIZE(struct dt_inode_val, 8);
DT_STATIC_SIZE(struct dt_acc_key, 24);
DT_STATIC_SIZE(struct dt_acc_val, 48);
DT_STATIC_SIZE(struct dt_proc, 576);
DT_STATIC_SIZE(struct dt_ev_file_access, 72);
DT_STATIC_SIZE(struct dt_ev_proc_exec, 600);
DT_STATIC_SIZE(struct dt_ev_proc_exit, 32);
DT_STATIC_SIZE(struct dt_ev_classify, 568);
DT_STATIC_SIZE(struct dt_taint, 64);
DT_STATIC_SIZE(struct dt_chan_key, 56);
DT_STATIC_SIZE(struct dt_egress_key, 24);
DT_STATIC_SIZE(struct dt_egress_val, 104);
DT_STATIC_SIZE(struct dt_ev_taint, 104);
DT_STATIC_SIZE(struct dt_ev_egress, 48);
DT_STATIC_SIZE(struct dt_ev_derived, 880);
DT_STATIC_SIZE(struct dt_stats, 64);
DT_STATIC_SIZE(struct dt_config, 72);
DT_STATIC_SIZE(struct dt_shadow, 16);
DT_STATIC_SIZE(struct dt_dsname, 64);
DT_STATIC_SIZE(struct dt_obj_key, 8);
DT_STATIC_SIZE(struct dt_obj_val, 64);
DT_STATIC_SIZE(struct dt_inspect, 112);
DT_STATIC_SIZE(struct dt_cgpath, 776);
DT_STATIC_SIZE(struct dt_ev_agent, 120);

/* GPU and kernel-bypass devices */

/*
 * Device nodes through which data reaches accelerators without going through a file or a
 * socket. The kernel knows them by device number only (gpu_devs map); user space fills the
 * table from built-in majors, /proc/devices and the configuration file. See docs/gpu.md.
 */
enum dt_dev_kind {
	DT_DEV_NVIDIA = 1,      /* /dev/nvidiactl, /dev/nvidiaN, /dev/nvidia-modeset (major 195) */
	DT_DEV_NVIDIA_UVM = 2,  /* /dev/nvidia-uvm, /dev/nvidia-uvm-tools */
	DT_DEV_NVIDIA_CAPS = 3, /* /dev/nvidia-caps/nvidia-capN (MIG capabilities) */
	DT_DEV_AMDKFD = 4,      /* /dev/kfd */
	DT_DEV_DRM = 5,         /* /dev/dri/renderDN, /dev/dri/cardN (major 226) */
	DT_DEV_RDMA = 6,        /* /dev/infiniband/uverbsN (major 231) */
	DT_DEV_NVIDIA_FS = 7,   /* /dev/nvidia-fsN: GPUDirect Storage */
};

/* Event type 8 (enum dt_event_type continues here, so that this section stays in one place). */
enum dt_event_type_gpu {
	DT_EV_DEVICE = 8, /* first operation of a process on a device of one kind and class */
};

/* A gpu_devs key whose minor is this stands for every minor of its major. */
#define DT_DEV_ANY_MINOR 0xfffff

/*
 * What a process did with a device: one value per aggregate key. Ioctls are decoded by the
 * tables in bpf/gpu.bpf.h (shared with user space); docs/gpu.md gives their sources.
 */
enum dt_dev_op {
	DT_DOP_OPEN = 1,
	DT_DOP_MMAP = 2,  /* bytes: the length asked for */
	DT_DOP_IOCTL = 3, /* an ioctl the tables do not name */
	/* NVIDIA resource manager escapes on nvidiactl / nvidiaN */
	DT_DOP_NV_ALLOC = 10,   /* RM_ALLOC, RM_ALLOC_MEMORY, RM_ALLOC_OBJECT, RM_VID_HEAP_CONTROL */
	DT_DOP_NV_FREE = 11,    /* RM_FREE */
	DT_DOP_NV_CONTROL = 12, /* RM_CONTROL, except exports and imports */
	DT_DOP_NV_MAP = 13,     /* RM_MAP_MEMORY: GPU memory into the CPU's address space */
	DT_DOP_NV_MAP_DMA = 14, /* RM_MAP_MEMORY_DMA: memory into a GPU address space */
	DT_DOP_NV_UNMAP = 15,   /* RM_UNMAP_MEMORY, RM_UNMAP_MEMORY_DMA */
	DT_DOP_NV_EXPORT = 16,  /* to a dma-buf or an fd another process can import */
	DT_DOP_NV_IMPORT = 17,  /* from an fd, or a duplicate of another client's object */
	/* nvidia-uvm */
	DT_DOP_UVM_INIT = 20,
	DT_DOP_UVM_MIGRATE = 21,      /* MIGRATE, MIGRATE_RANGE_GROUP, POPULATE_PAGEABLE */
	DT_DOP_UVM_MAP_EXTERNAL = 22, /* MAP_EXTERNAL_ALLOCATION, MAP_EXTERNAL_SPARSE, ALLOC_DEVICE_P2P */
	DT_DOP_UVM_MEM_MAP = 23,      /* MEM_MAP */
	DT_DOP_UVM_FREE = 24,
	DT_DOP_UVM_READ_PROC = 25,    /* TOOLS_READ_PROCESS_MEMORY */
	DT_DOP_UVM_WRITE_PROC = 26,   /* TOOLS_WRITE_PROCESS_MEMORY */
	DT_DOP_UVM_TOOLS = 27,        /* TOOLS_INIT_EVENT_TRACKER(_V2): a tools session on a va space */
	/* AMD KFD */
	DT_DOP_KFD_ALLOC = 30,
	DT_DOP_KFD_FREE = 31,
	DT_DOP_KFD_MAP = 32,
	DT_DOP_KFD_IMPORT = 33, /* IMPORT_DMABUF */
	DT_DOP_KFD_EXPORT = 34, /* EXPORT_DMABUF */
	DT_DOP_KFD_SVM = 35,
	DT_DOP_KFD_CRIU = 36,   /* checkpoint/restore: copies queues and memory out */
	DT_DOP_KFD_QUEUE = 37,  /* CREATE_QUEUE */
	DT_DOP_KFD_DEBUG = 38,  /* DBG_TRAP: a debugger on another process's GPU */
	/* DRM */
	DT_DOP_DRM_EXPORT = 40, /* PRIME_HANDLE_TO_FD: a buffer out as a dma-buf */
	DT_DOP_DRM_IMPORT = 41, /* PRIME_FD_TO_HANDLE */
	DT_DOP_DRM_DRIVER = 42, /* a driver's own command (allocation, submission, ...) */
	/* RDMA verbs, ioctl and write() ABIs */
	DT_DOP_RDMA_REG_MR = 50,    /* memory the NIC may read and write on its own */
	DT_DOP_RDMA_CREATE_QP = 51,
	DT_DOP_RDMA_POST_SEND = 52, /* only providers that post through the kernel */
	DT_DOP_RDMA_VERBS = 53,     /* any other verbs command */
	/* GPUDirect Storage (nvidia-fs) */
	DT_DOP_GDS_READ = 60,  /* file -> GPU; bytes: the size asked for */
	DT_DOP_GDS_WRITE = 61, /* GPU -> file */
	DT_DOP_GDS_MAP = 62,
	DT_DOP_GDS_BATCH = 63,
};

/* A classified file read by GPUDirect Storage (nvidia-fs READ ioctl): a read, not a syscall. */
enum dt_access_gpu {
	DT_ACC_GDS = 16384,
};

/* Per-(process, device, operation) counter: the gpu_acc map. */
struct dt_dev_key {
	__u32 tgid;
	__u32 rdev; /* the node's device number, kernel encoding */
	__u16 kind; /* enum dt_dev_kind */
	__u16 op;   /* enum dt_dev_op */
	__u32 pad;
};

struct dt_dev_val {
	__u64 bytes;
	__u64 ops;
	__u64 first_ns;
	__u64 last_ns;
	struct dt_taint taint; /* the process's datasets and label, merged at each operation */
	__u32 uid;
	__u32 last_cmd; /* raw ioctl cmd of the latest operation, 0 for open and mmap */
};

/* The first operation of a process on a device of one kind and class. */
struct dt_ev_device {
	struct dt_event_hdr hdr;
	struct dt_dev_key key;
	__u32 tid;
	__u32 uid;
	__u64 bytes;
	__u32 cmd; /* the raw ioctl cmd, 0 for open and mmap */
	__u32 sub; /* NVIDIA: escape inside XFER << 16 | low 16 bits of the RM control cmd;
		    * RDMA: object << 16 | method (ioctl), command (write) */
};

/* Per-CPU losses of the device hooks (one slot of gpu_stats). */
struct dt_gpu_stats {
	__u64 acc_full;   /* device operations not counted: gpu_acc full */
	__u64 read_fault; /* ioctl arguments that could not be read */
};

DT_STATIC_SIZE(struct dt_dev_key, 16);
DT_STATIC_SIZE(struct dt_dev_val, 104);
DT_STATIC_SIZE(struct dt_ev_device, 64);
DT_STATIC_SIZE(struct dt_gpu_stats, 16);

/* In-kernel enforcement of allowed_egress (bpf/enforce.bpf.c, docs/findings.md) */

/* Event type 10 (enum dt_event_type continues here, like the GPU section). */
enum dt_event_type_enforce {
	DT_EV_ENFORCE = 10, /* first enforcement on a (process, destination) */
};

/* A dataset's "enforce"; a process gets the strictest of its datasets the destination breaks. */
enum dt_enf_action {
	DT_ENF_MONITOR = 0,
	DT_ENF_BLOCK = 1,
	DT_ENF_KILL = 2, /* block, and SIGKILL the sender */
};

/* --enforce: off attaches nothing; dry-run decides and reports but lets everything through. */
enum dt_enf_mode {
	DT_ENF_OFF = 0,
	DT_ENF_DRY_RUN = 1,
	DT_ENF_ON = 2,
};

/* Where a send was stopped, one bit each in dt_enf_val.hooks. */
enum dt_enf_hook {
	DT_HOOK_CONNECT = 1, /* cgroup connect4/6: EPERM */
	DT_HOOK_SENDMSG = 2, /* cgroup sendmsg4/6 (unconnected UDP): EPERM */
	DT_HOOK_SEND = 4,    /* a send syscall on a connected socket: marked, its packets dropped */
	DT_HOOK_SKB = 8,     /* cgroup_skb egress dropped packets of a marked socket */
	DT_HOOK_SIGNAL = 16, /* the sender was sent SIGKILL */
};

#define DT_ENF_RULES 16 /* allowed_egress entries of a dataset the kernel checks */

/* One allowed_egress entry: (daddr & mask) == addr, and port 0 or equal. v4 as v4-mapped. */
struct dt_enf_rule {
	__u8 addr[16];
	__u8 mask[16];
	__u16 port; /* host order, 0: any */
	__u16 pad[3];
};

/* enf_policy map value, per dataset slot. */
struct dt_enf_policy {
	__u8 action; /* enum dt_enf_action */
	__u8 n_rules;
	__u8 pad[6];
	struct dt_enf_rule rules[DT_ENF_RULES];
};

/* enforce map value, keyed by struct dt_egress_key: what was refused to one destination. */
struct dt_enf_val {
	__u64 attempts; /* connects, datagrams and send syscalls refused (or, dry-run, let through) */
	__u64 bytes;    /* payload bytes dropped (TCP: new sequence space only) or refused */
	__u64 first_ns;
	__u64 last_ns;
	__u64 ds[DT_TAINT_WORDS]; /* the datasets whose policy decided */
	__u8 action;              /* enum dt_enf_action, the strictest taken */
	__u8 dry;                 /* 1: dry-run, nothing was stopped */
	__u8 hooks;               /* enum dt_enf_hook bits */
	__u8 pad[5];
};

struct dt_ev_enforce {
	struct dt_event_hdr hdr;
	struct dt_egress_key key;
	__u32 tid;
	__u8 action; /* enum dt_enf_action */
	__u8 dry;
	__u8 hook; /* enum dt_enf_hook */
	__u8 pad;
};

DT_STATIC_SIZE(struct dt_enf_rule, 40);
DT_STATIC_SIZE(struct dt_enf_policy, 648);
DT_STATIC_SIZE(struct dt_enf_val, 72);
DT_STATIC_SIZE(struct dt_ev_enforce, 56);

/* Fleet mode and scoping (bpf/fleet.bpf.c, user/fleet.c, user/scope.c) */

enum dt_scope_kind {
	DT_SCOPE_NETNS = 1,  /* id: the network namespace's inode */
	DT_SCOPE_CGROUP = 2, /* id: the cgroup (v2) id, level: its depth below the root */
};

/* One entry of the scope map: processes inside any of them are the agent's. */
struct dt_scope_ent {
	__u32 kind; /* enum dt_scope_kind */
	__u32 level;
	__u64 id;
};

#define DT_SCOPE_MAX 8

/* flows map value, keyed by the receiver's TCP channel key: who accepted that connection. */
struct dt_flow {
	__u32 tgid;
	__u32 pad;
	__u64 sk;     /* the receiving struct sock */
	__u64 ts_ns;  /* when it was accepted */
};

/* egsrc map value, keyed by an egress key: the sender's side of the flow it was first seen on. */
struct dt_flow_src {
	__u8 saddr[16]; /* IPv6 or v4-mapped */
	__u16 sport;    /* host order */
	__u16 pad;
	__u32 ns;       /* the sender's network namespace inode */
};

DT_STATIC_SIZE(struct dt_scope_ent, 16);
DT_STATIC_SIZE(struct dt_flow, 24);
DT_STATIC_SIZE(struct dt_flow_src, 24);

#endif /* DATATRAIL_ABI_H */
