// SPDX-License-Identifier: GPL-2.0
/* test_gpu.c - GPU devices: ioctl decode tables, device table, config errors, events, findings. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <linux/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gpu.h"
#include "test.h"
/* The tables the BPF programs use, compiled here as they are there. */
#include "../../bpf/gpu.bpf.h"

#define MAXLINES 64

static char *events[MAXLINES], *findings[MAXLINES];
static int nevents, nfindings;
static char dir[] = "/tmp/dt-gpu.XXXXXX";

static void out_event(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (nevents < MAXLINES)
		events[nevents++] = strndup(line, len);
}

static void out_finding(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (nfindings < MAXLINES)
		findings[nfindings++] = strndup(line, len);
}

static void reset_lines(void)
{
	for (int i = 0; i < nevents; i++)
		free(events[i]);
	for (int i = 0; i < nfindings; i++)
		free(findings[i]);
	nevents = nfindings = 0;
}

/* The value at a dotted path of @line, as a string ("" if absent). */
static const char *field(const char *line, const char *path)
{
	static char out[512];
	cJSON *doc = line ? cJSON_Parse(line) : NULL, *cur = doc;
	char p[256], *tok, *save;

	out[0] = 0;
	snprintf(p, sizeof(p), "%s", path);
	for (tok = strtok_r(p, ".", &save); cur && tok; tok = strtok_r(NULL, ".", &save))
		cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(tok))
					 : cJSON_GetObjectItem(cur, tok);
	if (cJSON_IsString(cur))
		snprintf(out, sizeof(out), "%s", cur->valuestring);
	else if (cJSON_IsNumber(cur))
		snprintf(out, sizeof(out), "%.0f", cur->valuedouble);
	cJSON_Delete(doc);
	return out;
}

#define DEC_IS(d, want_op, want_off, tag)                                                          \
	do {                                                                                       \
		struct dt_dev_dec d___ = (d);                                                      \
		ASSERT_EQ(d___.op, want_op, tag " op");                                            \
		ASSERT_EQ(d___.size_off, want_off, tag " size offset");                            \
	} while (0)

static void test_nvidia_escapes(void)
{
	/* What libcuda issues: _IOWR('F', nr, struct), the nr being what the driver reads. */
	uint32_t xfer = _IOWR('F', 200 + 11, char[16]);

	ASSERT_TRUE(dt_nv_is_xfer(xfer), "XFER is 0xd3 on 'F'");
	ASSERT_EQ(DT_IOC_NR(xfer), 0xd3, "XFER nr");
	ASSERT_FALSE(dt_nv_is_xfer(_IOWR('F', 0x2b, char[56])), "RM_ALLOC is not XFER");
	ASSERT_FALSE(dt_nv_is_xfer(_IOWR('K', 0xd3, char[16])), "another magic is not XFER");
	DEC_IS(dt_nv_decode(0x2b, 0), DT_DOP_NV_ALLOC, DT_DEC_NOSIZE, "RM_ALLOC");
	DEC_IS(dt_nv_decode(0x27, 0), DT_DOP_NV_ALLOC, DT_DEC_NOSIZE, "RM_ALLOC_MEMORY");
	DEC_IS(dt_nv_decode(0x4a, 0), DT_DOP_NV_ALLOC, DT_DEC_NOSIZE, "RM_VID_HEAP_CONTROL");
	DEC_IS(dt_nv_decode(0x29, 0), DT_DOP_NV_FREE, DT_DEC_NOSIZE, "RM_FREE");
	DEC_IS(dt_nv_decode(0x2a, 0x20800102), DT_DOP_NV_CONTROL, DT_DEC_NOSIZE, "RM_CONTROL");
	DEC_IS(dt_nv_decode(0x2a, 0x3d05), DT_DOP_NV_EXPORT, DT_DEC_NOSIZE,
	       "RM_CONTROL OS_UNIX_EXPORT_OBJECT_TO_FD");
	DEC_IS(dt_nv_decode(0x2a, 0x3d0b), DT_DOP_NV_EXPORT, DT_DEC_NOSIZE,
	       "RM_CONTROL OS_UNIX_EXPORT_OBJECTS_TO_FD");
	DEC_IS(dt_nv_decode(0x2a, 0x3d06), DT_DOP_NV_IMPORT, DT_DEC_NOSIZE,
	       "RM_CONTROL OS_UNIX_IMPORT_OBJECT_FROM_FD");
	DEC_IS(dt_nv_decode(0x3d05, 0), DT_DOP_IOCTL, DT_DEC_NOSIZE, "a control cmd is no escape");
	DEC_IS(dt_nv_decode(0x4e, 0), DT_DOP_NV_MAP, 24, "RM_MAP_MEMORY length");
	DEC_IS(dt_nv_decode(0x57, 0), DT_DOP_NV_MAP_DMA, 24, "RM_MAP_MEMORY_DMA length");
	DEC_IS(dt_nv_decode(0x4f, 0), DT_DOP_NV_UNMAP, DT_DEC_NOSIZE, "RM_UNMAP_MEMORY");
	DEC_IS(dt_nv_decode(0x58, 0), DT_DOP_NV_UNMAP, DT_DEC_NOSIZE, "RM_UNMAP_MEMORY_DMA");
	DEC_IS(dt_nv_decode(0x5c, 0), DT_DOP_NV_EXPORT, DT_DEC_NOSIZE, "RM_EXPORT_OBJECT_TO_FD");
	DEC_IS(dt_nv_decode(217, 0), DT_DOP_NV_EXPORT, DT_DEC_NOSIZE, "EXPORT_TO_DMABUF_FD");
	DEC_IS(dt_nv_decode(0x5d, 0), DT_DOP_NV_IMPORT, DT_DEC_NOSIZE, "RM_IMPORT_OBJECT_FROM_FD");
	DEC_IS(dt_nv_decode(0x34, 0), DT_DOP_NV_IMPORT, DT_DEC_NOSIZE, "RM_DUP_OBJECT");
	DEC_IS(dt_nv_decode(200, 0), DT_DOP_IOCTL, DT_DEC_NOSIZE, "CARD_INFO is not named");
}

