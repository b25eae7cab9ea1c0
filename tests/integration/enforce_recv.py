# SPDX-License-Identifier: GPL-2.0
# enforce_recv.py - a test host's receiver for the socket kinds nc does not speak (MPTCP, UDP-Lite).
import socket
import sys

kind, host, port, out = sys.argv[1:5]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
proto = {"mptcp": 262, "udplite": 136}[kind]
stype = socket.SOCK_STREAM if kind == "mptcp" else socket.SOCK_DGRAM
s = socket.socket(fam, stype, proto)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, int(port)))
f = open(out, "wb", buffering=0)
# Bound: the caller's timeout ends it; every byte is written as it arrives.
if kind == "mptcp":
    s.listen(1)
    open(out + ".ready", "w").close()
    c, _ = s.accept()
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
else:
    open(out + ".ready", "w").close()
    while True:
        f.write(s.recv(65536))
