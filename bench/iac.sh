#!/usr/bin/env bash
# Rampart's IaC scanner vs Checkov on the same corpus (crates/iac/tests/corpus by default: Terraform roots and
# modules, CloudFormation, Dockerfiles, Kubernetes manifests): wall time (hyperfine) and peak memory
# (/usr/bin/time -v), twice:
#
#   1. the whole tree: `rampart iac DIR` against Checkov with the terraform, cloudformation, dockerfile and
#      kubernetes frameworks;
#   2. the Kubernetes manifests alone (DIR/kubernetes): `rampart iac DIR/kubernetes` (the KSPM checks, as
#      `rampart k8s` runs them) against `checkov --framework kubernetes`.
#
#   bench/iac.sh [DIR]
#
# Runs the release CLI, `rampart iac DIR -f json -q`; set IAC_SCAN to another command taking DIR to compare
# (e.g. an installed rampart: "rampart iac -f json -q"). Needs Checkov in a venv (CHECKOV=/path/to/bin/checkov;
# default: the tools venv of scripts/test-deps.sh if it has one, else /tmp/checkov/bin/checkov:
# python3 -m venv /tmp/checkov && /tmp/checkov/bin/pip install checkov), hyperfine (optional) and GNU time.
# K8S_DIR overrides the manifest folder of part 2 (empty: skip it).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-crates/iac/tests/corpus}
TOOLS_CHECKOV="$HOME/.cache/rampart-tools/venv/bin/checkov"
if [ -z "${CHECKOV:-}" ]; then
  if [ -x "$TOOLS_CHECKOV" ]; then CHECKOV=$TOOLS_CHECKOV; else CHECKOV=/tmp/checkov/bin/checkov; fi
fi
K8S_DIR=${K8S_DIR-$DIR/kubernetes}
T="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ -z "${IAC_SCAN:-}" ]; then
  cargo build --release -q -p rampart-cli
  IAC_SCAN="$T/release/rampart iac -f json -q"
fi
summary() {
  python3 -c '
import json, sys
r = json.load(sys.stdin)
status = {}
for c in r.get("checks", []):
    status[c["status"]] = status.get(c["status"], 0) + 1
kspm = sum(1 for f in r["findings"] if f["rule_id"].split(":")[0] in ("pss", "k8s", "rbac"))
print("resources=%d findings=%d (kubernetes %d) unknowns=%d warnings=%d check outcomes=%s" % (
    len(r.get("resources", [])), len(r["findings"]), kspm, len(r.get("unknowns", [])), len(r["warnings"]),
    ", ".join("%s %d" % kv for kv in sorted(status.items()))))
' || true
}

checkov_summary() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d if isinstance(d, list) else [d]
print("checkov: " + ", ".join("%s %d failed / %d resources" % (x["check_type"], x["summary"]["failed"],
      x["summary"]["resource_count"]) for x in d))
' || true
}

# bench NAME TARGET CHECKOV_FRAMEWORKS...
bench() {
  local name=$1 target=$2
  shift 2
  local rampart_cmd="$IAC_SCAN $target"
  local checkov_cmd="$CHECKOV -d $target --skip-download -o json --quiet --framework $*"
  echo "== $name: $target"
  $rampart_cmd | summary
  { $checkov_cmd 2> /dev/null || true; } | checkov_summary

  echo "-- wall time"
  if command -v hyperfine > /dev/null; then
    hyperfine -w 1 -r "${RUNS:-5}" -N -i --export-json "$OUT/rampart.json" -n rampart "$rampart_cmd"
    hyperfine -w 0 -r "${CHECKOV_RUNS:-3}" -i --export-json "$OUT/checkov.json" -n checkov "$checkov_cmd > /dev/null 2>&1"
    python3 - "$OUT/rampart.json" "$OUT/checkov.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
c = json.load(open(sys.argv[2]))["results"][0]
print(f"{sys.argv[3]}: rampart {r['mean']*1000:.1f} ms (min {r['min']*1000:.1f}, max {r['max']*1000:.1f}), "
      f"checkov {c['mean']:.2f} s (min {c['min']:.2f}, max {c['max']:.2f}), ratio of means {c['mean']/r['mean']:.0f}x")
PY
  else
    /usr/bin/time -f "rampart %e s" $rampart_cmd > /dev/null || true
    /usr/bin/time -f "checkov %e s" $checkov_cmd > /dev/null 2>&1 || true
  fi

  echo "-- peak memory (max RSS)"
  local r_kb c_kb
  r_kb=$(peak $rampart_cmd)
  c_kb=$(peak $checkov_cmd)
  echo "$name: rampart ${r_kb} KB, checkov ${c_kb} KB, ratio $(( c_kb / (r_kb > 0 ? r_kb : 1) ))x"
}

peak() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}'; }

bench "whole tree" "$DIR" terraform cloudformation dockerfile kubernetes
if [ -n "$K8S_DIR" ] && [ -d "$K8S_DIR" ]; then
  bench "kubernetes" "$K8S_DIR" kubernetes
fi
