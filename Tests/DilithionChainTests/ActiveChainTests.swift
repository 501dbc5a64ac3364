import DilithionWire
import XCTest

@testable import DilithionChain

/// The active chain of the header tree: only stored blocks move it, to more work or to a lottery
/// winner; a header-only branch never does.
final class ActiveChainTests: XCTestCase {
    private let t0 = Int64(RegtestGenesis.time) + 10_000

    /// A tree whose blocks 1…`count` are stored, at `t0`.
    private func storedTree(count: Int, configure: (inout ChainConfiguration) -> Void = { _ in }) -> (HeaderTree, [Fixtures.Link]) {
        Fixtures.storedTree(count: count, now: t0, configure)
    }

    func testAHeaderOnlyBranchNeverMovesTheActiveTip() throws {
        var (tree, main) = storedTree(count: 5)
        let phantom = Fixtures.chain(from: main[1], count: 10, variant: 4)  // heights 3…12
        XCTAssertNotNil(Fixtures.insertAll(phantom, into: &tree, now: t0), "the best header chain moves")
        XCTAssertEqual(tree.bestTip.hash, phantom.last!.hash)
        XCTAssertEqual(tree.activeTip.hash, main.last!.hash, "the active chain does not")
        // Blocks of the branch that leave a gap, or that do not outweigh the tip, do not move it either.
        XCTAssertNil(tree.markStored(phantom[5].hash, now: t0))
        XCTAssertNil(Fixtures.storeAll(Array(phantom.prefix(3)), in: &tree, now: t0), "height 5: equal work, first stored wins")
        XCTAssertEqual(tree.activeTip.hash, main.last!.hash)
        XCTAssertEqual(tree.sideBranchCount, 0, "main 3…5 are on the active chain, the phantom on the best header chain")
        // Filling the gap links phantom[3…5] at once: height 8, more work: a reorg of depth 3.
        XCTAssertNil(tree.markStored(phantom[4].hash, now: t0))
        let change = try XCTUnwrap(tree.markStored(phantom[3].hash, now: t0))
        XCTAssertEqual(change.forkHash, main[1].hash)
        XCTAssertEqual(change.disconnected, main[2...].reversed().map(\.hash))
        XCTAssertEqual(change.connected, phantom.prefix(6).map(\.hash))
        XCTAssertEqual(tree.activeTip.hash, phantom[5].hash)
        XCTAssertTrue(tree.records[tree.indexByHash[phantom[5].hash]!].isLinked)
        XCTAssertFalse(tree.records[tree.indexByHash[phantom[6].hash]!].isLinked)
    }

    func testOutOfOrderBlocksLinkWhenTheGapIsFilled() throws {
        var tree = Fixtures.tree()
        let main = Fixtures.chain(from: Fixtures.genesisLink, count: 4)
        Fixtures.insertAll(main, into: &tree)
        XCTAssertNotNil(tree.markStored(main[0].hash, now: t0))
        XCTAssertNil(tree.markStored(main[2].hash, now: t0))
        XCTAssertNil(tree.markStored(main[3].hash, now: t0))
        XCTAssertEqual(tree.activeHeight, 1)
        XCTAssertEqual(tree.unlinkedChildren.count, 2)
        let change = try XCTUnwrap(tree.markStored(main[1].hash, now: t0))
        XCTAssertFalse(change.isReorg)
        XCTAssertEqual(change.connected, main[1...].map(\.hash))
        XCTAssertEqual(tree.activeHeight, 4)
        XCTAssertTrue(tree.unlinkedChildren.isEmpty)
        XCTAssertNil(tree.markStored(main[1].hash, now: t0), "already stored")
    }

    // MARK: VDF lottery on the active chain (PROTOCOL.md §4.6)

    private static let high = Hash256(w0: 0, w1: 0, w2: 0, w3: 0x8000_0000_0000_0000)
    private static let lower = Hash256(w0: 0xFFFF, w1: 0, w2: 0, w3: 0x7000_0000_0000_0000)
    private static let lowest = Hash256(w0: 0, w1: 0, w2: 0, w3: 0x0100_0000_0000_0000)

    /// Blocks 1–2 stored, and a tip at height 3 (vdfOutput `high`) stored at `storedAt`.
    private func lotteryTree(storedAt: Int64) -> (HeaderTree, parent: Fixtures.Link, tip: Fixtures.Link) {
        var (tree, main) = storedTree(count: 2)
        let tip = Fixtures.child(of: main[1], variant: 10, vdfOutput: Self.high)
        Fixtures.insertAll([tip], into: &tree, now: storedAt)
        Fixtures.storeAll([tip], in: &tree, now: storedAt)
        return (tree, main[1], tip)
    }

