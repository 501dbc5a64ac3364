"""Loopback clients for the seed attestation scripts (scripts/attestation-demo,
scripts/attestation-interop, scripts/reliability/attest-abuse).

Every function talks to 127.0.0.1 only; `source` picks the loopback address the call comes from
(127.0.0.0/8 is all local on Linux), so one machine can play miners in several /24 subnets.
"""
import base64
import hashlib
import http.client
import json
import os
import socket
import struct

DOMAIN_TAG = b"DILV_ATTEST"

# The test ASN table the scripts use: 127.0.1.0/24 residential, 127.0.2.0/24 a datacenter.
RESIDENTIAL_ASN, DATACENTER_ASN = 64501, 64502
ASN_TABLE = (
    f"127.0.1.0\t127.0.1.255\t{RESIDENTIAL_ASN}\tZZ\tTEST-RESIDENTIAL\n"
    f"127.0.2.0\t127.0.2.255\t{DATACENTER_ASN}\tZZ\tTEST-DATACENTER\n"
)
DATACENTER_LIST = f"# test datacenter\nAS{DATACENTER_ASN}\n"


def attestation_digest(mik: bytes, dna: bytes, timestamp: int, seed_id: int) -> bytes:
    """The signed message, built by hand: SHA3-256("DILV_ATTEST" || MIK || DNA || ts LE32 || seed id)."""
    return hashlib.sha3_256(DOMAIN_TAG + mik + dna + struct.pack("<I", timestamp) + bytes([seed_id])).digest()


def miner_request(body: bytes, host: str = "127.0.0.1", port: int = 0) -> bytes:
    """The HTTP request the C++ miner sends (RequestAttestation): Basic rpc:rpc, X-Dilithion-RPC, close."""
    return (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nX-Dilithion-RPC: 1\r\n"
            f"Authorization: Basic cnBjOnJwYw==\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def exchange(port: int, source: str, raw: bytes, timeout: float = 15.0):
    """Sends raw bytes from `source` to 127.0.0.1:port; returns (status, body bytes) or (None, b"")."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
    reply = b"".join(chunks)
    head, _, body = reply.partition(b"\r\n\r\n")
    try:
        return int(head.split(b" ")[1]), body
    except (IndexError, ValueError):
        return None, b""


def call(port: int, source: str, method: str, params=None, timeout: float = 15.0):
    """A JSON-RPC 2.0 call sent the way a miner sends it; returns (status, parsed reply or None)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}).encode()
    status, reply = exchange(port, source, miner_request(body, port=port), timeout)
    try:
        return status, json.loads(reply)
    except ValueError:
        return status, None


def get_attestation(port: int, source: str, mik: bytes, dna: bytes):
    """getmikattestation for (mik, dna) from `source`; returns the parsed reply."""
    return call(port, source, "getmikattestation", {"mik_pubkey": mik.hex(), "dna_hash": dna.hex()})[1]


def admin_call(port: int, datadir: str, method: str, params=None):
    """An authenticated admin RPC call with the node's cookie; returns the parsed reply."""
    with open(os.path.join(datadir, ".cookie")) as f:
        token = base64.b64encode(f.read().strip().encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    connection.request("POST", "/", body=body, headers={"Authorization": "Basic " + token, "Connection": "close"})
    reply = json.loads(connection.getresponse().read())
    connection.close()
    return reply


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of `name{labels}` in Prometheus text, 0 when absent."""
    wanted = name + ("{" + labels + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0
