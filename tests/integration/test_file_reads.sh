#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_file_reads.sh - real programs read classified files under the real agent: exact bytes, pid, exe, dataset.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root file_reads
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-reads.XXXXXX)
cleanup() {
	[ -n "${SLOW_PID:-}" ] && kill "$SLOW_PID" 2>/dev/null
	mountpoint -q "$T/bind" && umount "$T/bind"
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/ds/sub" "$T/bind" "$T/out" "$T/outside/a/b" "$T/outside/u/v"
head -c 100000 /dev/urandom >"$T/ds/a.bin"
head -c 65659 /dev/urandom >"$T/ds/b.bin"
head -c 5000 /dev/urandom >"$T/ds/sub/c.bin"
head -c 4321 /dev/urandom >"$T/ds/moveme.bin"
head -c 7777 /dev/urandom >"$T/labels.csv"
head -c 3000 /dev/urandom >"$T/plain.bin"
head -c 2222 /dev/urandom >"$T/outside/a/b/in.bin"
head -c 3333 /dev/urandom >"$T/outside/u/v/in.bin"
ln "$T/ds/a.bin" "$T/link.bin"
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "faces", "classification": "restricted", "paths": ["$T/ds"]},
  {"id": "labels", "classification": "confidential", "paths": ["$T/labels.csv"]}
]}
EOF
mount --bind "$T/ds" "$T/bind"

