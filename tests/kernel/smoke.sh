#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# smoke.sh - the kernel matrix's suite: the real agent on busybox workloads, run inside a guest kernel.
#
# Plain POSIX sh (busybox ash in the guest, dash on a host): no python, no jq. Results are JSON
# lines matched with grep and sed. Runs on the host too: DATATRAIL=build/datatrail sh tests/kernel/smoke.sh
# Prints "ok   NAME" / "FAIL NAME" / "lost NAME (reason)" per case and, last,
# "RESULT kernel-$(uname -r) main|compat --hooks H (syscalls by B): N passed, N failed, N lost" (the
# BPF build that ran, HOOKS as given: auto, fentry or tracepoint, B the syscall hooks' backend).
# AUTO_HOOKS names the backend --hooks auto must pick on this kernel (the matrix's guests:
# fentry); unset, the one the agent announces is checked against its status file.
set -u

DATATRAIL=${DATATRAIL:-/bin/datatrail}
URING_READ=${URING_READ:-/bin/uring_read}
URING_NET=${URING_NET:-/bin/uring_net}
HOOKS=${HOOKS:-auto}
AUTO_HOOKS=${AUTO_HOOKS:-}
NC=${NC:-nc}
# busybox sh runs its own applets for bare names: the guest names iproute2 and openbsd nc by path.
IP=${IP:-ip}
T=$(mktemp -d /tmp/dt-smoke.XXXXXX)
NS=dt-km-$$
VX=dtkm$$
PIN=/sys/fs/bpf/dt-km-$$
HOST_IP=10.199.9.2
PASSED=0
FAILED=0
LOST=0
CUR_FAILED=0
AGENT_PID=""

