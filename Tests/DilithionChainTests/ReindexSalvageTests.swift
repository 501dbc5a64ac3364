import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

/// `--reindex` on damaged stores keeps every block that still reads and validates, reports what is
/// lost, and sync fills the gaps. The two damage patterns are the ones that used to cost the whole
/// store (a torn end: rebuilt to height 0) or half of it (4 KiB of garbage in the middle: rebuilt to
/// height 267 of 500). Deterministic: the same blocks and the same bytes every run.
final class ReindexSalvageTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 21)

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    private var path: String { directory + "/" + BlockStore.fileName }

    /// A checkpointed 500-block store of ~1,000-byte blocks (`dilithion-node generate`'s default
    /// size), and the blocks themselves.
    private func makeStore() throws -> [BlockMessage] {
        var chain: ChainState? = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
        let hashes = try generator.generate(count: 500, blockSize: .constant(1_000), onto: chain!)
        XCTAssertEqual(hashes.count, 500)
        var blocks = [BlockMessage]()
        for hash in hashes {
            let payload = try XCTUnwrap(try chain!.blockPayload(hash: hash))
            guard case .block(let block) = try Message.decode(command: Command.block, payload: payload) else { throw XCTSkip("not a block") }
            blocks.append(block)
        }
        try chain!.store.checkpoint()
        chain = nil
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        return blocks
    }

    /// Reindexes, checks the report against the store, then plays the part of sync: headers and the
    /// missing blocks from the original chain until the tip is the original tip.
    private func reindexAndResync(_ blocks: [BlockMessage], file: StaticString = #filePath, line: UInt = #line) throws -> ReindexReport {
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest), reindex: true)
        let report = try XCTUnwrap(chain.reindexReport, file: file, line: line)
        let storedBlocks = try chain.statistics().store.blockCount - 1  // genesis comes from the parameters
        XCTAssertEqual(storedBlocks, report.keptBlocks, file: file, line: line)
        XCTAssertEqual(report.keptBlocks + report.missingHeights + (500 - report.highestKeptHeight), 500,
                       "every height is kept, missing below the highest kept one, or above it", file: file, line: line)
        // The tip is the last block before the first gap.
        let firstGap = try (1...500).first { try !chain.store.reader.contains(blocks[$0 - 1].header.hash()) } ?? 501
        XCTAssertEqual(chain.tip.height, firstGap - 1, file: file, line: line)

        let now = Int64(blocks.last!.header.time)
        _ = chain.acceptHeaders(blocks.map(\.header), now: now)
        var fetched = 0
        for candidate in chain.downloadCandidates(limit: 1_000) {
            let block = blocks[candidate.height - 1]
            guard case .stored = try chain.acceptBlock(block, now: now) else { XCTFail("refused", file: file, line: line); continue }
            fetched += 1
        }
        XCTAssertEqual(fetched, 500 - report.keptBlocks, "only what was lost is fetched again", file: file, line: line)
        XCTAssertEqual(chain.tip, ChainTip(hash: try blocks.last!.header.hash(), height: 500), file: file, line: line)
        return report
    }

    func testATornEndLosesOnlyTheBlocksInTheTornBytes() throws {
        let blocks = try makeStore()
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(size - 5_000))
        try handle.close()

        let report = try reindexAndResync(blocks)
        XCTAssertNotNil(report.readError, "SQLite itself stops at the damage")
        XCTAssertGreaterThan(report.foundByPageScan, 0)
        // 5,000 bytes hold at most five of these ~1,000-byte blocks (four per 4 KiB page, two pages touched).
        XCTAssertGreaterThanOrEqual(report.keptBlocks, 492, "\(report)")
    }

    func testGarbageInTheMiddleLosesOnlyTheBlocksOfTheDamagedPages() throws {
        let blocks = try makeStore()
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        var random = SplitMix64(seed: 4_096)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64(size / 2))
        try handle.write(contentsOf: Data(random.bytes(4_096)))
        try handle.close()

        let report = try reindexAndResync(blocks)
        XCTAssertNotNil(report.readError)
        XCTAssertGreaterThanOrEqual(report.keptBlocks, 492, "\(report)")
        XCTAssertGreaterThan(report.highestKeptHeight, 495, "blocks above the damage are kept too")
    }

    /// The page scanner's record decoding on SQLite's own documented encodings.
    func testRecordDecoding() {
        // Header: size 4, types blob(2) = 16, int8 = 1, NULL = 0; then the values.
        XCTAssertEqual(SQLitePageScanner.record([4, 16, 1, 0, 0xAB, 0xCD, 0xFF]), [.blob([0xAB, 0xCD]), .integer(-1), .null])
        XCTAssertNil(SQLitePageScanner.record([4, 16, 1, 0, 0xAB]), "values shorter than the header says")
        XCTAssertNil(SQLitePageScanner.record([2, 10]), "reserved serial type")
        var cursor = 0
        XCTAssertEqual(SQLitePageScanner.varint([0x81, 0x00], at: &cursor, limit: 2), 128)
        XCTAssertEqual(cursor, 2)
    }
}
