#!/usr/bin/env python3
"""Builds the tables of docs/checkov.md from a Checkov JSON run and a Rampart JSON report on the same corpus.

  checkov -d crates/iac/tests/corpus --skip-download -o json --quiet \
      --framework terraform cloudformation dockerfile > /tmp/checkov.json
  iac_scan crates/iac/tests/corpus > /tmp/rampart.json
  python3 crates/iac/tests/checkov_report.py /tmp/checkov.json /tmp/rampart.json crates/iac/src/checkov.rs

Prints Markdown: per Checkov check, the covering Rampart check and coverage; then Rampart findings no mapped
Checkov finding reports on the same resource.
"""
import collections, json, re, sys

checkov = json.load(open(sys.argv[1]))
if isinstance(checkov, dict):
    checkov = [checkov]
rampart = json.load(open(sys.argv[2]))
mapping_src = open(sys.argv[3]).read()
mapping = {m[0]: re.findall(r'"([A-Z0-9-]+)"', m[1]) for m in re.findall(r'\("([A-Z0-9_]+)", &\[([^\]]*)\]\)', mapping_src)}
documented = dict(re.findall(r'\(\s*"([A-Z0-9_]+)",\s*"([^"]+)"', mapping_src.split("NOT_COVERED")[1]))

def norm(fw, resource):
    if fw == "cloudformation":
        return resource.rsplit(".", 1)[-1]
    if resource.startswith("aws_iam_policy_document."):
        return "data." + resource
    return resource

# Rampart findings by (rule, file, subject) and by resource (file, subject).
ours = collections.defaultdict(set)
ours_lines = []
for f in rampart["findings"]:
    loc = f["evidence"][0]["location"]
    ours[(loc["path"], f["subject"])].add(f["rule_id"])
    ours_lines.append((f["rule_id"], loc["path"], loc.get("line", 0), loc.get("end_line") or loc.get("line", 0), f["subject"]))
refs = {}
for r in rampart["resources"]:
    refs[(r["source"]["file"], r["address"])] = list(r.get("references", {}).values())

rows = collections.OrderedDict()
claimed = set()  # (rule, file, subject) explained by a Checkov finding
for rep in checkov:
    fw = rep["check_type"]
    for c in rep["results"]["failed_checks"]:
        cid, file = c["check_id"], c["file_path"].lstrip("/")
        row = rows.setdefault(cid, {"name": c["check_name"], "fw": set(), "n": 0, "covered": 0})
        row["fw"].add(fw)
        row["n"] += 1
        rules = mapping.get(cid, [])
        hit = False
        if fw == "dockerfile":
            s, e = c["file_line_range"]
            for (rule, path, a, b, subj) in ours_lines:
                if rule in rules and path == file and a <= e and b >= s:
                    hit = True
                    claimed.add((rule, path, subj))
        else:
            addr = norm(fw, c["resource"])
            subjects = {addr, addr + "/PublicAccessBlock"}
            for tok in refs.get((file, addr), []):
                subjects.add(re.sub(r"\.(id|arn|bucket|name)$", "", tok))
            for (path, subj), got in ours.items():
                if subj in subjects and got & set(rules):
                    hit = True
                    for rule in got & set(rules):
                        claimed.add((rule, path, subj))
        if hit:
            row["covered"] += 1

print("| Checkov check | Framework | Findings | Rampart check | Covered |")
print("|---|---|---:|---|---:|")
total = covered = 0
for cid, row in sorted(rows.items()):
    total += row["n"]
    covered += row["covered"]
    ours_ids = ", ".join(mapping.get(cid, [])) or "—"
    note = f" ({documented[cid]})" if cid in documented else ""
    print(f"| `{cid}` {row['name']} | {', '.join(sorted(row['fw']))} | {row['n']} | {ours_ids}{note} | {row['covered']} |")
print(f"\n**{covered} of {total} Checkov findings covered.**\n")

missed = collections.defaultdict(list)
for (rule, path, a, b, subj) in ours_lines:
    if (rule, path, subj) not in claimed:
        missed[rule].append(f"{path}: {subj}")
titles = {f["rule_id"]: f["title"] for f in rampart["findings"]}
print("| Rampart check | Title | Findings Checkov did not report | Example |")
print("|---|---|---:|---|")
for rule in sorted(missed):
    print(f"| {rule} | {titles[rule]} | {len(missed[rule])} | `{missed[rule][0]}` |")
