// SPDX-License-Identifier: GPL-2.0
/* correlator.c - findings from aggregates; see correlator.h and docs/findings.md. */
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlator.h"
#include "finding.h"

#define CHAIN_MAX 5

struct finding_key {
	uint32_t kind;
	uint32_t tgid;
	uint64_t start_ns; /* the process's, so a reused pid is another finding */
	uint32_t dataset;
	uint32_t pad;
	uint8_t target[24]; /* exfiltration: addr[16], port, proto; files: dev, ino */
};

struct finding_state {
	char uid[FINDING_UID_LEN];
	uint64_t bytes;
	uint64_t ops;
	uint64_t reported_bytes;
	uint64_t reported_ops;
	uint64_t next_threshold;
	uint64_t first_ns;
	uint64_t last_ns;
	uint32_t access; /* dataset_tamper: the kinds of change seen */
	uint32_t actor_uid;
	bool created;
	char *path; /* whole, however long: evidences[].file.path; NULL without a file */
	/*
	 * derived_copy, dataset_tamper: one finding per process and dataset, however many files.
	 * @path is the file whose counter began first, @last_path the one that began last.
	 */
	struct hmap *files; /* struct file_id -> nothing: the files counted */
	uint64_t n_files;
	uint64_t first_file_ns;
	uint64_t last_file_ns;
	char *last_path;
	/* exfiltration the kernel refused (corr_enforce) */
	uint8_t enf_action; /* enum dt_enf_action; DT_ENF_MONITOR: nothing refused */
	bool enf_dry;
	uint64_t enf_attempts;
	uint64_t enf_bytes;
	uint64_t reported_enf; /* enf_attempts + enf_bytes as last emitted */
};

/* A file a finding counted, and a process that ended (the correlator's closed set). */
struct file_id {
	uint64_t ino;
	uint32_t dev;
	uint32_t pad;
};

struct closed_key {
	uint32_t tgid;
	uint32_t pad;
	uint64_t start_ns;
};

/* Files remembered per finding; past it a file counts when its counter first reports. */
#define FILES_TRACKED_MAX 65536

/* Technique uid, name, tactic uid, name: ATT&CK first, then ATLAS. */
static const char *const attacks_exfil[] = {
	"T1048", "Exfiltration Over Alternative Protocol", "TA0010", "Exfiltration",
	"T1041", "Exfiltration Over C2 Channel", "TA0010", "Exfiltration",
	"AML.T0025", "Exfiltration via Cyber Means", "AML.TA0010", "Exfiltration",
	NULL,
};
static const char *const attacks_read[] = {
	"T1005", "Data from Local System", "TA0009", "Collection",
	"AML.T0035", "ML Artifact Collection", "AML.TA0009", "Collection",
	NULL,
};
static const char *const attacks_copy[] = {
	"T1074.001", "Data Staged: Local Data Staging", "TA0009", "Collection",
	"AML.T0035", "ML Artifact Collection", "AML.TA0009", "Collection",
	NULL,
};
static const char *const attacks_agent[] = {
	"T1562.001", "Impair Defenses: Disable or Modify Tools", "TA0005", "Defense Evasion",
	"T1489", "Service Stop", "TA0040", "Impact",
	NULL,
};
static const char *const attacks_inspect[] = {
	"T1518.001", "Software Discovery: Security Software Discovery", "TA0007", "Discovery",
	NULL,
};
static const char *const attacks_tamper[] = {
	"T1565.001", "Data Manipulation: Stored Data Manipulation", "TA0040", "Impact",
	"AML.T0020", "Poison Training Data", "AML.TA0006", "Persistence",
	NULL,
};

const char *finding_kind_name(enum finding_kind k)
{
	switch (k) {
	case FK_EXFILTRATION:
		return "exfiltration";
	case FK_UNAUTHORIZED_READ:
		return "unauthorized_read";
	case FK_DERIVED_COPY:
		return "derived_copy";
	case FK_DATASET_TAMPER:
		return "dataset_tamper";
	case FK_AGENT_TAMPER:
		return "agent_tamper";
	case FK_AGENT_INSPECT:
		return "agent_inspect";
	}
	return "unknown";
}

const char *const *finding_kind_attacks(enum finding_kind k)
{
	switch (k) {
	case FK_EXFILTRATION:
		return attacks_exfil;
	case FK_UNAUTHORIZED_READ:
		return attacks_read;
	case FK_DERIVED_COPY:
		return attacks_copy;
	case FK_DATASET_TAMPER:
		return attacks_tamper;
	case FK_AGENT_TAMPER:
		return attacks_agent;
	case FK_AGENT_INSPECT:
		return attacks_inspect;
	}
	return NULL;
}

/*
 * A process passes an executable list only by running one of its files: the (device, inode)
 * the kernel opened at exec against those the inventory's paths resolved to on the host. A
 * path string proves nothing (bind mounts, chroots, relative execs, re-pointed symlinks can
 * all put another program behind it); an unknown identity (0) matches nothing.
 */
bool acl_allows(const struct inv_acl *acl, uint32_t uid, uint32_t exe_dev, uint64_t exe_ino)
{
	bool uid_ok = acl->n_uids == 0, exe_ok = acl->n_exes == 0;

	if (!acl->n_uids && !acl->n_exes && !inv_acl_has_workload(acl))
		return false;
	for (size_t i = 0; i < acl->n_uids && !uid_ok; i++)
		uid_ok = acl->uids[i] == uid;
	for (size_t i = 0; i < acl->n_exes && !exe_ok && exe_ino; i++)
		exe_ok = acl->exe_ids[i].ino == exe_ino && acl->exe_ids[i].dev == exe_dev;
	return uid_ok && exe_ok;
}

