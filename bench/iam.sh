#!/usr/bin/env bash
# Rampart IAM analysis vs Cloudsplaining on the same authorization-details JSON.
#
#   bench/iam.sh [AUTH_DETAILS_JSON]
#
# Default input: crates/iam/tests/data/seeded-auth-details.json (the seeded moto account). Also times both on
# a generated account with 1,000 roles / 3,000 policies. Needs: a venv with `cloudsplaining`
# (CLOUDSPLAINING=/path/to/bin/cloudsplaining, default /tmp/cs/bin/cloudsplaining), python3, and
# hyperfine if installed (else /usr/bin/time -v). Prints a finding-by-finding agreement table.
set -euo pipefail
cd "$(dirname "$0")/.."
INPUT=${1:-crates/iam/tests/data/seeded-auth-details.json}
CS=${CLOUDSPLAINING:-/tmp/cs/bin/cloudsplaining}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build --release -q -p rampart-iam --example iam_analyze
TARGET=${CARGO_TARGET_DIR:-target}
RAMPART="$TARGET/release/examples/iam_analyze"
"$RAMPART" --generate 1000 > "$OUT/gen1000.json"

run_cs() { mkdir -p "$OUT/cs-$2" && "$CS" scan -i "$1" -o "$OUT/cs-$2" -s -t > /dev/null 2>&1; }

echo "== timings"
for f in "$INPUT" "$OUT/gen1000.json"; do
  name=$(basename "$f" .json)
  mkdir -p "$OUT/cs-h"
  if command -v hyperfine > /dev/null; then
    hyperfine -w 1 -r 3 -N \
      -n "rampart $name" "$RAMPART --json $f" \
      -n "cloudsplaining $name" "$CS scan -i $f -o $OUT/cs-h -s -t"
  else
    for tool in rampart cloudsplaining; do
      if [ "$tool" = rampart ]; then cmd=("$RAMPART" --json "$f"); else mkdir -p "$OUT/cs-h"; cmd=("$CS" scan -i "$f" -o "$OUT/cs-h" -s -t); fi
      /usr/bin/time -v "${cmd[@]}" > /dev/null 2> "$OUT/time.txt" || true
      printf '%-15s %-28s wall %s  max RSS %s kB\n' "$tool" "$name" \
        "$(grep 'Elapsed' "$OUT/time.txt" | awk '{print $NF}')" "$(grep 'Maximum resident' "$OUT/time.txt" | awk '{print $NF}')"
    done
  fi
done

echo "== agreement on $INPUT"
"$RAMPART" --json "$INPUT" > "$OUT/rampart.json"
run_cs "$INPUT" cmp
python3 - "$OUT/rampart.json" "$OUT"/cs-cmp/iam-findings-*.json <<'PY'
import json, sys
rampart = json.load(open(sys.argv[1]))
cs = json.load(open(sys.argv[2]))
# Cloudsplaining category -> Rampart rule ids that cover it.
MAP = {
    "PrivilegeEscalation": {"iam-privilege-escalation"},
    "DataExfiltration": {"iam-data-exfiltration"},
    "ResourceExposure": {"iam-resource-exposure"},
    "CredentialsExposure": {"iam-credentials-exposure"},
    "InfrastructureModification": {"iam-infrastructure-modification"},
    "ServiceWildcard": {"iam-service-wildcard"},
    "AssumableByComputeServices": {"iam-role-assumable-by-compute-service"},
    "AssumableByCrossAccountPrincipal": {"iam-role-trust-cross-account", "iam-role-trust-cross-account-no-external-id"},
    "AssumableByAnyPrincipal": {"iam-role-trust-public"},
    "AssumableByAnyPrincipalWithConditions": {"iam-role-trust-public-conditional"},
}
have = {}
for f in rampart:
    have.setdefault(f["subject"], set()).add(f["rule_id"])
arn_of = {}
for kind in ("users", "roles", "groups"):
    for e in cs[kind].values():
        arn_of[(kind, e["name"])] = e["arn"]
expected = set()
for bucket in ("inline_policies", "customer_managed_policies", "aws_managed_policies"):
    for p in cs[bucket].values():
        cats = [c for c in MAP if isinstance(p.get(c), dict) and p[c].get("findings")]
        for kind, names in p.get("AttachedTo", {}).items():
            for n in names:
                if kind == "groups":
                    members = [u["arn"] for u in cs["users"].values() if n in u.get("groups", {})]
                else:
                    members = [arn_of.get((kind, n), n)]
                for m in members:
                    for c in cats:
                        expected.add((m, c, p["PolicyName"]))
for r in cs["roles"].values():
    for c in MAP:
        if isinstance(r.get(c), dict) and r[c].get("findings"):
            expected.add((r["arn"], c, "trust policy"))
rows, missed = [], 0
for subject, cat, policy in sorted(expected):
    rules = have.get(subject, set())
    hit = rules & MAP[cat]
    note = ", ".join(sorted(hit))
    if not hit and "iam-admin-equivalent" in rules:
        hit, note = {"admin"}, "iam-admin-equivalent (admins get one finding covering every category)"
    if not hit:
        missed += 1
        note = "MISSING"
    rows.append((subject.split(":", 5)[-1], cat, policy, note))
w = max(len(r[0]) for r in rows) if rows else 10
for r in rows:
    print(f"{r[0]:<{w}}  {r[1]:<38} {r[2]:<26} -> {r[3]}")
extra = sorted({(s, r) for s, rs in have.items() for r in rs
                if not any(r in MAP[c] for (ss, c, _) in expected if ss == s)})
print(f"\nCloudsplaining findings: {len(expected)}; covered by Rampart: {len(expected) - missed}; missing: {missed}")
print(f"Rampart-only (subject, rule): {len(extra)}")
for s, r in extra:
    print(f"  {s.split(':', 5)[-1]:<{w}}  {r}")
sys.exit(1 if missed else 0)
PY
