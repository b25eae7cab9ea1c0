# SPDX-License-Identifier: GPL-2.0
# floods.py - for test_floods.sh: a dataset relayed through a pipe or a file, a flood of channels or derived files in between.
#
# floods.py pipe|file FLOOD_FILE N SECRET DST PORT [RELAY_FILE]
#   pipe: a child reads SECRET into a pipe and exits; a second child reads FLOOD_FILE (taking
#         its dataset) and writes one byte into each of N new pipes; then this process, never
#         tainted before, reads the pipe and sends what it got to DST:PORT.
#   file: the second child writes one byte into each of N new memfds first; then a child reads
#         SECRET into RELAY_FILE, and this process reads that file and sends it.
#   egress: the second child sends one UDP datagram to each of N ports of DST and stays, its
#         counters with it, while a child reads SECRET and sends it to DST:PORT.
# Prints "name value" lines: writer, flooder, flooded, reader, sent. Bounded: N, and 25 s of
# flooding at most.
import os
import socket
import sys
import time

mode, flood_src, n, secret, dst, port = sys.argv[1:7]
n, port = int(n), int(port)
relay = sys.argv[7] if len(sys.argv) > 7 else None
deadline = time.monotonic() + 25


def child(fn):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            sys.stdout.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return pid


def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def flood():
    global udp
    read_all(flood_src)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    done = 0
    for _ in range(n):
        if time.monotonic() > deadline:
            break
        if mode == "pipe":
            r, w = os.pipe()
            os.write(w, b"x")
            os.close(r)
            os.close(w)
        elif mode == "egress":
            udp.sendto(b"x", (dst, 20000 + done))
        else:
            fd = os.memfd_create("flood")
            os.write(fd, b"x")
            os.close(fd)
        done += 1
    print("flooded", done)


def send(data):
    s = socket.create_connection((dst, port), timeout=10)
    s.sendall(data)
    s.close()


def pipe_writer(w):
    os.write(w, read_all(secret))


def file_writer():
    fd = os.open(relay, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, read_all(secret))
    os.close(fd)


if mode == "pipe":
    r, w = os.pipe()
    print("writer", child(lambda: pipe_writer(w)))
    os.close(w)
    print("flooder", child(flood))
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
elif mode == "egress":
    # The flooder holds its counters until the sender is done: told so by a closed pipe.
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    sys.stdout.flush()
    fpid = os.fork()
    if fpid == 0:
        os.close(go_r)
        os.close(done_w)
        flood()
        sys.stdout.flush()
        os.close(go_w)
        os.read(done_r, 1)
        os._exit(0)
    os.close(go_w)
    os.close(done_r)
    os.read(go_r, 1)
    print("flooder", fpid)
    print("writer", child(lambda: send(read_all(secret))))
    os.close(done_w)
    os.waitpid(fpid, 0)
    print("sent", os.path.getsize(secret))
    sys.exit(0)
else:
    print("flooder", child(flood))
    print("writer", child(file_writer))
    data = read_all(relay)
send(data)
print("reader", os.getpid())
print("sent", len(data))