EV=$T/events.jsonl
# Sum of bytes the agent reported for one pid (and optionally one access kind).
bytes_of() { # pid [access]
	if [ $# -gt 1 ]; then
		$EVQ "$EV" sum unmapped.bytes --where actor.process.pid="$1" --where unmapped.access="$2"
	else
		$EVQ "$EV" sum unmapped.bytes --where actor.process.pid="$1"
	fi
}
field_of() { # pid field
	$EVQ "$EV" values "$2" --where actor.process.pid="$1" | paste -sd, -
}

agent_start "$T" "$T/inv.json" --flush-ms 200 || exit 1

# Reads 12345 bytes and stays alive: the agent is stopped while it still runs.
$PY -c "
import sys, time
f = open('$T/ds/a.bin', 'rb', buffering=0)
assert len(f.read(12345)) == 12345
open('$T/slow.ready', 'w').close()
time.sleep(60)
" &
SLOW_PID=$!

/usr/bin/cat "$T/ds/a.bin" >/dev/null & CAT_PID=$!; wait $CAT_PID
/usr/bin/dd if="$T/ds/sub/c.bin" of=/dev/null bs=1 status=none & DD1_PID=$!; wait $DD1_PID
/usr/bin/dd if="$T/ds/a.bin" of=/dev/null bs=4096 status=none & DD4K_PID=$!; wait $DD4K_PID
/usr/bin/dd if="$T/ds/a.bin" of=/dev/null bs=1M status=none & DD1M_PID=$!; wait $DD1M_PID
/usr/bin/dd if="$T/ds/b.bin" of=/dev/null bs=512 count=7 status=none & DDC_PID=$!; wait $DDC_PID
$PY -c "
import os
fd = os.open('$T/ds/b.bin', os.O_RDONLY); off = 0
while True:
    n = len(os.pread(fd, 1000, off))
    if n == 0: break
    off += n
" & PREAD_PID=$!; wait $PREAD_PID
$PY -c "
import os
fd = os.open('$T/ds/b.bin', os.O_RDONLY)
while os.readv(fd, [bytearray(1000), bytearray(3000)]) > 0: pass
" & READV_PID=$!; wait $READV_PID
$PY -c "
import os
fd = os.open('$T/ds/sub/c.bin', os.O_RDONLY); off = 0
while True:
    n = os.preadv(fd, [bytearray(700)], off)
    if n == 0: break
    off += n
" & PREADV_PID=$!; wait $PREADV_PID
$PY -c "
import mmap
f = open('$T/ds/a.bin', 'rb')
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
assert len(m[:]) == 100000
g = open('$T/ds/b.bin', 'rb')
m2 = mmap.mmap(g.fileno(), 8192, prot=mmap.PROT_READ)
" & MMAP_PID=$!; wait $MMAP_PID
$PY -c "
import os
out = os.open('/dev/null', os.O_WRONLY); fd = os.open('$T/ds/a.bin', os.O_RDONLY); off = 0
while True:
    n = os.sendfile(out, fd, off, 30000)
    if n == 0: break
    off += n
" & SENDFILE_PID=$!; wait $SENDFILE_PID
$PY -c "
import os
fd = os.open('$T/ds/sub/c.bin', os.O_RDONLY); r, w = os.pipe()
while True:
    n = os.splice(fd, w, 1024)
    if n == 0: break
    os.read(r, n)
" & SPLICE_PID=$!; wait $SPLICE_PID
$PY -c "
import os
src = os.open('$T/ds/a.bin', os.O_RDONLY)
dst = os.open('$T/out/copy.bin', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
while os.copy_file_range(src, dst, 40000) > 0: pass
" & CFR_PID=$!; wait $CFR_PID
"$TOP/$BUILD/tests/progs/uring_read" "$T/ds/a.bin" >"$T/uring.out" & URING_PID=$!; wait $URING_PID
/usr/bin/cat "$T/plain.bin" >/dev/null & PLAIN_PID=$!; wait $PLAIN_PID
/usr/bin/cat "$T/link.bin" >/dev/null & LINK_PID=$!; wait $LINK_PID
/usr/bin/cat "$T/bind/b.bin" >/dev/null & BIND_PID=$!; wait $BIND_PID
/usr/bin/cat "$T/labels.csv" >/dev/null & LABELS_PID=$!; wait $LABELS_PID

# Created after the agent started: in a dataset directory, and in a new subdirectory of it.
printf 0123456789 >"$T/ds/sub/new.txt"
mkdir -p "$T/ds/newdir/deeper"
printf abcdef >"$T/ds/newdir/deeper/n2.txt"
/usr/bin/cat "$T/ds/sub/new.txt" >/dev/null & NEW_PID=$!; wait $NEW_PID
/usr/bin/cat "$T/ds/newdir/deeper/n2.txt" >/dev/null & NEW2_PID=$!; wait $NEW2_PID
# Renamed out of the dataset directory: classification follows the inode.
mv "$T/ds/moveme.bin" "$T/moved.bin"
/usr/bin/cat "$T/moved.bin" >/dev/null & MOVED_PID=$!; wait $MOVED_PID

# Read while unclassified (the kernel remembers that b has no classified ancestor), then the
# tree is moved into the dataset: the next open must walk again and find it.
/usr/bin/cat "$T/outside/a/b/in.bin" >/dev/null & OUTSIDE_PID=$!; wait $OUTSIDE_PID
mv "$T/outside/a" "$T/ds/moved-in"
/usr/bin/cat "$T/ds/moved-in/b/in.bin" >/dev/null & MOVEDIN_PID=$!; wait $MOVEDIN_PID
# The same with the rename done by io_uring, which makes no rename syscall.
/usr/bin/cat "$T/outside/u/v/in.bin" >/dev/null & OUTSIDE2_PID=$!; wait $OUTSIDE2_PID
"$TOP/$BUILD/tests/progs/uring_rename" "$T/outside/u" "$T/ds/uring-in"
/usr/bin/cat "$T/ds/uring-in/v/in.bin" >/dev/null & URINGIN_PID=$!; wait $URINGIN_PID
# Changes of a dataset file, each its own File System Activity: set attributes, truncate, delete.
/usr/bin/chmod 640 "$T/ds/newdir/deeper/n2.txt" & CHMOD_PID=$!; wait $CHMOD_PID
/usr/bin/truncate -s 2 "$T/ds/newdir/deeper/n2.txt" & TRUNC_PID=$!; wait $TRUNC_PID
/usr/bin/rm "$T/ds/newdir/deeper/n2.txt" & RM_PID=$!; wait $RM_PID

for i in $(seq 100); do [ -e "$T/slow.ready" ] && break; sleep 0.1; done
agent_stop
kill "$SLOW_PID" 2>/dev/null
wait "$SLOW_PID" 2>/dev/null
SLOW_STOPPED=$SLOW_PID
SLOW_PID=

test_agent_exits_cleanly() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_HAS "$(cat "$T/agent.err")" "datatrail: stopped:" "agent summary"
	ASSERT_EQ "$(stat -c %a "$EV")" 600 "events file mode"
}

test_cat() {
	ASSERT_EQ "$(bytes_of $CAT_PID)" 100000 "cat bytes"
	ASSERT_EQ "$(field_of $CAT_PID unmapped.dataset)" faces "cat dataset"
	ASSERT_EQ "$(field_of $CAT_PID file.confidentiality)" Restricted "cat label"
	ASSERT_EQ "$(field_of $CAT_PID actor.process.file.path)" /usr/bin/cat "cat exe"
	ASSERT_EQ "$(field_of $CAT_PID actor.process.name)" cat "cat comm"
	ASSERT_EQ "$(field_of $CAT_PID actor.process.cmd_line)" "/usr/bin/cat $T/ds/a.bin" "cat cmdline"
	ASSERT_EQ "$(field_of $CAT_PID actor.process.user.uid)" 0 "cat uid"
	ASSERT_EQ "$(field_of $CAT_PID file.path)" "$T/ds/a.bin" "cat path"
	ASSERT_EQ "$(field_of $CAT_PID class_uid),$(field_of $CAT_PID type_uid)" "1001,100102" "ocsf class"
}

test_dd_block_sizes() {
	ASSERT_EQ "$(bytes_of $DD1_PID read)" 5000 "dd bs=1 bytes"
	ASSERT_EQ "$($EVQ "$EV" sum count --where actor.process.pid=$DD1_PID)" 5000 "dd bs=1 reads"
	ASSERT_EQ "$(bytes_of $DD4K_PID read)" 100000 "dd bs=4096 bytes"
	ASSERT_EQ "$($EVQ "$EV" sum count --where actor.process.pid=$DD4K_PID)" 25 "dd bs=4096 reads"
	ASSERT_EQ "$(bytes_of $DD1M_PID read)" 100000 "dd bs=1M bytes"
	ASSERT_EQ "$(bytes_of $DDC_PID read)" 3584 "dd bs=512 count=7 bytes"
	ASSERT_EQ "$(field_of $DD4K_PID actor.process.file.path)" /usr/bin/dd "dd exe"
}

test_pread_readv_preadv() {
	ASSERT_EQ "$(bytes_of $PREAD_PID read)" 65659 "pread loop bytes"
	ASSERT_EQ "$(field_of $PREAD_PID actor.process.file.path)" /usr/bin/python3 "python exe"
	ASSERT_EQ "$(bytes_of $READV_PID read)" 65659 "readv bytes"
	ASSERT_EQ "$(bytes_of $PREADV_PID read)" 5000 "preadv bytes"
}

test_mmap() {
	ASSERT_EQ "$(bytes_of $MMAP_PID mmap)" $((100000 + 8192)) "mmap bytes (whole + 8192)"
	ASSERT_EQ "$(bytes_of $MMAP_PID read)" 0 "mmap is not a read"
	ASSERT_EQ "$(field_of $MMAP_PID unmapped.access)" mmap "access"
}

test_sendfile_splice_copy_file_range() {
	ASSERT_EQ "$(bytes_of $SENDFILE_PID sendfile)" 100000 "sendfile bytes"
	ASSERT_EQ "$(bytes_of $SPLICE_PID splice)" 5000 "splice bytes"
	ASSERT_EQ "$(bytes_of $CFR_PID copy_file_range)" 100000 "copy_file_range bytes"
}

test_io_uring() {
	ASSERT_EQ "$(cat "$T/uring.out")" 100000 "workload read"
	ASSERT_EQ "$(bytes_of $URING_PID io_uring)" 100000 "io_uring bytes"
	ASSERT_EQ "$(field_of $URING_PID actor.process.file.path)" "$TOP/$BUILD/tests/progs/uring_read" "exe"
}

test_unclassified_is_silent() {
	ASSERT_EQ "$($EVQ "$EV" count --where actor.process.pid=$PLAIN_PID)" 0 "records for plain cat"
	ASSERT_EQ "$($EVQ "$EV" count --where file.path="$T/plain.bin")" 0 "records for plain file"
}

test_hard_link_bind_mount_rename() {
	ASSERT_EQ "$(bytes_of $LINK_PID)" 100000 "hard link bytes"
	ASSERT_EQ "$(field_of $LINK_PID unmapped.dataset)" faces "hard link dataset"
	ASSERT_EQ "$(bytes_of $BIND_PID)" 65659 "bind mount bytes"
	ASSERT_EQ "$(field_of $BIND_PID file.path)" "$T/ds/b.bin" "bind mount path"
	ASSERT_EQ "$(bytes_of $MOVED_PID)" 4321 "renamed-out bytes"
	ASSERT_EQ "$(field_of $MOVED_PID unmapped.dataset)" faces "renamed-out dataset"
}

test_single_file_dataset() {
	ASSERT_EQ "$(bytes_of $LABELS_PID)" 7777 "labels bytes"
	ASSERT_EQ "$(field_of $LABELS_PID unmapped.dataset)" labels "labels dataset"
	ASSERT_EQ "$(field_of $LABELS_PID file.confidentiality)" Confidential "labels label"
}

test_created_after_start() {
	ASSERT_EQ "$(bytes_of $NEW_PID)" 10 "new file bytes"
	ASSERT_EQ "$(field_of $NEW_PID file.path)" "$T/ds/sub/new.txt" "new file path"
	ASSERT_EQ "$(field_of $NEW_PID unmapped.dataset)" faces "new file dataset"
	ASSERT_EQ "$(bytes_of $NEW2_PID)" 6 "file in new subdir bytes"
	ASSERT_EQ "$(field_of $NEW2_PID file.path)" "$T/ds/newdir/deeper/n2.txt" "new subdir path"
}

test_moved_into_dataset() {
	ASSERT_EQ "$(bytes_of $OUTSIDE_PID)" 0 "bytes read before the move"
	ASSERT_EQ "$(bytes_of $MOVEDIN_PID)" 2222 "bytes read after the move"
	ASSERT_EQ "$(field_of $MOVEDIN_PID file.path)" "$T/ds/moved-in/b/in.bin" "moved-in path"
	ASSERT_EQ "$(field_of $MOVEDIN_PID unmapped.dataset)" faces "moved-in dataset"
	ASSERT_EQ "$(bytes_of $OUTSIDE2_PID)" 0 "bytes read before the io_uring move"
	ASSERT_EQ "$(bytes_of $URINGIN_PID)" 3333 "bytes read after the io_uring move"
	ASSERT_EQ "$(field_of $URINGIN_PID file.path)" "$T/ds/uring-in/v/in.bin" "io_uring moved-in path"
}

test_stopped_mid_read() {
	ASSERT_EQ "$(bytes_of $SLOW_STOPPED)" 12345 "bytes read before the agent stopped"
}

test_no_stray_records() {
	local pids="$CAT_PID $DD1_PID $DD4K_PID $DD1M_PID $DDC_PID $PREAD_PID $READV_PID $PREADV_PID"
	pids="$pids $MMAP_PID $SENDFILE_PID $SPLICE_PID $CFR_PID $URING_PID $LINK_PID $BIND_PID"
	pids="$pids $LABELS_PID $NEW_PID $NEW2_PID $MOVED_PID $MOVEDIN_PID $URINGIN_PID $SLOW_STOPPED"
	local p stray=""
	for p in $($EVQ "$EV" values actor.process.pid --where activity_id=2); do
		[[ " $pids " == *" $p "* ]] || stray="$stray $p"
	done
	# The shell that created new.txt wrote, but did not read: no read record.
	ASSERT_EQ "$stray" "" "read records from processes the test did not start"
}

# Every read, write, rename, mmap, io_uring... line is OCSF 1.8.0.
test_ocsf_valid() {
	ASSERT_OCSF "events" "$EV"
	ASSERT_KINDS "events" "$EV" activity_id=2 unmapped.access=mmap unmapped.access=io_uring \
		unmapped.access=sendfile activity_id=5,unmapped.access=rename \
		activity_id=3,unmapped.access=write activity_id=1,unmapped.access=create \
		actor.process.pid=$CHMOD_PID,activity_id=6,unmapped.access=set_attributes \
		actor.process.pid=$TRUNC_PID,activity_id=3,unmapped.access=truncate \
		actor.process.pid=$RM_PID,activity_id=4,unmapped.access=unlink
	ASSERT_NEQ "$($EVQ "$EV" max start_time --where actor.process.pid=$CAT_PID)" "" \
		"a counter's first line has its window"
}

run_tests file_reads
