#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_gpu.sh - GPU, RDMA and GDS calls on stand-in nodes: decoded classes, exact counts, findings.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root gpu
mount_kernel_fs

# There is no GPU here. Devices are known to datatrail by number only, so other char devices
# stand in for them: nodes with the numbers of /dev/null, /dev/zero, /dev/full, /dev/random and
# /dev/urandom, registered in the config as nvidia, nvidia-uvm, amdkfd, rdma and nvidia-fs. The
# real driver commands fail on them (ENOTTY, EINVAL), but every syscall is made and seen.
# While the agent runs, every /dev/null on the host counts as an NVIDIA device: the test's
# processes take stdin from a file, so that bash opens no /dev/null on their behalf.
PROG=$TOP/$BUILD/tests/progs/gpu_ioctls
T=$(mktemp -d /var/tmp/dt-gpu.XXXXXX)
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

chmod 755 "$T"
mkdir -p "$T/ds" "$T/logs" "$T/pub" "$T/dev/infiniband"
head -c 20000 /dev/urandom >"$T/ds/a.bin"
head -c 16384 /dev/urandom >"$T/ds/b.bin"
head -c 5000 /dev/urandom >"$T/logs/l.bin"
head -c 5000 /dev/urandom >"$T/pub/p.bin"
: >"$T/empty"
mknod "$T/dev/nvidia0" c 1 3
mknod "$T/dev/nvidia-uvm" c 1 5
mknod "$T/dev/kfd" c 1 7
mknod "$T/dev/infiniband/uverbs0" c 1 8
mknod "$T/dev/nvidia-fs0" c 1 9
mknod "$T/dev/renamed-gpu" c 1 3 # not in the config: the same device by number
mknod "$T/dev/unlisted" c 1 11   # /dev/kmsg's number: no kind
chmod -R a+rX "$T"
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "faces", "classification": "restricted", "paths": ["$T/ds"], "gpu_allowed": false,
   "tags": ["PII"]},
  {"id": "logs", "classification": "internal", "paths": ["$T/logs"]},
  {"id": "docs", "classification": "public", "paths": ["$T/pub"]}
]}
EOF
cat >"$T/config.json" <<EOF
{"x-another-team": {"anything": [1, 2]},
 "devices": [
  {"path": "$T/dev/nvidia0", "kind": "nvidia"},
  {"path": "$T/dev/nvidia-uvm", "kind": "nvidia-uvm"},
  {"path": "$T/dev/kfd", "kind": "amdkfd"},
  {"kind": "rdma", "path": "$T/dev/infiniband/uverbs0"},
  {"path": "$T/dev/nvidia-fs0", "kind": "nvidia-fs"}
]}
EOF
chmod 644 "$T/config.json"

