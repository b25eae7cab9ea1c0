// SPDX-License-Identifier: GPL-2.0
/* gpu_ioctls.c - the real NVIDIA, UVM, KFD, RDMA and GDS commands on any node, for test_gpu.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * The nodes under test are other char devices (/dev/null's number and the like) registered
 * as GPUs in the agent's config: every command fails (ENOTTY, EINVAL, ENODEV) but each
 * syscall is made, with arguments laid out as the real drivers expect. Each action makes a
 * fixed number of calls per class, which test_gpu.sh checks exactly:
 *
 *   read FILE          read FILE to its end (taints the process with FILE's dataset)
 *   nv NODE            open; RM_ALLOC x3 direct + x2 via XFER; RM_CONTROL x4; export x2 (RM
 *                      control OS_UNIX_EXPORT_OBJECT_TO_FD via XFER, EXPORT_TO_DMABUF_FD);
 *                      RM_MAP_MEMORY (64 KiB); RM_MAP_MEMORY_DMA via XFER (1 MiB); RM_FREE;
 *                      2 foreign ioctls; mmap 8 KiB
 *   uvm NODE           open; INITIALIZE; MIGRATE x2 (4 KiB + 8 KiB); MAP_EXTERNAL_ALLOCATION
 *                      (64 KiB); MEM_MAP (4 KiB); FREE (4 KiB)
 *   uvm-read NODE      open; TOOLS_INIT_EVENT_TRACKER; TOOLS_READ_PROCESS_MEMORY x2 (4 KiB)
 *   kfd NODE           open; ALLOC_MEMORY_OF_GPU x2 (1 MiB); MAP; EXPORT_DMABUF; IMPORT_DMABUF;
 *                      SVM (4 KiB); CRIU_OP; CREATE_QUEUE; FREE
 *   rdma NODE          open; RDMA_VERBS_IOCTL MR/REG_DMABUF_MR, QP/QP_CREATE, PD/0,
 *                      DEVICE/INVOKE_WRITE(REG_MR); write() REG_MR, POST_SEND, QUERY_DEVICE;
 *                      mmap 4 KiB
 *   gds NODE FILE      open; NVFS MAP (64 KiB); NVFS READ of FILE (8 KiB)
 *
 * Every action prints nothing; an unexpected failure (a node that cannot be opened, a file
 * that cannot be read) exits 1 with a message.
 */

/* open-gpu-kernel-modules: nv-ioctl-numbers.h, nv_escape.h, nv-ioctl.h, nvos.h */
#define NV_IOCTL_MAGIC 'F'
#define NV_ESC_RM_FREE 0x29
#define NV_ESC_RM_CONTROL 0x2a
#define NV_ESC_RM_ALLOC 0x2b
#define NV_ESC_RM_MAP_MEMORY 0x4e
#define NV_ESC_RM_MAP_MEMORY_DMA 0x57
#define NV_ESC_IOCTL_XFER_CMD (200 + 11)
#define NV_ESC_EXPORT_TO_DMABUF_FD (200 + 17)
#define NV0000_CTRL_CMD_OS_UNIX_EXPORT_OBJECT_TO_FD 0x3d05
#define NV2080_CTRL_CMD_GPU_GET_INFO_V2 0x20800102

struct nv_ioctl_xfer {
	uint32_t cmd;
	uint32_t size;
	uint64_t ptr __attribute__((aligned(8)));
};

struct nvos64 { /* RM_ALLOC */
	uint32_t hRoot, hObjectParent, hObjectNew, hClass;
	uint64_t pAllocParms __attribute__((aligned(8)));
	uint64_t pRightsRequested __attribute__((aligned(8)));
	uint32_t paramsSize, flags, status;
};

struct nvos54 { /* RM_CONTROL */
	uint32_t hClient, hObject, cmd, flags;
	uint64_t params __attribute__((aligned(8)));
	uint32_t paramsSize, status;
};

struct nvos33 { /* RM_MAP_MEMORY (with the fd the Linux wrapper appends) */
	uint32_t hClient, hDevice, hMemory;
	uint64_t offset __attribute__((aligned(8)));
	uint64_t length __attribute__((aligned(8)));
	uint64_t pLinearAddress __attribute__((aligned(8)));
	uint32_t status, flags;
	int fd;
};

