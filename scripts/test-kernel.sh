#!/usr/bin/env bash
# Run the project's binaries against a real Linux NVMe driver: boot a Debian
# kernel under QEMU (TCG, no KVM needed) with an emulated NVMe controller and
# a busybox initramfs that runs cdq-kernel-selftest and some cdqctl checks.
#
# usage: scripts/test-kernel.sh [--demo] BIN_DIR
#   BIN_DIR must contain the executables cdq-kernel-selftest and cdqctl.
#   --demo runs cdqctl against the guest's controller instead of the tests
#   (what `make demo` shows), judged the same way.
#
# The guest prints `kernel passthrough: N passed, M failed`; this script
# echoes the guest's test output, repeats that line last, and exits
#   0   the line was found with M = 0 and N > 0
#   1   tests failed, or the guest crashed, hung or timed out
#   2   usage error
#   77  QEMU, busybox or the kernel cannot be obtained here (SKIPPED)
#
# Environment:
#   CDQ_CACHE_DIR            cache root (default: <repo>/.cache); the console
#                            log of the last run is kept in test-kernel/ there
#   CDQ_QEMU_TIMEOUT         seconds before the whole VM is killed (300)
#   CDQ_GUEST_STEP_TIMEOUT   seconds each guest program may run (120)
#   CDQ_QEMU_CPU             QEMU -cpu model (max)
#   CDQ_INITRAMFS_GZIP=1     compress the initramfs with gzip -1
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$SCRIPT_DIR")
CDQ_LOG_PREFIX=test-kernel
# shellcheck source-path=SCRIPTDIR source=lib/host-packages.sh
. "$SCRIPT_DIR/lib/host-packages.sh"

CACHE_DIR=${CDQ_CACHE_DIR:-$REPO_DIR/.cache}
QEMU_TIMEOUT=${CDQ_QEMU_TIMEOUT:-300}
STEP_TIMEOUT=${CDQ_GUEST_STEP_TIMEOUT:-120}
QEMU_CPU=${CDQ_QEMU_CPU:-max}
SERIAL=CDQTEST0001
BINARIES=(cdq-kernel-selftest cdqctl)
START_MARKER='cdq-init: running cdq-kernel-selftest'
SUMMARY_RE='^kernel passthrough: ([0-9]+) passed, ([0-9]+) failed$'

WORK=""
cleanup() {
  [ -z "$WORK" ] || rm -rf "$WORK"
}

usage() {
  echo "usage: $0 [--demo] BIN_DIR   (BIN_DIR holds ${BINARIES[*]})" >&2
  exit 2
}

check_bin_dir() {
  local bin
  [ -d "$BIN_DIR" ] || { echo "test-kernel: $BIN_DIR is not a directory" >&2; usage; }
  for bin in "${BINARIES[@]}"; do
    [ -x "$BIN_DIR/$bin" ] || {
      echo "test-kernel: $BIN_DIR/$bin is missing or not executable" >&2
      exit 2
    }
  done
}

# Print the shared objects BIN needs (ldd already follows them transitively),
# including the dynamic loader. Fails when one cannot be found, since the
# binary would then not start in the guest either.
shared_libs() {
  local bin=$1 out
  if ! out=$(LC_ALL=C ldd "$bin" 2>&1); then
    case $out in
      *"not a dynamic executable"* | *"statically linked"*) return 0 ;;
    esac
    cdq_log "ldd $bin failed: $out"
    return 1
  fi
  if grep -q 'not found' <<<"$out"; then
    cdq_log "$bin: shared libraries not found on this host:"
    grep 'not found' <<<"$out" >&2
    return 1
  fi
  # "libx.so => /path (0x..)" and "/lib64/ld-linux-x86-64.so.2 (0x..)";
  # linux-vdso has no path and is provided by the kernel.
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out"
}

# Copy FILE into ROOT at the same absolute path, resolving symlinks, so that
# the loader's default paths and any RUNPATH find it where ldd did.
copy_at_same_path() {
  local root=$1 file=$2
  mkdir -p "$root$(dirname "$file")"
  cp -L "$file" "$root$file"
}

install_busybox() {
  local root=$1 bb applet
  bb=$(cdq_static_busybox)
  mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$bb" --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
}

install_modules() {
  local root=$1 kdir=$2
  mkdir -p "$root/lib/modules"
  cp -R "$kdir/modules/." "$root/lib/modules/"
}

# The selftest's stdout is a pipe in the guest, so C stdio (which Swift's
# print uses) would buffer it fully and a hung, killed selftest would show
# nothing. coreutils' stdbuf preload library makes it line-buffered; it is
# the same file `stdbuf -oL` uses, ldd-wise it needs only libc.
install_stdbuf() {
  local root=$1 lib=/usr/libexec/coreutils/libstdbuf.so
  [ -f "$lib" ] || return 0
  copy_at_same_path "$root" "$lib"
  echo "$lib"
}