EV=$T/events.jsonl
FI=$T/findings.jsonl
# Operations of one class: the sum of the counts of the lines that report them.
ops() { # pid kind class
	$EVQ "$EV" sum count --where process.pid="$1" --where unmapped.device_kind="$2" \
		--where unmapped.ioctl_class="$3"
}
bytes() { # pid kind class
	$EVQ "$EV" sum size --where process.pid="$1" --where unmapped.device_kind="$2" \
		--where unmapped.ioctl_class="$3"
}
finding() { # kind pid field
	$EVQ "$FI" last "$3" --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
nfindings() { # kind pid
	$EVQ "$FI" count --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}

# A bad device kind stops the agent before it loads anything.
cat >"$T/bad.json" <<EOF
{"devices": [{"path": "$T/dev/nvidia0", "kind": "tpu"}]}
EOF
chmod 644 "$T/bad.json"
"$DATATRAIL" run --inventory "$T/inv.json" --config "$T/bad.json" --events "$T/bad.ev" \
	--findings "$T/bad.fi" 2>"$T/bad.err"
BAD_RC=$?

agent_start "$T" "$T/inv.json" --config "$T/config.json" --flush-ms 200 --trace "$T/trace" ||
	exit 1

# 1. every device, no dataset
"$PROG" nv "$T/dev/nvidia0" uvm "$T/dev/nvidia-uvm" kfd "$T/dev/kfd" \
	rdma "$T/dev/infiniband/uverbs0" <"$T/empty" &
CLEAN_PID=$!
wait $CLEAN_PID

# 2. reads a gpu_allowed: false dataset, then uses the GPU
"$PROG" read "$T/ds/a.bin" nv "$T/dev/nvidia0" <"$T/empty" &
POLICY_PID=$!
wait $POLICY_PID

# 3. uses the GPU, then reads the dataset: no device call after the taint
"$PROG" nv "$T/dev/nvidia0" read "$T/ds/a.bin" <"$T/empty" &
LATE_PID=$!
wait $LATE_PID

# 4. an internal dataset that may reach GPUs
"$PROG" read "$T/logs/l.bin" nv "$T/dev/nvidia0" <"$T/empty" &
ALLOWED_PID=$!
wait $ALLOWED_PID

# 5. tainted, drives RDMA verbs
"$PROG" read "$T/ds/a.bin" rdma "$T/dev/infiniband/uverbs0" <"$T/empty" &
BYPASS_PID=$!
wait $BYPASS_PID

# 6. public data over RDMA
"$PROG" read "$T/pub/p.bin" rdma "$T/dev/infiniband/uverbs0" <"$T/empty" &
PUBLIC_PID=$!
wait $PUBLIC_PID

# 7. reads another process's GPU memory through UVM tools
"$PROG" uvm-read "$T/dev/nvidia-uvm" <"$T/empty" &
MEMREAD_PID=$!
wait $MEMREAD_PID

# 8. GPUDirect Storage read of a dataset file: no read() syscall at all
"$PROG" gds "$T/dev/nvidia-fs0" "$T/ds/b.bin" <"$T/empty" &
GDS_PID=$!
wait $GDS_PID

# 9. another node with the same number, and one whose number is no device kind
"$PROG" nv "$T/dev/renamed-gpu" <"$T/empty" &
BYNUM_PID=$!
wait $BYNUM_PID
"$PROG" nv "$T/dev/unlisted" <"$T/empty" &
UNLISTED_PID=$!
wait $UNLISTED_PID

sleep 0.5
agent_stop

test_agent_exits_cleanly() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_EQ "$(grep -c 'unknown device kind' "$T/agent.err")" 0 "no config complaint"
}

test_config_error_names_file_field_value() {
	ASSERT_EQ "$BAD_RC" 1 "agent refuses the config"
	ASSERT_HAS "$(cat "$T/bad.err")" \
		"config '$T/bad.json': field 'devices[0].kind': unknown device kind 'tpu'" "message"
}

test_nvidia_escapes_decoded() {
	local p=$CLEAN_PID
	ASSERT_EQ "$(ops $p nvidia open)" 1 "open"
	ASSERT_EQ "$(ops $p nvidia nv_alloc)" 5 "RM_ALLOC, 3 direct and 2 through XFER"
	ASSERT_EQ "$(ops $p nvidia nv_control)" 4 "RM_CONTROL"
	ASSERT_EQ "$(ops $p nvidia nv_export)" 2 "export: RM control in XFER, and dma-buf"
	ASSERT_EQ "$(ops $p nvidia nv_map_memory)" 1 "RM_MAP_MEMORY"
	ASSERT_EQ "$(bytes $p nvidia nv_map_memory)" 65536 "RM_MAP_MEMORY length"
	ASSERT_EQ "$(ops $p nvidia nv_map_memory_dma)" 1 "RM_MAP_MEMORY_DMA through XFER"
	ASSERT_EQ "$(bytes $p nvidia nv_map_memory_dma)" 1048576 "RM_MAP_MEMORY_DMA length"
	ASSERT_EQ "$(ops $p nvidia nv_free)" 1 "RM_FREE"
	ASSERT_EQ "$(ops $p nvidia ioctl)" 2 "unnamed escape and TCGETS"
	ASSERT_EQ "$(ops $p nvidia mmap)" 1 "mmap"
	ASSERT_EQ "$(bytes $p nvidia mmap)" 8192 "mmap length"
	ASSERT_EQ "$($EVQ "$EV" last unmapped.device_path --where process.pid=$p \
		--where unmapped.ioctl_class=nv_alloc)" "$T/dev/nvidia0" "device path"
	ASSERT_EQ "$($EVQ "$EV" last unmapped.device --where process.pid=$p \
		--where unmapped.ioctl_class=nv_alloc)" 1:3 "device number"
	ASSERT_EQ "$($EVQ "$EV" last class_uid --where process.pid=$p \
		--where unmapped.ioctl_class=nv_alloc)" 1004 "Memory Activity"
	ASSERT_EQ "$($EVQ "$EV" last activity_id --where process.pid=$p \
		--where unmapped.ioctl_class=nv_alloc)" 1 "Allocate Page"
	ASSERT_EQ "$($EVQ "$EV" last actor.process.file.path --where process.pid=$p \
		--where unmapped.ioctl_class=nv_alloc)" "$PROG" "exe"
}