cleanup() {
	[ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	"$IP" netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	"$IP" link del "$VX" 2>/dev/null
	"$IP" netns del "$NS" 2>/dev/null
	[ -d "$PIN" ] && "$DATATRAIL" cleanup --pin-dir "$PIN" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "  $CUR: $*"
	CUR_FAILED=1
}

assert_eq() { # actual expected tag
	[ "$1" = "$2" ] || fail "$3: actual '$1' != expected '$2'"
}

# run_case NAME: runs case_NAME and tallies it.
run_case() {
	CUR=$1
	CUR_FAILED=0
	"case_$1"
	if [ "$CUR_FAILED" = 0 ]; then
		PASSED=$((PASSED + 1))
		echo "ok   $1"
	else
		FAILED=$((FAILED + 1))
		echo "FAIL $1"
	fi
}

# A change the running backend says it cannot see: not a pass, not a failure, reported.
lost() { # name reason
	LOST=$((LOST + 1))
	echo "lost $1 ($2)"
}

# wait_for CMD...: polls CMD every 0.1 s, at most 30 s (TCG is slow).
wait_for() {
	i=0
	while [ $i -lt "${WAIT_TICKS:-300}" ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# A process object's "uid" comes before its "pid" (OCSF 1.8.0).
UID_RE='\("uid":"[^"]*",\)\{0,1\}'

# Findings of KIND raised against PID (the first evidence's process).
findings_of() { # file kind pid
	grep "\"types\":\[\"$2\"\]" "$1" 2>/dev/null |
		grep "\"evidences\":\[{\"process\":{$UID_RE\"pid\":$3,"
}

# The last such finding's unmapped.FIELD (a number or a string); its dataset (OCSF 1.8.0: the
# first of resources[]) for FIELD "dataset".
finding_field() { # file kind pid field
	if [ "$4" = dataset ]; then
		findings_of "$1" "$2" "$3" | tail -n 1 |
			sed -n 's/.*"resources":\[{"uid":"\([^"]*\)".*/\1/p'
		return
	fi
	findings_of "$1" "$2" "$3" | tail -n 1 |
		sed -n "s/.*\"unmapped\":{.*\"$4\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# Sum of the bytes the events report PID read (by ACCESS, default read).
read_bytes() { # file pid [access]
	grep "\"actor\":{\"process\":{$UID_RE\"pid\":$2," "$1" 2>/dev/null |
		grep "\"access\":\"${3:-read}\"" |
		sed -n 's/.*"unmapped":{.*"bytes":\([0-9]*\).*/\1/p' |
		{ s=0; while read -r n; do s=$((s + n)); done; echo $s; }
}

has_finding() { # file kind pid
	[ -n "$(findings_of "$1" "$2" "$3")" ]
}

agent_start() { # dir
	mkdir -p "$1"
	"$DATATRAIL" run --inventory "$T/inv.json" --events "$1/events.jsonl" \
		--findings "$1/findings.jsonl" --ready-file "$1/ready" --pin-dir "$PIN" \
		--status-file "$1/status.json" --hooks "$HOOKS" --flush-ms 200 2>"$1/agent.err" &
	AGENT_PID=$!
	# Loading the programs under TCG on a busy host can take a minute or more: wait while
	# the agent lives, up to 5 minutes, and give up at once when it exits.
	i=0
	while [ $i -lt 3000 ] && kill -0 "$AGENT_PID" 2>/dev/null; do
		test -s "$1/ready" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	test -s "$1/ready" && return 0
	echo "agent did not become ready (after $((i / 10)) s):"
	cat "$1/agent.err"
	return 1
}

agent_stop() {
	kill -INT "$AGENT_PID" 2>/dev/null
	wait_for sh -c "! kill -0 $AGENT_PID 2>/dev/null" || kill -KILL "$AGENT_PID"
	wait "$AGENT_PID"
	AGENT_RC=$?
	AGENT_PID=""
}

# listen PORT OUT: one TCP connection on the test host, bounded to 60 s.
listen() {
	"$IP" netns exec "$NS" timeout 60 "$NC" -l "$HOST_IP" "$1" >"$2" &
	wait_for sh -c "grep -qi ':$(printf %04X "$1") 00000000:0000 0A' /proc/$!/net/tcp 2>/dev/null"
}

# The test host: a network namespace behind a veth pair (no other address is ever used).
"$IP" netns add "$NS" || exit 1
"$IP" link add "$VX" type veth peer name "${VX}p" || exit 1
"$IP" link set "${VX}p" netns "$NS"
"$IP" addr add 10.199.9.1/24 dev "$VX"
"$IP" link set "$VX" up
"$IP" netns exec "$NS" "$IP" addr add "$HOST_IP/24" dev "${VX}p"
"$IP" netns exec "$NS" "$IP" link set "${VX}p" up
"$IP" netns exec "$NS" "$IP" link set lo up

mkdir -p "$T/ds" "$T/out"
dd if=/dev/urandom of="$T/ds/a.bin" bs=1000 count=100 2>/dev/null
dd if=/dev/urandom of="$T/ds/b.bin" bs=1000 count=20 2>/dev/null
dd if=/dev/urandom of="$T/ds/c.bin" bs=1000 count=30 2>/dev/null
dd if=/dev/urandom of="$T/plain.bin" bs=1000 count=5 2>/dev/null
echo "one line of classified text" >"$T/ds/line.txt"
echo "label one" >"$T/ds/labels.txt"
echo "label two" >"$T/ds/gone.txt"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"]}]}
EOF

A1=$T/a1
agent_start "$A1" || { echo "RESULT kernel-$(uname -r): 0 passed, 1 failed"; exit 1; }
STARTUP=$(cat "$A1/agent.err")
echo "$STARTUP" | sed "s/^/agent: /"
# The syscall hooks' backend the agent announced (user/hooks.c), and the one it must be.
BACKEND=$(echo "$STARTUP" | sed -n 's/^datatrail: hooks [a-z]*: syscalls by \([a-z]*\) .*/\1/p')
case "$HOOKS" in
auto) WANT_BACKEND=${AUTO_HOOKS:-$BACKEND} ;;
*) WANT_BACKEND=$HOOKS ;;
esac

# 1. exact bytes of a classified read
dd if="$T/ds/a.bin" of=/dev/null bs=4096 2>/dev/null &
DD_PID=$!
wait $DD_PID

# 1b. the same through io_uring (tests/progs/uring_read): no read syscall, a completion each
"$URING_READ" "$T/ds/a.bin" >"$T/uring.out" &
URING_PID=$!
wait $URING_PID

# 2. cat dataset | nc test host
listen 9001 "$T/recv1" || echo "listener on 9001 did not start"
cat "$T/ds/a.bin" | "$NC" -w 20 -N "$HOST_IP" 9001 &
NC_PID=$!
wait $NC_PID

# 2b. the dataset read, then sent through io_uring (tests/progs/uring_net): SEND requests on a
# connection made through the ring, no send syscall
listen 9003 "$T/recv3" || echo "listener on 9003 did not start"
"$URING_NET" send "$HOST_IP" 9003 "$T/ds/a.bin" >/dev/null &
URING_SEND_PID=$!
wait $URING_SEND_PID

# 3. a copy outside the dataset
cp "$T/ds/a.bin" "$T/out/copy.bin" &
CP_PID=$!
wait $CP_PID

# 4. poisoning by rename and by truncate
mv "$T/ds/b.bin" "$T/ds/b2.bin" &
MV_PID=$!
wait $MV_PID
truncate -s 100 "$T/ds/c.bin" &
TR_PID=$!
wait $TR_PID
# sed -i writes a new file beside the old one and renames it over it
sed -i 's/one/ONE/' "$T/ds/labels.txt" &
SED_PID=$!
wait $SED_PID
chmod 600 "$T/ds/a.bin" &
CHMOD_PID=$!
wait $CHMOD_PID
rm "$T/ds/gone.txt" &
RM_PID=$!
wait $RM_PID

# 5. tainted under this agent (the shell reads a dataset line), sending under the next one;
# it waits as long as agent_start may (5 minutes: the first agent's stop and the second's
# load under TCG on a busy host took more than the minute it waited before)
sh -c "read -r l <'$T/ds/line.txt'; i=0
	while [ ! -e '$T/go' ] && [ \$i -lt 3000 ]; do sleep 0.1; i=\$((i + 1)); done
	exec '$NC' -w 20 -N $HOST_IP 9002 <'$T/plain.bin'" &
RS_PID=$!

E1=$A1/events.jsonl
F1=$A1/findings.jsonl
wait_for has_finding "$F1" derived_copy $CP_PID
wait_for has_finding "$F1" exfiltration $NC_PID
wait_for has_finding "$F1" exfiltration $URING_SEND_PID
wait_for sh -c "[ \"\$(grep -c '\"pid\":$DD_PID,' '$E1')\" -ge 1 ]"
wait_for sh -c "[ \"\$(grep -c '\"pid\":$URING_PID,' '$E1')\" -ge 1 ]"
# The last flush comes at the agent's stop; rename and truncate are checked after it.
agent_stop
RC1=$AGENT_RC

case_agent_loads() {
	assert_eq "$RC1" 0 "first agent's exit status"
	assert_eq "$(grep -c 'load bpf\|attach bpf' "$A1/agent.err")" 0 "load errors"
}

case_exact_read_bytes() {
	assert_eq "$(read_bytes "$E1" $DD_PID)" 100000 "bytes dd read"
}

# Where the agent said it cannot count io_uring reads (nor sends), that is a loss, not a pass.
uring_case() {
	if echo "$STARTUP" | grep -q "reads through io_uring are not counted"; then
		lost io_uring_read_bytes "the agent said: reads through io_uring are not counted"
		lost io_uring_send_exfiltration "the agent said: sends through io_uring are not counted"
	else
		run_case io_uring_read_bytes
		run_case io_uring_send_exfiltration
	fi
}

case_io_uring_read_bytes() {
	assert_eq "$(cat "$T/uring.out")" 100000 "bytes uring_read read"
	assert_eq "$(read_bytes "$E1" $URING_PID io_uring)" 100000 "bytes the agent counted"
}

case_io_uring_send_exfiltration() {
	assert_eq "$(wc -c <"$T/recv3" | tr -d ' ')" 100000 "bytes the test host received"
	assert_eq "$(finding_field "$F1" exfiltration $URING_SEND_PID bytes)" 100000 "finding bytes"
	assert_eq "$(finding_field "$F1" exfiltration $URING_SEND_PID dataset)" faces \
		"finding dataset"
}

case_pipe_to_socket_exfiltration() {
	assert_eq "$(wc -c <"$T/recv1" | tr -d ' ')" 100000 "bytes the test host received"
	assert_eq "$(finding_field "$F1" exfiltration $NC_PID bytes)" 100000 "finding bytes"
	assert_eq "$(finding_field "$F1" exfiltration $NC_PID dataset)" faces "finding dataset"
}

case_derived_copy() {
	assert_eq "$(finding_field "$F1" derived_copy $CP_PID bytes)" 100000 "bytes copied"
	assert_eq "$(finding_field "$F1" derived_copy $CP_PID dataset)" faces "dataset"
	# One Create; the Close at stop (OCSF 1.8.0) names it again.
	assert_eq "$(findings_of "$F1" derived_copy $CP_PID | grep '"activity_name":"Create"' |
		grep -c "\"path\":\"$T/out/copy.bin\"")" 1 "copy path"
}

# The status file names the BPF build, the syscall hooks' backend and what sees path-based
# changes, as the start-up lines do.
case_status_names_hooks() {
	local build=main seen="ctime tracepoints"
	case "$STARTUP" in *"compat programs"*) build=compat ;; esac
	case "$STARTUP" in
	*"seen by fentry"*) seen=fentry ;;
	*"no ctime tracepoints"*) seen="not seen" ;;
	esac
	assert_eq "$(grep -o '"hooks":"[a-z]*"' "$A1/status.json")" "\"hooks\":\"$HOOKS\"" "hooks"
	assert_eq "$BACKEND" "$WANT_BACKEND" "syscall hooks' backend in the start-up line"
	assert_eq "$(grep -o '"syscall_hooks":"[a-z]*"' "$A1/status.json")" \
		"\"syscall_hooks\":\"$WANT_BACKEND\"" "syscall hooks' backend in the status"
	assert_eq "$(grep -o '"syscall_tracepoints_kept":"[^"]*"' "$A1/status.json")" \
		'"syscall_tracepoints_kept":""' "syscall tracepoints kept with fentry"
	assert_eq "$(grep -o '"bpf_build":"[a-z]*"' "$A1/status.json")" "\"bpf_build\":\"$build\"" \
		"bpf build"
	assert_eq "$(grep -o '"path_changes_seen_by":"[a-z ]*"' "$A1/status.json")" \
		"\"path_changes_seen_by\":\"$seen\"" "path changes seen by"
}

