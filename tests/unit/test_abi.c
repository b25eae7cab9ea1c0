// SPDX-License-Identifier: GPL-2.0
/* test_abi.c - the BPF object's BTF layout of every shared struct matches user space's. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "datatrail_abi.h"
#include "test.h"

#ifndef DT_BUILD_DIR
#define DT_BUILD_DIR "build"
#endif

static struct btf *btf;

struct field {
	const char *name;
	size_t off;
	size_t size;
};

#define F(type, m) { #m, offsetof(type, m), sizeof(((type *)0)->m) }

/* Checks @name's size and each listed member's offset and size in the BPF object's BTF. */
static void check_struct(const char *name, size_t size, const struct field *fields, size_t n)
{
	const struct btf_member *m;
	const struct btf_type *t;
	char tag[128];
	int id;

	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	snprintf(tag, sizeof(tag), "struct %s in bpf object", name);
	if (!ASSERT_TRUE(id > 0, tag))
		return;
	t = btf__type_by_id(btf, id);
	snprintf(tag, sizeof(tag), "sizeof(struct %s)", name);
	ASSERT_EQ(t->size, size, tag);
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		m = btf_members(t);
		for (int j = 0; j < btf_vlen(t); j++, m++) {
			const char *mn = btf__name_by_offset(btf, m->name_off);
			__s64 msz;

			if (strcmp(mn, fields[i].name))
				continue;
			found = true;
			snprintf(tag, sizeof(tag), "%s.%s offset", name, mn);
			ASSERT_EQ(btf_member_bit_offset(t, j) / 8, fields[i].off, tag);
			msz = btf__resolve_size(btf, m->type);
			snprintf(tag, sizeof(tag), "%s.%s size", name, mn);
			ASSERT_EQ(msz, fields[i].size, tag);
		}
		snprintf(tag, sizeof(tag), "%s.%s present", name, fields[i].name);
		ASSERT_TRUE(found, tag);
	}
}

