// SPDX-License-Identifier: GPL-2.0
/* agent_bpf.c - the agent's BPF side: open, size, pin, load, fill, attach, drop capabilities. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent_int.h"
#include "enforce.h"
#include "hooks.h"
#include "kstate.h"
#include "log.h"
#include "proctab.h"

/* Syscall tracepoints attach through tracefs; mount it where it is missing. */
static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return 0;
}

/* Pinned maps live in the BPF file system; mount it where it is missing. */
static int ensure_bpffs(void)
{
	struct statfs sfs;

	if (!statfs("/sys/fs/bpf", &sfs) && sfs.f_type == 0xcafe4a11 /* BPF_FS_MAGIC */)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		return -errno;
	return 0;
}

/* --enforce off loads none of the enforcement programs: they then cost nothing at all. */
static void enf_set_mode(struct agent *a)
{
	struct datatrail_bpf *skel = a->skel;

	skel->bss->dt_enf_mode = a->opts->enforce;
	/* An iterator runs when read, at stop (agent_enf_detach()), not when attached. */
	bpf_program__set_autoattach(skel->progs.dt_enf_reset_tcp, false);
	if (a->opts->enforce != DT_ENF_OFF)
		return;
	bpf_program__set_autoload(skel->progs.dt_enf_connect4, false);
	bpf_program__set_autoload(skel->progs.dt_enf_connect6, false);
	bpf_program__set_autoload(skel->progs.dt_enf_sendmsg4, false);
	bpf_program__set_autoload(skel->progs.dt_enf_sendmsg6, false);
	bpf_program__set_autoload(skel->progs.dt_enf_skb, false);
	bpf_program__set_autoload(skel->progs.dt_enf_enter_connect, false);
	bpf_program__set_autoload(skel->progs.dt_enf_fentry_connect, false);
	bpf_program__set_autoload(skel->progs.dt_enf_uring_submit, false);
	bpf_program__set_autoload(skel->progs.dt_enf_tcp_sendmsg, false);
	bpf_program__set_autoload(skel->progs.dt_enf_sock_create, false);
	bpf_program__set_autoload(skel->progs.dt_enf_reset_tcp, false);
}

/* What sees renames, unlinks, chmods and truncations of dataset files (hooks_select). */
const char *agent_path_changes_seen_by(struct agent *a)
{
	if (bpf_program__autoload(a->skel->progs.dt_ctime_xchg))
		return "ctime tracepoints";
	if (bpf_program__autoload(a->skel->progs.dt_fentry_setattr))
		return "fentry";
	return "not seen";
}

/* Leaves unloaded what the kernel cannot take, and says what is therefore not seen. */
static int probe_optional_hooks(struct agent *a)
{
	char lines[sizeof(a->kernel_notes)], *line, *save;
	const char *seen;
	int err;

	err = hooks_select(a->skel, a->opts->hooks, &a->hooks_be, a->kernel_notes,
			   sizeof(a->kernel_notes));
	if (err && a->hooks_be.why[0]) {
		dt_log("datatrail: option '--hooks': 'fentry': %s\n", a->hooks_be.why);
		return err;
	}
	if (err) {
		dt_log("datatrail: kernel BTF '/sys/kernel/btf/vmlinux': %s\n",
		       strerror(-err));
		return err;
	}
	memcpy(lines, a->kernel_notes, sizeof(lines));
	for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		dt_log("datatrail: %s\n", line);
	seen = agent_path_changes_seen_by(a);
	dt_log("datatrail: hooks %s: syscalls by %s (%s%s%s); path changes %s%s\n",
	       hooks_mode_name(a->opts->hooks), a->hooks_be.name, a->hooks_be.why,
	       a->hooks_be.kept_tracepoints[0] ? "; tracepoints kept for " : "",
	       a->hooks_be.kept_tracepoints, strcmp(seen, "not seen") ? "by " : "", seen);
	dt_log("datatrail: ia32 system calls: %s\n", a->hooks_be.ia32);
	return 0;
}