/* "registry/trainer*" matches every reference that starts with "registry/trainer". */
static bool image_match(const char *pattern, const char *image)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(pattern, image, n - 1);
	return !strcmp(pattern, image);
}

static bool in_list(char *const *list, size_t n, const char *v, bool images)
{
	if (!n)
		return true;
	if (!v[0])
		return false;
	for (size_t i = 0; i < n; i++)
		if (images ? image_match(list[i], v) : !strcmp(list[i], v))
			return true;
	return false;
}

bool acl_allows_workload(const struct inv_acl *acl, const struct wl_identity *id)
{
	char uid[12];

	if (!inv_acl_has_workload(acl))
		return true;
	/* A workload the runtime does not vouch for is anyone's claim (docs/identity.md). */
	if (!id || !(id->flags & ID_VERIFIED))
		return false;
	if (!in_list(acl->namespaces, acl->n_namespaces, id->pod_namespace, false) ||
	    !in_list(acl->images, acl->n_images, id->image, true) ||
	    !in_list(acl->slurm_accounts, acl->n_slurm_accounts, id->slurm_account, false))
		return false;
	if (!acl->n_slurm_users || in_list(acl->slurm_users, acl->n_slurm_users, id->slurm_user,
					   false))
		return true;
	/* The uid in slurmstepd's path is the job's, whatever its environment says. */
	if (!(id->flags & ID_SLURM_UID))
		return false;
	snprintf(uid, sizeof(uid), "%u", id->slurm_uid);
	return in_list(acl->slurm_users, acl->n_slurm_users, uid, false);
}

/* Whether @tgid's workload passes @acl; its identity is looked up only when the ACL asks. */
static bool workload_ok(struct correlator *c, const struct inv_acl *acl, uint32_t tgid)
{
	if (!inv_acl_has_workload(acl))
		return true;
	return acl_allows_workload(acl, c->ids ? idtab_get(c->ids, tgid) : NULL);
}

bool egress_allowed(const struct inv_dataset *ds, const uint8_t addr[16], uint16_t port)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	for (size_t i = 0; i < ds->n_egress; i++) {
		if (!memcmp(addr, mapped, 12)) {
			if (inv_cidr_match(&ds->egress[i], AF_INET, addr + 12, port))
				return true;
		} else if (inv_cidr_match(&ds->egress[i], AF_INET6, addr, port)) {
			return true;
		}
	}
	return false;
}

bool egress_mount_allowed(const struct inv_dataset *ds, const struct mount_ent *m)
{
	for (size_t i = 0; m && i < ds->n_egress_mounts; i++)
		if (inv_mount_rule_match(&ds->egress_mounts[i], m->fstype, m->point))
			return true;
	return false;
}

int finding_severity(enum finding_kind k, enum dt_label label, uint64_t bytes)
{
	int sev = label; /* public 1 ... restricted 4 */

	switch (k) {
	case FK_EXFILTRATION:
		sev += bytes >= (1 << 20);
		break;
	case FK_DERIVED_COPY:
		sev += (bytes >= (1 << 20)) - 1;
		break;
	case FK_DATASET_TAMPER:
		sev += 1;
		break;
	case FK_UNAUTHORIZED_READ:
		break;
	case FK_AGENT_TAMPER:
		sev = 4;
		break;
	case FK_AGENT_INSPECT:
		sev = 1;
		break;
	}
	return sev < 1 ? 1 : sev > 5 ? 5 : sev;
}

static bool is_loopback(const uint8_t a[16])
{
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, lo6, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
}

void corr_init(struct correlator *c, const struct inventory *inv, struct proctab *pt,
	       const struct ocsf_ctx *octx, corr_emit_fn emit, corr_path_fn path, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->inv = inv;
	c->pt = pt;
	c->octx = octx;
	c->emit = emit;
	c->path = path;
	c->ctx = ctx;
	hmap_init(&c->findings, sizeof(struct finding_key), sizeof(struct finding_state));
	hmap_init(&c->taints, sizeof(uint32_t), sizeof(struct dt_taint));
	hmap_init(&c->remotes, sizeof(uint32_t), sizeof(struct remote_origin));
	hmap_init(&c->closed, sizeof(struct closed_key), sizeof(uint64_t));
	jb_init(&c->jb);
}

static void state_free(struct finding_state *s)
{
	free(s->path);
	free(s->last_path);
	if (s->files) {
		hmap_free(s->files);
		free(s->files);
	}
}

void corr_free(struct correlator *c)
{
	struct finding_state *s;
	size_t it = 0;
	void *k;

	while (hmap_next(&c->findings, &it, &k, (void **)&s))
		state_free(s);
	hmap_free(&c->findings);
	hmap_free(&c->taints);
	hmap_free(&c->remotes);
	hmap_free(&c->closed);
	jb_free(&c->jb);
}

void corr_set_inventory(struct correlator *c, const struct inventory *inv)
{
	c->inv = inv;
}

const char *corr_hop_name(uint8_t hop)
{
	switch (hop) {
	case DT_HOP_READ:
		return "read";
	case DT_HOP_FORK:
		return "fork";
	case DT_HOP_PIPE:
		return "pipe";
	case DT_HOP_UNIX:
		return "unix";
	case DT_HOP_INET:
		return "loopback";
	case DT_HOP_REMOTE:
		return "remote";
	case DT_HOP_PROCMEM:
		return "process_memory";
	case DT_HOP_SHM:
		return "shared_memory";
	}
	return NULL;
}

static const char *link_name(uint8_t link)
{
	switch (link) {
	case DT_LINK_PACKET:
		return "packet";
	case DT_LINK_RAW:
		return "raw";
	case DT_LINK_XDP:
		return "xdp";
	case DT_LINK_TUN:
		return "tun";
	}
	return "unknown";
}

