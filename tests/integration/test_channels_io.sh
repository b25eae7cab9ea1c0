#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_channels_io.sh - io_uring sends, receives, splice and tee; native AIO reads and writes; ia32 calls; sendmmsg, recvmmsg, vmsplice, tee, socket splice, MSG_ZEROCOPY, SCM_RIGHTS, connected UDP.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root channels_io
mount_kernel_fs

# One test host the test creates itself, on a subnet no other suite uses.
EXT=dt-chx-$$
VX=dtcx$$
HOST=10.201.1.2
T=$(mktemp -d /var/tmp/dt-chio.XXXXXX)
PROGS=$TOP/$BUILD/tests/progs
PIDS_TO_KILL=""
cleanup() {
	for p in $PIDS_TO_KILL; do kill "$p" 2>/dev/null; done
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	teardown_host "$EXT" "$VX"
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

setup_host "$EXT" "$VX" 10.201.1.1 "$HOST" || exit 1

chmod 755 "$T"
mkdir -p "$T/ds"
head -c 5000 /dev/urandom >"$T/ds/a.bin"
head -c 3000 /dev/urandom >"$T/ds/b.bin"
mkdir -p "$T/vault" "$T/out"
head -c 4000 /dev/urandom >"$T/vault/v.bin"
chmod -R a+rX "$T/ds" "$T/vault"
cat >"$T/inv.json" <<EOF
{"datasets": [
  {"id": "scans", "classification": "restricted", "paths": ["$T/ds"], "tags": ["PII"]},
  {"id": "vault", "classification": "restricted", "paths": ["$T/vault"], "enforce": "block"}
]}
EOF
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"

EV=$T/events.jsonl
FI=$T/findings.jsonl
finding() { # kind pid field
	$EVQ "$FI" last "$3" --where finding_info.types.0="$1" --where evidences.0.process.pid="$2"
}
nfindings() { # pid
	$EVQ "$FI" count --where evidences.0.process.pid="$1"
}
wait_file() { # path
	local i
	for i in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done
	echo "'$1' did not appear" >&2
	return 1
}
# exfil_ok TAG PID BYTES PORT [PROTO]: one exfiltration by PID of BYTES of scans to HOST:PORT.
exfil_ok() {
	ASSERT_EQ "$(finding exfiltration "$2" unmapped.bytes)" "$3" "$1: bytes"
	ASSERT_EQ "$(finding exfiltration "$2" resources.0.uid)" scans "$1: dataset"
	ASSERT_EQ "$(finding exfiltration "$2" evidences.0.dst_endpoint.ip)" "$HOST" "$1: dst ip"
	ASSERT_EQ "$(finding exfiltration "$2" evidences.0.dst_endpoint.port)" "$4" "$1: dst port"
	ASSERT_EQ "$(finding exfiltration "$2" evidences.0.connection_info.protocol_name)" "${5:-tcp}" \
		"$1: protocol"
}

agent_start "$T" "$T/inv.json" --flush-ms 200 || exit 1

# Channel 1: io_uring. Each send opcode, on a socket connected through the ring.
declare -A URING_PID
port=9100
for op in send sendmsg send_zc sendmsg_zc write writev; do
	port=$((port + 1))
	listen "$EXT" tcp "$HOST" $port "$T/recv-$op" || exit 1
	"$PROGS/uring_net" "$op" "$HOST" $port "$T/ds/a.bin" >/dev/null &
	URING_PID[$op]=$!
	wait "${URING_PID[$op]}"
done

# WRITE through the ring into a pipe that nc reads and sends on.
listen "$EXT" tcp "$HOST" 9110 "$T/recv-upipe" || exit 1
"$PROGS/uring_net" write - 0 "$T/ds/a.bin" | /usr/bin/nc -w 10 -N "$HOST" 9110 &
UPIPE_PID=$!
wait $UPIPE_PID

# Unconnected UDP: the destination in each SEND (addr2) or SENDMSG (msg_name).
declare -A UUDP_PID
port=9131
for op in send sendmsg; do
	port=$((port + 1))
	listen "$EXT" udp "$HOST" $port "$T/recv-udp-$op" || exit 1
	"$PROGS/uring_net" ${op}_udp "$HOST" $port "$T/ds/a.bin" >/dev/null &
	UUDP_PID[$op]=$!
	wait "${UUDP_PID[$op]}"
done

# Registered files (IOSQE_FIXED_FILE): a SEND out, a WRITE into the pipe nc reads.
listen "$EXT" tcp "$HOST" 9107 "$T/recv-sendreg" || exit 1
"$PROGS/uring_net" send_reg "$HOST" 9107 "$T/ds/a.bin" >/dev/null &
USENDREG_PID=$!
wait $USENDREG_PID
listen "$EXT" tcp "$HOST" 9108 "$T/recv-writereg" || exit 1
"$PROGS/uring_net" write_reg - 0 "$T/ds/a.bin" | /usr/bin/nc -w 10 -N "$HOST" 9108 &
UWRITEREG_PID=$!
wait $UWRITEREG_PID

# WRITE through the ring into a regular file: a derived copy.
mkdir -p "$T/out"
"$PROGS/uring_net" write - 0 "$T/ds/a.bin" >"$T/out/ring-copy.bin" &
UFILE_PID=$!
wait $UFILE_PID

# ACCEPT and RECV / RECVMSG through the ring: a relay that read nothing classified itself.
declare -A URELAY_PID
n=0
for op in recv recvmsg; do
	n=$((n + 1))
	listen "$EXT" tcp "$HOST" $((9110 + n)) "$T/recv-relay-$op" || exit 1
	"$PROGS/uring_net" relay $op $((9200 + n)) "$HOST" $((9110 + n)) "$T/relay-$op.ready" \
		>/dev/null &
	URELAY_PID[$op]=$!
	wait_file "$T/relay-$op.ready" || exit 1
	/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N 127.0.0.1 $((9200 + n)) &
	URELAY_NC[$n]=$!
	wait "${URELAY_NC[$n]}"
	wait "${URELAY_PID[$op]}"
done

# SPLICE through the ring: dataset file -> pipe -> socket.
listen "$EXT" tcp "$HOST" 9113 "$T/recv-usplice" || exit 1
"$PROGS/uring_net" splice "$T/ds/a.bin" "$HOST" 9113 >/dev/null &
USPLICE_PID=$!
wait $USPLICE_PID

# TEE through the ring: a tainted pipe duplicated into the pipe nc reads.
listen "$EXT" tcp "$HOST" 9114 "$T/recv-utee" || exit 1
/usr/bin/cat "$T/ds/a.bin" | "$PROGS/uring_net" tee | /usr/bin/nc -w 10 -N "$HOST" 9114 &
UTEE_PID=$!
wait $UTEE_PID

# Native AIO (io_setup/io_submit), as nobody: reads that ask for more than the file holds
# (PREAD 8192, PREADV 2 x 4096), then write() to the test host.
declare -A AIO_PID
listen "$EXT" tcp "$HOST" 9141 "$T/recv-aio-pread" || exit 1
$NOBODY "$PROGS/aio_rw" pread "$T/ds/a.bin" "$HOST" 9141 &
AIO_PID[pread]=$!
wait "${AIO_PID[pread]}"
listen "$EXT" tcp "$HOST" 9142 "$T/recv-aio-preadv" || exit 1
$NOBODY "$PROGS/aio_rw" preadv "$T/ds/b.bin" "$HOST" 9142 &
AIO_PID[preadv]=$!
wait "${AIO_PID[preadv]}"
# AIO writes of read() bytes: on a socket, into the pipe nc reads, into a file.
listen "$EXT" tcp "$HOST" 9143 "$T/recv-aio-pwrite" || exit 1
$NOBODY "$PROGS/aio_rw" pwrite "$T/ds/a.bin" "$HOST" 9143 &
AIO_PID[pwrite]=$!
wait "${AIO_PID[pwrite]}"
listen "$EXT" tcp "$HOST" 9144 "$T/recv-aio-pipe" || exit 1
$NOBODY "$PROGS/aio_rw" pwritev "$T/ds/a.bin" - | /usr/bin/nc -w 10 -N "$HOST" 9144 &
AIO_PIPE_NC=$!
wait $AIO_PIPE_NC
$NOBODY "$PROGS/aio_rw" pwrite "$T/ds/b.bin" - >"$T/out/aio-copy.bin" &
AIO_PID[file]=$!
wait "${AIO_PID[file]}"
# An AIO read of a `block` dataset: its connect to the test host is refused.
listen "$EXT" tcp "$HOST" 9145 "$T/recv-aio-block" || exit 1
$NOBODY "$PROGS/aio_rw" pread "$T/vault/v.bin" "$HOST" 9145 >"$T/aio-block.out" &
AIO_PID[block]=$!
wait "${AIO_PID[block]}"

# ia32 system calls (`int $0x80` from a 64-bit program), as nobody: an open and read of the
# dataset then write(); read() then an ia32 write() and an ia32 socketcall(SYS_SEND); read()
# then an ia32 ptrace(), which is not followed.
declare -A IA32_PID
port=9150
for op in read write socketcall; do
	port=$((port + 1))
	listen "$EXT" tcp "$HOST" $port "$T/recv-ia32-$op" || exit 1
	$NOBODY "$PROGS/ia32_io" $op "$T/ds/a.bin" "$HOST" $port &
	IA32_PID[$op]=$!
	wait "${IA32_PID[$op]}"
done
$NOBODY "$PROGS/ia32_io" ptrace "$T/ds/b.bin" &
IA32_PID[ptrace]=$!
wait "${IA32_PID[ptrace]}"

# Channel 5. sendmmsg straight out, five datagrams a call, each addressed by msg_name.
listen "$EXT" udp "$HOST" 9121 "$T/recv-smmsg" || exit 1
"$PROGS/chan_io" sendmmsg "$T/ds/a.bin" "$HOST" 9121 >/dev/null &
SMMSG_PID=$!
wait $SMMSG_PID

# sendmmsg to a loopback UDP port, recvmmsg by a relay that sends on.
listen "$EXT" tcp "$HOST" 9122 "$T/recv-rmmsg" || exit 1
"$PROGS/chan_io" recvmmsg 9222 5000 "$HOST" 9122 "$T/rmmsg.ready" >/dev/null &
RMMSG_PID=$!
wait_file "$T/rmmsg.ready" || exit 1
"$PROGS/chan_io" sendmmsg "$T/ds/a.bin" 127.0.0.1 9222 >/dev/null &
SMMSG_LO_PID=$!
wait $SMMSG_LO_PID
wait $RMMSG_PID

# vmsplice of the dataset's bytes into the pipe nc reads.
listen "$EXT" tcp "$HOST" 9123 "$T/recv-vms" || exit 1
"$PROGS/chan_io" vmsplice "$T/ds/a.bin" | /usr/bin/nc -w 10 -N "$HOST" 9123 &
VMS_PID=$!
wait $VMS_PID

# vmsplice out of a tainted pipe into memory, then a send.
listen "$EXT" tcp "$HOST" 9124 "$T/recv-vmsr" || exit 1
/usr/bin/cat "$T/ds/a.bin" | "$PROGS/chan_io" vmsplice_read "$HOST" 9124 >/dev/null &
VMSR_PID=$!
wait $VMSR_PID

# tee(2) of a tainted pipe into the pipe nc reads.
listen "$EXT" tcp "$HOST" 9125 "$T/recv-tee" || exit 1
/usr/bin/cat "$T/ds/a.bin" | "$PROGS/chan_io" tee | /usr/bin/nc -w 10 -N "$HOST" 9125 &
TEE_PID=$!
wait $TEE_PID

# splice socket -> pipe -> socket by a relay that never holds the bytes in its memory.
listen "$EXT" tcp "$HOST" 9126 "$T/recv-ssplice" || exit 1
"$PROGS/chan_io" splice_relay 9226 "$HOST" 9126 "$T/ssplice.ready" >/dev/null &
SSPLICE_PID=$!
wait_file "$T/ssplice.ready" || exit 1
/usr/bin/cat "$T/ds/a.bin" | /usr/bin/nc -w 10 -N 127.0.0.1 9226 &
SSPLICE_NC=$!
wait $SSPLICE_NC
wait $SSPLICE_PID

# sendmsg with MSG_ZEROCOPY.
listen "$EXT" tcp "$HOST" 9127 "$T/recv-zc" || exit 1
$PY -c "
import socket
data = open('$T/ds/a.bin', 'rb').read()
s = socket.create_connection(('$HOST', 9127), timeout=10)
s.setsockopt(socket.SOL_SOCKET, 60, 1)  # SO_ZEROCOPY
off = 0
while off < len(data):
    off += s.sendmsg([data[off:]], [], 0x4000000)  # MSG_ZEROCOPY
" &
ZC_PID=$!
wait $ZC_PID

# SCM_RIGHTS: an untainted server receives bytes and a socket or file over a UNIX socket.
cat >"$T/scm_server.py" <<'EOF'
import array, os, socket, sys
ls = socket.socket(socket.AF_UNIX); ls.bind(sys.argv[1]); ls.listen(1); ls.settimeout(20)
open(sys.argv[2], "w").close()
c, _ = ls.accept(); c.settimeout(20)
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
fds.frombytes(anc[0][2][:fds.itemsize])
if sys.argv[3] == "sock":
    # the bytes came over the UNIX socket; they leave on the passed TCP socket
    data = msg
    while True:
        b = c.recv(65536)
        if not b: break
        data += b
    socket.socket(fileno=fds[0]).sendall(data)
else:
    # the passed fd is the dataset file: read through it, then send
    data = os.read(fds[0], 1 << 20)
    socket.create_connection(("10.201.1.2", int(sys.argv[4])), timeout=10).sendall(data)
EOF
listen "$EXT" tcp "$HOST" 9128 "$T/recv-scm" || exit 1
$PY "$T/scm_server.py" "$T/scm.sock" "$T/scm.ready" sock &
SCM_B=$!
wait_file "$T/scm.ready" || exit 1
$PY -c "
import socket
data = open('$T/ds/a.bin', 'rb').read()
t = socket.create_connection(('$HOST', 9128), timeout=10)
u = socket.socket(socket.AF_UNIX); u.connect('$T/scm.sock')
u.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(__import__('array').array('i', [t.fileno()]))))])
u.close(); t.close()
" &
SCM_A=$!
wait $SCM_A
wait $SCM_B

