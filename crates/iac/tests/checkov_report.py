#!/usr/bin/env python3
"""Builds the tables of docs/checkov.md from a Checkov JSON run and a Rampart JSON report on the same corpus.

  checkov -d crates/iac/tests/corpus --skip-download -o json --quiet \
      --framework terraform cloudformation dockerfile > /tmp/checkov.json
  iac_scan crates/iac/tests/corpus > /tmp/rampart.json
  python3 crates/iac/tests/checkov_report.py /tmp/checkov.json /tmp/rampart.json crates/iac/src/checkov.rs

  checkov -d crates/iac/tests/corpus --skip-download -o json --quiet --framework kubernetes > /tmp/ck8s.json
  rampart iac crates/iac/tests/corpus -f json -q > /tmp/rk8s.json
  python3 crates/iac/tests/checkov_report.py /tmp/ck8s.json /tmp/rk8s.json crates/iac/src/checkov.rs

Prints Markdown: per Checkov check, the covering Rampart check and coverage; then Rampart findings no mapped
Checkov finding reports on the same resource. Matching is the one of checkov_side_by_side.rs: same file,
same resource (Kubernetes: `Kind.ns.name` is `Kind/ns/name`; a Role by the `rbac:*` grants of it, a binding
by the `rbac:*` findings on it, the `default` ServiceAccount by `k8s:default-service-account` on workloads
of its namespace).
"""
import collections, json, re, sys

checkov = json.load(open(sys.argv[1]))
if isinstance(checkov, dict):
    checkov = [checkov]
rampart = json.load(open(sys.argv[2]))
mapping_src = open(sys.argv[3]).read()
mapping = {m[0]: re.findall(r'"([A-Za-z0-9:_-]+)"', m[1])
           for m in re.findall(r'\(\s*"([A-Z0-9_]+)",\s*&\[([^\]]*)\],?\s*\)', mapping_src.split("NOT_COVERED")[0])}
def section(name):
    return mapping_src.split(f"pub const {name}")[1].split("];")[0]
# Whole-check exceptions (id -> reason) and single-finding ones ((id, resource) -> reason).
documented = {}
for name in ("NOT_COVERED", "DISAGREEMENTS"):
    documented.update(dict(re.findall(r'\(\s*"([A-Z0-9_]+)",\s*"([^"]+)"\s*,?\s*\)', section(name))))
per_finding = {}
for name in ("FINDING_DISAGREEMENTS", "GAPS"):
    for cid, res, why in re.findall(r'\(\s*"([A-Z0-9_]+)",\s*"([^"]+)",\s*"([^"]+)"\s*,?\s*\)', section(name)):
        if res == "*":
            documented[cid] = why
        else:
            per_finding[(cid, res)] = why

def norm(fw, resource):
    if fw == "cloudformation":
        return resource.rsplit(".", 1)[-1]
    if resource.startswith("aws_iam_policy_document."):
        return "data." + resource
    return resource

# Rampart findings by (rule, file, subject) and by resource (file, subject).
ours = collections.defaultdict(set)
ours_lines = []
details = collections.defaultdict(list)
for f in rampart["findings"]:
    loc = next((e["location"] for e in f["evidence"] if e.get("location")), None)
    if loc is None:
        continue
    ours[(loc["path"], f["subject"])].add(f["rule_id"])
    ours_lines.append((f["rule_id"], loc["path"], loc.get("line", 0), loc.get("end_line") or loc.get("line", 0), f["subject"]))
    details[(f["rule_id"], loc["path"], f["subject"])] = [e.get("detail", "") for e in f["evidence"]]
refs = {}
for r in rampart["resources"]:
    file = r["source"]["file"] if "source" in r else r.get("file")
    refs[(file, r["address"])] = list(r.get("references", {}).values())

def k8s_claims(file, resource, rules):
    """(rule, path, subject) of the Rampart findings covering Checkov's `Kind.ns.name` finding."""
    kind, ns, name = resource.split(".", 2)
    direct = {f"{kind}/{ns}/{name}", f"{kind}/{name}"}
    role = {"ClusterRole": f"→ ClusterRole {name}", "Role": f"→ Role {ns}/{name}"}.get(kind)
    binding = {"ClusterRoleBinding": f" via ClusterRoleBinding {name}",
               "RoleBinding": f" via RoleBinding {ns}/{name}"}.get(kind)
    out = []
    for (rule, path, a, b, subj) in ours_lines:
        if rule not in rules:
            continue
        if kind == "ServiceAccount" and name == "default" and rule == "k8s:default-service-account":
            p = subj.split("/")
            if len(p) == 3 and p[1] == ns:
                out.append((rule, path, subj))
            continue
        if path != file:
            continue
        if subj in direct or (role and any(d.endswith(role) for d in details[(rule, path, subj)])) \
                or (binding and subj.endswith(binding)):
            out.append((rule, path, subj))
    return out

rows = collections.OrderedDict()
claimed = set()  # (rule, file, subject) explained by a Checkov finding
for rep in checkov:
    fw = rep["check_type"]
    for c in rep["results"]["failed_checks"]:
        cid, file = c["check_id"], c["file_path"].lstrip("/")
        if file.startswith("crates/iac/tests/corpus/"):
            file = file[len("crates/iac/tests/corpus/"):]
        row = rows.setdefault(cid, {"name": c["check_name"], "fw": set(), "n": 0, "covered": 0, "notes": []})
        if (cid, c["resource"]) in per_finding:
            row["notes"].append(f'{c["resource"]}: {per_finding[(cid, c["resource"])]}')
        row["fw"].add(fw)
        row["n"] += 1
        rules = mapping.get(cid, [])
        hit = False
        if fw == "kubernetes":
            got = k8s_claims(file, c["resource"], rules)
            hit = bool(got)
            claimed.update(got)
        elif fw == "dockerfile":
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
    if row["notes"]:
        note += " (not covered: " + "; ".join(row["notes"]) + ")"
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
