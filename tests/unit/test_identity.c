// SPDX-License-Identifier: GPL-2.0
/* test_identity.c - workload identity: cgroup paths of every runtime x driver, runtime files, the cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"
#include "test.h"

#define CID "4d5b8d1e4a2f3c6b7a8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a"
#define UID "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
#define UID_ "0a1b2c3d_4e5f_6071_8293_a4b5c6d7e8f9"

struct path_case {
	const char *name;
	const char *path;
	bool found;
	const char *runtime;
	const char *container_id;
	const char *pod_uid;
	const char *qos;
	const char *job;
	const char *step;
	int slurm_uid; /* -1: none */
};

/* Paths as the kubelet, the runtimes and slurmstepd lay them out (docs/identity.md). */
static const struct path_case cases[] = {
	{ "k8s containerd systemd burstable",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" CID ".scope",
	  true, "containerd", CID, UID, "burstable", "", "", -1 },
	{ "k8s containerd systemd guaranteed",
	  "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" CID ".scope", true,
	  "containerd", CID, UID, "guaranteed", "", "", -1 },
	{ "k8s containerd systemd besteffort",
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	  ".slice/cri-containerd-" CID ".scope",
	  true, "containerd", CID, UID, "besteffort", "", "", -1 },
	{ "k8s containerd cgroupfs burstable", "/kubepods/burstable/pod" UID "/" CID, true, "", CID,
	  UID, "burstable", "", "", -1 },
	{ "k8s containerd cgroupfs guaranteed", "/kubepods/pod" UID "/" CID, true, "", CID, UID,
	  "guaranteed", "", "", -1 },
	{ "k8s cri-o systemd",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-" CID
	  ".scope",
	  true, "cri-o", CID, UID, "burstable", "", "", -1 },
	{ "k8s cri-o cgroupfs", "/kubepods/besteffort/pod" UID "/crio-" CID, true, "cri-o", CID, UID,
	  "besteffort", "", "", -1 },
	{ "k8s cri-o conmon is no container",
	  "/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" CID ".scope", true, "", "", UID,
	  "guaranteed", "", "", -1 },
	{ "k8s docker systemd (dockershim)",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/docker-" CID
	  ".scope",
	  true, "docker", CID, UID, "burstable", "", "", -1 },
	{ "docker systemd", "/system.slice/docker-" CID ".scope", true, "docker", CID, "", "", "",
	  "", -1 },
	{ "docker cgroupfs", "/docker/" CID, true, "docker", CID, "", "", "", "", -1 },
	{ "podman root systemd", "/machine.slice/libpod-" CID ".scope", true, "podman", CID, "", "",
	  "", "", -1 },
	{ "podman rootless systemd",
	  "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" CID ".scope", true,
	  "podman", CID, "", "", "", "", -1 },
	{ "podman v4 nested init", "/machine.slice/libpod-" CID ".scope/container", true, "podman",
	  CID, "", "", "", "", -1 },
	{ "podman conmon", "/machine.slice/libpod-conmon-" CID ".scope", false, "", "", "", "", "",
	  "", -1 },
	{ "podman cgroupfs", "/libpod_parent/libpod-" CID, true, "podman", CID, "", "", "", "", -1 },
	{ "containerd ctr cgroupfs", "/kubepods/burstable/pod" UID "/" CID, true, "", CID, UID,
	  "burstable", "", "", -1 },
	{ "kind: kubepods inside a docker container",
	  "/docker/" CID "/kubepods/besteffort/pod" UID "/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  true, "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", UID,
	  "besteffort", "", "", -1 },
	{ "slurm v1 step", "/slurm/uid_1000/job_4242/step_0", true, "", "", "", "", "4242", "0",
	  1000 },
	{ "slurm v1 batch task", "/slurm/uid_1001/job_77/step_batch/task_0", true, "", "", "", "",
	  "77", "batch", 1001 },
	{ "slurm v1 multiple-slurmd", "/slurm_node07/uid_0/job_9/step_extern", true, "", "", "", "",
	  "9", "extern", 0 },
	{ "slurm v2", "/system.slice/slurmstepd.scope/job_123/step_0/user/task_0", true, "", "", "",
	  "", "123", "0", -1 },
	{ "slurm v2 multiple-slurmd", "/system.slice/node07_slurmstepd.scope/job_5/step_interactive",
	  true, "", "", "", "", "5", "interactive", -1 },
	{ "slurmstepd itself", "/system.slice/slurmstepd.scope/system", false, "", "", "", "", "",
	  "", -1 },
	{ "systemd service", "/system.slice/ssh.service", false, "", "", "", "", "", "", -1 },
	{ "user session", "/user.slice/user-0.slice/session-3.scope", false, "", "", "", "", "", "",
	  -1 },
	{ "root", "/", false, "", "", "", "", "", "", -1 },
	{ "short hex is no container", "/docker/4d5b8d1e4a2f", false, "", "", "", "", "", "", -1 },
	{ "upper-case hex is no container", "/system.slice/docker-4D5B8D1E4A2F3C6B7A8E9D0C1B2A3F4E5D6C7B8A9F0E1D2C3B4A5F6E7D8C9B0A.scope",
	  false, "", "", "", "", "", "", -1 },
};

