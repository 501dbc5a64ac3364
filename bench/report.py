#!/usr/bin/env python3
"""Turns the samples scripts/bench measured into one table (Markdown on stdout), CSV and JSON files,
and optionally a PNG chart of the main ratios.

usage: report.py SAMPLES.tsv META.json OUT_DIR [--plot]

SAMPLES.tsv has one line per measured value: KEY <tab> RUN <tab> VALUE. Each figure below names the
key of our value and the key of its reference; runs with the same RUN index were measured back to back,
so for the figures in PAIRED the ratio printed is the median of the per-run ratios and its spread their
min-max; for the others it is the ratio of the two medians."""
import csv
import json
import statistics
import sys
from collections import defaultdict

# (group, label, unit, ours key, reference key, reference label, higher_is_better, target text, target check)
# The check receives (ours median, ratio) and returns True/False; None = no target.
FIGURES = [
    ("limit", "SHA3-256, single core, 1 MiB buffers (OpenSSL EVP)", "MB/s", None, "sha3_mbs",
     "raw", True, "", None),
    ("limit", "loopback TCP bandwidth, 1 connection, 1 MiB writes", "MB/s", None, "tcp_bw_mbs",
     "C tcp_limits", True, "", None),
    ("limit", "loopback 32-byte round trips, 1 connection", "rt/s", None, "tcp_rtt_rate",
     "C tcp_limits", True, "", None),
    ("limit", "loopback connect + 1 round trip + close", "conn/s", None, "tcp_conn1_rate",
     "C tcp_limits", True, "", None),
    ("codec", "FrameDecoder, 1 MiB frames in 64 KiB chunks", "MB/s", "codec_block_mbs", "sha3_mbs",
     "SHA3-256", True, ">= 0.8 x SHA3", lambda m, r: r >= 0.8),
    ("codec", "FrameDecoder, 32-byte pings in 64 KiB chunks", "M frames/s", "codec_ping_mfs", "codec_ping_bound",
     "SHA3d bound", True, "", None),
    ("engine", "engine: 32-byte frames, 1 connection", "msg/s", "eng_small1_swift", "eng_small1_c",
     "C libevent ref", True, ">= 1.0 x C", lambda m, r: r >= 1.0),
    ("engine", "engine: 32-byte frames, 8 connections", "msg/s", "eng_small8_swift", "eng_small8_c",
     "C libevent ref", True, ">= 1.0 x C", lambda m, r: r >= 1.0),
    ("engine", "engine: 1 MiB frames, 1 connection", "MB/s", "eng_large_swift", "eng_large_c",
     "C libevent ref", True, "", None),
    ("engine", "engine: 1 MiB frames vs SHA3-256 speed", "MB/s", "eng_large_swift", "eng_sha3_mbs",
     "SHA3-256 before each run", True, ">= 0.8 x SHA3", lambda m, r: r >= 0.8),
    ("engine", "engine: send -> handler latency p50 (lower is better)", "us", "eng_p50_swift", "eng_p50_c",
     "C libevent ref", False, "", None),
    ("engine", "engine: send -> handler latency p99 (lower is better)", "us", "eng_p99_swift", "eng_p99_c",
     "C libevent ref", False, "p99 < 100 us", lambda m, r: m < 100),
    ("node", "node: CPU per ping/pong at saturation, 8 connections x 256 in flight (lower is better)", "us",
     "node_flood_us", "node_flood_floor_us", "two SHA3d of 8 bytes", False, "<= 2.0 us", lambda m, r: m <= 2.0),
    ("node", "node: ping/pong rate at saturation, 8 connections x 256 in flight", "pongs/s", "node_flood_rate",
     None, "", True, "", None),
    ("node", "node: ping round trips after handshake, 1 peer", "rt/s", "node_ping_rate", "node_ref_rtt_rate",
     "TCP 32 B rt", True, ">= 0.85 x TCP", lambda m, r: r >= 0.85),
    ("node", "node: ping round trip p50 (lower is better)", "us", "node_ping_p50", "node_ref_rtt_p50",
     "TCP 32 B rt", False, "", None),
    ("node", "node: handshakes, one after another", "hs/s", "node_hs_rate", "node_ref_conn2_rate",
     "TCP connect + 2 rt", True, "", None),
    ("node", "node: handshake p50, connect -> both sides done (lower is better)", "us", "node_hs_p50",
     "node_ref_conn2_p50", "TCP connect + 2 rt", False, "<= 1.5 x TCP", lambda m, r: r <= 1.5),
    ("node", "node: handshake p99, connect -> both sides done (lower is better)", "us", "node_hs_p99",
     "tcp_conn2_p99", "TCP connect + 2 rt", False, "p99 < 1 ms", lambda m, r: m < 1000),
    ("node", "node: accept rate, connect -> version reply", "conn/s", "node_accept_rate", "node_ref_conn1_rate",
     "TCP connect + 1 rt", True, ">= 0.7 x TCP", lambda m, r: r >= 0.7),
    ("node", "node: memory per idle handshaken peer, 1,000 peers", "KiB", "node_mem_1k", None,
     "", False, "<= 32 KiB", lambda m, r: m <= 32),
    ("node", "node: memory per idle handshaken peer, 10,000 peers", "KiB", "node_mem_10k", None,
     "", False, "<= 32 KiB", lambda m, r: m <= 32),
    ("node", "node: concurrent handshaken peers held", "peers", "node_peers_10k", None,
     "", True, ">= 10,000", lambda m, r: m >= 10000),
    ("node", "node: idle CPU with 100 handshaken peers", "% of a core", "node_idle_cpu", None,
     "", False, "< 1 %", lambda m, r: m < 1),
    ("node", "node: idle CPU with 1,000 handshaken peers", "% of a core", "node_idle_cpu_1k", None,
     "", False, "", None),
    ("node", "node: getheaders serving, 2,000-header replies to 2 connections x 4 in flight, 8 locators in turn "
     "(client verifies every checksum and compares every reply with its checked copy)", "headers/s",
     "node_gh_hps", "node_gh_ref_hps", "raw loopback TCP in 144 B headers", True, ">= 2 M/s",
     lambda m, r: m >= 2e6),
    ("node", "node: getheaders serving, headers per node CPU-second", "headers/s", "node_gh_cpu_hps",
     "node_gh_ref_hps", "raw loopback TCP in 144 B headers", True, ">= 2 M/s", lambda m, r: m >= 2e6),
    ("node", "node: getheaders serving, wire bytes (replies cached with their checksum)", "MB/s", "node_gh_mbs",
     "sha3_mbs", "SHA3-256", True, "", None),
    ("node", "node: CPU-seconds per GB of 1 MiB blocks served to 8 peers syncing at once (lower is better)",
     "s/GB", "serve_cpu_per_gb", "serve_ref_cpu_per_gb", "raw loopback writer, C", False, "<= 0.5 s/GB",
     lambda m, r: m <= 0.5),
    ("node", "node: block bytes served to 8 peers syncing at once", "MB/s", "serve_mbs", "tcp_bw_mbs",
     "loopback TCP", True, "", None),
    ("ibd", "IBD over loopback, small blocks (blocks/s)", "blocks/s", "ibd_small_bps", None,
     "", True, ">= 20,000/s", lambda m, r: m >= 20000),
    ("ibd", "IBD over loopback, small blocks", "MB/s", "ibd_small_mbs", "sha3_mbs",
     "SHA3-256", True, "", None),
    ("ibd", "IBD over loopback, 1 MiB blocks (blocks/s)", "blocks/s", "ibd_large_bps", None,
     "", True, "", None),
    ("ibd", "IBD over loopback, 1 MiB blocks", "MB/s", "ibd_large_mbs", "sha3_mbs",
     "SHA3-256", True, ">= 150 MB/s and >= 0.35 x SHA3", lambda m, r: m >= 150 and r >= 0.35),
    ("ibd", "IBD at 230 ms RTT (scripts/seed-test) vs the same chain at 0 ms", "MB/s", "ibd_wan_mbs",
     "ibd_wan_base_mbs", "0 ms link", True, ">= 0.5 x 0 ms", lambda m, r: r >= 0.5),
    # RandomX (issue 14): light mode reads a shared 256 MiB cache, full mode a 2 GiB dataset.
    ("randomx", "RandomX light mode, 1 thread", "hashes/s", "rx_light_hps1", None, "", True, "", None),
    ("randomx", "RandomX light mode, all cores vs 1 thread", "hashes/s", "rx_light_hpsall", "rx_light_hps1",
     "1 thread", True, "", None),
    ("randomx", "RandomX full mode, 1 thread", "hashes/s", "rx_full_hps1", "rx_light_hps1", "light, 1 thread",
     True, "", None),
    ("randomx", "RandomX full mode, all cores vs 1 thread", "hashes/s", "rx_full_hpsall", "rx_full_hps1",
     "1 thread", True, "", None),
    ("randomx", "RandomX CPU per hash, full mode vs light mode (lower is better)", "ms", "rx_full_cpu_ms",
     "rx_light_cpu_ms", "light mode", False, "", None),
    ("randomx", "RandomX cache from the key, 1 thread (lower is better)", "s", "rx_light_cache_s", None, "",
     False, "", None),
    ("randomx", "RandomX full-mode dataset build, CPU of all cores (lower is better)", "s", "rx_full_dataset_cpu_s",
     None, "", False, "", None),
    ("randomx", "RandomX full-mode dataset build, all cores (lower is better)", "s", "rx_full_dataset_s", None, "",
     False, "", None),
    ("randomx", "legacy headers through pre-check + hashing + tree, light mode", "headers/s", "rx_light_sync_hps",
     "rx_light_hpsall", "raw hashes/s, all cores", True, "", None),
    ("randomx", "legacy headers through pre-check + hashing + tree, full mode", "headers/s", "rx_full_sync_hps",
     "rx_full_hpsall", "raw hashes/s, all cores", True, "", None),
    ("randomx", "legacy headers replayed (replay cache, no RandomX), full mode", "headers/s", "rx_full_replay_hps",
     "rx_full_sync_hps", "first pass", True, "", None),
]

