#!/usr/bin/env python3
"""Block propagation monitor for scripts/testnet-local.

Talks JSON-RPC (HTTP/1.1 keep-alive, cookie auth) to every node directly. In netns mode each
node's RPC listens on 127.0.0.1 inside that node's namespace: the socket for it is created inside
the namespace (setns), then used from here; no `ip netns exec` per poll, so polling every few
milliseconds costs little.

Reads a JSON description of the nodes (name, netns path or null, rpc port, datadir, miner flag),
asks the miner to `generate 1` every --interval seconds, polls every node's getblockcount every
--poll-ms until all have the new height, and reports per-node propagation p50/p99/max, connection
counts and the final tips. Writes --json results and, with --plot, a PNG.
"""
import argparse
import base64
import ctypes
import faulthandler
import http.client
import json
import math
import os
import signal
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


class NodeRPC:
    def __init__(self, name, netns, port, datadir):
        self.name, self.netns, self.port, self.datadir = name, netns, port, datadir
        self.connection = None
        self.auth = None

    def _socket(self):
        sock = self._connect()
        # http.client writes the headers and the body with two send() calls: without TCP_NODELAY,
        # Nagle holds the body until the server's delayed ACK (40 ms), which made every poll take
        # ~44 ms and every propagation figure read late by a poll cycle.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _connect(self):
        if not self.netns:
            return socket.create_connection(("127.0.0.1", self.port), timeout=5)
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open(self.netns, os.O_RDONLY)
        try:
            setns(target)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # belongs to the node's namespace
        finally:
            setns(home)
            os.close(target)
            os.close(home)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", self.port))
        return sock

    def call(self, method, *params):
        for attempt in range(2):  # one reconnect: the server may have closed an idle keep-alive socket
            try:
                if self.connection is None:
                    with open(os.path.join(self.datadir, ".cookie")) as cookie:
                        self.auth = "Basic " + base64.b64encode(cookie.read().strip().encode()).decode()
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    self.connection.sock = self._socket()
                body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": list(params)})
                self.connection.request("POST", "/", body, {"Authorization": self.auth,
                                                           "Content-Type": "application/json"})
                reply = json.loads(self.connection.getresponse().read())
                if reply.get("error"):
                    raise RuntimeError(f"{self.name} {method}: {reply['error']}")
                return reply["result"]
            except (OSError, http.client.HTTPException, ValueError):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                if attempt == 1:
                    raise


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def progress(done, total, width=30):
    filled = done * width // max(total, 1)
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nodes", help="JSON file describing the nodes")
    parser.add_argument("--blocks", type=int, default=30)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between generated blocks")
    parser.add_argument("--block-size", type=int, default=0, help="blob size of generated blocks (0: node default)")
    parser.add_argument("--poll-ms", type=float, default=10.0)
    parser.add_argument("--block-timeout", type=float, default=30.0, help="bound on one block's propagation")
    parser.add_argument("--json", help="write the raw results here")
    parser.add_argument("--plot", help="write a PNG (propagation by node, and CDF) here")
    parser.add_argument("--bar", action="store_true", help="redraw a progress bar in place")
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1` shows where a stuck run is

    with open(args.nodes) as description:
        nodes = json.load(description)
    rpcs = {n["name"]: NodeRPC(n["name"], n.get("netns"), n["rpcport"], n["datadir"]) for n in nodes}
    miner = next(n["name"] for n in nodes if n.get("miner"))
    others = [n["name"] for n in nodes if n["name"] != miner]
    latencies = {name: [] for name in others}
    failures = []

    start_height = rpcs[miner].call("getblockcount")
    stuck_blocks = 0
    for index in range(args.blocks):
        cycle_start = time.monotonic()
        params = [1, args.block_size] if args.block_size else [1]
        rpcs[miner].call("generate", *params)
        mined_at = time.monotonic()  # the miner stored the block when generate returned
        height = start_height + index + 1
        pending = set(others)
        deadline = mined_at + args.block_timeout
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                try:
                    count = rpcs[name].call("getblockcount")
                except (OSError, RuntimeError, http.client.HTTPException) as error:
                    failures.append(f"block {height}: {name}: RPC failed: {error}")
                    pending.discard(name)
                    continue
                if count >= height:
                    latencies[name].append((time.monotonic() - mined_at) * 1000.0)
                    pending.discard(name)
            if pending:
                time.sleep(args.poll_ms / 1000.0)
        for name in sorted(pending):
            failures.append(f"block {height}: {name} did not reach it within {args.block_timeout:.0f} s")
        stuck_blocks = stuck_blocks + 1 if pending else 0
        if stuck_blocks == 3:
            failures.append("3 blocks in a row did not reach every node: stopping early")
            break
        reached = [latencies[n][-1] for n in others if n not in pending and latencies[n]]
        line = (f"  blocks {progress(index + 1, args.blocks)}  block {height}: reached {len(others) - len(pending)}"
                f"/{len(others)}, slowest {max(reached, default=float('nan')):.0f} ms")
        if args.bar:
            print("\r" + line, end="", flush=True)
        elif (index + 1) % max(1, args.blocks // 10) == 0 or index + 1 == args.blocks:
            print(line, flush=True)
        remaining = args.interval - (time.monotonic() - cycle_start)
        if remaining > 0 and index + 1 < args.blocks:
            time.sleep(remaining)  # the block interval itself, not a wait for a condition
    if args.bar:
        print()

    tips = {name: rpcs[name].call("getbestblockhash") for name in rpcs}
    connections = {name: rpcs[name].call("getconnectioncount") for name in rpcs}
    tips_equal = len(set(tips.values())) == 1
    if not tips_equal:
        failures.append("final tips differ: " + ", ".join(f"{n}={h[:12]}" for n, h in tips.items()))

    all_values = [v for values in latencies.values() for v in values]
    print()
    print(f"{'node':<11} {'conns':>5} {'blocks':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    print(f"{miner:<11} {connections[miner]:>5} {'miner':>6}")
    for name in others:
        values = latencies[name]
        print(f"{name:<11} {connections[name]:>5} {len(values):>6} {percentile(values, 0.5):>8.1f} "
              f"{percentile(values, 0.99):>8.1f} {max(values, default=float('nan')):>8.1f}")
    print(f"{'all':<11} {'':>5} {len(all_values):>6} {percentile(all_values, 0.5):>8.1f} "
          f"{percentile(all_values, 0.99):>8.1f} {max(all_values, default=float('nan')):>8.1f}")
    heights = {name: rpcs[name].call("getblockcount") for name in rpcs}
    print(f"tips equal: {'yes' if tips_equal else 'no'}; heights: " + ", ".join(f"{n}={h}" for n, h in heights.items()))

    if args.json:
        with open(args.json, "w") as out:
            json.dump({"miner": miner, "latencies_ms": latencies, "connections": connections, "tips": tips,
                       "failures": failures}, out, indent=1)
    if args.plot:
        plot(args.plot, miner, latencies)
    for failure in failures:
        print("  FAIL: " + failure)
    return 0 if not failures else 1


def plot(path, miner, latencies):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (by_node, cdf) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = list(latencies)
    by_node.boxplot([latencies[n] or [float("nan")] for n in names], showfliers=True)
    by_node.set_xticks(range(1, len(names) + 1), names)
    by_node.set_ylabel("propagation from miner (ms)")
    by_node.set_title(f"block propagation from {miner}, per node")
    for name in names:
        values = sorted(latencies[name])
        if values:
            cdf.step(values, [(i + 1) / len(values) for i in range(len(values))], where="post", label=name)
    cdf.set_xlabel("propagation (ms)")
    cdf.set_ylabel("fraction of blocks")
    cdf.set_title("CDF")
    cdf.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    sys.exit(main())