static void test_parse_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *c = &cases[i];
		struct wl_identity id = {};
		bool found = id_parse_cgroup(c->path, &id);

		ASSERT_EQ(found, c->found, c->name);
		ASSERT_STREQ(id.cgroup, c->path, c->name);
		ASSERT_STREQ(id.runtime, c->runtime, c->name);
		ASSERT_STREQ(id.container_id, c->container_id, c->name);
		ASSERT_STREQ(id.pod_uid, c->pod_uid, c->name);
		ASSERT_STREQ(id.qos, c->qos, c->name);
		ASSERT_STREQ(id.slurm_job, c->job, c->name);
		ASSERT_STREQ(id.slurm_step, c->step, c->name);
		ASSERT_EQ(!!(id.flags & ID_SLURM_UID), c->slurm_uid >= 0, c->name);
		if (c->slurm_uid >= 0)
			ASSERT_EQ(id.slurm_uid, c->slurm_uid, c->name);
	}
}

static void test_pick_line(void)
{
	/* This machine's layout: v1 hybrid, the unified hierarchy at the root. */
	static const char hybrid[] = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/831435eeb\n"
				     "1:cpu:/\n0::/\n";
	static const char ctr[] = "12:name=systemd:/kubepods/burstable/pod" UID "/" CID "\n"
				  "11:pids:/kubepods/burstable/pod" UID "/" CID "\n"
				  "4:memory:/kubepods/burstable/pod" UID "/" CID "\n0::/\n";
	static const char v2[] = "0::/system.slice/docker-" CID ".scope\n";
	static const char split[] = "5:memory:/user.slice\n1:name=systemd:/system.slice/docker-" CID
				    ".scope\n0::/user.slice/user-0.slice/session-1.scope\n";
	static const char roots[] = "3:memory:/\n0::/\n";
	char out[256];

	ASSERT_OK(id_pick_cgroup(hybrid, out, sizeof(out)), "hybrid");
	ASSERT_STREQ(out, "/process_api/831435eeb", "hybrid: the only non-root line");
	ASSERT_OK(id_pick_cgroup(ctr, out, sizeof(out)), "v1 container");
	ASSERT_STREQ(out, "/kubepods/burstable/pod" UID "/" CID, "v1 container");
	ASSERT_OK(id_pick_cgroup(v2, out, sizeof(out)), "v2");
	ASSERT_STREQ(out, "/system.slice/docker-" CID ".scope", "v2");
	ASSERT_OK(id_pick_cgroup(split, out, sizeof(out)), "container line wins");
	ASSERT_STREQ(out, "/system.slice/docker-" CID ".scope", "container line wins");
	ASSERT_EQ(id_pick_cgroup(roots, out, sizeof(out)), -ENOENT, "all root");
	ASSERT_EQ(id_pick_cgroup("", out, sizeof(out)), -ENOENT, "empty");
	ASSERT_EQ(id_pick_cgroup("garbage without colons", out, sizeof(out)), -ENOENT, "garbage");
}

