#!/usr/bin/env bash
# Installs the Debian packages the Swift build needs (as root), or says
# exactly which are missing and fails (otherwise). The QEMU guest's own
# packages are installed by test-kernel.sh when it runs.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CDQ_LOG_PREFIX=deps
# shellcheck source=lib/host-packages.sh
. "$SCRIPT_DIR/lib/host-packages.sh"

cdq_require /usr/include/liburing.h:liburing-dev pkg-config:pkg-config
# The C interface's example and tests (make test-c): a C compiler with AddressSanitizer.
cdq_require cc:gcc
# The header compiled as C++ (make test-c), as C++ storage agents include it.
cdq_require c++:g++
# NBD destinations: libnbd (the client library, linked), nbdkit (the server
# the remote tests and make demo-remote start), nbdcopy (the speed anchor)
# and ip (network namespaces for the two-host test).
cdq_require /usr/include/libnbd.h:libnbd-dev nbdkit:nbdkit nbdcopy:libnbd-bin ip:iproute2
# The metrics endpoint's test scrapes cdqctl with a real HTTP client.
cdq_require curl:curl
