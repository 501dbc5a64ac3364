import DilithionTestKit
import DilithionChain
import DilithionNet
import DilithionWire
import VectorSupport
import XCTest

@testable import DilithionHeaderHashing

/// Whole `headers` messages through pre-check, hashing service and tree, counting every hash at the
/// backend (issue 14: a message of garbage costs at most one RandomX hash).
final class HeaderBatchPipelineTests: XCTestCase {
    private let clock = ManualClock()
    private var services: [HeaderHashingService] = []

    override func tearDown() {
        for service in services { service.stop() }
        services = []
    }

    private func pipeline(
        _ backend: CountingBackend, sink: HeaderTreeSink, cacheCapacity: Int = 131_072, maxWaiting: Int = 8
    ) -> HeaderBatchPipeline {
        let service = HeaderHashingService(
            backend: backend, configuration: HashingConfiguration(workers: 2, replayCacheCapacity: cacheCapacity), clock: clock)
        services.append(service)
        return HeaderBatchPipeline(service: service, sink: sink, maxWaitingMessages: maxWaiting)
    }

    private func process(_ headers: [BlockHeader], through pipeline: HeaderBatchPipeline, from peer: UInt64 = 1) -> HeaderBatchResult? {
        let result = OneShot<HeaderBatchResult>()
        pipeline.process(headers, from: HashSubmitter(peer)) { result.deliver($0) }
        return result.wait()
    }

    // MARK: Mainnet garbage

    private let mainnet = Network.mainnet.parameters
    private var mainnetNow: Int64 { Int64(mainnet.genesisBlock.header.time) + 100_000_000 }

    private func mainnetSink() -> HeaderTreeSink {
        HeaderTreeSink(
            configuration: ChainConfiguration(network: .mainnet, legacyHasher: MinedNonceHasher()),
            genesis: mainnet.genesisBlock.header, genesisHash: mainnet.genesisHash, now: mainnetNow)
    }

