#!/usr/bin/env bash
# Benchmarks of image analysis against the physical floor, side by side:
#  1. analysing the bookworm minbase image from an OCI layout (stream, verify, catalog) vs.
#     `tar -xzf` of its one layer to /dev/shm (decompression and nothing else); the target is ≤ 1.5×;
#  2. the same for the 3-layer `app` image from the OCI layout, the OCI archive and the docker archive;
#  3. peak memory of the analyses (/usr/bin/time -v);
#  4. a ~1 GB image (scripts/fixtures/images-large.sh): peak RSS and time of `rampart image oci:…`
#     (target < 300 MB) next to `tar -x` of the same layers to /dev/shm;
#  5. a registry scan of 20 images sharing their layers on Debian's docker-registry: blob GETs in the
#     registry log on the first run, and on a re-run (a re-match, as after `rampart db update`);
#     then a re-run with `--base-catalog` and `rampart image base pin` of that catalogue.
# `rampart` is built in release mode; set RAMPART to another binary to compare.
# Needs: scripts/test-deps.sh and scripts/build-fixtures.sh (images) run first; section 4 builds
# the large fixture on first use (~30 s, 1.1 GB), section 5 needs docker-registry, skopeo, umoci.
# Usage: bench/image.sh [OUT_DIR] [SECTIONS]   (SECTIONS: e.g. "45"; default all)
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
F="${RAMPART_FIXTURES:-$HOME/.cache/rampart-fixtures}"
I="$F/images"
OUT="${1:-$T/bench}"
SECTIONS="${2:-12345}"
mkdir -p "$OUT"
want() { [[ "$SECTIONS" == *"$1"* ]]; }
[ -d "$I/oci" ] || { echo "missing $I/oci: run scripts/build-fixtures.sh images" >&2; exit 1; }
if [ -z "${RAMPART:-}" ]; then
  cargo build --release -q -p rampart-cli
  RAMPART="$T/release/rampart"
fi
# A database of the bundled feed snapshot: matching cost is part of a scan, its size is not the point.
DB="$OUT/image-bench.db"
[ -f "$DB" ] || "$RAMPART" db build -q --from examples/vulndb --out "$DB"
# Each analysis starts cold: a private, empty analysis cache.
CACHE="$(mktemp -d)"
trap 'rm -rf "$CACHE"' EXIT
SCAN="env XDG_CACHE_HOME=$CACHE $RAMPART image --db $DB -q -f json -o /dev/null"

# peak CMD... : prints "<max RSS MB> MB, <elapsed>" of CMD.
peak() {
  /usr/bin/time -v "$@" >/dev/null 2>"$OUT/image-time.txt" || { tail -5 "$OUT/image-time.txt" >&2; return 1; }
  printf '%s MB, %s' \
    "$(awk '/Maximum resident/ {printf "%.0f", $NF / 1024}' "$OUT/image-time.txt")" \
    "$(awk '/Elapsed/ {print $NF}' "$OUT/image-time.txt")"
}

