#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_identity.sh - workload identity on real containers (containerd + runc), a Slurm-style cgroup, a DaemonSet-style node name.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root identity
mount_kernel_fs

EXT=dt-idx-$$
VX=dti$$
T=$(mktemp -d /var/tmp/dt-ident.XXXXXX)
CTD_PID=""
# The kubelet's layout below a cgroup of the test's own (as kind nests it below a container's).
CGROOT=dt-idtest-$$
PIDS_TO_KILL=""
SLURM_CG=""
# The unprivileged user's delegated subtree (systemd Delegate=yes), in the v2 hierarchy.
if [ -d /sys/fs/cgroup/unified ]; then CG2=/sys/fs/cgroup/unified; else CG2=/sys/fs/cgroup; fi
DELEG=$CG2/dt-deleg-$$
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	if [ -n "$CTD_PID" ]; then
		for c in $(ctr -a "$T/ctd.sock" task ls -q 2>/dev/null); do
			ctr -a "$T/ctd.sock" task kill -s KILL "$c" 2>/dev/null
		done
		kill "$CTD_PID" 2>/dev/null
		wait "$CTD_PID" 2>/dev/null
	fi
	for d in $SLURM_CG; do rmdir "$d" 2>/dev/null; done
	[ -d "$DELEG" ] && find "$DELEG" -depth -type d -exec rmdir {} \; 2>/dev/null
	ip netns pids "$EXT" 2>/dev/null | xargs -r kill 2>/dev/null
	ip link del "$VX" 2>/dev/null
	ip netns del "$EXT" 2>/dev/null
	lib_cleanup
	# runc's cgroups of the test's containers, all below the test's own top-level cgroup
	for d in /sys/fs/cgroup/"$CGROOT" /sys/fs/cgroup/*/"$CGROOT"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.199.7.1 10.199.7.2 || exit 1

chmod 755 "$T"
mkdir -p "$T/ds" "$T/rootfs/bin" "$T/rootfs/proc" "$T/rootfs/dev" "$T/rootfs/sys" \
	"$T/rootfs/data" "$T/rootfs/tmp" "$T/ctd/root" "$T/ctd/state"
head -c 100000 /dev/urandom >"$T/ds/a.bin"
chmod -R a+rX "$T/ds"
# The containers' root file system: busybox and its applets, built here (no registry).
cp /usr/bin/busybox "$T/rootfs/bin/"
for c in sh cat nc sleep; do ln -s busybox "$T/rootfs/bin/$c"; done

cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "weights", "classification": "restricted", "paths": ["$T/ds"],
   "allowed_readers": {"namespaces": ["training"], "images": ["registry.local/trainer*"]}},
  {"id": "jobdata", "classification": "confidential", "paths": ["$T/jobds"],
   "allowed_readers": {"slurm_accounts": ["physics"]}}
]}
EOF
mkdir -p "$T/jobds"
head -c 30000 /dev/urandom >"$T/jobds/j.bin"
chmod -R a+rX "$T/jobds"
# The test's kubepods sit below a cgroup of its own: a root the runtimes' roots are trusted at.
cat >"$T/config.json" <<EOF
{"container_state_dirs": ["$T/ctd/state"], "cgroup_roots": ["/$CGROOT"]}
EOF
chmod 600 "$T/config.json"

# containerd, as a node would run it, with its own root, state and socket (no systemd here).
cat >"$T/ctd.toml" <<EOF
version = 2
root = "$T/ctd/root"
state = "$T/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/ctd.sock"
EOF
containerd --config "$T/ctd.toml" >"$T/ctd.log" 2>&1 &
CTD_PID=$!
for i in $(seq 100); do
	ctr -a "$T/ctd.sock" version >/dev/null 2>&1 && break
	sleep 0.1
done

POD_UID=0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9
# ctr_run ID NAMESPACE IMAGE POD CONTAINER CMD: a container as the kubelet would have the CRI
# plugin create it: its annotations and a kubepods cgroup, the dataset bind-mounted read-only.
ctr_run() {
	local id=$1 ns=$2 image=$3 pod=$4 name=$5
	shift 5
	timeout 60 ctr -a "$T/ctd.sock" run --rm --rootfs --net-host --env PATH=/bin \
		--annotation io.kubernetes.cri.container-type=container \
		--annotation io.kubernetes.cri.sandbox-name="$pod" \
		--annotation io.kubernetes.cri.sandbox-namespace="$ns" \
		--annotation io.kubernetes.cri.sandbox-uid="$POD_UID" \
		--annotation io.kubernetes.cri.container-name="$name" \
		--annotation io.kubernetes.cri.image-name="$image" \
		--cgroup "/$CGROOT/kubepods/besteffort/pod$POD_UID/$id" \
		--mount "type=bind,src=$T/ds,dst=/data,options=rbind:ro" \
		"$T/rootfs" "$id" "$@"
}

EV=$T/events.jsonl
FI=$T/findings.jsonl
CID_OK=$(printf '1%.0s' $(seq 64))
CID_BAD=$(printf '2%.0s' $(seq 64))
CID_GONE=$(printf '3%.0s' $(seq 64))

agent_start "$T" "$T/inv.json" --flush-ms 200 --trace "$T/trace" --config "$T/config.json" || exit 1

# An allowed pod reads the dataset and sends it to the test host; another pod only reads it.
listen "$EXT" tcp 10.199.7.2 9101 "$T/recv" || exit 1
ctr_run "$CID_OK" training registry.local/trainer:v3 trainer-0 main \
	/bin/sh -c 'cat /data/a.bin | nc -w 3 10.199.7.2 9101; sleep 1' >"$T/ctr1.out" 2>&1
CTR1_RC=$?
ctr_run "$CID_BAD" scratch registry.local/notebook:1 nb-7 jupyter \
	/bin/sh -c 'cat /data/a.bin >/dev/null; sleep 1' >"$T/ctr2.out" 2>&1
CTR2_RC=$?
# A container whose only process reads and exits: its cgroup and bundle go with it, likely before
# the agent reads /proc: the kernel's record of the cgroup path still names container and pod.
ctr_run "$CID_GONE" scratch registry.local/oneshot:1 once-1 once \
	/bin/sh -c 'exec cat /data/a.bin' >"$T/ctr3.out" 2>&1
CTR3_RC=$?

# A Slurm job step's cgroup as slurmstepd lays it out (v1 when this node has the hierarchy).
if [ -d /sys/fs/cgroup/memory ]; then
	CGBASE=/sys/fs/cgroup/memory
	SLURM_PATH=/slurm/uid_0/job_4242/step_0
else
	CGBASE=/sys/fs/cgroup
	SLURM_PATH=/system.slice/slurmstepd.scope/job_4242/step_0
fi
mkdir -p "$CGBASE$SLURM_PATH"
SLURM_CG="$CGBASE$SLURM_PATH $CGBASE${SLURM_PATH%/*} $CGBASE${SLURM_PATH%/*/*}"
[ "$CGBASE" = /sys/fs/cgroup/memory ] && SLURM_CG="$SLURM_CG /sys/fs/cgroup/memory/slurm"
# One job step of account chem (not allowed), one of physics: the shell joins the cgroup first.
# The step lives on a second after reading, as a job does: /proc still knows it at first sight.
SLURM_JOB_ACCOUNT=chem SLURM_JOB_USER=root /bin/sh -c \
	"echo \$\$ >$CGBASE$SLURM_PATH/cgroup.procs && exec $PY -c \
	'import sys, time; open(sys.argv[1], \"rb\").read(); time.sleep(1)' $T/jobds/j.bin" &
