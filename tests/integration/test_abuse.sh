#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_abuse.sh - outputs planted by an unprivileged user, sink counters in the status, the
# full spool as one gap episode, file paths past 255 bytes in findings.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root abuse
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-abuse.XXXXXX)
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT
# nobody must reach the shared directory below
chmod 755 "$T"

# As an unprivileged user would: nobody plants names in a world-writable sticky directory.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

mkdir -p "$T/ds" "$T/root" "$T/pub" "$T/out"
chmod 1777 "$T/pub"
head -c 1000 /dev/urandom >"$T/ds/a.bin"
# what an attacker would aim at: root's file and directory, with their modes
printf 'precious\n' >"$T/root/target"
chmod 644 "$T/root/target"
mkdir -m 755 "$T/root/dir"
printf 'inside\n' >"$T/root/dir/keep"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"],
  "allowed_readers": {"uids": [0]}, "derived": {"report": "always"}}]}
EOF

# Kafka towards loopback port 1, where nothing listens: every record stays in the spool.
PORT=1
kafka_config() { # FILE SPOOL_DIR MAX_BYTES
	cat >"$1" <<EOF
{"kafka": {"enabled": true, "send_events": true,
  "properties": {"bootstrap.servers": "127.0.0.1:$PORT"},
  "host_id": "abuse-test",
  "spool": {"dir": "$2", "max_bytes": $3}}}
EOF
	chmod 600 "$1"
}

# run_refused NAME [ARGS...]: the agent with outputs in $T/NAME; sets RC and ERR.
run_refused() {
	local name=$1
	shift
	mkdir -p "$T/$name"
	timeout 30 "$DATATRAIL" run --inventory "$T/inv.json" --pin-dir "" \
		--status-file "$T/$name/status.json" "$@" 2>"$T/$name/err" >/dev/null
	RC=$?
	ERR=$(cat "$T/$name/err")
}

target_untouched() { # tag
	ASSERT_EQ "$(cat "$T/root/target")" precious "$1: target content"
	ASSERT_EQ "$(stat -c %a:%U "$T/root/target")" 644:root "$1: target mode and owner"
}

dir_untouched() { # tag
	ASSERT_EQ "$(stat -c %a:%U "$T/root/dir")" 755:root "$1: directory mode and owner"
	ASSERT_EQ "$(ls -A "$T/root/dir")" keep "$1: directory content"
	ASSERT_EQ "$(cat "$T/root/dir/keep")" inside "$1: file in it"
}

test_events_symlink_refused() {
	as_nobody ln -s "$T/root/target" "$T/pub/ev-link"
	run_refused ev --events "$T/pub/ev-link"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" "datatrail: events '$T/pub/ev-link': is a symlink: refusing it" "message"
	target_untouched events
}

test_findings_symlink_refused() {
	as_nobody ln -s "$T/root/target" "$T/pub/fi-link"
	run_refused fi --events - --findings "$T/pub/fi-link"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" "datatrail: findings '$T/pub/fi-link': is a symlink: refusing it" "message"
	target_untouched findings
}

test_ready_file_symlink_refused() {
	as_nobody ln -s "$T/root/target" "$T/pub/ready-link"
	run_refused ready --events - --ready-file "$T/pub/ready-link"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" "datatrail: ready file '$T/pub/ready-link': is a symlink: refusing it" \
		"message"
	ASSERT_EQ "$(stat -c %F "$T/pub/ready-link")" "symbolic link" "the link is left alone"
	target_untouched ready
}

test_status_symlink_refused() {
	as_nobody ln -s "$T/root/target" "$T/pub/status-link"
	mkdir -p "$T/st"
	timeout 30 "$DATATRAIL" run --inventory "$T/inv.json" --pin-dir "" --events - \
		--status-file "$T/pub/status-link" 2>"$T/st/err" >/dev/null
	ASSERT_EQ "$?" 1 "exit status"
	ASSERT_HAS "$(cat "$T/st/err")" \
		"datatrail: status '$T/pub/status-link': is a symlink: refusing it" "message"
	target_untouched status
}

test_trace_dir_symlink_refused() {
	as_nobody ln -s "$T/root/dir" "$T/pub/trace-link"
	run_refused trace --events - --trace "$T/pub/trace-link"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" "datatrail: trace '$T/pub/trace-link': is a symlink: refusing it" "message"
	dir_untouched trace
}

test_spool_dir_symlink_refused() {
	as_nobody ln -s "$T/root/dir" "$T/pub/spool-link"
	kafka_config "$T/spool-link.json" "$T/pub/spool-link" 65536
	run_refused spool --events - --config "$T/spool-link.json"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" "datatrail: spool '$T/pub/spool-link': is a symlink: refusing it" "message"
	dir_untouched spool
}

