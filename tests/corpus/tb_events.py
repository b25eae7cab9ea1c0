#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tb_events.py - a training loop logging scalars and histograms of the dataset's features to TensorBoard event files (tensorboardX)."""
import numpy as np
from tensorboardX import SummaryWriter

import corpus_common as cc

a = cc.args(__doc__)
x = np.load(a.data + "/memmap/features.npy", mmap_mode="r")
job = cc.Job("tb_events", a)
tb = SummaryWriter(logdir=a.out + "/tb", flush_secs=1)
w = np.zeros(x.shape[1], dtype=np.float32)
bs = 256
for step in job.steps():
    lo = (step * bs) % (x.shape[0] - bs)
    xb = np.asarray(x[lo:lo + bs])
    grad = xb.mean(axis=0) - w
    w += 0.1 * grad
    loss = float(np.mean(grad * grad))
    tb.add_scalar("train/loss", loss, step)
    if step % 10 == 0:
        tb.add_histogram("train/w", w, step)
    job.metric(step, loss=loss)
tb.close()
job.done()
