#!/usr/bin/env bash
# Downloads real Debian kernels with `apt-get download` and lays them out for
# btfkit's tests and benchmarks. Cached and idempotent: a kernel whose .done
# marker exists is never fetched again (delete DIR/.done, or DIR, to refetch).
#
#   scripts/fetch-kernels.sh [6.1] [6.12] [--dbg]
#
# With no kernel argument both 6.1 and 6.12 are fetched. --dbg (or
# BTFKIT_FETCH_DBG=1) also fetches the -dbg package matching 6.1 (~280 MB .deb).
#
# Layout, DATA=${BTFKIT_DATA:-$HOME/.cache/btfkit/kernels}:
#   DATA/6.1/     linux-image-cloud-amd64 from the system's bookworm sources
#   DATA/6.12/    linux-image-cloud-amd64 from bookworm-backports (private apt config)
#   DATA/6.1-dbg/ linux-image-<6.1 ABI>-cloud-amd64-dbg (only with --dbg)
# Each kernel DIR holds:
#   root/         the package, extracted with dpkg-deb -x
#   vmlinuz       -> root/boot/vmlinuz-<release>      (not in 6.1-dbg)
#   vmlinux       ELF decompressed from the bzImage    (6.1-dbg: -> DWARF vmlinux)
#   vmlinux.btf   raw .BTF section of vmlinux (starts with 9f eb)
#   modules       -> root/.../lib/modules/<release>/kernel  (.ko, or .ko.xz on 6.12)
#   VERSION       "<package> <version>" and "release <uname -r>"
#   .done         written last; its presence means the kernel is complete
# .debs are downloaded into DATA/debs and removed after a successful extraction
# unless BTFKIT_KEEP_DEBS is set. Messages go to stderr; the final summary (one
# line per kernel) goes to stdout.
set -euo pipefail

PROG=fetch-kernels
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
trap 'rc=$?; printf "%s: error: command failed (exit %d) at line %d: %s\n" "$PROG" "$rc" "$LINENO" "$BASH_COMMAND" >&2; exit "$rc"' ERR

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

# ---------------------------------------------------------------- arguments
want61=0 want612=0 wantdbg=0
[ "${BTFKIT_FETCH_DBG:-0}" = 1 ] && wantdbg=1
for a in "$@"; do
  case $a in
    6.1) want61=1 ;;
    6.12) want612=1 ;;
    --dbg) wantdbg=1 ;;
    -h|--help) usage 0 ;;
    *) log "unknown argument: $a"; usage 2 ;;
  esac
done
if [ "$want61" = 0 ] && [ "$want612" = 0 ]; then want61=1 want612=1; fi

DATA=${BTFKIT_DATA:-$HOME/.cache/btfkit/kernels}
export LC_ALL=C

# ---------------------------------------------------------------- tools
need_pkgs=()
for t in dpkg-deb apt-get apt-cache; do
  command -v "$t" >/dev/null || die "$t not found: this script needs Debian's dpkg and apt"
done
for tp in zstd:zstd xz:xz-utils gzip:gzip lz4:lz4 objcopy:binutils readelf:binutils od:coreutils flock:util-linux; do
  command -v "${tp%%:*}" >/dev/null || need_pkgs+=("${tp#*:}")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
  [ "$(id -u)" = 0 ] || die "missing tools; install as root: apt-get install ${need_pkgs[*]}"
  log "installing ${need_pkgs[*]}"
  out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" 2>&1) \
    || { printf '%s\n' "$out" >&2; die "apt-get install ${need_pkgs[*]} failed"; }
  for tp in zstd xz gzip lz4 objcopy readelf od flock; do
    command -v "$tp" >/dev/null || die "$tp still missing after apt-get install ${need_pkgs[*]}"
  done
fi

mkdir -p "$DATA/debs" 2>/dev/null || die "cannot create $DATA/debs (set BTFKIT_DATA?)"
# One fetcher at a time per DATA dir (tests may start several in parallel).
exec 9>"$DATA/.lock"
flock 9

# ---------------------------------------------------------------- apt helpers
# As root apt drops to the _apt user for downloads, which cannot write into
# $HOME; download as root instead of warning about it.
APT_ROOT_OPTS=()
[ "$(id -u)" = 0 ] && APT_ROOT_OPTS=(-o APT::Sandbox::User=root)

