// SPDX-License-Identifier: GPL-2.0
/* test_json.c - the JSON writer and the OCSF encoders: exact text, escaping, valid output. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ocsf.h"
#include "test.h"

/*
 * Records that touch every branch of the encoders, with strings that need escaping in the
 * variable fields. The exact lines they give are pinned below: the encoders are tuned for
 * speed, and no byte of their output may change with that.
 */
static void fill_proc(struct proc_info *pi, uint32_t pid, uint32_t uid, const char *comm,
		      const char *exe, const char *cmdline)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	pi->ppid = 1;
	pi->uid = uid;
	snprintf(pi->comm, sizeof(pi->comm), "%s", comm);
	snprintf(pi->exe, sizeof(pi->exe), "%s", exe);
	snprintf(pi->cmdline, sizeof(pi->cmdline), "%s", cmdline);
}

static int enc_file_read(struct jbuf *jb, uint32_t access)
{
	static const struct ocsf_ctx ctx = { .hostname = "gpu-node-7",
					     .mono_to_real_ns = 1700000000000000000LL };
	struct proc_info pi;
	struct file_record r = {
		.ts_ns = 123456789,
		.path = "/data/faces/\"quoted\"\tdir/caf\xc3\xa9 \xff.jpg",
		.dev = (259u << 20) | 3,
		.ino = 18446744073709551615ull,
		.proc = &pi,
		.uid = 4294967295u,
		.dataset = "faces",
		.label = DT_LABEL_RESTRICTED,
		.access = access,
		.bytes = 0,
		.ops = 1,
	};

	fill_proc(&pi, 4242, 1001, "py\\thon", "/usr/bin/python3.11",
		  "python3 train.py --msg \"a\\b\"\n\x01\x1f end");
	return ocsf_file_read(jb, &ctx, &r);
}

static int enc_finding(struct jbuf *jb)
{
	static const struct ocsf_ctx ctx = { .hostname = "h\"ost", .mono_to_real_ns = -5000000 };
	static const char *const attacks[] = { "T1048", "Exfiltration Over Alternative Protocol",
					       "TA0010", "Exfiltration", NULL };
	static const char *const tags[] = { "PII", "gdpr \"art. 9\"" };
	static const uint8_t dst[16] = { [10] = 0xff, [11] = 0xff, 203, 0, 113, 10 };
	struct proc_info chain[3];
	struct finding_record f = {
		.kind = "exfiltration",
		.uid = "datatrail:h:exfiltration:42",
		.title = "python3 sent 1.0 GiB of \"faces\" to 203.0.113.10",
		.activity_id = 2,
		.severity_id = 4,
		.first_ns = 10000000,
		.last_ns = 99000000,
		.chain = chain,
		.chain_len = 3,
		.actor_uid = 1000,
		.dataset = "faces",
		.label = "restricted",
		.tags = tags,
		.n_tags = 2,
		.file_path = "/tmp/out\\copy.bin",
		.dst_addr = dst,
		.dst_port = 443,
		.dst_proto = "tcp",
		.bytes = 1073741824,
		.ops = 16384,
		.operations = "write,truncate",
		.via_hop = "pipe",
		.via_pid = 77,
		.attacks = attacks,
	};

	fill_proc(&chain[0], 4242, 1000, "python3", "/usr/bin/python3.11", "python3 up.py");
	fill_proc(&chain[1], 4000, 1000, "bash", "/bin/bash", "bash -c \"python3 up.py\"");
	fill_proc(&chain[2], 1, 0, "systemd", "/lib/systemd/systemd", "");
	return ocsf_finding(jb, &ctx, &f);
}

static int enc_gap(struct jbuf *jb, int cpu)
{
	static const struct ocsf_ctx ctx = { .hostname = "gpu-node-7", .mono_to_real_ns = 0 };
	struct gap_record g = { .start_ns = 1000000, .end_ns = 3000000, .source = "ring_buffer",
				.cpu = cpu, .lost = 12, .seq = 9 };

	return ocsf_visibility_gap(jb, &ctx, &g);
}

