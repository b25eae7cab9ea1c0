#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_channels_fs.sh - writes to FUSE (sshfs), removable (loop) and allowed mounts: exfiltration by mount, or not.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root channels_fs
mount_kernel_fs

# The sshfs server: sshd in a test host of its own, on an address of 10.203.1.0/24.
NS=dt-chfs-$$
VX=dtc$$
T=$(mktemp -d /var/tmp/dt-chfs.XXXXXX)
PIDS_TO_KILL=""
LOOPS=""
cleanup() {
	local m l
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	for m in "$T/sshfs" "$T/usb" "$T/backup"; do
		mountpoint -q "$m" 2>/dev/null && umount -l "$m" 2>/dev/null
	done
	for l in $LOOPS; do losetup -d "$l" 2>/dev/null; done
	[ -s "$T/ssh/sshd.pid" ] && kill "$(cat "$T/ssh/sshd.pid")" 2>/dev/null
	teardown_host "$NS" "$VX"
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$NS" "$VX" 10.203.1.1 10.203.1.2 || exit 1

chmod 755 "$T"
mkdir -p "$T/ds" "$T/ds2" "$T/ssh" "$T/remote" "$T/sshfs" "$T/usb" "$T/backup" "$T/local"
head -c 100000 /dev/urandom >"$T/ds/a.bin"
head -c 20000 /dev/urandom >"$T/ds/b.bin"
head -c 30000 /dev/urandom >"$T/ds/c.bin"
head -c 7000 /dev/urandom >"$T/ds/d.bin"
head -c 3000 /dev/urandom >"$T/ds/e.bin"
head -c 4000 /dev/urandom >"$T/ds2/f.bin"
head -c 8192 /dev/urandom >"$T/ds/g.bin"
head -c 5000 /dev/urandom >"$T/plain.bin"
chmod -R a+rX "$T/ds" "$T/ds2"

# sshd with its own host key, client key and config: nothing of the host's.
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_key" || exit 1
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/id" || exit 1
cp "$T/ssh/id.pub" "$T/ssh/authorized_keys"
cat >"$T/ssh/sshd_config" <<EOF
ListenAddress 10.203.1.2
Port 22
HostKey $T/ssh/host_key
AuthorizedKeysFile $T/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $T/ssh/sshd.pid
Subsystem sftp internal-sftp
EOF
mkdir -p /run/sshd
ip netns exec "$NS" /usr/sbin/sshd -f "$T/ssh/sshd_config" -E "$T/ssh/sshd.log" || exit 1
for i in $(seq 100); do
	ip netns exec "$NS" ss -ltn | grep -q '10.203.1.2:22 ' && break
	sleep 0.05
done
timeout 30 sshfs -o IdentityFile="$T/ssh/id",StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null \
	-o BatchMode=yes,ConnectTimeout=10 "root@10.203.1.2:$T/remote" "$T/sshfs" 2>"$T/sshfs.err" ||
	{ echo "sshfs mount failed: $(cat "$T/sshfs.err")" >&2; exit 1; }

# Block devices standing in for removable media: one not allowed, one allowed by mount, one
# written raw (never mounted).
for img in usb backup raw; do
	truncate -s 16M "$T/$img.img"
	mkfs.ext4 -q -F "$T/$img.img" || exit 1
	l=$(losetup -f --show "$T/$img.img") || exit 1
	LOOPS="$LOOPS $l"
	eval "LOOP_$img=$l"
done
# shellcheck disable=SC2154
cat >"$T/config.json" <<EOF
{"egress_block_devices": ["${LOOP_usb#/dev/}", "${LOOP_backup#/dev/}", "${LOOP_raw#/dev/}"]}
EOF
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "faces", "classification": "restricted", "paths": ["$T/ds"],
   "allowed_egress": ["10.203.9.0/24", "mount:$T/backup"]},
  {"id": "notes", "classification": "confidential", "paths": ["$T/ds2"],
   "allowed_egress": ["fstype:fuse.*"]}
]}
EOF

