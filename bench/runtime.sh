#!/usr/bin/env bash
# Agent overhead: a syscall-heavy workload (open/read/close loop, fork/exec loop) without and with
# the eBPF agent (crates/runtime/examples/agent.rs, stable rules loaded), side by side with
# hyperfine; prints the slowdown ratio and the agent's events/s and drops. Run as root.
#   RUNS (default 5)  ITER (default 20000 open/read/close, 500 fork/exec)  PROFILE (release|debug)
# `bench/runtime.sh memory`: the agent's memory under a burst of RATE (default 50000) openat
# events per second for BURST seconds (default 60): RSS sampled every second, events and drops.
# `bench/runtime.sh throughput`: records SECONDS (default 20) of live events with `rampart runtime
# run --record` while a mixed workload runs (file walks, archives, a compiler, python, podman
# containers), then measures rule evaluation (stable + incubating rules) on that real mix with the
# criterion bench (RAMPART_RECORDED): events per CPU-second and allocations per non-matching event.
# KEEP=FILE keeps the recording; RECORDED=FILE evaluates a kept one again without recording.
# `bench/runtime.sh kernel`: where the overhead goes, as the workload's own CPU time (`perf stat -e
# task-clock`, median of RUNS alternated runs) of a C open/read/close loop (KITER iterations, default 300000):
# without the agent; with an agent whose only rule selects `kill` (the syscall hook is attached, so
# every syscall pays its dispatch, but no open is reported: the floor of the hook); with the
# stable rules (every open reported).
# `bench/runtime.sh stall`: the agent is stopped (SIGSTOP) while RATE (default 50000) opens are
# made, then continued: how many events the kernel ring holds for a consumer that falls behind
# (kernel drops counted).
# `bench/runtime.sh latency`: how long after `cat /etc/shadow` starts its alert ("Read sensitive
# file untrusted") is on the agent's stdout, 10 times, while RATE (default 50000; 0 for an idle
# machine) other opens per second are made.
# `bench/runtime.sh all` runs overhead and memory; the default is the overhead comparison.
set -euo pipefail
MODE="${1:-overhead}"
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
RUNS="${RUNS:-5}"
ITER="${ITER:-20000}"
RULES=/work/shared/testdata/falcosecurity-rules/rules/falco_rules.yaml
# PROFILE=debug uses a debug build (when the release build directory is busy)
if [ "${PROFILE:-release}" = debug ]; then
  cargo build -q -p rampart-runtime --example agent
  AGENT="$CARGO_TARGET_DIR/debug/examples/agent"
else
  cargo build --release -q -p rampart-runtime --example agent
  AGENT="$CARGO_TARGET_DIR/release/examples/agent"
fi

# start_agent DIR SECONDS RULES [ARGS…]: the agent in the background, its stderr in DIR/agent.log,
# stopping when DIR/stop exists; waits (at most 60 s) until it reports its programs attached, and
# sets $agent to its pid.
start_agent() {
  local dir=$1 secs=$2
  shift 2
  RAMPART_AGENT_STOP="$dir/stop" "$AGENT" "$secs" "$@" >/dev/null 2>"$dir/agent.log" &
  agent=$!
  for _ in $(seq 600); do
    grep -q "agent: attached" "$dir/agent.log" && return 0
    kill -0 "$agent" 2>/dev/null || { cat "$dir/agent.log" >&2; return 1; }
    sleep 0.1
  done
  echo "agent did not attach within 60 s" >&2
  return 1
}

# stop_agent DIR: stops the agent start_agent started and waits for it.
stop_agent() {
  touch "$1/stop"
  wait "$agent" || true
  rm -f "$1/stop"
}