static const char want_file_read[] =
	"{\"class_uid\":1001,\"class_name\":\"File System Activity\",\"category_uid\":1,"
	"\"category_name\":\"System Activity\",\"activity_id\":2,\"activity_name\":\"Read"
	"\",\"type_uid\":100102,\"type_name\":\"File System Activity: Read\",\"severity_i"
	"d\":1,\"severity\":\"Informational\",\"status_id\":1,\"status\":\"Success\",\"ti"
	"me\":1700000000123,\"metadata\":{\"version\":\"1.8.0\",\"uid\":\"3a476ad1-4dcd-8"
	"8d0-aa67-90427e6c8359\",\"profiles\":[\"host\"],\"product\":{\"name\":\"datatrai"
	"l\",\"vendor_name\":\"datatrail\",\"version\":\"" DT_VERSION "\"}},\"device\":{"
	"\"hostname\":\"gpu-node-7\",\"uid\":\"9a371f29eed4a644\",\"type_id\":1,\"type\":"
	"\"Server\"},\"count\":1,\"file\":{\"path\":\"/data/faces/\\\"quoted\\\"\\tdir/ca"
	"f\xc3""\xa9"" \\ufffd.jpg\",\"name\":\"caf\xc3""\xa9"" \\ufffd.jpg\",\"type_id\""
	":1,\"type\":\"Regular File\",\"uid\":\"259:3:18446744073709551615\",\"confidenti"
	"ality_id\":6,\"confidentiality\":\"Restricted\"},\"actor\":{\"process\":{\"uid\""
	":\"e08ebfe020983006\",\"pid\":4242,\"name\":\"py\\\\thon\",\"cmd_line\":\"python"
	"3 train.py --msg \\\"a\\\\b\\\"\\n\\u0001\\u001f end\",\"file\":{\"path\":\"/usr"
	"/bin/python3.11\",\"name\":\"python3.11\",\"type_id\":1,\"type\":\"Regular File"
	"\"},\"user\":{\"uid\":\"4294967295\"}}},\"unmapped\":{\"dataset\":\"faces\",\"by"
	"tes\":0,\"access\":\"mmap\"}}\n";
static const char want_file_rename[] =
	"{\"class_uid\":1001,\"class_name\":\"File System Activity\",\"category_uid\":1,"
	"\"category_name\":\"System Activity\",\"activity_id\":5,\"activity_name\":\"Rena"
	"me\",\"type_uid\":100105,\"type_name\":\"File System Activity: Rename\",\"severi"
	"ty_id\":1,\"severity\":\"Informational\",\"status_id\":1,\"status\":\"Success\","
	"\"time\":1700000000123,\"metadata\":{\"version\":\"1.8.0\",\"uid\":\"6dcee23c-8d"
	"6b-8767-bba3-1f5b08af8410\",\"profiles\":[\"host\"],\"product\":{\"name\":\"data"
	"trail\",\"vendor_name\":\"datatrail\",\"version\":\"" DT_VERSION "\"}},\"device"
	"\":{\"hostname\":\"gpu-node-7\",\"uid\":\"9a371f29eed4a644\",\"type_id\":1,\"typ"
	"e\":\"Server\"},\"count\":1,\"file\":{\"path\":\"/data/faces/\\\"quoted\\\"\\tdi"
	"r/caf\xc3""\xa9"" \\ufffd.jpg\",\"name\":\"caf\xc3""\xa9"" \\ufffd.jpg\",\"type_"
	"id\":1,\"type\":\"Regular File\",\"uid\":\"259:3:18446744073709551615\",\"confid"
	"entiality_id\":6,\"confidentiality\":\"Restricted\"},\"actor\":{\"process\":{\"u"
	"id\":\"e08ebfe020983006\",\"pid\":4242,\"name\":\"py\\\\thon\",\"cmd_line\":\"py"
	"thon3 train.py --msg \\\"a\\\\b\\\"\\n\\u0001\\u001f end\",\"file\":{\"path\":\""
	"/usr/bin/python3.11\",\"name\":\"python3.11\",\"type_id\":1,\"type\":\"Regular F"
	"ile\"},\"user\":{\"uid\":\"4294967295\"}}},\"unmapped\":{\"dataset\":\"faces\","
	"\"bytes\":0,\"access\":\"rename\"}}\n";
