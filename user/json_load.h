/* SPDX-License-Identifier: GPL-2.0 */
/* json_load.h - what the JSON file loaders (config, inventory) share: message shape, repeated keys. */
#ifndef DT_JSON_LOAD_H
#define DT_JSON_LOAD_H

#include <stdarg.h>

#include <cjson/cJSON.h>

#include "errbuf.h"

/*
 * Writes "SUBJECT: [field 'FIELD': ]WHAT" into @err (WHAT from @fmt) and returns @ret: the
 * one shape of every loader message, e.g.
 *   config 'x.json': field 'kafka.topics.findings': expected a string, got 42
 *   inventory 'i.json': dataset 'imgs': field 'classification': unknown classification 'x'
 */
int json_load_vfail(struct errbuf *err, int ret, const char *subject, const char *field,
		    const char *fmt, va_list ap);

/*
 * cJSON takes the first of two equal keys, other JSON tools the last, so a repeated key could
 * mean one thing here and another in whatever else reads the file. Returns the first of
 * @keys (NULL-terminated) that @obj holds twice, or with @keys NULL the first member name
 * that comes again; NULL if none.
 */
const char *json_dup_key(const cJSON *obj, const char *const *keys);

#endif /* DT_JSON_LOAD_H */
