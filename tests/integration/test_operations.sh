#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_operations.sh - Prometheus metrics scraped by a real Prometheus, liveness, watchdog, --help.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root operations
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-ops.XXXXXX)
PROM_PID=""
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill -CONT "$AGENT_PID" 2>/dev/null && kill -KILL "$AGENT_PID" 2>/dev/null
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

# A loopback TCP port nothing listens on, from a range that depends on this shell's pid.
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + ($$ * 7 + i * 131 + ${1:-0}) % 20000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# One instant query; prints the value of its single series, "none" for no series.
prom_query() { # query
	curl -sf --max-time 5 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" | $PY -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else ("none" if not r else "many"))'
}

# Polls (30 s at most) until the query answers the expected value; prints the last answer.
prom_wait() { # query expected
	local v i
	for i in $(seq 150); do
		v=$(prom_query "$1")
		[ "$v" = "$2" ] && break
		sleep 0.2
	done
	echo "$v"
}

mkdir -p "$T/ds" "$T/a1" "$T/a2" "$T/etc" "$T/prom"
head -c 1000 /dev/urandom >"$T/ds/a.bin"
head -c 3000 /dev/urandom >"$T/ds/b.bin"
INV=$T/etc/inv.json
echo "{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": [\"$T/ds\"]}]}" >"$INV"
chmod 644 "$INV"

# A bad address is a usage error, with a message naming it.
BAD_OUT=$("$DATATRAIL" run --inventory "$INV" --pin-dir "" --metrics 127.0.0.1:99999 2>&1)
BAD_RC=$?
# --hooks fentry where the kernel refuses trampolines (6.18 here): a clear refusal.
FENTRY_OUT=$("$DATATRAIL" run --inventory "$INV" --pin-dir "" --hooks fentry \
	--status-file "$T/status-fentry.json" --ready-file "$T/ready-fentry" 2>&1 &
	FPID=$!
	for i in $(seq 100); do
		{ [ -s "$T/ready-fentry" ] || ! kill -0 $FPID 2>/dev/null; } && break
		sleep 0.1
	done
	kill -INT $FPID 2>/dev/null
	wait $FPID
	echo "rc=$?")
METRICS_PORT=$(free_port 1)
PROM_PORT=$(free_port 2)
echo "{\"metrics\": {\"listen\": \"127.0.0.1:$METRICS_PORT\"}}" >"$T/etc/config.json"
chmod 600 "$T/etc/config.json"

# systemd's watchdog: WATCHDOG=1 pings at half of WATCHDOG_USEC, after READY=1.
$PY -c "
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind('$T/notify.sock'); s.settimeout(30)
msgs = [s.recv(64).decode() for _ in range(4)]
open('$T/notify.out', 'w').write('\n'.join(msgs) + '\n')
" &
NOTIFY_PID=$!
for i in $(seq 100); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done

# The metrics address from the config file (metrics.listen).
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=300000 agent_start "$T/a1" "$INV" --flush-ms 200 \
	--config "$T/etc/config.json" --status-file "$T/status.json" || exit 1
wait $NOTIFY_PID
NOTIFY_RC=$?
# Capabilities are per thread: the HTTP server's starts after the drop, with no more.
THREAD_CAPS=$(cat /proc/"$AGENT_PID"/task/*/status | awk '/^CapEff/ {print $2}' | sort -u | tr '\n' ' ')
THREADS=$(ls /proc/"$AGENT_PID"/task | wc -l)

cat >"$T/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: datatrail
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT']
EOF
prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$T/prom.log" 2>&1 &
PROM_PID=$!
for i in $(seq 150); do
	curl -sf --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null && break
	sleep 0.2
done

# Known workload: one read of a.bin (1000 bytes), one write to b.bin (a dataset_tamper).
/usr/bin/cat "$T/ds/a.bin" >/dev/null &
READ_PID=$!
wait $READ_PID
$PY -c "open('$T/ds/b.bin', 'ab').write(b'x' * 10)" &
TAMPER_PID=$!
wait $TAMPER_PID
UP=$(prom_wait 'up{job="datatrail"}' 1)
FINDINGS=$(prom_wait 'datatrail_findings_total{kind="dataset_tamper"}' 1)
READS=$(prom_wait 'datatrail_events_total{class="file_system_activity",activity="read"}' 1)
UPDATES=$(prom_wait 'datatrail_events_total{class="file_system_activity",activity="update"}' 1)
# The tamper's Create, then its Close when the writer exits.
OUT_LINES=$(prom_wait 'datatrail_output_lines_total{output="findings"}' 2)
LOST=$(prom_wait 'sum(datatrail_records_lost_total)' 0)
LOST_SERIES=$(prom_wait 'count(datatrail_records_lost_total{source="ring_buffer"})' "$(nproc --all)")
GEN=$(prom_wait 'datatrail_inventory_generation' 1)
DATASETS=$(prom_wait 'datatrail_inventory_datasets' 1)
RB_SIZE=$(prom_wait 'datatrail_ringbuf_size_bytes' 8388608)
FLUSHES=$(prom_wait 'datatrail_flush_duration_seconds_count > bool 5' 1)
CPU=$(prom_query 'process_cpu_seconds_total > bool 0')
RSS=$(prom_query 'process_resident_memory_bytes > bool 1000000')
KAFKA=$(prom_wait 'datatrail_kafka_enabled' 0)
SC_HOOKS=$($PY -c "import json; print(json.load(open('$T/status.json'))['kernel']['syscall_hooks'])")
SC_WHY=$($PY -c "import json; print(json.load(open('$T/status.json'))['kernel']['syscall_hooks_why'])")
HOOKS_INFO=$(prom_wait "datatrail_hooks_info{mode=\"auto\",syscall_hooks=\"$SC_HOOKS\"}" 1)

# A refused reload counts as a failure, a good one as a new generation.
sed 's/restricted/secret/' "$INV" >"$T/etc/inv.bad"
chmod 644 "$T/etc/inv.bad"
cp "$INV" "$T/etc/inv.good"
mv "$T/etc/inv.bad" "$INV"
RELOAD_FAILS=$(prom_wait 'datatrail_inventory_reload_failures_total' 1)
mv "$T/etc/inv.good" "$INV"
GEN2=$(prom_wait 'datatrail_inventory_generation' 2)
HEALTHZ=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/healthz")
CTYPE=$(curl -s --max-time 5 -o /dev/null -w '%{content_type}' "http://127.0.0.1:$METRICS_PORT/metrics")

# Liveness: running, then SIGSTOP (no flush for more than three intervals), then SIGCONT.
STATUS_RC=$("$DATATRAIL" status --status-file "$T/status.json" >/dev/null 2>&1; echo $?)
kill -STOP "$AGENT_PID"
STOPPED_PID=$AGENT_PID
for i in $(seq 100); do
	STALE_OUT=$("$DATATRAIL" status --status-file "$T/status.json" 2>&1)
	STALE_RC=$?
	[ "$STALE_RC" != 0 ] && break
	sleep 0.1
done
kill -CONT "$AGENT_PID"
for i in $(seq 100); do
	"$DATATRAIL" status --status-file "$T/status.json" >/dev/null 2>&1
	RESUMED_RC=$?
	[ "$RESUMED_RC" = 0 ] && break
	sleep 0.1
done
agent_stop
RC1=$AGENT_RC
PORT_FREED=$(ss -Htln "sport = :$METRICS_PORT" | wc -l)

# Off by default: no listening socket of the agent's own.
agent_start "$T/a2" "$INV" --flush-ms 200 || exit 1
AGENT_SOCKETS=$(ss -Htlnp | grep -c "pid=$AGENT_PID,")
agent_stop

# Rotation by size (1 MiB, about a thousand event lines) and reopening on SIGHUP after a
# logrotate-style rename: every line written is in one of the files.
mkdir -p "$T/a3" "$T/many"
for i in $(seq 2800); do printf '%0100d' "$i" >"$T/many/f$i"; done
echo "{\"datasets\": [{\"id\": \"many\", \"classification\": \"internal\", \"paths\": [\"$T/many\"]}]}" \
	>"$T/etc/many.json"
chmod 644 "$T/etc/many.json"
events_written() {
	$PY -c "import json; print(json.load(open('$T/status3.json'))['counters']['events_written'])" \
		2>/dev/null || echo 0
}
# One process reads files FIRST..LAST once each, then the agent has written that many events.
read_many() { # first last
	$PY -c "
for i in range($1, $2 + 1):
    with open('$T/many/f%d' % i, 'rb') as f: f.read()
" &
	wait $!
	for i in $(seq 100); do [ "$(events_written)" -ge "$2" ] && break; sleep 0.1; done
}
agent_start "$T/a3" "$T/etc/many.json" --flush-ms 200 --rotate-mb 1 --rotate-keep 3 \
	--log-format json --status-file "$T/status3.json" || exit 1
read_many 1 2500
ROTATED_BEFORE_HUP=$(ls "$T/a3" | grep -c '^events.jsonl\.[0-9]$')
mv "$T/a3/events.jsonl" "$T/a3/events.jsonl.moved"
kill -HUP "$AGENT_PID"
for i in $(seq 100); do [ -e "$T/a3/events.jsonl" ] && break; sleep 0.1; done
read_many 2501 2800
agent_stop
RC3=$AGENT_RC
WRITTEN=$(sed -n 's/.*stopped: \([0-9]*\) events.*/\1/p' "$T/a3/agent.err")
IN_FILES=$(cat "$T/a3"/events.jsonl* | wc -l)
IN_NEW=$(wc -l <"$T/a3/events.jsonl")
UNIQUE=$(cat "$T/a3"/events.jsonl* | sort -u | wc -l)
BIGGEST=$(stat -c %s "$T/a3"/events.jsonl* | sort -n | tail -1)
LOG_BAD=$($PY -c "
import json, sys
bad = 0
for l in open('$T/a3/agent.err'):
    try:
        j = json.loads(l)
        bad += not (j['level'] in ('info', 'warning') and j['msg'] and j['time'].endswith('Z'))
    except Exception:
        bad += 1
print(bad)")
LOG_WATCHING=$(grep -c '"level":"info","msg":"watching 1 datasets' "$T/a3/agent.err")

# Every subcommand's --help: on stdout, nothing on stderr, exit 0.
HELP_BAD=""
for c in "run" "status" "cleanup" "inventory" "inventory check" "trace" "trace verify" \
	"trace cat" "replay" "help"; do
	# shellcheck disable=SC2086
	out=$("$DATATRAIL" $c --help 2>"$T/help.err")
	rc=$?
	[ "$rc" = 0 ] && [ -n "$out" ] && [ ! -s "$T/help.err" ] || HELP_BAD="$HELP_BAD '$c'($rc)"
done

test_metrics_bad_address() {
	ASSERT_EQ "$BAD_RC" 2 "exit status"
	ASSERT_HAS "$BAD_OUT" "option '--metrics': bad address '127.0.0.1:99999'" "says which"
}

# The syscall hooks' backend (user/hooks.c): fentry where the kernel allows trampolines, else
# tracepoints, named with the reason in the start-up line, the status file and the metrics.
test_syscall_hooks_backend() {
	ASSERT_HAS "$(cat "$T/a1/agent.err")" \
		"datatrail: hooks auto: syscalls by $SC_HOOKS ($SC_WHY); path changes by" "start-up line"
	ASSERT_EQ "$HOOKS_INFO" 1 "datatrail_hooks_info{mode=auto,syscall_hooks=$SC_HOOKS}"
	if [ "$SC_HOOKS" = tracepoint ]; then
		ASSERT_HAS "$SC_WHY" "fentry refused: " "why not fentry"
		ASSERT_HAS "$FENTRY_OUT" "datatrail: option '--hooks': 'fentry': $SC_WHY" \
			"--hooks fentry refused, saying why"
		ASSERT_HAS "$FENTRY_OUT" "rc=1" "--hooks fentry exit status"
		ASSERT_EQ "$(test -e "$T/ready-fentry" && echo started)" "" "--hooks fentry never ready"
	else
		ASSERT_EQ "$SC_HOOKS" fentry "backend"
		ASSERT_HAS "$FENTRY_OUT" "datatrail: hooks fentry: syscalls by fentry (--hooks fentry" \
			"--hooks fentry start-up line"
		ASSERT_HAS "$FENTRY_OUT" "rc=0" "--hooks fentry exit status"
	fi
}

test_metrics_thread_without_capabilities() {
	ASSERT_GE "$THREADS" 2 "the server runs in a thread of its own"
	ASSERT_EQ "$THREAD_CAPS" "0000000000080004 " "effective capabilities of every thread"
}

test_prometheus_scrapes_agent() {
	ASSERT_EQ "$UP" 1 "up{job=datatrail}"
	ASSERT_EQ "$KAFKA" 0 "datatrail_kafka_enabled"
	ASSERT_EQ "$CTYPE" "text/plain; version=0.0.4; charset=utf-8" "content type"
}

test_metrics_events_and_findings_by_kind() {
	ASSERT_EQ "$FINDINGS" 1 "findings_total{kind=dataset_tamper} after one tamper"
	ASSERT_EQ "$READS" 1 "events_total{read} after one read"
	ASSERT_EQ "$UPDATES" 1 "events_total{update} after one write"
	ASSERT_EQ "$OUT_LINES" 2 "output_lines_total{findings}: Create and Close"
}

test_metrics_losses_ringbuf_flush() {
	ASSERT_EQ "$LOST" 0 "no records lost"
	ASSERT_EQ "$LOST_SERIES" "$(nproc --all)" "one ring_buffer loss series per cpu"
	ASSERT_EQ "$RB_SIZE" 8388608 "ring buffer size"
	ASSERT_EQ "$FLUSHES" 1 "more than 5 flushes timed"
	ASSERT_EQ "$CPU" 1 "process cpu seconds > 0"
	ASSERT_EQ "$RSS" 1 "resident memory > 1 MB"
}

test_metrics_inventory_reloads() {
	ASSERT_EQ "$GEN" 1 "generation at start"
	ASSERT_EQ "$DATASETS" 1 "datasets"
	ASSERT_EQ "$RELOAD_FAILS" 1 "a refused reload counted"
	ASSERT_EQ "$GEN2" 2 "generation after a good reload"
}

test_healthz() {
	ASSERT_EQ "$HEALTHZ" 200 "/healthz while flushing"
}

test_metrics_off_by_default() {
	ASSERT_EQ "$AGENT_SOCKETS" 0 "listening sockets without --metrics"
	ASSERT_EQ "$PORT_FREED" 0 "port closed after stop"
	ASSERT_EQ "$RC1" 0 "agent exit status"
}

test_status_stale_when_stopped() {
	ASSERT_EQ "$STATUS_RC" 0 "status of a running agent"
	ASSERT_EQ "$STALE_RC" 1 "status of a stopped agent"
	ASSERT_HAS "$STALE_OUT" "agent $STOPPED_PID: stale: last flush" "says stale"
	ASSERT_EQ "$RESUMED_RC" 0 "status after SIGCONT"
}

test_watchdog_pings() {
	ASSERT_EQ "$NOTIFY_RC" 0 "four notifications within 30 s"
	ASSERT_EQ "$(cat "$T/notify.out" | tr '\n' ' ')" "READY=1 WATCHDOG=1 WATCHDOG=1 WATCHDOG=1 " \
		"READY=1, then WATCHDOG=1 pings"
}

test_help_on_stdout() {
	ASSERT_EQ "$HELP_BAD" "" "subcommands whose --help is not on stdout with exit 0"
}

test_rotation_loses_nothing() {
	ASSERT_GE "$ROTATED_BEFORE_HUP" 2 "rotated files after 2500 events (~2.5 MB)"
	ASSERT_GE "$WRITTEN" 2800 "events written"
	ASSERT_EQ "$IN_FILES" "$WRITTEN" "lines in all files == lines written"
	ASSERT_EQ "$UNIQUE" "$WRITTEN" "no line twice"
	ASSERT_GE 1048576 "$BIGGEST" "no file past 1 MiB"
	ASSERT_EQ "$RC3" 0 "agent exit status"
}

test_reopen_on_sighup() {
	ASSERT_GE "$IN_NEW" 300 "lines after SIGHUP in a new file under the old name"
	ASSERT_GE 400 "$IN_NEW" "only those"
}

test_log_format_json() {
	ASSERT_EQ "$LOG_BAD" 0 "stderr lines that are not JSON with time, level and msg"
	ASSERT_EQ "$LOG_WATCHING" 1 "start reported at level info"
}

test_alert_rules_check() {
	local out
	out=$(promtool check rules "$TOP/deploy/prometheus/datatrail-rules.yml" 2>&1)
	ASSERT_EQ "$?" 0 "promtool check rules: $out"
	ASSERT_HAS "$out" "SUCCESS" "promtool says"
}

run_tests operations