static const char want_finding[] =
	"{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,\"ca"
	"tegory_name\":\"Findings\",\"activity_id\":2,\"activity_name\":\"Update\",\"type"
	"_uid\":200402,\"type_name\":\"Detection Finding: Update\",\"severity_id\":4,\"se"
	"verity\":\"High\",\"status_id\":1,\"status\":\"New\",\"time\":94,\"message\":\"p"
	"ython3 sent 1.0 GiB of \\\"faces\\\" to 203.0.113.10\",\"metadata\":{\"version\""
	":\"1.8.0\",\"uid\":\"a4c35798-809b-8fff-96dd-89f2e0271822\",\"profiles\":[\"host"
	"\",\"data_classification\"],\"product\":{\"name\":\"datatrail\",\"vendor_name\":"
	"\"datatrail\",\"version\":\"" DT_VERSION "\"}},\"device\":{\"hostname\":\"h\\\"o"
	"st\",\"uid\":\"074ca875ec6a78a7\",\"type_id\":1,\"type\":\"Server\"},\"count\":1"
	"6384,\"start_time\":5,\"end_time\":94,\"finding_info\":{\"uid\":\"datatrail:h:ex"
	"filtration:42\",\"title\":\"python3 sent 1.0 GiB of \\\"faces\\\" to 203.0.113.1"
	"0\",\"types\":[\"exfiltration\"],\"analytic\":{\"uid\":\"exfiltration\",\"name\""
	":\"exfiltration\",\"type_id\":1,\"type\":\"Rule\"},\"created_time\":5,\"first_se"
	"en_time\":5,\"last_seen_time\":94,\"modified_time\":94,\"attacks\":[{\"technique"
	"\":{\"uid\":\"T1048\",\"name\":\"Exfiltration Over Alternative Protocol\"},\"tac"
	"tic\":{\"uid\":\"TA0010\",\"name\":\"Exfiltration\"},\"version\":\"v17\"}]},\"ev"
	"idences\":[{\"process\":{\"uid\":\"946e04fdc90e4125\",\"pid\":4242,\"name\":\"py"
	"thon3\",\"cmd_line\":\"python3 up.py\",\"file\":{\"path\":\"/usr/bin/python3.11"
	"\",\"name\":\"python3.11\",\"type_id\":1,\"type\":\"Regular File\"},\"user\":{\""
	"uid\":\"1000\"},\"parent_process\":{\"uid\":\"edec9b194e6c8eee\",\"pid\":4000,\""
	"name\":\"bash\",\"cmd_line\":\"bash -c \\\"python3 up.py\\\"\",\"file\":{\"path"
	"\":\"/bin/bash\",\"name\":\"bash\",\"type_id\":1,\"type\":\"Regular File\"},\"us"
	"er\":{\"uid\":\"1000\"},\"parent_process\":{\"uid\":\"5441ff7b39f63226\",\"pid\""
	":1,\"name\":\"systemd\",\"cmd_line\":\"\",\"file\":{\"path\":\"/lib/systemd/syst"
	"emd\",\"name\":\"systemd\",\"type_id\":1,\"type\":\"Regular File\"},\"user\":{\""
	"uid\":\"0\"}}}},\"dst_endpoint\":{\"ip\":\"203.0.113.10\",\"port\":443},\"connec"
	"tion_info\":{\"direction_id\":2,\"direction\":\"Outbound\",\"protocol_name\":\"t"
	"cp\",\"protocol_num\":6},\"file\":{\"path\":\"/tmp/out\\\\copy.bin\",\"name\":\""
	"out\\\\copy.bin\",\"type_id\":1,\"type\":\"Regular File\"}}],\"resources\":[{\"u"
	"id\":\"faces\",\"name\":\"faces\",\"type\":\"dataset\",\"labels\":[\"restricted"
	"\",\"PII\",\"gdpr \\\"art. 9\\\"\"],\"data_classifications\":[{\"confidentiality"
	"_id\":6,\"confidentiality\":\"Restricted\"}]}],\"unmapped\":{\"bytes\":107374182"
	"4,\"operations\":\"write,truncate\",\"via\":{\"hop\":\"pipe\",\"from_pid\":77}}}"
	"\n";
