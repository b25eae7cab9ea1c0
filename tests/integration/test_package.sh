#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_package.sh - make install, the .deb installed into a clean root and its unit's ExecStart
# run there as systemd would, the DaemonSet image built without a registry and its command
# and probes run from the image's root file system.
set -u
. "$(dirname "$0")/../lib/lib.sh"
need_root package
mount_kernel_fs

T=$(mktemp -d /var/tmp/dt-pkg.XXXXXX)
MOUNTS=""
BUILDAH="buildah --root $T/storage --runroot $T/runroot --storage-driver vfs"
cleanup() {
	local m
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	for m in $MOUNTS; do umount -R -l "$m" 2>/dev/null; done
	if [ -n "${CTR:-}" ]; then
		$BUILDAH umount "$CTR" >/dev/null 2>&1
		$BUILDAH rm "$CTR" >/dev/null 2>&1
		$BUILDAH rmi -f "$IMAGE" >/dev/null 2>&1
	fi
	lib_cleanup
	# --one-file-system: never into a bind mount that outlived its umount.
	[ -n "${DT_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf --one-file-system "$T"
}
trap cleanup EXIT

# The kernel interfaces a root needs to run the agent: /proc, /sys (bpffs, tracefs, BTF), /dev.
bind_kernel() { # root
	mkdir -p "$1/proc" "$1/sys" "$1/dev"
	mount -t proc proc "$1/proc" && MOUNTS="$MOUNTS $1/proc"
	mount --rbind /sys "$1/sys" && mount --make-rslave "$1/sys" && MOUNTS="$MOUNTS $1/sys"
	mount --rbind /dev "$1/dev" && mount --make-rslave "$1/dev" && MOUNTS="$MOUNTS $1/dev"
}

unbind_kernel() { # root
	umount -R "$1/proc" "$1/sys" "$1/dev"
}

# A dataset in the root, and an inventory and config (no Kafka) that name it.
setup_dataset() { # root inventory-path config-path metrics-addr
	mkdir -p "$1/data/ds"
	head -c 1234 /dev/urandom >"$1/data/ds/a.bin"
	echo '{"datasets": [{"id": "pkg", "classification": "restricted", "paths": ["/data/ds"]}]}' \
		>"$1$2"
	chmod 644 "$1$2"
	echo "{\"metrics\": {\"listen\": \"$4\"}}" >"$1$3"
	chmod 600 "$1$3"
}

# READY=1 and the first WATCHDOG=1 on a socket in the root, as systemd would listen.
notify_listen() { # socket-path
	$PY -c "
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind('$1'); s.settimeout(30)
print(' '.join(s.recv(64).decode() for _ in range(2)))
" >"$1.out" &
	NOTIFY_PID=$!
	for i in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	return 1
}

# Polls (10 s) until a metrics line is served; prints 1 when it was.
wait_metric() { # line [nsenter-pid]
	local i
	for i in $(seq 100); do
		${2:+nsenter -t "$2" -n} curl -s --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
			grep -qxF "$1" && { echo 1; return; }
		sleep 0.1
	done
	echo 0
}

# Polls (10 s) for the events of the one read of a.bin in a file; prints their byte sum.
wait_bytes() { # events-file
	local i v=0
	for i in $(seq 100); do
		[ -s "$1" ] && v=$($EVQ "$1" sum unmapped.bytes --where file.path=/data/ds/a.bin 2>/dev/null)
		[ "$v" = 1234 ] && break
		sleep 0.1
	done
	echo "$v"
}

# --- make install ------------------------------------------------------------------------
make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$T/stage" PREFIX=/usr >"$T/install.log" 2>&1
INSTALL_RC=$?
INSTALLED=$(cd "$T/stage" && find . -type f | sort | tr '\n' ' ')
UNIT_EXEC=$(grep -c '^ExecStart=/usr/bin/datatrail run' "$T/stage/usr/lib/systemd/system/datatrail.service")
MAN_MISSING=""
for opt in $("$DATATRAIL" help | grep -o -- '--[a-z][a-z-]*' | sort -u) $("$DATATRAIL" trace cat --help \
	| grep -o -- '--[a-z][a-z-]*') $("$DATATRAIL" replay --help | grep -o -- '--[a-z][a-z-]*'); do
	MANWIDTH=200 man -l "$T/stage/usr/share/man/man8/datatrail.8" 2>/dev/null | grep -q -- "$opt" ||
		MAN_MISSING="$MAN_MISSING $opt"
done
for cmd in run "inventory check" "trace verify" "trace cat" replay status cleanup version help; do
	MANWIDTH=200 man -l "$T/stage/usr/share/man/man8/datatrail.8" 2>/dev/null | grep -q "^   $cmd" ||
		MAN_MISSING="$MAN_MISSING '$cmd'"
done
MAN_WARN=$(MANWIDTH=80 man --warnings -l "$T/stage/usr/share/man/man8/datatrail.8" 2>&1 >/dev/null)

# --- make deb, installed into a clean root -----------------------------------------------
VERSION=$("$DATATRAIL" version | awk '{print $2}')
DEB=$BUILD/datatrail_${VERSION}_$(dpkg --print-architecture).deb
make -s -C "$TOP" BUILD="$BUILD" deb >"$T/deb.log" 2>&1
DEB_RC=$?
[ "${DEB#/}" = "$DEB" ] && DEB=$TOP/$DEB
DEB_PKG=$(dpkg-deb --show --showformat='${Package} ${Version}' "$DEB")
DEB_DEPENDS=$(dpkg-deb -f "$DEB" Depends)
# The dependencies resolve against this Debian release's archive (simulated install).
DEB_DEPS_OK=$(apt-get install -s "$DEB" 2>&1 | grep -c '^Conf datatrail ')
# The root: busybox and the agent's libraries (the image's base), a dpkg database, and the
# systemd units the service's unit refers to (for systemd-analyze verify --root).
R=$T/root
mkdir -p "$R"
"$TOP/tools/mkrootfs.sh" "$DATATRAIL" "$T/rootfs.tar" && tar -C "$R" -xf "$T/rootfs.tar"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/usr/lib/systemd/system"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
cp -P /lib/systemd/system/*.target /lib/systemd/system/*.slice "$R/usr/lib/systemd/system/"
# Dependencies are there as files, not as packages: hence --force-depends.
dpkg --root="$R" --force-depends -i "$DEB" >"$T/dpkg.log" 2>&1
DPKG_RC=$?
DPKG_STATUS=$(dpkg --root="$R" -s datatrail 2>/dev/null | sed -n 's/^Status: //p')
VERIFY_OUT=$(systemd-analyze verify --root="$R" --man=no datatrail.service 2>&1)
VERIFY_RC=$?

# ExecStart of the installed unit, run in the root with what systemd gives a Type=notify
# service with WatchdogSec=: NOTIFY_SOCKET, WATCHDOG_USEC, and its directories.
METRICS_PORT=$((20000 + ($$ * 13) % 20000))
setup_dataset "$R" /etc/datatrail/inventory.json /etc/datatrail/config.json "127.0.0.1:$METRICS_PORT"
EXEC=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$R/usr/lib/systemd/system/datatrail.service" |
	sed 's/^ExecStart=//; s/\\$//' | tr -d '\n')
mkdir -p "$R/var/lib/datatrail" "$R/var/log/datatrail" "$R/run/datatrail"
bind_kernel "$R"
notify_listen "$R/run/notify.sock" || exit 1
# shellcheck disable=SC2086
NOTIFY_SOCKET=/run/notify.sock WATCHDOG_USEC=2000000 chroot "$R" $EXEC \
	--pin-dir "/sys/fs/bpf/dt-test-$$-pkg" 2>"$T/deb-agent.err" &
AGENT_PID=$!
wait $NOTIFY_PID
DEB_NOTIFY=$(cat "$R/run/notify.sock.out")
chroot "$R" /bin/cat /data/ds/a.bin >/dev/null
DEB_BYTES=$(wait_bytes "$R/var/log/datatrail/events.jsonl")
chroot "$R" /usr/bin/datatrail status >/dev/null 2>&1
DEB_STATUS_RC=$?
DEB_METRIC=$(wait_metric 'datatrail_events_total{class="file_system_activity",activity="read"} 1')
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
DEB_AGENT_RC=$?
AGENT_PID=""
"$DATATRAIL" cleanup --pin-dir "/sys/fs/bpf/dt-test-$$-pkg" 2>/dev/null
unbind_kernel "$R"

# --- the DaemonSet image, built FROM scratch on a local base -------------------------------
IMAGE=localhost/datatrail-test-$$:latest
make -s -C "$TOP" BUILD="$BUILD" image-rootfs >"$T/image.log" 2>&1
# shellcheck disable=SC2086
(cd "$TOP" && $BUILDAH bud --isolation chroot -f Dockerfile -t "$IMAGE" . >>"$T/image.log" 2>&1)
IMAGE_RC=$?
CTR=$($BUILDAH from "$IMAGE" 2>>"$T/image.log")
IR=$($BUILDAH mount "$CTR" 2>>"$T/image.log")
IMAGE_FILES=""
for f in usr/local/bin/datatrail bin/sh bin/rm bin/test etc/datatrail/inventory.json; do
	[ -e "$IR/$f" ] && IMAGE_FILES="$IMAGE_FILES $f"
done
ENTRYPOINT=$($BUILDAH inspect --format '{{.OCIv1.Config.Entrypoint}}' "$IMAGE" 2>/dev/null)
# The container as the DaemonSet declares it: its command, then its probes, in its own
# network namespace (a pod's), with the ConfigMap's files at their mount point.
DS=$TOP/deploy/kubernetes/daemonset.yaml
ds_field() { # python expression on the container c
	$PY -c "
import shlex, yaml
ds = [d for d in yaml.safe_load_all(open('$DS')) if d and d['kind'] == 'DaemonSet'][0]
c = ds['spec']['template']['spec']['containers'][0]
print($1)"
}
DS_SCRIPT=$(ds_field "c['command'][2]")
READY_PROBE=$(ds_field "shlex.join(c['readinessProbe']['exec']['command'])")
LIVE_PROBE=$(ds_field "shlex.join(c['livenessProbe']['exec']['command'])")
mkdir -p "$IR/etc/datatrail/config" "$IR/var/lib/datatrail" "$IR/var/log/datatrail" "$IR/run/datatrail"
setup_dataset "$IR" /etc/datatrail/config/inventory.json /etc/datatrail/config/config.json "127.0.0.1:1"
bind_kernel "$IR"
unshare --net sh -c "ip link set lo up && exec chroot '$IR' /bin/sh -c '$DS_SCRIPT --pin-dir /sys/fs/bpf/dt-test-$$-img'" \
	2>"$T/img-agent.err" &
AGENT_PID=$!
for i in $(seq 300); do
	# shellcheck disable=SC2086
	chroot "$IR" $READY_PROBE && break
	sleep 0.1
done
# shellcheck disable=SC2086
chroot "$IR" $READY_PROBE
IMG_READY_RC=$?
chroot "$IR" /bin/cat /data/ds/a.bin >/dev/null
IMG_BYTES=$(wait_bytes "$IR/var/log/datatrail/events.jsonl")
# shellcheck disable=SC2086
chroot "$IR" $LIVE_PROBE >/dev/null 2>&1
IMG_LIVE_RC=$?
# The pod's metrics port, from inside its network namespace.
AGENT_CHILD=$(pgrep -P "$AGENT_PID" | head -1)
METRICS_PORT=9464
IMG_METRIC=$(wait_metric 'datatrail_inventory_datasets 1' "${AGENT_CHILD:-$AGENT_PID}")
kill -STOP "${AGENT_CHILD:-$AGENT_PID}"
for i in $(seq 100); do
	# shellcheck disable=SC2086
	chroot "$IR" $LIVE_PROBE >/dev/null 2>&1 || break
	sleep 0.1
done
# shellcheck disable=SC2086
chroot "$IR" $LIVE_PROBE >/dev/null 2>&1
IMG_STALE_RC=$?
kill -CONT "${AGENT_CHILD:-$AGENT_PID}"
kill -TERM "${AGENT_CHILD:-$AGENT_PID}"
wait "$AGENT_PID"
IMG_AGENT_RC=$?
AGENT_PID=""
"$DATATRAIL" cleanup --pin-dir "/sys/fs/bpf/dt-test-$$-img" 2>/dev/null
unbind_kernel "$IR"

test_make_install() {
	ASSERT_EQ "$INSTALL_RC" 0 "make install: $(tail -3 "$T/install.log")"
	ASSERT_EQ "$INSTALLED" "./etc/datatrail/config.json ./etc/datatrail/inventory.json ./usr/bin/datatrail ./usr/lib/systemd/system/datatrail.service ./usr/share/datatrail/examples/config.json ./usr/share/datatrail/examples/inventory.json ./usr/share/datatrail/prometheus/datatrail-rules.yml ./usr/share/doc/datatrail/README.md ./usr/share/doc/datatrail/architecture.md ./usr/share/doc/datatrail/config.md ./usr/share/doc/datatrail/findings.md ./usr/share/doc/datatrail/forensics.md ./usr/share/doc/datatrail/gpu.md ./usr/share/doc/datatrail/identity.md ./usr/share/doc/datatrail/operations.md ./usr/share/doc/datatrail/performance.md ./usr/share/doc/datatrail/siem.md ./usr/share/man/man8/datatrail.8 " \
		"installed files"
	ASSERT_EQ "$UNIT_EXEC" 1 "the unit runs the installed binary"
}

test_man_page_complete() {
	ASSERT_EQ "$MAN_MISSING" "" "options and commands missing from datatrail(8)"
	ASSERT_EQ "$MAN_WARN" "" "man --warnings"
}

test_deb_builds() {
	ASSERT_EQ "$DEB_RC" 0 "make deb: $(tail -3 "$T/deb.log")"
	ASSERT_EQ "$DEB_PKG" "datatrail $VERSION" "package and version"
	ASSERT_EQ "$DEB_DEPS_OK" 1 "dependencies resolve (apt-get install -s)"
	# From dpkg-shlibdeps: the libraries the binary links, with versions.
	ASSERT_HAS "$DEB_DEPENDS" "libmicrohttpd12 (>= " "Depends"
	ASSERT_HAS "$DEB_DEPENDS" "libbpf1 (>= " "Depends"
	ASSERT_HAS "$DEB_DEPENDS" "librdkafka1 (>= " "Depends"
}

test_deb_installs_in_clean_root() {
	ASSERT_EQ "$DPKG_RC" 0 "dpkg -i: $(tail -3 "$T/dpkg.log")"
	ASSERT_EQ "$DPKG_STATUS" "install ok installed" "package status"
	ASSERT_EQ "$VERIFY_RC" 0 "systemd-analyze verify"
	ASSERT_EQ "$VERIFY_OUT" "" "systemd-analyze verify says nothing"
}

test_deb_unit_runs_agent() {
	ASSERT_EQ "$DEB_NOTIFY" "READY=1 WATCHDOG=1" "notifications"
	ASSERT_EQ "$DEB_BYTES" 1234 "bytes of the read seen by the packaged agent"
	ASSERT_EQ "$DEB_STATUS_RC" 0 "datatrail status in the root"
	ASSERT_EQ "$DEB_METRIC" 1 "metrics from the packaged config"
	ASSERT_EQ "$DEB_AGENT_RC" 0 "agent exit status after SIGTERM"
}

test_image_builds() {
	ASSERT_EQ "$IMAGE_RC" 0 "buildah bud: $(tail -3 "$T/image.log")"
	ASSERT_EQ "$IMAGE_FILES" " usr/local/bin/datatrail bin/sh bin/rm bin/test etc/datatrail/inventory.json" \
		"files in the image"
	ASSERT_EQ "$ENTRYPOINT" "[/usr/local/bin/datatrail]" "entrypoint"
}

test_image_runs_daemonset_command_and_probes() {
	ASSERT_EQ "$IMG_READY_RC" 0 "readiness probe"
	ASSERT_EQ "$IMG_BYTES" 1234 "bytes of the read seen from the image"
	ASSERT_EQ "$IMG_LIVE_RC" 0 "liveness probe while running"
	ASSERT_EQ "$IMG_METRIC" 1 "metrics on the pod's port 9464"
	ASSERT_EQ "$IMG_STALE_RC" 1 "liveness probe fails on a stopped agent"
	ASSERT_EQ "$IMG_AGENT_RC" 0 "agent exit status after SIGTERM"
}

run_tests package
