import DilithionWire
import Foundation
import XCTest

@testable import DilithionChain

/// `getheaders` replies come as finished frames (header with the checksum ‖ payload) from
/// ``HeadersReplyCache``, a repeated run as the cache's own array, and a cached run is never served
/// once the active chain moved under it.
final class HeadersReplyCacheTests: XCTestCase {
    private var directory = ""
    private let generator = RegtestChainGenerator(seed: 17)
    private let now = Fixtures.farFuture

    override func setUp() { directory = Fixtures.temporaryDirectory() }
    override func tearDown() { Fixtures.remove(directory) }

    /// `count` blocks on genesis, lowest first.
    private func branch(_ count: Int, variant: UInt64 = 0) -> [BlockMessage] {
        Fixtures.blocks(count, size: 300, from: generator, variant: variant).map(\.message)
    }

    /// The reply must be the frame of what the serving rules answer: regtest's magic, `headers`,
    /// the payload's length and its own checksum (the encoder computes it here), then the payload.
    @discardableResult
    private func assertReplyMatchesServingRules(
        _ chain: ChainState, locator: [Hash256], stop: Hash256 = .zero, file: StaticString = #filePath, line: UInt = #line
    ) -> EncodedFrame {
        let reply = chain.headersReplyForPeer(locator: locator, stop: stop)
        let expected = Message.headers(chain.headersForPeer(locator: locator, stop: stop)).encodePayload()
        let frame = FrameEncoder.encode(magic: Network.regtest.magic, command: Command.headers, payload: expected)
        XCTAssertEqual(reply.bytes, frame, file: file, line: line)
        return reply
    }

    private func payload(of frame: EncodedFrame) -> [UInt8] { frame.withUnsafePayload { Array($0) } }

    private func storage(of frame: EncodedFrame) -> UnsafePointer<UInt8>? { frame.bytes.withUnsafeBufferPointer { $0.baseAddress } }

    func testRepeatedRequestIsServedFromTheCache() throws {
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
        for message in branch(6) { _ = try chain.acceptBlock(message, now: now) }
        let first = assertReplyMatchesServingRules(chain, locator: [Fixtures.genesisHash])
        XCTAssertEqual(chain.headersReplyCounts.encoded, 1)
        let again = assertReplyMatchesServingRules(chain, locator: [Fixtures.genesisHash])
        XCTAssertEqual(chain.headersReplyCounts.cached, 1, "the same run again: from the cache")
        XCTAssertEqual(storage(of: again), storage(of: first), "the cache's own array, not a copy")
        // `stop` inside the run makes it another (shorter) run.
        let third = try branch(6)[2].header.hash()
        assertReplyMatchesServingRules(chain, locator: [Fixtures.genesisHash], stop: third)
        XCTAssertEqual(chain.headersReplyCounts.encoded, 2)
        // Nothing after the tip: an empty reply, encoded, not cached.
        assertReplyMatchesServingRules(chain, locator: [try branch(6)[5].header.hash()])
    }

    func testExtendingTheTipGivesTheLongerRun() throws {
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
        let blocks = branch(5)
        for message in blocks.prefix(3) { _ = try chain.acceptBlock(message, now: now) }
        assertReplyMatchesServingRules(chain, locator: [Fixtures.genesisHash])
        for message in blocks.dropFirst(3) { _ = try chain.acceptBlock(message, now: now) }
        assertReplyMatchesServingRules(chain, locator: [Fixtures.genesisHash])
        XCTAssertEqual(chain.headersReplyCounts.cached, 0)
    }

    /// A reorg to a branch of the same length replaces every block of the cached run: the entry
    /// (same heights) must not be served.
    func testReorgInvalidatesTheCachedRun() throws {
        let chain = try ChainState(directory: directory, configuration: ChainConfiguration(network: .regtest))
        let main = branch(3)
        for message in main { _ = try chain.acceptBlock(message, now: now) }
        assertReplyMatchesServingRules(chain, locator: [Fixtures.genesisHash])
        let side = branch(4, variant: 1)
        _ = chain.acceptHeaders(side.map(\.header), now: now)
        for message in side { _ = try chain.acceptBlock(message, now: now) }
        XCTAssertEqual(chain.tip.hash, try side[3].header.hash(), "the heavier branch is active")
        // Heights 1..<4 again, as the cached run of the main branch: only its last block differs.
        let sideThird = try side[2].header.hash()
        let sameHeights = chain.headersReplyForPeer(locator: [Fixtures.genesisHash], stop: sideThird)
        XCTAssertEqual(payload(of: sameHeights), Message.headers(Array(side.prefix(3)).map(\.header)).encodePayload())
        let reply = chain.headersReplyForPeer(locator: [Fixtures.genesisHash], stop: .zero)
        XCTAssertEqual(payload(of: reply), Message.headers(side.map(\.header)).encodePayload())
        XCTAssertEqual(chain.headersReplyCounts.cached, 0, "the main branch's run was never served again")
    }
}
