// SPDX-License-Identifier: GPL-2.0
/*
 * hookbench.c - attaches some of the near-empty programs of hooks.bpf.o, runs a command,
 * detaches. With bench/wl_syscall it separates what a hook itself costs every syscall from
 * what datatrail's programs add.
 *
 * usage: hookbench [--stats] OBJECT PROG[,PROG...]|none CMD [ARGS...]
 *   --stats  turns on BPF run-time statistics (bpf_enable_stats(), only while this runs) and
 *            prints "hookstats prog=NAME runs=N ns_per_run=X" for each program afterwards
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static bool wanted(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[16] = {};
	struct bpf_object *obj;
	struct bpf_program *prog;
	int nlinks = 0, status, err, stats_fd = -1;
	bool stats = false;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "--stats")) {
		stats = true;
		argc--;
		argv++;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: hookbench [--stats] OBJECT PROG[,PROG...]|none CMD "
				"[ARGS...]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "hookbench: open '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, wanted(argv[2], bpf_program__name(prog)));
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "hookbench: load: %s\n", strerror(-err));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!wanted(argv[2], bpf_program__name(prog)) || nlinks == 16)
			continue;
		links[nlinks] = bpf_program__attach(prog);
		if (!links[nlinks]) {
			fprintf(stderr, "hookbench: attach %s: %s\n", bpf_program__name(prog),
				strerror(errno));
			return 1;
		}
		nlinks++;
	}
	if (stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			fprintf(stderr, "hookbench: enable stats: %s\n", strerror(-stats_fd));
			return 1;
		}
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		execv(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		status = 1 << 8;
	if (stats) {
		bpf_object__for_each_program(prog, obj) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (!wanted(argv[2], bpf_program__name(prog)) ||
			    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
				continue;
			printf("hookstats prog=%s runs=%llu ns_per_run=%.1f\n",
			       bpf_program__name(prog), (unsigned long long)info.run_cnt,
			       info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0);
		}
		close(stats_fd);
	}
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
