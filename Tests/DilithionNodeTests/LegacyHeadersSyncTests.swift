import DilithionTestKit
import DilithionChain
import DilithionHeaderHashing
import DilithionNet
import DilithionWire
import Foundation
import Logging
import VectorSupport
import XCTest

@testable import DilithionNode

/// Legacy (RandomX) `headers` through the ``SyncCoordinator`` (issue 14): the pipeline's hashing
/// service runs on its own workers with ``MinedHashBackend`` in place of RandomX; the test thread
/// plays the dispatcher (it hands messages in and applies outcomes when woken). Hashes are counted
/// by the service's own counters; nothing waits on time.
final class LegacyHeadersSyncTests: XCTestCase {
    private let directories = TemporaryDirectories()
    private var services: [HeaderHashingService] = []

    override func tearDown() {
        for service in services { service.stop() }
        services.removeAll()
        directories.removeAll()
    }

    private struct Rig {
        let sync: SyncCoordinator
        let network: RecordingSyncNetwork
        let chain: ChainState
        let service: HeaderHashingService
        let backend: MinedHashBackend
    }

    private func rig(_ configuration: ChainConfiguration, wallTime: Int64, backend: MinedHashBackend = MinedHashBackend()) throws -> Rig {
        let chain = try ChainState(directory: directories.make("dilithion-legacy-sync"), configuration: configuration)
        let clock = ManualClock()
        let service = HeaderHashingService(backend: backend, configuration: HashingConfiguration(workers: 2), clock: clock)
        services.append(service)
        let network = RecordingSyncNetwork()
        var logger = Logger(label: "test.legacy-sync")
        logger.logLevel = ProcessInfo.processInfo.environment["DILITHION_TEST_LOG"] == nil ? .critical : .debug
        let sync = SyncCoordinator(
            chain: chain, network: network, clock: clock, wallTime: { wallTime }, logger: logger, legacyHashing: service)
        return Rig(sync: sync, network: network, chain: chain, service: service, backend: backend)
    }

    private func connect(_ peer: PeerID, to rig: Rig, height: Int32, host: String) {
        let version = VersionMessage(
            protocolVersion: 70011, services: 1, timestamp: 0, receiver: NetAddress(services: 1, ipv4: (127, 0, 0, 1), port: 1),
            sender: NetAddress(services: 1, ipv4: (0, 0, 0, 0), port: 0), nonce: 1, userAgent: "/Dilithion:test/",
            startHeight: height, relay: true, genesisHash: rig.chain.configuration.parameters.genesisHash)
        rig.sync.peerEstablished(peer, version: version, host: host)
        _ = rig.network.takeSent()
    }

    /// Hands `headers` in as the dispatcher would, waits for the coordinator to ask for the
    /// dispatcher (the `wakes`-th time in all), and applies the outcome as the dispatcher would.
    private func deliver(_ headers: [BlockHeader], from peer: PeerID, to rig: Rig, wakes: Int) {
        rig.sync.receivedHeaders(headers, from: peer)
        XCTAssertTrue(rig.network.waitForWakes(wakes), "the outcome never came back")
        rig.sync.headers.legacyHeadersReady(for: peer)
    }

    // MARK: Garbage

