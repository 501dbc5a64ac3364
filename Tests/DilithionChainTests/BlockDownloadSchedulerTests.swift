import DilithionWire
import XCTest

@testable import DilithionChain

final class BlockDownloadSchedulerTests: XCTestCase {
    /// Candidates at heights 1…count with synthetic hashes.
    private func candidates(_ count: Int, from first: Int = 1) -> [DownloadCandidate] {
        (first..<(first + count)).map { DownloadCandidate(hash: Hash256(w0: UInt64($0), w1: 0xB10C, w2: 0, w3: 0), height: $0) }
    }

    private func scheduler(
        _ configuration: BlockDownloadConfiguration = BlockDownloadConfiguration(), peers: [Int] = [1, 2]
    ) -> BlockDownloadScheduler<Int> {
        var scheduler = BlockDownloadScheduler<Int>(configuration: configuration)
        for peer in peers { scheduler.peerConnected(peer) }
        return scheduler
    }

    private func heights(_ hashes: [Hash256]) -> [Int] { hashes.map { Int($0.w0) } }

    func testRequestsStayInsideTheWindow() {
        var scheduler = scheduler(BlockDownloadConfiguration(windowSize: 10, maxInFlightPerPeer: 32))
        let requested = scheduler.nextRequests(for: 1, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 0)
        XCTAssertEqual(heights(requested), Array(1...10))
        // The window moves with the tip.
        let later = scheduler.nextRequests(for: 2, candidates: candidates(100, from: 6), tipHeight: 5, nowMilliseconds: 0)
        XCTAssertEqual(heights(later), Array(11...15))
    }

    func testDefaultWindowIs1024() {
        var scheduler = scheduler(BlockDownloadConfiguration(maxInFlightPerPeer: 32), peers: Array(0..<40))
        var total = 0
        for peer in 0..<40 {
            total += scheduler.nextRequests(for: peer, candidates: candidates(2_000), tipHeight: 0, nowMilliseconds: 0).count
        }
        XCTAssertEqual(total, 1_024)
    }

    func testInFlightCapPerPeerAndHardMaximum() {
        var scheduler = scheduler()
        XCTAssertEqual(scheduler.nextRequests(for: 1, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 0).count, 16)
        XCTAssertEqual(scheduler.nextRequests(for: 1, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 1), [])
        XCTAssertEqual(scheduler.inFlightCount(for: 1), 16)
        scheduler.blockReceived(candidates(1)[0].hash, from: 1, nowMilliseconds: 5)
        XCTAssertEqual(heights(scheduler.nextRequests(for: 1, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 6)), [17])
        XCTAssertEqual(BlockDownloadConfiguration(maxInFlightPerPeer: 500).maxInFlightPerPeer, 32)
        XCTAssertEqual(BlockDownloadConfiguration(maxInFlightPerPeer: 0).maxInFlightPerPeer, 1)
    }

    /// Delivers every block `peer` has in flight, in height order, each `bytes` long.
    private func deliverAll(
        _ scheduler: inout BlockDownloadScheduler<Int>, _ requested: [Hash256], from peer: Int, bytes: Int? = nil, at now: Int64
    ) {
        for hash in requested { XCTAssertTrue(scheduler.blockReceived(hash, from: peer, bytes: bytes, nowMilliseconds: now)) }
    }

    /// Round trips of peer 1: request what it may have, deliver all of it; the batch sizes.
    private func pipelineDepths(_ scheduler: inout BlockDownloadScheduler<Int>, rounds: Int, chain: Int) -> [Int] {
        let list = candidates(chain)
        var tip = 0
        var depths = [Int]()
        for round in 0..<rounds {
            let requested = scheduler.nextRequests(for: 1, candidates: Array(list[tip...]), tipHeight: tip, nowMilliseconds: Int64(round))
            depths.append(requested.count)
            deliverAll(&scheduler, requested, from: 1, at: Int64(round))
            tip += requested.count
        }
        return depths
    }

