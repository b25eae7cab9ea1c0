#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_channels_mem.sh - packet/raw/TUN sends, cross-process memory and shared mappings carry taint (issue 14).
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root channels_mem
mount_kernel_fs

# A test host of our own (10.202.142.0/24), whose veth also takes the packet socket's frames
# (an ethertype nothing handles), and a TAP interface: nothing leaves the node.
EXT=dt-cm-$$
VX=dtcm$$
TAP=dtct$$
DST=10.202.142.2
PROG=$TOP/$BUILD/tests/progs/chan_mem
SYSV_KEY=$((0x14b00000 + $$ % 65536))
T=$(mktemp -d /var/tmp/dt-chan.XXXXXX)
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	teardown_host "$EXT" "$VX"
	ip link del "$TAP" 2>/dev/null
	ipcrm -M "$SYSV_KEY" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.202.142.1 "$DST" || exit 1
ip tuntap add dev "$TAP" mode tap || exit 1

chmod 755 "$T"
mkdir -p "$T/ds"
head -c 1000 /dev/urandom >"$T/ds/frame.bin"
head -c 2048 /dev/urandom >"$T/ds/mem.bin"
head -c 2048 /dev/urandom >"$T/plain.bin"
head -c 1000 /dev/urandom >"$T/plain1k.bin"
chmod -R a+rX "$T/ds"
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "secrets", "classification": "restricted", "paths": ["$T/ds"]}
]}
EOF

FI=$T/findings.jsonl
EV=$T/events.jsonl
finding() { # kind pid field
	$EVQ "$FI" last "$3" --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
nfindings() { # kind pid
	$EVQ "$FI" count --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}

# run NAME ARGS...: chan_mem in the background (its own pid), output in $T/NAME.out; sets RPID.
# The outputs of tainted processes are derived files: this shell reads them only after the
# agent stopped, or it would be tainted itself (and every later process by fork).
run() {
	local n=$1
	shift
	"$PROG" "$@" >"$T/$n.out" 2>"$T/$n.err" &
	RPID=$!
	wait $RPID || echo "chan_mem $*: failed: $(cat "$T/$n.err")" >&2
}

# hold NAME FILE [ADDR PORT]: a process keeps FILE's bytes in memory until hold_end (fd 7);
# sets HPID HADDR HLEN.
hold() {
	local n=$1 i
	shift
	mkfifo "$T/$n.in"
	(exec "$PROG" hold "$@" <"$T/$n.in" >"$T/$n.out" 2>"$T/$n.err") &
	PIDS_TO_KILL="$PIDS_TO_KILL $!"
	exec 7>"$T/$n.in"
	for i in $(seq 200); do
		[ -s "$T/$n.out" ] && break
		sleep 0.05
	done
	read -r HPID HADDR HLEN <"$T/$n.out"
}
hold_end() {
	echo go >&7
	exec 7>&-
	wait "$HPID"
}

agent_start "$T" "$T/inv.json" --flush-ms 200 || exit 1

# Channel 2: around the TCP/UDP layer.
run pkraw packet "$T/ds/frame.bin" "$VX" raw
PK_RAW=$RPID
run pkbound packet "$T/ds/frame.bin" "$VX" bound
PK_BOUND=$RPID
run pkdgram packet "$T/ds/frame.bin" "$VX" dgram
PK_DGRAM=$RPID
run rawip raw "$T/ds/frame.bin" "$DST"
RAW_IP=$RPID
run tap tun "$T/ds/frame.bin" "$TAP"
TUN_W=$RPID
run xdp xdp "$T/ds/frame.bin" "$VX"
XDP_W=$RPID
run pkplain packet "$T/plain1k.bin" "$VX" raw
PK_PLAIN=$RPID

# Channel 3: another process's memory, read by an untainted process that then sends it.
hold h1 "$T/ds/mem.bin"
H1=$HPID
run vmread vmread "$HPID" "$HADDR" "$HLEN" "$DST" 9301
VM_READ=$RPID
run peek peek "$HPID" "$HADDR" "$HLEN" "$DST" 9302
PEEK=$RPID
run procmem procmem "$HPID" "$HADDR" "$HLEN" "$DST" 9303
PROCMEM=$RPID
hold_end
# ... and written into an untainted process, which then sends its own buffer.
hold h2 "$T/plain.bin" "$DST" 9304
H2=$HPID
run vmwrite vmwrite "$HPID" "$HADDR" "$T/ds/mem.bin"
VM_WRITE=$RPID
hold_end
hold h3 "$T/plain.bin" "$DST" 9305
H3=$HPID
run procmemw procmemw "$HPID" "$HADDR" "$T/ds/mem.bin"
PROCMEM_W=$RPID
hold_end
# Nothing tainted on either side.
hold h4 "$T/plain.bin"
run vmplain vmread "$HPID" "$HADDR" "$HLEN" "$DST" 9306
VM_PLAIN=$RPID
hold_end

# Channel 4: shared memory. Taint after the mapping (anonymous, inherited across fork) ...
run shmfork shmfork "$T/ds/mem.bin" "$DST" 9401
run shmplain shmfork "$T/plain.bin" "$DST" 9402
run shmmemfd shmfork "$T/ds/mem.bin" "$DST" 9404 memfd
# ... and before it (SysV: written by a tainted process that is gone when the reader attaches).
run sysvput sysvput "$T/ds/mem.bin" "$SYSV_KEY"
SYSV_PUT=$RPID
run sysvget sysvget "$SYSV_KEY" 2048 "$DST" 9403
SYSV_GET=$RPID
# Shared memory at a data loader's scale (issue 24): a tainted loader passes 3,000 batches to
# two workers through a POSIX shm segment each (created, mapped, unmapped, unlinked); worker 0
# sends the last batch it read out.
listen "$EXT" tcp "$DST" 9410 "$T/recv_loader" || exit 1
run loader loader "$T/ds/mem.bin" 3000 "$DST" 9410
# Issue 25 item 6: the fork case five times in a row, run by one long-lived process that first
# mapped and freed 300 shared regions (its stale holdings, inherited across fork and exec,
# used to fill every child's table: the child was never a holder, its send unseen).
run shmrunner shmrunner 5 "$T/ds/mem.bin" "$DST" 9406
# A holder that split its mapping and unmapped one part still holds the other.
run shmsplit shmsplit "$T/ds/mem.bin" "$DST" 9407
# Losses (none expected) of the runs above close their episode before the next one opens.
sleep 1
# More shared regions than a process's table holds (240), then tainted: the 60 left out count.
run shmmany shmmany 300 "$T/ds/mem.bin"

agent_stop
read -r SF_PARENT SF_CHILD SF_LEN <"$T/shmfork.out"
read -r SP_PARENT SP_CHILD SP_LEN <"$T/shmplain.out"
read -r SM_PARENT SM_CHILD SM_LEN <"$T/shmmemfd.out"

test_agent_exits_cleanly() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
	ASSERT_OCSF "findings" "$FI"
	ASSERT_OCSF "events" "$EV"
}

