#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# slow_http.py - N clients that each send one header line every INTERVAL s and never end the request.
"""slow_http.py PORT N INTERVAL LIMIT READY_FILE

Opens N connections to 127.0.0.1:PORT, sends a request line on each, writes READY_FILE, then
sends one more header line on each every INTERVAL seconds, never the blank line that ends the
request. Stops after LIMIT seconds or when the server has closed every connection, and prints
"CLOSED LATEST": how many the server closed, and the latest close in seconds since the start
(-1 when none). Bounded in count (N) and time (LIMIT)."""
import select
import socket
import sys
import time


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    interval, limit, ready = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    t0 = time.monotonic()
    socks, closed = [], {}
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    open(ready, "w").write("%d\n" % n)
    next_send = t0 + interval
    while len(closed) < n and time.monotonic() - t0 < limit:
        now = time.monotonic()
        if now >= next_send:
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                try:
                    s.sendall(b"X-Slow: %d\r\n" % i)
                except OSError:
                    closed[i] = now - t0
            next_send += interval
        live = [s for i, s in enumerate(socks) if i not in closed]
        r, _, _ = select.select(live, [], [], 0.2)
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed[socks.index(s)] = time.monotonic() - t0
    print(len(closed), "%.1f" % max(closed.values()) if closed else -1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
