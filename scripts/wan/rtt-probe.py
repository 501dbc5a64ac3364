#!/usr/bin/env python3
"""Measure the round trip of an emulated link with TCP.

  rtt-probe.py serve HOST PORT [--ready-file F]   echo server (run it on the far side)
  rtt-probe.py measure HOST PORT [--count N]      connect N times; per try: the TCP connect time
                                                  (SYN -> SYN/ACK, one round trip) and a 1-byte echo

The measure mode prints one line, `rtt connect_ms=min/median/max echo_ms=min/median/max n=N`,
and exits 1 if the server cannot be reached within the deadline.
"""
import argparse
import socket
import socketserver
import statistics
import sys
import time


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            self.request.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(args):
    with Server((args.host, args.port), Echo) as server:
        if args.ready_file:
            with open(args.ready_file, "w") as ready:
                ready.write("ready\n")
        server.serve_forever()


def one_try(host, port, timeout):
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connected = time.perf_counter()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.sendall(b"x")
        if connection.recv(1) != b"x":
            raise OSError("echo server returned nothing")
        echoed = time.perf_counter()
    return (connected - started) * 1000.0, (echoed - connected) * 1000.0


def measure(args):
    deadline = time.monotonic() + args.deadline
    connects, echoes = [], []
    while len(connects) < args.count:
        try:
            connect_ms, echo_ms = one_try(args.host, args.port, timeout=max(1.0, deadline - time.monotonic()))
        except OSError as error:
            if time.monotonic() > deadline:
                print(f"rtt unreachable {args.host}:{args.port}: {error}", file=sys.stderr)
                return 1
            time.sleep(0.05)  # the server is still starting: bounded by the deadline above
            continue
        connects.append(connect_ms)
        echoes.append(echo_ms)

    def triple(values):
        return f"{min(values):.1f}/{statistics.median(values):.1f}/{max(values):.1f}"

    print(f"rtt connect_ms={triple(connects)} echo_ms={triple(echoes)} n={len(connects)}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    server = sub.add_parser("serve")
    server.add_argument("host")
    server.add_argument("port", type=int)
    server.add_argument("--ready-file")
    client = sub.add_parser("measure")
    client.add_argument("host")
    client.add_argument("port", type=int)
    client.add_argument("--count", type=int, default=5)
    client.add_argument("--deadline", type=float, default=15.0, help="seconds to wait for the server")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args)
        return 0
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