static void test_uvm_commands(void)
{
	DEC_IS(dt_uvm_decode(0x30000001), DT_DOP_UVM_INIT, DT_DEC_NOSIZE, "UVM_INITIALIZE");
	DEC_IS(dt_uvm_decode(75), DT_DOP_UVM_INIT, DT_DEC_NOSIZE, "UVM_MM_INITIALIZE");
	DEC_IS(dt_uvm_decode(51), DT_DOP_UVM_MIGRATE, 8, "UVM_MIGRATE");
	DEC_IS(dt_uvm_decode(53), DT_DOP_UVM_MIGRATE, DT_DEC_NOSIZE, "UVM_MIGRATE_RANGE_GROUP");
	DEC_IS(dt_uvm_decode(71), DT_DOP_UVM_MIGRATE, 8, "UVM_POPULATE_PAGEABLE");
	DEC_IS(dt_uvm_decode(33), DT_DOP_UVM_MAP_EXTERNAL, 8, "UVM_MAP_EXTERNAL_ALLOCATION");
	DEC_IS(dt_uvm_decode(74), DT_DOP_UVM_MAP_EXTERNAL, 8, "UVM_MAP_EXTERNAL_SPARSE");
	DEC_IS(dt_uvm_decode(78), DT_DOP_UVM_MAP_EXTERNAL, 8, "UVM_ALLOC_DEVICE_P2P");
	DEC_IS(dt_uvm_decode(35), DT_DOP_UVM_MEM_MAP, 8, "UVM_MEM_MAP");
	DEC_IS(dt_uvm_decode(34), DT_DOP_UVM_FREE, 8, "UVM_FREE");
	DEC_IS(dt_uvm_decode(62), DT_DOP_UVM_READ_PROC, 8, "UVM_TOOLS_READ_PROCESS_MEMORY");
	DEC_IS(dt_uvm_decode(63), DT_DOP_UVM_WRITE_PROC, 8, "UVM_TOOLS_WRITE_PROCESS_MEMORY");
	DEC_IS(dt_uvm_decode(56), DT_DOP_UVM_TOOLS, DT_DEC_NOSIZE, "UVM_TOOLS_INIT_EVENT_TRACKER");
	DEC_IS(dt_uvm_decode(76), DT_DOP_UVM_TOOLS, DT_DEC_NOSIZE, "..._TRACKER_V2");
	DEC_IS(dt_uvm_decode(37), DT_DOP_IOCTL, DT_DEC_NOSIZE, "UVM_REGISTER_GPU is not named");
	DEC_IS(dt_uvm_decode(_IOWR('F', 51, int)), DT_DOP_IOCTL, DT_DEC_NOSIZE,
	       "UVM numbers are plain, not _IOC");
}

static void test_kfd_commands(void)
{
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x16, char[40])), DT_DOP_KFD_ALLOC, 8,
	       "ALLOC_MEMORY_OF_GPU");
	DEC_IS(dt_kfd_decode(_IOW('K', 0x17, char[8])), DT_DOP_KFD_FREE, DT_DEC_NOSIZE,
	       "FREE_MEMORY_OF_GPU");
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x18, char[24])), DT_DOP_KFD_MAP, DT_DEC_NOSIZE,
	       "MAP_MEMORY_TO_GPU");
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x1d, char[24])), DT_DOP_KFD_IMPORT, DT_DEC_NOSIZE,
	       "IMPORT_DMABUF");
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x24, char[16])), DT_DOP_KFD_EXPORT, DT_DEC_NOSIZE,
	       "EXPORT_DMABUF");
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x20, char[24])), DT_DOP_KFD_SVM, 8, "SVM");
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x22, char[40])), DT_DOP_KFD_CRIU, DT_DEC_NOSIZE, "CRIU_OP");
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x02, char[96])), DT_DOP_KFD_QUEUE, DT_DEC_NOSIZE,
	       "CREATE_QUEUE");
	DEC_IS(dt_kfd_decode(_IOWR('K', 0x26, char[32])), DT_DOP_KFD_DEBUG, DT_DEC_NOSIZE,
	       "DBG_TRAP");
	DEC_IS(dt_kfd_decode(_IOR('K', 0x01, char[8])), DT_DOP_IOCTL, DT_DEC_NOSIZE, "GET_VERSION");
	DEC_IS(dt_kfd_decode(_IOWR('F', 0x16, char[40])), DT_DOP_IOCTL, DT_DEC_NOSIZE,
	       "another magic");
}