struct nvos46 { /* RM_MAP_MEMORY_DMA */
	uint32_t hClient, hDevice, hDma, hMemory;
	uint64_t offset __attribute__((aligned(8)));
	uint64_t length __attribute__((aligned(8)));
	uint32_t flags;
	uint64_t dmaOffset __attribute__((aligned(8)));
	uint32_t status;
};

struct nvos00 { /* RM_FREE */
	uint32_t hRoot, hObjectParent, hObjectOld, status;
};

_Static_assert(offsetof(struct nvos54, cmd) == 8, "NVOS54.cmd");
_Static_assert(offsetof(struct nvos33, length) == 24, "NVOS33.length");
_Static_assert(offsetof(struct nvos46, length) == 24, "NVOS46.length");
_Static_assert(sizeof(struct nv_ioctl_xfer) == 16, "nv_ioctl_xfer_t");

/* kernel-open/nvidia-uvm/uvm_ioctl.h, uvm_linux_ioctl.h: plain integers */
#define UVM_INITIALIZE 0x30000001
#define UVM_MAP_EXTERNAL_ALLOCATION 33
#define UVM_FREE 34
#define UVM_MEM_MAP 35
#define UVM_MIGRATE 51
#define UVM_TOOLS_INIT_EVENT_TRACKER 56
#define UVM_TOOLS_READ_PROCESS_MEMORY 62

struct uvm_range { /* the head every one of these shares: base (or buffer), length (or size) */
	uint64_t base;
	uint64_t length;
	uint8_t rest[4096]; /* MAP_EXTERNAL_ALLOCATION's per-GPU attributes and the like */
};

/* include/uapi/linux/kfd_ioctl.h */
#define AMDKFD_IOCTL_BASE 'K'
struct kfd_alloc {
	uint64_t va_addr, size, handle, mmap_offset;
	uint32_t gpu_id, flags;
};

/* include/uapi/rdma/rdma_user_ioctl_cmds.h, ib_user_ioctl_cmds.h, ib_user_verbs.h */
#define RDMA_IOCTL_MAGIC 0x1b
struct ib_uverbs_attr {
	uint16_t attr_id, len, flags, attr_data;
	uint64_t data;
};
struct ib_uverbs_ioctl_hdr {
	uint16_t length, object_id, method_id, num_attrs;
	uint64_t reserved1;
	uint32_t driver_id, reserved2;
	struct ib_uverbs_attr attrs[];
};
#define RDMA_VERBS_IOCTL _IOWR(RDMA_IOCTL_MAGIC, 1, struct ib_uverbs_ioctl_hdr)
#define UVERBS_OBJECT_DEVICE 0
#define UVERBS_OBJECT_PD 1
#define UVERBS_OBJECT_QP 4
#define UVERBS_OBJECT_MR 7
#define UVERBS_METHOD_INVOKE_WRITE 0
#define UVERBS_METHOD_QP_CREATE 0
#define UVERBS_METHOD_REG_DMABUF_MR 4
#define UVERBS_ATTR_CORE_IN 0
#define UVERBS_ATTR_WRITE_CMD 2
#define IB_USER_VERBS_CMD_QUERY_DEVICE 1
#define IB_USER_VERBS_CMD_REG_MR 9
#define IB_USER_VERBS_CMD_POST_SEND 28

_Static_assert(RDMA_VERBS_IOCTL == 0xc0181b01u, "RDMA_VERBS_IOCTL");

/* NVIDIA/gds-nvidia-fs src/nvfs-core.h */
#define NVFS_MAGIC 't'
#define NVFS_IOCTL_READ _IOW(NVFS_MAGIC, 2, int)
#define NVFS_IOCTL_MAP _IOW(NVFS_MAGIC, 3, int)

struct nvfs_file_args {
	uint64_t inum;
	uint32_t generation, majdev, mindev;
	uint64_t devptroff;
} __attribute__((packed, aligned(8)));

struct nvfs_ioctl_ioargs {
	uint64_t cpuvaddr;
	int64_t offset;
	uint64_t size;
	uint64_t end_fence_value;
	int64_t ioctl_return;
	struct nvfs_file_args file_args;
	int fd;
	uint8_t flags; /* sync:1 hipri:1 allowreads:1 use_rkeys:1 optype:3 reserved:1 */
	uint8_t padding[3];
} __attribute__((packed, aligned(8)));

