import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

/// RELIABILITY.md case 24 [U]: about 20,000 spam headers of the three catalogue shapes, fed through
/// ``ChainState/acceptHeaders(_:now:)`` one message at a time as the node's `headers` handler does.
/// The tree must stay within its documented bounds: nothing that does not connect is kept, and at
/// most ``ChainConfiguration/maxSideBranchHeaders`` headers lie off the chains (older spam branches
/// are evicted to make room). (The figures
/// for a million headers come from `scripts/reliability/header-spam`, not from this test.)
final class HeaderSpamTests: XCTestCase {
    private var directory = ""

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    /// A spam header: all-ones `vdfOutput`, so a spam sibling of the tip never wins the VDF lottery.
    private func spam(on parent: Fixtures.Link, tag: UInt64) -> Fixtures.Link {
        Fixtures.child(of: parent, variant: tag, vdfOutput: Hash256(w0: .max, w1: .max, w2: .max, w3: .max))
    }

    private func spamChain(on parent: Fixtures.Link, count: Int, tag: inout UInt64) -> [Fixtures.Link] {
        var links = [Fixtures.Link]()
        var cursor = parent
        for _ in 0..<count {
            tag += 1
            cursor = spam(on: cursor, tag: tag)
            links.append(cursor)
        }
        return links
    }

    func testMixedHeaderSpamStaysWithinTheCaps() throws {
        let cap = 2_000
        var configuration = ChainConfiguration(network: .regtest)
        configuration.maxSideBranchHeaders = cap
        let chain = try ChainState(directory: directory, configuration: configuration)
        let honest = Fixtures.chain(from: Fixtures.genesisLink, count: 1_000)
        XCTAssertNil(chain.acceptHeaders(honest.map(\.header), now: Fixtures.farFuture).rejection)
        let honestCount = try chain.statistics().headerCount
        XCTAssertEqual(honestCount, 1_001)

        var random = SplitMix64(seed: 24)
        var tag: UInt64 = 1 << 32
        var sent = 0
        var keptByShape = ["non-connecting": 0, "deep-fork": 0, "small-batch": 0]
        var rejections: [String: Int] = [:]
        func feed(_ shape: String, _ links: [Fixtures.Link]) {
            let result = chain.acceptHeaders(links.map(\.header), now: Fixtures.farFuture)
            sent += links.count
            keptByShape[shape, default: 0] += result.acceptedCount
            if let rejection = result.rejection {
                rejections[rejection.reasonCode, default: 0] += 1
                XCTAssertGreaterThan(rejection.misbehaviourPoints, 0, "spam refused without a penalty: \(rejection)")
            }
        }
        while sent < 20_000 {
            // Headers on a parent nobody has.
            let orphanParent = Fixtures.Link(header: honest[0].header, hash: Hash256(w0: random.next(), w1: random.next(), w2: 1, w3: 2))
            feed("non-connecting", spamChain(on: orphanParent, count: 500, tag: &tag))
            // A low-work fork from the first tenth of the honest chain.
            let base = honest[Int(random.next() % 100)]
            feed("deep-fork", spamChain(on: base, count: 500, tag: &tag))
            // Small batches forking a little below the tip (never out-working it).
            for _ in 0..<60 {
                let length = 1 + Int(random.next() % 16)
                let forkBase = honest[honest.count - 1 - (17 + Int(random.next() % 48))]
                feed("small-batch", spamChain(on: forkBase, count: length, tag: &tag))
            }
            let statistics = try chain.statistics()
            XCTAssertLessThanOrEqual(statistics.sideBranchHeaderCount, cap)
            XCTAssertLessThanOrEqual(statistics.headerCount, honestCount + cap)
            XCTAssertEqual(statistics.bestHeader.hash, honest.last!.hash, "spam never becomes the best chain")
        }

        let statistics = try chain.statistics()
        XCTAssertGreaterThanOrEqual(sent, 20_000)
        XCTAssertEqual(keptByShape["non-connecting"], 0, "headers that do not connect are never kept")
        XCTAssertGreaterThan(statistics.evictedHeaderCount, 0, "the cap was reached and older spam made room")
        XCTAssertEqual(
            keptByShape.values.reduce(0, +), statistics.sideBranchHeaderCount + statistics.evictedHeaderCount,
            "every accepted spam header is either still in the tree or was evicted")
        XCTAssertEqual(statistics.headerCount, honestCount + statistics.sideBranchHeaderCount)
        XCTAssertGreaterThan(rejections["prev-blk-not-found"] ?? 0, 0)
        XCTAssertNil(rejections["too-many-fork-headers"], "eviction makes room before anything is refused")
    }
}
