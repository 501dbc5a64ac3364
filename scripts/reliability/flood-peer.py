#!/usr/bin/env python3
"""Flooding loopback peers for scripts/reliability/floods (RELIABILITY.md cases 2, 16, 17, 18).

fakepeer (the Swift raw peer every other reliability script uses) takes its payloads on the command
line, so it cannot send 80 frames of 32 MiB, pace a flood at a chosen rate while counting the answers
on a second thread, keep requesting without reading for as long as the node lets it, or run a pinger
until told to stop and report its slowest round trip. Why these modes stay here instead of being
folded into fakepeer: floods is their only user, each is a short loop around one socket (a reader
thread for the rate modes), and as Swift they would roughly double fakepeer for no capability the
other scripts need. Each mode completes the version/verack handshake first (regtest magic, the
genesis hash the caller passes as display hex) and prints one JSON line at the end. (The node
sampler that used to live here is `dl_sampler_start` in scripts/lib/dilithion.sh.)

Modes:
  ping       an honest peer: one ping every --interval-ms until --count pings or SIGTERM/SIGINT,
             then up to 2 s for the last pongs; RTT p50/p99/max, pongs lost, whether the node closed.
  badsum     --count well-framed frames (valid magic, command, length) whose checksum is wrong, then
             --hold seconds reading; then one good ping: is the peer still connected and served?
  bigframes  --count frames of --size payload bytes (an unknown, well-formed command) as fast as the
             socket takes them, then one ping; drain = from the first byte to that pong.
  pingflood  pings at --rate per second for --duration seconds in 10 ms batches, counting pongs on a
             reader thread; achieved send rate, pong (processed) rate, time to drain.
  nonreader  small receive buffer; getdata for --hashes (display hex, one per line) plus a ping every
             --pace-ms, never reading, until the node closes the connection or --duration passes.
Only 127.0.0.1 / ::1 are ever dialled.
"""
import argparse
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time


MAGIC = bytes.fromhex("dab5bffa")  # regtest 0xFABFB5DA, little-endian on the wire
HEADER = 24
STOP = threading.Event()


def checksum(payload):
    return hashlib.sha3_256(hashlib.sha3_256(payload).digest()).digest()[:4]  # SHA3-256 twice (PROTOCOL.md §1)


def frame(command, payload, bad_checksum=False):
    check = checksum(payload)
    if bad_checksum:
        check = bytes(b ^ 0xFF for b in check)
    return MAGIC + command.encode().ljust(12, b"\0") + struct.pack("<I", len(payload)) + check + payload


def net_addr(port):
    return struct.pack("<Q", 1) + b"\0" * 10 + b"\xff\xff" + bytes([127, 0, 0, 1]) + struct.pack("<H", port)


def version_payload(port, genesis_raw, agent):
    return (struct.pack("<iQq", 70011, 1, int(time.time())) + net_addr(port) + struct.pack("<Q", 0) + b"\0" * 10 + b"\xff\xff" + b"\0" * 6
            + struct.pack("<Q", int.from_bytes(os.urandom(8), "little")) + bytes([len(agent)]) + agent
            + struct.pack("<i", 0) + b"\0" + genesis_raw)


def ping_frame(nonce):
    return frame("ping", struct.pack("<Q", nonce))


class Peer:
    """One connection: a frame reader that answers the node's pings and hands other frames back."""

    def __init__(self, host, port, genesis_hex, rcvbuf=0, agent="/flood-peer/", source=None):
        if host not in ("127.0.0.1", "::1", "localhost"):
            sys.exit("flood-peer: loopback addresses only")
        if source is not None and not source.startswith("127."):
            sys.exit("flood-peer: loopback source addresses only")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if source is not None:
            self.sock.bind((source, 0))  # the node counts and bans per address
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.connect((host, port))
        self.port = port
        self.genesis = bytes.fromhex(genesis_hex)[::-1]
        self.agent = agent.encode()[:200]
        self.buffer = bytearray()
        self.closed = False
        self.send_lock = threading.Lock()

    def send(self, data):
        with self.send_lock:
            self.sock.sendall(data)

    def frames(self, timeout):
        """Frames available within timeout (answers pings); [] on timeout; sets closed on EOF/error."""
        # select, not a socket timeout: a timeout would also bound sendall on the flooding thread
        try:
            readable, _, _ = select.select([self.sock], [], [], timeout)
            if not readable:
                return []
            data = self.sock.recv(1 << 20)
        except OSError:
            self.closed = True
            return []
        if not data:
            self.closed = True
            return []
        self.buffer += data
        out = []
        while len(self.buffer) >= HEADER:
            length = struct.unpack_from("<I", self.buffer, 16)[0]
            if len(self.buffer) < HEADER + length:
                break
            command = bytes(self.buffer[4:16]).rstrip(b"\0").decode(errors="replace")
            payload = bytes(self.buffer[HEADER:HEADER + length])
            del self.buffer[:HEADER + length]
            if command == "ping" and len(payload) == 8:
                self.send(frame("pong", payload))
            out.append((command, payload))
        return out

    def handshake(self):
        self.send(frame("version", version_payload(self.port, self.genesis, self.agent)))
        seen = set()
        deadline = time.monotonic() + 10
        while not {"version", "verack"} <= seen and time.monotonic() < deadline and not self.closed:
            for command, _ in self.frames(0.1):
                seen.add(command)
        if "version" not in seen:
            sys.exit("flood-peer: no version from the node")
        self.send(frame("verack", b""))
        if "verack" not in seen:
            sys.exit("flood-peer: no verack from the node")


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))], 3)


