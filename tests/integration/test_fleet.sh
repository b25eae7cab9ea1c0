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
	for p in ${AGENTS:-}; do kill -KILL "$p" 2>/dev/null; done
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
head -c 5000 /dev/urandom >"$T/plain.bin"
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
	agent_start "$d" "$T/inv.json" --flush-ms 200 --enforce off --scope "netns:/run/netns/$NSA" \
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

# An agent scoped to a cgroup subtree reports a reader in a child cgroup of it, not one outside.
test_scope_cgroup() {
	local d=$T/scopecg cg pa ph
	cg=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)/dt-fleet-$$
	mkdir -p "$d" "$cg/job"
	agent_start "$d" "$T/inv.json" --flush-ms 200 --enforce off --scope "cgroup:$cg" \
		--status-file "$d/status.json" || { _fail "agent start"; rmdir "$cg/job" "$cg"; return 1; }
	sh -c 'echo $$ >"$0/cgroup.procs"; echo $$ >"$1"; exec cat "$2"' "$cg/job" "$d/pa" \
		"$T/ds/w.bin" >/dev/null
	sh -c 'echo $$ >"$0"; exec cat "$1"' "$d/ph" "$T/ds/s.bin" >/dev/null
	pa=$(cat "$d/pa")
	ph=$(cat "$d/ph")
	for i in $(seq 100); do
		[ "$(nfindings "$d/findings.jsonl" unauthorized_read "$pa")" -ge 1 ] && break
		sleep 0.1
	done
	agent_stop
	rmdir "$cg/job" "$cg"
	ASSERT_EQ "$(finding "$d/findings.jsonl" unauthorized_read "$pa" unmapped.bytes)" 70000 \
		"reader in the subtree"
	ASSERT_EQ "$(nfindings "$d/findings.jsonl" unauthorized_read "$ph")" 0 "reader outside"
	ASSERT_OCSF_DIR "cgroup scope output" "$d"
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

# The fleet: a real broker, a topic per case, both nodes' agents scoped to their namespaces.
PORT=${KAFKA_PORT:-19392}
KL_STATE=$T/broker
head -c 32 /dev/urandom | base64 >"$T/fleet.key"
chmod 600 "$T/fleet.key"
"$TOP/tools/kafka-local" start --port "$PORT" --dir "$KL_STATE" >"$T/bootstrap" 2>"$T/broker.err" || {
	echo "broker did not start:" >&2
	cat "$T/broker.err" >&2
	echo "RESULT fleet: 0 passed, 1 failed"
	exit 1
}

# fleet_config FILE TOPIC: the agents' shared configuration; each node's advisories spool in
# FILE's directory, spool/fleet-NODE.
fleet_config() {
	cat >"$1" <<EOF2
{"kafka": {"enabled": false, "properties": {"bootstrap.servers": "127.0.0.1:$PORT"},
           "spool": {"dir": "$(dirname "$1")/spool"}},
 "fleet": {"cidrs": ["10.204.1.0/24"], "topic": "$2", "key_file": "$T/fleet.key"}}
EOF2
	chmod 600 "$1"
}

# nodes_start DIR TOPIC [B's INVENTORY]: agents for node A and node B, outputs in DIR/a and DIR/b.
nodes_start() {
	mkdir -p "$1/a" "$1/b"
	fleet_config "$1/fleet.json" "$2"
	agent_start "$1/a" "$T/inv.json" --flush-ms 200 --config "$1/fleet.json" \
		--node-name node-a --enforce off --scope "netns:/run/netns/$NSA" --status-file "$1/a/status.json" ||
		return 1
	AGENT_A=$AGENT_PID
	AGENTS="${AGENTS:-} $AGENT_PID"
	agent_start "$1/b" "${3:-$T/inv.json}" --flush-ms 200 --config "$1/fleet.json" \
		--node-name node-b --enforce off --scope "netns:/run/netns/$NSB" --status-file "$1/b/status.json" ||
		return 1
	AGENT_B=$AGENT_PID
	AGENTS="$AGENTS $AGENT_PID"
}

