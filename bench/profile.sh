#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# profile.sh - the profiles behind docs/performance.md: where user-space CPU goes, by symbol.
# Not part of `make bench`; run it after `make bench` (it uses the binaries that built).
#
# usage: bench/profile.sh json|kafka|agent [SECONDS]
#   json   pipeline_bench json-null (correlator + OCSF JSON), perf record -g
#   kafka  pipeline_bench kafka against a throw-away tools/kafka-local broker
#   agent  the agent while T4's loader reads 100k files (10 % classified), perf record -p
# Needs root and perf (Debian: linux-perf). Uses the cpu-clock software event, which works
# in VMs without hardware counters. Prints the top symbols by self time, then by DSO.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
BB=$BUILD/bench
what=${1:-}
secs=${2:-5}
command -v perf >/dev/null || { echo "profile: perf not found (apt-get install linux-perf)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "profile: needs root" >&2; exit 1; }
T=$(mktemp -d /var/tmp/dt-profile.XXXXXX)
PORT=19692
AGENT=""
cleanup() {
	[ -n "$AGENT" ] && kill -KILL "$AGENT" 2>/dev/null
	"$TOP/tools/kafka-local" stop --port "$PORT" --dir "$T/kafka" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

report() {
	perf report -i "$T/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null |
		grep -E '^ +[0-9]' | head -n 25
	echo "--- by DSO"
	perf report -i "$T/perf.data" --no-children --sort dso --stdio 2>/dev/null |
		grep -E '^ +[0-9]' | head -n 8
	echo "--- functions of the program, with what they call (children)"
	perf report -i "$T/perf.data" --children --sort sym --stdio 2>/dev/null |
		grep -E '^ +[0-9]' | grep -vE '0x[0-9a-f]{6,}' | head -n 30
}

case $what in
json)
	timeout 120 perf record -q -e cpu-clock -F 2000 -g -o "$T/perf.data" \
		"$BB/pipeline_bench" json-null -s "$secs"
	report
	;;
kafka)
	"$TOP/tools/kafka-local" start --port "$PORT" --dir "$T/kafka" >/dev/null ||
		{ echo "profile: broker did not start" >&2; exit 1; }
	timeout 300 perf record -q -e cpu-clock -F 1000 -g -o "$T/perf.data" \
		"$BB/pipeline_bench" kafka "127.0.0.1:$PORT" "$T/spool" -s 60 -n 100000 -w 120
	report
	;;
agent)
	"$BB/mkfiles" "$T/loader" 100000 4096 10 >/dev/null
	cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "loader", "classification": "confidential", "paths": ["$T/loader/cls"]}]}
EOF
	pin=()
	"$BUILD/datatrail" help 2>&1 | grep -q -- --pin-dir && pin=(--pin-dir "/sys/fs/bpf/dt-profile-$$")
	"$BUILD/datatrail" run --inventory "$T/inv.json" --events "$T/events.jsonl" \
		--findings "$T/findings.jsonl" --ready-file "$T/ready" "${pin[@]}" 2>"$T/agent.err" &
	AGENT=$!
	for _ in $(seq 200); do [ -s "$T/ready" ] && break; sleep 0.05; done
	[ -s "$T/ready" ] || { cat "$T/agent.err" >&2; exit 1; }
	perf record -q -e cpu-clock -F 2000 -g -p "$AGENT" -o "$T/perf.data" &
	PERF=$!
	sleep 0.5
	for _ in 1 2 3; do
		timeout 60 "$BB/wl_loader" "$T/loader" 100000 10 4 30 3
	done
	sleep 1.5 # the agent's next collection
	kill -INT "$PERF"
	wait "$PERF"
	kill -INT "$AGENT"
	wait "$AGENT"
	AGENT=""
	[ ${#pin[@]} = 0 ] || "$BUILD/datatrail" cleanup "${pin[@]}" >/dev/null 2>&1
	tail -n 1 "$T/agent.err"
	report
	;;
*)
	echo "usage: bench/profile.sh json|kafka|agent [SECONDS]" >&2
	exit 2
	;;
esac
