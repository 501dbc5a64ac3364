#!/usr/bin/env python3
"""Measurement driver of scripts/netsim (which builds the network and starts the nodes).

Reads the run's description (--state: nodes with their namespace, ports, data directory, command
line and pid; the wanlink pid and matrix file) and runs the phases in order:

  bootstrap    every node but the seeds starts knowing only the seeds; polls getpeerinfo until each
               has its outbound target of full-relay peers or the window ends
  propagation  blocks mined (generate) at random nodes; a P2P observer on every node records when
               the node announces each block; compared with the latency-optimal bound over the
               connection graph (shortest paths of one-way delays)
  seeds        the seeds are stopped; blocks must still reach every node
  partition    the network is cut in two halves (west/east) for a while, blocks are mined on both
               sides, the cut is healed: one tip everywhere, time and reorg depth
  churn        a share of the nodes is restarted every interval; blocks keep reaching the nodes
               that stay up, restarted nodes regain their outbound peers, one tip at the end

Writes results.json and PNG plots into --out and prints the figures; exit status 0 when every
check passed, 1 otherwise. Bounded everywhere: every wait has a deadline.
"""
import argparse
import concurrent.futures
import json
import os
import random
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "wan"))
from observer import Observer, socket_in_namespace  # noqa: E402
from propagation import NodeRPC, percentile  # noqa: E402  (scripts/wan/propagation.py)
import plots  # noqa: E402
import topology  # noqa: E402

BLOCK_TIMEOUT = 30.0


