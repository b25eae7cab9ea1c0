// SPDX-License-Identifier: GPL-2.0
/*
 * pipeline_bench.c - P1: user-space capacity without the kernel. Synthetic counter deltas
 * (pl_file) and egress totals (pl_egress) go through the agent's own pipeline (correlator,
 * OCSF JSON, sinks) as fast as one thread can feed them.
 *
 * usage: pipeline_bench MODE [-s SECONDS] [-n RECORDS] [-w WAIT_SECONDS] [--acl-exe]
 *   MODE  corr            correlator alone: no event lines, findings built but not written
 *         corr-live       the same, with process lookups in a real BPF procs map (as live)
 *         json-null       correlator + JSON event lines, fwrite to /dev/null
 *         json-file PATH  correlator + JSON lines to a file through the agent's sink
 *         kafka BOOTSTRAP SPOOL_DIR
 *                         event and finding lines to a Kafka broker through the agent's
 *                         sink (spool, librdkafka); after feeding, polls until the broker
 *                         has acknowledged every record or WAIT_SECONDS pass
 *         codec           what the Kafka spool's per-record compression costs: 20000 event
 *                         lines compressed as spool_append() does (compress2, Z_BEST_SPEED),
 *                         with one reused z_stream (deflateReset), batched 64 KiB at a time,
 *                         and not at all (CRC-32 only); microseconds per record
 *   --acl-exe  the restricted dataset's allowed_readers also names an executable, so every
 *              read delta of it checks the reader's exe (acl_allows(): its (device, inode)
 *              against the resolved set; half the readers run the allowed file)
 *
 * Prints one line of key=value: records fed, CPU and wall seconds, records per CPU second
 * (per core: the feeding thread is the pipeline), and for kafka the delivered count and rate.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <zlib.h>

#include "config.h"
#include "datatrail_abi.h"
#include "inventory.h"
#include "kafka.h"
#include "pipeline.h"
#include "proctab.h"
#include "sink.h"

#define NPROC 256	/* processes reading */
#define NFILE 4096	/* classified inodes */
#define NDEST 4		/* egress destinations per process */
#define EGRESS_EVERY 16 /* one egress total per 16 records */
#define DEV 0x800001	/* 8:1 in the kernel's encoding */
#define PID0 20000

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define CODEC_LINES 20000

struct out {
	char **keep; /* codec: the lines, for compressing afterwards */
	size_t *keep_len;
	size_t n_keep;
	FILE *null;
	struct sink sink;
	bool use_sink;
	struct kafka_sink *ks;
	uint64_t events;
	uint64_t findings;
	uint64_t bytes;
	uint64_t refused;
};

static void event_out(void *ctx, const char *line, size_t len)
{
	struct out *o = ctx;

	o->events++;
	o->bytes += len;
	if (o->keep) {
		if (o->n_keep < CODEC_LINES) {
			o->keep[o->n_keep] = malloc(len);
			if (o->keep[o->n_keep]) {
				memcpy(o->keep[o->n_keep], line, len);
				o->keep_len[o->n_keep++] = len;
			}
		}
	} else if (o->ks) {
		if (kafka_sink_produce(o->ks, SPOOL_EVENTS, line, len))
			o->refused++;
	} else if (o->use_sink) {
		sink_write(&o->sink, line, len);
	} else if (o->null) {
		fwrite(line, 1, len, o->null);
	}
}

static void finding_out(void *ctx, const char *line, size_t len)
{
	struct out *o = ctx;

	o->findings++;
	o->bytes += len;
	if (o->ks) {
		if (kafka_sink_produce(o->ks, SPOOL_FINDINGS, line, len))
			o->refused++;
	} else if (o->use_sink) {
		sink_write(&o->sink, line, len);
	} else if (o->null) {
		fwrite(line, 1, len, o->null);
	}
}

