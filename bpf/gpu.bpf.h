/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* gpu.bpf.h - ioctl decode tables of GPU and bypass devices, shared by BPF and user space. */
#ifndef DT_GPU_BPF_H
#define DT_GPU_BPF_H

/*
 * Plain C on __u* types and no helpers, so that the BPF programs (bpf/gpu.bpf.c), the agent
 * (user/gpu.c) and the unit tests classify a command with the same code. The BPF side reads
 * what a table asks for (the command inside NVIDIA's XFER wrapper, an RM control's cmd, the
 * RDMA ioctl header) and passes the values in. docs/gpu.md lists every number with its source.
 */
#include "datatrail_abi.h"

#ifdef __bpf__
#define DT_DEC_INLINE static __always_inline
#else
#define DT_DEC_INLINE static inline
#endif

/* A class, and where in the ioctl's argument struct a __u64 byte count lies (if anywhere). */
struct dt_dev_dec {
	__u16 op;       /* enum dt_dev_op */
	__u8 size_off;  /* DT_DEC_NOSIZE: the command carries no length we count */
	__u8 pad;
};

#define DT_DEC_NOSIZE 0xff

/* <asm-generic/ioctl.h>: nr in bits 0-7, type in bits 8-15, size in 16-29, direction 30-31. */
#define DT_IOC_NR(cmd) ((cmd) & 0xff)
#define DT_IOC_TYPE(cmd) (((cmd) >> 8) & 0xff)

/*
 * NVIDIA: kernel-open/common/inc/nv-ioctl-numbers.h (magic, NV_IOCTL_BASE 200 + n) and
 * src/nvidia/arch/nvalloc/unix/include/nv_escape.h (NV_ESC_RM_*), open-gpu-kernel-modules.
 * nvidia_ioctl() in kernel-open/nvidia/nv.c switches on _IOC_NR(cmd) only; for XFER it
 * copies in nv_ioctl_xfer_t {NvU32 cmd; NvU32 size; NvP64 ptr} (nv-ioctl.h) and continues
 * with cmd (a plain escape number) on the struct at ptr.
 */
#define DT_NV_IOCTL_MAGIC 'F'
#define DT_NV_ESC_RM_ALLOC_MEMORY 0x27
#define DT_NV_ESC_RM_ALLOC_OBJECT 0x28
#define DT_NV_ESC_RM_FREE 0x29
#define DT_NV_ESC_RM_CONTROL 0x2a
#define DT_NV_ESC_RM_ALLOC 0x2b
#define DT_NV_ESC_RM_DUP_OBJECT 0x34
#define DT_NV_ESC_RM_VID_HEAP_CONTROL 0x4a
#define DT_NV_ESC_RM_MAP_MEMORY 0x4e
#define DT_NV_ESC_RM_UNMAP_MEMORY 0x4f
#define DT_NV_ESC_RM_MAP_MEMORY_DMA 0x57
#define DT_NV_ESC_RM_UNMAP_MEMORY_DMA 0x58
#define DT_NV_ESC_RM_EXPORT_OBJECT_TO_FD 0x5c
#define DT_NV_ESC_RM_IMPORT_OBJECT_FROM_FD 0x5d
#define DT_NV_ESC_IOCTL_XFER_CMD (200 + 11)
#define DT_NV_ESC_EXPORT_TO_DMABUF_FD (200 + 17)
/* nv_ioctl_xfer_t: cmd at 0, size at 4, ptr at 8. */
#define DT_NV_XFER_SIZE 16
/* NVOS54_PARAMETERS (nvos.h, RM_CONTROL): hClient, hObject, then cmd at 8. */
#define DT_NV_NVOS54_CMD_OFF 8
/* NVOS33 (RM_MAP_MEMORY) and NVOS46 (RM_MAP_MEMORY_DMA): three or four handles, offset, length. */
#define DT_NV_MAP_LENGTH_OFF 24
/*
 * RM control commands that hand an object to another holder of an fd (ctrl0000unix.h,
 * src/common/sdk/nvidia/inc/ctrl/ctrl0000/): (NV01_ROOT_OS_UNIX interface 0x3d << 8) | id.
 */
