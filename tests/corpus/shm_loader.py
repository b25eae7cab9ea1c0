#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""shm_loader.py - PyTorch DataLoader's pattern without torch: worker processes pass each batch in a new shared-memory segment."""
import multiprocessing as mp
import os
from multiprocessing import resource_tracker, shared_memory

import numpy as np

import corpus_common as cc


def worker(wid, nworkers, files, bs, todo, out_q):
    # As a DataLoader worker: read the samples of each batch it is given, stage them in a
    # fresh segment (create, write, close) and pass its name; the trainer maps and unlinks it.
    while True:
        b = todo.get()
        if b is None:
            break
        batch = np.stack([np.fromfile(files[(b * bs + i) % len(files)], dtype=np.uint8)
                          for i in range(bs)])
        shm = shared_memory.SharedMemory(create=True, size=batch.nbytes)
        np.ndarray(batch.shape, dtype=batch.dtype, buffer=shm.buf)[:] = batch
        out_q.put((b, shm.name, batch.shape))
        shm.close()


def main():
    a = cc.args(__doc__, lambda p: p.add_argument("--workers", type=int, default=2))
    sdir = a.data + "/samples"
    files = sorted(os.path.join(sdir, f) for f in os.listdir(sdir))
    bs = 16
    ctx = mp.get_context("fork")
    # one tracker for all: workers that started their own would warn of the segments the
    # trainer unlinked as leaked
    resource_tracker.ensure_running()
    todo, out_q = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(i, a.workers, files, bs, todo, out_q))
             for i in range(a.workers)]
    for p in procs:
        p.start()
    job = cc.Job("shm_loader", a)
    w = np.zeros(os.path.getsize(files[0]), dtype=np.float32)
    segments = 0
    prefetch = 2 * a.workers
    for b in range(prefetch):
        todo.put(b)
    for step in job.steps():
        todo.put(step + prefetch)
        _, name, shape = out_q.get(timeout=20)
        shm = shared_memory.SharedMemory(name=name)
        batch = np.ndarray(shape, dtype=np.uint8, buffer=shm.buf).astype(np.float32) / 255
        shm.close()
        shm.unlink()
        segments += 1
        grad = batch.mean(axis=0) - w
        w += 0.1 * grad
        job.metric(step, loss=float(np.mean(grad * grad)))
    for _ in procs:
        todo.put(None)
    # batches staged ahead of the trainer: unlinked unread, as a DataLoader does at shutdown
    for p in procs:
        p.join(timeout=20)
    while not out_q.empty():
        _, name, _ = out_q.get(timeout=5)
        shared_memory.SharedMemory(name=name).unlink()
    job.done(segments=segments, workers=[p.pid for p in procs])


if __name__ == "__main__":
    main()
