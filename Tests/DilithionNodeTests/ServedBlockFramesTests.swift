import DilithionChain
import DilithionTestKit
import DilithionWire
import XCTest

@testable import DilithionNode

/// The block server's recently served frames: shared by peers asking for the same blocks, bounded.
final class ServedBlockFramesTests: XCTestCase {
    private func frame(size: Int, fill: UInt8) -> EncodedFrame {
        let payload = [UInt8](repeating: fill, count: size)
        return payload.withUnsafeBytes {
            EncodedFrame(magic: Network.regtest.magic, command: Command.block, payload: $0, checksum: SHA3.checksum($0))
        }
    }

    private func hash(_ value: UInt64) -> Hash256 { Hash256(w0: value, w1: 0, w2: 0, w3: 0) }

    func testAKeptFrameIsReturnedAndTheOldestGoFirstPastTheBound() {
        var frames = ServedBlockFrames()
        let size = ServedBlockFrames.maxBytes / 4 - Limits.frameHeaderSize  // four fit exactly
        XCTAssertNil(frames.frame(for: hash(0)))
        for index in 0..<4 { frames.keep(frame(size: size, fill: UInt8(index)), for: hash(UInt64(index))) }
        XCTAssertEqual(frames.frame(for: hash(2))?.bytes, frame(size: size, fill: 2).bytes)
        frames.keep(frame(size: size, fill: 4), for: hash(4))
        XCTAssertNil(frames.frame(for: hash(0)), "the oldest left to make room")
        for index in 1...4 { XCTAssertNotNil(frames.frame(for: hash(UInt64(index)))) }
        XCTAssertEqual(frames.hits, 5)
        XCTAssertEqual(frames.misses, 2)
    }

    func testAFrameLargerThanTheBoundIsNotKept() {
        var frames = ServedBlockFrames()
        frames.keep(frame(size: 100, fill: 1), for: hash(1))
        frames.keep(frame(size: ServedBlockFrames.maxBytes, fill: 2), for: hash(2))
        XCTAssertNil(frames.frame(for: hash(2)))
        XCTAssertNotNil(frames.frame(for: hash(1)), "nothing was evicted for it")
    }

    /// Two peers asking for the same blocks at once get the stored bytes, each frame verified by
    /// their decoders (the second is served from the first's frames).
    func testTwoPeersAskingForTheSameBlocksBothGetTheStoredBytes() throws {
        let harness = NodeHarness()
        defer { harness.shutdown() }
        let node = try harness.makeNode()
        let hashes = try node.generate(blocks: 10, blockSize: 50_000)
        let stored = hashes.map { node.blockPayload(hash: $0) ?? [] }
        var peers: [FakePeer] = []
        for _ in 0..<2 {
            let peer = try FakePeer(port: harness.port(of: node))
            XCTAssertTrue(peer.handshake().isComplete)
            peers.append(peer)
        }
        NodeHarness.wait("established") { node.peerInfo().filter(\.handshakeComplete).count == 2 }
        for peer in peers { XCTAssertTrue(peer.send(.getdata(hashes.map { InventoryItem(.block, hash: $0) }))) }
        for peer in peers {
            let reception = peer.receive(for: 60) { $0.filter { $0.command == Command.block }.count >= hashes.count }
            let blocks = reception.frames.filter { $0.command == Command.block }
            XCTAssertEqual(blocks.map(\.payload), stored)
            XCTAssertTrue(blocks.allSatisfy { $0.verifiedChecksum != nil })
        }
    }
}
