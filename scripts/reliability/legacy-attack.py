#!/usr/bin/env python3
"""Attacking peers for scripts/reliability/legacy-headers (issue 14): legacy (RandomX) `headers`
messages that cost the node as much as it lets them, sent to a node running our legacy regtest chain
(--legacy-regtest; regtest magic). Uses flood-peer.py's loopback peer (handshake, pings answered).

Modes (each prints one JSON line):
  garbage  --messages N: each from a fresh connection and source address (127.0.1.x, 127.0.2.x, ...):
           2,000 random legacy headers, the first linking to genesis, the network's bits and valid times
           (everything a cheap check can see passes); waits for the node to close or --wait s.
  easy     the same, every header claiming an easier target than the network's (0x2100ffff): refused
           by the nBits check before any hash.
  replay   one connection: learns the node's headers with getheaders, then sends them back --messages
           times (valid headers the node has; no points, only lookups in its replay cache).
Only 127.0.0.0/8 is ever dialled.
"""
import argparse
import importlib.util
import json
import os
import struct
import time

spec = importlib.util.spec_from_file_location("flood_peer", os.path.join(os.path.dirname(__file__), "flood-peer.py"))
flood = importlib.util.module_from_spec(spec)
spec.loader.exec_module(flood)

LEGACY_BITS = 0x207FFFFF  # LegacyRegtestGenesis.bits
EASY_BITS = 0x2100FFFF


def varint(n):
    if n < 0xFD:
        return bytes([n])
    return b"\xfd" + struct.pack("<H", n)


def legacy_header(prev_raw, time_value, bits):
    # 80 bytes: version 1, prev, merkle, time, bits, nonce (PROTOCOL.md §4.2), then a zero tx count
    return (struct.pack("<i", 1) + prev_raw + os.urandom(32) + struct.pack("<III", time_value, bits,
            int.from_bytes(os.urandom(4), "little")) + b"\0")


def garbage_payload(genesis_raw, genesis_time, bits, count=2000):
    headers = []
    for index in range(count):
        prev = genesis_raw if index == 0 else os.urandom(32)
        headers.append(legacy_header(prev, genesis_time + 240 * (index + 1), bits))
    return varint(count) + b"".join(headers)


def source_address(index):
    return "127.0.%d.%d" % (1 + index // 250, 1 + index % 250)


def run_fresh_connections(args, payload_for):
    host, port = args.connect.rsplit(":", 1)
    sent, closed = 0, 0
    payloads = [payload_for() for _ in range(args.messages)]  # made before the clock starts
    start = time.monotonic()
    for index, payload in enumerate(payloads):
        peer = flood.Peer(host, int(port), args.genesis, agent="/legacy-attack/", source=source_address(args.first_source + index))
        peer.handshake()
        peer.send(flood.frame("headers", payload))
        sent += 1
        deadline = time.monotonic() + args.wait
        while not peer.closed and time.monotonic() < deadline:
            peer.frames(0.05)
        closed += peer.closed
        peer.sock.close()
    return {"mode": args.mode, "messages": sent, "closed_by_node": closed, "seconds": round(time.monotonic() - start, 3),
            "bytes_per_message": len(payloads[0]) if payloads else 0}


def run_replay(args):
    host, port = args.connect.rsplit(":", 1)
    peer = flood.Peer(host, int(port), args.genesis, agent="/legacy-attack/", source=source_address(args.first_source))
    peer.handshake()
    genesis_raw = bytes.fromhex(args.genesis)[::-1]
    # getheaders (PROTOCOL.md §3.6): one locator hash (genesis), zero stop hash
    peer.send(flood.frame("getheaders", varint(1) + genesis_raw + b"\0" * 32))
    payload = None
    deadline = time.monotonic() + 10
    while payload is None and time.monotonic() < deadline and not peer.closed:
        for command, body in peer.frames(0.1):
            if command == "headers" and len(body) > 1:
                payload = body
    if payload is None:
        return {"mode": "replay", "error": "no headers from the node"}
    start = time.monotonic()
    sent = 0
    for _ in range(args.messages):
        if peer.closed:
            break
        peer.send(flood.frame("headers", payload))
        sent += 1
        peer.frames(0.0)
    rtt = None if peer.closed else flood.one_ping(peer, 0x4E9A, 60)  # every replay processed before this pong
    return {"mode": "replay", "messages": sent, "headers_per_message": payload[0] if payload[0] < 0xFD else struct.unpack_from("<H", payload, 1)[0],
            "seconds": round(time.monotonic() - start, 3), "closed_by_node": peer.closed,
            "drained": rtt is not None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["garbage", "easy", "replay"])
    parser.add_argument("--connect", required=True, help="HOST:PORT of the node (loopback only)")
    parser.add_argument("--genesis", required=True, help="the legacy regtest genesis hash, display hex")
    parser.add_argument("--genesis-time", type=int, default=0, help="the genesis block's time")
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--first-source", type=int, default=0, help="index of the first source address")
    parser.add_argument("--wait", type=float, default=5, help="seconds to wait for the node to close a connection")
    args = parser.parse_args()
    genesis_raw = bytes.fromhex(args.genesis)[::-1]
    if args.mode == "garbage":
        result = run_fresh_connections(args, lambda: garbage_payload(genesis_raw, args.genesis_time, LEGACY_BITS))
    elif args.mode == "easy":
        result = run_fresh_connections(args, lambda: garbage_payload(genesis_raw, args.genesis_time, EASY_BITS))
    else:
        result = run_replay(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
