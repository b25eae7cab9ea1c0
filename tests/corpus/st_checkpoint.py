#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""st_checkpoint.py - a model trained on the dataset, checkpointed with safetensors every few steps and resumed from the last one."""
import numpy as np
from safetensors.numpy import load_file, save_file

import corpus_common as cc

a = cc.args(__doc__, lambda p: p.add_argument("--every", type=int, default=10))
rows = np.load(a.data + "/memmap/features.npy", mmap_mode="r")
dim = rows.shape[1]
job = cc.Job("st_checkpoint", a)
model = {"w1": np.zeros((dim, 64), dtype=np.float32), "b1": np.zeros(64, dtype=np.float32)}
ckpts = []
bs = 128
for step in job.steps():
    lo = (step * bs) % (len(rows) - bs)
    xb = np.asarray(rows[lo:lo + bs])
    h = xb @ model["w1"] + model["b1"]
    model["w1"] -= 1e-3 * (xb.T @ (h - xb[:, :64])) / bs
    model["b1"] -= 1e-3 * (h - xb[:, :64]).mean(axis=0)
    if step % a.every == a.every - 1:
        path = "%s/ckpt-%05d.safetensors" % (a.out, step + 1)
        save_file(model, path, metadata={"step": str(step + 1)})
        ckpts.append(path)
        saved = {k: v.copy() for k, v in model.items()}
    job.metric(step, loss=float(np.mean((h - xb[:, :64]) ** 2)))
if ckpts:
    # resume: the last checkpoint holds the weights as they were saved
    resumed = load_file(ckpts[-1])
    assert all(np.array_equal(resumed[k], saved[k]) for k in saved), "checkpoint differs"
job.done(checkpoints=ckpts)
