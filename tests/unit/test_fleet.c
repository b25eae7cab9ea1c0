/* SPDX-License-Identifier: GPL-2.0 */
/* test_fleet.c - unit tests of fleet advisories (signature, fields) and --scope parsing. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet.h"
#include "scope.h"
#include "test.h"

static const char KEY[] = "0123456789abcdef0123456789abcdef";
static const char INV[] =
	"{\"datasets\": [{\"id\": \"weights\", \"classification\": \"restricted\", "
	"\"paths\": [\"/nonexistent/w\"], \"allowed_egress\": [\"10.204.1.0/24\", "
	"\"[fd00::1]:443\"]}]}";

static struct inventory *inv_load(void)
{
	struct inventory *inv = NULL;
	struct errbuf eb = {};

	ASSERT_OK(inventory_parse_offline(INV, strlen(INV), "inv.json", &inv, &eb), eb.msg);
	return inv;
}

/* An advisory for a send of dataset 0 from 10.204.1.1:40000 to 10.204.1.2:9200. */
static int make_advisory(struct fleet *f, char sig[65], const char **text, size_t *len)
{
	struct dt_egress_key k = { .tgid = 77, .port = 9200, .proto = 6,
				   .addr = { [10] = 0xff, [11] = 0xff, 10, 204, 1, 2 } };
	static const uint8_t src[16] = { [10] = 0xff, [11] = 0xff, 10, 204, 1, 1 };
	struct dt_taint t = { .ds = { 1 }, .label = DT_LABEL_RESTRICTED };
	int ret = fleet_advisory(f, &k, &t, src, 40000, "python3", sig);

	*text = fleet_advisory_text(f, len);
	return ret;
}

static void test_signature(void)
{
	struct inventory *inv = inv_load();
	struct fleet *f = fleet_new("node-a", KEY, strlen(KEY));
	struct fleet *other = fleet_new("node-x", "another key of 32 bytes, not ours", 33);
	struct fleet_hooks hooks = {};
	char sig[65], bad[65];
	const char *text;
	size_t len;

	fleet_set_maps(f, -1, -1, -1, -1, -1, -1, -1, NULL, inv, &hooks);
	fleet_set_maps(other, -1, -1, -1, -1, -1, -1, -1, NULL, inv, &hooks);
	ASSERT_OK(make_advisory(f, sig, &text, &len), "advisory");
	ASSERT_HAS(text, "\"src\":\"10.204.1.1\",\"sport\":40000,\"dst\":\"10.204.1.2\"", "flow");
	ASSERT_HAS(text, "\"allowed_egress\":[\"10.204.1.0/24\",\"[fd00::1]/128:443\"]", "policy");
	ASSERT_OK(fleet_verify(f, text, len, sig), "own signature");
	ASSERT_EQ(fleet_verify(f, text, len, NULL), -EPERM, "unsigned");
	memcpy(bad, sig, sizeof(bad));
	bad[0] = bad[0] == '0' ? '1' : '0';
	ASSERT_EQ(fleet_verify(f, text, len, bad), -EPERM, "bad signature");
	ASSERT_EQ(fleet_verify(f, text, len - 1, sig), -EPERM, "changed text");
	/* Signed with another key: refused and counted, never parsed. */
	ASSERT_OK(make_advisory(other, sig, &text, &len), "other advisory");
	ASSERT_EQ(fleet_ingest(f, text, len, sig, 0), -EPERM, "foreign key");
	{
		struct fleet_stats st;

		fleet_stats(f, &st);
		ASSERT_EQ(st.rejected_sig, 1, "counted");
		ASSERT_EQ(st.consumed, 1, "consumed");
	}
	fleet_close(f);
	fleet_close(other);
	inventory_free(inv);
}

/* The same advisory twice (a resend from the spool): taken once, the second counted. */
static void test_duplicate(void)
{
	struct inventory *inv = inv_load();
	struct fleet *f = fleet_new("node-b", KEY, strlen(KEY));
	struct fleet_hooks hooks = {};
	struct fleet_stats st;
	char sig[65];
	const char *text;
	size_t len;

	fleet_set_maps(f, -1, -1, -1, -1, -1, -1, -1, NULL, inv, &hooks);
	ASSERT_OK(make_advisory(f, sig, &text, &len), "advisory");
	/* No local address: not ours, but taken (verified and parsed). */
	ASSERT_EQ(fleet_ingest(f, text, len, sig, 0), -ENOENT, "first");
	ASSERT_EQ(fleet_ingest(f, text, len, sig, 1), -EALREADY, "second");
	fleet_stats(f, &st);
	ASSERT_EQ(st.consumed, 2, "consumed");
	ASSERT_EQ(st.duplicates, 1, "duplicates");
	ASSERT_EQ(st.not_ours, 1, "the first only");
	fleet_close(f);
	inventory_free(inv);
}