/* The inode of the agent's network namespace: interfaces of others are not named here. */
static uint32_t own_netns(void)
{
	static uint32_t ino;
	struct stat st;

	if (!ino && !stat("/proc/self/ns/net", &st))
		ino = (uint32_t)st.st_ino;
	return ino;
}

/*
 * Fills @f's destination for a send around the TCP/UDP layer (finding target: addr[16] with
 * ifindex and netns for interface links, port, proto, link); @ifname receives the name.
 */
static void link_dest(struct finding_record *f, const uint8_t *target, char *ifname)
{
	uint8_t link = target[19];
	uint32_t ifindex, netns;

	f->dst_link = link_name(link);
	f->dst_proto_num = -1;
	if (link == DT_LINK_RAW) {
		f->dst_addr = target;
		f->dst_proto = "raw";
		f->dst_proto_num = target[18];
		return;
	}
	memcpy(&ifindex, target, 4);
	memcpy(&netns, target + 4, 4);
	f->dst_ifindex = ifindex;
	f->dst_proto = f->dst_link;
	if (ifindex && netns == own_netns() && if_indextoname(ifindex, ifname))
		f->dst_ifname = ifname;
}

static void access_list(uint32_t mask, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	for (uint32_t bit = 1; bit && bit <= DT_ACC_MODIFY; bit <<= 1) {
		if (!(mask & bit) || len >= n)
			continue;
		len += snprintf(buf + len, n - len, "%s%s", len ? "," : "", dt_access_name(bit));
	}
}

/* The name of a bpf() command agent.bpf.c reports (enum dt_bpf_cmd). */
static const char *bpf_cmd_name(unsigned int cmd)
{
	switch (cmd) {
	case DT_BPF_MAP_UPDATE_ELEM:
		return "map_update_elem";
	case DT_BPF_MAP_DELETE_ELEM:
		return "map_delete_elem";
	case DT_BPF_PROG_GET_FD_BY_ID:
		return "prog_get_fd_by_id";
	case DT_BPF_MAP_GET_FD_BY_ID:
		return "map_get_fd_by_id";
	case DT_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
		return "map_lookup_and_delete_elem";
	case DT_BPF_MAP_FREEZE:
		return "map_freeze";
	case DT_BPF_MAP_LOOKUP_AND_DELETE_BATCH:
		return "map_lookup_and_delete_batch";
	case DT_BPF_MAP_UPDATE_BATCH:
		return "map_update_batch";
	case DT_BPF_MAP_DELETE_BATCH:
		return "map_delete_batch";
	case DT_BPF_LINK_UPDATE:
		return "link_update";
	case DT_BPF_LINK_GET_FD_BY_ID:
		return "link_get_fd_by_id";
	case DT_BPF_LINK_DETACH:
		return "link_detach";
	case DT_BPF_PROG_DETACH:
		return "prog_detach";
	case DT_BPF_PROG_TEST_RUN:
		return "prog_test_run";
	}
	return "unknown";
}

bool corr_bpf_cmd_changes(unsigned int cmd)
{
	return cmd != DT_BPF_PROG_GET_FD_BY_ID && cmd != DT_BPF_MAP_GET_FD_BY_ID &&
	       cmd != DT_BPF_LINK_GET_FD_BY_ID;
}

/* What the kernel did to an exfiltration: the finding's disposition and a word in its title. */
static void enforcement_title(const struct finding_state *s, struct finding_record *f, char *title,
			      size_t n)
{
	static const char *const names[2][3] = { { NULL, "blocked", "killed" },
						  { NULL, "would_block", "would_kill" } };
	size_t len = strlen(title);

	if (s->enf_action == DT_ENF_MONITOR || s->enf_action > DT_ENF_KILL)
		return;
	f->enforcement = names[s->enf_dry][s->enf_action];
	f->enf_attempts = s->enf_attempts;
	f->enf_bytes = s->enf_bytes;
	snprintf(title + len, n - len, " (%s: %llu attempts, %llu bytes refused)",
		 f->enforcement, (unsigned long long)s->enf_attempts,
		 (unsigned long long)s->enf_bytes);
}

/* The bpf() commands of enum dt_inspect_op bits, comma-separated. */
static void inspect_ops(uint32_t bits, char *buf, size_t n)
{
	static const char *const names[] = { "map_get_fd_by_id", "prog_get_fd_by_id",
					     "link_get_fd_by_id", "obj_get_rdonly" };
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bits & (1U << i))
			len += snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? "," : "",
					names[i]);
}

/* " and N more files" for a finding over several files, else "". */
static const char *more_files(const struct finding_state *s, char *buf, size_t n)
{
	buf[0] = 0;
	if (s->n_files > 1)
		snprintf(buf, n, " and %llu more file%s", (unsigned long long)s->n_files - 1,
			 s->n_files > 2 ? "s" : "");
	return buf;
}

/* Create, Update or, when @end (the process is gone), Close with the final figures. */
static void emit_finding(struct correlator *c, const struct finding_key *k,
			 struct finding_state *s, bool end)
{
	static const struct inv_dataset agent_ds = { .id = "datatrail-agent",
						     .label = DT_LABEL_RESTRICTED };
	const struct inv_dataset *ds = k->kind == FK_AGENT_TAMPER || k->kind == FK_AGENT_INSPECT ?
					       &agent_ds : &c->inv->datasets[k->dataset];
	struct proc_info chain[CHAIN_MAX];
	struct finding_record f = {};
	const struct dt_taint *via;
	char title[512], ops[160], addr[64], ifname[IF_NAMESIZE], more[48];
	size_t n = proctab_chain(c->pt, k->tgid, chain, CHAIN_MAX);
	uint16_t port;

