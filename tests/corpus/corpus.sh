#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# corpus.sh - the benign corpus's fixtures, shared by tests/integration/test_corpus.sh and bench/run.sh.
#
# Sourced after tests/lib/lib.sh (setup_host, teardown_host, $TOP). corpus_setup DIR makes the
# venv (tools/venv.sh), the classified dataset (tests/corpus/mkdata.py), three test hosts in
# network namespaces and the inventory; corpus_run runs one workload as the dataset's allowed
# reader; corpus_teardown removes the hosts. Addresses: 10.224.0.0/16 is allowed egress (the
# metrics sink 10.224.1.2, the second training node 10.224.2.2), 10.225.1.2 is not.

CORPUS_DIR=$TOP/tests/corpus
CORPUS_UID=${CORPUS_UID:-4724}        # the training job's uid: no other process uses it
CORPUS_DATASET=corpus-train
CORPUS_METRICS=10.224.1.2:9700
CORPUS_NODE0=10.224.2.1               # this node, as the second node sees it
CORPUS_NODE1=10.224.2.2
CORPUS_EXT=10.225.1.2                 # a host the dataset may not go to
CORPUS_WORKLOADS="np_memmap shm_loader hf_datasets wds_shards st_checkpoint tb_events ddp_pair"

# corpus_setup DIR: sets CORPUS_T, CORPUS_PY, CORPUS_INV and the namespace names.
corpus_setup() {
	CORPUS_T=$1
	local s=$$
	CORPUS_NS_M=dt-cpm-$s CORPUS_VETH_M=dtcpm$s
	CORPUS_NS_1=dt-cp1-$s CORPUS_VETH_1=dtcp1$s
	CORPUS_NS_X=dt-cpx-$s CORPUS_VETH_X=dtcpx$s
	CORPUS_PY=$("$TOP/tools/venv.sh" --print) || return 1
	mkdir -p "$CORPUS_T"
	chmod 755 "$CORPUS_T"
	mkdir -p "$CORPUS_T/ds" "$CORPUS_T/out" "$CORPUS_T/home" "$CORPUS_T/jobs"
	# the jobs' uid may not reach the checkout (a clone below /root): they run from a copy
	cp "$CORPUS_DIR"/*.py "$CORPUS_T/jobs/"
	chmod -R a+rX "$CORPUS_T/jobs"
	/usr/bin/python3 "$CORPUS_DIR/mkdata.py" "$CORPUS_T/ds" || return 1
	chmod -R a+rX "$CORPUS_T/ds"
	chown "$CORPUS_UID:$CORPUS_UID" "$CORPUS_T/out" "$CORPUS_T/home"
	setup_host "$CORPUS_NS_M" "$CORPUS_VETH_M" 10.224.1.1 10.224.1.2 || return 1
	setup_host "$CORPUS_NS_1" "$CORPUS_VETH_1" "$CORPUS_NODE0" "$CORPUS_NODE1" || return 1
	setup_host "$CORPUS_NS_X" "$CORPUS_VETH_X" 10.225.1.1 "$CORPUS_EXT" || return 1
	# The metrics sink: any number of connections, bytes counted, nothing kept.
	ip netns exec "$CORPUS_NS_M" timeout 3600 /usr/bin/python3 -c '
import socketserver, sys
class H(socketserver.BaseRequestHandler):
    def handle(self):
        n = 0
        while True:
            b = self.request.recv(65536)
            if not b:
                break
            n += len(b)
        print(n, flush=True)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S((sys.argv[1], int(sys.argv[2])), H).serve_forever()
' "${CORPUS_METRICS%:*}" "${CORPUS_METRICS#*:}" >"$CORPUS_T/metrics.log" 2>&1 &
	CORPUS_SINK_PID=$!
	local i
	for i in $(seq 100); do
		ip netns exec "$CORPUS_NS_M" ss -ltn | grep -q ":${CORPUS_METRICS#*:} " && break
		sleep 0.05
	done
	CORPUS_INV=$CORPUS_T/inv.json
	cat >"$CORPUS_INV" <<EOF2
{"datasets": [
  {"id": "$CORPUS_DATASET", "classification": "confidential", "paths": ["$CORPUS_T/ds"],
   "tags": ["training"], "owner": "ml-platform",
   "allowed_readers": {"uids": [$CORPUS_UID], "executables": ["$CORPUS_PY"]},
   "allowed_egress": ["10.224.0.0/16"]}
]}
EOF2
}

corpus_teardown() {
	[ -n "${CORPUS_SINK_PID:-}" ] && kill "$CORPUS_SINK_PID" 2>/dev/null
	teardown_host "$CORPUS_NS_M" "$CORPUS_VETH_M"
	teardown_host "$CORPUS_NS_1" "$CORPUS_VETH_1"
	teardown_host "$CORPUS_NS_X" "$CORPUS_VETH_X"
	return 0
}

# corpus_as_job [--netns NS] CMD...: runs CMD as the training job (in NS: on the second
# node): its uid, a home of its own, one BLAS thread (as a job pinned to its cores sets), bounded.
corpus_as_job() {
	local ns=()
	if [ "$1" = --netns ]; then
		ns=(ip netns exec "$2")
		shift 2
	fi
	"${ns[@]}" timeout 90 setpriv --reuid="$CORPUS_UID" --regid="$CORPUS_UID" --clear-groups \
		env -i PATH=/usr/bin:/bin HOME="$CORPUS_T/home" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		"$@"
}

# corpus_run NAME STEPS [ARGS...]: one workload, in the background until corpus_wait; its
# JSON result in $CORPUS_T/NAME$CORPUS_TAG.json, stderr in .err, outputs in out/NAME$CORPUS_TAG.
# ddp_pair runs both ranks, rank 1 on the second node (its result in NAME.1.json). Sets
# CORPUS_PIDS (the top processes). The results are written by the tainted job: a process that
# reads them while the agent runs is tainted in turn (and the shell by the pipe of a $(...)).
CORPUS_TAG=""
corpus_run() {
	local name=$1 steps=$2 out res job
	shift 2
	job=$CORPUS_T/jobs/$name.py
	out=$CORPUS_T/out/$name$CORPUS_TAG
	res=$CORPUS_T/$name$CORPUS_TAG
	mkdir -p "$out"
	chown "$CORPUS_UID:$CORPUS_UID" "$out"
	CORPUS_PIDS=""
	if [ "$name" = ddp_pair ]; then
		corpus_as_job "$CORPUS_PY" "$job" --data "$CORPUS_T/ds" --out "$out/0" \
			--metrics "$CORPUS_METRICS" --steps "$steps" --rank 0 --listen "$CORPUS_NODE0:9710" "$@" \
			>"$res.json" 2>"$res.err" &
		CORPUS_PIDS=$!
		local i
		for i in $(seq 400); do
			ss -ltn | grep -q "$CORPUS_NODE0:9710 " && break
			sleep 0.05
		done
		corpus_as_job --netns "$CORPUS_NS_1" "$CORPUS_PY" "$job" --data "$CORPUS_T/ds" \
			--out "$out/1" --steps "$steps" --rank 1 --peer "$CORPUS_NODE0:9710" "$@" \
			>"$res.1.json" 2>"$res.1.err" &
		CORPUS_PIDS="$CORPUS_PIDS $!"
		return 0
	fi
	corpus_as_job "$CORPUS_PY" "$job" --data "$CORPUS_T/ds" --out "$out" \
		--metrics "$CORPUS_METRICS" --steps "$steps" "$@" \
		>"$res.json" 2>"$res.err" &
	CORPUS_PIDS=$!
}

# corpus_wait: waits for CORPUS_PIDS; non-zero if one failed (its stderr is in NAME.err).
corpus_wait() {
	local p rc=0
	for p in $CORPUS_PIDS; do
		wait "$p" || rc=1
	done
	return $rc
}
