#!/usr/bin/env bash
# Builds the heavier real fixtures that Rampart's catalog tests and benchmarks use,
# into ${RAMPART_FIXTURES:-$HOME/.cache/rampart-fixtures}. Idempotent: a fixture that
# exists is skipped. Each one is built in a temporary folder beside its final place and
# renamed into place only when complete, so an interrupted run leaves nothing half-made.
#
# Needs (scripts/test-deps.sh installs them): debootstrap (run as root), python3 with
# pip, npm, network to the Debian mirror, PyPI and the npm registry.
#
#   debian-bookworm-minbase/               debootstrap --variant=minbase bookworm rootfs
#   debian-bookworm-minbase.dpkg-query.txt reference "Package Version Source" list of it
#   pip-old/                               old vulnerable PyPI packages (*.dist-info)
#   rustsec-db/                            copy of the RustSec advisory-db (cargo audit --db)
#   npm-1000/                              node_modules with ~1,000 real npm packages
#   images/                                container images built from the minbase rootfs
#                                          (scripts/fixtures/images.sh; needs umoci, skopeo)
#   images-default/                        debootstrap default-variant image (image compare tests)
#                                          (slow: a full debootstrap)
#
# Usage: scripts/build-fixtures.sh [NAME...]   (default: all)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
FIX="${RAMPART_FIXTURES:-$HOME/.cache/rampart-fixtures}"
# The vulnerability data copies live in shared/ beside the work tree.
VULNDB="${RAMPART_VULNDB:-}"
if [ -z "$VULNDB" ]; then
  for c in "$ROOT/../shared/data/vulndb" /work/shared/data/vulndb; do
    [ -d "$c" ] && { VULNDB="$(cd "$c" && pwd)"; break; }
  done
fi
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RAMPART_TOOLS="${RAMPART_TOOLS:-$HOME/.cache/rampart-tools}"
# Prefer the venv that scripts/test-deps.sh makes: Debian's own python3 has no pip and
# refuses pip installs (PEP 668).
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$RAMPART_TOOLS/venv/bin/python" ]; then PYTHON="$RAMPART_TOOLS/venv/bin/python"; else PYTHON=python3; fi
fi

log() { printf '[build-fixtures] %s\n' "$*"; }
mkdir -p "$FIX"