#define DT_NV0000_CTRL_CMD_OS_UNIX_EXPORT_OBJECT_TO_FD 0x3d05
#define DT_NV0000_CTRL_CMD_OS_UNIX_IMPORT_OBJECT_FROM_FD 0x3d06
#define DT_NV0000_CTRL_CMD_OS_UNIX_CREATE_EXPORT_OBJECT_FD 0x3d0a
#define DT_NV0000_CTRL_CMD_OS_UNIX_EXPORT_OBJECTS_TO_FD 0x3d0b
#define DT_NV0000_CTRL_CMD_OS_UNIX_IMPORT_OBJECTS_FROM_FD 0x3d0c

/*
 * nvidia-uvm: kernel-open/nvidia-uvm/uvm_ioctl.h, where UVM_IOCTL_BASE(i) is i on Linux, so
 * the cmd is a plain integer; UVM_INITIALIZE is 0x30000001 (uvm_linux_ioctl.h).
 */
#define DT_UVM_INITIALIZE 0x30000001
#define DT_UVM_MAP_EXTERNAL_ALLOCATION 33
#define DT_UVM_FREE 34
#define DT_UVM_MEM_MAP 35
#define DT_UVM_MIGRATE 51
#define DT_UVM_MIGRATE_RANGE_GROUP 53
#define DT_UVM_TOOLS_INIT_EVENT_TRACKER 56
#define DT_UVM_TOOLS_READ_PROCESS_MEMORY 62
#define DT_UVM_TOOLS_WRITE_PROCESS_MEMORY 63
#define DT_UVM_POPULATE_PAGEABLE 71
#define DT_UVM_MAP_EXTERNAL_SPARSE 74
#define DT_UVM_MM_INITIALIZE 75
#define DT_UVM_TOOLS_INIT_EVENT_TRACKER_V2 76
#define DT_UVM_ALLOC_DEVICE_P2P 78
/* Every command above that counts bytes has {NvU64 base or buffer; NvU64 length or size; ...}. */
#define DT_UVM_LENGTH_OFF 8

/* AMD KFD: include/uapi/linux/kfd_ioctl.h, AMDKFD_IOCTL_BASE 'K'. */
#define DT_KFD_IOCTL_BASE 'K'
#define DT_KFD_CREATE_QUEUE 0x02
#define DT_KFD_ALLOC_MEMORY_OF_GPU 0x16 /* kfd_ioctl_alloc_memory_of_gpu_args: size at 8 */
#define DT_KFD_FREE_MEMORY_OF_GPU 0x17
#define DT_KFD_MAP_MEMORY_TO_GPU 0x18
#define DT_KFD_IMPORT_DMABUF 0x1d
#define DT_KFD_SVM 0x20 /* kfd_ioctl_svm_args: start_addr, size at 8 */
#define DT_KFD_CRIU_OP 0x22
#define DT_KFD_EXPORT_DMABUF 0x24
#define DT_KFD_DBG_TRAP 0x26

/* DRM: include/uapi/drm/drm.h, DRM_IOCTL_BASE 'd'; drivers' own commands are 0x40..0x9f. */
#define DT_DRM_IOCTL_BASE 'd'
#define DT_DRM_PRIME_HANDLE_TO_FD 0x2d
#define DT_DRM_PRIME_FD_TO_HANDLE 0x2e
#define DT_DRM_COMMAND_BASE 0x40
#define DT_DRM_COMMAND_END 0xa0

/*
 * RDMA verbs: include/uapi/rdma/rdma_user_ioctl_cmds.h (RDMA_VERBS_IOCTL = _IOWR(0x1b, 1,
 * struct ib_uverbs_ioctl_hdr {u16 length, object_id, method_id, num_attrs; ...; attrs[]})),
 * ib_user_ioctl_cmds.h (objects and methods), ib_user_verbs.h (the write() ABI: struct
 * ib_uverbs_cmd_hdr {u32 command; ...}, enum ib_uverbs_write_cmds).
 */
/* Matched whole: umad nodes (same major) use _IOWR(0x1b, 1, 28 bytes) to register agents. */
#define DT_RDMA_VERBS_IOCTL 0xc0181b01u
#define DT_RDMA_HDR_SIZE 24
#define DT_RDMA_ATTR_SIZE 16
#define DT_UVERBS_OBJECT_DEVICE 0
#define DT_UVERBS_OBJECT_QP 4
#define DT_UVERBS_OBJECT_MR 7
#define DT_UVERBS_METHOD_INVOKE_WRITE 0 /* on DEVICE: a write() command inside an ioctl */
#define DT_UVERBS_ATTR_WRITE_CMD 2
#define DT_UVERBS_METHOD_QP_CREATE 0
#define DT_UVERBS_METHOD_DM_MR_REG 0
#define DT_UVERBS_METHOD_REG_DMABUF_MR 4
#define DT_IB_USER_VERBS_CMD_REG_MR 9
#define DT_IB_USER_VERBS_CMD_REREG_MR 11
#define DT_IB_USER_VERBS_CMD_CREATE_QP 24
#define DT_IB_USER_VERBS_CMD_POST_SEND 28
#define DT_IB_USER_VERBS_CMD_COMMAND_MASK 0xff

