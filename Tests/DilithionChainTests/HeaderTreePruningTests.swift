import DilithionWire
import XCTest

@testable import DilithionChain

/// Pruning, eviction at the side-branch cap, and compaction of the header tree.
final class HeaderTreePruningTests: XCTestCase {
    private let t0 = Int64(RegtestGenesis.time) + 100_000
    private let lifetime = ChainConfiguration(network: .regtest).unbackedBranchLifetimeSeconds

    /// Every structural invariant the compaction must keep: parents before children and matching
    /// their headers, the hash index exact, both chains linked by height, and stored-but-unlinked
    /// blocks filed under a parent that exists.
    private func assertConsistent(_ tree: HeaderTree, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tree.indexByHash.count, tree.records.count, file: file, line: line)
        for (index, record) in tree.records.enumerated() {
            XCTAssertEqual(tree.indexByHash[record.hash], index, file: file, line: line)
            guard index > 0 else { continue }
            XCTAssertLessThan(record.parentIndex, index, file: file, line: line)
            XCTAssertEqual(tree.records[record.parentIndex].hash, record.header.previousBlockHash, file: file, line: line)
            XCTAssertEqual(tree.records[record.parentIndex].height + 1, record.height, file: file, line: line)
        }
        for chain in [tree.bestChain, tree.activeChain] {
            for (height, index) in chain.enumerated() {
                XCTAssertEqual(tree.records[index].height, height, file: file, line: line)
                if height > 0 { XCTAssertEqual(tree.records[index].parentIndex, chain[height - 1], file: file, line: line) }
            }
        }
        XCTAssertTrue(tree.activeChain.allSatisfy { tree.records[$0].isLinked }, file: file, line: line)
        for (parent, children) in tree.unlinkedChildren {
            XCTAssertTrue(children.allSatisfy { tree.records[$0].parentIndex == parent }, file: file, line: line)
        }
    }

    /// `count` stored blocks, inserted and stored at `t0`.
    private func storedTree(count: Int, configure: (inout ChainConfiguration) -> Void = { _ in }) -> (HeaderTree, [Fixtures.Link]) {
        Fixtures.storedTree(count: count, now: t0, configure)
    }

    // MARK: Expiry

    /// Free headers forking below the tip with more work, whose blocks nobody delivers: they are
    /// the best header until their lifetime passes, then they go, the best header falls back to the
    /// active tip, the peers that claimed them are reported, and the memory is returned.
    func testAHeavierBranchNobodyDeliversExpiresAndTheBestHeaderFallsBack() throws {
        var (tree, main) = storedTree(count: 10)
        let sent = t0 + 100
        let phantom = Fixtures.chain(from: main[4], count: 20, variant: 6)  // heights 6…25
        Fixtures.insertAll(phantom, into: &tree, now: sent)
        XCTAssertEqual(tree.bestTip.hash, phantom.last!.hash)
        XCTAssertEqual(tree.prune(now: sent + lifetime).removedHeaders, 0, "not past its lifetime yet")

        let report = tree.prune(now: sent + lifetime + 1, watching: [phantom[7].hash, main[9].hash])
        XCTAssertEqual(report.removedHeaders, 20)
        XCTAssertEqual(report.expiredBranches, 1)
        XCTAssertEqual(report.withheld, [phantom[7].hash], "the claimant of a heavier branch nobody delivered")
        let change = try XCTUnwrap(report.bestChainChange)
        XCTAssertEqual(change.disconnected, phantom.reversed().map(\.hash))
        XCTAssertEqual(change.connected, main[5...].map(\.hash))
        XCTAssertEqual(tree.bestTip.hash, main.last!.hash)
        XCTAssertEqual(tree.count, 11)
        XCTAssertEqual(tree.records.capacity, 11, "the record storage shrank to what is left")
        XCTAssertNil(tree.record(for: phantom[0].hash))
        assertConsistent(tree)
        // Sent again, it is just new headers (and a new lifetime).
        Fixtures.insertAll(phantom, into: &tree, now: sent + 1_000)
        XCTAssertEqual(tree.bestTip.hash, phantom.last!.hash)
        assertConsistent(tree)
    }

    /// A lighter side branch expires too, without a withheld report (nobody was asked for it).
    func testALighterSideBranchExpiresWithoutBlame() {
        var (tree, main) = storedTree(count: 10)
        let stale = Fixtures.chain(from: main[4], count: 3, variant: 6)
        Fixtures.insertAll(stale, into: &tree, now: t0)
        let report = tree.prune(now: t0 + lifetime + 1, watching: [stale[2].hash])
        XCTAssertEqual(report.removedHeaders, 3)
        XCTAssertEqual(report.withheld, [])
        XCTAssertNil(report.bestChainChange)
        assertConsistent(tree)
    }

    /// Initial block download: the headers above the active tip stay while the tip keeps moving
    /// into them, however old they are; when blocks stop coming for a lifetime, they go.
    func testHeadersAboveAMovingTipStayAndExpireOnceDeliveryStops() {
        var (tree, main) = storedTree(count: 5)
        let ahead = Fixtures.chain(from: main[4], count: 30)
        Fixtures.insertAll(ahead, into: &tree, now: t0)
        var now = t0
        for link in ahead.prefix(10) {
            now += lifetime / 2
            tree.markStored(link.hash, now: now)
            XCTAssertEqual(tree.prune(now: now + lifetime / 2).removedHeaders, 0)
        }
        XCTAssertEqual(tree.activeHeight, 15)
        XCTAssertEqual(tree.bestHeight, 35)
        XCTAssertEqual(tree.prune(now: now + lifetime + 1).removedHeaders, 20)
        XCTAssertEqual(tree.bestTip.hash, tree.activeTip.hash)
        assertConsistent(tree)
    }

    /// A side branch with stored blocks keeps them; only its part nobody delivered expires, counted
    /// from the last block stored in it.
    func testOnlyTheUndeliveredPartOfABranchExpires() {
        var (tree, main) = storedTree(count: 10)
        let side = Fixtures.chain(from: main[4], count: 7, variant: 6)  // heights 6…12
        Fixtures.insertAll(side, into: &tree, now: t0)
        Fixtures.storeAll(Array(side.prefix(2)), in: &tree, now: t0 + 50)
        XCTAssertEqual(tree.prune(now: t0 + 50 + lifetime).removedHeaders, 0, "delivery restarted the clock")
        XCTAssertEqual(tree.prune(now: t0 + 51 + lifetime).removedHeaders, 5)
        XCTAssertEqual(tree.record(for: side[1].hash)?.status, .stored)
        XCTAssertNil(tree.record(for: side[2].hash))
        assertConsistent(tree)
    }

    /// Side branches far behind the active tip go whole, stored blocks' records included (the
    /// blocks stay in the store).
    func testBranchesFarBehindTheTipArePruned() {
        var (tree, main) = storedTree(count: 1_020)
        let side = Fixtures.chain(from: main[4], count: 5, variant: 6)  // heights 6…10
        Fixtures.insertAll(side, into: &tree, now: t0)
        Fixtures.storeAll(Array(side.prefix(2)), in: &tree, now: t0)
        let report = tree.prune(now: t0)
        XCTAssertEqual(report.staleBranches, 1, "10 + 1,000 < 1,020")
        XCTAssertEqual(report.removedHeaders, 5)
        XCTAssertEqual(tree.count, 1_021)
        assertConsistent(tree)
    }

    // MARK: Eviction at the side-branch cap

    /// The side cap is full of spam branches; an honest fork that needs several headers to take the
    /// lead arrives. Room is made from the least recently extended branches without a stored block,
    /// never from the fork being extended, so every honest header is accepted and the fork becomes
    /// the best header.
    func testAFullSideCapEvictsTheOldestUnbackedBranchesForAnHonestForkTakingTheLead() throws {
        var (tree, main) = storedTree(count: 50) { $0.maxSideBranchHeaders = 80 }
        var spam = [[Fixtures.Link]]()
        for branch in 0..<8 {
            let links = Fixtures.chain(from: main[10 + branch], count: 10, variant: 100 + UInt64(branch))
            Fixtures.insertAll(links, into: &tree, now: t0 + Int64(branch))
            spam.append(links)
        }
        XCTAssertEqual(tree.sideBranchCount, 80)
        let honest = Fixtures.chain(from: main[44], count: 8, variant: 7)  // heights 46…53
        for link in honest {
            XCTAssertNoThrow(try tree.insert(link.header, hash: link.hash, now: t0 + 100), "honest header \(link.header.time)")
        }
        XCTAssertEqual(tree.bestTip.hash, honest.last!.hash)
        XCTAssertLessThanOrEqual(tree.sideBranchCount, 80)
        XCTAssertGreaterThan(tree.evictedHeaderCount, 0)
        // The oldest went first (a quarter of the cap: two branches of ten); the newest are still there.
        XCTAssertNil(tree.record(for: spam[0][0].hash))
        XCTAssertNil(tree.record(for: spam[1][0].hash))
        XCTAssertNotNil(tree.record(for: spam[2][0].hash))
        XCTAssertNotNil(tree.record(for: spam[7][0].hash))
        XCTAssertEqual(tree.evictedHeaderCount, 20)
        assertConsistent(tree)
    }

    /// A side branch with a stored block is never evicted; if nothing else can go, the header is
    /// refused at the cap.
    func testABackedBranchIsNeverEvicted() {
        var (tree, main) = storedTree(count: 10) { $0.maxSideBranchHeaders = 3 }
        let backed = Fixtures.chain(from: main[2], count: 3, variant: 6)
        Fixtures.insertAll(backed, into: &tree, now: t0)
        tree.markStored(backed[0].hash, now: t0)
        let newcomer = Fixtures.child(of: main[5], variant: 9)
        let rejection = Fixtures.rejection { () throws(ChainRejection) in
            _ = try tree.insert(newcomer.header, hash: newcomer.hash, now: t0)
        }
        XCTAssertEqual(rejection, .tooManySideBranchHeaders(limit: 3))
        XCTAssertNotNil(tree.record(for: backed[2].hash))
        XCTAssertEqual(tree.evictedHeaderCount, 0)
    }

    // MARK: Compaction

    /// Pruning in the middle of the storage renumbers records; everything that refers to them
    /// (parents, chains, unlinked blocks, locators, downloads, serving) still agrees.
    func testCompactionKeepsEveryReferenceConsistent() {
        var (tree, main) = storedTree(count: 20)
        let doomed = Fixtures.chain(from: main[2], count: 6, variant: 6)
        Fixtures.insertAll(doomed, into: &tree, now: t0)
        let ahead = Fixtures.chain(from: main[19], count: 6)
        Fixtures.insertAll(ahead, into: &tree, now: t0 + lifetime)
        tree.markStored(ahead[3].hash, now: t0 + lifetime)  // out of order: waits for 1…3
        XCTAssertEqual(tree.prune(now: t0 + lifetime + 1).removedHeaders, 6)
        assertConsistent(tree)
        XCTAssertEqual(tree.locator(), HeaderTree.locatorHeights(from: 26).map { $0 <= 20 ? (($0 == 0) ? Fixtures.genesisHash : main[$0 - 1].hash) : ahead[$0 - 21].hash })
        let path = tree.downloadPath(toward: tree.indexByHash[ahead[5].hash]!, limit: 10)
        XCTAssertEqual(path.forkHeight, 20)
        XCTAssertEqual(path.path.map { tree.records[$0].hash }, ahead.map(\.hash))
        Fixtures.storeAll(Array(ahead.prefix(3)), in: &tree, now: t0 + lifetime + 2)
        XCTAssertEqual(tree.activeTip.hash, ahead[3].hash, "the unlinked block joined after compaction")
        XCTAssertEqual(tree.headers(after: [main[18].hash], stop: .zero), [main[19].header] + ahead.prefix(4).map(\.header))
        assertConsistent(tree)
    }
}
