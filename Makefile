# SPDX-License-Identifier: GPL-2.0
# Makefile - builds the BPF programs, links them into one object and skeleton, and the agent.

ARCH ?= x86
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
# ARCH=arm64 cross-builds into build-arm64/ with Debian's cross gcc against the multiarch
# (:arm64) libraries that `make deps` installs; the BPF objects get vmlinux/arm64/vmlinux.h.
ifeq ($(ARCH),arm64)
CROSS_COMPILE ?= aarch64-linux-gnu-
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif
BUILD ?= build-arm64
else
BUILD ?= build
endif
VERSION := 0.1.0

# SAN=1 builds user space with AddressSanitizer and UndefinedBehaviorSanitizer.
SANITIZERS := address,undefined
SANFLAGS := $(if $(SAN),-fsanitize=$(SANITIZERS) -fno-sanitize-recover=all -fno-omit-frame-pointer)
CFLAGS ?= -g -O2
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -DDT_VERSION='"$(VERSION)"' \
	  -Iinclude -Iuser -I$(BUILD) $(SANFLAGS)
LDLIBS := -lbpf -lelf -lz -lcjson -lcrypto -lrdkafka -lmicrohttpd -lgnutls -lpthread
LDFLAGS += $(SANFLAGS)
BPF_CFLAGS := -g -O2 -Wall -Werror -mcpu=v3 -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -Iinclude -Ivmlinux/$(ARCH) -Ibpf