static void test_runtime_json(void)
{
	static const char containerd[] =
		"{\"ociVersion\":\"1.0.2\",\"annotations\":{"
		"\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-id\":\"abc\","
		"\"io.kubernetes.cri.sandbox-name\":\"trainer-0\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"training\","
		"\"io.kubernetes.cri.sandbox-uid\":\"" UID "\","
		"\"io.kubernetes.cri.container-name\":\"main\","
		"\"io.kubernetes.cri.image-name\":\"registry.local/trainer:v3\"}}";
	static const char sandbox[] =
		"{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\","
		"\"io.kubernetes.cri.sandbox-name\":\"trainer-0\","
		"\"io.kubernetes.cri.image-name\":\"registry.k8s.io/pause:3.6\"}}";
	static const char crio[] =
		"{\"annotations\":{\"io.kubernetes.pod.name\":\"etl-7\","
		"\"io.kubernetes.pod.namespace\":\"data\",\"io.kubernetes.pod.uid\":\"" UID "\","
		"\"io.kubernetes.container.name\":\"etl\","
		"\"io.kubernetes.cri-o.ImageName\":\"quay.io/org/etl:1\","
		"\"io.kubernetes.cri-o.ImageRef\":\"sha256:feed\"}}";
	static const char docker[] =
		"{\"ID\":\"" CID "\",\"Image\":\"sha256:beef\",\"Name\":\"/loader\","
		"\"Config\":{\"Image\":\"loader:latest\",\"Labels\":{}}}";
	struct wl_identity id = {};

	ASSERT_OK(id_parse_runtime_json(&id, containerd, strlen(containerd)), "containerd");
	ASSERT_STREQ(id.pod_name, "trainer-0", "containerd pod");
	ASSERT_STREQ(id.pod_namespace, "training", "containerd namespace");
	ASSERT_STREQ(id.pod_uid, UID, "containerd pod uid");
	ASSERT_STREQ(id.container_name, "main", "containerd container");
	ASSERT_STREQ(id.image, "registry.local/trainer:v3", "containerd image");
	memset(&id, 0, sizeof(id));
	ASSERT_OK(id_parse_runtime_json(&id, sandbox, strlen(sandbox)), "sandbox");
	ASSERT_STREQ(id.pod_name, "trainer-0", "sandbox pod");
	ASSERT_STREQ(id.image, "", "the pause image is not the pod's");
	memset(&id, 0, sizeof(id));
	ASSERT_OK(id_parse_runtime_json(&id, crio, strlen(crio)), "cri-o");
	ASSERT_STREQ(id.pod_name, "etl-7", "cri-o pod");
	ASSERT_STREQ(id.pod_namespace, "data", "cri-o namespace");
	ASSERT_STREQ(id.container_name, "etl", "cri-o container");
	ASSERT_STREQ(id.image, "quay.io/org/etl:1", "cri-o image");
	ASSERT_STREQ(id.image_id, "sha256:feed", "cri-o image id");
	memset(&id, 0, sizeof(id));
	ASSERT_OK(id_parse_runtime_json(&id, docker, strlen(docker)), "docker");
	ASSERT_STREQ(id.image, "loader:latest", "docker image");
	ASSERT_STREQ(id.image_id, "sha256:beef", "docker image id");
	ASSERT_STREQ(id.container_name, "loader", "docker name");
	ASSERT_STREQ(id.pod_name, "", "no pod guessed");
	ASSERT_ERR(id_parse_runtime_json(&id, "{", 1), "bad json");
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!ASSERT_TRUE(f != NULL, path))
		return;
	fwrite(text, 1, len, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

/* Where a runtime's root may sit, and what may sit below a container (#25: cgroup spoofing). */
static void test_trusted_paths(void)
{
	static const struct {
		const char *path;
		bool trusted;
		size_t prefix;
	} cases[] = {
		{ "/kubepods/besteffort/pod" UID "/" CID, true, 0 },
		{ "/kubepods/pod" UID "/" CID, true, 0 },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" CID ".scope", true, 0 },
		{ "/system.slice/docker-" CID ".scope", true, 0 },
		{ "/docker/" CID, true, 0 },
		{ "/machine.slice/libpod-" CID ".scope/container", true, 0 },
		{ "/system.slice/slurmstepd.scope/job_4242/step_0/user/task_0", true, 0 },
		{ "/system.slice/node07_slurmstepd.scope/job_5/step_0", true, 0 },
		{ "/slurm/uid_1000/job_4242/step_0", true, 0 },
		{ "/slurm_node07/uid_0/job_9/step_extern", true, 0 },
		/* a configured root: a kind node's, the test's */
		{ "/docker/" CID "/kubepods/besteffort/pod" UID "/" CID, true, 72 },
		{ "/dt-test/kubepods/besteffort/pod" UID "/" CID, true, 8 },
		/* below a user's delegated subtree: the spoofs of #25 */
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/kubepods/besteffort/pod" UID
		  "/" CID, false, 0 },
		{ "/user.slice/user-1000.slice/user@1000.service/x/system.slice/slurmstepd.scope/job_4242",
		  false, 0 },
		{ "/dt-deleg/kubepods/besteffort/pod" UID "/" CID, false, 0 },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" CID ".scope", false,
		  0 },
		/* a claim nested below a real container, or a configured root's stray child */
		{ "/kubepods/besteffort/pod" UID "/" CID "/kubepods/besteffort/pod" UID "/" CID, false,
		  0 },
		{ "/system.slice/docker-" CID ".scope/slurm/uid_0/job_1", false, 0 },
		{ "/system.slice/docker-" CID ".scope/" CID, false, 0 },
		{ "/kubepods/besteffort/x/" CID, false, 0 },
		{ "/dt-test/x/kubepods/pod" UID "/" CID, false, 0 },
		{ "/dt-testx/kubepods/pod" UID "/" CID, false, 0 },
		/* another cgroup namespace's view, a cut kernel record */
		{ "/../../kubepods/besteffort/pod" UID "/" CID, false, 0 },
		{ "/system.slice/slurmstepd.scope", false, 0 },
		{ "/system.slice/ssh.service", false, 0 },
		{ "/slurm/job_1", false, 0 },
	};
	char *roots[] = { "/docker/" CID, "/dt-test/" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t plen = 99;
		bool ok = id_path_trusted(cases[i].path, roots, 2, &plen);

		ASSERT_EQ(ok, cases[i].trusted, cases[i].path);
		if (ok)
			ASSERT_EQ(plen, cases[i].prefix, cases[i].path);
	}
}