def log(text=""):
    print(text, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def memory_kib(pid):
    """(RSS, PSS) of a process in KiB: resident pages, and resident pages with the shared ones
    (the Swift runtime, Foundation, libevent) divided among the processes that map them."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            fields = {line.split(":")[0]: int(line.split()[1]) for line in f if line.split()[-1:] == ["kB"]}
        return fields.get("Rss"), fields.get("Pss")
    except (OSError, ValueError, IndexError):
        return None


def cpu_seconds(pid):
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": percentile(values, 0.5), "p99": percentile(values, 0.99),
            "max": max(values), "mean": sum(values) / len(values)}


class Network:
    """The running nodes: RPC, processes, the observer, the forwarder's matrix."""

    def __init__(self, state, rng):
        self.state = state
        self.rng = rng
        self.nodes = state["nodes"]
        self.by_name = {n["name"]: n for n in self.nodes}
        self.index_of_address = {n["address"]: n["index"] for n in self.nodes}
        self.matrix = topology.delay_matrix(self.nodes)
        self.rpc = {n["name"]: NodeRPC(n["name"], n["netns"], n["rpc_port"], n["datadir"]) for n in self.nodes}
        self.running = {n["name"] for n in self.nodes}
        self.observer = None
        self.spawned = []
        # Each worker thread enters a namespace only for the moment it opens a socket (setns is per thread).
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=16)

    # RPC and processes

    def call(self, name, method, *params, default=None):
        try:
            return self.rpc[name].call(method, *params)
        except Exception:  # a node that is restarting or gone answers nothing
            return default

    def outbound_indexes(self, name):
        peers = self.call(name, "getpeerinfo", default=None)
        if peers is None:
            return None
        result = []
        for peer in peers:
            if peer.get("connection_type") == "outbound-full-relay" and peer.get("handshake_complete"):
                host = peer["addr"].rsplit(":", 1)[0]
                if host in self.index_of_address:
                    result.append(self.index_of_address[host])
        return result

    def outbound_of_all(self, names):
        """outbound_indexes of every node in `names`, asked in parallel (one poll of 100 nodes takes
        about as long as the slowest answer, so the bootstrap timeline has sub-second resolution)."""
        return dict(zip(names, self.pool.map(self.outbound_indexes, names)))

    def connections(self):
        """Undirected edges of established connections between running nodes."""
        edges = set()
        for name in sorted(self.running):
            a = self.by_name[name]["index"]
            for peer in self.call(name, "getpeerinfo", default=[]) or []:
                if not peer.get("handshake_complete") or peer.get("connection_type") == "addr-fetch":
                    continue
                host = peer["addr"].rsplit(":", 1)[0]
                b = self.index_of_address.get(host)
                if b is not None and b != a:
                    edges.add((min(a, b), max(a, b)))
        return sorted(edges)

    def pid(self, name):
        """The node's process: the one process in its namespace (nil while it is down)."""
        netns = os.path.basename(self.by_name[name]["netns"])
        found = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True).stdout.split()
        return int(found[0]) if found else None

    def stop(self, names, timeout=20.0):
        pids = {}
        for name in names:
            pid = self.pid(name)
            if pid is None:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
                pids[name] = pid
            except ProcessLookupError:
                pass
            self.running.discard(name)
            if self.observer:
                self.observer.detach(name)
        deadline = time.monotonic() + timeout
        for name, pid in pids.items():
            while self._alive(pid) and time.monotonic() < deadline:
                self.wait(0.05)
            if self._alive(pid):
                log(f"  {name} did not stop within {timeout:.0f} s of SIGTERM: killing it")
                os.kill(pid, signal.SIGKILL)
                while self._alive(pid):
                    time.sleep(0.05)

    @staticmethod
    def _alive(pid):
        try:  # our own child (a restarted node): reap it when it has exited
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return False
        except ChildProcessError:
            pass
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
        except OSError:
            return False

    def start(self, name):
        node = self.by_name[name]
        with open(node["log"], "ab") as out:
            process = subprocess.Popen(["ip", "netns", "exec", os.path.basename(node["netns"])] + node["argv"],
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.spawned.append(process)
        self.running.add(name)

    def wait_rpc(self, name, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.call(name, "getblockcount") is not None:
                return True
            self.wait(0.2)
        return False

    def wait(self, seconds):
        """Sleeps `seconds` while the observer keeps reading (arrival times stay exact)."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.observer:
                self.observer.poll(min(remaining, 0.05))
            else:
                time.sleep(min(remaining, 0.05))

    # the forwarder

    def set_cut(self, side):
        lines = topology.matrix_lines(self.nodes, cut=side)
        path = self.state["wanlink"]["matrix"]
        with open(path + ".tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(path + ".tmp", path)
        os.kill(self.state["wanlink"]["pid"], signal.SIGHUP)

    # observation

    def observer_names(self):
        return self.observer.names() if self.observer else set()

    def attach_observers(self, names):
        if self.observer is None:
            genesis = self.call(sorted(self.running)[0], "getblockhash", 0)
            self.observer = Observer(genesis)
        failed = []
        for name in sorted(names):
            node = self.by_name[name]
            try:
                self.observer.attach(name, node["netns"], node["p2p_port"])
            except (OSError, TimeoutError, ConnectionError) as error:
                failed.append(f"{name}: {error}")
        return failed

    def mine(self, name):
        hashes = self.call(name, "generate", 1)
        return hashes[0] if hashes else None

    def await_block(self, block, names, timeout=BLOCK_TIMEOUT):
        """Waits until every one of `names` announced `block`; returns {name: monotonic arrival}."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.observer.arrivals.get(block, {})
            if all(name in seen for name in names):
                break
            self.observer.poll(0.05)
        return dict(self.observer.arrivals.get(block, {}))

    def tips(self, names):
        return {name: self.call(name, "getbestblockhash") for name in names}

    def rss(self):
        return {name: memory_kib(self.pid(name)) for name in sorted(self.running)}

    def metrics(self, name):
        """NAME's /metrics lines as {series: value} (its namespace's 127.0.0.1), {} when it answers nothing."""
        node = self.by_name[name]
        sock = socket_in_namespace(node["netns"])
        series = {}
        try:
            with sock:
                sock.settimeout(5)
                sock.connect(("127.0.0.1", node["metrics_port"]))
                sock.sendall(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                reply = b""
                while chunk := sock.recv(65536):
                    reply += chunk
        except OSError:
            return series
        for line in reply.decode(errors="replace").split("\r\n\r\n", 1)[-1].splitlines():
            if line and not line.startswith("#") and " " in line:
                key, value = line.rsplit(" ", 1)
                try:
                    series[key] = float(value)
                except ValueError:
                    pass
        return series

    def relay_counters(self):
        """Each running node's compact-block relay counters ({name: {event: count}}), and the mean
        numbers of push peers (peers we push to; peers that push to us)."""
        names = sorted(self.running)
        counters, pushing, pushed_by = {}, [], []
        for name, series in zip(names, self.pool.map(self.metrics, names)):
            if "dilithion_push_peers" not in series:
                continue
            counters[name] = {key.split('"')[1]: int(value) for key, value in series.items()
                              if key.startswith('dilithion_compact_relay_events_total{event="')}
            pushing.append(series["dilithion_push_peers"])
            pushed_by.append(series["dilithion_pushing_peers"])
        return {"counters": counters, "push_peers_mean": sum(pushing) / max(len(pushing), 1),
                "pushing_peers_mean": sum(pushed_by) / max(len(pushed_by), 1)}

    def shutdown_spawned(self):
        for process in self.spawned:
            if process.poll() is None:
                process.terminate()
        for process in self.spawned:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


class Run:
    def __init__(self, args, state):
        self.args = args
        self.rng = random.Random(args.seed)
        self.net = Network(state, self.rng)
        self.results = {"parameters": vars(args), "nodes": len(self.net.nodes), "checks": [], "load": {}}
        self.seeds = [n["name"] for n in self.net.nodes if n["seed"]]
        self.others = [n["name"] for n in self.net.nodes if not n["seed"]]
        self.results["seeds"] = len(self.seeds)
        self.relay_seen = {}  # each node's relay counters at the end of the last phase

    def check(self, name, ok, detail):
        self.results["checks"].append({"check": name, "ok": bool(ok), "detail": detail})
        log(f"  {'PASS' if ok else 'FAIL'}: {name}: {detail}")

    def note_load(self, phase):
        """The machine's load averages and the CPU time the running nodes have used so far."""
        cpu = [cpu_seconds(self.net.pid(name)) for name in sorted(self.net.running)]
        self.results["load"][phase] = f"{loadavg()} (nodes' CPU so far {sum(c for c in cpu if c):.0f} s)"
        self.note_relay(phase)

    RELAY_EVENTS = ["pushed-own", "pushed", "received", "rebuilt-at-once", "getblocktxn-sent", "completed-by-blocktxn",
                    "getblocktxn-timeout", "getblocktxn-superseded", "fallback-getdata", "push-peer-promoted",
                    "push-peer-demoted"]

    def note_relay(self, phase):
        """Prints what the compact-block relay did in this phase, all nodes together: the growth of
        each node's /metrics counters (a node restarted meanwhile counts from zero again)."""
        relay = self.net.relay_counters()
        delta = {}
        for name, now in relay["counters"].items():
            before = self.relay_seen.get(name, {})
            restarted = any(count < before.get(event, 0) for event, count in now.items())
            for event, count in now.items():
                delta[event] = delta.get(event, 0) + count - (0 if restarted else before.get(event, 0))
        self.relay_seen = relay["counters"]
        self.results.setdefault("relay", {})[phase] = {"events": delta, "push_peers_mean": relay["push_peers_mean"],
                                                        "pushing_peers_mean": relay["pushing_peers_mean"]}
        if phase == "bootstrap" or not relay["counters"]:
            return
        shown = ", ".join(f"{k} {delta.get(k, 0)}" for k in self.RELAY_EVENTS)
        log(f"  relay ({len(relay['counters'])} nodes' /metrics): {shown}; push peers per node: "
            f"{relay['push_peers_mean']:.1f} pushed to, {relay['pushing_peers_mean']:.1f} pushing to it")

    # bootstrap

    def bootstrap(self):
        args = self.args
        log(f"\n== bootstrap: {len(self.others)} nodes know only the {len(self.seeds)} seeds; "
            f"target {args.outbound_target} outbound each, window {args.bootstrap_window:.0f} s")
        started = self.args.others_started
        reached = {}
        timeline = []
        deadline = started + args.bootstrap_window  # the window counts from the first start
        last = {}
        seed_indexes = {self.net.by_name[s]["index"] for s in self.seeds}
        while True:
            now = time.time()
            counts = []
            for name, outbound in self.net.outbound_of_all(self.others).items():
                if outbound is None:
                    continue
                last[name] = outbound
                counts.append(len(outbound))
                if name not in reached and len(outbound) >= args.outbound_target:
                    reached[name] = now - started
            timeline.append({"t": now - started, "reached": len(reached),
                             "mean_outbound": sum(counts) / max(len(counts), 1), "counts": counts})
            if len(reached) == len(self.others) or time.time() >= deadline:
                break
            time.sleep(args.poll_seconds)
        only_seeds = [n for n in self.others if set(last.get(n, [])) <= seed_indexes]
        missing = [n for n in self.others if n not in reached]
        # From each node's own start (the nodes are started one after another, which on a loaded
        # machine takes seconds for 100 of them).
        own_start = {}
        if args.started_file:
            with open(args.started_file) as f:
                for line in f:
                    name, moment = line.split()
                    own_start[name] = float(moment) - started
        times = [reached[n] - own_start.get(n, 0.0) for n in reached]
        stats = summary(times)
        all_at = max(reached.values()) if reached and not missing else None
        self.results["bootstrap"] = {"seconds_to_target_from_own_start": dict(zip(reached, times)),
                                     "seconds_to_target_from_first_start": reached, "summary": stats,
                                     "all_reached_after": all_at, "start_spread": max(own_start.values(), default=0),
                                     "timeline": timeline, "only_seeds": only_seeds, "missing": missing,
                                     "final_outbound": {n: len(v) for n, v in last.items()}}
        log(f"  time from a node's start to {args.outbound_target} outbound peers: p50 {stats.get('p50', float('nan')):.1f} s, "
            f"p99 {stats.get('p99', float('nan')):.1f} s, max {stats.get('max', float('nan')):.1f} s "
            f"({len(reached)}/{len(self.others)} nodes); starting them took {max(own_start.values(), default=0):.1f} s, "
            f"all had their peers {all_at if all_at is None else round(all_at, 1)} s after the first start")
        self.check("bootstrap: every node reached its outbound target in the window", not missing,
                   f"{len(missing)} missing" + (f": {', '.join(f'{n}={len(last.get(n, []))}' for n in missing[:10])}" if missing else ""))
        self.check("bootstrap: no node's outbound set is only seeds", not only_seeds,
                   f"{len(only_seeds)} nodes" + (f": {', '.join(only_seeds[:10])}" if only_seeds else ""))
        self.results["rss_after_bootstrap_kib"] = self.net.rss()
        self.note_load("bootstrap")

    # propagation

    def propagate(self, label, blocks, miners):
        """Mines `blocks` blocks, each at a random node of `miners`; returns the samples."""
        net = self.net
        targets = sorted(net.running)
        attaching = [n for n in targets if n not in net.observer_names()]
        failed = net.attach_observers(attaching)
        for failure in failed:
            log(f"  observer: {failure}")
        observed = sorted(set(targets) & net.observer.names())
        if attaching and self.args.settle_seconds > 0:
            # Just-attached observer connections make every node (and the observer) busy with a
            # handshake's follow-up messages; the first block must not be timed through that.
            net.wait(self.args.settle_seconds)
        edges_before = net.connections()
        overlay = topology.overlay_edges(net.matrix, edges_before)
        mesh = topology.full_mesh_edges(net.matrix)
        samples, failures = [], []
        for number in range(blocks):
            miner = self.rng.choice(sorted(set(miners) & set(observed)))
            block = net.mine(miner)
            if block is None:
                failures.append(f"block {number + 1}: generate failed at {miner}")
                continue
            arrivals = net.await_block(block, observed)
            late = [n for n in observed if n not in arrivals]
            if late:
                failures.append(f"block {number + 1} from {miner}: {len(late)} nodes did not announce it within "
                                f"{BLOCK_TIMEOUT:.0f} s: {', '.join(late[:8])}")
            if miner not in arrivals:
                continue
            source = net.by_name[miner]["index"]
            overlay_bound = topology.shortest_paths(source, len(net.nodes), overlay)
            mesh_bound = topology.shortest_paths(source, len(net.nodes), mesh)
            for name, arrived in arrivals.items():
                if name == miner:
                    continue
                index = net.by_name[name]["index"]
                samples.append({"block": number + 1, "miner": miner, "node": name,
                                "ms": (arrived - arrivals[miner]) * 1000.0,
                                "overlay_bound_ms": overlay_bound[index], "mesh_bound_ms": mesh_bound[index]})
            net.wait(0.5)
        edges_after = net.connections()
        measured = [s["ms"] for s in samples]
        bound = [s["overlay_bound_ms"] for s in samples if s["overlay_bound_ms"] != float("inf")]
        ratios = [s["ms"] / s["overlay_bound_ms"] for s in samples if 0 < s["overlay_bound_ms"] < float("inf")]
        mesh_ratios = [s["ms"] / s["mesh_bound_ms"] for s in samples if s["mesh_bound_ms"] > 0]
        model = [s["ms"] / (3 * s["overlay_bound_ms"]) for s in samples if 0 < s["overlay_bound_ms"] < float("inf")]
        result = {"blocks": blocks, "observed_nodes": len(observed), "samples": samples, "failures": failures,
                  "measured": summary(measured), "overlay_bound": summary(bound), "ratio": summary(ratios),
                  "mesh_ratio": summary(mesh_ratios), "ratio_to_1_5_rtt_model": summary(model),
                  "edges_before": edges_before, "edges_changed": edges_before != edges_after,
                  "degree": summary([sum(1 for e in edges_before if i in e) for i in
                                     (net.by_name[n]["index"] for n in observed)])}
        m, b, r = result["measured"], result["overlay_bound"], result["ratio"]
        if m["n"]:
            log(f"  propagation to every node: p50 {m['p50']:.0f} ms, p99 {m['p99']:.0f} ms, max {m['max']:.0f} ms "
                f"({m['n']} node-blocks)")
            result["ratio_of_p50s"], result["ratio_of_p99s"] = m["p50"] / b["p50"], m["p99"] / b["p99"]
            log(f"  latency-optimal bound over the connection graph: p50 {b['p50']:.0f} ms, p99 {b['p99']:.0f} ms; "
                f"measured/bound: {result['ratio_of_p50s']:.2f}x at p50, {result['ratio_of_p99s']:.2f}x at p99 "
                f"(per (block, node) pair: median {r['p50']:.2f}x)")
            mm = result["ratio_to_1_5_rtt_model"]
            log(f"  against the 1.5-RTT relay model (3 one-way delays per hop on the shortest path): "
                f"p50 {mm['p50']:.2f}x, p99 {mm['p99']:.2f}x; against the full-mesh bound: "
                f"p50 {result['mesh_ratio']['p50']:.2f}x")
        self.check(f"{label}: every block reached every node", not failures and m["n"] > 0,
                   f"{blocks} blocks, {len(observed)} nodes" + (f"; {failures[0]}" if failures else ""))
        return result

    def propagation(self):
        log(f"\n== propagation: {self.args.blocks} blocks mined at random nodes")
        result = self.propagate("propagation", self.args.blocks, sorted(self.net.running))
        self.results["propagation"] = result
        target = self.args.ratio_target
        if "ratio_of_p50s" in result and target > 0:
            self.check(f"propagation: within {target}x the latency-optimal bound at p50 and p99",
                       result["ratio_of_p50s"] <= target and result["ratio_of_p99s"] <= target,
                       f"{result['ratio_of_p50s']:.2f}x at p50, {result['ratio_of_p99s']:.2f}x at p99")
        elif "ratio_of_p50s" in result:
            log(f"  (not checked: the ratio to the bound, {result['ratio_of_p50s']:.2f}x at p50 and "
                f"{result['ratio_of_p99s']:.2f}x at p99; with {result['measured']['n']} samples p99 is the maximum)")
        self.results["rss_after_propagation_kib"] = self.net.rss()
        self.note_load("propagation")

    # seeds stopped

    def seeds_stopped(self):
        log(f"\n== seeds stopped: {', '.join(self.seeds)} stop; {self.args.seed_blocks} blocks at random other nodes")
        self.net.stop(self.seeds)
        self.results["seeds_stopped"] = self.propagate("seeds stopped", self.args.seed_blocks, self.others)
        self.note_load("seeds")

    # partition

    def partition(self):
        args, net = self.args, self.net
        running = sorted(net.running, key=lambda n: (topology.CITIES.index(net.by_name[n]["city"]), n))
        half = len(running) // 2
        west, east = running[:half], running[half:]
        cut = {net.by_name[n]["index"] for n in west}
        log(f"\n== partition: {len(west)} western nodes ({', '.join(sorted({net.by_name[n]['city'] for n in west}))}) "
            f"cut from {len(east)} eastern ones for {args.partition_seconds:.0f} s")
        before = net.tips(running)
        fork_height = net.call(running[0], "getblockcount")
        # A node all of whose connections cross the cut hears nothing during the partition: that
        # is the topology's doing, so it is reported and left out of the per-side check.
        same_side = {n: 0 for n in running}
        for a, b in net.connections():
            if (a in cut) == (b in cut):
                for index in (a, b):
                    name = net.nodes[index]["name"]
                    if name in same_side:
                        same_side[name] += 1
        isolated = sorted(n for n, count in same_side.items() if count == 0)
        net.set_cut(cut)
        cut_at = time.monotonic()
        # Blocks on both sides, spread over the window: the west mines one more.
        schedule = []
        west_blocks = max(2, args.partition_blocks)
        east_blocks = west_blocks - 1
        for i in range(west_blocks):
            schedule.append((args.partition_seconds * (2 * i + 1) / (2 * west_blocks + 1), "west"))
        for i in range(east_blocks):
            schedule.append((args.partition_seconds * (2 * i + 2) / (2 * west_blocks + 1), "east"))
        schedule.sort()
        mined = {"west": [], "east": []}
        for offset, side in schedule:
            net.wait(max(0.0, cut_at + offset - time.monotonic()))
            miner = self.rng.choice(west if side == "west" else east)
            block = net.mine(miner)
            if block:
                mined[side].append(block)
        net.wait(max(0.0, cut_at + args.partition_seconds - time.monotonic()))
        during = net.tips(running)
        west_tips = {during[n] for n in west if n not in isolated}
        east_tips = {during[n] for n in east if n not in isolated}
        side_tips = {"west": mined["west"][-1] if mined["west"] else None,
                     "east": mined["east"][-1] if mined["east"] else None}
        behind = sorted(n for n in running
                        if n not in isolated and during[n] != side_tips["west" if n in west else "east"])
        diverged = bool(mined["east"]) and west_tips == {mined["west"][-1]} and east_tips == {mined["east"][-1]}
        self.check("partition: each side built its own chain", diverged,
                   f"west mined {len(mined['west'])}, east {len(mined['east'])}; west tips {len(west_tips)}, "
                   f"east tips {len(east_tips)}; {len(isolated)} nodes without a peer on their own side"
                   + (f" ({', '.join(isolated)})" if isolated else "") + (f"; behind: {', '.join(behind)}" if behind else ""))
        net.set_cut(None)
        healed_at = time.monotonic()
        converged_after = None
        deadline = healed_at + args.converge_timeout
        while time.monotonic() < deadline:
            tips = net.tips(running)
            if len(set(tips.values())) == 1 and None not in tips.values():
                converged_after = time.monotonic() - healed_at
                break
            net.wait(0.25)
        final = net.tips(running)
        winner = next(iter(set(final.values()))) if len(set(final.values())) == 1 else None
        reorged = [n for n in running if during[n] != winner]
        depth = len(mined["east"]) if winner == (mined["west"][-1] if mined["west"] else None) else None
        self.results["partition"] = {
            "west": west, "east": east, "fork_height": fork_height, "mined": mined, "tips_before": before,
            "tips_at_heal": during, "isolated": isolated,
            "converged_seconds": converged_after, "winner": winner, "reorged_nodes": reorged, "reorg_depth": depth}
        log(f"  after the heal: one tip everywhere after "
            f"{'%.1f s' % converged_after if converged_after is not None else 'NEVER (bound %.0f s)' % args.converge_timeout}; "
            f"{len(reorged)} nodes reorganised, depth {depth}")
        self.check("partition: one tip everywhere after the heal", converged_after is not None and winner == mined["west"][-1],
                   f"{len(set(final.values()))} distinct tips" + (f", converged in {converged_after:.1f} s" if converged_after else ""))
        self.note_load("partition")

    # churn

    def churn(self):
        args, net = self.args, self.net
        pool = sorted(n for n in net.running if n not in self.seeds)
        per_round = max(1, round(len(pool) * args.churn_fraction))
        rounds = max(1, int(args.churn_seconds // args.churn_interval))
        log(f"\n== churn: {per_round} of {len(pool)} nodes restarted every {args.churn_interval:.0f} s, {rounds} rounds; "
            f"a block every {args.churn_block_interval:.0f} s")
        net.attach_observers([n for n in pool if n not in net.observer_names()])
        start = time.monotonic()
        restarts = []
        blocks = []
        recovery = {}          # restart number -> seconds from its stop to the outbound target again
        state = {"next_block": start + args.churn_block_interval / 2, "next_check": start}

        def idle_until(moment):
            """Mines the due blocks and watches restarted nodes' outbound peers until `moment`."""
            while time.monotonic() < moment:
                now = time.monotonic()
                if now >= state["next_block"]:
                    blocks.append(self._churn_block(pool))
                    state["next_block"] += args.churn_block_interval
                if now >= state["next_check"]:
                    for number, restart in enumerate(restarts):
                        if number not in recovery and restart["up"] is not None \
                                and len(net.outbound_indexes(restart["node"]) or []) >= args.outbound_target:
                            recovery[number] = time.monotonic() - start - restart["stopped"]
                    state["next_check"] = now + 1.0
                net.wait(min(0.2, max(0.0, moment - time.monotonic())))

        restarted_last = set()
        for round_number in range(rounds):
            idle_until(start + round_number * args.churn_interval)
            victims = self.rng.sample([n for n in pool if n not in restarted_last], per_round)
            stopped_at = time.monotonic()
            net.stop(victims)
            for name in victims:
                net.start(name)
            for name in victims:
                up = net.wait_rpc(name, 60)
                failed = net.attach_observers([name]) if up else [f"{name}: RPC not up"]
                restarts.append({"node": name, "round": round_number + 1, "stopped": stopped_at - start,
                                 "up": time.monotonic() - start if up and not failed else None})
            restarted_last = set(victims)
        idle_until(start + rounds * args.churn_interval)
        # The last rounds' nodes get the convergence bound to regain their peers.
        deadline = time.monotonic() + args.converge_timeout
        while time.monotonic() < deadline and len(recovery) < len(restarts):
            state["next_block"] = float("inf")
            idle_until(min(deadline, time.monotonic() + 1.0))
        converged, tips = None, {}
        tip_deadline = time.monotonic() + args.converge_timeout
        while time.monotonic() < tip_deadline:
            tips = net.tips(pool)
            if len(set(tips.values())) == 1 and None not in tips.values():
                converged = True
                break
            net.wait(0.5)
        samples = [s for b in blocks for s in b["samples"]]
        missed = [m for b in blocks for m in b["missed"]]
        for number, restart in enumerate(restarts):
            restart["recovered_after"] = recovery.get(number)
        self.results["churn"] = {"per_round": per_round, "rounds": rounds, "restarts": restarts, "blocks": blocks,
                                 "propagation": summary(samples), "recovery": summary(list(recovery.values())),
                                 "one_tip": bool(converged)}
        p = summary(samples)
        if p["n"]:
            log(f"  during churn: {len(blocks)} blocks, propagation p50 {p['p50']:.0f} ms, p99 {p['p99']:.0f} ms to the "
                f"nodes up throughout")
        rec = summary(list(recovery.values()))
        if rec["n"]:
            log(f"  restarted nodes back at {args.outbound_target} outbound peers: p50 {rec['p50']:.1f} s, "
                f"max {rec['max']:.1f} s after their stop")
        self.check("churn: blocks reached every node that stayed up", not missed and blocks,
                   f"{len(blocks)} blocks" + (f"; {missed[0]}" if missed else ""))
        self.check("churn: every restarted node regained its outbound target", len(recovery) == len(restarts),
                   f"{len(recovery)}/{len(restarts)} restarts")
        self.check("churn: one tip everywhere afterwards", bool(converged), f"{len(set(tips.values()))} distinct tips")
        self.results["rss_end_kib"] = net.rss()
        self.note_load("churn")

    def _churn_block(self, pool):
        net = self.net
        up = sorted(set(pool) & net.running & net.observer.names())
        miner = self.rng.choice(up)
        mined_at = time.monotonic()
        block = net.mine(miner)
        if block is None:
            return {"miner": miner, "samples": [], "missed": [f"generate failed at {miner}"]}
        # Only nodes that stay up (and observed) for the whole block window count.
        arrivals = net.await_block(block, up, timeout=BLOCK_TIMEOUT)
        stable = [n for n in up if n in net.running and n in net.observer.names()]
        missed = [f"{block[:12]} from {miner}: {n}" for n in stable if n not in arrivals]
        base = arrivals.get(miner, mined_at)
        return {"miner": miner, "block": block, "missed": missed,
                "samples": [(t - base) * 1000.0 for n, t in arrivals.items() if n != miner]}

    # report

    def finish(self, out):
        when = "after propagation" if self.results.get("rss_after_propagation_kib") else "after bootstrap"
        memory = self.results.get("rss_after_propagation_kib") or self.results.get("rss_after_bootstrap_kib") or {}
        rss = [v[0] for v in memory.values() if v and v[0]]
        pss = [v[1] for v in memory.values() if v and v[1]]
        if rss:
            self.results["rss_summary_kib"], self.results["pss_summary_kib"] = summary(rss), summary(pss)
            log(f"\n== memory per node ({when}): RSS mean {sum(rss) / len(rss) / 1024:.1f} MiB, "
                f"max {max(rss) / 1024:.1f} MiB; PSS (shared pages divided) mean {sum(pss) / max(len(pss), 1) / 1024:.1f} MiB, "
                f"all {sum(pss) / 1024:.0f} MiB for {len(pss)} nodes")
        log(f"== machine load (1/5/15-min load averages at the end of each phase): "
            + "; ".join(f"{k} {v}" for k, v in self.results["load"].items()))
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1, default=str)
        try:
            written = plots.write_all(out, self.results, self.net.nodes)
            for path in written:
                log(f"plot: {path}")
        except ImportError as error:
            log(f"plots skipped: {error}")
        return all(c["ok"] for c in self.results["checks"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", required=True, help="the run description written by scripts/netsim")
    parser.add_argument("--out", required=True, help="directory for results.json and the plots")
    parser.add_argument("--phases", default="bootstrap,propagation,seeds,partition,churn")
    parser.add_argument("--others-started", type=float, default=None,
                        help="unix time the non-seed nodes began to be started (default: now)")
    parser.add_argument("--started-file", help='lines "NAME UNIXTIME": when each node was started')
    parser.add_argument("--seed", type=int, default=134)
    parser.add_argument("--outbound-target", type=int, default=8)
    parser.add_argument("--bootstrap-window", type=float, default=180)
    parser.add_argument("--poll-seconds", type=float, default=0.25)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--settle-seconds", type=float, default=3.0,
                        help="wait between attaching the observer and the first block of a phase")
    parser.add_argument("--ratio-target", type=float, default=1.3,
                        help="propagation's p50 and p99 must be within this multiple of the latency-optimal bound "
                             "(0: reported, not checked)")
    parser.add_argument("--seed-blocks", type=int, default=5)
    parser.add_argument("--partition-seconds", type=float, default=60)
    parser.add_argument("--partition-blocks", type=int, default=3)
    parser.add_argument("--converge-timeout", type=float, default=300)
    parser.add_argument("--churn-seconds", type=float, default=180)
    parser.add_argument("--churn-interval", type=float, default=30)
    parser.add_argument("--churn-fraction", type=float, default=0.1)
    parser.add_argument("--churn-block-interval", type=float, default=10)
    args = parser.parse_args()
    if args.others_started is None:
        args.others_started = time.time()
    with open(args.state) as f:
        state = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    run = Run(args, state)
    phases = {"bootstrap": run.bootstrap, "propagation": run.propagation, "seeds": run.seeds_stopped,
              "partition": run.partition, "churn": run.churn}
    completed = False
    try:
        for phase in args.phases.split(","):
            phases[phase]()
        completed = True
    finally:
        ok = run.finish(args.out) and completed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