	f.kind = finding_kind_name(k->kind);
	f.uid = s->uid;
	f.activity_id = !s->created ? 1 : end ? 3 : 2;
	f.severity_id = finding_severity(k->kind, ds->label, s->bytes);
	f.first_ns = s->first_ns;
	f.last_ns = s->last_ns;
	f.chain = chain;
	f.chain_len = n;
	f.actor_uid = s->actor_uid;
	f.dataset = ds->id;
	f.label = dt_label_name(ds->label);
	f.tags = (const char *const *)ds->tags;
	f.n_tags = ds->n_tags;
	f.bytes = s->bytes;
	f.ops = s->ops;
	f.attacks = finding_kind_attacks(k->kind);
	f.ident = c->ids ? idtab_get(c->ids, k->tgid) : NULL;
	via = hmap_get(&c->taints, &k->tgid);
	if (via && k->kind == FK_EXFILTRATION) {
		const struct remote_origin *ro = hmap_get(&c->remotes, &k->tgid);

		f.via_hop = corr_hop_name(via->hop);
		f.via_pid = via->src_pid;
		if (via->hop == DT_HOP_REMOTE && ro) {
			f.via_node = ro->node;
			f.via_comm = ro->comm;
			f.via_flow = ro->flow;
		}
	}

	switch (k->kind) {
	case FK_EXFILTRATION:
		if (k->target[19] == DT_LINK_BLOCKDEV) {
			uint32_t dev;
			const struct mount_ent *m;

			memcpy(&dev, k->target, sizeof(dev));
			m = mounts_find(c->mounts, dev, true);
			f.mount_dev = dev;
			f.device_path = m ? m->source : s->path;
			f.mount_kind = m ? mount_kind_name(m->kind) : NULL;
			snprintf(title, sizeof(title),
				 "%s wrote %llu bytes of %s dataset '%s' to block device '%s'",
				 chain[0].comm[0] ? chain[0].comm : "a process",
				 (unsigned long long)s->bytes, f.label, ds->id,
				 f.device_path ? f.device_path : "?");
			break;
		}
		if (k->target[19] == DT_LINK_MOUNT) {
			uint32_t dev;
			const struct mount_ent *m;

			memcpy(&dev, k->target, sizeof(dev));
			m = mounts_find(c->mounts, dev, false);
			f.mount_dev = dev;
			f.mount_point = m ? m->point : s->path;
			f.mount_type = m ? m->fstype : NULL;
			f.mount_source = m ? m->source : NULL;
			f.mount_kind = m ? mount_kind_name(m->kind) : NULL;
			snprintf(title, sizeof(title),
				 "%s wrote %llu bytes of %s dataset '%s' to %s file system '%s' at '%s'",
				 chain[0].comm[0] ? chain[0].comm : "a process",
				 (unsigned long long)s->bytes, f.label, ds->id,
				 m ? m->fstype : "an unknown",
				 m ? m->source : "?", f.mount_point ? f.mount_point : "?");
			break;
		}
		if (k->target[19]) {
			link_dest(&f, k->target, ifname);
			if (f.dst_ifname)
				snprintf(addr, sizeof(addr), "interface %s (%s)", f.dst_ifname,
					 f.dst_link);
			else if (f.dst_ifindex)
				snprintf(addr, sizeof(addr), "interface index %u (%s)",
					 f.dst_ifindex, f.dst_link);
			else if (f.dst_addr)
				dt_addr_str(f.dst_addr, addr, sizeof(addr));
			else
				snprintf(addr, sizeof(addr), "an unknown interface (%s)", f.dst_link);
			snprintf(title, sizeof(title), "%s sent %llu bytes of %s dataset '%s' to %s",
				 chain[0].comm[0] ? chain[0].comm : "a process",
				 (unsigned long long)s->bytes, f.label, ds->id, addr);
			break;
		}
		memcpy(&port, k->target + 16, 2);
		f.dst_addr = k->target;
		f.dst_port = port;
		f.dst_proto = k->target[18] == 17 ? "udp" : "tcp";
		snprintf(title, sizeof(title), "%s sent %llu bytes of %s dataset '%s' to %s port %u",
			 chain[0].comm[0] ? chain[0].comm : "a process",
			 (unsigned long long)s->bytes, f.label, ds->id,
			 dt_addr_str(k->target, addr, sizeof(addr)), port);
		enforcement_title(s, &f, title, sizeof(title));
		break;
	case FK_UNAUTHORIZED_READ:
		f.file_path = s->path;
		snprintf(title, sizeof(title),
			 "%s (uid %u) read %llu bytes of %s dataset '%s' without being an allowed "
			 "reader",
			 chain[0].comm[0] ? chain[0].comm : "a process", s->actor_uid,
			 (unsigned long long)s->bytes, f.label, ds->id);
		break;
	case FK_DERIVED_COPY:
		f.file_path = s->path;
		f.file_count = s->n_files;
		f.last_file = s->last_path;
		snprintf(title, sizeof(title), "%s wrote %llu bytes of %s dataset '%s' into '%s'%s",
			 chain[0].comm[0] ? chain[0].comm : "a process",
			 (unsigned long long)s->bytes, f.label, ds->id, s->path,
			 more_files(s, more, sizeof(more)));
		break;
	case FK_AGENT_TAMPER:
		if (k->target[0] == DT_AGENT_SIGNAL) {
			snprintf(title, sizeof(title), "%s (uid %u) sent signal %u to the datatrail agent",
				 chain[0].comm[0] ? chain[0].comm : "a process", s->actor_uid,
				 k->target[1]);
			f.operations = "signal";
			/*
			 * Killing or stopping the agent blinds the node; SIGHUP, SIGINT and SIGTERM
			 * are how operators reload and stop it: recorded, at low severity.
			 */
			if (k->target[1] == 9 || k->target[1] == 19)
				f.severity_id = 5;
			else if (k->target[1] == 1 || k->target[1] == 2 || k->target[1] == 15)
				f.severity_id = 2;
			break;
		}
		if (k->target[0] == DT_AGENT_BPF_OBJ) {
			bool change = corr_bpf_cmd_changes(k->target[1]);

			f.operations = bpf_cmd_name(k->target[1]);
			f.object = s->path;
			snprintf(title, sizeof(title),
				 "%s (uid %u) %s the datatrail agent's %s (bpf %s)",
				 chain[0].comm[0] ? chain[0].comm : "a process", s->actor_uid,
				 change ? "changed" : "opened by id", s->path, f.operations);
			/*
			 * A deleted taint entry or a detached program blinds the agent; a map fd
			 * can change it; a program or link fd is what `bpftool prog show` takes.
			 */
			if (change)
				f.severity_id = 5;
			else if (k->target[1] != DT_BPF_MAP_GET_FD_BY_ID)
				f.severity_id = 3;
			break;
		}
		if (k->target[0] == DT_AGENT_MAP_MMAP) {
			/* Its .data or .bss, writable: enforcement's masks live there. */
			f.operations = "map_mmap_write";
			f.object = s->path;
			f.severity_id = 5;
			snprintf(title, sizeof(title),
				 "%s (uid %u) mapped the datatrail agent's %s shared and writable",
				 chain[0].comm[0] ? chain[0].comm : "a process", s->actor_uid,
				 s->path);
			break;
		}
		f.file_path = s->path;
		if (k->target[0] == DT_AGENT_PIN_OPEN) {
			f.operations = "open_pinned_map";
		} else {
			access_list(s->access, ops, sizeof(ops));
			f.operations = ops;
		}
		snprintf(title, sizeof(title), "%s (uid %u) %s the datatrail agent's '%s'",
			 chain[0].comm[0] ? chain[0].comm : "a process", s->actor_uid,
			 k->target[0] == DT_AGENT_PIN_OPEN ? "opened" : "modified", s->path);
		break;
	case FK_AGENT_INSPECT:
		inspect_ops(s->access, ops, sizeof(ops));
		f.operations = ops;
		f.object = s->path;
		f.objects = s->ops;
		snprintf(title, sizeof(title),
			 "%s (uid %u) looked at %llu of the datatrail agent's BPF objects, "
			 "read-only, first %s",
			 chain[0].comm[0] ? chain[0].comm : "a process", s->actor_uid,
			 (unsigned long long)s->ops, s->path);
		break;
	case FK_DATASET_TAMPER:
		f.file_path = s->path;
		f.file_count = s->n_files;
		f.last_file = s->last_path;
		access_list(s->access, ops, sizeof(ops));
		f.operations = ops;
		snprintf(title, sizeof(title), "%s (uid %u) modified %s dataset '%s' (%s of '%s'%s)",
			 chain[0].comm[0] ? chain[0].comm : "a process", s->actor_uid, f.label,
			 ds->id, ops, s->path, more_files(s, more, sizeof(more)));
		break;
	}
	f.title = title;
	if (ocsf_finding(&c->jb, c->octx, &f) == 0) {
		c->emit(c->ctx, c->jb.buf, c->jb.len);
		c->emitted++;
	}
	s->created = true;
	s->reported_bytes = s->bytes;
	s->reported_ops = s->ops;
	s->reported_enf = s->enf_attempts + s->enf_bytes;
	s->next_threshold = finding_next(s->next_threshold, s->bytes);
}

