#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_kafka.sh - findings from the real agent reach a real local Kafka broker: outages, SIGKILL, mTLS, bad address.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root kafka
mount_kernel_fs

for tool in java mvn openssl kcat; do
	if ! command -v "$tool" >/dev/null; then
		echo "kafka: '$tool' not found; run 'make deps'" >&2
		echo "RESULT kafka: 0 passed, 1 failed"
		exit 1
	fi
done

PORT=${KAFKA_PORT:-19292}
KL="$TOP/tools/kafka-local"
T=$(mktemp -d /var/tmp/dt-kafka.XXXXXX)
STATE=$T/broker
TLS=$T/tls
HOSTID=node-test-$$
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	"$KL" stop --port "$PORT" --dir "$STATE" >/dev/null 2>&1
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

broker_start() {
	"$KL" start --port "$PORT" --dir "$STATE" --tls "$TLS" >"$T/bootstrap" 2>"$T/broker.err" || {
		echo "broker did not start:" >&2
		cat "$T/broker.err" >&2
		return 1
	}
}
broker_stop() {
	"$KL" stop --port "$PORT" --dir "$STATE" >/dev/null 2>&1
}

# config NAME BOOTSTRAP TOPIC [extra kafka properties] [extra kafka keys]
config() {
	cat >"$T/$1.json" <<EOF
{"kafka": {"enabled": true,
  "properties": {"bootstrap.servers": "$2", "message.timeout.ms": 60000${4:-}},
  ${5:-}
  "topics": {"findings": "$3", "events": "$3.events"},
  "host_id": "$HOSTID",
  "spool": {"dir": "$T/spool-$1", "max_bytes": 16777216}}}
EOF
	chmod 600 "$T/$1.json"
}

# consume TOPIC [kcat options]: "key payload" lines from the beginning.
consume() {
	local t=$1
	shift
	timeout 30 kcat -C -b "127.0.0.1:$PORT" -t "$t" -o beginning -e -q -f '%k %s\n' "$@" \
		2>>"$T/kcat.err"
}

# The dataset_tamper Create lines of a topic, without their key, as the local findings file
# holds them (stopping each agent with SIGINT adds an agent_tamper finding besides; each
# appending process's exit a Close).
payloads() {
	consume "$1" | cut -d' ' -f2- | grep '"activity_id":1,' | grep '"types":\["dataset_tamper"\]'
}
local_findings() {
	grep '"activity_id":1,' "$1" | grep '"types":\["dataset_tamper"\]'
}

# same_as_topic FILE TOPIC TAG: the file's tamper findings are the topic's, in any order.
same_as_topic() {
	local_findings "$1" >"$T/same.local"
	payloads "$2" >"$T/same.topic"
	ASSERT_SAME_LINES "$T/same.local" "$T/same.topic" "$3"
}

# wait_local NAME N / wait_topic TOPIC N: poll (bounded to 60 s) until the agent NAME wrote N
# tamper findings locally, or the topic holds N; never a fixed sleep before a check.
wait_local() {
	local i
	for i in $(seq 120); do
		[ "$(local_findings "$T/$1/findings.jsonl" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.5
	done
	echo "wait_local $1: fewer than $2 findings after 60 s" >&2
	return 1
}
wait_topic() {
	local end=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(payloads "$1" | wc -l)" -ge "$2" ] && return 0
		sleep 1
	done
	echo "wait_topic $1: fewer than $2 findings after 60 s" >&2
	return 1
}

# tamper N: N processes append to the dataset (root is no allowed writer): N findings.
tamper() {
	local i
	for i in $(seq "$1"); do
		/bin/sh -c "echo sample-$i >> '$T/ds/a.bin'"
	done
}

# run_agent NAME CONFIG: an agent with its own outputs in $T/NAME.
run_agent() {
	mkdir -p "$T/$1"
	agent_start "$T/$1" "$T/inv.json" --flush-ms 200 --config "$T/$2.json"
}

mkdir -p "$T/ds"
head -c 10000 /dev/urandom >"$T/ds/a.bin"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"],
  "allowed_writers": {"uids": [4321]}}]}
EOF

broker_start || exit 1
PLAIN=$(sed -n 1p "$T/bootstrap")
SSL=$(sed -n 2p "$T/bootstrap")
SASL=$(sed -n 3p "$T/bootstrap")

