import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

final class ChainStateTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 11)
    private let configuration = ChainConfiguration(network: .regtest)

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    private func open(reindex: Bool = false) throws -> ChainState {
        try ChainState(directory: directory, configuration: configuration, reindex: reindex)
    }

    /// `count` unstored blocks on `parent` (whose time is `parentTime`), lowest first.
    private func blocks(
        count: Int, on parent: Hash256, height parentHeight: Int, time parentTime: UInt32, variant: UInt64 = 0,
        size: Int = 400
    ) -> [BlockMessage] {
        var result = [BlockMessage]()
        var parent = parent
        for offset in 1...count {
            let message = generator.makeBlock(
                parent: parent, height: parentHeight + offset, size: size,
                time: parentTime + UInt32(60 * offset), variant: variant)
            result.append(message)
            parent = try! message.header.hash()
        }
        return result
    }

    private func genesisBlocks(_ count: Int, variant: UInt64 = 0) -> [BlockMessage] {
        blocks(count: count, on: Fixtures.genesisHash, height: 0, time: Fixtures.genesis.time, variant: variant)
    }

    private let now = Fixtures.farFuture

    /// Headers that extend the best chain are bounded by the cap above the stored tip (free VDF
    /// headers otherwise grow the tree without bound); storing blocks makes room again. 0 points.
    func testHeadersAreCappedAboveTheStoredTipAndBlocksMakeRoom() throws {
        var capped = configuration
        capped.maxHeadersAheadOfTip = 5
        let chain = try ChainState(directory: directory, configuration: capped)
        let chainBlocks = genesisBlocks(8)
        let first = chain.acceptHeaders(chainBlocks.map(\.header), now: now)
        XCTAssertEqual(first.acceptedCount, 5)
        XCTAssertEqual(first.rejection, .tooFarAheadOfTip(limit: 5))
        XCTAssertEqual(first.rejection?.misbehaviourPoints, 0)
        XCTAssertEqual(first.rejection?.reasonCode, "headers-ahead-of-blocks")
        XCTAssertEqual(chain.bestHeader.height, 5)
        for block in chainBlocks.prefix(3) {
            guard case .stored = try chain.acceptBlock(block, now: now) else { return XCTFail("block not stored") }
        }
        let second = chain.acceptHeaders(chainBlocks.map(\.header), now: now)
        XCTAssertEqual(second.acceptedCount, 3)
        XCTAssertNil(second.rejection)
        XCTAssertEqual(chain.bestHeader.height, 8)
    }

    func testEmptyStoreStartsWithGenesisStored() throws {
        let chain = try open()
        XCTAssertEqual(chain.tip, ChainTip(hash: Fixtures.genesisHash, height: 0))
        XCTAssertEqual(chain.bestHeader, chain.tip)
        XCTAssertEqual(try chain.blockPayload(hash: Fixtures.genesisHash), Network.regtest.parameters.genesisBlockPayload)
        XCTAssertEqual(chain.locator(), [Fixtures.genesisHash])
    }

    func testGeneratedChainValidatesFullyAndSurvivesRestart() throws {
        var chain: ChainState? = try open()
        let hashes = try generator.generate(
            count: 300, blockSize: .periodic(small: 400, large: 1 << 20, every: 150), onto: chain!)
        XCTAssertEqual(chain!.tip, ChainTip(hash: hashes.last!, height: 300))
        let statistics = try chain!.statistics()
        XCTAssertEqual(statistics.store.blockCount, 301)
        XCTAssertGreaterThan(statistics.store.totalBytes, 2 << 20)
        XCTAssertEqual(statistics.store.highestStoredHeight, 300)
        chain = nil

        let reopened = try open()
        XCTAssertEqual(reopened.tip, ChainTip(hash: hashes.last!, height: 300))
        XCTAssertEqual(reopened.record(atHeight: 150)?.hash, hashes[149])
        // Every stored block re-validates.
        for hash in hashes {
            let payload = try XCTUnwrap(try reopened.blockPayload(hash: hash))
            guard case .block(let message) = try Message.decode(command: Command.block, payload: payload) else {
                return XCTFail("stored payload is not a block")
            }
            XCTAssertNoThrow(try BlockValidation.validate(message, expectedHash: hash))
        }
    }

    func testHeadersFirstDownloadAdvancesTipOnlyOverStoredBlocks() throws {
        let chain = try open()
        let messages = genesisBlocks(5)
        let acceptance = chain.acceptHeaders(messages.map(\.header), now: now)
        XCTAssertEqual(acceptance.acceptedCount, 5)
        XCTAssertEqual(acceptance.bestChainChange?.connected.count, 5)
        XCTAssertEqual(chain.bestHeader.height, 5)
        XCTAssertEqual(chain.tip.height, 0)
        XCTAssertEqual(chain.downloadCandidates(limit: 3).map(\.height), [1, 2, 3])

        guard case .stored(_, 2, nil) = try chain.acceptBlock(messages[1], now: now) else { return XCTFail() }
        XCTAssertEqual(chain.tip.height, 0, "block 1 is still missing")
        XCTAssertEqual(chain.downloadCandidates(limit: 5).map(\.height), [1, 3, 4, 5])
        _ = try chain.acceptBlock(messages[0], now: now)
        XCTAssertEqual(chain.tip.height, 2)
        for message in messages.suffix(3) { _ = try chain.acceptBlock(message, now: now) }
        XCTAssertEqual(chain.tip, chain.bestHeader)
        XCTAssertEqual(chain.downloadCandidates(limit: 10), [])
    }

    func testSecondCopyIsAlreadyHave() throws {
        let chain = try open()
        let message = genesisBlocks(1)[0]
        _ = try chain.acceptBlock(message, now: now)
        XCTAssertEqual(try chain.acceptBlock(message, now: now), .alreadyHave(hash: try message.header.hash()))
    }

    func testBlockWithUnknownParentIsAnUnrequestedOrphan() throws {
        let chain = try open()
        let messages = genesisBlocks(2)
        XCTAssertEqual(
            try chain.acceptBlock(messages[1], now: now), .unrequestedOrphan(hash: try messages[1].header.hash()))
        XCTAssertNil(try chain.blockPayload(hash: try messages[1].header.hash()))
    }

    func testUnannouncedLowWorkBlockIsNotStored() throws {
        let chain = try open()
        for message in genesisBlocks(3) { _ = try chain.acceptBlock(message, now: now) }
        let stale = genesisBlocks(1, variant: 5)[0]
        XCTAssertEqual(try chain.acceptBlock(stale, now: now), .rejected(.lowWorkBlock))
        XCTAssertEqual(ChainRejection.lowWorkBlock.misbehaviourPoints, 0)
        XCTAssertEqual(try chain.statistics().store.blockCount, 4)
    }

    /// A heavier branch's headers move the best header, never the active tip; its blocks switch the
    /// active chain once they are all stored and have more work (a reorg, counted).
    func testStoredSideChainWithMoreWorkReorganisesTheTip() throws {
        let chain = try open()
        let main = genesisBlocks(3)
        for message in main { _ = try chain.acceptBlock(message, now: now) }
        let mainTip = chain.tip
        let side = genesisBlocks(4, variant: 1)
        _ = chain.acceptHeaders(side.map(\.header), now: now)
        XCTAssertEqual(chain.bestHeader.hash, try side[3].header.hash())
        XCTAssertEqual(chain.tip, mainTip, "a header-only branch never moves the active tip")
        for message in side.prefix(3) {
            guard case .stored(_, _, nil) = try chain.acceptBlock(message, now: now) else { return XCTFail("stored, no move") }
        }
        XCTAssertEqual(chain.tip, mainTip, "equal work: the first stored keeps the tip")
        guard case .stored(_, 4, let change?) = try chain.acceptBlock(side[3], now: now) else {
            return XCTFail("the heavier branch, now stored, becomes the active chain")
        }
        XCTAssertEqual(change.disconnected, try main.reversed().map { try $0.header.hash() })
        XCTAssertEqual(change.connected, try side.map { try $0.header.hash() })
        XCTAssertEqual(change.oldTip, mainTip)
        XCTAssertEqual(chain.tip, chain.bestHeader)
        XCTAssertEqual(try chain.statistics().reorgs, ReorgCounters(count: 1, disconnectedBlocks: 3, deepest: 3))
        // The stale blocks are still served.
        XCTAssertNotNil(try chain.blockPayload(hash: try main[2].header.hash()))
        // A locator naming the stale branch is answered from the fork point.
        XCTAssertEqual(
            chain.headersForPeer(locator: [try main[2].header.hash()], stop: .zero), side.map(\.header))
    }

    func testBlockReorgReportsDisconnectedAndConnected() throws {
        let chain = try open()
        let main = genesisBlocks(2)
        for message in main { _ = try chain.acceptBlock(message, now: now) }
        let side = genesisBlocks(3, variant: 2)
        let acceptance = chain.acceptHeaders(side.map(\.header), now: now)
        let change = try XCTUnwrap(acceptance.bestChainChange)
        XCTAssertEqual(change.forkHeight, 0)
        XCTAssertEqual(change.disconnected, try main.reversed().map { try $0.header.hash() })
        XCTAssertEqual(change.connected, try side.map { try $0.header.hash() })
    }

    func testInvalidCommitmentFailsTheAnnouncedHeader() throws {
        let chain = try open()
        let good = genesisBlocks(2)
        _ = try chain.acceptBlock(good[0], now: now)
        var bad = good[1]
        bad.header.vdfOutput = Hash256(w0: 1, w1: 1, w2: 1, w3: 1)
        let badHash = try bad.header.hash()
        XCTAssertEqual(chain.acceptHeaders([bad.header], now: now).bestHeader.hash, badHash)
        XCTAssertEqual(try chain.acceptBlock(bad, now: now), .rejected(.vdfOutputMismatch))
        XCTAssertEqual(chain.record(for: badHash)?.status, .failed)
        XCTAssertEqual(chain.bestHeader.height, 1)
        XCTAssertEqual(try chain.acceptBlock(bad, now: now), .rejected(.knownInvalid(badHash)))
        guard case .stored = try chain.acceptBlock(good[1], now: now) else { return XCTFail() }
        XCTAssertEqual(chain.tip.height, 2)
    }

    func testMutatedBodyDoesNotFailTheHeader() throws {
        let chain = try open()
        let good = genesisBlocks(1, variant: 0)[0]
        let hash = try good.header.hash()
        _ = chain.acceptHeaders([good.header], now: now)
        var mutated = good
        mutated.blob = genesisBlocks(1, variant: 9)[0].blob
        XCTAssertEqual(try chain.acceptBlock(mutated, now: now, expectedHash: hash), .rejected(.merkleRootMismatch))
        XCTAssertEqual(chain.record(for: hash)?.status, .headerOnly)
        let extension1 = ChainChange(forkHash: Fixtures.genesisHash, forkHeight: 0, disconnected: [], connected: [hash])
        XCTAssertEqual(try chain.acceptBlock(good, now: now, expectedHash: hash), .stored(hash: hash, height: 1, activeChainChange: extension1))
    }

    func testVDFLotteryThroughBlocks() throws {
        let chain = try open()
        let first = genesisBlocks(1, variant: 0)[0]
        let firstArrival = Int64(first.header.time)
        _ = try chain.acceptBlock(first, now: firstArrival)
        // Find a sibling with a lower vdfOutput (deterministic: variants are fixed).
        let sibling = try XCTUnwrap(
            (1...64).lazy.map { self.genesisBlocks(1, variant: $0)[0] }.first { $0.header.vdfOutput < first.header.vdfOutput })
        guard case .stored(let hash, 1, let change?) = try chain.acceptBlock(sibling, now: firstArrival + 30) else {
            return XCTFail("the lower-output sibling should replace the tip")
        }
        XCTAssertEqual(change.disconnected, [try first.header.hash()])
        XCTAssertEqual(chain.tip.hash, hash)
    }

    func testHeaderBatchStopsAtFirstRejection() throws {
        let chain = try open()
        let messages = genesisBlocks(4)
        var headers = messages.map(\.header)
        headers[2].time = Fixtures.genesis.time  // not after the median time past
        let acceptance = chain.acceptHeaders(headers, now: now)
        XCTAssertEqual(acceptance.acceptedCount, 2)
        XCTAssertEqual(acceptance.rejection?.reasonCode, "time-too-old")
        XCTAssertEqual(acceptance.bestHeader.height, 2)
    }

    func testReindexRebuildsTheSameTip() throws {
        var chain: ChainState? = try open()
        let hashes = try generator.generate(count: 40, onto: chain!)
        let side = genesisBlocks(2, variant: 3)
        _ = chain!.acceptHeaders(side.map(\.header), now: now)
        for message in side { _ = try chain!.acceptBlock(message, now: now) }
        // A block whose body no longer matches its header, written behind the chain's back.
        var corrupted = genesisBlocks(1, variant: 4)[0]
        let corruptedHash = try corrupted.header.hash()
        corrupted.blob = genesisBlocks(1, variant: 8)[0].blob
        try chain!.store.writer.insert(hash: corruptedHash, height: 1, message: corrupted)
        let tipBefore = chain!.tip
        chain = nil

        let reindexed = try open(reindex: true)
        XCTAssertEqual(reindexed.tip, tipBefore)
        XCTAssertEqual(tipBefore, ChainTip(hash: hashes.last!, height: 40))
        let report = try XCTUnwrap(reindexed.reindexReport)
        XCTAssertEqual([report.keptBlocks, report.droppedBlocks, report.foundByPageScan, report.missingHeights], [42, 1, 0, 0])
        XCTAssertNil(report.readError)
        XCTAssertNil(try reindexed.blockPayload(hash: corruptedHash))
        XCTAssertEqual(reindexed.record(for: try side[1].header.hash())?.status, .stored)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/" + BlockStore.fileName + ".reindex-old"))
    }

    func testReindexRecoversFromAnUnreadableFile() throws {
        try generator.generate(count: 5, onto: try open())
        let path = directory + "/" + BlockStore.fileName
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: path))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        XCTAssertThrowsError(try open()) { error in
            XCTAssertTrue("\(error)".contains("--reindex"), "\(error)")
        }
        let rebuilt = try open(reindex: true)
        XCTAssertEqual(rebuilt.tip.height, 0, "nothing was readable; the store restarts from genesis")
        XCTAssertNotNil(rebuilt.reindexReport?.readError)
    }

    func testServedPayloadIsTheBlockMessagePayload() throws {
        let chain = try open()
        let message = genesisBlocks(1)[0]
        _ = try chain.acceptBlock(message, now: now)
        XCTAssertEqual(try chain.blockPayload(hash: try message.header.hash()), Message.block(message).encodePayload())
    }
}
