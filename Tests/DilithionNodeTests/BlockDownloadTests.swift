import DilithionChain
import DilithionNet
import DilithionTestKit
import DilithionWire
import Foundation
import Logging
import XCTest

@testable import DilithionNode

/// The block pipeline through the ``SyncCoordinator`` (``BlockDownload``): batched commits during
/// initial block download, large blocks validated on the worker and committed in arrival order, a
/// bad block in a batch refused with its penalty. A ``RecordingSyncNetwork`` instead of sockets, a
/// ``ManualClock``; the worker's completions are waited for through the wakes it asks for.
final class BlockDownloadTests: XCTestCase {
    private let directories = TemporaryDirectories()
    private let generator = RegtestChainGenerator(seed: 0xD0)
    private let peerA = PeerID(rawValue: 1)

    override func tearDown() {
        directories.removeAll()
    }

    private func chainState() throws -> ChainState {
        try ChainState(directory: directories.make("dilithion-download"), configuration: ChainConfiguration(network: .regtest))
    }

    private struct Rig {
        let sync: SyncCoordinator
        let network: RecordingSyncNetwork
        let clock: ManualClock
        let chain: ChainState
    }

    /// A coordinator in initial block download (the wall clock a year past genesis) with `settings`.
    private func rig(_ settings: SyncSettings) throws -> Rig {
        let chain = try chainState()
        let network = RecordingSyncNetwork()
        let clock = ManualClock()
        let wall = Int64(RegtestGenesis.time) + 365 * 86_400
        var logger = Logger(label: "test.download")
        logger.logLevel = .critical
        let sync = SyncCoordinator(
            chain: chain, network: network, clock: clock, wallTime: { wall }, settings: settings, logger: logger)
        return Rig(sync: sync, network: network, clock: clock, chain: chain)
    }

    /// A server chain of `count` blocks of `size` bytes, and its blocks in height order.
    private func served(_ count: Int, size: Int) throws -> [(hash: Hash256, message: BlockMessage)] {
        let server = try chainState()
        let hashes = try generator.generate(count: count, blockSize: .constant(size), onto: server)
        return try hashes.map { hash in
            let payload = try XCTUnwrap(try server.blockPayload(hash: hash))
            guard case .block(let block) = try Message.decode(command: Command.block, payload: payload) else { throw XCTSkip("not a block") }
            return (hash, block)
        }
    }

