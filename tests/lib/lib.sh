#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lib.sh - integration test helpers: ASSERT_* that print tag and both values, agent start/stop.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
DATATRAIL=${DATATRAIL:-$TOP/$BUILD/datatrail}
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

# The same lines in any order; a side that is missing or empty fails (an empty diff of two
# missing files must not pass).
ASSERT_SAME_LINES() { # file-a file-b tag
	local d
	if [ ! -s "$1" ] || [ ! -s "$2" ]; then
		_fail "$3: '$1' or '$2' is missing or empty"
		return 1
	fi
	d=$(diff <(sort "$1") <(sort "$2") | head -c 300)
	[ -z "$d" ] || _fail "$3: the lines differ: $d"
}

ASSERT_HAS() { # haystack needle tag
	[[ "$1" == *"$2"* ]] || _fail "$3: '$1' does not contain '$2'"
}

# ASSERT_OCSF TAG FILE...: every line of the files valid OCSF against the vendored schema
# (tests/ocsf/), and at least one line.
ASSERT_OCSF() {
	local tag=$1 out
	shift
	out=$(python3 "$TOP/tests/lib/ocsf_validate.py" --min 1 "$@" 2>&1) ||
		_fail "$tag: $(echo "$out" | tail -n 12)"
}

# ASSERT_OCSF_DIR TAG DIR: every non-empty events, findings and replay file the agent wrote
# below DIR is valid OCSF (ASSERT_OCSF), and there is at least one.
ASSERT_OCSF_DIR() {
	local files
	mapfile -t files < <(find "$2" \( -name 'events*.jsonl' -o -name 'findings*.jsonl' \
		-o -name 'replay*.jsonl' \) -size +0 | sort)
	if [ ${#files[@]} = 0 ]; then
		_fail "$1: no output below '$2'"
		return 1
	fi
	ASSERT_OCSF "$1" "${files[@]}"
}

# ASSERT_KINDS TAG FILE WHAT...: FILE has a line of each WHAT, "field=value[,field=value]".
ASSERT_KINDS() {
	local tag=$1 file=$2 w args
	shift 2
	for w in "$@"; do
		args=""
		for kv in ${w//,/ }; do args="$args --where $kv"; done
		# shellcheck disable=SC2086
		[ "$($EVQ "$file" count $args)" -ge 1 ] || _fail "$tag: no line with $w"
	done
	return 0
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

# Each agent gets its own pin directory unless the test sets PIN_DIR (to test restarts).
AGENT_N=0
pin_dir() {
	echo "${PIN_DIR:-/sys/fs/bpf/dt-test-$$-$AGENT_N}"
}

# lib_cleanup: removes what agent_start left in the kernel; call it from the test's cleanup.
lib_cleanup() {
	local d
	for d in /sys/fs/bpf/dt-test-$$-* ${PIN_DIR:-}; do
		[ -d "$d" ] && "$DATATRAIL" cleanup --pin-dir "$d" 2>/dev/null
	done
	return 0
}

# agent_start DIR INVENTORY [ARGS...]: runs the agent with outputs in DIR, waits until attached.
agent_start() {
	local dir=$1 inv=$2 i
	shift 2
	AGENT_N=$((AGENT_N + 1))
	rm -f "$dir/ready"
	"$DATATRAIL" run --inventory "$inv" --events "$dir/events.jsonl" \
		--findings "$dir/findings.jsonl" --ready-file "$dir/ready" --pin-dir "$(pin_dir)" "$@" \
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

# Test hosts in network namespaces the test creates itself (never any other address).
setup_host() { # ns veth host-side-v4 ns-side-v4 [host-v6 ns-v6]
	ip netns add "$1" || return 1
	ip link add "$2" type veth peer name "$2p" || return 1
	ip link set "$2p" netns "$1"
	ip addr add "$3/24" dev "$2"
	ip link set "$2" up
	ip netns exec "$1" ip addr add "$4/24" dev "$2p"
	ip netns exec "$1" ip link set "$2p" up
	ip netns exec "$1" ip link set lo up
	if [ $# -gt 4 ]; then
		ip -6 addr add "$5/64" dev "$2" nodad
		ip netns exec "$1" ip -6 addr add "$6/64" dev "$2p" nodad
	fi
}

# teardown_host NS VETH: what setup_host made, and the processes left in the namespace.
teardown_host() {
	ip netns pids "$1" 2>/dev/null | xargs -r kill 2>/dev/null
	ip link del "$2" 2>/dev/null
	ip netns del "$1" 2>/dev/null
	return 0
}

# listen NS PROTO ADDR PORT OUTFILE: one connection (or 1 s of UDP silence), bounded to 20 s.
listen() {
	local flags=-l
	[ "$2" = udp ] && flags="-lu -w 2"
	# shellcheck disable=SC2086
	ip netns exec "$1" timeout 20 nc $flags "$3" "$4" >"$5" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	local i
	for i in $(seq 100); do
		if [ "$2" = udp ]; then
			ip netns exec "$1" ss -lun | grep -q ":$4 " && return 0
		else
			ip netns exec "$1" ss -ltn | grep -q ":$4 " && return 0
		fi
		sleep 0.05
	done
	echo "listener on $3:$4 did not start" >&2
	return 1
}