CHEM_PID=$!
wait $CHEM_PID
mkdir -p "$CGBASE${SLURM_PATH/4242/4243}"
SLURM_CG="$CGBASE${SLURM_PATH/4242/4243} $CGBASE${SLURM_PATH%/*}/../job_4243 $SLURM_CG"
SLURM_JOB_ACCOUNT=physics /bin/sh -c \
	"echo \$\$ >$CGBASE${SLURM_PATH/4242/4243}/cgroup.procs && exec $PY -c \
	'import sys, time; open(sys.argv[1], \"rb\").read(); time.sleep(1)' $T/jobds/j.bin" &
PHYS_PID=$!
wait $PHYS_PID

# Cgroup spoofing (#25): while the training pod's container runs (its runtime state is on the
# node), user nobody, in a subtree delegated to it, names cgroups after that container and
# after a Slurm job of the allowed account, and reads both datasets.
CID_VICTIM=$(printf '4%.0s' $(seq 64))
CID_FAKE=$(printf '5%.0s' $(seq 64))
POD_FAKE=0a1b2c3d-4e5f-6071-8293-000000000001
ctr_run "$CID_VICTIM" training registry.local/trainer:v3 trainer-1 main \
	/bin/sh -c 'sleep 30' >"$T/ctr4.out" 2>&1 &
