#!/usr/bin/env python3
"""Builds data/codes/industry.json (GB/T 4754-2017) from the two transcribed sources in
data/codes/sources/ and the section and division names already in industry.json.

Each source file has one `code name` per line: 3-digit 中类 that the source lists
explicitly, and every 4-digit 小类 (source B also lists no division rows). The script
refuses to write unless the two sources agree on every 小类 code and name and on every
explicit 中类; a 中类 that neither lists (it has a single 小类 whose code ends in 0) is
named after that 小类, as the standard does. See data/codes/PROVENANCE.md.

Run from the repository root: python3 data/codes/build_industry.py
"""
import json
import sys
from collections import Counter

def load(path):
    rows = {}
    for line in open(path, encoding="utf-8").read().splitlines():
        code, name = line.split(" ", 1)
        if code in rows:
            sys.exit(f"{path}: {code} twice")
        rows[code] = name.strip()
    return rows

a = load("data/codes/sources/gbt4754-2017-source-a.txt")
b = load("data/codes/sources/gbt4754-2017-source-b.txt")
small_a = {c: n for c, n in a.items() if len(c) == 4}
small_b = {c: n for c, n in b.items() if len(c) == 4}
mid_a = {c: n for c, n in a.items() if len(c) == 3}
mid_b = {c: n for c, n in b.items() if len(c) == 3}
if small_a != small_b:
    sys.exit(f"sources disagree on 小类: {sorted(set(small_a.items()) ^ set(small_b.items()))}")
if mid_a != mid_b:
    sys.exit(f"sources disagree on 中类: {sorted(set(mid_a.items()) ^ set(mid_b.items()))}")

table = json.load(open("data/codes/industry.json", encoding="utf-8"))
divisions = {n["code"]: n["name"] for n in table["nodes"] if len(n["code"]) == 2}
if len(divisions) != 97:
    sys.exit(f"expected the 97 divisions in industry.json, found {len(divisions)}")

mid = dict(mid_a)
for code, name in small_a.items():
    if code[:3] not in mid:
        only = [c for c in small_a if c[:3] == code[:3]]
        if only != [code] or not code.endswith("0"):
            sys.exit(f"中类 {code[:3]} is implicit but has 小类 {only}")
        mid[code[:3]] = name
for code in list(mid) + list(small_a):
    if code[:2] not in divisions:
        sys.exit(f"{code}: unknown division {code[:2]}")

nodes = [{"code": c, "name": divisions[c]} for c in sorted(divisions)]
nodes += [{"code": c, "name": mid[c]} for c in sorted(mid)]
nodes += [{"code": c, "name": small_a[c]} for c in sorted(small_a)]
table["nodes"] = nodes
table["counts"] = {"divisions": len(divisions), "groups": len(mid), "classes": len(small_a)}
with open("data/codes/industry.json", "w", encoding="utf-8") as f:
    f.write("{\n")
    f.write(f'  "system": {json.dumps(table["system"])},\n')
    f.write(f'  "standard": {json.dumps(table["standard"], ensure_ascii=False)},\n')
    f.write(f'  "counts": {json.dumps(table["counts"])},\n')
    f.write('  "sections": [\n')
    f.write(",\n".join("    " + json.dumps(s, ensure_ascii=False) for s in table["sections"]))
    f.write("\n  ],\n")
    f.write('  "nodes": [\n')
    f.write(",\n".join("    " + json.dumps(n, ensure_ascii=False) for n in nodes))
    f.write("\n  ]\n}\n")
print(f"{len(divisions)} 大类, {len(mid)} 中类, {len(small_a)} 小类; per 大类:",
      dict(sorted(Counter(c[:2] for c in small_a).items())))