/* Finds or opens the finding for @k; NULL when out of memory. */
static struct finding_state *finding_get(struct correlator *c, struct finding_key *k,
					 uint64_t now, uint32_t actor_uid, const char *path)
{
	struct closed_key ck = { .tgid = k->tgid, .start_ns = k->start_ns };
	struct finding_state *s;
	bool created;
	uint64_t h;

	s = hmap_get(&c->findings, k);
	if (s)
		return s;
	/*
	 * The process ended and its findings were closed: what the kernel still counts for it
	 * (retransmits of an orphaned socket, refused) is counted here, never a new Create.
	 */
	if (k->start_ns && hmap_get(&c->closed, &ck)) {
		c->late_after_close++;
		return NULL;
	}
	s = hmap_put(&c->findings, k, &created);
	if (!s || !created)
		return s;
	h = hash_fnv1a(HASH_FNV1A_INIT, c->octx->hostname, strlen(c->octx->hostname));
	h = hash_fnv1a(h, k, offsetof(struct finding_key, dataset));
	if (k->kind != FK_AGENT_TAMPER)
		h = hash_fnv1a(h, c->inv->datasets[k->dataset].id,
			  strlen(c->inv->datasets[k->dataset].id));
	h = hash_fnv1a(h, k->target, sizeof(k->target));
	finding_uid(s->uid, h);
	s->first_ns = now;
	s->next_threshold = FINDING_FIRST_BYTES;
	s->actor_uid = actor_uid;
	if (path) {
		s->path = strdup(path);
		if (!s->path) {
			hmap_del(&c->findings, k);
			return NULL;
		}
	}
	return s;
}

/* Emits the creation, or an update once the bytes pass the next threshold. */
static void finding_progress(struct correlator *c, const struct finding_key *k,
			     struct finding_state *s)
{
	if (!s->created || s->bytes >= s->next_threshold)
		emit_finding(c, k, s, false);
}

static uint64_t proc_start(struct correlator *c, uint32_t tgid)
{
	struct proc_info pi;

	return proctab_get(c->pt, tgid, &pi) ? 0 : pi.start_ns;
}

/*
 * Counts @k's file in @s once, whichever of its counters (write, sendfile, ...) reports, and
 * keeps the files whose counters began first and last. Past FILES_TRACKED_MAX files, a file
 * counts when one of its counters reports for the first time (its delta is its whole total).
 */
