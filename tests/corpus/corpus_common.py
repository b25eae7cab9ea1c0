# SPDX-License-Identifier: GPL-2.0
"""corpus_common.py - what every corpus workload shares: arguments, bounds, metrics to the allowed host, step times.

A workload is a short training-style job that reads a classified dataset as its allowed
reader (tests/integration/test_corpus.sh, bench/run.sh). Each one is bounded by --steps and
--seconds, sends one metrics line per step to --metrics (an allowed_egress host) and prints
one JSON line on stdout at the end: {"workload", "steps", "step_ms" (median), "pid", ...}.
"""
import argparse
import json
import os
import socket
import statistics
import sys
import time


def args(desc, extra=None):
    p = argparse.ArgumentParser(description=desc)
    p.add_argument("--data", required=True, help="the classified dataset directory")
    p.add_argument("--out", required=True, help="where the job writes (outside the dataset)")
    p.add_argument("--metrics", default="", help="HOST:PORT of the metrics sink, or nothing")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--seconds", type=float, default=20.0, help="stop after this long")
    if extra:
        extra(p)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    return a


class Job:
    """Bounds, step timing and the metrics connection of one workload."""

    def __init__(self, name, a):
        self.name = name
        self.a = a
        self.t0 = time.monotonic()
        self.times = []
        self.extra = {}
        self.sock = None
        self._last = None
        if a.metrics:
            host, port = a.metrics.rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)), timeout=10)

    def steps(self):
        """Yields step numbers until --steps or --seconds, timing each step."""
        for i in range(self.a.steps):
            if time.monotonic() - self.t0 > self.a.seconds:
                break
            s = time.monotonic()
            yield i
            self.times.append(time.monotonic() - s)

    def metric(self, step, **values):
        if self.sock is None:
            return
        rec = {"job": self.name, "step": step}
        rec.update({k: float(v) for k, v in values.items()})
        self.sock.sendall((json.dumps(rec) + "\n").encode())

    def done(self, **extra):
        if self.sock is not None:
            self.sock.close()
        rec = {"workload": self.name, "pid": os.getpid(), "steps": len(self.times),
               "step_ms": round(statistics.median(self.times) * 1e3, 3) if self.times else 0,
               "seconds": round(time.monotonic() - self.t0, 3)}
        rec.update(self.extra)
        rec.update(extra)
        print(json.dumps(rec, sort_keys=True))
        sys.stdout.flush()