static const char want_gap_cpu[] =
	"{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,\"ca"
	"tegory_name\":\"Findings\",\"activity_id\":1,\"activity_name\":\"Create\",\"type"
	"_uid\":200401,\"type_name\":\"Detection Finding: Create\",\"severity_id\":3,\"se"
	"verity\":\"Medium\",\"status_id\":1,\"status\":\"New\",\"time\":3,\"message\":\""
	"datatrail lost 12 records (ring_buffer) on cpu 1\",\"metadata\":{\"version\":\"1"
	".8.0\",\"uid\":\"6dd7151c-4ab3-8c7a-9e6c-2b2ba5ee9eb5\",\"profiles\":[\"host\"],"
	"\"product\":{\"name\":\"datatrail\",\"vendor_name\":\"datatrail\",\"version\":\""
	"" DT_VERSION "\"}},\"device\":{\"hostname\":\"gpu-node-7\",\"uid\":\"9a371f29eed"
	"4a644\",\"type_id\":1,\"type\":\"Server\"},\"count\":12,\"start_time\":1,\"end_t"
	"ime\":3,\"finding_info\":{\"uid\":\"datatrail:gpu-node-7:visibility_gap:ring_buf"
	"fer:1:9\",\"title\":\"datatrail lost 12 records (ring_buffer) on cpu 1\",\"types"
	"\":[\"visibility_gap\"],\"analytic\":{\"uid\":\"visibility_gap\",\"name\":\"visi"
	"bility_gap\",\"type_id\":1,\"type\":\"Rule\"},\"created_time\":3},\"unmapped\":{"
	"\"source\":\"ring_buffer\",\"cpu\":1}}\n";
static const char want_gap[] =
	"{\"class_uid\":2004,\"class_name\":\"Detection Finding\",\"category_uid\":2,\"ca"
	"tegory_name\":\"Findings\",\"activity_id\":1,\"activity_name\":\"Create\",\"type"
	"_uid\":200401,\"type_name\":\"Detection Finding: Create\",\"severity_id\":3,\"se"
	"verity\":\"Medium\",\"status_id\":1,\"status\":\"New\",\"time\":3,\"message\":\""
	"datatrail lost 12 records (ring_buffer)\",\"metadata\":{\"version\":\"1.8.0\",\""
	"uid\":\"4fa25d5a-9c04-8192-a3d0-eec8a4de59f3\",\"profiles\":[\"host\"],\"product"
	"\":{\"name\":\"datatrail\",\"vendor_name\":\"datatrail\",\"version\":\""
	"" DT_VERSION "\"}},\"device\":{\"hostname\":\"gpu-node-7\",\"uid\":\"9a371f29eed"
	"4a644\",\"type_id\":1,\"type\":\"Server\"},\"count\":12,\"start_time\":1,\"end_t"
	"ime\":3,\"finding_info\":{\"uid\":\"datatrail:gpu-node-7:visibility_gap:ring_buf"
	"fer:-1:9\",\"title\":\"datatrail lost 12 records (ring_buffer)\",\"types\":[\"vi"
	"sibility_gap\"],\"analytic\":{\"uid\":\"visibility_gap\",\"name\":\"visibility_g"
	"ap\",\"type_id\":1,\"type\":\"Rule\"},\"created_time\":3},\"unmapped\":{\"source"
	"\":\"ring_buffer\",\"cpu\":-1}}\n";
static void test_exact_lines(void)
{
	struct jbuf jb;

	jb_init(&jb);
	ASSERT_OK(enc_file_read(&jb, DT_ACC_MMAP), "encode read");
	ASSERT_STREQ(jb.buf, want_file_read, "file read line");
	ASSERT_EQ(jb.len, sizeof(want_file_read) - 1, "file read length");
	ASSERT_OK(enc_file_read(&jb, DT_ACC_RENAME), "encode rename");
	ASSERT_STREQ(jb.buf, want_file_rename, "rename line");
	ASSERT_OK(enc_finding(&jb), "encode finding");
	ASSERT_STREQ(jb.buf, want_finding, "finding line");
	ASSERT_EQ(jb.len, sizeof(want_finding) - 1, "finding length");
	ASSERT_OK(enc_gap(&jb, 1), "encode gap");
	ASSERT_STREQ(jb.buf, want_gap_cpu, "gap line, per cpu");
	ASSERT_OK(enc_gap(&jb, -1), "encode gap");
	ASSERT_STREQ(jb.buf, want_gap, "gap line");
	jb_free(&jb);
}