# The minbase layer blob, from the layout's index and manifest.
manifest="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="minbase") | .digest' "$I/oci/index.json")"
layer="$(jq -r '.layers[0].digest' "$I/oci/blobs/sha256/${manifest#sha256:}")"
BLOB="$I/oci/blobs/sha256/${layer#sha256:}"
SHM="/dev/shm/rampart-bench-untar"

if want 1; then
  echo "minbase layer: $(du -h "$BLOB" | cut -f1) compressed, $(gzip -dc "$BLOB" | wc -c | numfmt --to=iec) uncompressed"
  echo "== 1. minbase: analysis vs. tar -xzf to /dev/shm"
  hyperfine -w 2 -r 10 --export-json "$OUT/image-minbase.json" \
    --prepare "rm -rf $SHM $CACHE/rampart && mkdir -p $SHM" \
    "tar -xzf $BLOB -C $SHM" \
    "$SCAN --scanners vuln oci:$I/oci:minbase"
  rm -rf "$SHM"
  python3 - "$OUT/image-minbase.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
untar = next(v for k, v in r.items() if k.startswith("tar "))
scan = next(v for k, v in r.items() if not k.startswith("tar "))
print(f"minbase analysis {scan:.3f} s vs tar -xzf {untar:.3f} s: {scan / untar:.2f}x (target <= 1.5x)")
PY
fi

if want 2; then
  echo "== 2. app image from the three archive forms (all scanners: layers read for secrets)"
  hyperfine -w 1 -r 5 --export-json "$OUT/image-app.json" \
    "$SCAN oci:$I/oci:app" \
    "$SCAN oci-archive:$I/app.oci.tar" \
    "$SCAN docker-archive:$I/app.docker.tar"
fi

if want 3; then
  echo "== 3. peak memory"
  for ref in "oci:$I/oci:minbase" "oci:$I/oci:app" "docker-archive:$I/app.docker.tar"; do
    rm -rf "$CACHE/rampart"
    printf '%-60s %s\n' "$ref" "$(peak $SCAN "$ref")"
  done
fi

if want 4; then
  echo "== 4. ~1 GB image: peak memory of the analysis vs. tar -x of its layers"
  scripts/fixtures/images-large.sh
  L="$F/images-large/oci"
  m="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="large") | .digest' "$L/index.json")"
  mapfile -t layers < <(jq -r '.layers[].digest' "$L/blobs/sha256/${m#sha256:}")
  stored=0; for d in "${layers[@]}"; do stored=$((stored + $(stat -c %s "$L/blobs/sha256/${d#sha256:}"))); done
  echo "large image: ${#layers[@]} layers, $(numfmt --to=iec $stored) stored"
  untar() { rm -rf "$SHM"; mkdir -p "$SHM"; for d in "${layers[@]}"; do tar -xzf "$L/blobs/sha256/${d#sha256:}" -C "$SHM"; done; }
  export -f untar; export SHM L
  printf '%-44s %s\n' "tar -xzf of every layer to /dev/shm" "$(peak bash -c "layers=(${layers[*]}); $(declare -f untar); untar")"
  rm -rf "$SHM"
  for scanners in vuln vuln,secret,config; do
    rm -rf "$CACHE/rampart"
    printf '%-44s %s\n' "rampart image --scanners $scanners" "$(peak $SCAN --scanners "$scanners" "oci:$L:large")"
  done
  rm -rf "$CACHE/rampart"
  printf '%-44s %s\n' "rampart image (vuln) answered from the cache" \
    "$($SCAN --scanners vuln "oci:$L:large"; peak $SCAN --scanners vuln "oci:$L:large")"
fi

if want 5; then
  echo "== 5. registry scan: 20 images sharing their layers"
  R="$(mktemp -d)"; trap 'rm -rf "$CACHE" "$R"; [ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null || true' EXIT
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$R/data" "$PORT" >"$R/config.yml"
  docker-registry serve "$R/config.yml" >"$R/registry.log" 2>&1 & RPID=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.1; done
  # 20 distinct images (a label each) on the same three layers, in a copy of the layout.
  cp -r "$I/oci" "$R/layout"
  for i in $(seq 1 20); do
    umoci config --image "$R/layout:app" --tag "v$i" --config.label "variant=$i" >/dev/null
    skopeo copy -q --dest-tls-verify=false "oci:$R/layout:v$i" "docker://127.0.0.1:$PORT/team/app:v$i"
  done
  gets() { grep -c '"GET /v2/[^ ]*/blobs/sha256:' "$R/registry.log" || true; }
  REG="env XDG_CACHE_HOME=$CACHE $RAMPART registry scan 127.0.0.1:$PORT --insecure -q -f json -o /dev/null --db"
  rm -rf "$CACHE/rampart"
  b0=$(gets); t0=$(date +%s.%N); $REG "$DB"; t1=$(date +%s.%N); b1=$(gets)
  distinct=$(grep -o '"GET /v2/[^ ]*/blobs/sha256:[0-9a-f]*' "$R/registry.log" | sed 's/.*sha256://' | sort -u | wc -l)
  printf 'first run:  %3d blob GETs (%d distinct blobs: 20 configs + 3 layers) in %.1f s\n' $((b1 - b0)) "$distinct" "$(echo "$t1 - $t0" | bc)"
  # A new database (as `rampart db update` writes one), then the re-run: cached analyses re-matched.
  "$RAMPART" db build -q --from examples/vulndb --out "$R/updated.db"
  t0=$(date +%s.%N); $REG "$R/updated.db"; t1=$(date +%s.%N); b2=$(gets)
  printf 're-run on a rebuilt database: %d blob GETs in %.1f s\n' $((b2 - b1)) "$(echo "$t1 - $t0" | bc)"
  # With a trusted-base catalogue: a `ref` entry on the registry (manifest + config only) and an
  # analysed minbase layout; every image is judged and the per-base summary printed.
  skopeo copy -q --dest-tls-verify=false "oci:$I/oci:minbase" "docker://127.0.0.1:$PORT/base/debian:12"
  printf 'bases:\n  - name: debian-12\n    ref: 127.0.0.1:%s/base/debian:12\n    os: debian\n  - name: minbase\n    image: "oci:%s:minbase"\n' "$PORT" "$I/oci" >"$R/bases.yaml"
  t0=$(date +%s.%N); $REG "$DB" --base-catalog "$R/bases.yaml"; t1=$(date +%s.%N); b3=$(gets)
  printf 're-run with --base-catalog (21 images judged): %d blob GETs in %.1f s\n' $((b3 - b2)) "$(echo "$t1 - $t0" | bc)"
  t0=$(date +%s.%N); env XDG_CACHE_HOME=$CACHE "$RAMPART" image base pin "$R/bases.yaml" --insecure >/dev/null; t1=$(date +%s.%N); b4=$(gets)
  printf 'image base pin (2 entries): %d blob GETs in %.2f s\n' $((b4 - b3)) "$(echo "$t1 - $t0" | bc)"
  kill "$RPID"; RPID=""
fi