listen "$EXT" tcp "$HOST" 9129 "$T/recv-scmf" || exit 1
$PY "$T/scm_server.py" "$T/scmf.sock" "$T/scmf.ready" file 9129 &
SCMF_B=$!
wait_file "$T/scmf.ready" || exit 1
$PY -c "
import os, socket, array
fd = os.open('$T/ds/b.bin', os.O_RDONLY)
u = socket.socket(socket.AF_UNIX); u.connect('$T/scmf.sock')
u.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [fd]).tobytes())])
u.close()
" &
SCMF_A=$!
wait $SCMF_A
wait $SCMF_B

# write() on a connected UDP socket.
listen "$EXT" udp "$HOST" 9130 "$T/recv-udpw" || exit 1
$PY -c "
import os, socket
data = open('$T/ds/a.bin', 'rb').read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('$HOST', 9130))
for i in range(0, len(data), 1000):
    os.write(s.fileno(), data[i:i + 1000])
" &
UDPW_PID=$!
wait $UDPW_PID

sleep 0.5
agent_stop

test_agent_exits_cleanly() {
	ASSERT_EQ "$AGENT_RC" 0 "agent exit status"
}

test_uring_send_opcodes() {
	local op
	for op in send sendmsg send_zc sendmsg_zc write writev; do
		ASSERT_EQ "$(stat -c %s "$T/recv-$op")" 5000 "$op: bytes arrived"
		exfil_ok "uring $op" "${URING_PID[$op]}" 5000 \
			$((9101 + $(echo "send sendmsg send_zc sendmsg_zc write writev" | tr ' ' '\n' |
				grep -nx "$op" | cut -d: -f1) - 1))
	done
}

