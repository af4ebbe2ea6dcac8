# shellcheck shell=bash
# Shared helpers for the host side of the kernel test scripts.
# Sourced, not executed: callers set `set -euo pipefail` themselves.

# Exit status the scripts use for "cannot run here" (automake's SKIP code).
readonly CDQ_SKIP_STATUS=77

# depmod and modprobe live in /sbin, which a non-root PATH usually lacks.
case ":$PATH:" in
  *:/usr/sbin:*) ;;
  *) PATH="$PATH:/usr/sbin:/sbin" ;;
esac

cdq_log() {
  echo "${CDQ_LOG_PREFIX:-cdq}: $*" >&2
}

# Print a loud SKIPPED banner and exit 77, so a caller (make, CI) can tell
# "could not run" apart from both success and failure.
cdq_skip() {
  {
    echo "======================================================================"
    echo "SKIPPED: $*"
    echo "======================================================================"
  } >&2
  exit "$CDQ_SKIP_STATUS"
}

# True when /bin/busybox (or busybox on PATH) is statically linked; a dynamic
# busybox would need its own libraries inside the guest.
cdq_static_busybox() {
  local bb
  for bb in /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null || true)"; do
    [ -n "$bb" ] && [ -x "$bb" ] || continue
    # ldd fails on static binaries, so test its output, not its status.
    case $(LC_ALL=C ldd "$bb" 2>&1 || true) in
      *"not a dynamic executable"* | *"statically linked"*)
        echo "$bb"
        return 0
        ;;
    esac
  done
  return 1
}

# apt-get update at most once per run, including child scripts.
cdq_apt_update_once() {
  [ "${CDQ_APT_UPDATED:-0}" = 1 ] && return 0
  cdq_log "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  export CDQ_APT_UPDATED=1
}

# cdq_require CMD:PACKAGE... — make sure each command exists, installing the
# Debian package that provides it when running as root. An absolute path
# instead of a command checks for that file; the pseudo-command
# "busybox-static" checks for a statically linked busybox.
# Returns 1 (after explaining what is missing) when it cannot fix things,
# leaving the missing package names in CDQ_MISSING.
# shellcheck disable=SC2034 # read by the scripts that source this file
CDQ_MISSING=""
cdq_require() {
  local pair cmd pkg missing=()
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    case " ${missing[*]} " in *" $pkg "*) continue ;; esac
    if [ "$cmd" = busybox-static ]; then
      cdq_static_busybox >/dev/null || missing+=("$pkg")
    elif [ "${cmd#/}" != "$cmd" ]; then
      [ -e "$cmd" ] || missing+=("$pkg")
    elif ! command -v "$cmd" >/dev/null 2>&1; then
      missing+=("$pkg")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  # shellcheck disable=SC2034
  CDQ_MISSING=${missing[*]}

  if [ "$(id -u)" -ne 0 ]; then
    cdq_log "missing Debian packages: ${missing[*]}"
    cdq_log "run as root, or install them first: apt-get install -y ${missing[*]}"
    return 1
  fi
  cdq_log "installing missing Debian packages: ${missing[*]}"
  if ! cdq_apt_update_once ||
     ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         "${missing[@]}" >&2; then
    cdq_log "apt-get install ${missing[*]} failed"
    return 1
  fi
}