# Figures whose runs were measured back to back with their reference's runs of the same index (the
# same WireBench invocation; the Swift engine then the C engine under the same workloads). Other
# references were measured in another phase of the run: their ratio is the ratio of the medians.
PAIRED = {
    ("codec_block_mbs", "sha3_mbs"), ("codec_ping_mfs", "codec_ping_bound"),
    ("eng_small1_swift", "eng_small1_c"), ("eng_small8_swift", "eng_small8_c"),
    ("eng_large_swift", "eng_large_c"), ("eng_p50_swift", "eng_p50_c"), ("eng_p99_swift", "eng_p99_c"),
    ("eng_large_swift", "eng_sha3_mbs"),
    ("node_flood_us", "node_flood_floor_us"), ("node_ping_rate", "node_ref_rtt_rate"),
    ("node_ping_p50", "node_ref_rtt_p50"), ("node_hs_rate", "node_ref_conn2_rate"),
    ("node_hs_p50", "node_ref_conn2_p50"), ("node_accept_rate", "node_ref_conn1_rate"),
    # Measured right before each node run, in the same loop.
    ("node_gh_hps", "node_gh_ref_hps"), ("node_gh_cpu_hps", "node_gh_ref_hps"),
    ("serve_cpu_per_gb", "serve_ref_cpu_per_gb"),
    # The same RandomXBench invocation measures both.
    ("rx_light_hpsall", "rx_light_hps1"), ("rx_full_hpsall", "rx_full_hps1"),
    ("rx_light_sync_hps", "rx_light_hpsall"), ("rx_full_sync_hps", "rx_full_hpsall"),
    ("rx_full_replay_hps", "rx_full_sync_hps"),
}