def one_ping(peer, nonce, wait):
    """Sends one ping and waits up to `wait` s for its pong; the RTT in ms, or None."""
    sent = time.monotonic()
    peer.send(ping_frame(nonce))
    deadline = sent + wait
    while time.monotonic() < deadline and not peer.closed:
        for command, payload in peer.frames(0.05):
            if command == "pong" and payload == struct.pack("<Q", nonce):
                return (time.monotonic() - sent) * 1000
    return None


def mode_ping(args, peer):
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    sent_at, rtts = {}, []
    nonce = 0x51AB_0000_0000_0000
    next_ping = time.monotonic()
    while not STOP.is_set() and not peer.closed and (args.count == 0 or len(sent_at) < args.count):
        now = time.monotonic()
        if now >= next_ping:
            nonce += 1
            sent_at[nonce] = time.monotonic()
            try:
                peer.send(ping_frame(nonce))
            except OSError:
                peer.closed = True
                break
            next_ping += args.interval_ms / 1000
        for command, payload in peer.frames(max(0.0, min(0.05, next_ping - time.monotonic()))):
            if command == "pong":
                value = struct.unpack("<Q", payload)[0]
                if value in sent_at and sent_at[value] is not None:
                    rtts.append((time.monotonic() - sent_at[value]) * 1000)
                    sent_at[value] = None
    deadline = time.monotonic() + 2
    while len(rtts) < len(sent_at) and time.monotonic() < deadline and not peer.closed:
        for command, payload in peer.frames(0.05):
            if command == "pong":
                value = struct.unpack("<Q", payload)[0]
                if sent_at.get(value) is not None:
                    rtts.append((time.monotonic() - sent_at[value]) * 1000)
                    sent_at[value] = None
    return {"pings": len(sent_at), "pongs": len(rtts), "lost": len(sent_at) - len(rtts),
            "rtt_ms_p50": percentile(rtts, 0.5), "rtt_ms_p99": percentile(rtts, 0.99),
            "rtt_ms_max": round(max(rtts), 3) if rtts else None, "closed_by_node": peer.closed}


def mode_badsum(args, peer):
    start = time.monotonic()
    # ping frames with a wrong checksum: any that got through would be answered with a pong
    batch = b"".join(frame("ping", struct.pack("<Q", 0xBAD0_0000_0000_0000 + i), bad_checksum=True)
                     for i in range(args.count))
    try:
        peer.send(batch)
    except OSError:
        # the node closed the connection while the batch was being written (a ban)
        peer.closed = True
    sent_s = time.monotonic() - start
    delivered, closed_at = 0, None
    deadline = time.monotonic() + args.hold
    while time.monotonic() < deadline and not peer.closed:
        for command, payload in peer.frames(0.1):
            if command == "pong" and struct.unpack("<Q", payload)[0] >> 48 == 0xBAD0:
                delivered += 1
    if peer.closed:
        closed_at = round(time.monotonic() - start, 3)
    rtt = None if peer.closed else one_ping(peer, 0x600D, 5)
    return {"sent": args.count, "bytes": len(batch), "send_s": round(sent_s, 3), "pongs_to_bad_frames": delivered,
            "closed_by_node": peer.closed, "closed_after_s": closed_at,
            "good_ping_after_ms": None if rtt is None else round(rtt, 3)}


