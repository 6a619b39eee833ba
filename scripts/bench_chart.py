#!/usr/bin/env python3
"""Draws a chart of the criterion estimates (target/benchmarks.png) and prints them as a table,
from criterion's output of `cargo bench -p ampersand-benches`.

Needs matplotlib:  python3 -m pip install matplotlib   (or: apt-get install python3-matplotlib)

Usage:
    python3 scripts/bench_chart.py [--criterion-dir DIR] [--out target/benchmarks.png]

DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion. Each group's first variant
(in the order below) is its baseline; every other variant is shown as a ratio to it.
"""

import argparse
import json
import os
import sys

# group -> variants, baseline first, in the order the benches define them.
GROUPS = {
    "stack_overhead": [
        "transport_direct",
        "client_bare",
        "client_default",
        "client_default_registry_info",
        "client_default_fmt_sink_info",
    ],
    # criterion writes the group `loopback_latency/current_thread` as this directory name
    "loopback_latency_current_thread": ["raw_hyper", "reqwest_serde", "sdk_default"],
    "loopback_latency_multi_thread": ["raw_hyper", "reqwest_serde", "sdk_default"],
    "loopback_throughput_64_current_thread": ["raw_hyper", "reqwest_serde", "sdk_default"],
    "loopback_throughput_64_multi_thread": ["raw_hyper", "reqwest_serde", "sdk_default"],
    "decode_10k_installations": ["serde_json_from_slice", "sdk_list_installations_decode"],
    "decode_project": ["serde_json_from_slice", "sdk_get_project_decode"],
    "layers_happy_path": [
        "inner_only",
        "rate_limit_no_quota",
        "rate_limit_quota_1M_per_s",
        "retry_no_deadline",
        "retry_deadline_120s",
    ],
}


def load(criterion_dir, group, variant):
    """The median (ns per iteration) and the elements per iteration, or None if not run."""
    base = os.path.join(criterion_dir, group, variant, "new")
    try:
        with open(os.path.join(base, "estimates.json")) as f:
            median = json.load(f)["median"]["point_estimate"]
        with open(os.path.join(base, "benchmark.json")) as f:
            throughput = json.load(f).get("throughput") or {}
    except FileNotFoundError:
        return None
    return median, throughput.get("Elements")


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def collect(criterion_dir):
    results = {}
    for group, variants in GROUPS.items():
        rows = [(v, load(criterion_dir, group, v)) for v in variants]
        rows = [(v, r) for v, r in rows if r is not None]
        if rows:
            results[group] = rows
    return results


def print_table(results):
    print("| bench | variant | median | vs baseline |")
    print("|---|---|---|---|")
    for group, rows in results.items():
        base_ns, elements = rows[0][1]
        for variant, (ns, _) in rows:
            if elements:
                rate = elements / (ns / 1e9)
                shown = f"{fmt_time(ns)} / {elements} calls ({rate:,.0f} calls/s)"
                ratio = f"{base_ns / ns:.1%} of the throughput"
            else:
                shown = fmt_time(ns)
                ratio = f"x{ns / base_ns:.2f} (+{fmt_time(ns - base_ns)})" if ns >= base_ns else f"x{ns / base_ns:.2f}"
            print(f"| {group} | {variant} | {shown} | {'baseline' if variant == rows[0][0] else ratio} |")


def draw(results, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is missing: python3 -m pip install matplotlib")

    fig, axes = plt.subplots(len(results), 1, figsize=(9, 2.0 + 1.1 * sum(len(r) for r in results.values()) / 2))
    if len(results) == 1:
        axes = [axes]
    for ax, (group, rows) in zip(axes, results.items()):
        base_ns, elements = rows[0][1]
        names = [v for v, _ in rows]
        if elements:
            values = [elements / (ns / 1e9) for _, (ns, _) in rows]
            unit = "calls/s (higher is better)"
            labels = [f"{v:,.0f} ({v / values[0]:.0%})" for v in values]
        else:
            scale, unit = (1e6, "ms") if base_ns >= 1e6 else (1e3, "µs") if base_ns >= 1e3 else (1, "ns")
            values = [ns / scale for _, (ns, _) in rows]
            unit = f"median {unit} per call (lower is better)"
            labels = [f"{v:,.2f} (x{v / values[0]:.2f})" for v in values]
        bars = ax.barh(names, values, color=["#888888"] + ["#2b6cb0"] * (len(values) - 1))
        ax.invert_yaxis()
        ax.set_title(group, loc="left", fontsize=10, fontweight="bold")
        ax.set_xlabel(unit, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.set_xlim(0, max(values) * 1.35)
        for bar, label in zip(bars, labels):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + label, va="center", fontsize=7)
    fig.tight_layout()
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"wrote {out}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("--criterion-dir", default=os.path.join(target, "criterion"))
    parser.add_argument("--out", default="target/benchmarks.png")
    args = parser.parse_args()
    results = collect(args.criterion_dir)
    if not results:
        sys.exit(f"no criterion results under {args.criterion_dir}: run `cargo bench -p ampersand-benches` first")
    print_table(results)
    draw(results, args.out)


if __name__ == "__main__":
    main()