# tamper_case NAME PID OP: a change the agent announced at start it cannot see is lost, else
# the finding must be there.
tamper_case() {
	if echo "$STARTUP" | grep 'no ctime tracepoints' | grep -v 'seen by fentry' |
		grep -q "$3.*not seen"; then
		lost "$1" "the agent said:$(echo "$STARTUP" | grep -o "[^:]*$3[^:]*not seen" | head -n 1)"
	else
		run_case "$1"
	fi
}

case_dataset_tamper_rename() {
	assert_eq "$(finding_field "$F1" dataset_tamper $MV_PID dataset)" faces "dataset"
	assert_eq "$(finding_field "$F1" dataset_tamper $MV_PID operations)" rename "operation"
}

case_dataset_tamper_truncate() {
	assert_eq "$(finding_field "$F1" dataset_tamper $TR_PID dataset)" faces "dataset"
	assert_eq "$(finding_field "$F1" dataset_tamper $TR_PID operations)" truncate "operation"
}

# Some dataset_tamper finding of PID lists OP among its operations.
has_operation() { # pid op
	[ "$(findings_of "$F1" dataset_tamper "$1" | grep -c "\"operations\":\"[^\"]*$2")" -ge 1 ] ||
		fail "no dataset_tamper finding of pid $1 with operation '$2'"
}