# A packet socket is named by the interface of its sockaddr_ll, or the one it is bound to.
test_packet_socket() {
	local p ifx
	ifx=$(cat /sys/class/net/"$VX"/ifindex)
	for p in $PK_RAW $PK_BOUND $PK_DGRAM; do
		ASSERT_EQ "$(finding exfiltration "$p" resources.0.uid)" secrets "dataset ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" evidences.0.dst_endpoint.interface_name)" \
			"$VX" "interface ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" evidences.0.dst_endpoint.interface_uid)" \
			"$ifx" "ifindex ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" unmapped.link)" packet "link ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" evidences.0.connection_info.protocol_name)" \
			packet "protocol ($p)"
	done
	ASSERT_EQ "$(finding exfiltration "$PK_RAW" unmapped.bytes)" "$(cat "$T/pkraw.out")" "raw bytes"
	ASSERT_EQ "$(cat "$T/pkraw.out")" 1014 "a frame: header and the dataset's 1000 bytes"
	ASSERT_EQ "$(finding exfiltration "$PK_BOUND" unmapped.bytes)" 1014 "bound bytes"
	ASSERT_EQ "$(finding exfiltration "$PK_DGRAM" unmapped.bytes)" 1000 "dgram bytes"
	ASSERT_EQ "$(nfindings exfiltration "$PK_PLAIN")" 0 "an untainted sender: nothing"
}

