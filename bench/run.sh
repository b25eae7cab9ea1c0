#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - `make bench`: datatrail's overhead on real workloads (ABAB, agent off/on), the
# user-space pipeline's capacity, and how start-up and lookups scale with the inventory.
#
# Environment:
#   BENCH_QUICK=1        a smoke run: 2 pairs, small sizes (about 2 minutes)
#   BENCH_PAIRS=N        ABAB pairs per workload (default 7, quick 2)
#   BENCH_ONLY="T1 P1"   run only these sections (T1..T5, D, H, E, P1, S1, F1, C1)
#   BENCH_CORPUS_SECONDS=S  C1: seconds of benign training with the agent, in all (default
#                        360, quick 60); as many again without it
#   BENCH_CORPUS_PAIRS=N C1: ABAB pairs the seconds are split into (default 3, quick 2)
#   BENCH_KEEP=1         keep the scratch directory (/var/tmp/dt-bench.*)
#   BENCH_QUIET_WAIT=S   before each run, wait up to S seconds (default 60) while another
#                        datatrail agent runs or the CPUs are more than 15 % busy; a run that
#                        starts anyway is marked disturbed, and its pair is replaced by an
#                        extra pair (at most 3)
#   BENCH_QUIET_BUDGET=S the most seconds spent waiting in all (default 240, quick 60)
#   BENCH_KAFKA_PORT=N   the bench's own broker (tools/kafka-local, default 19392)
#   BENCH_SOURCE=TEXT    names the measured source in the report (default: git describe)
#   BENCH_BACKENDS="fentry tracepoint"  the syscall hook backends T1..T5 run with (default:
#                        each one the kernel allows; one the kernel refuses is reported)
#   BUILD=DIR            where make put the binaries (default build)
# Results: $BUILD/bench/results.tsv (one line per run), $BUILD/bench/report.txt (the table).
set -u
export LC_ALL=C

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# C1's fixtures (tests/corpus/corpus.sh) make their test hosts with lib.sh's setup_host; the
# bench's own agent_start and agent_stop below replace lib.sh's.
. "$TOP/tests/lib/lib.sh"
. "$TOP/tests/corpus/corpus.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
DT=$BUILD/datatrail
BB=$BUILD/bench
OUT=$BUILD/bench
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] || QUICK=1
ONLY=${BENCH_ONLY:-}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
QUIET_BUDGET=${BENCH_QUIET_BUDGET:-}
KPORT=${BENCH_KAFKA_PORT:-19392}

if [ "$QUICK" = 1 ]; then
	PAIRS=${BENCH_PAIRS:-2}
	T1_N=2000000 T2_PASSES=8 T4_FILES=10000 T4_EPOCHS=1 T5_BYTES=$((256 << 20))
	P1_SECONDS=1 P1_KAFKA_RECORDS=30000
	S1_SIZES="1000 10000" S1_PAIRS=1 S1_PASSES=4 H_PAIRS=1 H_N=2000000 E_PAIRS=2
	PAIRS_EXTRA=1 QUIET_BUDGET=${QUIET_BUDGET:-60}
	C1_SECONDS=${BENCH_CORPUS_SECONDS:-60} C1_PAIRS=${BENCH_CORPUS_PAIRS:-2}
else
	PAIRS=${BENCH_PAIRS:-7}
	T1_N=20000000 T2_PASSES=60 T4_FILES=100000 T4_EPOCHS=3 T5_BYTES=$((4 << 30))
	P1_SECONDS=3 P1_KAFKA_RECORDS=300000
	S1_SIZES="1000 100000 1000000" S1_PAIRS=3 S1_PASSES=30 H_PAIRS=3 H_N=10000000 E_PAIRS=5
	PAIRS_EXTRA=3 QUIET_BUDGET=${QUIET_BUDGET:-240}
	C1_SECONDS=${BENCH_CORPUS_SECONDS:-360} C1_PAIRS=${BENCH_CORPUS_PAIRS:-3}
fi
T4_WORKERS=4 T4_CLS_EVERY=10
RUN_LIMIT=60 # seconds any one workload may run

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root: it loads the agent's BPF programs (sudo make bench)"
for b in "$DT" "$BB/wl_syscall" "$BB/wl_read" "$BB/wl_loader" "$BB/wl_tcp" "$BB/mkfiles" \
	"$BB/pipeline_bench" "$BB/inv_bench" "$BB/fleet_bench" "$BB/hookbench" "$BB/hooks.bpf.o"; do
	[ -e "$b" ] || die "'$b' is missing; run 'make bench'"
done
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null

T=$(mktemp -d /var/tmp/dt-bench.XXXXXX) || die "cannot create a scratch directory"
mkdir -p "$OUT"
RES=$OUT/results.tsv
: >"$RES"
AGENT_PID=""
KAFKA_UP=""
STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
# Newer agents pin their maps (default /sys/fs/bpf/datatrail): give ours a private pin dir,
# wiped after every run, so runs never share state and no deployed agent's pins are touched.
PIN_DIR=""
if "$DT" help 2>&1 | grep -q -- '--pin-dir'; then
	PIN_DIR=/sys/fs/bpf/dt-bench-$$
fi