test_spool_dir_of_another_user_refused() {
	as_nobody mkdir -m 700 "$T/pub/spool-nobody"
	kafka_config "$T/spool-nobody.json" "$T/pub/spool-nobody" 65536
	run_refused spoolown --events - --config "$T/spool-nobody.json"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" \
		"datatrail: spool '$T/pub/spool-nobody': is owned by uid 65534, not by the agent's uid 0: refusing it" \
		"message"
	ASSERT_EQ "$(stat -c %a:%U "$T/pub/spool-nobody")" 700:nobody "left as it was"
}

test_file_of_another_user_refused() {
	as_nobody sh -c "printf 'mine\n' >'$T/pub/ev-nobody'; chmod 644 '$T/pub/ev-nobody'"
	run_refused own --events "$T/pub/ev-nobody"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" \
		"datatrail: events '$T/pub/ev-nobody': is owned by uid 65534, not by the agent's uid 0: refusing it" \
		"message"
	ASSERT_EQ "$(cat "$T/pub/ev-nobody"):$(stat -c %a "$T/pub/ev-nobody")" mine:644 \
		"nobody's file untouched"
}

test_dir_of_another_user_refused() {
	as_nobody mkdir "$T/pub/nd"
	run_refused nd --events "$T/pub/nd/ev"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" \
		"datatrail: events '$T/pub/nd/ev': directory '$T/pub/nd' is owned by uid 65534: refusing it" \
		"message"
	ASSERT_EQ "$(ls -A "$T/pub/nd")" "" "nothing created"
}

# nobody's link to root's directory, higher up in the path: the output would land there
test_symlinked_directory_refused() {
	as_nobody ln -s "$T/root/dir" "$T/pub/dlink"
	run_refused dlink --events - --findings "$T/pub/dlink/findings.jsonl"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" \
		"datatrail: findings '$T/pub/dlink/findings.jsonl': '$T/pub/dlink' is a symlink of uid 65534: refusing it" \
		"message"
	kafka_config "$T/dlink.json" "$T/pub/dlink/sub/spool" 65536
	run_refused dlinksp --events - --config "$T/dlink.json"
	ASSERT_EQ "$RC" 1 "spool: exit status"
	ASSERT_HAS "$ERR" \
		"datatrail: spool '$T/pub/dlink/sub/spool': '$T/pub/dlink' is a symlink of uid 65534: refusing it" \
		"spool: message"
	dir_untouched "link on the way"
}

test_hard_link_refused() {
	# fs.protected_hardlinks keeps nobody from this; a root-made link stands for it
	ln "$T/root/target" "$T/pub/ev-hard"
	run_refused hard --events "$T/pub/ev-hard"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" "datatrail: events '$T/pub/ev-hard': has 2 hard links: refusing it" "message"
	target_untouched "hard link"
	rm -f "$T/pub/ev-hard"
}

test_world_writable_dir_without_sticky_refused() {
	mkdir -m 777 "$T/open"
	chmod 777 "$T/open"
	run_refused openfi --events - --findings "$T/open/findings.jsonl"
	ASSERT_EQ "$RC" 1 "exit status"
	ASSERT_HAS "$ERR" \
		"datatrail: findings '$T/open/findings.jsonl': directory '$T/open' is writable by everyone without the sticky bit: refusing it" \
		"message"
	ASSERT_EQ "$(ls -A "$T/open")" "" "nothing created"
}

# The normal case in the same sticky directory, with a status temporary name planted the old
# way ("PATH.tmp"): the agent starts, writes, and never follows it.
DEEP=$T/out/$(printf 'a%.0s' {1..45})/$(printf 'b%.0s' {1..45})/$(printf 'c%.0s' {1..45})
DEEP=$DEEP/$(printf 'd%.0s' {1..45})/$(printf 'e%.0s' {1..45})/$(printf 'f%.0s' {1..45})
DEEPDS=$T/ds/$(printf 'g%.0s' {1..45})/$(printf 'h%.0s' {1..45})/$(printf 'i%.0s' {1..45})
DEEPDS=$DEEPDS/$(printf 'j%.0s' {1..45})/$(printf 'k%.0s' {1..45})/$(printf 'l%.0s' {1..45})
mkdir -p "$DEEP" "$DEEPDS"
head -c 500 /dev/urandom >"$DEEPDS/deep.bin"
as_nobody ln -s "$T/root/target" "$T/pub/status.json.tmp"
kafka_config "$T/corrupt.json" "$T/spool-corrupt" 1048576
agent_start "$T/pub" "$T/inv.json" --status-file "$T/pub/status.json" --flush-ms 100 \
	--config "$T/corrupt.json" || exit 1
