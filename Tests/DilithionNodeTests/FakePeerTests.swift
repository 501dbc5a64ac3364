import DilithionNode
import DilithionTestKit
import DilithionWire
import Foundation
import XCTest

/// The test kit's ``FakePeer`` against a real node over loopback: each control does to the node
/// what it claims to (assertions on what the node saw, never on timing).
final class FakePeerTests: XCTestCase {
    var harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
        super.tearDown()
    }

    func disconnects(_ node: Node, _ reason: String) -> Int {
        node.metricsSnapshot().disconnectsByReason[reason] ?? 0
    }

    /// A node with one kit peer that has completed the handshake.
    func establishedPeer(receiveBufferBytes: Int? = nil) throws -> (Node, FakePeer) {
        let node = try harness.makeNode()
        let peer = try FakePeer(port: harness.port(of: node), receiveBufferBytes: receiveBufferBytes)
        XCTAssertTrue(peer.handshake().isComplete)
        NodeHarness.wait("established") { node.peerInfo().first?.handshakeComplete == true }
        return (node, peer)
    }

    func testRefusesAddressesThatAreNotLoopback() {
        for host in ["10.0.0.1", "192.168.1.1", "8.8.8.8", "::2", "2001:db8::1", "[fe80::1]"] {
            XCTAssertThrowsError(try FakePeer(host: host, port: 8333)) { error in
                XCTAssertEqual(error as? FakePeerError, .notLoopback(host: host))
            }
            XCTAssertThrowsError(try FakePeerListener(host: host)) { error in
                XCTAssertEqual(error as? FakePeerError, .notLoopback(host: host))
            }
        }
        XCTAssertThrowsError(try FakePeer(host: "node.example", port: 8333)) { error in
            XCTAssertEqual(error as? FakePeerError, .invalidAddress(host: "node.example"))
        }
    }

    func testConnectFailureIsTyped() throws {
        // A port that was just listening and is now closed: nothing accepts there.
        let listener = try FakePeerListener()
        let port = listener.port
        listener.close()
        XCTAssertThrowsError(try FakePeer(port: port)) { error in
            XCTAssertEqual(error as? FakePeerError, .connectFailed(host: "127.0.0.1", port: port, errno: ECONNREFUSED))
        }
    }

    /// A ping frame written 3 bytes at a time with pauses reaches the node as one frame: one pong.
    func testChunkedAndPacedBytesArriveAsOneFrame() throws {
        let (node, peer) = try establishedPeer()
        let frame = FrameEncoder.encode(.ping(nonce: 0xC0FFEE), magic: peer.network.magic)
        XCTAssertTrue(peer.send(bytes: frame, chunkSize: 3, pace: .milliseconds(5)))
        let reply = peer.receive(for: 10) { frames in frames.contains { $0.command == Command.pong } }
        let pongs = reply.frames.filter { $0.command == Command.pong }
        XCTAssertEqual(pongs.count, 1)
        XCTAssertEqual(try pongs.first.map { try Message.decode($0) }, .pong(nonce: 0xC0FFEE))
        XCTAssertFalse(reply.closed)
        XCTAssertEqual(node.peerInfo().count, 1)
        XCTAssertTrue(node.metricsSnapshot().disconnectsByReason.values.allSatisfy { $0 == 0 })
    }

    /// A frame with a command the encoder would refuse is built and sent as asked; the node drops
    /// the peer for it (`bad-command`).
    func testArbitraryCommandFieldReachesTheNode() throws {
        let (node, peer) = try establishedPeer()
        let frame = FakePeer.frame(command: "bad\u{7}cmd", payload: [1, 2, 3], magic: peer.network.magic)
        XCTAssertEqual(frame.count, 24 + 3)
        peer.send(bytes: frame)
        XCTAssertTrue(peer.receive(for: 10).closed)
        NodeHarness.wait("bad-command counted") { disconnects(node, "bad-command") == 1 }
    }

    /// RST: the node's read fails (or, if the reset races the read, it sees the close; or, when the
    /// node was writing to it at that moment, the write fails) and the peer is dropped with one of
    /// those reasons, exactly once. (Under ThreadSanitizer the node is still sending its
    /// post-handshake messages when the RST lands: `write-error`.)
    func testResetIsSeenAsAReadErrorOrPeerClosed() throws {
        let (node, peer) = try establishedPeer()
        peer.reset()
        XCTAssertEqual(peer.descriptor, -1)
        NodeHarness.wait("peer gone") { node.peerInfo().isEmpty }
        func counted() -> Int {
            disconnects(node, "read-error") + disconnects(node, "peer-closed") + disconnects(node, "write-error")
        }
        NodeHarness.wait("disconnect counted") { counted() == 1 }
        XCTAssertEqual(counted(), 1, "\(node.metricsSnapshot().disconnectsByReason)")
        XCTAssertEqual(node.metricsSnapshot().disconnectsByReason.values.reduce(0, +), 1, "one reason, once")
    }

    /// FIN with the read side open: the node sees `peer-closed` and closes its side, which the kit
    /// still reads.
    func testHalfCloseIsSeenAsPeerClosedAndTheKitStillReads() throws {
        let (node, peer) = try establishedPeer()
        peer.halfClose()
        NodeHarness.wait("peer-closed counted") { disconnects(node, "peer-closed") == 1 }
        XCTAssertTrue(peer.receive(for: 10).closed, "the node's close reaches the half-closed peer")
        XCTAssertTrue(peer.isClosedByRemote)
        XCTAssertEqual(disconnects(node, "read-error"), 0)
    }

    /// A peer that asks for blocks and stops reading: the node's outbox for it grows past the send
    /// cap (1 MB) and its sends are paused, while the peer stays connected (the cap's deadline is 60 s).
    func testStopReadingBacksUpTheNodesOutbox() throws {
        let (node, peer) = try establishedPeer(receiveBufferBytes: 4096)
        let hashes = try node.generate(blocks: 8, blockSize: 1 << 20)
        peer.stopReading()
        XCTAssertTrue(peer.send(.getdata(hashes.map { InventoryItem(.block, hash: $0) })))
        XCTAssertTrue(peer.receive(for: 0).frames.isEmpty, "a peer that stopped reading reads nothing")
        NodeHarness.wait("outbox over the send cap") {
            guard let info = node.peerInfo().first else { return false }
            return info.outboxBytes > 1_000_000 && info.sendPaused
        }
        XCTAssertEqual(node.peerInfo().count, 1)
        XCTAssertEqual(disconnects(node, "send-buffer-full"), 0)
    }

    /// Pings measured by the kit come back matched to their nonces, one round trip each.
    func testMeasurePingsTimesEveryPong() throws {
        let (_, peer) = try establishedPeer()
        let roundTrips = peer.measurePings(count: 20, timeout: 10)
        XCTAssertEqual(roundTrips.count, 20)
        XCTAssertEqual(peer.pongsReceived, 20)
        XCTAssertTrue(roundTrips.allSatisfy { $0 >= 0 })
    }

    /// The listener side: the node dials the kit, which completes the handshake as the answering end.
    func testListenerAcceptsTheNodesOutboundConnection() throws {
        let node = try harness.makeNode()
        let listener = try FakePeerListener()
        try node.addNode("127.0.0.1:\(listener.port)", command: .onetry)
        let peer = try listener.accept(timeout: 30)
        let first = peer.receive(for: 10) { $0.contains { $0.command == Command.version } }
        XCTAssertEqual(first.frames.first?.command, Command.version)
        peer.send(.version(FakePeer.makeVersion(startHeight: 0)))
        peer.send(.verack)
        NodeHarness.wait("outbound established") { node.peerInfo().contains { !$0.inbound && $0.handshakeComplete } }
    }
}