static const char inv_plain[] =
	"{\"datasets\": ["
	"{\"id\": \"imagenet\", \"classification\": \"internal\", \"paths\": [\"/data/imagenet\"]},"
	"{\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": [\"/data/faces\"],"
	" \"tags\": [\"PII\"], \"allowed_readers\": {\"uids\": [1000]}},"
	"{\"id\": \"weights\", \"classification\": \"confidential\", \"paths\": [\"/data/weights\"],"
	" \"allowed_egress\": [\"10.0.0.0/8\"]}]}";

/* The same, with an executable in the restricted dataset's readers: an inode compare per check. */
static const char inv_acl_exe[] =
	"{\"datasets\": ["
	"{\"id\": \"imagenet\", \"classification\": \"internal\", \"paths\": [\"/data/imagenet\"]},"
	"{\"id\": \"faces\", \"classification\": \"restricted\", \"paths\": [\"/data/faces\"],"
	" \"tags\": [\"PII\"], \"allowed_readers\": {\"uids\": [1000],"
	" \"executables\": [\"/usr/bin/python3.11\"]}},"
	"{\"id\": \"weights\", \"classification\": \"confidential\", \"paths\": [\"/data/weights\"],"
	" \"allowed_egress\": [\"10.0.0.0/8\"]}]}";

/* The (device, inode) that "/usr/bin/python3.11" stands for in the bench's inventory. */
#define BENCH_EXE_DEV (8u << 20 | 1)
#define BENCH_EXE_INO 4242

static void fill_proc(struct proc_info *pi, uint32_t pid)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	pi->ppid = pid == 1 ? 0 : 1;
	pi->uid = pid == 1 ? 0 : (pid % 2 ? 0 : 1000);
	pi->start_ns = 1000000000ULL + pid;
	snprintf(pi->comm, sizeof(pi->comm), "%s", pid == 1 ? "systemd" : "python3");
	snprintf(pi->exe, sizeof(pi->exe), "%s",
		 pid == 1 ? "/usr/lib/systemd/systemd" : "/usr/bin/python3");
	snprintf(pi->cmdline, sizeof(pi->cmdline), "%s",
		 pid == 1 ? "/sbin/init" : "python3 train.py --epochs 90 --data /data/imagenet");
	pi->exe_dev = BENCH_EXE_DEV;
	pi->exe_ino = pid % 4 ? BENCH_EXE_INO + 1 : BENCH_EXE_INO;
}

/* A procs map like the agent's, filled as fork/exec would: lookups cost a bpf() syscall. */
static int make_procs_map(void)
{
	struct dt_proc p;
	struct proc_info pi;
	int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "bench_procs", sizeof(uint32_t),
				sizeof(struct dt_proc), 16384, NULL);

	if (fd < 0)
		return -errno;
	for (uint32_t i = 0; i <= NPROC; i++) {
		uint32_t pid = i == NPROC ? 1 : PID0 + i;
		size_t n;

		fill_proc(&pi, pid);
		memset(&p, 0, sizeof(p));
		p.tgid = pid;
		p.ppid = pi.ppid;
		p.uid = pi.uid;
		p.start_ns = pi.start_ns;
		p.flags = DT_PROC_EXECED | DT_PROC_TRACKED;
		memcpy(p.comm, pi.comm, sizeof(p.comm));
		memcpy(p.exe, pi.exe, sizeof(p.exe));
		p.exe_dev = pi.exe_dev;
		p.exe_ino = pi.exe_ino;
		n = strlen(pi.cmdline);
		memcpy(p.args, pi.cmdline, n);
		p.args_len = n;
		if (bpf_map_update_elem(fd, &pid, &p, BPF_ANY))
			return -errno;
	}
	return fd;
}