struct nvfs_ioctl_map {
	int64_t size;
	uint64_t pdevinfo, cpuvaddr, gpuvaddr, end_fence_addr;
	uint32_t sbuf_block;
	uint16_t is_bounce_buffer;
	uint8_t padding[2];
} __attribute__((packed, aligned(8)));

_Static_assert(offsetof(struct nvfs_ioctl_ioargs, size) == 16, "nvfs ioargs.size");
_Static_assert(offsetof(struct nvfs_ioctl_ioargs, fd) == 72, "nvfs ioargs.fd");

static int open_node(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "gpu_ioctls: open '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* The result does not matter: the node is not the driver. */
static void call(int fd, unsigned long cmd, void *arg)
{
	(void)!ioctl(fd, cmd, arg);
}

static void nv_xfer(int fd, uint32_t esc, void *params, uint32_t size)
{
	struct nv_ioctl_xfer x = { .cmd = esc, .size = size, .ptr = (uintptr_t)params };

	call(fd, _IOWR(NV_IOCTL_MAGIC, NV_ESC_IOCTL_XFER_CMD, struct nv_ioctl_xfer), &x);
}

static void act_nv(const char *node)
{
	int fd = open_node(node);
	struct nvos64 alloc = { .hClass = 0x41 };
	struct nvos54 ctrl = { .cmd = NV2080_CTRL_CMD_GPU_GET_INFO_V2 };
	struct nvos54 exp = { .cmd = NV0000_CTRL_CMD_OS_UNIX_EXPORT_OBJECT_TO_FD };
	struct nvos33 map = { .length = 65536, .fd = -1 };
	struct nvos46 dma = { .length = 1 << 20 };
	struct nvos00 fr = {};
	uint8_t dmabuf[512] = {};
	void *p;
	int i;

	for (i = 0; i < 3; i++)
		call(fd, _IOWR(NV_IOCTL_MAGIC, NV_ESC_RM_ALLOC, struct nvos64), &alloc);
	for (i = 0; i < 2; i++)
		nv_xfer(fd, NV_ESC_RM_ALLOC, &alloc, sizeof(alloc));
	for (i = 0; i < 4; i++)
		call(fd, _IOWR(NV_IOCTL_MAGIC, NV_ESC_RM_CONTROL, struct nvos54), &ctrl);
	nv_xfer(fd, NV_ESC_RM_CONTROL, &exp, sizeof(exp));
	call(fd, _IOC(_IOC_READ | _IOC_WRITE, NV_IOCTL_MAGIC, NV_ESC_EXPORT_TO_DMABUF_FD, 512),
	     dmabuf);
	call(fd, _IOWR(NV_IOCTL_MAGIC, NV_ESC_RM_MAP_MEMORY, struct nvos33), &map);
	nv_xfer(fd, NV_ESC_RM_MAP_MEMORY_DMA, &dma, sizeof(dma));
	call(fd, _IOWR(NV_IOCTL_MAGIC, NV_ESC_RM_FREE, struct nvos00), &fr);
	call(fd, _IOWR(NV_IOCTL_MAGIC, 0x99, int), dmabuf);
	call(fd, TCGETS, dmabuf);
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		munmap(p, 8192);
	close(fd);
}

static void uvm(int fd, unsigned long cmd, uint64_t length)
{
	static struct uvm_range r;

	r.base = 0x7f0000000000ULL;
	r.length = length;
	call(fd, cmd, &r);
}

static void act_uvm(const char *node)
{
	int fd = open_node(node);

	uvm(fd, UVM_INITIALIZE, 0);
	uvm(fd, UVM_MIGRATE, 4096);
	uvm(fd, UVM_MIGRATE, 8192);
	uvm(fd, UVM_MAP_EXTERNAL_ALLOCATION, 65536);
	uvm(fd, UVM_MEM_MAP, 4096);
	uvm(fd, UVM_FREE, 4096);
	close(fd);
}

static void act_uvm_read(const char *node)
{
	int fd = open_node(node);

	uvm(fd, UVM_TOOLS_INIT_EVENT_TRACKER, 0);
	uvm(fd, UVM_TOOLS_READ_PROCESS_MEMORY, 4096);
	uvm(fd, UVM_TOOLS_READ_PROCESS_MEMORY, 4096);
	close(fd);
}

static void act_kfd(const char *node)
{
	int fd = open_node(node);
	struct kfd_alloc a = { .size = 1 << 20 };
	uint64_t args[16] = { 0, 4096 };

	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x16, struct kfd_alloc), &a);
	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x16, struct kfd_alloc), &a);
	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x18, uint64_t[3]), args);
	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x24, uint64_t[2]), args);
	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x1d, uint64_t[3]), args);
	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x20, uint64_t[3]), args);
	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x22, uint64_t[5]), args);
	call(fd, _IOWR(AMDKFD_IOCTL_BASE, 0x02, uint64_t[12]), args);
	call(fd, _IOW(AMDKFD_IOCTL_BASE, 0x17, uint64_t), args);
	close(fd);
}