static void test_drm_and_gds_commands(void)
{
	DEC_IS(dt_drm_decode(_IOWR('d', 0x2d, char[12])), DT_DOP_DRM_EXPORT, DT_DEC_NOSIZE,
	       "PRIME_HANDLE_TO_FD");
	DEC_IS(dt_drm_decode(_IOWR('d', 0x2e, char[12])), DT_DOP_DRM_IMPORT, DT_DEC_NOSIZE,
	       "PRIME_FD_TO_HANDLE");
	DEC_IS(dt_drm_decode(_IOWR('d', 0x40, char[32])), DT_DOP_DRM_DRIVER, DT_DEC_NOSIZE,
	       "first driver command (amdgpu GEM_CREATE)");
	DEC_IS(dt_drm_decode(_IOWR('d', 0x9f, char[32])), DT_DOP_DRM_DRIVER, DT_DEC_NOSIZE,
	       "last driver command");
	DEC_IS(dt_drm_decode(_IOWR('d', 0xa0, char[64])), DT_DOP_IOCTL, DT_DEC_NOSIZE,
	       "MODE_GETRESOURCES is core");
	DEC_IS(dt_drm_decode(_IOW('d', 0x09, char[8])), DT_DOP_IOCTL, DT_DEC_NOSIZE, "GEM_CLOSE");

	DEC_IS(dt_nvfs_decode(_IOW('t', 2, int)), DT_DOP_GDS_READ, 16, "NVFS_IOCTL_READ");
	DEC_IS(dt_nvfs_decode(_IOW('t', 4, int)), DT_DOP_GDS_WRITE, 16, "NVFS_IOCTL_WRITE");
	DEC_IS(dt_nvfs_decode(_IOW('t', 3, int)), DT_DOP_GDS_MAP, 0, "NVFS_IOCTL_MAP");
	DEC_IS(dt_nvfs_decode(_IOW('t', 8, int)), DT_DOP_GDS_BATCH, DT_DEC_NOSIZE, "BATCH_IO");
	DEC_IS(dt_nvfs_decode(_IOW('t', 1, int)), DT_DOP_IOCTL, DT_DEC_NOSIZE, "REMOVE");
	ASSERT_EQ(DT_NVFS_IOARGS_FD_OFF, 72, "ioargs.fd offset");

	DEC_IS(dt_dev_decode_cmd(DT_DEV_NVIDIA_UVM, 62), DT_DOP_UVM_READ_PROC, 8, "dispatch uvm");
	DEC_IS(dt_dev_decode_cmd(DT_DEV_NVIDIA, _IOWR('F', 0x2b, int)), DT_DOP_IOCTL,
	       DT_DEC_NOSIZE, "nvidia needs its argument");
	DEC_IS(dt_dev_decode_cmd(DT_DEV_NVIDIA_CAPS, 1), DT_DOP_IOCTL, DT_DEC_NOSIZE, "caps");
}

static void test_rdma_commands(void)
{
	ASSERT_TRUE(dt_rdma_is_verbs_ioctl(_IOWR(0x1b, 1, char[24])), "RDMA_VERBS_IOCTL");
	ASSERT_FALSE(dt_rdma_is_verbs_ioctl(_IOWR(0x1b, 1, char[28])),
		     "umad's IB_USER_MAD_REGISTER_AGENT is not verbs");
	DEC_IS(dt_rdma_ioctl_decode(7, 0), DT_DOP_RDMA_REG_MR, DT_DEC_NOSIZE, "MR DM_MR_REG");
	DEC_IS(dt_rdma_ioctl_decode(7, 4), DT_DOP_RDMA_REG_MR, DT_DEC_NOSIZE, "MR REG_DMABUF_MR");
	DEC_IS(dt_rdma_ioctl_decode(7, 1), DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE, "MR_DESTROY");
	DEC_IS(dt_rdma_ioctl_decode(4, 0), DT_DOP_RDMA_CREATE_QP, DT_DEC_NOSIZE, "QP_CREATE");
	DEC_IS(dt_rdma_ioctl_decode(1, 0), DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE, "PD");
	DEC_IS(dt_rdma_write_decode(9), DT_DOP_RDMA_REG_MR, DT_DEC_NOSIZE, "REG_MR");
	DEC_IS(dt_rdma_write_decode(11), DT_DOP_RDMA_REG_MR, DT_DEC_NOSIZE, "REREG_MR");
	DEC_IS(dt_rdma_write_decode(24), DT_DOP_RDMA_CREATE_QP, DT_DEC_NOSIZE, "CREATE_QP");
	DEC_IS(dt_rdma_write_decode(0x80000000u | 24), DT_DOP_RDMA_CREATE_QP, DT_DEC_NOSIZE,
	       "EX_CREATE_QP");
	DEC_IS(dt_rdma_write_decode(28), DT_DOP_RDMA_POST_SEND, DT_DEC_NOSIZE, "POST_SEND");
	DEC_IS(dt_rdma_write_decode(1), DT_DOP_RDMA_VERBS, DT_DEC_NOSIZE, "QUERY_DEVICE");
}

