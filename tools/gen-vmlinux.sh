#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# gen-vmlinux.sh - regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
set -eu
arch=${1:-x86}
btf=${BTF:-/sys/kernel/btf/vmlinux}
top=$(cd "$(dirname "$0")/.." && pwd)
[ -r "$btf" ] || { echo "gen-vmlinux: '$btf': no kernel BTF" >&2; exit 1; }
mkdir -p "$top/vmlinux/$arch"
bpftool btf dump file "$btf" format c >"$top/vmlinux/$arch/vmlinux.h.tmp"
mv "$top/vmlinux/$arch/vmlinux.h.tmp" "$top/vmlinux/$arch/vmlinux.h"
echo "gen-vmlinux: wrote vmlinux/$arch/vmlinux.h from '$btf' ($(uname -r))"
