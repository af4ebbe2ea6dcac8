#!/usr/bin/env bash
# Prepare a Debian kernel for booting under QEMU and print the path of the
# directory holding it (last line of stdout). That directory contains:
#   vmlinuz              the kernel image
#   modules/             the NVMe driver modules and all their dependencies,
#                        decompressed (busybox insmod cannot read .ko.xz)
#   modules/load-order   their paths relative to modules/, in insmod order
#   kernel-version, package, suite
#
# The kernel package is fetched with `apt-get download` through a private apt
# state directory and unpacked with `dpkg-deb -x`: the host's apt sources and
# installed kernel are never touched.
#
# Environment:
#   CDQ_CACHE_DIR              cache root (default: <repo>/.cache)
#   CDQ_GUEST_KERNEL_SUITE     suite to try first (default: bookworm-backports,
#                              which ships 6.12; bookworm's 6.1 is the fallback)
#   CDQ_GUEST_KERNEL_REFRESH=1 ignore the cached kernel and resolve again
#   CDQ_GUEST_MODULES          modules to load (default: nvme; dependencies
#                              such as nvme-core and nvme-auth come along)
#
# Exit status: 0 on success, 77 when the kernel cannot be obtained here
# (missing tools and not root, download failure), 1 on other errors.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$SCRIPT_DIR")
CDQ_LOG_PREFIX=guest-kernel
# shellcheck source-path=SCRIPTDIR source=lib/host-packages.sh
. "$SCRIPT_DIR/lib/host-packages.sh"

CACHE_DIR=${CDQ_CACHE_DIR:-$REPO_DIR/.cache}
BASE=$CACHE_DIR/guest-kernel
PREFERRED_SUITE=${CDQ_GUEST_KERNEL_SUITE:-bookworm-backports}
MODULES=${CDQ_GUEST_MODULES:-nvme}
MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# Suites to try, preferred first; bookworm itself is always the last resort.
suites() {
  echo "$PREFERRED_SUITE"
  [ "$PREFERRED_SUITE" = bookworm ] || echo bookworm
}

# A previously prepared kernel, if it is complete and matches the wanted
# suite (or any suite when none was asked for explicitly).
cached_kernel() {
  local dir
  [ "${CDQ_GUEST_KERNEL_REFRESH:-0}" = 1 ] && return 1
  dir=$(readlink -f "$BASE/current" 2>/dev/null) || return 1
  [ -f "$dir/.complete" ] && [ -f "$dir/vmlinuz" ] || return 1
  if [ -n "${CDQ_GUEST_KERNEL_SUITE:-}" ] &&
     [ "$(cat "$dir/suite")" != "$CDQ_GUEST_KERNEL_SUITE" ]; then
    return 1
  fi
  echo "$dir"
}

# apt-get/apt-cache with every piece of state redirected into $BASE/apt/SUITE,
# so the host's sources, lists, pins and dpkg status play no part. The host's
# apt.conf.d still applies (proxies), minus its update hooks, which are meant
# for the host's own package lists. `-c` is read after apt.conf.d, so its
# #clear lines win.
private_apt() {
  local tool=$1 suite=$2
  shift 2
  "$tool" -c "$BASE/apt/$suite/apt.conf" "$@"
}

private_apt_init() {
  local suite=$1 dir=$BASE/apt/$1
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  echo "deb [signed-by=$KEYRING] $MIRROR $suite main" >"$dir/sources.list"
  : >"$dir/status"
  cat >"$dir/apt.conf" <<EOF
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Pre-Invoke;
#clear DPkg::Post-Invoke;
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "/dev/null";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "/dev/null";
Dir::State::Lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir/cache";
APT::Architecture "amd64";
#clear APT::Architectures;
APT::Architectures { "amd64"; };
Debug::NoLocking "true";
// Fetch as the invoking user: root's default, the _apt user, cannot write
// into a cache owned by someone else.
APT::Sandbox::User "$(id -un)";
EOF
}

# linux-image-amd64 is a metapackage; print the real linux-image-6.x package
# it depends on.
resolve_kernel_package() {
  private_apt apt-cache "$1" depends linux-image-amd64 |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1
}

# Download the kernel package for SUITE into $BASE/debs; print the .deb path.
download_kernel() {
  local suite=$1 pkg deb="" sum=""
  private_apt_init "$suite"
  cdq_log "resolving linux-image-amd64 in $suite"
  private_apt apt-get "$suite" -qq --error-on=any update >&2 || return 1
  pkg=$(resolve_kernel_package "$suite")
  [ -n "$pkg" ] || { cdq_log "no linux-image-amd64 in $suite"; return 1; }
  mkdir -p "$BASE/debs"
  # --print-uris line: 'URI' FILE SIZE SHA256:HASH
  read -r _ deb _ sum < <(private_apt apt-get "$suite" --print-uris download "$pkg") || true
  if [ -z "$deb" ]; then
    cdq_log "apt-get cannot locate $pkg"
    return 1
  fi
  # Reuse a .deb left by an earlier run only if it is intact.
  if [ "${sum#SHA256:}" != "$sum" ] && [ -f "$BASE/debs/$deb" ] &&
     echo "${sum#SHA256:}  $BASE/debs/$deb" | sha256sum --status -c -; then
    cdq_log "reusing $deb"
  else
    rm -f "$BASE/debs/$deb"
    cdq_log "downloading $pkg ($deb)"
    (cd "$BASE/debs" && private_apt apt-get "$suite" -qq download "$pkg" >&2) || return 1
  fi
  echo "$BASE/debs/$deb"
}

