"""PNG plots of a scripts/netsim run: propagation CDF against the bounds, the bootstrap timeline,
and the connection graph on a map of the cities. Needs matplotlib (scripts/netsim installs it)."""
import math
import os
import random

# Longitude, latitude of the cities (for the graph only).
CITY_POSITIONS = {
    "sanfrancisco": (-122.4, 37.8), "toronto": (-79.4, 43.7), "nyc": (-74.0, 40.7), "saopaulo": (-46.6, -23.5),
    "london": (-0.1, 51.5), "frankfurt": (8.7, 50.1), "johannesburg": (28.0, -26.2), "mumbai": (72.9, 19.1),
    "singapore": (103.8, 1.35), "tokyo": (139.7, 35.7), "sydney": (151.2, -33.9),
}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _label(axis, xlabel, ylabel, title, legend=True):
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    if legend:
        axis.legend(fontsize=8)
    axis.grid(alpha=0.3)


def _save(plt, figure, path, dpi=110):
    figure.tight_layout()
    figure.savefig(path, dpi=dpi)
    plt.close(figure)


def _cdf(axis, values, label, **style):
    values = sorted(v for v in values if v is not None and math.isfinite(v))
    if values:
        axis.step(values, [(i + 1) / len(values) for i in range(len(values))], where="post", label=label, **style)


def propagation_cdf(path, results):
    plt = _pyplot()
    samples = results["propagation"]["samples"]
    figure, (cdf, scatter) = plt.subplots(1, 2, figsize=(13, 4.8))
    _cdf(cdf, [s["ms"] for s in samples], "measured", color="C3", linewidth=2)
    _cdf(cdf, [3 * s["overlay_bound_ms"] for s in samples], "1.5-RTT model: 3 × bound", color="C1", linestyle="--")
    _cdf(cdf, [s["overlay_bound_ms"] for s in samples], "latency-optimal bound over the connections", color="C0")
    _cdf(cdf, [s["mesh_bound_ms"] for s in samples], "bound over a full mesh", color="C2", linestyle=":")
    seeds = results.get("seeds_stopped", {}).get("measured", {})
    _label(cdf, "time from the miner to the node (ms)", "fraction of (block, node) pairs",
           f"block propagation, {results['nodes']} nodes, {results['propagation']['blocks']} blocks"
           + (f" (seeds stopped: p50 {seeds['p50']:.0f} ms)" if seeds.get("n") else ""))
    bounds = [s["overlay_bound_ms"] for s in samples]
    scatter.scatter(bounds, [s["ms"] for s in samples], s=6, alpha=0.5, color="C3")
    top = max(bounds + [1.0])
    scatter.plot([0, top], [0, top], color="C0", label="= bound")
    scatter.plot([0, top], [0, 3 * top], color="C1", linestyle="--", label="= 3 × bound (1.5 RTT per hop)")
    scatter.plot([0, top], [0, 1.3 * top], color="C2", linestyle=":", label="= 1.3 × bound (phase-2 target)")
    _label(scatter, "latency-optimal bound (ms)", "measured (ms)", "each (block, node) against its bound")
    _save(plt, figure, path)


def bootstrap_timeline(path, results, target):
    plt = _pyplot()
    boot = results["bootstrap"]
    timeline = boot["timeline"]
    figure, (reached, outbound) = plt.subplots(1, 2, figsize=(13, 4.5))
    total = len(boot["final_outbound"]) or 1
    reached.step([p["t"] for p in timeline], [p["reached"] for p in timeline], where="post", color="C3")
    reached.axhline(total, color="grey", linestyle=":")
    _label(reached, "seconds since the nodes started", f"nodes with {target} outbound peers",
           f"bootstrap from {results.get('seeds', 3)} seeds: nodes at their outbound target", legend=False)
    times = [p["t"] for p in timeline]
    counts = [p["counts"] for p in timeline]
    if counts and counts[0]:
        for q, style in ((0.5, "-"), (0.1, ":"), (0.9, "--")):
            values = [sorted(c)[min(len(c) - 1, int(q * len(c)))] if c else 0 for c in counts]
            outbound.plot(times, values, linestyle=style, color="C0", label=f"{int(q * 100)}th percentile")
        outbound.plot(times, [p["mean_outbound"] for p in timeline], color="C3", label="mean")
    outbound.axhline(target, color="grey", linestyle=":")
    _label(outbound, "seconds since the nodes started", "outbound full-relay peers per node",
           "outbound peers found through address gossip")
    _save(plt, figure, path)


def graph(path, results, nodes):
    plt = _pyplot()
    rng = random.Random(7)
    positions = {}
    for node in nodes:
        lon, lat = CITY_POSITIONS[node["city"]]
        positions[node["index"]] = (lon + rng.uniform(-6, 6), lat + rng.uniform(-4, 4))
    figure, axis = plt.subplots(figsize=(13, 6.5))
    edges = results["propagation"]["edges_before"]
    for a, b in edges:
        (x1, y1), (x2, y2) = positions[a], positions[b]
        axis.plot([x1, x2], [y1, y2], color="C0", alpha=0.25, linewidth=0.7)
    for node in nodes:
        x, y = positions[node["index"]]
        axis.scatter([x], [y], s=40 if node["seed"] else 14, color="C3" if node["seed"] else "C1", zorder=3)
    for city, (lon, lat) in CITY_POSITIONS.items():
        axis.annotate(city, (lon, lat + 6), ha="center", fontsize=8, color="grey")
    axis.set_xlim(-140, 170)
    axis.set_ylim(-50, 70)
    axis.set_xlabel("longitude")
    axis.set_ylabel("latitude")
    axis.set_title(f"connections after bootstrap: {len(nodes)} nodes (seeds red), {len(edges)} connections")
    _save(plt, figure, path, dpi=72)  # hundreds of translucent lines make a large PNG


def write_all(out, results, nodes):
    written = []
    target = results["parameters"].get("outbound_target", 8)
    if results.get("propagation", {}).get("samples"):
        path = os.path.join(out, "netsim-propagation.png")
        propagation_cdf(path, results)
        written.append(path)
        path = os.path.join(out, "netsim-graph.png")
        graph(path, results, nodes)
        written.append(path)
    if results.get("bootstrap", {}).get("timeline"):
        path = os.path.join(out, "netsim-bootstrap.png")
        bootstrap_timeline(path, results, target)
        written.append(path)
    return written
