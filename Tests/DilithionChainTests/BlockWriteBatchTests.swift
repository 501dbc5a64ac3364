import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

/// Batched commits (``BlockWriteBatch``): staged blocks are not stored, not reported and not
/// downloaded again until their commit; a crash before a commit loses that batch only, never a
/// block of an earlier commit; a bad block in a batch is refused and the rest stored.
final class BlockWriteBatchTests: XCTestCase {
    private var directories: [String] = []
    private let generator = RegtestChainGenerator(seed: 0xB7)

    override func tearDown() {
        for directory in directories { Fixtures.remove(directory) }
        directories.removeAll()
    }

    private func chainState(in directory: String? = nil) throws -> ChainState {
        let directory = directory ?? Fixtures.temporaryDirectory()
        directories.append(directory)
        return try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
    }

    /// `count` blocks on genesis, each 60 s after its parent, with their hashes.
    private func blocks(_ count: Int, size: Int = 2_000) -> [(hash: Hash256, message: BlockMessage)] {
        Fixtures.blocks(count, size: size, from: generator)
    }

    /// Stages `blocks` (their headers known) into `batch`, asserting each is staged.
    private func stage(_ blocks: ArraySlice<(hash: Hash256, message: BlockMessage)>, in chain: ChainState, into batch: inout BlockWriteBatch) {
        for block in blocks {
            XCTAssertEqual(chain.admitBlock(block.message, hash: block.hash, requested: true), .validate(headerKnown: true))
            let validation = Result { () throws(ChainRejection) in _ = try BlockValidation.validate(block.message) }
            XCTAssertNil(
                chain.stage(
                    block.message, hash: block.hash, validation: validation, headerKnown: true, now: Fixtures.farFuture,
                    payloadChecksum: nil, into: &batch))
        }
    }

    private func withHeaders(_ blocks: [(hash: Hash256, message: BlockMessage)]) throws -> ChainState {
        let chain = try chainState()
        XCTAssertEqual(chain.acceptHeaders(blocks.map(\.message.header), now: Fixtures.farFuture).acceptedCount, blocks.count)
        return chain
    }

    /// The download window starts above the staged blocks right over the tip (in order, waiting
    /// only for their commit), so a batch waiting for its commit does not fill the window; a block
    /// staged above a gap does not move it.
    func testStagedBlocksRightAboveTheTipRaiseTheWindowsBase() throws {
        let blocks = blocks(30)
        let chain = try withHeaders(blocks)
        var batch = BlockWriteBatch()
        stage(blocks[0..<10], in: chain, into: &batch)
        let plan = chain.downloadPlan(toward: blocks[29].hash, limit: 5)
        XCTAssertEqual(plan.forkHeight, 10)
        XCTAssertEqual(plan.candidates.map(\.height), Array(11...15))
        XCTAssertEqual(plan.candidates.map(\.hash), blocks[10..<15].map(\.hash))

        // Height 11 missing, 12 and 13 staged: the base stays at 10; 12 and 13 are not asked for.
        stage(blocks[11..<13], in: chain, into: &batch)
        let gapped = chain.downloadPlan(toward: blocks[29].hash, limit: 5)
        XCTAssertEqual(gapped.forkHeight, 10)
        XCTAssertEqual(gapped.candidates.map(\.height), [11, 14, 15])

        _ = try chain.commit(batch.take(), now: Fixtures.farFuture)
        XCTAssertEqual(chain.tip.height, 10)
        let committed = chain.downloadPlan(toward: blocks[29].hash, limit: 5)
        XCTAssertEqual(committed.forkHeight, 10, "the stored blocks above the gap do not move the base either")
        XCTAssertEqual(committed.candidates.map(\.height), [11, 14, 15])
    }

    func testAStagedBlockIsNeitherStoredNorRequestedNorAdmittedAgainUntilItsCommit() throws {
        let blocks = blocks(10)
        let chain = try withHeaders(blocks)
        var batch = BlockWriteBatch()
        stage(blocks[0..<6], in: chain, into: &batch)
        XCTAssertEqual(batch.count, 6)
        XCTAssertEqual(chain.tip.height, 0, "the tip moves only at the commit")
        XCTAssertFalse(try chain.store.reader.contains(blocks[0].hash))
        XCTAssertNil(try chain.servingBlockFrame(hash: blocks[0].hash), "a staged block is not served")
        XCTAssertEqual(chain.admitBlock(blocks[3].message, hash: blocks[3].hash, requested: true), .alreadyHave(hash: blocks[3].hash))
        XCTAssertEqual(chain.downloadCandidates(limit: 100).map(\.hash), blocks[6...].map(\.hash), "staged blocks are not requested again")

        let committed = try chain.commit(batch.take(), now: Fixtures.farFuture)
        XCTAssertTrue(batch.isEmpty)
        XCTAssertEqual(committed.map(\.hash), blocks[0..<6].map(\.hash), "committed in staging order")
        XCTAssertEqual(committed.map(\.height), Array(1...6))
        XCTAssertEqual(chain.tip.height, 6)
        XCTAssertEqual(try chain.store.reader.statistics().blockCount, 7, "genesis and the batch")
    }