cleanup() {
	[ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD" 2>/dev/null
	pins_clear
	[ -n "${CORPUS_T:-}" ] && corpus_teardown
	[ -n "$KAFKA_UP" ] && "$TOP/tools/kafka-local" stop --port "$KPORT" --dir "$T/kafka" \
		>/dev/null 2>&1
	if [ "${BENCH_KEEP:-0}" != 0 ]; then
		echo "bench: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pins_clear() {
	[ -n "$PIN_DIR" ] || return 0
	[ -d "$PIN_DIR" ] || return 0
	"$DT" cleanup --pin-dir "$PIN_DIR" >/dev/null 2>&1 || rm -rf "$PIN_DIR"
}

log() { echo "bench: $*" >&2; }

# Every workload bounds itself in count and time; this bounds it once more from outside.
bounded() { timeout $((RUN_LIMIT + 30)) "$@"; }

# --- quiet: the box has 2 cores, so another agent or a busy job skews any number ---

cpu_busy_pct() { # percent of all CPUs busy over 0.3 s
	local a b
	read -r -a a < <(head -n 1 /proc/stat)
	sleep 0.3
	read -r -a b < <(head -n 1 /proc/stat)
	local ta=0 tb=0 i
	for i in 1 2 3 4 5 6 7 8; do
		ta=$((ta + a[i]))
		tb=$((tb + b[i]))
	done
	local idle=$(((b[4] + b[5]) - (a[4] + a[5]))) tot=$((tb - ta))
	[ "$tot" -gt 0 ] || { echo 0; return; }
	echo $(((tot - idle) * 100 / tot))
}

foreign() { # [nocpu] -> what else is running that would skew a run, or nothing
	local p what="" n mine=0
	for p in $(pgrep -x datatrail); do
		[ "$p" = "${AGENT_PID:-}" ] || what="$what datatrail:$p"
	done
	# another agent's programs (pinned, or a process pgrep missed) run on every syscall
	n=$(sysexit_progs)
	[ -n "${AGENT_PID:-}" ] && mine=1
	[ "$n" -gt "$mine" ] && what="$what bpf:dt_(f)exit_read*$((n - mine))"
	if [ -z "$what" ] && [ "${1:-}" != nocpu ]; then
		local busy
		busy=$(cpu_busy_pct)
		[ "$busy" -le 15 ] || what=" cpu:${busy}%"
	fi
	echo "$what"
}

# Waits for a quiet box, at most QUIET_WAIT seconds per run and QUIET_BUDGET seconds in all,
# so that a box that never quiets down still finishes in bounded time. Sets DISTURBED=1 when
# the run starts while something else is going on.
DISTURBED=0
QUIET_SPENT=0
quiet_wait() { # [nocpu]
	local start=$SECONDS f warned=""
	DISTURBED=0
	while :; do
		f=$(foreign "${1:-}")
		[ -z "$f" ] && break
		if [ $((SECONDS - start)) -ge "$QUIET_WAIT" ] ||
			[ $((QUIET_SPENT + SECONDS - start)) -ge "$QUIET_BUDGET" ]; then
			log "box not quiet (${f# }): measuring anyway, marked disturbed"
			DISTURBED=1
			break
		fi
		[ -n "$warned" ] || log "waiting for a quiet box (${f# })"
		warned=1
		sleep 2
	done
	QUIET_SPENT=$((QUIET_SPENT + SECONDS - start))
	return 0
}

# --- the agent ---

# Every agent attaches dt_exit_read (or its fexit twin, dt_fexit_read); another agent's
# programs run on the workloads' syscalls.
sysexit_progs() { bpftool prog show 2>/dev/null | grep -c 'name dt_f\{0,1\}exit_read '; }

AGENT_READY_S=""
PROGS_BEFORE=0
AGENT_ARGS=()
agent_start() { # INVENTORY DIR [TIMEOUT_S]
	local inv=$1 dir=$2 tmo=${3:-60} i t0
	local pin=()
	[ -n "$PIN_DIR" ] && pin=(--pin-dir "$PIN_DIR")
	mkdir -p "$dir"
	rm -f "$dir/ready" "$dir/events.jsonl" "$dir/findings.jsonl"
	pins_clear
	PROGS_BEFORE=$(sysexit_progs)
	t0=$(date +%s%N)
	"$DT" run --inventory "$inv" --events "$dir/events.jsonl" --findings "$dir/findings.jsonl" \
		--ready-file "$dir/ready" --status-file "$dir/status.json" "${pin[@]}" \
		"${AGENT_ARGS[@]}" 2>"$dir/agent.err" &
	AGENT_PID=$!
	for ((i = 0; i < tmo * 20; i++)); do
		if [ -s "$dir/ready" ]; then
			AGENT_READY_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.3f", (b-a)/1e9}')
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	log "agent did not become ready:"
	cat "$dir/agent.err" >&2
	kill -KILL "$AGENT_PID" 2>/dev/null
	AGENT_PID=""
	return 1
}

agent_stop() {
	local i
	kill -INT "$AGENT_PID" 2>/dev/null
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		log "agent did not stop in 60 s; killing it"
		kill -KILL "$AGENT_PID"
	fi
	wait "$AGENT_PID" 2>/dev/null
	local rc=$?
	[ "$rc" = 0 ] || log "agent exited with status $rc"
	AGENT_PID=""
	pins_clear
	# the kernel frees the programs after the process is gone: let the next run see none
	for ((i = 0; i < 50; i++)); do
		[ "$(sysexit_progs)" -le "$PROGS_BEFORE" ] && break
		sleep 0.1
	done
}

agent_ticks() { # utime + stime of the agent (all threads), in clock ticks
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$AGENT_PID/stat" 2>/dev/null || echo 0
}

agent_hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null || echo 0
}

