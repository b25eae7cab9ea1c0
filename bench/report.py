#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - the final table of `make bench` from build/bench/results.tsv (bench/run.sh).

Ratio = throughput with the agent / throughput without, per ABAB pair; the table shows the
median over pairs and the min..max. 1.0 means no overhead. C1 (the benign corpus) reports
findings per hour of training and step times (time, so its ratio is with / without too).
"""
import statistics
import sys

WORKLOADS = {
    "T1": ("getppid() loop, unwatched syscall", 0.90, "call"),
    "T2": ("4 KiB preads, unclassified file", 0.95, "read"),
    "T3": ("4 KiB preads, classified file", 0.85, "read"),
    "T4": ("loader: 4 new procs/epoch, 10% cls", 0.97, "file"),
    "T5": ("tainted TCP stream over loopback", 0.95, "byte"),
}
# Targets of the fentry backend (issue 16); its rows are "T1@fentry" in results.tsv, "T1f" here.
FENTRY_TARGETS = {"T1": 0.98, "T2": 0.97, "T3": 0.93, "T4": 0.90, "T5": 0.95}
BACKENDS = (("", "", "tracepoint"), ("@fentry", "f", "fentry"))
# What one "op" of the D (BPF stats) and overhead columns is, per workload.
OP = {"T1": ("call", 1), "T2": ("read", 1), "T3": ("read", 1), "T4": ("file", 1),
      "T5": ("64 KiB write", 65536)}


def si(v, unit=""):
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return "%.2f%s%s" % (v / div, suf, unit)
    return "%.0f%s" % (v, unit)


def rate_str(w, r):
    if w == "T5":
        return "%.2f GB/s" % (r / 1e9)
    return si(r, " %s/s" % WORKLOADS[w][2])


def kv(line):
    out = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v.strip('"')
    return out


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def corpus_report(rows):
    """C1: findings per hour of benign training (target 0) and the jobs' step times."""
    runs = [r for r in rows if r[1] == "run" and len(r) >= 7]
    steps = [r for r in rows if r[1] == "step" and len(r) >= 8]
    finds = [r for r in rows if r[1] == "findings" and len(r) >= 5]
    with_s = sum(int(r[4]) for r in runs if r[3] == "B")
    without_s = sum(int(r[4]) for r in runs if r[3] == "A")
    print()
    print("C1: precision on the benign corpus (tests/corpus/): allowed training jobs, %d s "
          "with the agent, %d s without, %d pairs" % (with_s, without_s,
                                                      len([r for r in runs if r[3] == "B"])))
    print("    %-14s %16s %16s %7s %15s %9s" % ("job", "step without", "step with", "ratio",
                                               "[min..max]", "jobs A/B"))
    for w in sorted(set(r[2] for r in steps)):
        # per pair: the median step time of the job's runs without and with the agent
        ratios, a_all, b_all, na, nb = [], [], [], 0, 0
        for pair in sorted(set(r[3] for r in steps if r[2] == w), key=int):
            a = [float(r[5]) for r in steps if r[2] == w and r[3] == pair and r[4] == "A"
                 and int(r[6]) > 0]
            b = [float(r[5]) for r in steps if r[2] == w and r[3] == pair and r[4] == "B"
                 and int(r[6]) > 0]
            na, nb = na + len(a), nb + len(b)
            a_all += a
            b_all += b
            if a and b and med(a) > 0:
                ratios.append(med(b) / med(a))
        print("    %-14s %13.3f ms %13.3f ms %7s %15s %4d/%-4d" % (
            w, med(a_all), med(b_all), "%.3f" % med(ratios) if ratios else "-",
            "[%.3f..%.3f]" % (min(ratios), max(ratios)) if ratios else "-", na, nb))
    total = sum(int(r[3]) for r in finds)
    jobs = sum(int(r[5]) for r in finds if len(r) >= 6)
    kinds = {}
    for r in finds:
        for kvp in r[4].split(","):
            if "=" in kvp:
                k, v = kvp.split("=")
                kinds[k] = kinds.get(k, 0) + int(v)
    per_h = total * 3600.0 / with_s if with_s else float("nan")
    print("C1  findings during training: %d in %d s with the agent = %.0f per hour of "
          "training; target 0  %s%s" % (
              total, with_s, per_h, "PASS" if total == 0 else "MISS",
              "  (%s)" % ", ".join("%s %d" % kv for kv in sorted(kinds.items()))
              if kinds else ""))
    if finds and all(len(r) >= 6 for r in finds):
        print("    of which the jobs' own (their uid, or a visibility_gap): %d = %.0f per "
              "hour; the rest is other processes on the node" % (
                  jobs, jobs * 3600.0 / with_s if with_s else float("nan")))
    print("    step time ratio = the job's median step time with the agent / without (1.0 = "
          "no overhead); python's start-up is not a step")


