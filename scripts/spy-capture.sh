#!/usr/bin/env bash
# Captures what pahole 1.30 hands to libbpf's btf__dedup, and what dedup returned,
# for the 6.1 kernel with DWARF (scripts/fetch-kernels.sh --dbg): the inputs of
# btfkit's real-data dedup tests and benchmarks. Cached: a capture whose .done
# marker exists is not redone (delete it, or the directory, to redo it).
#
#   scripts/spy-capture.sh [vmlinux] [modules [N]]
#
# No argument: vmlinux and all modules. `modules N` captures an evenly spread
# sample of N modules (sorted by path, every (total/N)-th) instead of all 1121.
#
# Layout, SPY=${BTFKIT_SPY:-$HOME/.cache/btfkit/spy}:
#   SPY/vmlinux/{in,out}.btf       pahole -J --btf_features=default on 6.1-dbg/vmlinux
#   SPY/modules/base.btf           the base pahole used for every module (one copy)
#   SPY/modules/REL/{in,out}.btf   per module REL (path under modules/, .ko dropped),
#                                  pahole ... --btf_base 6.1/vmlinux.btf MODULE.ko
#   SPY/*/.done, SPY/timings.txt   markers; wall time of each phase
# Needs the oracles (../shared/oracle: modern.sh, build.sh) in
# ${BTF_ORACLE_DIR:-$HOME/.cache/btf-oracle}.
#
# Note: pahole builds BTF with libbpf's writer API, so libbpf skips string dedup on
# it ("strings deduped" flag); out.btf keeps pahole's string order. btfkit must be
# told the same (dedup option stringsDeduped) to reproduce out.btf from in.btf.
set -euo pipefail

PROG=spy-capture
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

DATA=${BTFKIT_DATA:-$HOME/.cache/btfkit/kernels}
SPY=${BTFKIT_SPY:-$HOME/.cache/btfkit/spy}
ORACLE=${BTF_ORACLE_DIR:-$HOME/.cache/btf-oracle}
PAHOLE=$ORACLE/bin/pahole
SPYLIB=$ORACLE/lib/dedup-spy.so
DBG=$DATA/6.1-dbg
BASE=$DATA/6.1/vmlinux.btf

[ -x "$PAHOLE" ] || die "no pahole at $PAHOLE (run ../shared/oracle/modern.sh)"
[ -f "$SPYLIB" ] || die "no dedup-spy.so at $SPYLIB (run ../shared/oracle/build.sh)"
[ -e "$DBG/vmlinux" ] || die "no $DBG/vmlinux (run scripts/fetch-kernels.sh --dbg)"

do_vmlinux=0 do_modules=0 sample=0
[ $# -eq 0 ] && { do_vmlinux=1; do_modules=1; }
while [ $# -gt 0 ]; do
  case $1 in
    vmlinux) do_vmlinux=1 ;;
    modules) do_modules=1; if [ $# -gt 1 ] && [[ $2 =~ ^[0-9]+$ ]]; then sample=$2; shift; fi ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done
mkdir -p "$SPY"

# run_spy DIR OUTFILE pahole-args...: one pahole run with the spy; leaves DIR/{in,out}.btf
run_spy() {
  local dir=$1 out=$2; shift 2
  local tmp=$dir/.spy
  rm -rf "$tmp" "$out"; mkdir -p "$tmp"   # pahole does not truncate an existing detached file
  SPY_DIR=$tmp LD_PRELOAD=$SPYLIB "$PAHOLE" "$@" --btf_encode_detached="$out" >/dev/null 2>"$tmp/log" \
    || { cat "$tmp/log" >&2; die "pahole failed on ${*: -1}"; }
  local n
  n=$(ls "$tmp"/*.in.btf 2>/dev/null | wc -l)
  [ "$n" = 1 ] || die "expected one btf__dedup call, saw $n (${*: -1})"
  mv "$tmp/1.in.btf" "$dir/in.btf"
  mv "$tmp/1.out.btf" "$dir/out.btf"
  if [ -f "$tmp/1.base.btf" ]; then
    cmp -s "$tmp/1.base.btf" "$SPY/modules/base.btf" || die "base handed to dedup differs from $SPY/modules/base.btf"
  fi
  cmp -s "$dir/out.btf" "$out" || die "pahole's output differs from what dedup returned (${*: -1})"
  rm -rf "$tmp" "$out"
}

if [ "$do_vmlinux" = 1 ] && [ ! -f "$SPY/vmlinux/.done" ]; then
  mkdir -p "$SPY/vmlinux"
  log "vmlinux: pahole -J on $(readlink -f "$DBG/vmlinux") ..."
  t0=$(date +%s.%N)
  run_spy "$SPY/vmlinux" "$SPY/vmlinux/pahole.btf" -J --btf_features=default "$DBG/vmlinux"
  t1=$(date +%s.%N)
  printf 'vmlinux %.1f s\n' "$(echo "$t1 - $t0" | bc)" >> "$SPY/timings.txt"
  touch "$SPY/vmlinux/.done"
  log "vmlinux done in $(echo "$t1 - $t0" | bc) s"
fi

if [ "$do_modules" = 1 ]; then
  mkdir -p "$SPY/modules"
  cp -f "$BASE" "$SPY/modules/base.btf"
  mapfile -t all < <(cd "$DBG/modules/" && find -L . -name '*.ko' | sed 's|^\./||' | LC_ALL=C sort)
  total=${#all[@]}
  [ "$total" -gt 0 ] || die "no modules under $DBG/modules"
  if [ "$sample" -gt 0 ] && [ "$sample" -lt "$total" ]; then
    pick=()
    for ((i = 0; i < sample; i++)); do pick+=("${all[$((i * total / sample))]}"); done
  else
    pick=("${all[@]}")
  fi
  log "modules: ${#pick[@]} of $total"
  t0=$(date +%s.%N)
  done_n=0 skipped=0
  for rel in "${pick[@]}"; do
    d=$SPY/modules/${rel%.ko}
    if [ -f "$d/.done" ]; then skipped=$((skipped + 1)); continue; fi
    mkdir -p "$d"
    run_spy "$d" "$d/pahole.btf" -J --btf_features=default --btf_base "$BASE" "$DBG/modules/$rel"
    touch "$d/.done"
    done_n=$((done_n + 1))
    [ $((done_n % 100)) = 0 ] && log "  $done_n captured"
  done
  t1=$(date +%s.%N)
  [ "$done_n" -gt 0 ] && printf 'modules %d %.1f s\n' "$done_n" "$(echo "$t1 - $t0" | bc)" >> "$SPY/timings.txt"
  log "modules: $done_n captured, $skipped cached, $(echo "$t1 - $t0" | bc) s"
fi
