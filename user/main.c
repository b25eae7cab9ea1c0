// SPDX-License-Identifier: GPL-2.0
/* main.c - the datatrail command: subcommand dispatch and option parsing. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "inventory.h"
#include "replay.h"

#ifndef DT_VERSION
#define DT_VERSION "0.1.0"
#endif

static const char usage_text[] =
	"usage: datatrail <command> [options]\n"
	"\n"
	"commands:\n"
	"  run --inventory FILE [--events PATH|-] [--findings PATH|-] [--ready-file PATH]\n"
	"      [--flush-ms N] [--trace DIR [--trace-key FILE]] [--config FILE] [--verbose]\n"
	"                         attach to the kernel and report classified data flows\n"
	"  inventory check FILE   validate an inventory and print a summary\n"
	"  trace verify DIR|FILE [-k KEYFILE]\n"
	"                         check a recorded trace's integrity chain\n"
	"  trace cat DIR|FILE [--pid N] [--dataset ID] [--since T] [--until T] [--key FILE]\n"
	"                         print a trace's events as the live agent wrote them\n"
	"  replay DIR|FILE [--inventory FILE] [--force] [--key FILE] [--explain FINDING_UID]\n"
	"                         run a trace through the correlator again, print findings\n"
	"  version                print the version\n";

static int usage(FILE *f, int ret)
{
	fputs(usage_text, f);
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct agent_opts o = { .flush_ms = 1000 };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "i:e:f:r:F:t:K:c:vh", longopts, NULL)) != -1) {
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
			if (errno || *end || o.flush_ms < 10 || o.flush_ms > 3600000) {
				fprintf(stderr, "datatrail: option '--flush-ms': bad value '%s' "
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
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "datatrail: run: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o.inventory) {
		fprintf(stderr, "datatrail: run: '--inventory FILE' is required\n");
		return 2;
	}
	return agent_run(&o);
}

static int cmd_inventory(int argc, char **argv)
{
	struct inventory *inv;
	struct errbuf eb;
	int err;

	if (argc != 3 || strcmp(argv[1], "check")) {
		fprintf(stderr, "usage: datatrail inventory check FILE\n");
		return 2;
	}
	err = inventory_load(argv[2], &inv, &eb);
	if (err) {
		fprintf(stderr, "datatrail: %s\n", eb.msg);
		return 1;
	}
	inventory_summary(inv, stdout);
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
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("datatrail %s (abi %d)\n", DT_VERSION, DT_ABI_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, 0);
	fprintf(stderr, "datatrail: unknown command '%s'\n", argv[1]);
	return usage(stderr, 2);
}
