/* SPDX-License-Identifier: GPL-2.0 */
/* devkind.h - the names of device kinds (enum dt_dev_kind), shared by config.c and gpu.c. */
#ifndef DT_DEVKIND_H
#define DT_DEVKIND_H

#include <stdint.h>

#include "datatrail_abi.h"

/* "nvidia", "nvidia-uvm", ...; "unknown" for a number that is no kind. */
const char *gpu_kind_name(uint32_t kind);
/* 0 for a name that is not a kind. */
uint32_t gpu_kind_parse(const char *name);

#endif /* DT_DEVKIND_H */
