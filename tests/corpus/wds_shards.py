#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""wds_shards.py - webdataset: samples streamed from the dataset's tar shards, decoded, batched, and resharded for a later stage."""
import glob
import io

import numpy as np
import webdataset as wds

import corpus_common as cc

a = cc.args(__doc__)
urls = sorted(glob.glob(a.data + "/shards/shard-*.tar"))
pipe = wds.WebDataset(urls, shardshuffle=False, empty_check=False).decode().to_tuple("npy", "cls")
job = cc.Job("wds_shards", a)
it = iter(pipe.batched(8))
w = None
sink = wds.ShardWriter(a.out + "/resharded-%04d.tar", maxcount=64, verbose=0)
n = 0
for step in job.steps():
    try:
        x, y = next(it)
    except StopIteration:
        it = iter(pipe.batched(8))
        x, y = next(it)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    w = np.zeros(x.shape[1], dtype=np.float32) if w is None else w
    err = x @ w - y
    w -= 0.01 * (x.T @ err) / len(y)
    for i in range(len(y)):
        buf = io.BytesIO()
        np.save(buf, x[i].astype(np.float16))
        sink.write({"__key__": "%06d" % n, "npy": buf.getvalue(), "cls": str(int(y[i]))})
        n += 1
    job.metric(step, loss=float(np.mean(err * err)))
sink.close()
job.done(written=n)
