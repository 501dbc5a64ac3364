import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

/// WAL checkpoints on the checkpointer's queue, not in the commit that crosses the threshold.
final class WALCheckpointerTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 21)

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    /// 24 blocks of 200 KB, each its own transaction (≈ 1,200 WAL frames of 4 KiB in all): past the
    /// threshold the checkpointer copies the WAL back into the file, and everything still reads.
    func testTheWALIsCopiedBackByTheCheckpointerPastTheThreshold() throws {
        let store = try BlockStore(directory: directory, network: .regtest)
        defer { store.close() }
        let blocks = Fixtures.blocks(24, size: 200_000, from: generator)
        for (height, block) in zip(1..., blocks) {
            try store.writer.insert(hash: block.hash, height: height, message: block.message)
        }
        let hashes = blocks.map(\.hash)
        store.checkpointer.waitUntilIdle()
        XCTAssertGreaterThanOrEqual(store.checkpointer.completedCount, 1)
        // It ran once the WAL held the threshold's frames; no reader held an older snapshot, so it
        // copied all of them.
        XCTAssertGreaterThanOrEqual(store.checkpointer.lastCopiedFrames, Int(WALCheckpointer.defaultThresholdFrames))
        for hash in hashes { XCTAssertNotNil(try store.reader.servingFrame(for: hash)) }
    }

    /// Closing the store stops the checkpointer; reopening finds every block.
    func testCloseStopsTheCheckpointerAndTheStoreReopensWhole() throws {
        var store: BlockStore? = try BlockStore(directory: directory, network: .regtest)
        let message = generator.makeBlock(
            parent: Fixtures.genesisHash, height: 1, size: 5_000_000, time: Fixtures.genesis.time + 60)
        let hash = try message.header.hash()
        try store!.writer.insert(hash: hash, height: 1, message: message)
        store!.close()
        store = nil
        let reopened = try BlockStore(directory: directory, network: .regtest)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.reader.payload(for: hash), Message.block(message).encodePayload())
    }
}
