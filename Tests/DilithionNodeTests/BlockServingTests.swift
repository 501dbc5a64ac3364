import DilithionNode
import DilithionTestKit
import DilithionWire
import Foundation
import XCTest

/// RELIABILITY.md case 16 at the node: a peer that asks for many blocks and does not read costs the
/// node at most the send cap plus one block, not its whole request; once it reads, every block comes.
final class BlockServingTests: XCTestCase {
    let harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
    }

    func testAPeerThatDoesNotReadHoldsAtMostTheSendCapPlusOneBlock() throws {
        let blockSize = 200_000
        let sendCap = 1_000_000  // EngineConfiguration's default
        let node = try harness.makeNode()
        let hashes = try node.generate(blocks: 60, blockSize: blockSize)
        let peer = try FakePeer(port: harness.port(of: node), receiveBufferBytes: 4096)
        XCTAssertTrue(peer.handshake().isComplete)
        NodeHarness.wait("established") { node.peerInfo().first?.handshakeComplete == true }
        // 12 MB asked for; the kernel buffers take little of it while the peer does not read.
        XCTAssertTrue(peer.send(.getdata(hashes.map { InventoryItem(.block, hash: $0) })))
        // 12 MB is more than the kernel can buffer for one connection (the send buffer autotunes to
        // at most tcp_wmem's maximum, 4 MiB by default), so the server must park with blocks queued.
        NodeHarness.wait("the server holds back") {
            guard let info = node.peerInfo().first else { return false }
            return info.sendPaused && node.blockServerQueuedCount > 0
        }
        let held = try XCTUnwrap(node.peerInfo().first)
        XCTAssertLessThanOrEqual(held.peakOutboxBytes, sendCap + blockSize + 1_000, "at most the cap plus one block")
        XCTAssertGreaterThan(node.blockServerQueuedCount, 0, "the rest waits in the server's queue")

        // Reading again drains the outbox; the engine's observer resumes the server: all 60 arrive.
        // The peak outbox is checked once more at the end: it covers the whole run, the time the peer
        // did not read included, so no interval needs watching.
        let reception = peer.receive(for: 60) { frames in frames.filter { $0.command == Command.block }.count >= hashes.count }
        let blocks = reception.frames.filter { $0.command == Command.block }
        XCTAssertEqual(blocks.count, hashes.count)
        // Served as finished frames from the store: each arrived with its checksum verified by the
        // peer's decoder and carries the stored payload, in the order asked for.
        XCTAssertEqual(blocks.map(\.payload), hashes.map { node.blockPayload(hash: $0) ?? [] })
        XCTAssertTrue(blocks.allSatisfy { $0.verifiedChecksum != nil })
        XCTAssertEqual(node.blockServerQueuedCount, 0)
        XCTAssertLessThanOrEqual(try XCTUnwrap(node.peerInfo().first).peakOutboxBytes, sendCap + blockSize + 1_000)
    }

    /// A `getdata` longer than one serving turn (128 blocks) with unknown blocks in it: every known
    /// block arrives once, in the order asked for, and the unknown ones get silence (they take
    /// their place in a turn's run without ending it).
    func testALongRunOfSmallBlocksArrivesInOrderWithUnknownOnesSkipped() throws {
        let node = try harness.makeNode()
        let hashes = try node.generate(blocks: 300, blockSize: 300)
        let peer = try FakePeer(port: harness.port(of: node))
        XCTAssertTrue(peer.handshake().isComplete)
        NodeHarness.wait("established") { node.peerInfo().first?.handshakeComplete == true }
        var asked = hashes
        asked.insert(Hash256(w0: 1, w1: 2, w2: 3, w3: 4), at: 200)
        asked.insert(Hash256(w0: 5, w1: 6, w2: 7, w3: 8), at: 127)
        asked.insert(Hash256(w0: 9, w1: 10, w2: 11, w3: 12), at: 0)
        XCTAssertTrue(peer.send(.getdata(asked.map { InventoryItem(.block, hash: $0) })))
        let reception = peer.receive(for: 60) { frames in frames.filter { $0.command == Command.block }.count >= hashes.count }
        let blocks = reception.frames.filter { $0.command == Command.block }
        XCTAssertEqual(blocks.map(\.payload), hashes.map { node.blockPayload(hash: $0) ?? [] })
        XCTAssertTrue(blocks.allSatisfy { $0.verifiedChecksum != nil })
        NodeHarness.wait("the queue is empty") { node.blockServerQueuedCount == 0 }
    }
}
