import DilithionWire
import VectorSupport
import XCTest

@testable import DilithionChain

/// The header rules as the tree applies them: exact `nBits` by network, the exemption of legacy
/// headers at or below the checkpoints, layout by height, timestamp rules by height, and the
/// checkpoints as the C++ node enforces them.
final class ChainRulesTests: XCTestCase {
    private func insert(_ link: Fixtures.Link, into tree: inout HeaderTree, now: Int64 = Fixtures.farFuture) -> ChainRejection? {
        Fixtures.rejection { () throws(ChainRejection) in _ = try tree.insert(link.header, hash: link.hash, now: now) }
    }

    // MARK: Difficulty

    /// The captured testnet chain: the rule gives every block's bits (block 1's 0x1d56bc1f is the EDA
    /// after the months between genesis and the reset's first block), and other bits are refused.
    func testCapturedTestnetBitsAreTheRulesBits() throws {
        let parameters = Network.testnet.parameters
        var tree = HeaderTree(
            genesis: parameters.genesisBlock.header, genesisHash: parameters.genesisHash,
            configuration: ChainConfiguration(network: .testnet))
        var parent = parameters.genesisHash
        for height in 1...8 {
            let bytes = try Vectors.hex(String(format: "testnet-block-%02d.frame.hex", height))
            guard case .block(let block) = try Message.decode(command: Command.block, payload: Array(bytes.dropFirst(24))) else {
                return XCTFail("block \(height) does not decode")
            }
            let header = block.header
            let rule = ChainConfiguration(network: .testnet).difficulty
            XCTAssertEqual(rule.requiredBits(height: height, time: header.time, parent: parent, ancestry: tree), header.bits)
            for claim: UInt32 in [0x1D00_FFFF, 0x0300_0001, header.bits + 1] {
                var forged = header
                forged.bits = claim
                let link = Fixtures.Link(header: forged, hash: try forged.hash())
                XCTAssertEqual(insert(link, into: &tree, now: Int64(header.time)), .unexpectedBits(bits: claim, expected: header.bits))
            }
            let hash = try header.hash()
            XCTAssertNil(insert(Fixtures.Link(header: header, hash: hash), into: &tree, now: Int64(header.time)))
            parent = hash
        }
        XCTAssertEqual(tree.bestHeight, 8)
    }

    /// Mainnet legacy headers: at or below the highest checkpoint their bits are not checked (the
    /// real chain carries bits no rule reproduces there) but their proof of work is; above it, the
    /// bits are exactly the rule's.
    func testLegacyBitsAreExemptUpToTheHighestCheckpointAndExactAbove() {
        let first = LegacyFixtures.child(of: LegacyFixtures.mainnetGenesis, bits: 0x207F_FFFF)
        let second = LegacyFixtures.child(of: first, bits: 0x1F00_1234)
        var tree = LegacyFixtures.mainnetTree { $0.checkpoints = Checkpoints([2: second.hash]) }
        XCTAssertNil(insert(first, into: &tree))
        XCTAssertNil(insert(second, into: &tree))
        let unmined = LegacyFixtures.child(of: first, bits: 0x1D00_FFFF, nonce: 7, tag: 1)
        XCTAssertEqual(insert(unmined, into: &tree), .highHash, "proof of work below the checkpoints too")

        // Height 3, above the checkpoint: a 2016-block-era height, so the parent's bits.
        let wrong = LegacyFixtures.child(of: second, bits: 0x207F_FFFF)
        XCTAssertEqual(insert(wrong, into: &tree), .unexpectedBits(bits: 0x207F_FFFF, expected: 0x1F00_1234))
        XCTAssertNil(insert(LegacyFixtures.child(of: second, bits: 0x1F00_1234), into: &tree))
        XCTAssertEqual(ChainConfiguration(network: .mainnet).difficulty, .schedule(.mainnet))
        XCTAssertEqual(ChainConfiguration(network: .testnet).difficulty, .schedule(.testnet))
        XCTAssertEqual(ChainConfiguration(network: .dilv).difficulty, .fixed(bits: 0x1D00_FFFF))
    }

