#!/usr/bin/env bash
# The README's second command: installs what the tests need, builds the heavier fixtures, then runs
# formatting, lints, every test and each fuzz target briefly. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
export RAMPART_TOOLS="${RAMPART_TOOLS:-$HOME/.cache/rampart-tools}"
export RAMPART_FIXTURES="${RAMPART_FIXTURES:-$HOME/.cache/rampart-fixtures}"
export RAMPART_SHARED="${RAMPART_SHARED:-$(cd .. && pwd)/shared}"
export PATH="$RAMPART_TOOLS/cargo/bin:$RAMPART_TOOLS/venv/bin:$PATH"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}"

# The target directory is shared by checkouts (a CI clone, a working copy). Cargo hashes workspace
# crates by their path inside the workspace, so artifacts another checkout built look fresh here,
# with that checkout's CARGO_MANIFEST_DIR baked into test binaries (tests then read fixtures from
# a directory that may be gone). When another checkout used the target directory last, make this
# checkout's sources newer so that its workspace crates are rebuilt; dependencies are reused.
mkdir -p "$CARGO_TARGET_DIR"
checkout_marker="$CARGO_TARGET_DIR/.rampart-checkout"
if [ "$(cat "$checkout_marker" 2>/dev/null)" != "$PWD" ]; then
    git ls-files -z -- crates fuzz bpf 'Cargo.*' | xargs -0 touch
    printf '%s\n' "$PWD" >"$checkout_marker"
fi

step() { printf '\n==> %s\n' "$*"; }

step "installing test dependencies"
bash scripts/test-deps.sh

step "building fixtures"
bash scripts/build-fixtures.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "tests"
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --locked --workspace --no-fail-fast
    cargo test --locked --workspace --doc
else
    cargo test --locked --workspace --no-fail-fast
fi

step "optional features: CEL (Gatekeeper K8sNativeValidation)"
cargo clippy --locked -p rampart-posture --features cel --all-targets -- -D warnings
cargo test --locked -p rampart-posture --features cel --test gatekeeper_library

step "fuzzing each target for ${FUZZ_SECONDS}s"
bash scripts/fuzz.sh "$FUZZ_SECONDS"

step "all checks passed"