    private func version(height: Int32) -> VersionMessage {
        VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: 1, userAgent: "/Dilithion:test/",
            startHeight: height, relay: true, genesisHash: Network.regtest.parameters.genesisHash)
    }

    /// Connects peer A claiming the chain and gives its headers: every block is then asked of A.
    /// A node whose worker takes blocks of 60,000 bytes (1,000-byte ones stay on the dispatcher) and
    /// whose batches wait for everything in flight (no count or age limit in the way), connected to
    /// `peerA` serving `count` such blocks.
    private func rigWithLargeBlocks(_ count: Int) throws -> (node: Rig, large: [(hash: Hash256, message: BlockMessage)]) {
        var settings = SyncSettings()
        settings.workerMinimumBytes = 50_000
        settings.commits.maxBlocks = 1_000
        settings.commits.maxDelay = .seconds(3_600)
        let node = try rig(settings)
        let large = try served(count, size: 60_000)
        connect(node, to: large)
        return (node, large)
    }

    private func connect(_ node: Rig, to blocks: [(hash: Hash256, message: BlockMessage)]) {
        node.sync.peerEstablished(peerA, version: version(height: Int32(blocks.count)), host: "127.0.0.10")
        node.sync.receivedHeaders(blocks.map(\.message.header), from: peerA)
        _ = node.network.takeSent()
    }

    func testDuringInitialBlockDownloadBlocksAreCommittedInBatchesAndTheTipMovesOnlyAtACommit() throws {
        var settings = SyncSettings()
        settings.commits.maxBlocks = 5
        settings.commits.maxDelay = .seconds(3_600)
        let node = try rig(settings)
        let blocks = try served(12, size: 1_000)
        connect(node, to: blocks)
        XCTAssertTrue(node.sync.isInitialBlockDownload)
        var tips: [Int] = []
        for block in blocks {
            node.sync.receivedBlock(block.message, from: peerA)
            tips.append(node.chain.tip.height)
        }
        // Commits at 5 and 10 blocks (the count bound); the last two once nothing is in flight.
        XCTAssertEqual(tips, [0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 12])
        XCTAssertEqual(node.chain.tip.hash, blocks.last?.hash)
        XCTAssertEqual(try node.chain.store.reader.statistics().blockCount, 13)
    }

    func testABatchOlderThanTheDelayIsCommittedAtTheTick() throws {
        var settings = SyncSettings()
        settings.commits.maxBlocks = 1_000
        settings.commits.maxDelay = .milliseconds(100)
        let node = try rig(settings)
        let blocks = try served(6, size: 1_000)
        connect(node, to: blocks)
        for block in blocks.prefix(3) { node.sync.receivedBlock(block.message, from: peerA) }
        XCTAssertEqual(node.chain.tip.height, 0, "blocks 4-6 are still in flight: the batch waits")
        node.clock.advance(by: .milliseconds(1_500))
        node.sync.tick(now: node.clock.now)
        XCTAssertEqual(node.chain.tip.height, 3, "past its delay the batch is committed by the maintenance")
    }

    func testLargeBlocksValidatedOnTheWorkerAreStagedInArrivalOrder() throws {
        let (node, large) = try rigWithLargeBlocks(8)
        // Arrival order differs from height order: children before parents, so a commit order other
        // than the arrival order would show in the outcomes.
        let arrival = [1, 0, 3, 2, 5, 4, 7, 6].map { large[$0] }
        let downloads = node.sync.downloads
        // Outcomes are collected from every call: whichever call commits, their order is the commit order.
        var outcomes: [BlockOutcome] = []
        for block in arrival.prefix(7) {
            outcomes += downloads.receive(block.message, hash: block.hash, from: peerA, payloadChecksum: nil)
        }
        XCTAssertTrue(node.network.waitForWakes(7), "the worker validated the first seven")
        outcomes += downloads.drain()
        XCTAssertEqual(node.chain.tip.height, 0, "a block is still in flight: nothing committed yet")
        XCTAssertTrue(outcomes.isEmpty)
        outcomes += downloads.receive(arrival[7].message, hash: arrival[7].hash, from: peerA, payloadChecksum: nil)
        XCTAssertTrue(node.network.waitForWakes(8))
        outcomes += downloads.drain()
        // A batch of large blocks is committed off the dispatcher: its outcomes come with the drain
        // after the commit's wake.
        XCTAssertTrue(node.network.waitForWakes(9), "the commit, on its own thread, wakes the dispatcher")
        outcomes += downloads.drain()
        XCTAssertEqual(outcomes.compactMap(\.storedHash), arrival.map(\.hash), "committed in arrival order")
        XCTAssertEqual(node.chain.tip.hash, large.last?.hash)
    }

    /// ``BlockDownload/stop()`` waits for a batch being committed off the dispatcher and returns
    /// its outcomes with everything else (a graceful shutdown loses nothing received or reported).
    func testStopReturnsTheOutcomesOfACommitStillRunningOffTheDispatcher() throws {
        let (node, large) = try rigWithLargeBlocks(3)
        let downloads = node.sync.downloads
        var outcomes: [BlockOutcome] = []
        for block in large {
            outcomes += downloads.receive(block.message, hash: block.hash, from: peerA, payloadChecksum: nil)
        }
        XCTAssertTrue(node.network.waitForWakes(3), "the worker validated all three")
        // Nothing more coming: the batch went to the committing thread (in this drain or the last
        // receive's); its outcomes come with the drain after its commit, or with stop().
        outcomes += downloads.drain()
        outcomes += downloads.stop()
        XCTAssertEqual(outcomes.compactMap(\.storedHash), large.map(\.hash))
        XCTAssertEqual(node.chain.tip.hash, large.last?.hash)
    }

    func testABadMerkleRootInABatchIsRefusedTheSenderPenalisedAndTheRestStored() throws {
        var settings = SyncSettings()
        settings.commits.maxBlocks = 1_000
        settings.commits.maxDelay = .seconds(3_600)
        settings.workerMinimumBytes = 30_000
        let node = try rig(settings)
        let blocks = try served(6, size: 40_000)
        connect(node, to: blocks)
        var tampered = blocks[2].message
        tampered.blob[tampered.blob.count - 10] ^= 0xFF  // an output value: parses, hashes differently
        for (index, block) in blocks.enumerated() {
            node.sync.receivedBlock(index == 2 ? tampered : block.message, from: peerA)
        }
        XCTAssertTrue(node.network.waitForWakes(6))
        node.sync.offDispatcherWorkReady(for: peerA)
        XCTAssertEqual(node.network.penalties.map(\.reason), ["bad-txnmrklroot"])
        XCTAssertEqual(node.network.penalties.first?.peer, peerA)
        XCTAssertTrue(node.network.waitForWakes(7), "the batch's commit, off the dispatcher, wakes it")
        node.sync.offDispatcherWorkReady(for: peerA)
        XCTAssertEqual(node.chain.tip.height, 2, "the tip stops below the refused block")
        XCTAssertTrue(try node.chain.store.reader.contains(blocks[5].hash), "the rest of the batch is stored")
        XCTAssertFalse(try node.chain.store.reader.contains(blocks[2].hash))
    }

    /// A block on the worker whose sender leaves before it is validated is dropped at once, counted
    /// and downloadable again: the worker's wake goes to the departed peer's timer, which never
    /// fires, so without the drop it (and everything after it) waited for an unrelated event that,
    /// with no peers left, never came. The worker is held behind a gate while the sender leaves.
    func testABlockStillOnTheWorkerWhenItsSenderLeavesIsDroppedAndAskedForAgain() throws {
        let (node, large) = try rigWithLargeBlocks(2)
        let downloads = node.sync.downloads
        let worker = try XCTUnwrap(downloads.worker)
        let gate = DispatchSemaphore(value: 0)
        XCTAssertTrue(worker.submit { gate.wait() })

        let outcomes = downloads.receive(large[0].message, hash: large[0].hash, from: peerA, payloadChecksum: nil)
        XCTAssertTrue(outcomes.isEmpty, "queued behind the gate")
        XCTAssertEqual(downloads.lock.withLock { downloads.arrivals.count }, 1)

        node.sync.peerLeft(peerA)
        XCTAssertEqual(downloads.lock.withLock { downloads.arrivals.count }, 0, "dropped when its sender left")
        XCTAssertEqual(node.network.ignoredCount("block-sender-left"), 1)
        gate.signal()
        XCTAssertTrue(node.network.waitForWakes(1), "the worker still finishes the dropped job")
        XCTAssertTrue(downloads.drain().isEmpty)
        XCTAssertEqual(node.chain.tip.height, 0)
        XCTAssertEqual(
            node.chain.downloadCandidates(limit: 16).map(\.hash), large.map(\.hash), "neither stored nor staged: asked for again")
    }
}

private extension BlockOutcome {
    var storedHash: Hash256? {
        if case .stored(let block, _, _) = self { return block.hash }
        return nil
    }
}
