#!/usr/bin/python3
"""Draws docs/benchmarks.svg from the JSON cdq-bench wrote (scripts/bench.sh),
and writes RESULTS_DIR/summary.md: the numbers and targets as a Markdown
table, the way docs/benchmarks.md shows them.

Usage: bench-chart.py RESULTS_DIR OUTPUT.svg
Reads throughput.json, latency.json, scale.json, drain.json, moderate.json
and headroom.json (one JSON object a line, as `cdq-bench --json` prints
them; the last two may be absent in older result directories); needs
Debian's python3-matplotlib (scripts/bench-deps.sh installs it).
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


def load_optional(directory, name):
    """The scenario's first object, or None when it was not run."""
    path = pathlib.Path(directory) / f"{name}.json"
    return load(directory, name)[0] if path.exists() else None


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
        low = min([v for v in engine + baseline if v > 0] + [1])
        axis.set_ylim(bottom=low / 2)  # the smallest bar stays visible
    else:
        axis.set_ylim(0, max(engine + baseline + [1e-9]) * 1.3)  # room for the legend
    axis.legend(fontsize=8, loc="upper right")


def main(directory, output):
    throughput = load(directory, "throughput")[0]
    latency = load(directory, "latency")[0]
    scale = sorted(load(directory, "scale"), key=lambda r: r["queues"])
    drain = load(directory, "drain")[0]

    moderate = load_optional(directory, "moderate")
    headroom = load_optional(directory, "headroom")
    figure, axes = plt.subplots(3, 3, figsize=(13, 11))
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
    # Per entry: under moderation the engine barely wakes below 4096
    # queues, so a cost per wake-up divides by a handful and says nothing.
    axis.plot(counts, [r["engine"]["cpu_ns_per_entry"] / 1000 for r in scale], "o-", color=ENGINE, label="engine")
    axis.plot(counts, [r["baseline"]["cpu_ns_per_entry"] / 1000 for r in scale], "s-", color=BASELINE, label="baseline")
    axis.set_xscale("log", base=2)
    axis.set_xticks(counts, [str(c) for c in counts])
    axis.set_xlabel("queues")
    axis.set_ylabel("µs CPU per entry")
    axis.set_ylim(bottom=0)
    axis.set_title(f"scale: {int(scale[0].get('rate', 0)):,} changes/s in total", fontsize=10)
    axis.legend(fontsize=8)

    axis = axes[1][2]
    names = ["engine drain", "baseline scan", "memcpy"]
    values = [drain["ns_per_entry"], drain["baseline_ns_per_entry"], drain["memcpy_ns_per_entry"]]
    axis.bar(names, values, color=[ENGINE, BASELINE, LIMIT])
    axis.set_ylabel("ns per 32-byte entry")
    axis.set_title(f"drain: engine at {drain['fraction_of_memcpy']:.0%} of the memcpy rate", fontsize=10)

    draw_admin_row(axes[2], moderate, headroom)

    figure.suptitle("cdq-engine against the synchronous baseline (same process, alternating runs; docs/benchmarks.md)",
                    fontsize=11)
    figure.tight_layout()
    figure.savefig(output, format="svg", metadata={"Date": None})


def draw_admin_row(row, moderate, headroom):
    """moderate per entry and delivery, headroom's tolerated latency: the admin cost model's scenarios."""
    if moderate:
        e, b = moderate["engine"], moderate["baseline"]
        keys = ["admin_commands_per_entry", "aer_rearms_per_entry", "wakeups_per_entry", "syscalls_per_entry"]
        bars(row[0], ["admin cmds", "AER re-arms", "wake-ups", "syscalls"],
             [e.get(k, 0) for k in keys], [b.get(k, 0) for k in keys],
             f"moderate: {moderate['queues']} queues, {int(moderate.get('rate', 0)):,}/s, "
             f"admin {moderate.get('admin_latency_us', 0):g}/{moderate.get('admin_service_us', 0):g} µs", "per entry (log)", log=True)
        keys = ["delivery_p50_us", "delivery_p99_us", "delivery_p999_us"]
        bars(row[1], ["p50", "p99", "p99.9"], [e.get(k, 0) for k in keys], [b.get(k, 0) for k in keys],
             "moderate: delivery, write to consumer", "µs (log)", log=True)
    else:
        row[0].axis("off")
        row[1].axis("off")
    if headroom:
        e, b = headroom["engine"], headroom["baseline"]
        ratio = headroom["ratio"].get("headroom")
        bars(row[2], ["tolerated admin latency"],
             [e.get("tolerated_admin_latency_us", 0) / 1000], [b.get("tolerated_admin_latency_us", 0) / 1000],
             f"headroom: {headroom['queues']} x {headroom.get('entries', 0)}, {headroom.get('rate', 0) / 1e6:g} M/s: "
             + (f"engine {ratio:.1f}x" if ratio is not None else "baseline: none"),
             "ms", log=True)
    else:
        row[2].axis("off")