    /// A stored sibling of the active tip with a lower `vdfOutput` replaces it within the grace
    /// period (45 s on regtest, as on testnet and DilV) of the first block at that height, and not a
    /// second after; the grace clock stays anchored to that first block across a replacement.
    func testAStoredSiblingWithALowerOutputReplacesTheActiveTipWithinTheGracePeriodAndNotAfter() throws {
        XCTAssertEqual(ChainConfiguration(network: .regtest).vdfLotteryGracePeriodSeconds, 45)
        let storedAt = t0 + 500
        // Within the grace period.
        var (tree, parent, tip) = lotteryTree(storedAt: storedAt)
        let sibling = Fixtures.child(of: parent, variant: 11, vdfOutput: Self.lower)
        Fixtures.insertAll([sibling], into: &tree, now: storedAt + 10)
        XCTAssertEqual(tree.activeTip.hash, tip.hash, "its header alone changes nothing")
        let change = try XCTUnwrap(tree.markStored(sibling.hash, now: storedAt + 45))
        XCTAssertEqual(change.disconnected, [tip.hash])
        XCTAssertEqual(change.connected, [sibling.hash])
        XCTAssertEqual(tree.activeTip.hash, sibling.hash)
        // Anchored to the first block at the height: a still lower one a second later loses.
        let third = Fixtures.child(of: parent, variant: 12, vdfOutput: Self.lowest)
        Fixtures.insertAll([third], into: &tree, now: storedAt + 46)
        XCTAssertNil(tree.markStored(third.hash, now: storedAt + 46))
        XCTAssertEqual(tree.activeTip.hash, sibling.hash)

        // Past the grace period.
        var (late, lateParent, lateTip) = lotteryTree(storedAt: storedAt)
        let lateSibling = Fixtures.child(of: lateParent, variant: 11, vdfOutput: Self.lower)
        Fixtures.insertAll([lateSibling], into: &late, now: storedAt + 46)
        XCTAssertNil(late.markStored(lateSibling.hash, now: storedAt + 46))
        XCTAssertEqual(late.activeTip.hash, lateTip.hash)
        XCTAssertEqual(late.record(for: lateSibling.hash)?.status, .stored, "kept and served, just not active")
    }

    func testAHigherOutputOrANonSiblingNeverReplacesTheActiveTip() {
        let storedAt = t0 + 500
        var (tree, parent, tip) = lotteryTree(storedAt: storedAt)
        let higher = Fixtures.child(of: parent, variant: 11, vdfOutput: Hash256(w0: 0, w1: 0, w2: 0, w3: 0x9000_0000_0000_0000))
        Fixtures.insertAll([higher], into: &tree, now: storedAt + 1)
        XCTAssertNil(tree.markStored(higher.hash, now: storedAt + 1))
        // Equal work at the same height but another parent: not a sibling (C++ Case 2.5 needs one).
        let cousinParent = Fixtures.child(of: Fixtures.Link(header: tree.bestRecord(atHeight: 1)!.header,
                                                            hash: tree.bestRecord(atHeight: 1)!.hash), variant: 20)
        let cousin = Fixtures.child(of: cousinParent, variant: 21, vdfOutput: Self.lowest)
        Fixtures.insertAll([cousinParent, cousin], into: &tree, now: storedAt + 1)
        Fixtures.storeAll([cousinParent, cousin], in: &tree, now: storedAt + 1)
        XCTAssertEqual(tree.activeTip.hash, tip.hash)
    }

    func testTheLotteryIsOffWithTheMainnetActivationHeight() {
        let storedAt = t0 + 500
        var (tree, main) = storedTree(count: 2) { $0.vdfLotteryActivationHeight = 999_999_999 }
        let tip = Fixtures.child(of: main[1], variant: 10, vdfOutput: Self.high)
        Fixtures.insertAll([tip], into: &tree, now: storedAt)
        Fixtures.storeAll([tip], in: &tree, now: storedAt)
        let sibling = Fixtures.child(of: main[1], variant: 11, vdfOutput: Self.lower)
        Fixtures.insertAll([sibling], into: &tree, now: storedAt + 1)
        XCTAssertNil(tree.markStored(sibling.hash, now: storedAt + 1))
        XCTAssertEqual(tree.activeTip.hash, tip.hash)
    }
}
