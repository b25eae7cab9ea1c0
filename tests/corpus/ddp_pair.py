#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ddp_pair.py - one rank of a two-node data-parallel job: gradients of its half of the dataset exchanged with the peer over TCP each step."""
import socket
import struct

import numpy as np

import corpus_common as cc


def extra(p):
    p.add_argument("--rank", type=int, choices=(0, 1), required=True)
    p.add_argument("--listen", help="rank 0: ADDR:PORT to accept rank 1 on")
    p.add_argument("--peer", help="rank 1: ADDR:PORT of rank 0")


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            raise EOFError("peer closed")
        buf += b
    return bytes(buf)


a = cc.args(__doc__, extra)
x = np.load(a.data + "/memmap/features.npy", mmap_mode="r")
half = x.shape[0] // 2
x = x[a.rank * half:(a.rank + 1) * half]
if a.rank == 0:
    host, port = a.listen.rsplit(":", 1)
    ls = socket.create_server((host, int(port)))
    ls.settimeout(20)
    peer, _ = ls.accept()
    ls.close()
else:
    host, port = a.peer.rsplit(":", 1)
    peer = socket.create_connection((host, int(port)), timeout=20)
peer.settimeout(20)
job = cc.Job("ddp_pair", a)
w = np.zeros((x.shape[1], 64), dtype=np.float32)
bs = 128
sent = 0
for step in job.steps():
    lo = (step * bs) % (x.shape[0] - bs)
    xb = np.asarray(x[lo:lo + bs])
    grad = (xb.T @ (xb @ w - xb[:, :64])) / bs
    out = grad.astype(np.float32).tobytes()
    # a ring of two: rank 1 sends first, rank 0 receives first, so neither blocks the other
    try:
        if a.rank == 1:
            peer.sendall(struct.pack("!I", len(out)) + out)
        n = struct.unpack("!I", recv_exact(peer, 4))[0]
        other = np.frombuffer(recv_exact(peer, n), dtype=np.float32).reshape(grad.shape)
        if a.rank == 0:
            peer.sendall(struct.pack("!I", len(out)) + out)
    except (EOFError, ConnectionError):
        break  # the peer reached its --seconds bound first
    sent += 4 + len(out)
    w -= 1e-3 * (grad + other) / 2
    job.metric(step, loss=float(np.mean(grad * grad)))
peer.close()
job.done(rank=a.rank, sent=sent)
