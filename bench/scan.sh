#!/usr/bin/env bash
# Benchmarks of the foundation, each against a peer or a physical limit, run side by side:
#  1. opening the full database vs. reading the file once (cat);
#  2. scanning the debootstrap rootfs + ~1,000 npm + pip packages vs. `find DIR -type f | wc -l`;
#  3. peak memory of that scan (/usr/bin/time -v);
#  4. matching throughput (packages and advisory postings per second, from the report's timings);
#  5. secret scanning of the same tree vs. reading every candidate file (cat) and vs. one grep for the
#     rules' keywords (the physical floor and the simplest peer).
# Needs: scripts/test-deps.sh and scripts/build-fixtures.sh run first; a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
F="${RAMPART_FIXTURES:-$HOME/.cache/rampart-fixtures}"
SHARED="${RAMPART_SHARED:-$(cd .. && pwd)/shared}"
OUT="${1:-$T/bench}"
mkdir -p "$OUT"
cargo build --release --locked -q -p rampart-cli
R="$T/release/rampart"

DB="$OUT/full.db"
"$R" db build --from "$SHARED/data/vulndb" --out "$DB" -q

TREE="$OUT/tree"
if [ ! -d "$TREE" ]; then
  cp -al "$F/debian-bookworm-minbase" "$TREE.tmp"
  mkdir -p "$TREE.tmp/usr/lib/python3/dist-packages" "$TREE.tmp/srv/app"
  cp -al "$F/pip-old/." "$TREE.tmp/usr/lib/python3/dist-packages/"
  cp -al "$F/npm-1000/." "$TREE.tmp/srv/app/"
  mv "$TREE.tmp" "$TREE"
fi
sync
echo "tree: $(find "$TREE" -type f | wc -l) files"

echo "== 1. database open (verify + map) vs. reading the file"
hyperfine -N -w 3 -r 30 --export-json "$OUT/open.json" \
  "cat $DB" "$R db status --db $DB --max-age 100000"

echo "== 2. rootfs scan vs. walking the tree"
hyperfine -w 2 -r 10 --export-json "$OUT/scan.json" \
  "find $TREE -type f | wc -l" \
  "$R rootfs $TREE --db $DB -q -f json -o /dev/null --scanners vuln"

echo "== 3. peak memory"
/usr/bin/time -v "$R" rootfs "$TREE" --db "$DB" -q -f json -o "$OUT/report.json" --scanners vuln 2> "$OUT/time.txt"
grep -E "Maximum resident|Elapsed" "$OUT/time.txt"

echo "== 4. matching throughput"
python3 - "$OUT/report.json" "$R" "$DB" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = {x["stage"]: x["millis"] for x in r["timings"]}
n = len(r["packages"])
print(f"packages: {n}, findings: {r['summary']['total']}, catalog {t['catalog']:.1f} ms, match {t['match']:.1f} ms, "
      f"{n / (t['match'] / 1000):.0f} packages/s")
PY
python3 - "$OUT" <<'PY'
import json, sys
o = sys.argv[1]
def means(f): return [(x["command"], x["mean"]) for x in json.load(open(f"{o}/{f}"))["results"]]
(c1, cat), (c2, st) = means("open.json")
print(f"db open: cat {cat*1000:.1f} ms, rampart db status {st*1000:.1f} ms (ratio {st/cat:.2f})")
(c1, walk), (c2, scan) = means("scan.json")
print(f"scan: find|wc {walk*1000:.0f} ms, rampart rootfs {scan*1000:.0f} ms (ratio {scan/walk:.2f})")
PY

echo "== 5. secret scanning vs. reading the files and vs. grep for the keywords"
KEYWORDS='AKIA|ASIA|aws|service_account|AIza|AccountKey|Q~|PRIVATE KEY|ghp_|gho_|github_pat_|glpat-|xox[baprse]-|hooks.slack.com|sk_live_|npm_|pypi-|"auths"|eyJ|password|passwd|pwd|secret|token|api_?key|access_key|auth'
hyperfine -w 1 -r 5 --export-json "$OUT/secret.json" \
  "find $TREE -type f -size -10M -print0 | xargs -0 cat > /dev/null" \
  "grep -rIliE '$KEYWORDS' $TREE > /dev/null || true" \
  "$R rootfs $TREE --db $DB -q -f json -o /dev/null --scanners secret"
"$R" rootfs "$TREE" --db "$DB" -q -f json -o "$OUT/secrets.json" --scanners secret
python3 - "$OUT" <<'PY'
import json, sys
o = sys.argv[1]
res = [(x["command"], x["mean"]) for x in json.load(open(f"{o}/secret.json"))["results"]]
(_, cat), (_, grep), (_, sec) = res
n = json.load(open(f"{o}/secrets.json"))["summary"]["total"]
print(f"secrets: cat {cat*1000:.0f} ms, grep {grep*1000:.0f} ms, rampart {sec*1000:.0f} ms "
      f"(ratio to cat {sec/cat:.2f}, to grep {sec/grep:.2f}); {n} findings")
PY
