#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# siem_template.py - checks the index template in docs/siem.md against the lines the encoders write.
"""usage: siem_template.py DOC LINES...

DOC holds the template as the ```json block after the line <!-- index-template -->. It must be
valid JSON, a composable template (index_patterns, template.mappings), and map as a date with
format epoch_millis every time attribute ("time", "*_time") of every line of LINES: by an explicit
property or a dynamic template matching the name. Prints what fails; exits 1 on any failure."""
import fnmatch
import json
import sys

MARK = "<!-- index-template -->"


def template_of(doc):
    text = open(doc).read()
    i = text.find(MARK)
    if i < 0:
        raise ValueError("no %s in %s" % (MARK, doc))
    start = text.index("```json\n", i) + len("```json\n")
    return json.loads(text[start:text.index("```", start)])


def time_paths(ev, prefix=""):
    if isinstance(ev, list):
        for item in ev:
            yield from time_paths(item, prefix)
    elif isinstance(ev, dict):
        for k, v in ev.items():
            path = prefix + k
            if k == "unmapped":
                continue
            if (k == "time" or k.endswith("_time")) and isinstance(v, int):
                yield path
            yield from time_paths(v, path + ".")


def mapping_of(mappings, path):
    """The explicit mapping of @path, or the dynamic template's for its name."""
    props = mappings.get("properties", {})
    m = None
    for part in path.split("."):
        m = props.get(part)
        if m is None:
            break
        props = m.get("properties", {})
    if m is not None and "type" in m:
        return m
    leaf = path.rsplit(".", 1)[-1]
    for dt in mappings.get("dynamic_templates", []):
        (rule,) = dt.values()
        if "match" in rule and fnmatch.fnmatchcase(leaf, rule["match"]):
            return rule["mapping"]
    return None


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    bad = 0
    try:
        t = template_of(argv[1])
        mappings = t["template"]["mappings"]
        assert t["index_patterns"], "index_patterns"
    except (ValueError, KeyError, AssertionError) as e:
        print("template: %s" % e)
        return 1
    seen = set()
    for fn in argv[2:]:
        for line in open(fn):
            if line.strip():
                seen.update(time_paths(json.loads(line)))
    for path in sorted(seen):
        m = mapping_of(mappings, path)
        if not m or m.get("type") != "date" or m.get("format") != "epoch_millis":
            print("template: '%s' is not mapped as an epoch_millis date (%s)" % (path, m))
            bad += 1
    print("template: %d time attributes, %d not dates" % (len(seen), bad))
    return 1 if bad or not seen else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
