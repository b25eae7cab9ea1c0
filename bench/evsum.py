#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""evsum.py - checks on the agent's File System Activity lines (bench/run.sh).

  evsum.py bytes EVENTS PID PATH   sum of unmapped.bytes of PID's events on PATH
  evsum.py files EVENTS PREFIX     number of distinct files under PREFIX with an event
"""
import json
import sys


def lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    yield json.loads(line)
    except FileNotFoundError:
        return


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "bytes":
        pid, path = int(sys.argv[3]), sys.argv[4]
        total = 0
        for e in lines(sys.argv[2]):
            if (e.get("actor", {}).get("process", {}).get("pid") == pid
                    and e.get("file", {}).get("path") == path):
                total += e.get("unmapped", {}).get("bytes", 0)
        print(total)
    elif len(sys.argv) == 4 and sys.argv[1] == "files":
        prefix = sys.argv[3]
        seen = set()
        for e in lines(sys.argv[2]):
            p = e.get("file", {}).get("path", "")
            if p.startswith(prefix):
                seen.add(p)
        print(len(seen))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
