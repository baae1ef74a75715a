#!/usr/bin/env bash
# Cache pahole 1.30's non-split BTF of every module of the 6.1 -dbg tree, the reference
# of `modules report`'s DWARF method (test/conformance/modules-report.test.ts):
#
#   ~/.cache/btfkit/pahole-1.30/modules-alone/REL.btf
#       pahole -J --btf_features=default --btf_encode_detached=REL.btf MODULE.ko
#       (no --btf_base: the module's BTF deduplicated on its own)
#
# (The split references, `--btf_base 6.1/vmlinux.btf`, are scripts/spy-capture.sh's
# ~/.cache/btfkit/spy/modules/REL/out.btf.)
#
# Usage: scripts/pahole-alone-cache.sh [-j N] [--force]
#   -j N     pahole processes at a time (default 2)
#   --force  redo every output
# An output newer than its module and than pahole is up to date and kept. About 70 s
# of CPU for all 1121 modules. Needs pahole 1.30 (~/.cache/btf-oracle, see
# scripts/setup-test-env.sh) and the kernel cache (scripts/fetch-kernels.sh --dbg).
# Exit code 1 if pahole failed on any module (its stderr is left in REL.btf.err).
set -euo pipefail
JOBS=2
FORCE=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -j) JOBS=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) echo "usage: $0 [-j N] [--force]" >&2; exit 2 ;;
  esac
done
ORACLE=${BTF_ORACLE_DIR:-$HOME/.cache/btf-oracle}
PAHOLE=$ORACLE/bin/pahole
TREE=${BTFKIT_DATA:-$HOME/.cache/btfkit/kernels}/6.1-dbg/modules
OUT=${BTFKIT_PAHOLE_CACHE:-$HOME/.cache/btfkit/pahole-1.30}/modules-alone
[[ -x $PAHOLE && $("$PAHOLE" --version) == v1.30* ]] || { echo "need pahole 1.30 at $PAHOLE (scripts/setup-test-env.sh)" >&2; exit 1; }
[[ -d $TREE/ ]] || { echo "no module tree at $TREE (scripts/fetch-kernels.sh 6.1 --dbg)" >&2; exit 1; }
mkdir -p "$OUT"
t0=$SECONDS

export PAHOLE OUT TREE FORCE
one() {
  local rel=${1#"$TREE/"}
  local dst=$OUT/${rel%.ko}.btf
  [[ $FORCE == 0 && $dst -nt $1 && $dst -nt $PAHOLE ]] && return 0
  mkdir -p "$(dirname "$dst")"
  rm -f "$dst.tmp" # pahole does not truncate an existing output
  if "$PAHOLE" -J --btf_features=default --btf_encode_detached="$dst.tmp" "$1" >/dev/null 2>"$dst.err"; then
    mv "$dst.tmp" "$dst"
    rm -f "$dst.err"
    echo made
  else
    echo "pahole failed on $rel (see $dst.err)" >&2
    rm -f "$dst.tmp" "$dst"
  fi
}
export -f one
made=$(find -L "$TREE/" -name '*.ko' -print0 | sort -z | xargs -0 -n1 -P"$JOBS" bash -c 'one "$0"' | wc -l)
total=$(find "$OUT" -name '*.btf' | wc -l)
failed=$(find "$OUT" -name '*.btf.err' | wc -l)
echo "pahole-alone-cache: $OUT: $total modules ($made made in $((SECONDS - t0)) s), $failed failed" >&2
[[ $failed == 0 ]]
