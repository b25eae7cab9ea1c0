#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-matrix.sh - boots pinned Debian kernels (x86-64, arm64) under qemu (TCG) and runs tests/kernel/smoke.sh in each.
#
# usage: tools/kernel-matrix/kernel-matrix.sh [KERNEL...]   (default: every kernel in KERNELS)
# Environment: BUILD (default build), BUILD_ARM64 (the ARCH=arm64 build, default build-arm64),
# DATATRAIL_CACHE (default ~/.cache/datatrail), KM_TIMEOUT (seconds per kernel, default 600;
# twice that for arm64 kernels: a whole other CPU emulated, slower under load).
# Prints "RESULT kernel-X: N passed, N failed, N lost (Ns)" per kernel (X names the architecture)
# and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
BUILD_ARM64=${BUILD_ARM64:-build-arm64}
CACHE=${DATATRAIL_CACHE:-$HOME/.cache/datatrail}/kernels
KM_TIMEOUT=${KM_TIMEOUT:-600}
OUT=$BUILD/kernel-matrix

# name  package  version (Debian's own builds, with BTF; exact versions so a run is repeatable).
# The package's suffix (amd64, arm64) is the guest's architecture.
# The security archive keeps only the newest build: when one goes, pick the next from
# `apt-cache policy` with the private lists below and change it here.
KERNELS="
5.10 linux-image-5.10.0-46-amd64 5.10.262-1
6.1 linux-image-6.1.0-57-amd64 6.1.192-3
6.12 linux-image-6.12.117+deb12-amd64 6.12.117-1~deb12u1
6.1-arm64 linux-image-6.1.0-57-arm64 6.1.192-3
6.12-arm64 linux-image-6.12.117+deb12-arm64 6.12.117-1~deb12u1
"
# The arm64 guest's user space that the multiarch -dev install (make deps) does not bring:
# busybox and the suite's nc and ip with their libraries, unpacked from Debian's arm64 packages.
ARM64_GUEST_PKGS="busybox-static netcat-openbsd iproute2 libbsd0 libmd0 libmnl0 libcap2"
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
	for t in qemu-system-x86_64 qemu-system-aarch64 busybox cpio gzip xz readelf; do
		command -v "$t" >/dev/null || missing="$missing $t"
	done
	[ -z "$missing" ] || die "missing tools:$missing (run tools/deps.sh)"
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		die "'/bin/busybox' is not static (install busybox-static)"
}

# apt with a private sources list and lists under the cache: the host's apt is left alone.
# The amd64 lists are in apt/, the arm64 ones in apt-arm64/.
KAPT_ARCH=amd64
kapt() { # apt-get|apt-cache args...
	local cmd=$1 d=$CACHE/apt
	shift
	[ "$KAPT_ARCH" = amd64 ] || d=$CACHE/apt-$KAPT_ARCH
	"$cmd" -q -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o Dir::State::status=/dev/null -o APT::Sandbox::User=root \
		-o APT::Architecture="$KAPT_ARCH" -o APT::Architectures::="$KAPT_ARCH" "$@"
}

# kapt_ready: the private lists of KAPT_ARCH, fetched once.
kapt_ready() {
	local d=$CACHE/apt
	[ "$KAPT_ARCH" = amd64 ] || d=$CACHE/apt-$KAPT_ARCH
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$CACHE/debs"
	if [ ! -s "$d/sources.list" ] || [ -z "$(ls "$d/lists" 2>/dev/null | grep -v partial)" ]; then
		if [ "$KAPT_ARCH" = amd64 ]; then
			echo "$SOURCES" >"$d/sources.list"
		else
			echo "$SOURCES" | sed "s/^deb \[/deb [arch=$KAPT_ARCH /" >"$d/sources.list"
		fi
		kapt apt-get update >/dev/null || return 1
	fi
}