static size_t max_sz(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Another process changing the agent's inventory, config or trace is tampering with it. */
int agent_mark_files(struct agent *a)
{
	int ifd = bpf_map__fd(a->skel->maps.inodes), dfd = bpf_map__fd(a->skel->maps.devs);
	const struct agent_opts *o = a->opts;
	int err;

	err = kstate_add_agent_file(ifd, dfd, o->inventory);
	if (!err && o->config_path)
		err = kstate_add_agent_file(ifd, dfd, o->config_path);
	if (!err && o->trace_dir)
		err = kstate_add_agent_file(ifd, dfd, o->trace_dir);
	return err;
}

/*
 * Fills the classified-inode and device maps from the inventory, after giving its datasets
 * the slots the pinned maps already use, and marks the agent's own files.
 */
static int load_inodes(struct agent *a)
{
	int ifd = bpf_map__fd(a->skel->maps.inodes), dfd = bpf_map__fd(a->skel->maps.devs);
	struct errbuf eb = {};
	int err;

	err = kstate_align(bpf_map__fd(a->skel->maps.dsnames), a->inv, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return err;
	}
	pl_slots(&a->pl);
	err = kstate_sync_inodes(ifd, dfd, a->inv);
	if (err)
		return err;
	return agent_mark_files(a);
}

/*
 * Taint that outlived a previous agent: the correlator learns it as if from taint records.
 * A process that exited while no agent ran left its taint behind; a new process with its
 * pid (started after the taint was) must not inherit it.
 */
void agent_seed_taints(struct agent *a)
{
	int fd = bpf_map__fd(a->skel->maps.taint);
	uint32_t k, *prev = NULL, stale[256];
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &k)) {
		struct dt_ev_taint e = { .hdr = { .type = DT_EV_TAINT, .size = sizeof(e) }, .tgid = k };
		struct proc_info pi;

		if (!bpf_map_lookup_elem(fd, &k, &e.taint)) {
			if (proc_info_from_procfs(k, &pi) ||
			    pi.start_ns > e.taint.first_ns + 1000000000ULL) {
				if (n < sizeof(stale) / sizeof(stale[0]))
					stale[n++] = k;
			} else {
				pl_raw(&a->pl, &e, sizeof(e));
			}
		}
		prev = &k;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &stale[i]);
}

void agent_chan_watch(struct agent *a)
{
	struct bpf_map *m = a->skel->maps.chan;
	uint64_t n = 0;
	int err;

	lru_watch_init(&a->chan_watch, bpf_map__max_entries(m), a->ncpus);
	err = kstate_count(bpf_map__fd(m), sizeof(struct dt_chan_key), sizeof(struct dt_taint), &n);
	if (err)
		fprintf(stderr, "datatrail: pinned map 'chan': not counted: %s\n", strerror(-err));
	a->skel->bss->dt_chan_count = n;
	a->chan_entries = n;
	lru_watch_counted(&a->chan_watch, n, n, n);
}

/*
 * Writes the inventory's enforcement policy into the kernel: each slot, then the mask of
 * enforcing slots, then the generation that makes marked sockets re-decide. Until the mask
 * is written the old one stands, and every slot it names holds a whole policy.
 */
int agent_enf_load_policy(struct agent *a)
{
	static struct dt_enf_policy pol[ENF_SLOTS];
	int fd = bpf_map__fd(a->skel->maps.enf_policy);
	uint64_t mask[DT_TAINT_WORDS], any = 0;

	if (a->opts->enforce == DT_ENF_OFF)
		return 0;
	enf_policy_build(a->inv, pol, mask);
	for (uint32_t i = 0; i < ENF_SLOTS; i++)
		if (bpf_map_update_elem(fd, &i, &pol[i], BPF_ANY))
			return -errno;
	for (int w = 0; w < DT_TAINT_WORDS; w++) {
		__atomic_store_n(&a->skel->bss->dt_enf_mask[w], mask[w], __ATOMIC_SEQ_CST);
		any |= mask[w];
	}
	/* What only enforcement needs (io_uring reads taint at submission) waits for a dataset. */
	__atomic_store_n(&a->skel->bss->dt_enf_active, any != 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&a->skel->bss->dt_enf_gen, 1, __ATOMIC_SEQ_CST);
	a->enf_gen++;
	return 0;
}

/*
 * The cgroup programs go on the cgroup2 root, where they apply to every process of the node.
 * Their links are the agent's: when it stops or dies, the kernel detaches them (fail-open,
 * docs/findings.md "Enforcement").
 */