# Private apt configuration for bookworm-backports: own sources.list, lists and
# cache; the system's sources, lists and hooks are left alone.
BPO_OPTS=()
bpo_setup() {
  local d=$DATA/apt
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
    > "$d/sources.list"
  # Don't run the system's update hooks (packagekit, appstream) for our lists.
  printf '#clear APT::Update::Post-Invoke-Success;\n#clear APT::Update::Post-Invoke;\n' > "$d/apt.conf"
  BPO_OPTS=(-c "$d/apt.conf"
    -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null -o Dir::Etc::Preferences=/dev/null
    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache"
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    "${APT_ROOT_OPTS[@]}")
  log "updating private apt lists for bookworm-backports ($d)"
  local out
  out=$(apt-get "${BPO_OPTS[@]}" update -q 2>&1) \
    || { printf '%s\n' "$out" >&2; die "apt-get update for bookworm-backports failed"; }
}

# resolve_kernel OPTS... -> prints "PKG VERSION": the linux-image-<abi>-cloud-amd64
# package the candidate linux-image-cloud-amd64 metapackage depends on.
resolve_kernel() {
  local meta=linux-image-cloud-amd64 mver pkg ver
  mver=$(apt-cache "$@" policy "$meta" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$mver" ] && [ "$mver" != "(none)" ] || die "no candidate for $meta in these apt sources (apt-get update?)"
  pkg=$(apt-cache "$@" depends "$meta=$mver" 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
  [ -n "$pkg" ] || die "$meta $mver has no linux-image-<version> dependency"
  ver=$(apt-cache "$@" policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
  [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate version for $pkg"
  echo "$pkg $ver"
}

# fetch_deb PKG VER OPTS... -> prints the path of PKG_VER_*.deb in DATA/debs,
# downloading it unless a valid copy is already there.
fetch_deb() {
  local pkg=$1 ver=$2; shift 2
  local f
  for f in "$DATA/debs/${pkg}_${ver//:/%3a}_"*.deb; do
    if [ -f "$f" ] && dpkg-deb --info "$f" >/dev/null 2>&1; then
      log "using cached $(basename "$f")"; echo "$f"; return
    fi
  done
  local tmp out t0=$SECONDS
  tmp=$(mktemp -d "$DATA/debs/.dl.XXXXXX")
  log "downloading $pkg=$ver"
  out=$(cd "$tmp" && apt-get "$@" "${APT_ROOT_OPTS[@]}" download -q "$pkg=$ver" 2>&1) \
    || { rm -rf "$tmp"; printf '%s\n' "$out" >&2; die "apt-get download $pkg=$ver failed"; }
  f=$(find "$tmp" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
  [ -n "$f" ] || { rm -rf "$tmp"; die "apt-get download $pkg=$ver produced no .deb"; }
  mv "$f" "$DATA/debs/"
  rm -rf "$tmp"
  f=$DATA/debs/$(basename "$f")
  log "downloaded $(basename "$f") ($(stat -c %s "$f") bytes, $((SECONDS - t0))s)"
  echo "$f"
}

# ---------------------------------------------------------------- ELF helpers
is_elf() { [ "$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')" = 7f454c46 ]; }

# has_section ELF NAME (no grep -q: with pipefail, readelf would get SIGPIPE)
has_section() { readelf -SW "$1" 2>/dev/null | grep -F " $2 " >/dev/null; }

# A complete ELF: right magic, readable header and section headers (a truncated
# decompression loses the section header table, which sits at the end).
valid_elf() {
  is_elf "$1" && readelf -h "$1" >/dev/null 2>&1 && has_section "$1" .text
}

# decompress_at FILE OFFSET LENGTH FORMAT OUT: decompress FORMAT data starting
# at byte OFFSET (LENGTH bytes, or to the end of file if empty) into OUT.
# Trailing data after the stream (the bzImage appends the uncompressed size and
# more) makes the decompressors complain; that is tolerated, the result is judged
# by valid_elf alone.
decompress_at() {
  local file=$1 off=$2 len=$3 fmt=$4 out=$5 cmd
  case $fmt in
    zstd) cmd=(zstd -dcq) ;;
    xz)   cmd=(xz -dcq --single-stream) ;;
    gzip) cmd=(gzip -dcq) ;;
    lz4)  cmd=(lz4 -dcq) ;;
    *) return 1 ;;
  esac
  if [ -n "$len" ]; then
    tail -c +"$((off + 1))" "$file" | head -c "$len" | "${cmd[@]}" > "$out" 2>/dev/null || true
  else
    tail -c +"$((off + 1))" "$file" | "${cmd[@]}" > "$out" 2>/dev/null || true
  fi
  valid_elf "$out"
}

fmt_of_magic() {
  case $1 in
    28b52ffd*) echo zstd ;;
    fd377a585a00*) echo xz ;;
    1f8b08*) echo gzip ;;
    02214c18*) echo lz4 ;;
    *) echo unknown ;;
  esac
}

