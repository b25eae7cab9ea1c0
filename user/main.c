// SPDX-License-Identifier: GPL-2.0
/* main.c - the datatrail command: subcommand dispatch and option parsing. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "agent.h"
#include "hooks.h"
#include "inventory.h"
#include "kstate.h"
#include "log.h"
#include "metrics.h"
#include "replay.h"

/* Where `run` writes, and `status` reads, the agent's status. */
#define DT_STATUS_FILE "/run/datatrail/status.json"

/* Where state that outlives the agent (taint, counters) is pinned. */
#define DT_PIN_DIR "/sys/fs/bpf/datatrail"

static const char usage_text[] =
	"usage: datatrail <command> [options]\n"
	"\n"
	"commands:\n"
	"  run --inventory FILE [--events PATH|-] [--findings PATH|-] [--ready-file PATH]\n"
	"      [--flush-ms N] [--trace DIR [--trace-key FILE]] [--config FILE]\n"
	"      [--pin-dir DIR] [--ringbuf-kb N] [--status-file PATH] [--metrics ADDR:PORT]\n"
	"      [--rotate-mb N [--rotate-keep N]] [--log-format text|json] [--node-name NAME]\n"
	"      [--enforce off|dry-run|on] [--hooks auto|fentry|tracepoint]\n"
	"      [--scope netns:PATH|cgroup:PATH]... [--verbose]\n"
	"                         attach to the kernel and report classified data flows\n"
	"  inventory check FILE   validate an inventory and print a summary\n"
	"  trace verify DIR|FILE [--key FILE]\n"
	"                         check a recorded trace's integrity chain\n"
	"  trace cat DIR|FILE [--pid N] [--dataset ID] [--since T] [--until T] [--key FILE]\n"
	"      [--force]\n"
	"                         print a trace's events as the live agent wrote them\n"
	"  replay DIR|FILE [--inventory FILE] [--force] [--key FILE] [--explain FINDING_UID]\n"
	"                         run a trace through the correlator again, print findings\n"
	"  status [--status-file PATH]\n"
	"                         show a running agent's counters, spool and inventory\n"
	"  cleanup [--pin-dir DIR] remove the maps a stopped agent left pinned\n"
	"  version                print the version\n";

