#!/usr/bin/env bash
# Idempotent installer of everything Rampart's tests and benchmarks need on a
# fresh Debian 12 (bookworm) machine. Run as root. Safe to re-run: each step is
# skipped when what it installs is already there.
#
#   RAMPART_TOOLS  where the Python venv and cargo-installed tools go
#                  (default: $HOME/.cache/rampart-tools)
#
# After it: export PATH="$RAMPART_TOOLS/cargo/bin:$RAMPART_TOOLS/venv/bin:$PATH"
set -euo pipefail

RAMPART_TOOLS="${RAMPART_TOOLS:-$HOME/.cache/rampart-tools}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[test-deps] %s\n' "$*"; }

# step NAME CMD... : run CMD quietly, print how long it took; show its log on failure.
step() {
  local name="$1"; shift
  local t0 t1 logf
  logf="$(mktemp)"
  t0=$(date +%s)
  log "$name ..."
  if ! "$@" >"$logf" 2>&1; then
    log "$name FAILED; last lines of its output:"
    tail -n 40 "$logf" >&2
    rm -f "$logf"
    return 1
  fi
  t1=$(date +%s)
  log "$name done in $((t1 - t0)) s"
  rm -f "$logf"
}

if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps.sh: run as root (it uses apt-get)" >&2
  exit 1
fi

# ---- apt -------------------------------------------------------------------
APT_PKGS=(debootstrap docker-registry hyperfine python3-venv jq ca-certificates curl)
# Image fixtures (scripts/fixtures/images.sh): umoci builds OCI layouts, skopeo converts them,
# podman + runc hold a copy in local storage for the podman: source.
APT_PKGS+=(skopeo umoci podman runc)
# Registry with basic auth (crates/image/tests/registry.rs, crates/cli/tests/image_auth.rs): htpasswd.
APT_PKGS+=(apache2-utils)
# CRI metadata of the eBPF agent (crates/runtime/tests/agent_cri.rs): a containerd of the test's own.
APT_PKGS+=(containerd)
# HTTPS endpoints and webhook (crates/runtime/tests/agent_tls.rs): a test CA and certificates.
APT_PKGS+=(openssl)
# eBPF: scripts/build-bpf.sh (clang, llvm-strip, bpf_helpers.h; bpftool regenerates bpf/vmlinux.h)
APT_PKGS+=(clang llvm libbpf-dev bpftool)
# crates/runtime/tests/ebpf_e2e.rs builds a small static C program (packet socket in a container).
APT_PKGS+=(gcc libc6-dev)
# build-fixtures.sh's npm-1000 fixture needs npm (any npm >= 7 reads lockfile v3);
# take Debian's only when the machine has none (e.g. no NodeSource node).
if ! command -v npm >/dev/null 2>&1; then APT_PKGS+=(nodejs npm); fi
missing=()
for p in "${APT_PKGS[@]}"; do
  if ! dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  log "apt: all present (${APT_PKGS[*]}), skipping"
else
  # A third-party source that cannot be reached must not stop the run: Debian's
  # own lists are what we need, and apt-get install fails loudly if they are missing.
  apt_update() { apt-get update -q || { echo "apt-get update reported errors (continuing)"; true; }; }
  step "apt-get update" apt_update
  step "apt-get install ${missing[*]}" \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ -x /usr/bin/docker-registry ] || { log "ERROR: /usr/bin/docker-registry missing after install"; exit 1; }

# ---- Python venv with jsonschema ---------------------------------------------
VENV="$RAMPART_TOOLS/venv"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import jsonschema' 2>/dev/null; then
  log "venv $VENV: jsonschema present, skipping"
else
  mkdir -p "$RAMPART_TOOLS"
  # Debian's python3 (with python3-venv) is used on purpose: it is what a fresh machine has.
  PY=/usr/bin/python3
  [ -x "$PY" ] || PY="$(command -v python3)"
  [ -x "$VENV/bin/python" ] || step "python3 -m venv $VENV" "$PY" -m venv "$VENV"
  step "pip install jsonschema" "$VENV/bin/python" -m pip install -q --disable-pip-version-check jsonschema 'moto[server]' boto3
fi

# ---- cargo tools -------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || { log "ERROR: cargo not found (install Rust first)"; exit 1; }

CARGO_ROOT="$RAMPART_TOOLS/cargo"
cargo_tool() {
  local crate="$1" bin="$2"
  if [ -x "$CARGO_ROOT/bin/$bin" ]; then
    log "$crate: present in $CARGO_ROOT/bin, skipping"
  else
    mkdir -p "$CARGO_ROOT"
    step "cargo install $crate --locked" \
      cargo install "$crate" --locked --root "$CARGO_ROOT" --quiet
  fi
}
cargo_tool cargo-audit cargo-audit
cargo_tool cargo-fuzz cargo-fuzz

log "all done. Add to PATH: $CARGO_ROOT/bin:$VENV/bin"
