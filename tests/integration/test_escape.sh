#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_escape.sh - mount points and FUSE source names with newlines and terminal escapes: escaped on stderr, text and JSON.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root escape
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-esc.XXXXXX)
cleanup() {
	[ -n "${NAME1:-}" ] && umount -l "$T/u/$NAME1" 2>/dev/null
	[ -n "${NAME2:-}" ] && umount -l "$T/u/$NAME2" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	lib_cleanup
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

chmod 755 "$T"
mkdir -p "$T/ds" "$T/u"
chown nobody "$T/u"
head -c 1000 /dev/urandom >"$T/ds/a.bin"
cat >"$T/inv.json" <<EOF
{"datasets": [{"id": "faces", "classification": "restricted", "paths": ["$T/ds"]}]}
EOF

FORGED='datatrail: stopped: 0 events, 0 findings written'
# Directory names an unprivileged user can create: a forged line, a screen clear, a title set.
NAME1=$'x\n'"$FORGED"$'\e[2J'
NAME2=$'y\n'"$FORGED"$'\e]0;pwned\a\r'
SRC=$'evil\n'"$FORGED"$'\e[31m\xc2\x9b2J'
UNPRIV() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
UNPRIV mkdir "$T/u/$NAME1" "$T/u/$NAME2"

# The unprivileged user can mount on them, in a user and mount namespace of its own: the agent
# reads /proc/self/mountinfo, its own (the host's) mount namespace, and does not see those.
UNPRIV unshare -Urm sh -c 'mount -t tmpfs "$1" "$2" && grep -c "tmpfs" /proc/self/mountinfo' \
	sh "$SRC" "$T/u/$NAME1" >"$T/unpriv.out" 2>&1
UNPRIV_RC=$?

# So root makes the same names visible to it: a FUSE mount in the host namespace (the names a
# setuid fusermount would take from a user), its connection aborted at once (the fd closed) so
# that nothing on the host can hang on it.
fuse_mount() { # source dir
	$PY -c "
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open('/dev/fuse', os.O_RDWR)
opts = ('fd=%d,rootmode=40000,user_id=0,group_id=0' % fd).encode()
src, dst = (os.fsencode(a) for a in sys.argv[1:3])
if libc.mount(src, dst, b'fuse.dtx', 6, opts):
	sys.exit('mount: ' + os.strerror(ctypes.get_errno()))
os.close(fd)" "$1" "$2"
}

# run_with_mounts TAG [agent args]: agent up, both mounts made and gone, agent down.
run_with_mounts() {
	local tag=$1 i
	shift
	mkdir -p "$T/$tag"
	agent_start "$T/$tag" "$T/inv.json" --flush-ms 200 "$@" || return 1
	fuse_mount "$SRC" "$T/u/$NAME1"
	fuse_mount "$SRC" "$T/u/$NAME2"
	for i in $(seq 100); do
		[ "$(grep -c 'egress mount' "$T/$tag/agent.err")" -ge 2 ] && break
		sleep 0.05
	done
	umount -l "$T/u/$NAME1"
	umount -l "$T/u/$NAME2"
	for i in $(seq 100); do
		[ "$(grep -c 'egress mount.*gone' "$T/$tag/agent.err")" -ge 2 ] && break
		sleep 0.05
	done
	agent_stop
	eval "RC_$tag=\$AGENT_RC"
}

run_with_mounts text
run_with_mounts json --log-format json

ESC1="$T/u/x\\x0a$FORGED\\x1b[2J"
ESC2="$T/u/y\\x0a$FORGED\\x1b]0;pwned\\x07\\x0d"
ESCSRC="evil\\x0a$FORGED\\x1b[31m\\xc2\\x9b2J"

test_unprivileged_user_can_mount_there() {
	ASSERT_EQ "$UNPRIV_RC" 0 "nobody mounted a tmpfs on '$NAME1' in its namespace"
	ASSERT_GE "$(cat "$T/unpriv.out")" 1 "the tmpfs, in its own mountinfo"
}

test_text_log_escaped() {
	local err=$T/text/agent.err
	ASSERT_EQ "$RC_text" 0 "agent exit status"
	ASSERT_EQ "$(grep -c '^datatrail: stopped' "$err")" 1 "one 'datatrail: stopped' line, the real one"
	ASSERT_HAS "$(tail -n 1 "$err")" "datatrail: stopped: " "and it is the last"
	ASSERT_EQ "$(grep -c $'\e' "$err")" 0 "no ESC byte"
	ASSERT_EQ "$(grep -c $'\a' "$err")" 0 "no BEL byte"
	ASSERT_EQ "$(grep -c $'\r' "$err")" 0 "no CR byte"
	ASSERT_EQ "$(LC_ALL=C grep -c $'\xc2\x9b\|\x9b' "$err")" 0 "no CSI byte"
	ASSERT_HAS "$(cat "$err")" "datatrail: egress mount '$ESC1' (fuse.dtx, '$ESCSRC', fuse)" \
		"the first mount, escaped on one line"
	ASSERT_HAS "$(cat "$err")" "datatrail: egress mount '$ESC2' (fuse.dtx, '$ESCSRC', fuse)" \
		"the second"
	ASSERT_HAS "$(cat "$err")" "datatrail: egress mount '$ESC1' gone" "its end"
}

test_json_log_escaped() {
	local err=$T/json/agent.err
	ASSERT_EQ "$RC_json" 0 "agent exit status"
	ASSERT_EQ "$($PY -c "
import json, sys
n = 0
for line in open(sys.argv[1], 'rb'):
	json.loads(line)
	n += 1
print(n)" "$err")" "$(wc -l <"$err")" "every line one JSON record"
	ASSERT_EQ "$(grep -c '"msg":"stopped: ' "$err")" 1 "one 'stopped' record"
	ASSERT_EQ "$(grep -c 'stopped: 0 events, 0 findings written"' "$err")" 0 "none forged"
	ASSERT_EQ "$(grep -c $'\e' "$err")" 0 "no ESC byte"
	ASSERT_EQ "$($PY -c "
import json, sys
for line in open(sys.argv[1]):
	m = json.loads(line)['msg']
	if m.startswith('egress mount') and not m.endswith('gone'):
		print(m)" "$err" | head -n 1)" "egress mount '$ESC1' (fuse.dtx, '$ESCSRC', fuse)" \
		"the mount's record, escaped"
}

run_tests escape