    /// The attack of issue 14: one message of 2,000 legacy headers, the first linking to genesis. Made
    /// as hard as garbage gets for the cheap checks (valid times and bits, each header taken to
    /// extend the one before), it costs one hash; siblings of genesis cost one too; and fully random
    /// headers cost at most one.
    func testAGarbageMessageLinkingToGenesisCostsExactlyOneHash() throws {
        var random = SplitMix64(seed: 2000)
        let genesis = mainnet.genesisBlock.header
        func garbage(linked: Bool) -> [BlockHeader] {
            (0..<2000).map { index in
                BlockHeader(
                    version: 1,
                    previousBlockHash: index == 0 || !linked ? mainnet.genesisHash : Hash256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next()),
                    merkleRoot: Hash256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next()),
                    time: genesis.time + 240 * UInt32(index + 1), bits: genesis.bits, nonce: UInt32(truncatingIfNeeded: random.next()))
            }
        }
        for linked in [true, false] {
            let backend = CountingBackend()
            let sink = mainnetSink()
            let result = process(garbage(linked: linked), through: pipeline(backend, sink: sink))
            XCTAssertEqual(result, HeaderBatchResult(acceptedCount: 0, rejection: .highHash), "linked: \(linked)")
            XCTAssertEqual(backend.hashCount, 1, "linked: \(linked)")
            XCTAssertEqual(services.last?.statistics().hashesComputed, 1)
            XCTAssertEqual(sink.count, 1, "nothing kept")
        }
        for round in 0..<20 {
            let backend = CountingBackend()
            var headers = (0..<2000).map { _ in
                var bytes = (0..<80).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes[0...3] = [1, 0, 0, 0]
                var reader = ByteReader(bytes)
                return try! BlockHeader.read(from: &reader)
            }
            headers[0].previousBlockHash = mainnet.genesisHash
            let result = process(headers, through: pipeline(backend, sink: mainnetSink()))
            XCTAssertNotNil(result?.rejection, "round \(round)")
            XCTAssertLessThanOrEqual(backend.hashCount, 1, "round \(round)")
        }
    }

    /// The calling thread (the node's dispatcher) pre-checks one window of a garbage message, not
    /// the 2,000 headers that pass the cheap checks one after another; an honest message goes
    /// through in windows that double.
    func testMessagesArePrecheckedInDoublingWindows() {
        var random = SplitMix64(seed: 32)
        let genesis = mainnet.genesisBlock.header
        let garbage = (0..<2000).map { index in
            BlockHeader(
                version: 1,
                previousBlockHash: index == 0 ? mainnet.genesisHash : Hash256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next()),
                merkleRoot: Hash256(w0: random.next(), w1: 1, w2: 2, w3: 3),
                time: genesis.time + 240 * UInt32(index + 1), bits: genesis.bits, nonce: 7)
        }
        let recorder = PrecheckSizeRecorder(mainnetSink())
        let service = HeaderHashingService(backend: CountingBackend(), configuration: HashingConfiguration(workers: 2), clock: clock)
        services.append(service)
        let garbagePipeline = HeaderBatchPipeline(service: service, sink: recorder)
        XCTAssertEqual(process(garbage, through: garbagePipeline)?.rejection, .highHash)
        XCTAssertEqual(recorder.sizes, [HeaderBatchPipeline.firstWindow])

        let honest = honestChain(300)
        let honestRecorder = PrecheckSizeRecorder(legacySink())
        let honestService = HeaderHashingService(backend: CountingBackend(), configuration: HashingConfiguration(workers: 2), clock: clock)
        services.append(honestService)
        let honestPipeline = HeaderBatchPipeline(service: honestService, sink: honestRecorder)
        XCTAssertEqual(process(honest.map(\.header), through: honestPipeline), HeaderBatchResult(acceptedCount: 300, lastHash: honest[299].hash))
        XCTAssertEqual(honestRecorder.sizes, [32, 64, 128, 76])
    }

    // MARK: Honest chains

    private func legacySink(checkpoints: Checkpoints = .none) -> HeaderTreeSink {
        var configuration = ChainConfiguration.legacyRegtest(legacyHasher: MinedNonceHasher())
        configuration.checkpoints = checkpoints
        return HeaderTreeSink(
            configuration: configuration, genesis: LegacyRegtestGenesis.block.header,
            genesisHash: LegacyRegtestGenesis.expectedHash, now: Int64(LegacyRegtestGenesis.time) + 100_000_000)
    }

    private func honestChain(_ count: Int, seed: UInt64 = 1, after parent: (hash: Hash256, height: Int, time: UInt32)? = nil)
        -> [(header: BlockHeader, hash: Hash256)]
    {
        let parent = parent ?? (LegacyRegtestGenesis.expectedHash, 0, LegacyRegtestGenesis.time)
        return LegacyChainGenerator(hasher: MinedNonceHasher(), seed: seed).makeHeaders(
            after: parent.hash, height: parent.height, time: parent.time, count: count)
    }

    func testAnHonestChainGoesThroughAndAReplayCostsNoHash() {
        let chain = honestChain(300)
        let backend = CountingBackend()
        let sink = legacySink()
        let pipeline = pipeline(backend, sink: sink)
        XCTAssertEqual(process(chain.map(\.header), through: pipeline), HeaderBatchResult(acceptedCount: 300, lastHash: chain[299].hash))
        XCTAssertEqual(sink.bestHeight, 300)
        XCTAssertEqual(backend.hashCount, 300)
        XCTAssertEqual(
            process(chain.map(\.header), through: pipeline, from: 2), HeaderBatchResult(acceptedCount: 0, lastHash: chain[299].hash))
        XCTAssertEqual(backend.hashCount, 300, "the replay was answered by the cache")
    }

    /// With no replay cache, headers re-sent below a passed checkpoint cost a hash each (the tree
    /// knows them) and are not punished; a real fork there is refused after one hash.
    func testHeadersReSentBelowAPassedCheckpointAreNotPunished() {
        let chain = honestChain(60)
        let backend = CountingBackend()
        let sink = legacySink(checkpoints: Checkpoints([40: chain[39].hash]))
        let pipeline = pipeline(backend, sink: sink, cacheCapacity: 0)
        XCTAssertEqual(process(chain.map(\.header), through: pipeline), HeaderBatchResult(acceptedCount: 60, lastHash: chain[59].hash))
        XCTAssertEqual(process(chain.map(\.header), through: pipeline), HeaderBatchResult(acceptedCount: 0, lastHash: chain[59].hash))
        XCTAssertEqual(backend.hashCount, 120)

        let fork = honestChain(30, seed: 2, after: (chain[9].hash, 10, chain[9].header.time))
        XCTAssertEqual(process(fork.map(\.header), through: pipeline), HeaderBatchResult(acceptedCount: 0, rejection: .forkBelowCheckpoint(height: 11)))
        XCTAssertEqual(backend.hashCount, 121)
    }

    func testAWrongHeaderMidwayKeepsTheHeadersBeforeIt() {
        let honest = honestChain(50)
        var headers = honest.map(\.header)
        headers[30].bits = 0x1D00_FFFF
        let backend = CountingBackend()
        let sink = legacySink()
        let result = process(headers, through: pipeline(backend, sink: sink))
        XCTAssertEqual(result, HeaderBatchResult(
                acceptedCount: 30, rejection: .unexpectedBits(bits: 0x1D00_FFFF, expected: LegacyRegtestGenesis.bits),
                lastHash: honest[29].hash))
        XCTAssertEqual(backend.hashCount, 30, "the wrong header was never hashed")
        XCTAssertEqual(sink.bestHeight, 30)
    }

    // MARK: One message at a time per peer

    /// Three consecutive messages of one peer, sent at once: each is pre-checked only after the one
    /// before is in the tree (otherwise the second's first parent would be unknown).
    func testAPeersMessagesArePipelinedOneAfterAnother() {
        let honest = honestChain(90)
        let chain = honest.map(\.header)
        let backend = CountingBackend()
        let sink = legacySink()
        let pipeline = pipeline(backend, sink: sink)
        let boxes = (0..<3).map { _ in OneShot<HeaderBatchResult>() }
        for part in 0..<3 {
            pipeline.process(Array(chain[(part * 30)..<(part * 30 + 30)]), from: HashSubmitter(1)) { boxes[part].deliver($0) }
        }
        for (part, box) in boxes.enumerated() {
            XCTAssertEqual(box.wait(), HeaderBatchResult(acceptedCount: 30, lastHash: honest[part * 30 + 29].hash))
        }
        XCTAssertEqual(sink.bestHeight, 90)
    }

    func testMessagesBeyondTheWaitingLimitAreNotLookedAtAndCancellingEndsTheRest() {
        let chain = honestChain(30).map(\.header)
        let backend = CountingBackend(gated: true)
        let pipeline = pipeline(backend, sink: legacySink(), maxWaiting: 1)
        let peer = HashSubmitter(7)
        let boxes = (0..<3).map { _ in OneShot<HeaderBatchResult>() }
        pipeline.process(Array(chain[0..<10]), from: peer) { boxes[0].deliver($0) }
        backend.waitUntilHeld(1)
        pipeline.process(Array(chain[10..<20]), from: peer) { boxes[1].deliver($0) }
        pipeline.process(Array(chain[20..<30]), from: peer) { boxes[2].deliver($0) }
        XCTAssertEqual(boxes[2].wait(), HeaderBatchResult(acceptedCount: 0, overloaded: true))
        pipeline.cancel(peer)
        XCTAssertEqual(boxes[0].wait(), HeaderBatchResult(acceptedCount: 0, cancelled: true))
        XCTAssertEqual(boxes[1].wait(), HeaderBatchResult(acceptedCount: 0, cancelled: true))
        backend.openGate()
    }
}