# extract_vmlinux BZIMAGE OUT: the ELF vmlinux inside an x86 bzImage.
# Debian's bookworm 6.1 kernels are LZ4 (legacy frame, 02 21 4c 18), not zstd.
extract_vmlinux() {
  local bz=$1 out=$2 tmp=$2.tmp
  # 1. The boot protocol header says exactly where the payload is:
  #    setup_sects @0x1f1, "HdrS" @0x202, payload_offset/length @0x248/0x24c,
  #    the payload offset being relative to the protected-mode code at
  #    (setup_sects+1)*512.
  if [ "$(od -An -c -j 0x202 -N4 "$bz" | tr -d ' ')" = HdrS ]; then
    local ss poff plen start magic fmt
    ss=$(od -An -tu1 -j 0x1f1 -N1 "$bz" | tr -d ' ')
    [ "$ss" = 0 ] && ss=4
    poff=$(od -An -tu4 --endian=little -j 0x248 -N4 "$bz" | tr -d ' ')
    plen=$(od -An -tu4 --endian=little -j 0x24c -N4 "$bz" | tr -d ' ')
    start=$(( (ss + 1) * 512 + poff ))
    magic=$(od -An -tx1 -j "$start" -N6 "$bz" | tr -d ' \n')
    fmt=$(fmt_of_magic "$magic")
    if [ "$fmt" != unknown ] && decompress_at "$bz" "$start" "$plen" "$fmt" "$tmp"; then
      log "$(basename "$bz"): $fmt payload at offset $start ($plen bytes) -> vmlinux"
      mv "$tmp" "$out"; return 0
    fi
    log "$(basename "$bz"): payload at $start (magic $magic) did not decompress to an ELF; scanning"
  fi
  # 2. Fallback: scan for the compressed stream's magic and try each hit.
  local fmt pat hit
  for fmt in zstd xz lz4 gzip; do
    case $fmt in
      zstd) pat='\x28\xb5\x2f\xfd' ;;
      xz)   pat='\xfd\x37\x7a\x58\x5a\x00' ;;
      gzip) pat='\x1f\x8b\x08' ;;
      lz4)  pat='\x02\x21\x4c\x18' ;;
    esac
    for hit in $({ grep -obUaP "$pat" "$bz" || true; } | cut -d: -f1 | head -n 20); do
      if decompress_at "$bz" "$hit" "" "$fmt" "$tmp"; then
        log "$(basename "$bz"): $fmt stream at offset $hit -> vmlinux"
        mv "$tmp" "$out"; return 0
      fi
    done
  done
  rm -f "$tmp"
  die "no zstd/xz/lz4/gzip stream in $bz decompresses to an ELF vmlinux"
}