static void count_file(struct finding_state *s, const struct dt_acc_key *k,
		       const struct dt_acc_val *v, uint64_t delta, uint64_t dops, const char *path)
{
	struct file_id id = { .ino = k->ino, .dev = k->dev };
	bool created = false;
	char *copy;

	if (!s->files) {
		s->files = calloc(1, sizeof(*s->files));
		if (s->files)
			hmap_init(s->files, sizeof(struct file_id), 1);
	}
	if (s->files && (hmap_get(s->files, &id) || hmap_count(s->files) < FILES_TRACKED_MAX))
		hmap_put(s->files, &id, &created);
	else
		created = delta == v->bytes && dops == v->ops;
	if (!created)
		return;
	if (!s->n_files++) {
		s->first_file_ns = s->last_file_ns = v->first_ns;
		return;
	}
	if (v->first_ns < s->first_file_ns && (copy = strdup(path))) {
		/* The earlier file becomes the first; the old first may be the last now. */
		if (!s->last_path || s->first_file_ns >= s->last_file_ns) {
			free(s->last_path);
			s->last_path = s->path;
			s->last_file_ns = s->first_file_ns;
		} else {
			free(s->path);
		}
		s->path = copy;
		s->first_file_ns = v->first_ns;
	} else if (v->first_ns >= s->last_file_ns && (copy = strdup(path))) {
		free(s->last_path);
		s->last_path = copy;
		s->last_file_ns = v->first_ns;
	}
}

/*
 * One finding per process and dataset, or with @per_file (agent files) per file too. Those of
 * derived_copy and dataset_tamper count their files.
 */
static void file_finding(struct correlator *c, enum finding_kind kind, const struct dt_acc_key *k,
			 const struct dt_acc_val *v, uint32_t dataset, uint64_t delta,
			 uint64_t dops, bool per_file, uint64_t start_ns)
{
	struct finding_key fk = { .kind = kind, .tgid = k->tgid, .start_ns = start_ns,
				  .dataset = dataset };
	struct finding_state *s;
	char buf[64];
	const char *path = c->path(c->ctx, k->dev, k->ino, buf, sizeof(buf));

	if (per_file) {
		memcpy(fk.target, &k->dev, 4);
		memcpy(fk.target + 8, &k->ino, 8);
	}
	s = finding_get(c, &fk, v->first_ns, v->uid, path);
	if (!s)
		return;
	if (kind == FK_DERIVED_COPY || kind == FK_DATASET_TAMPER)
		count_file(s, k, v, delta, dops, path);
	s->bytes += delta;
	s->ops += dops;
	s->access |= k->access;
	if (v->last_ns > s->last_ns)
		s->last_ns = v->last_ns;
	finding_progress(c, &fk, s);
}

/* Whether the process passes dataset @ds's allowed_readers, as a read of it is judged. */
static bool reader_ok(struct correlator *c, const struct inv_dataset *ds, uint32_t tgid,
		      uint32_t uid, const struct proc_info *pi)
{
	return ds->readers.present && acl_allows(&ds->readers, uid, pi->exe_dev, pi->exe_ino) &&
	       workload_ok(c, &ds->readers, tgid);
}

/* The datasets of taint @t that copies report: each bit, the overflow one for those past it. */
static bool taint_has(const struct dt_taint *t, uint32_t i)
{
	uint32_t bit = i < DT_TAINT_OVERFLOW ? i : DT_TAINT_OVERFLOW;

	return (t->ds[bit / 64] >> (bit % 64)) & 1;
}

static bool copy_reportable(const struct inv_dataset *ds)
{
	return !ds->retired && ds->label != DT_LABEL_PUBLIC;
}

/*
 * Whether a copy of dataset @ds that an allowed reader of every dataset of its taint wrote
 * into (@dev, @path) is a finding: the dataset reports every copy, or names places for them
 * and this is none of them.
 */
static bool allowed_copy_reported(const struct inv_dataset *ds, uint32_t dev, const char *path)
{
	if (ds->derived_report == INV_DERIVED_ALWAYS)
		return true;
	for (size_t i = 0; i < ds->n_derived_places; i++)
		if (inv_place_match(&ds->derived_places[i], dev, path))
			return false;
	return ds->n_derived_places > 0;
}

/*
 * Writes into a copy: one derived_copy per dataset the writer carries. An untainted process
 * writing there (a log rotated by cron) copies nothing. A writer allowed to read every dataset
 * it carries (public ones aside) writes what its job makes of them, checkpoints and logs:
 * expected, unless the dataset asks otherwise (derived.report, derived.paths). The file stays
 * derived and tainted either way; only the finding is judged here.
 */
static void derived_write(struct correlator *c, const struct dt_acc_key *k,
			  const struct dt_acc_val *v, uint64_t delta, uint64_t dops)
{
	const struct dt_taint *t = hmap_get(&c->taints, &k->tgid);
	bool allowed = true, any = false;
	struct proc_info pi;
	const char *path;
	char buf[64];
	uint32_t n;

	if (!(k->access & DT_ACC_WRITE) || !t)
		return;
	if (proctab_get(c->pt, k->tgid, &pi))
		memset(&pi, 0, sizeof(pi));
	n = c->inv->n_datasets < DT_TAINT_WORDS * 64 ? c->inv->n_datasets : DT_TAINT_WORDS * 64;
	for (uint32_t i = 0; i < n && allowed; i++) {
		const struct inv_dataset *ds = &c->inv->datasets[i];

		if (!taint_has(t, i) || !copy_reportable(ds))
			continue;
		any = true;
		allowed = reader_ok(c, ds, k->tgid, v->uid, &pi);
	}
	if (!any)
		return;
	path = c->path(c->ctx, k->dev, k->ino, buf, sizeof(buf));
	for (uint32_t i = 0; i < n; i++) {
		const struct inv_dataset *ds = &c->inv->datasets[i];

		if (!taint_has(t, i) || !copy_reportable(ds))
			continue;
		if (allowed && !allowed_copy_reported(ds, k->dev, path)) {
			c->derived_expected++;
			continue;
		}
		file_finding(c, FK_DERIVED_COPY, k, v, i, delta, dops, false, pi.start_ns);
	}
}

