#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# deps.sh - install datatrail's build and test dependencies from Debian packages (idempotent, quiet when present),
# the arm64 cross-build's included (gcc-aarch64-linux-gnu, the :arm64 -dev packages, qemu-system-aarch64).
set -eu

pkgs="make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libcjson-dev librdkafka-dev liburing-dev
pkg-config python3 python3-venv iproute2 netcat-openbsd coreutils procps maven openssl kcat libssl-dev libclang-rt-14-dev valgrind
libmicrohttpd-dev libgnutls28-dev prometheus busybox-static buildah python3-yaml man-db systemd dpkg-dev curl
containerd runc qemu-system-x86 cpio xz-utils sshfs openssh-server e2fsprogs mount
gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64
libcjson-dev:arm64 librdkafka-dev:arm64 libssl-dev:arm64 libmicrohttpd-dev:arm64 libgnutls28-dev:arm64 liburing-dev:arm64"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run 'sudo make deps'" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# The :arm64 libraries (make ARCH=arm64) come from Debian's multiarch archive.
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
