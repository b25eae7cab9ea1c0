// SPDX-License-Identifier: GPL-2.0
/* hooks.c - which of the BPF programs the running kernel can take, decided from its BTF. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "datatrail_abi.h"
/* The skeleton needs the ABI types first. */
#include "datatrail.skel.h"
#include "datatrail_compat.skel.h"
#include "hooks.h"

/* The compat object is opened through the main skeleton: their global data must match. */
_Static_assert(sizeof(struct datatrail_bpf__rodata) == sizeof(struct datatrail_compat_bpf__rodata),
	       "rodata of the two builds");
_Static_assert(sizeof(struct datatrail_bpf__bss) == sizeof(struct datatrail_compat_bpf__bss),
	       "bss of the two builds");
_Static_assert(offsetof(struct datatrail_bpf__bss, dt_walk_gen) ==
		       offsetof(struct datatrail_compat_bpf__bss, dt_walk_gen),
	       "bss layout of the two builds");

int hooks_tp_nargs(const struct btf *vmlinux, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -ENOENT;
	/* typedef void (*btf_trace_X)(void *__data, args...) */
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = btf__type_by_id(vmlinux, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -EINVAL;
	return btf_vlen(t) - 1;
}

/*
 * Why the compat build is needed, or NULL: bpf_rdonly_cast() came with Linux 6.2.
 * DATATRAIL_BPF_COMPAT=1 forces it (tests run it on new kernels), =0 forbids it.
 */
static const char *need_compat(void)
{
	const char *force = getenv("DATATRAIL_BPF_COMPAT");
	struct btf *vmlinux;
	bool have;

	if (force && *force)
		return strcmp(force, "0") ? "DATATRAIL_BPF_COMPAT is set" : NULL;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return NULL;
	have = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return have ? NULL : "kernel has no bpf_rdonly_cast (< 6.2)";
}

struct datatrail_bpf *hooks_open(const char **compat)
{
	struct datatrail_bpf *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	err = datatrail_bpf__create_skeleton(obj);
	if (err)
		goto out_obj;
	*compat = need_compat();
	if (*compat)
		obj->skeleton->data = datatrail_compat_bpf__elf_bytes(&obj->skeleton->data_sz);
	err = bpf_object__open_skeleton(obj->skeleton, NULL);
	if (err)
		goto out_obj;
	return obj;

out_obj:
	datatrail_bpf__destroy(obj);
	errno = -err;
	return NULL;
}

static void add_lost(char *lost, size_t len, const char *what)
{
	size_t n = strlen(lost);

	snprintf(lost + n, len - n, "%s%s", n ? "\n" : "", what);
}

/*
 * One program per argument list a tracepoint has had; the one matching the kernel loads.
 * @progs[i] is for @nargs[i] arguments; none matching turns all off and records @what.
 */
static void pick_variant(const struct btf *vmlinux, const char *tp, struct bpf_program **progs,
			 const int *nargs, int n, const char *what, char *lost, size_t len)
{
	int have = hooks_tp_nargs(vmlinux, tp), i, found = 0;

	for (i = 0; i < n; i++) {
		bpf_program__set_autoload(progs[i], have == nargs[i] && !found);
		found |= have == nargs[i];
	}
	if (!found)
		add_lost(lost, len, what);
}

/*
 * Whether the kernel lets a program run on entry to @func: a two-instruction fentry program,
 * loaded and attached for a moment. Some kernels refuse fentry (no direct-call trampolines,
 * a lockdown or an LSM policy), whatever their BTF says. 0, -ENOENT when @func is not in the
 * kernel's BTF, else the kernel's refusal.
 */
static int fentry_probe(const struct btf *vmlinux, const char *func)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC), fd, link, err = 0;

	if (id <= 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "dt_probe", "GPL", prog, 2, &opts);
	if (fd < 0)
		return -errno;
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(fd);
	return err;
}

static bool fentry_works(const struct btf *vmlinux, const char *func)
{
	return !fentry_probe(vmlinux, func);
}

/* The VFS calls standing in for the ctime tracepoints (tamper.bpf.c). */
static const char *const ctime_fentry_funcs[] = { "notify_change", "vfs_rename", "vfs_unlink",
						  "vfs_rmdir", "vfs_link" };

