#!/usr/bin/python3
"""Draws docs/benchmarks.svg from the JSON cdq-bench wrote (scripts/bench.sh).

Usage: bench-chart.py RESULTS_DIR OUTPUT.svg
Reads throughput.json, latency.json, scale.json and drain.json (one JSON
object a line, as `cdq-bench --json` prints them); needs Debian's
python3-matplotlib (scripts/bench-deps.sh installs it).
"""
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "cdq-bench"  # stable ids: diffs show data changes only
import matplotlib.pyplot as plt  # noqa: E402

ENGINE, BASELINE, LIMIT = "#1f77b4", "#ff7f0e", "#7f7f7f"


def load(directory, name):
    path = pathlib.Path(directory) / f"{name}.json"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def bars(axis, labels, engine, baseline, title, ylabel, log=False):
    xs = range(len(labels))
    width = 0.38
    axis.bar([x - width / 2 for x in xs], engine, width, label="engine", color=ENGINE)
    axis.bar([x + width / 2 for x in xs], baseline, width, label="baseline", color=BASELINE)
    axis.set_xticks(list(xs), labels)
    axis.set_title(title, fontsize=10)
    axis.set_ylabel(ylabel)
    if log:
        axis.set_yscale("log")
    axis.legend(fontsize=8)


def main(directory, output):
    throughput = load(directory, "throughput")[0]
    latency = load(directory, "latency")[0]
    scale = sorted(load(directory, "scale"), key=lambda r: r["queues"])
    drain = load(directory, "drain")[0]

    figure, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    q = throughput["queues"]

    bars(axes[0][0], ["entries/s (millions)"],
         [throughput["engine"]["entries_per_sec"] / 1e6], [throughput["baseline"]["entries_per_sec"] / 1e6],
         f"throughput, {q} queues: delivered", "M entries/s")
    bars(axes[0][1], ["system calls/entry", "head updates/entry"],
         [throughput["engine"]["syscalls_per_entry"], throughput["engine"]["head_updates_per_entry"]],
         [throughput["baseline"]["syscalls_per_entry"], throughput["baseline"]["head_updates_per_entry"]],
         f"throughput, {q} queues: per entry", "per entry (log)", log=True)
    bars(axes[0][2], ["consumer side", "controller thread"],
         [throughput["engine"]["cpu_ns_per_entry"], throughput["engine"]["controller_cpu_ns_per_entry"]],
         [throughput["baseline"]["cpu_ns_per_entry"], throughput["baseline"]["controller_cpu_ns_per_entry"]],
         f"throughput, {q} queues: CPU per entry", "ns")

    bars(axes[1][0], ["p50", "p99", "p99.9"],
         [latency["engine"][k] for k in ("p50_us", "p99_us", "p999_us")],
         [latency["baseline"][k] for k in ("p50_us", "p99_us", "p999_us")],
         "latency, one queue: write to consumer", "µs (log)", log=True)

    axis = axes[1][1]
    counts = [r["queues"] for r in scale]
    axis.plot(counts, [r["engine"]["cpu_ns_per_wakeup"] / 1000 for r in scale], "o-", color=ENGINE, label="engine")
    axis.plot(counts, [r["baseline"]["cpu_ns_per_wakeup"] / 1000 for r in scale], "s-", color=BASELINE, label="baseline")
    axis.set_xscale("log", base=2)
    axis.set_xticks(counts, [str(c) for c in counts])
    axis.set_xlabel("queues")
    axis.set_ylabel("µs CPU per wake-up")
    axis.set_ylim(bottom=0)
    axis.set_title(f"scale: {int(scale[0].get('rate', 0)):,} changes/s in total", fontsize=10)
    axis.legend(fontsize=8)

    axis = axes[1][2]
    names = ["engine drain", "baseline scan", "memcpy"]
    values = [drain["ns_per_entry"], drain["baseline_ns_per_entry"], drain["memcpy_ns_per_entry"]]
    axis.bar(names, values, color=[ENGINE, BASELINE, LIMIT])
    axis.set_ylabel("ns per 32-byte entry")
    axis.set_title(f"drain: engine at {drain['fraction_of_memcpy']:.0%} of the memcpy rate", fontsize=10)

    figure.suptitle("cdq-engine against the synchronous baseline (same process, alternating runs; docs/benchmarks.md)",
                    fontsize=11)
    figure.tight_layout()
    figure.savefig(output, format="svg", metadata={"Date": None})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
