#!/usr/bin/env bash
# Runs test-kernel.sh for a make target and turns its "cannot run here"
# status (77) into a loud skip: the run neither fails the build on a
# machine that genuinely cannot boot a guest, nor passes silently.
# usage: kernel-guest.sh test|demo BIN_DIR
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mode=$1 bin_dir=$2
args=("$bin_dir")
[ "$mode" = demo ] && args=(--demo "$bin_dir")

status=0
"$SCRIPT_DIR/test-kernel.sh" "${args[@]}" || status=$?
if [ "$status" -eq 77 ]; then
  echo "################################################################"
  echo "# SKIPPED: make $([ "$mode" = demo ] && echo demo || echo test-kernel) could not boot the QEMU guest here (see above)"
  echo "################################################################"
  exit 0
fi
exit "$status"