# Ratios drawn in the chart: (key in the JSON rows, short label).
CHART = [
    ("engine: 32-byte frames, 1 connection", "small frames\n1 conn / C"),
    ("engine: 32-byte frames, 8 connections", "small frames\n8 conn / C"),
    ("engine: 1 MiB frames, 1 connection", "1 MiB frames / C"),
    ("engine: 1 MiB frames vs SHA3-256 speed", "1 MiB frames\n/ SHA3"),
    ("FrameDecoder, 1 MiB frames in 64 KiB chunks", "decoder 1 MiB\n/ SHA3"),
    ("node: ping round trips after handshake, 1 peer", "node ping rt\n/ TCP rt"),
    ("node: handshakes, one after another", "handshakes\n/ TCP conn+2rt"),
    ("node: accept rate, connect -> version reply", "accepts\n/ TCP conn+1rt"),
    ("IBD over loopback, 1 MiB blocks", "IBD 1 MiB\n/ SHA3"),
    ("IBD at 230 ms RTT (scripts/seed-test) vs the same chain at 0 ms", "IBD 230 ms\n/ 0 ms"),
]


def load(path):
    samples = defaultdict(dict)
    with open(path) as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            key, run, value = parts
            try:
                samples[key][int(run)] = float(value)
            except ValueError:
                pass
    return samples


