#!/usr/bin/env python3
"""Loopback TCP delay proxy: the fallback when network namespaces cannot be created.

  delay-proxy.py [--ready-file F] LISTEN_PORT:TARGET_PORT:ONE_WAY_MS ...

Every mapping listens on 127.0.0.1:LISTEN_PORT and forwards to 127.0.0.1:TARGET_PORT; each chunk
of bytes is delivered ONE_WAY_MS after it was read, in both directions, in order (timer-driven with
loop.call_at, no polling). Limits of the method: the TCP connect completes at once on loopback, so
the connect round trip is hidden (a handshake looks one RTT faster than on a real link), and TCP's
own window and slow start see a 0-RTT loopback path.
"""
import argparse
import asyncio
import sys

IN_FLIGHT_CAP = 16 * 1024 * 1024  # bytes held per direction before we stop reading the sender


class Direction:
    """Bytes read from one side, delivered to the other after the delay."""

    def __init__(self, loop, delay, source):
        self.loop, self.delay, self.source = loop, delay, source
        self.sink = None
        self.in_flight = 0
        self.paused = False
        self.closed = False

    def push(self, data):
        self.in_flight += len(data)
        self.loop.call_at(self.loop.time() + self.delay, self._deliver, data)
        if self.in_flight > IN_FLIGHT_CAP and not self.paused:
            self.paused = True
            self.source.pause_reading()

    def _deliver(self, data):
        self.in_flight -= len(data)
        if self.sink is not None and not self.sink.is_closing():
            self.sink.write(data)
        if self.paused and self.in_flight <= IN_FLIGHT_CAP // 2:
            self.paused = False
            if not self.source.is_closing():
                self.source.resume_reading()

    def close_later(self):
        if not self.closed:
            self.closed = True
            self.loop.call_at(self.loop.time() + self.delay, self._close)

    def _close(self):
        if self.sink is not None and not self.sink.is_closing():
            self.sink.close()


class Side(asyncio.Protocol):
    def __init__(self, outgoing_factory):
        self.outgoing_factory = outgoing_factory
        self.outgoing = None  # Direction carrying what this side sends

    def connection_made(self, transport):
        self.transport = transport
        self.outgoing = self.outgoing_factory(transport)

    def data_received(self, data):
        self.outgoing.push(data)

    def connection_lost(self, exc):
        self.outgoing.close_later()


async def serve_mapping(listen_port, target_port, delay):
    loop = asyncio.get_running_loop()

    class Client(Side):
        def connection_made(self, transport):
            super().connection_made(transport)
            transport.pause_reading()
            loop.create_task(self.connect_upstream())

        async def connect_upstream(self):
            try:
                _, upstream = await loop.create_connection(
                    lambda: Side(lambda t: Direction(loop, delay, t)), "127.0.0.1", target_port)
            except OSError:
                self.transport.close()
                return
            self.outgoing.sink = upstream.transport
            upstream.outgoing.sink = self.transport
            self.transport.resume_reading()

    return await loop.create_server(
        lambda: Client(lambda t: Direction(loop, delay, t)), "127.0.0.1", listen_port, reuse_address=True)


async def main_async(args):
    servers = []
    for mapping in args.mappings:
        listen_port, target_port, delay_ms = mapping.split(":")
        servers.append(await serve_mapping(int(listen_port), int(target_port), float(delay_ms) / 1000.0))
    if args.ready_file:
        with open(args.ready_file, "w") as ready:
            ready.write("ready\n")
    print(f"delay-proxy: ready, {len(servers)} mappings", file=sys.stderr, flush=True)
    await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ready-file")
    parser.add_argument("mappings", nargs="+", metavar="LISTEN_PORT:TARGET_PORT:ONE_WAY_MS")
    args = parser.parse_args()
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