    /// A crash between batches: the first batch committed, the second was inside its transaction
    /// when the process died (the files copied there, as a kill -9 leaves them). Reopened, the store
    /// holds the first batch whole, its tip is the first batch's last block, the second batch is
    /// absent and downloaded again; the live chain state, whose commit failed, asks for it again.
    func testACrashBeforeACommitLosesThatBatchOnlyAndNothingCommittedBefore() throws {
        let blocks = blocks(12, size: 40_000)
        let directory = Fixtures.temporaryDirectory()
        let chain = try chainState(in: directory)
        XCTAssertEqual(chain.acceptHeaders(blocks.map(\.message.header), now: Fixtures.farFuture).acceptedCount, 12)
        var first = BlockWriteBatch()
        stage(blocks[0..<5], in: chain, into: &first)
        try chain.commit(first, now: Fixtures.farFuture)
        let acknowledged = chain.tip
        XCTAssertEqual(acknowledged.height, 5)

        var second = BlockWriteBatch()
        stage(blocks[5..<12], in: chain, into: &second)
        let snapshot = Fixtures.temporaryDirectory()
        directories.append(snapshot)
        struct Killed: Error {}
        XCTAssertThrowsError(
            try chain.commit(second, now: Fixtures.farFuture) {
                try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
                for suffix in ["", "-wal"] {
                    let path = directory + "/" + BlockStore.fileName + suffix
                    if FileManager.default.fileExists(atPath: path) {
                        try FileManager.default.copyItem(atPath: path, toPath: snapshot + "/" + BlockStore.fileName + suffix)
                    }
                }
                throw Killed()
            })
        XCTAssertEqual(chain.tip, acknowledged, "a failed commit moves nothing")
        XCTAssertEqual(chain.downloadCandidates(limit: 100).map(\.hash), blocks[5...].map(\.hash), "its blocks are asked for again")

        let reopened = try ChainState(directory: snapshot, configuration: ChainConfiguration(network: .regtest))
        XCTAssertEqual(reopened.tip, acknowledged, "the tip after the crash is the last committed block")
        for block in blocks[0..<5] { XCTAssertTrue(try reopened.store.reader.contains(block.hash), "committed before the crash") }
        for block in blocks[5...] { XCTAssertFalse(try reopened.store.reader.contains(block.hash), "never committed") }
        XCTAssertEqual(try reopened.store.reader.statistics().blockCount, 6)
    }

    func testABadMerkleRootInABatchIsRefusedAndTheOthersAreStored() throws {
        let blocks = blocks(6)
        let chain = try withHeaders(blocks)
        var batch = BlockWriteBatch()
        stage(blocks[0..<3], in: chain, into: &batch)
        // Block 4 with one byte of its last transaction changed: its header (and hash) is the
        // requested one, its transactions no longer hash to the header's merkle root.
        var tampered = blocks[3].message
        tampered.blob[tampered.blob.count - 10] ^= 0xFF
        let validation = Result { () throws(ChainRejection) in _ = try BlockValidation.validate(tampered) }
        XCTAssertEqual(
            chain.stage(
                tampered, hash: blocks[3].hash, validation: validation, headerKnown: true, now: Fixtures.farFuture,
                payloadChecksum: nil, into: &batch),
            .rejected(.merkleRootMismatch))
        stage(blocks[4..<6], in: chain, into: &batch)
        XCTAssertEqual(batch.count, 5)
        try chain.commit(batch, now: Fixtures.farFuture)
        XCTAssertEqual(chain.tip.height, 3, "the tip stops below the missing block")
        XCTAssertFalse(try chain.store.reader.contains(blocks[3].hash))
        XCTAssertTrue(try chain.store.reader.contains(blocks[5].hash), "stored, waiting for its ancestor")
        XCTAssertEqual(chain.downloadCandidates(limit: 100).map(\.hash), [blocks[3].hash], "the real block is asked for again")
        XCTAssertEqual(try chain.acceptBlock(blocks[3].message, now: Fixtures.farFuture).storedHeight, 4)
        XCTAssertEqual(chain.tip.height, 6)
    }
}

private extension BlockAcceptance {
    var storedHeight: Int? {
        if case .stored(_, let height, _) = self { return height }
        return nil
    }
}
