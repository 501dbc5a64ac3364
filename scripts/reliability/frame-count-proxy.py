#!/usr/bin/env python3
"""A loopback TCP relay that counts the P2P frames it forwards from the upstream node to the client.

scripts/reliability/kill9-ibd puts it between the syncing node and the serving node so that the
blocks actually transferred in each session can be counted exactly (blocks re-downloaded after a
crash = blocks transferred in the session - blocks the store gained). Frames are parsed from the
24-byte header only (magic, 12-byte command, little-endian length, checksum); the bytes are
relayed unchanged.

The status file is rewritten (atomically) after every accept and close and every 0.2 s:
    open=<connections now open> connections=<accepted so far> frames_<command>=<count> ...
Only 127.0.0.1 is ever used, for listening and for the upstream.
"""
import argparse
import asyncio
import os
import struct
import sys

HEADER = 24


class Relay:
    def __init__(self, upstream_port, status_path):
        self.upstream_port = upstream_port
        self.status_path = status_path
        self.open = 0
        self.accepted = 0
        self.counts = {}

    def write_status(self):
        parts = [f"open={self.open}", f"connections={self.accepted}"]
        parts += [f"frames_{name}={count}" for name, count in sorted(self.counts.items())]
        temporary = self.status_path + ".tmp"
        with open(temporary, "w") as handle:
            handle.write(" ".join(parts) + "\n")
        os.replace(temporary, self.status_path)

    async def pump(self, reader, writer, count_frames):
        buffer = bytearray()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if count_frames:
                    buffer += data
                    while len(buffer) >= HEADER:
                        length = struct.unpack_from("<I", buffer, 16)[0]
                        if len(buffer) < HEADER + length:
                            break
                        name = bytes(buffer[4:16]).split(b"\0", 1)[0].decode("ascii", "replace")
                        self.counts[name] = self.counts.get(name, 0) + 1
                        del buffer[:HEADER + length]
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except (ConnectionError, OSError):
                pass

    async def handle(self, client_reader, client_writer):
        self.open += 1
        self.accepted += 1
        self.write_status()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            self.open -= 1
            self.write_status()
            return
        await asyncio.gather(
            self.pump(client_reader, upstream_writer, False),
            self.pump(upstream_reader, client_writer, True),
        )
        self.open -= 1
        self.write_status()

    async def refresh(self):
        while True:
            await asyncio.sleep(0.2)
            self.write_status()


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen-port", type=int, required=True, help="port on 127.0.0.1 to accept on")
    parser.add_argument("--upstream-port", type=int, required=True, help="port of the node on 127.0.0.1")
    parser.add_argument("--status", required=True, help="status file (rewritten atomically)")
    arguments = parser.parse_args()
    relay = Relay(arguments.upstream_port, arguments.status)
    server = await asyncio.start_server(relay.handle, "127.0.0.1", arguments.listen_port)
    relay.write_status()
    asyncio.ensure_future(relay.refresh())
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