/* Signed but broken: every field is checked before anything is looked up. */
static void test_malformed(void)
{
	static const char *const bad[] = {
		"not json",
		"{\"v\":2}",
		"{\"v\":1,\"node\":\"a\",\"proto\":\"tcp\",\"src\":\"10.0.0.1\",\"sport\":1,"
		"\"dst\":\"10.0.0.300\",\"dport\":1,\"pid\":1,\"ts_ms\":1,\"datasets\":[]}",
		"{\"v\":1,\"node\":\"a\",\"proto\":\"tcp\",\"src\":\"10.0.0.1\",\"sport\":1,"
		"\"dst\":\"10.0.0.2\",\"dport\":1,\"pid\":1,\"ts_ms\":1,\"datasets\":["
		"{\"id\":\"w\",\"classification\":\"secret\",\"allowed_egress\":[]}]}",
		"{\"v\":1,\"node\":\"a\",\"proto\":\"tcp\",\"src\":\"10.0.0.1\",\"sport\":1,"
		"\"dst\":\"10.0.0.2\",\"dport\":1,\"pid\":1,\"ts_ms\":1,\"datasets\":["
		"{\"id\":\"w\",\"classification\":\"restricted\",\"allowed_egress\":[\"x/99\"]}]}",
	};
	struct fleet *f = fleet_new("node-b", KEY, strlen(KEY));
	struct inventory *inv = inv_load();
	struct fleet_hooks hooks = {};
	struct fleet_stats st;
	static char big[FLEET_MAX_ADVISORY + 2];
	char sig[65];

	fleet_set_maps(f, -1, -1, -1, -1, -1, -1, -1, NULL, inv, &hooks);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fleet_sign(f, bad[i], strlen(bad[i]), sig);
		ASSERT_EQ(fleet_ingest(f, bad[i], strlen(bad[i]), sig, 0), -EINVAL, bad[i]);
	}
	memset(big, '{', sizeof(big) - 1);
	ASSERT_EQ(fleet_ingest(f, big, sizeof(big) - 1, NULL, 0), -EMSGSIZE, "oversized");
	fleet_stats(f, &st);
	ASSERT_EQ(st.rejected_bad, 6, "malformed and oversized counted");
	ASSERT_EQ(st.rejected_sig, 0, "all were signed");
	fleet_close(f);
	inventory_free(inv);
}

static void test_scope_parse(void)
{
	struct scope s = {};
	struct errbuf eb = {};
	struct stat st;

	ASSERT_EQ(scope_add(&s, "pid:1", &eb), -EINVAL, "kind");
	ASSERT_HAS(eb.msg, "option '--scope': bad value 'pid:1'", "message");
	ASSERT_EQ(scope_add(&s, "netns:/etc/hostname", &eb), -EINVAL, "not a namespace");
	ASSERT_HAS(eb.msg, "not a namespace file", "message");
	ASSERT_EQ(scope_add(&s, "cgroup:/etc", &eb), -EINVAL, "outside cgroup2");
	ASSERT_EQ(s.n, 0, "nothing added");
	ASSERT_OK(scope_add(&s, "netns:/proc/self/ns/net", &eb), eb.msg);
	ASSERT_OK(stat("/proc/self/ns/net", &st), "stat");
	ASSERT_EQ(s.ents[0].kind, DT_SCOPE_NETNS, "kind");
	ASSERT_EQ(s.ents[0].id, st.st_ino, "netns inode");
	if (!scope_add(&s, "cgroup:.", &eb)) {
		ASSERT_EQ(s.ents[1].kind, DT_SCOPE_CGROUP, "cgroup kind");
		ASSERT_EQ(s.ents[1].level, 0, "root level");
	}
}

static void test_foreign_slot(void)
{
	static const char *const ids[] = { "weights", "gone" };
	struct inventory *inv = inv_load();
	struct inv_cidr eg;
	uint32_t idx = 99;

	ASSERT_OK(inv_cidr_parse("10.0.0.0/8", &eg), "cidr");
	ASSERT_OK(inventory_align_ids(inv, ids, 2), "align");
	ASSERT_EQ(inv->n_datasets, 2, "retired slot kept");
	/* A retired slot of the same id is taken back, anything else gets a new one. */
	ASSERT_OK(inventory_add_foreign(inv, "gone", DT_LABEL_CONFIDENTIAL, &eg, 1, &idx), "revive");
	ASSERT_EQ(idx, 1, "slot of 'gone'");
	ASSERT_OK(inventory_add_foreign(inv, "remote", DT_LABEL_RESTRICTED, &eg, 1, &idx), "new");
	ASSERT_EQ(idx, 2, "new slot");
	ASSERT_EQ(inv->n_datasets, 3, "datasets");
	ASSERT_TRUE(inv->datasets[2].foreign && !inv->datasets[2].retired, "foreign");
	ASSERT_EQ(inv->datasets[2].label, DT_LABEL_RESTRICTED, "label");
	ASSERT_EQ(inv->datasets[2].n_egress, 1, "egress");
	inventory_free(inv);
}

TEST_MAIN("fleet", TEST_CASE(test_signature), TEST_CASE(test_duplicate), TEST_CASE(test_malformed), TEST_CASE(test_scope_parse),
	  TEST_CASE(test_foreign_slot))