/* What the writer must give for one string: the plain byte-by-byte rules of json.h. */
static size_t ref_escape(const unsigned char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0;

	out[o++] = '"';
	while (i < n) {
		unsigned char c = s[i];
		size_t len = 0;
		uint32_t cp = 0;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = c;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (c < 0x20) {
			o += sprintf(out + o, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else if (c < 0x80) {
			out[o++] = c;
		} else {
			if (c >= 0xc2 && c <= 0xdf)
				len = 2, cp = c & 0x1f;
			else if ((c & 0xf0) == 0xe0)
				len = 3, cp = c & 0x0f;
			else if (c >= 0xf0 && c <= 0xf4)
				len = 4, cp = c & 0x07;
			for (size_t k = 1; len && k < len; k++) {
				if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
					len = 0;
				else
					cp = cp << 6 | (s[i + k] & 0x3f);
			}
			if (len && ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
				    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff))
				len = 0;
			if (!len) {
				o += sprintf(out + o, "\\ufffd");
			} else {
				memcpy(out + o, s + i, len);
				o += len;
				i += len;
				continue;
			}
		}
		i++;
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

/* One string through jb_strn as the only member of an object; 0 if it matches the reference. */
static bool escapes_like_ref(struct jbuf *jb, const unsigned char *s, size_t n, const char *tag)
{
	static char want[6 * 512 + 32], ref[6 * 512 + 8];

	ref_escape(s, n, ref);
	snprintf(want, sizeof(want), "{\"k\":%s}\n", ref);
	jb_reset(jb);
	jb_obj_open(jb, NULL);
	jb_strn(jb, "k", (const char *)s, n);
	jb_obj_close(jb);
	if (!ASSERT_OK(jb_finish(jb), tag))
		return false;
	return ASSERT_STREQ(jb->buf, want, tag);
}

/*
 * Every byte that needs care, at every offset of strings around the lengths where a
 * word-at-a-time scan changes step, so that runs start and end on each side of a boundary.
 */
static void test_escape_run_boundaries(void)
{
	static const unsigned char specials[] = { '"', '\\', '\n', '\t', '\r', 0, 1, 0x1f, 0x7f,
						  0x80, 0xbf, 0xc3, 0xff, ' ', '~' };
	unsigned char s[80];
	struct jbuf jb;
	char tag[64];

	jb_init(&jb);
	for (size_t n = 0; n <= 40; n++) {
		for (size_t at = 0; at < n; at++) {
			for (size_t k = 0; k < sizeof(specials); k++) {
				memset(s, 'a', n);
				s[at] = specials[k];
				snprintf(tag, sizeof(tag), "len %zu, 0x%02x at %zu", n, specials[k],
					 at);
				if (!escapes_like_ref(&jb, s, n, tag))
					goto out;
			}
		}
	}
out:
	jb_free(&jb);
}

/* UTF-8 sequences, whole, cut at the end of the string, overlong, surrogates, past U+10FFFF. */
static void test_escape_utf8(void)
{
	static const char *const seqs[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xc2\x80",
		"\xdf\xbf", "\xef\xbf\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xed\x9f\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xc3", "\xe2\x82",
		"\xf0\x9f\x98", "\xc3\x28", "\xe2\x28\xa1",
	};
	unsigned char s[64];
	struct jbuf jb;
	char tag[64];

	jb_init(&jb);
	for (size_t q = 0; q < sizeof(seqs) / sizeof(seqs[0]); q++) {
		size_t l = strlen(seqs[q]);

		/* before, inside and after an 8-byte word, and as the very last bytes */
		for (size_t pre = 0; pre <= 17; pre++) {
			for (size_t post = 0; post <= 2; post++) {
				memset(s, 'x', pre);
				memcpy(s + pre, seqs[q], l);
				memset(s + pre + l, 'y', post);
				snprintf(tag, sizeof(tag), "utf-8 #%zu after %zu bytes, %zu after", q,
					 pre, post);
				if (!escapes_like_ref(&jb, s, pre + l + post, tag))
					goto out;
			}
		}
	}
out:
	jb_free(&jb);
}

/* Long strings of random bytes and of mostly plain text, which grow the buffer many times. */
static void test_escape_long_random(void)
{
	static unsigned char s[512];
	uint32_t x = 2463534242u;
	struct jbuf jb;
	char tag[64];

	jb_init(&jb);
	for (int round = 0; round < 2000; round++) {
		size_t n = round % 512;

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* odd rounds: plain text with a special byte now and then */
			s[i] = round % 2 ? (x % 61 ? 'a' + x % 26 : x >> 8) : x >> 8;
		}
		snprintf(tag, sizeof(tag), "random round %d, %zu bytes", round, n);
		if (!escapes_like_ref(&jb, s, n, tag))
			break;
	}
	jb_free(&jb);
}

/* Many members: the buffer grows while keys, separators and values are written. */
static void test_many_members(void)
{
	struct jbuf jb;
	char want[64];
	size_t pos;

	jb_init(&jb);
	jb_obj_open(&jb, NULL);
	for (unsigned int i = 0; i < 5000; i++) {
		jb_u64(&jb, "n", i);
		jb_str(&jb, "s", "v\"");
		jb_arr_open(&jb, "a");
		jb_bool(&jb, NULL, i & 1);
		jb_i64(&jb, NULL, -(int64_t)i);
		jb_arr_close(&jb);
	}
	jb_obj_close(&jb);
	ASSERT_OK(jb_finish(&jb), "finish");
	pos = 1;
	for (unsigned int i = 0; i < 5000; i++) {
		int n = snprintf(want, sizeof(want), "%s\"n\":%u,\"s\":\"v\\\"\",\"a\":[%s,%s%u]",
				 i ? "," : "", i, i & 1 ? "true" : "false", i ? "-" : "", i);

		if (!ASSERT_TRUE(!strncmp(jb.buf + pos, want, n), "member text"))
			goto out;
		pos += n;
	}
	ASSERT_STREQ(jb.buf + pos, "}\n", "end");
out:
	jb_free(&jb);
}

static void test_nesting_and_numbers(void)
{
	struct jbuf jb;

	jb_init(&jb);
	jb_obj_open(&jb, NULL);
	jb_u64(&jb, "a", 0);
	jb_i64(&jb, "b", -42);
	jb_i64(&jb, "min", INT64_MIN);
	jb_u64(&jb, "max", UINT64_MAX);
	jb_arr_open(&jb, "l");
	jb_str(&jb, NULL, "x");
	jb_bool(&jb, NULL, true);
	jb_obj_open(&jb, NULL);
	jb_obj_close(&jb);
	jb_arr_close(&jb);
	jb_obj_close(&jb);
	ASSERT_OK(jb_finish(&jb), "finish");
	ASSERT_STREQ(jb.buf,
		     "{\"a\":0,\"b\":-42,\"min\":-9223372036854775808,\"max\":18446744073709551615,"
		     "\"l\":[\"x\",true,{}]}\n",
		     "text");
	jb_free(&jb);
}

static void test_escaping(void)
{
	const char raw[] = "q\"b\\n\n\t\x01 \xc3\xa9 \xff \xe2\x82\xac \xc0\xaf end";
	struct jbuf jb;
	cJSON *doc;

	jb_init(&jb);
	jb_obj_open(&jb, NULL);
	jb_strn(&jb, "s", raw, sizeof(raw) - 1);
	jb_strn(&jb, "nul", "a\0b", 3);
	jb_obj_close(&jb);
	ASSERT_OK(jb_finish(&jb), "finish");
	ASSERT_HAS(jb.buf, "q\\\"b\\\\n\\n\\t\\u0001 \xc3\xa9 \\ufffd \xe2\x82\xac \\ufffd\\ufffd end",
		   "escaped");
	ASSERT_HAS(jb.buf, "\"a\\u0000b\"", "nul");
	doc = cJSON_Parse(jb.buf);
	ASSERT_TRUE(doc != NULL, "parses as JSON");
	cJSON_Delete(doc);
	jb_free(&jb);
}

static void test_misnesting_fails(void)
{
	struct jbuf jb;

	jb_init(&jb);
	jb_obj_open(&jb, NULL);
	ASSERT_ERR(jb_finish(&jb), "unclosed object");
	jb_reset(&jb);
	jb_obj_close(&jb);
	ASSERT_ERR(jb_finish(&jb), "close without open");
	jb_free(&jb);
}

static void test_ocsf_file_read(void)
{
	struct proc_info pi = { .pid = 4242, .ppid = 1, .uid = 1001 };
	struct ocsf_ctx ctx = { .hostname = "gpu-node-7", .mono_to_real_ns = 1000000000000LL };
	struct file_record r = {
		.ts_ns = 5000000,
		.path = "/data/faces/x.jpg",
		.dev = (8 << 20) | 1,
		.ino = 77,
		.proc = &pi,
		.uid = 1001,
		.dataset = "faces",
		.label = DT_LABEL_RESTRICTED,
		.access = DT_ACC_MMAP,
		.bytes = 123456,
		.ops = 3,
	};
	struct jbuf jb;
	cJSON *doc;

	strcpy(pi.comm, "python3");
	strcpy(pi.exe, "/usr/bin/python3.11");
	strcpy(pi.cmdline, "python3 train.py");
	jb_init(&jb);
	ASSERT_OK(ocsf_file_read(&jb, &ctx, &r), "encode");
	doc = cJSON_Parse(jb.buf);
	if (!ASSERT_TRUE(doc != NULL, "parses"))
		goto out;
#define NUM(path) cJSON_GetNumberValue(cJSON_GetObjectItem(doc, path))
#define OBJ(o, k) cJSON_GetObjectItem(o, k)
	ASSERT_EQ(NUM("class_uid"), 1001, "class_uid");
	ASSERT_EQ(NUM("activity_id"), 2, "activity_id");
	ASSERT_EQ(NUM("type_uid"), 100102, "type_uid");
	ASSERT_EQ(NUM("time"), 1000005, "time in ms");
	ASSERT_STREQ(cJSON_GetStringValue(OBJ(OBJ(doc, "file"), "path")), "/data/faces/x.jpg",
		     "file.path");
	ASSERT_STREQ(cJSON_GetStringValue(OBJ(OBJ(doc, "file"), "uid")), "8:1:77", "file.uid");
	{
		cJSON *p = OBJ(OBJ(doc, "actor"), "process");

		ASSERT_EQ(cJSON_GetNumberValue(OBJ(p, "pid")), 4242, "pid");
		ASSERT_STREQ(cJSON_GetStringValue(OBJ(p, "name")), "python3", "name");
		ASSERT_STREQ(cJSON_GetStringValue(OBJ(p, "cmd_line")), "python3 train.py", "cmd");
		ASSERT_STREQ(cJSON_GetStringValue(OBJ(OBJ(p, "file"), "path")),
			     "/usr/bin/python3.11", "exe");
		ASSERT_STREQ(cJSON_GetStringValue(OBJ(OBJ(p, "user"), "uid")), "1001", "uid");
	}
	{
		cJSON *u = OBJ(doc, "unmapped");

		ASSERT_STREQ(cJSON_GetStringValue(OBJ(u, "dataset")), "faces", "dataset");
		ASSERT_STREQ(cJSON_GetStringValue(OBJ(OBJ(doc, "file"), "confidentiality")),
			     "Restricted", "label");
		ASSERT_EQ(cJSON_GetNumberValue(OBJ(OBJ(doc, "file"), "confidentiality_id")), 6,
			  "label id");
		ASSERT_EQ(NUM("count"), 3, "ops");
		ASSERT_EQ(cJSON_GetNumberValue(OBJ(u, "bytes")), 123456, "bytes");
		ASSERT_STREQ(cJSON_GetStringValue(OBJ(u, "access")), "mmap", "access");
	}
	cJSON_Delete(doc);
out:
	jb_free(&jb);
}

static void test_ocsf_gap(void)
{
	struct ocsf_ctx ctx = { .hostname = "h", .mono_to_real_ns = 0 };
	struct gap_record g = { .start_ns = 1000000, .end_ns = 3000000, .source = "ring_buffer",
				.cpu = 1, .lost = 12, .seq = 1 };
	struct jbuf jb;
	cJSON *doc, *fi;

	jb_init(&jb);
	ASSERT_OK(ocsf_visibility_gap(&jb, &ctx, &g), "encode");
	doc = cJSON_Parse(jb.buf);
	if (!ASSERT_TRUE(doc != NULL, "parses"))
		goto out;
	fi = OBJ(doc, "finding_info");
	ASSERT_EQ(NUM("class_uid"), 2004, "class_uid");
	ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetArrayItem(OBJ(fi, "types"), 0)), "visibility_gap",
		     "types[0]");
	ASSERT_STREQ(cJSON_GetStringValue(OBJ(fi, "uid")), "datatrail:h:visibility_gap:ring_buffer:1:1",
		     "uid");
	ASSERT_EQ(NUM("count"), 12, "lost");
	ASSERT_EQ(NUM("start_time"), 1, "window start");
	ASSERT_EQ(NUM("end_time"), 3, "window end");
	cJSON_Delete(doc);
out:
	jb_free(&jb);
}