test_raw_ip_socket() {
	ASSERT_EQ "$(finding exfiltration "$RAW_IP" evidences.0.dst_endpoint.ip)" "$DST" "address"
	ASSERT_EQ "$(finding exfiltration "$RAW_IP" evidences.0.connection_info.protocol_num)" 253 \
		"IP protocol"
	ASSERT_EQ "$(finding exfiltration "$RAW_IP" unmapped.link)" raw "link"
	ASSERT_EQ "$(finding exfiltration "$RAW_IP" unmapped.bytes)" 1000 "bytes"
	ASSERT_EQ "$(finding exfiltration "$RAW_IP" resources.0.uid)" secrets "dataset"
}

test_tun_write() {
	ASSERT_EQ "$(finding exfiltration "$TUN_W" evidences.0.dst_endpoint.interface_name)" "$TAP" \
		"interface"
	ASSERT_EQ "$(finding exfiltration "$TUN_W" unmapped.link)" tun "link"
	ASSERT_EQ "$(finding exfiltration "$TUN_W" unmapped.bytes)" 1014 "bytes"
	ASSERT_EQ "$(finding exfiltration "$TUN_W" resources.0.uid)" secrets "dataset"
}

# AF_XDP transmits from its umem: the kick names the interface, the bytes are not known.
test_af_xdp() {
	ASSERT_EQ "$(cat "$T/xdp.out")" "$(cat /sys/class/net/"$VX"/ifindex)" "workload ran"
	ASSERT_EQ "$(finding exfiltration "$XDP_W" evidences.0.dst_endpoint.interface_name)" "$VX" \
		"interface"
	ASSERT_EQ "$(finding exfiltration "$XDP_W" unmapped.link)" xdp "link"
	ASSERT_EQ "$(finding exfiltration "$XDP_W" unmapped.bytes)" 0 "bytes: unknown"
	ASSERT_EQ "$(finding exfiltration "$XDP_W" resources.0.uid)" secrets "dataset"
}

# The reader takes the taint of the process it reads; its send is exfiltration via that hop.
test_cross_process_read() {
	local p
	for p in $VM_READ $PEEK $PROCMEM; do
		ASSERT_EQ "$(finding exfiltration "$p" resources.0.uid)" secrets "dataset ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" unmapped.bytes)" 2048 "bytes sent ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" unmapped.via.hop)" process_memory "hop ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" unmapped.via.from_pid)" "$H1" "from ($p)"
		ASSERT_EQ "$(finding exfiltration "$p" evidences.0.dst_endpoint.ip)" "$DST" "dst ($p)"
	done
	ASSERT_EQ "$(nfindings exfiltration "$VM_PLAIN")" 0 "reading an untainted process: nothing"
}

# The writer taints its target.
test_cross_process_write() {
	ASSERT_EQ "$(finding exfiltration "$H2" unmapped.via.hop)" process_memory "vmwrite hop"
	ASSERT_EQ "$(finding exfiltration "$H2" unmapped.via.from_pid)" "$VM_WRITE" "vmwrite from"
	ASSERT_EQ "$(finding exfiltration "$H2" unmapped.bytes)" 2048 "vmwrite bytes"
	ASSERT_EQ "$(finding exfiltration "$H3" unmapped.via.hop)" process_memory "/proc/PID/mem hop"
	ASSERT_EQ "$(finding exfiltration "$H3" unmapped.via.from_pid)" "$PROCMEM_W" \
		"/proc/PID/mem from"
	ASSERT_EQ "$(finding exfiltration "$H3" resources.0.uid)" secrets "dataset"
}

# Tainted after the mapping was shared (and inherited): the holder takes it at the tainting.
test_shared_anonymous_after_fork() {
	ASSERT_EQ "$SF_LEN" 2048 "workload ran"
	ASSERT_EQ "$(finding exfiltration "$SF_CHILD" unmapped.via.hop)" shared_memory "hop"
	ASSERT_EQ "$(finding exfiltration "$SF_CHILD" unmapped.via.from_pid)" "$SF_PARENT" "from"
	ASSERT_EQ "$(finding exfiltration "$SF_CHILD" unmapped.bytes)" 2048 "bytes"
	ASSERT_EQ "$(finding exfiltration "$SF_CHILD" resources.0.uid)" secrets "dataset"
	ASSERT_EQ "$(nfindings exfiltration "$SP_CHILD")" 0 "shared with an untainted parent: nothing"
	ASSERT_EQ "$SM_LEN" 2048 "memfd workload ran"
	ASSERT_EQ "$(finding exfiltration "$SM_CHILD" unmapped.via.hop)" shared_memory "memfd hop"
	ASSERT_EQ "$(finding exfiltration "$SM_CHILD" unmapped.via.from_pid)" "$SM_PARENT" "memfd from"
	ASSERT_EQ "$(finding exfiltration "$SM_CHILD" unmapped.bytes)" 2048 "memfd bytes"
}

