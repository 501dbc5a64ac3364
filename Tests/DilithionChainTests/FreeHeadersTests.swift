import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

/// Issue 13's attack at the chain-state level: a seed holding an honest chain receives free VDF
/// headers (correct linkage, bits and times; no blocks) forking below its tip. Its active tip, what
/// it serves and a newcomer that syncs only from it must not move; memory stays bounded; the
/// branches expire. (`scripts/reliability/free-headers` runs the same against real processes.)
final class FreeHeadersTests: XCTestCase {
    private var directories: [String] = []
    private let generator = RegtestChainGenerator(seed: 13)

    override func tearDown() {
        for directory in directories { Fixtures.remove(directory) }
        directories.removeAll()
    }

    private func chainState(_ configure: (inout ChainConfiguration) -> Void = { _ in }) throws -> ChainState {
        let directory = Fixtures.temporaryDirectory()
        directories.append(directory)
        var configuration = ChainConfiguration(network: .regtest)
        configure(&configuration)
        return try ChainState(directory: directory, configuration: configuration)
    }

    /// `count` free headers on `parent` (v4, the network's bits, times 1 s apart after the parent's).
    private func freeHeaders(on parent: HeaderRecord, count: Int, tag: UInt64) -> [BlockHeader] {
        var link = Fixtures.Link(header: parent.header, hash: parent.hash)
        var headers = [BlockHeader]()
        for _ in 0..<count {
            link = Fixtures.child(of: link, variant: tag, timeStep: 1)
            headers.append(link.header)
        }
        return headers
    }

    /// A newcomer that syncs only from `seed`, as the node does: `getheaders` with its locator,
    /// then the blocks the seed serves. Returns the newcomer.
    private func newcomerSyncing(from seed: ChainState, now: Int64) throws -> ChainState {
        let newcomer = try chainState()
        for _ in 0..<10 {
            let headers = seed.headersForPeer(locator: newcomer.locator(), stop: .zero)
            _ = newcomer.acceptHeaders(headers, now: now)
            for candidate in newcomer.downloadCandidates(limit: 10_000) {
                let payload = try XCTUnwrap(try seed.blockPayload(hash: candidate.hash), "the seed serves what it announced")
                guard case .block(let block) = try Message.decode(command: Command.block, payload: payload) else {
                    throw XCTSkip("not a block")
                }
                _ = try newcomer.acceptBlock(block, now: now)
            }
            if headers.count < Limits.maxHeaders { break }
        }
        return newcomer
    }

    func testFreeHeadersNeverMoveTheSeedNorWhatItServes() throws {
        let seed = try chainState {
            $0.maxSideBranchHeaders = 5_000
            $0.maxHeadersAheadOfTip = 3_000
        }
        let honest = try generator.generate(count: 500, onto: seed)
        let honestTip = ChainTip(hash: honest.last!, height: 500)
        let now = Int64(try XCTUnwrap(seed.record(for: honest.last!)).header.time)

        // The attack: 300 headers forking at 400.
        let fork400 = freeHeaders(on: try XCTUnwrap(seed.record(atHeight: 400)), count: 300, tag: 1)
        XCTAssertEqual(seed.acceptHeaders(fork400, now: now).acceptedCount, 300)
        XCTAssertEqual(seed.bestHeader.height, 700)
        XCTAssertEqual(seed.tip, honestTip, "the reported tip stays at the honest tip")
        XCTAssertFalse(seed.isInitialBlockDownload(now: now))
        let served = seed.headersForPeer(locator: [Network.regtest.parameters.genesisHash], stop: .zero)
        XCTAssertEqual(served.count, 500)
        XCTAssertEqual(try served.last!.hash(), honest.last!, "not one free header is served")

        // Harder: thousands of headers from several attackers, forks at several depths, one on the tip.
        var tag: UInt64 = 2
        for depth in [1, 5, 50, 250, 499] {
            let base = try XCTUnwrap(seed.record(atHeight: 500 - depth))
            for _ in 0..<2 {
                tag += 1
                _ = seed.acceptHeaders(freeHeaders(on: base, count: 2_000, tag: tag), now: now)
                XCTAssertEqual(seed.tip, honestTip)
                let statistics = try seed.statistics()
                XCTAssertLessThanOrEqual(statistics.sideBranchHeaderCount, 5_000)
                XCTAssertLessThanOrEqual(statistics.bestHeader.height, 500 + 3_000)
            }
        }
        XCTAssertEqual(seed.headersForPeer(locator: [Network.regtest.parameters.genesisHash], stop: .zero), served)

        // A newcomer that syncs only from the seed reaches the honest tip.
        let newcomer = try newcomerSyncing(from: seed, now: now)
        XCTAssertEqual(newcomer.tip, honestTip)

        // Nobody delivers: after the lifetime every free header is gone and the memory with it.
        let report = seed.pruneSideBranches(now: now + seed.configuration.unbackedBranchLifetimeSeconds + 1)
        XCTAssertGreaterThan(report.removedHeaders, 0)
        let statistics = try seed.statistics()
        XCTAssertEqual(statistics.headerCount, 501)
        XCTAssertEqual(statistics.bestHeader, honestTip)
        XCTAssertEqual(statistics.prunedHeaderCount, report.removedHeaders)
    }

    /// The same attack against a seed whose chain is still syncing: the free branch is heavier than
    /// its active tip and is the best header for a while, but honest blocks keep the active chain
    /// moving (they are fetched toward the honest peer's own header).
    func testAnHonestHeavierForkWhoseBlocksAreServedTakesOver() throws {
        let source = try chainState()
        let honest = try generator.generate(count: 60, onto: source)
        let node = try chainState()
        let now = Int64(try XCTUnwrap(source.record(for: honest.last!)).header.time)
        // The node first holds a lighter fork of 40 blocks.
        let lighter = RegtestChainGenerator(seed: 99)
        _ = try lighter.generate(count: 40, onto: node)
        let lighterTip = node.tip
        // The honest headers arrive: heavier, from genesis; the tip stays until blocks are stored.
        _ = node.acceptHeaders(source.headersForPeer(locator: node.locator(), stop: .zero), now: now)
        XCTAssertEqual(node.tip, lighterTip)
        let target = try XCTUnwrap(node.downloadTarget(knownHash: honest.last!, knownHeight: 60))
        let plan = node.downloadPlan(toward: target, limit: 1_024)
        XCTAssertEqual(plan.forkHeight, 0)
        XCTAssertEqual(plan.candidates.map(\.height), Array(1...60))
        var reorg: ChainChange?
        for candidate in plan.candidates {
            let payload = try XCTUnwrap(try source.blockPayload(hash: candidate.hash))
            guard case .block(let block) = try Message.decode(command: Command.block, payload: payload) else { return XCTFail() }
            if case .stored(_, _, let moved?) = try node.acceptBlock(block, now: now), moved.isReorg { reorg = moved }
            // The tip moves only once the heavier branch is stored and outweighs it: at height 41.
            XCTAssertEqual(node.tip.hash, candidate.height <= 40 ? lighterTip.hash : candidate.hash)
        }
        XCTAssertEqual(node.tip, ChainTip(hash: honest.last!, height: 60))
        XCTAssertEqual(reorg?.disconnected.count, 40)
        XCTAssertEqual(reorg?.newTip.height, 41)
        XCTAssertEqual(try node.statistics().reorgs.count, 1)
    }
}