static int enf_attach(struct agent *a)
{
	struct bpf_program *progs[] = { a->skel->progs.dt_enf_connect4,
					a->skel->progs.dt_enf_connect6,
					a->skel->progs.dt_enf_sendmsg4,
					a->skel->progs.dt_enf_sendmsg6, a->skel->progs.dt_enf_skb,
					a->skel->progs.dt_enf_sock_create };
	int fd, err = 0;

	if (a->opts->enforce == DT_ENF_OFF)
		return 0;
	err = enf_cgroup_root("/run/datatrail-cgroup2", a->enf_cgroup, sizeof(a->enf_cgroup));
	if (err) {
		dt_log("datatrail: enforce: no cgroup2 hierarchy, and mounting one at "
			       "'/run/datatrail-cgroup2' failed: %s\n", strerror(-err));
		return err;
	}
	fd = open(a->enf_cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		dt_log("datatrail: enforce: cgroup '%s': %s\n", a->enf_cgroup,
		       strerror(-err));
		return err;
	}
	/* Attached now, while the agent may still create links; read at stop. */
	a->enf_reset = NULL;
	if (bpf_program__autoload(a->skel->progs.dt_enf_reset_tcp))
		a->enf_reset = bpf_program__attach_iter(a->skel->progs.dt_enf_reset_tcp, NULL);
	if (!a->enf_reset && bpf_program__autoload(a->skel->progs.dt_enf_reset_tcp))
		dt_log("datatrail: enforce: attach 'dt_enf_reset_tcp': %s; blocked "
			       "connections keep their queued bytes when the agent stops\n",
		       strerror(errno));
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		a->enf_links[i] = bpf_program__attach_cgroup(progs[i], fd);
		if (!a->enf_links[i]) {
			err = -errno;
			dt_log("datatrail: enforce: attach '%s' to cgroup '%s': %s\n",
			       bpf_program__name(progs[i]), a->enf_cgroup, strerror(-err));
			break;
		}
	}
	close(fd);
	return err;
}

/*
 * Resets every TCP connection enforcement stalled, so that detaching does not let a
 * retransmit deliver what was refused. Only a stop the agent lives through runs this; a
 * crash leaves them (docs/findings.md).
 */
static void enf_reset_marked(struct agent *a)
{
	char buf[64];
	int fd;

	if (!a->enf_reset || !a->skel->bss->dt_enf_socks_n)
		return;
	fd = bpf_iter_create(bpf_link__fd(a->enf_reset));
	if (fd < 0) {
		dt_log("datatrail: enforce: reset blocked connections: %s\n",
		       strerror(errno));
		return;
	}
	/* Bounded: one pass over the TCP sockets, then EOF. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	if (a->skel->bss->dt_enf_reset)
		dt_log("datatrail: enforce: %llu blocked connections reset before detaching\n",
		       (unsigned long long)a->skel->bss->dt_enf_reset);
}

void agent_enf_detach(struct agent *a)
{
	enf_reset_marked(a);
	bpf_link__destroy(a->enf_reset);
	a->enf_reset = NULL;
	for (size_t i = 0; i < sizeof(a->enf_links) / sizeof(a->enf_links[0]); i++) {
		bpf_link__destroy(a->enf_links[i]);
		a->enf_links[i] = NULL;
	}
}

/* Records one object; @out (64 bytes, or NULL) receives the name findings will give it. */
static int register_obj(int objfd, __u32 type, __u32 id, const char *kind, const char *name,
			char *out)
{
	struct dt_obj_key k = { .type = type, .id = id };
	struct dt_obj_val v = {};

	snprintf(v.name, sizeof(v.name), "%s '%s' (id %u)", kind, name, id);
	if (out)
		memcpy(out, v.name, sizeof(v.name));
	return bpf_map_update_elem(objfd, &k, &v, BPF_ANY) ? -errno : 0;
}

/*
 * The kernel ids of the agent's maps, programs and links, for agent.bpf.c to recognise them
 * when another process reaches them by id (bpftool map dump id N) or changes them.
 */
static int register_objects(struct agent *a)
{
	const struct bpf_object_skeleton *sk = a->skel->skeleton;
	int objfd = bpf_map__fd(a->skel->maps.agentobj);
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, a->skel->obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (bpf_map__fd(map) < 0 || bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
			continue;
		err = register_obj(objfd, DT_OBJ_MAP, info.id, "map", bpf_map__name(map),
				   map == a->skel->maps.inodes ? a->inodes_obj :
				   map == a->skel->maps.devs ? a->devs_obj : NULL);
		if (err)
			return err;
	}
	bpf_object__for_each_program(prog, a->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(prog) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		err = register_obj(objfd, DT_OBJ_PROG, info.id, "program", bpf_program__name(prog),
				   NULL);
		if (err)
			return err;
	}
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_link *link = *sk->progs[i].link;
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		if (!link || bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len))
			continue;
		err = register_obj(objfd, DT_OBJ_LINK, info.id, "link", sk->progs[i].name, NULL);
		if (err)
			return err;
	}
	/* The cgroup links of enforcement are attached by hand, outside the skeleton. */
	for (size_t i = 0; i <= sizeof(a->enf_links) / sizeof(a->enf_links[0]); i++) {
		struct bpf_link *link = i < sizeof(a->enf_links) / sizeof(a->enf_links[0]) ?
						a->enf_links[i] : a->enf_reset;
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		if (!link || bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len))
			continue;
		err = register_obj(objfd, DT_OBJ_LINK, info.id, "link", "enforce", NULL);
		if (err)
			return err;
	}
	return 0;
}

