import DilithionWire
import XCTest

@testable import DilithionChain

final class HeaderTreeTests: XCTestCase {
    // MARK: Locators

    func testLocatorOfShortChainListsEveryBlockDownToGenesis() {
        var tree = Fixtures.tree()
        let links = Fixtures.chain(from: Fixtures.genesisLink, count: 9)
        Fixtures.insertAll(links, into: &tree)
        XCTAssertEqual(tree.locator(), links.reversed().map(\.hash) + [Fixtures.genesisHash])
    }

    func testLocatorStepsOneThenDoubles() {
        XCTAssertEqual(
            HeaderTree.locatorHeights(from: 1000),
            [1000, 999, 998, 997, 996, 995, 994, 993, 992, 991, 990, 988, 984, 976, 960, 928, 864, 736, 480, 0])
        XCTAssertEqual(HeaderTree.locatorHeights(from: 0), [0])
    }

    func testLocatorIsCappedAt32AndEndsAtGenesis() {
        let heights = HeaderTree.locatorHeights(from: 50_000_000)
        XCTAssertEqual(heights.count, 32)
        XCTAssertEqual(heights.last, 0)
        XCTAssertEqual(Array(heights.prefix(3)), [50_000_000, 49_999_999, 49_999_998])
        XCTAssertEqual(heights, heights.sorted(by: >))
    }

    func testLocatorOnTreeUsesBestChainHashes() {
        var tree = Fixtures.tree()
        let links = Fixtures.chain(from: Fixtures.genesisLink, count: 40)
        Fixtures.insertAll(links, into: &tree)
        let locator = tree.locator()
        let expected = HeaderTree.locatorHeights(from: 40).map { $0 == 0 ? Fixtures.genesisHash : links[$0 - 1].hash }
        XCTAssertEqual(locator, expected)
    }

    // MARK: Work and best chain

    func testChainWorkIsTheSumOfBlockWork() {
        var tree = Fixtures.tree { $0.difficulty = .unchecked }
        var link = Fixtures.genesisLink
        var expected = CompactTarget(bits: RegtestGenesis.bits).blockWork
        for bits: UInt32 in [0x207F_FFFF, 0x1D00_FFFF, 0x1E01_FFFE, 0x207F_FFFF] {
            link = Fixtures.child(of: link, bits: bits)
            expected = expected + CompactTarget(bits: bits).blockWork
            Fixtures.insertAll([link], into: &tree)
        }
        XCTAssertEqual(tree.bestTip.chainWork, expected)
        XCTAssertEqual(tree.bestRecord(atHeight: 2)?.chainWork,
            CompactTarget(bits: RegtestGenesis.bits).blockWork + CompactTarget(bits: 0x207F_FFFF).blockWork
                + CompactTarget(bits: 0x1D00_FFFF).blockWork)
    }

    /// HeaderSpamBench's probe: one VDF header on genesis claiming nBits 0x03000001 (target 1,
    /// near-2^256 work) became the best header and moved the stored tip to genesis. On regtest every
    /// header must carry the genesis bits; the refusal costs 100 points and nothing is kept.
    func testAHeaderWithAnyOtherBitsIsRefusedOnRegtest() {
        var tree = Fixtures.tree()
        let honest = Fixtures.chain(from: Fixtures.genesisLink, count: 3)
        Fixtures.insertAll(honest, into: &tree)
        let before = tree.bestTip
        for bits: UInt32 in [0x0300_0001, 0x1D00_FFFF, RegtestGenesis.bits - 1] {
            let claim = Fixtures.child(of: Fixtures.genesisLink, bits: bits)
            XCTAssertThrowsError(try tree.insert(claim.header, hash: claim.hash, now: Fixtures.farFuture)) { error in
                XCTAssertEqual(error as? ChainRejection, .unexpectedBits(bits: bits, expected: RegtestGenesis.bits))
                XCTAssertEqual((error as? ChainRejection)?.reasonCode, "bad-diffbits")
                XCTAssertEqual((error as? ChainRejection)?.misbehaviourPoints, 100)
            }
            XCTAssertNil(tree.record(for: claim.hash))
        }
        XCTAssertEqual(tree.bestTip.hash, before.hash)
        XCTAssertEqual(ChainConfiguration(network: .regtest).difficulty, .fixed(bits: RegtestGenesis.bits))
        XCTAssertEqual(ChainConfiguration(network: .dilv).difficulty, .fixed(bits: 0x1D00_FFFF))
    }