test_uvm_commands_decoded() {
	local p=$CLEAN_PID
	ASSERT_EQ "$(ops $p nvidia-uvm open)" 1 "open"
	ASSERT_EQ "$(ops $p nvidia-uvm uvm_initialize)" 1 "UVM_INITIALIZE"
	ASSERT_EQ "$(ops $p nvidia-uvm uvm_migrate)" 2 "UVM_MIGRATE"
	ASSERT_EQ "$(bytes $p nvidia-uvm uvm_migrate)" 12288 "UVM_MIGRATE lengths"
	ASSERT_EQ "$(ops $p nvidia-uvm uvm_map_external)" 1 "UVM_MAP_EXTERNAL_ALLOCATION"
	ASSERT_EQ "$(bytes $p nvidia-uvm uvm_map_external)" 65536 "its length"
	ASSERT_EQ "$(ops $p nvidia-uvm uvm_mem_map)" 1 "UVM_MEM_MAP"
	ASSERT_EQ "$(ops $p nvidia-uvm uvm_free)" 1 "UVM_FREE"
	ASSERT_EQ "$($EVQ "$EV" last activity_id --where process.pid=$p \
		--where unmapped.ioctl_class=uvm_migrate)" 2 "Modify Page"
}

test_kfd_commands_decoded() {
	local p=$CLEAN_PID
	ASSERT_EQ "$(ops $p amdkfd open)" 1 "open"
	ASSERT_EQ "$(ops $p amdkfd kfd_alloc)" 2 "ALLOC_MEMORY_OF_GPU"
	ASSERT_EQ "$(bytes $p amdkfd kfd_alloc)" 2097152 "ALLOC sizes"
	ASSERT_EQ "$(ops $p amdkfd kfd_map)" 1 "MAP_MEMORY_TO_GPU"
	ASSERT_EQ "$(ops $p amdkfd kfd_export_dmabuf)" 1 "EXPORT_DMABUF"
	ASSERT_EQ "$(ops $p amdkfd kfd_import_dmabuf)" 1 "IMPORT_DMABUF"
	ASSERT_EQ "$(ops $p amdkfd kfd_svm)" 1 "SVM"
	ASSERT_EQ "$(ops $p amdkfd kfd_criu)" 1 "CRIU_OP"
	ASSERT_EQ "$(ops $p amdkfd kfd_create_queue)" 1 "CREATE_QUEUE"
	ASSERT_EQ "$(ops $p amdkfd kfd_free)" 1 "FREE_MEMORY_OF_GPU"
}