# Tainted before: the region keeps the mark for whoever maps it later.
test_sysv_shm_mapped_after_taint() {
	ASSERT_EQ "$(cat "$T/sysvput.out")" 2048 "workload ran"
	ASSERT_EQ "$(finding exfiltration "$SYSV_GET" unmapped.via.hop)" shared_memory "hop"
	ASSERT_EQ "$(finding exfiltration "$SYSV_GET" unmapped.via.from_pid)" "$SYSV_PUT" "from"
	ASSERT_EQ "$(finding exfiltration "$SYSV_GET" unmapped.bytes)" 2048 "bytes"
	ASSERT_EQ "$(finding exfiltration "$SYSV_GET" resources.0.uid)" secrets "dataset"
}

# A loader's segments come and go: the tables follow munmap, and the taint still flows from
# the loader to a worker that only mapped and read a segment. A segment the tainted loader
# wrote through its mapping is a derived file, so the worker's mapping of it is a read of
# derived data (hop read) before the region's own mark is looked at.
test_loader_batches_through_shm() {
	local ld w0 w1 len
	read -r ld w0 w1 len <"$T/loader.out"
	ASSERT_EQ "$len" 2048 "workload ran"
	ASSERT_NEQ "$w0" "$ld" "the worker is a process of its own"
	ASSERT_EQ "$(finding exfiltration "$w0" unmapped.via.hop)" read "hop: the derived segment"
	ASSERT_EQ "$(finding exfiltration "$w0" unmapped.bytes)" 2048 "bytes"
	ASSERT_EQ "$(finding exfiltration "$w0" resources.0.uid)" secrets "dataset"
	ASSERT_EQ "$(finding exfiltration "$w0" evidences.0.dst_endpoint.ip)" "$DST" "destination"
	ASSERT_EQ "$(nfindings exfiltration "$w1")" 0 "the worker that sent nothing"
	cmp -s "$T/recv_loader" "$T/ds/mem.bin" || _fail "the receiver did not get the batch's bytes"
}

# Every run of the fork case by one long-lived process that mapped and freed many regions.
test_shared_anonymous_fork_repeated() {
	local parent child len n=0
	while read -r parent child len; do
		n=$((n + 1))
		ASSERT_EQ "$len" 2048 "run $n ran"
		ASSERT_EQ "$(finding exfiltration "$child" unmapped.via.hop)" shared_memory "hop ($n)"
		ASSERT_EQ "$(finding exfiltration "$child" unmapped.via.from_pid)" "$parent" "from ($n)"
		ASSERT_EQ "$(finding exfiltration "$child" unmapped.bytes)" 2048 "bytes ($n)"
	done <"$T/shmrunner.out"
	ASSERT_EQ "$n" 5 "runs"
}

test_shared_split_then_partly_unmapped() {
	local parent child len
	read -r parent child len <"$T/shmsplit.out"
	ASSERT_EQ "$len" 2048 "workload ran"
	ASSERT_EQ "$(finding exfiltration "$child" unmapped.via.hop)" shared_memory "hop"
	ASSERT_EQ "$(finding exfiltration "$child" unmapped.via.from_pid)" "$parent" "from"
	ASSERT_EQ "$(finding exfiltration "$child" unmapped.bytes)" 2048 "bytes"
}

# The one table that really filled is one visibility_gap with the count; nothing else is.
test_shm_table_full_is_one_gap() {
	ASSERT_EQ "$(cat "$T/shmmany.out")" "300 2048" "workload ran"
	ASSERT_EQ "$($EVQ "$FI" count --where finding_info.types.0=visibility_gap)" 1 \
		"one visibility_gap: no loss for the loader or the runner"
	ASSERT_EQ "$($EVQ "$FI" last unmapped.source --where finding_info.types.0=visibility_gap)" \
		shm_table_full "its source"
	ASSERT_EQ "$($EVQ "$FI" last count --where finding_info.types.0=visibility_gap \
		--where activity_id=1)" 60 "the 60 regions not remembered"
}

run_tests channels_mem