    func testPipelineGrowsPerDeliveryUpToTheCppCeiling() {
        var scheduler = BlockDownloadScheduler<Int>(configuration: BlockDownloadConfiguration())
        scheduler.peerConnected(1, inFlightCeiling: BlockDownloadConfiguration.hardMaxInFlightPerPeer)
        let depths = pipelineDepths(&scheduler, rounds: 4, chain: 500)
        // 16 at first, one more per delivered block, never past the C++ node's 32.
        XCTAssertEqual(depths, [16, 32, 32, 32])
        XCTAssertEqual(scheduler.inFlightLimit(for: 1), 32)
    }

    func testPipeliningPeerDoublesEachRoundTripUpToItsCeiling() {
        var scheduler = BlockDownloadScheduler<Int>(configuration: BlockDownloadConfiguration(pipelinedMaxInFlightPerPeer: 100))
        scheduler.peerConnected(1, inFlightCeiling: 100)
        XCTAssertEqual(pipelineDepths(&scheduler, rounds: 5, chain: 1_000), [16, 32, 64, 100, 100])
    }

    func testPipelineMayStartDeeperButNeverAboveItsCeiling() {
        var scheduler = BlockDownloadScheduler<Int>(configuration: BlockDownloadConfiguration())
        scheduler.peerConnected(1, inFlightCeiling: 512, initialInFlight: 64)
        scheduler.peerConnected(2, inFlightCeiling: 32, initialInFlight: 64)
        XCTAssertEqual(scheduler.nextRequests(for: 1, candidates: candidates(500), tipHeight: 0, nowMilliseconds: 0).count, 64)
        XCTAssertEqual(scheduler.inFlightLimit(for: 2), 32)
    }

    func testCeilingNeverExceedsTheWindow() {
        var scheduler = BlockDownloadScheduler<Int>(configuration: BlockDownloadConfiguration(windowSize: 20))
        scheduler.peerConnected(1, inFlightCeiling: 512)
        let requested = scheduler.nextRequests(for: 1, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 0)
        deliverAll(&scheduler, requested, from: 1, at: 1)
        XCTAssertEqual(scheduler.inFlightLimit(for: 1), 20)
    }