# The agent's own account: events and findings written, losses it printed, and
# visibility_gap findings (the kernel's per-CPU drop and map-full counters).
agent_account() { # DIR -> "events findings lost gaps"
	local d=$1 ev fn lost gaps
	ev=$(sed -n 's/.*stopped: \([0-9]*\) events, \([0-9]*\) findings.*/\1/p' "$d/agent.err" | tail -n 1)
	fn=$(sed -n 's/.*stopped: \([0-9]*\) events, \([0-9]*\) findings.*/\2/p' "$d/agent.err" | tail -n 1)
	lost=$(awk '/lost [0-9]+ records/ { for (i = 1; i < NF; i++) if ($i == "lost") n += $(i + 1) }
		/records missing by sequence number/ { for (i = 1; i < NF; i++)
			if ($(i + 1) == "records" && $i ~ /^[0-9]+$/) m += $i }
		END { print n + m + 0 }' "$d/agent.err")
	gaps=$(grep -c '"visibility_gap"' "$d/findings.jsonl" 2>/dev/null)
	echo "${ev:--1} ${fn:--1} ${lost:-0} ${gaps:-0}"
}

# --- one measured run ---

kv() { # KEY LINE -> value of KEY=value in LINE
	local k=$1 l=$2
	sed -n "s/.*\\b$k=\\([^ ]*\\).*/\\1/p" <<<"$l"
}

# run_one W PAIR MODE UNIT CHECKFN CMD...: runs CMD (prints key=value with rate=) without
# (MODE A) or with (MODE B) the agent, appends a line to results.tsv.
# results.tsv: W pair mode rate unit agent_cpu_s wall_s hwm_kb events findings lost gaps
#              disturbed check ready_s
INV=""
run_one() {
	local w=$1 pair=$2 mode=$3 unit=$4 checkfn=$5
	shift 5
	local line rate c0 c1 hwm=0 acct="0 0 0 0" cpu=0 wall check="-" ready="-" dir=$T/run-$w-$pair
	quiet_wait
	local dist=$DISTURBED
	if [ "$mode" = B ]; then
		agent_start "$INV" "$dir" || return 1
		ready=$AGENT_READY_S
		c0=$(agent_ticks)
	fi
	line=$(bounded "$@" 2>"$T/wl.err")
	local rc=$?
	# another agent that started meanwhile ran on every syscall of this run too
	[ -n "$(foreign nocpu)" ] && dist=1 && DISTURBED=1
	if [ "$mode" = B ]; then
		c1=$(agent_ticks)
		hwm=$(agent_hwm_kb)
		agent_stop
		acct=$(agent_account "$dir")
		cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.3f", (b-a)/hz}')
		[ -n "$checkfn" ] && check=$("$checkfn" "$dir" "$line")
	fi
	if [ $rc != 0 ] || [ -z "$line" ]; then
		log "$w pair $pair ($mode): workload failed (rc $rc):"
		cat "$T/wl.err" >&2
		return 1
	fi
	rate=$(kv rate "$line")
	wall=$(awk -v n="$(kv ns "$line")" 'BEGIN{printf "%.3f", n/1e9}')
	# shellcheck disable=SC2086 # $acct is four fields
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$pair" "$mode" \
		"$rate" "$unit" "$cpu" "$wall" "$hwm" $acct "$dist" "$check" "$ready" >>"$RES"
	printf 'bench: %-3s %s%s %-7s %14.1f %s/s  %6ss' "$w" "$mode" "$pair" "" "$rate" "$unit" "$wall" >&2
	[ "$mode" = B ] && printf '  agent cpu %ss hwm %s kB, events/findings/lost/gaps %s, %s' \
		"$cpu" "$hwm" "$acct" "$check" >&2
	[ "$dist" = 1 ] && printf '  (disturbed)' >&2
	echo >&2
	[ "$mode" = B ] && [ "${BENCH_KEEP:-0}" = 0 ] && rm -rf "$dir"
	return 0
}

# PAIRS undisturbed pairs are wanted; a disturbed pair is replaced by an extra one, at most
# PAIRS_EXTRA of them. The report takes the median over undisturbed pairs when it has 3.
pairs() { # W UNIT CHECKFN CMD...
	local w=$1 unit=$2 checkfn=$3 p clean=0 da
	shift 3
	for ((p = 1; clean < PAIRS && p <= PAIRS + PAIRS_EXTRA; p++)); do
		run_one "$w" "$p" A "$unit" "" "$@" || return 1
		da=$DISTURBED
		run_one "$w" "$p" B "$unit" "$checkfn" "$@" || return 1
		[ "$da" = 0 ] && [ "$DISTURBED" = 0 ] && clean=$((clean + 1))
	done
	return 0
}

# T3: the agent must have reported every byte the reader read, to the byte, and lost nothing.
check_t3() { # DIR LINE
	local dir=$1 line=$2 pid bytes sum acct
	pid=$(kv pid "$line")
	bytes=$(kv bytes "$line")
	sum=$("$PY" "$TOP/bench/evsum.py" bytes "$dir/events.jsonl" "$pid" "$CLS_FILE")
	acct=$(agent_account "$dir")
	# shellcheck disable=SC2086 # events findings lost gaps
	set -- $acct
	if [ "$sum" = "$bytes" ] && [ "$3" = 0 ] && [ "$4" = 0 ]; then
		echo "PASS:$sum/$bytes"
	else
		echo "FAIL:$sum/$bytes,lost=$3,gaps=$4"
	fi
}

# T4: every classified file the workers read shows up as one (process, file) counter.
check_t4() { # DIR LINE
	local dir=$1 seen
	seen=$("$PY" "$TOP/bench/evsum.py" files "$dir/events.jsonl" "$T/loader/cls/")
	echo "files:$seen/$T4_CLS"
}

# --- data ---

prepare_data() {
	mkdir -p "$T/data/cls"
	PUB_FILE=$T/data/pub.bin
	CLS_FILE=$T/data/cls/big.bin
	head -c $((64 << 20)) /dev/urandom >"$PUB_FILE"
	head -c $((64 << 20)) /dev/urandom >"$CLS_FILE"
	# page-cache both
	cat "$PUB_FILE" "$CLS_FILE" >/dev/null
	if want T4; then
		log "creating $T4_FILES files of 4 KiB for T4"
		timeout 600 "$BB/mkfiles" "$T/loader" "$T4_FILES" 4096 "$T4_CLS_EVERY" >/dev/null ||
			die "mkfiles failed"
	else
		mkdir -p "$T/loader/cls"
	fi
	T4_CLS=$(((T4_FILES + T4_CLS_EVERY - 1) / T4_CLS_EVERY))
	INV=$T/inv.json
	cat >"$INV" <<EOF
{"datasets": [
 {"id": "bench-restricted", "classification": "restricted", "paths": ["$T/data/cls"],
  "allowed_readers": {"uids": [0]}},
 {"id": "bench-loader", "classification": "confidential", "paths": ["$T/loader/cls"]}]}
EOF
}

# --- BPF run-time statistics (a separate diagnostic run: the stats cost time themselves) ---

prog_stats() { # -> "id name run_cnt run_time_ns" for the running agent's programs
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$AGENT_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u | tr '\n' ' ')
	bpftool -j prog show 2>/dev/null | "$PY" -c '
import json, sys
ids = set(int(x) for x in sys.argv[1].split())
for p in json.load(sys.stdin):
    if p["id"] in ids:
        print(p["id"], p.get("name", "?"), p.get("run_cnt", 0), p.get("run_time_ns", 0))
' "$ids"
}