# maps.bpf.c first: libbpf's linker resolves the others' extern maps against it.
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
# The same programs for kernels before 6.2 (no bpf_rdonly_cast): see DT_KLOAD in bpf/common.bpf.h.
BPF_COMPAT_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf-compat/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.bpf.h) include/datatrail_abi.h
USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
USER_HDRS := $(wildcard user/*.h) include/datatrail_abi.h
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
PROG_SRCS := $(wildcard tests/progs/*.c)
# int $0x80 from a 64-bit program: x86-64 only (arm64 has no ia32 system calls).
ifeq ($(ARCH),arm64)
PROG_SRCS := $(filter-out tests/progs/ia32_io.c,$(PROG_SRCS))
endif
PROG_BINS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(PROG_SRCS))

.PHONY: all deps venv run test unit clean vmlinux kernel-matrix
.DELETE_ON_ERROR:

all: $(BUILD)/datatrail $(UNIT_BINS) $(PROG_BINS)

deps:
	@./tools/deps.sh

# The benign corpus's Python packages (tests/corpus/requirements.txt), installed once into
# /var/cache/datatrail/corpus-venv (DATATRAIL_VENV); quiet when present.
venv: deps
	@./tools/venv.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# One object for all hook families, so that they share maps and one skeleton.
$(BUILD)/datatrail.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/datatrail.skel.h: $(BUILD)/datatrail.bpf.o
	$(BPFTOOL) gen skeleton $< name datatrail_bpf > $@

$(BUILD)/bpf-compat/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)/bpf-compat
	$(CLANG) $(BPF_CFLAGS) -DDT_COMPAT -c $< -o $@

$(BUILD)/datatrail-compat.bpf.o: $(BPF_COMPAT_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/datatrail_compat.skel.h: $(BUILD)/datatrail-compat.bpf.o
	$(BPFTOOL) gen skeleton $< name datatrail_compat_bpf > $@

$(BUILD)/obj/%.o: user/%.c $(USER_HDRS) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/agent.o $(BUILD)/obj/agent_bpf.o: $(BUILD)/datatrail.skel.h
$(BUILD)/obj/hooks.o: $(BUILD)/datatrail.skel.h $(BUILD)/datatrail_compat.skel.h

$(BUILD)/libdatatrail.a: $(USER_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/datatrail: $(BUILD)/obj/main.o $(BUILD)/libdatatrail.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c tests/test.h $(BUILD)/libdatatrail.a $(USER_HDRS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests -DDT_BUILD_DIR='"$(BUILD)"' $< $(BUILD)/libdatatrail.a \
		$(LDFLAGS) $(LDLIBS) -o $@

# Workloads for the integration tests. Never sanitized (SAN=1 is for the agent): they stand
# in for users' programs, and LeakSanitizer's tracer, a forked child sharing the workload's
# memory, would itself be a tainted holder of its shared mappings.
$(BUILD)/tests/progs/%: tests/progs/%.c | $(BUILD)/tests/progs
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) $< $(filter-out $(SANFLAGS),$(LDFLAGS)) -luring -o $@

$(BUILD)/bpf $(BUILD)/bpf-compat $(BUILD)/obj $(BUILD)/tests $(BUILD)/tests/progs:
	@mkdir -p $@

# The agent on the bundled example inventory, JSON lines on stdout.
run: deps all
	$(BUILD)/datatrail run --inventory examples/inventory.json

# Unit tests (no root needed) and integration tests (root, real BPF, real programs).
test: deps all venv
	@BUILD=$(BUILD) ./tests/run.sh

# tests/kernel/smoke.sh on pinned Debian kernels under qemu (TCG); KM_KERNELS="6.1" picks some.
# The arm64 guests (KM_KERNELS naming a *-arm64 kernel, or none named) need the ARCH=arm64 build.
BUILD_ARM64 ?= build-arm64
kernel-matrix: deps all
	$(if $(if $(KM_KERNELS),$(filter %-arm64,$(KM_KERNELS)),all),\
		@$(MAKE) --no-print-directory ARCH=arm64 BUILD=$(BUILD_ARM64) all)
	@BUILD=$(BUILD) BUILD_ARM64=$(BUILD_ARM64) ./tools/kernel-matrix/kernel-matrix.sh $(KM_KERNELS)

unit: all
	@./tests/run.sh --unit-only

vmlinux:
	./tools/gen-vmlinux.sh $(ARCH)

clean:
	rm -rf $(BUILD)

# libFuzzer targets (clang): build/fuzz/fuzz_NAME from tests/fuzz/fuzz_NAME.c and the user/*.c
# files it needs; tests/fuzz/run-short.sh runs each one briefly.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -fno-omit-frame-pointer \
	       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Iuser
FUZZ_LDLIBS := -lcrypto -lz

.PHONY: fuzz
fuzz: $(FUZZ_BINS)

$(BUILD)/fuzz/fuzz_trace: tests/fuzz/fuzz_trace.c user/base.c user/trace_format.c user/trace_read.c user/trace_write.c user/outfile.c $(USER_HDRS) | $(BUILD)/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) $(FUZZ_LDLIBS) -o $@

$(BUILD)/fuzz/fuzz_inventory: tests/fuzz/fuzz_inventory.c user/inventory.c user/json.c user/json_load.c user/base.c user/log.c $(USER_HDRS) | $(BUILD)/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -lcjson -o $@

$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c user/config.c user/json.c user/json_load.c user/base.c user/devkind.c $(USER_HDRS) | $(BUILD)/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -lcjson -o $@

$(BUILD)/fuzz:
	@mkdir -p $@

# Benchmarks, not part of `make test`: overhead on real workloads (ABAB, agent off/on),
# pipeline capacity and inventory scale; BENCH_QUICK=1 for a smoke run. See bench/run.sh
# and docs/performance.md.
BENCH_WLS := $(addprefix $(BUILD)/bench/,wl_syscall wl_read wl_loader wl_tcp mkfiles)
BENCH_LIBS := $(addprefix $(BUILD)/bench/,pipeline_bench inv_bench fleet_bench)

.PHONY: bench
bench: $(BUILD)/datatrail $(BENCH_WLS) $(BENCH_LIBS) $(BUILD)/bench/hookbench \
	$(BUILD)/bench/hooks.bpf.o
	@BUILD=$(BUILD) ./bench/run.sh

$(BENCH_WLS): $(BUILD)/bench/%: bench/%.c bench/bench.h bench/files.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(LDFLAGS) -o $@

$(BENCH_LIBS): $(BUILD)/bench/%: bench/%.c bench/bench.h $(BUILD)/libdatatrail.a $(USER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(BUILD)/libdatatrail.a $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/bench/hookbench: bench/hookbench.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< $(LDFLAGS) -lbpf -o $@

$(BUILD)/bench/hooks.bpf.o: bench/hooks.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Installation: the binary, datatrail(8), the systemd unit (pointing at the installed binary),
# the example inventory and config (in /etc/datatrail only where none is there yet) and the
# alert rules. `make install PREFIX=/usr DESTDIR=/tmp/stage` stages a package's files.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/datatrail
UNITDIR ?= $(PREFIX)/lib/systemd/system
# /etc whatever the prefix: the unit reads its inventory and config there.
SYSCONFDIR ?= /etc
INSTALL ?= install

.PHONY: install deb image-rootfs image
install: $(BUILD)/datatrail
	$(INSTALL) -D -m 0755 $(BUILD)/datatrail $(DESTDIR)$(BINDIR)/datatrail
	$(INSTALL) -D -m 0644 docs/datatrail.8 $(DESTDIR)$(MANDIR)/man8/datatrail.8
	$(INSTALL) -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/datatrail|$(BINDIR)/datatrail|g' deploy/datatrail.service \
		>$(DESTDIR)$(UNITDIR)/datatrail.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/datatrail.service
	$(INSTALL) -D -m 0644 examples/inventory.json $(DESTDIR)$(DATADIR)/examples/inventory.json
	$(INSTALL) -D -m 0600 examples/config.json $(DESTDIR)$(DATADIR)/examples/config.json
	$(INSTALL) -D -m 0644 deploy/prometheus/datatrail-rules.yml \
		$(DESTDIR)$(DATADIR)/prometheus/datatrail-rules.yml
	$(INSTALL) -d -m 0755 $(DESTDIR)$(PREFIX)/share/doc/datatrail
	$(INSTALL) -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/datatrail/
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/datatrail
	[ -e $(DESTDIR)$(SYSCONFDIR)/datatrail/inventory.json ] || \
		$(INSTALL) -m 0644 examples/inventory.json $(DESTDIR)$(SYSCONFDIR)/datatrail/
	[ -e $(DESTDIR)$(SYSCONFDIR)/datatrail/config.json ] || \
		$(INSTALL) -m 0600 examples/config.json $(DESTDIR)$(SYSCONFDIR)/datatrail/

# A Debian package built with dpkg-deb alone (no debhelper): build/datatrail_VERSION_ARCH.deb.
ifeq ($(ARCH),arm64)
DEB_ARCH := arm64
STRIP := $(CROSS_COMPILE)strip
else
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
STRIP ?= strip
endif
DEB := $(BUILD)/datatrail_$(VERSION)_$(DEB_ARCH).deb
deb: $(DEB)
$(DEB): $(BUILD)/datatrail docs/datatrail.8 deploy/datatrail.service examples/inventory.json \
	examples/config.json deploy/prometheus/datatrail-rules.yml $(wildcard deploy/debian/*)
	rm -rf $(BUILD)/deb $(BUILD)/shlibs
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(BUILD))/deb PREFIX=/usr
	$(STRIP) --strip-unneeded $(BUILD)/deb/usr/bin/datatrail
	gzip -9n $(BUILD)/deb/usr/share/man/man8/datatrail.8
	$(INSTALL) -d -m 0755 $(BUILD)/deb/DEBIAN $(BUILD)/shlibs/debian
	printf 'Source: datatrail\n\nPackage: datatrail\nArchitecture: any\n' \
		>$(BUILD)/shlibs/debian/control
	# Depends: the packages of the shared libraries the binary links, at the versions whose
	# symbols it uses (dpkg-shlibdeps, as debhelper would do).
	deps=$$(cd $(BUILD)/shlibs && DEB_HOST_ARCH=$(DEB_ARCH) dpkg-shlibdeps -O $(abspath $(BUILD))/deb/usr/bin/datatrail \
		2>/dev/null | sed -n 's/^shlibs:Depends=//p'); \
	[ -n "$$deps" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }; \
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' -e "s|@DEPENDS@|$$deps|" \
	    -e "s/@SIZE@/$$(du -sk $(BUILD)/deb | cut -f1)/" deploy/debian/control \
		>$(BUILD)/deb/DEBIAN/control
	$(INSTALL) -m 0644 deploy/debian/conffiles $(BUILD)/deb/DEBIAN/conffiles
	$(INSTALL) -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm \
		$(BUILD)/deb/DEBIAN/
	dpkg-deb --root-owner-group -Zxz --build $(BUILD)/deb $@

# The DaemonSet image (Dockerfile) is built FROM scratch on a root file system made here
# from Debian's busybox-static and the agent's shared libraries: no registry is needed.
image-rootfs: $(BUILD)/image/rootfs.tar
$(BUILD)/image/rootfs.tar: $(BUILD)/datatrail tools/mkrootfs.sh
	./tools/mkrootfs.sh $(BUILD)/datatrail $@

IMAGE ?= datatrail:$(VERSION)
image: $(BUILD)/image/rootfs.tar
	buildah bud --isolation chroot -f Dockerfile -t $(IMAGE) .