PIDS_TO_KILL="$PIDS_TO_KILL $!"
for i in $(seq 100); do
	ctr -a "$T/ctd.sock" task ls 2>/dev/null | grep -q "^$CID_VICTIM .*RUNNING" && break
	sleep 0.1
done
mkdir -p "$DELEG" && chown -R nobody:nogroup "$DELEG"
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"
printf 'import sys, time\nopen(sys.argv[1], "rb").read()\ntime.sleep(1)\n' >"$T/read1s.py"
# spoof ROOT_CG SUBPATH FILE [ENV...]: root puts a shell in ROOT_CG (as systemd starts a user's
# service there); as nobody it makes ROOT_CG/SUBPATH, moves itself in and reads FILE.
spoof() {
	local cg=$1 sub=$2 file=$3
	shift 3
	exec env "$@" /bin/sh -c "echo \$\$ >$cg/cgroup.procs && exec $NOBODY /bin/sh -c \
		'mkdir -p $cg/$sub && echo \$\$ >$cg/$sub/cgroup.procs && exec $PY $T/read1s.py $file'"
}
spoof "$DELEG" "kubepods/besteffort/pod$POD_UID/$CID_VICTIM" "$T/ds/a.bin" &
SPOOF_POD=$!
wait $SPOOF_POD
SPOOF_POD_RC=$?
spoof "$DELEG" system.slice/slurmstepd.scope/job_4244/step_0 "$T/jobds/j.bin" \
	SLURM_JOB_ACCOUNT=physics SLURM_JOB_USER=root &
SPOOF_JOB=$!
wait $SPOOF_JOB
SPOOF_JOB_RC=$?
# At a trusted place, but a pod level delegated to the user: not root's all the way down.
mkdir -p "$CG2/$CGROOT/kubepods/besteffort/pod$POD_FAKE"
chown -R nobody:nogroup "$CG2/$CGROOT/kubepods/besteffort/pod$POD_FAKE"
spoof "$CG2/$CGROOT/kubepods/besteffort/pod$POD_FAKE" "$CID_FAKE" "$T/ds/a.bin" &
SPOOF_OWN=$!
wait $SPOOF_OWN
SPOOF_OWN_RC=$?
ctr -a "$T/ctd.sock" task kill -s KILL "$CID_VICTIM" >/dev/null 2>&1
agent_stop

# No polling needed past agent_stop: its final flush wrote everything.
field() { # kind field [where...]
	local kind=$1 f=$2
	shift 2
	$EVQ "$FI" last "$f" --where finding_info.types.0="$kind" "$@"
}

test_containers_ran() {
	ASSERT_EQ "$CTR1_RC" 0 "allowed container ran: $(cat "$T/ctr1.out")"
	ASSERT_EQ "$CTR2_RC" 0 "other container ran: $(cat "$T/ctr2.out")"
	ASSERT_EQ "$CTR3_RC" 0 "one-shot container ran"
	ASSERT_EQ "$(wc -c <"$T/recv")" 100000 "the test host got the dataset"
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
}