static int usage(FILE *f, int ret)
{
	fputs(usage_text, f);
	return ret;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* One subcommand's usage: on stdout for --help (exit 0), on stderr for a mistake (exit 2). */
static int usage_of(FILE *f, int ret, const char *synopsis, const char *what)
{
	fprintf(f, "usage: datatrail %s\n", synopsis);
	if (what)
		fprintf(f, "\n%s\n", what);
	return ret;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "events", required_argument, NULL, 'e' },
		{ "findings", required_argument, NULL, 'f' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "flush-ms", required_argument, NULL, 'F' },
		{ "trace", required_argument, NULL, 't' },
		{ "trace-key", required_argument, NULL, 'K' },
		{ "config", required_argument, NULL, 'c' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "ringbuf-kb", required_argument, NULL, 'R' },
		{ "status-file", required_argument, NULL, 'S' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "rotate-mb", required_argument, NULL, 'o' },
		{ "rotate-keep", required_argument, NULL, 'k' },
		{ "log-format", required_argument, NULL, 'L' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "enforce", required_argument, NULL, 'E' },
		{ "hooks", required_argument, NULL, 'H' },
		{ "scope", required_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct agent_opts o = { .flush_ms = 1000, .pin_dir = DT_PIN_DIR,
				.status_file = DT_STATUS_FILE, .rotate_keep = 5,
				.enforce = DT_ENF_ON };
	struct errbuf eb;
	unsigned long n;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "i:e:f:r:F:t:K:c:P:R:S:M:o:k:L:N:E:H:Z:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.inventory = optarg;
			break;
		case 'e':
			o.events_path = optarg;
			break;
		case 'f':
			o.findings_path = optarg;
			break;
		case 'r':
			o.ready_file = optarg;
			break;
		case 'F':
			errno = 0;
			o.flush_ms = strtoul(optarg, &end, 10);
			o.flush_ms_given = true;
			if (errno || *end || o.flush_ms < 10 || o.flush_ms > 3600000) {
				dt_log("datatrail: option '--flush-ms': bad value '%s' "
					       "(10..3600000)\n", optarg);
				return 2;
			}
			break;
		case 't':
			o.trace_dir = optarg;
			break;
		case 'K':
			o.trace_key = optarg;
			break;
		case 'c':
			o.config_path = optarg;
			break;
		case 'P':
			o.pin_dir = optarg;
			break;
		case 'R':
			errno = 0;
			o.ringbuf_kb = strtoul(optarg, &end, 10);
			if (errno || *end || o.ringbuf_kb < 4 || o.ringbuf_kb > (1 << 20) ||
			    (o.ringbuf_kb & (o.ringbuf_kb - 1))) {
				dt_log("datatrail: option '--ringbuf-kb': bad value '%s' "
					       "(a power of 2, 4..1048576)\n", optarg);
				return 2;
			}
			break;
		case 'S':
			o.status_file = optarg;
			break;
		case 'M': {
			struct sockaddr_storage ss;
			socklen_t sl;

			/* Syntax now; whether it can be bound, once attached (agent.c). */
			if (metrics_parse_listen("option '--metrics'", optarg, &ss, &sl, &eb)) {
				dt_log("datatrail: %s\n", eb.msg);
				return 2;
			}
			o.metrics_listen = optarg;
			break;
		}
		case 'L':
			if (log_set_format(optarg, &eb)) {
				dt_log("datatrail: %s\n", eb.msg);
				return 2;
			}
			break;
		case 'o':
		case 'k':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || n < 1 || n > (c == 'o' ? 1048576 : 1000)) {
				dt_log("datatrail: option '--%s': bad value '%s' (1..%d)\n",
				       c == 'o' ? "rotate-mb" : "rotate-keep", optarg,
				       c == 'o' ? 1048576 : 1000);
				return 2;
			}
			if (c == 'o')
				o.rotate_mb = n;
			else
				o.rotate_keep = n;
			break;
		case 'N':
			if (!optarg[0] || strlen(optarg) > 253 ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789-._") != strlen(optarg)) {
				dt_log("datatrail: option '--node-name': bad value '%s' "
					       "(1..253 of letters, digits, '-', '.', '_')\n", optarg);
				return 2;
			}
			o.node_name = optarg;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'E':
			if (!strcmp(optarg, "off")) {
				o.enforce = DT_ENF_OFF;
			} else if (!strcmp(optarg, "dry-run")) {
				o.enforce = DT_ENF_DRY_RUN;
			} else if (!strcmp(optarg, "on")) {
				o.enforce = DT_ENF_ON;
			} else {
				dt_log("datatrail: option '--enforce': bad value '%s' "
					       "(off, dry-run or on)\n", optarg);
				return 2;
			}
			break;
		case 'H': {
			enum hooks_mode m;

			if (hooks_mode_parse(optarg, &m)) {
				dt_log("datatrail: option '--hooks': bad value '%s' "
					       "(auto, fentry or tracepoint)\n", optarg);
				return 2;
			}
			o.hooks = m;
			break;
		}
		case 'Z': {
			struct errbuf eb = {};

			if (scope_add(&o.scope, optarg, &eb)) {
				dt_log("datatrail: %s\n", eb.msg);
				return 2;
			}
			break;
		}
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc) {
		dt_log("datatrail: run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o.inventory) {
		dt_log("datatrail: run: '--inventory FILE' is required\n");
		return 2;
	}
	return agent_run(&o);
}

/*
 * Prints a running agent's status file; exit 0 only while that agent runs and flushes: a
 * last flush older than three intervals means a wedged (or stopped) agent.
 */
