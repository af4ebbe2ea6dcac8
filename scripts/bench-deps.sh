#!/usr/bin/env bash
# What `make bench` needs beyond the build: Debian's python3 with
# matplotlib, for the chart. Installed when run as root; otherwise says
# exactly what is missing and fails.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CDQ_LOG_PREFIX=bench-deps
# shellcheck source=lib/host-packages.sh
. "$SCRIPT_DIR/lib/host-packages.sh"

cdq_require /usr/bin/python3:python3 /usr/lib/python3/dist-packages/matplotlib/__init__.py:python3-matplotlib