/* The spool's options for one record, and the alternatives; prints key=value. */
static void codec(struct out *o)
{
	static unsigned char dst[1 << 20];
	uint64_t in = 0, outb[4] = {}, ns[4];
	z_stream zs = {};
	uLong crc = 0;

	for (size_t i = 0; i < o->n_keep; i++)
		in += o->keep_len[i];
	/* 0: compress2() per record, as spool_append() */
	ns[0] = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < o->n_keep; i++) {
		uLongf clen = sizeof(dst);

		if (compress2(dst, &clen, (const Bytef *)o->keep[i], o->keep_len[i],
			      Z_BEST_SPEED) == Z_OK)
			outb[0] += clen;
		crc = crc32(crc, dst, clen);
	}
	ns[0] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - ns[0];
	/* 1: one z_stream, deflateReset() between records */
	deflateInit(&zs, Z_BEST_SPEED);
	ns[1] = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < o->n_keep; i++) {
		deflateReset(&zs);
		zs.next_in = (Bytef *)o->keep[i];
		zs.avail_in = o->keep_len[i];
		zs.next_out = dst;
		zs.avail_out = sizeof(dst);
		deflate(&zs, Z_FINISH);
		outb[1] += sizeof(dst) - zs.avail_out;
		crc = crc32(crc, dst, sizeof(dst) - zs.avail_out);
	}
	ns[1] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - ns[1];
	/* 2: records batched into 64 KiB blocks, one deflate stream per block */
	ns[2] = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < o->n_keep;) {
		size_t blk = 0;

		deflateReset(&zs);
		zs.next_out = dst;
		zs.avail_out = sizeof(dst);
		while (i < o->n_keep && blk + o->keep_len[i] <= 65536) {
			zs.next_in = (Bytef *)o->keep[i];
			zs.avail_in = o->keep_len[i];
			blk += o->keep_len[i++];
			deflate(&zs, Z_NO_FLUSH);
		}
		if (!blk) { /* a record larger than a block */
			zs.next_in = (Bytef *)o->keep[i];
			zs.avail_in = o->keep_len[i++];
		}
		deflate(&zs, Z_FINISH);
		outb[2] += sizeof(dst) - zs.avail_out;
		crc = crc32(crc, dst, sizeof(dst) - zs.avail_out);
	}
	ns[2] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - ns[2];
	deflateEnd(&zs);
	/* 3: stored raw: the CRC alone */
	ns[3] = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < o->n_keep; i++) {
		crc = crc32(crc, (const Bytef *)o->keep[i], o->keep_len[i]);
		outb[3] += o->keep_len[i];
	}
	ns[3] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - ns[3];
	printf("mode=codec records=%zu in_bytes=%llu", o->n_keep, (unsigned long long)in);
	static const char *const names[] = { "compress2", "reuse", "batch64k", "raw" };
	for (int k = 0; k < 4; k++)
		printf(" %s_us=%.3f %s_ratio=%.2f", names[k], ns[k] / 1e3 / o->n_keep, names[k],
		       outb[k] ? (double)in / outb[k] : 0.0);
	printf(" crc=%lx\n", (unsigned long)crc);
}

