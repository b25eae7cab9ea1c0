// SPDX-License-Identifier: GPL-2.0
/* test_hooks.c - every syscall hook has a tracepoint and an fentry twin, and exactly one of each pair loads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "datatrail_abi.h"
/* The skeleton needs the ABI types first. */
#include "datatrail.skel.h"
#include "hooks.h"
#include "test.h"

#define SC_TP "tracepoint/syscalls/sys_"

/* The program in section @sec of @obj, or NULL. */
static struct bpf_program *by_section(struct bpf_object *obj, const char *sec)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if (!strcmp(bpf_program__section_name(p), sec))
			return p;
	return NULL;
}

/* Every syscall tracepoint program's twin is in the object, and every twin's tracepoint. */
static void test_every_syscall_hook_has_a_twin(void)
{
	const char *compat, *sec;
	struct datatrail_bpf *skel = hooks_open(&compat);
	struct bpf_program *p;
	int tps = 0, twins = 0;
	char twin[160];

	if (!ASSERT_TRUE(skel, "open the object"))
		return;
	bpf_object__for_each_program(p, skel->obj) {
		sec = bpf_program__section_name(p);
		if (!strncmp(sec, SC_TP "exit_", strlen(SC_TP "exit_"))) {
			snprintf(twin, sizeof(twin), "fexit/__x64_sys_%s", sec + strlen(SC_TP "exit_"));
			tps++;
		} else if (!strncmp(sec, SC_TP "enter_", strlen(SC_TP "enter_"))) {
			snprintf(twin, sizeof(twin), "fentry/__x64_sys_%s", sec + strlen(SC_TP "enter_"));
			tps++;
		} else if (!strncmp(sec, "fexit/__x64_sys_", strlen("fexit/__x64_sys_"))) {
			snprintf(twin, sizeof(twin), SC_TP "exit_%s", sec + strlen("fexit/__x64_sys_"));
			twins++;
		} else if (!strncmp(sec, "fentry/__x64_sys_", strlen("fentry/__x64_sys_"))) {
			snprintf(twin, sizeof(twin), SC_TP "enter_%s", sec + strlen("fentry/__x64_sys_"));
			twins++;
		} else {
			continue;
		}
		if (!ASSERT_TRUE(by_section(skel->obj, twin), "twin in the object"))
			fprintf(stderr, "  '%s' has no '%s'\n", sec, twin);
	}
	/* 29 exits, 11 send entries, bpf, connect, ioctl, mmap (the bpf/ sources). */
	ASSERT_EQ(tps, 70, "syscall tracepoint programs");
	ASSERT_EQ(twins, 70, "fentry and fexit twins");
	datatrail_bpf__destroy(skel);
}

/*
 * After hooks_select(), exactly one program of each pair loads, from the family it names;
 * @mode HOOKS_TRACEPOINT always takes tracepoints, HOOKS_AUTO whatever this kernel allows.
 */
static void check_one_of_each(enum hooks_mode mode)
{
	const char *compat, *sec;
	struct datatrail_bpf *skel = hooks_open(&compat);
	struct hooks_backend be;
	struct bpf_program *p, *t;
	char lost[1024], twin[160];
	int err, fentry, n = 0;

	if (!ASSERT_TRUE(skel, "open the object"))
		return;
	err = hooks_select(skel, mode, &be, lost, sizeof(lost));
	if (!ASSERT_OK(err, "hooks_select") || !ASSERT_TRUE(be.name, "backend named")) {
		datatrail_bpf__destroy(skel);
		return;
	}
	if (mode == HOOKS_TRACEPOINT) {
		ASSERT_STREQ(be.name, "tracepoint", "backend");
		ASSERT_STREQ(be.why, "--hooks tracepoint", "why");
	} else if (!strcmp(be.name, "tracepoint")) {
		ASSERT_TRUE(!strncmp(be.why, "fentry refused: ", strlen("fentry refused: ")) ||
				    !strncmp(be.why, "fentry not possible: ",
					     strlen("fentry not possible: ")),
			    "why not fentry");
	} else {
		ASSERT_STREQ(be.name, "fentry", "backend");
		ASSERT_STREQ(be.why, "auto: the kernel allows trampolines", "why");
	}
	fentry = !strcmp(be.name, "fentry");
	bpf_object__for_each_program(p, skel->obj) {
		sec = bpf_program__section_name(p);
		if (strncmp(sec, "fexit/__x64_sys_", strlen("fexit/__x64_sys_")) &&
		    strncmp(sec, "fentry/__x64_sys_", strlen("fentry/__x64_sys_")))
			continue;
		snprintf(twin, sizeof(twin), SC_TP "%s_%s", !strncmp(sec, "fentry/", 7) ? "enter" : "exit",
			 strchr(sec, '/') + strlen("/__x64_sys_"));
		t = by_section(skel->obj, twin);
		if (!ASSERT_TRUE(t, "twin"))
			continue;
		n++;
		/* --enforce off is applied later (agent.c): here every pair has one to load. */
		if (!ASSERT_EQ(bpf_program__autoload(p) + bpf_program__autoload(t), 1,
			       "exactly one of the pair loads"))
			fprintf(stderr, "  '%s' and '%s'\n", sec, twin);
		if (!be.kept_tracepoints[0])
			ASSERT_EQ(bpf_program__autoload(p), fentry, "the backend's family loads");
	}
	ASSERT_EQ(n, 70, "pairs");
	datatrail_bpf__destroy(skel);
}

static void test_tracepoint_mode_loads_tracepoints(void)
{
	check_one_of_each(HOOKS_TRACEPOINT);
}

static void test_auto_mode_loads_one_of_each(void)
{
	check_one_of_each(HOOKS_AUTO);
}

TEST_MAIN("hooks", TEST_CASE(test_every_syscall_hook_has_a_twin),
	  TEST_CASE(test_tracepoint_mode_loads_tracepoints),
	  TEST_CASE(test_auto_mode_loads_one_of_each))
