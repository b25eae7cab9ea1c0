#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gpu-smoke.sh - on an NVIDIA GPU machine: agent, nvidia-smi, a tiny CUDA job; checks device events.
#
# usage: sudo tools/gpu-smoke.sh [--keep] [--config FILE]
#
# Needs root, a built tree (make all) and the NVIDIA driver. Runs, each if present:
#   1. nvidia-smi                          -> ioctls on /dev/nvidiactl and /dev/nvidiaN
#   2. a PyTorch job (python3 -c 'import torch'), or a CUDA C program built with nvcc, that
#      first reads a file of a dataset with gpu_allowed: false, then allocates on the GPU and
#      copies to it                       -> UVM and RM calls, and a gpu_policy finding
# and checks that device events appeared for them. Prints what it saw per (process, device,
# class), then "RESULT gpu-smoke: N passed, M failed". Without a GPU it prints SKIP, exits 0.
# --config passes the agent a config file, e.g. to register /dev/nvidia-fsN nodes.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
DATATRAIL=${DATATRAIL:-$TOP/build/datatrail}
KEEP=0
CONFIG=()
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) KEEP=1 ;;
	--config) CONFIG=(--config "$2"); shift ;;
	*) echo "usage: gpu-smoke.sh [--keep] [--config FILE]" >&2; exit 2 ;;
	esac
	shift
done

if [ "$(id -u)" != 0 ]; then
	echo "gpu-smoke: needs root (it loads BPF programs)" >&2
	exit 2
fi
if [ ! -x "$DATATRAIL" ]; then
	echo "gpu-smoke: '$DATATRAIL' not built; run 'make all'" >&2
	exit 2
fi
if [ ! -e /dev/nvidiactl ] && ! command -v nvidia-smi >/dev/null; then
	echo "SKIP gpu-smoke: no /dev/nvidiactl and no nvidia-smi: not an NVIDIA machine"
	exit 0
fi

T=$(mktemp -d /var/tmp/dt-gpu-smoke.XXXXXX)
AGENT_PID=
cleanup() {
	[ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	if [ "$KEEP" = 1 ]; then echo "gpu-smoke: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
chmod 755 "$T"
mkdir -p "$T/ds"
head -c 1048576 /dev/urandom >"$T/ds/weights.bin"
chmod -R a+rX "$T"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "smoke-restricted", "classification": "restricted", "paths": ["$T/ds"],
  "gpu_allowed": false}]}
EOF

passed=0
failed=0
check() { # description command...
	local what=$1
	shift
	if "$@"; then
		echo "ok   gpu-smoke/$what"
		passed=$((passed + 1))
	else
		echo "FAIL gpu-smoke/$what"
		failed=$((failed + 1))
	fi
}

echo "gpu-smoke: $(uname -r); NVIDIA majors in /proc/devices:"
grep -E ' nvidia' /proc/devices | sed 's/^/    /'
ls -l /dev/nvidia* 2>/dev/null | sed 's/^/    /'

"$DATATRAIL" run --inventory "$T/inv.json" "${CONFIG[@]}" --events "$T/events.jsonl" \
	--findings "$T/findings.jsonl" --ready-file "$T/ready" --flush-ms 200 2>"$T/agent.err" &
AGENT_PID=$!
for _ in $(seq 300); do
	[ -s "$T/ready" ] && break
	kill -0 "$AGENT_PID" 2>/dev/null || break
	sleep 0.1
done
if [ ! -s "$T/ready" ]; then
	echo "gpu-smoke: agent did not start:" >&2
	cat "$T/agent.err" >&2
	exit 1
fi

# Runs "$@" in the background, killed after $1 seconds; LAST_PID is its pid (not timeout's,
# which would hide the process whose events we look for).
run_bounded() {
	local secs=$1 dog
	shift
	"$@" &
	LAST_PID=$!
	(sleep "$secs"; kill "$LAST_PID" 2>/dev/null) &
	dog=$!
	wait "$LAST_PID"
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
}

SMI_PID=
if command -v nvidia-smi >/dev/null; then
	run_bounded 120 nvidia-smi -L </dev/zero >"$T/smi.out" 2>&1
	SMI_PID=$LAST_PID
	sed 's/^/    /' "$T/smi.out"
else
	echo "gpu-smoke: no nvidia-smi, skipping it"
