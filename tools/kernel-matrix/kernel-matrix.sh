#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-matrix.sh - boots pinned Debian kernels under qemu (TCG) and runs tests/kernel/smoke.sh in each.
#
# usage: tools/kernel-matrix/kernel-matrix.sh [KERNEL...]   (default: every kernel in KERNELS)
# Environment: BUILD (default build), DATATRAIL_CACHE (default ~/.cache/datatrail),
# KM_TIMEOUT (seconds per kernel, default 240).
# Prints "RESULT kernel-X: N passed, N failed, N lost" per kernel and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
CACHE=${DATATRAIL_CACHE:-$HOME/.cache/datatrail}/kernels
KM_TIMEOUT=${KM_TIMEOUT:-240}
OUT=$BUILD/kernel-matrix

# name  package  version (Debian's own builds, with BTF; exact versions so a run is repeatable).
# The security archive keeps only the newest build: when one goes, pick the next from
# `apt-cache policy` with the private lists below and change it here.
KERNELS="
5.10 linux-image-5.10.0-46-amd64 5.10.262-1
6.1 linux-image-6.1.0-57-amd64 6.1.192-3
6.12 linux-image-6.12.117+deb12-amd64 6.12.117-1~deb12u1
"
# Kernels the agent does not load on yet (the reason is in README.md); run only when named.
UNSUPPORTED=${KM_UNSUPPORTED-5.10}

SOURCES="
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bullseye-security main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main
"

die() {
	echo "kernel-matrix: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

need_tools() {
	local t missing=""
	for t in qemu-system-x86_64 busybox cpio gzip xz; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	[ -z "$missing" ] || die "missing tools:$missing (run tools/deps.sh)"
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		die "'/bin/busybox' is not static (install busybox-static)"
}

# apt with a private sources list and lists under the cache: the host's apt is left alone.
kapt() { # apt-get|apt-cache args...
	local cmd=$1
	shift
	"$cmd" -q -o Dir::Etc::SourceList="$CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" \
		-o Dir::State::status=/dev/null -o APT::Sandbox::User=root "$@"
}

# fetch PACKAGE VERSION: the .deb into the cache, once.
fetch() {
	local deb="$CACHE/debs/${1}_${2/:/%3a}_amd64.deb"
	[ -s "$deb" ] && return 0
	mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/debs"
	if [ ! -s "$CACHE/apt/sources.list" ] || [ -z "$(ls "$CACHE/apt/lists" 2>/dev/null | grep -v partial)" ]; then
		echo "$SOURCES" >"$CACHE/apt/sources.list"
		kapt apt-get update >/dev/null || return 1
	fi
	(cd "$CACHE/debs" && kapt apt-get download "$1=$2" >/dev/null) || return 1
	[ -s "$deb" ] || { echo "kernel-matrix: '$deb' not there after download" >&2; return 1; }
}

# extract PACKAGE VERSION KVER: vmlinuz and the veth module (uncompressed) under the cache.
extract() {
	local deb="$CACHE/debs/${1}_${2/:/%3a}_amd64.deb" x="$CACHE/x/$3" ko
	[ -s "$x/vmlinuz" ] && [ -s "$x/veth.ko" ] && return 0
	rm -rf "$x.tmp" && mkdir -p "$x.tmp" || return 1
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x.tmp" --wildcards './boot/vmlinuz-*' './boot/config-*' \
		'./lib/modules/*/kernel/drivers/net/veth.ko*' || return 1
	mv "$x.tmp"/boot/vmlinuz-* "$x.tmp/vmlinuz" && mv "$x.tmp"/boot/config-* "$x.tmp/config" || return 1
	ko=$(find "$x.tmp/lib/modules" -name 'veth.ko*')
	case "$ko" in
	*.xz) xz -dc "$ko" >"$x.tmp/veth.ko" ;;
	*.zst) zstd -qdc "$ko" >"$x.tmp/veth.ko" ;;
	*) cp "$ko" "$x.tmp/veth.ko" ;;
	esac || return 1
	rm -rf "$x.tmp/boot" "$x.tmp/lib" "$x" && mv "$x.tmp" "$x"
}