nodes_stop() {
	local p
	# This case's sink, relay and sender, if still there: the next case binds their ports.
	for p in "$1"/sink.pid "$1"/relay.pid "$1"/sender.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	AGENT_PID=$AGENT_A
	agent_stop
	AGENT_PID=$AGENT_B
	agent_stop
	AGENT_A=""
	AGENT_B=""
}

# wait_grep FILE TEXT: bounded poll (20 s) until FILE holds TEXT.
wait_grep() {
	local i
	for i in $(seq 200); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "'$2' never appeared in '$1'" >&2
	return 1
}

# wait_finding FILE KIND PID: bounded poll (20 s) for a finding.
wait_finding() {
	local i
	for i in $(seq 200); do
		[ "$(nfindings "$1" "$2" "$3")" -ge 1 ] && return 0
		sleep 0.1
	done
	echo "no $2 finding of pid $3 in '$1'" >&2
	return 1
}

# B's receiver: accepts one connection on 10.204.1.2:9200, reads it to the end, waits for
# DIR/go, then sends what it read to the external host and waits for DIR/done.
RELAY='import os, socket, sys, time
d = sys.argv[1]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(30); s.bind(("10.204.1.2", 9200)); s.listen(1)
open(d + "/relay.listening", "w").write("1")
c, _ = s.accept(); c.settimeout(30); data = b""
while True:
    b = c.recv(65536)
    if not b: break
    data += b
for i in range(400):
    if os.path.exists(d + "/go"): break
    time.sleep(0.05)
x = socket.create_connection(("10.204.2.2", 9300), timeout=30); x.sendall(data); x.close()
open(d + "/relay.sent", "w").write(str(len(data)))
for i in range(600):
    if os.path.exists(d + "/done"): break
    time.sleep(0.05)'
# A's reader: reads FILE and sends it to node B.
SENDER='import socket, sys
data = open(sys.argv[1], "rb").read()
c = socket.create_connection(("10.204.1.2", 9200), timeout=30,
                             source_address=("10.204.1.1", 0))
c.sendall(data); c.close()'
SINK='import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(30); s.bind(("10.204.2.2", 9300)); s.listen(1)
c, _ = s.accept(); c.settimeout(30); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
open(sys.argv[1], "w").write(str(n))'

# flow_start DIR FILE: the external sink, B's relay and A's sender of FILE.
flow_start() {
	in_ns "$NSX" "$1/sink.pid" python3 -c "$SINK" "$1/sink.bytes"
	in_ns "$NSB" "$1/relay.pid" python3 -c "$RELAY" "$1"
	wait_file "$1/relay.listening" || return 1
	in_ns "$NSA" "$1/sender.pid" python3 -c "$SENDER" "$2"
	wait_file "$1/sender.pid" || return 1
	wait_file "$1/relay.pid"
}

# A's reader sends the dataset to B (allowed); B's receiver sends it on to the external host:
# B raises exfiltration naming node A, its process and the flow.
test_two_nodes() {
	local d=$T/two pr ps
	mkdir -p "$d"
	nodes_start "$d" "fleet-two-$$" || { _fail "agents"; return 1; }
	flow_start "$d" "$T/ds/w.bin" || { _fail "flow"; nodes_stop "$d"; return 1; }
	ps=$(cat "$d/sender.pid")
	pr=$(cat "$d/relay.pid")
	wait_grep "$d/b/agent.err" "pid $pr tainted by node-a pid $ps" || _fail "taint on arrival"
	touch "$d/go"
	wait_file "$d/sink.bytes"
	ASSERT_EQ "$(cat "$d/sink.bytes")" 70000 "bytes the external host got"
	wait_finding "$d/b/findings.jsonl" exfiltration "$pr" || _fail "exfiltration on B"
	touch "$d/done"
	nodes_stop "$d"
	local f=$d/b/findings.jsonl
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.bytes)" 70000 "bytes"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" resources.0.uid)" weights "dataset"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" evidences.0.dst_endpoint.ip)" 10.204.2.2 "dst"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.via.hop)" remote "hop"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.via.from_node)" node-a "node"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.via.from_pid)" "$ps" "sender pid"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.via.from_process)" python3 "sender"
	ASSERT_HAS "$(finding "$f" exfiltration "$pr" unmapped.via.flow)" ">10.204.1.2:9200/tcp" "flow"
	# A sent only inside its allowed_egress.
	ASSERT_EQ "$(nfindings "$d/a/findings.jsonl" exfiltration "$ps")" 0 "nothing on A"
	ASSERT_EQ "$($EVQ "$d/a/status.json" last fleet.advisories_produced)" 1 "advisories"
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.matched)" 1 "matched on B"
	ASSERT_OCSF_DIR "node A output" "$d/a"
	ASSERT_OCSF_DIR "node B output" "$d/b"
}

