import DilithionNode
import DilithionTestKit
import DilithionWire
import XCTest

/// RELIABILITY.md case 2 at the node, per the written policy (FrameError): a frame with a bad
/// checksum is dropped and costs 50 misbehaviour points, so the first is survived and the second
/// bans; the frames after a dropped one are still read.
final class BadChecksumTests: XCTestCase {
    let harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
    }

    func testOneBadChecksumCostsFiftyPointsAndTheSecondBans() throws {
        let node = try harness.makeNode()
        let peer = try FakePeer(port: harness.port(of: node))
        XCTAssertTrue(peer.handshake().isComplete)
        NodeHarness.wait("established") { node.peerInfo().first?.handshakeComplete == true }
        let payload: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let wrong = SHA3.checksum(payload) ^ 0xFFFF_FFFF
        XCTAssertTrue(peer.sendFrame(command: "ping", payload: payload, checksum: wrong))
        XCTAssertTrue(peer.sendPing(nonce: 7))
        let first = peer.receive(for: 10) { $0.contains { $0.command == Command.pong } }
        XCTAssertTrue(first.frames.contains { $0.command == Command.pong }, "the frame after the bad one is served")
        NodeHarness.wait("50 points") { node.peerInfo().first?.banScore == 50 }
        XCTAssertEqual(node.peerInfo().first?.droppedFrames, 1)

        XCTAssertTrue(peer.sendFrame(command: "ping", payload: payload, checksum: wrong))
        XCTAssertTrue(peer.receive(for: 10).closed, "the second bad checksum bans and disconnects")
        NodeHarness.wait("misbehaving disconnect") { node.metricsSnapshot().disconnectsByReason["misbehaving"] == 1 }
        XCTAssertEqual(node.metricsSnapshot().frameErrorsByKind["bad-checksum"], 2)
        XCTAssertEqual(node.misbehaviourCounters["bad-checksum"], 2)
        XCTAssertEqual(node.listBanned().count, 1)
    }
}
