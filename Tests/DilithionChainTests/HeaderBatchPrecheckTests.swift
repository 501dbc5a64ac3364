import DilithionWire
import VectorSupport
import XCTest

@testable import DilithionChain

/// The pre-check: what it passes, where it stops, what it leaves to the hash; and that pre-check
/// plus hash checks accept exactly what the tree accepts.
final class HeaderBatchPrecheckTests: XCTestCase {
    private let configuration = ChainConfiguration.legacyRegtest(legacyHasher: MinedNonceHasher())
    private let noCache: (Hash256) -> Hash256? = { _ in nil }

    private var genesis: Fixtures.Link {
        Fixtures.Link(header: LegacyRegtestGenesis.block.header, hash: LegacyRegtestGenesis.expectedHash)
    }

    private func tree(_ configure: (inout ChainConfiguration) -> Void = { _ in }) -> HeaderTree {
        var configuration = configuration
        configure(&configuration)
        return HeaderTree(genesis: genesis.header, genesisHash: genesis.hash, configuration: configuration)
    }

    private func honestHeaders(_ count: Int, after parent: Fixtures.Link? = nil, height: Int = 0) -> [(header: BlockHeader, hash: Hash256)] {
        let parent = parent ?? genesis
        return LegacyChainGenerator(hasher: MinedNonceHasher()).makeHeaders(
            after: parent.hash, height: height, time: parent.header.time, count: count)
    }

    private var now: Int64 { Int64(LegacyRegtestGenesis.time) + 10_000_000 }

    func testAnHonestChainPassesWithItsHashChecksPlanned() throws {
        let chain = honestHeaders(50)
        let precheck = HeaderBatchPrecheck(configuration: configuration)
        let plan = precheck.check(chain.map(\.header), against: tree(), cachedHash: noCache, now: now)
        XCTAssertNil(plan.rejection)
        XCTAssertEqual(plan.entries.count, 50)
        XCTAssertEqual(plan.hashesNeeded, 50)
        XCTAssertEqual(plan.entries.map(\.height), Array(1...50))
        XCTAssertEqual(plan.entries.map(\.check.extendsPreviousEntry), [false] + Array(repeating: true, count: 49))
        XCTAssertEqual(plan.entries[0].check.target, CompactTarget(bits: LegacyRegtestGenesis.bits).target)
        XCTAssertEqual(plan.entries[7].cacheKey, SHA3.hash(chain[7].header.serialized))
    }

    func testAReplayedBatchIsKnownWithoutAnyHash() throws {
        let chain = honestHeaders(20)
        var tree = tree()
        for link in chain { _ = try tree.insert(link.header, hash: link.hash, now: now) }
        var cache = [Hash256: Hash256]()
        for link in chain { cache[SHA3.hash(link.header.serialized)] = link.hash }
        let plan = HeaderBatchPrecheck(configuration: configuration).check(
            chain.map(\.header), against: tree, cachedHash: { cache[$0] }, now: now)
        XCTAssertNil(plan.rejection)
        XCTAssertEqual(plan.hashesNeeded, 0)
        XCTAssertTrue(plan.entries.allSatisfy(\.alreadyKnown))
        // Extending the known headers: the first new one's parent is a known hash.
        let more = honestHeaders(3, after: Fixtures.Link(header: chain[19].header, hash: chain[19].hash), height: 20)
        let extended = HeaderBatchPrecheck(configuration: configuration).check(
            (chain + more).map(\.header), against: tree, cachedHash: { cache[$0] }, now: now)
        XCTAssertEqual(extended.hashesNeeded, 3)
        XCTAssertEqual(extended.entries[20].check.extendsPreviousEntry, false)
        XCTAssertEqual(extended.entries[21].check.extendsPreviousEntry, true)
    }

    func testTheBatchStopsAtItsFirstCheapFailure() {
        let chain = honestHeaders(30).map(\.header)
        let precheck = HeaderBatchPrecheck(configuration: configuration)
        func stop(_ change: (inout [BlockHeader]) -> Void) -> (index: Int, reason: ChainRejection)? {
            var headers = chain
            change(&headers)
            let plan = precheck.check(headers, against: tree(), cachedHash: noCache, now: now)
            if let rejection = plan.rejection { XCTAssertEqual(plan.entries.count, rejection.index) }
            return plan.rejection
        }
        XCTAssertEqual(stop { $0[10].bits = 0x1D00_FFFF }?.index, 10)
        XCTAssertEqual(stop { $0[10].bits = 0x1D00_FFFF }?.reason, .unexpectedBits(bits: 0x1D00_FFFF, expected: LegacyRegtestGenesis.bits))
        XCTAssertEqual(stop { $0[4].time = UInt32(now + 3 * 3600) }?.reason, .timeTooNew(time: UInt32(now + 3 * 3600), limit: now + 7200))
        XCTAssertEqual(stop { $0[12].time = $0[1].time }?.reason, .timeTooOld(time: chain[1].time, medianTimePast: chain[6].time))
        XCTAssertEqual(stop { $0[3].version = 4 }?.reason, .unexpectedVersion(version: 4, height: 4))
        XCTAssertEqual(stop { $0[0].previousBlockHash = Hash256(w0: 5, w1: 5, w2: 5, w3: 5) }?.index, 0)
        XCTAssertEqual(stop { $0[8].bits = 0x2100_0001 }?.reason, .invalidTarget(bits: 0x2100_0001))
        XCTAssertNil(stop { _ in })
    }