def admin_rows(moderate, headroom):
    """The summary's rows and targets for moderate and headroom, when run."""
    rows, targets = [], []
    if moderate:
        e, b, r = moderate["engine"], moderate["baseline"], moderate["ratio"]
        rows += [
            f"| moderate, {moderate['queues']} queues | CPU ns/entry (consumer side) | {e['cpu_ns_per_entry']:,.0f} | "
            f"{b['cpu_ns_per_entry']:,.0f} | {r['cpu']:.3f} |",
            f"| | admin commands/entry | {e['admin_commands_per_entry']:.4f} | {b['admin_commands_per_entry']:.4f} | |",
            f"| | AER re-arms/entry | {e['aer_rearms_per_entry']:.4f} | {b['aer_rearms_per_entry']:.4f} | |",
            f"| | wake-ups/entry | {e['wakeups_per_entry']:.4f} | {b['wakeups_per_entry']:.4f} | |",
            f"| | system calls/entry | {e['syscalls_per_entry']:.4f} | {b['syscalls_per_entry']:.4f} | {r['syscalls']:.3f} |",
            f"| | delivery p50 / p99 / p99.9 µs | {e.get('delivery_p50_us', 0):,.1f} / {e.get('delivery_p99_us', 0):,.1f} / "
            f"{e.get('delivery_p999_us', 0):,.1f} | {b.get('delivery_p50_us', 0):,.1f} / {b.get('delivery_p99_us', 0):,.1f} / "
            f"{b.get('delivery_p999_us', 0):,.1f} | |",
            f"| | lost / duplicated | {e['lost']} / {e['duplicated']} | {b['lost']} / {b['duplicated']} | |",
        ]
        targets += [
            f"| moderate: engine <= 0.05 admin commands/entry | {e['admin_commands_per_entry']:.4f} | "
            f"{verdict(e['admin_commands_per_entry'] <= 0.05)} |",
            f"| moderate: engine <= 0.1 system calls/entry | {e['syscalls_per_entry']:.4f} | {verdict(e['syscalls_per_entry'] <= 0.1)} |",
            f"| moderate: engine CPU/entry <= 0.1x baseline | {r['cpu']:.3f}x | {verdict(r['cpu'] <= 0.1)} |",
            f"| moderate: engine delivery p99 <= 1 ms | {e.get('delivery_p99_us', 0):,.1f} µs | "
            f"{verdict(0 < e.get('delivery_p99_us', 0) <= 1000)} |",
        ]
    if headroom:
        e, b = headroom["engine"], headroom["baseline"]
        ratio = headroom["ratio"].get("headroom")
        shown = f"{ratio:.2f}" if ratio is not None else "baseline tolerates none"
        rows.append(f"| headroom, {headroom['queues']} x {headroom.get('entries', 0)} entries | tolerated admin latency µs "
                    f"(writer {e.get('changes_per_sec', 0):,.0f} / {b.get('changes_per_sec', 0):,.0f} changes/s) | "
                    f"{e.get('tolerated_admin_latency_us', 0):,.1f} | {b.get('tolerated_admin_latency_us', 0):,.1f} | {shown} |")
        # Without a finite ratio (the baseline overflowed even at latency 0) the target cannot be judged.
        judged = verdict(ratio >= 5) if ratio is not None else "not measurable: the baseline cannot take the rate"
        targets.append(f"| headroom: engine tolerates >= 5x the baseline's admin latency | {shown} | {judged} |")
    return rows, targets


def verdict(ok):
    return "met" if ok else "NOT met"