/*
 * After attach the agent needs no privilege to use what it holds (map and ring buffer fds,
 * open files). It keeps CAP_DAC_READ_SEARCH, to rescan dataset directories on reload, and
 * CAP_SYS_PTRACE, to read /proc/PID/exe of other users' processes; the bounding set loses
 * the rest too, so nothing it execs could regain them.
 */
#define DT_KEPT_CAPS ((1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_SYS_PTRACE))

static int drop_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	/* The bounding set needs CAP_SETPCAP; where it was not granted, it is already narrow. */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!(DT_KEPT_CAPS & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EINVAL && errno != EPERM)
			return -errno;
	data[0].effective = data[0].permitted = (uint32_t)DT_KEPT_CAPS;
	data[1].effective = data[1].permitted = (uint32_t)(DT_KEPT_CAPS >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

int agent_bpf_load(struct agent *a)
{
	struct errbuf eb = {};
	const char *compat;
	int err;

	err = ensure_tracefs();
	if (err) {
		dt_log("datatrail: mount tracefs at '/sys/kernel/tracing': %s\n",
		       strerror(-err));
		return err;
	}
	a->skel = hooks_open(&compat);
	if (!a->skel) {
		err = -errno;
		dt_log("datatrail: open bpf object: %s\n", strerror(-err));
		return err;
	}
	if (compat)
		dt_log("datatrail: %s: the compat programs read kernel objects with helper "
			       "calls (slower)\n", compat);
	a->skel->rodata->dt_cfg.agent_tgid = getpid();
	a->bpf_compat = compat;
	err = probe_optional_hooks(a);
	if (err)
		return err;
	enf_set_mode(a);
	/* Room for the inventory and as many files again created below its directories. */
	bpf_map__set_max_entries(a->skel->maps.inodes, max_sz(65536, a->inv->n_inodes * 2));
	if (a->opts->ringbuf_kb)
		bpf_map__set_max_entries(a->skel->maps.events, a->opts->ringbuf_kb * 1024);
	if (a->opts->pin_dir && a->opts->pin_dir[0]) {
		snprintf((char *)a->skel->rodata->dt_cfg.pin_dir,
			 sizeof(a->skel->rodata->dt_cfg.pin_dir), "%s", a->opts->pin_dir);
		err = ensure_bpffs();
		if (!err)
			err = kstate_pin(a->skel->obj, a->opts->pin_dir,
					 max_sz(65536, a->inv->n_inodes * 2), &eb);
		else
			snprintf(eb.msg, sizeof(eb.msg), "mount bpffs at '/sys/fs/bpf': %s",
				 strerror(-err));
		if (err) {
			dt_log("datatrail: %s\n", eb.msg);
			return err;
		}
	}
	err = datatrail_bpf__load(a->skel);
	if (err) {
		dt_log("datatrail: load bpf programs: %s\n", strerror(-err));
		return err;
	}
	err = load_inodes(a);
	if (err)
		dt_log("datatrail: fill inode map: %s\n", strerror(-err));
	return err;
}

int agent_bpf_attach(struct agent *a, ring_buffer_sample_fn on_event)
{
	int err;

	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.events), on_event, a, NULL);
	if (!a->rb) {
		err = -errno;
		dt_log("datatrail: ring buffer: %s\n", strerror(-err));
		return err;
	}
	err = datatrail_bpf__attach(a->skel);
	if (err) {
		dt_log("datatrail: attach bpf programs: %s\n", strerror(-err));
		return err;
	}
	err = enf_attach(a);
	if (err)
		return err;
	/* After enf_attach(): the enforcement links are the agent's too. */
	err = register_objects(a);
	if (err) {
		dt_log("datatrail: map 'agentobj': %s\n", strerror(-err));
		return err;
	}
	err = drop_caps();
	if (err) {
		dt_log("datatrail: drop capabilities: %s\n", strerror(-err));
		return err;
	}
	return 0;
}