static void test_names(void)
{
	const char *name;

	for (uint32_t op = 1; op < 64; op++) {
		char tag[64];

		if (!strcmp(gpu_op_name(op), "unknown"))
			continue;
		snprintf(tag, sizeof(tag), "activity of %s", gpu_op_name(op));
		ASSERT_TRUE(gpu_op_activity(op, &name) > 0 && name, tag);
	}
	ASSERT_STREQ(gpu_op_name(DT_DOP_UVM_READ_PROC), "uvm_read_process_memory", "op name");
	ASSERT_STREQ(gpu_op_name(DT_DOP_GDS_BATCH), "gds_batch", "last op");
	ASSERT_STREQ(gpu_op_name(4), "unknown", "hole");
	ASSERT_EQ(gpu_op_activity(DT_DOP_NV_ALLOC, &name), 1, "alloc: Allocate Page");
	ASSERT_EQ(gpu_op_activity(DT_DOP_UVM_READ_PROC, &name), 7, "read process memory: Read");
	ASSERT_EQ(gpu_op_activity(DT_DOP_NV_MAP, &name), 9, "map: Map View");
	ASSERT_EQ(gpu_op_activity(DT_DOP_NV_EXPORT, &name), 99, "export: Other");
	for (uint32_t k = 1; k <= DT_DEV_NVIDIA_FS; k++)
		ASSERT_EQ(gpu_kind_parse(gpu_kind_name(k)), k, gpu_kind_name(k));
	ASSERT_EQ(gpu_kind_parse("tpu"), 0, "unknown kind");
	ASSERT_STREQ(gpu_kind_name(99), "unknown", "kind out of range");
}

static void test_proc_devices(void)
{
	static const char text[] = "Character devices:\n"
				   "  1 mem\n"
				   "195 nvidia-frontend\n"
				   "226 drm\n"
				   "234 nvidia-caps\n"
				   "508 nvidia-uvm\n"
				   "509 kfd\n"
				   "510 nvidia-fs\n"
				   "511 infiniband_verbs\n"
				   "\n"
				   "Block devices:\n"
				   "  7 loop\n"
				   "500 nvidia-uvm\n";
	struct gpu g;

	gpu_init_empty(&g);
	ASSERT_OK(gpu_add_builtin(&g), "builtin");
	ASSERT_OK(gpu_add_proc_devices(&g, text), "parse");
	ASSERT_EQ(gpu_kind_of(&g, 195 << 20 | 255), DT_DEV_NVIDIA, "nvidiactl");
	ASSERT_EQ(gpu_kind_of(&g, 195 << 20 | 0), DT_DEV_NVIDIA, "nvidia0");
	ASSERT_EQ(gpu_kind_of(&g, 226 << 20 | 128), DT_DEV_DRM, "renderD128");
	ASSERT_EQ(gpu_kind_of(&g, 231 << 20 | 192), DT_DEV_RDMA, "uverbs0");
	ASSERT_EQ(gpu_kind_of(&g, 508 << 20 | 0), DT_DEV_NVIDIA_UVM, "nvidia-uvm");
	ASSERT_EQ(gpu_kind_of(&g, 508 << 20 | 1), DT_DEV_NVIDIA_UVM, "nvidia-uvm-tools");
	ASSERT_EQ(gpu_kind_of(&g, 234 << 20 | 1), DT_DEV_NVIDIA_CAPS, "nvidia-cap1");
	ASSERT_EQ(gpu_kind_of(&g, 509 << 20 | 0), DT_DEV_AMDKFD, "kfd");
	ASSERT_EQ(gpu_kind_of(&g, 510 << 20 | 3), DT_DEV_NVIDIA_FS, "nvidia-fs3");
	ASSERT_EQ(gpu_kind_of(&g, 511 << 20 | 0), DT_DEV_RDMA, "dynamic uverbs");
	ASSERT_EQ(gpu_kind_of(&g, 500 << 20 | 0), 0, "block majors are not char devices");
	ASSERT_EQ(gpu_kind_of(&g, 1 << 20 | 3), 0, "/dev/null");
	ASSERT_EQ(g.n_devs, 8, "rows: 3 built-in, 5 more; 195 and 226 once");
	gpu_free(&g);
}

