/* SPDX-License-Identifier: GPL-2.0 */
/* hooks.h - which of the BPF programs the running kernel can take, decided from its BTF. */
#ifndef DT_HOOKS_H
#define DT_HOOKS_H

#include <stddef.h>

struct datatrail_bpf;

/*
 * Opens the BPF object the kernel can load: the one that reads kernel objects with plain
 * loads, or before Linux 6.2 (no bpf_rdonly_cast) the same programs built to read them with
 * helper calls: then *@compat says why, else it is NULL. NULL with errno set on failure.
 */
struct datatrail_bpf *hooks_open(const char **compat);

/*
 * --hooks: the syscall hooks' backend (fentry/fexit on the syscall functions, or syscall
 * tracepoints), and which hooks see path-based changes to dataset files (rename, unlink,
 * chmod, truncate).
 */
enum hooks_mode {
	HOOKS_AUTO = 0,	      /* fentry where the kernel allows it, else tracepoints; path
			       * changes by the ctime tracepoints (6.13+), else fentry */
	HOOKS_FENTRY = 1,     /* fentry for syscalls and path changes, or refuse to start */
	HOOKS_TRACEPOINT = 2, /* tracepoints only: before 6.13 path changes are not seen */
};

/* The backend the syscall hooks run on, and why (hooks_select()). */
struct hooks_backend {
	const char *name; /* "fentry" or "tracepoint" */
	char why[128];	  /* "fentry refused: Operation not permitted", say */
	/* With fentry: the syscall tracepoints kept for functions the kernel's BTF lacks. */
	char kept_tracepoints[256];
	/* What follows ia32 system calls (bpf/ia32.bpf.c), or why nothing does. */
	char ia32[160];
};

/* "auto", "fentry" or "tracepoint" to @mode; -EINVAL for anything else. */
int hooks_mode_parse(const char *s, enum hooks_mode *mode);
const char *hooks_mode_name(enum hooks_mode mode);

/*
 * Turns off autoload for the programs the kernel cannot load (hooks it lacks, older argument
 * lists of a tracepoint that has a variant for them, the syscall hooks' other backend), fills
 * @be, and writes what the kernel lacks and what is therefore not seen into @lost, one line
 * each ("" when nothing). Returns 0; -errno when the kernel has no BTF; for HOOKS_FENTRY on a
 * kernel that refuses fentry, the refusal (-EPERM, say; -ENOENT: no syscall functions in its
 * BTF; -EOPNOTSUPP: fentry on the VFS calls refused), @be->why saying which.
 */
int hooks_select(struct datatrail_bpf *skel, enum hooks_mode mode, struct hooks_backend *be,
		 char *lost, size_t len);

/* The number of arguments BTF-enabled tracepoint @tp passes, or -ENOENT when it has none. */
struct btf;
int hooks_tp_nargs(const struct btf *vmlinux, const char *tp);

#endif /* DT_HOOKS_H */
