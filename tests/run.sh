#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - runs every unit test binary and integration test script; ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2

passed=0
failed=0
unit_only=0
[ "${1:-}" = "--unit-only" ] && unit_only=1

# Adds up a suite's "RESULT suite: N passed, M failed" line; a suite that died without one
# counts as one failure.
tally() { # name output-file rc
	local line p f
	line=$(grep -E '^RESULT .*: [0-9]+ passed, [0-9]+ failed$' "$2" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $1: exited $3 without a result line"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $1: exited $3"
		failed=$((failed + 1))
	fi
}

out=$(mktemp)
for t in "${BUILD:-build}"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" 2>&1 | tee "$out"
	tally "$t" "$out" "${PIPESTATUS[0]}"
done

if [ "$unit_only" = 0 ]; then
	for t in tests/integration/test_*.sh; do
		[ -f "$t" ] || continue
		echo "== $t"
		t0=$SECONDS
		timeout 600 bash "$t" 2>&1 | tee "$out"
		tally "$t" "$out" "${PIPESTATUS[0]}"
		# Each suite's time, so that what makes `make test` long is in every log.
		echo "time $t: $((SECONDS - t0)) s"
	done
fi
# Short libFuzzer runs of the parsers that take hostile input (long runs: make fuzz).
if [ "$unit_only" = 0 ] && [ -z "${SKIP_FUZZ:-}" ]; then
	echo "== tests/fuzz/run-short.sh"
	tests/fuzz/run-short.sh "${FUZZ_SECONDS:-10}" 2>&1 | tee "$out"
	tally fuzz "$out" "${PIPESTATUS[0]}"
fi
rm -f "$out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