memory() {
  local rate="${RATE:-50000}" burst="${BURST:-60}" dir
  dir=$(mktemp -d)
  start_agent "$dir" $((burst + 30)) "$RULES" --metrics-file "$dir/metrics.prom"
  rss() { awk '/^VmRSS/ {print $2}' "/proc/$agent/status"; }
  echo "rss_kib_idle $(rss)" >"$dir/rss"
  # RATE openat calls per second in 10 ms slices, on two processes when one cannot keep up
  python3 - "$rate" "$burst" >"$dir/gen" <<'GEN' &
import os, sys, time
rate, burst = int(sys.argv[1]), int(sys.argv[2])
per_slice = rate // 100
start = time.monotonic(); n = 0; late = 0
for s in range(burst * 100):
    for _ in range(per_slice):
        os.close(os.open("/etc/hostname", os.O_RDONLY)); n += 1
    wait = start + (s + 1) / 100 - time.monotonic()
    if wait > 0: time.sleep(wait)
    else: late += 1
el = time.monotonic() - start
print(f"generated {n} opens in {el:.1f} s = {n / el:.0f}/s (late slices {late})")
GEN
  local gen=$!
  while kill -0 "$gen" 2>/dev/null; do echo "rss_kib $(rss)" >>"$dir/rss"; sleep 1; done
  echo "rss_kib_after $(rss)" >>"$dir/rss"
  awk '/^VmHWM/ {print "rss_kib_peak", $2}' "/proc/$agent/status" >>"$dir/rss"
  cp "$dir/metrics.prom" "$dir/metrics.final" 2>/dev/null || true
  stop_agent "$dir"
  cat "$dir/gen"
  python3 - "$dir" <<'PY'
import pathlib, sys
d = pathlib.Path(sys.argv[1])
rows = [l.split() for l in (d / "rss").read_text().splitlines()]
samples = [int(v) for k, v in rows if k == "rss_kib"]
named = {k: int(v) for k, v in rows if k != "rss_kib"}
print(f"agent RSS idle {named['rss_kib_idle'] / 1024:.1f} MiB, during burst min {min(samples) / 1024:.1f} / "
      f"max {max(samples) / 1024:.1f} MiB ({len(samples)} samples), after {named['rss_kib_after'] / 1024:.1f} MiB, "
      f"peak (VmHWM) {named['rss_kib_peak'] / 1024:.1f} MiB")
PY
  grep -E '^rampart_(events|drops)_total' "$dir/metrics.final" || true
  grep -E '^agent: (events|rampart_drops)' "$dir/agent.log" || true
}

