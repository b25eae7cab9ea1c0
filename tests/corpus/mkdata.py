#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mkdata.py - writes the corpus's training dataset (run before the agent starts, by the system python, numpy-free).

usage: mkdata.py DIR

DIR/memmap/features.npy (4096 x 256 float32), labels.npy; DIR/samples/ (512 files of 4 KiB);
DIR/text/train.jsonl (2000 records); DIR/shards/shard-00000{0..3}.tar (webdataset samples).
Deterministic: the same bytes on every run.
"""
import io
import json
import os
import random
import struct
import sys
import tarfile


def npy(shape, data):
    """A version 1.0 .npy file of little-endian float32 (the format numpy.load reads)."""
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (shape,)
    hdr = hdr.ljust(128 - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + data


def main():
    d = sys.argv[1]
    rnd = random.Random(24)
    for sub in ("memmap", "samples", "text", "shards"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    rows, dim = 4096, 256
    vals = [rnd.uniform(-1, 1) for _ in range(rows * dim)]
    with open(os.path.join(d, "memmap/features.npy"), "wb") as f:
        f.write(npy((rows, dim), struct.pack("<%df" % len(vals), *vals)))
    labels = [sum(vals[r * dim:r * dim + 8]) for r in range(rows)]
    with open(os.path.join(d, "memmap/labels.npy"), "wb") as f:
        f.write(npy((rows,), struct.pack("<%df" % rows, *labels)))
    for i in range(512):
        with open(os.path.join(d, "samples/%05d.bin" % i), "wb") as f:
            f.write(rnd.randbytes(4096))
    words = ["grad", "tensor", "epoch", "batch", "shard", "token", "model", "loss", "node"]
    with open(os.path.join(d, "text/train.jsonl"), "w") as f:
        for i in range(2000):
            text = " ".join(rnd.choice(words) for _ in range(rnd.randint(4, 24)))
            f.write(json.dumps({"text": text, "label": float(len(text) % 7)}) + "\n")
    n = 0
    for s in range(4):
        with tarfile.open(os.path.join(d, "shards/shard-%06d.tar" % s), "w",
                          format=tarfile.USTAR_FORMAT) as t:
            for _ in range(64):
                v = [rnd.uniform(-1, 1) for _ in range(64)]
                for ext, data in (("npy", npy((64,), struct.pack("<64f", *v))),
                                  ("cls", str(n % 10).encode())):
                    ti = tarfile.TarInfo("%06d.%s" % (n, ext))
                    ti.size, ti.mtime = len(data), 0
                    t.addfile(ti, io.BytesIO(data))
                n += 1


if __name__ == "__main__":
    main()