test_uring_write_to_pipe() {
	ASSERT_EQ "$(stat -c %s "$T/recv-upipe")" 5000 "bytes arrived"
	exfil_ok "ring write into a pipe" $UPIPE_PID 5000 9110
	ASSERT_EQ "$(finding exfiltration $UPIPE_PID unmapped.via.hop)" pipe "tainted through the pipe"
}

test_uring_unconnected_udp() {
	exfil_ok "ring send with addr2" "${UUDP_PID[send]}" 5000 9132 udp
	exfil_ok "ring sendmsg with msg_name" "${UUDP_PID[sendmsg]}" 5000 9133 udp
}

test_uring_registered_files() {
	ASSERT_EQ "$(stat -c %s "$T/recv-sendreg")" 5000 "send: bytes arrived"
	exfil_ok "ring send on a registered socket" $USENDREG_PID 5000 9107
	ASSERT_EQ "$(stat -c %s "$T/recv-writereg")" 5000 "write: bytes arrived"
	exfil_ok "ring write into a registered pipe" $UWRITEREG_PID 5000 9108
	ASSERT_EQ "$(finding exfiltration $UWRITEREG_PID unmapped.via.hop)" pipe "hop"
}

test_uring_write_to_file() {
	ASSERT_EQ "$(finding derived_copy $UFILE_PID evidences.0.file.path)" "$T/out/ring-copy.bin" \
		"ring write makes a derived copy"
	ASSERT_EQ "$(finding derived_copy $UFILE_PID unmapped.bytes)" 5000 "bytes"
	ASSERT_EQ "$(finding derived_copy $UFILE_PID resources.0.uid)" scans "dataset"
}