static void test_config_devices(void)
{
	static const char text[] = "{\"kafka\": {\"enabled\": false}, \"flush_ms\": 500,\n"
				   " \"devices\": [{\"path\": \"/dev/null\", \"kind\": \"nvidia\"},\n"
				   "  {\"kind\": \"rdma\", \"path\": \"/dev/zero\"}]}";
	struct config *cfg = NULL;
	struct errbuf eb = {};
	char buf[48];
	struct gpu g;

	gpu_init_empty(&g);
	ASSERT_OK(gpu_add_builtin(&g), "builtin");
	if (!ASSERT_OK(config_parse(text, strlen(text), "c.json", &cfg, &eb), eb.msg))
		goto out;
	ASSERT_EQ(cfg->n_devices, 2, "two devices");
	ASSERT_OK(gpu_add_devices(&g, cfg->devices, cfg->n_devices), "rows");
	ASSERT_EQ(gpu_kind_of(&g, 1 << 20 | 3), DT_DEV_NVIDIA, "/dev/null by number");
	ASSERT_EQ(gpu_kind_of(&g, 1 << 20 | 5), DT_DEV_RDMA, "/dev/zero by number");
	ASSERT_EQ(gpu_kind_of(&g, 1 << 20 | 7), 0, "/dev/full is not listed");
	ASSERT_OK(gpu_scan_nodes(&g, "/dev/null"), "names");
	ASSERT_STREQ(gpu_dev_path(&g, 1 << 20 | 3, buf, sizeof(buf)), "/dev/null", "path");
	ASSERT_STREQ(gpu_dev_path(&g, 195 << 20 | 7, buf, sizeof(buf)), "char:195:7",
		     "unnamed node");
	config_free(cfg);
	cfg = NULL;
	ASSERT_OK(config_parse("{\"devices\": []}", 15, "empty.json", &cfg, &eb), "empty array");
	ASSERT_EQ(cfg ? cfg->n_devices : 1, 0, "no rows");
	config_free(cfg);
	cfg = NULL;
	ASSERT_OK(config_parse("{\"other\": 1}", 12, "none.json", &cfg, &eb), "no devices key");
	ASSERT_EQ(cfg ? cfg->n_devices : 1, 0, "no rows either");
out:
	config_free(cfg);
	gpu_free(&g);
}

static void test_config_errors(void)
{
	static const struct {
		const char *text;
		int err;
		const char *msg;
	} cases[] = {
		{ "{\"devices\": [{\"path\": \"/dev/null\", \"kind\": \"tpu\"}]}",
		  -EINVAL, "config 'c.json': field 'devices[0].kind': unknown device kind 'tpu'" },
		{ "{\"devices\": [{\"path\": \"/dev/null\", \"kind\": \"nvidia\"},"
		  " {\"path\": \"/dev/null\"}]}",
		  -EINVAL, "config 'c.json': field 'devices[1].kind': missing" },
		{ "{\"devices\": [{\"kind\": \"nvidia\"}]}",
		  -EINVAL, "config 'c.json': field 'devices[0].path': missing" },
		{ "{\"devices\": [{\"kind\": 7, \"path\": \"/dev/null\"}]}",
		  -EINVAL, "config 'c.json': field 'devices[0].kind': expected a string, got 7" },
		{ "{\"devices\": [{\"kind\": \"drm\", \"path\": [\"/dev/null\"]}]}",
		  -EINVAL,
		  "config 'c.json': field 'devices[0].path': expected a string, got an array" },
		{ "{\"devices\": [{\"kind\": \"drm\", \"path\": \"dev/null\"}]}",
		  -EINVAL, "config 'c.json': field 'devices[0].path': expected an absolute path, got "
		  "'dev/null'" },
		{ "{\"devices\": [{\"kind\": \"drm\", \"path\": \"/nonexistent/renderD128\"}]}",
		  -ENOENT,
		  "config 'c.json': field 'devices[0].path': '/nonexistent/renderD128': No such "
		  "file or directory" },
		{ "{\"devices\": [{\"kind\": \"drm\", \"path\": \"/proc/self/status\"}]}",
		  -EINVAL, "config 'c.json': field 'devices[0].path': '/proc/self/status' is not a "
		  "character device" },
		{ "{\"devices\": [{\"kind\": \"drm\", \"path\": \"/dev/null\", \"minor\": 3}]}",
		  -EINVAL, "config 'c.json': field 'devices[0].minor': unknown field" },
		{ "{\"devices\": [{\"kind\": \"drm\", \"kind\": \"rdma\", \"path\": \"/dev/null\"}]}",
		  -EINVAL, "config 'c.json': field 'devices[0].kind': repeated" },
		{ "{\"devices\": {\"path\": \"/dev/null\"}}",
		  -EINVAL, "config 'c.json': field 'devices': expected an array, got an object" },
		{ "{\"devices\": [\"/dev/null\"]}",
		  -EINVAL,
		  "config 'c.json': field 'devices[0]': expected an object, got \"/dev/null\"" },
		{ "{\"devices\": [], \"devices\": []}",
		  -EINVAL, "config 'c.json': duplicate key 'devices'" },
		{ "[1]", -EINVAL, "config 'c.json': expected an object at the top, got an array" },
		{ "{\n  \"devices\": [\n    {\"kind\": }\n  ]\n}",
		  -EINVAL, "config 'c.json': line 3, column 14: syntax error" },
	};
	struct config *cfg = NULL;
	struct errbuf eb;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&eb, 0, sizeof(eb));
		ASSERT_EQ(config_parse(cases[i].text, strlen(cases[i].text), "c.json", &cfg, &eb),
			  cases[i].err, cases[i].msg);
		ASSERT_STREQ(eb.msg, cases[i].msg, "message");
		ASSERT_EQ(cfg, NULL, "no config");
	}
}