# Copy the binaries and every library they load; print the library
# directories (for LD_LIBRARY_PATH in the guest).
install_binaries() {
  local root=$1 bin lib libs
  for bin in "${BINARIES[@]}"; do
    cp -L "$BIN_DIR/$bin" "$root/bin/$bin"
    libs=$(shared_libs "$BIN_DIR/$bin")
    for lib in $libs; do
      [ -e "$root$lib" ] || copy_at_same_path "$root" "$lib"
    done
    for lib in $libs; do dirname "$lib"; done
  done | sort -u | paste -sd:
}

# The guest's /init. Placeholders @...@ are filled in by write_init.
init_template() {
  cat <<'EOF'
#!/bin/sh
# Guest side of scripts/test-kernel.sh: load the NVMe driver, run the tests,
# print one summary line, power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export LD_LIBRARY_PATH=@LIBPATH@
export HOME=/root TMPDIR=/tmp
STEP_TIMEOUT=@STEP_TIMEOUT@
SERIAL=@SERIAL@
MODE=@MODE@
STDBUF_LIB=@STDBUF_LIB@
passed=0
failed=0

# The kernel's built-in /dev/console may be all there is before devtmpfs;
# reopen the console from devtmpfs so init always has working stdio.
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /tmp /root
mount -t tmpfs tmpfs /tmp

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

finish() {
  echo "kernel passthrough: $passed passed, $failed failed"
  sync
  poweroff -f
  sleep 10
}

load_modules() {
  while read -r mod; do
    [ -n "$mod" ] || continue
    insmod "/lib/modules/$mod" || echo "cdq-init: insmod $mod failed"
  done </lib/modules/load-order
}

# Bounded wait for the controller and namespace character devices.
wait_for_devices() {
  i=0
  while [ "$i" -lt 150 ]; do
    [ -c /dev/nvme0 ] && [ -c /dev/ng0n1 ] && return 0
    usleep 100000
    i=$((i + 1))
  done
  return 1
}

# Run ARGS with stdout line-buffered when the stdbuf library is available.
line_buffered() {
  if [ -n "$STDBUF_LIB" ]; then
    LD_PRELOAD=$STDBUF_LIB _STDBUF_O=L "$@"
  else
    "$@"
  fi
}

run_selftest() {
  echo "@START_MARKER@"
  { line_buffered timeout -s KILL "$STEP_TIMEOUT" /bin/cdq-kernel-selftest \
      --controller /dev/nvme0 --namespace /dev/ng0n1 --serial "$SERIAL" 2>&1
    echo $? >/tmp/selftest.rc
  } | tee /tmp/selftest.out
  rc=$(cat /tmp/selftest.rc)
  counts=$(sed -n 's/^selftest: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p' \
    /tmp/selftest.out | tail -n 1)
  if [ "$rc" = 137 ]; then
    fail selftest "killed after ${STEP_TIMEOUT}s (hung?)"
    return
  fi
  if [ -z "$counts" ]; then
    fail selftest "exited with status $rc without a 'selftest: N passed, M failed' line"
    return
  fi
  # shellcheck disable=SC2086 # split "N M" into two fields
  set -- $counts
  passed=$((passed + $1))
  failed=$((failed + $2))
  if [ "$rc" != 0 ] && [ "$2" = 0 ]; then
    fail selftest "exit status $rc although its summary reports no failures"
  elif [ "$rc" = 0 ] && [ "$2" != 0 ]; then
    fail selftest "exit status 0 although its summary reports $2 failures"
  fi
}

# cli_check NAME zero|nonzero TEXT CMD... : run CMD, show its output, and
# check its exit status and (unless TEXT is empty) that TEXT appears in it.
cli_check() {
  name=$1 want=$2 text=$3
  shift 3
  timeout -s KILL "$STEP_TIMEOUT" "$@" >/tmp/cli.out 2>&1
  rc=$?
  echo "\$ $* (exit $rc)"
  sed 's/^/  | /' /tmp/cli.out
  if [ "$rc" = 137 ]; then
    fail "$name" "killed after ${STEP_TIMEOUT}s (hung?)"
  elif [ "$want" = zero ] && [ "$rc" != 0 ]; then
    fail "$name" "exit status $rc, expected 0"
  elif [ "$want" = nonzero ] && [ "$rc" = 0 ]; then
    fail "$name" "exit status 0, expected non-zero"
  elif [ "$rc" -gt 128 ]; then
    fail "$name" "killed by signal $((rc - 128))"
  elif [ -n "$text" ] && ! grep -qF "$text" /tmp/cli.out; then
    fail "$name" "output lacks '$text'"
  else
    pass "$name"
  fi
}

run_cli_checks() {
  cli_check cli-create-cdq-rejected nonzero "Invalid Command Opcode" \
    /bin/cdqctl create-cdq /dev/nvme0 --cntlid 0 --entries 128
  cli_check cli-identify-json zero "$SERIAL" \
    /bin/cdqctl identify /dev/nvme0 --json
  cli_check cli-identify-missing-device nonzero "" \
    /bin/cdqctl identify /dev/does-not-exist
  cli_check cli-watch-without-rfc nonzero "this kernel has no NVME_IOCTL_CDQ (the CDQ RFC)" \
    /bin/cdqctl watch /dev/nvme0 --cntlid 0
  cli_check cli-create-cdq-exit-status-json nonzero '"status_name":"Invalid Command Opcode"' \
    /bin/cdqctl create-cdq /dev/nvme0 --cntlid 0 --json
  cli_check cli-migrate-without-rfc nonzero "this kernel has no NVME_IOCTL_CDQ (the CDQ RFC)" \
    /bin/cdqctl migrate /dev/nvme0 --cntlid 1 --source /dev/nvme0n1 --destination /tmp/migrated.img
  cli_check cli-migrate-geometry-from-source nonzero "agreeing with Identify Namespace on /dev/nvme0" \
    /bin/cdqctl migrate /dev/nvme0 --cntlid 1 --source /dev/nvme0n1 --destination /tmp/migrated.img
  cli_check cli-migrate-source-on-migratable nonzero "/dev/nvme0n1 is read through nvme0, CNTLID 0: the controller being migrated" \
    /bin/cdqctl migrate /dev/nvme0 --cntlid 0 --source /dev/nvme0n1 --destination /tmp/migrated.img
  cli_check cli-cleanup-nothing-left zero '"deleted":[]' \
    /bin/cdqctl cleanup /dev/nvme0 --json
  cli_check cli-watch-simulated zero "changes, 0 overflows" \
    /bin/cdqctl watch --simulate --cntlid 1 --seconds 1 --write-rate 50
}

# What `make demo` shows: cdqctl on a real NVMe driver, errors by name.
run_demo() {
  echo "@START_MARKER@"
  cli_check demo-identify zero "$SERIAL" \
    /bin/cdqctl identify /dev/nvme0 --namespace 1
  cli_check demo-identify-json zero '"serial":' \
    /bin/cdqctl identify /dev/nvme0 --json
  cli_check demo-create-cdq nonzero "Invalid Command Opcode" \
    /bin/cdqctl create-cdq /dev/nvme0 --cntlid 0 --entries 128
  cli_check demo-create-cdq-ioctl nonzero "NVME_IOCTL_CDQ" \
    /bin/cdqctl create-cdq /dev/nvme0 --cntlid 0 --ioctl
  cli_check demo-watch nonzero "NVME_IOCTL_CDQ" \
    /bin/cdqctl watch /dev/nvme0 --cntlid 0
}

load_modules
if wait_for_devices; then
  if [ "$MODE" = demo ]; then
    run_demo
  else
    run_selftest
    run_cli_checks
  fi
else
  echo "@START_MARKER@"
  fail nvme-devices "/dev/nvme0 or /dev/ng0n1 did not appear within 15s"
  ls -l /dev/nvme* /dev/ng* 2>&1
  dmesg | grep -i nvme | tail -n 20
fi
finish
EOF
}