    /// The rule reads the branch the header is on: on a side branch the retarget's first header is
    /// the side branch's own, found through the tree exactly as by walking the branch's parents.
    func testTheRuleReadsTheHeadersOwnBranch() throws {
        // Testnet's rule with a 4-block retarget: height 8 reads height 4 of its branch.
        var schedule = DifficultySchedule.testnet
        schedule.shortRetargetInterval = 4
        schedule.emergencyHeight = nil
        let rule = DifficultyRule.schedule(schedule)
        let parameters = Network.testnet.parameters
        let genesis = Fixtures.Link(header: parameters.genesisBlock.header, hash: parameters.genesisHash)
        var configuration = ChainConfiguration(network: .testnet)
        configuration.difficulty = rule
        var tree = HeaderTree(genesis: genesis.header, genesisHash: genesis.hash, configuration: configuration)

        /// Extends `parent` by `count` headers `step` seconds apart, each with the rule's bits.
        func extend(_ parent: Fixtures.Link, height: Int, count: Int, step: UInt32, variant: UInt64) throws -> [Fixtures.Link] {
            var links = [Fixtures.Link]()
            var cursor = parent
            for offset in 0..<count {
                let time = cursor.header.time + step
                let bits = try XCTUnwrap(rule.requiredBits(height: height + offset + 1, time: time, parent: cursor.hash, ancestry: tree))
                cursor = Fixtures.child(of: cursor, variant: variant, timeStep: step, bits: bits)
                XCTAssertNil(insert(cursor, into: &tree, now: Int64(time)))
                links.append(cursor)
            }
            return links
        }
        let best = try extend(genesis, height: 0, count: 9, step: 80, variant: 0)  // on schedule
        let side = try extend(best[1], height: 2, count: 5, step: 200, variant: 1)  // heights 3…7, slow blocks
        XCTAssertEqual(tree.bestTip.hash, best[8].hash)

        // An independent ancestry: the side branch walked through its parents.
        var byHash = [Hash256: (header: BlockHeader, height: Int)]()
        byHash[genesis.hash] = (genesis.header, 0)
        for (offset, link) in best.enumerated() { byHash[link.hash] = (link.header, offset + 1) }
        for (offset, link) in side.enumerated() { byHash[link.hash] = (link.header, offset + 3) }
        struct Walk: HeaderAncestry {
            let byHash: [Hash256: (header: BlockHeader, height: Int)]
            func header(atHeight height: Int, onBranchOf tip: Hash256) -> BlockHeader? {
                var cursor = byHash[tip]
                while let entry = cursor, entry.height > height { cursor = byHash[entry.header.previousBlockHash] }
                return cursor?.height == height ? cursor?.header : nil
            }
        }
        let walk = Walk(byHash: byHash)
        let time = side[4].header.time + 200
        let throughTree = rule.requiredBits(height: 8, time: time, parent: side[4].hash, ancestry: tree)
        XCTAssertEqual(throughTree, rule.requiredBits(height: 8, time: time, parent: side[4].hash, ancestry: walk))
        XCTAssertNotEqual(throughTree, rule.requiredBits(height: 8, time: time, parent: best[6].hash, ancestry: tree),
                          "the slow side branch retargets easier than the best chain")
        XCTAssertEqual(tree.header(atHeight: 4, onBranchOf: side[4].hash), side[1].header)
        XCTAssertEqual(tree.header(atHeight: 2, onBranchOf: side[4].hash), best[1].header)
        XCTAssertNil(tree.header(atHeight: 6, onBranchOf: best[1].hash))
    }

    // MARK: Layout by height