static void test_config_file_errors(void)
{
	struct errbuf eb = {};
	struct gpu g;

	/* Without a config the built-in rows are there on any machine. */
	ASSERT_OK(gpu_init(&g, NULL, 0, &eb), eb.msg);
	ASSERT_EQ(gpu_kind_of(&g, 195 << 20 | 255), DT_DEV_NVIDIA, "nvidiactl");
	gpu_free(&g);
}

struct fixture {
	struct inventory *inv;
	struct proctab pt;
	struct ocsf_ctx octx;
	struct hmap taints;
	struct gpu g;
};

static const char *inventory_json =
	"{\"datasets\": [{\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": "
	"[\"%s/faces\"], \"gpu_allowed\": false, \"tags\": [\"PII\"]},"
	" {\"id\": \"docs\", \"classification\": \"public\", \"paths\": [\"%s/pub\"]}]}";

#define PID 3999101

static int setup(struct fixture *f)
{
	struct dt_proc p = { .tgid = PID, .ppid = 1, .start_ns = 300 };
	struct errbuf eb;
	char text[1024];
	struct gpu_out out;

	snprintf(text, sizeof(text), inventory_json, dir, dir);
	if (!ASSERT_OK(inventory_parse(text, strlen(text), "inv.json", &f->inv, &eb), eb.msg))
		return -1;
	proctab_init(&f->pt, -1);
	strcpy(p.comm, "trainer");
	strcpy(p.exe, "/usr/bin/python3");
	proctab_update(&f->pt, &p);
	f->octx = (struct ocsf_ctx){ .hostname = "node-1" };
	f->octx.mono_to_real_ns = 0;
	hmap_init(&f->taints, sizeof(uint32_t), sizeof(struct dt_taint));
	gpu_init_empty(&f->g);
	gpu_add_builtin(&f->g);
	out = (struct gpu_out){ .inv = f->inv, .pt = &f->pt, .octx = &f->octx,
				.taints = &f->taints, .event_out = out_event,
				.finding_out = out_finding };
	gpu_set_output(&f->g, &out);
	reset_lines();
	return 0;
}

static void teardown(struct fixture *f)
{
	gpu_free(&f->g);
	hmap_free(&f->taints);
	proctab_free(&f->pt);
	inventory_free(f->inv);
	reset_lines();
}

static struct dt_dev_key key(uint32_t kind, uint32_t op)
{
	uint32_t major = kind == DT_DEV_RDMA ? 231 : kind == DT_DEV_NVIDIA_UVM ? 508 : 195;
	struct dt_dev_key k = { .tgid = PID, .rdev = major << 20 | 0, .kind = kind, .op = op };

	return k;
}

static struct dt_dev_val val(uint64_t ops, uint64_t bytes, int dataset)
{
	struct dt_dev_val v = { .bytes = bytes, .ops = ops, .first_ns = 1000000000,
				.last_ns = 2000000000, .uid = 1000 };

	if (dataset >= 0) {
		v.taint.ds[0] = 1ULL << dataset;
		v.taint.label = DT_LABEL_RESTRICTED;
		v.taint.primary = dataset;
	}
	return v;
}