    func testLongerSideChainWinsAndReportsReorg() throws {
        var tree = Fixtures.tree()
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 5)
        Fixtures.insertAll(main, into: &tree)
        let side = Fixtures.chain(from: main[1], count: 4, variant: 1)  // heights 3…6
        for link in side.prefix(3) {
            XCTAssertNil(try tree.insert(link.header, hash: link.hash, now: Fixtures.farFuture).bestChainChange)
        }
        XCTAssertEqual(tree.bestTip.hash, main[4].hash, "equal work keeps the first seen")
        let change = try XCTUnwrap(
            try tree.insert(side[3].header, hash: side[3].hash, now: Fixtures.farFuture).bestChainChange)
        XCTAssertTrue(change.isReorg)
        XCTAssertEqual(change.forkHeight, 2)
        XCTAssertEqual(change.forkHash, main[1].hash)
        XCTAssertEqual(change.disconnected, [main[4].hash, main[3].hash, main[2].hash])
        XCTAssertEqual(change.connected, side.map(\.hash))
        XCTAssertEqual(tree.bestHeight, 6)
        XCTAssertEqual(tree.bestRecord(atHeight: 3)?.hash, side[0].hash)
        XCTAssertFalse(tree.isOnBestChain(main[2].hash))
        XCTAssertTrue(tree.isOnBestChain(main[1].hash))
        XCTAssertEqual(tree.sideBranchCount, 3)
    }

    func testExtensionIsAChangeWithoutDisconnections() throws {
        var tree = Fixtures.tree()
        let link = Fixtures.child(of: Fixtures.genesisLink)
        let change = try XCTUnwrap(try tree.insert(link.header, hash: link.hash, now: Fixtures.farFuture).bestChainChange)
        XCTAssertFalse(change.isReorg)
        XCTAssertEqual(change.connected, [link.hash])
        XCTAssertEqual(change.forkHash, Fixtures.genesisHash)
        XCTAssertEqual(try tree.insert(link.header, hash: link.hash, now: Fixtures.farFuture),
            HeaderInsertion(isNew: false, height: 1, bestChainChange: nil))
    }

    // MARK: VDF lottery

    private static let high = Hash256(w0: 0, w1: 0, w2: 0, w3: 0x8000_0000_0000_0000)
    private static let lower = Hash256(w0: 0xFFFF, w1: 0, w2: 0, w3: 0x7000_0000_0000_0000)
    private static let lowest = Hash256(w0: 0, w1: 0, w2: 0, w3: 0x0100_0000_0000_0000)

    /// A tree whose tip (height 3) was accepted by extension at `acceptedAt`, and the tip's parent.
    private func lotteryTree(
        acceptedAt: Int64, configure: (inout ChainConfiguration) -> Void = { _ in }
    ) -> (HeaderTree, parent: Fixtures.Link, tip: Fixtures.Link) {
        var tree = Fixtures.tree(configure)
        let links = Fixtures.chain(from: Fixtures.genesisLink, count: 2)
        Fixtures.insertAll(links, into: &tree)
        let tip = Fixtures.child(of: links[1], variant: 10, vdfOutput: Self.high)
        Fixtures.insertAll([tip], into: &tree, now: acceptedAt)
        return (tree, links[1], tip)
    }

    func testLowerVDFOutputSiblingWithinGraceReplacesTip() throws {
        let acceptedAt = Int64(RegtestGenesis.time) + 1_000
        var (tree, parent, tip) = lotteryTree(acceptedAt: acceptedAt)
        let sibling = Fixtures.child(of: parent, variant: 11, vdfOutput: Self.lower)
        let change = try XCTUnwrap(
            try tree.insert(sibling.header, hash: sibling.hash, now: acceptedAt + 45).bestChainChange)
        XCTAssertEqual(change.disconnected, [tip.hash])
        XCTAssertEqual(change.connected, [sibling.hash])
        XCTAssertEqual(tree.bestTip.hash, sibling.hash)
        // The grace clock stays anchored to the first block at this height.
        let third = Fixtures.child(of: parent, variant: 12, vdfOutput: Self.lowest)
        XCTAssertNil(try tree.insert(third.header, hash: third.hash, now: acceptedAt + 46).bestChainChange)
        XCTAssertEqual(tree.bestTip.hash, sibling.hash)
    }

    func testLotteryGraceAnchorIsNotResetByReplacement() throws {
        let acceptedAt = Int64(RegtestGenesis.time) + 1_000
        var (tree, parent, _) = lotteryTree(acceptedAt: acceptedAt)
        let sibling = Fixtures.child(of: parent, variant: 11, vdfOutput: Self.lower)
        XCTAssertNotNil(try tree.insert(sibling.header, hash: sibling.hash, now: acceptedAt + 10).bestChainChange)
        let third = Fixtures.child(of: parent, variant: 12, vdfOutput: Self.lowest)
        XCTAssertNotNil(try tree.insert(third.header, hash: third.hash, now: acceptedAt + 40).bestChainChange)
        XCTAssertEqual(tree.bestTip.hash, third.hash)
    }

    func testLowerSiblingOutsideGraceDoesNotReplaceTip() throws {
        let acceptedAt = Int64(RegtestGenesis.time) + 1_000
        var (tree, parent, tip) = lotteryTree(acceptedAt: acceptedAt)
        let sibling = Fixtures.child(of: parent, variant: 11, vdfOutput: Self.lower)
        XCTAssertNil(try tree.insert(sibling.header, hash: sibling.hash, now: acceptedAt + 46).bestChainChange)
        XCTAssertEqual(tree.bestTip.hash, tip.hash)
        XCTAssertEqual(tree.sideBranchCount, 1)
    }

    func testHigherVDFOutputSiblingDoesNotReplaceTip() throws {
        let acceptedAt = Int64(RegtestGenesis.time) + 1_000
        var (tree, parent, tip) = lotteryTree(acceptedAt: acceptedAt)
        let sibling = Fixtures.child(
            of: parent, variant: 11, vdfOutput: Hash256(w0: 0, w1: 0, w2: 0, w3: 0x9000_0000_0000_0000))
        XCTAssertNil(try tree.insert(sibling.header, hash: sibling.hash, now: acceptedAt + 1).bestChainChange)
        XCTAssertEqual(tree.bestTip.hash, tip.hash)
    }

    func testLotteryComparesByte31First() throws {
        // Lower in byte 0 but higher in byte 31: not lower as a 256-bit number.
        let acceptedAt = Int64(RegtestGenesis.time) + 1_000
        var (tree, parent, tip) = lotteryTree(acceptedAt: acceptedAt)
        let sibling = Fixtures.child(
            of: parent, variant: 11, vdfOutput: Hash256(w0: 0, w1: 0, w2: 0, w3: 0x8000_0000_0000_0001))
        XCTAssertNil(try tree.insert(sibling.header, hash: sibling.hash, now: acceptedAt + 1).bestChainChange)
        XCTAssertEqual(tree.bestTip.hash, tip.hash)
    }

    func testLotteryIsOffWithMainnetActivationHeight() throws {
        let acceptedAt = Int64(RegtestGenesis.time) + 1_000
        let mainnetActivation = ChainConfiguration(network: .mainnet).vdfLotteryActivationHeight
        XCTAssertEqual(mainnetActivation, 999_999_999)
        var (tree, parent, tip) = lotteryTree(acceptedAt: acceptedAt) {
            $0.vdfLotteryActivationHeight = mainnetActivation
        }
        let sibling = Fixtures.child(of: parent, variant: 11, vdfOutput: Self.lower)
        XCTAssertNil(try tree.insert(sibling.header, hash: sibling.hash, now: acceptedAt + 1).bestChainChange)
        XCTAssertEqual(tree.bestTip.hash, tip.hash)
    }

    // MARK: Serving getheaders

    /// 30 stored blocks (the active chain) and a stored side branch at heights 11…14.
    private func servingTree() -> (HeaderTree, main: [Fixtures.Link], side: [Fixtures.Link]) {
        var tree = Fixtures.tree()
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 30)
        Fixtures.insertAll(main, into: &tree)
        Fixtures.storeAll(main, in: &tree)
        let side = Fixtures.chain(from: main[9], count: 4, variant: 5)  // heights 11…14
        Fixtures.insertAll(side, into: &tree)
        Fixtures.storeAll(side, in: &tree)
        return (tree, main, side)
    }

    /// Only blocks we hold are served: a heavier branch of headers without blocks (the best header
    /// chain here) is never answered, whether the locator names it or not.
    func testServingIgnoresAHeavierHeaderOnlyBranch() {
        var (tree, main, _) = servingTree()
        let phantom = Fixtures.chain(from: main[19], count: 40, variant: 8)  // heights 21…60, no blocks
        Fixtures.insertAll(phantom, into: &tree)
        XCTAssertEqual(tree.bestTip.hash, phantom.last!.hash)
        XCTAssertEqual(tree.activeTip.hash, main.last!.hash)
        XCTAssertEqual(tree.headers(after: [Fixtures.genesisHash], stop: .zero), main.map(\.header))
        XCTAssertEqual(tree.headers(after: [phantom[30].hash], stop: .zero), main[20...].map(\.header))
    }

    func testServingFromActiveChainLocator() {
        let (tree, main, _) = servingTree()
        XCTAssertEqual(tree.headers(after: [main[19].hash, main[3].hash], stop: .zero), main[20...].map(\.header))
        XCTAssertEqual(tree.headers(after: [main[29].hash], stop: .zero), [])
    }

    func testServingSideBranchLocatorAnswersFromForkPointAndIgnoresStop() {
        let (tree, main, side) = servingTree()
        let served = tree.headers(after: [side[2].hash, main[25].hash], stop: main[12].hash)
        XCTAssertEqual(served, main[10...].map(\.header))
    }

    func testServingUnknownOrEmptyLocatorStartsAfterGenesis() {
        let (tree, main, _) = servingTree()
        XCTAssertEqual(tree.headers(after: [Hash256(w0: 42, w1: 0, w2: 0, w3: 0)], stop: .zero), main.map(\.header))
        XCTAssertEqual(tree.headers(after: [], stop: .zero), main.map(\.header))
        XCTAssertEqual(tree.headers(after: [Fixtures.genesisHash], stop: .zero), main.map(\.header))
    }

    func testServingStopsAtHashStop() {
        let (tree, main, _) = servingTree()
        XCTAssertEqual(tree.headers(after: [main[4].hash], stop: main[7].hash), main[5...7].map(\.header))
    }

    func testServingIsCappedAt2000() {
        var tree = Fixtures.tree()
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 2_005)
        Fixtures.insertAll(main, into: &tree)
        Fixtures.storeAll(main, in: &tree)
        let served = tree.headers(after: [Fixtures.genesisHash], stop: .zero)
        XCTAssertEqual(served.count, 2_000)
        XCTAssertEqual(served.first, main[0].header)
        XCTAssertEqual(served.last, main[1_999].header)
        XCTAssertEqual(tree.headers(after: [main[1_999].hash], stop: .zero), main[2_000...].map(\.header))
    }

    // MARK: Spam bounds

    func testNonConnectingHeaderIsRejectedAndNotKept() {
        var tree = Fixtures.tree()
        let orphanParent = Fixtures.child(of: Fixtures.child(of: Fixtures.genesisLink))
        let orphan = Fixtures.child(of: orphanParent)
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(orphan.header, hash: orphan.hash, now: Fixtures.farFuture)
        }
        XCTAssertEqual(rejection, .unknownParent(orphanParent.hash))
        XCTAssertEqual(rejection?.reasonCode, "prev-blk-not-found")
        XCTAssertEqual(rejection?.misbehaviourPoints, 20)
        XCTAssertEqual(tree.count, 1)
        XCTAssertNil(tree.record(for: orphan.hash))
    }

    func testSideBranchHeadersAreCapped() {
        var tree = Fixtures.tree { $0.maxSideBranchHeaders = 3 }
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 6)
        Fixtures.insertAll(main, into: &tree)
        let side = Fixtures.chain(from: main[0], count: 4, variant: 3)
        Fixtures.insertAll(Array(side.prefix(3)), into: &tree)
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(side[3].header, hash: side[3].hash, now: Fixtures.farFuture)
        }
        XCTAssertEqual(rejection, .tooManySideBranchHeaders(limit: 3))
        XCTAssertEqual(rejection?.reasonCode, "too-many-fork-headers")
        XCTAssertEqual(tree.count, 10)
        XCTAssertEqual(tree.sideBranchCount, 3)
    }

    func testSideBranchThatOvertakesIsAcceptedAtTheCap() {
        var tree = Fixtures.tree { $0.maxSideBranchHeaders = 2 }
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 2)
        Fixtures.insertAll(main, into: &tree)
        let side = Fixtures.chain(from: Fixtures.genesisLink, count: 3, variant: 4)
        Fixtures.insertAll(side, into: &tree)
        XCTAssertEqual(tree.bestTip.hash, side[2].hash)
    }

    // MARK: Checkpoints

    func testCheckpointMismatchIsRejected() {
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 5)
        var tree = Fixtures.tree { $0.checkpoints = Checkpoints([3: main[2].hash]) }
        Fixtures.insertAll(Array(main.prefix(2)), into: &tree)
        let impostor = Fixtures.child(of: main[1], variant: 9)
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(impostor.header, hash: impostor.hash, now: Fixtures.farFuture)
        }
        XCTAssertEqual(rejection, .checkpointMismatch(height: 3))
        XCTAssertEqual(rejection?.misbehaviourPoints, 100)
        Fixtures.insertAll(Array(main.suffix(3)), into: &tree)
        XCTAssertEqual(tree.bestHeight, 5)
    }

    func testForkBelowCheckpointIsRefusedAndForkAboveIsAllowed() {
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 6)
        var tree = Fixtures.tree { $0.checkpoints = Checkpoints([3: main[2].hash]) }
        Fixtures.insertAll(main, into: &tree)
        let lowFork = Fixtures.child(of: main[0], variant: 9)  // height 2
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(lowFork.header, hash: lowFork.hash, now: Fixtures.farFuture)
        }
        XCTAssertEqual(rejection, .forkBelowCheckpoint(height: 2))
        XCTAssertEqual(rejection?.reasonCode, "bad-fork-prior-to-checkpoint")
        let highFork = Fixtures.child(of: main[3], variant: 9)  // height 5
        Fixtures.insertAll([highFork], into: &tree)
        XCTAssertNotNil(tree.record(for: highFork.hash))
        XCTAssertEqual(Checkpoints.of(.regtest), .none)
    }

    // MARK: Contextual checks

    func testTimestampMustExceedMedianOfPrevious11() {
        var tree = Fixtures.tree()
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 12)
        Fixtures.insertAll(main, into: &tree)
        // The previous 11 are heights 2…12; their median is height 7's time.
        let median = main[6].header.time
        var stale = Fixtures.child(of: main[11]).header
        stale.time = median
        let staleHash = try! stale.hash()
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(stale, hash: staleHash, now: Fixtures.farFuture)
        }
        XCTAssertEqual(rejection, .timeTooOld(time: median, medianTimePast: median))
        XCTAssertEqual(rejection?.reasonCode, "time-too-old")
        stale.time = median + 1
        XCTAssertNoThrow(try tree.insert(stale, hash: try stale.hash(), now: Fixtures.farFuture))
    }

    func testTimestampMayBeAtMostTwoHoursAheadOnRegtestAndTenMinutesElsewhere() {
        var tree = Fixtures.tree()
        let link = Fixtures.child(of: Fixtures.genesisLink)
        let now = Int64(link.header.time) - 7_201
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(link.header, hash: link.hash, now: now)
        }
        XCTAssertEqual(rejection, .timeTooNew(time: link.header.time, limit: now + 7_200))
        XCTAssertEqual(rejection?.reasonCode, "time-too-new")
        XCTAssertEqual(rejection?.misbehaviourPoints, 0)
        XCTAssertNoThrow(try tree.insert(link.header, hash: link.hash, now: now + 1))
        for network in [Network.mainnet, .testnet, .dilv] {
            XCTAssertEqual(ChainConfiguration(network: network).maxFutureBlockTimeSeconds, 600, "\(network)")
        }
    }

    func testFailedHeaderAndDescendantsAreRefusedAndBestChainFallsBack() throws {
        var tree = Fixtures.tree()
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 4)
        Fixtures.insertAll(main, into: &tree)
        let change = try XCTUnwrap(tree.markFailed(main[2].hash))
        XCTAssertEqual(change.disconnected, [main[3].hash, main[2].hash])
        XCTAssertEqual(tree.bestTip.hash, main[1].hash)
        XCTAssertEqual(tree.record(for: main[3].hash)?.status, .failed)
        let reinsert = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(main[2].header, hash: main[2].hash, now: Fixtures.farFuture)
        }
        XCTAssertEqual(reinsert?.reasonCode, "duplicate-invalid")
        let child = Fixtures.child(of: main[3])
        let descendant = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(child.header, hash: child.hash, now: Fixtures.farFuture)
        }
        XCTAssertEqual(descendant, .invalidParent(main[3].hash))
    }

    func testLegacyHeaderProofOfWork() {
        var tree = Fixtures.tree {
            $0.difficulty = .unchecked
            $0.versions = .legacyOnly
        }
        let legacy = BlockHeader(
            version: 1, previousBlockHash: Fixtures.genesisHash, merkleRoot: .zero,
            time: Fixtures.genesis.time + 60, bits: 0x1D00_FFFF, nonce: 0)
        let tooHigh = Hash256(w0: 0, w1: 0, w2: 0, w3: 0x0000_0001_0000_0000)
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(legacy, hash: tooHigh, now: Fixtures.farFuture)
        }
        XCTAssertEqual(rejection, .highHash)
        XCTAssertEqual(rejection?.reasonCode, "high-hash")
        XCTAssertNoThrow(try tree.insert(legacy, hash: Hash256(w0: 5, w1: 0, w2: 0, w3: 0), now: Fixtures.farFuture))

        // Below the highest checkpoint too: the hash is known anyway, and every real block met its
        // target (the C++ headers sync skips the comparison there, which costs it nothing either).
        var checkpointed = Fixtures.tree {
            $0.checkpoints = Checkpoints([2: tooHigh])
            $0.difficulty = .unchecked
            $0.versions = .legacyOnly
        }
        XCTAssertEqual(
            Fixtures.rejection { () throws(ChainRejection) in
                _ = try checkpointed.insert(legacy, hash: tooHigh, now: Fixtures.farFuture)
            }, .highHash)
    }

    func testHeaderHashNeedsLegacyHasherBelowVersion4() {
        let legacy = BlockHeader(
            version: 1, previousBlockHash: .zero, merkleRoot: .zero, time: 0, bits: 0x1D00_FFFF, nonce: 0)
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try HeaderValidation.hash(legacy, legacyHasher: nil)
        }
        XCTAssertEqual(rejection?.reasonCode, "legacy-hasher-unavailable")
        XCTAssertEqual(try HeaderValidation.hash(legacy, legacyHasher: ConstantHasher()), ConstantHasher.value)
        XCTAssertEqual(try HeaderValidation.hash(Fixtures.genesis, legacyHasher: nil), Fixtures.genesisHash)
    }

    func testZeroTargetIsRejected() {
        var header = Fixtures.child(of: Fixtures.genesisLink).header
        header.bits = 0
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            try HeaderValidation.checkProofOfWork(header, hash: .zero)
        }
        XCTAssertEqual(rejection, .invalidTarget(bits: 0))
        XCTAssertEqual(rejection?.reasonCode, "bad-diffbits")
    }
}

/// A stand-in RandomX hasher for legacy-header tests.
struct ConstantHasher: LegacyHeaderHasher {
    static let value = Hash256(w0: 77, w1: 0, w2: 0, w3: 0)
    func hash(legacyHeader: [UInt8]) -> Hash256 { Self.value }
}
