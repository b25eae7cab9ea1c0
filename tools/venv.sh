#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# venv.sh - the benign corpus's Python virtual environment (tests/corpus/requirements.txt), idempotent and quiet when present.
#
# usage: tools/venv.sh [--print]
#
# Makes $DATATRAIL_VENV (default /var/cache/datatrail/corpus-venv) with the packages pinned in
# tests/corpus/requirements.txt, installed by pip from the package registry. Outside /root and
# world-readable, because the corpus runs as an unprivileged training uid. The interpreter is a
# copy (--copies), not a symlink to /usr/bin/python3: an inventory that allows the venv's
# python then allows that file alone, not every script the system python runs. A stamp holds
# the requirements' hash; a venv whose stamp matches is left as it is, another is rebuilt
# beside it and renamed over it, under a lock, so that parallel callers never see half of one.
# --print prints the venv's python on stdout.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
REQ=$TOP/tests/corpus/requirements.txt
VENV=${DATATRAIL_VENV:-/var/cache/datatrail/corpus-venv}
PYTHON=${DATATRAIL_VENV_PYTHON:-/usr/bin/python3}

# the pins and the interpreter (its copy in the venv), not the comments, decide whether the
# venv is current
want=$({ grep -v '^#' "$REQ"; "$PYTHON" --version; } | sha256sum | cut -c1-64)
done_msg() {
	[ "${1:-}" = --print ] && echo "$VENV/bin/python"
	return 0
}
if [ "$(cat "$VENV/.stamp" 2>/dev/null)" = "$want" ]; then
	done_msg "${1:-}"
	exit 0
fi

parent=$(dirname "$VENV")
mkdir -p "$parent"
chmod 755 "$parent"
exec 9>"$parent/.$(basename "$VENV").lock"
flock -w 900 9 || { echo "venv: '$VENV': lock not taken in 900 s" >&2; exit 1; }
# another caller may have built it while this one waited
if [ "$(cat "$VENV/.stamp" 2>/dev/null)" = "$want" ]; then
	done_msg "${1:-}"
	exit 0
fi

new=$VENV.new.$$
rm -rf "$new"
trap 'rm -rf "$new"' EXIT
echo "venv: installing '$VENV' from $REQ (first time: about 40 s, 400 MB)" >&2
start=$(date +%s)
"$PYTHON" -m venv --copies "$new" ||
	{ echo "venv: '$PYTHON -m venv' failed: is python3-venv installed (make deps)?" >&2; exit 1; }
# The scripts pip puts in bin/ keep the build path in their #! lines: only bin/python is used.
"$new/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$REQ" >&2 ||
	{ echo "venv: pip install -r '$REQ' failed" >&2; exit 1; }
echo "$want" >"$new/.stamp"
chmod -R a+rX "$new"
rm -rf "$VENV.old"
[ -e "$VENV" ] && mv "$VENV" "$VENV.old"
mv "$new" "$VENV"
rm -rf "$VENV.old"
trap - EXIT
echo "venv: '$VENV' ready in $(($(date +%s) - start)) s, $(du -sm "$VENV" | cut -f1) MB" >&2
done_msg "${1:-}"