static void test_events(void)
{
	struct dt_dev_key k = key(DT_DEV_NVIDIA, DT_DOP_NV_MAP);
	struct dt_dev_val v = val(2, 65536, -1);
	struct fixture f;

	if (setup(&f))
		return;
	v.last_cmd = 0xc020464e;
	gpu_counter(&f.g, &k, &v);
	gpu_counter(&f.g, &k, &v);
	if (!ASSERT_EQ(nevents, 1, "one line: the second call brings nothing new"))
		goto out;
	ASSERT_STREQ(field(events[0], "class_uid"), "1004", "Memory Activity");
	ASSERT_STREQ(field(events[0], "activity_id"), "9", "Map View");
	ASSERT_STREQ(field(events[0], "type_uid"), "100409", "type_uid");
	ASSERT_STREQ(field(events[0], "process.pid"), "3999101", "process");
	ASSERT_STREQ(field(events[0], "actor.process.name"), "trainer", "actor");
	ASSERT_STREQ(field(events[0], "size"), "65536", "size");
	ASSERT_STREQ(field(events[0], "unmapped.device_kind"), "nvidia", "kind");
	ASSERT_STREQ(field(events[0], "unmapped.device"), "195:0", "device number");
	ASSERT_STREQ(field(events[0], "unmapped.device_path"), "char:195:0", "path");
	ASSERT_STREQ(field(events[0], "unmapped.ioctl_class"), "nv_map_memory", "class");
	ASSERT_STREQ(field(events[0], "count"), "2", "count");
	ASSERT_STREQ(field(events[0], "unmapped.last_cmd"), "0xc020464e", "last cmd");
	ASSERT_STREQ(field(events[0], "time"), "2000", "time of the last op, in ms");
	v.ops = 5;
	v.bytes = 65536 * 3;
	gpu_counter(&f.g, &k, &v);
	ASSERT_STREQ(field(events[1], "count"), "3", "delta ops");
	ASSERT_STREQ(field(events[1], "size"), "131072", "delta bytes");
	ASSERT_EQ(nfindings, 0, "an untainted process raises nothing");
out:
	teardown(&f);
}

static void test_gpu_policy(void)
{
	struct dt_dev_key open = key(DT_DEV_NVIDIA, DT_DOP_OPEN);
	struct dt_dev_key alloc = key(DT_DEV_NVIDIA, DT_DOP_NV_ALLOC);
	struct dt_dev_val v = val(1, 0, 0);
	struct fixture f;

	if (setup(&f))
		return;
	gpu_counter(&f.g, &open, &v);
	ASSERT_EQ(nfindings, 0, "opening a GPU is not using it");
	v = val(3, 0, 0);
	gpu_counter(&f.g, &alloc, &v);
	if (!ASSERT_EQ(nfindings, 1, "created"))
		goto out;
	ASSERT_STREQ(field(findings[0], "finding_info.types.0"), "gpu_policy", "kind");
	ASSERT_STREQ(field(findings[0], "activity_id"), "1", "Create");
	ASSERT_STREQ(field(findings[0], "evidences.0.process.pid"), "3999101", "pid");
	ASSERT_STREQ(field(findings[0], "resources.0.uid"), "faces", "dataset");
	ASSERT_STREQ(field(findings[0], "resources.0.labels.1"), "PII", "tags");
	ASSERT_STREQ(field(findings[0], "evidences.0.file.path"), "char:195:0", "device");
	ASSERT_STREQ(field(findings[0], "count"), "3", "ops");
	ASSERT_STREQ(field(findings[0], "severity_id"), "4", "restricted");
	ASSERT_HAS(field(findings[0], "finding_info.title"), "trainer used nvidia device",
		   "title");
	v = val(10, 0, 0);
	gpu_counter(&f.g, &alloc, &v);
	ASSERT_EQ(nfindings, 1, "below the next threshold (16 ops): no update");
	v = val(20, 0, 0);
	gpu_counter(&f.g, &alloc, &v);
	if (!ASSERT_EQ(nfindings, 2, "update at 16 ops"))
		goto out;
	ASSERT_STREQ(field(findings[1], "activity_id"), "2", "Update");
	ASSERT_STREQ(field(findings[1], "finding_info.uid"), field(findings[0], "finding_info.uid"),
		     "same uid");
	v = val(21, 0, 0);
	gpu_counter(&f.g, &alloc, &v);
	gpu_stop(&f.g);
	ASSERT_EQ(nfindings, 3, "final update at stop");
	gpu_stop(&f.g);
	ASSERT_EQ(nfindings, 3, "nothing moved since");
out:
	teardown(&f);
}

static void test_gpu_allowed_and_public(void)
{
	struct dt_dev_key k = key(DT_DEV_NVIDIA, DT_DOP_NV_ALLOC);
	struct dt_dev_key r = key(DT_DEV_RDMA, DT_DOP_RDMA_REG_MR);
	struct dt_dev_val v = val(3, 0, 1);
	struct fixture f;

	if (setup(&f))
		return;
	gpu_counter(&f.g, &k, &v); /* docs: gpu_allowed by default */
	gpu_counter(&f.g, &r, &v); /* docs: public, so RDMA is no egress of anything */
	ASSERT_EQ(nfindings, 0, "public dataset, GPU allowed");
	ASSERT_EQ(nevents, 2, "both counted");
	ASSERT_STREQ(field(events[0], "unmapped.datasets.0"), "docs", "the counter's taint");
	teardown(&f);
}