#define CHECK(type, ...)                                                                           \
	do {                                                                                       \
		static const struct field f___[] = { __VA_ARGS__ };                                \
		check_struct(#type, sizeof(struct type), f___, sizeof(f___) / sizeof(f___[0]));    \
	} while (0)

static void test_layouts(void)
{
	btf = btf__parse_elf(DT_BUILD_DIR "/datatrail.bpf.o", NULL);
	if (!ASSERT_TRUE(btf != NULL, "parse " DT_BUILD_DIR "/datatrail.bpf.o"))
		return;
	CHECK(dt_event_hdr, F(struct dt_event_hdr, type), F(struct dt_event_hdr, size),
	      F(struct dt_event_hdr, cpu), F(struct dt_event_hdr, ts_ns), F(struct dt_event_hdr, seq));
	CHECK(dt_inode_key, F(struct dt_inode_key, ino), F(struct dt_inode_key, dev),
	      F(struct dt_inode_key, pad));
	CHECK(dt_inode_val, F(struct dt_inode_val, dataset), F(struct dt_inode_val, label),
	      F(struct dt_inode_val, flags), F(struct dt_inode_val, pad));
	CHECK(dt_acc_key, F(struct dt_acc_key, tgid), F(struct dt_acc_key, dev),
	      F(struct dt_acc_key, ino), F(struct dt_acc_key, access), F(struct dt_acc_key, pad));
	CHECK(dt_acc_val, F(struct dt_acc_val, bytes), F(struct dt_acc_val, ops),
	      F(struct dt_acc_val, first_ns), F(struct dt_acc_val, last_ns),
	      F(struct dt_acc_val, dataset), F(struct dt_acc_val, uid),
	      F(struct dt_acc_val, iflags), F(struct dt_acc_val, pad));
	CHECK(dt_proc, F(struct dt_proc, tgid), F(struct dt_proc, ppid), F(struct dt_proc, uid),
	      F(struct dt_proc, flags), F(struct dt_proc, start_ns), F(struct dt_proc, comm),
	      F(struct dt_proc, exe), F(struct dt_proc, args), F(struct dt_proc, args_len),
	      F(struct dt_proc, pad), F(struct dt_proc, exe_ino), F(struct dt_proc, exe_dev),
	      F(struct dt_proc, pad2));
	CHECK(dt_ev_file_access, F(struct dt_ev_file_access, hdr), F(struct dt_ev_file_access, key),
	      F(struct dt_ev_file_access, tid), F(struct dt_ev_file_access, uid),
	      F(struct dt_ev_file_access, dataset), F(struct dt_ev_file_access, label),
	      F(struct dt_ev_file_access, iflags), F(struct dt_ev_file_access, pad),
	      F(struct dt_ev_file_access, bytes));
	CHECK(dt_ev_proc_exec, F(struct dt_ev_proc_exec, hdr), F(struct dt_ev_proc_exec, proc));
	CHECK(dt_ev_proc_exit, F(struct dt_ev_proc_exit, hdr), F(struct dt_ev_proc_exit, tgid),
	      F(struct dt_ev_proc_exit, exit_code));
	CHECK(dt_ev_classify, F(struct dt_ev_classify, hdr), F(struct dt_ev_classify, ino),
	      F(struct dt_ev_classify, anc_ino), F(struct dt_ev_classify, dev),
	      F(struct dt_ev_classify, dataset), F(struct dt_ev_classify, depth),
	      F(struct dt_ev_classify, label), F(struct dt_ev_classify, pad),
	      F(struct dt_ev_classify, names));
	CHECK(dt_stats, F(struct dt_stats, seq), F(struct dt_stats, emitted),
	      F(struct dt_stats, dropped), F(struct dt_stats, acc_full),
	      F(struct dt_stats, inode_full), F(struct dt_stats, proc_full),
	      F(struct dt_stats, taint_full), F(struct dt_stats, egress_full));
	CHECK(dt_taint, F(struct dt_taint, ds), F(struct dt_taint, bytes),
	      F(struct dt_taint, first_ns), F(struct dt_taint, primary), F(struct dt_taint, src_pid),
	      F(struct dt_taint, label), F(struct dt_taint, hop), F(struct dt_taint, pad));
	CHECK(dt_chan_key, F(struct dt_chan_key, kind), F(struct dt_chan_key, lport),
	      F(struct dt_chan_key, rport), F(struct dt_chan_key, ns), F(struct dt_chan_key, id),
	      F(struct dt_chan_key, laddr), F(struct dt_chan_key, raddr));
	CHECK(dt_egress_key, F(struct dt_egress_key, tgid), F(struct dt_egress_key, port),
	      F(struct dt_egress_key, proto), F(struct dt_egress_key, addr));
	CHECK(dt_egress_val, F(struct dt_egress_val, bytes), F(struct dt_egress_val, ops),
	      F(struct dt_egress_val, first_ns), F(struct dt_egress_val, last_ns),
	      F(struct dt_egress_val, taint), F(struct dt_egress_val, uid));
	CHECK(dt_ev_taint, F(struct dt_ev_taint, hdr), F(struct dt_ev_taint, tgid),
	      F(struct dt_ev_taint, src_id), F(struct dt_ev_taint, taint));
	CHECK(dt_ev_egress, F(struct dt_ev_egress, hdr), F(struct dt_ev_egress, key));
	CHECK(dt_ev_derived, F(struct dt_ev_derived, hdr), F(struct dt_ev_derived, tgid),
	      F(struct dt_ev_derived, dev), F(struct dt_ev_derived, ino),
	      F(struct dt_ev_derived, taint), F(struct dt_ev_derived, depth),
	      F(struct dt_ev_derived, truncated), F(struct dt_ev_derived, names));
	CHECK(dt_config, F(struct dt_config, agent_tgid), F(struct dt_config, pad),
	      F(struct dt_config, pin_dir));
	CHECK(dt_shadow, F(struct dt_shadow, bytes), F(struct dt_shadow, ops));
	CHECK(dt_dsname, F(struct dt_dsname, id));
	CHECK(dt_obj_key, F(struct dt_obj_key, type), F(struct dt_obj_key, id));
	CHECK(dt_obj_val, F(struct dt_obj_val, name));
	CHECK(dt_cgpath, F(struct dt_cgpath, depth), F(struct dt_cgpath, truncated),
	      F(struct dt_cgpath, names));
	CHECK(dt_ev_agent, F(struct dt_ev_agent, hdr), F(struct dt_ev_agent, tgid),
	      F(struct dt_ev_agent, uid), F(struct dt_ev_agent, kind), F(struct dt_ev_agent, sig),
	      F(struct dt_ev_agent, comm), F(struct dt_ev_agent, path));
	/* GPU and kernel-bypass devices */
	CHECK(dt_dev_key, F(struct dt_dev_key, tgid), F(struct dt_dev_key, rdev),
	      F(struct dt_dev_key, kind), F(struct dt_dev_key, op), F(struct dt_dev_key, pad));
	CHECK(dt_dev_val, F(struct dt_dev_val, bytes), F(struct dt_dev_val, ops),
	      F(struct dt_dev_val, first_ns), F(struct dt_dev_val, last_ns),
	      F(struct dt_dev_val, taint), F(struct dt_dev_val, uid), F(struct dt_dev_val, last_cmd));
	CHECK(dt_ev_device, F(struct dt_ev_device, hdr), F(struct dt_ev_device, key),
	      F(struct dt_ev_device, tid), F(struct dt_ev_device, uid), F(struct dt_ev_device, bytes),
	      F(struct dt_ev_device, cmd), F(struct dt_ev_device, sub));
	CHECK(dt_gpu_stats, F(struct dt_gpu_stats, acc_full), F(struct dt_gpu_stats, read_fault));
	/* enforcement */
	CHECK(dt_enf_rule, F(struct dt_enf_rule, addr), F(struct dt_enf_rule, mask),
	      F(struct dt_enf_rule, port), F(struct dt_enf_rule, pad));
	CHECK(dt_enf_policy, F(struct dt_enf_policy, action), F(struct dt_enf_policy, n_rules),
	      F(struct dt_enf_policy, pad), F(struct dt_enf_policy, rules));
	CHECK(dt_enf_val, F(struct dt_enf_val, attempts), F(struct dt_enf_val, bytes),
	      F(struct dt_enf_val, first_ns), F(struct dt_enf_val, last_ns), F(struct dt_enf_val, ds),
	      F(struct dt_enf_val, action), F(struct dt_enf_val, dry), F(struct dt_enf_val, hooks),
	      F(struct dt_enf_val, pad));
	CHECK(dt_ev_enforce, F(struct dt_ev_enforce, hdr), F(struct dt_ev_enforce, key),
	      F(struct dt_ev_enforce, tid), F(struct dt_ev_enforce, action),
	      F(struct dt_ev_enforce, dry), F(struct dt_ev_enforce, hook), F(struct dt_ev_enforce, pad));
	btf__free(btf);
}

/* The checker itself must notice a mismatch, or the test above proves nothing. */
static void test_checker_detects_mismatch(void)
{
	static const struct field wrong[] = { { "seq", 8, 8 } };
	int saved;

	btf = btf__parse_elf(DT_BUILD_DIR "/datatrail.bpf.o", NULL);
	if (!ASSERT_TRUE(btf != NULL, "parse bpf object"))
		return;
	check_struct("dt_event_hdr", sizeof(struct dt_event_hdr), wrong, 1);
	saved = test__failed;
	test__failed = 0;
	ASSERT_EQ(saved, 1, "a wrong offset is reported");
	btf__free(btf);
}

TEST_MAIN("abi", TEST_CASE(test_layouts), TEST_CASE(test_checker_detects_mismatch))