# extract_btf ELF OUT: the raw .BTF section, copied from the file offset and
# size in the section header table. (objcopy -O binary --only-section=.BTF
# --set-section-flags .BTF=alloc is wrong here: in Debian's vmlinux .BTF is
# already SHF_ALLOC inside the kernel's first PT_LOAD and objcopy 2.40 emits
# 42 MB of zero padding; without --set-section-flags it works, but this does
# not depend on the section's flags at all.)
extract_btf() {
  local elf=$1 out=$2 tmp=$2.tmp off size
  read -r off size < <(readelf -SW "$elf" | awk '{sub(/^ *\[ *[0-9]+\] */, "")} $1 == ".BTF" {print $4, $5}')
  [ -n "${size:-}" ] || die "$elf has no .BTF section"
  off=$((16#$off)) size=$((16#$size))
  dd if="$elf" of="$tmp" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$size" status=none
  [ "$(stat -c %s "$tmp")" = "$size" ] || die "$tmp: $(stat -c %s "$tmp") bytes, .BTF section has $size"
  [ "$(od -An -tx1 -N2 "$tmp" | tr -d ' \n')" = 9feb ] || die "$tmp: .BTF does not start with 9f eb"
  mv "$tmp" "$out"
}

# modules_dir ROOT [SUBDIR] -> the lib/modules/<release> dir under ROOT[/SUBDIR]
modules_dir() {
  local d
  for d in "$1"/usr/lib/debug/lib/modules/* "$1"/usr/lib/debug/usr/lib/modules/* \
           "$1"/lib/modules/* "$1"/usr/lib/modules/*; do
    case ${2:-} in
      dbg) [[ $d == */usr/lib/debug/* ]] || continue ;;
      *)   [[ $d == */usr/lib/debug/* ]] && continue ;;
    esac
    [ -d "$d/kernel" ] && { echo "$d"; return; }
  done
  return 1
}

count_modules() {
  find -L "$1/modules" -type f \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \) | wc -l
}

# ---------------------------------------------------------------- kernels
# prepare_kernel NAME PKG VER KIND OPTS...: KIND is "image" or "dbg".
prepare_kernel() {
  local name=$1 pkg=$2 ver=$3 kind=$4; shift 4
  local dir=$DATA/$name deb t0=$SECONDS
  log "$name: $pkg $ver"
  deb=$(fetch_deb "$pkg" "$ver" "$@")
  rm -rf "$dir"
  mkdir -p "$dir/root"
  log "$name: extracting $(basename "$deb")"
  dpkg-deb -x "$deb" "$dir/root"

  local md rel
  if [ "$kind" = dbg ]; then
    md=$(modules_dir "$dir/root" dbg) || die "$name: no usr/lib/debug/.../lib/modules/<release>/kernel in $pkg"
    rel=$(basename "$md")
    local v
    for v in "$dir/root/usr/lib/debug/boot/vmlinux-$rel" "$md/vmlinux" "$dir/root/usr/lib/debug/vmlinux-$rel"; do
      if [ -f "$v" ]; then ln -sfn "${v#"$dir"/}" "$dir/vmlinux"; break; fi
    done
    [ -e "$dir/vmlinux" ] || die "$name: no DWARF vmlinux in $pkg"
    valid_elf "$dir/vmlinux" || die "$name: $(readlink "$dir/vmlinux") is not a complete ELF"
    has_section "$dir/vmlinux" .debug_info || die "$name: vmlinux has no .debug_info"
  else
    md=$(modules_dir "$dir/root") || die "$name: no lib/modules/<release>/kernel in $pkg"
    rel=$(basename "$md")
    local bz=$dir/root/boot/vmlinuz-$rel
    [ -f "$bz" ] || bz=$(find "$dir/root/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
    [ -f "$bz" ] || die "$name: no boot/vmlinuz-* in $pkg"
    ln -sfn "${bz#"$dir"/}" "$dir/vmlinuz"
    extract_vmlinux "$bz" "$dir/vmlinux"
  fi
  ln -sfn "${md#"$dir"/}/kernel" "$dir/modules"
  if has_section "$dir/vmlinux" .BTF; then
    extract_btf "$dir/vmlinux" "$dir/vmlinux.btf"
  else
    [ "$kind" = dbg ] || die "$name: vmlinux has no .BTF section"
  fi
  printf '%s %s\nrelease %s\n' "$pkg" "$ver" "$rel" > "$dir/VERSION"
  [ "$(count_modules "$dir")" -gt 0 ] || die "$name: no modules under $dir/modules"
  date -u +%FT%TZ > "$dir/.done"
  if [ -z "${BTFKIT_KEEP_DEBS+x}" ]; then rm -f "$deb"; fi
  log "$name: done in $((SECONDS - t0))s"
}

T0=$SECONDS
order=()
[ "$want61" = 1 ] && order+=(6.1)
[ "$want612" = 1 ] && order+=(6.12)
[ "$wantdbg" = 1 ] && order+=(6.1-dbg)

for k in "${order[@]}"; do
  [ -f "$DATA/$k/.done" ] && continue
  case $k in
    6.1)
      kv=$(resolve_kernel); read -r pkg ver <<<"$kv"
      prepare_kernel 6.1 "$pkg" "$ver" image ;;
    6.12)
      bpo_setup
      kv=$(resolve_kernel "${BPO_OPTS[@]}"); read -r pkg ver <<<"$kv"
      case $pkg in *bpo*|linux-image-6.1[2-9]*|linux-image-[7-9]*) ;; *)
        die "bookworm-backports resolved to $pkg $ver, expected a 6.12+ backport" ;; esac
      prepare_kernel 6.12 "$pkg" "$ver" image "${BPO_OPTS[@]}" ;;
    6.1-dbg)
      # Must match the 6.1 image: reuse its package if it is already there.
      if [ -f "$DATA/6.1/.done" ]; then
        read -r pkg ver < "$DATA/6.1/VERSION"
      else
        kv=$(resolve_kernel); read -r pkg ver <<<"$kv"
      fi
      prepare_kernel 6.1-dbg "$pkg-dbg" "$ver" dbg ;;
  esac
done

for k in "${order[@]}"; do
  dir=$DATA/$k
  if [ -f "$dir/vmlinux.btf" ]; then btf="$(stat -c %s "$dir/vmlinux.btf") bytes"; else btf="- bytes"; fi
  printf '%s  %d modules  vmlinux.btf %s\n' "$dir" "$(count_modules "$dir")" "$btf"
done
[ $((SECONDS - T0)) -gt 2 ] && log "total $((SECONDS - T0))s"
exit 0