# The same with the broker paused while the bytes flow: B's receiver has sent everything on
# before the advisory arrives; the sends are still counted and reported once it does.
test_late_advisory() {
	local d=$T/late pr ps bpid
	mkdir -p "$d"
	nodes_start "$d" "fleet-late-$$" || { _fail "agents"; return 1; }
	bpid=$(cat "$KL_STATE/kafka.pid")
	touch "$d/go"
	kill -STOP "$bpid"
	flow_start "$d" "$T/ds/w.bin" || { kill -CONT "$bpid"; _fail "flow"; nodes_stop "$d"; return 1; }
	pr=$(cat "$d/relay.pid")
	ps=$(cat "$d/sender.pid")
	wait_file "$d/relay.sent"
	wait_file "$d/sink.bytes"
	ASSERT_EQ "$(cat "$d/sink.bytes")" 70000 "bytes the external host got"
	ASSERT_EQ "$(nfindings "$d/b/findings.jsonl" exfiltration "$pr")" 0 "nothing before the advisory"
	kill -CONT "$bpid"
	wait_grep "$d/b/agent.err" "pid $pr tainted by node-a pid $ps" || _fail "late taint"
	wait_finding "$d/b/findings.jsonl" exfiltration "$pr" || _fail "exfiltration on B"
	touch "$d/done"
	nodes_stop "$d"
	local f=$d/b/findings.jsonl
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.bytes)" 70000 "bytes"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" evidences.0.dst_endpoint.ip)" 10.204.2.2 "dst"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.via.from_node)" node-a "node"
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.egress_merged)" 1 "earlier sends merged"
	ASSERT_OCSF_DIR "node B output" "$d/b"
}