/usr/bin/cp "$T/ds/a.bin" "$DEEP/copy.bin" &
CP_PID=$!
wait $CP_PID
/bin/sh -c "echo x >>'$DEEPDS/deep.bin'" &
TAMPER_PID=$!
wait $TAMPER_PID
for i in $(seq 100); do
	grep -q '"derived_copy"' "$T/pub/findings.jsonl" 2>/dev/null &&
		grep -q '"dataset_tamper"' "$T/pub/findings.jsonl" && break
	sleep 0.1
done
NORMAL_STATUS=$("$DATATRAIL" status --status-file "$T/pub/status.json")
agent_stop
NORMAL_RC=$AGENT_RC

test_normal_outputs_in_sticky_dir() {
	ASSERT_EQ "$NORMAL_RC" 0 "agent exit status"
	ASSERT_EQ "$(stat -c %a:%U:%F "$T/pub/events.jsonl")" "600:root:regular file" "events file"
	ASSERT_EQ "$(stat -c %a:%U:%F "$T/pub/findings.jsonl")" "600:root:regular file" "findings file"
	ASSERT_EQ "$(stat -c %a:%U:%F "$T/pub/status.json")" "640:root:regular file" "status file"
	ASSERT_GE "$($EVQ "$T/pub/events.jsonl" count --where actor.process.pid=$CP_PID)" 1 \
		"the copy's read is an event"
	ASSERT_HAS "$NORMAL_STATUS" '"running":true' "status written while running"
	ASSERT_EQ "$(ls "$T/pub" | grep -c '^status.json.tmp.')" 0 "no temporary left behind"
	target_untouched "planted status.json.tmp"
}

test_finding_keeps_long_path() {
	ASSERT_GE "${#DEEP}" 300 "the copy's directory is longer than 255 bytes"
	ASSERT_EQ "$($EVQ "$T/pub/findings.jsonl" last evidences.0.file.path \
		--where finding_info.types.0=derived_copy --where evidences.0.process.pid=$CP_PID)" \
		"$DEEP/copy.bin" "derived_copy: the whole path"
	ASSERT_EQ "$($EVQ "$T/pub/findings.jsonl" last evidences.0.file.path \
		--where finding_info.types.0=dataset_tamper --where evidences.0.process.pid=$TAMPER_PID)" \
		"$DEEPDS/deep.bin" "dataset_tamper: the whole path of a deep dataset file"
}

test_status_has_sink_counters() {
	local k
	for k in produced delivered delivery_errors spooled spool_bytes dropped_findings \
		dropped_events corrupt_records spool_write_errors spool_full events_write_errors \
		findings_write_errors; do
		ASSERT_HAS "$NORMAL_STATUS" "\"$k\":" "status has $k"
	done
	ASSERT_HAS "$NORMAL_STATUS" '"corrupt_records":0' "nothing corrupt yet"
	ASSERT_HAS "$NORMAL_STATUS" '"trace":{"enabled":false' "trace block"
}

# The same spool again after a payload byte of its first record was flipped: counted corrupt,
# and the count is in `datatrail status`.
SEG=$(ls "$T/spool-corrupt"/spool-*.log 2>/dev/null | head -1)
if [ -n "$SEG" ]; then
	$PY -c "
import sys
f = open(sys.argv[1], 'r+b'); f.seek(20 + 3); b = f.read(1); f.seek(20 + 3)
f.write(bytes([b[0] ^ 0xff]))
" "$SEG"
fi
mkdir -p "$T/corrupt"
agent_start "$T/corrupt" "$T/inv.json" --flush-ms 100 --status-file "$T/corrupt/status.json" \
	--config "$T/corrupt.json" || exit 1
for i in $(seq 50); do
	grep -q '"corrupt_records":1' "$T/corrupt/status.json" && break
	sleep 0.1
done
CORRUPT_STATUS=$("$DATATRAIL" status --status-file "$T/corrupt/status.json")
agent_stop

test_corrupt_record_in_status() {
	ASSERT_NEQ "$SEG" "" "the first run left a spool segment"
	ASSERT_HAS "$CORRUPT_STATUS" '"corrupt_records":1' "one corrupt record in the status"
	ASSERT_HAS "$(cat "$T/corrupt/agent.err")" "spool '$T/spool-corrupt/" "reported on stderr too"
}

# A spool of 64 KiB fills with events (they may use half); reads go on over ~20 flushes of
# 100 ms. One visibility_gap for it, updated at the end, not one per flush.
kafka_config "$T/full.json" "$T/spool-full" 65536
mkdir -p "$T/full"
agent_start "$T/full" "$T/inv.json" --flush-ms 100 --status-file "$T/full/status.json" \
	--config "$T/full.json" || exit 1
START=$(date +%s%N)
for i in $(seq 600); do
	/usr/bin/cat "$T/ds/a.bin" >/dev/null
	[ $(($(date +%s%N) - START)) -ge 2500000000 ] && break