test_rdma_verbs_decoded() {
	local p=$CLEAN_PID
	ASSERT_EQ "$(ops $p rdma open)" 1 "open"
	ASSERT_EQ "$(ops $p rdma rdma_reg_mr)" 3 "REG_MR: ioctl, ioctl INVOKE_WRITE, write()"
	ASSERT_EQ "$(ops $p rdma rdma_create_qp)" 1 "QP_CREATE"
	ASSERT_EQ "$(ops $p rdma rdma_post_send)" 1 "POST_SEND by write()"
	ASSERT_EQ "$(ops $p rdma rdma_verbs)" 2 "other verbs: PD ioctl, QUERY_DEVICE write()"
	ASSERT_EQ "$(ops $p rdma mmap)" 1 "doorbell mmap"
	ASSERT_EQ "$(bytes $p rdma mmap)" 4096 "mmap length"
}

test_untainted_process_is_silent() {
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$CLEAN_PID)" 0 "findings"
	ASSERT_EQ "$($EVQ "$EV" count --where process.pid=$CLEAN_PID --where unmapped.datasets.0=faces)" 0 \
		"no taint on its counters"
}

test_gpu_policy() {
	local p=$POLICY_PID
	ASSERT_EQ "$(finding gpu_policy $p resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding gpu_policy $p resources.0.labels.1)" PII "tags"
	ASSERT_EQ "$(finding gpu_policy $p evidences.0.process.pid)" $p "pid"
	ASSERT_EQ "$(finding gpu_policy $p evidences.0.process.file.path)" "$PROG" "exe"
	ASSERT_EQ "$(finding gpu_policy $p evidences.0.file.path)" "$T/dev/nvidia0" "device"
	ASSERT_EQ "$(finding gpu_policy $p count)" 15 "ops: all but the open and the 2 foreign"
	ASSERT_EQ "$(finding gpu_policy $p severity_id)" 4 "restricted"
	ASSERT_EQ "$(finding gpu_policy $p class_uid)" 2004 "Detection Finding"
	ASSERT_HAS "$(finding gpu_policy $p finding_info.title)" "may not reach GPUs" "title"
	ASSERT_EQ "$($EVQ "$FI" values finding_info.uid --where evidences.0.process.pid=$p | wc -l)" 1 \
		"one finding per (process, dataset, device kind)"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$p --where activity_id=1)" 1 \
		"created once"
	ASSERT_EQ "$($EVQ "$EV" last unmapped.datasets.0 --where process.pid=$p \
		--where unmapped.ioctl_class=nv_alloc)" faces "the counter carries the taint"
}

test_gpu_policy_when_taint_comes_last() {
	ASSERT_EQ "$(finding gpu_policy $LATE_PID resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding gpu_policy $LATE_PID count)" 15 "ops"
}

test_gpu_allowed_dataset_is_silent() {
	ASSERT_EQ "$(ops $ALLOWED_PID nvidia nv_alloc)" 5 "used the GPU"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$ALLOWED_PID)" 0 "findings"
}

test_kernel_bypass_egress() {
	local p=$BYPASS_PID
	ASSERT_EQ "$(finding kernel_bypass_egress $p resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding kernel_bypass_egress $p evidences.0.file.path)" \
		"$T/dev/infiniband/uverbs0" "device"
	ASSERT_EQ "$(finding kernel_bypass_egress $p count)" 8 "verbs calls and the mmap"
	ASSERT_EQ "$(finding kernel_bypass_egress $p finding_info.attacks.0.technique.uid)" T1048 \
		"att&ck"
	ASSERT_EQ "$(nfindings gpu_policy $p)" 0 "RDMA is not a GPU"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$PUBLIC_PID)" 0 \
		"public data over RDMA"
}

test_gpu_memory_read() {
	local p=$MEMREAD_PID
	ASSERT_EQ "$(ops $p nvidia-uvm uvm_tools_session)" 1 "TOOLS_INIT_EVENT_TRACKER"
	ASSERT_EQ "$(ops $p nvidia-uvm uvm_read_process_memory)" 2 "TOOLS_READ_PROCESS_MEMORY"
	ASSERT_EQ "$($EVQ "$EV" last activity_id --where process.pid=$p \
		--where unmapped.ioctl_class=uvm_read_process_memory)" 7 "Read"
	ASSERT_EQ "$(finding gpu_memory_read $p evidences.0.process.pid)" $p "pid"
	ASSERT_EQ "$(finding gpu_memory_read $p unmapped.bytes)" 8192 "bytes asked for"
	ASSERT_EQ "$(finding gpu_memory_read $p resources.0.uid)" unknown "reader holds no dataset"
	ASSERT_EQ "$(finding gpu_memory_read $p evidences.0.file.path)" "$T/dev/nvidia-uvm" "device"
	ASSERT_EQ "$(finding gpu_memory_read $p severity_id)" 4 "high"
}

