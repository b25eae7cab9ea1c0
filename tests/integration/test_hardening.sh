#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_hardening.sh - least privilege, live inventory reload, agent_tamper, overload, status.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root hardening
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-hard.XXXXXX)
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill -CONT "$AGENT_PID" 2>/dev/null && kill -KILL "$AGENT_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/ds1" "$T/ds2" "$T/many" "$T/a1" "$T/a2" "$T/etc"
head -c 1000 /dev/urandom >"$T/ds1/a.bin"
head -c 2000 /dev/urandom >"$T/ds2/b.bin"
for i in $(seq 300); do head -c 100 /dev/urandom >"$T/many/f$i"; done
inv_one() {
	echo "{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\","
	echo "  \"paths\": [\"$T/ds1\", \"$T/many\"]}]}"
}
inv_two() {
	echo "{\"datasets\": [{\"id\": \"voices\", \"classification\": \"confidential\", \"paths\": [\"$T/ds2\"]},"
	echo "  {\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": [\"$T/ds1\", \"$T/many\"]}]}"
}
INV=$T/etc/inv.json
inv_one >"$INV"
chmod 644 "$INV"

# A world-writable inventory is refused outright.
cp "$INV" "$T/ww.json"
chmod 666 "$T/ww.json"
WW_OUT=$("$DATATRAIL" run --inventory "$T/ww.json" --pin-dir "" 2>&1)
WW_RC=$?
HOOKS_OUT=$("$DATATRAIL" run --inventory "$T/ww.json" --pin-dir "" --hooks kprobe 2>&1)
HOOKS_RC=$?

# systemd's Type=notify: READY=1 on the socket it names, once attached.
$PY -c "
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind('$T/notify.sock'); s.settimeout(30)
open('$T/notify.out', 'wb').write(s.recv(64))
" &
NOTIFY_PID=$!
for i in $(seq 100); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$T/notify.sock agent_start "$T/a1" "$INV" --flush-ms 200 --status-file "$T/status.json" \
	--trace "$T/trace" || exit 1
wait $NOTIFY_PID
CAPEFF=$(awk '/^CapEff/ {print $2}' "/proc/$AGENT_PID/status")
/usr/bin/cat "$T/ds2/b.bin" >/dev/null &
BEFORE_PID=$!
wait $BEFORE_PID

# Replace the inventory with an edited one: the agent notices and reloads by itself.
inv_two >"$T/etc/inv.new"
chmod 644 "$T/etc/inv.new"
mv "$T/etc/inv.new" "$INV" &
MV_PID=$!
wait $MV_PID
for i in $(seq 50); do grep -q reloaded "$T/a1/agent.err" && break; sleep 0.1; done
/usr/bin/cat "$T/ds2/b.bin" >/dev/null &
AFTER_PID=$!
wait $AFTER_PID
/usr/bin/cat "$T/ds1/a.bin" >/dev/null &
FACES_PID=$!
wait $FACES_PID

# A bad inventory on SIGHUP: rejected, the one in force stays.
cp "$INV" "$T/good.json"
sed 's/confidential/secret/' "$T/good.json" >"$INV"
sleep 0.5
kill -HUP "$AGENT_PID"
sleep 0.5
/usr/bin/cat "$T/ds2/b.bin" >/dev/null &
STILL_PID=$!
wait $STILL_PID
# SIGUSR1 is caught, not ignored, so its sender is named too.
/bin/sh -c "kill -USR1 $AGENT_PID" &
USR1_PID=$!
wait $USR1_PID
STATUS_OUT=$("$DATATRAIL" status --status-file "$T/status.json")
STATUS_RC=$?
agent_stop
RC1=$AGENT_RC
"$DATATRAIL" status --status-file "$T/status.json" >/dev/null 2>&1
STATUS_AFTER_RC=$?

# Overload: a one-page ring buffer and a stopped agent lose records, never bytes.
cp "$T/good.json" "$INV"
agent_start "$T/a2" "$INV" --flush-ms 200 --ringbuf-kb 4 || exit 1
kill -STOP "$AGENT_PID"
$PY -c "
for i in range(1, 301):
    with open('$T/many/f%d' % i, 'rb') as f: f.read()
" &
MANY_PID=$!
wait $MANY_PID
kill -CONT "$AGENT_PID"
sleep 1
agent_stop
RC2=$AGENT_RC

test_bad_hooks_value_refused() {
	ASSERT_EQ "$HOOKS_RC" 2 "exit status"
	ASSERT_HAS "$HOOKS_OUT" "option '--hooks': bad value 'kprobe' (auto, fentry or tracepoint)" \
		"names option, value and choices"
}

test_world_writable_inventory_refused() {
	ASSERT_NEQ "$WW_RC" 0 "exit status"
	ASSERT_HAS "$WW_OUT" "world-writable" "says why"
}

test_systemd_notify() {
	ASSERT_EQ "$(cat "$T/notify.out")" "READY=1" "READY=1 sent to NOTIFY_SOCKET"
}

test_capabilities_dropped() {
	# CAP_DAC_READ_SEARCH (2) and CAP_SYS_PTRACE (19) only.
	ASSERT_EQ "$CAPEFF" 0000000000080004 "effective capabilities after attach"
}

test_reload_on_file_change() {
	ASSERT_EQ "$($EVQ "$T/a1/events.jsonl" count --where actor.process.pid=$BEFORE_PID)" 0 \
		"ds2 unclassified before"
	ASSERT_EQ "$($EVQ "$T/a1/events.jsonl" sum unmapped.bytes --where actor.process.pid=$AFTER_PID)" \
		2000 "ds2 classified after the reload"
	ASSERT_EQ "$($EVQ "$T/a1/events.jsonl" last unmapped.dataset --where actor.process.pid=$AFTER_PID)" \
		voices "as the new dataset"
	ASSERT_EQ "$($EVQ "$T/a1/events.jsonl" last unmapped.dataset --where actor.process.pid=$FACES_PID)" \
		faces "the old dataset keeps its name"
}

test_bad_reload_keeps_inventory() {
	ASSERT_HAS "$(cat "$T/a1/agent.err")" "unknown classification 'secret'; the inventory in force stays" \
		"rejected with the reason"
	ASSERT_EQ "$($EVQ "$T/a1/events.jsonl" last unmapped.dataset --where actor.process.pid=$STILL_PID)" \
		voices "the good inventory is still in force"
	ASSERT_EQ "$RC1" 0 "agent exit status"
}

test_agent_tamper() {
	ASSERT_EQ "$($EVQ "$T/a1/findings.jsonl" last unmapped.operations --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$$)" signal "SIGHUP from the test shell"
	ASSERT_HAS "$($EVQ "$T/a1/findings.jsonl" values finding_info.title --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$$)" "sent signal 1 to the datatrail agent" "title"
	ASSERT_HAS "$($EVQ "$T/a1/findings.jsonl" values unmapped.operations --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$MV_PID)" "rename" "replacing the inventory"
	ASSERT_HAS "$($EVQ "$T/a1/findings.jsonl" values finding_info.title --where finding_info.types.0=agent_tamper \
		--where evidences.0.process.pid=$USR1_PID)" "sent signal 10 to the datatrail agent" "SIGUSR1 from a shell"
	ASSERT_EQ "$($EVQ "$T/a2/findings.jsonl" max severity_id --where finding_info.types.0=agent_tamper)" 5 \
		"SIGSTOP is critical"
}

test_replay_across_reloads() {
	# The trace holds both inventories and the dataset slots: replay gives the same findings.
	"$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl"
	ASSERT_EQ "$?" 0 "replay exit status"
	ASSERT_SAME_LINES "$T/a1/findings.jsonl" "$T/replay.jsonl" \
		"replayed findings, agent_tamper included, are the live ones"
	ASSERT_EQ "$("$DATATRAIL" trace cat "$T/trace" --pid $AFTER_PID | $EVQ /dev/stdin last unmapped.dataset)" \
		voices "events after the reload name the new dataset"
}

test_status() {
	ASSERT_EQ "$STATUS_RC" 0 "status while running"
	ASSERT_HAS "$STATUS_OUT" '"version":2' "the reload is the inventory's version 2"
	ASSERT_HAS "$STATUS_OUT" ": running" "says running"
	ASSERT_EQ "$STATUS_AFTER_RC" 1 "status after stop"
}

test_overload_loses_records_not_bytes() {
	local lost
	ASSERT_EQ "$RC2" 0 "agent exit status"
	lost=$($EVQ "$T/a2/findings.jsonl" sum count --where finding_info.types.0=visibility_gap \
		--where unmapped.source=ring_buffer)
	ASSERT_GE "$lost" 1 "visibility_gap findings count the lost records"
	ASSERT_HAS "$(cat "$T/a2/agent.err")" "ring_buffer: lost" "and the agent says so"
	ASSERT_EQ "$($EVQ "$T/a2/events.jsonl" sum unmapped.bytes --where actor.process.pid=$MANY_PID)" 30000 \
		"every byte of the 300 files is still counted"
}

# Agent tampering and visibility gaps are OCSF 1.8.0 too, live and replayed.
test_ocsf_valid() {
	[ -f "$T/replay.jsonl" ] || "$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl"
	ASSERT_OCSF "findings" "$T/a1/findings.jsonl" "$T/a2/findings.jsonl"
	ASSERT_OCSF "events" "$T/a1/events.jsonl" "$T/a2/events.jsonl"
	ASSERT_OCSF "replay" "$T/replay.jsonl"
	ASSERT_KINDS "findings" "$T/a1/findings.jsonl" finding_info.types.0=agent_tamper
	ASSERT_KINDS "findings" "$T/a2/findings.jsonl" finding_info.types.0=visibility_gap
}

run_tests hardening