test_uring_accept_recv() {
	local op n=0
	for op in recv recvmsg; do
		n=$((n + 1))
		ASSERT_EQ "$(stat -c %s "$T/recv-relay-$op")" 5000 "$op: bytes arrived"
		exfil_ok "ring $op relay" "${URELAY_PID[$op]}" 5000 $((9110 + n))
		ASSERT_EQ "$(finding exfiltration "${URELAY_PID[$op]}" unmapped.via.hop)" loopback \
			"$op: tainted over loopback"
		ASSERT_EQ "$(nfindings "${URELAY_NC[$n]}")" 0 "$op: loopback sender has no finding"
	done
}

test_uring_splice() {
	ASSERT_EQ "$(stat -c %s "$T/recv-usplice")" 5000 "bytes arrived"
	exfil_ok "ring splice" $USPLICE_PID 5000 9113
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid=$USPLICE_PID \
		--where unmapped.access=splice)" 5000 "splice read counted"
}

test_uring_tee() {
	ASSERT_EQ "$(stat -c %s "$T/recv-utee")" 5000 "bytes arrived"
	exfil_ok "ring tee" $UTEE_PID 5000 9114
	ASSERT_EQ "$(finding exfiltration $UTEE_PID unmapped.via.hop)" pipe "tainted through the tee'd pipe"
}

