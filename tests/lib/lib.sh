#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lib.sh - integration test helpers: ASSERT_* that print tag and both values, agent start/stop.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATATRAIL=${DATATRAIL:-$TOP/build/datatrail}
EVQ="python3 $TOP/tests/lib/evq.py"
PY=/usr/bin/python3

T_PASSED=0
T_FAILED=0
T_CUR=""
T_CUR_FAILED=0

# Each test case is a function named test_*; run_tests runs them in order of definition.
_fail() {
	echo "  ${BASH_SOURCE[2]##*/}:${BASH_LINENO[1]}: $*" >&2
	T_CUR_FAILED=1
	return 1
}

ASSERT_EQ() { # actual expected tag
	[ "$1" == "$2" ] || _fail "$3: actual '$1' != expected '$2'"
}

ASSERT_NEQ() { # actual unexpected tag
	[ "$1" != "$2" ] || _fail "$3: actual '$1' == unexpected '$2'"
}

ASSERT_GE() { # actual minimum tag
	[ "$1" -ge "$2" ] 2>/dev/null || _fail "$3: actual '$1' < expected minimum '$2'"
}

ASSERT_HAS() { # haystack needle tag
	[[ "$1" == *"$2"* ]] || _fail "$3: '$1' does not contain '$2'"
}

run_tests() { # suite
	local suite=$1 t
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		if [ -n "${TEST_FILTER:-}" ] && [[ "$t" != *"$TEST_FILTER"* ]]; then
			continue
		fi
		T_CUR_FAILED=0
		"$t"
		if [ "$T_CUR_FAILED" = 0 ]; then
			T_PASSED=$((T_PASSED + 1))
			echo "ok   $suite/$t"
		else
			T_FAILED=$((T_FAILED + 1))
			echo "FAIL $suite/$t"
		fi
	done
	echo "RESULT $suite: $T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" = 0 ]
}

# agent_start DIR INVENTORY [ARGS...]: runs the agent with outputs in DIR, waits until attached.
agent_start() {
	local dir=$1 inv=$2 i
	shift 2
	rm -f "$dir/ready"
	"$DATATRAIL" run --inventory "$inv" --events "$dir/events.jsonl" \
		--findings "$dir/findings.jsonl" --ready-file "$dir/ready" "$@" \
		2>"$dir/agent.err" &
	AGENT_PID=$!
	for i in $(seq 300); do
		[ -s "$dir/ready" ] && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "agent did not become ready:" >&2
	cat "$dir/agent.err" >&2
	return 1
}

# agent_stop: SIGINT, then wait (bounded) for the final flush; sets AGENT_RC.
agent_stop() {
	local i
	kill -INT "$AGENT_PID" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		echo "agent did not stop in 10 s; killing it" >&2
		kill -KILL "$AGENT_PID"
	fi
	wait "$AGENT_PID"
	AGENT_RC=$?
}

# need_root: integration tests load BPF programs.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "integration tests need root (they load BPF programs)" >&2
		echo "RESULT ${1:-integration}: 0 passed, 1 failed"
		exit 1
	fi
}

# The tracefs and bpffs mounts some hooks and pins need; harmless when already there.
mount_kernel_fs() {
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	return 0
}