# diag W OPS_KEY CMD...: the workload once with the agent and kernel.bpf_stats_enabled=1;
# writes "D W prog runs_per_op ns_per_run ns_per_op" lines to results.tsv.
diag() {
	local w=$1 opskey=$2 line ops
	shift 2
	quiet_wait
	agent_start "$INV" "$T/diag-$w" || return 1
	sysctl -q -w kernel.bpf_stats_enabled=1
	prog_stats >"$T/s0"
	line=$(bounded "$@" 2>"$T/wl.err")
	prog_stats >"$T/s1"
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD"
	agent_stop
	# Workload identity: resolutions at first sight of a process, and their cost (status file).
	"$PY" - "$T/diag-$w/status.json" "$w" >>"$RES" <<'EOF' || log "diag $w: no identity counters"
import json, sys
i = json.load(open(sys.argv[1]))["identity"]
n = i["resolved"] + i["failed"]
print("I\t%s\tresolved=%d failed=%d cgroups=%d ns_per_process=%.0f resets=%d" % (
    sys.argv[2], i["resolved"], i["failed"], i["cgroups_resolved"],
    i["resolve_ns"] / n if n else 0, i["cache_resets"]))
EOF
	ops=$(kv "$opskey" "$line")
	if [ -z "$ops" ] || [ "$ops" = 0 ]; then
		log "diag $w: no ops"
		return 1
	fi
	"$PY" - "$T/s0" "$T/s1" "$w" "$ops" "$(kv ns "$line")" >>"$RES" <<'EOF'
import sys
def load(f):
    d = {}
    for l in open(f):
        i, name, cnt, ns = l.split()
        d[i] = (name, int(cnt), int(ns))
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
w, ops, wall = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
for i, (name, cnt, ns) in b.items():
    c0, n0 = a.get(i, (name, 0, 0))[1:]
    dc, dn = cnt - c0, ns - n0
    if dc > 0:
        print("D\t%s\t%s\t%.6g\t%.6g\t%.6g\t%d\t%d" % (w, name, dc / ops, dn / dc, dn / ops, ops, wall))
EOF
}

# --- sections ---