/* An episode's Update: same uid, created at the start, modified at the report. */
static void test_ocsf_gap_update(void)
{
	struct ocsf_ctx ctx = { .hostname = "h", .mono_to_real_ns = 0 };
	struct gap_record g = { .start_ns = 1000000, .end_ns = 5000000,
				.source = "kafka_spool_full_events", .cpu = -1, .lost = 40, .seq = 3,
				.activity_id = 2 };
	struct jbuf jb;
	cJSON *doc, *fi;

	jb_init(&jb);
	ASSERT_OK(ocsf_visibility_gap(&jb, &ctx, &g), "encode");
	doc = cJSON_Parse(jb.buf);
	if (!ASSERT_TRUE(doc != NULL, "parses"))
		goto out;
	fi = OBJ(doc, "finding_info");
	ASSERT_EQ(NUM("activity_id"), 2, "activity_id");
	ASSERT_STREQ(cJSON_GetStringValue(OBJ(doc, "activity_name")), "Update", "activity_name");
	ASSERT_EQ(NUM("type_uid"), 200402, "type_uid");
	ASSERT_STREQ(cJSON_GetStringValue(OBJ(fi, "uid")),
		     "datatrail:h:visibility_gap:kafka_spool_full_events:-1:3", "uid");
	ASSERT_EQ(cJSON_GetNumberValue(OBJ(fi, "created_time")), 1, "created at the start");
	ASSERT_EQ(cJSON_GetNumberValue(OBJ(fi, "modified_time")), 5, "modified at the report");
	ASSERT_EQ(NUM("count"), 40, "running count");
	cJSON_Delete(doc);
out:
	jb_free(&jb);
}

