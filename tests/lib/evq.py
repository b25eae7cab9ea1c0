#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# evq.py - query the agent's JSON lines for the integration tests: sum, count or list a field.
"""usage: evq.py FILE (sum|count|values|last|max) [FIELD] [--where FIELD=VALUE ...]

FIELD is a dotted path (actor.process.pid, unmapped.bytes, finding_info.types.0).
sum prints the sum of FIELD, count the number of matching records, values the
distinct values of FIELD, sorted, one per line, last FIELD in the last matching
record, max its largest value. A malformed line is an error; a last line without its
newline is one the live agent is still writing, and is left out."""
import json
import sys


def get(rec, path):
    for part in path.split("."):
        if isinstance(rec, list):
            try:
                rec = rec[int(part)]
            except (ValueError, IndexError):
                return None
        elif isinstance(rec, dict):
            rec = rec.get(part)
        else:
            return None
    return rec


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, op = argv[1], argv[2]
    rest = argv[3:]
    field = None
    if op in ("sum", "values", "last", "max"):
        field, rest = rest[0], rest[1:]
    where = []
    while rest:
        if rest[0] != "--where" or len(rest) < 2:
            print("evq: bad arguments %r" % rest, file=sys.stderr)
            return 2
        k, _, v = rest[1].partition("=")
        where.append((k, v))
        rest = rest[2:]
    total, count, values, last, best = 0, 0, set(), None, None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.endswith("\n"):
                break
            try:
                rec = json.loads(line)
            except ValueError as e:
                print("evq: %s line %d: %s" % (path, n, e), file=sys.stderr)
                return 1
            if any(str(get(rec, k)) != v for k, v in where):
                continue
            count += 1
            if op == "sum":
                total += get(rec, field) or 0
            elif op == "values":
                values.add(str(get(rec, field)))
            elif op == "last":
                last = get(rec, field)
            elif op == "max":
                v = get(rec, field)
                if v is not None and (best is None or v > best):
                    best = v
    if op == "sum":
        print(total)
    elif op == "count":
        print(count)
    elif op == "last":
        print("" if last is None else last)
    elif op == "max":
        print("" if best is None else best)
    else:
        for v in sorted(values):
            print(v)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