throughput() {
  local dir secs="${SECONDS_RECORDED:-20}"
  dir=$(mktemp -d)
  if [ -n "${RECORDED:-}" ]; then
    # a recording kept from an earlier run (KEEP=FILE): evaluate it again, without recording
    RAMPART_RECORDED="$RECORDED" cargo bench -q -p rampart-runtime --bench throughput -- --warm-up-time 1 --measurement-time 2 2>&1 \
      | grep -E '^(rules:|recorded mix:|decode:)'
    return
  fi
  # the recorder's speed is not measured: the debug CLI is enough (drops only thin the mix)
  cargo build -q -p rampart-cli
  "$CARGO_TARGET_DIR/debug/rampart" runtime run --source syscall --duration "${secs}s" \
    --record "$dir/events.jsonl" --output "file:$dir/alerts.jsonl" 2>"$dir/agent.log" &
  local agent=$!
  for _ in $(seq 600); do
    grep -q "agent running" "$dir/agent.log" && break
    kill -0 "$agent" 2>/dev/null || { cat "$dir/agent.log" >&2; return 1; }
    sleep 0.1
  done
  export CONTAINERS_CONF="${CONTAINERS_CONF:-/work/shared/peers/containers.conf}"
  local end=$((SECONDS + secs - 4))
  # the workload's own failures (SIGPIPE from head, a missing image) do not stop the bench
  set +e +o pipefail
  while [ "$SECONDS" -lt "$end" ]; do
    find /usr/share/doc -name '*.gz' | head -200 | xargs -r cat >/dev/null
    tar czf "$dir/doc.tgz" -C /usr/share/doc . 2>/dev/null
    printf 'int main(void){return 0;}\n' > "$dir/t.c" && cc -o "$dir/t" "$dir/t.c" && "$dir/t"
    python3 -c 'import os, json; [os.stat("/etc/" + p) for p in os.listdir("/etc")]; json.dumps(dict(os.environ))'
    podman run --rm localhost/rampart/app:1.0 sh -c 'ls / >/dev/null; cat /etc/os-release >/dev/null' || true
    sh -c 'for i in 1 2 3; do date; id; uname -a; done' >/dev/null
  done
  set -e -o pipefail
  wait "$agent" || true
  echo "recorded $(wc -l <"$dir/events.jsonl") events ($(du -h "$dir/events.jsonl" | cut -f1)), $(wc -l <"$dir/alerts.jsonl") alerts"
  if [ -n "${KEEP:-}" ]; then cp "$dir/events.jsonl" "$KEEP"; fi
  # let the workload's leftovers (container clean-up, writeback) finish before measuring, 30 s at most
  for _ in $(seq 60); do
    pgrep -x 'podman|conmon|crun|runc' >/dev/null || break
    sleep 0.5
  done
  sync
  RAMPART_RECORDED="$dir/events.jsonl" cargo bench -q -p rampart-runtime --bench throughput -- --warm-up-time 1 --measurement-time 2 2>&1 \
    | grep -E '^(rules:|recorded mix:|decode:)'
  rm -rf "$dir"
}

kernel() {
  local dir runs="${RUNS:-5}" iter="${KITER:-300000}"
  dir=$(mktemp -d)
  cat >"$dir/loop.c" <<'C'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 300000;
  char b[64];
  for (long i = 0; i < n; i++) {
    int fd = open("/etc/hostname", O_RDONLY);
    if (read(fd, b, sizeof b) < 0) return 1;
    close(fd);
  }
  return 0;
}
C
  cc -O2 -o "$dir/loop" "$dir/loop.c"
  cat >"$dir/kill.yaml" <<'Y'
- rule: Kill by nobody
  desc: selects one rare syscall, so the syscall hook is attached but no open is reported
  condition: evt.type = kill and proc.name = rampart-nobody
  output: "kill by %proc.name"
  priority: DEBUG
Y
  # task-clock (ms) of one run of the loop
  clock() {
    perf stat -x, -e task-clock "$dir/loop" "$iter" 2>&1 >/dev/null | awk -F, '/task-clock/ {print $1}'
  }
  with_agent() {
    start_agent "$dir" 3600 "$1"
    clock
    stop_agent "$dir"
  }
  median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
  # the three configurations alternate, so a change in the machine's load hits all of them
  for _ in $(seq "$runs"); do
    clock >>"$dir/base"
    with_agent "$dir/kill.yaml" >>"$dir/floor"
    with_agent "$RULES" >>"$dir/full"
  done
  grep -E '^agent: (events|rampart_drops)' "$dir/agent.log" >&2 || true
  local base floor full
  base=$(median <"$dir/base")
  floor=$(median <"$dir/floor")
  full=$(median <"$dir/full")
  python3 - "$iter" "$base" "$floor" "$full" <<'PY'
import sys
n, base, floor, full = int(sys.argv[1]), *map(float, sys.argv[2:])
us = lambda ms: ms * 1000 / n
print(f"{'C open/read/close loop':28} {'task-clock ms':>13} {'us/iter':>8} {'ratio':>6}")
for name, v in [("no agent", base), ("hook only (kill rule)", floor), ("stable rules", full)]:
    print(f"{name:28} {v:13.1f} {us(v):8.3f} {v / base:6.3f}")
print(f"hook dispatch (3 syscalls) {us(floor - base):.3f} us/iter; reported open {us(full - floor):.3f} us/event")
PY
  rm -rf "$dir"
}