# 1. live: findings arrive with their key
config live "$PLAIN" "dt.live.$$"
run_agent live live || exit 1
tamper 3
wait_local live 3
wait_topic "dt.live.$$" 3
agent_stop
LIVE_RC=$AGENT_RC

# 2. the broker goes away for 10 s mid-run
config outage "$PLAIN" "dt.outage.$$"
run_agent outage outage || exit 1
tamper 2
wait_local outage 2
broker_stop
tamper 3
wait_local outage 5
# The outage lasts long enough for the agent to try, fail and spool.
sleep 10
broker_start || exit 1
tamper 1
wait_local outage 6
wait_topic "dt.outage.$$" 6
agent_stop
OUTAGE_RC=$AGENT_RC

# 3. the agent is SIGKILLed while the broker is down; restarted, it delivers the spool
config crash "$PLAIN" "dt.crash.$$"
broker_stop
run_agent crash crash || exit 1
tamper 3
wait_local crash 3
for i in $(seq 60); do
	[ "$(find "$T/spool-crash" -name 'spool-*.log' -size +0 | wc -l)" -ge 1 ] && break
	sleep 0.5
done
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
CRASH_SPOOLED=$(find "$T/spool-crash" -name 'spool-*.log' -size +0 | wc -l)
cp "$T/crash/findings.jsonl" "$T/crash-findings.jsonl"
broker_start || exit 1
run_agent crash2 crash || exit 1
wait_topic "dt.crash.$$" 3
agent_stop

# 4. mTLS: with the client certificate (its key's password from a secret file), and without
config mtls "$SSL" "dt.mtls.$$" ", \"security.protocol\": \"ssl\",
	\"ssl.ca.location\": \"$TLS/ca.pem\",
	\"ssl.certificate.location\": \"$TLS/client.pem\",
	\"ssl.key.location\": \"$TLS/client-enc.key\"" \
	"\"secret_files\": {\"ssl.key.password\": \"$TLS/client.keypass\"},"
run_agent mtls mtls || exit 1
tamper 1
wait_local mtls 1
wait_topic "dt.mtls.$$" 1
agent_stop
MTLS_RC=$AGENT_RC
config nocert "$SSL" "dt.nocert.$$" ", \"security.protocol\": \"ssl\",
	\"ssl.ca.location\": \"$TLS/ca.pem\""
run_agent nocert nocert || exit 1
tamper 1
wait_local nocert 1
for i in $(seq 60); do
	grep -qi ssl "$T/nocert/agent.err" && [ "$(find "$T/spool-nocert" -name 'spool-*.log' -size +0 | wc -l)" -ge 1 ] && break
	sleep 0.5
done
agent_stop
NOCERT_RC=$AGENT_RC

# SASL/SCRAM-SHA-512 over TLS, the password from a secret file
config scram "$SASL" "dt.scram.$$" ", \"security.protocol\": \"sasl_ssl\",
	\"ssl.ca.location\": \"$TLS/ca.pem\", \"sasl.mechanisms\": \"SCRAM-SHA-512\",
	\"sasl.username\": \"datatrail\"" \
	"\"secret_files\": {\"sasl.password\": \"$TLS/scram.password\"},"
run_agent scram scram || exit 1
tamper 1
wait_local scram 1
wait_topic "dt.scram.$$" 1
agent_stop
SCRAM_RC=$AGENT_RC

# 5. a wrong broker address
config wrong "127.0.0.1:1" "dt.wrong.$$"
run_agent wrong wrong || exit 1
tamper 1
wait_local wrong 1
for i in $(seq 60); do
	grep -q "kafka '127.0.0.1:1'" "$T/wrong/agent.err" && [ "$(find "$T/spool-wrong" -name 'spool-*.log' -size +0 | wc -l)" -ge 1 ] && break
	sleep 0.5
done
agent_stop
WRONG_RC=$AGENT_RC

test_live_delivery() {
	ASSERT_EQ "$LIVE_RC" 0 "agent exit status"
	ASSERT_EQ "$(local_findings "$T/live/findings.jsonl" | wc -l)" 3 "three findings locally"
	same_as_topic "$T/live/findings.jsonl" "dt.live.$$" "the topic holds the same lines"
	ASSERT_EQ "$(consume "dt.live.$$" | cut -d' ' -f1 | sort -u)" "$HOSTID" "message key is the host id"
	ASSERT_EQ "$(payloads "dt.live.$$" | $EVQ /dev/stdin values finding_info.types.0)" dataset_tamper \
		"OCSF finding content"
	consume "dt.live.$$" | cut -d' ' -f2- >"$T/live.topic"
	ASSERT_OCSF "every line on the topic" "$T/live.topic"
}

