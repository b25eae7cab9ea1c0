// SPDX-License-Identifier: GPL-2.0
/* test_json.c - the JSON writer and the OCSF encoders: exact text, escaping, valid output. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ocsf.h"
#include "test.h"

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
		ASSERT_STREQ(cJSON_GetStringValue(OBJ(u, "classification")), "restricted", "label");
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
	ASSERT_EQ(cJSON_GetNumberValue(OBJ(OBJ(doc, "unmapped"), "lost")), 12, "lost");
	ASSERT_EQ(cJSON_GetNumberValue(OBJ(OBJ(doc, "unmapped"), "start_time")), 1, "window start");
	cJSON_Delete(doc);
out:
	jb_free(&jb);
}

TEST_MAIN("json", TEST_CASE(test_nesting_and_numbers), TEST_CASE(test_escaping),
	  TEST_CASE(test_misnesting_fails), TEST_CASE(test_ocsf_file_read), TEST_CASE(test_ocsf_gap))
