#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hf_datasets.py - Hugging Face datasets: the JSON lines of the dataset into an arrow cache, a map() pass, batches read from the memory-mapped cache."""
import os

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import datasets  # noqa: E402
import numpy as np  # noqa: E402

import corpus_common as cc  # noqa: E402

a = cc.args(__doc__)
datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()
cache = a.out + "/hf-cache"
ds = datasets.load_dataset("json", data_files=a.data + "/text/train.jsonl", split="train",
                           cache_dir=cache)
ds = ds.map(lambda b: {"n_chars": [len(t) for t in b["text"]],
                       "ids": [[ord(c) % 251 for c in t[:32]] for t in b["text"]]},
            batched=True)
ds = ds.with_format("numpy", columns=["ids", "label", "n_chars"])
job = cc.Job("hf_datasets", a)
w = np.zeros(32, dtype=np.float32)
bs = 64
for step in job.steps():
    lo = (step * bs) % (len(ds) - bs)
    b = ds[lo:lo + bs]
    x = np.stack([np.pad(r, (0, 32 - len(r))) for r in b["ids"]]).astype(np.float32) / 251
    err = x @ w - b["label"]
    w -= 0.05 * (x.T @ err) / bs
    job.metric(step, loss=float(np.mean(err * err)))
job.done(cache_files=sorted(f["filename"] for f in ds.cache_files))