static void test_late_taint(void)
{
	struct dt_dev_key k = key(DT_DEV_NVIDIA, DT_DOP_UVM_MIGRATE);
	struct dt_dev_val v = val(2, 8192, -1);
	struct dt_taint t = { .label = DT_LABEL_RESTRICTED };
	uint32_t tgid = PID;
	void *slot;
	struct fixture f;

	if (setup(&f))
		return;
	gpu_counter(&f.g, &k, &v);
	ASSERT_EQ(nfindings, 0, "not tainted yet");
	/* It reads the dataset after its last device call; the correlator heard of it. */
	t.ds[0] = 1;
	slot = hmap_put(&f.taints, &tgid, NULL);
	memcpy(slot, &t, sizeof(t)); /* the correlator's table: unaligned behind a 4-byte key */
	gpu_flush(&f.g, 0, false);
	if (!ASSERT_EQ(nfindings, 2, "raised at the next flush, closed as the process is gone"))
		goto out;
	ASSERT_STREQ(field(findings[0], "finding_info.types.0"), "gpu_policy", "kind");
	ASSERT_STREQ(field(findings[0], "unmapped.bytes"), "8192", "bytes");
	ASSERT_STREQ(field(findings[1], "activity_id"), "3", "Close");
	ASSERT_STREQ(field(findings[1], "finding_info.uid"), field(findings[0], "finding_info.uid"),
		     "the same finding");
	ASSERT_STREQ(field(findings[1], "unmapped.bytes"), "8192", "final figures");
	ASSERT_EQ(hmap_count(&f.g.procs), 0, "the process (gone) is forgotten");
out:
	teardown(&f);
}

static void test_bypass_and_memory_read(void)
{
	struct dt_dev_key r = key(DT_DEV_RDMA, DT_DOP_RDMA_REG_MR);
	struct dt_dev_key o = key(DT_DEV_RDMA, DT_DOP_OPEN);
	struct dt_dev_key m = key(DT_DEV_NVIDIA_UVM, DT_DOP_UVM_READ_PROC);
	struct dt_dev_val v = val(1, 0, 0);
	struct fixture f;

	if (setup(&f))
		return;
	gpu_counter(&f.g, &o, &v);
	ASSERT_EQ(nfindings, 0, "open alone");
	gpu_counter(&f.g, &r, &v);
	if (!ASSERT_EQ(nfindings, 1, "kernel_bypass_egress"))
		goto out;
	ASSERT_STREQ(field(findings[0], "finding_info.types.0"), "kernel_bypass_egress", "kind");
	ASSERT_STREQ(field(findings[0], "resources.0.uid"), "faces", "dataset");
	ASSERT_STREQ(field(findings[0], "finding_info.attacks.0.technique.uid"), "T1048", "att&ck");
	reset_lines();
	/* An untainted reader of another process's GPU memory: no dataset to name. */
	gpu_free(&f.g);
	gpu_init_empty(&f.g);
	gpu_set_output(&f.g, &(struct gpu_out){ .inv = f.inv, .pt = &f.pt, .octx = &f.octx,
						.finding_out = out_finding });
	v = val(2, 8192, -1);
	gpu_counter(&f.g, &m, &v);
	if (!ASSERT_EQ(nfindings, 1, "gpu_memory_read"))
		goto out;
	ASSERT_STREQ(field(findings[0], "finding_info.types.0"), "gpu_memory_read", "kind");
	ASSERT_STREQ(field(findings[0], "resources.0.uid"), "unknown", "no dataset");
	ASSERT_STREQ(field(findings[0], "unmapped.bytes"), "8192", "bytes read");
	ASSERT_STREQ(field(findings[0], "severity_id"), "4", "high");
	ASSERT_HAS(field(findings[0], "finding_info.title"), "another process's GPU memory",
		   "title");
out:
	teardown(&f);
}

static void test_setup_dir(void)
{
	char p[64];

	ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(p, sizeof(p), "%s/pub", dir);
	ASSERT_OK(mkdir(p, 0755), "mkdir pub");
	snprintf(p, sizeof(p), "%s/faces", dir);
	ASSERT_OK(mkdir(p, 0755), "mkdir faces");
}

static void test_teardown_dir(void)
{
	char p[64];

	snprintf(p, sizeof(p), "%s/pub", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/faces", dir);
	rmdir(p);
	ASSERT_OK(rmdir(dir), "rmdir");
}

TEST_MAIN("gpu", TEST_CASE(test_nvidia_escapes), TEST_CASE(test_uvm_commands),
	  TEST_CASE(test_kfd_commands), TEST_CASE(test_drm_and_gds_commands),
	  TEST_CASE(test_rdma_commands), TEST_CASE(test_names), TEST_CASE(test_proc_devices),
	  TEST_CASE(test_config_devices), TEST_CASE(test_config_errors),
	  TEST_CASE(test_config_file_errors), TEST_CASE(test_setup_dir), TEST_CASE(test_events),
	  TEST_CASE(test_gpu_policy), TEST_CASE(test_gpu_allowed_and_public),
	  TEST_CASE(test_late_taint), TEST_CASE(test_bypass_and_memory_read),
	  TEST_CASE(test_teardown_dir))