/* linux.cgroupsPath as runc's cgroupfs and systemd drivers write it. */
static void test_cgroups_path_match(void)
{
	static const char kube[] = "/kubepods/besteffort/pod" UID "/" CID;
	static const char sd[] = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
				 ".slice/cri-containerd-" CID ".scope";

	ASSERT_TRUE(id_cgroups_path_match(kube, kube, kube, 0), "cgroupfs");
	ASSERT_TRUE(id_cgroups_path_match("kubepods-besteffort-pod" UID_ ".slice:cri-containerd:" CID,
					  sd, sd, 0), "systemd");
	ASSERT_TRUE(id_cgroups_path_match("system.slice:docker:" CID,
					  "/system.slice/docker-" CID ".scope", "", 0), "docker");
	ASSERT_TRUE(id_cgroups_path_match("machine.slice:libpod:" CID,
					  "/machine.slice/libpod-" CID ".scope/container", "", 0),
		    "a runtime's own sub-cgroup");
	ASSERT_TRUE(id_cgroups_path_match(kube, "/docker/x" "/kubepods/besteffort/pod" UID "/" CID,
					  "/docker/x/kubepods/besteffort/pod" UID "/" CID, 9),
		    "a nested runtime, below its configured root");
	ASSERT_FALSE(id_cgroups_path_match(kube, "/dt-deleg/kubepods/besteffort/pod" UID "/" CID,
					   "", 0), "the same id elsewhere");
	ASSERT_FALSE(id_cgroups_path_match(kube, "/kubepods/besteffort/pod" UID "/" CID "x", "", 0),
		     "a longer name");
	ASSERT_FALSE(id_cgroups_path_match("/", "/anything", "", 0), "the root names nothing");
	ASSERT_FALSE(id_cgroups_path_match("bad", sd, "", 0), "no driver form");
}