test_exfiltration_names_the_pod() {
	local w="--where evidences.0.process.container.uid=$CID_OK"
	ASSERT_EQ "$(field exfiltration evidences.0.process.container.uid $w)" "$CID_OK" "container id"
	ASSERT_EQ "$(field exfiltration evidences.0.process.container.image.name $w)" \
		registry.local/trainer "image name"
	ASSERT_EQ "$(field exfiltration evidences.0.process.container.image.tags.0.value $w)" v3 "image tag"
	ASSERT_EQ "$(field exfiltration evidences.0.process.container.name $w)" main "container name"
	ASSERT_EQ "$(field exfiltration evidences.0.process.container.runtime $w)" containerd "runtime"
	ASSERT_EQ "$(field exfiltration evidences.0.process.container.orchestrator $w)" kubernetes \
		"orchestrator"
	ASSERT_EQ "$(field exfiltration evidences.0.process.container.pod_uuid $w)" "$POD_UID" "pod uid"
	ASSERT_EQ "$(field exfiltration unmapped.workload.pod $w)" trainer-0 "pod name"
	ASSERT_EQ "$(field exfiltration unmapped.workload.namespace $w)" training "namespace"
	ASSERT_EQ "$(field exfiltration unmapped.workload.qos_class $w)" besteffort "qos class"
	ASSERT_EQ "$(field exfiltration metadata.profiles.2 $w)" container "container profile (after host, data_classification)"
	ASSERT_EQ "$(field exfiltration unmapped.bytes $w)" 100000 "bytes sent"
	ASSERT_HAS "$(field exfiltration evidences.0.process.cmd_line $w)" "nc -w 3" "the sender"
}

test_policy_by_namespace_and_image() {
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.types.0=unauthorized_read \
		--where evidences.0.process.container.uid="$CID_OK")" 0 \
		"the training pod's image may read"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.namespace \
		--where evidences.0.process.container.uid="$CID_BAD")" scratch \
		"another namespace may not"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.pod \
		--where evidences.0.process.container.uid="$CID_BAD")" nb-7 "it names the pod"
	ASSERT_EQ "$(field unauthorized_read unmapped.bytes \
		--where evidences.0.process.container.uid="$CID_BAD")" 100000 "bytes read"
}

test_container_gone_before_first_sight() {
	local w="--where evidences.0.process.container.uid=$CID_GONE"
	ASSERT_EQ "$(field unauthorized_read evidences.0.process.container.pod_uuid $w)" "$POD_UID" \
		"pod uid of a container gone"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.qos_class $w)" besteffort "qos class"
	ASSERT_EQ "$(field unauthorized_read unmapped.bytes $w)" 100000 "bytes read"
}

test_events_name_the_container() {
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where unmapped.dataset=weights \
		--where actor.process.container.uid="$CID_BAD")" 100000 "read events carry the container"
	ASSERT_EQ "$($EVQ "$EV" last actor.process.container.image.name \
		--where actor.process.container.uid="$CID_BAD")" registry.local/notebook "event image"
}

test_slurm_job() {
	local w="--where evidences.0.process.pid=$CHEM_PID"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.slurm.job_id $w)" 4242 "job id"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.slurm.step $w)" 0 "step"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.slurm.account $w)" chem "account"
	ASSERT_EQ "$(field unauthorized_read unmapped.bytes $w)" 30000 "bytes"
	ASSERT_EQ "$(field unauthorized_read resources.0.uid $w)" jobdata "dataset"
	ASSERT_EQ "$($EVQ "$FI" count --where evidences.0.process.pid=$PHYS_PID)" 0 \
		"an allowed account's job may read"
	ASSERT_EQ "$($EVQ "$EV" last unmapped.workload.slurm.job_id \
		--where actor.process.pid=$PHYS_PID)" 4243 "its read names its job"
}

