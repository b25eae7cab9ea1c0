#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# gen-vmlinux.sh - regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
#
# usage: tools/gen-vmlinux.sh [x86|arm64]
# x86: the running kernel's /sys/kernel/btf/vmlinux (or BTF=FILE).
# arm64: the BTF of a pinned Debian arm64 kernel package, fetched with apt-get download into
# DATATRAIL_CACHE (default ~/.cache/datatrail) and cut out of its Image: an arm64 Image is a
# flat binary, not an ELF, but its .BTF section is stored in it verbatim (BTF=FILE overrides).
# The header follows the newest kernel's types (the BPF code checks older layouts with CO-RE).
set -eu
arch=${1:-x86}
top=$(cd "$(dirname "$0")/.." && pwd)

# The arm64 kernel the header is made from: trixie-backports, the same 6.18 series as x86's.
ARM64_PKG=linux-image-6.18.15+deb13-cloud-arm64
ARM64_VER=6.18.15-1~bpo13+1
ARM64_SRC="deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main"

# btf_from_image IMAGE OUT: the first complete BTF blob (magic 0xeb9f, version 1) in IMAGE.
btf_from_image() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'\x9f\xeb\x01\x00\x18\x00\x00\x00')
while i >= 0:
    _, _, _, hl, to, tl, so, sl = struct.unpack_from('<HBBIIIII', d, i)
    # vmlinux BTF: types first, strings right after them.
    if to == 0 and so == tl and i + hl + so + sl <= len(d):
        open(sys.argv[2], 'wb').write(d[i:i + hl + so + sl])
        sys.exit(0)
    i = d.find(b'\x9f\xeb\x01\x00\x18\x00\x00\x00', i + 1)
sys.exit("gen-vmlinux: '%s': no BTF in the image" % sys.argv[1])
EOF
}

# arm64_btf OUT: the pinned package's BTF.
arm64_btf() {
	out=$1
	cache=${DATATRAIL_CACHE:-$HOME/.cache/datatrail}/kernels
	a=$cache/apt-vmlinux-arm64
	deb="$cache/debs/${ARM64_PKG}_$(echo "$ARM64_VER" | sed 's/:/%3a/')_arm64.deb"
	if [ ! -s "$deb" ]; then
		mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$cache/debs"
		echo "$ARM64_SRC" >"$a/sources.list"
		set -- -q -o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts=/dev/null \
			-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" \
			-o Dir::State::status=/dev/null -o APT::Sandbox::User=root \
			-o APT::Architecture=arm64 -o APT::Architectures::=arm64
		apt-get "$@" update >/dev/null
		(cd "$cache/debs" && apt-get "$@" download "$ARM64_PKG=$ARM64_VER" >/dev/null)
	fi
	tmp=$(mktemp -d)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
	btf_from_image "$tmp"/boot/vmlinuz-* "$out" || { rm -rf "$tmp"; return 1; }
	rm -rf "$tmp"
}

mkdir -p "$top/vmlinux/$arch"
case "$arch" in
x86)
	btf=${BTF:-/sys/kernel/btf/vmlinux}
	from="'$btf' ($(uname -r))"
	;;
arm64)
	if [ -n "${BTF:-}" ]; then
		btf=$BTF
		from="'$btf'"
	else
		btf="$top/vmlinux/arm64/vmlinux.btf.tmp"
		arm64_btf "$btf"
		from="$ARM64_PKG=$ARM64_VER"
	fi
	;;
*)
	echo "gen-vmlinux: arch '$arch': not supported (x86, arm64)" >&2
	exit 1
	;;
esac
[ -r "$btf" ] || { echo "gen-vmlinux: '$btf': no kernel BTF" >&2; exit 1; }
bpftool btf dump file "$btf" format c >"$top/vmlinux/$arch/vmlinux.h.tmp"
mv "$top/vmlinux/$arch/vmlinux.h.tmp" "$top/vmlinux/$arch/vmlinux.h"
rm -f "$top/vmlinux/arm64/vmlinux.btf.tmp"
echo "gen-vmlinux: wrote vmlinux/$arch/vmlinux.h from $from"