    func testAFailedParentOrAFailedHeaderStopsTheBatch() throws {
        let chain = honestHeaders(5)
        var tree = tree()
        for link in chain { _ = try tree.insert(link.header, hash: link.hash, now: now) }
        tree.markFailed(chain[2].hash)
        let precheck = HeaderBatchPrecheck(configuration: configuration)
        let child = honestHeaders(1, after: Fixtures.Link(header: chain[4].header, hash: chain[4].hash), height: 5)
        let orphaned = precheck.check(child.map(\.header), against: tree, cachedHash: noCache, now: now)
        XCTAssertEqual(orphaned.rejection?.reason, .invalidParent(chain[4].hash))
        let replayed = precheck.check(
            [chain[3].header], against: tree, cachedHash: { $0 == SHA3.hash(chain[3].header.serialized) ? chain[3].hash : nil }, now: now)
        XCTAssertEqual(replayed.rejection?.reason, .knownInvalid(chain[3].hash))
    }

    /// A header forking below the last passed checkpoint may be one the tree has (re-sent after the
    /// replay cache forgot it): the plan hashes it and stops, and the tree judges; a known hash that
    /// the tree lacks is refused at once.
    func testCheckpointsArePlannedAndForksBelowAPassedOneAreLeftToTheTree() throws {
        let chain = honestHeaders(6)
        var checkpointed = configuration
        checkpointed.checkpoints = Checkpoints([3: chain[2].hash])
        let precheck = HeaderBatchPrecheck(configuration: checkpointed)
        var tree = HeaderTree(genesis: genesis.header, genesisHash: genesis.hash, configuration: checkpointed)
        let plan = precheck.check(chain.map(\.header), against: tree, cachedHash: noCache, now: now)
        XCTAssertEqual(plan.entries[2].check.expectedHash, chain[2].hash)
        XCTAssertNil(plan.entries[3].check.expectedHash)
        XCTAssertFalse(plan.entries.contains { $0.check.mustAlreadyBeKnown }, "no checkpoint passed yet")

        for link in chain { _ = try tree.insert(link.header, hash: link.hash, now: now) }
        let resent = precheck.check(chain.map(\.header), against: tree, cachedHash: noCache, now: now)
        XCTAssertNil(resent.rejection)
        XCTAssertEqual(resent.entries.count, 1)
        XCTAssertEqual(resent.examinedCount, 1)
        XCTAssertTrue(resent.entries[0].check.mustAlreadyBeKnown)
        XCTAssertNoThrow(try tree.insert(chain[0].header, hash: chain[0].hash, now: now), "the tree has it")

        let fork = LegacyChainGenerator(hasher: MinedNonceHasher(), seed: 2).makeHeaders(
            after: chain[0].hash, height: 1, time: chain[0].header.time, count: 2)
        let forked = precheck.check(fork.map(\.header), against: tree, cachedHash: noCache, now: now)
        XCTAssertTrue(forked.entries.last?.check.mustAlreadyBeKnown ?? false)
        XCTAssertThrowsError(try tree.insert(fork[0].header, hash: fork[0].hash, now: now)) {
            XCTAssertEqual($0 as? ChainRejection, .forkBelowCheckpoint(height: 2))
        }
        let cachedFork = precheck.check(
            fork.map(\.header), against: tree, cachedHash: { $0 == SHA3.hash(fork[0].header.serialized) ? fork[0].hash : nil },
            now: now)
        XCTAssertEqual(cachedFork.rejection?.reason, .forkBelowCheckpoint(height: 2))
        XCTAssertEqual(cachedFork.rejection?.index, 0)
    }

    /// VDF headers need no RandomX: every hash is known at once (the captured testnet chain).
    func testVDFHeadersAreHashedOnTheSpot() throws {
        let headers: [BlockHeader] = try (1...8).map { height in
            let bytes = try Vectors.hex(String(format: "testnet-block-%02d.frame.hex", height))
            guard case .block(let block) = try Message.decode(command: Command.block, payload: Array(bytes.dropFirst(24))) else {
                throw XCTSkip("block \(height) does not decode")
            }
            return block.header
        }
        let testnet = ChainConfiguration(network: .testnet)
        let parameters = Network.testnet.parameters
        let tree = HeaderTree(genesis: parameters.genesisBlock.header, genesisHash: parameters.genesisHash, configuration: testnet)
        let precheck = HeaderBatchPrecheck(configuration: testnet)
        let plan = precheck.check(headers, against: tree, cachedHash: noCache, now: Int64(headers[7].time))
        XCTAssertNil(plan.rejection)
        XCTAssertEqual(plan.hashesNeeded, 0)
        XCTAssertEqual(plan.entries.compactMap(\.knownHash), try headers.map { try $0.hash() })
        var forged = headers
        forged[3].bits = 0x1D00_FFFF
        XCTAssertEqual(
            precheck.check(forged, against: tree, cachedHash: noCache, now: Int64(headers[7].time)).rejection?.reason,
            .unexpectedBits(bits: 0x1D00_FFFF, expected: 0x1D56_BC1F))
    }