EV=$T/events.jsonl
FI=$T/findings.jsonl
finding() { # kind pid field
	$EVQ "$FI" last "$3" --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
nfindings() { # pid
	$EVQ "$FI" count --where evidences.0.process.pid="$1"
}
# wait_log TEXT [DIR]: the agent with outputs in DIR ($T) said TEXT on stderr (bounded).
wait_log() {
	local i err=${2:-$T}/agent.err
	for i in $(seq 100); do
		grep -qF "$1" "$err" && return 0
		sleep 0.05
	done
	echo "agent did not log '$1': $(cat "$err")" >&2
	return 1
}

# sshfs is mounted before the start (the first scan); the loop devices after (POLLPRI).
agent_start "$T" "$T/inv.json" --flush-ms 200 --config "$T/config.json" --trace "$T/trace" ||
	exit 1
wait_log "egress mount '$T/sshfs' (fuse.sshfs" || exit 1
wait_log "egress block device '$LOOP_raw' (removable)" || exit 1
mount "$LOOP_usb" "$T/usb" || exit 1
mount "$LOOP_backup" "$T/backup" || exit 1
wait_log "egress mount '$T/usb' (ext4" || exit 1
wait_log "egress mount '$T/backup' (ext4" || exit 1

# 1. FUSE: cat > and cp into sshfs.
/usr/bin/cat "$T/ds/a.bin" >"$T/sshfs/a.out" &
CAT_PID=$!
wait $CAT_PID
/usr/bin/cp "$T/ds/b.bin" "$T/sshfs/b.out" &
CP_PID=$!
wait $CP_PID
# 2. Removable: the taint through a pipe, then dd onto the loop mount.
/usr/bin/cat "$T/ds/c.bin" | /usr/bin/dd of="$T/usb/c.out" bs=4096 status=none &
DD_PID=$!
wait $DD_PID
# 2b. Removable, raw: dd onto the block device itself.
/usr/bin/dd if="$T/ds/g.bin" of="$LOOP_raw" bs=4096 conv=fsync status=none &
RAW_PID=$!
wait $RAW_PID
# 3. Allowed mount.
/usr/bin/cp "$T/ds/d.bin" "$T/backup/d.out" &
OK_PID=$!
wait $OK_PID
# 3b. Allowed by file system type (notes may go to any FUSE mount), but not to the stick.
/usr/bin/cp "$T/ds2/f.bin" "$T/sshfs/f.out" &
OK2_PID=$!
wait $OK2_PID
/usr/bin/dd if="$T/ds2/f.bin" of="$T/usb/f.out" status=none &
DD2_PID=$!
wait $DD2_PID
# 4. Untainted writers.
/usr/bin/cp "$T/plain.bin" "$T/sshfs/plain.out" &
PLAIN1_PID=$!
wait $PLAIN1_PID
/usr/bin/dd if="$T/plain.bin" of="$T/usb/plain.out" status=none &
PLAIN2_PID=$!
wait $PLAIN2_PID
# 5. A local file system: a derived copy, as before.
/usr/bin/cat "$T/ds/e.bin" >"$T/local/e.out" &
LOCAL_PID=$!
wait $LOCAL_PID
sync -f "$T/usb/c.out"

agent_stop
MAIN_RC=$AGENT_RC

# The compat BPF build (kernels before 6.2: helper reads instead of BTF pointers), forced here:
# the same file and block device writes, by a second agent with outputs of its own.
mkdir -p "$T/compat"
DATATRAIL_BPF_COMPAT=1 agent_start "$T/compat" "$T/inv.json" --flush-ms 200 \
	--config "$T/config.json" || exit 1
wait_log "egress mount '$T/sshfs' (fuse.sshfs" "$T/compat" || exit 1
wait_log "egress block device '$LOOP_raw' (removable)" "$T/compat" || exit 1
/usr/bin/cat "$T/ds/a.bin" >"$T/sshfs/compat.out" &
CCAT_PID=$!
wait $CCAT_PID
/usr/bin/dd if="$T/ds/g.bin" of="$LOOP_raw" bs=4096 conv=fsync status=none &
CRAW_PID=$!
wait $CRAW_PID
agent_stop
COMPAT_RC=$AGENT_RC

test_agent_exits_cleanly() {
	ASSERT_EQ "$MAIN_RC" 0 "agent exit status"
	ASSERT_OCSF "findings" "$FI"
	ASSERT_OCSF "events" "$EV"
}

test_fuse_cat_redirect() {
	ASSERT_EQ "$(stat -c %s "$T/remote/a.out")" 100000 "bytes arrived at the sshd's directory"
	ASSERT_EQ "$(cmp "$T/ds/a.bin" "$T/remote/a.out" && echo same)" same "the same bytes"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" unmapped.bytes)" 100000 "finding bytes"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" evidences.0.process.name)" cat "process"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" unmapped.mount.fs_type)" fuse.sshfs "fs type"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" unmapped.mount.source)" \
		"root@10.203.1.2:$T/remote" "source"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" unmapped.mount.mount_point)" "$T/sshfs" \
		"mount point"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" unmapped.mount.kind)" fuse "kind"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" evidences.0.file.path)" "$T/sshfs" \
		"destination folder"
	ASSERT_EQ "$(finding exfiltration "$CAT_PID" evidences.0.file.type)" Folder "folder"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.types.0=derived_copy \
		--where evidences.0.process.pid="$CAT_PID")" 0 "not a derived copy"
}

test_fuse_cp() {
	ASSERT_EQ "$(stat -c %s "$T/remote/b.out")" 20000 "bytes arrived"
	ASSERT_EQ "$(finding exfiltration "$CP_PID" unmapped.bytes)" 20000 "finding bytes"
	ASSERT_EQ "$(finding exfiltration "$CP_PID" evidences.0.process.name)" cp "process"
	ASSERT_EQ "$(finding exfiltration "$CP_PID" unmapped.mount.fs_type)" fuse.sshfs "fs type"
}