def summary(directory):
    """The Markdown table of docs/benchmarks.md, from the same JSON."""
    throughput = load(directory, "throughput")[0]
    latency = load(directory, "latency")[0]
    scale = {r["queues"]: r for r in load(directory, "scale")}
    drain = load(directory, "drain")[0]

    def side_rows(name, r):
        e, b = r["engine"], r["baseline"]
        return [
            f"| {name} | entries/s | {e['entries_per_sec']:,.0f} | {b['entries_per_sec']:,.0f} | {r['ratio']['throughput']:.2f} |",
            f"| | system calls/entry | {e['syscalls_per_entry']:.4f} | {b['syscalls_per_entry']:.4f} | {r['ratio']['syscalls']:.3f} |",
            f"| | CPU ns/entry (consumer side) | {e['cpu_ns_per_entry']:,.0f} | {b['cpu_ns_per_entry']:,.0f} | {r['ratio']['cpu']:.2f} |",
            f"| | head updates/entry | {e['head_updates_per_entry']:.4f} | {b['head_updates_per_entry']:.4f} | |",
            f"| | p50 / p99 µs | {e['p50_us']:.1f} / {e['p99_us']:.1f} | {b['p50_us']:.1f} / {b['p99_us']:.1f} | |",
            f"| | lost / duplicated | {e['lost']} / {e['duplicated']} | {b['lost']} / {b['duplicated']} | |",
        ]

    lines = ["| scenario | measure | engine | baseline | engine/baseline |", "|---|---|---|---|---|"]
    lines += side_rows(f"throughput, {throughput['queues']} queues", throughput)
    lines += side_rows("latency, 1 queue", latency)
    for count in sorted(scale):
        r = scale[count]
        lines.append(f"| scale, {count} queues | CPU µs/wake-up; wake-ups/entry | "
                     f"{r['engine']['cpu_ns_per_wakeup'] / 1000:.1f}; {r['engine']['wakeups_per_entry']:.3f} | "
                     f"{r['baseline']['cpu_ns_per_wakeup'] / 1000:.1f}; {r['baseline']['wakeups_per_entry']:.3f} | "
                     f"{r['ratio']['cpu_per_wakeup']:.2f} |")
        lines.append(f"| | CPU ns/entry; admin commands/entry | "
                     f"{r['engine']['cpu_ns_per_entry']:,.0f}; {r['engine']['admin_commands_per_entry']:.3f} | "
                     f"{r['baseline']['cpu_ns_per_entry']:,.0f}; {r['baseline']['admin_commands_per_entry']:.3f} | "
                     f"{r['ratio']['cpu']:.2f} |")
    lines.append(f"| drain | ns/entry (memcpy {drain['memcpy_ns_per_entry']:.2f}) | {drain['ns_per_entry']:.2f} | "
                 f"{drain['baseline_ns_per_entry']:.2f} | engine at {drain['fraction_of_memcpy']:.0%} of memcpy |")
    admin_lines, admin_targets = admin_rows(load_optional(directory, "moderate"), load_optional(directory, "headroom"))
    lines += admin_lines

    max_scale_cpu_ratio = max((r["ratio"]["cpu"] for r in scale.values()), default=0)
    e16 = scale.get(16, {}).get("engine", {}).get("cpu_ns_per_wakeup", 0)
    e4096 = scale.get(4096, {}).get("engine", {}).get("cpu_ns_per_wakeup", 0)
    lines += [
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| throughput: engine >= 5x baseline entries/s | {throughput['ratio']['throughput']:.2f}x | "
        f"{verdict(throughput['ratio']['throughput'] >= 5)} |",
        f"| throughput: >= 10x fewer system calls per entry | {1 / max(throughput['ratio']['syscalls'], 1e-9):.1f}x fewer | "
        f"{verdict(throughput['ratio']['syscalls'] <= 0.1)} |",
        f"| latency: engine p99 <= baseline p99 | {latency['engine']['p99_us']:.1f} vs {latency['baseline']['p99_us']:.1f} µs | "
        f"{verdict(latency['engine']['p99_us'] <= latency['baseline']['p99_us'])} |",
        f"| scale: engine cost/wake-up at 4096 <= 2x at 16 | {e4096 / max(e16, 1e-9):.2f}x | "
        f"{verdict(0 < e4096 <= 2 * e16)} |",
        f"| scale: engine CPU/entry below the baseline's at every queue count | "
        f"{max_scale_cpu_ratio:.2f}x at most | {verdict(max_scale_cpu_ratio < 1)} |",
        f"| drain: >= 25% of the memcpy rate | {drain['fraction_of_memcpy']:.0%} | "
        f"{verdict(drain['fraction_of_memcpy'] >= 0.25)} |",
    ]
    lines += admin_targets
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
    (pathlib.Path(sys.argv[1]) / "summary.md").write_text(summary(sys.argv[1]))