test_replay_names_the_same_pods() {
	"$DATATRAIL" replay "$T/trace" >"$T/replay.jsonl" 2>"$T/replay.err"
	ASSERT_EQ "$?" 0 "replay runs: $(cat "$T/replay.err")"
	ASSERT_EQ "$($EVQ "$T/replay.jsonl" last unmapped.workload.pod \
		--where finding_info.types.0=exfiltration)" trainer-0 "replayed pod"
	ASSERT_EQ "$($EVQ "$T/replay.jsonl" last finding_info.uid \
		--where finding_info.types.0=exfiltration)" \
		"$(field exfiltration finding_info.uid)" "replayed finding uid"
	ASSERT_EQ "$($EVQ "$T/replay.jsonl" last unmapped.workload.slurm.job_id \
		--where evidences.0.process.pid="$CHEM_PID")" 4242 "replayed job"
	"$DATATRAIL" trace cat "$T/trace" >"$T/cat.jsonl" 2>>"$T/replay.err"
	ASSERT_EQ "$($EVQ "$T/cat.jsonl" sum unmapped.bytes \
		--where actor.process.container.uid="$CID_BAD")" 100000 "trace cat names the container"
}

# A DaemonSet: NODE_NAME from the downward API, a host name (the pod's) that changes per rollout.
test_node_name_survives_rollouts() {
	local d uid1 uid2 uid3 mid
	$PY -c "
import time, sys
end = time.time() + 120
while time.time() < end:
    open(sys.argv[1], 'rb').read()
    time.sleep(0.1)
" "$T/ds/a.bin" &
	local reader=$!
	PIDS_TO_KILL="$PIDS_TO_KILL $reader"
	cat >"$T/uts.sh" <<EOF
#!/bin/sh
# runs the agent in a UTS namespace of its own, host name \$DT_HOST
exec unshare --uts /bin/sh -c 'hostname "\$DT_HOST" && exec "\$0" "\$@"' "$DATATRAIL" "\$@"
EOF
	chmod 755 "$T/uts.sh"
	for d in r1 r2 r3; do
		mkdir -p "$T/$d"
		case $d in
		r1) DT_HOST=dt-agent-abcde NODE_NAME=gpu-node-17 DATATRAIL="$T/uts.sh" \
			agent_start "$T/$d" "$T/inv.json" --flush-ms 100 || return ;;
		r2) DT_HOST=dt-agent-fghij NODE_NAME=gpu-node-17 DATATRAIL="$T/uts.sh" \
			agent_start "$T/$d" "$T/inv.json" --flush-ms 100 || return ;;
		r3) DT_HOST=dt-agent-klmno NODE_NAME= DATATRAIL="$T/uts.sh" \
			agent_start "$T/$d" "$T/inv.json" --flush-ms 100 || return ;;
		esac
		for i in $(seq 100); do
			[ "$($EVQ "$T/$d/findings.jsonl" count \
				--where evidences.0.process.pid=$reader 2>/dev/null)" -gt 0 ] 2>/dev/null && break
			sleep 0.1
		done
		agent_stop
	done
	kill "$reader" 2>/dev/null
	uid1=$($EVQ "$T/r1/findings.jsonl" last finding_info.uid --where evidences.0.process.pid=$reader)
	uid2=$($EVQ "$T/r2/findings.jsonl" last finding_info.uid --where evidences.0.process.pid=$reader)
	uid3=$($EVQ "$T/r3/findings.jsonl" last finding_info.uid --where evidences.0.process.pid=$reader)
	ASSERT_NEQ "$uid1" "" "first run found the reader"
	ASSERT_EQ "$uid2" "$uid1" "same node, new pod name: same finding uid"
	ASSERT_NEQ "$uid3" "$uid1" "without NODE_NAME the host name counts"
	ASSERT_EQ "$($EVQ "$T/r2/findings.jsonl" last device.hostname --where evidences.0.process.pid=$reader)" \
		gpu-node-17 "device.hostname is the node"
	ASSERT_EQ "$($EVQ "$T/r3/findings.jsonl" last device.hostname --where evidences.0.process.pid=$reader)" \
		dt-agent-klmno "else the host name"
	mid=$(cat /etc/machine-id 2>/dev/null)
	if [ -n "$mid" ]; then
		ASSERT_EQ "$($EVQ "$T/r1/findings.jsonl" last device.uid)" "$mid" "device.uid"
	fi
}