    /// The attack of issue 14 on a mainnet chain state: 2,000 legacy headers, the first linking to
    /// genesis, valid times and bits. One RandomX hash (on a hashing worker, not the calling
    /// thread), `high-hash` with its 100 points, nothing kept; the peer's counters show the hash.
    func testAGarbageMessageCostsOneHashOnAWorkerAndItsSenderThePoints() throws {
        let mainnet = Network.mainnet.parameters
        let genesis = mainnet.genesisBlock.header
        let rig = try rig(
            ChainConfiguration(network: .mainnet, legacyHasher: MinedNonceHasher()),
            wallTime: Int64(genesis.time) + 100_000_000)
        let attacker = PeerID(rawValue: 7)
        connect(attacker, to: rig, height: 5_000, host: "127.0.0.7")
        var random = SplitMix64(seed: 14)
        let garbage = (0..<2000).map { index in
            BlockHeader(
                version: 1,
                previousBlockHash: index == 0 ? mainnet.genesisHash : Hash256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next()),
                merkleRoot: Hash256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next()),
                time: genesis.time + 240 * UInt32(index + 1), bits: genesis.bits, nonce: UInt32(truncatingIfNeeded: random.next()))
        }
        deliver(garbage, from: attacker, to: rig, wakes: 1)

        XCTAssertEqual(rig.service.statistics().hashesComputed, 1)
        XCTAssertEqual(rig.sync.facts(for: attacker)?.legacyHashing?.hashesComputed, 1)
        XCTAssertFalse(rig.backend.threads.contains(MinedHashBackend.currentThread), "RandomX ran on the dispatcher")
        XCTAssertEqual(rig.network.penalties, [.init(peer: attacker, points: 100, reason: "high-hash")])
        XCTAssertEqual(rig.chain.bestHeader.height, 0)
        XCTAssertEqual(try rig.chain.statistics().headerCount, 1, "nothing kept")
        XCTAssertTrue(rig.network.takeSent().headerRequests(to: attacker).isEmpty, "a failed batch is not continued")
    }

    // MARK: Honest headers

    private func legacyChain(_ count: Int) -> [(header: BlockHeader, hash: Hash256)] {
        LegacyChainGenerator(hasher: MinedNonceHasher(), seed: 3).makeHeaders(
            after: LegacyRegtestGenesis.expectedHash, height: 0, time: LegacyRegtestGenesis.time, count: count)
    }

    /// A full message (2,000 headers) and the rest of a legacy regtest chain: every header hashed
    /// once, the sender asked to continue after the full one, its branch remembered; the same
    /// headers from a second peer cost no hash (the replay cache) and no points.
    func testHonestLegacyHeadersSyncAndAReplayCostsNoHash() throws {
        let chain = legacyChain(2_300)
        let rig = try rig(.legacyRegtest(legacyHasher: MinedNonceHasher()), wallTime: Int64(chain.last!.header.time) + 3_600)
        let honest = PeerID(rawValue: 1)
        connect(honest, to: rig, height: 2_300, host: "127.0.0.1")

        deliver(chain.prefix(2_000).map(\.header), from: honest, to: rig, wakes: 1)
        XCTAssertEqual(rig.chain.bestHeader.height, 2_000)
        let continuation = rig.network.takeSent().headerRequests(to: honest)
        XCTAssertEqual(continuation.first?.locator.first, chain[1_999].hash, "continued from the last header")
        deliver(chain.suffix(300).map(\.header), from: honest, to: rig, wakes: 2)
        XCTAssertEqual(rig.chain.bestHeader.hash, chain.last!.hash)
        XCTAssertEqual(rig.service.statistics().hashesComputed, 2_300)
        XCTAssertEqual(rig.sync.facts(for: honest)?.knownHeight, 2_300)
        XCTAssertFalse(rig.backend.threads.contains(MinedHashBackend.currentThread))

        let replayer = PeerID(rawValue: 2)
        connect(replayer, to: rig, height: 2_300, host: "127.0.0.2")
        deliver(chain.suffix(300).map(\.header), from: replayer, to: rig, wakes: 3)
        XCTAssertEqual(rig.service.statistics().hashesComputed, 2_300, "a replay costs lookups, not hashes")
        XCTAssertEqual(rig.sync.facts(for: replayer)?.legacyHashing?.hashesAvoided, 300)
        XCTAssertEqual(rig.sync.facts(for: replayer)?.knownHeight, 2_300)
        XCTAssertTrue(rig.network.penalties.isEmpty)
    }

    /// Headers the node holds from its store (never hashed by the pipeline): the first replay costs
    /// one hash each (the tree answers "known"), later ones none; no points.
    func testReplayedHeadersOfStoredBlocksCostOneHashEachOnce() throws {
        let rig = try rig(.legacyRegtest(legacyHasher: MinedNonceHasher()), wallTime: Int64(LegacyRegtestGenesis.time) + 100_000)
        let hashes = try LegacyChainGenerator(hasher: MinedNonceHasher(), seed: 5).generate(count: 20, onto: rig.chain)
        let headers = hashes.compactMap { rig.chain.record(for: $0)?.header }
        let peer = PeerID(rawValue: 1)
        connect(peer, to: rig, height: 20, host: "127.0.0.1")
        deliver(headers, from: peer, to: rig, wakes: 1)
        XCTAssertEqual(rig.service.statistics().hashesComputed, 20)
        deliver(headers, from: peer, to: rig, wakes: 2)
        XCTAssertEqual(rig.service.statistics().hashesComputed, 20)
        XCTAssertEqual(rig.service.statistics().hashesAvoided, 20)
        XCTAssertEqual(rig.sync.facts(for: peer)?.knownHeight, 20)
        XCTAssertTrue(rig.network.penalties.isEmpty)
    }

    /// A legacy block whose header came through the pipeline is hashed from the replay cache.
    func testALegacyBlockOfAKnownHeaderCostsNoHash() throws {
        let generator = LegacyChainGenerator(hasher: MinedNonceHasher(), seed: 4)
        let time = LegacyRegtestGenesis.time + LegacyChainGenerator.blockInterval
        let (block, hash) = generator.makeBlock(parent: LegacyRegtestGenesis.expectedHash, height: 1, time: time)
        let rig = try rig(.legacyRegtest(legacyHasher: MinedNonceHasher()), wallTime: Int64(time) + 3_600)
        let peer = PeerID(rawValue: 1)
        connect(peer, to: rig, height: 1, host: "127.0.0.1")
        deliver([block.header], from: peer, to: rig, wakes: 1)
        XCTAssertEqual(rig.service.statistics().hashesComputed, 1)
        XCTAssertEqual(try rig.sync.headers.blockHeaderHash(block.header), hash)
        rig.sync.receivedBlock(block, from: peer)
        XCTAssertEqual(rig.chain.tip.hash, hash)
        XCTAssertEqual(rig.service.statistics().hashesComputed, 1, "the block's header came from the replay cache")
    }

    // MARK: Disconnection

    /// A peer that leaves while its message is being hashed: the hash in progress finishes, nothing
    /// more is hashed for it, and its outcome never reaches the dispatcher.
    func testAPeerThatLeavesHasItsPendingMessageCancelled() throws {
        let chain = legacyChain(500)
        let backend = MinedHashBackend(gated: true)
        let rig = try rig(.legacyRegtest(legacyHasher: MinedNonceHasher()), wallTime: Int64(chain.last!.header.time) + 3_600, backend: backend)
        let peer = PeerID(rawValue: 1)
        connect(peer, to: rig, height: 500, host: "127.0.0.1")
        rig.sync.receivedHeaders(chain.map(\.header), from: peer)
        XCTAssertTrue(backend.waitUntilHeld(1))
        rig.sync.peerLeft(peer)
        backend.openGate()
        rig.service.stop()  // joins the workers: every delivery is done
        let statistics = rig.service.statistics()
        XCTAssertEqual(statistics.batchesCancelled, 1)
        XCTAssertLessThanOrEqual(statistics.hashesComputed, 2, "at most the hashes in progress on the two workers")
        XCTAssertLessThanOrEqual(rig.chain.bestHeader.height, 2)
        rig.sync.headers.legacyHeadersReady(for: peer)
        XCTAssertTrue(rig.network.penalties.isEmpty)
        XCTAssertTrue(rig.network.takeSent().isEmpty)
    }
}