    func testEachNetworkTakesOnlyItsHeaderLayout() {
        var mainnet = LegacyFixtures.mainnetTree()
        var vdf = Fixtures.child(of: LegacyFixtures.mainnetGenesis)
        vdf = Fixtures.Link(header: vdf.header, hash: vdf.hash)
        XCTAssertEqual(insert(vdf, into: &mainnet), .unexpectedVersion(version: 4, height: 1))

        var regtest = Fixtures.tree()
        let legacy = LegacyFixtures.child(of: Fixtures.genesisLink, bits: RegtestGenesis.bits)
        XCTAssertEqual(insert(legacy, into: &regtest), .unexpectedVersion(version: 1, height: 1))
        XCTAssertEqual(ChainConfiguration(network: .testnet).versions, .vdfOnly)
        XCTAssertEqual(ChainConfiguration(network: .dilv).versions, .vdfOnly)
        XCTAssertEqual(ChainConfiguration(network: .mainnet).versions, .legacyOnly)

        // A version of 0 or less: refused above the checkpoints, as the C++ headers sync does.
        let zero = LegacyFixtures.child(of: LegacyFixtures.mainnetGenesis, bits: 0x207F_FFFF, version: 0)
        var checkpointed = LegacyFixtures.mainnetTree { $0.checkpoints = Checkpoints([5: .zero]) }
        XCTAssertNil(insert(zero, into: &checkpointed))
        var plain = LegacyFixtures.mainnetTree { $0.checkpoints = .none }
        XCTAssertEqual(insert(zero, into: &plain), .unexpectedVersion(version: 0, height: 1))
        XCTAssertEqual(ChainRejection.unexpectedVersion(version: 0, height: 1).misbehaviourPoints, 100)
    }

    // MARK: Timestamps by height

    func testTheMedianRuleStartsAtItsHeight() {
        var tree = Fixtures.tree { $0.timestamps = TimestampRule(medianTimePastHeight: 4) }
        let first = Fixtures.child(of: Fixtures.genesisLink)
        let second = Fixtures.child(of: first)
        XCTAssertNil(insert(first, into: &tree))
        XCTAssertNil(insert(second, into: &tree))
        // Height 3, earlier than its parent and than the median: allowed before height 4.
        var early = Fixtures.child(of: second).header
        early.time = first.header.time - 30
        let earlyLink = Fixtures.Link(header: early, hash: try! early.hash())
        XCTAssertNil(insert(earlyLink, into: &tree))
        var stale = Fixtures.child(of: earlyLink).header
        stale.time = first.header.time
        let staleLink = Fixtures.Link(header: stale, hash: try! stale.hash())
        XCTAssertEqual(insert(staleLink, into: &tree), .timeTooOld(time: stale.time, medianTimePast: first.header.time))
        XCTAssertEqual(ChainConfiguration(network: .mainnet).timestamps.medianTimePastHeight, 44_001)
        XCTAssertEqual(ChainConfiguration(network: .dilv).timestamps.medianTimePastHeight, 44_470)
        XCTAssertEqual(ChainConfiguration(network: .testnet).timestamps, .fromGenesis)
    }

    func testTheMinimumSpacingStartsAtItsHeight() {
        var tree = Fixtures.tree { $0.timestamps = TimestampRule(medianTimePastHeight: 0, minimumSpacing: 45, minimumSpacingHeight: 2) }
        let quick = Fixtures.child(of: Fixtures.genesisLink, timeStep: 1)
        XCTAssertNil(insert(quick, into: &tree), "before its height")
        let tooSoon = Fixtures.child(of: quick, timeStep: 44)
        XCTAssertEqual(insert(tooSoon, into: &tree), .timeTooSoon(time: tooSoon.header.time, earliest: Int64(quick.header.time) + 45))
        XCTAssertEqual(ChainRejection.timeTooSoon(time: 0, earliest: 0).reasonCode, "time-too-soon")
        XCTAssertNil(insert(Fixtures.child(of: quick, timeStep: 45), into: &tree))
        let dilv = ChainConfiguration(network: .dilv).timestamps
        XCTAssertEqual([dilv.minimumSpacing, Int64(dilv.minimumSpacingHeight)], [45, 44_470])
    }

    // MARK: Checkpoints

