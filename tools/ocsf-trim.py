#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# ocsf-trim.py - vendors the part of an OCSF schema release that datatrail's conformance test needs.
#
# Usage: tools/ocsf-trim.py SCHEMA_DIR OUT_DIR
#   SCHEMA_DIR: a release with compiled.json (python -m ocsf.compile) and its objects/*.json source.
#   OUT_DIR:    gets schema.json (the classes datatrail emits, every object they reach, the types and
#               profiles), LICENSE and NOTICE.
# Object "constraints" come from objects/*.json (following "extends"): the compiler merges them wrongly.
import json
import os
import shutil
import sys

CLASSES = ["file_activity", "memory_activity", "detection_finding"]
# What the validator reads of an attribute; descriptions are dropped to keep the copy small.
ATTR_KEYS = ["type", "is_array", "requirement", "profile", "sibling", "@deprecated"]


def source_constraints(src_dir):
    by_name = {}
    for fn in os.listdir(os.path.join(src_dir, "objects")):
        if not fn.endswith(".json"):
            continue
        with open(os.path.join(src_dir, "objects", fn)) as f:
            o = json.load(f)
        by_name[o.get("name", fn[:-5])] = o

    def resolve(name, seen=()):
        o = by_name.get(name)
        if o is None or name in seen:
            return {}
        if "constraints" in o:
            return o["constraints"]
        return resolve(o.get("extends"), seen + (name,))

    return resolve


def trim_attrs(attrs):
    out = {}
    for name, a in attrs.items():
        t = {k: a[k] for k in ATTR_KEYS if a.get(k) not in (None, False)}
        if a.get("enum"):
            t["enum"] = {k: v["caption"] for k, v in a["enum"].items()}
        out[name] = t
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: ocsf-trim.py SCHEMA_DIR OUT_DIR\n")
        return 2
    src, dst = sys.argv[1:]
    with open(os.path.join(src, "compiled.json")) as f:
        c = json.load(f)
    constraints = source_constraints(src)
    out = {"version": c["version"], "classes": {}, "objects": {}, "types": {}, "profiles": {}}
    todo = []
    for name in CLASSES:
        cl = c["classes"][name]
        out["classes"][name] = {"uid": cl["uid"], "profiles": cl.get("profiles") or [],
                                "constraints": cl.get("constraints") or {},
                                "attributes": trim_attrs(cl["attributes"])}
        todo += [a["type"] for a in cl["attributes"].values()]
    while todo:
        name = todo.pop()
        if name in out["objects"] or name not in c["objects"]:
            continue
        ob = c["objects"][name]
        out["objects"][name] = {"constraints": constraints(name),
                                "attributes": trim_attrs(ob["attributes"])}
        todo += [a["type"] for a in ob["attributes"].values()]
    for name, t in c["types"].items():
        out["types"][name] = {k: t[k] for k in ("type", "regex", "range", "max_len", "values")
                              if t.get(k) is not None}
    for name, p in c["profiles"].items():
        out["profiles"][name] = sorted(p.get("attributes", {}))
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(dst, "schema.json"), "w") as f:
        json.dump(out, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    for fn in ("LICENSE", "NOTICE"):
        shutil.copyfile(os.path.join(src, fn), os.path.join(dst, fn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
