#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_restart.sh - pinned maps: taint and counters survive an agent restart; cleanup removes them.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root restart
mount_kernel_fs

EXT=dt-rst-$$
VX=dtr$$
T=$(mktemp -d /var/tmp/dt-restart.XXXXXX)
PIN_DIR=/sys/fs/bpf/dt-test-$$-restart
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	ip netns pids "$EXT" 2>/dev/null | xargs -r kill 2>/dev/null
	ip link del "$VX" 2>/dev/null
	ip netns del "$EXT" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.199.3.1 10.199.3.2 || exit 1
mkdir -p "$T/ds" "$T/a1" "$T/a2"
head -c 100000 /dev/urandom >"$T/ds/a.bin"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"]}]}
EOF

agent_start "$T/a1" "$T/inv.json" --flush-ms 200 || exit 1
# Tainted under the first agent, sending under the second.
$PY -c "
import os, socket, time
assert len(open('$T/ds/a.bin', 'rb').read()) == 100000
open('$T/read.done', 'w').close()
for _ in range(300):
    if os.path.exists('$T/go'): break
    time.sleep(0.1)
socket.create_connection(('10.199.3.2', 9101), timeout=10).sendall(b'x' * 5000)
" &
PY_PID=$!
PIDS_TO_KILL="$PY_PID"
for i in $(seq 100); do [ -e "$T/read.done" ] && break; sleep 0.05; done
agent_stop
RC1=$AGENT_RC
PINNED=$(ls "$PIN_DIR" | sort | paste -sd, -)

agent_start "$T/a2" "$T/inv.json" --flush-ms 200 || exit 1
listen "$EXT" tcp 10.199.3.2 9101 "$T/recv" || exit 1
touch "$T/go"
wait $PY_PID
sleep 0.5
agent_stop
RC2=$AGENT_RC
"$DATATRAIL" cleanup --pin-dir "$PIN_DIR"
CLEANUP_RC=$?

test_both_runs_clean() {
	ASSERT_EQ "$RC1" 0 "first agent"
	ASSERT_EQ "$RC2" 0 "second agent"
	ASSERT_HAS "$PINNED" "taint" "taint is pinned"
	ASSERT_HAS "$PINNED" "acc_seen" "reported counters are pinned"
}

test_taint_survives_restart() {
	ASSERT_EQ "$(stat -c %s "$T/recv")" 5000 "bytes arrived"
	ASSERT_EQ "$($EVQ "$T/a2/findings.jsonl" last unmapped.bytes --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid=$PY_PID)" 5000 "exfiltration raised by the second agent"
	ASSERT_EQ "$($EVQ "$T/a2/findings.jsonl" last resources.0.uid --where evidences.0.process.pid=$PY_PID)" \
		faces "dataset"
}

test_counts_not_repeated() {
	ASSERT_EQ "$($EVQ "$T/a1/events.jsonl" sum unmapped.bytes --where actor.process.pid=$PY_PID)" 100000 \
		"the first agent reported the read"
	ASSERT_EQ "$($EVQ "$T/a2/events.jsonl" sum unmapped.bytes --where actor.process.pid=$PY_PID)" 0 \
		"the second did not report it again"
}

test_cleanup_removes_pins() {
	ASSERT_EQ "$CLEANUP_RC" 0 "cleanup exit status"
	ASSERT_EQ "$([ -e "$PIN_DIR" ] && echo present || echo gone)" gone "pin directory"
}

run_tests restart