# The syscall hook backends the kernel allows (user/hooks.c): --hooks fentry is refused, with
# the reason, where the kernel has no trampolines. Sets BACKENDS and BACKENDS_NOTE.
probe_backends() {
	local b out dir=$T/probe
	BACKENDS=""
	BACKENDS_NOTE=""
	for b in ${BENCH_BACKENDS:-fentry tracepoint}; do
		AGENT_ARGS=(--hooks "$b")
		if agent_start "$INV" "$dir" 2>/dev/null; then
			agent_stop
			BACKENDS="$BACKENDS $b"
		else
			out=$(sed -n "s/^datatrail: option '--hooks': '$b': //p" "$dir/agent.err" | head -n 1)
			BACKENDS_NOTE="$BACKENDS_NOTE $b: not run (${out:-the agent did not start})"
		fi
		AGENT_ARGS=()
	done
	BACKENDS=${BACKENDS# }
	log "syscall hook backends: ${BACKENDS:-none}${BACKENDS_NOTE:+;}${BACKENDS_NOTE}"
	echo "# backends ${BACKENDS:-none}${BACKENDS_NOTE:+;}${BACKENDS_NOTE}" >>"$RES"
	[ -n "$BACKENDS" ] || die "the agent starts with no backend"
}

# T1..T5 once per backend, side by side: rows of the tracepoint backend are "T1", those of
# the fentry backend "T1@fentry".
section_T() {
	local b sfx
	for b in $BACKENDS; do
		sfx=""
		[ "$b" = tracepoint ] || sfx=@$b
		AGENT_ARGS=(--hooks "$b")
		log "backend $b"
		section_T_one "$sfx"
	done
	AGENT_ARGS=()
}

section_T_one() { # SUFFIX
	local r="$BB/wl_read" x=$1
	if want T1; then
		log "T1: getppid() loop, $T1_N calls, $PAIRS pairs"
		pairs T1$x calls "" "$BB/wl_syscall" "$T1_N" "$RUN_LIMIT"
	fi
	if want T2; then
		log "T2: 4 KiB preads of an unclassified 64 MiB file, $T2_PASSES passes"
		pairs T2$x reads "" "$r" "$PUB_FILE" "$T2_PASSES" "$RUN_LIMIT"
	fi
	if want T3; then
		log "T3: 4 KiB preads of a classified 64 MiB file, $T2_PASSES passes, byte totals checked"
		pairs T3$x reads check_t3 "$r" "$CLS_FILE" "$T2_PASSES" "$RUN_LIMIT"
	fi
	if want T4; then
		log "T4: $T4_EPOCHS epochs of $T4_WORKERS new workers reading $T4_FILES files of 4 KiB," \
			"every ${T4_CLS_EVERY}th classified"
		# warm the page cache and dentries once
		bounded "$BB/wl_loader" "$T/loader" "$T4_FILES" "$T4_CLS_EVERY" "$T4_WORKERS" "$RUN_LIMIT" >/dev/null
		pairs T4$x files check_t4 "$BB/wl_loader" "$T/loader" "$T4_FILES" "$T4_CLS_EVERY" \
			"$T4_WORKERS" "$RUN_LIMIT" "$T4_EPOCHS"
	fi
	if want T5; then
		log "T5: tainted sender, $((T5_BYTES >> 20)) MiB over loopback TCP in 64 KiB writes"
		pairs T5$x bytes "" "$BB/wl_tcp" "$CLS_FILE" "$T5_BYTES" 65536 "$RUN_LIMIT"
	fi
}

section_D() {
	log "D: BPF run-time statistics per program (kernel.bpf_stats_enabled=1, one run each)"
	want T1 && diag T1 ops "$BB/wl_syscall" "$T1_N" "$RUN_LIMIT"
	want T2 && diag T2 ops "$BB/wl_read" "$PUB_FILE" "$T2_PASSES" "$RUN_LIMIT"
	want T3 && diag T3 ops "$BB/wl_read" "$CLS_FILE" "$T2_PASSES" "$RUN_LIMIT"
	want T4 && diag T4 files "$BB/wl_loader" "$T/loader" "$T4_FILES" "$T4_CLS_EVERY" \
		"$T4_WORKERS" "$RUN_LIMIT" "$T4_EPOCHS"
	want T5 && diag T5 bytes "$BB/wl_tcp" "$CLS_FILE" "$T5_BYTES" 65536 "$RUN_LIMIT"
	return 0
}

# H: near-empty programs on the agent's hooks (bench/hooks.bpf.c): what a hook costs by
# itself, and what reading fd -> file -> inode costs with BPF_CORE_READ vs direct BTF loads.
# Wall clock in pairs (no program, program), then one run per program with run-time stats.
section_H() {
	local cfg p line0 line1 wl
	log "H: cost of the hooks alone, per getppid() call and per pread64()"
	for cfg in h_btf_exit h_btf_exit_core h_btf_exit_direct h_tp_enter_write \
		h_tp_exit_pread64 h_btf_exit,h_tp_enter_write h_fd_core:pread h_fd_direct:pread \
		h_tp_exit_pread64:pread; do
		wl=("$BB/wl_syscall" "$H_N" "$RUN_LIMIT")
		[[ $cfg == *:pread ]] && wl=("$BB/wl_read" "$PUB_FILE" "$T2_PASSES" "$RUN_LIMIT")
		for ((p = 1; p <= H_PAIRS; p++)); do
			quiet_wait
			line0=$(bounded "$BB/hookbench" "$BB/hooks.bpf.o" none "${wl[@]}") || return 1
			line1=$(bounded "$BB/hookbench" "$BB/hooks.bpf.o" "${cfg%:pread}" "${wl[@]}") || return 1
			printf 'H\t%s\t%s\t%s\t%s\t%s\n' "$cfg" "$p" "$(kv rate "$line0")" \
				"$(kv rate "$line1")" "$DISTURBED" >>"$RES"
		done
	done
	for cfg in h_btf_exit h_btf_exit_core h_btf_exit_direct h_fd_core h_fd_direct \
		h_tp_exit_pread64; do
		quiet_wait
		bounded "$BB/hookbench" --stats "$BB/hooks.bpf.o" "$cfg" "$BB/wl_read" "$PUB_FILE" \
			"$T2_PASSES" "$RUN_LIMIT" | sed -n 's/^hookstats /HS\t/p' >>"$RES"
	done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

section_P1() {
	local m
	log "P1: pipeline capacity without the kernel, $P1_SECONDS s per mode"
	for m in corr corr-live "corr --acl-exe" json-null "json-file $T/p1-events.jsonl" codec; do
		quiet_wait
		# shellcheck disable=SC2086
		line=$(bounded "$BB/pipeline_bench" $m -s "$P1_SECONDS") || { log "pipeline_bench $m failed"; continue; }
		printf 'P\t%s\t%s\n' "$DISTURBED" "$line" >>"$RES"
		log "  $line"
		rm -f "$T/p1-events.jsonl"
	done
	# a port of our own: the integration tests run brokers of their own on 19092/19292
	local port
	for port in "$KPORT" $((KPORT + 100)) $((KPORT + 200)); do
		port_free "$port" && port_free $((port + 1)) && port_free $((port + 2)) && break
	done
	KPORT=$port
	log "P1: starting a local Kafka broker (tools/kafka-local, port $KPORT)"
	if "$TOP/tools/kafka-local" start --port "$KPORT" --dir "$T/kafka" >"$T/kafka.addr" 2>"$T/kafka.err"; then
		KAFKA_UP=1
		quiet_wait nocpu
		line=$(timeout 300 "$BB/pipeline_bench" kafka "127.0.0.1:$KPORT" "$T/spool" -s 60 \
			-n "$P1_KAFKA_RECORDS" -w 180) || line="mode=kafka failed=1"
		printf 'P\t%s\t%s\n' "$DISTURBED" "$line" >>"$RES"
		log "  $line"
		"$TOP/tools/kafka-local" stop --port "$KPORT" --dir "$T/kafka" >/dev/null 2>&1
		KAFKA_UP=""
	else
		local why
		why=$(tail -n 1 "$T/kafka.err" | tr '\t' ' ')
		log "P1: Kafka row SKIPPED: the broker did not start: $why"
		printf 'P\t0\tmode=kafka skipped=1 why="%s"\n' "$why" >>"$RES"
	fi
}

# Map memory of the running agent: memlock of every BPF map it holds, and of inodes alone.
map_memlock() { # -> "total inodes"
	local fd total=0 inodes=0 m n
	for fd in /proc/"$AGENT_PID"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = anon_inode:bpf-map ] || continue
		m=$(awk '/^memlock:/ {print $2}' "/proc/$AGENT_PID/fdinfo/${fd##*/}" 2>/dev/null)
		n=$(awk '/^map_id:/ {print $2}' "/proc/$AGENT_PID/fdinfo/${fd##*/}" 2>/dev/null)
		[ -n "$m" ] || continue
		# one map may be held by several fds: count each map id once
		[[ " ${seen:-} " == *" $n "* ]] && continue
		seen="${seen:-} $n"
		total=$((total + m))
		if bpftool map show id "$n" 2>/dev/null | grep -q 'name inodes '; then
			inodes=$m
		fi
	done
	seen=""
	echo "$total $inodes"
}

sysexit_stats() { # -> "cnt ns" of the agent's pread64 exit program, what wl_read runs
	prog_stats | awk '$2 ~ /^dt_f?exit_pread6/ { print $3, $4 }'
}

# F1: fleet advisories one agent builds and signs, and ingests with matching, per CPU second.
section_F1() {
	local line
	log "F1: fleet advisories, produced and consumed (with matching) per CPU second"
	quiet_wait
	line=$(bounded "$BB/fleet_bench" -n 200000 -f 16384) || { log "fleet_bench failed"; return; }
	printf 'F\t%s\t%s\n' "$DISTURBED" "$line" >>"$RES"
	log "  $line"
}

section_S1() {
	local max=0 n dirs p inv line ml c0 c1
	for n in $S1_SIZES; do [ "$n" -gt "$max" ] && max=$n; done
	log "S1: creating $max empty classified files under $T/scale"
	line=$(timeout 900 "$BB/mkfiles" "$T/scale" "$max" 0 1) || die "mkfiles failed"
	log "  $line"
	for n in $S1_SIZES; do
		inv=$T/inv-scale-$n.json
		if [ "$n" = "$max" ]; then
			dirs="\"$T/scale/cls\""
		else
			# whole directories of 1000 files, then the files of the last one
			dirs=$("$PY" - "$T/scale/cls" "$n" <<'EOF'
import sys
root, n = sys.argv[1], int(sys.argv[2])
paths = ['"%s/d%04d"' % (root, d) for d in range(n // 1000)]
paths += ['"%s/d%04d/f%07d"' % (root, n // 1000, i) for i in range(n // 1000 * 1000, n)]
print(", ".join(paths))
EOF
)
		fi
		cat >"$inv" <<EOF
{"datasets": [{"id": "scale", "classification": "confidential", "paths": [$dirs]},
 {"id": "bench-restricted", "classification": "restricted", "paths": ["$T/data/cls"],
  "allowed_readers": {"uids": [0]}}]}
EOF
		quiet_wait
		line=$(bounded "$BB/inv_bench" "$inv" 3) || die "inv_bench $inv failed"
		printf 'S\tload\t%s\t%s\t%s\n' "$n" "$DISTURBED" "$line" >>"$RES"
		log "  $n files: inventory_load: $line"
		for ((p = 1; p <= S1_PAIRS; p++)); do
			quiet_wait
			local a2 a3 b2 b3 d=$DISTURBED
			a2=$(bounded "$BB/wl_read" "$PUB_FILE" "$S1_PASSES" "$RUN_LIMIT")
			a3=$(bounded "$BB/wl_read" "$CLS_FILE" "$S1_PASSES" "$RUN_LIMIT")
			agent_start "$inv" "$T/s1-$n" 300 || die "agent did not start with $n files"
			ml=$(map_memlock)
			b2=$(bounded "$BB/wl_read" "$PUB_FILE" "$S1_PASSES" "$RUN_LIMIT")
			b3=$(bounded "$BB/wl_read" "$CLS_FILE" "$S1_PASSES" "$RUN_LIMIT")
			local hwm st2="0 0" st3="0 0"
			hwm=$(agent_hwm_kb)
			if [ "$p" = 1 ]; then
				# diagnostic: ns per dt_exit_pread64 run on a miss (T2) and a hit (T3)
				sysctl -q -w kernel.bpf_stats_enabled=1
				c0=$(sysexit_stats)
				bounded "$BB/wl_read" "$PUB_FILE" "$S1_PASSES" "$RUN_LIMIT" >/dev/null
				c1=$(sysexit_stats)
				st2=$(awk -v a="$c0" -v b="$c1" 'BEGIN{split(a,x," "); split(b,y," "); print y[1]-x[1], y[2]-x[2]}')
				c0=$(sysexit_stats)
				bounded "$BB/wl_read" "$CLS_FILE" "$S1_PASSES" "$RUN_LIMIT" >/dev/null
				c1=$(sysexit_stats)
				st3=$(awk -v a="$c0" -v b="$c1" 'BEGIN{split(a,x," "); split(b,y," "); print y[1]-x[1], y[2]-x[2]}')
				sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD"
			fi
			local ready=$AGENT_READY_S
			agent_stop
			printf 'S\tlookup\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$p" "$d" \
				"$(kv rate "$a2")" "$(kv rate "$b2")" "$(kv rate "$a3")" "$(kv rate "$b3")" \
				"$ready" "$ml" "$hwm" "$st2" "$st3" >>"$RES"
			log "  $n files, pair $p: agent ready in ${ready}s, maps ${ml% *} B memlock," \
				"reads/s miss $(kv rate "$a2") -> $(kv rate "$b2"), hit $(kv rate "$a3") -> $(kv rate "$b3")"
		done
	done
	log "S1: removing the scale tree"
	rm -rf "$T/scale"
}

# E: what enforcement costs. The agent with --enforce off, then on, alternating, on T5's
# stream (a tainted sender to an allowed destination) and on the same stream from a sender
# that read only an unclassified file; the dataset blocks, so every enforcement hook runs.
section_E() {
	local inv=$T/inv-enforce.json p w mode line src
	log "E: --enforce off vs on, T5 stream tainted and untainted, $E_PAIRS pairs"
	cat >"$inv" <<EOF
{"datasets": [{"id": "bench-enforced", "classification": "restricted", "paths": ["$T/data/cls"],
  "allowed_egress": ["10.0.0.0/8"], "enforce": "block"}]}
EOF
	for w in E5 EU; do
		src=$CLS_FILE
		[ "$w" = EU ] && src=$PUB_FILE
		for ((p = 1; p <= E_PAIRS; p++)); do
			for mode in off on; do
				quiet_wait
				AGENT_ARGS=(--enforce "$mode")
				agent_start "$inv" "$T/run-E" || return 1
				line=$(bounded "$BB/wl_tcp" "$src" "$T5_BYTES" 65536 "$RUN_LIMIT")
				agent_stop
				AGENT_ARGS=()
				[ -n "$line" ] || return 1
				printf 'E\t%s\t%s\t%s\t%s\t%s\n' "$w" "$p" "$mode" "$(kv rate "$line")" \
					"$DISTURBED" >>"$RES"
				log "  $w pair $p enforce $mode: $(kv rate "$line") bytes/s"
			done
		done
	done
	# What each enforcement program costs per run, from the kernel's run-time statistics.
	local inv_saved=$INV
	INV=$inv
	AGENT_ARGS=(--enforce on)
	diag E5 bytes "$BB/wl_tcp" "$CLS_FILE" "$T5_BYTES" 65536 "$RUN_LIMIT"
	diag EU bytes "$BB/wl_tcp" "$PUB_FILE" "$T5_BYTES" 65536 "$RUN_LIMIT"
	AGENT_ARGS=()
	INV=$inv_saved
}

# C1: precision on the benign corpus (tests/corpus/): training jobs that are the allowed
# readers of their dataset, run over and over for C1_SECONDS with the agent and as long
# without it, in ABAB pairs. What counts: the findings the agent raised (target 0), put per
# hour of training, and each job's step time (the median of its steps, python's start-up left
# out) with and without the agent. The agent's stop (SIGINT from this shell) is not counted.
section_C1() {
	local p mode run_s t0 i w dir n f
	run_s=$((C1_SECONDS / C1_PAIRS))
	[ "$run_s" -ge 10 ] || run_s=10
	log "C1: benign corpus, $C1_PAIRS pairs of ${run_s}s without and with the agent"
	# the jobs run as their own uid: let it through the scratch directory (not list it)
	chmod 711 "$T"
	corpus_setup "$T/corpus" || { log "C1: corpus setup failed"; return 1; }
	for ((p = 1; p <= C1_PAIRS; p++)); do
		for mode in A B; do
			dir=$T/corpus/run-$p$mode
			quiet_wait
			if [ "$mode" = B ]; then
				agent_start "$CORPUS_INV" "$dir" || return 1
			fi
			mkdir -p "$dir"
			t0=$SECONDS
			i=0
			# whole rounds of the corpus, so that every run has every job
			while [ $((SECONDS - t0)) -lt "$run_s" ]; do
				for w in $CORPUS_WORKLOADS; do
					i=$((i + 1))
					CORPUS_TAG=-$p$mode-$i
					corpus_run "$w" 200 --seconds 20
					corpus_wait || log "C1: $w failed: $(tail -n 2 "$CORPUS_T/$w$CORPUS_TAG.err")"
				done
			done
			n=$((SECONDS - t0))
			[ "$mode" = B ] && agent_stop
			CORPUS_TAG=""
			# the jobs' results are read once no agent runs (a reader of them is tainted)
			for f in "$CORPUS_T"/*-"$p$mode"-*.json; do
				"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print("C\tstep\t%s\t%s\t%s\t%s\t%s\t%s" % (r["workload"], sys.argv[2], sys.argv[3],
      r["step_ms"], r["steps"], sys.argv[4]))' "$f" "$p" "$mode" "$DISTURBED" >>"$RES" ||
					log "C1: no result in '$f'"
			done
			printf 'C\trun\t%s\t%s\t%s\t%s\t%s\n' "$p" "$mode" "$n" "$i" "$DISTURBED" >>"$RES"
			if [ "$mode" = B ]; then
				"$PY" - "$dir/findings.jsonl" "$$" "$p" "$CORPUS_UID" >>"$RES" <<'EOF'
import collections, json, sys
path, me, pair, job_uid = sys.argv[1:]
kinds = collections.Counter()
jobs = 0
for line in open(path):
    r = json.loads(line)
    if r.get("activity_id") != 1:
        continue
    kind = r["finding_info"]["types"][0]
    p = (r.get("evidences") or [{}])[0].get("process") or {}
    if kind == "agent_tamper" and str(p.get("pid")) == me:
        continue  # agent_stop's SIGINT
    kinds[kind] += 1
    # the jobs' own, and the gaps (they name no process); the rest is other tools on the node
    jobs += str((p.get("user") or {}).get("uid")) == job_uid or not p
print("C\tfindings\t%s\t%d\t%s\t%d" % (pair, sum(kinds.values()),
      ",".join("%s=%d" % kv for kv in sorted(kinds.items())) or "-", jobs))
EOF
			fi
			log "  pair $p $mode: ${n}s, $i jobs$([ "$mode" = B ] &&
				echo ", findings $(tail -n 1 "$RES" | cut -f4-6)")"
			rm -rf "$CORPUS_T/out" "$CORPUS_T"/*-"$p$mode"-*.*
			mkdir -p "$CORPUS_T/out"
			chown "$CORPUS_UID:$CORPUS_UID" "$CORPUS_T/out"
			[ "${BENCH_KEEP:-0}" = 0 ] && rm -rf "$dir"
		done
	done
	corpus_teardown
	CORPUS_T=""
}

# --- main ---

{
	echo "# datatrail bench $(date -u +%Y-%m-%dT%H:%M:%SZ) quick=$QUICK pairs=$PAIRS"
	echo "# host nproc=$(nproc) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)\"" \
		"kernel=$(uname -r) mem_gib=$(awk '/MemTotal/ {printf "%d", $2/1048576}' /proc/meminfo)"
	echo "# source ${BENCH_SOURCE:-$(cd "$TOP" && git describe --always --dirty 2>/dev/null || echo unknown)}" \
		"agent=$("$DT" version 2>/dev/null)"
} >>"$RES"

log "scratch $T, results $RES"
START=$SECONDS
prepare_data
probe_backends
want T1 || want T2 || want T3 || want T4 || want T5 && section_T
want D && section_D
want H && section_H
want E && section_E
want P1 && section_P1
want S1 && section_S1
want F1 && section_F1
want C1 && section_C1
echo "# elapsed_s $((SECONDS - START))" >>"$RES"

"$PY" "$TOP/bench/report.py" "$RES" | tee "$OUT/report.txt"