/*
 * GPUDirect Storage: src/nvfs-core.h of NVIDIA/gds-nvidia-fs, NVFS_MAGIC 't'. READ and WRITE
 * take nvfs_ioctl_ioargs_t (packed, aligned 8): cpuvaddr, offset, size at 16, end_fence_value,
 * ioctl_return, file_args (32 bytes), then the file's fd at 72; MAP takes nvfs_ioctl_map_t
 * with the GPU buffer's size at 0.
 */
#define DT_NVFS_MAGIC 't'
#define DT_NVFS_IOCTL_READ 2
#define DT_NVFS_IOCTL_MAP 3
#define DT_NVFS_IOCTL_WRITE 4
#define DT_NVFS_IOCTL_BATCH_IO 8
#define DT_NVFS_IOARGS_SIZE_OFF 16
#define DT_NVFS_IOARGS_FD_OFF 72

DT_DEC_INLINE struct dt_dev_dec dt_dec(__u16 op, __u8 size_off)
{
	struct dt_dev_dec d = { .op = op, .size_off = size_off, .pad = 0 };

	return d;
}

/* Whether @cmd is NVIDIA's XFER wrapper, whose real escape lies in the struct at arg. */
DT_DEC_INLINE int dt_nv_is_xfer(__u32 cmd)
{
	return DT_IOC_TYPE(cmd) == DT_NV_IOCTL_MAGIC && DT_IOC_NR(cmd) == DT_NV_ESC_IOCTL_XFER_CMD;
}

/*
 * @esc: the escape, _IOC_NR(cmd) or the cmd inside XFER; @ctrl: NVOS54.cmd when @esc is
 * RM_CONTROL. Exports and imports are told apart from other controls, since they are how GPU
 * memory leaves the process (dma-buf, or an fd that another RM client imports).
 */
DT_DEC_INLINE struct dt_dev_dec dt_nv_decode(__u32 esc, __u32 ctrl)
{
	switch (esc) {
	case DT_NV_ESC_RM_ALLOC:
	case DT_NV_ESC_RM_ALLOC_MEMORY:
	case DT_NV_ESC_RM_ALLOC_OBJECT:
	case DT_NV_ESC_RM_VID_HEAP_CONTROL:
		return dt_dec(DT_DOP_NV_ALLOC, DT_DEC_NOSIZE);
	case DT_NV_ESC_RM_FREE:
		return dt_dec(DT_DOP_NV_FREE, DT_DEC_NOSIZE);
	case DT_NV_ESC_RM_CONTROL:
		switch (ctrl) {
		case DT_NV0000_CTRL_CMD_OS_UNIX_EXPORT_OBJECT_TO_FD:
		case DT_NV0000_CTRL_CMD_OS_UNIX_CREATE_EXPORT_OBJECT_FD:
		case DT_NV0000_CTRL_CMD_OS_UNIX_EXPORT_OBJECTS_TO_FD:
			return dt_dec(DT_DOP_NV_EXPORT, DT_DEC_NOSIZE);
		case DT_NV0000_CTRL_CMD_OS_UNIX_IMPORT_OBJECT_FROM_FD:
		case DT_NV0000_CTRL_CMD_OS_UNIX_IMPORT_OBJECTS_FROM_FD:
			return dt_dec(DT_DOP_NV_IMPORT, DT_DEC_NOSIZE);
		}
		return dt_dec(DT_DOP_NV_CONTROL, DT_DEC_NOSIZE);
	case DT_NV_ESC_RM_MAP_MEMORY:
		return dt_dec(DT_DOP_NV_MAP, DT_NV_MAP_LENGTH_OFF);
	case DT_NV_ESC_RM_MAP_MEMORY_DMA:
		return dt_dec(DT_DOP_NV_MAP_DMA, DT_NV_MAP_LENGTH_OFF);
	case DT_NV_ESC_RM_UNMAP_MEMORY:
	case DT_NV_ESC_RM_UNMAP_MEMORY_DMA:
		return dt_dec(DT_DOP_NV_UNMAP, DT_DEC_NOSIZE);
	case DT_NV_ESC_RM_EXPORT_OBJECT_TO_FD:
	case DT_NV_ESC_EXPORT_TO_DMABUF_FD:
		return dt_dec(DT_DOP_NV_EXPORT, DT_DEC_NOSIZE);
	case DT_NV_ESC_RM_IMPORT_OBJECT_FROM_FD:
	case DT_NV_ESC_RM_DUP_OBJECT:
		return dt_dec(DT_DOP_NV_IMPORT, DT_DEC_NOSIZE);
	}
	return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
}

