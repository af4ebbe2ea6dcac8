#!/usr/bin/env bash
# The standard benchmark set (docs/benchmarks.md): every scenario of
# cdq-bench, engine and baseline alternating, JSON into bench-results/,
# then the chart from that JSON. Usage: scripts/bench.sh path/to/cdq-bench
set -euo pipefail
BENCH=${1:?usage: scripts/bench.sh path/to/cdq-bench}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/bench-results"
mkdir -p "$OUT"

run() {
  local name=$1
  shift
  echo "bench: cdq-bench $* --json > bench-results/$name.json" >&2
  # A failed exactly-once check exits non-zero; set -e stops here.
  "$BENCH" "$@" --json > "$OUT/$name.json"
}

run throughput throughput --queues 256 --seconds 5 --rounds 2
run latency latency --seconds 5 --rounds 2
run scale scale --seconds 3 --rounds 2
run drain drain --seconds 1 --rounds 3
run moderate moderate --seconds 5 --rounds 2
run headroom headroom --seconds 5

{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
} > "$OUT/machine.txt"

/usr/bin/python3 "$ROOT/scripts/bench-chart.py" "$OUT" "$ROOT/docs/benchmarks.svg"
cat "$OUT/summary.md"
echo "bench: results in bench-results/ (summary.md), chart in docs/benchmarks.svg" >&2
