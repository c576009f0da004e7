#!/usr/bin/env bash
# Agent overhead: a syscall-heavy workload (open/read/close loop, fork/exec loop) without and with
# the eBPF agent (crates/runtime/examples/agent.rs, stable rules loaded), side by side with
# hyperfine; prints the slowdown ratio and the agent's events/s and drops. Run as root.
#   RUNS (default 5)  ITER (default 20000 open/read/close, 500 fork/exec)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
RUNS="${RUNS:-5}"
ITER="${ITER:-20000}"
RULES=/work/shared/testdata/falcosecurity-rules/rules/falco_rules.yaml
cargo build --release -q -p rampart-runtime --example agent
AGENT="$CARGO_TARGET_DIR/release/examples/agent"
OPEN="python3 -c 'import os
for _ in range($ITER):
    fd=os.open(\"/etc/hostname\", os.O_RDONLY); os.read(fd, 64); os.close(fd)'"
FORK="sh -c 'i=0; while [ \$i -lt $((ITER / 40)) ]; do /bin/true; i=\$((i+1)); done'"
out=$(mktemp -d)
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$out/base.json" -n open "$OPEN" -n forkexec "$FORK" >/dev/null
export RAMPART_AGENT_STOP="$out/stop"
"$AGENT" 3600 "$RULES" >/dev/null 2>"$out/agent.log" &
agent=$!
# Wait (at most 60 s) until the agent reports its programs attached.
for _ in $(seq 600); do
  grep -q "agent: attached" "$out/agent.log" && break
  kill -0 "$agent" 2>/dev/null || { cat "$out/agent.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "agent: attached" "$out/agent.log" || { echo "agent did not attach within 60 s" >&2; exit 1; }
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$out/agent.json" -n open "$OPEN" -n forkexec "$FORK" >/dev/null
touch "$RAMPART_AGENT_STOP"
wait "$agent" || true
python3 - "$out" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
base = {r["command"]: r["mean"] for r in json.loads((d / "base.json").read_text())["results"]}
agent = {r["command"]: r["mean"] for r in json.loads((d / "agent.json").read_text())["results"]}
print(f"{'workload':10} {'base s':>9} {'agent s':>9} {'slowdown':>9}")
for k in base:
    print(f"{k:10} {base[k]:9.3f} {agent[k]:9.3f} {agent[k] / base[k]:9.3f}")
PY
cat "$out/agent.log"