    /// Pre-check, then the hash checks in order, then the tree: every header the first two pass, the
    /// tree takes, and the first refusal is the tree's own reason, on many damaged batches.
    func testPrecheckAndHashChecksAgreeWithTheTree() throws {
        // Headers at 0x1f00ffff, mined by the test hasher's nonce: any other nonce fails its work.
        let bits: UInt32 = 0x1F00_FFFF
        let honest = LegacyFixtures.chain(from: genesis, count: 24, bits: bits)
        let chain = honest.map(\.header)
        var checkpointed = configuration
        checkpointed.difficulty = .fixed(bits: bits)
        checkpointed.checkpoints = Checkpoints([4: honest[3].hash])
        var start = HeaderTree(genesis: genesis.header, genesisHash: genesis.hash, configuration: checkpointed)
        for link in honest.prefix(8) { _ = try start.insert(link.header, hash: link.hash, now: now) }
        let fork = LegacyFixtures.chain(from: honest[1], count: 6, bits: bits, tag: 5).map(\.header)
        var random = SplitMix64(seed: 14)
        let precheck = HeaderBatchPrecheck(configuration: checkpointed)
        var verdicts = Set<String>()
        for round in 0..<400 {
            var headers = chain
            let index = Int(random.next() % 24)
            switch random.next() % 8 {
            case 7: headers = Array(chain.prefix(2)) + fork + Array(chain.suffix(from: 8))
            case 0: headers[index].bits = [0x1D00_FFFF, 0x207F_FFFE, 0, 0x1F00_FFFE][Int(random.next() % 4)]
            case 1:  // around the clock limit (now + 2 h on regtest), or anywhere in the past
                headers[index].time = UInt32(
                    truncatingIfNeeded: random.next() % 2 == 0 ? UInt64(now) + 7000 + random.next() % 400 : random.next() % UInt64(now))
            case 2: headers[index].nonce = UInt32(truncatingIfNeeded: random.next())
            case 3: headers[index].previousBlockHash = Hash256(w0: random.next(), w1: 0, w2: 0, w3: 0)
            case 4: headers[index].version = Int32(truncatingIfNeeded: random.next() % 6)
            case 5: headers.remove(at: index)
            default: headers[index].merkleRoot = Hash256(w0: random.next(), w1: 1, w2: 2, w3: 3)
            }
            let (ourVerdict, ourTree) = pipeline(headers, precheck: precheck, tree: start)
            // The tree alone, header by header.
            var plain = start
            var treeVerdict: ChainRejection?
            for header in headers {
                do {
                    _ = try plain.insert(header, hash: MinedNonceHasher.hash(header.serialized), now: now)
                } catch {
                    treeVerdict = error
                    break
                }
            }
            XCTAssertEqual(ourVerdict, treeVerdict, "round \(round)")
            XCTAssertEqual(ourTree.count, plain.count, "round \(round)")
            verdicts.insert(treeVerdict?.reasonCode ?? "accepted")
        }
        XCTAssertEqual(verdicts, [
            "accepted", "high-hash", "bad-diffbits", "time-too-old", "time-too-new", "prev-blk-not-found",
            "bad-fork-prior-to-checkpoint", "bad-version", "checkpoint-mismatch",
        ])
    }

    /// Pre-check, hash checks in order, insertion, and again past a header the tree had: the
    /// pipeline's steps, done synchronously with the test hasher.
    private func pipeline(_ headers: [BlockHeader], precheck: HeaderBatchPrecheck, tree: HeaderTree) -> (ChainRejection?, HeaderTree) {
        var tree = tree
        var remaining = headers[...]
        while true {
            let plan = precheck.check(Array(remaining), against: tree, cachedHash: noCache, now: now)
            var verified = [Hash256]()
            var failure: ChainRejection?
            for entry in plan.entries {
                let hash = entry.knownHash ?? MinedNonceHasher.hash(entry.header.serialized)
                if entry.check.extendsPreviousEntry, entry.header.previousBlockHash != verified.last {
                    failure = .unknownParent(entry.header.previousBlockHash)
                } else if let target = entry.check.target, !(hash < target) {
                    failure = .highHash
                } else if let expected = entry.check.expectedHash, expected != hash {
                    failure = .checkpointMismatch(height: entry.height)
                }
                if failure != nil { break }
                verified.append(hash)
            }
            for (entry, hash) in zip(plan.entries, verified) {
                do {
                    _ = try tree.insert(entry.header, hash: hash, now: now)
                } catch {
                    return (error, tree)
                }
            }
            if let failure { return (failure, tree) }
            if let rejection = plan.rejection { return (rejection.reason, tree) }
            guard plan.examinedCount < remaining.count else { return (nil, tree) }
            remaining = remaining.dropFirst(plan.examinedCount)
        }
    }
}
