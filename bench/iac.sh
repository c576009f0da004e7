#!/usr/bin/env bash
# Rampart's IaC scanner vs Checkov on the same corpus (crates/iac/tests/corpus by default: Terraform roots and
# modules, CloudFormation, Dockerfiles): wall time (hyperfine) and peak memory (/usr/bin/time -v).
#
#   bench/iac.sh [DIR]
#
# Runs the release CLI, `rampart iac DIR -f json -q`; set IAC_SCAN to another command taking DIR to compare
# (e.g. an installed rampart: "rampart iac -f json -q"). Needs Checkov in a venv
# (CHECKOV=/path/to/bin/checkov, default /tmp/checkov/bin/checkov: python3 -m venv /tmp/checkov &&
# /tmp/checkov/bin/pip install checkov), hyperfine (optional) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-crates/iac/tests/corpus}
CHECKOV=${CHECKOV:-/tmp/checkov/bin/checkov}
T="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ -z "${IAC_SCAN:-}" ]; then
  cargo build --release -q -p rampart-cli
  IAC_SCAN="$T/release/rampart iac -f json -q"
fi
RAMPART_CMD="$IAC_SCAN $DIR"
CHECKOV_CMD="$CHECKOV -d $DIR --skip-download -o json --quiet --framework terraform cloudformation dockerfile"

echo "== corpus: $DIR"
$RAMPART_CMD | python3 -c '
import json, sys
r = json.load(sys.stdin)
status = {}
for c in r.get("checks", []):
    status[c["status"]] = status.get(c["status"], 0) + 1
print("resources=%d findings=%d unknowns=%d warnings=%d check outcomes=%s" % (
    len(r.get("resources", [])), len(r["findings"]), len(r.get("unknowns", [])), len(r["warnings"]),
    ", ".join("%s %d" % kv for kv in sorted(status.items()))))
' || true

echo "== wall time"
if command -v hyperfine > /dev/null; then
  hyperfine -w 1 -r "${RUNS:-5}" -N -i --export-json "$OUT/rampart.json" -n rampart "$RAMPART_CMD"
  hyperfine -w 0 -r "${CHECKOV_RUNS:-3}" -i --export-json "$OUT/checkov.json" -n checkov "$CHECKOV_CMD > /dev/null 2>&1"
  python3 - "$OUT/rampart.json" "$OUT/checkov.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]["mean"]
c = json.load(open(sys.argv[2]))["results"][0]["mean"]
print(f"rampart {r*1000:.1f} ms, checkov {c*1000:.0f} ms, ratio {c/r:.0f}x")
PY
else
  /usr/bin/time -f "rampart %e s" $RAMPART_CMD > /dev/null || true
  /usr/bin/time -f "checkov %e s" $CHECKOV_CMD > /dev/null 2>&1 || true
fi

echo "== peak memory (max RSS)"
peak() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}'; }
R_KB=$(peak $RAMPART_CMD)
C_KB=$(peak $CHECKOV_CMD)
echo "rampart ${R_KB} KB, checkov ${C_KB} KB, ratio $(( C_KB / (R_KB > 0 ? R_KB : 1) ))x"
