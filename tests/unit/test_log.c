// SPDX-License-Identifier: GPL-2.0
/* test_log.c - the agent's messages: levels for --log-format json, and escaping. */
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

static const char *esc(const char *in)
{
	static char out[256];

	log_escape(in, strlen(in), out);
	return out;
}

static void test_escape(void)
{
	char out[64];

	ASSERT_STREQ(esc("/mnt/data set"), "/mnt/data set", "printable ASCII as is");
	ASSERT_STREQ(esc("a\nb"), "a\\x0ab", "newline");
	ASSERT_STREQ(esc("\x1b[2J"), "\\x1b[2J", "ESC");
	ASSERT_STREQ(esc("a\rb"), "a\\x0db", "CR");
	ASSERT_STREQ(esc("a\tb"), "a\\x09b", "tab");
	ASSERT_STREQ(esc("a\x7f"), "a\\x7f", "DEL");
	ASSERT_STREQ(esc("\x9b" "2J"), "\\x9b2J", "8-bit CSI, a lone byte");
	ASSERT_STREQ(esc("\xc2\x9b" "2J"), "\\xc2\\x9b2J", "C1 CSI as UTF-8");
	ASSERT_STREQ(esc("\xc2\x85"), "\\xc2\\x85", "NEL");
	ASSERT_STREQ(esc("caf\xc3\xa9 \xe6\x95\xb0\xe6\x8d\xae \xf0\x9f\x93\x8a"),
		     "caf\xc3\xa9 \xe6\x95\xb0\xe6\x8d\xae \xf0\x9f\x93\x8a", "valid UTF-8 kept");
	ASSERT_STREQ(esc("\xc2\xa0"), "\xc2\xa0", "U+00A0, past C1, kept");
	ASSERT_STREQ(esc("x\xc3("), "x\\xc3(", "truncated sequence");
	ASSERT_STREQ(esc("\xc0\xaf"), "\\xc0\\xaf", "overlong slash");
	ASSERT_STREQ(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80", "surrogate");
	ASSERT_STREQ(esc("\xff\xfe"), "\\xff\\xfe", "never UTF-8");
	ASSERT_STREQ(esc("back\\slash"), "back\\slash", "backslash as is");
	ASSERT_EQ(log_escape("a\0b", 3, out), 6, "NUL inside the length");
	ASSERT_STREQ(out, "a\\x00b", "NUL");
}

/* A message through dt_flog(): @fmt and one argument, as the stream got it. */
static const char *logged(const char *fmt, const char *arg)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	dt_flog(f, fmt, arg);
	fclose(f);
	return buf;
}

static void test_messages_escaped(void)
{
	static const char forged[] = "/mnt/x\ndatatrail: stopped: 0 events, 0 findings written\x1b[2J";
	char big[2000];

	ASSERT_STREQ(logged("datatrail: egress mount '%s' (fuse)\n", forged),
		     "datatrail: egress mount '/mnt/x\\x0adatatrail: stopped: 0 events, 0 findings "
		     "written\\x1b[2J' (fuse)\n",
		     "one line: the forged line and the escape are text");
	ASSERT_STREQ(logged("datatrail: '%s'", "a\r"), "datatrail: 'a\\x0d'", "no final newline");
	ASSERT_STREQ(logged("datatrail: %s\n", "\n"), "datatrail: \\x0a\n",
		     "only the message's own last newline stays");
	/* Past the stack buffer: the same, from the heap. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	big[1500] = '\x1b';
	ASSERT_TRUE(!strncmp(logged("%s\n", big) + 1500, "\\x1baaa", 7), "long message escaped too");
	ASSERT_EQ(strlen(logged("%s\n", big)), sizeof(big) - 1 + 3 + 1, "its length");
}

TEST_MAIN("log", TEST_CASE(test_levels), TEST_CASE(test_escape), TEST_CASE(test_messages_escaped))