test_aio_reads() {
	local op file=a.bin n=5000 port=9141
	for op in pread preadv; do
		[ $op = preadv ] && file=b.bin n=3000 port=9142
		ASSERT_EQ "$(stat -c %s "$T/recv-aio-$op")" $n "aio $op: bytes arrived"
		exfil_ok "aio $op" "${AIO_PID[$op]}" $n $port
		ASSERT_EQ "$(finding exfiltration "${AIO_PID[$op]}" unmapped.via.hop)" read \
			"aio $op: tainted by its own read"
		ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid="${AIO_PID[$op]}" \
			--where unmapped.access=read --where unmapped.dataset=scans)" $n \
			"aio $op: the read's exact bytes"
		ASSERT_EQ "$($EVQ "$EV" last actor.process.user.uid \
			--where actor.process.pid="${AIO_PID[$op]}")" "$(id -u nobody)" "aio $op: uid"
		ASSERT_EQ "$($EVQ "$EV" last file.path --where actor.process.pid="${AIO_PID[$op]}")" \
			"$T/ds/$file" "aio $op: file"
	done
}

test_aio_writes() {
	ASSERT_EQ "$(stat -c %s "$T/recv-aio-pwrite")" 5000 "aio pwrite: bytes arrived"
	exfil_ok "aio pwrite on a socket" "${AIO_PID[pwrite]}" 5000 9143
	ASSERT_EQ "$(stat -c %s "$T/recv-aio-pipe")" 5000 "aio pwritev into a pipe: bytes arrived"
	exfil_ok "aio pwritev into a pipe" $AIO_PIPE_NC 5000 9144
	ASSERT_EQ "$(finding exfiltration $AIO_PIPE_NC unmapped.via.hop)" pipe "tainted through the pipe"
	ASSERT_EQ "$(finding derived_copy "${AIO_PID[file]}" evidences.0.file.path)" \
		"$T/out/aio-copy.bin" "aio pwrite makes a derived copy"
	ASSERT_EQ "$(finding derived_copy "${AIO_PID[file]}" unmapped.bytes)" 3000 "derived bytes"
}

test_aio_read_of_a_block_dataset() {
	local pid=${AIO_PID[block]}
	ASSERT_EQ "$(cat "$T/aio-block.out")" "EPERM.$pid" "connect refused"
	ASSERT_EQ "$(stat -c %s "$T/recv-aio-block")" 0 "bytes at the external host"
	ASSERT_EQ "$(finding exfiltration $pid disposition)" Blocked "disposition"
	ASSERT_EQ "$(finding exfiltration $pid resources.0.uid)" vault "dataset"
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid=$pid \
		--where unmapped.access=read --where unmapped.dataset=vault)" 4000 "the read's exact bytes"
}