TMPS=()
cleanup() {
  local t m
  for t in "${TMPS[@]}"; do
    [ -n "$t" ] && [ -e "$t" ] || continue
    # An interrupted debootstrap can leave /proc, /sys mounted inside its target.
    if [ -d "$t" ]; then
      for m in $(awk -v p="$t/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
    fi
    rm -rf --one-file-system -- "$t" 2>/dev/null || true
  done
}
trap cleanup EXIT
CHILD=""
on_signal() {
  # Stop the running step too (npm keeps going after SIGTERM, so follow up with SIGKILL).
  # The step runs in its own process group (setsid), so its helpers (debootstrap's
  # sub-shells, dpkg in the chroot, npm's workers) are stopped with it.
  if [ -n "$CHILD" ]; then
    kill -TERM -- "-$CHILD" 2>/dev/null || true; sleep 2; kill -KILL -- "-$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  log "interrupted; removing partial work"
  exit 130
}
trap on_signal INT TERM HUP
# Leftovers of a run that was killed outright (SIGKILL): never a finished fixture.
for _old in "$FIX"/.tmp-*; do [ -e "$_old" ] && TMPS+=("$_old"); done
cleanup; TMPS=()

# newtmp NAME -> sets T to a fresh temp dir on the same filesystem as $FIX (so the
# final mv is a rename); not run in a subshell, so the EXIT trap knows about it.
T=""
newtmp() { T="$(mktemp -d "$FIX/.tmp-$1.XXXXXX")"; TMPS+=("$T"); }

# run NAME CMD... : run quietly, print time taken, show output tail on failure
run() {
  local name="$1"; shift
  local logf t0 rc
  logf="$(mktemp)"; TMPS+=("$logf"); t0=$(date +%s)
  # Run in the background and wait, so a signal is handled at once (see on_signal).
  setsid "$@" >"$logf" 2>&1 </dev/null &
  CHILD=$!
  if wait "$CHILD"; then rc=0; else rc=$?; fi
  CHILD=""
  if [ "$rc" -ne 0 ]; then
    log "$name FAILED (exit $rc); last lines:"; tail -n 30 "$logf" >&2; rm -f "$logf"; return "$rc"
  fi
  rm -f "$logf"
  log "$name took $(( $(date +%s) - t0 )) s"
}

size_of() { du -sh "$1" 2>/dev/null | cut -f1; }

want() { [ "${#SELECTED[@]}" -eq 0 ] && return 0; local s; for s in "${SELECTED[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
SELECTED=("$@")

# ---- debian-bookworm-minbase ---------------------------------------------------
build_debian() {
  local name=debian-bookworm-minbase dest="$FIX/debian-bookworm-minbase" list="$FIX/debian-bookworm-minbase.dpkg-query.txt"
  if [ -d "$dest" ] && [ -s "$list" ]; then log "$name: present, skipping"; return; fi
  if [ ! -d "$dest" ]; then
    [ "$(id -u)" -eq 0 ] || { log "$name: debootstrap needs root"; return 1; }
    command -v debootstrap >/dev/null || { log "$name: debootstrap missing (run scripts/test-deps.sh)"; return 1; }
    local t; newtmp "$name"; t="$T"
    log "$name: debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR"
    run "debootstrap" debootstrap --variant=minbase bookworm "$t/rootfs" "$DEBIAN_MIRROR"
    # Drop the downloaded .debs: the fixture is the installed tree.
    rm -f "$t/rootfs/var/cache/apt/archives/"*.deb
    mv -T "$t/rootfs" "$dest"
  fi
  local tl; tl="$(mktemp "$FIX/.tmp-dpkg-query.XXXXXX")"; TMPS+=("$tl")
  dpkg-query --admindir="$dest/var/lib/dpkg" -W -f '${Package} ${Version} ${source:Package}\n' | LC_ALL=C sort >"$tl"
  mv -f "$tl" "$list"
  log "$name: $(wc -l <"$list") packages, $(size_of "$dest")"
}

# ---- pip-old ---------------------------------------------------------------------
build_pip_old() {
  local name=pip-old dest="$FIX/pip-old"
  if [ -d "$dest" ]; then log "$name: present, skipping"; return; fi
  local t; newtmp "$name"; t="$T"
  local pip=("$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --no-compile --target "$t/site")
  log "$name: pip install --no-deps --target (urllib3 1.26.4, Django 3.2, PyYAML 5.3, Jinja2 2.10, requests 2.25.1)"
  run "pip install (wheels)" "${pip[@]}" urllib3==1.26.4 Django==3.2 Jinja2==2.10 requests==2.25.1
  # PyYAML 5.3 ships no wheel for current Pythons; it is built from its sdist (pure
  # Python when libyaml headers are absent). Fall back as documented if that fails.
  if run "pip install PyYAML==5.3 (sdist)" "${pip[@]}" --use-pep517 PyYAML==5.3; then :
  elif run "pip install PyYAML==5.3 --no-build-isolation" "${pip[@]}" --no-build-isolation PyYAML==5.3; then :
  else
    log "$name: PyYAML 5.3 would not build; using PyYAML 5.3.1 (also vulnerable)"
    run "pip install PyYAML==5.3.1" "${pip[@]}" PyYAML==5.3.1
  fi
  mv -T "$t/site" "$dest"
  log "$name: $(ls -d "$dest"/*.dist-info | xargs -n1 basename | tr '\n' ' ')($(size_of "$dest"))"
}

# ---- rustsec-db ---------------------------------------------------------------------
build_rustsec() {
  local name=rustsec-db dest="$FIX/rustsec-db"
  if [ -d "$dest" ]; then log "$name: present, skipping"; return; fi
  [ -d "$VULNDB/rustsec-advisory-db" ] || { log "$name: $VULNDB/rustsec-advisory-db not found (set RAMPART_VULNDB)"; return 1; }
  local t; newtmp "$name"; t="$T"
  run "copy rustsec-advisory-db" cp -a "$VULNDB/rustsec-advisory-db/." "$t/db/"
  chmod -R u+w "$t/db"
  mv -T "$t/db" "$dest"
  log "$name: $(find "$dest/crates" -name 'RUSTSEC-*.md' | wc -l) advisories, $(size_of "$dest")"
}

# ---- npm-1000 -------------------------------------------------------------------------
build_npm() {
  local name=npm-1000 dest="$FIX/npm-1000" src="$HERE/fixtures/npm-1000"
  if [ -d "$dest" ]; then log "$name: present, skipping"; return; fi
  command -v npm >/dev/null || { log "$name: npm missing"; return 1; }
  local t; newtmp "$name"; t="$T"
  mkdir -p "$t/proj"
  cp "$src/package.json" "$src/package-lock.json" "$t/proj/"
  # The committed lockfile pins the whole tree, so every machine gets the same packages.
  run "npm ci" npm ci --prefix "$t/proj" --ignore-scripts --no-audit --no-fund --loglevel=error
  mv -T "$t/proj" "$dest"
  local n
  n="$(cd "$dest" && jq -r '.packages | keys[] | select(startswith("node_modules/"))' package-lock.json |
       while read -r p; do [ -f "$p/package.json" ] && echo x; done | wc -l)"
  log "$name: $n installed packages, $(size_of "$dest")"
}

T0=$(date +%s)
if want debian-bookworm-minbase; then build_debian; fi
if want pip-old; then build_pip_old; fi
if want rustsec-db; then build_rustsec; fi
if want npm-1000; then build_npm; fi
if want images; then build_debian; run "images" env RAMPART_FIXTURES="$FIX" PYTHON="$PYTHON" "$HERE/fixtures/images.sh"; fi
if want images-default; then run "images-default" env RAMPART_FIXTURES="$FIX" "$HERE/fixtures/images.sh" default; fi
log "all done in $(( $(date +%s) - T0 )) s; fixtures in $FIX"
