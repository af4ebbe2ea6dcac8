#!/usr/bin/env bash
# The NBD destination's bulk copy against nbdcopy, on loopback, in one run:
# each round migrates a simulated namespace (no writers: the bulk copy
# alone) into an nbdkit export, then nbdcopy copies the very bytes that
# export received (its served file, now in the page cache, as the
# namespace file was) into a second, fresh nbdkit export of the same kind.
# Prints both rates and their ratio per round. Everything lives on tmpfs
# (/dev/shm, or CDQ_COMPARE_DIR): the namespace file, both served files,
# so that neither side waits on disk writeback and the network path and
# the copy engines are what is measured.
# NBDCOPY_ARGS adds nbdcopy options (e.g. "--connections=1 --threads=1").
# usage: nbd-compare.sh CDQCTL [SIZE (default 1G)] [ROUNDS (default 3)] [extra cdqctl arguments...]
set -euo pipefail
cdqctl=$1 size=${2:-1G} rounds=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
workdir=$(mktemp -d -p "${CDQ_COMPARE_DIR:-/dev/shm}")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

# serve FILE PORT: nbdkit's file plugin on 127.0.0.1:PORT, waited for.
serve() {
  nbdkit --foreground --ipaddr 127.0.0.1 --port "$2" file "$1" &
  pids+=($!)
  for _ in $(seq 100); do ss -Hltn "src 127.0.0.1:$2" | grep -q . && return 0; sleep 0.1; done
  echo "nbdkit on port $2 did not start" >&2
  exit 1
}

base=$(( 30000 + $$ % 10000 ))
bytes=$(numfmt --from=iec "$size")
echo "round engine_MiB_s nbdcopy_MiB_s ratio load_average"
for round in $(seq "$rounds"); do
  port_a=$(( base + 2 * round )) port_b=$(( base + 2 * round + 1 ))
  truncate -s "$size" "$workdir/a.img" "$workdir/b.img"
  serve "$workdir/a.img" "$port_a"
  serve "$workdir/b.img" "$port_b"
  engine=$(TMPDIR=$workdir "$cdqctl" migrate --simulate --namespace-size "$size" --writers 0 \
    --destination "nbd://127.0.0.1:$port_a/" --json "$@" 2>/dev/null |
    sed -n 's/.*"bulk_mib_per_second":\([0-9.]*\).*/\1/p')
  start=$(date +%s%N)
  # shellcheck disable=SC2086 # NBDCOPY_ARGS is a list of options
  nbdcopy ${NBDCOPY_ARGS:-} "$workdir/a.img" "nbd://127.0.0.1:$port_b/"
  end=$(date +%s%N)
  nbdcopy_rate=$(awk -v b="$bytes" -v ns=$(( end - start )) 'BEGIN { printf "%.0f", b / 1048576 / (ns / 1e9) }')
  cmp -s "$workdir/a.img" "$workdir/b.img" || { echo "round $round: the two exports differ" >&2; exit 1; }
  awk -v r="$round" -v e="$engine" -v n="$nbdcopy_rate" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "%d %.0f %.0f %.2f %s\n", r, e, n, e / n, l }'
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
  rm -f "$workdir/a.img" "$workdir/b.img"
done