# copy_bin ROOT PATH [NAME]: a host binary and the shared libraries it needs.
copy_bin() {
	local root=$1 src=$2 dst=${3:-$2} lib
	# rm first: the name may be a link to busybox, which cp would write through.
	mkdir -p "$root$(dirname "$dst")" && rm -f "$root$dst" && cp -L "$src" "$root$dst" || return 1
	for lib in $(ldd "$src" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || return 1
	done
}

# The guest's common part: busybox, the agent, nc and ip, the suite, /init.
build_guest() {
	local r="$OUT/root" a
	rm -rf "$r" && mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,var/run,lib/modules} || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in $(/bin/busybox --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	copy_bin "$r" "$BUILD/datatrail" /bin/datatrail || return 1
	copy_bin "$r" "$BUILD/tests/progs/uring_read" /bin/uring_read || return 1
	copy_bin "$r" "$(readlink -f /usr/bin/nc)" /usr/bin/nc || return 1
	copy_bin "$r" /usr/sbin/ip /usr/sbin/ip || return 1
	cp tests/kernel/smoke.sh "$r/smoke.sh" && cp tools/kernel-matrix/init "$r/init" || return 1
	chmod 755 "$r/init" "$r/smoke.sh"
	echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/guest.cpio.gz"
}

# boot KVER: the guest on one kernel; its serial console in $OUT/KVER.log.
boot() {
	local x="$CACHE/x/$1" m="$OUT/mod-$1"
	rm -rf "$m" && mkdir -p "$m/lib/modules" && cp "$x/veth.ko" "$m/lib/modules/" || return 1
	(cd "$m" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/mod-$1.cpio.gz" || return 1
	cat "$OUT/guest.cpio.gz" "$OUT/mod-$1.cpio.gz" >"$OUT/initrd-$1.cpio.gz" || return 1
	timeout "$KM_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 -nographic \
		-no-reboot -nic none -kernel "$x/vmlinuz" -initrd "$OUT/initrd-$1.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3" </dev/null >"$OUT/$1.log" 2>&1
}

main() {
	local want="$*" name pkg ver kver line p f l n tp=0 tf=0 t0 t
	need_tools
	[ -x "$BUILD/datatrail" ] && [ -x "$BUILD/tests/progs/uring_read" ] ||
		die "'$BUILD/datatrail' or '$BUILD/tests/progs/uring_read' not built (make all)"
	mkdir -p "$OUT" "$CACHE" || die "cannot create '$OUT' or '$CACHE'"
	build_guest || die "building the guest failed"
	while read -r name pkg ver; do
		[ -n "$name" ] || continue
		if [ -n "$want" ]; then
			[[ " $want " == *" $name "* ]] || continue
		elif [[ " $UNSUPPORTED " == *" $name "* ]]; then
			echo "kernel-matrix: $name: not yet supported, skipped (see README.md)"
			continue
		fi
		kver=${pkg#linux-image-}
		t0=$SECONDS
		if ! fetch "$pkg" "$ver" || ! extract "$pkg" "$ver" "$kver"; then
			echo "RESULT kernel-$kver: 0 passed, 1 failed (fetching '$pkg=$ver' failed)"
			tf=$((tf + 1))
			continue
		fi
		boot "$kver"
		t=$((SECONDS - t0))
		tr -d '\r' <"$OUT/$kver.log" | grep -a -E '^(ok  |FAIL|lost|  |agent:)' | sed "s/^/  $name: /"
		# One RESULT line per BPF build the guest ran; none at all is a failure.
		p=0 f=0 l=0 n=0
		while read -r line; do
			[[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ lost ]] || continue
			p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2])) l=$((l + BASH_REMATCH[3]))
			n=$((n + 1))
			echo "$line"
		done < <(tr -d '\r' <"$OUT/$kver.log" | grep -a '^RESULT kernel-')
		if [ "$n" = 0 ]; then
			f=1
			tail -n 15 "$OUT/$kver.log" | sed "s/^/  $name: /"
		fi
		echo "RESULT kernel-$kver: $p passed, $f failed, $l lost (${t}s)"
		tp=$((tp + p))
		tf=$((tf + f))
	done <<<"$KERNELS"
	echo "kernel-matrix: ${SECONDS}s"
	echo "$tp passed, $tf failed"
	[ "$tf" = 0 ]
}

main "$@"