DT_DEC_INLINE struct dt_dev_dec dt_uvm_decode(__u32 cmd)
{
	switch (cmd) {
	case DT_UVM_INITIALIZE:
	case DT_UVM_MM_INITIALIZE:
		return dt_dec(DT_DOP_UVM_INIT, DT_DEC_NOSIZE);
	case DT_UVM_MIGRATE:
	case DT_UVM_POPULATE_PAGEABLE:
		return dt_dec(DT_DOP_UVM_MIGRATE, DT_UVM_LENGTH_OFF);
	case DT_UVM_MIGRATE_RANGE_GROUP:
		return dt_dec(DT_DOP_UVM_MIGRATE, DT_DEC_NOSIZE);
	case DT_UVM_MAP_EXTERNAL_ALLOCATION:
	case DT_UVM_MAP_EXTERNAL_SPARSE:
	case DT_UVM_ALLOC_DEVICE_P2P:
		return dt_dec(DT_DOP_UVM_MAP_EXTERNAL, DT_UVM_LENGTH_OFF);
	case DT_UVM_MEM_MAP:
		return dt_dec(DT_DOP_UVM_MEM_MAP, DT_UVM_LENGTH_OFF);
	case DT_UVM_FREE:
		return dt_dec(DT_DOP_UVM_FREE, DT_UVM_LENGTH_OFF);
	case DT_UVM_TOOLS_READ_PROCESS_MEMORY:
		return dt_dec(DT_DOP_UVM_READ_PROC, DT_UVM_LENGTH_OFF);
	case DT_UVM_TOOLS_WRITE_PROCESS_MEMORY:
		return dt_dec(DT_DOP_UVM_WRITE_PROC, DT_UVM_LENGTH_OFF);
	case DT_UVM_TOOLS_INIT_EVENT_TRACKER:
	case DT_UVM_TOOLS_INIT_EVENT_TRACKER_V2:
		return dt_dec(DT_DOP_UVM_TOOLS, DT_DEC_NOSIZE);
	}
	return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
}

DT_DEC_INLINE struct dt_dev_dec dt_kfd_decode(__u32 cmd)
{
	if (DT_IOC_TYPE(cmd) != DT_KFD_IOCTL_BASE)
		return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
	switch (DT_IOC_NR(cmd)) {
	case DT_KFD_ALLOC_MEMORY_OF_GPU:
		return dt_dec(DT_DOP_KFD_ALLOC, 8);
	case DT_KFD_FREE_MEMORY_OF_GPU:
		return dt_dec(DT_DOP_KFD_FREE, DT_DEC_NOSIZE);
	case DT_KFD_MAP_MEMORY_TO_GPU:
		return dt_dec(DT_DOP_KFD_MAP, DT_DEC_NOSIZE);
	case DT_KFD_IMPORT_DMABUF:
		return dt_dec(DT_DOP_KFD_IMPORT, DT_DEC_NOSIZE);
	case DT_KFD_EXPORT_DMABUF:
		return dt_dec(DT_DOP_KFD_EXPORT, DT_DEC_NOSIZE);
	case DT_KFD_SVM:
		return dt_dec(DT_DOP_KFD_SVM, 8);
	case DT_KFD_CRIU_OP:
		return dt_dec(DT_DOP_KFD_CRIU, DT_DEC_NOSIZE);
	case DT_KFD_CREATE_QUEUE:
		return dt_dec(DT_DOP_KFD_QUEUE, DT_DEC_NOSIZE);
	case DT_KFD_DBG_TRAP:
		return dt_dec(DT_DOP_KFD_DEBUG, DT_DEC_NOSIZE);
	}
	return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
}

