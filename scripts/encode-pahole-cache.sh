#!/usr/bin/env bash
# Cache pahole 1.30's BTF for the 6.1-dbg kernel tree, the reference of
# test/encode/kernel.test.ts:
#
#   ~/.cache/btfkit/pahole-1.30/vmlinux.btf            pahole -J --btf_features=default vmlinux
#   ~/.cache/btfkit/pahole-1.30/vmlinux.in.btf         the BTF pahole handed to btf__dedup (dedup-spy)
#   ~/.cache/btfkit/pahole-1.30/modules/REL.btf        each module, split on vmlinux.btf (--btf_base)
#
# Usage: scripts/encode-pahole-cache.sh [-j N] [--force]
# Needs the oracles (~/.cache/btf-oracle: pahole 1.30, dedup-spy.so) and the kernel
# cache (~/.cache/btfkit/kernels/6.1-dbg, scripts/fetch-kernels.sh). Takes about 70 s
# of CPU for the modules, 7 s for vmlinux. Existing files are kept unless --force.
set -euo pipefail
JOBS=1
FORCE=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -j) JOBS=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    *) echo "usage: $0 [-j N] [--force]" >&2; exit 2 ;;
  esac
done
ORACLE=${BTF_ORACLE_DIR:-$HOME/.cache/btf-oracle}
PAHOLE=$ORACLE/bin/pahole
SPY=$ORACLE/lib/dedup-spy.so
TREE=${BTFKIT_DATA:-$HOME/.cache/btfkit/kernels}/6.1-dbg
OUT=${BTFKIT_PAHOLE_CACHE:-$HOME/.cache/btfkit/pahole-1.30}
[[ $("$PAHOLE" --version) == v1.30* ]] || { echo "need pahole 1.30 at $PAHOLE" >&2; exit 1; }
[[ -e $TREE/vmlinux ]] || { echo "no kernel tree at $TREE" >&2; exit 1; }
mkdir -p "$OUT/modules"

if [[ $FORCE == 1 || ! -s $OUT/vmlinux.btf || ! -s $OUT/vmlinux.in.btf ]]; then
  spy=$(mktemp -d)
  rm -f "$OUT/vmlinux.btf"   # pahole does not truncate an existing output
  SPY_DIR=$spy LD_PRELOAD=$SPY "$PAHOLE" -J --btf_features=default -j1 \
    --btf_encode_detached="$OUT/vmlinux.btf" "$TREE/vmlinux" >/dev/null
  mv "$spy/1.in.btf" "$OUT/vmlinux.in.btf"
  rm -rf "$spy"
fi

export PAHOLE OUT TREE FORCE
one() {
  rel=${1#"$TREE/modules/"}
  dst=$OUT/modules/${rel%.ko}.btf
  [[ $FORCE == 0 && -e $dst ]] && return 0
  mkdir -p "$(dirname "$dst")"
  rm -f "$dst.tmp"
  if "$PAHOLE" -J --btf_features=default --btf_base "$OUT/vmlinux.btf" \
       --btf_encode_detached="$dst.tmp" "$1" >/dev/null 2>"$dst.err"; then
    mv "$dst.tmp" "$dst"
    rm -f "$dst.err"
  else
    echo "pahole failed on $rel (see $dst.err)" >&2
    rm -f "$dst.tmp"
  fi
}
export -f one
find -L "$TREE/modules" -name '*.ko' -print0 | sort -z | xargs -0 -n1 -P"$JOBS" bash -c 'one "$0"'
echo "cached in $OUT: vmlinux + $(find "$OUT/modules" -name '*.btf' | wc -l) modules"
