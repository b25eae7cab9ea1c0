#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_valgrind.sh - the agent runs and exits valgrind-clean: no invalid access, no leak.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root valgrind
mount_kernel_fs

# Valgrind and AddressSanitizer do not mix: the sanitized pass checks the plain build here.
VG_DATATRAIL=$TOP/build/datatrail
T=$(mktemp -d /var/tmp/dt-vg.XXXXXX)
cleanup() {
	[ -n "${VG_PID:-}" ] && kill -KILL "$VG_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/ds"
head -c 12345 /dev/urandom >"$T/ds/a.bin"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"],
  "allowed_readers": {"uids": [4242]}}]}
EOF
valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	--suppressions="$TOP/tests/valgrind.supp" \
	"$VG_DATATRAIL" run --inventory "$T/inv.json" --events "$T/events.jsonl" \
	--findings "$T/findings.jsonl" --ready-file "$T/ready" --pin-dir "$(pin_dir)" \
	--trace "$T/trace" --status-file "$T/status.json" --flush-ms 200 >"$T/vg.log" 2>&1 &
VG_PID=$!
for i in $(seq 600); do [ -s "$T/ready" ] && break; sleep 0.1; done
/usr/bin/cat "$T/ds/a.bin" >/dev/null &
CAT_PID=$!
wait $CAT_PID
sleep 1
kill -INT "$VG_PID"
for i in $(seq 300); do kill -0 "$VG_PID" 2>/dev/null || break; sleep 0.1; done
wait "$VG_PID"
VG_RC=$?
VG_PID=

test_valgrind_clean() {
	ASSERT_EQ "$VG_RC" 0 "agent exit status under valgrind (99: errors)"
	ASSERT_HAS "$(cat "$T/vg.log")" "ERROR SUMMARY: 0 errors" "no memory errors"
	ASSERT_HAS "$(cat "$T/vg.log")" "All heap blocks were freed" "no leaks"
}

test_work_done_under_valgrind() {
	ASSERT_EQ "$($EVQ "$T/events.jsonl" sum unmapped.bytes --where actor.process.pid=$CAT_PID)" 12345 \
		"bytes counted"
	ASSERT_EQ "$($EVQ "$T/findings.jsonl" count --where finding_info.types.0=unauthorized_read \
		--where activity_id=1)" 1 "finding raised"
	ASSERT_OCSF "lines written under valgrind" "$T/events.jsonl" "$T/findings.jsonl"
}

run_tests valgrind
