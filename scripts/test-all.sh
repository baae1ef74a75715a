#!/usr/bin/env bash
# Every test: set up the oracles and real kernels (scripts/setup-test-env.sh), capture
# pahole's pre-dedup BTF (scripts/spy-capture.sh) and its non-split module BTF
# (scripts/pahole-alone-cache.sh), then the fast suite and every conformance suite
# against libbpf, bpftool and pahole on real kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
step() { printf '\n=== %s (t+%ds)\n' "$*" $((SECONDS - t0)); }

step "set-up: Debian packages, oracles, kernels"
bash scripts/setup-test-env.sh
step "capture pahole 1.30's pre-dedup BTF (dedup-spy)"
bash scripts/spy-capture.sh >&2
step "pahole 1.30's non-split module BTF (modules report reference)"
bash scripts/pahole-alone-cache.sh -j 2 >&2
step "build"
npm run --silent build
suites=(dist/test/unit/)
for d in conformance dedup encode; do [ -d "dist/test/$d" ] && suites+=("dist/test/$d/"); done
step "tests: ${suites[*]}"
node --test --test-concurrency=1 "${suites[@]}"
step "done"