void corr_file(struct correlator *c, const struct dt_acc_key *k, const struct dt_acc_val *v,
	       uint64_t delta, uint64_t dops)
{
	const struct inv_dataset *ds;
	struct proc_info pi;
	uint64_t start;

	if (v->dataset == DT_DATASET_AGENT) {
		/* Reading the agent's files is no harm (an operator's trace cat); changing them is. */
		if (!(k->access & DT_ACC_READS))
			file_finding(c, FK_AGENT_TAMPER, k, v, 0, delta, dops, true,
				     proc_start(c, k->tgid));
		return;
	}
	if (v->dataset >= c->inv->n_datasets)
		return;
	ds = &c->inv->datasets[v->dataset];
	if (ds->retired)
		return;
	if (v->iflags & DT_INODE_DERIVED) {
		derived_write(c, k, v, delta, dops);
		return;
	}
	/* Unknown to the process table: no start time, no executable, so no executable ACL. */
	if (proctab_get(c->pt, k->tgid, &pi))
		memset(&pi, 0, sizeof(pi));
	start = pi.start_ns;
	if (k->access & DT_ACC_READS) {
		if (ds->readers.present && ds->label != DT_LABEL_PUBLIC &&
		    !reader_ok(c, ds, k->tgid, v->uid, &pi))
			file_finding(c, FK_UNAUTHORIZED_READ, k, v, v->dataset, delta, dops, false,
				     start);
		return;
	}
	/* Without allowed_writers a dataset is immutable: every change is tampering. */
	if (!(acl_allows(&ds->writers, v->uid, pi.exe_dev, pi.exe_ino) &&
	      workload_ok(c, &ds->writers, k->tgid)))
		file_finding(c, FK_DATASET_TAMPER, k, v, v->dataset, delta, dops, false, start);
}

/*
 * Dataset @i of a tainted process's sends to @k's destination, when it may not go there: its
 * exfiltration finding's key completed in @fk. NULL for datasets that may (or are gone). @m is
 * the file system of a DT_LINK_MOUNT destination (NULL: unknown, no mount rule applies).
 */
static const struct inv_dataset *exfil_key(struct correlator *c, const struct dt_egress_key *k,
					   const struct mount_ent *m, uint32_t i,
					   struct finding_key *fk)
{
	const struct inv_dataset *ds;

	if (i >= c->inv->n_datasets)
		return NULL;
	ds = &c->inv->datasets[i];
	if (ds->retired || ds->label == DT_LABEL_PUBLIC)
		return NULL;
	/*
	 * A socket's or a raw socket's address may be allowed, a mount by its rules; an
	 * interface never, nor a raw write to a block device (it is no mount).
	 */
	if ((k->link == DT_LINK_SOCKET || k->link == DT_LINK_RAW) ?
		    egress_allowed(ds, k->addr, k->port) :
		    k->link == DT_LINK_MOUNT && egress_mount_allowed(ds, m))
		return NULL;
	fk->dataset = i;
	memcpy(fk->target, k->addr, 16);
	memcpy(fk->target + 16, &k->port, 2);
	fk->target[18] = k->proto;
	fk->target[19] = k->link;
	return ds;
}

void corr_egress(struct correlator *c, const struct dt_egress_key *k, const struct dt_egress_val *v)
{
	const struct mount_ent *m = NULL;
	uint64_t start;
	uint32_t dev = 0;

	if (k->link == DT_LINK_MOUNT || k->link == DT_LINK_BLOCKDEV) {
		memcpy(&dev, k->addr, sizeof(dev));
		m = mounts_find(c->mounts, dev, k->link == DT_LINK_BLOCKDEV);
	} else if (k->link == DT_LINK_SOCKET && is_loopback(k->addr)) {
		/* Raw sockets to loopback are not followed as a channel: reported, not dropped. */
		return;
	}
	start = proc_start(c, k->tgid);
	for (uint32_t w = 0; w < DT_TAINT_WORDS; w++) {
		for (uint64_t bits = v->taint.ds[w]; bits; bits &= bits - 1) {
			uint32_t i = w * 64 + __builtin_ctzll(bits);
			struct finding_key fk = { .kind = FK_EXFILTRATION, .tgid = k->tgid,
						  .start_ns = start };
			const struct inv_dataset *ds;
			struct finding_state *s;

			/* The overflow bit stands for datasets past it: name the primary one. */
			if (i == DT_TAINT_OVERFLOW)
				i = v->taint.primary;
			ds = exfil_key(c, k, m, i, &fk);
			if (!ds)
				continue;
			s = finding_get(c, &fk, v->first_ns, v->uid,
					!m ? NULL : m->point[0] ? m->point : m->source);
			if (!s)
				continue;
			s->bytes = v->bytes;
			s->ops = v->ops;
			s->last_ns = v->last_ns;
			finding_progress(c, &fk, s);
		}
	}
}

/*
 * The kernel refused (or, dry-run, would have refused) a tainted process's sends to one
 * destination: every dataset of the process that may not go there gets the disposition on
 * its exfiltration finding, opened here when nothing got through to open it.
 */