test_removable_loop_dd() {
	ASSERT_EQ "$(stat -c %s "$T/usb/c.out")" 30000 "bytes written"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" unmapped.bytes)" 30000 "finding bytes"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" evidences.0.process.name)" dd "process"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" unmapped.mount.fs_type)" ext4 "fs type"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" unmapped.mount.source)" "$LOOP_usb" "source"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" unmapped.mount.mount_point)" "$T/usb" \
		"mount point"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" unmapped.mount.kind)" removable "kind"
	ASSERT_EQ "$(finding exfiltration "$DD_PID" unmapped.via.hop)" pipe "taint through a pipe"
}

test_removable_raw_device() {
	ASSERT_EQ "$(cmp -n 8192 "$T/ds/g.bin" "$LOOP_raw" && echo same)" same "bytes on the device"
	ASSERT_EQ "$(finding exfiltration "$RAW_PID" unmapped.bytes)" 8192 "finding bytes"
	ASSERT_EQ "$(finding exfiltration "$RAW_PID" evidences.0.process.name)" dd "process"
	ASSERT_EQ "$(finding exfiltration "$RAW_PID" resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding exfiltration "$RAW_PID" unmapped.block_device.path)" "$LOOP_raw" \
		"device"
	ASSERT_EQ "$(finding exfiltration "$RAW_PID" unmapped.block_device.kind)" removable "kind"
	ASSERT_EQ "$(finding exfiltration "$RAW_PID" evidences.0.file.path)" "$LOOP_raw" "file"
	ASSERT_EQ "$(finding exfiltration "$RAW_PID" evidences.0.file.type)" "Block Device" \
		"file type"
}

test_allowed_mount_no_finding() {
	ASSERT_EQ "$(stat -c %s "$T/backup/d.out")" 7000 "bytes written"
	ASSERT_EQ "$(nfindings "$OK_PID")" 0 "no finding for an allowed mount"
}

test_allowed_fstype() {
	ASSERT_EQ "$(stat -c %s "$T/remote/f.out")" 4000 "bytes arrived"
	ASSERT_EQ "$(nfindings "$OK2_PID")" 0 "fstype:fuse.* allows fuse.sshfs"
	ASSERT_EQ "$(finding exfiltration "$DD2_PID" resources.0.uid)" notes "dataset"
	ASSERT_EQ "$(finding exfiltration "$DD2_PID" unmapped.bytes)" 4000 "bytes"
	ASSERT_EQ "$(finding exfiltration "$DD2_PID" unmapped.mount.mount_point)" "$T/usb" \
		"not a FUSE mount"
}

test_untainted_writer_nothing() {
	ASSERT_EQ "$(stat -c %s "$T/remote/plain.out")" 5000 "bytes arrived"
	ASSERT_EQ "$(stat -c %s "$T/usb/plain.out")" 5000 "bytes written"
	ASSERT_EQ "$(nfindings "$PLAIN1_PID")" 0 "cp of an unclassified file"
	ASSERT_EQ "$(nfindings "$PLAIN2_PID")" 0 "dd of an unclassified file"
}

test_local_write_is_derived_copy() {
	ASSERT_EQ "$(finding derived_copy "$LOCAL_PID" unmapped.bytes)" 3000 "derived bytes"
	ASSERT_EQ "$(finding derived_copy "$LOCAL_PID" evidences.0.file.path)" "$T/local/e.out" \
		"derived file"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$LOCAL_PID")" 0 "no exfiltration"
}

test_exfiltrations_are_the_writes() {
	# Exactly these writers (Create and Close lines share the finding's uid).
	ASSERT_EQ "$($EVQ "$FI" values evidences.0.process.pid \
		--where finding_info.types.0=exfiltration | paste -sd, -)" \
		"$(printf '%s\n' "$CAT_PID" "$CP_PID" "$DD_PID" "$DD2_PID" "$RAW_PID" | sort -n | paste -sd, -)" \
		"writers"
}

test_replay_names_the_mounts() {
	# The trace holds the mounts (DT_REC_MOUNT): replay gives the live lines, byte for byte,
	# the allowed mount still allowed.
	"$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl"
	ASSERT_EQ "$?" 0 "replay exit status"
	ASSERT_SAME_LINES "$FI" "$T/replay.jsonl" "replayed findings are the live ones"
}

test_compat_build() {
	local fi=$T/compat/findings.jsonl

	ASSERT_EQ "$COMPAT_RC" 0 "compat agent exit status"
	ASSERT_HAS "$(cat "$T/compat/agent.err")" "DATATRAIL_BPF_COMPAT is set: the compat programs" \
		"the compat build ran"
	ASSERT_EQ "$($EVQ "$fi" last unmapped.bytes --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$CCAT_PID")" 100000 "cat into sshfs"
	ASSERT_EQ "$($EVQ "$fi" last unmapped.mount.fs_type --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$CCAT_PID")" fuse.sshfs "fs type"
	ASSERT_EQ "$($EVQ "$fi" last unmapped.bytes --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$CRAW_PID")" 8192 "dd onto the device"
	ASSERT_EQ "$($EVQ "$fi" last unmapped.block_device.path \
		--where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$CRAW_PID")" "$LOOP_raw" "device"
}

run_tests channels_fs