done
FULL_MS=$((($(date +%s%N) - START) / 1000000))
for i in $(seq 50); do
	grep -q '"spool_full":true' "$T/full/status.json" && break
	sleep 0.1
done
FULL_STATUS=$(cat "$T/full/status.json")
agent_stop
FULL_RC=$AGENT_RC

test_full_spool_one_gap() {
	local fi=$T/full/findings.jsonl dropped
	ASSERT_EQ "$FULL_RC" 0 "agent exit status"
	ASSERT_GE "$FULL_MS" 1000 "reads went on for 10 flushes or more"
	ASSERT_HAS "$FULL_STATUS" '"spool_full":true' "the status says the spool is full"
	ASSERT_EQ "$($EVQ "$fi" count --where unmapped.source=kafka_spool_full_events \
		--where activity_id=1)" 1 "one Create for the whole episode"
	ASSERT_EQ "$($EVQ "$fi" count --where unmapped.source=kafka_spool_full_events \
		--where activity_id=2)" 1 "one Update when it ends (at stop)"
	ASSERT_EQ "$($EVQ "$fi" values finding_info.uid --where unmapped.source=kafka_spool_full_events | wc -l)" 1 \
		"one uid"
	ASSERT_EQ "$($EVQ "$fi" count --where unmapped.source=kafka_spool_full_findings)" 0 \
		"findings still fit"
	dropped=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['kafka']['dropped_events'])" \
		"$T/full/status.json")
	ASSERT_GE "$dropped" 100 "events dropped"
	ASSERT_EQ "$($EVQ "$fi" last count --where unmapped.source=kafka_spool_full_events \
		--where activity_id=2)" "$dropped" "the Update carries the running count"
}

# Findings fill the spool (no events sent): the gap findings are refused too, and count in the
# same episode instead of raising a new gap at every flush.
cat >"$T/fullfi.json" <<EOF
{"kafka": {"enabled": true,
  "properties": {"bootstrap.servers": "127.0.0.1:$PORT"},
  "host_id": "abuse-test",
  "spool": {"dir": "$T/spool-fullfi", "max_bytes": 65536}}}
EOF
chmod 600 "$T/fullfi.json"
mkdir -p "$T/fullfi"
agent_start "$T/fullfi" "$T/inv.json" --flush-ms 100 --config "$T/fullfi.json" \
	--status-file "$T/fullfi/status.json" || exit 1
# each writer is a process of its own: a dataset_tamper finding each
for i in $(seq 400); do
	/bin/sh -c "echo $i >>'$T/ds/a.bin'"
	[ $((i % 50)) = 0 ] && grep -q '"spool_full":true' "$T/fullfi/status.json" && [ $i -ge 200 ] && break
done
# ten more flushes with the spool full: the old way raised a new (refused) gap at each
status_ms() {
	$PY -c "import json,sys; print(json.load(open(sys.argv[1]))['updated_ms'])" "$T/fullfi/status.json"
}
FULLFI_T0=$(status_ms)
for i in $(seq 50); do
	[ "$(status_ms)" -ge $((FULLFI_T0 + 1000)) ] && break
	sleep 0.1
done
FULLFI_SPAN=$(($(status_ms) - FULLFI_T0))
FULLFI_STATUS=$(cat "$T/fullfi/status.json")
agent_stop
FULLFI_RC=$AGENT_RC

test_full_spool_gap_findings_refused_too() {
	local fi=$T/fullfi/findings.jsonl dropped lost
	ASSERT_EQ "$FULLFI_RC" 0 "agent exit status"
	ASSERT_GE "$FULLFI_SPAN" 1000 "ten flushes or more after the burst"
	ASSERT_HAS "$FULLFI_STATUS" '"spool_full":true' "still full then"
	ASSERT_EQ "$($EVQ "$fi" count --where unmapped.source=kafka_spool_full_findings \
		--where activity_id=1)" 1 "one Create"
	ASSERT_EQ "$($EVQ "$fi" count --where unmapped.source=kafka_spool_full_findings \
		--where activity_id=2)" 1 "one Update, at stop"
	dropped=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['kafka']['dropped_findings'])" \
		"$T/fullfi/status.json")
	ASSERT_GE "$dropped" 50 "findings dropped"
	# the Update counts every refusal before it, its Create's included; the Update itself is
	# refused too unless, smaller than a tamper finding, it still fits: then the two are equal
	lost=$($EVQ "$fi" last count --where unmapped.source=kafka_spool_full_findings \
		--where activity_id=2)
	ASSERT_HAS " $((dropped - 1)) $dropped " " $lost " "the Update's count against the status's $dropped"
}


# Every line the agent wrote in this suite is valid OCSF 1.8.0.
test_ocsf_lines_valid() {
	ASSERT_OCSF_DIR "$T" "$T"
}

run_tests abuse
