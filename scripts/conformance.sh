#!/usr/bin/env bash
# Runs the conformance suite the way CI does: fetches the kernels and sets up the
# oracles when they are missing (both steps are cached), builds, then runs
#   node --test --test-concurrency=1 dist/test/conformance/
# Extra arguments go to `node --test` (e.g. --test-reporter=spec).
#
#   scripts/conformance.sh [--test-reporter=spec]
#
# Env: BTFKIT_SHARED (default ../shared: the folder holding oracle/), BTF_ORACLE_DIR
# (default ~/.cache/btf-oracle), BTFKIT_DATA (kernels, default ~/.cache/btfkit/kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${BTFKIT_SHARED:-../shared}
oracle=${BTF_ORACLE_DIR:-$HOME/.cache/btf-oracle}

scripts/fetch-kernels.sh 6.1 6.12 >&2
if [ ! -x "$oracle/bin/bpftool" ] || [ ! -x "$oracle/bin/pahole" ]; then "$shared/oracle/modern.sh" "$oracle" >&2; fi
if [ ! -x "$oracle/bin/btfref" ]; then "$shared/oracle/build.sh" "$oracle" >&2; fi
npm run --silent build
start=$(date +%s)
status=0
node --test --test-concurrency=1 "$@" dist/test/conformance/ || status=$?
echo "conformance: $(( $(date +%s) - start )) s, exit $status" >&2
exit $status
