#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_tamper_bpf.sh - bpftool on the agent's maps, programs and links: looks are one agent_inspect, changes agent_tamper, taint put back.
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
inspect() { # pid field: the same for the agent_inspect findings
	$EVQ "$FI" values "$2" --where finding_info.types.0=agent_inspect --where evidences.0.process.pid="$1" |
		paste -sd, -
}
count_of() { # kind pid: how many lines of that kind name the process
	$EVQ "$FI" count --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
# bpf(2) as a program without libbpf would call it: CMD with the attribute words given.
bpfcall() { # then the python statements that use bpf(cmd, fmt, *values) -> fd
	$PY -c "
import ctypes, mmap, os, platform, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
NR = {'x86_64': 321, 'aarch64': 280}[platform.machine()]
def bpf(cmd, fmt, *vals):
	attr = ctypes.create_string_buffer(struct.pack(fmt, *vals).ljust(128, b'\\0'), 128)
	r = libc.syscall(NR, cmd, attr, 128)
	if r < 0:
		raise OSError(ctypes.get_errno(), 'bpf %d' % cmd)
	return r
$1"
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
# Listings as SREs run them: every map, program and link on the host, the agent's among them.
bpftool map show >"$T/mapshow.out" &
MAPSHOW_PID=$!
wait $MAPSHOW_PID
MAPSHOW_RC=$?
bpftool prog show >"$T/progshow.out" &
PROGSHOW_PID=$!
wait $PROGSHOW_PID
bpftool link show >"$T/linkshow.out" &
LINKLIST_PID=$!
wait $LINKLIST_PID
# The pinned taint map opened read-only (BPF_F_RDONLY): the kernel refuses writes through it.
bpfcall "
fd = bpf(7, '=QII', ctypes.cast(ctypes.c_char_p(b'$(pin_dir)/taint'), ctypes.c_void_p).value, 0, 1 << 3)
print(os.getpid())" >"$T/rdonly.pid"
RDONLY_PID=$(cat "$T/rdonly.pid")
# Opened by id, then changed: the change is tampering whatever the open was.
bpftool map update id "$TAINT_ID" key 255 255 255 127 value $(printf '0 %.0s' $(seq 64)) &
UPDATE_PID=$!
wait $UPDATE_PID
UPDATE_RC=$?
# The agent's .bss (enforcement's masks) by id, then mapped shared and writable (nothing written).
DATA_ID=$(for id in $(agent_ids map | sort -u); do
	bpftool -j map show id "$id" | $PY -c "import json,sys; m=json.load(sys.stdin); print(m['id'] if m.get('name','').endswith('.bss') else '')"
done | grep . | head -n 1)
bpfcall "
fd = bpf(14, '=III', $DATA_ID, 0, 0)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m.close()
print(os.getpid())" >"$T/mmap.pid"
MMAP_PID=$(cat "$T/mmap.pid")
# Last: it may really detach one of the agent's programs.
bpftool link detach id "$LINK_ID" >/dev/null 2>&1 &
DETACH_PID=$!
wait $DETACH_PID

N_MAPS=$(agent_ids map | sort -u | wc -l)
N_LINKS=$(agent_ids link | sort -u | wc -l)
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
	ASSERT_EQ "$(tamper $DELETE_PID unmapped.operations)" map_delete_elem "operations"
	ASSERT_EQ "$(tamper $DELETE_PID unmapped.object)" "map 'taint' (id $TAINT_ID)" "object"
	ASSERT_EQ "$(tamper $DELETE_PID evidences.0.process.file.path)" /usr/sbin/bpftool "exe"
	ASSERT_EQ "$(tamper $DELETE_PID evidences.0.process.name)" bpftool "comm"
	ASSERT_EQ "$($EVQ "$FI" max severity_id --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$DELETE_PID --where unmapped.operations=map_delete_elem)" 5 \
		"deleting is critical"
	ASSERT_HAS "$(tamper $DELETE_PID finding_info.title)" \
		"bpftool (uid 0) changed the datatrail agent's map 'taint' (id $TAINT_ID)" "title"
	ASSERT_EQ "$(count_of agent_inspect $DELETE_PID)" 1 "its open by id: one look"
	ASSERT_EQ "$(inspect $DELETE_PID unmapped.operations)" map_get_fd_by_id "the look"
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

# A dump reads every entry: one look, nothing changed.
test_map_dump_by_id() {
	ASSERT_EQ "$(count_of agent_tamper $DUMP_PID)" 0 "no agent_tamper"
	ASSERT_EQ "$(count_of agent_inspect $DUMP_PID)" 1 "one agent_inspect line"
	ASSERT_EQ "$(inspect $DUMP_PID unmapped.operations)" map_get_fd_by_id "operation"
	ASSERT_EQ "$(inspect $DUMP_PID unmapped.object)" "map 'taint' (id $TAINT_ID)" "object"
	ASSERT_EQ "$(inspect $DUMP_PID unmapped.objects)" 1 "objects looked at"
	ASSERT_EQ "$(inspect $DUMP_PID count)" 1 "count"
	ASSERT_EQ "$(inspect $DUMP_PID severity_id)" 1 "informational"
	ASSERT_EQ "$(inspect $DUMP_PID activity_id)" 1 "a Create, never closed"
	ASSERT_EQ "$(inspect $DUMP_PID evidences.0.process.file.path)" /usr/sbin/bpftool "exe"
	ASSERT_EQ "$(inspect $DUMP_PID finding_info.title)" \
		"bpftool (uid 0) looked at 1 of the datatrail agent's BPF objects, read-only, first map 'taint' (id $TAINT_ID)" \
		"title"
}

test_prog_by_id() {
	# bpftool also opens the program's maps by id (its metadata): still one line.
	ASSERT_EQ "$(count_of agent_tamper $PROG_PID)" 0 "no agent_tamper"
	ASSERT_EQ "$(count_of agent_inspect $PROG_PID)" 1 "one agent_inspect line"
	ASSERT_HAS "$(inspect $PROG_PID unmapped.operations)" prog_get_fd_by_id "operation"
	ASSERT_HAS "$(inspect $PROG_PID unmapped.object)" "program 'dt_" "object"
	ASSERT_HAS "$(inspect $PROG_PID unmapped.object)" "(id $PROG_ID)" "the program, by its id"
	ASSERT_EQ "$(inspect $PROG_PID evidences.0.process.file.path)" /usr/sbin/bpftool "exe"
}

test_link_by_id_and_detach() {
	ASSERT_EQ "$(count_of agent_tamper $LINKSHOW_PID)" 0 "show: no agent_tamper"
	ASSERT_EQ "$(count_of agent_inspect $LINKSHOW_PID)" 1 "show: one agent_inspect line"
	ASSERT_HAS "$(inspect $LINKSHOW_PID unmapped.operations)" link_get_fd_by_id "operation"
	ASSERT_HAS "$(inspect $LINKSHOW_PID unmapped.object)" "link 'dt_" "object"
	ASSERT_HAS "$(inspect $LINKSHOW_PID unmapped.object)" "(id $LINK_ID)" "object id"
	ASSERT_EQ "$(tamper $DETACH_PID unmapped.operations)" link_detach "detach"
	ASSERT_EQ "$(inspect $DETACH_PID unmapped.operations)" link_get_fd_by_id "its open: a look"
	ASSERT_HAS "$($EVQ "$FI" values unmapped.object --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$DETACH_PID --where unmapped.operations=link_detach)" \
		"(id $LINK_ID)" "the link detached, by its id"
	ASSERT_EQ "$($EVQ "$FI" max severity_id --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$DETACH_PID)" 5 "detaching is critical"
}

# bpftool map/prog/link show: every object on the host opened by id, the agent's among them.
test_listings_are_one_look_each() {
	ASSERT_EQ "$MAPSHOW_RC" 0 "bpftool map show"
	ASSERT_HAS "$(cat "$T/mapshow.out")" "$TAINT_ID: hash  name taint" "the listing shows the taint map"
	for p in $MAPSHOW_PID $PROGSHOW_PID $LINKLIST_PID; do
		ASSERT_EQ "$(count_of agent_tamper $p)" 0 "pid $p: no agent_tamper"
		ASSERT_EQ "$(count_of agent_inspect $p)" 1 "pid $p: one agent_inspect line"
		ASSERT_EQ "$(inspect $p evidences.0.process.file.path)" /usr/sbin/bpftool "pid $p: exe"
		ASSERT_EQ "$(inspect $p severity)" Informational "pid $p: severity"
	done
	ASSERT_EQ "$(inspect $MAPSHOW_PID unmapped.operations)" map_get_fd_by_id "map show: operations"
	ASSERT_EQ "$(inspect $MAPSHOW_PID unmapped.objects)" "$N_MAPS" "map show: each of the agent's maps"
	ASSERT_HAS "$(inspect $PROGSHOW_PID unmapped.operations)" prog_get_fd_by_id "prog show: operations"
	ASSERT_EQ "$(inspect $LINKLIST_PID unmapped.operations)" link_get_fd_by_id "link show: operations"
	ASSERT_EQ "$(inspect $LINKLIST_PID unmapped.objects)" "$N_LINKS" "link show: each of the agent's links"
}

test_pin_opened_read_only() {
	ASSERT_NEQ "$RDONLY_PID" "" "the read-only open ran"
	ASSERT_EQ "$(count_of agent_tamper $RDONLY_PID)" 0 "no agent_tamper"
	ASSERT_EQ "$(inspect $RDONLY_PID unmapped.operations)" obj_get_rdonly "operation"
	ASSERT_EQ "$(inspect $RDONLY_PID unmapped.object)" "$(pin_dir)/taint" "the pinned path"
	ASSERT_EQ "$(inspect $RDONLY_PID evidences.0.process.file.path)" "$PY" "exe"
}

# A look does not excuse a change: the open is a look, the update or mmap tampering.
test_open_then_change() {
	ASSERT_EQ "$UPDATE_RC" 0 "bpftool updated an entry"
	ASSERT_EQ "$(tamper $UPDATE_PID unmapped.operations)" map_update_elem "update"
	ASSERT_EQ "$(tamper $UPDATE_PID severity_id)" 5 "critical"
	ASSERT_EQ "$(tamper $UPDATE_PID evidences.0.process.pid)" "$UPDATE_PID" "pid"
	ASSERT_EQ "$(tamper $UPDATE_PID evidences.0.process.file.path)" /usr/sbin/bpftool "exe"
	ASSERT_EQ "$(inspect $UPDATE_PID unmapped.operations)" map_get_fd_by_id "its open"
	ASSERT_NEQ "$DATA_ID" "" "the agent's .bss map"
	ASSERT_EQ "$(tamper $MMAP_PID unmapped.operations)" map_mmap_write "writable mmap"
	ASSERT_HAS "$(tamper $MMAP_PID unmapped.object)" "(id $DATA_ID)" "the .bss map"
	ASSERT_EQ "$(tamper $MMAP_PID severity_id)" 5 "critical"
	ASSERT_EQ "$(tamper $MMAP_PID evidences.0.process.file.path)" "$PY" "exe"
	ASSERT_EQ "$(inspect $MMAP_PID unmapped.objects)" 1 "its open by id"
}

test_agent_itself_is_exempt() {
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$AGENT_PID)" 0 "no finding names the agent"
}


# Every line the agent wrote in this suite is valid OCSF 1.8.0.
test_ocsf_lines_valid() {
	ASSERT_OCSF_DIR "$T" "$T"
}

run_tests tamper_bpf
