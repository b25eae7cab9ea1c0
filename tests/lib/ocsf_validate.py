#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# ocsf_validate.py - checks JSON lines against the vendored OCSF schema (tests/ocsf/VERSION/schema.json).
"""usage: ocsf_validate.py [--schema DIR] [--min N] FILE...

Every line of every FILE must be one OCSF event of a class in the schema, valid against it:
metadata.version equal to the schema's, required attributes present (profile attributes only when
the profile is declared in metadata.profiles), no attribute the class or object does not define
(anything goes under `unmapped`), no attribute of an undeclared profile, no deprecated attribute,
values of the attribute's type (JSON type, regex, range, max_len), enum values defined and a
`*_name` sibling equal to the enum caption (any text for 99 Other), type_uid = class_uid * 100 +
activity_id, object "at least one of" constraints. Prints each error as FILE:LINE: PATH: what,
then "ocsf: N lines, M errors"; exits 1 on any error or when fewer than N lines were read."""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "ocsf", "1.8.0")


class Validator:
    def __init__(self, schema_dir):
        with open(os.path.join(schema_dir, "schema.json")) as f:
            self.s = json.load(f)
        self.by_uid = {c["uid"]: (n, c) for n, c in self.s["classes"].items()}

    def base_type(self, t):
        """The chain of types from @t to its primitive, e.g. port_t, integer_t."""
        chain = [t]
        while self.s["types"].get(chain[-1], {}).get("type"):
            chain.append(self.s["types"][chain[-1]]["type"])
        return chain

    def check_scalar(self, path, tname, v, errs):
        chain = self.base_type(tname)
        prim = chain[-1]
        ok = {
            "boolean_t": lambda x: isinstance(x, bool),
            "integer_t": lambda x: isinstance(x, int) and not isinstance(x, bool)
            and -2**31 <= x < 2**31,
            "long_t": lambda x: isinstance(x, int) and not isinstance(x, bool)
            and -2**63 <= x < 2**64,
            "float_t": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
            "string_t": lambda x: isinstance(x, str),
            "json_t": lambda x: True,
        }.get(prim)
        if ok is None:
            errs.append("%s: unknown type '%s'" % (path, tname))
            return
        if not ok(v):
            errs.append("%s: %r is not %s" % (path, v, tname))
            return
        for t in chain:
            d = self.s["types"].get(t, {})
            if d.get("regex") and not re.search(d["regex"], v):
                errs.append("%s: %r does not match %s" % (path, v, t))
            if d.get("max_len") and len(v) > d["max_len"]:
                errs.append("%s: %r longer than %d (%s)" % (path, v, d["max_len"], t))
            if d.get("range") and not d["range"][0] <= v <= d["range"][1]:
                errs.append("%s: %r out of range %s (%s)" % (path, v, d["range"], t))

    def check_obj(self, path, attrs, constraints, obj, profiles, errs):
        if not isinstance(obj, dict):
            errs.append("%s: not an object" % path)
            return
        for name, a in attrs.items():
            p = a.get("profile")
            if a.get("requirement") == "required" and name not in obj and \
                    (p is None or p in profiles):
                errs.append("%s.%s: required attribute missing" % (path, name))
        group = constraints.get("at_least_one")
        if group and not any(k in obj for k in group):
            errs.append("%s: needs at least one of %s" % (path or "event", ", ".join(group)))
        group = constraints.get("just_one")
        if group and sum(k in obj for k in group) != 1:
            errs.append("%s: needs exactly one of %s" % (path or "event", ", ".join(group)))
        for name, v in obj.items():
            sub = "%s.%s" % (path, name) if path else name
            a = attrs.get(name)
            if a is None:
                errs.append("%s: attribute not in the schema" % sub)
                continue
            if a.get("profile") and a["profile"] not in profiles:
                errs.append("%s: attribute of profile '%s', which metadata.profiles does not "
                            "declare" % (sub, a["profile"]))
            if a.get("@deprecated"):
                errs.append("%s: deprecated attribute" % sub)
            if name == "unmapped":
                if not isinstance(v, dict):
                    errs.append("%s: not an object" % sub)
                continue
            if a.get("is_array"):
                if not isinstance(v, list):
                    errs.append("%s: not an array" % sub)
                    continue
                for i, item in enumerate(v):
                    self.check_value("%s[%d]" % (sub, i), a, item, profiles, errs)
            else:
                self.check_value(sub, a, v, profiles, errs)
            if a.get("enum") is not None and not isinstance(v, list):
                key = str(v)
                if key not in a["enum"]:
                    errs.append("%s: %r is not one of its enum values" % (sub, v))
                elif a.get("sibling") and a["sibling"] in obj and key != "99" and \
                        obj[a["sibling"]] != a["enum"][key]:
                    errs.append("%s.%s: %r is not %r, the caption of %s %s" %
                                (path, a["sibling"], obj[a["sibling"]], a["enum"][key],
                                 name, key))
                elif a.get("sibling") and key == "99" and a["sibling"] not in obj:
                    errs.append("%s: 99 (Other) without %s" % (sub, a["sibling"]))

    def check_value(self, path, a, v, profiles, errs):
        t = a["type"]
        if t in self.s["objects"]:
            o = self.s["objects"][t]
            self.check_obj(path, o["attributes"], o["constraints"], v, profiles, errs)
        elif t == "object":
            if not isinstance(v, dict):
                errs.append("%s: not an object" % path)
        else:
            self.check_scalar(path, t, v, errs)

    def check_event(self, ev):
        errs = []
        if not isinstance(ev, dict):
            return ["not a JSON object"]
        cls = self.by_uid.get(ev.get("class_uid"))
        if cls is None:
            return ["class_uid %r: not a class of the schema" % ev.get("class_uid")]
        name, c = cls
        md = ev.get("metadata") if isinstance(ev.get("metadata"), dict) else {}
        if md.get("version") != self.s["version"]:
            errs.append("metadata.version: %r is not %r" % (md.get("version"), self.s["version"]))
        profiles = md.get("profiles", [])
        if not isinstance(profiles, list):
            profiles = []
        # A class lists the profiles that add to its own attributes; others (data_classification)
        # add to objects only: a declared profile must be one of the schema's.
        for p in profiles:
            if p not in self.s["profiles"]:
                errs.append("metadata.profiles: '%s' is not a profile of OCSF %s" %
                            (p, self.s["version"]))
        self.check_obj("", c["attributes"], c["constraints"], ev, profiles, errs)
        act = ev.get("activity_id")
        if isinstance(act, int) and ev.get("type_uid") != c["uid"] * 100 + act:
            errs.append("type_uid: %r is not class_uid * 100 + activity_id (%d)" %
                        (ev.get("type_uid"), c["uid"] * 100 + act))
        return errs


def main(argv):
    schema = DEFAULT_SCHEMA
    min_lines = 0
    files = []
    it = iter(argv[1:])
    for a in it:
        if a == "--schema":
            schema = next(it)
        elif a == "--min":
            min_lines = int(next(it))
        else:
            files.append(a)
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    v = Validator(schema)
    n = bad = 0
    for fn in files:
        with open(fn) as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                n += 1
                try:
                    ev = json.loads(line)
                except ValueError as e:
                    errs = ["not JSON: %s" % e]
                else:
                    errs = v.check_event(ev)
                for e in errs:
                    print("%s:%d: %s" % (fn, i, e))
                bad += len(errs)
    print("ocsf: %d lines, %d errors" % (n, bad))
    if n < min_lines:
        print("ocsf: fewer than %d lines" % min_lines)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