stall() {
  local dir rate="${RATE:-50000}"
  dir=$(mktemp -d)
  start_agent "$dir" 3600 "$RULES" --metrics-file "$dir/metrics.prom"
  kill -STOP "$agent"
  python3 - "$rate" <<'P'
import os, sys, time
n = int(sys.argv[1]); t = time.monotonic()
for _ in range(n):
    os.close(os.open("/etc/hostname", os.O_RDONLY))
print(f"{n} opens in {time.monotonic() - t:.2f} s while the agent was stopped")
P
  kill -CONT "$agent"
  # drained when the metrics file (rewritten every second) counts at least the opens made, as
  # events or kernel drops (30 s at most)
  local seen
  for _ in $(seq 300); do
    seen=$(awk '/^rampart_events_total\{source="syscall"\}/ || /^rampart_drops_total\{stage="kernel"\}/ {n += $2} END {print n + 0}' "$dir/metrics.prom" 2>/dev/null || echo 0)
    [ "$seen" -ge "$rate" ] && break
    sleep 0.1
  done
  stop_agent "$dir"
  grep -E '^agent: (events|rampart_drops)' "$dir/agent.log"
  rm -rf "$dir"
}

latency() {
  python3 - "$AGENT" "$RULES" "${RATE:-50000}" <<'P'
import json, os, subprocess, sys, threading, time
agent, rules, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
ag = subprocess.Popen([agent, "120", rules], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      text=True, bufsize=1)
for line in ag.stderr:
    if "attached" in line:
        break
arrived = []
def read_alerts():
    for line in ag.stdout:
        now = time.time()
        try:
            alert = json.loads(line)
        except ValueError:
            continue
        if "/etc/shadow" in alert.get("output", ""):
            arrived.append(now)
threading.Thread(target=read_alerts, daemon=True).start()
stop = False
def generate():
    while not stop:
        t0 = time.monotonic()
        for _ in range(rate // 100):
            os.close(os.open("/etc/hostname", os.O_RDONLY))
        left = 0.01 - (time.monotonic() - t0)
        if left > 0:
            time.sleep(left)
if rate:
    threading.Thread(target=generate, daemon=True).start()
time.sleep(0.3)  # the generator at its rate
started = []
for _ in range(10):
    started.append(time.time())
    subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
    time.sleep(0.2)
deadline = time.monotonic() + 5
while len(arrived) < len(started) and time.monotonic() < deadline:
    time.sleep(0.05)
stop = True
ag.terminate()
ag.wait()
ms = sorted(1000 * (a - s) for a, s in zip(arrived, started))
print(f"{len(arrived)}/10 alerts, {rate} other opens/s: alert latency ms min {ms[0]:.0f} "
      f"median {ms[len(ms) // 2]:.0f} max {ms[-1]:.0f}" if ms else "no alert arrived")
P
}

if [ "$MODE" = latency ]; then latency; exit; fi
if [ "$MODE" = stall ]; then stall; exit; fi
if [ "$MODE" = kernel ]; then kernel; exit; fi
if [ "$MODE" = memory ]; then memory; exit; fi
if [ "$MODE" = throughput ]; then throughput; exit; fi
OPEN="python3 -c 'import os
for _ in range($ITER):
    fd=os.open(\"/etc/hostname\", os.O_RDONLY); os.read(fd, 64); os.close(fd)'"
FORK="sh -c 'i=0; while [ \$i -lt $((ITER / 40)) ]; do /bin/true; i=\$((i+1)); done'"
out=$(mktemp -d)
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$out/base.json" -n open "$OPEN" -n forkexec "$FORK" >/dev/null
start_agent "$out" 3600 "$RULES"
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$out/agent.json" -n open "$OPEN" -n forkexec "$FORK" >/dev/null
stop_agent "$out"
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
if [ "$MODE" = all ]; then memory; fi
