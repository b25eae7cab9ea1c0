// SPDX-License-Identifier: GPL-2.0
/* devkind.c - the names of device kinds, for the configuration's "devices" and the encoders. */
#include <string.h>

#include "base.h"
#include "devkind.h"

static const char *const kind_names[] = {
	[DT_DEV_NVIDIA] = "nvidia",
	[DT_DEV_NVIDIA_UVM] = "nvidia-uvm",
	[DT_DEV_NVIDIA_CAPS] = "nvidia-caps",
	[DT_DEV_AMDKFD] = "amdkfd",
	[DT_DEV_DRM] = "drm",
	[DT_DEV_RDMA] = "rdma",
	[DT_DEV_NVIDIA_FS] = "nvidia-fs",
};

const char *gpu_kind_name(uint32_t kind)
{
	return kind < ARRAY_SIZE(kind_names) && kind_names[kind] ? kind_names[kind] : "unknown";
}

uint32_t gpu_kind_parse(const char *name)
{
	for (uint32_t k = 1; k < ARRAY_SIZE(kind_names); k++)
		if (kind_names[k] && !strcmp(kind_names[k], name))
			return k;
	return 0;
}