static bool ctime_fentry_works(const struct btf *vmlinux)
{
	size_t i;

	for (i = 1; i < sizeof(ctime_fentry_funcs) / sizeof(ctime_fentry_funcs[0]); i++)
		if (btf__find_by_name_kind(vmlinux, ctime_fentry_funcs[i], BTF_KIND_FUNC) <= 0)
			return false;
	return fentry_works(vmlinux, ctime_fentry_funcs[0]);
}

static const char *const mode_names[] = { "auto", "fentry", "tracepoint" };

int hooks_mode_parse(const char *s, enum hooks_mode *mode)
{
	int i;

	for (i = 0; i < (int)(sizeof(mode_names) / sizeof(mode_names[0])); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *hooks_mode_name(enum hooks_mode mode)
{
	return mode_names[mode];
}

/*
 * Marking at io_uring submission (io_uring.bpf.c): the tracepoint was io_uring_submit_sqe
 * (request, force_nonblock) before Linux 6.4.
 */
static void uring_submit_select(struct datatrail_bpf *skel, const struct btf *vmlinux,
				char *lost, size_t len)
{
	bool req = hooks_tp_nargs(vmlinux, "io_uring_submit_req") == 1;
	bool sqe = !req && hooks_tp_nargs(vmlinux, "io_uring_submit_sqe") == 2;

	bpf_program__set_autoload(skel->progs.dt_io_uring_submit, req);
	bpf_program__set_autoload(skel->progs.dt_io_uring_submit_sqe, sqe);
	if (!req && !sqe)
		add_lost(lost, len, "kernel has no io_uring submission tracepoint of known arguments: "
			 "what a tainted process writes or sends through io_uring is marked at its "
			 "completion only, and a reader quicker than that takes the bytes untainted");
}

/* The prefix of the functions syscalls enter through (bpf/syscall_nr.bpf.h DT_SYSCALL_FN). */
#if defined(__x86_64__)
#define SYSCALL_FN_PREFIX "__x64_sys_"
#elif defined(__aarch64__)
#define SYSCALL_FN_PREFIX "__arm64_sys_"
#else
#error "datatrail: unsupported architecture"
#endif

#define SC_TP "tracepoint/syscalls/sys_"

/*
 * The syscall the program in section @sec hooks with the fentry backend ("fentry/" or
 * "fexit/" SYSCALL_FN_PREFIX NAME), and the section of its tracepoint twin in @twin
 * (sys_enter_NAME or sys_exit_NAME). NULL for any other program.
 */
static const char *fentry_syscall(const char *sec, char *twin, size_t len)
{
	static const char *const kinds[][2] = { { "fentry/", "enter_" }, { "fexit/", "exit_" } };
	size_t i, n;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		n = strlen(kinds[i][0]);
		if (strncmp(sec, kinds[i][0], n) || strncmp(sec + n, SYSCALL_FN_PREFIX,
							  strlen(SYSCALL_FN_PREFIX)))
			continue;
		snprintf(twin, len, SC_TP "%s%s", kinds[i][1], sec + n + strlen(SYSCALL_FN_PREFIX));
		return sec + n;
	}
	return NULL;
}

/*
 * The syscall hooks' backend: each watched syscall has a tracepoint program and an fentry or
 * fexit twin on the function the syscall enters through (bpf/syscalls.bpf.c); exactly one of
 * each pair loads. A twin whose function the kernel's BTF lacks leaves its tracepoint on.
 */
static int pick_backend(struct datatrail_bpf *skel, const struct btf *vmlinux,
			enum hooks_mode mode, struct hooks_backend *be)
{
	struct bpf_program *p, *q;
	const char *func;
	char twin[128];
	bool fentry;
	int err = 0;
	size_t n;

	be->kept_tracepoints[0] = 0;
	if (mode == HOOKS_TRACEPOINT) {
		fentry = false;
		snprintf(be->why, sizeof(be->why), "--hooks tracepoint");
	} else {
		err = fentry_probe(vmlinux, SYSCALL_FN_PREFIX "read");
		fentry = !err;
		if (fentry)
			snprintf(be->why, sizeof(be->why), "%s: the kernel allows trampolines",
				 mode == HOOKS_FENTRY ? "--hooks fentry" : "auto");
		else if (err == -ENOENT)
			snprintf(be->why, sizeof(be->why),
				 "fentry not possible: no '" SYSCALL_FN_PREFIX "read' in the kernel's BTF");
		else
			snprintf(be->why, sizeof(be->why), "fentry refused: %s", strerror(-err));
	}
	be->name = fentry ? "fentry" : "tracepoint";
	if (mode == HOOKS_FENTRY && !fentry)
		return err ? err : -EOPNOTSUPP;
	bpf_object__for_each_program(p, skel->obj) {
		func = fentry_syscall(bpf_program__section_name(p), twin, sizeof(twin));
		if (!func)
			continue;
		if (!fentry) {
			bpf_program__set_autoload(p, false);
			continue;
		}
		if (btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) <= 0) {
			bpf_program__set_autoload(p, false);
			n = strlen(be->kept_tracepoints);
			snprintf(be->kept_tracepoints + n, sizeof(be->kept_tracepoints) - n, "%s%s",
				 n ? ", " : "", twin + strlen(SC_TP));
			continue;
		}
		bpf_object__for_each_program(q, skel->obj)
			if (!strcmp(bpf_program__section_name(q), twin))
				bpf_program__set_autoload(q, false);
	}
	return 0;
}