def main():
    header, runs, diag, hooks, pipe, sload, slook, hstats = [], [], [], [], [], [], [], []
    ident = []
    enf = []
    fleet = []
    corpus = []
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            continue
        if line.startswith("#"):
            header.append(line[2:])
            continue
        f = line.split("\t")
        if f[0].split("@")[0] in WORKLOADS and len(f) >= 15:
            runs.append(f)
        elif f[0] == "D":
            diag.append(f)
        elif f[0] == "I":
            ident.append((f[1], kv(f[2])))
        elif f[0] == "H":
            hooks.append(f)
        elif f[0] == "HS":
            hstats.append(kv(f[1]))
        elif f[0] == "E" and len(f) >= 6:
            enf.append(f)
        elif f[0] == "P":
            pipe.append((f[1], kv(f[2])))
        elif f[0] == "F" and len(f) >= 3:
            fleet.append(kv(f[2]))
        elif f[0] == "C" and len(f) >= 5:
            corpus.append(f)
        elif f[0] == "S" and f[1] == "load":
            sload.append((int(f[2]), f[3], kv(f[4])))
        elif f[0] == "S" and f[1] == "lookup":
            slook.append(f)

    print()
    print("datatrail benchmarks")
    for h in header:
        print("  " + h)
    print()
    print("Overhead: throughput with the agent / without, per ABAB pair (1.0 = no overhead);")
    print("pairs: undisturbed pairs used / pairs run (* = disturbed pairs had to be used);")
    print("T1..T5 with the tracepoint backend, T1f..T5f with the fentry backend (--hooks)")
    hdr = ("ID", "workload", "without (med)", "with (med)", "ratio", "[min..max]", "target",
           "result", "agent CPU", "peak RSS", "events/run", "lost", "gaps", "check", "pairs")
    fmt = "%-3s %-38s %15s %15s %6s %15s %6s %6s %14s %9s %10s %5s %5s %17s %6s"
    print(fmt % hdr)
    overhead_ns = {}
    for (w, (name0, target0, _unit)), (sfx, idsfx, backend) in (
            (wl, be) for wl in WORKLOADS.items() for be in BACKENDS):
        rows = [r for r in runs if r[0] == w + sfx]
        if not rows:
            continue
        name = "%s [%s]" % (name0[:38 - len(backend) - 3], backend)
        target = FENTRY_TARGETS[w] if sfx else target0
        wid = w + idsfx
        a = {r[1]: float(r[3]) for r in rows if r[2] == "A"}
        b = {r[1]: r for r in rows if r[2] == "B"}
        dist = {r[1] for r in rows if r[12] == "1"}
        every = sorted(set(a) & set(b), key=int)
        # Pairs during which another agent ran or the CPUs were busy are left out when
        # at least 3 undisturbed pairs remain.
        pairs = [p for p in every if p not in dist]
        if len(pairs) < min(3, len(every)):
            pairs = every
        used = "%d/%d%s" % (len(pairs), len(every), "*" if set(pairs) & dist else "")
        ratios = [float(b[p][3]) / a[p] for p in pairs if a[p] > 0]
        if not ratios:
            continue
        opdiv = OP[w][1]
        overhead_ns[wid] = med([(1e9 / float(b[p][3]) - 1e9 / a[p]) * opdiv for p in pairs])
        cpu = [float(b[p][5]) for p in pairs]
        wall = [float(b[p][6]) for p in pairs]
        cpu_pct = med([c / wl * 100 for c, wl in zip(cpu, wall) if wl > 0])
        hwm = max(int(b[p][7]) for p in pairs)
        events = med([int(b[p][8]) for p in pairs])
        lost = sum(int(b[p][10]) for p in pairs)
        gaps = sum(int(b[p][11]) for p in pairs)
        checks = [b[p][13] for p in pairs if b[p][13] != "-"]
        if w == "T3":
            npass = sum(c.startswith("PASS") for c in checks)
            check = "bytes %s %d/%d" % ("PASS" if npass == len(checks) else "FAIL", npass,
                                        len(checks))
        elif checks:
            check = checks[-1]
        else:
            check = "-"
        r = med(ratios)
        ok = r >= target
        if w == "T3" and (lost or gaps or not check.startswith("bytes PASS")):
            ok = False
        print(fmt % (wid, name, rate_str(w, med([a[p] for p in pairs])),
                     rate_str(w, med([float(b[p][3]) for p in pairs])), "%.3f" % r,
                     "[%.3f..%.3f]" % (min(ratios), max(ratios)), ">=%.2f" % target,
                     "PASS" if ok else "MISS", "%.2fs %3.0f%%" % (med(cpu), cpu_pct),
                     "%.0fMiB" % (hwm / 1024), "%.0f" % events, lost, gaps, check, used))
    if overhead_ns:
        print()
        print("Added time per operation (median over pairs): " + ", ".join(
            "%s %.0f ns/%s" % (w, ns, OP[w.rstrip("f")][0]) for w, ns in overhead_ns.items()))

    if ident:
        print()
        print("I: workload identity, resolved once per new process (diag runs, status file)")
        for w, d in ident:
            print("%-3s %6s processes resolved, %4s failed, %4s cgroups, %7s ns per process, "
                  "%s cache resets" % (w, d["resolved"], d["failed"], d["cgroups"],
                                       d["ns_per_process"], d["resets"]))
    if diag:
        print()
        print("D: BPF run time per program (kernel.bpf_stats_enabled=1, one separate run each)")
        print("%-3s %-24s %12s %10s %12s" % ("", "program", "runs/op", "ns/run", "ns/op"))
        for w in WORKLOADS:
            rows = [d for d in diag if d[1] == w]
            if not rows:
                continue
            unit, div = OP[w]
            rows.sort(key=lambda d: -float(d[5]))
            tot = 0.0
            for d in rows:
                per_op = float(d[5]) * div
                tot += per_op
                if per_op * 1000 < overhead_ns.get(w, 1e9) and per_op < 0.5:
                    continue  # negligible
                print("%-3s %-24s %12.4f %10.1f %12.1f" % (w, d[2], float(d[3]) * div,
                                                           float(d[4]), per_op))
            line = "%-3s %-24s %12s %10s %12.1f   per %s" % (w, "all programs", "", "", tot, unit)
            if w in overhead_ns and w in ("T1", "T2", "T3"):
                line += "; measured added time %.0f ns, so %.0f ns outside the programs" % (
                    overhead_ns[w], overhead_ns[w] - tot)
            elif w in overhead_ns:
                line += "; measured added wall time %.0f ns (programs run on both CPUs " \
                        "in parallel)" % overhead_ns[w]
            print(line)

    if hooks or hstats:
        print()
        print("H: the hooks alone (near-empty programs, bench/hooks.bpf.c): time added per call")
        names = {
            "h_btf_exit": "getppid: empty tp_btf/sys_exit",
            "h_btf_exit_core": "getppid: tp_btf/sys_exit + BPF_CORE_READ(regs, orig_ax)",
            "h_btf_exit_direct": "getppid: tp_btf/sys_exit + direct regs->orig_ax",
            "h_tp_enter_write": "getppid: one tracepoint/syscalls/sys_enter_write",
            "h_tp_exit_pread64": "getppid: one tracepoint/syscalls/sys_exit_pread64",
            "h_btf_exit,h_tp_enter_write": "getppid: tp_btf/sys_exit + sys_enter_write",
            "h_fd_core:pread": "pread64: fd->inode->key + miss, BPF_CORE_READ",
            "h_fd_direct:pread": "pread64: fd->inode->key + miss, direct BTF loads",
            "h_tp_exit_pread64:pread": "pread64: empty tracepoint/syscalls/sys_exit_pread64",
        }
        seen = []
        for h in hooks:
            if h[1] not in seen:
                seen.append(h[1])
        for cfg in seen:
            rows = [h for h in hooks if h[1] == cfg]
            ns = med([1e9 / float(h[4]) - 1e9 / float(h[3]) for h in rows])
            base = med([1e9 / float(h[3]) for h in rows])
            print("    %-60s %+7.1f ns/call (base %.1f ns)%s" % (
                names.get(cfg, cfg), ns, base,
                " noisy" if any(h[5] == "1" for h in rows) else ""))
        if hstats:
            print("  run time per program run, pread64 loop (bpf_enable_stats; includes ~2 "
                  "clock reads):")
            print("    " + ", ".join("%s %.1f ns" % (h.get("prog"), float(h.get("ns_per_run", 0)))
                                   for h in hstats))

    for r in fleet:
        print()
        print("F1: fleet advisories, one thread, without the broker's fetch and produce")
        cons = float(r.get("consumed_per_cpu_s", 0))
        print("F1  %-48s %12s/s" % ("built and signed (node A)",
                                    si(float(r.get("produced_per_cpu_s", 0)))))
        print("F1  %-48s %12s/s  target >=100k  %s  (%s of %s matched, %s bytes each)" % (
            "verified, parsed, matched, tainted (node B)", si(cons),
            "PASS" if cons >= 100000 else "MISS", r.get("matched"), r.get("advisories"),
            r.get("bytes_per_advisory")))

    if pipe:
        print()
        print("P1: pipeline capacity without the kernel (one thread; per core = per CPU second)")
        labels = {
            "corr": ("correlator alone (offline process table)", 1e6, "events/s/core"),
            "corr-live": ("  same, process lookups in a BPF procs map", None, "events/s/core"),
            "corr+acl-exe": ("  same, exe in allowed_readers (realpath)", None,
                             "events/s/core"),
            "json-null": ("correlator + OCSF JSON -> /dev/null", None, "events/s/core"),
            "json-file": ("correlator + OCSF JSON -> file sink", None, "events/s/core"),
        }
        for dist, p in pipe:
            m = p.get("mode", "?")
            if m == "kafka":
                if p.get("skipped"):
                    print("P1  %-48s SKIPPED: broker did not start: %s" % (
                        "delivered to local Kafka (acks=all)", p.get("why", "")))
                    continue
                if p.get("failed"):
                    print("P1  %-48s FAILED (see the log above)" % "delivered to local Kafka")
                    continue
                r = float(p["rate_delivered"])
                ok = r >= 200e3 and p.get("caught_up") == "1"
                print("P1  %-48s %12s  target >=200k  %s  (%s lines, feed %.1fs, all acked "
                      "after %.1fs, feeder CPU %.0f us/record, refused %s)%s" % (
                          "delivered to local Kafka (acks=all)", si(r, " rec/s"),
                          "PASS" if ok else "MISS", p.get("lines"), float(p["feed_s"]),
                          float(p["deliver_s"]),
                          float(p["cpu_s"]) / max(1, int(p["lines"])) * 1e6,
                          p.get("refused"), " noisy" if dist == "1" else ""))
                continue
            if m == "codec":
                print("P1  %-48s %s" % ("  spool codec per record (Kafka path)", ", ".join(
                    "%s %.1f us (%.1f:1)" % (k, float(p[k + "_us"]), float(p[k + "_ratio"]))
                    for k in ("compress2", "reuse", "batch64k", "raw"))))
                continue
            label, target, unit = labels.get(m, (m, None, "events/s/core"))
            r = float(p["rate_cpu"])
            extra = ""
            if target:
                extra = "  target >=%s  %s" % (si(target), "PASS" if r >= target else "MISS")
            if m.startswith("json"):
                extra += "  (%.0f B/line)" % (int(p["out_bytes"]) / max(1, int(p["events"])
                                                                       + int(p["findings"])))
            print("P1  %-48s %12s%s  %.2f us/event%s" % (
                label, si(r, " " + unit), extra, 1e6 / r, " noisy" if dist == "1" else ""))

    if enf:
        print()
        print("E: enforcement, throughput with --enforce on / off per pair (1.0 = free)")
        names = {"E5": "T5 stream, tainted, allowed destination",
                 "EU": "T5 stream, untainted sender"}
        for w in ("E5", "EU"):
            off = {r[2]: float(r[4]) for r in enf if r[1] == w and r[3] == "off"}
            on = {r[2]: float(r[4]) for r in enf if r[1] == w and r[3] == "on"}
            ps = sorted(set(off) & set(on), key=int)
            ratios = [on[p] / off[p] for p in ps if off[p] > 0]
            if not ratios:
                continue
            print("%-3s %-42s off %12s  on %12s  ratio %.3f [%.3f..%.3f]  pairs %d" % (
                w, names[w], si(med([off[p] for p in ps]), "B/s"),
                si(med([on[p] for p in ps]), "B/s"), med(ratios), min(ratios), max(ratios),
                len(ps)))
        for d in diag:
            if d[1] in ("E5", "EU") and (d[2].startswith("dt_enf") or d[2] == "dt_enter_write"):
                # ops are bytes: runs per 64 KiB write, and what they cost per MiB sent
                print("%-3s %-24s %10.3f runs/64KiB write %8.1f ns/run %10.1f ns/MiB" % (
                    d[1], d[2], float(d[3]) * 65536, float(d[4]), float(d[5]) * 2**20))

    if corpus:
        corpus_report(corpus)

    if sload or slook:
        print()
        print("S1: scale with the number of classified files")
        print("%-9s %9s %9s %10s %13s %13s %9s %11s %11s %10s %10s" % (
            "files", "inodes", "load s", "ready s", "maps memlock", "inodes map", "agent RSS",
            "+ns/read miss", "+ns/read hit", "bpf ns miss", "bpf ns hit"))
        for n in sorted(set([s[0] for s in sload] + [int(s[2]) for s in slook])):
            ld = [s for s in sload if s[0] == n]
            lk = [s for s in slook if int(s[2]) == n]
            inodes = ld[0][2].get("inodes", "?") if ld else "?"
            load = float(ld[0][2]["best_s"]) if ld else float("nan")
            if lk:
                ready = med([float(s[9]) for s in lk])
                mlt, mli = (int(x) for x in lk[0][10].split())
                hwm = max(int(s[11]) for s in lk)
                miss = med([1e9 / float(s[6]) - 1e9 / float(s[5]) for s in lk])
                hit = med([1e9 / float(s[8]) - 1e9 / float(s[7]) for s in lk])
                c2, n2 = (int(x) for x in lk[0][12].split())
                c3, n3 = (int(x) for x in lk[0][13].split())
                print("%-9s %9s %9.3f %10.2f %10.1f MiB %9.1f MiB %6.0f MiB %11.0f %11.0f "
                      "%10.1f %10.1f" % (si(n), inodes, load, ready, mlt / 2**20, mli / 2**20,
                                         hwm / 1024, miss, hit, n2 / c2 if c2 else 0,
                                         n3 / c3 if c3 else 0))
            else:
                print("%-9s %9s %9.3f" % (si(n), inodes, load))
    print()


if __name__ == "__main__":
    main()