test_ia32_calls() {
	local op port=9150
	for op in read write socketcall; do
		port=$((port + 1))
		ASSERT_EQ "$(stat -c %s "$T/recv-ia32-$op")" 5000 "ia32 $op: bytes arrived"
		exfil_ok "ia32 $op" "${IA32_PID[$op]}" 5000 $port
		ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid="${IA32_PID[$op]}" \
			--where unmapped.access=read --where unmapped.dataset=scans)" 5000 \
			"ia32 $op: the read's exact bytes"
	done
	ASSERT_EQ "$($EVQ "$EV" last actor.process.user.uid \
		--where actor.process.pid="${IA32_PID[read]}")" "$(id -u nobody)" "ia32 read: uid"
}

test_ia32_unfollowed_call_is_a_gap() {
	ASSERT_EQ "$($EVQ "$EV" sum unmapped.bytes --where actor.process.pid="${IA32_PID[ptrace]}" \
		--where unmapped.access=read)" 3000 "the 64-bit read before it"
	ASSERT_GE "$($EVQ "$FI" count --where finding_info.types.0=visibility_gap \
		--where unmapped.source=ia32_syscall)" 1 "visibility_gap ia32_syscall"
	ASSERT_HAS "$(cat "$T/agent.err")" "datatrail: ia32 system calls: followed by" "said at start"
}

test_sendmmsg() {
	exfil_ok "sendmmsg" $SMMSG_PID 5000 9121 udp
}

test_recvmmsg() {
	ASSERT_EQ "$(stat -c %s "$T/recv-rmmsg")" 5000 "bytes arrived"
	exfil_ok "recvmmsg relay" $RMMSG_PID 5000 9122
	ASSERT_EQ "$(finding exfiltration $RMMSG_PID unmapped.via.hop)" loopback "tainted over loopback UDP"
	ASSERT_EQ "$(nfindings $SMMSG_LO_PID)" 0 "loopback sendmmsg is a channel"
}

test_vmsplice_into_pipe() {
	ASSERT_EQ "$(stat -c %s "$T/recv-vms")" 5000 "bytes arrived"
	exfil_ok "vmsplice" $VMS_PID 5000 9123
	ASSERT_EQ "$(finding exfiltration $VMS_PID unmapped.via.hop)" pipe "hop"
}

test_vmsplice_from_pipe() {
	ASSERT_EQ "$(stat -c %s "$T/recv-vmsr")" 5000 "bytes arrived"
	exfil_ok "vmsplice read" $VMSR_PID 5000 9124
	ASSERT_EQ "$(finding exfiltration $VMSR_PID unmapped.via.hop)" pipe "hop"
}

test_tee() {
	ASSERT_EQ "$(stat -c %s "$T/recv-tee")" 5000 "bytes arrived"
	exfil_ok "tee" $TEE_PID 5000 9125
	ASSERT_EQ "$(finding exfiltration $TEE_PID unmapped.via.hop)" pipe "hop"
}

test_splice_socket_to_socket() {
	ASSERT_EQ "$(stat -c %s "$T/recv-ssplice")" 5000 "bytes arrived"
	exfil_ok "socket splice relay" $SSPLICE_PID 5000 9126
	ASSERT_EQ "$(finding exfiltration $SSPLICE_PID unmapped.via.hop)" loopback "hop"
	ASSERT_EQ "$(nfindings $SSPLICE_NC)" 0 "loopback sender has no finding"
}

test_msg_zerocopy() {
	ASSERT_EQ "$(stat -c %s "$T/recv-zc")" 5000 "bytes arrived"
	exfil_ok "MSG_ZEROCOPY" $ZC_PID 5000 9127
}

test_scm_rights_socket() {
	ASSERT_EQ "$(stat -c %s "$T/recv-scm")" 5000 "bytes arrived"
	exfil_ok "send on a passed socket" $SCM_B 5000 9128
	ASSERT_EQ "$(finding exfiltration $SCM_B unmapped.via.hop)" unix "tainted over the UNIX socket"
	ASSERT_EQ "$(nfindings $SCM_A)" 0 "the passer sent nothing on it"
}

test_scm_rights_file() {
	ASSERT_EQ "$(stat -c %s "$T/recv-scmf")" 3000 "bytes arrived"
	exfil_ok "read through a passed fd" $SCMF_B 3000 9129
	ASSERT_EQ "$(finding exfiltration $SCMF_B unmapped.via.hop)" read "tainted by its own read"
}

test_connected_udp_write() {
	ASSERT_EQ "$(stat -c %s "$T/recv-udpw")" 5000 "bytes arrived"
	exfil_ok "write() on connected UDP" $UDPW_PID 5000 9130 udp
}

test_ocsf_valid() {
	ASSERT_OCSF "findings" "$FI"
	ASSERT_OCSF "events" "$EV"
}

run_tests channels_io
