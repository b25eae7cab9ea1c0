// SPDX-License-Identifier: GPL-2.0
/* test_enforce.c - the kernel's enforcement policy built from an inventory: slots, masks, rules. */
#include <string.h>

#include "enforce.h"
#include "test.h"

static const char inv_json[] =
	"{\"datasets\": ["
	"{\"id\": \"a\", \"classification\": \"restricted\", \"paths\": [\"/a\"],"
	" \"enforce\": \"block\", \"allowed_egress\": [\"10.20.0.0/16\", \"192.168.7.10:443\","
	" \"fd00::/9\"]},"
	"{\"id\": \"b\", \"classification\": \"internal\", \"paths\": [\"/b\"]},"
	"{\"id\": \"c\", \"classification\": \"confidential\", \"paths\": [\"/c\"],"
	" \"enforce\": \"kill\"}]}";

static struct dt_enf_policy pol[ENF_SLOTS];

static void test_policy_build(void)
{
	static const uint8_t v4_16[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [13] = 20 };
	struct inventory *inv = NULL;
	struct errbuf eb = { "" };
	uint64_t mask[DT_TAINT_WORDS];
	const struct dt_enf_rule *r;

	if (!ASSERT_OK(inventory_parse_offline(inv_json, strlen(inv_json), "t.json", &inv, &eb),
		       eb.msg))
		return;
	enf_policy_build(inv, pol, mask);
	ASSERT_EQ(mask[0], 1ULL | 4ULL, "slots a and c enforce, b is monitored");
	ASSERT_EQ(mask[1] | mask[2] | mask[3], 0ULL, "no other slot");
	ASSERT_EQ(pol[0].action, DT_ENF_BLOCK, "a blocks");
	ASSERT_EQ(pol[1].action, DT_ENF_MONITOR, "b monitors");
	ASSERT_EQ(pol[2].action, DT_ENF_KILL, "c kills");
	ASSERT_EQ(pol[2].n_rules, 0, "c may go nowhere");
	if (!ASSERT_EQ(pol[0].n_rules, 3, "a's rules"))
		goto out;
	r = &pol[0].rules[0];
	ASSERT_TRUE(!memcmp(r->addr, v4_16, 16), "v4-mapped, masked");
	ASSERT_EQ(r->mask[11], 0xff, "the ::ffff: part is matched");
	ASSERT_EQ(r->mask[13], 0xff, "/16 covers two bytes of the v4 address");
	ASSERT_EQ(r->mask[14], 0, "and no more");
	ASSERT_EQ(r->port, 0, "any port");
	r = &pol[0].rules[1];
	ASSERT_EQ(r->mask[15], 0xff, "a bare address is /32");
	ASSERT_EQ(r->port, 443, "port");
	r = &pol[0].rules[2];
	ASSERT_EQ(r->addr[0], 0xfd, "v6");
	ASSERT_EQ(r->mask[1], 0x80, "/9 takes one bit of the second byte");
	ASSERT_EQ(r->mask[2], 0, "and nothing after");
out:
	inventory_free(inv);
}

static void test_mode_names(void)
{
	ASSERT_STREQ(enf_mode_name(DT_ENF_OFF), "off", "off");
	ASSERT_STREQ(enf_mode_name(DT_ENF_DRY_RUN), "dry-run", "dry-run");
	ASSERT_STREQ(enf_mode_name(DT_ENF_ON), "on", "on");
}

TEST_MAIN("enforce", TEST_CASE(test_policy_build), TEST_CASE(test_mode_names))