case_dataset_tamper_sed_in_place() {
	has_operation $SED_PID rename
	assert_eq "$(finding_field "$F1" dataset_tamper $SED_PID dataset)" faces "dataset"
}

case_dataset_tamper_chmod() {
	has_operation $CHMOD_PID set_attributes
}

case_dataset_tamper_unlink() {
	has_operation $RM_PID unlink
}

# 6. the second agent, on the pinned maps the first one left
A2=$T/a2
PINNED=$(ls "$PIN" 2>/dev/null | tr '\n' ,)
RS_RECV=$T/recv2
if agent_start "$A2"; then
	listen 9002 "$RS_RECV" || echo "listener on 9002 did not start"
	touch "$T/go"
	wait $RS_PID
	wait_for has_finding "$A2/findings.jsonl" exfiltration $RS_PID
	agent_stop
	RC2=$AGENT_RC
else
	RC2=start-failed
	kill $RS_PID 2>/dev/null
fi

case_restart_with_pinned_maps() {
	assert_eq "$RC2" 0 "second agent's exit status"
	case "$PINNED" in *taint*) ;; *) fail "taint map not pinned: '$PINNED'" ;; esac
	assert_eq "$(wc -c <"$RS_RECV" | tr -d ' ')" 5000 "bytes the test host received"
	assert_eq "$(finding_field "$A2/findings.jsonl" exfiltration $RS_PID bytes)" 5000 \
		"exfiltration raised by the second agent"
	assert_eq "$(finding_field "$A2/findings.jsonl" exfiltration $RS_PID dataset)" faces "dataset"
}

run_case agent_loads
run_case status_names_hooks
run_case exact_read_bytes
uring_case
run_case pipe_to_socket_exfiltration
run_case derived_copy
tamper_case dataset_tamper_rename $MV_PID rename
tamper_case dataset_tamper_truncate $TR_PID truncate
tamper_case dataset_tamper_sed_in_place $SED_PID rename
tamper_case dataset_tamper_chmod $CHMOD_PID chmod
tamper_case dataset_tamper_unlink $RM_PID unlink
run_case restart_with_pinned_maps
[ "$FAILED" = 0 ] || { echo "agent stderr (first run):"; cat "$A1/agent.err"; }
# Which of the two BPF builds ran (user/hooks.c): compat before 6.2, or when forced.
case "$STARTUP" in
*"compat programs"*) BUILT=compat ;;
*) BUILT=main ;;
esac
echo "RESULT kernel-$(uname -r) $BUILT --hooks $HOOKS (syscalls by ${BACKEND:-?}):" \
	"$PASSED passed, $FAILED failed, $LOST lost"
[ "$FAILED" = 0 ]