write_init() {
  local root=$1 libpath=$2 stdbuf_lib=$3
  init_template | sed \
    -e "s|@STDBUF_LIB@|$stdbuf_lib|" \
    -e "s|@LIBPATH@|$libpath|" \
    -e "s|@STEP_TIMEOUT@|$STEP_TIMEOUT|" \
    -e "s|@SERIAL@|$SERIAL|" \
    -e "s|@MODE@|$MODE|" \
    -e "s|@START_MARKER@|$START_MARKER|" >"$root/init"
  chmod 755 "$root/init"
}

# Build the initramfs from scratch; print its path.
build_initramfs() {
  local kdir=$1 root=$WORK/root libpath out=$WORK/initramfs.cpio
  mkdir -p "$root"/{dev,proc,sys,tmp,root,etc}
  install_busybox "$root"
  install_modules "$root" "$kdir"
  libpath=$(install_binaries "$root")
  write_init "$root" "$libpath" "$(install_stdbuf "$root")"
  # Uncompressed by default: the Swift binaries are large and the kernel
  # unpacks a plain cpio faster than host gzip plus guest gunzip.
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
  if [ "${CDQ_INITRAMFS_GZIP:-0}" = 1 ]; then
    gzip -1 "$out"
    out=$out.gz
  fi
  echo "$out"
}

