#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_trace.sh - recorded traces from the real agent: encryption, and tampering caught at the exact block.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root trace
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-trace.XXXXXX)
cleanup() {
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/ds" "$T/run1" "$T/run2"
head -c 300000 /dev/urandom >"$T/ds/a.bin"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"]}]}
EOF
head -c 32 /dev/urandom >"$T/key"
head -c 32 /dev/urandom >"$T/wrong.key"
chmod 600 "$T/key" "$T/wrong.key"
cp "$T/key" "$T/loose.key"
chmod 644 "$T/loose.key"

# Two short recorded runs: one encrypted, one plain; several reads make several records.
agent_start "$T/run1" "$T/inv.json" --flush-ms 100 --trace "$T/enc" --trace-key "$T/key" || exit 1
for i in 1 2 3; do /usr/bin/cat "$T/ds/a.bin" >/dev/null; done
agent_stop
ENC_RC=$AGENT_RC
agent_start "$T/run2" "$T/inv.json" --flush-ms 100 --trace "$T/plain" || exit 1
for i in 1 2 3; do /usr/bin/cat "$T/ds/a.bin" >/dev/null; done
agent_stop
PLAIN_RC=$AGENT_RC
SEG=trace-00000000.dts

test_runs_recorded() {
	ASSERT_EQ "$ENC_RC" 0 "encrypted run exit status"
	ASSERT_EQ "$PLAIN_RC" 0 "plain run exit status"
	ASSERT_EQ "$("$DATATRAIL" trace verify "$T/plain" >/dev/null; echo $?)" 0 "plain verifies"
	ASSERT_EQ "$("$DATATRAIL" trace cat "$T/plain" | $EVQ /dev/stdin sum unmapped.bytes)" 900000 \
		"every byte read is in the trace"
}

# inflate_blocks SEGMENT: "blocks=B flags=F inflated=I named=N" over the data blocks: B is 1
# if there is at least one, F the distinct flags, I 1 if every block's stored bytes inflate
# with zlib, 0 if none does, N 1 if an inflated block names the dataset.
inflate_blocks() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
off, flags, ok, named, n = 192, set(), 0, 0, 0
while off + 56 <= len(b):
    magic, idx, stored, raw, crc, fl = struct.unpack_from("<IIIIIB", b, off)
    data = b[off + 56:off + 56 + stored]
    off += 56 + stored
    if fl & 4:
        continue
    n += 1
    flags.add(fl)
    for cand in (data, data[:-16]):
        try:
            out = zlib.decompress(cand)
        except zlib.error:
            continue
        ok += 1
        named += b"faces" in out
        break
print("blocks=%d flags=%s inflated=%d named=%d" % (n > 0, ",".join(map(str, sorted(flags))),
      1 if ok == n else 0 if ok == 0 else -1, 1 if named else 0))
PY
}

test_encryption() {
	local out
	ASSERT_EQ "$("$DATATRAIL" trace verify "$T/enc" -k "$T/key" >/dev/null; echo $?)" 0 \
		"verifies with the key"
	ASSERT_EQ "$("$DATATRAIL" trace cat "$T/enc" --key "$T/key" | $EVQ /dev/stdin sum unmapped.bytes)" \
		900000 "decrypts with the key"
	ASSERT_EQ "$(grep -c faces "$T/enc/$SEG")" 0 "no dataset id in clear text"
	# Compression alone would also hide the id: a plain block's bytes inflate to records that
	# name the dataset, an encrypted block's bytes (tag cut off or not) inflate to nothing.
	ASSERT_EQ "$(inflate_blocks "$T/plain/$SEG")" "blocks=1 flags=1 inflated=1 named=1" \
		"plain blocks are zlib streams naming the dataset"
	ASSERT_EQ "$(inflate_blocks "$T/enc/$SEG")" "blocks=1 flags=3 inflated=0 named=0" \
		"encrypted blocks are no zlib stream"
	out=$("$DATATRAIL" trace cat "$T/enc" --key "$T/wrong.key" 2>&1)
	ASSERT_NEQ "$?" 0 "wrong key fails"
	ASSERT_HAS "$out" "decryption failed" "wrong key says so"
	out=$("$DATATRAIL" replay "$T/enc" --key "$T/loose.key" 2>&1)
	ASSERT_NEQ "$?" 0 "a key file others can read is refused"
	ASSERT_HAS "$out" "loose.key" "names the key file"
}