def mode_bigframes(args, peer):
    payload = os.urandom(args.size)
    data = memoryview(frame(args.command, payload))
    start = time.monotonic()
    sent = 0
    try:
        for _ in range(args.count):
            peer.send(data)
            sent += 1
            # keep answering the node's own pings, without waiting
            peer.frames(0.0)
    except OSError:
        peer.closed = True
    sent_s = time.monotonic() - start
    rtt = None if peer.closed else one_ping(peer, 0x600D, args.drain_timeout)
    drain_s = None if rtt is None else round(time.monotonic() - start, 3)
    return {"sent": sent, "frame_bytes": len(data), "send_s": round(sent_s, 3),
            "send_mb_per_s": round(sent * len(data) / 1e6 / max(sent_s, 1e-9), 1), "drain_s": drain_s,
            "closed_by_node": peer.closed}


def mode_pingflood(args, peer):
    pongs = [0]
    last_pong = [0.0]

    def reader():
        while not STOP.is_set() and not peer.closed:
            for command, _ in peer.frames(0.1):
                if command == "pong":
                    pongs[0] += 1
                    last_pong[0] = time.monotonic()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    unpaced = args.rate <= 0  # --rate 0: as fast as the socket takes them
    batch_size = 1000 if unpaced else max(1, int(args.rate / 100))
    batch = b"".join(ping_frame(0xF100_0000_0000_0000 + i) for i in range(batch_size))
    start = time.monotonic()
    sent = 0
    try:
        while time.monotonic() - start < args.duration and not peer.closed:
            due = start + (sent / batch_size) * 0.01
            now = time.monotonic()
            if due > now and not unpaced:
                time.sleep(due - now)
            peer.send(batch)
            sent += batch_size
    except OSError:
        peer.closed = True
    sent_s = time.monotonic() - start
    pongs_at_end = pongs[0]
    deadline = time.monotonic() + args.drain_timeout
    while pongs[0] < sent and time.monotonic() < deadline and not peer.closed:
        time.sleep(0.02)
    STOP.set()
    thread.join(1)
    done = last_pong[0] - start if last_pong[0] else None
    return {"sent": sent, "send_s": round(sent_s, 3), "send_rate": round(sent / max(sent_s, 1e-9)),
            "pongs": pongs[0], "pongs_during_send": pongs_at_end,
            "processed_rate": None if not done else round(pongs[0] / done),
            "drain_s": None if not done else round(done, 3), "closed_by_node": peer.closed}


def mode_nonreader(args, peer):
    with open(args.hashes) as handle:
        hashes = [bytes.fromhex(line.strip())[::-1] for line in handle if line.strip()]
    items = b"".join(struct.pack("<I", 2) + h for h in hashes)
    count = len(hashes)
    prefix = bytes([count]) if count < 0xFD else b"\xfd" + struct.pack("<H", count)
    request = frame("getdata", prefix + items) + ping_frame(0x0BAD_5EAD)
    start = time.monotonic()
    requests = 0
    error = None
    # Blocking writes: once the node stops reading, sendall waits until the node closes (RST).
    while time.monotonic() - start < args.duration:
        try:
            peer.sock.sendall(request)
            requests += 1
        except OSError as failure:
            error = failure.strerror or str(failure)
            peer.closed = True
            break
        time.sleep(args.pace_ms / 1000)
    return {"requests": requests, "blocks_per_request": count, "closed_by_node": peer.closed, "closed_after_s": round(time.monotonic() - start, 3) if peer.closed else None,
            "error": error}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["ping", "badsum", "bigframes", "pingflood", "nonreader"])
    parser.add_argument("--connect", help="HOST:PORT of the node (loopback only)")
    parser.add_argument("--genesis", help="the regtest genesis hash, display hex (getblockhash 0)")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--interval-ms", type=float, default=100)
    parser.add_argument("--hold", type=float, default=2)
    parser.add_argument("--size", type=int, default=32 * 1024 * 1024)
    parser.add_argument("--command", default="junkflood")
    parser.add_argument("--rate", type=float, default=100000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--drain-timeout", type=float, default=60)
    parser.add_argument("--hashes")
    parser.add_argument("--pace-ms", type=float, default=10)
    parser.add_argument("--rcvbuf", type=int, default=4096)
    parser.add_argument("--agent", default="/flood-peer/", help="user agent, to find this peer in getpeerinfo")
    args = parser.parse_args()
    host, _, port = args.connect.rpartition(":")
    host = host.strip("[]")
    peer = Peer(host, int(port), args.genesis, rcvbuf=args.rcvbuf if args.mode == "nonreader" else 0,
                agent=args.agent)
    peer.handshake()
    result = {"ping": mode_ping, "badsum": mode_badsum, "bigframes": mode_bigframes,
              "pingflood": mode_pingflood, "nonreader": mode_nonreader}[args.mode](args, peer)
    result = {"mode": args.mode, **result}
    print(json.dumps(result), flush=True)
    try:
        peer.sock.close()
    except OSError:
        pass


if __name__ == "__main__":
    main()
