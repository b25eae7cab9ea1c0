#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mkrootfs.sh - the DaemonSet image's base root file system, made locally (no registry):
# Debian's busybox-static (sh, rm, test, kill for the pod's command and probes), the shared
# libraries the agent links (as ldd finds them), CA certificates for Kafka over TLS and the
# few /etc files libc reads. Usage: mkrootfs.sh BINARY OUT.tar
set -eu

bin=$1
out=$2
[ -x /bin/busybox ] || { echo "mkrootfs: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/etc/datatrail" "$root/etc/ssl/certs" "$root/tmp" \
	"$root/usr/local/bin" "$root/var/lib/datatrail" "$root/var/log/datatrail" "$root/run/datatrail" \
	"$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# Libraries at the paths the dynamic linker was found to use, the loader included.
ldd "$bin" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
mkdir -p "$(dirname "$out")"
# Reproducible: fixed owner, time and order.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf "$out" .
