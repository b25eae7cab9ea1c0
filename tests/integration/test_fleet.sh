#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_fleet.sh - agents scoped to network namespaces act as nodes; taint crosses them through Kafka advisories.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root fleet
mount_kernel_fs

# Three test hosts the test creates itself, wired directly to each other (never the host):
# node A (10.204.1.1) -- node B (10.204.1.2, 10.204.2.1) -- external host (10.204.2.2).
NSA=dt-fa-$$
NSB=dt-fb-$$
NSX=dt-fx-$$
T=$(mktemp -d /var/tmp/dt-fleet.XXXXXX)
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	for p in ${AGENT_A:-} ${AGENT_B:-}; do kill -KILL "$p" 2>/dev/null; done
	for ns in $NSA $NSB $NSX; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${KL_STATE:-}" ] && "$TOP/tools/kafka-local" stop --port "$PORT" --dir "$KL_STATE" \
		>/dev/null 2>&1
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

for ns in $NSA $NSB $NSX; do
	ip netns add "$ns" || exit 1
	ip -n "$ns" link set lo up
done
ip link add dtfa$$ netns "$NSA" type veth peer name dtfb$$ netns "$NSB" || exit 1
ip link add dtfc$$ netns "$NSB" type veth peer name dtfx$$ netns "$NSX" || exit 1
ip -n "$NSA" addr add 10.204.1.1/24 dev dtfa$$
ip -n "$NSB" addr add 10.204.1.2/24 dev dtfb$$
ip -n "$NSB" addr add 10.204.2.1/24 dev dtfc$$
ip -n "$NSX" addr add 10.204.2.2/24 dev dtfx$$
for l in "$NSA dtfa$$" "$NSB dtfb$$" "$NSB dtfc$$" "$NSX dtfx$$"; do
	set -- $l
	ip -n "$1" link set "$2" up
done

chmod 755 "$T"
mkdir -p "$T/ds" "$T/a" "$T/b"
head -c 70000 /dev/urandom >"$T/ds/w.bin"
head -c 3000 /dev/urandom >"$T/ds/s.bin"
chmod -R a+rX "$T/ds"
# Node A may send the dataset to node B; nobody may send it to the external host.
cat >"$T/inv.json" <<EOF2
{"datasets": [
  {"id": "weights", "classification": "restricted", "paths": ["$T/ds"],
   "allowed_readers": {"uids": [4321]},
   "allowed_egress": ["10.204.1.0/24"]}
]}
EOF2

# in NS FILE CMD...: runs CMD in NS, its pid in FILE; returns at once.
in_ns() {
	local ns=$1 pf=$2
	shift 2
	ip netns exec "$ns" sh -c 'echo $$ >"$0"; exec "$@"' "$pf" "$@" &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
}

# wait_file FILE: bounded poll until FILE is non-empty.
wait_file() {
	local i
	for i in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "'$1' never appeared" >&2
	return 1
}

# Findings of one kind against one pid in FILE: their field's last value, or their count.
finding() { # file kind pid field
	$EVQ "$1" last "$4" --where finding_info.types.0="$2" --where evidences.0.process.pid="$3"
}
nfindings() { # file kind pid
	$EVQ "$1" count --where finding_info.types.0="$2" --where evidences.0.process.pid="$3"
}

# An agent scoped to node A's namespace reports its reader and not one outside it.
test_scope_netns() {
	local d=$T/scope pa ph
	mkdir -p "$d"
	agent_start "$d" "$T/inv.json" --flush-ms 200 --scope "netns:/run/netns/$NSA" \
		--status-file "$d/status.json" || { _fail "agent start"; return 1; }
	in_ns "$NSA" "$d/pa" cat "$T/ds/w.bin" >/dev/null
	sh -c 'echo $$ >"$0"; exec cat "$1"' "$d/ph" "$T/ds/s.bin" >/dev/null
	wait_file "$d/pa"
	wait_file "$d/ph"
	pa=$(cat "$d/pa")
	ph=$(cat "$d/ph")
	for i in $(seq 100); do
		[ "$(nfindings "$d/findings.jsonl" unauthorized_read "$pa")" -ge 1 ] && break
		sleep 0.1
	done
	agent_stop
	ASSERT_EQ "$(finding "$d/findings.jsonl" unauthorized_read "$pa" unmapped.bytes)" 70000 \
		"reader in scope"
	ASSERT_EQ "$(nfindings "$d/findings.jsonl" unauthorized_read "$ph")" 0 "reader out of scope"
	ASSERT_EQ "$($EVQ "$d/findings.jsonl" count --where resources.0.uid=weights \
		--where evidences.0.process.pid="$ph")" 0 "nothing of the host reader"
	ASSERT_OCSF_DIR "scope output" "$d"
}

# A bad scope is refused with a message naming the value.
test_scope_bad() {
	local out
	out=$("$DATATRAIL" run --inventory "$T/inv.json" --scope "netns:$T/inv.json" 2>&1)
	ASSERT_EQ "$?" 2 "exit status"
	ASSERT_HAS "$out" "option '--scope': 'netns:$T/inv.json': not a namespace file" "message"
	out=$("$DATATRAIL" run --inventory "$T/inv.json" --scope "pid:1" 2>&1)
	ASSERT_HAS "$out" "option '--scope': bad value 'pid:1'" "message"
}

run_tests fleet
