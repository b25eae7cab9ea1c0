#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_evasion_exe.sh - allowed_readers executables: another program at the allowed path is still another program.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root evasion_exe
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-exe.XXXXXX)
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	lib_cleanup
	cd /
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

# The allowed program is a test-owned copy of cat named like an interpreter, so that nothing
# depends on this machine's python; evil is another copy of cat: the same bytes, another file.
SECRET_BYTES=12345
ALLOWED=$T/usr/bin/python3.11
chmod 755 "$T"
mkdir -p "$T/ds" "$T/usr/bin" "$T/attack/usr/bin" "$T/jail$T/usr/bin" "$T/jail/secret"
head -c $SECRET_BYTES /dev/urandom >"$T/ds/secret.bin"
cp /usr/bin/cat "$ALLOWED"
ln -s python3.11 "$T/usr/bin/python3"
cp /usr/bin/cat "$T/attack/evil"
cp /usr/bin/cat "$T/attack/usr/bin/python3.11"
ln -s evil "$T/attack/link"
# A root another program sits in at the allowed path, with what cat needs to run there.
cp /usr/bin/cat "$T/jail$ALLOWED"
for lib in $(ldd /usr/bin/cat | grep -o '/[^ ]*'); do
	mkdir -p "$T/jail$(dirname "$lib")"
	cp "$lib" "$T/jail$lib"
done
# The same inode, so the same classified file, inside the jail.
ln "$T/ds/secret.bin" "$T/jail/secret/secret.bin"
chmod -R a+rX "$T"
for f in upgrade older older_evil symlink; do
	mkfifo -m 666 "$T/$f.fifo"
done
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "weights", "classification": "restricted", "paths": ["$T/ds"],
   "allowed_readers": {"executables": ["$ALLOWED"]}}
]}
EOF