/* Every directory from the mount down must be root's; a delegated one is its user's. */
static void test_owned_by_root(void)
{
	char root[] = "/tmp/dt-idown-XXXXXX", path[512];
	int fd;

	if (!ASSERT_TRUE(mkdtemp(root) != NULL, "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/kubepods/besteffort/pod1/ctr", root);
	mkdirs(path);
	fd = open(root, O_RDONLY | O_DIRECTORY);
	if (geteuid() == 0 && ASSERT_TRUE(fd >= 0, "open")) {
		ASSERT_OK(id_path_owned_by_root(fd, "/kubepods/besteffort/pod1/ctr"), "root's");
		snprintf(path, sizeof(path), "%s/kubepods/besteffort/pod1", root);
		ASSERT_OK(chown(path, 65534, 65534), "chown");
		ASSERT_EQ(id_path_owned_by_root(fd, "/kubepods/besteffort/pod1/ctr"), -EPERM,
			  "a delegated level");
		ASSERT_OK(id_path_owned_by_root(fd, "/kubepods/besteffort"), "above it");
		ASSERT_EQ(id_path_owned_by_root(fd, "/kubepods/gone"), -ENOENT, "gone");
	}
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	ASSERT_OK(system(path), "cleanup");
}

/* The runtimes' state roots, laid out in a temporary directory. */
static void test_state_dirs(void)
{
	char root[] = "/tmp/dt-idtest-XXXXXX", path[512], *dirs[1];
	struct wl_identity id = {};

	if (!ASSERT_TRUE(mkdtemp(root) != NULL, "mkdtemp"))
		return;
	dirs[0] = root;
	snprintf(path, sizeof(path), "%s/io.containerd.runtime.v2.task/k8s.io/%s", root, CID);
	mkdirs(path);
	strcat(path, "/config.json");
	write_file(path, "{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"ns1\"}}", 61);
	id_parse_cgroup("/kubepods/pod" UID "/" CID, &id);
	ASSERT_OK(id_read_runtime(&id, dirs, 1), "containerd state dir");
	ASSERT_STREQ(id.runtime, "containerd", "runtime from where its files are");
	ASSERT_STREQ(id.pod_namespace, "ns1", "namespace");
	ASSERT_TRUE(id.flags & ID_META, "meta flag");

	memset(&id, 0, sizeof(id));
	id_parse_cgroup("/kubepods/pod" UID "/crio-" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &id);
	snprintf(path, sizeof(path), "%s/overlay-containers/%s/userdata", root, id.container_id);
	mkdirs(path);
	strcat(path, "/config.json");
	write_file(path, "{\"annotations\":{\"io.kubernetes.pod.namespace\":\"ns2\"}}", 54);
	ASSERT_OK(id_read_runtime(&id, dirs, 1), "cri-o userdata");
	ASSERT_STREQ(id.runtime, "cri-o", "cri-o runtime");
	ASSERT_STREQ(id.pod_namespace, "ns2", "cri-o namespace");

	memset(&id, 0, sizeof(id));
	id_parse_cgroup("/system.slice/docker-" "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" ".scope", &id);
	snprintf(path, sizeof(path), "%s/containers/%s", root, id.container_id);
	mkdirs(path);
	strcat(path, "/config.v2.json");
	write_file(path, "{\"Name\":\"/web\",\"Config\":{\"Image\":\"nginx:1\"}}", 44);
	ASSERT_OK(id_read_runtime(&id, dirs, 1), "docker config");
	ASSERT_STREQ(id.image, "nginx:1", "docker image");
	ASSERT_STREQ(id.container_name, "web", "docker name");

	memset(&id, 0, sizeof(id));
	id_parse_cgroup("/docker/" "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", &id);
	ASSERT_EQ(id_read_runtime(&id, dirs, 1), -ENOENT, "unknown container");
	ASSERT_STREQ(id.image, "", "nothing guessed");

	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	ASSERT_OK(system(path), "cleanup");
}

/* A /proc laid out by the test: a Slurm job's process, and the cache in front of it. */
static void test_proc_and_cache(void)
{
	char root[] = "/tmp/dt-idproc-XXXXXX", path[512];
	static const char env[] = "HOME=/root\0SLURM_JOB_ACCOUNT=physics\0SLURM_JOB_USER=alice\0";
	const struct wl_identity *got;
	struct wl_identity id;
	struct idtab t;

	if (!ASSERT_TRUE(mkdtemp(root) != NULL, "mkdtemp"))
		return;
	for (int pid = 100; pid <= 102; pid++) {
		snprintf(path, sizeof(path), "%s/%d", root, pid);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/%d/cgroup", root, pid);
		if (pid < 102)
			write_file(path, "4:memory:/slurm/uid_1000/job_31/step_2\n0::/\n", 44);
		else
			write_file(path, "0::/system.slice/docker-" CID ".scope\n", 95);
		snprintf(path, sizeof(path), "%s/%d/environ", root, pid);
		write_file(path, env, sizeof(env) - 1);
		snprintf(path, sizeof(path), "%s/%d/status", root, pid);
		write_file(path, "Name:\tx\nNSpid:\t102\t7\n", 21);
	}
	ASSERT_OK(id_resolve_pid(root, 100, NULL, 0, &id), "resolve");
	ASSERT_STREQ(id.slurm_job, "31", "job");
	ASSERT_STREQ(id.slurm_step, "2", "step");
	ASSERT_STREQ(id.slurm_account, "physics", "account from the environment");
	ASSERT_STREQ(id.slurm_user, "alice", "user from the environment");
	ASSERT_EQ(id.slurm_uid, 1000, "uid from the path");
	ASSERT_EQ(id_resolve_pid(root, 999, NULL, 0, &id), -ESRCH, "no such pid");

	idtab_init(&t, false);
	t.proc_root = root;
	got = idtab_get(&t, 100);
	ASSERT_TRUE(got && !strcmp(got->slurm_job, "31"), "cached job");
	got = idtab_get(&t, 101);
	ASSERT_TRUE(got && !strcmp(got->slurm_job, "31"), "same cgroup");
	ASSERT_EQ(t.resolved, 2, "two pids resolved");
	ASSERT_EQ(t.cgroup_reads, 1, "one cgroup resolved");
	got = idtab_get(&t, 102);
	ASSERT_TRUE(got && got->ns_pid == 7, "namespace pid");
	ASSERT_TRUE(idtab_get(&t, 999) == NULL, "gone");
	ASSERT_TRUE(idtab_get(&t, 999) == NULL, "gone, cached");
	ASSERT_EQ(t.failed, 1, "failure cached");
	idtab_forget(&t, 100);
	idtab_get(&t, 100);
	ASSERT_EQ(t.resolved, 4, "forgotten pid resolved again");
	/* Bounded: past the limit both tables start over. */
	t.max_pids = 3;
	idtab_get(&t, 101);
	idtab_forget(&t, 101);
	idtab_get(&t, 101);
	ASSERT_EQ(t.resets, 1, "reset when full");
	ASSERT_TRUE(hmap_count(&t.pids) <= 3, "pids bounded");
	idtab_free(&t);

	/* Offline: recorded answers only. */
	idtab_init(&t, true);
	t.proc_root = root;
	ASSERT_TRUE(idtab_get(&t, 100) == NULL, "offline reads no /proc");
	memset(&id, 0x41, sizeof(id)); /* unterminated strings, as a hostile trace has them */
	idtab_put(&t, 100, &id);
	got = idtab_get(&t, 100);
	ASSERT_TRUE(got && strlen(got->pod_name) == sizeof(got->pod_name) - 1, "terminated");
	idtab_free(&t);

	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	ASSERT_OK(system(path), "cleanup");
}

/* The kernel's record of each test pid's cgroup, as the agent's BPF maps would give it. */
static const char *const records[] = {
	"/kubepods/besteffort/pod" UID "/" CID,
	"/kubepods/besteffort/pod" UID "/" "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
	"/user.slice/user-1000.slice/user@1000.service/kubepods/besteffort/pod" UID "/" CID,
	"/system.slice/slurmstepd.scope/job_7/step_0",
	"/../kubepods/besteffort/pod" UID "/" CID,
};
#define REC_ID(pid) (0x7ff0000000000000ULL + (pid))

static int rec_id_of(void *ctx, uint32_t pid, uint64_t *id)
{
	(void)ctx;
	*id = REC_ID(pid);
	return 0;
}

static int rec_path_of(void *ctx, uint64_t id, char *out, size_t n)
{
	(void)ctx;
	snprintf(out, n, "%s", records[id - REC_ID(300)]);
	return 0;
}

/*
 * Seen from another cgroup namespace (a DaemonSet's), /proc says "/../..": the kernel's record
 * gives the whole path; no mount shows it, so the runtime's record must name it.
 */
static void test_kernel_record_trust(void)
{
	char root[] = "/tmp/dt-idrec-XXXXXX", path[512], text[512], *dirs[1];
	const struct wl_identity *got;
	struct idtab t;

	if (!ASSERT_TRUE(mkdtemp(root) != NULL, "mkdtemp"))
		return;
	for (int pid = 300; pid <= 304; pid++) {
		snprintf(path, sizeof(path), "%s/proc/%d", root, pid);
		mkdirs(path);
		snprintf(path, sizeof(path), "%s/proc/%d/cgroup", root, pid);
		snprintf(text, sizeof(text), "0::/../..%s\n", records[pid - 300]);
		write_file(path, text, strlen(text));
	}
	/* The runtime's records: the first names its cgroup, the second another one. */
	snprintf(path, sizeof(path), "%s/state/io.containerd.runtime.v2.task/k8s.io/%s", root, CID);
	mkdirs(path);
	strcat(path, "/config.json");
	snprintf(text, sizeof(text), "{\"linux\":{\"cgroupsPath\":\"%s\"},\"annotations\":"
		 "{\"io.kubernetes.cri.sandbox-namespace\":\"ns1\"}}", records[0]);
	write_file(path, text, strlen(text));
	snprintf(path, sizeof(path), "%s/state/io.containerd.runtime.v2.task/k8s.io/%s", root,
		 records[1] + strlen(records[1]) - 64);
	mkdirs(path);
	strcat(path, "/config.json");
	snprintf(text, sizeof(text), "{\"linux\":{\"cgroupsPath\":\"/kubepods/besteffort/pod%s/x\"},"
		 "\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"ns1\"}}", UID);
	write_file(path, text, strlen(text));

	idtab_init(&t, false);
	snprintf(path, sizeof(path), "%s/proc", root);
	t.proc_root = path;
	snprintf(text, sizeof(text), "%s/state", root);
	dirs[0] = text;
	t.dirs = dirs;
	t.n_dirs = 1;
	t.cgroup_id_of = rec_id_of;
	t.cgroup_path_of = rec_path_of;

	got = idtab_get(&t, 300);
	if (ASSERT_TRUE(got != NULL, "resolved")) {
		ASSERT_STREQ(got->cgroup, records[0], "the kernel's whole path");
		ASSERT_STREQ(got->pod_namespace, "ns1", "the runtime's record");
		ASSERT_TRUE(got->flags & ID_VERIFIED, "named by the runtime: verified");
	}
	got = idtab_get(&t, 301);
	if (ASSERT_TRUE(got != NULL, "resolved")) {
		ASSERT_STREQ(got->container_id, records[1] + strlen(records[1]) - 64, "its id");
		ASSERT_STREQ(got->pod_namespace, "", "a record of another cgroup is not taken");
		ASSERT_FALSE(got->flags & ID_VERIFIED, "unverified");
	}
	got = idtab_get(&t, 302);
	if (ASSERT_TRUE(got != NULL, "resolved")) {
		ASSERT_STREQ(got->container_id, "", "below a user's subtree: nothing taken");
		ASSERT_STREQ(got->pod_uid, "", "no pod");
		ASSERT_STREQ(got->cgroup, records[2], "the path reported");
		ASSERT_TRUE(got->flags & ID_UNTRUSTED, "untrusted");
		ASSERT_TRUE(wl_has_workload(got), "still written out, as unverified");
	}
	got = idtab_get(&t, 303);
	if (ASSERT_TRUE(got != NULL, "resolved")) {
		ASSERT_STREQ(got->slurm_job, "7", "the job");
		ASSERT_FALSE(got->flags & ID_VERIFIED, "a job needs its owners read");
	}
	got = idtab_get(&t, 304);
	if (ASSERT_TRUE(got != NULL, "resolved")) {
		ASSERT_STREQ(got->container_id, "", "a cut record is at no root");
		ASSERT_TRUE(got->flags & ID_UNTRUSTED, "untrusted");
	}
	ASSERT_EQ(t.unverified, 4, "counted");
	idtab_free(&t);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	ASSERT_OK(system(path), "cleanup");
}

TEST_MAIN("identity", TEST_CASE(test_parse_table), TEST_CASE(test_pick_line),
	  TEST_CASE(test_trusted_paths), TEST_CASE(test_cgroups_path_match),
	  TEST_CASE(test_owned_by_root), TEST_CASE(test_kernel_record_trust),
	  TEST_CASE(test_runtime_json), TEST_CASE(test_state_dirs), TEST_CASE(test_proc_and_cache))