# fetch PACKAGE VERSION: the .deb into the cache, once.
fetch() {
	local deb="$CACHE/debs/${1}_${2/:/%3a}_${1##*-}.deb"
	[ -s "$deb" ] && return 0
	KAPT_ARCH=${1##*-}
	kapt_ready || return 1
	(cd "$CACHE/debs" && kapt apt-get download "$1=$2" >/dev/null) || return 1
	[ -s "$deb" ] || { echo "kernel-matrix: '$deb' not there after download" >&2; return 1; }
}

# extract PACKAGE VERSION KVER: vmlinuz and the veth module (uncompressed) under the cache.
extract() {
	local deb="$CACHE/debs/${1}_${2/:/%3a}_${1##*-}.deb" x="$CACHE/x/$3" ko
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

# copy_cross ROOT SYSROOT PATH [NAME]: a foreign binary and the shared libraries it needs,
# found by their DT_NEEDED names (no ldd for another architecture) in SYSROOT, then in the
# host's multiarch directories.
copy_cross() {
	local root=$1 sys=$2 src=$3 dst=${4:-$3} lib d f
	mkdir -p "$root$(dirname "$dst")" && rm -f "$root$dst" && cp -L "$src" "$root$dst" || return 1
	for lib in $(readelf -d "$src" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$root/lib/$lib" ] && continue
		f=""
		for d in "$sys/lib/aarch64-linux-gnu" "$sys/usr/lib/aarch64-linux-gnu" \
			/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu; do
			[ -e "$d/$lib" ] && { f=$d/$lib; break; }
		done
		[ -n "$f" ] || { echo "kernel-matrix: '$src' needs '$lib': not found" >&2; return 1; }
		copy_cross "$root" "$sys" "$f" "/lib/$lib" || return 1
	done
}

# arm64_sysroot: ARM64_GUEST_PKGS unpacked under the cache, once.
arm64_sysroot() {
	local s="$CACHE/arm64-guest" p
	[ -x "$s/bin/busybox" ] && [ -e "$s/bin/nc.openbsd" ] && return 0
	KAPT_ARCH=arm64
	kapt_ready || return 1
	rm -rf "$s.tmp" "$s.debs" && mkdir -p "$s.tmp" "$s.debs" || return 1
	(cd "$s.debs" && kapt apt-get download $ARM64_GUEST_PKGS >/dev/null) || return 1
	for p in "$s.debs"/*.deb; do
		dpkg-deb -x "$p" "$s.tmp" || return 1
	done
	rm -rf "$s" "$s.debs" && mv "$s.tmp" "$s"
}

# build_guest ARCH: the guest's common part (busybox, the agent, nc and ip, the suite, /init)
# in $OUT/guest-ARCH.cpio.gz.
build_guest() {
	local r="$OUT/root-$1" a s="$CACHE/arm64-guest" bb=/bin/busybox
	rm -rf "$r" && mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,var/run,lib/modules} || return 1
	[ "$1" = amd64 ] || bb=$s/bin/busybox
	cp "$bb" "$r/bin/busybox" || return 1
	# The host's busybox lists the applets: the arm64 one is the same Debian build.
	for a in $(/bin/busybox --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	if [ "$1" = amd64 ]; then
		copy_bin "$r" "$BUILD/datatrail" /bin/datatrail || return 1
		copy_bin "$r" "$BUILD/tests/progs/uring_read" /bin/uring_read || return 1
		copy_bin "$r" "$BUILD/tests/progs/uring_net" /bin/uring_net || return 1
		copy_bin "$r" "$(readlink -f /usr/bin/nc)" /usr/bin/nc || return 1
		copy_bin "$r" /usr/sbin/ip /usr/sbin/ip || return 1
	else
		copy_cross "$r" "$s" "$BUILD_ARM64/datatrail" /bin/datatrail || return 1
		copy_cross "$r" "$s" "$BUILD_ARM64/tests/progs/uring_read" /bin/uring_read || return 1
		copy_cross "$r" "$s" "$BUILD_ARM64/tests/progs/uring_net" /bin/uring_net || return 1
		copy_cross "$r" "$s" "$s/bin/nc.openbsd" /usr/bin/nc || return 1
		copy_cross "$r" "$s" "$s/bin/ip" /usr/sbin/ip || return 1
		# The loader the binaries name (PT_INTERP), from the multiarch libc6:arm64.
		cp -L /lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$r/lib/" || return 1
	fi
	cp tests/kernel/smoke.sh "$r/smoke.sh" && cp tools/kernel-matrix/init "$r/init" || return 1
	chmod 755 "$r/init" "$r/smoke.sh"
	echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/guest-$1.cpio.gz"
}

# boot KVER ARCH: the guest on one kernel; its serial console in $OUT/KVER.log.
boot() {
	local x="$CACHE/x/$1" m="$OUT/mod-$1"
	rm -rf "$m" && mkdir -p "$m/lib/modules" && cp "$x/veth.ko" "$m/lib/modules/" || return 1
	(cd "$m" && find . | cpio -o -H newc --quiet | gzip -1) >"$OUT/mod-$1.cpio.gz" || return 1
	cat "$OUT/guest-$2.cpio.gz" "$OUT/mod-$1.cpio.gz" >"$OUT/initrd-$1.cpio.gz" || return 1
	if [ "$2" = arm64 ]; then
		# pauth-impdef: the same pointer authentication with a hash TCG computes much faster.
		timeout $((KM_TIMEOUT * 2)) qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on \
			-accel tcg -m 1024 -smp 1 -nographic -no-reboot -nic none -kernel "$x/vmlinuz" \
			-initrd "$OUT/initrd-$1.cpio.gz" -append "console=ttyAMA0 panic=-1 quiet loglevel=3" \
			</dev/null >"$OUT/$1.log" 2>&1
		return
	fi
	timeout "$KM_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 -nographic \
		-no-reboot -nic none -kernel "$x/vmlinuz" -initrd "$OUT/initrd-$1.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3" </dev/null >"$OUT/$1.log" 2>&1
}

# The kernels main() runs: those named, else all but UNSUPPORTED.
selected() { # name
	if [ -n "$want" ]; then
		[[ " $want " == *" $1 "* ]]
	else
		[[ " $UNSUPPORTED " != *" $1 "* ]]
	fi
}

main() {
	local name pkg ver kver line p f l n tp=0 tf=0 t0 t arch archs=""
	want="$*"
	need_tools
	mkdir -p "$OUT" "$CACHE" || die "cannot create '$OUT' or '$CACHE'"
	while read -r name pkg ver; do
		[ -n "$name" ] && selected "$name" && [[ " $archs " != *" ${pkg##*-} "* ]] &&
			archs="$archs ${pkg##*-}"
	done <<<"$KERNELS"
	for arch in $archs; do
		if [ "$arch" = amd64 ]; then
			[ -x "$BUILD/datatrail" ] && [ -x "$BUILD/tests/progs/uring_read" ] &&
				[ -x "$BUILD/tests/progs/uring_net" ] ||
				die "'$BUILD/datatrail' or '$BUILD/tests/progs/uring_{read,net}' not built (make all)"
		else
			[ -x "$BUILD_ARM64/datatrail" ] && [ -x "$BUILD_ARM64/tests/progs/uring_read" ] &&
				[ -x "$BUILD_ARM64/tests/progs/uring_net" ] ||
				die "'$BUILD_ARM64/datatrail' not built (make ARCH=arm64)"
			arm64_sysroot || die "fetching the arm64 guest's packages failed"
		fi
		build_guest "$arch" || die "building the $arch guest failed"
	done
	while read -r name pkg ver; do
		[ -n "$name" ] || continue
		if ! selected "$name"; then
			[ -n "$want" ] || echo "kernel-matrix: $name: not yet supported, skipped (see README.md)"
			continue
		fi
		arch=${pkg##*-}
		kver=${pkg#linux-image-}
		t0=$SECONDS
		if ! fetch "$pkg" "$ver" || ! extract "$pkg" "$ver" "$kver"; then
			echo "RESULT kernel-$kver: 0 passed, 1 failed (fetching '$pkg=$ver' failed)"
			tf=$((tf + 1))
			continue
		fi
		boot "$kver" "$arch"
		t=$((SECONDS - t0))
		tr -d '\r' <"$OUT/$kver.log" | grep -a -E '^(ok  |FAIL|lost|  |agent:)' | sed "s/^/  $name: /"
		# One RESULT line per BPF build the guest ran; none at all is a failure.
		p=0 f=0 l=0 n=0
		while read -r line; do
			# A run that stopped early (the agent did not load) has no "lost": it counts too.
			[[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ lost)? ]] || continue
			p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2])) l=$((l + ${BASH_REMATCH[4]:-0}))
			n=$((n + 1))
			echo "$line"
		done < <(tr -d '\r' <"$OUT/$kver.log" | grep -a '^RESULT kernel-')
		# A guest cut short by KM_TIMEOUT ran only part of its runs: a failure, not a pass.
		if ! tr -d '\r' <"$OUT/$kver.log" | grep -aq '^init: done'; then
			echo "  $name: the guest did not finish within KM_TIMEOUT=${KM_TIMEOUT}s"
			f=$((f + 1))
		fi
		if [ "$n" = 0 ]; then
			f=$((f > 0 ? f : 1))
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
