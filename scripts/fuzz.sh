#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60) and prints one summary line per
# target. Exits non-zero if any target fails to build, crashes, leaks past the RSS limit or times out.
#
#   bash scripts/fuzz.sh 5                 # all targets, 5 s each
#   bash scripts/fuzz.sh 60 osv purl       # only the named targets
#
# Builds without a sanitizer (`-s none`), so stable Rust works; fuzz targets are built in release
# mode with debug assertions (cargo-fuzz's default). New inputs go to a temporary corpus only: the
# seeds in fuzz/corpus/TARGET are read, never written. Crash inputs are kept in
# fuzz/artifacts/TARGET/ (git-ignored); reproduce one with
#   cargo fuzz run -s none TARGET fuzz/artifacts/TARGET/crash-...
#
# Environment: CARGO_TARGET_DIR (builds go to $CARGO_TARGET_DIR/fuzz, default
# ~/.cache/rampart-target/fuzz), RAMPART_TOOLS (cargo-fuzz is looked up in PATH, then in
# $RAMPART_TOOLS/cargo/bin, default ~/.cache/rampart-tools), FUZZ_TIMEOUT (seconds one input may
# take before it counts as a hang, default 30), KEEP_FUZZ_LOGS=1 (keep the temporary directory).
set -euo pipefail

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tools="${RAMPART_TOOLS:-$HOME/.cache/rampart-tools}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    export PATH="$PATH:$tools/cargo/bin"
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz not found in PATH or $tools/cargo/bin (cargo install cargo-fuzz)" >&2
    exit 2
fi

target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}/fuzz"
timeout_s="${FUZZ_TIMEOUT:-30}"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/rampart-fuzz.XXXXXX")"
if [ "${KEEP_FUZZ_LOGS:-0}" = 1 ]; then
    echo "fuzz.sh: logs and new corpus entries in $work"
else
    trap 'rm -rf "$work"' EXIT
fi

# One build of every target up front (shared dependencies, parallel linking); `cargo fuzz run`
# below then finds them up to date. Same flags as the runs, or cargo would rebuild.
build_args=(-s none --target-dir "$target_dir")
echo "fuzz.sh: building ${#targets[@]} targets"
build_ok=1
if [ "$#" -gt 0 ]; then
    # `cargo fuzz build` takes one target name at most.
    for t in "${targets[@]}"; do
        cargo fuzz build "${build_args[@]}" "$t" >>"$work/build.log" 2>&1 || build_ok=0
    done
else
    cargo fuzz build "${build_args[@]}" >"$work/build.log" 2>&1 || build_ok=0
fi
if [ "$build_ok" -ne 1 ]; then
    tail -n 60 "$work/build.log" >&2
    echo "fuzz.sh: build failed" >&2
    exit 1
fi

failed=0
summary=()
for t in "${targets[@]}"; do
    seeds="fuzz/corpus/$t"
    if [ ! -d "$seeds" ]; then
        echo "fuzz.sh: no seed corpus $seeds" >&2
        summary+=("$(printf '%-22s FAIL  no seed corpus' "$t")")
        failed=1
        continue
    fi
    scratch="$work/corpus/$t"
    mkdir -p "$scratch" "fuzz/artifacts/$t"
    log="$work/$t.log"
    start=$(date +%s)
    set +e
    # First corpus directory is the writable one: new inputs land in $scratch, the seeds stay as they are.
    cargo fuzz run "${build_args[@]}" "$t" "$scratch" "$seeds" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="$timeout_s" \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    elapsed=$(($(date +%s) - start))
    runs="$(grep -aoE '^Done [0-9]+ runs' "$log" | tail -n1 | grep -oE '[0-9]+' || true)"
    [ -n "$runs" ] || runs="$(grep -aoE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n1 || true)"
    cov="$(grep -aoE '^#[0-9]+.*cov: [0-9]+' "$log" | tail -n1 | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+' || true)"
    new=$(find "$scratch" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        line="$(printf '%-22s ok    %10s execs  cov %-6s %5s new inputs  %3ss' "$t" "${runs:-?}" "${cov:-?}" "$new" "$elapsed")"
    else
        failed=1
        artifact="$(grep -aoE 'Test unit written to [^ ]+' "$log" | tail -n1 | sed 's/Test unit written to //' || true)"
        reason="$(grep -a -m1 -oE "panicked at [^:]+:[0-9]+:[0-9]+|ERROR: libFuzzer: [a-z-]+|==[0-9]+== ERROR: [^ ]+ [^ ]+" "$log" || true)"
        line="$(printf '%-22s FAIL  exit %s after %s execs, %ss: %s%s' "$t" "$rc" "${runs:-?}" "$elapsed" "${reason:-see log}" "${artifact:+ -> $artifact}")"
        echo "---- $t (last 40 lines of log) ----" >&2
        tail -n 40 "$log" >&2
        echo "----" >&2
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "fuzz.sh summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: at least one target failed" >&2
    exit 1
fi
