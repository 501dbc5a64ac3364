import DilithionNet
import DilithionNode
import DilithionTestKit
import DilithionWire
import XCTest

/// `setmocktime` on a node running on real (offset) time, and the node's side of RELIABILITY.md
/// case 4 (an unknown command is ignored and counted; the peer stays).
final class NodeTimeControlTests: XCTestCase {
    let harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
    }

    private func establishedPeer(on node: Node) throws -> FakePeer {
        let peer = try FakePeer(port: harness.port(of: node))
        XCTAssertTrue(peer.handshake().isComplete)
        NodeHarness.wait("established") { node.peerInfo().first?.handshakeComplete == true }
        return peer
    }

    private func disconnects(_ node: Node, _ reason: String) -> Int {
        node.metricsSnapshot().disconnectsByReason[reason] ?? 0
    }

    /// Two jumps of 61 s replace two minutes of waiting: the first makes the silent peer due for a
    /// ping, the second expires the pong timeout. Nothing else moves time.
    func testSetMockTimeMovesThePingDeadlinesOfARealTimeNode() throws {
        let node = try harness.makeNode(clock: OffsetClock())
        let peer = try establishedPeer(on: node)
        let barrier = try DispatcherBarrier(port: harness.port(of: node))
        barrier.pass()
        XCTAssertFalse(peer.receive(for: 0).frames.contains { $0.command == "ping" }, "no ping before 60 s of silence")
        // The barrier leaves before the clock jumps: it would be a second silent peer.
        barrier.close()
        NodeHarness.wait("the barrier left") { node.peerInfo().count == 1 }
        try node.setMockTime(node.now + 61)
        let ping = peer.receive(for: 30) { $0.contains { $0.command == "ping" } }
        XCTAssertTrue(ping.frames.contains { $0.command == "ping" }, "a ping once the clock says 61 s of silence passed")
        XCTAssertEqual(disconnects(node, "ping-timeout"), 0)
        try node.setMockTime(node.now + 61)
        NodeHarness.wait("ping-timeout after the second jump") { self.disconnects(node, "ping-timeout") == 1 }
        XCTAssertTrue(node.peerInfo().isEmpty)
    }

    func testSetMockTimeRefusesToMoveBackward() throws {
        let node = try harness.makeNode(clock: OffsetClock())
        let now = node.now
        XCTAssertThrowsError(try node.setMockTime(now - 10)) { error in
            guard case NodeControlError.invalidParameter = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try node.setMockTime(now + 100), 100, accuracy: 1)
        XCTAssertGreaterThanOrEqual(node.now, now + 100)
    }

    func testAnUnknownCommandIsIgnoredCountedAndThePeerStays() throws {
        let node = try harness.makeNode()
        let peer = try establishedPeer(on: node)
        _ = peer.sendFrame(command: "zzunknown", payload: [1, 2, 3])
        _ = peer.sendPing(nonce: 42)
        let reply = peer.receive(for: 10) { $0.contains { $0.command == "pong" } }
        XCTAssertTrue(reply.frames.contains { $0.command == "pong" }, "the peer is still served")
        XCTAssertFalse(reply.closed)
        XCTAssertEqual(node.ignoredMessageCounts["unknown-command"], 1)
        XCTAssertEqual(node.metricsSnapshot().ignoredByReason["unknown-command"], 1)
        XCTAssertEqual(node.peerInfo().count, 1)
    }
}