static int cmd_status(int argc, char **argv)
{
	const char *path = DT_STATUS_FILE;
	char buf[8192], proc[32];
	cJSON *doc, *pid, *running;
	double age_ms, flush_ms;
	size_t n;
	FILE *f;
	int alive;

	if (argc == 2 && is_help(argv[1]))
		return usage_of(stdout, 0, "status [--status-file PATH]",
				"show a running agent's counters, spool and inventory; exit 1 when it "
				"is not running\nor its last flush is older than three flush "
				"intervals (wedged)");
	if (argc == 3 && !strcmp(argv[1], "--status-file"))
		path = argv[2];
	else if (argc != 1)
		return usage_of(stderr, 2, "status [--status-file PATH]", NULL);
	f = fopen(path, "r");
	if (!f) {
		dt_log("datatrail: status '%s': %s (is the agent running?)\n", path,
		       strerror(errno));
		return 1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	doc = cJSON_Parse(buf);
	if (!doc) {
		dt_log("datatrail: status '%s': not a status file\n", path);
		return 1;
	}
	pid = cJSON_GetObjectItem(doc, "pid");
	running = cJSON_GetObjectItem(doc, "running");
	snprintf(proc, sizeof(proc), "/proc/%.0f", cJSON_GetNumberValue(pid));
	alive = cJSON_IsTrue(running) && !access(proc, F_OK);
	age_ms = now_ns(CLOCK_REALTIME) / 1e6 -
		 cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "updated_ms"));
	flush_ms = cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "flush_ms"));
	fputs(buf, stdout);
	if (alive && (!(flush_ms > 0) || !(age_ms <= 3 * flush_ms))) {
		printf("agent %.0f: stale: last flush %.1f s ago, more than three %.0f ms "
		       "intervals (wedged or stopped)\n", cJSON_GetNumberValue(pid), age_ms / 1e3,
		       flush_ms);
		alive = 0;
	} else {
		printf("agent %.0f: %s\n", cJSON_GetNumberValue(pid),
		       alive ? "running" : "not running");
	}
	cJSON_Delete(doc);
	return alive ? 0 : 1;
}

static int cmd_cleanup(int argc, char **argv)
{
	const char *dir = DT_PIN_DIR;
	struct errbuf eb;

	if (argc == 2 && is_help(argv[1]))
		return usage_of(stdout, 0, "cleanup [--pin-dir DIR]",
				"remove the maps a stopped agent left pinned (default " DT_PIN_DIR ")");
	if (argc == 3 && !strcmp(argv[1], "--pin-dir"))
		dir = argv[2];
	else if (argc != 1)
		return usage_of(stderr, 2, "cleanup [--pin-dir DIR]", NULL);
	if (kstate_cleanup(dir, &eb)) {
		dt_log("datatrail: %s\n", eb.msg);
		return 1;
	}
	return 0;
}

static int cmd_inventory(int argc, char **argv)
{
	struct inventory *inv;
	struct errbuf eb;
	int err;

	if ((argc == 2 || argc == 3) && is_help(argv[argc - 1]))
		return usage_of(stdout, 0, "inventory check FILE",
				"validate an inventory and print a summary");
	if (argc != 3 || strcmp(argv[1], "check"))
		return usage_of(stderr, 2, "inventory check FILE", NULL);
	err = inventory_load(argv[2], &inv, &eb);
	if (err) {
		dt_log("datatrail: %s\n", eb.msg);
		return 1;
	}
	inventory_summary(inv, stdout);
	/* What each allowed executable stands for now: the file, not the path, is what allows. */
	inventory_resolve_exes(inv, stdout, "  ");
	inventory_free(inv);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inventory"))
		return cmd_inventory(argc - 1, argv + 1);
	if (!strcmp(argv[1], "trace"))
		return cmd_trace(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cleanup"))
		return cmd_cleanup(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("datatrail %s (abi %d)\n", DT_VERSION, DT_ABI_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, 0);
	dt_log("datatrail: unknown command '%s'\n", argv[1]);
	return usage(stderr, 2);
}
