// SPDX-License-Identifier: GPL-2.0
/* json_load.c - the JSON loaders' shared pieces; see json_load.h. */
#include <stdio.h>
#include <string.h>

#include "json_load.h"

int json_load_vfail(struct errbuf *err, int ret, const char *subject, const char *field,
		    const char *fmt, va_list ap)
{
	char msg[sizeof(err->msg)];
	size_t len;

	len = snprintf(msg, sizeof(msg), "%s: ", subject);
	if (len < sizeof(msg) && field)
		len += snprintf(msg + len, sizeof(msg) - len, "field '%s': ", field);
	if (len < sizeof(msg))
		vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
	return errbuf_set(err, ret, "%s", msg);
}

const char *json_dup_key(const cJSON *obj, const char *const *keys)
{
	const cJSON *a, *b;
	int n;

	if (!keys) {
		cJSON_ArrayForEach(a, obj) {
			if (!a->string)
				continue;
			for (b = a->next; b; b = b->next)
				if (b->string && !strcmp(a->string, b->string))
					return a->string;
		}
		return NULL;
	}
	/* Only the keys that are read matter, and checking just those keeps this linear. */
	for (; *keys; keys++) {
		n = 0;
		cJSON_ArrayForEach(a, obj) {
			if (a->string && !strcmp(a->string, *keys) && ++n > 1)
				return *keys;
		}
	}
	return NULL;
}