def fmt(value):
    if value is None:
        return ""
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.2f} M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.1f} k"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def stats(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def cell(summary):
    if summary is None:
        return "—"
    if summary["n"] == 1:
        return f"{fmt(summary['median'])} (1 run)"
    return f"{fmt(summary['median'])} [{fmt(summary['min'])}–{fmt(summary['max'])}]"


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    samples = load(sys.argv[1])
    with open(sys.argv[2]) as handle:
        meta = json.load(handle)
    out_dir = sys.argv[3]
    plot = "--plot" in sys.argv[4:]

    rows = []
    for group, label, unit, ours_key, ref_key, ref_label, higher, target, check in FIGURES:
        ours_runs = samples.get(ours_key, {}) if ours_key else {}
        ref_runs = samples.get(ref_key, {}) if ref_key else {}
        if not ours_runs and not ref_runs:
            continue
        if ours_key and not ours_runs:
            continue  # a figure of ours that this run did not measure (e.g. --quick skips it)
        ours = stats(list(ours_runs.values()))
        ref = stats(list(ref_runs.values()))
        ratio = ratio_low = ratio_high = None
        if ours and ref and ref["median"] > 0:
            # Runs with the same index were measured back to back: the median of their ratios is the
            # figure least disturbed by load that came and went on the machine during the run.
            paired = [ours_runs[r] / ref_runs[r] for r in ours_runs if r in ref_runs and ref_runs[r] > 0]
            if len(paired) >= 2 and (ours_key, ref_key) in PAIRED:
                ratio = statistics.median(paired)
                ratio_low, ratio_high = min(paired), max(paired)
            else:
                ratio = ours["median"] / ref["median"]
        met = None
        if check and ours:
            met = bool(check(ours["median"], ratio if ratio is not None else 0.0))
        rows.append({
            "group": group, "figure": label, "unit": unit, "ours": ours, "reference": ref,
            "reference_label": ref_label, "ratio": ratio, "ratio_min": ratio_low, "ratio_max": ratio_high,
            "higher_is_better": higher, "target": target, "met": met,
        })

    print(f"pinning: {meta.get('pinning', '?')}")
    print(f"mode: {meta.get('mode', '?')}; runs per figure: {meta.get('runs', '?')}; "
          f"{meta.get('cpus', '?')} CPUs ({meta.get('cpu_model', '?')}); load average at start "
          f"{meta.get('load_start', '?')}, at end {meta.get('load_end', '?')}")
    print()
    print("| figure | unit | ours: median [min–max] | reference: median [min–max] | ratio (paired runs: median [min–max]) | target | met |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ours = cell(row["ours"]) if row["ours"] else "—"
        ref = cell(row["reference"])
        if row["reference"] and row["reference_label"]:
            ref = f"{ref} ({row['reference_label']})"
        if row["ratio"] is None:
            ratio = "—"
        elif row["ratio_min"] is not None:
            ratio = f"{row['ratio']:.2f} [{row['ratio_min']:.2f}–{row['ratio_max']:.2f}]"
        else:
            ratio = f"{row['ratio']:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[row["met"]]
        print(f"| {row['figure']} | {row['unit']} | {ours} | {ref} | {ratio} | {row['target']} | {met} |")

    with open(f"{out_dir}/bench.json", "w") as handle:
        json.dump({"meta": meta, "rows": rows,
                   "samples": {k: v for k, v in sorted(samples.items())}}, handle, indent=2)
    with open(f"{out_dir}/bench.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group", "figure", "unit", "ours_median", "ours_min", "ours_max", "runs",
                         "reference", "reference_median", "reference_min", "reference_max", "ratio",
                         "ratio_min", "ratio_max", "target", "met"])
        for row in rows:
            o = row["ours"] or {}
            r = row["reference"] or {}
            writer.writerow([row["group"], row["figure"], row["unit"], o.get("median"), o.get("min"),
                             o.get("max"), o.get("n") or r.get("n"), row["reference_label"], r.get("median"),
                             r.get("min"), r.get("max"), row["ratio"], row["ratio_min"], row["ratio_max"],
                             row["target"], row["met"]])
    print()
    print(f"wrote {out_dir}/bench.csv and {out_dir}/bench.json")

    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        by_label = {row["figure"]: row for row in rows}
        chosen = [(by_label[key], short) for key, short in CHART if key in by_label and by_label[key]["ratio"]]
        figure, axes = plt.subplots(figsize=(11, 4.8))
        xs = range(len(chosen))
        values = [row["ratio"] for row, _ in chosen]
        lows = [row["ratio"] - (row["ratio_min"] if row["ratio_min"] is not None else row["ratio"]) for row, _ in chosen]
        highs = [(row["ratio_max"] if row["ratio_max"] is not None else row["ratio"]) - row["ratio"] for row, _ in chosen]
        colors = ["#4c72b0" if row["group"] != "ibd" else "#55a868" for row, _ in chosen]
        axes.axhline(0.5, color="#55a868", linewidth=0.8, linestyle=":", label="0.5 (IBD at 230 ms target)")
        axes.bar(xs, values, yerr=[lows, highs], capsize=4, color=colors)
        axes.axhline(1.0, color="black", linewidth=0.8)
        axes.axhline(0.8, color="#c44e52", linewidth=0.8, linestyle="--", label="0.8 (DESIGN.md targets)")
        for x, value in zip(xs, values):
            axes.text(x + 0.22, value + 0.01, f"{value:.2f}", ha="left", va="bottom", fontsize=8)
        axes.set_xticks(list(xs))
        axes.set_xticklabels([short for _, short in chosen], fontsize=8)
        axes.set_ylabel("ours / reference (median of paired runs; bars: min–max)")
        axes.set_title(f"dilithion-swift vs references, {meta.get('date', '')}, {meta.get('cpus', '?')} CPUs, "
                       f"{meta.get('mode', '')} run, {meta.get('pinning', '')}", fontsize=9)
        axes.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(f"{out_dir}/bench-ratios.png", dpi=110)
        print(f"wrote {out_dir}/bench-ratios.png")


if __name__ == "__main__":
    main()
