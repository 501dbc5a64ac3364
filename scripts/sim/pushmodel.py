#!/usr/bin/env python3
"""A model of push relay on a netsim run's connection graph: how close to the latency-optimal
bound blocks would cross it with K peers asked to push per node.

Reads a netsim results.json (the connection graph at the start of the propagation phase; the
cities are re-planned from the run's node count and --seed, as scripts/netsim does), mines
--blocks blocks at random nodes and replays the relay rules in discrete events: a node that has
a block pushes it (one one-way delay) to the neighbours that chose it as one of their K push
peers, and announces it to the others, which fetch it from the first announcer (announce,
getdata, block: three one-way delays); each hop adds --per-hop-ms of work. After every block
each node re-chooses as Bitcoin Core does: the peer that delivered the block first becomes a
push peer, the longest-serving one leaves. The initial push peers are random neighbours (the
first to connect) or the lowest-latency ones (--initial latency).

Prints, per K, propagation's ratio to the bound at p50 and p99 for each of --runs random block
sequences. A model, not a measurement: no CPU contention, no TCP, no queueing; it ranks relay
rules, the real run (scripts/netsim) measures them.
"""
import argparse
import heapq
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "wan"))
import topology  # noqa: E402
from propagation import percentile  # noqa: E402  (scripts/wan/propagation.py)


def arrivals(delay, neighbours, pushers_of, miner, per_hop):
    """{node: (time it has the block, the peer it came from)} for one block mined at `miner`."""
    have, fetching, told = {}, set(), {n: set() for n in neighbours}
    events, order = [(0.0, 0, "block", miner, None)], 1
    while events:
        moment, _, kind, node, peer = heapq.heappop(events)
        if peer is not None:
            told[node].add(peer)
        if kind == "announce":
            if node not in have and node not in fetching:
                fetching.add(node)  # getdata to the first announcer, the block comes back
                heapq.heappush(events, (moment + 2 * delay[peer][node], order, "block", node, peer))
                order += 1
            continue
        if node in have:
            continue
        have[node] = (moment, peer)
        for other in neighbours[node]:
            if other == peer or other in told[node]:
                continue  # a peer that told us about the block is not told about it again
            kind_out = "push" if node in pushers_of[other] else "announce"
            heapq.heappush(events, (moment + per_hop + delay[node][other], order, kind_out, other, node))
            order += 1
    return have


def run(results, nodes, push_peers, initial, blocks, per_hop, rng_seed):
    delay = topology.delay_matrix(nodes)
    count = len(nodes)
    edges = [tuple(e) for e in results["propagation"]["edges_before"]]
    neighbours = {n: set() for n in range(count)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    overlay = topology.overlay_edges(delay, edges)
    rng = random.Random(rng_seed)
    pushers_of = {}
    for node in range(count):
        candidates = sorted(neighbours[node])
        if initial == "latency":
            candidates.sort(key=lambda p: (delay[node][p], p))
        else:
            rng.shuffle(candidates)
        pushers_of[node] = candidates[:push_peers]
    measured, bound = [], []
    for _ in range(blocks):
        miner = rng.randrange(count)
        have = arrivals(delay, neighbours, pushers_of, miner, per_hop)
        best = topology.shortest_paths(miner, count, overlay)
        for node, (moment, source) in have.items():
            if node == miner:
                continue
            measured.append(moment)
            bound.append(best[node])
            chosen = pushers_of[node]
            if source in chosen:
                chosen.remove(source)
            elif len(chosen) >= push_peers:
                chosen.pop(0)
            chosen.append(source)
    return percentile(measured, 0.5) / percentile(bound, 0.5), percentile(measured, 0.99) / percentile(bound, 0.99)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="a netsim results.json with a propagation phase")
    parser.add_argument("--push-peers", default="3,4,5,6,8", help="comma-separated values of K")
    parser.add_argument("--initial", choices=["first", "latency"], default="first")
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-hop-ms", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=4, help="random block sequences per K")
    parser.add_argument("--seed", type=int, default=134, help="the run's --seed (city assignment)")
    args = parser.parse_args()
    with open(args.results) as f:
        results = json.load(f)
    nodes = topology.plan(results["nodes"], results.get("seeds", 3), args.seed)
    for k in (int(v) for v in args.push_peers.split(",")):
        ratios = [run(results, nodes, k, args.initial, args.blocks, args.per_hop_ms, args.seed + r) for r in range(args.runs)]
        print(f"K={k}: p50/p99 ÷ bound " + "  ".join(f"{p50:.2f}/{p99:.2f}" for p50, p99 in ratios), flush=True)


if __name__ == "__main__":
    main()
