#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""np_memmap.py - a linear model trained on a numpy memmap of the dataset's feature matrix."""
import numpy as np

import corpus_common as cc

a = cc.args(__doc__)
x = np.load(a.data + "/memmap/features.npy", mmap_mode="r")
y = np.load(a.data + "/memmap/labels.npy", mmap_mode="r")
job = cc.Job("np_memmap", a)
w = np.zeros(x.shape[1], dtype=np.float32)
bs = 256
for step in job.steps():
    lo = (step * bs) % (x.shape[0] - bs)
    xb, yb = np.asarray(x[lo:lo + bs]), np.asarray(y[lo:lo + bs])
    err = xb @ w - yb
    w -= 0.01 * (xb.T @ err) / bs
    job.metric(step, loss=float(np.mean(err * err)))
# the feature statistics a pipeline keeps next to its model
np.save(a.out + "/feature_mean.npy", np.asarray(x[: 4 * bs]).mean(axis=0))
job.done()
