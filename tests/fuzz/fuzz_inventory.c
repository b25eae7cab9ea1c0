// SPDX-License-Identifier: GPL-2.0
/* fuzz_inventory.c - libFuzzer target: the inventory parser and validator on hostile JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "inventory.h"

/* Offline parsing: validation without scanning, so no input makes it walk the file system. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = NULL;
	struct errbuf eb;

	if (!inventory_parse_offline((const char *)data, size, "fuzz.json", &inv, &eb)) {
		for (size_t i = 0; i < inv->n_datasets; i++)
			for (size_t j = 0; j < inv->datasets[i].n_egress; j++)
				inv_cidr_match(&inv->datasets[i].egress[j], inv->datasets[i].egress[j].family,
					       inv->datasets[i].egress[j].addr, 443);
		/* Every place against a path of 16 long names, as the kernel's walk writes them. */
		for (size_t i = 0; i < inv->n_datasets; i++)
			for (size_t j = 0; j < inv->datasets[i].n_derived_places; j++)
				inv_place_match(&inv->datasets[i].derived_places[j], 1,
						"/runs/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/b/c/d/e/f/g"
						"/h/i/j/k/l/m/n/o/ckpt-0001.safetensors");
		inventory_free(inv);
	}
	return 0;
}

/* With FUZZ_SEEDS_DIR set: write a seed corpus and exit (see run-short.sh). */
__attribute__((constructor)) static void seeds(void)
{
	static const char *const seed[] = {
		("{\"datasets\": [{\"id\": \"imagenet-faces\", \"classification\": \"restricted\","
		" \"paths\": [\"/data/faces\", \"/data/extra/labels.csv\"], \"tags\": [\"PII\"],"
		" \"owner\": \"ml-platform\", \"allowed_readers\": {\"uids\": [1001],"
		" \"executables\": [\"/usr/bin/python3.11\"]}, \"allowed_writers\": {\"uids\": [1002],"
		" \"executables\": []}, \"allowed_egress\": [\"10.20.0.0/16\", \"192.168.7.10/32:443\","
		 " \"fd00::/8\", \"[fd00::1]/128:443\"], \"gpu_allowed\": true}]}"),
		"{\"datasets\": []}",
		("{\"datasets\": [{\"id\": \"w\", \"classification\": \"confidential\","
		 " \"paths\": [\"/data/w\"], \"allowed_readers\": {\"uids\": [1000]},"
		 " \"derived\": {\"report\": \"outside\", \"paths\": [\"/ckpt/\","
		 " \"/runs/**/*.safetensors\", \"mount:/mnt/scratch\"]}}]}"),
		("{\"datasets\": [{\"id\": \"a\", \"classification\": \"public\", \"paths\": [\"/x\"]},"
		 " {\"id\": \"a\", \"classification\": \"secret\", \"paths\": [\"y\"]}]}"),
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
