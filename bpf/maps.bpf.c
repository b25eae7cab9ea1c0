// SPDX-License-Identifier: GPL-2.0
/* maps.bpf.c - the one definition of the shared maps, the configuration and the license. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "datatrail_abi.h"

#define DT_MAPS_DEFINE
#include "maps.bpf.h"

const volatile struct dt_config dt_cfg = {};
__u64 dt_chan_count = 0;
__u64 dt_chan_fail = 0;
__u64 dt_derived_full = 0;
__u64 dt_walk_gen = 0;
__u64 dt_shm_full = 0;
__u64 dt_ia32_gap = 0;
__u32 dt_shm_pending[DT_SHM_PENDING] = {};
__u32 dt_shm_npending = 0;

/* Keep the event layouts in the object's BTF: tests/unit/test_abi.c checks them there. */
struct dt_ev_file_access *dt_abi_file_access __attribute__((unused));
struct dt_ev_proc_exec *dt_abi_proc_exec __attribute__((unused));
struct dt_ev_proc_exit *dt_abi_proc_exit __attribute__((unused));
struct dt_ev_classify *dt_abi_classify __attribute__((unused));
struct dt_ev_taint *dt_abi_taint __attribute__((unused));
struct dt_ev_egress *dt_abi_egress __attribute__((unused));
struct dt_ev_derived *dt_abi_derived __attribute__((unused));
struct dt_ev_agent *dt_abi_agent __attribute__((unused));
struct dt_ev_device *dt_abi_device __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