/*
 * Whether the kernel knows BPF helper @name (BPF_FUNC_...): its enum bpf_func_id in BTF. Read
 * from BTF rather than by loading a probe program, whose verifier log valgrind cannot see
 * the kernel fill.
 */
static bool kernel_has_helper(const struct btf *vmlinux, const char *name)
{
	int id = btf__find_by_name_kind(vmlinux, "bpf_func_id", BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id <= 0)
		return false;
	t = btf__type_by_id(vmlinux, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(vmlinux, e[i].name_off), name))
			return true;
	return false;
}

int hooks_select(struct datatrail_bpf *skel, enum hooks_mode mode, struct hooks_backend *be,
		 char *lost, size_t len)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct bpf_program *exitp[] = { skel->progs.dt_exit, skel->progs.dt_exit_v1 };
	struct bpf_program *uring[] = { skel->progs.dt_io_uring_complete,
					skel->progs.dt_io_uring_complete_v1 };
	static const int exit_nargs[] = { 2, 1 }, uring_nargs[] = { 3, 7 };
	bool ctime, fentry;
	int err;

	lost[0] = 0;
	be->name = NULL;
	be->why[0] = 0;
	if (!vmlinux)
		return -errno;
	err = pick_backend(skel, vmlinux, mode, be);
	if (err) {
		btf__free(vmlinux);
		return err;
	}
	pick_variant(vmlinux, "sched_process_exit", exitp, exit_nargs, 2,
		     "kernel has a sched_process_exit tracepoint of unknown arguments: exits are not "
		     "seen, exited processes' taint stays until the agent restarts",
		     lost, len);
	pick_variant(vmlinux, "io_uring_complete", uring, uring_nargs, 2,
		     "kernel has an io_uring_complete tracepoint of unknown arguments: reads through "
		     "io_uring are not counted, nor writes, sends, splices or tees", lost, len);
	uring_submit_select(skel, vmlinux, lost, len);
	/* chan.bpf.c finds a new shared mapping's file with bpf_find_vma() (Linux 5.17). */
	if (!kernel_has_helper(vmlinux, "BPF_FUNC_find_vma")) {
		bpf_program__set_autoload(skel->progs.dt_chan_exit_mmap, false);
		bpf_program__set_autoload(skel->progs.dt_chan_exit_shmat, false);
		bpf_program__set_autoload(skel->progs.dt_chan_fexit_mmap, false);
		bpf_program__set_autoload(skel->progs.dt_chan_fexit_shmat, false);
		bpf_program__set_autoload(skel->progs.dt_chan_enter_munmap, false);
		bpf_program__set_autoload(skel->progs.dt_chan_exit_munmap, false);
		bpf_program__set_autoload(skel->progs.dt_chan_fentry_munmap, false);
		bpf_program__set_autoload(skel->progs.dt_chan_fexit_munmap, false);
		bpf_program__set_autoload(skel->progs.dt_chan_enter_shmdt, false);
		bpf_program__set_autoload(skel->progs.dt_chan_exit_shmdt, false);
		bpf_program__set_autoload(skel->progs.dt_chan_fentry_shmdt, false);
		bpf_program__set_autoload(skel->progs.dt_chan_fexit_shmdt, false);
		add_lost(lost, len, "kernel has no bpf_find_vma (< 5.17): shared memory mappings "
			 "do not pass taint between the processes that map them");
	}
	/* Enforcement: what older kernels lack is lost there, the rest still enforces. */
	if (btf__find_by_name_kind(vmlinux, "bpf_sock_destroy", BTF_KIND_FUNC) <= 0) {
		bpf_program__set_autoload(skel->progs.dt_enf_reset_tcp, false);
		add_lost(lost, len, "kernel has no bpf_sock_destroy (< 6.5): TCP connections "
			 "enforcement stalled keep their queued bytes when the agent stops");
	}
	if (hooks_tp_nargs(vmlinux, "io_uring_submit_req") != 1) {
		bpf_program__set_autoload(skel->progs.dt_enf_uring_submit, false);
		add_lost(lost, len, "kernel has no io_uring_submit_req tracepoint (< 6.4): io_uring "
			 "sends on connections opened before the taint are not enforced");
	}
	/*
	 * The ctime tracepoints that reveal path-based changes (rename, unlink, chmod, truncate)
	 * came with Linux 6.13. Before, fentry on the VFS calls behind those changes stands in
	 * where the kernel allows it; else only writes are seen, at syscall exit.
	 */
	ctime = hooks_tp_nargs(vmlinux, "ctime_ns_xchg") > 0 && mode != HOOKS_FENTRY;
	fentry = !ctime && mode != HOOKS_TRACEPOINT && ctime_fentry_works(vmlinux);
	btf__free(vmlinux);
	if (mode == HOOKS_FENTRY && !fentry) {
		snprintf(be->why, sizeof(be->why), "fentry on 'notify_change' refused, or the VFS "
			 "functions missing from the kernel's BTF");
		return -EOPNOTSUPP;
	}
	bpf_program__set_autoload(skel->progs.dt_ctime_xchg, ctime);
	bpf_program__set_autoload(skel->progs.dt_ctime_skip, ctime);
	bpf_program__set_autoload(skel->progs.dt_ctime_set, ctime);
	bpf_program__set_autoload(skel->progs.dt_fentry_setattr, fentry);
	bpf_program__set_autoload(skel->progs.dt_fentry_rename, fentry);
	bpf_program__set_autoload(skel->progs.dt_fentry_unlink, fentry);
	bpf_program__set_autoload(skel->progs.dt_fentry_rmdir, fentry);
	bpf_program__set_autoload(skel->progs.dt_fentry_link, fentry);
	if (fentry)
		add_lost(lost, len, mode == HOOKS_FENTRY ?
			 "dataset changes are seen by fentry (--hooks fentry) on notify_change, "
			 "vfs_rename, vfs_unlink, vfs_rmdir and vfs_link; xattr changes, fallocate "
			 "and creations in dataset directories are not seen" :
			 "kernel has no ctime tracepoints (< 6.13): dataset changes are seen by "
			 "fentry on notify_change, vfs_rename, vfs_unlink, vfs_rmdir and vfs_link; "
			 "xattr changes, fallocate and creations in dataset directories are not seen");
	else if (!ctime)
		add_lost(lost, len, mode == HOOKS_TRACEPOINT ?
			 "kernel has no ctime tracepoints (< 6.13) and --hooks tracepoint: rename, "
			 "unlink, chmod and truncate of dataset files are not seen" :
			 "kernel has no ctime tracepoints (< 6.13) and refuses fentry: rename, "
			 "unlink, chmod and truncate of dataset files are not seen");
	return 0;
}