    /// Below a checkpoint the best chain has not reached, branches compete: a free chain sent first
    /// cannot lock the honest one out (it would, were forks refused below the highest checkpoint).
    /// Once the honest chain passes the checkpoint, everything forking below it is refused.
    func testAChainBelowAnUnreachedCheckpointCannotLockOutTheHonestOne() {
        let honest = Fixtures.chain(from: Fixtures.genesisLink, count: 6)
        var tree = Fixtures.tree { $0.checkpoints = Checkpoints([5: honest[4].hash]) }
        let squatter = Fixtures.chain(from: Fixtures.genesisLink, count: 4, variant: 7)
        Fixtures.insertAll(squatter, into: &tree)
        XCTAssertEqual(tree.bestTip.hash, squatter[3].hash)

        Fixtures.insertAll(honest, into: &tree)
        XCTAssertEqual(tree.bestTip.hash, honest[5].hash)
        let beyond = Fixtures.child(of: squatter[3], variant: 7)  // height 5, not the checkpoint
        XCTAssertEqual(insert(beyond, into: &tree), .checkpointMismatch(height: 5))
        let lowFork = Fixtures.child(of: honest[1], variant: 8)  // height 3, below the passed checkpoint
        XCTAssertEqual(insert(lowFork, into: &tree), .forkBelowCheckpoint(height: 3))
        let atCheckpoint = Fixtures.child(of: honest[4], variant: 9)  // height 6, forks at the checkpoint itself
        XCTAssertNil(insert(atCheckpoint, into: &tree))
    }

    func testLastPassedCheckpoint() {
        let checkpoints = Checkpoints([10: .zero, 20: .zero, 5: .zero])
        XCTAssertNil(checkpoints.lastPassed(bestHeight: 4))
        XCTAssertEqual(checkpoints.lastPassed(bestHeight: 5), 5)
        XCTAssertEqual(checkpoints.lastPassed(bestHeight: 19), 10)
        XCTAssertEqual(checkpoints.lastPassed(bestHeight: 1_000), 20)
        XCTAssertEqual(checkpoints.highestHeight, 20)
        XCTAssertNil(Checkpoints.none.lastPassed(bestHeight: 100))
    }

    /// The C++ chain parameters' lists (chainparams.cpp at 3e1bb6bc), as data.
    func testNetworkCheckpointsAreTheCppLists() throws {
        let mainnet = Checkpoints.of(.mainnet)
        XCTAssertEqual(mainnet.hashes.keys.sorted(),
                       [1000, 2000, 5000, 10000, 11000, 13000, 16500, 18500, 23000, 24476, 30000, 34000, 40000, 44000])
        XCTAssertEqual(mainnet.hashes[44_000]?.displayHex, "0000002751fc99551f4fce1f2e92053b2432788f1dc12412fd81223204d11377")
        XCTAssertEqual(mainnet.hashes[1_000]?.displayHex, "000000006c282edbcc0f2eee5b0f8c8feb62c73d3787137037e589db99cab59f")
        // Every mainnet checkpoint is a RandomX proof-of-work hash: below the easiest target the
        // C++ rules can name (the display hex was not byte-reversed by mistake).
        let easiest = try XCTUnwrap(CompactTarget(bits: DifficultySchedule.mainnet.easiestBits).target)
        XCTAssertTrue(mainnet.hashes.values.allSatisfy { $0 < easiest })
        let dilv = Checkpoints.of(.dilv)
        XCTAssertEqual(dilv.hashes.count, 18)
        XCTAssertEqual(dilv.highestHeight, 36_500)
        XCTAssertEqual(dilv.hashes[2_632]?.displayHex, "7e250f5f24081906aeea465c546a371937812939dc00ead70a9621f897619caf")
        XCTAssertNil(dilv.hashes[44_469], "removed by the C++ v4.0.22")
        XCTAssertEqual(Checkpoints.of(.testnet), .none)
        XCTAssertEqual(Checkpoints.of(.regtest), .none)
    }
}
