#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_metrics.sh - the metrics endpoint under abuse: slow clients, a bearer token, TLS with client certificates, loopback by default.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root metrics
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-metrics.XXXXXX)
SLOW_PID=""
cleanup() {
	[ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

# A loopback TCP port nothing listens on, from a range that depends on this shell's pid.
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + ($$ * 11 + i * 137 + ${1:-0}) % 20000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# scrape URL [curl options...]: "HTTP_CODE SECONDS" of one bounded request.
scrape() {
	local url=$1
	shift
	curl -s -o "$T/body" -w '%{http_code} %{time_total}' --max-time 3 "$@" "$url"
}

mkdir -p "$T/ds" "$T/a1" "$T/a2" "$T/pki"
head -c 1000 /dev/urandom >"$T/ds/a.bin"
INV=$T/inv.json
echo "{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": [\"$T/ds\"]}]}" >"$INV"
chmod 644 "$INV"
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$T/token"
chmod 600 "$T/token"

# 1. Plain HTTP with a bearer token, the address given without a host: loopback.
PORT1=$(free_port 1)
echo "{\"metrics\": {\"listen\": \":$PORT1\", \"bearer_token_file\": \"$T/token\"}}" >"$T/c1.json"
chmod 600 "$T/c1.json"
agent_start "$T/a1" "$INV" --flush-ms 200 --config "$T/c1.json" || exit 1
URL1=http://127.0.0.1:$PORT1/metrics
for i in $(seq 50); do
	[ "$(scrape "$URL1" -H "Authorization: Bearer $TOKEN" | cut -d' ' -f1)" = 200 ] && break
	sleep 0.1
done
LISTEN1=$(ss -Hltn "sport = :$PORT1" | awk '{print $4}')
NO_TOKEN=$(scrape "$URL1")
WRONG_TOKEN=$(scrape "$URL1" -H "Authorization: Bearer ${TOKEN%?}0x")
RIGHT_TOKEN=$(scrape "$URL1" -H "Authorization: Bearer $TOKEN")
RIGHT_BODY=$(grep -c '^datatrail_inventory_datasets 1$' "$T/body")
HEALTH=$(scrape "http://127.0.0.1:$PORT1/healthz")

# Twenty clients that send one header line every 4 s (each line resets an idle timer) while
# Prometheus scrapes: the scrape is answered, and every slow client is cut at its deadline.
$PY "$TOP/tests/lib/slow_http.py" "$PORT1" 20 4 15 "$T/slow.ready" >"$T/slow.out" 2>"$T/slow.err" &
SLOW_PID=$!
for i in $(seq 50); do
	[ -s "$T/slow.ready" ] && break
	sleep 0.1
done
SLOW_SCRAPE=$(scrape "$URL1" -H "Authorization: Bearer $TOKEN")
SLOW_BODY=$(grep -c '^datatrail_inventory_datasets 1$' "$T/body")
wait "$SLOW_PID"
SLOW_PID=""
SLOW=$(cat "$T/slow.out")
# Seventy from one address, more than the 64 connections the server takes: that address gets
# 32, and a scraper at another loopback address is still answered.
$PY "$TOP/tests/lib/slow_http.py" "$PORT1" 70 4 8 "$T/flood.ready" >"$T/flood.out" 2>"$T/flood.err" &
SLOW_PID=$!
for i in $(seq 50); do
	[ -s "$T/flood.ready" ] && break
	sleep 0.1
done
FLOOD_SCRAPE=$(scrape "$URL1" --interface 127.0.0.2 -H "Authorization: Bearer $TOKEN")
wait "$SLOW_PID"
SLOW_PID=""
sleep 0.5
scrape "$URL1" -H "Authorization: Bearer $TOKEN" >/dev/null
CUT=$(awk '/^datatrail_metrics_connections_cut_total /{print $2}' "$T/body")
REFUSED=$(awk '/^datatrail_metrics_requests_refused_total /{print $2}' "$T/body")
agent_stop
AGENT1_RC=$AGENT_RC

# A token file others can read is refused at start, naming it.
chmod 644 "$T/token"
BADTOK_OUT=$("$DATATRAIL" run --inventory "$INV" --pin-dir "" --config "$T/c1.json" 2>&1)
BADTOK_RC=$?
chmod 600 "$T/token"

# 2. HTTPS, client certificates of a test CA required; another CA's client is not let in.
pki() { # name CN signer-ca [extension]
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
		-keyout "$T/pki/$1.key" -out "$T/pki/$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/pki/$1.csr" -CA "$T/pki/$3.pem" -CAkey "$T/pki/$3.key" \
		-CAcreateserial -days 1 -out "$T/pki/$1.pem" \
		${4:+-extfile <(printf '%s\n' "$4")} 2>/dev/null
}
for ca in ca rogue; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj "/CN=datatrail test $ca" -keyout "$T/pki/$ca.key" -out "$T/pki/$ca.pem" 2>/dev/null
done
pki server 127.0.0.1 ca "subjectAltName=IP:127.0.0.1"
pki client prometheus ca "extendedKeyUsage=clientAuth"
pki intruder prometheus rogue "extendedKeyUsage=clientAuth"
chmod 600 "$T"/pki/*.key
PORT2=$(free_port 2)
cat >"$T/c2.json" <<EOF
{"metrics": {"listen": "127.0.0.1:$PORT2", "tls_cert_file": "$T/pki/server.pem",
  "tls_key_file": "$T/pki/server.key", "tls_client_ca_file": "$T/pki/ca.pem"}}
EOF
chmod 600 "$T/c2.json"
agent_start "$T/a2" "$INV" --flush-ms 200 --config "$T/c2.json" || exit 1
URL2=https://127.0.0.1:$PORT2/metrics
CLIENT=(--cacert "$T/pki/ca.pem" --cert "$T/pki/client.pem" --key "$T/pki/client.key")
for i in $(seq 50); do
	[ "$(scrape "$URL2" "${CLIENT[@]}" | cut -d' ' -f1)" = 200 ] && break
	sleep 0.1
done
TLS_OK=$(scrape "$URL2" "${CLIENT[@]}")
TLS_BODY=$(grep -c '^datatrail_inventory_datasets 1$' "$T/body")
TLS_NOCERT=$(scrape "$URL2" --cacert "$T/pki/ca.pem")
TLS_ROGUE=$(scrape "$URL2" --cacert "$T/pki/ca.pem" --cert "$T/pki/intruder.pem" \
	--key "$T/pki/intruder.key")
TLS_PLAIN=$(scrape "http://127.0.0.1:$PORT2/metrics")
agent_stop
AGENT2_RC=$AGENT_RC
START_LINE=$(grep 'metrics on' "$T/a2/agent.err")

test_default_bind_is_loopback() {
	ASSERT_EQ "$LISTEN1" "127.0.0.1:$PORT1" "':PORT' binds 127.0.0.1 only (ss -ltn)"
}

test_bearer_token() {
	ASSERT_EQ "${NO_TOKEN% *}" 401 "no token"
	ASSERT_EQ "${WRONG_TOKEN% *}" 401 "a wrong token"
	ASSERT_EQ "${RIGHT_TOKEN% *}" 200 "the token"
	ASSERT_EQ "$RIGHT_BODY" 1 "the counters with it"
	ASSERT_EQ "${HEALTH% *}" 200 "/healthz needs none: it tells only ok or stale"
	ASSERT_GE "${REFUSED:-0}" 2 "refusals counted"
	ASSERT_EQ "$AGENT1_RC" 0 "agent exit status"
}

test_token_file_must_be_private() {
	ASSERT_NEQ "$BADTOK_RC" 0 "refused at start"
	ASSERT_HAS "$BADTOK_OUT" "metrics bearer token file '$T/token': mode 0644" "names the file"
}

test_slow_clients_do_not_stop_scrapes() {
	local secs=${SLOW_SCRAPE#* }
	ASSERT_EQ "${SLOW_SCRAPE% *}" 200 "a scrape among 20 slow clients"
	ASSERT_EQ "$SLOW_BODY" 1 "its counters"
	ASSERT_EQ "$(awk -v s="$secs" 'BEGIN { print (s < 2) }')" 1 "answered in under 2 s ($secs s)"
	ASSERT_EQ "${SLOW% *}" 20 "every slow client cut: $(cat "$T/slow.err")"
	ASSERT_EQ "$(awk -v s="${SLOW#* }" 'BEGIN { print (s >= 4.5 && s <= 7) }')" 1 \
		"at the 5 s request deadline, not before (latest ${SLOW#* } s)"
	ASSERT_GE "${CUT:-0}" 20 "cuts counted"
}

test_one_address_cannot_take_every_slot() {
	ASSERT_EQ "$(cat "$T/flood.ready")" 70 "70 slow clients connected: $(cat "$T/flood.err")"
	ASSERT_EQ "${FLOOD_SCRAPE% *}" 200 "a scrape from another address among them"
}

test_tls_client_certificates() {
	ASSERT_EQ "${TLS_OK% *}" 200 "a client certificate of the CA"
	ASSERT_EQ "$TLS_BODY" 1 "the counters over TLS"
	ASSERT_EQ "${TLS_NOCERT% *}" 403 "no client certificate"
	ASSERT_NEQ "${TLS_ROGUE% *}" 200 "another CA's client certificate"
	ASSERT_NEQ "${TLS_PLAIN% *}" 200 "plain HTTP on the TLS port"
	ASSERT_HAS "$START_LINE" "https://127.0.0.1:$PORT2/metrics, client certificate required" \
		"the start line says so"
	ASSERT_EQ "$AGENT2_RC" 0 "agent exit status"
}

echo "metrics: flood of 70: scrape '$FLOOD_SCRAPE'; scrape among slow clients '$SLOW_SCRAPE' (code s); slow clients cut, latest at" \
	"'$SLOW' (n s); tls: ok '$TLS_OK' no-cert '$TLS_NOCERT' rogue '$TLS_ROGUE' plain '$TLS_PLAIN'" >&2
run_tests metrics
