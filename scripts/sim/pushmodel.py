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
push peer, the longest-serving one leaves (--rule core), or the peer whose push or announcement
reached it first does (--rule first-announcer; a push it did not ask for earns nothing). With
--miner-pushes-all a miner pushes its own block to every neighbour. The initial push peers are
random neighbours (the first to connect) or the lowest-latency ones (--initial latency).

Prints, per rule and K, propagation's ratio to the bound at p50 and p99 for each of --runs random
block sequences, and the pushes a node receives per block (the bandwidth price). A model, not a measurement: no CPU contention, no TCP, no queueing; it ranks relay
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


def arrivals(delay, neighbours, pushers_of, miner, per_hop, miner_pushes_all):
    """One block mined at `miner`: ({node: (time it has the block, the peer it came from)},
    {node: the peer whose push or announcement reached it first, None for a push it did not ask
    for}, pushes sent)."""
    have, fetching, told, first = {}, set(), {n: set() for n in neighbours}, {}
    events, order, pushes = [(0.0, 0, "block", miner, None)], 1, 0
    while events:
        moment, _, kind, node, peer = heapq.heappop(events)
        if peer is not None:
            told[node].add(peer)
            if node not in first and node not in have:
                first[node] = peer if kind == "announce" or peer in pushers_of[node] else None
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
            push = node in pushers_of[other] or (miner_pushes_all and node == miner)
            pushes += push
            heapq.heappush(events, (moment + per_hop + delay[node][other], order, "push" if push else "announce", other, node))
            order += 1
    return have, first, pushes


def run(results, nodes, push_peers, initial, blocks, per_hop, rng_seed, rule="core", miner_pushes_all=False):
    """(p50 ÷ bound, p99 ÷ bound, pushes received per node and block)."""
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
    measured, bound, pushes = [], [], 0
    for _ in range(blocks):
        miner = rng.randrange(count)
        have, first, sent = arrivals(delay, neighbours, pushers_of, miner, per_hop, miner_pushes_all)
        pushes += sent
        best = topology.shortest_paths(miner, count, overlay)
        for node, (moment, source) in have.items():
            if node == miner:
                continue
            measured.append(moment)
            bound.append(best[node])
            credited = source if rule == "core" else first.get(node)
            if credited is None:
                continue
            chosen = pushers_of[node]
            if credited in chosen:
                chosen.remove(credited)
            elif len(chosen) >= push_peers:
                chosen.pop(0)
            chosen.append(credited)
    return (percentile(measured, 0.5) / percentile(bound, 0.5), percentile(measured, 0.99) / percentile(bound, 0.99),
            pushes / (blocks * (count - 1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="a netsim results.json with a propagation phase")
    parser.add_argument("--push-peers", default="3,4,5,6,8", help="comma-separated values of K")
    parser.add_argument("--initial", choices=["first", "latency"], default="first")
    parser.add_argument("--rule", choices=["core", "first-announcer", "both"], default="both",
                        help="who is promoted after a block: the peer that delivered it first (Bitcoin Core), "
                             "the peer whose push or announcement came first (a push not asked for earns nothing)")
    parser.add_argument("--miner-pushes-all", choices=["no", "yes", "both"], default="both",
                        help="whether a miner pushes its own block to every neighbour")
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-hop-ms", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=4, help="random block sequences per K")
    parser.add_argument("--seed", type=int, default=134, help="the run's --seed (city assignment)")
    args = parser.parse_args()
    with open(args.results) as f:
        results = json.load(f)
    nodes = topology.plan(results["nodes"], results.get("seeds", 3), args.seed)
    rules = ["core", "first-announcer"] if args.rule == "both" else [args.rule]
    pushing = [False, True] if args.miner_pushes_all == "both" else [args.miner_pushes_all == "yes"]
    for miner_pushes_all in pushing:
        for rule in rules:
            print(f"rule {rule}, miner pushes to all: {'yes' if miner_pushes_all else 'no'}")
            for k in (int(v) for v in args.push_peers.split(",")):
                ratios = [run(results, nodes, k, args.initial, args.blocks, args.per_hop_ms, args.seed + r, rule, miner_pushes_all)
                          for r in range(args.runs)]
                print(f"  K={k}: p50/p99 ÷ bound " + "  ".join(f"{p50:.2f}/{p99:.2f}" for p50, p99, _ in ratios)
                      + f"; pushes received per node and block {sum(r[2] for r in ratios) / len(ratios):.1f}", flush=True)


if __name__ == "__main__":
    main()
