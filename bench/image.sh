#!/usr/bin/env bash
# Benchmarks of image analysis against the physical floor, side by side:
#  1. analysing the bookworm minbase image from an OCI layout (stream, verify, catalog) vs.
#     `tar -xzf` of its one layer to /dev/shm (decompression and nothing else); the target is ≤ 1.5×;
#  2. the same for the 3-layer `app` image from the OCI layout, the OCI archive and the docker archive;
#  3. peak memory of the analyses (/usr/bin/time -v).
# Uses the image crate's `image_scan` example until the CLI's `rampart image REF` is wired; set
# IMAGE_SCAN to another command taking REF to compare (e.g. "rampart image").
# Needs: scripts/test-deps.sh and scripts/build-fixtures.sh (images) run first.
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
F="${RAMPART_FIXTURES:-$HOME/.cache/rampart-fixtures}"
I="$F/images"
OUT="${1:-$T/bench}"
mkdir -p "$OUT"
[ -d "$I/oci" ] || { echo "missing $I/oci: run scripts/build-fixtures.sh images" >&2; exit 1; }
if [ -z "${IMAGE_SCAN:-}" ]; then
  cargo build --release -q -p rampart-image --example image_scan
  IMAGE_SCAN="$T/release/examples/image_scan"
fi

# The minbase layer blob, from the layout's index and manifest.
manifest="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="minbase") | .digest' "$I/oci/index.json")"
layer="$(jq -r '.layers[0].digest' "$I/oci/blobs/sha256/${manifest#sha256:}")"
BLOB="$I/oci/blobs/sha256/${layer#sha256:}"
SHM="/dev/shm/rampart-bench-untar"
echo "minbase layer: $(du -h "$BLOB" | cut -f1) compressed, $(gzip -dc "$BLOB" | wc -c | numfmt --to=iec) uncompressed"

echo "== 1. minbase: analysis vs. tar -xzf to /dev/shm"
hyperfine -w 2 -r 10 --export-json "$OUT/image-minbase.json" \
  --prepare "rm -rf $SHM && mkdir -p $SHM" \
  "tar -xzf $BLOB -C $SHM" \
  "$IMAGE_SCAN oci:$I/oci:minbase"
rm -rf "$SHM"

echo "== 2. app image from the three archive forms"
hyperfine -w 1 -r 5 --export-json "$OUT/image-app.json" \
  "$IMAGE_SCAN oci:$I/oci:app" \
  "$IMAGE_SCAN oci-archive:$I/app.oci.tar" \
  "$IMAGE_SCAN docker-archive:$I/app.docker.tar"

echo "== 3. peak memory"
for ref in "oci:$I/oci:minbase" "oci:$I/oci:app" "docker-archive:$I/app.docker.tar"; do
  /usr/bin/time -v $IMAGE_SCAN "$ref" >/dev/null 2>"$OUT/image-time.txt"
  printf '%-60s %s, %s\n' "$ref" \
    "$(grep -E 'Maximum resident' "$OUT/image-time.txt" | awk '{print $NF " KB"}')" \
    "$(grep -E 'Elapsed' "$OUT/image-time.txt" | awk '{print $NF}')"
done

python3 - "$OUT/image-minbase.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
untar = next(v for k, v in r.items() if k.startswith("tar "))
scan = next(v for k, v in r.items() if not k.startswith("tar "))
print(f"minbase analysis {scan:.3f} s vs tar -xzf {untar:.3f} s: {scan / untar:.2f}x (target <= 1.5x)")
PY
