// SPDX-License-Identifier: GPL-2.0
/* ocsf_workload.c - the container profile and the workload identity in OCSF records; see docs/identity.md. */
#define _GNU_SOURCE
#include <string.h>

#include "identity.h"
#include "ocsf.h"

/* "registry/trainer:v3" -> name "registry/trainer", tag "v3"; "...@sha256:x" -> uid the digest. */
static void image_obj(struct jbuf *jb, const struct wl_identity *id)
{
	const char *ref = id->image, *at = strchr(ref, '@'), *slash, *colon;
	size_t name_len = at ? (size_t)(at - ref) : strlen(ref);

	jb_obj_open(jb, "image");
	slash = memrchr(ref, '/', name_len);
	colon = memrchr(slash ? slash : ref, ':', name_len - (slash ? slash - ref : 0));
	if (colon) {
		jb_strn(jb, "name", ref, colon - ref);
		/* image.tag is deprecated since OCSF 1.4.0: the tag goes in tags[]. */
		jb_arr_open(jb, "tags");
		jb_obj_open(jb, NULL);
		jb_str(jb, "name", "tag");
		jb_strn(jb, "value", colon + 1, ref + name_len - colon - 1);
		jb_obj_close(jb);
		jb_arr_close(jb);
	} else {
		jb_strn(jb, "name", ref, name_len);
	}
	/* image.uid is required: the digest where one is known, else the reference itself. */
	if (id->image_id[0])
		jb_str(jb, "uid", id->image_id);
	else if (at)
		jb_str(jb, "uid", at + 1);
	else
		jb_str(jb, "uid", ref);
	jb_obj_close(jb);
}

void ocsf_container(struct jbuf *jb, const struct wl_identity *id)
{
	if (!wl_has_container(id))
		return;
	jb_obj_open(jb, "container");
	jb_str(jb, "uid", id->container_id);
	if (id->container_name[0])
		jb_str(jb, "name", id->container_name);
	if (id->image[0])
		image_obj(jb, id);
	if (id->runtime[0])
		jb_str(jb, "runtime", id->runtime);
	if (id->pod_uid[0]) {
		jb_str(jb, "orchestrator", "kubernetes");
		jb_str(jb, "pod_uuid", id->pod_uid);
	}
	jb_obj_close(jb);
	if (id->ns_pid)
		jb_u64(jb, "namespace_pid", id->ns_pid);
}

unsigned int ocsf_profile_of(const struct wl_identity *id)
{
	return wl_has_container(id) ? OCSF_PROFILE_CONTAINER : 0;
}

void ocsf_workload(struct jbuf *jb, const struct wl_identity *id)
{
	if (!wl_has_workload(id))
		return;
	jb_obj_open(jb, "workload");
	jb_str(jb, "cgroup", id->cgroup);
	/* false: not the runtime's own, or not checked; it then satisfies no workload list. */
	jb_bool(jb, "verified", !!(id->flags & ID_VERIFIED));
	if (id->pod_name[0])
		jb_str(jb, "pod", id->pod_name);
	if (id->pod_namespace[0])
		jb_str(jb, "namespace", id->pod_namespace);
	if (id->container_name[0])
		jb_str(jb, "container", id->container_name);
	if (id->image[0])
		jb_str(jb, "image", id->image);
	if (id->qos[0])
		jb_str(jb, "qos_class", id->qos);
	if (id->slurm_job[0]) {
		jb_obj_open(jb, "slurm");
		jb_str(jb, "job_id", id->slurm_job);
		if (id->slurm_step[0])
			jb_str(jb, "step", id->slurm_step);
		if (id->flags & ID_SLURM_UID)
			jb_u64(jb, "uid", id->slurm_uid);
		if (id->slurm_user[0])
			jb_str(jb, "user", id->slurm_user);
		if (id->slurm_account[0])
			jb_str(jb, "account", id->slurm_account);
		jb_obj_close(jb);
	}
	jb_obj_close(jb);
}