fi

# The job reads the dataset first: its GPU work must then raise gpu_policy.
JOB_PID=
JOB=
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
	JOB=pytorch
	run_bounded 300 python3 -c "
import torch
data = open('$T/ds/weights.bin', 'rb').read()
x = torch.frombuffer(bytearray(data), dtype=torch.uint8).cuda()
y = (x.float() * 2).sum()
torch.cuda.synchronize()
print('pytorch: sum', float(y))
" </dev/zero
	JOB_PID=$LAST_PID
elif command -v nvcc >/dev/null; then
	JOB=cuda
	cat >"$T/job.cu" <<'EOF'
#include <cstdio>
#include <cstdlib>
__global__ void twice(unsigned char *p, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		p[i] *= 2;
}
int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	FILE *f = fopen(argv[1], "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	unsigned char *d;
	if (cudaMalloc(&d, n) != cudaSuccess)
		return 1;
	cudaMemcpy(d, buf, n, cudaMemcpyHostToDevice);
	twice<<<(n + 255) / 256, 256>>>(d, n);
	cudaMemcpy(buf, d, n, cudaMemcpyDeviceToHost);
	cudaFree(d);
	printf("cuda: %zu bytes through the GPU\n", n);
	return 0;
}
EOF
	if nvcc -o "$T/job" "$T/job.cu" 2>"$T/nvcc.err"; then
		run_bounded 300 "$T/job" "$T/ds/weights.bin" </dev/zero
		JOB_PID=$LAST_PID
	else
		echo "gpu-smoke: nvcc failed, skipping the CUDA job:" >&2
		cat "$T/nvcc.err" >&2
		JOB=
	fi
else
	echo "gpu-smoke: neither PyTorch with CUDA nor nvcc: skipping the CUDA job"
fi

sleep 1
kill -INT "$AGENT_PID"
wait "$AGENT_PID"
AGENT_RC=$?
AGENT_PID=

echo "gpu-smoke: device events of the test's processes by device and class (ops, bytes):"
python3 - "$T/events.jsonl" ${SMI_PID:-0} ${JOB_PID:-0} <<'EOF'
import collections, json, sys
pids = {int(p) for p in sys.argv[2:]}
agg = collections.defaultdict(lambda: [0, 0])
others = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("class_uid") != 1004:
        continue
    u = r["unmapped"]
    if r["process"]["pid"] not in pids:
        others += u["count"]
        continue
    k = (r["process"]["pid"], r["process"]["name"], u["device_kind"], u["device_path"], u["ioctl_class"])
    agg[k][0] += u["count"]
    agg[k][1] += u["bytes"]
for k in sorted(agg):
    print("    %7d %-16s %-11s %-24s %-26s %8d %12d" % (k + tuple(agg[k])))
print("    (%d operations by other processes)" % others)
EOF

evq() {
	python3 "$TOP/tests/lib/evq.py" "$@"
}

check agent_exit_status test "$AGENT_RC" = 0
check nvidia_events_seen test "$(evq "$T/events.jsonl" count --where unmapped.device_kind=nvidia)" -gt 0
if [ -n "$SMI_PID" ]; then
	check nvidia_smi_rm_calls test \
		"$(evq "$T/events.jsonl" sum unmapped.count --where process.pid=$SMI_PID \
		--where unmapped.device_kind=nvidia --where unmapped.ioctl_class=nv_control)" -gt 0
fi
if [ -n "$JOB_PID" ]; then
	check "${JOB}_allocates" test \
		"$(evq "$T/events.jsonl" sum unmapped.count --where process.pid=$JOB_PID \
		--where unmapped.ioctl_class=nv_alloc)" -gt 0
	check "${JOB}_uses_uvm" test \
		"$(evq "$T/events.jsonl" count --where process.pid=$JOB_PID \
		--where unmapped.device_kind=nvidia-uvm)" -gt 0
	check "${JOB}_gpu_policy" test \
		"$(evq "$T/findings.jsonl" count --where evidences.0.process.pid=$JOB_PID \
		--where finding_info.types.0=gpu_policy --where resources.0.uid=smoke-restricted)" -gt 0
fi
check no_lost_records test "$(grep -c 'lost' "$T/agent.err")" = 0
echo "RESULT gpu-smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
