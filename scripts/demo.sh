#!/usr/bin/env bash
# The main job on real data: btfkit on this machine's kernel BTF, or on the real
# sample shipped in the repo where the machine has none.
set -euo pipefail
cd "$(dirname "$0")/.."
btf=/sys/kernel/btf/vmlinux
if [ ! -r "$btf" ]; then
  btf=test/fixtures/real/vmlinux-6.1.btf.xz
  echo "(no /sys/kernel/btf/vmlinux here: using the shipped sample $btf)"
fi
echo "== btfkit stats $btf"
node bin/btfkit.js stats "$btf"
echo "== btfkit dump $btf (first lines; the whole dump equals 'bpftool btf dump file $btf format raw')"
node bin/btfkit.js dump "$btf" | head -n 12
