#!/usr/bin/env bash
# Sets up everything the conformance suites need on a fresh Debian 12 machine (root):
#   1. Debian packages: the reference tools of Debian 12 (bpftool 7.1, pahole 1.24,
#      libbpf-dev), the build deps of the oracle helpers, hyperfine for benchmarks,
#      decompressors;
#   2. the modern oracles: ../shared/oracle/modern.sh (pahole 1.30, bpftool 7.5,
#      libbpf 1.5) and build.sh (btfref, dedup-spy.so), in ~/.cache/btf-oracle;
#   3. real kernels: scripts/fetch-kernels.sh 6.1 6.12 --dbg (~300 MB download,
#      cached in ~/.cache/btfkit/kernels).
# Idempotent: a second run only checks. Messages on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'setup-test-env: %s\n' "$*" >&2; }

pkgs=(bpftool dwarves libbpf-dev libelf-dev zlib1g-dev gcc hyperfine xz-utils zstd lz4 binutils time)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

shared=${BTFKIT_SHARED:-$here/../shared}
[ -d "$shared/oracle" ] || { log "no oracle scripts at $shared/oracle (set BTFKIT_SHARED)"; exit 1; }
oracle=${BTF_ORACLE_DIR:-$HOME/.cache/btf-oracle}
if [ ! -x "$oracle/bin/pahole" ] || [ ! -x "$oracle/bin/bpftool" ]; then
  log "unpacking pahole 1.30, bpftool 7.5, libbpf 1.5 into $oracle"
  "$shared/oracle/modern.sh" "$oracle" >&2
fi
if [ ! -x "$oracle/bin/btfref" ] || [ ! -f "$oracle/lib/dedup-spy.so" ]; then
  log "building btfref and dedup-spy.so"
  "$shared/oracle/build.sh" "$oracle" >&2
fi

dbg=--dbg
[ -z "${BTFKIT_NO_DBG:-}" ] || dbg=
"$here/scripts/fetch-kernels.sh" 6.1 6.12 $dbg >&2
log "ready: oracles in $oracle/bin, kernels in ${BTFKIT_DATA:-$HOME/.cache/btfkit/kernels}"
