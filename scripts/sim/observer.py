"""A passive P2P observer per node: one connection from inside the node's namespace to the node's
loopback listener (no emulated delay), handshake, `sendheaders`, then the arrival time of every
block the node announces. A node announces a block once it has stored it and made it its tip, so
the arrival time is when that node had the block (plus a loopback hop and this process's reading).

The observer never sends `getaddr` or `addr` (so the node never picks it to relay addresses to),
claims height 0 (so no node syncs from it), answers `ping` and answers `getheaders` with nothing.
All connections are served by one epoll loop in the calling thread (`poll(seconds)`).
"""
import ctypes
import hashlib
import os
import random
import select
import socket
import struct
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
REGTEST_MAGIC = bytes.fromhex("dab5bffa")


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


def socket_in_namespace(netns_path):
    """A TCP socket that belongs to the network namespace at netns_path."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(netns_path, os.O_RDONLY)
    try:
        _setns(target)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    finally:
        _setns(home)
        os.close(target)
        os.close(home)
    return sock


def checksum(payload):
    return hashlib.sha3_256(hashlib.sha3_256(payload).digest()).digest()[:4]


def frame(command, payload=b""):
    name = command.encode().ljust(12, b"\0")
    return REGTEST_MAGIC + name + struct.pack("<I", len(payload)) + checksum(payload) + payload


def compact_size(data, offset):
    first = data[offset]
    if first < 0xFD:
        return first, offset + 1
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    return int.from_bytes(data[offset + 1:offset + 1 + width], "little"), offset + 1 + width


def header_hashes(payload):
    """Display-hex hashes of the headers in a `headers` payload (v4+ headers: SHA3-256 of 144 bytes)."""
    count, offset = compact_size(payload, 0)
    hashes = []
    for _ in range(count):
        version = struct.unpack_from("<i", payload, offset)[0]
        size = 144 if version >= 4 else 80
        header = payload[offset:offset + size]
        hashes.append(hashlib.sha3_256(header).digest()[::-1].hex() if size == 144 else None)
        offset += size
        _, offset = compact_size(payload, offset)
    return hashes


def version_payload(genesis_display_hex):
    address = struct.pack("<Q", 1) + bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1]) + struct.pack("<H", 0)
    agent = b"/netsim-observer/"
    return (struct.pack("<iQq", 70011, 1, int(time.time())) + address + address
            + struct.pack("<Q", random.getrandbits(64)) + bytes([len(agent)]) + agent
            + struct.pack("<i", 0) + b"\0" + bytes.fromhex(genesis_display_hex)[::-1])


class Observer:
    def __init__(self, genesis_display_hex):
        self.genesis = genesis_display_hex
        self.epoll = select.epoll()
        self.connections = {}   # fd -> [name, socket, buffer, established]
        self.arrivals = {}      # block hash -> {name: monotonic seconds}
        self.closed = set()     # names whose connection ended

    def attach(self, name, netns_path, port, timeout=20.0):
        """Connects to the node's loopback listener in its namespace and completes the handshake."""
        sock = socket_in_namespace(netns_path)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(frame("version", version_payload(self.genesis)))
        sock.setblocking(False)
        self.connections[sock.fileno()] = [name, sock, b"", False]
        self.closed.discard(name)
        self.epoll.register(sock.fileno(), select.EPOLLIN)
        deadline = time.monotonic() + timeout
        while not self.connections[sock.fileno()][3]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"observer handshake with {name} did not complete in {timeout:.0f} s")
            if name in self.closed:
                raise ConnectionError(f"{name} closed the observer connection during the handshake")
            self.poll(0.05)

    def detach(self, name):
        for fd, connection in list(self.connections.items()):
            if connection[0] == name:
                self._drop(fd)

    def names(self):
        return {connection[0] for connection in self.connections.values()}

    def poll(self, seconds):
        """Reads whatever arrives within `seconds` (at least one epoll wait)."""
        for fd, _ in self.epoll.poll(max(0.0, seconds)):
            connection = self.connections.get(fd)
            if connection is None:
                continue
            try:
                data = connection[1].recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                self._drop(fd)
                continue
            now = time.monotonic()
            connection[2] += data
            self._frames(fd, connection, now)

    def _frames(self, fd, connection, now):
        buffer = connection[2]
        while len(buffer) >= 24:
            length = struct.unpack_from("<I", buffer, 16)[0]
            if len(buffer) < 24 + length:
                break
            command = buffer[4:16].rstrip(b"\0").decode(errors="replace")
            payload = buffer[24:24 + length]
            buffer = buffer[24 + length:]
            self._handle(connection, command, payload, now)
        connection[2] = buffer

    def _handle(self, connection, command, payload, now):
        name, sock = connection[0], connection[1]
        if command == "version":
            self._send(sock, frame("verack"))
        elif command == "verack":
            connection[3] = True
            self._send(sock, frame("sendheaders"))
        elif command == "ping":
            self._send(sock, frame("pong", payload))
        elif command == "getheaders":
            self._send(sock, frame("headers", b"\0"))
        elif command == "headers":
            for block in header_hashes(payload):
                if block:
                    self.arrivals.setdefault(block, {}).setdefault(name, now)
        elif command == "inv":
            count, offset = compact_size(payload, 0)
            for _ in range(count):
                kind = struct.unpack_from("<I", payload, offset)[0]
                if kind == 2:
                    block = payload[offset + 4:offset + 36][::-1].hex()
                    self.arrivals.setdefault(block, {}).setdefault(name, now)
                offset += 36

    @staticmethod
    def _send(sock, data):
        try:
            sock.sendall(data)
        except OSError:
            pass

    def _drop(self, fd):
        connection = self.connections.pop(fd, None)
        if connection is None:
            return
        self.closed.add(connection[0])
        try:
            self.epoll.unregister(fd)
        except OSError:
            pass
        connection[1].close()

    def close(self):
        for fd in list(self.connections):
            self._drop(fd)
        self.epoll.close()