DT_DEC_INLINE struct dt_dev_dec dt_drm_decode(__u32 cmd)
{
	__u32 nr = DT_IOC_NR(cmd);

	if (DT_IOC_TYPE(cmd) != DT_DRM_IOCTL_BASE)
		return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
	if (nr == DT_DRM_PRIME_HANDLE_TO_FD)
		return dt_dec(DT_DOP_DRM_EXPORT, DT_DEC_NOSIZE);
	if (nr == DT_DRM_PRIME_FD_TO_HANDLE)
		return dt_dec(DT_DOP_DRM_IMPORT, DT_DEC_NOSIZE);
	if (nr >= DT_DRM_COMMAND_BASE && nr < DT_DRM_COMMAND_END)
		return dt_dec(DT_DOP_DRM_DRIVER, DT_DEC_NOSIZE);
	return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
}

DT_DEC_INLINE int dt_rdma_is_verbs_ioctl(__u32 cmd)
{
	return cmd == DT_RDMA_VERBS_IOCTL;
}

/* A write() command on uverbs, or one carried by INVOKE_WRITE; the extended flag is dropped. */
DT_DEC_INLINE struct dt_dev_dec dt_rdma_write_decode(__u32 command)
{
	switch (command & DT_IB_USER_VERBS_CMD_COMMAND_MASK) {
	case DT_IB_USER_VERBS_CMD_REG_MR:
	case DT_IB_USER_VERBS_CMD_REREG_MR:
		return dt_dec(DT_DOP_RDMA_REG_MR, DT_DEC_NOSIZE);
	case DT_IB_USER_VERBS_CMD_CREATE_QP:
		return dt_dec(DT_DOP_RDMA_CREATE_QP, DT_DEC_NOSIZE);
	case DT_IB_USER_VERBS_CMD_POST_SEND:
		return dt_dec(DT_DOP_RDMA_POST_SEND, DT_DEC_NOSIZE);
	}
	return dt_dec(DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE);
}

/* An RDMA_VERBS_IOCTL's (object, method); INVOKE_WRITE is decoded by its write command. */
DT_DEC_INLINE struct dt_dev_dec dt_rdma_ioctl_decode(__u16 object, __u16 method)
{
	if (object == DT_UVERBS_OBJECT_MR &&
	    (method == DT_UVERBS_METHOD_DM_MR_REG || method == DT_UVERBS_METHOD_REG_DMABUF_MR))
		return dt_dec(DT_DOP_RDMA_REG_MR, DT_DEC_NOSIZE);
	if (object == DT_UVERBS_OBJECT_QP && method == DT_UVERBS_METHOD_QP_CREATE)
		return dt_dec(DT_DOP_RDMA_CREATE_QP, DT_DEC_NOSIZE);
	return dt_dec(DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE);
}

DT_DEC_INLINE struct dt_dev_dec dt_nvfs_decode(__u32 cmd)
{
	if (DT_IOC_TYPE(cmd) != DT_NVFS_MAGIC)
		return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
	switch (DT_IOC_NR(cmd)) {
	case DT_NVFS_IOCTL_READ:
		return dt_dec(DT_DOP_GDS_READ, DT_NVFS_IOARGS_SIZE_OFF);
	case DT_NVFS_IOCTL_WRITE:
		return dt_dec(DT_DOP_GDS_WRITE, DT_NVFS_IOARGS_SIZE_OFF);
	case DT_NVFS_IOCTL_MAP:
		return dt_dec(DT_DOP_GDS_MAP, 0);
	case DT_NVFS_IOCTL_BATCH_IO:
		return dt_dec(DT_DOP_GDS_BATCH, DT_DEC_NOSIZE);
	}
	return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
}

/*
 * The classes that need nothing but the cmd. NVIDIA escapes and RDMA_VERBS_IOCTL need their
 * argument read first (dt_nv_decode(), dt_rdma_ioctl_decode()); for them this answers
 * DT_DOP_IOCTL, as for any other command the tables do not know.
 */
DT_DEC_INLINE struct dt_dev_dec dt_dev_decode_cmd(__u32 kind, __u32 cmd)
{
	switch (kind) {
	case DT_DEV_NVIDIA_UVM:
		return dt_uvm_decode(cmd);
	case DT_DEV_AMDKFD:
		return dt_kfd_decode(cmd);
	case DT_DEV_DRM:
		return dt_drm_decode(cmd);
	case DT_DEV_NVIDIA_FS:
		return dt_nvfs_decode(cmd);
	}
	return dt_dec(DT_DOP_IOCTL, DT_DEC_NOSIZE);
}

#endif /* DT_GPU_BPF_H */