static void test_find_nul_escape(void)
{
	static const char plain[] = "{\"a\": \"x\\u0001\", \"b\": \"\\\\u0000\"}";
	static const char in_value[] = "{\"a\": \"x\\u0000y\"}";
	static const char after_quote[] = "{\"a\": \"\\\"\\u0000\"}";
	static const char in_key[] = "{\"\\u0000\": 1}";

	ASSERT_TRUE(json_find_nul_escape(plain, strlen(plain)) == NULL, "none: \\u0001, \\\\u0000");
	ASSERT_EQ(json_find_nul_escape(in_value, strlen(in_value)) - in_value, 8, "in a value");
	ASSERT_EQ(json_find_nul_escape(after_quote, strlen(after_quote)) - after_quote, 9,
		  "after an escaped quote");
	ASSERT_EQ(json_find_nul_escape(in_key, strlen(in_key)) - in_key, 2, "in a key");
	/* cut short: the escape must be whole within the length */
	ASSERT_TRUE(json_find_nul_escape(in_value, 12) == NULL, "cut before the last digit");
}

TEST_MAIN("json", TEST_CASE(test_nesting_and_numbers), TEST_CASE(test_escaping),
	  TEST_CASE(test_misnesting_fails), TEST_CASE(test_ocsf_file_read), TEST_CASE(test_ocsf_gap),
	  TEST_CASE(test_exact_lines), TEST_CASE(test_escape_run_boundaries),
	  TEST_CASE(test_escape_utf8), TEST_CASE(test_escape_long_random),
	  TEST_CASE(test_many_members), TEST_CASE(test_ocsf_gap_update),
	  TEST_CASE(test_find_nul_escape))