# wait_status FILE FIELD VALUE: bounded poll (20 s) until the status file says so.
wait_status() {
	local i
	for i in $(seq 200); do
		[ "$($EVQ "$1" last "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	echo "'$2' never became $3 in '$1' (it is '$($EVQ "$1" last "$2")')" >&2
	return 1
}

# The broker is down when A's reader sends, and A's agent stops before it is back: the
# advisory waits in A's spool, and A's next agent delivers it; B still taints its receiver.
test_advisory_spooled() {
	local d=$T/spooled pr ps bpid
	mkdir -p "$d"
	nodes_start "$d" "fleet-spool-$$" || { _fail "agents"; return 1; }
	bpid=$(cat "$KL_STATE/kafka.pid")
	kill -STOP "$bpid"
	flow_start "$d" "$T/ds/w.bin" || { kill -CONT "$bpid"; _fail "flow"; nodes_stop "$d"; return 1; }
	pr=$(cat "$d/relay.pid")
	ps=$(cat "$d/sender.pid")
	wait_status "$d/a/status.json" fleet.advisories_spooled 1 || _fail "spooled on A"
	AGENT_PID=$AGENT_A
	agent_stop
	ASSERT_EQ "$AGENT_RC" 0 "A's agent stops with the broker down"
	ASSERT_EQ "$($EVQ "$d/a/status.json" last fleet.advisories_delivered)" 0 "not delivered"
	ASSERT_EQ "$(ls "$d/spool/fleet-node-a" | grep -c '^spool-')" 1 "A's spool segment"
	kill -CONT "$bpid"
	mkdir -p "$d/a2"
	agent_start "$d/a2" "$T/inv.json" --flush-ms 200 --config "$d/fleet.json" \
		--node-name node-a --enforce off --scope "netns:/run/netns/$NSA" \
		--status-file "$d/a2/status.json" || { _fail "A's second agent"; nodes_stop "$d"; return 1; }
	AGENT_A=$AGENT_PID
	AGENTS="$AGENTS $AGENT_PID"
	wait_grep "$d/b/agent.err" "pid $pr tainted by node-a pid $ps" || _fail "taint from the spool"
	touch "$d/go"
	wait_finding "$d/b/findings.jsonl" exfiltration "$pr" || _fail "exfiltration on B"
	wait_status "$d/a2/status.json" fleet.advisories_delivered 1 || _fail "delivered"
	touch "$d/done"
	nodes_stop "$d"
	ASSERT_EQ "$($EVQ "$d/a2/status.json" last fleet.advisories_produced)" 0 "none new on A"
	ASSERT_EQ "$($EVQ "$d/a2/status.json" last fleet.advisories_spooled)" 0 "spool empty"
	ASSERT_EQ "$($EVQ "$d/a2/status.json" last fleet.advisories_dropped)" 0 "none dropped"
	# The stopped producer may have handed it to the paused broker already: then the spool's
	# resend is a duplicate, which B counts and drops.
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.matched)" 1 "matched on B"
	ASSERT_EQ "$(($($EVQ "$d/b/status.json" last fleet.advisories_consumed) -
		$($EVQ "$d/b/status.json" last fleet.duplicates)))" 1 "one advisory taken on B"
	local f=$d/b/findings.jsonl
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.bytes)" 70000 "bytes"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.via.from_node)" node-a "node"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.via.from_pid)" "$ps" "sender pid"
}

# A process of A that read nothing sends to B, which sends it on: no advisory, no finding.
test_untainted_flow() {
	local d=$T/clean pr
	mkdir -p "$d"
	nodes_start "$d" "fleet-clean-$$" || { _fail "agents"; return 1; }
	touch "$d/go"
	flow_start "$d" "$T/plain.bin" || { _fail "flow"; nodes_stop "$d"; return 1; }
	pr=$(cat "$d/relay.pid")
	wait_file "$d/sink.bytes"
	ASSERT_EQ "$(cat "$d/sink.bytes")" 5000 "bytes the external host got"
	touch "$d/done"
	nodes_stop "$d"
	ASSERT_EQ "$($EVQ "$d/a/status.json" last fleet.advisories_produced)" 0 "advisories"
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.matched)" 0 "matched"
	ASSERT_EQ "$(nfindings "$d/b/findings.jsonl" exfiltration "$pr")" 0 "no finding on B"
	ASSERT_EQ "$(grep -c "tainted by" "$d/b/agent.err")" 0 "no taint on B"
}

# Advisories from producers without the fleet key: unsigned, badly signed, malformed. All are
# refused and counted; the flow they name stays clean.
test_forged_advisory() {
	local d=$T/forged pr sport adv
	mkdir -p "$d"
	nodes_start "$d" "fleet-forged-$$" || { _fail "agents"; return 1; }
	touch "$d/go"
	flow_start "$d" "$T/plain.bin" || { _fail "flow"; nodes_stop "$d"; return 1; }
	pr=$(cat "$d/relay.pid")
	wait_file "$d/sink.bytes" || _fail "flow"
	# The real flow's source port, as B's kernel saw it: the forgery names the real flow.
	sport=$(ip netns exec "$NSA" ss -tanH state time-wait dst 10.204.1.2:9200 |
		awk '{print $3}' | sed 's/.*://' | head -1)
	[ -n "$sport" ] || sport=40000
	adv='{"v":1,"node":"node-x","ts_ms":'$(date +%s%3N)',"proto":"tcp","src":"10.204.1.1","sport":'$sport',"dst":"10.204.1.2","dport":9200,"pid":1,"comm":"x","datasets":[{"id":"weights","classification":"restricted","allowed_egress":[]}]}'
	printf '%s\n' "10.204.1.2|$adv" | kcat -P -b "127.0.0.1:$PORT" -t "fleet-forged-$$" -K '|' 2>>"$d/kcat.err"
	printf '%s\n' "10.204.1.2|$adv" | kcat -P -b "127.0.0.1:$PORT" -t "fleet-forged-$$" -K '|' \
		-H "dt-sig=$(printf '%064d' 0)" 2>>"$d/kcat.err"
	local i
	for i in $(seq 200); do
		[ "$($EVQ "$d/b/status.json" last fleet.rejected_signature)" = 2 ] && break
		sleep 0.1
	done
	touch "$d/done"
	nodes_stop "$d"
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.rejected_signature)" 2 "refused"
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.matched)" 0 "matched"
	ASSERT_HAS "$(cat "$d/b/agent.err")" "refused: unsigned" "unsigned reported"
	ASSERT_HAS "$(cat "$d/b/agent.err")" "refused: bad signature" "bad signature reported"
	ASSERT_EQ "$(nfindings "$d/b/findings.jsonl" exfiltration "$pr")" 0 "no finding on B"
}