test_bad_selectors_rejected() {
	local out
	cat >"$T/bad.json" <<EOF
{"datasets": [{"id": "x", "classification": "restricted", "paths": ["$T/ds"],
   "allowed_readers": {"namespaces": ["Training"]}}]}
EOF
	out=$("$DATATRAIL" inventory check "$T/bad.json" 2>&1)
	ASSERT_NEQ "$?" 0 "upper-case namespace refused"
	ASSERT_HAS "$out" "allowed_readers.namespaces" "names the field"
	ASSERT_HAS "$out" "'Training'" "names the value"
	sed -i 's/"namespaces": \["Training"\]/"images": ["reg*istry"]/' "$T/bad.json"
	out=$("$DATATRAIL" inventory check "$T/bad.json" 2>&1)
	ASSERT_NEQ "$?" 0 "inner '*' refused"
	ASSERT_HAS "$out" "'*' only at the end" "says why"
	out=$("$DATATRAIL" run --inventory "$T/inv.json" --node-name 'bad name' 2>&1)
	ASSERT_NEQ "$?" 0 "bad node name refused"
	ASSERT_HAS "$out" "--node-name" "names the option"
}

# Every line with a container or a job is valid OCSF 1.8.0, the container profile declared.
test_verified_only_at_the_runtimes_root() {
	ASSERT_EQ "$(field exfiltration unmapped.workload.verified \
		--where evidences.0.process.container.uid="$CID_OK")" True \
		"the runtime's own container is verified"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.verified \
		--where evidences.0.process.pid="$CHEM_PID")" True "slurmstepd's job is verified"
}

test_spoofed_pod_is_not_the_victims() {
	local w="--where evidences.0.process.pid=$SPOOF_POD"
	ASSERT_EQ "$SPOOF_POD_RC" 0 "nobody made and joined its cgroup"
	ASSERT_EQ "$(field unauthorized_read resources.0.uid $w)" weights \
		"the namespaces ACL does not let it read"
	ASSERT_EQ "$(field unauthorized_read unmapped.bytes $w)" 100000 "bytes read"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.verified $w)" False "unverified"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.cgroup $w)" \
		"/dt-deleg-$$/kubepods/besteffort/pod$POD_UID/$CID_VICTIM" "its real cgroup"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.namespace $w)" "" "no namespace"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.pod $w)" "" "no pod"
	ASSERT_EQ "$(field unauthorized_read evidences.0.process.container.uid $w)" "" \
		"not the victim's container"
	ASSERT_EQ "$(field unauthorized_read evidences.0.process.container.image.name $w)" "" \
		"nor its image"
}

test_spoofed_slurm_job_is_no_job() {
	local w="--where evidences.0.process.pid=$SPOOF_JOB"
	ASSERT_EQ "$SPOOF_JOB_RC" 0 "nobody made and joined its cgroup"
	ASSERT_EQ "$(field unauthorized_read resources.0.uid $w)" jobdata \
		"the account's ACL does not let it read"
	ASSERT_EQ "$(field unauthorized_read unmapped.bytes $w)" 30000 "bytes read"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.verified $w)" False "unverified"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.slurm.job_id $w)" "" "no job"
}

test_delegated_level_below_a_trusted_root() {
	local w="--where evidences.0.process.pid=$SPOOF_OWN"
	ASSERT_EQ "$SPOOF_OWN_RC" 0 "nobody made and joined its cgroup"
	ASSERT_EQ "$(field unauthorized_read unmapped.bytes $w)" 100000 "an unauthorized read"
	ASSERT_EQ "$(field unauthorized_read unmapped.workload.verified $w)" False "unverified"
	ASSERT_EQ "$(field unauthorized_read evidences.0.process.container.uid $w)" "" \
		"a cgroup not root's names no container"
}

test_ocsf_lines_valid() {
	ASSERT_OCSF "events" "$EV"
	ASSERT_OCSF "findings" "$FI"
	[ -s "$T/replay.jsonl" ] && ASSERT_OCSF "replay" "$T/replay.jsonl"
	return 0
}

run_tests identity
