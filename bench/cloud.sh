#!/usr/bin/env bash
# Rampart's live AWS scan vs Prowler on the same seeded moto account (../shared/peers/aws/seed.py), same
# services (s3, iam, ec2, cloudtrail, kms): wall time of one run each, the ratio, and the FAIL/finding
# lists side by side (docs/prowler.md maps them).
#
#   bench/cloud.sh
#
# Needs moto in $RAMPART_TOOLS/venv (scripts/test-deps.sh) and Prowler in its own venv
# (PROWLER=/path/to/bin/prowler, default $RAMPART_TOOLS/prowler-venv/bin/prowler:
#  python3 -m venv $RAMPART_TOOLS/prowler-venv && $RAMPART_TOOLS/prowler-venv/bin/pip install prowler).
# RAMPART_CMD overrides the scanner (default: the release CLI, built here).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${RAMPART_TOOLS:-$HOME/.cache/rampart-tools}
SHARED=${RAMPART_SHARED:-../shared}
PROWLER=${PROWLER:-$TOOLS/prowler-venv/bin/prowler}
T="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
PORT=${MOTO_PORT:-5077}
OUT=$(mktemp -d)
MOTO_PID=
cleanup() { [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT

if [ -z "${RAMPART_CMD:-}" ]; then
  cargo build --release -q -p rampart-cli
  RAMPART_CMD="$T/release/rampart"
fi
[ -x "$PROWLER" ] || { echo "prowler not found at $PROWLER" >&2; exit 1; }

MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_AMIS_PATH="$SHARED/peers/aws/empty-amis.json" \
  "$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$PORT" > "$OUT/moto.log" 2>&1 &
MOTO_PID=$!
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
until curl -sf "$AWS_ENDPOINT_URL/moto-api/" > /dev/null; do sleep 0.3; done
(cd "$OUT" && "$TOOLS/venv/bin/python" "$(realpath "$OLDPWD/$SHARED/peers/aws/seed.py")" > seed.log)

now() { date +%s.%N; }
t0=$(now)
"$RAMPART_CMD" cloud aws --region us-east-1 --services s3,iam,ec2,cloudtrail,kms -q -f json -o "$OUT/rampart.json"
t1=$(now)
rc=0
"$PROWLER" aws --no-banner --no-color --region us-east-1 --service s3 iam ec2 cloudtrail kms \
  --scan-unused-services -M json-ocsf --output-directory "$OUT/prowler" > "$OUT/prowler.log" 2>&1 || rc=$?
t2=$(now)
[ "$rc" = 3 ] || { echo "prowler rc=$rc (expected 3 = findings)"; tail -20 "$OUT/prowler.log"; exit 1; }

python3 - "$OUT" "$t0" "$t1" "$t2" <<'PY'
import glob, json, sys
out, t0, t1, t2 = sys.argv[1], *map(float, sys.argv[2:])
r = json.load(open(f"{out}/rampart.json"))
p = json.load(open(glob.glob(f"{out}/prowler/*.ocsf.json")[0]))
fails = sorted({(x["metadata"]["event_code"], (x.get("resources") or [{}])[0].get("uid", ""))
                for x in p if x.get("status_code") == "FAIL"})
print("== Prowler FAIL (%d)" % len(fails))
for c, res in fails:
    print(f"  {c}  {res}")
print("== Rampart findings (%d)" % len(r["findings"]))
for f in sorted(r["findings"], key=lambda f: (f["rule_id"], f["subject"])):
    print(f"  {f['rule_id']}  {f['subject']}")
ra, pr = t1 - t0, t2 - t1
print(f"== wall time: rampart {ra:.2f} s, prowler {pr:.2f} s, ratio {pr / ra:.0f}x")
PY