# Node B's inventory lacks A's dataset: B judges it by the classification and allowed_egress
# the advisory carries, and names it in the finding.
test_foreign_dataset() {
	local d=$T/foreign pr ps
	mkdir -p "$d" "$T/dsb"
	head -c 100 /dev/urandom >"$T/dsb/o.bin"
	cat >"$d/inv_b.json" <<EOF2
{"datasets": [{"id": "other", "classification": "internal", "paths": ["$T/dsb"]}]}
EOF2
	nodes_start "$d" "fleet-foreign-$$" "$d/inv_b.json" || { _fail "agents"; return 1; }
	flow_start "$d" "$T/ds/w.bin" || { _fail "flow"; nodes_stop "$d"; return 1; }
	pr=$(cat "$d/relay.pid")
	ps=$(cat "$d/sender.pid")
	wait_grep "$d/b/agent.err" "pid $pr tainted by node-a pid $ps" || _fail "taint on arrival"
	touch "$d/go"
	wait_finding "$d/b/findings.jsonl" exfiltration "$pr" || _fail "exfiltration on B"
	touch "$d/done"
	nodes_stop "$d"
	local f=$d/b/findings.jsonl
	ASSERT_HAS "$(cat "$d/b/agent.err")" "dataset 'weights' (restricted) is another node's" "slot"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" resources.0.uid)" weights "dataset"
	ASSERT_EQ "$(finding "$f" exfiltration "$pr" unmapped.bytes)" 70000 "bytes"
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.foreign_datasets)" 1 "foreign"
	ASSERT_OCSF_DIR "node B output" "$d/b"
}

# B's own inventory entry wins over the advisory's: B allows the external host.
test_local_policy_wins() {
	local d=$T/local pr ps
	mkdir -p "$d"
	cat >"$d/inv_b.json" <<EOF2
{"datasets": [{"id": "weights", "classification": "restricted", "paths": ["$T/ds"],
  "allowed_egress": ["10.204.1.0/24", "10.204.2.0/24"]}]}
EOF2
	nodes_start "$d" "fleet-local-$$" "$d/inv_b.json" || { _fail "agents"; return 1; }
	flow_start "$d" "$T/ds/w.bin" || { _fail "flow"; nodes_stop "$d"; return 1; }
	pr=$(cat "$d/relay.pid")
	ps=$(cat "$d/sender.pid")
	wait_grep "$d/b/agent.err" "pid $pr tainted by node-a pid $ps" || _fail "taint on arrival"
	touch "$d/go"
	wait_file "$d/sink.bytes"
	ASSERT_EQ "$(cat "$d/sink.bytes")" 70000 "bytes the external host got"
	touch "$d/done"
	nodes_stop "$d"
	ASSERT_EQ "$(nfindings "$d/b/findings.jsonl" exfiltration "$pr")" 0 "allowed on B"
	ASSERT_EQ "$($EVQ "$d/b/status.json" last fleet.foreign_datasets)" 0 "not foreign"
}

run_tests fleet
