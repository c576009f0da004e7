#!/usr/bin/env bash
# `rampart k8s` on a generated 10,000-object cluster snapshot: the built-in checks alone, then with the
# whole Gatekeeper library (every template of ../shared/testdata/gatekeeper-library with every sample
# constraint) as a --policy folder. Target: under 2 s and 300 MB for the run with the library.
#
#   bench/k8s.sh [OBJECTS]          # default 10000
#
# RAMPART_SHARED points at the shared folder (default ../shared). Uses /usr/bin/time -v.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
SHARED=${RAMPART_SHARED:-../shared}
LIB="$SHARED/testdata/gatekeeper-library/library"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build --release -q -p rampart-cli -p rampart-kube --example gen_snapshot --bin rampart
TARGET=${CARGO_TARGET_DIR:-target}
"$TARGET/release/examples/gen_snapshot" "$N" > "$OUT/snapshot.yaml"

# The library as one policy folder: templates plus every sample constraint (`--policy` skips
# `samples/` folders, which hold test material).
mkdir -p "$OUT/policies"
i=0
for t in "$LIB"/*/*/template.yaml; do
  d=$(dirname "$t")
  cp "$t" "$OUT/policies/$(basename "$d")-template.yaml"
  for c in "$d"/samples/*/constraint.yaml; do
    [ -f "$c" ] || continue
    i=$((i + 1))
    cp "$c" "$OUT/policies/$(basename "$d")-constraint-$i.yaml"
  done
done
echo "snapshot: $N objects ($(du -h "$OUT/snapshot.yaml" | cut -f1)); library: $(ls "$OUT"/policies/*-template.yaml | wc -l) templates, $i constraints"

run() {
  local label=$1; shift
  /usr/bin/time -v "$TARGET/release/rampart" k8s "$OUT/snapshot.yaml" --format json -o "$OUT/report.json" -q "$@" \
    2> "$OUT/time.txt" || true
  printf '%-34s wall %8s  max RSS %7s kB  findings %s\n' "$label" \
    "$(grep 'Elapsed' "$OUT/time.txt" | awk '{print $NF}')" \
    "$(grep 'Maximum resident' "$OUT/time.txt" | awk '{print $NF}')" \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$OUT/report.json" 2>/dev/null || echo '?')"
}
run "built-in checks"
run "built-in + Gatekeeper library" --policy "$OUT/policies"
