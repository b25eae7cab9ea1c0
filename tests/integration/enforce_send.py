# SPDX-License-Identifier: GPL-2.0
# enforce_send.py - senders for test_enforce.sh: each connects or sends the way one test needs.
import os
import socket
import struct
import sys
import time

mode, host, port, path, ready = sys.argv[1:6]
port = int(port)
fam = socket.AF_INET6 if ":" in host else socket.AF_INET


def connect(reset=True):
    s = socket.socket(fam, socket.SOCK_STREAM)
    # Killed or closed, the connection is reset: nothing queued stays behind to retransmit.
    if reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(b"hello")
    return s


def done(msg):
    # Said by the file's name: what a tainted process writes is tainted, and so would be the
    # test shell that read it.
    open("%s.%s.%d" % (ready, msg, os.getpid()), "w").close()
    time.sleep(30)


def send_some(s, data):
    # A stalled connection takes what its buffer holds, then blocks: bounded, not an error.
    s.settimeout(2)
    try:
        s.sendall(data)
    except (socket.timeout, BlockingIOError):
        pass


if mode in ("preconnect", "preconnect_keep"):
    # preconnect_keep: a plain close, which leaves refused bytes queued behind it
    s = connect(mode == "preconnect")
    data = open(path, "rb").read()
    send_some(s, data)
    done("sent")
elif mode == "sendfile":
    s = connect()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.sendfile(s.fileno(), fd, 0, os.fstat(fd).st_size)
    except OSError:
        pass
    done("sent")
elif mode == "splice":
    s = connect()
    fd = os.open(path, os.O_RDONLY)
    r, w = os.pipe()
    n = os.splice(fd, w, 8192)
    os.splice(r, s.fileno(), n)
    done("sent")
elif mode == "scm":
    # The parent connects, untainted, and hands the socket to a child that read the dataset.
    s = connect()
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        a.close()
        data = open(path, "rb").read()
        msg, fds, _, _ = socket.recv_fds(b, 16, 1)
        t = socket.socket(fileno=fds[0])
        send_some(t, data[:8192])
        done("sent")
        os._exit(0)
    b.close()
    socket.send_fds(a, [b"s"], [s.fileno()])
    s.close()
    os.waitpid(pid, 0)
elif mode == "connect_after_read":
    for p in path.split(","):
        open(p, "rb").read()
    try:
        s = connect()
        done("connected")
    except PermissionError:
        done("EPERM")
elif mode == "udp":
    data = open(path, "rb").read()[:1000]
    u = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        u.sendto(data, (host, port))
        done("sent")
    except PermissionError:
        done("EPERM")
elif mode in ("mptcp_after_read", "udplite_after_read"):
    # A socket kind enforcement does not judge, made after the read: refused at creation.
    data = open(path, "rb").read()
    kind = 262 if mode.startswith("mptcp") else 136
    try:
        s = socket.socket(fam, socket.SOCK_STREAM if kind == 262 else socket.SOCK_DGRAM, kind)
    except PermissionError:
        done("EPERM")
        sys.exit(0)
    s.settimeout(5)
    try:
        s.connect((host, port))
        s.send(data[:1000])
        done("sent")
    except PermissionError:
        done("EPERM")
elif mode == "mptcp_pre":
    # Connected before the read: its first subflow's packets are dropped.
    s = socket.socket(fam, socket.SOCK_STREAM, 262)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(b"hello")
    data = open(path, "rb").read()
    send_some(s, data)
    done("sent")
elif mode in ("udplite_pre", "udplite_conn"):
    # Made before the read; udplite_conn connects it, udplite_pre sends with an address.
    u = socket.socket(fam, socket.SOCK_DGRAM, 136)
    if mode == "udplite_conn":
        u.connect((host, port))
        u.send(b"hello")
    else:
        u.sendto(b"hello", (host, port))
    data = open(path, "rb").read()[:1000]
    try:
        if mode == "udplite_conn":
            u.send(data)
        else:
            u.sendto(data, (host, port))
        done("sent")
    except PermissionError:
        done("EPERM")
elif mode == "raw_udp":
    # SOCK_RAW of protocol 17, made before the read (CAP_NET_RAW of a user+net namespace),
    # once the namespace has a way out (READY-go): a hand-made UDP header, then the bytes.
    r = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_UDP)
    for _ in range(200):
        if os.path.exists(ready + "-go"):
            break
        time.sleep(0.05)
    data = open(path, "rb").read()[:1000]
    msg = "sent"
    try:
        r.sendto(struct.pack("!HHHH", 40000, port, 8 + len(data), 0) + data, (host, 0))
    except PermissionError:
        msg = "EPERM"
    # The same kind, made after the read: refused at creation.
    try:
        socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_UDP)
        msg += "-created"
    except PermissionError:
        msg += "-refused"
    done(msg)