void corr_enforce(struct correlator *c, const struct dt_egress_key *k, const struct dt_enf_val *v)
{
	uint64_t start = proc_start(c, k->tgid);

	for (uint32_t w = 0; w < DT_TAINT_WORDS; w++) {
		for (uint64_t bits = v->ds[w]; bits; bits &= bits - 1) {
			uint32_t i = w * 64 + __builtin_ctzll(bits);
			struct finding_key fk = { .kind = FK_EXFILTRATION, .tgid = k->tgid,
						  .start_ns = start };
			const struct inv_dataset *ds;
			struct finding_state *s;
			bool news;

			ds = exfil_key(c, k, NULL, i, &fk);
			if (!ds)
				continue;
			s = finding_get(c, &fk, v->first_ns, 0, NULL);
			if (!s)
				continue;
			news = !s->created || s->enf_action != v->action || s->enf_dry != !!v->dry;
			s->enf_action = v->action;
			s->enf_dry = v->dry;
			s->enf_attempts = v->attempts;
			s->enf_bytes = v->bytes;
			if (v->last_ns > s->last_ns)
				s->last_ns = v->last_ns;
			if (news)
				emit_finding(c, &fk, s, false);
		}
	}
}

void corr_agent(struct correlator *c, const struct dt_ev_agent *e)
{
	struct finding_key fk = { .kind = FK_AGENT_TAMPER, .tgid = e->tgid };
	struct finding_state *s;
	char path[sizeof(e->path) + 1];

	fk.start_ns = proc_start(c, e->tgid);
	fk.dataset = 0;
	fk.target[0] = e->kind;
	fk.target[1] = (uint8_t)e->sig;
	memcpy(path, e->path, sizeof(e->path));
	path[sizeof(e->path)] = 0;
	if (e->kind == DT_AGENT_PIN_OPEN || e->kind == DT_AGENT_BPF_OBJ ||
	    e->kind == DT_AGENT_MAP_MMAP) {
		/*
		 * One finding per pinned map, or per bpf() command and object: the path's (the
		 * object's name's) hash, as pin paths share long prefixes.
		 */
		uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, path, strlen(path));

		memcpy(fk.target + 8, &h, sizeof(h));
	}
	s = finding_get(c, &fk, e->hdr.ts_ns, e->uid, path);
	if (!s)
		return;
	s->ops++;
	s->last_ns = e->hdr.ts_ns;
	finding_progress(c, &fk, s);
}

void corr_inspect(struct correlator *c, uint32_t tgid, const struct dt_inspect *v)
{
	struct finding_key fk = { .kind = FK_AGENT_INSPECT, .tgid = tgid };
	struct finding_state s = {};
	char first[sizeof(v->first) + 1];
	uint64_t h;

	fk.start_ns = proc_start(c, tgid);
	/* One finding per process and minute: the minute's start tells them apart. */
	memcpy(fk.target, &v->first_ns, sizeof(v->first_ns));
	memcpy(first, v->first, sizeof(v->first));
	first[sizeof(v->first)] = 0;
	h = hash_fnv1a(HASH_FNV1A_INIT, c->octx->hostname, strlen(c->octx->hostname));
	h = hash_fnv1a(h, &fk, sizeof(fk));
	finding_uid(s.uid, h);
	s.first_ns = v->first_ns;
	s.last_ns = v->last_ns;
	s.next_threshold = FINDING_FIRST_BYTES;
	s.actor_uid = v->uid;
	s.ops = v->objects;
	s.access = v->ops;
	s.path = first;
	/* Not kept: there is nothing to update or close. */
	emit_finding(c, &fk, &s, false);
}

void corr_taint(struct correlator *c, const struct dt_ev_taint *e)
{
	struct dt_taint *t = hmap_put(&c->taints, &e->tgid, NULL);

	if (t)
		*t = e->taint;
}

/*
 * Final updates: every finding of @tgid (or all, @tgid 0) whose numbers moved since; when
 * @forget (the process exited), a Close for every finding, moved or not.
 */
static void finish(struct correlator *c, uint32_t tgid, bool forget)
{
	struct finding_key *k;
	struct finding_state *s;
	size_t it = 0;

	while (hmap_next(&c->findings, &it, (void **)&k, (void **)&s)) {
		if (tgid && k->tgid != tgid)
			continue;
		if ((forget && s->created) || s->bytes != s->reported_bytes ||
		    s->ops != s->reported_ops || s->enf_attempts + s->enf_bytes != s->reported_enf)
			emit_finding(c, k, s, forget);
		if (forget) {
			state_free(s);
			hmap_del(&c->findings, k);
		}
	}
}

/* @tgid, started at @start_ns, ended: nothing counted for it later opens a finding. */
static void note_closed(struct correlator *c, uint32_t tgid, uint64_t start_ns)
{
	struct closed_key ck = { .tgid = tgid, .start_ns = start_ns };
	struct closed_key *k;
	uint64_t *seq;
	size_t it = 0;

	/* Unknown start: a reused pid could not be told apart, so it is not remembered. */
	if (!start_ns)
		return;
	if (hmap_count(&c->closed) >= CORR_CLOSED_MAX)
		while (hmap_next(&c->closed, &it, (void **)&k, (void **)&seq))
			if (*seq + CORR_CLOSED_MAX / 2 <= c->closed_seq)
				hmap_del(&c->closed, k);
	seq = hmap_put(&c->closed, &ck, NULL);
	if (seq)
		*seq = c->closed_seq++;
}

void corr_remote(struct correlator *c, uint32_t tgid, const struct remote_origin *o)
{
	struct remote_origin *r = hmap_put(&c->remotes, &tgid, NULL);

	if (r)
		*r = *o;
}

void corr_proc_exit(struct correlator *c, uint32_t tgid)
{
	note_closed(c, tgid, proc_start(c, tgid));
	finish(c, tgid, true);
	hmap_del(&c->taints, &tgid);
	hmap_del(&c->remotes, &tgid);
}

void corr_flush(struct correlator *c)
{
	finish(c, 0, false);
}
