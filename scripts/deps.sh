#!/usr/bin/env bash
# Installs the Debian packages a make target needs, or says exactly which
# are missing when it cannot (not root). Usage: deps.sh build|kernel-test
set -euo pipefail

case "${1:-build}" in
  build)       packages=(liburing-dev pkg-config) ;;
  kernel-test) packages=(qemu-system-x86 busybox-static cpio xz-utils) ;;
  *) echo "usage: $0 build|kernel-test" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  # The kernel test decides itself whether it can run without them.
  [ "$1" = kernel-test ] && exit 0
  exit 1
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null || {
    echo "apt-get install ${missing[*]} failed" >&2
    [ "$1" = kernel-test ] && exit 0
    exit 1
  }
fi