run_qemu() {
  local kdir=$1 initrd=$2 img=$WORK/nvme.img log=$3
  truncate -s 64M "$img"
  # -nic none: no default NIC, so no option ROM to load and nothing to probe.
  # -cpu max: the default qemu64 model lacks e.g. PCLMULQDQ, which 6.1's
  # crct10dif-pclmul (an NVMe dependency there) wants; userland built for
  # baseline x86-64, Swift's runtime included, runs on either model.
  timeout -k 10 "$QEMU_TIMEOUT" qemu-system-x86_64 \
    -accel tcg -cpu "$QEMU_CPU" -m 1G -smp 1 \
    -nographic -no-reboot -nic none \
    -kernel "$kdir/vmlinuz" -initrd "$initrd" \
    -append 'console=ttyS0 panic=-1 rdinit=/init quiet' \
    -drive "file=$img,if=none,id=nvm,format=raw" \
    -device "nvme,serial=$SERIAL,drive=nvm" \
    </dev/null >"$log" 2>&1
}

# Echo the guest's output from the start marker on, then judge the summary.
report() {
  local log=$1 qemu_rc=$2 clean=$WORK/console-clean.txt summary started
  # Serial output has CRLF line ends and may carry terminal escapes.
  tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' >"$clean"
  summary=$(grep -E "$SUMMARY_RE" "$clean" | tail -n 1 || true)
  started=no
  if grep -qF "$START_MARKER" "$clean"; then
    started=yes
    sed -n "\|$START_MARKER|,\$p" "$clean" | grep -vE "$SUMMARY_RE" |
      sed "/reboot: Power down/,\$d" | grep -vF "$START_MARKER" || true
  fi
  if [ -z "$summary" ]; then
    echo "test-kernel: FAILED: the guest never printed the 'kernel passthrough:' summary"
    case $qemu_rc in
      124 | 137) echo "test-kernel: QEMU was killed after ${QEMU_TIMEOUT}s (guest hung?)" ;;
      0) echo "test-kernel: QEMU exited (kernel panic or init crash?)" ;;
      *) echo "test-kernel: QEMU exited with status $qemu_rc" ;;
    esac
    # Output after the start marker is shown above already; otherwise the
    # boot messages are what explains the failure.
    if [ "$started" = no ]; then
      echo "test-kernel: the guest never started the selftest; last 40 console lines:"
      tail -n 40 "$clean" | sed 's/^/  > /'
    fi
    echo "test-kernel: full console log: $log"
    return 1
  fi
  [[ $summary =~ $SUMMARY_RE ]]
  if [ "${BASH_REMATCH[2]}" -ne 0 ]; then
    echo "test-kernel: FAILED: ${BASH_REMATCH[2]} guest check(s) failed" >&2
  elif [ "${BASH_REMATCH[1]}" -eq 0 ]; then
    echo "test-kernel: FAILED: the guest ran no checks" >&2
  fi
  echo "$summary"
  [ "${BASH_REMATCH[1]}" -gt 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]
}

main() {
  local kdir initrd log rc=0 started
  MODE=test
  if [ "${1:-}" = --demo ]; then
    MODE=demo
    shift
  fi
  [ "$#" -eq 1 ] || usage
  BIN_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "test-kernel: no such directory: $1" >&2; usage; }
  check_bin_dir

  cdq_require qemu-system-x86_64:qemu-system-x86 cpio:cpio \
    busybox-static:busybox-static timeout:coreutils ||
    cdq_skip "missing Debian packages: $CDQ_MISSING (see messages above)"

  # guest-kernel.sh skips (77) by itself when it cannot get a kernel.
  kdir=$("$SCRIPT_DIR/guest-kernel.sh" | tail -n 1) || {
    rc=$?
    [ "$rc" -eq "$CDQ_SKIP_STATUS" ] && cdq_skip "no guest kernel (see messages above)"
    cdq_log "scripts/guest-kernel.sh failed with status $rc"
    exit 1
  }
  [ -f "$kdir/vmlinuz" ] || { cdq_log "no vmlinuz in '$kdir'"; exit 1; }

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdq-test-kernel.XXXXXX")
  trap cleanup EXIT
  mkdir -p "$CACHE_DIR/test-kernel"
  log=$CACHE_DIR/test-kernel/console.log

  started=$SECONDS
  initrd=$(build_initramfs "$kdir")
  cdq_log "booting $(cat "$kdir/kernel-version") with $(du -h "$initrd" | cut -f1) initramfs (QEMU TCG, timeout ${QEMU_TIMEOUT}s)"
  run_qemu "$kdir" "$initrd" "$WORK/console.log" || rc=$?
  # Keep the log of the last run; written whole so parallel runs never mix.
  cp "$WORK/console.log" "$log.$$" && mv -f "$log.$$" "$log"
  cdq_log "guest finished in $((SECONDS - started))s; console log: $log"
  report "$log" "$rc"
}

main "$@"
