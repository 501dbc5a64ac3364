#!/usr/bin/env python3
"""Per-block, per-hop timelines of a scripts/netsim run, from the node logs.

usage: scripts/sim/timeline.py OUT_DIR [--worst N]

OUT_DIR is a run's output directory with results.json and logs/ (run scripts/netsim with --logs
and --node-arg --loglevel=info,sync=debug). Every node logs on the same machine clock, so times
compare across nodes. Per block of the propagation phase (block k is height k) and node:

  received  the first `cmpctblock` for it (relay debug line; "-" when it came otherwise)
  has it    the relay's `pushed` line (validated, stored, pushed on), else the `sync progress`
            line of that height (logged after the announcements)

and, from the connection graph and the delay matrix, the earliest moment any neighbour's push
could have arrived (its "has it" time plus the one-way delay). The "local excess" (has it minus
that earliest moment) is what a node lost on its last hop: to its own work and the machine's
scheduling (received→has it), or to a neighbour that announced instead of pushing (no
`cmpctblock` came first, or it came late). Prints the excess distribution, the hop work and the
worst pairs with their story.
"""
import argparse
import datetime
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import topology  # noqa: E402

LINE = re.compile(r"^(\S+Z) \w+ \[sync\] (sync progress|cmpctblock|pushed) (.*)$")


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def fields(text):
    return dict(item.split("=", 1) for item in text.split() if "=" in item)


def read_log(path):
    """{height: stored time}, {hash: first cmpctblock time}, {height: pushed time}, {hash: height}."""
    stored, received, pushed, heights = {}, {}, {}, {}
    try:
        handle = open(path, errors="replace")
    except OSError:
        return stored, received, pushed, heights
    with handle:
        for line in handle:
            match = LINE.match(line)
            if not match:
                continue
            moment, kind, rest = parse_time(match.group(1)), match.group(2), fields(match.group(3))
            if kind == "sync progress":
                stored.setdefault(int(rest["height"]), moment)
            elif kind == "cmpctblock":
                received.setdefault(rest["hash"], moment)
            elif kind == "pushed":
                height = int(rest["height"])
                pushed.setdefault(height, moment)
                heights[rest["hash"]] = height
    return stored, received, pushed, heights


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--worst", type=int, default=25)
    args = parser.parse_args()
    results = json.load(open(os.path.join(args.out, "results.json")))
    parameters = results["parameters"]
    nodes = topology.plan(results["nodes"], results["seeds"], parameters["seed"])
    matrix = topology.delay_matrix(nodes)
    names = [n["name"] for n in nodes]
    propagation = results["propagation"]
    neighbours = {i: set() for i in range(len(nodes))}
    for a, b in propagation["edges_before"]:
        neighbours[a].add(b)
        neighbours[b].add(a)
    logs = {name: read_log(os.path.join(args.out, "logs", f"{name}.log")) for name in names}
    miners, observed = {}, {}
    for sample in propagation["samples"]:
        miners[sample["block"]] = sample["miner"]
        observed.setdefault(sample["block"], []).append((sample["node"], sample["ms"] / 1000.0))
    # The propagation phase's block k is height k (bootstrap mines nothing).
    rows, hops = [], []
    for height, miner in sorted(miners.items()):
        # A miner logs no `sync progress` for its own block: its moment is where the observer's
        # times (relative to the miner's announcement) put it on the log clock, median over nodes.
        offsets = [logs[n][0][height] - ms for n, ms in observed[height] if height in logs[n][0]]
        if not offsets:
            continue
        start = percentile(offsets, 0.5)
        logs[miner][0].setdefault(height, start)
        hashes = {}
        for name in names:
            for block_hash, h in logs[name][3].items():
                if h == height:
                    hashes[block_hash] = h
        for index, name in enumerate(names):
            if name == miner:
                continue
            stored, received, pushed, _ = logs[name]
            if height not in stored and height not in pushed:
                continue
            has_it = pushed.get(height, stored.get(height))
            first_received = min((received[h] for h in hashes if h in received), default=None)
            candidates = []
            for v in neighbours[index]:
                vs, _, vp, _ = logs[names[v]]
                leaves = vp.get(height, vs.get(height))  # a miner has no `sync progress` line: set above
                if leaves is not None:
                    candidates.append((leaves + matrix[v][index] / 1000.0, names[v]))
            if not candidates:
                continue
            earliest, via = min(candidates)
            row = {"height": height, "miner": miner, "node": name, "at_ms": (has_it - start) * 1000,
                   "excess_ms": (has_it - earliest) * 1000, "via": via,
                   "hop_work_ms": (has_it - first_received) * 1000 if first_received else None,
                   "waited_ms": (first_received - earliest) * 1000 if first_received else None}
            rows.append(row)
    if not rows:
        print("no timelines: were the logs kept (--logs) at sync=debug?")
        return 1
    excess = [r["excess_ms"] for r in rows]
    work = [r["hop_work_ms"] for r in rows if r["hop_work_ms"] is not None]
    waited = [r["waited_ms"] for r in rows if r["waited_ms"] is not None]
    def line(label, values):
        print(f"{label}: n {len(values)}, p50 {percentile(values, 0.5):.1f} ms, p90 {percentile(values, 0.9):.1f} ms, "
              f"p99 {percentile(values, 0.99):.1f} ms, max {max(values) if values else float('nan'):.1f} ms")
    line("local excess (has it - earliest neighbour's push + delay)", excess)
    line("  of which first cmpctblock received - earliest possible", waited)
    line("  of which hop work: first cmpctblock received -> validated, stored, pushed on", work)
    if not work:
        print("no relay debug lines in the logs (run with --node-arg --loglevel=info,sync=debug): hops not split")
    else:
        print(f"pairs where no cmpctblock came (headers/getdata path): {sum(1 for r in rows if r['hop_work_ms'] is None)} of {len(rows)}")
    print(f"\nworst {args.worst} by local excess:")
    for r in sorted(rows, key=lambda r: -r["excess_ms"])[:args.worst]:
        hop = ("no cmpctblock" if work else "-") if r["hop_work_ms"] is None else f"waited {r['waited_ms']:.0f} ms, hop work {r['hop_work_ms']:.0f} ms"
        print(f"  block {r['height']:2d} from {r['miner']} at {r['node']}: +{r['at_ms']:.0f} ms, excess {r['excess_ms']:.0f} ms "
              f"(earliest via {r['via']}): {hop}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