test_gds_read_of_dataset() {
	local p=$GDS_PID
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid=$p --where unmapped.access=gds)" \
		8192 "classified GDS read, in the file's events"
	ASSERT_EQ "$($EVQ "$EV" last file.path --where actor.process.pid=$p --where unmapped.access=gds)" \
		"$T/ds/b.bin" "file"
	ASSERT_EQ "$($EVQ "$EV" last unmapped.dataset --where actor.process.pid=$p --where unmapped.access=gds)" \
		faces "dataset"
	ASSERT_EQ "$(ops $p nvidia-fs gds_read)" 1 "NVFS_IOCTL_READ"
	ASSERT_EQ "$(bytes $p nvidia-fs gds_read)" 8192 "its size"
	ASSERT_EQ "$(ops $p nvidia-fs gds_map)" 1 "NVFS_IOCTL_MAP"
	ASSERT_EQ "$(finding gpu_policy $p resources.0.uid)" faces "data went to the GPU"
	ASSERT_EQ "$(finding gpu_policy $p evidences.0.file.path)" "$T/dev/nvidia-fs0" "device"
}

test_device_known_by_number() {
	ASSERT_EQ "$(ops $BYNUM_PID nvidia nv_alloc)" 5 "same number, other name"
	ASSERT_EQ "$($EVQ "$EV" count --where process.pid=$UNLISTED_PID)" 0 "number of no kind"
}

# Device records go through the pipeline like every other: recorded, and replayed to the same
# events and findings, without the device table, /dev or the kernel's maps.
test_replay_reproduces_gpu_findings() {
	"$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl"
	ASSERT_EQ "$?" 0 "replay exit status"
	ASSERT_EQ "$($EVQ "$T/replay.jsonl" count --where finding_info.types.0=gpu_policy)" \
		"$($EVQ "$FI" count --where finding_info.types.0=gpu_policy)" "gpu_policy lines"
	ASSERT_EQ "$(finding gpu_memory_read $MEMREAD_PID unmapped.bytes)" \
		"$($EVQ "$T/replay.jsonl" last unmapped.bytes --where finding_info.types.0=gpu_memory_read \
			--where evidences.0.process.pid=$MEMREAD_PID)" "gpu_memory_read bytes"
	ASSERT_SAME_LINES "$FI" "$T/replay.jsonl" \
		"replayed findings are the live ones, byte for byte"
}

test_trace_cat_reproduces_gpu_events() {
	"$DATATRAIL" trace cat "$T/trace" >"$T/cat.jsonl"
	ASSERT_EQ "$?" 0 "trace cat exit status"
	ASSERT_EQ "$($EVQ "$T/cat.jsonl" count --where class_uid=1004)" \
		"$($EVQ "$EV" count --where class_uid=1004)" "memory activity lines"
	ASSERT_SAME_LINES "$EV" "$T/cat.jsonl" "trace cat prints the live event lines"
}

# GPU Memory Activity and the GPU findings are OCSF 1.8.0.
test_ocsf_valid() {
	ASSERT_OCSF "events" "$EV"
	ASSERT_OCSF "findings" "$FI"
	ASSERT_KINDS "findings" "$FI" finding_info.types.0=gpu_policy \
		finding_info.types.0=kernel_bypass_egress finding_info.types.0=gpu_memory_read
	ASSERT_KINDS "events" "$EV" class_uid=1004,activity_id=9 class_uid=1004,activity_id=1
}

run_tests gpu
