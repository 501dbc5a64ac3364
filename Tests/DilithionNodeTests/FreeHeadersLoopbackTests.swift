@testable import DilithionChain
import DilithionNet
import DilithionNode
import DilithionTestKit
import DilithionWire
import XCTest

/// Issue 13 over real sockets: a seed that receives free headers keeps its tip and serves only its
/// blocks, so a newcomer syncing from it reaches the honest tip; an honest heavier fork whose blocks
/// are served still takes over.
final class FreeHeadersLoopbackTests: XCTestCase {
    let harness = NodeHarness()

    override func tearDown() {
        harness.shutdown()
    }

    /// `count` free v4 headers on the seed's block at `height` (regtest bits, 1 s apart, random
    /// merkle and VDF fields): correct linkage and times, no block behind any of them.
    private func freeHeaders(on seed: Node, atHeight height: Int, count: Int, tag: UInt64) throws -> [BlockHeader] {
        let base = try XCTUnwrap(seed.chain.record(atHeight: height))
        var random = SplitMix64(seed: tag)
        var headers = [BlockHeader]()
        var parent = base.hash
        var time = base.header.time
        for _ in 0..<count {
            time += 1
            let header = BlockHeader(
                version: 4, previousBlockHash: parent, merkleRoot: random.hash(), time: time, bits: RegtestGenesis.bits,
                nonce: UInt32(truncatingIfNeeded: random.next()), vdfOutput: random.hash(), vdfProofHash: random.hash())
            headers.append(header)
            parent = try header.hash()
        }
        return headers
    }

    /// The attack (an honest 500-block seed; 300 free headers forking at 400) and two more
    /// attackers forking at 250 and 499 from new connections: the seed's reported tip and best block
    /// stay honest, `headers` shows the free branch, and a newcomer syncing only from the seed
    /// reaches the honest tip.
    func testASeedUnderFreeHeadersKeepsItsTipAndANewcomerSyncsTheHonestChain() throws {
        let seed = try harness.makeNode()
        let honest = try seed.generate(blocks: 500, blockSize: 300)
        let port = harness.port(of: seed)
        var treeSize = 501
        for (tag, fork, count) in [(UInt64(1), 400, 300), (2, 250, 2_000), (3, 499, 1_000)] {
            let attacker = try FakePeer(port: port)
            XCTAssertTrue(attacker.handshake(version: FakePeer.makeVersion(port: port, startHeight: Int32(fork + count))).isComplete)
            XCTAssertTrue(attacker.send(.headers(try freeHeaders(on: seed, atHeight: fork, count: count, tag: tag))))
            treeSize += count
            NodeHarness.wait("attack \(tag) is taken into the header tree") { seed.metricsSnapshot().headerTreeHeaders == treeSize }
            let info = seed.blockchainInfo()
            XCTAssertEqual(info.blocks, 500)
            XCTAssertEqual(info.bestBlockHash, honest.last)
            XCTAssertFalse(info.initialBlockDownload)
            attacker.close()
        }
        let newcomer = try harness.makeNode(connect: ["127.0.0.1:\(port)"])
        NodeHarness.wait("the newcomer reaches the honest tip") { newcomer.blockchainInfo().bestBlockHash == honest.last }
        XCTAssertEqual(newcomer.blockchainInfo().headers, 500, "not one free header reached the newcomer")
        XCTAssertEqual(seed.blockchainInfo().blocks, 500)
    }

    /// Two nodes with different histories meet: the one with less work reorganises to the heavier
    /// chain once it has fetched and stored its blocks from the peer that announced it, logs and
    /// counts the reorg, and then serves the new chain.
    func testAnHonestHeavierForkWhoseBlocksAreServedTakesOver() throws {
        // Different block sizes make different blocks even when both generate in the same second
        // (`generate` seeds its contents with the clock).
        let lighter = try harness.makeNode()
        _ = try lighter.generate(blocks: 20, blockSize: 400)
        let heavier = try harness.makeNode()
        let heavy = try heavier.generate(blocks: 30, blockSize: 500)
        try lighter.addNode("127.0.0.1:\(harness.port(of: heavier))", command: .onetry)
        NodeHarness.wait("the lighter node switches to the heavier chain") { lighter.blockchainInfo().bestBlockHash == heavy.last }
        let metrics = lighter.metricsSnapshot()
        XCTAssertEqual(metrics.reorgs, 1)
        XCTAssertEqual(metrics.deepestReorg, 20)
        XCTAssertEqual(lighter.blockchainInfo().blocks, 30)
    }
}
