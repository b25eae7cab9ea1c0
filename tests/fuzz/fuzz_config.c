// SPDX-License-Identifier: GPL-2.0
/* fuzz_config.c - libFuzzer target: the agent's JSON config parser on hostile input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct errbuf eb;

	/* Secret files named by the input are read: inside the fuzzer's own scratch they miss. */
	if (!config_parse((const char *)data, size, "fuzz.json", &cfg, &eb))
		config_free(cfg);
	return 0;
}

/* With FUZZ_SEEDS_DIR set: write a seed corpus and exit (see run-short.sh). */
__attribute__((constructor)) static void seeds(void)
{
	static const char *const seed[] = {
		("{\"kafka\": {\"enabled\": true, \"properties\": {\"bootstrap.servers\": \"127.0.0.1:9092\","
		" \"security.protocol\": \"ssl\", \"linger.ms\": 5, \"enable.ssl.certificate.verification\":"
		" true}, \"topics\": {\"findings\": \"f\", \"events\": \"e\"}, \"send_events\": false,"
		" \"host_id\": \"node-1\", \"spool\": {\"dir\": \"/nonexistent/spool\", \"max_bytes\": 1048576}},"
		 " \"flush_ms\": 500}"),
		"{\"kafka\": {\"properties\": {\"sasl.password\": \"inline\"}}}",
		"{}",
	};
	const char *dir = getenv("FUZZ_SEEDS_DIR");
	char path[4096];

	if (!dir)
		return;
	for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%zu.json", dir, i);
		f = fopen(path, "w");
		if (!f)
			exit(1);
		fputs(seed[i], f);
		fclose(f);
	}
	exit(0);
}