test_flipped_byte() {
	local out
	cp -a "$T/plain" "$T/flip"
	# Header (192 bytes), block 0's header (56 bytes), then its stored bytes.
	printf '\xff' | dd of="$T/flip/$SEG" bs=1 seek=$((192 + 56 + 7)) conv=notrunc status=none
	out=$("$DATATRAIL" trace verify "$T/flip")
	ASSERT_EQ "$?" 1 "verify exit status"
	ASSERT_HAS "$out" "segment '$SEG' block 0:" "names the block"
	out=$("$DATATRAIL" replay "$T/flip" 2>&1 >/dev/null)
	ASSERT_NEQ "$?" 0 "replay refuses it"
	ASSERT_HAS "$out" "failed verification" "and says why"
	out=$("$DATATRAIL" replay "$T/flip" --force 2>&1 >/dev/null)
	ASSERT_EQ "$?" 0 "replay --force"
	ASSERT_HAS "$out" "skipped segment '$SEG' block 0" "says what it skipped"
}

test_truncated() {
	local out size
	cp -a "$T/plain" "$T/trunc"
	size=$(stat -c %s "$T/trunc/$SEG")
	truncate -s $((size - 100)) "$T/trunc/$SEG"
	out=$("$DATATRAIL" trace verify "$T/trunc")
	ASSERT_EQ "$?" 1 "verify exit status"
	ASSERT_HAS "$out" "segment '$SEG'" "names the segment"
}

test_zeroed_block() {
	local out
	cp -a "$T/plain" "$T/edit"
	# Zero part of the first block: its CRC and chain hash no longer match.
	dd if=/dev/zero of="$T/edit/$SEG" bs=1 seek=$((192 + 56)) count=16 conv=notrunc status=none
	out=$("$DATATRAIL" trace verify "$T/edit")
	ASSERT_EQ "$?" 1 "verify exit status"
	ASSERT_HAS "$out" "block 0" "names the block"
}

# A trace recorded by datatrail 6289a5a (OCSF 1.1.0 lines): the old agent watched cat, cp and
# an unauthorized cat of a "faces" dataset in /var/tmp/i13rec/ds, an append and a rename in it,
# and a SIGHUP to itself. Replayed now, it gives valid OCSF 1.8.0 lines with the same figures.
test_previous_version_trace_replays() {
	local old=$T/old
	mkdir -p "$old"
	cp "$TOP/tests/integration/data/trace-6289a5a/trace-00000000.dts" "$old/"
	chmod 700 "$old"
	chmod 600 "$old"/*
	ASSERT_HAS "$("$DATATRAIL" trace verify "$old")" ": ok: 1 segments" "verifies"
	"$DATATRAIL" replay "$old" >"$T/old-replay.jsonl"
	ASSERT_EQ "$?" 0 "replay exit status"
	"$DATATRAIL" trace cat "$old" >"$T/old-cat.jsonl"
	ASSERT_EQ "$?" 0 "trace cat exit status"
	ASSERT_OCSF "replay" "$T/old-replay.jsonl"
	ASSERT_OCSF "trace cat" "$T/old-cat.jsonl"
	ASSERT_EQ "$($EVQ "$T/old-cat.jsonl" sum unmapped.bytes)" 157009 "bytes of the recorded events"
	# cp ran as root, an allowed reader: its copy is expected data now, unless asked for.
	ASSERT_EQ "$($EVQ "$T/old-replay.jsonl" count --where finding_info.types.0=derived_copy)" 0 \
		"an allowed reader's copy"
	ASSERT_EQ "$($EVQ "$T/old-replay.jsonl" last unmapped.bytes --where finding_info.types.0=unauthorized_read)" \
		7000 "unauthorized_read"
	ASSERT_KINDS "replay" "$T/old-replay.jsonl" finding_info.types.0=dataset_tamper \
		finding_info.types.0=agent_tamper
	cat >"$T/old-inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["/var/tmp/i13rec/ds"],
  "allowed_readers": {"uids": [0]}, "derived": {"report": "always"}}]}
EOF
	"$DATATRAIL" replay "$old" --inventory "$T/old-inv.json" >"$T/old-replay2.jsonl"
	ASSERT_EQ "$?" 0 "replay --inventory exit status"
	ASSERT_OCSF "replay --inventory" "$T/old-replay2.jsonl"
	ASSERT_EQ "$($EVQ "$T/old-replay2.jsonl" last unmapped.bytes --where finding_info.types.0=derived_copy)" \
		50000 "derived_copy, with every copy reported"
	ASSERT_KINDS "replay --inventory" "$T/old-replay2.jsonl" \
		finding_info.types.0=derived_copy,activity_id=3
}

run_tests trace