# Print the modules (absolute paths inside ROOT) to insmod, in order.
module_load_order() {
  local root=$1 kver=$2 mod
  for mod in $MODULES; do
    modprobe -d "$root" -S "$kver" --show-depends "$mod" |
      awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++'
}

# Unpack DEB for SUITE into $BASE/<kernel version>; set KERNEL_DIR to it.
unpack_kernel() {
  local deb=$1 suite=$2 tmp kver moddir mod rel out
  tmp=$(mktemp -d "$BASE/unpack.XXXXXX")
  UNPACK_TMP=$tmp
  cdq_log "unpacking $(basename "$deb")"
  dpkg-deb -x "$deb" "$tmp/root"
  # The package may ship modules under /lib or /usr/lib; depmod -b wants /lib.
  if [ ! -d "$tmp/root/lib/modules" ] && [ -d "$tmp/root/usr/lib/modules" ]; then
    ln -s usr/lib "$tmp/root/lib"
  fi
  kver=$(find "$tmp/root/lib/modules/" -mindepth 1 -maxdepth 1 -printf "%f\n" | head -n1)
  [ -n "$kver" ] && [ -f "$tmp/root/boot/vmlinuz-$kver" ] || {
    cdq_log "$deb: no kernel image or modules inside"
    return 1
  }
  moddir=$tmp/root/lib/modules/$kver
  # The package leaves modules.dep to its postinst; build it here.
  depmod -b "$tmp/root" "$kver"

  out=$tmp/out
  mkdir -p "$out/modules"
  cp "$tmp/root/boot/vmlinuz-$kver" "$out/vmlinuz"
  : >"$out/modules/load-order"
  while read -r mod; do
    mod=$(readlink -f "$mod")
    rel=${mod#"$(readlink -f "$moddir")"/}
    rel=${rel%.xz}
    rel=${rel%.zst}
    mkdir -p "$out/modules/$(dirname "$rel")"
    case $mod in
      *.xz) xz -dc "$mod" >"$out/modules/$rel" ;;
      *.zst) zstd -qdc "$mod" >"$out/modules/$rel" ;;
      *) cp "$mod" "$out/modules/$rel" ;;
    esac
    echo "$rel" >>"$out/modules/load-order"
  done < <(module_load_order "$tmp/root" "$kver")
  if ! grep -q '/nvme\.ko$' "$out/modules/load-order" &&
     ! grep -q '/nvme\.ko' "$moddir/modules.builtin"; then
    cdq_log "$kver: nvme driver is neither a module nor built in"
    return 1
  fi
  echo "$kver" >"$out/kernel-version"
  basename "$deb" .deb >"$out/package"
  echo "$suite" >"$out/suite"
  touch "$out/.complete"

  # Replace atomically so a concurrent reader never sees half a directory.
  rm -rf "${BASE:?}/$kver"
  mv "$out" "$BASE/$kver"
  ln -sfn "$kver" "$BASE/current"
  rm -rf "$tmp"
  KERNEL_DIR=$BASE/$kver
}

# Keep only the newest .deb; older ones are dead weight (~100 MB each).
prune_debs() {
  local keep=$1 f
  for f in "$BASE"/debs/*.deb; do
    [ -e "$f" ] && [ "$f" != "$keep" ] && rm -f "$f"
  done
  return 0
}

# Remove a half-unpacked tree if unpacking fails part-way.
UNPACK_TMP=""
KERNEL_DIR=""
cleanup() {
  [ -z "$UNPACK_TMP" ] || rm -rf "$UNPACK_TMP"
}

main() {
  local dir suite deb=""
  trap cleanup EXIT
  mkdir -p "$BASE"
  # Serialise concurrent runs (parallel make) on the shared cache.
  exec 9>"$BASE/.lock"
  flock 9

  if dir=$(cached_kernel); then
    echo "$dir"
    return 0
  fi

  cdq_require apt-get:apt dpkg-deb:dpkg xz:xz-utils depmod:kmod modprobe:kmod \
    "$KEYRING:debian-archive-keyring" sha256sum:coreutils ||
    cdq_skip "cannot prepare the guest kernel: missing Debian packages: $CDQ_MISSING"

  for suite in $(suites); do
    if deb=$(download_kernel "$suite") && [ -n "$deb" ]; then
      break
    fi
    cdq_log "could not get a kernel from $suite"
    deb=""
  done
  [ -n "$deb" ] ||
    cdq_skip "cannot download a Debian kernel package ($(suites | xargs | sed 's/ / or /g'))"

  unpack_kernel "$deb" "$suite"
  prune_debs "$deb"
  cdq_log "kernel $(cat "$KERNEL_DIR/kernel-version") from $suite ready"
  echo "$KERNEL_DIR"
}

main "$@"
