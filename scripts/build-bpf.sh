#!/usr/bin/env bash
# Compiles Rampart's eBPF C programs (bpf/) into crates/runtime/bpf/rampart.bpf.o (committed, included
# by the runtime crate with include_bytes!) and records the sha256 of the sources in
# crates/runtime/bpf/SOURCE_HASH; `cargo test -p rampart-runtime` checks that hash.
# Needs: clang, libbpf-dev (bpf_helpers.h); bpftool only with --vmlinux (regenerates bpf/vmlinux.h
# from /sys/kernel/btf/vmlinux).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--vmlinux" ]; then
  bpftool btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h
fi
out=crates/runtime/bpf
mkdir -p "$out"
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I bpf -c bpf/rampart.bpf.c -o "$out/rampart.bpf.o"
llvm-strip -g "$out/rampart.bpf.o" 2>/dev/null || true
# hash = sha256 over "name\n<sha256 of file>\n" for each source, in sorted order (see bpf_hash.rs)
{
  for f in $(cd bpf && ls *.c *.h | LC_ALL=C sort); do
    printf '%s\n%s\n' "$f" "$(sha256sum "bpf/$f" | cut -d' ' -f1)"
  done
} | sha256sum | cut -d' ' -f1 > "$out/SOURCE_HASH"
# second line: the object built from them (a stale object with a refreshed first line fails too)
sha256sum "$out/rampart.bpf.o" | cut -d' ' -f1 >> "$out/SOURCE_HASH"
echo "built $out/rampart.bpf.o ($(stat -c %s "$out/rampart.bpf.o") bytes), hashes $(paste -sd' ' "$out/SOURCE_HASH")"
