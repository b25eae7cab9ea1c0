// SPDX-License-Identifier: GPL-2.0
/* test_log.c - levels of the agent's messages for --log-format json. */
#include "log.h"
#include "test.h"

static const char *level(const char *msg)
{
	return log_level(msg, strlen(msg));
}

static void test_levels(void)
{
	struct errbuf eb = {};

	ASSERT_STREQ(level("datatrail: watching 2 datasets, 9 inodes"), "info", "start");
	ASSERT_STREQ(level("datatrail: inventory 'a.json' reloaded: 1 datasets, 2 inodes"), "info",
		     "reload");
	ASSERT_STREQ(level("datatrail: stopped: 1 events, 0 findings written"), "info", "stop");
	ASSERT_STREQ(level("datatrail: reload: inventory 'a.json': bad; the inventory in force "
			   "stays"), "warning", "refused reload");
	ASSERT_STREQ(level("datatrail: ring_buffer: lost 3 records on cpu 1"), "warning", "loss");
	ASSERT_STREQ(level("libbpf: prog 'x': failed to attach"), "warning", "library");
	ASSERT_STREQ(level("datatrail: inventory 'x' reloaded"), "warning", "not the whole form");
	ASSERT_OK(log_set_format("text", &eb), "text");
	ASSERT_ERR(log_set_format("xml", &eb), "xml");
	ASSERT_STREQ(eb.msg, "option '--log-format': bad value 'xml' (text or json)", "message");
}

TEST_MAIN("log", TEST_CASE(test_levels))
