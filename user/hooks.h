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
 * Turns off autoload for the programs the kernel cannot load (hooks it lacks, older argument
 * lists of a tracepoint that has a variant for them) and writes what the kernel lacks and what
 * is therefore not seen into @lost, one line each ("" when nothing). Returns 0, or -errno when the kernel has no BTF.
 */
int hooks_select(struct datatrail_bpf *skel, char *lost, size_t len);

/* The number of arguments BTF-enabled tracepoint @tp passes, or -ENOENT when it has none. */
struct btf;
int hooks_tp_nargs(const struct btf *vmlinux, const char *tp);

#endif /* DT_HOOKS_H */