    func testByteCapBoundsThePipelineAtTheAverageBlockSize() {
        var scheduler = BlockDownloadScheduler<Int>(configuration: BlockDownloadConfiguration(maxBytesInFlightPerPeer: 4 << 20))
        scheduler.peerConnected(1, inFlightCeiling: 512)
        scheduler.peerConnected(2, inFlightCeiling: 512)
        let list = candidates(200)
        XCTAssertNil(scheduler.averageBlockBytes)
        let first = scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 0)
        XCTAssertEqual(first.count, 16)
        // 1 MiB blocks: 4 MiB allows 4 outstanding, even though the pipeline grew to 32.
        deliverAll(&scheduler, first, from: 1, bytes: 1 << 20, at: 1)
        XCTAssertEqual(scheduler.averageBlockBytes, Double(1 << 20))
        XCTAssertEqual(scheduler.inFlightLimit(for: 1), 32)
        XCTAssertEqual(heights(scheduler.nextRequests(for: 1, candidates: Array(list[16...]), tipHeight: 16, nowMilliseconds: 2)), Array(17...20))
        // The rest of the run goes to the other peer.
        XCTAssertEqual(heights(scheduler.nextRequests(for: 2, candidates: Array(list[16...]), tipHeight: 16, nowMilliseconds: 2)), Array(21...24))
    }

    func testFreeSlotsAndRequestBatchFollowThePipelineAndTheByteCap() {
        var scheduler = BlockDownloadScheduler<Int>(configuration: BlockDownloadConfiguration(maxBytesInFlightPerPeer: 4 << 20))
        scheduler.peerConnected(1, inFlightCeiling: 512, initialInFlight: 64)
        XCTAssertEqual(scheduler.freeSlots(for: 1), 64)
        XCTAssertEqual(scheduler.requestBatch(for: 1), 8)
        let requested = scheduler.nextRequests(for: 1, candidates: candidates(500), tipHeight: 0, nowMilliseconds: 0)
        XCTAssertEqual(scheduler.freeSlots(for: 1), 0)
        // Small blocks: the pipeline grows and the batch with it.
        for hash in requested.prefix(10) { scheduler.blockReceived(hash, from: 1, bytes: 1_000, nowMilliseconds: 1) }
        XCTAssertEqual(scheduler.inFlightLimit(for: 1), 74)
        XCTAssertEqual(scheduler.freeSlots(for: 1), 74 - 54)
        XCTAssertEqual(scheduler.requestBatch(for: 1), 9)
        // 1 MiB blocks: the byte cap (4 blocks) bounds both, so the batch never exceeds what fits.
        for hash in requested.dropFirst(10).prefix(40) { scheduler.blockReceived(hash, from: 1, bytes: 1 << 30, nowMilliseconds: 2) }
        XCTAssertEqual(scheduler.freeSlots(for: 1), 0)
        XCTAssertEqual(scheduler.requestBatch(for: 1), 1)
        XCTAssertEqual(scheduler.freeSlots(for: 99), 0)
    }

    func testUnrequestedDeliveryNeitherGrowsThePipelineNorMovesTheAverage() {
        var scheduler = BlockDownloadScheduler<Int>(configuration: BlockDownloadConfiguration())
        scheduler.peerConnected(1, inFlightCeiling: 32)
        scheduler.peerConnected(2, inFlightCeiling: 32)
        let requested = scheduler.nextRequests(for: 1, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 0)
        XCTAssertFalse(scheduler.blockReceived(requested[0], from: 2, bytes: 999, nowMilliseconds: 1))
        XCTAssertEqual(scheduler.inFlightLimit(for: 1), 16)
        XCTAssertEqual(scheduler.inFlightLimit(for: 2), 16)
        XCTAssertNil(scheduler.averageBlockBytes)
    }

    func testRequestsAreSpreadAcrossPeers() {
        var scheduler = scheduler()
        let first = scheduler.nextRequests(for: 1, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 0)
        let second = scheduler.nextRequests(for: 2, candidates: candidates(100), tipHeight: 0, nowMilliseconds: 0)
        XCTAssertEqual(heights(first), Array(1...16))
        XCTAssertEqual(heights(second), Array(17...32))
        XCTAssertEqual(scheduler.peer(requestedFor: first[0]), 1)
        XCTAssertEqual(scheduler.totalInFlight, 32)
    }

    func testNeverTheSameBlockTwiceOnOneConnection() {
        var scheduler = scheduler(BlockDownloadConfiguration(maxInFlightPerPeer: 2))
        let list = candidates(3)
        XCTAssertEqual(heights(scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 0)), [1, 2])
        // Block 1 arrives but is not stored (e.g. a mutated copy), so it is still a candidate.
        XCTAssertTrue(scheduler.blockReceived(list[0].hash, from: 1, nowMilliseconds: 10))
        XCTAssertEqual(heights(scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 11)), [3])
        XCTAssertEqual(heights(scheduler.nextRequests(for: 2, candidates: list, tipHeight: 0, nowMilliseconds: 11)), [1])
    }

    func testUnsolicitedDeliveryIsNotProgressButIsNeverAskedAgain() {
        var scheduler = scheduler()
        let list = candidates(2)
        XCTAssertFalse(scheduler.blockReceived(list[0].hash, from: 1, nowMilliseconds: 0))
        XCTAssertEqual(heights(scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 0)), [2])
    }

    func testStallTimeoutDoublesUpTo64SecondsAndResetsOnProgress() {
        var scheduler = scheduler(peers: Array(1...10))
        let list = candidates(200)
        var now: Int64 = 0
        var expectedTimeout: Int64 = 2_000
        for peer in 1...8 {
            XCTAssertEqual(scheduler.stallTimeoutMilliseconds, expectedTimeout)
            XCTAssertFalse(scheduler.nextRequests(for: peer, candidates: list, tipHeight: 0, nowMilliseconds: now).isEmpty)
            XCTAssertEqual(scheduler.stalledPeers(nowMilliseconds: now + expectedTimeout), [], "not yet: exactly at the timeout")
            now += expectedTimeout + 1
            XCTAssertEqual(scheduler.stalledPeers(nowMilliseconds: now), [peer])
            expectedTimeout = min(expectedTimeout * 2, 64_000)
        }
        XCTAssertEqual(scheduler.stallTimeoutMilliseconds, 64_000)
        let requested = scheduler.nextRequests(for: 9, candidates: list, tipHeight: 0, nowMilliseconds: now)
        scheduler.blockReceived(requested[0], from: 9, nowMilliseconds: now + 1)
        XCTAssertEqual(scheduler.stallTimeoutMilliseconds, 2_000)
    }

    func testStallersBlocksAreReRequestedElsewhere() {
        var scheduler = scheduler()
        let list = candidates(40)
        let slow = scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 0)
        XCTAssertEqual(scheduler.stalledPeers(nowMilliseconds: 2_001), [1])
        XCTAssertEqual(scheduler.stalledPeers(nowMilliseconds: 10_000), [], "each staller is reported once")
        XCTAssertEqual(scheduler.inFlightCount(for: 1), 0)
        XCTAssertEqual(scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 2_002), [])
        XCTAssertEqual(scheduler.nextRequests(for: 2, candidates: list, tipHeight: 0, nowMilliseconds: 2_002), slow)
    }

    func testPipelinedPeerThatKeepsDeliveringIsNotAStaller() {
        var scheduler = scheduler()
        let requested = scheduler.nextRequests(for: 1, candidates: candidates(40), tipHeight: 0, nowMilliseconds: 0)
        scheduler.blockReceived(requested[0], from: 1, nowMilliseconds: 1_500)
        XCTAssertEqual(scheduler.stalledPeers(nowMilliseconds: 3_000), [])
        XCTAssertEqual(scheduler.stalledPeers(nowMilliseconds: 3_501), [1])
    }

    func testDisconnectReleasesEverythingInFlight() {
        var scheduler = scheduler()
        let list = candidates(16)
        let held = scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 0)
        XCTAssertEqual(scheduler.nextRequests(for: 2, candidates: list, tipHeight: 0, nowMilliseconds: 0), [])
        scheduler.peerDisconnected(1)
        XCTAssertEqual(scheduler.totalInFlight, 0)
        XCTAssertEqual(scheduler.nextRequests(for: 2, candidates: list, tipHeight: 0, nowMilliseconds: 1), held)
        XCTAssertEqual(scheduler.nextRequests(for: 1, candidates: list, tipHeight: 0, nowMilliseconds: 1), [], "unknown peer")
    }

    func testDrivesADownloadAgainstChainState() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
        let generator = RegtestChainGenerator(seed: 5)
        let blocks = Fixtures.blocks(60, size: 300, from: generator)
        let messages = Dictionary(uniqueKeysWithValues: blocks.map { ($0.hash, $0.message) })
        let headers = blocks.map(\.message.header)
        _ = chain.acceptHeaders(headers, now: Fixtures.farFuture)
        var scheduler = scheduler()
        var now: Int64 = 0
        while chain.tip.height < 60 {
            now += 100
            for peer in [1, 2] {
                let hashes = scheduler.nextRequests(
                    for: peer, candidates: chain.downloadCandidates(limit: 1024), tipHeight: chain.tip.height,
                    nowMilliseconds: now)
                for hash in hashes.reversed() {  // delivered out of order
                    guard case .stored = try chain.acceptBlock(messages[hash]!, now: Fixtures.farFuture, expectedHash: hash)
                    else { return XCTFail() }
                    scheduler.blockReceived(hash, from: peer, nowMilliseconds: now)
                }
            }
            guard now < 10_000 else { return XCTFail("download made no progress") }
        }
        XCTAssertEqual(chain.tip, chain.bestHeader)
    }
}
