/* SPDX-License-Identifier: GPL-2.0 */
/* log.h - the agent's stderr messages as text (as written) or as JSON lines with a level. */
#ifndef DT_LOG_H
#define DT_LOG_H

#include <stddef.h>

#include "errbuf.h"

/*
 * --log-format: "text" leaves stderr alone; "json" puts a stream in front of it that turns
 * each message line into {"time":...,"level":...,"msg":...}. Every module keeps writing
 * plain lines to stderr, so messages from libraries (libbpf, librdkafka) are covered too.
 * 0, or -EINVAL with a message naming the value in @eb.
 */
int log_set_format(const char *format, struct errbuf *eb);

/*
 * The level of a message line: "info" for the agent's lifecycle reports (started, reloaded,
 * stopped, where metrics are served), "warning" for everything else it says, which is a
 * problem it reports or works around.
 */
const char *log_level(const char *msg, size_t len);

#endif /* DT_LOG_H */
