#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-short.sh - builds the libFuzzer targets and runs each for a short while from a generated
# seed corpus; ends with "RESULT fuzz: N passed, M failed" like the unit tests.
# Usage: tests/fuzz/run-short.sh [seconds per target, default 20]
set -u
cd "$(dirname "$0")/../.." || exit 2

secs=${1:-20}
passed=0
failed=0

if ! make -s fuzz >/dev/null; then
	echo "FAIL fuzz: build"
	echo "RESULT fuzz: 0 passed, 1 failed"
	exit 1
fi
mkdir -p build/fuzz/artifacts
# the targets put their scratch files under TMPDIR (tmpfs where there is one); libFuzzer's exit
# skips their cleanup, so this script removes it
work=$(mktemp -d /dev/shm/dt-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work
for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=$(mktemp -d -p "$work" corpus.XXXXXX)
	log=build/fuzz/$name.log
	if ! FUZZ_SEEDS_DIR="$corpus" "$bin" >/dev/null 2>&1; then
		echo "FAIL fuzz/$name: seed generation"
		failed=$((failed + 1))
		continue
	fi
	"$bin" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$name-" "$corpus" \
		>"$log" 2>&1
	rc=$?
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
	if [ "$rc" = 0 ]; then
		echo "ok   fuzz/$name (${secs}s, ${execs:-?} runs)"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz/$name: exited $rc; see $log and build/fuzz/artifacts/"
		grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -n 5
		failed=$((failed + 1))
	fi
done
echo "RESULT fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