EV=$T/events.jsonl
FI=$T/findings.jsonl
finding() { # kind pid field
	$EVQ "$FI" last "$3" --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
nfindings() { # pid: distinct unauthorized_read findings (a finding's updates share its uid)
	$EVQ "$FI" values finding_info.uid --where finding_info.types.0=unauthorized_read \
		--where evidences.0.process.pid="$1" | wc -l
}
read_bytes() { # pid: what the agent saw it read, so that "no finding" means "seen and allowed"
	$EVQ "$EV" sum unmapped.bytes --where actor.process.pid="$1" --where file.path="$T/ds/secret.bin"
}
# A command, not a function: "$NOBODY prog &" leaves $! the pid that becomes prog.
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"
# wait_exe PID FILE: until PID runs FILE (its exec is done), at most 10 s.
wait_exe() {
	local i
	for i in $(seq 200); do
		[ "$(stat -L -c %i "/proc/$1/exe" 2>/dev/null)" = "$(stat -c %i "$2")" ] && return 0
		sleep 0.05
	done
	echo "pid $1 did not exec $2" >&2
	return 1
}
# wait_log TEXT: until the agent's stderr has TEXT, at most 10 s.
wait_log() {
	local i
	for i in $(seq 200); do
		grep -qF -- "$1" "$T/agent.err" && return 0
		sleep 0.05
	done
	echo "agent never said: $1" >&2
	return 1
}

# Older than the agent: their identity comes from /proc/PID/exe and the exe the kernel maps.
$NOBODY "$ALLOWED" "$T/older.fifo" "$T/ds/secret.bin" >/dev/null &
OLDER_PID=$!
$NOBODY "$T/attack/evil" "$T/older_evil.fifo" "$T/ds/secret.bin" >/dev/null &
OLDER_EVIL_PID=$!
PIDS_TO_KILL="$OLDER_PID $OLDER_EVIL_PID"
wait_exe $OLDER_PID "$ALLOWED" && wait_exe $OLDER_EVIL_PID "$T/attack/evil" || exit 1

# The agent's working directory is $T: "./usr/bin/python3.11" resolved there is the allowed path.
cd "$T" || exit 1
agent_start "$T" "$T/inv.json" --flush-ms 200 --trace "$T/trace" || exit 1
OLD_INO=$(stat -c %i "$ALLOWED")
wait_log "allowed executable '$ALLOWED': device" || exit 1

echo >"$T/older.fifo"
echo >"$T/older_evil.fifo"
wait $OLDER_PID $OLDER_EVIL_PID

# Positive: the allowed file, by its path, through a symlink, and by a relative path.
$NOBODY "$ALLOWED" "$T/ds/secret.bin" >/dev/null & OK_PID=$!; wait $OK_PID
$NOBODY "$T/usr/bin/python3" "$T/ds/secret.bin" >/dev/null & SYMLINK_OK_PID=$!; wait $SYMLINK_OK_PID
(cd "$T" && exec $NOBODY ./usr/bin/python3.11 \
	ds/secret.bin >/dev/null) & RELATIVE_OK_PID=$!; wait $RELATIVE_OK_PID

# 1. A bind mount over the allowed path, in a private mount namespace, unprivileged.
$NOBODY unshare -Urm sh -c "mount --bind '$T/attack/evil' '$ALLOWED' && exec '$ALLOWED' '$T/ds/secret.bin'" \
	>/dev/null & BIND_PID=$!; wait $BIND_PID
BIND_RC=$?

# 2. A chroot holding another file at the allowed path (a user namespace grants the chroot).
$NOBODY unshare -Ur chroot "$T/jail" "$ALLOWED" /secret/secret.bin >/dev/null & CHROOT_PID=$!
wait $CHROOT_PID
CHROOT_RC=$?

# 3. A relative exec from a directory holding ./usr/bin/python3.11.
(cd "$T/attack" && exec $NOBODY ./usr/bin/python3.11 \
	"$T/ds/secret.bin" >/dev/null) & RELATIVE_PID=$!; wait $RELATIVE_PID

# 4. A symlink execed while it leads to evil, re-pointed to the allowed file before the read.
$NOBODY "$T/attack/link" "$T/symlink.fifo" "$T/ds/secret.bin" >/dev/null & SYMLINK_PID=$!
PIDS_TO_KILL="$PIDS_TO_KILL $SYMLINK_PID"
wait_exe $SYMLINK_PID "$T/attack/evil" || exit 1
ln -sfn "$ALLOWED" "$T/attack/link"
echo >"$T/symlink.fifo"
wait $SYMLINK_PID

# 5. The allowed bytes in a memfd, run with fexecve, comm and argv[0] those of the allowed file.
$NOBODY $PY -c "
import os, sys
fd = os.memfd_create('python3.11', 0)
os.write(fd, open('$ALLOWED', 'rb').read())
os.execve(fd, ['$ALLOWED', '$T/ds/secret.bin'], {})
" >/dev/null & MEMFD_PID=$!; wait $MEMFD_PID

# 6. exec -a: argv[0] says the allowed path, the file is evil.
$NOBODY bash -c "exec -a '$ALLOWED' '$T/attack/evil' '$T/ds/secret.bin'" >/dev/null & ARGV0_PID=$!
wait $ARGV0_PID

# 7. comm changed to the allowed program's name before reading.
$NOBODY $PY -c "
import ctypes
ctypes.CDLL(None).prctl(15, b'python3.11', 0, 0, 0)
open('$T/ds/secret.bin', 'rb').read()
" & COMM_PID=$!; wait $COMM_PID

# 8. An upgrade renames a new file over the allowed path: a process of the old file reads
# after the agent re-resolved it (no longer allowed), one of the new file is allowed.
$NOBODY "$ALLOWED" "$T/upgrade.fifo" "$T/ds/secret.bin" >/dev/null & UPG_OLD_PID=$!
PIDS_TO_KILL="$PIDS_TO_KILL $UPG_OLD_PID"
wait_exe $UPG_OLD_PID "$ALLOWED" || exit 1
cp "$ALLOWED" "$T/usr/bin/.python3.11.new"
chmod 755 "$T/usr/bin/.python3.11.new"
mv -f "$T/usr/bin/.python3.11.new" "$ALLOWED"
NEW_INO=$(stat -c %i "$ALLOWED")
wait_log "inode $NEW_INO (was " || exit 1
echo >"$T/upgrade.fifo"
wait $UPG_OLD_PID
$NOBODY "$ALLOWED" "$T/ds/secret.bin" >/dev/null & UPG_NEW_PID=$!; wait $UPG_NEW_PID

agent_stop

test_agent_ok() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_EQ "$BIND_RC" 0 "the bind-mounted program ran"
	ASSERT_EQ "$CHROOT_RC" 0 "the chrooted program ran"
	ASSERT_NEQ "$OLD_INO" "$NEW_INO" "the upgrade made a new inode"
}