static void verbs(int fd, uint16_t object, uint16_t method, uint32_t write_cmd)
{
	struct {
		struct ib_uverbs_ioctl_hdr h;
		struct ib_uverbs_attr a[2];
	} req = {};

	req.h.length = sizeof(req);
	req.h.object_id = object;
	req.h.method_id = method;
	if (write_cmd) {
		req.h.num_attrs = 2;
		req.a[0].attr_id = UVERBS_ATTR_CORE_IN;
		req.a[1].attr_id = UVERBS_ATTR_WRITE_CMD;
		req.a[1].data = write_cmd;
	}
	call(fd, RDMA_VERBS_IOCTL, &req);
}

static void verbs_write(int fd, uint32_t command)
{
	struct {
		uint32_t command;
		uint16_t in_words, out_words;
		uint8_t body[56];
	} req = { .command = command, .in_words = 16 };

	(void)!write(fd, &req, sizeof(req));
}

static void act_rdma(const char *node)
{
	int fd = open_node(node);
	void *p;

	verbs(fd, UVERBS_OBJECT_MR, UVERBS_METHOD_REG_DMABUF_MR, 0);
	verbs(fd, UVERBS_OBJECT_QP, UVERBS_METHOD_QP_CREATE, 0);
	verbs(fd, UVERBS_OBJECT_PD, 0, 0);
	verbs(fd, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INVOKE_WRITE, IB_USER_VERBS_CMD_REG_MR);
	verbs_write(fd, IB_USER_VERBS_CMD_REG_MR);
	verbs_write(fd, IB_USER_VERBS_CMD_POST_SEND);
	verbs_write(fd, IB_USER_VERBS_CMD_QUERY_DEVICE);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	close(fd);
}

static void act_gds(const char *node, const char *file)
{
	int fd = open_node(node), ffd;
	struct nvfs_ioctl_map m = { .size = 65536 };
	struct nvfs_ioctl_ioargs io = { .size = 8192 };

	ffd = open(file, O_RDONLY | O_CLOEXEC);
	if (ffd < 0) {
		fprintf(stderr, "gpu_ioctls: open '%s': %s\n", file, strerror(errno));
		exit(1);
	}
	call(fd, NVFS_IOCTL_MAP, &m);
	io.fd = ffd;
	call(fd, NVFS_IOCTL_READ, &io);
	close(ffd);
	close(fd);
}

static void act_read(const char *file)
{
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "gpu_ioctls: open '%s': %s\n", file, strerror(errno));
		exit(1);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
}

int main(int argc, char **argv)
{
	int i = 1;

	while (i < argc) {
		const char *act = argv[i];

		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(act, "read"))
			act_read(argv[i + 1]);
		else if (!strcmp(act, "nv"))
			act_nv(argv[i + 1]);
		else if (!strcmp(act, "uvm"))
			act_uvm(argv[i + 1]);
		else if (!strcmp(act, "uvm-read"))
			act_uvm_read(argv[i + 1]);
		else if (!strcmp(act, "kfd"))
			act_kfd(argv[i + 1]);
		else if (!strcmp(act, "rdma"))
			act_rdma(argv[i + 1]);
		else if (!strcmp(act, "gds") && i + 2 < argc)
			act_gds(argv[i + 1], argv[i + 2]), i++;
		else
			goto usage;
		i += 2;
	}
	return 0;
usage:
	fprintf(stderr, "usage: gpu_ioctls [read FILE | nv NODE | uvm NODE | uvm-read NODE | "
			"kfd NODE | rdma NODE | gds NODE FILE]...\n");
	return 2;
}