# Headers route a record without parsing it: class, severity, OCSF version, node.
test_live_headers() {
	local hdrs
	hdrs=$(consume "dt.live.$$" -f '%h\n' | sort -u)
	ASSERT_HAS "$hdrs" "ocsf_class_uid=2004,ocsf_severity_id=" "class first"
	ASSERT_HAS "$hdrs" ",ocsf_version=1.8.0,node=$(hostname)" "version and node"
	ASSERT_EQ "$(consume "dt.live.$$" -f '%h\n' | grep -c 'ocsf_severity_id=[1-6],')" \
		"$(consume "dt.live.$$" | wc -l)" "a severity on every message"
}

test_outage_loses_nothing() {
	local uids
	ASSERT_EQ "$OUTAGE_RC" 0 "agent exit status"
	ASSERT_EQ "$(local_findings "$T/outage/findings.jsonl" | wc -l)" 6 "six findings locally"
	same_as_topic "$T/outage/findings.jsonl" "dt.outage.$$" "every finding arrived, none twice"
	uids=$(payloads "dt.outage.$$" | $EVQ /dev/stdin values finding_info.uid | wc -l)
	ASSERT_EQ "$uids" 6 "six finding uids"
}

test_sigkill_then_spool_delivered() {
	ASSERT_EQ "$(local_findings "$T/crash-findings.jsonl" | wc -l)" 3 "findings before the kill"
	ASSERT_GE "$CRASH_SPOOLED" 1 "they were spooled on disk"
	same_as_topic "$T/crash-findings.jsonl" "dt.crash.$$" "the restarted agent delivered them"
}

test_mtls() {
	ASSERT_EQ "$MTLS_RC" 0 "agent exit status"
	local_findings "$T/mtls/findings.jsonl" >"$T/mtls.local"
	timeout 30 kcat -C -b "$SSL" -t "dt.mtls.$$" -o beginning -e -q \
		-X security.protocol=ssl -X "ssl.ca.location=$TLS/ca.pem" \
		-X "ssl.certificate.location=$TLS/client.pem" -X "ssl.key.location=$TLS/client.key" \
		-f '%s\n' 2>/dev/null | grep '"activity_id":1,' | grep '"types":\["dataset_tamper"\]' >"$T/mtls.topic"
	ASSERT_SAME_LINES "$T/mtls.local" "$T/mtls.topic" "delivered over mTLS"
}

test_mtls_without_client_cert() {
	ASSERT_EQ "$NOCERT_RC" 0 "agent exits 0"
	ASSERT_HAS "$(cat "$T/nocert/agent.err")" "kafka '127.0.0.1:$((PORT + 2))'" "error names the broker"
	ASSERT_HAS "$(tr 'A-Z' 'a-z' <"$T/nocert/agent.err")" "ssl" "and says it is TLS"
	ASSERT_EQ "$(local_findings "$T/nocert/findings.jsonl" | wc -l)" 1 "the finding is still written locally"
	ASSERT_GE "$(find "$T/spool-nocert" -name 'spool-*.log' -size +0 | wc -l)" 1 "and spooled"
}

test_sasl_scram() {
	ASSERT_EQ "$SCRAM_RC" 0 "agent exit status"
	ASSERT_EQ "$(local_findings "$T/scram/findings.jsonl" | wc -l)" 1 "one finding"
	same_as_topic "$T/scram/findings.jsonl" "dt.scram.$$" "delivered with SCRAM-SHA-512"
	ASSERT_EQ "$(grep -c "$(cat "$TLS/scram.password")" "$T/scram.json")" 0 \
		"the password is not in the config"
}

test_wrong_address() {
	ASSERT_EQ "$WRONG_RC" 0 "agent exits 0"
	ASSERT_HAS "$(cat "$T/wrong/agent.err")" "kafka '127.0.0.1:1'" "error names the address"
	ASSERT_GE "$(find "$T/spool-wrong" -name 'spool-*.log' -size +0 | wc -l)" 1 "spooled"
}

run_tests kafka