# One unauthorized_read of all SECRET_BYTES, by PID, naming EXE and the dataset.
assert_caught() { # pid exe tag
	ASSERT_EQ "$(nfindings "$1")" 1 "$3: one unauthorized_read"
	ASSERT_EQ "$(finding unauthorized_read "$1" unmapped.bytes)" $SECRET_BYTES "$3: bytes"
	ASSERT_EQ "$(finding unauthorized_read "$1" resources.0.uid)" weights "$3: dataset"
	ASSERT_EQ "$(finding unauthorized_read "$1" evidences.0.process.file.path)" "$2" "$3: exe"
	ASSERT_EQ "$(finding unauthorized_read "$1" evidences.0.process.user.uid)" 65534 "$3: uid"
}

# Seen reading all of it, and allowed.
assert_allowed() { # pid tag
	ASSERT_EQ "$(read_bytes "$1")" $SECRET_BYTES "$2: read seen"
	ASSERT_EQ "$(nfindings "$1")" 0 "$2: no unauthorized_read"
}

test_allowed_file_reads() {
	assert_allowed $OK_PID "by its path"
	assert_allowed $SYMLINK_OK_PID "through a symlink to it"
	assert_allowed $RELATIVE_OK_PID "by a relative path"
	assert_allowed $UPG_NEW_PID "the upgraded file"
	assert_allowed $OLDER_PID "older than the agent"
}

test_bind_mount() {
	assert_caught $BIND_PID "$ALLOWED" "bind mount"
}

test_chroot() {
	assert_caught $CHROOT_PID "$ALLOWED" "chroot"
}

test_relative_exec() {
	assert_caught $RELATIVE_PID ./usr/bin/python3.11 "relative exec"
}

test_symlink_repointed() {
	assert_caught $SYMLINK_PID "$T/attack/link" "re-pointed symlink"
}

test_memfd_fexecve() {
	ASSERT_EQ "$(nfindings $MEMFD_PID)" 1 "memfd: one unauthorized_read"
	ASSERT_EQ "$(finding unauthorized_read $MEMFD_PID unmapped.bytes)" $SECRET_BYTES "memfd: bytes"
	ASSERT_HAS "$(finding unauthorized_read $MEMFD_PID evidences.0.process.file.path)" /dev/fd/ \
		"memfd: exe"
}

test_exec_a() {
	assert_caught $ARGV0_PID "$T/attack/evil" "exec -a"
	ASSERT_HAS "$(finding unauthorized_read $ARGV0_PID evidences.0.process.cmd_line)" "$ALLOWED" \
		"exec -a: argv[0] as given"
}

# The finding names the process as exec left it (python3): comm is taken at exec, not later.
test_comm_change() {
	assert_caught $COMM_PID "$PY" "comm"
}

test_upgrade_old_file_no_longer_allowed() {
	assert_caught $UPG_OLD_PID "$ALLOWED" "old inode after the upgrade"
}

test_older_than_agent_evil() {
	assert_caught $OLDER_EVIL_PID "$T/attack/evil" "older than the agent"
}

# The trace holds the resolved executables and the processes' files: replay judges alike.
test_replay_judges_alike() {
	"$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl"
	ASSERT_EQ "$?" 0 "replay exit status"
	ASSERT_EQ "$(diff <(sort "$FI") <(sort "$T/replay.jsonl") | head -c 300)" "" \
		"replayed findings are the live ones"
	ASSERT_EQ "$($EVQ "$T/replay.jsonl" values finding_info.uid \
		--where finding_info.types.0=unauthorized_read | wc -l)" 9 "nine readers caught"
}


# Every line the agent wrote in this suite is valid OCSF 1.8.0.
test_ocsf_lines_valid() {
	ASSERT_OCSF_DIR "$T" "$T"
}

run_tests evasion_exe