static void usage(void)
{
	fprintf(stderr, "usage: pipeline_bench corr|corr-live|json-null|json-file PATH|"
			"kafka BOOTSTRAP SPOOL_DIR|codec [-s SECONDS] [-n RECORDS] [-w WAIT_SECONDS] "
			"[--acl-exe]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "acl-exe", no_argument, NULL, 'a' },
		{},
	};
	double seconds = 3, wait_s = 120;
	uint64_t max_records = 1ULL << 40, fed = 0, t0, c0, t1, c1, tdone, base_ns;
	uint64_t egress_bytes[NPROC][NDEST] = {};
	const char *mode, *path = NULL, *bootstrap = NULL, *spool = NULL;
	struct kafka_stats kst = {};
	uint64_t warm = 0;
	struct inventory *inv = NULL;
	struct config *cfg = NULL;
	struct errbuf eb = {};
	struct pipeline pl;
	struct proctab pt;
	struct out o = {};
	bool acl_exe = false, events = true, live = false;
	int c, procs_fd = -1;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	if (!strcmp(mode, "json-file")) {
		if (argc < 3)
			usage();
		path = argv[2];
		optind = 3;
	} else if (!strcmp(mode, "kafka")) {
		if (argc < 4)
			usage();
		bootstrap = argv[2];
		spool = argv[3];
		optind = 4;
	} else if (!strcmp(mode, "corr") || !strcmp(mode, "corr-live")) {
		events = false;
		live = !strcmp(mode, "corr-live");
	} else if (!strcmp(mode, "codec")) {
		max_records = CODEC_LINES * 20;
	} else if (strcmp(mode, "json-null")) {
		usage();
	}
	while ((c = getopt_long(argc, argv, "s:n:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'n':
			max_records = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			wait_s = atof(optarg);
			break;
		case 'a':
			acl_exe = true;
			break;
		default:
			usage();
		}
	}
	if (seconds <= 0 || !max_records || wait_s <= 0)
		usage();

	{
		const char *text = acl_exe ? inv_acl_exe : inv_plain;

		if (inventory_parse_offline(text, strlen(text), "bench", &inv, &eb)) {
			fprintf(stderr, "pipeline_bench: %s\n", eb.msg);
			return 1;
		}
		/* As the agent would have resolved it, without depending on this machine's file. */
		inventory_set_exe(inv, "/usr/bin/python3.11", BENCH_EXE_DEV, BENCH_EXE_INO);
	}
	if (live) {
		procs_fd = make_procs_map();
		if (procs_fd < 0) {
			fprintf(stderr, "pipeline_bench: bpf procs map: %s (needs root)\n",
				strerror(-procs_fd));
			return 1;
		}
	}
	proctab_init(&pt, procs_fd);
	pt.offline = !live;
	if (!live) {
		struct proc_info pi;

		for (uint32_t i = 0; i <= NPROC; i++) {
			fill_proc(&pi, i == NPROC ? 1 : PID0 + i);
			proctab_put(&pt, &pi);
		}
	}

	if (path) {
		if (sink_open(&o.sink, "events", path, &eb)) {
			fprintf(stderr, "pipeline_bench: %s\n", eb.msg);
			return 1;
		}
		o.use_sink = true;
	} else if (bootstrap) {
		char text[2048];

		snprintf(text, sizeof(text),
			 "{\"kafka\": {\"enabled\": true, \"properties\": "
			 "{\"bootstrap.servers\": \"%s\"}, \"topics\": {\"findings\": "
			 "\"bench.findings\", \"events\": \"bench.events\"}, \"send_events\": true, "
			 "\"host_id\": \"bench\", \"spool\": {\"dir\": \"%s\", "
			 "\"max_bytes\": 8589934592}}}",
			 bootstrap, spool);
		if (config_parse(text, strlen(text), "bench", &cfg, &eb) ||
		    kafka_sink_open(cfg, NULL, &o.ks, &eb)) {
			fprintf(stderr, "pipeline_bench: %s\n", eb.msg);
			return 1;
		}
	} else if (!strcmp(mode, "codec")) {
		o.keep = calloc(CODEC_LINES, sizeof(*o.keep));
		o.keep_len = calloc(CODEC_LINES, sizeof(*o.keep_len));
		if (!o.keep || !o.keep_len)
			return 1;
	} else if (events) {
		o.null = fopen("/dev/null", "w");
		if (!o.null) {
			perror("/dev/null");
			return 1;
		}
	}
	pl_init(&pl, inv, &pt, true, "gpu-node-07", 0, events ? event_out : NULL, finding_out,
		&o);
	/* Paths as the kernel or the inventory scan would have named them. */
	for (uint32_t f = 0; f < NFILE; f++) {
		char p[128];

		snprintf(p, sizeof(p), "/data/%s/train/%06u.jpg",
			 inv->datasets[f % 3].id, f);
		pl_set_path(&pl, DEV, 1000000 + f, p);
	}

	if (o.ks) {
		/*
		 * A fresh broker creates the topics and answers the first metadata request in
		 * about a second: start-up, not throughput. One acknowledged record per topic
		 * before the clock starts.
		 */
		static const char warm_line[] = "{\"warmup\": true}";
		uint64_t tw = now_ns(CLOCK_MONOTONIC);

		kafka_sink_produce(o.ks, SPOOL_EVENTS, warm_line, sizeof(warm_line) - 1);
		kafka_sink_produce(o.ks, SPOOL_FINDINGS, warm_line, sizeof(warm_line) - 1);
		for (;;) {
			kafka_sink_stats(o.ks, &kst);
			if (kst.delivered >= 2 || now_ns(CLOCK_MONOTONIC) - tw > wait_s * 1e9)
				break;
			kafka_sink_poll(o.ks, 50);
		}
		warm = kst.delivered;
	}
	base_ns = now_ns(CLOCK_MONOTONIC);
	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (fed = 0; fed < max_records; fed++) {
		uint32_t p = fed % NPROC;
		uint64_t ts = base_ns + fed * 1000;

		if (fed % EGRESS_EVERY == EGRESS_EVERY - 1) {
			uint32_t d = (fed / NPROC) % NDEST;
			struct dt_egress_key k = { .tgid = PID0 + p, .port = 443, .proto = 6 };
			struct dt_egress_val v = { .ops = 1, .first_ns = base_ns, .last_ns = ts,
						   .uid = p % 2 ? 0 : 1000 };

			k.addr[10] = k.addr[11] = 0xff;
			k.addr[12] = 203;
			k.addr[14] = 113;
			k.addr[15] = 10 + d;
			egress_bytes[p][d] += 65536;
			v.bytes = egress_bytes[p][d];
			v.ops = v.bytes / 65536;
			v.taint.ds[0] = 7; /* all three datasets */
			v.taint.label = DT_LABEL_RESTRICTED;
			v.taint.primary = 1;
			v.taint.hop = DT_HOP_READ;
			pl_egress(&pl, &k, &v);
		} else {
			uint32_t f = (fed / NPROC) % NFILE;
			struct dt_acc_key k = { .tgid = PID0 + p, .dev = DEV, .ino = 1000000 + f,
						.access = DT_ACC_READ };
			struct dt_acc_val v = { .bytes = 65536 * (fed / NPROC / NFILE + 1),
						.ops = 16, .first_ns = base_ns, .last_ns = ts,
						.dataset = f % 3, .uid = p % 2 ? 0 : 1000 };

			pl_file(&pl, &k, &v, 65536, 16, NULL);
		}
		if (!(fed & 4095)) {
			/* As the agent does per batch of ring buffer records (at most 4096). */
			proctab_tick(&pt);
			if (o.use_sink)
				sink_flush(&o.sink);
			if (now_ns(CLOCK_MONOTONIC) - t0 > seconds * 1e9) {
				fed++;
				break;
			}
		}
		if (o.ks && !(fed & 255))
			kafka_sink_poll(o.ks, 0);
		if (o.keep && o.n_keep >= CODEC_LINES) {
			fed++;
			break;
		}
	}
	if (o.keep) {
		codec(&o);
		for (size_t i = 0; i < o.n_keep; i++)
			free(o.keep[i]);
		free(o.keep);
		free(o.keep_len);
		pl_free(&pl);
		proctab_free(&pt);
		inventory_free(inv);
		return 0;
	}
	if (o.use_sink)
		sink_flush(&o.sink);
	if (o.null)
		fflush(o.null);
	t1 = now_ns(CLOCK_MONOTONIC);
	c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	tdone = t1;
	if (o.ks) {
		/* Delivered means acknowledged by the broker (acks=all), not merely sent. */
		for (;;) {
			kafka_sink_stats(o.ks, &kst);
			tdone = now_ns(CLOCK_MONOTONIC);
			if (kst.delivered - warm >= o.events + o.findings - o.refused ||
			    tdone - t1 > wait_s * 1e9)
				break;
			kafka_sink_poll(o.ks, 50);
		}
		c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	}
	printf("mode=%s%s records=%llu events=%llu findings=%llu out_bytes=%llu cpu_s=%.3f "
	       "wall_s=%.3f rate_cpu=%.1f rate_wall=%.1f",
	       mode, acl_exe ? "+acl-exe" : "", (unsigned long long)fed,
	       (unsigned long long)o.events, (unsigned long long)o.findings,
	       (unsigned long long)o.bytes, (c1 - c0) / 1e9, (t1 - t0) / 1e9,
	       fed * 1e9 / (double)(c1 - c0), fed * 1e9 / (double)(t1 - t0));
	if (o.ks) {
		uint64_t lines = o.events + o.findings;

		printf(" lines=%llu refused=%llu produced=%llu delivered=%llu delivery_errors=%llu "
		       "feed_s=%.3f deliver_s=%.3f rate_delivered=%.1f caught_up=%d",
		       (unsigned long long)lines, (unsigned long long)o.refused,
		       (unsigned long long)(kst.produced - warm),
		       (unsigned long long)(kst.delivered - warm),
		       (unsigned long long)kst.delivery_errors, (t1 - t0) / 1e9, (tdone - t0) / 1e9,
		       (kst.delivered - warm) * 1e9 / (double)(tdone - t0),
		       kst.delivered - warm >= lines - o.refused);
		if (kst.last_error[0])
			printf(" last_error=\"%s\"", kst.last_error);
	}
	printf("\n");
	fflush(stdout);

	if (o.ks)
		kafka_sink_close(o.ks, 1000);
	config_free(cfg);
	pl_free(&pl);
	if (o.use_sink)
		sink_close(&o.sink);
	if (o.null)
		fclose(o.null);
	proctab_free(&pt);
	inventory_free(inv);
	if (procs_fd >= 0)
		close(procs_fd);
	return 0;
}
