// SPDX-License-Identifier: GPL-2.0
/*
 * fleet_bench.c - F1: what one agent can do with fleet advisories, without the broker. Builds
 * and signs N advisories as the sending agent does (fleet_advisory), then ingests them as the
 * receiving agent does (fleet_ingest: size and HMAC check, parse, flow lookup in a real BPF
 * LRU map, taint, channel and egress updates in real BPF maps), one thread.
 *
 * usage: fleet_bench [-n ADVISORIES] [-f FLOWS]
 *
 * Prints one line of key=value: advisories, produced per CPU second, consumed (with matching)
 * per CPU second, and how many matched. Kafka's own fetch and produce costs are not in it
 * (the P1 Kafka row measures those for findings).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "datatrail_abi.h"
#include "fleet.h"
#include "inventory.h"

static const char KEY[] = "bench-fleet-key-0123456789abcdef";
static const char INV[] =
	"{\"datasets\": [{\"id\": \"weights\", \"classification\": \"restricted\", "
	"\"paths\": [\"/nonexistent/w\"], \"allowed_egress\": [\"10.204.0.0/16\"]}]}";

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int map(enum bpf_map_type type, size_t k, size_t v, size_t n)
{
	int fd = bpf_map_create(type, NULL, k, v, n, NULL);

	if (fd < 0) {
		fprintf(stderr, "fleet_bench: bpf_map_create: %s (root?)\n", strerror(errno));
		exit(1);
	}
	return fd;
}

struct adv {
	char *text;
	size_t len;
	char sig[65];
};

int main(int argc, char **argv)
{
	static const uint8_t src[16] = { [10] = 0xff, [11] = 0xff, 10, 204, 1, 1 };
	static const uint8_t dst[16] = { [10] = 0xff, [11] = 0xff, 10, 204, 1, 2 };
	unsigned int n = 200000, nflows = 16384, matched = 0;
	struct fleet_hooks hooks = {};
	struct inventory *inv = NULL;
	struct errbuf eb = {};
	struct fleet *a, *b;
	struct adv *advs;
	double t0, prod_s, cons_s;
	int c, flows;

	while ((c = getopt(argc, argv, "n:f:")) != -1) {
		if (c == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (c == 'f')
			nflows = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (!n || !nflows || nflows > 60000 || inventory_parse_offline(INV, strlen(INV), "inv", &inv, &eb)) {
		fprintf(stderr, "fleet_bench: bad arguments or inventory: %s\n", eb.msg);
		return 2;
	}
	flows = map(BPF_MAP_TYPE_LRU_HASH, sizeof(struct dt_chan_key), sizeof(struct dt_flow), 16384);
	a = fleet_new("node-a", KEY, strlen(KEY));
	b = fleet_new("node-b", KEY, strlen(KEY));
	fleet_set_maps(a, -1, -1, flows, -1, -1, -1, -1, NULL, inv, &hooks);
	{
		static uint64_t chan_count;

		fleet_set_maps(b, map(BPF_MAP_TYPE_HASH, 4, sizeof(struct dt_taint), 65536),
			       map(BPF_MAP_TYPE_LRU_HASH, sizeof(struct dt_chan_key),
				   sizeof(struct dt_taint), 65536),
			       flows, -1,
			       map(BPF_MAP_TYPE_HASH, sizeof(struct dt_egress_key),
				   sizeof(struct dt_egress_val), 16384),
			       map(BPF_MAP_TYPE_HASH, sizeof(struct dt_egress_key),
				   sizeof(struct dt_shadow), 16384),
			       -1, &chan_count, inv, &hooks);
	}
	fleet_add_local(b, dst, 4026531840u);
	/* The receiving node's accepted connections: one per sender port. */
	for (unsigned int i = 0; i < nflows; i++) {
		struct dt_chan_key k = { .kind = DT_CHAN_TCP, .lport = 9200,
					 .rport = (uint16_t)(1024 + i), .ns = 4026531840u };
		struct dt_flow v = { .tgid = 100000 + i };

		memcpy(k.laddr, dst, 16);
		memcpy(k.raddr, src, 16);
		bpf_map_update_elem(flows, &k, &v, BPF_ANY);
	}
	advs = calloc(n, sizeof(*advs));
	if (!advs)
		return 1;
	t0 = cpu_s();
	for (unsigned int i = 0; i < n; i++) {
		struct dt_egress_key k = { .tgid = 5000, .port = 9200, .proto = 6 };
		struct dt_taint t = { .ds = { 1 }, .label = DT_LABEL_RESTRICTED };
		const char *text;

		memcpy(k.addr, dst, 16);
		fleet_advisory(a, &k, &t, src, (uint16_t)(1024 + i % nflows), "python3", advs[i].sig);
		text = fleet_advisory_text(a, &advs[i].len);
		advs[i].text = strndup(text, advs[i].len);
	}
	prod_s = cpu_s() - t0;
	t0 = cpu_s();
	for (unsigned int i = 0; i < n; i++)
		matched += !fleet_ingest(b, advs[i].text, advs[i].len, advs[i].sig, i);
	cons_s = cpu_s() - t0;
	printf("mode=fleet advisories=%u flows=%u produced_per_cpu_s=%.0f consumed_per_cpu_s=%.0f "
	       "matched=%u bytes_per_advisory=%zu\n", n, nflows, n / prod_s, n / cons_s, matched,
	       advs[0].len);
	for (unsigned int i = 0; i < n; i++)
		free(advs[i].text);
	free(advs);
	fleet_close(a);
	fleet_close(b);
	inventory_free(inv);
	return matched == n ? 0 : 1;
}
